//! Stationary statistics and response (Volterra) kernels (see `docs/estimators.md`).
//!
//! **Lag convention.** Euler–Maruyama applies the input of step `j` (held on
//! `[t_j, t_{j+1})`) as a kick `dt·C u_j` to `h_{j+1}`. The kernel value at lag `i·dt` is the
//! response of `E[y_N]` to a unit impulse in step `j = N − 1 − i`, i.e. to a kick `c_k` of
//! the state `h_{N−i}`: `K1[i] = ∂E[y_N]/∂(dt·u_{N−1−i})`. So lag 0 is `∇f·C`, and the
//! discretised Volterra series is exactly
//! `E[y_N] = E∞[f] + dt Σ_i K1[i] u_{N−1−i} + ½ dt² Σ_{i1,i2} K2[i1,i2] u_{N−1−i1} u_{N−1−i2} + …`.
//! For a linear network the estimators target the chain's kernel `R (I − dt A)^i C`, which
//! is `R e^{−A i dt} C` up to `O(dt)`.
//!
//! Every Monte Carlo estimator runs blocks of paths, each started from the stationary law
//! (its own burn-in, exactly as `simulate(h0 = "stationary")` with the same seed), reduces a
//! block to partial sums and merges blocks along a fixed tree over block indices (`reduce`):
//! results are bit-identical for any
//! thread count, and memory does not grow with the number of paths.

mod adjoint;
mod adjoint_k2;
mod ensemble;
mod estimator;
mod exact;
mod fd;
mod fdt;
mod girsanov;
pub mod linalg;
mod lyapunov;
mod reduce;
mod stats;

pub use estimator::{Estimate, Estimator, Partial};
pub use exact::{exact_k1, exact_stationary, ExactStationary};
pub use fdt::first_pass as fdt_gauss_first_pass;
pub use lyapunov::{
    initial_frame, lyapunov, lyapunov_finish, lyapunov_partial, LyapunovSettings, LyapunovSpectrum,
};
pub use reduce::{block_count, BlockTree, Moments, PartialSums};
pub use stats::{CorrelationFunction, Observable, Origins, StationaryStats};

use crate::model::Srnn;
use crate::progress::Progress;
use crate::Result;

/// How an ensemble of stationary paths is drawn.
#[derive(Debug, Clone)]
pub struct EnsembleSettings {
    pub dt: f64,
    /// Lags `0, dt, …, (n_lags − 1)·dt`.
    pub n_lags: usize,
    pub n_paths: usize,
    pub seed: u64,
    pub first_path: u64,
    /// Unperturbed steps before step 0 of every path (its start from the stationary law).
    pub burn_in_steps: usize,
    pub block_size: usize,
}

impl EnsembleSettings {
    pub fn new(dt: f64, n_lags: usize, n_paths: usize, burn_in_steps: usize) -> Self {
        EnsembleSettings {
            dt,
            n_lags,
            n_paths,
            seed: 0,
            first_path: 0,
            burn_in_steps,
            block_size: crate::simulation::DEFAULT_BLOCK_SIZE,
        }
    }

    pub fn lags(&self) -> Vec<f64> {
        (0..self.n_lags).map(|i| i as f64 * self.dt).collect()
    }
}

/// A kernel estimate: `values`/`stderr` row-major with `shape` `(L, p, m)` for order 1 and
/// `(L, L, p, m, m)` for order 2; `mean` is the stationary mean of the readout estimated on
/// the same paths (empty when the method does not produce it).
#[derive(Debug, Clone, PartialEq)]
pub struct Kernel {
    pub order: usize,
    pub lags: Vec<f64>,
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
    pub stderr: Vec<f64>,
    pub mean: Vec<f64>,
    pub mean_stderr: Vec<f64>,
    pub n_paths: usize,
}

impl Kernel {
    fn from_moments(
        order: usize,
        lags: Vec<f64>,
        shape: Vec<usize>,
        k: &Moments,
        mean: Option<&Moments>,
    ) -> Self {
        Kernel {
            order,
            lags,
            shape,
            values: k.mean(),
            stderr: k.stderr(),
            mean: mean.map(|m| m.mean()).unwrap_or_default(),
            mean_stderr: mean.map(|m| m.stderr()).unwrap_or_default(),
            n_paths: k.count,
        }
    }
}

impl Estimate {
    fn into_kernel(self) -> Kernel {
        match self {
            Estimate::Kernel(k) => k,
            _ => unreachable!("a kernel estimator returns a kernel"),
        }
    }
}

/// First-order kernel by the adjoint sweep; `(L, p, m)`, with the readout mean at `t_N`.
pub fn adjoint_k1(model: &Srnn, s: &EnsembleSettings, progress: &Progress) -> Result<Kernel> {
    let adj = Estimator::Adjoint { order: 1 };
    Ok(adj.estimate(model, s, progress)?.into_kernel())
}

/// Second-order kernel `(L, L, p, m, m)` by tangents over the adjoint: the exact second
/// derivative of each simulated `y_N`; with the readout mean at `t_N`.
pub fn adjoint_k2(model: &Srnn, s: &EnsembleSettings, progress: &Progress) -> Result<Kernel> {
    let adj = Estimator::Adjoint { order: 2 };
    Ok(adj.estimate(model, s, progress)?.into_kernel())
}

/// First-order kernel `(L, p, m)` by central differences with kick size `eps`.
pub fn fd_k1(model: &Srnn, s: &EnsembleSettings, eps: f64, progress: &Progress) -> Result<Kernel> {
    let fd = Estimator::Fd { order: 1, eps };
    Ok(fd.estimate(model, s, progress)?.into_kernel())
}

/// Second-order kernel `(L, L, p, m, m)` by mixed four-point differences with kick size `eps`.
pub fn fd_k2(model: &Srnn, s: &EnsembleSettings, eps: f64, progress: &Progress) -> Result<Kernel> {
    let fd = Estimator::Fd { order: 2, eps };
    Ok(fd.estimate(model, s, progress)?.into_kernel())
}

/// First-order likelihood-ratio kernel `(n_bins, p, m)`.
pub fn girsanov_k1(
    model: &Srnn,
    s: &EnsembleSettings,
    bin_width: usize,
    progress: &Progress,
) -> Result<Kernel> {
    let lr = Estimator::Girsanov {
        order: 1,
        bin_width,
    };
    Ok(lr.estimate(model, s, progress)?.into_kernel())
}

/// Second-order likelihood-ratio kernel `(n_bins, n_bins, p, m, m)`.
pub fn girsanov_k2(
    model: &Srnn,
    s: &EnsembleSettings,
    bin_width: usize,
    progress: &Progress,
) -> Result<Kernel> {
    let lr = Estimator::Girsanov {
        order: 2,
        bin_width,
    };
    Ok(lr.estimate(model, s, progress)?.into_kernel())
}

/// Stationary mean and covariance from paths after burn-in, each averaged over the states at
/// steps `0, stride, …` up to `n_steps` (`n_steps = 0`: the burnt-in state alone).
pub fn stationary_stats(
    model: &Srnn,
    s: &EnsembleSettings,
    n_steps: usize,
    stride: usize,
    progress: &Progress,
) -> Result<StationaryStats> {
    match (Estimator::Stats { n_steps, stride }).estimate(model, s, progress)? {
        Estimate::Stats(st) => Ok(st),
        _ => unreachable!("the statistics estimator returns statistics"),
    }
}

/// `E∞[f(h_τ) g(h_0)]` (uncentred) on the lag grid of `s`, averaged over `n_origins`
/// origins `every` steps apart along each stationary path.
pub fn correlation(
    model: &Srnn,
    s: &EnsembleSettings,
    observable: Observable,
    n_origins: usize,
    every: usize,
    progress: &Progress,
) -> Result<CorrelationFunction> {
    let origins = Origins {
        count: n_origins,
        every,
    };
    let est = Estimator::Correlation {
        observable,
        origins,
    };
    match est.estimate(model, s, progress)? {
        Estimate::Correlation(c) => Ok(c),
        _ => unreachable!("the correlation estimator returns a correlation"),
    }
}

/// Quasi-Gaussian FDT kernel `(L, p, m)`: the stationary statistics of the paths, then their
/// lagged products centred and projected with them (see [`Estimator::FdtGauss`]).
pub fn fdt_gauss_k1(
    model: &Srnn,
    s: &EnsembleSettings,
    n_origins: usize,
    every: usize,
    progress: &Progress,
) -> Result<Kernel> {
    ensemble::check_settings(model, s)?;
    let origins = Origins {
        count: n_origins,
        every,
    };
    origins.check()?;
    let (n_steps, stride) = fdt_gauss_first_pass(s, origins);
    let stats = stationary_stats(model, s, n_steps, stride, progress)?;
    let est = Estimator::FdtGauss {
        origins,
        stats: Box::new(stats),
    };
    Ok(est.estimate(model, s, progress)?.into_kernel())
}

#[cfg(test)]
mod tests;
