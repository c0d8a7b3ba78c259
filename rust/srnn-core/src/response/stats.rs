//! Stationary mean, covariance and two-time correlation functions of the unperturbed
//! network, with standard errors. Each path contributes its time average over a window
//! after its burn-in; paths are independent, so standard errors come from the spread of the
//! per-path averages (the covariance's by the delta method).

use std::ops::Range;

use ndarray::Array2;

use super::ensemble::{drift, readout, stationary_run};
use super::reduce::{paths_in, reduce_blocks, BlockTree, Decoder, Moments, PartialSums, Sums};
use super::EnsembleSettings;
use crate::model::Srnn;
use crate::progress::Progress;
use crate::simulation::Record;
use crate::{Error, Result};

/// Sums for the mean and covariance of a `d`-vector from per-path averages `μ_i` and
/// second moments `M_i`, and the delta-method variance of `cov = E[M] − μμᵀ`: `sums` holds
/// `Σ μ` (padded to `d²`), `Σ μ_a μ_b`, `Σ M`, `Σ M²`, `Σ M μ_a`, `Σ M μ_b`.
#[derive(Debug, Clone, PartialEq)]
pub struct CovSums {
    d: usize,
    count: usize,
    sums: Sums,
}

impl CovSums {
    fn new(d: usize) -> Self {
        CovSums {
            d,
            count: 0,
            sums: Sums(vec![vec![0.0; d * d]; 6]),
        }
    }

    pub(crate) fn dim(&self) -> usize {
        self.d
    }

    fn push(&mut self, mu: &[f64], m2: &[f64]) {
        let d = self.d;
        let [s1, s11, s2, s22, s2a, s2b] = &mut self.sums.0[..] else {
            unreachable!("six sums")
        };
        for a in 0..d {
            s1[a] += mu[a];
            for b in 0..d {
                let e = a * d + b;
                s11[e] += mu[a] * mu[b];
                s2[e] += m2[e];
                s22[e] += m2[e] * m2[e];
                s2a[e] += m2[e] * mu[a];
                s2b[e] += m2[e] * mu[b];
            }
        }
        self.count += 1;
    }

    /// `(mean, mean_se, cov, cov_se)`.
    fn finish(&self) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let d = self.d;
        let n = self.count as f64;
        let [s1, s11, s2, s22, s2a, s2b] = &self.sums.0[..] else {
            unreachable!("six sums")
        };
        let corr = n / (n - 1.0).max(1.0);
        let mu: Vec<f64> = s1[..d].iter().map(|s| s / n).collect();
        let e11 = |a: usize, b: usize| s11[a * d + b] / n;
        let mean_se = (0..d)
            .map(|a| ((e11(a, a) - mu[a] * mu[a]).max(0.0) * corr / n).sqrt())
            .collect();
        let mut cov = vec![0.0; d * d];
        let mut cov_se = vec![0.0; d * d];
        for a in 0..d {
            for b in 0..d {
                let e = a * d + b;
                let m2 = s2[e] / n;
                cov[e] = m2 - mu[a] * mu[b];
                // Influence of path i: ψ_i = M_i − μ_a μ_{i,b} − μ_b μ_{i,a}.
                let e_psi = m2 - 2.0 * mu[a] * mu[b];
                let e_psi2 = s22[e] / n + mu[a] * mu[a] * e11(b, b) + mu[b] * mu[b] * e11(a, a)
                    - 2.0 * mu[a] * s2b[e] / n
                    - 2.0 * mu[b] * s2a[e] / n
                    + 2.0 * mu[a] * mu[b] * e11(a, b);
                cov_se[e] = ((e_psi2 - e_psi * e_psi).max(0.0) * corr / n).sqrt();
            }
        }
        (mu, mean_se, cov, cov_se)
    }
}

impl PartialSums for CovSums {
    fn merge(&mut self, right: &Self) {
        self.sums.merge(&right.sums);
        self.count += right.count;
    }

    fn encode(&self, out: &mut Vec<f64>) {
        out.push(self.d as f64);
        out.push(self.count as f64);
        self.sums.encode(out);
    }

    fn decode(src: &mut Decoder<'_>) -> Result<Self> {
        let (d, count) = (src.count()?, src.count()?);
        let sums = Sums::decode(src)?;
        if sums.0.len() != 6 || sums.0[0].len() != d * d {
            return Err(Error::invalid(
                "partial",
                "not the partial sums of an srnn_rs estimator (corrupted covariance sums)",
            ));
        }
        Ok(CovSums { d, count, sums })
    }
}

/// Stationary moments of the state (`n`) and the readout (`p`), row-major matrices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StationaryStats {
    pub mean_state: Vec<f64>,
    pub mean_state_se: Vec<f64>,
    pub cov_state: Vec<f64>,
    pub cov_state_se: Vec<f64>,
    pub mean_readout: Vec<f64>,
    pub mean_readout_se: Vec<f64>,
    pub cov_readout: Vec<f64>,
    pub cov_readout_se: Vec<f64>,
    pub n_paths: usize,
}

fn check_common(s: &EnsembleSettings) -> Result<()> {
    crate::work::check_work(
        "the ensemble (paths × steps)",
        crate::work::product(&[s.n_paths as u128, (s.burn_in_steps + s.n_lags) as u128]),
    )?;
    if !(s.dt.is_finite() && s.dt > 0.0) {
        return Err(Error::invalid(
            "dt",
            format!("expected a finite positive time step, got {}", s.dt),
        ));
    }
    if s.n_paths < 2 {
        return Err(Error::invalid(
            "n_paths",
            format!("standard errors need at least 2 paths, got {}", s.n_paths),
        ));
    }
    Ok(())
}

/// Partial sums over `blocks` for the mean and covariance of the state and the readout, each
/// path averaged over its states at steps `0, stride, …` up to `n_steps` after burn-in
/// (`n_steps = 0`: the burnt-in state alone).
pub(crate) fn stationary_stats_partial(
    model: &Srnn,
    s: &EnsembleSettings,
    n_steps: usize,
    stride: usize,
    blocks: Range<usize>,
    progress: &Progress,
) -> Result<BlockTree<(CovSums, CovSums)>> {
    check_common(s)?;
    if stride == 0 {
        return Err(Error::invalid(
            "stride",
            "expected a positive integer, got 0",
        ));
    }
    let (n, p) = (model.n(), model.p());
    progress.add_total(paths_in(s, &blocks) as u64);
    let block = |first: usize, rows: usize| -> Result<(CovSums, CovSums)> {
        let states = stationary_run(model, s, first, rows, n_steps, Record::State)?;
        let (mut cs, mut cr) = (CovSums::new(n), CovSums::new(p));
        let (mut mu, mut m2) = (vec![0.0; n], vec![0.0; n * n]);
        let (mut my, mut m2y, mut y) = (vec![0.0; p], vec![0.0; p * p], vec![0.0; p]);
        let times: Vec<usize> = (0..=n_steps).step_by(stride).collect();
        let w = 1.0 / times.len() as f64;
        for b in 0..rows {
            mu.fill(0.0);
            m2.fill(0.0);
            my.fill(0.0);
            m2y.fill(0.0);
            for &t in &times {
                let h = &states[(b * (n_steps + 1) + t) * n..(b * (n_steps + 1) + t + 1) * n];
                readout(model, h, &mut y);
                for a in 0..n {
                    mu[a] += w * h[a];
                    for c in 0..n {
                        m2[a * n + c] += w * h[a] * h[c];
                    }
                }
                for a in 0..p {
                    my[a] += w * y[a];
                    for c in 0..p {
                        m2y[a * p + c] += w * y[a] * y[c];
                    }
                }
            }
            cs.push(&mu, &m2);
            cr.push(&my, &m2y);
        }
        progress.advance(rows as u64);
        Ok((cs, cr))
    };
    reduce_blocks(s, blocks, progress, 6 * (n * n + p * p), block)
}

/// The statistics of the whole call from its sums.
pub(crate) fn stationary_stats_finish((cs, cr): &(CovSums, CovSums)) -> StationaryStats {
    let (mean_state, mean_state_se, cov_state, cov_state_se) = cs.finish();
    let (mean_readout, mean_readout_se, cov_readout, cov_readout_se) = cr.finish();
    StationaryStats {
        mean_state,
        mean_state_se,
        cov_state,
        cov_state_se,
        mean_readout,
        mean_readout_se,
        cov_readout,
        cov_readout_se,
        n_paths: cs.count,
    }
}

/// The function `g` of `E∞[f(h_τ) g(h_0)]` (`f` is always the readout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observable {
    State,
    Readout,
    /// The drift `−Γh + a(Wh + b)`: with isotropic additive noise `σ` and a gradient drift
    /// the stationary score is `∇log ρ∞ = 2 b(h)/σ²`, which makes the exact FDT a correlation
    /// with the drift.
    Drift,
}

/// `E∞[f(h_τ) g(h_0)]` on the lag grid, `values`/`stderr` `(L, p, q)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationFunction {
    pub lags: Vec<f64>,
    pub shape: Vec<usize>,
    pub values: Vec<f64>,
    pub stderr: Vec<f64>,
    pub n_paths: usize,
}

/// How the origins of the lagged products are laid out along each path.
#[derive(Debug, Clone, Copy)]
pub struct Origins {
    pub count: usize,
    pub every: usize,
}

impl Origins {
    pub fn run_length(&self, n_lags: usize) -> usize {
        n_lags.saturating_sub(1) + self.count.saturating_sub(1).saturating_mul(self.every)
    }

    pub fn check(&self) -> Result<()> {
        if self.count == 0 || self.every == 0 {
            return Err(Error::invalid(
                "n_origins",
                "expected at least one origin and a positive spacing",
            ));
        }
        Ok(())
    }
}

/// Per path, the average over origins `t` of `(f(h_{t+i}) − μf) ((g(h_t) − μg)ᵀ P)`,
/// as partial sums over `blocks`. `centre = (μf, μg)`; `proj` is `(q, m)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn lagged_products_partial(
    model: &Srnn,
    s: &EnsembleSettings,
    origins: Origins,
    observable: Observable,
    centre: Option<(&[f64], &[f64])>,
    proj: Option<&Array2<f64>>,
    blocks: Range<usize>,
    progress: &Progress,
) -> Result<BlockTree<Moments>> {
    check_common(s)?;
    origins.check()?;
    let (n, p, l) = (model.n(), model.p(), s.n_lags);
    if l == 0 {
        return Err(Error::invalid("max_lag", "expected at least one lag"));
    }
    let q = match observable {
        Observable::Readout => p,
        Observable::State | Observable::Drift => n,
    };
    let cols = proj.map_or(q, |pm| pm.ncols());
    let gamma = model.gamma_matrix();
    let run = origins.run_length(l);
    progress.add_total(paths_in(s, &blocks) as u64);
    let block = |first: usize, rows: usize| -> Result<Moments> {
        let states = stationary_run(model, s, first, rows, run, Record::State)?;
        let mut out = Moments::new(l * p * cols);
        let mut fvals = vec![0.0; (run + 1) * p];
        let mut gvals = vec![0.0; origins.count * cols];
        let mut g = vec![0.0; q];
        let mut acc = vec![0.0; l * p * cols];
        let w = 1.0 / origins.count as f64;
        for b in 0..rows {
            let path = &states[b * (run + 1) * n..(b + 1) * (run + 1) * n];
            for t in 0..=run {
                let y = &mut fvals[t * p..(t + 1) * p];
                readout(model, &path[t * n..(t + 1) * n], y);
                if let Some((mf, _)) = centre {
                    for (v, m) in y.iter_mut().zip(mf) {
                        *v -= m;
                    }
                }
            }
            for o in 0..origins.count {
                let h = &path[o * origins.every * n..(o * origins.every + 1) * n];
                match observable {
                    Observable::State => g.copy_from_slice(h),
                    Observable::Readout => readout(model, h, &mut g),
                    Observable::Drift => drift(model, &gamma, h, &mut g),
                }
                if let Some((_, mg)) = centre {
                    for (v, m) in g.iter_mut().zip(mg) {
                        *v -= m;
                    }
                }
                let dst = &mut gvals[o * cols..(o + 1) * cols];
                match proj {
                    Some(pm) => {
                        for (c, d) in dst.iter_mut().enumerate() {
                            *d = (0..q).map(|a| g[a] * pm[[a, c]]).sum();
                        }
                    }
                    None => dst.copy_from_slice(&g),
                }
            }
            acc.fill(0.0);
            for o in 0..origins.count {
                let t0 = o * origins.every;
                let gv = &gvals[o * cols..(o + 1) * cols];
                for i in 0..l {
                    let fv = &fvals[(t0 + i) * p..(t0 + i + 1) * p];
                    let dst = &mut acc[i * p * cols..(i + 1) * p * cols];
                    for (oo, &f) in fv.iter().enumerate() {
                        for (d, &gc) in dst[oo * cols..(oo + 1) * cols].iter_mut().zip(gv) {
                            *d += w * f * gc;
                        }
                    }
                }
            }
            out.push(&acc);
        }
        progress.advance(rows as u64);
        Ok(out)
    };
    reduce_blocks(s, blocks, progress, 3 * l * p * cols, block)
}

/// `E∞[f(h_τ) g(h_0)]` (uncentred) of the whole call from its sums.
pub(crate) fn correlation_finish(
    model: &Srnn,
    s: &EnsembleSettings,
    mom: &Moments,
) -> CorrelationFunction {
    let q = mom.sum.len() / (s.n_lags * model.p());
    CorrelationFunction {
        lags: s.lags(),
        shape: vec![s.n_lags, model.p(), q],
        values: mom.mean(),
        stderr: mom.stderr(),
        n_paths: mom.count,
    }
}
