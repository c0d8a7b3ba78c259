//! Stationary mean, covariance and two-time correlation functions of the unperturbed
//! network, with standard errors. Each path contributes its time average over a window
//! after its burn-in; paths are independent, so standard errors come from the spread of the
//! per-path averages (the covariance's by the delta method).

use ndarray::Array2;

use super::ensemble::{drift, readout, reduce_blocks, run_from, stationary_start, Moments};
use super::EnsembleSettings;
use crate::model::Srnn;
use crate::progress::Progress;
use crate::simulation::{Input, Record};
use crate::{Error, Result};

/// Sums for the mean and covariance of a `d`-vector from per-path averages `μ_i` and
/// second moments `M_i`, and the delta-method variance of `cov = E[M] − μμᵀ`.
#[derive(Debug, Clone)]
struct CovSums {
    d: usize,
    count: usize,
    s1: Vec<f64>,
    s11: Vec<f64>,
    s2: Vec<f64>,
    s22: Vec<f64>,
    s2a: Vec<f64>,
    s2b: Vec<f64>,
}

impl CovSums {
    fn new(d: usize) -> Self {
        let z = vec![0.0; d * d];
        CovSums {
            d,
            count: 0,
            s1: vec![0.0; d],
            s11: z.clone(),
            s2: z.clone(),
            s22: z.clone(),
            s2a: z.clone(),
            s2b: z,
        }
    }

    fn push(&mut self, mu: &[f64], m2: &[f64]) {
        let d = self.d;
        for a in 0..d {
            self.s1[a] += mu[a];
            for b in 0..d {
                let e = a * d + b;
                self.s11[e] += mu[a] * mu[b];
                self.s2[e] += m2[e];
                self.s22[e] += m2[e] * m2[e];
                self.s2a[e] += m2[e] * mu[a];
                self.s2b[e] += m2[e] * mu[b];
            }
        }
        self.count += 1;
    }

    fn merge(&mut self, o: &CovSums) {
        for (x, y) in [
            (&mut self.s1, &o.s1),
            (&mut self.s11, &o.s11),
            (&mut self.s2, &o.s2),
            (&mut self.s22, &o.s22),
            (&mut self.s2a, &o.s2a),
            (&mut self.s2b, &o.s2b),
        ] {
            for (a, b) in x.iter_mut().zip(y) {
                *a += b;
            }
        }
        self.count += o.count;
    }

    /// `(mean, mean_se, cov, cov_se)`.
    fn finish(&self) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let d = self.d;
        let n = self.count as f64;
        let corr = n / (n - 1.0).max(1.0);
        let mu: Vec<f64> = self.s1.iter().map(|s| s / n).collect();
        let e11 = |a: usize, b: usize| self.s11[a * d + b] / n;
        let mean_se = (0..d)
            .map(|a| ((e11(a, a) - mu[a] * mu[a]).max(0.0) * corr / n).sqrt())
            .collect();
        let mut cov = vec![0.0; d * d];
        let mut cov_se = vec![0.0; d * d];
        for a in 0..d {
            for b in 0..d {
                let e = a * d + b;
                let m2 = self.s2[e] / n;
                cov[e] = m2 - mu[a] * mu[b];
                // Influence of path i: ψ_i = M_i − μ_a μ_{i,b} − μ_b μ_{i,a}.
                let e_psi = m2 - 2.0 * mu[a] * mu[b];
                let e_psi2 =
                    self.s22[e] / n + mu[a] * mu[a] * e11(b, b) + mu[b] * mu[b] * e11(a, a)
                        - 2.0 * mu[a] * self.s2b[e] / n
                        - 2.0 * mu[b] * self.s2a[e] / n
                        + 2.0 * mu[a] * mu[b] * e11(a, b);
                cov_se[e] = ((e_psi2 - e_psi * e_psi).max(0.0) * corr / n).sqrt();
            }
        }
        (mu, mean_se, cov, cov_se)
    }
}

/// Stationary moments of the state (`n`) and the readout (`p`), row-major matrices.
#[derive(Debug, Clone, PartialEq)]
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

/// Mean and covariance from paths after burn-in, each averaged over the states at steps
/// `0, stride, …` up to `n_steps` (`n_steps = 0`: the burnt-in state alone).
pub fn stationary_stats(
    model: &Srnn,
    s: &EnsembleSettings,
    n_steps: usize,
    stride: usize,
    progress: &Progress,
) -> Result<StationaryStats> {
    check_common(s)?;
    if stride == 0 {
        return Err(Error::invalid(
            "stride",
            "expected a positive integer, got 0",
        ));
    }
    let (n, p) = (model.n(), model.p());
    progress.add_total(s.n_paths as u64);
    let block = |first: usize, rows: usize| -> Result<(CovSums, CovSums)> {
        let h0 = stationary_start(model, s, first, rows)?;
        let states = run_from(model, s, first, &h0, n_steps, Input::Zero, Record::State)?;
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
    let (cs, cr) = reduce_blocks(s, progress, block, |a, b| {
        a.0.merge(&b.0);
        a.1.merge(&b.1);
    })?;
    let (mean_state, mean_state_se, cov_state, cov_state_se) = cs.finish();
    let (mean_readout, mean_readout_se, cov_readout, cov_readout_se) = cr.finish();
    Ok(StationaryStats {
        mean_state,
        mean_state_se,
        cov_state,
        cov_state_se,
        mean_readout,
        mean_readout_se,
        cov_readout,
        cov_readout_se,
        n_paths: cs.count,
    })
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
pub(crate) struct Origins {
    pub count: usize,
    pub every: usize,
}

impl Origins {
    pub fn run_length(&self, n_lags: usize) -> usize {
        n_lags - 1 + (self.count - 1) * self.every
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
/// reduced over paths. `centre = (μf, μg)`; `proj` is `(q, m)`.
pub(crate) fn lagged_products(
    model: &Srnn,
    s: &EnsembleSettings,
    origins: Origins,
    observable: Observable,
    centre: Option<(&[f64], &[f64])>,
    proj: Option<&Array2<f64>>,
    progress: &Progress,
) -> Result<Moments> {
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
    progress.add_total(s.n_paths as u64);
    let block = |first: usize, rows: usize| -> Result<Moments> {
        let h0 = stationary_start(model, s, first, rows)?;
        let states = run_from(model, s, first, &h0, run, Input::Zero, Record::State)?;
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
    reduce_blocks(s, progress, block, |a, b| a.merge(&b))
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
    let mom = lagged_products(model, s, origins, observable, None, None, progress)?;
    let q = mom.sum.len() / (s.n_lags * model.p());
    Ok(CorrelationFunction {
        lags: s.lags(),
        shape: vec![s.n_lags, model.p(), q],
        values: mom.mean(),
        stderr: mom.stderr(),
        n_paths: mom.count,
    })
}
