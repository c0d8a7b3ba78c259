//! Likelihood-ratio (Girsanov / Malliavin-weight) kernels for additive noise. A kick
//! `ε c_k` of `h_{j+1}` is the noise shift `z_j → z_j + ε φ_k / √dt` with `Σ φ_k = c_k`
//! (`φ = Σ⁺ C`), so with `w_{k,j} = φ_kᵀ z_j / √dt`:
//! `K1_k[i] = E[(f(h_N) − E f) w_{k,N−1−i}]` and
//! `K2_{kl}[i1,i2] = E[(f(h_N) − E f)(w_{k,j1} w_{l,j2} − δ_{j1 j2} φ_kᵀφ_l / dt)]`.
//! Unbiased for the discretised chain and derivative-free, but the weights have variance
//! `∝ 1/(σ² dt)`: lags can be averaged into bins of `bin_width` steps, which divides it by
//! the bin width.

use ndarray::Array2;

use super::ensemble::{check_settings, reduce_blocks, stationary_run, Moments};
use super::linalg::min_norm_solve;
use super::{EnsembleSettings, Kernel};
use crate::model::{Noise, Srnn};
use crate::progress::Progress;
use crate::rng::{fill_normals, normals_row_len, Stream};
use crate::simulation::Record;
use crate::{Error, Result};

/// `φ = Σ⁺ C` `(r, m)`, after checking the noise is additive and spans every column of C.
fn weight_vectors(model: &Srnn) -> Result<Array2<f64>> {
    let sigma = match &model.noise {
        Noise::Additive(s) => Array2::from_diag(s),
        Noise::Full(s) => s.clone(),
        Noise::Multiplicative { .. } => {
            return Err(Error::invalid(
                "method",
                "'girsanov' needs additive noise: with multiplicative noise Σ(h) the \
                 likelihood ratio of a drift kick depends on the state; use 'adjoint' or 'fd'",
            ))
        }
    };
    let (phi, resid) = min_norm_solve(&sigma, &model.c);
    if resid > 1e-8 {
        return Err(Error::invalid(
            "method",
            format!(
                "'girsanov' needs noise that spans the input directions: a column of C is \
                 not in the range of Σ (relative residual {resid:.2e}), so an input kick is not \
                 a shift of the noise; use 'adjoint' or 'fd'"
            ),
        ));
    }
    Ok(phi)
}

/// Lag bins: `(count per bin, mean lag per bin)`.
fn bins(s: &EnsembleSettings, width: usize) -> Result<(Vec<usize>, Vec<f64>)> {
    if width == 0 || width > s.n_lags {
        return Err(Error::invalid(
            "bin_width",
            format!(
                "expected between 1 and the number of lags ({}) steps, got {width}",
                s.n_lags
            ),
        ));
    }
    let nb = s.n_lags.div_ceil(width);
    let counts: Vec<usize> = (0..nb).map(|b| width.min(s.n_lags - b * width)).collect();
    let lags = (0..nb)
        .map(|b| (b * width) as f64 * s.dt + (counts[b] - 1) as f64 * 0.5 * s.dt)
        .collect();
    Ok((counts, lags))
}

/// Per-block sums for `E[(F − F̄) W]` and its standard error, expanded in sums that merge.
#[derive(Clone)]
struct LrSums {
    fw: Vec<f64>,
    f2w2: Vec<f64>,
    fw2: Vec<f64>,
    w: Vec<f64>,
    w2: Vec<f64>,
    f: Moments,
}

impl LrSums {
    fn new(len: usize, p: usize) -> Self {
        LrSums {
            fw: vec![0.0; len],
            f2w2: vec![0.0; len],
            fw2: vec![0.0; len],
            w: vec![0.0; len],
            w2: vec![0.0; len],
            f: Moments::new(p),
        }
    }

    fn add(&mut self, at: usize, f: f64, w: f64) {
        let fw = f * w;
        self.fw[at] += fw;
        self.f2w2[at] += fw * fw;
        self.fw2[at] += fw * w;
        self.w[at] += w;
        self.w2[at] += w * w;
    }

    fn merge(&mut self, o: &LrSums) {
        for (a, b) in [
            (&mut self.fw, &o.fw),
            (&mut self.f2w2, &o.f2w2),
            (&mut self.fw2, &o.fw2),
            (&mut self.w, &o.w),
            (&mut self.w2, &o.w2),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.f.merge(&o.f);
    }

    /// `(values, stderr)`; `output(index)` names the readout component of an entry.
    fn finish(&self, output: impl Fn(usize) -> usize) -> (Vec<f64>, Vec<f64>) {
        let n = self.f.count as f64;
        let fbar = self.f.mean();
        let mut vals = Vec::with_capacity(self.fw.len());
        let mut errs = Vec::with_capacity(self.fw.len());
        for e in 0..self.fw.len() {
            let fb = fbar[output(e)];
            let mean = (self.fw[e] - fb * self.w[e]) / n;
            let second = (self.f2w2[e] - 2.0 * fb * self.fw2[e] + fb * fb * self.w2[e]) / n;
            let var = (second - mean * mean).max(0.0) * n / (n - 1.0);
            vals.push(mean);
            errs.push((var / n).sqrt());
        }
        (vals, errs)
    }
}

/// Binned weights `(rows, n_bins, m)` of a block: `w̄_{k,b} = mean over the bin's lags of
/// φ_kᵀ z_j / √dt`, with the very `z` the simulator used.
#[allow(clippy::too_many_arguments)]
fn binned_weights(
    model: &Srnn,
    s: &EnsembleSettings,
    phi: &Array2<f64>,
    first: usize,
    rows: usize,
    width: usize,
    counts: &[usize],
) -> Vec<f64> {
    let (r, m, nb, n_steps) = (model.r(), model.m(), counts.len(), s.n_lags);
    let stride = normals_row_len(r);
    let mut z = vec![0.0; rows * stride];
    let mut out = vec![0.0; rows * nb * m];
    let scale = 1.0 / s.dt.sqrt();
    let first_path = s.first_path + first as u64;
    for j in 0..n_steps {
        let i = n_steps - 1 - j;
        let bin = i / width;
        let (seed, zs): (u64, &mut [f64]) = (s.seed, &mut z);
        let step = j as u32;
        crate::dispatch!(
            fn fill(
                seed: u64,
                first_path: u64,
                rows: usize,
                step: u32,
                r: usize,
                zs: &mut [f64],
                stride: usize,
            ) -> () {
                fill_normals::<FMA>(seed, Stream::Main, first_path, rows, step, r, zs, stride)
            }
        );
        let norm = scale / counts[bin] as f64;
        for b in 0..rows {
            let zb = &z[b * stride..b * stride + r];
            for k in 0..m {
                let w: f64 = zb.iter().enumerate().map(|(c, &zv)| phi[[c, k]] * zv).sum();
                out[(b * nb + bin) * m + k] += w * norm;
            }
        }
    }
    out
}

fn block_common(model: &Srnn, s: &EnsembleSettings, first: usize, rows: usize) -> Result<Vec<f64>> {
    stationary_run(model, s, first, rows, s.n_lags, Record::FinalReadout)
}

fn kernel(
    order: usize,
    lags: Vec<f64>,
    shape: Vec<usize>,
    sums: &LrSums,
    entry_output: impl Fn(usize) -> usize,
) -> Kernel {
    let (values, stderr) = sums.finish(entry_output);
    Kernel {
        order,
        lags,
        shape,
        values,
        stderr,
        mean: sums.f.mean(),
        mean_stderr: sums.f.stderr(),
        n_paths: sums.f.count,
    }
}

/// First-order kernel `(n_bins, p, m)`, each bin the average of `bin_width` lags.
pub fn girsanov_k1(
    model: &Srnn,
    s: &EnsembleSettings,
    bin_width: usize,
    progress: &Progress,
) -> Result<Kernel> {
    check_settings(model, s)?;
    let phi = weight_vectors(model)?;
    let (counts, lags) = bins(s, bin_width)?;
    let (m, p, nb) = (model.m(), model.p(), counts.len());
    progress.add_total(s.n_paths as u64);
    let block = |first: usize, rows: usize| -> Result<LrSums> {
        let y = block_common(model, s, first, rows)?;
        let w = binned_weights(model, s, &phi, first, rows, bin_width, &counts);
        let mut sums = LrSums::new(nb * p * m, p);
        for b in 0..rows {
            let yb = &y[b * p..(b + 1) * p];
            sums.f.push(yb);
            for bin in 0..nb {
                for (o, &f) in yb.iter().enumerate() {
                    for k in 0..m {
                        sums.add((bin * p + o) * m + k, f, w[(b * nb + bin) * m + k]);
                    }
                }
            }
        }
        progress.advance(rows as u64);
        Ok(sums)
    };
    let sums = reduce_blocks(s, progress, 5 * nb * p * m, block, |a, b| a.merge(&b))?;
    Ok(kernel(1, lags, vec![nb, p, m], &sums, |e| (e / m) % p))
}

/// Second-order kernel `(n_bins, n_bins, p, m, m)` with products of weights, centred by
/// their expectation (the diagonal correction `δ_{j1 j2} φ_kᵀφ_l / dt`, averaged over bins).
pub fn girsanov_k2(
    model: &Srnn,
    s: &EnsembleSettings,
    bin_width: usize,
    progress: &Progress,
) -> Result<Kernel> {
    check_settings(model, s)?;
    let phi = weight_vectors(model)?;
    let gram = phi.t().dot(&phi);
    let (counts, lags) = bins(s, bin_width)?;
    let (m, p, nb) = (model.m(), model.p(), counts.len());
    let dt = s.dt;
    progress.add_total(s.n_paths as u64);
    let block = |first: usize, rows: usize| -> Result<LrSums> {
        let y = block_common(model, s, first, rows)?;
        let w = binned_weights(model, s, &phi, first, rows, bin_width, &counts);
        let mut sums = LrSums::new(nb * nb * p * m * m, p);
        for b in 0..rows {
            let yb = &y[b * p..(b + 1) * p];
            sums.f.push(yb);
            let wb = &w[b * nb * m..(b + 1) * nb * m];
            for b1 in 0..nb {
                for b2 in 0..nb {
                    for (o, &f) in yb.iter().enumerate() {
                        for k in 0..m {
                            for q in 0..m {
                                let mut prod = wb[b1 * m + k] * wb[b2 * m + q];
                                if b1 == b2 {
                                    prod -= gram[[k, q]] / (dt * counts[b1] as f64);
                                }
                                sums.add((((b1 * nb + b2) * p + o) * m + k) * m + q, f, prod);
                            }
                        }
                    }
                }
            }
        }
        progress.advance(rows as u64);
        Ok(sums)
    };
    let sums = reduce_blocks(s, progress, 5 * nb * nb * p * m * m, block, |a, b| {
        a.merge(&b)
    })?;
    Ok(kernel(2, lags, vec![nb, nb, p, m, m], &sums, |e| {
        (e / (m * m)) % p
    }))
}
