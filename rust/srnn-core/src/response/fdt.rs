//! Quasi-Gaussian fluctuation–dissipation estimate `K1(τ) = Cov(f(h_τ), h_0) Σ0⁻¹ C`.
//!
//! It is the exact FDT `K1(τ) = −E[f(h_τ) (C u)·∇log ρ∞(h_0)]` with the score of the
//! Gaussian having the stationary mean and covariance. Exact for linear networks (whose
//! stationary law is Gaussian); biased when ρ∞ is not Gaussian (nonlinear networks), by an
//! amount no number of paths removes. Cheap: correlations only, no derivatives or re-runs.
//!
//! Two passes over the same paths: the stationary statistics (the first pass,
//! [`first_pass`]), then the centred lagged products projected on `Σ0⁻¹ C`.

use std::ops::Range;

use ndarray::Array2;

use super::ensemble::check_settings;
use super::linalg::solve;
use super::reduce::{BlockTree, Moments};
use super::stats::{lagged_products_partial, Observable, Origins, StationaryStats};
use super::{EnsembleSettings, Kernel};
use crate::model::Srnn;
use crate::progress::Progress;
use crate::{Error, Result};

/// `(n_steps, stride)` of the stationary statistics the second pass is centred with: every
/// state the lagged products use.
pub fn first_pass(s: &EnsembleSettings, origins: Origins) -> (usize, usize) {
    (origins.run_length(s.n_lags), 1)
}

/// Partial sums over `blocks` of the lagged products, given the first pass's statistics.
/// The standard errors are conditional on the estimated `Σ0` and means (both estimated from
/// the same paths, whose error is of higher order).
pub(crate) fn fdt_gauss_partial(
    model: &Srnn,
    s: &EnsembleSettings,
    origins: Origins,
    stats: &StationaryStats,
    blocks: Range<usize>,
    progress: &Progress,
) -> Result<BlockTree<Moments>> {
    check_settings(model, s)?;
    origins.check()?;
    let n = model.n();
    let sigma0 = Array2::from_shape_vec((n, n), stats.cov_state.clone())
        .map_err(|_| Error::invalid("partial", "statistics of another network"))?;
    let c = model.linear_input_matrix().ok_or_else(|| {
        Error::invalid(
            "method",
            "'fdt_gauss' needs the input outside a nonlinear activation: with C_in the kick \
             C + diag(a′) C_in depends on the state; use 'adjoint' or 'fd'",
        )
    })?;
    let g = solve(&sigma0, &c).ok_or_else(|| {
        Error::invalid(
            "method",
            "'fdt_gauss': the stationary state covariance is singular (the noise does not \
             reach every unit), so Σ0⁻¹ does not exist; use 'adjoint' or 'fd'",
        )
    })?;
    lagged_products_partial(
        model,
        s,
        origins,
        Observable::State,
        Some((&stats.mean_readout, &stats.mean_state)),
        Some(&g),
        blocks,
        progress,
    )
}

/// `(L, p, m)` from the whole call's lagged products.
pub(crate) fn fdt_gauss_finish(
    model: &Srnn,
    s: &EnsembleSettings,
    stats: &StationaryStats,
    mom: &Moments,
) -> Kernel {
    Kernel {
        order: 1,
        lags: s.lags(),
        shape: vec![s.n_lags, model.p(), model.m()],
        values: mom.mean(),
        stderr: mom.stderr(),
        mean: stats.mean_readout.clone(),
        mean_stderr: stats.mean_readout_se.clone(),
        n_paths: mom.count,
    }
}
