//! Quasi-Gaussian fluctuation–dissipation estimate `K1(τ) = Cov(f(h_τ), h_0) Σ0⁻¹ C`.
//!
//! It is the exact FDT `K1(τ) = −E[f(h_τ) (C u)·∇log ρ∞(h_0)]` with the score of the
//! Gaussian having the stationary mean and covariance. Exact for linear networks (whose
//! stationary law is Gaussian); biased when ρ∞ is not Gaussian (nonlinear networks), by an
//! amount no number of paths removes. Cheap: correlations only, no derivatives or re-runs.

use ndarray::Array2;

use super::ensemble::check_settings;
use super::linalg::solve;
use super::stats::{lagged_products, stationary_stats, Observable, Origins};
use super::{EnsembleSettings, Kernel};
use crate::model::Srnn;
use crate::progress::Progress;
use crate::{Error, Result};

/// `(L, p, m)`; each path averages the lagged products over `n_origins` origins `every`
/// steps apart. The standard errors are conditional on the estimated `Σ0` and means (both
/// estimated from the same paths, whose error is of higher order).
pub fn fdt_gauss_k1(
    model: &Srnn,
    s: &EnsembleSettings,
    n_origins: usize,
    every: usize,
    progress: &Progress,
) -> Result<Kernel> {
    check_settings(model, s)?;
    let origins = Origins {
        count: n_origins,
        every,
    };
    origins.check()?;
    let (n, p, m, l) = (model.n(), model.p(), model.m(), s.n_lags);
    let stats = stationary_stats(model, s, origins.run_length(l), 1, progress)?;
    let sigma0 = Array2::from_shape_vec((n, n), stats.cov_state.clone()).expect("(n, n)");
    let g = solve(&sigma0, &model.c).ok_or_else(|| {
        Error::invalid(
            "method",
            "'fdt_gauss': the stationary state covariance is singular (the noise does not \
             reach every unit), so Σ0⁻¹ does not exist; use 'adjoint' or 'fd'",
        )
    })?;
    let mom = lagged_products(
        model,
        s,
        origins,
        Observable::State,
        Some((&stats.mean_readout, &stats.mean_state)),
        Some(&g),
        progress,
    )?;
    Ok(Kernel {
        order: 1,
        lags: s.lags(),
        shape: vec![l, p, m],
        values: mom.mean(),
        stderr: mom.stderr(),
        mean: stats.mean_readout,
        mean_stderr: stats.mean_readout_se,
        n_paths: mom.count,
    })
}
