//! Likelihood-ratio (Girsanov / Malliavin-weight) kernels for additive noise. A kick
//! `ε c_k` of `h_{j+1}` is the noise shift `z_j → z_j + ε φ_k / √dt` with `Σ φ_k = c_k`
//! (`φ = Σ⁺ C`), so with `w_{k,j} = φ_kᵀ z_j / √dt`:
//! `K1_k[i] = E[(f(h_N) − E f) w_{k,N−1−i}]` and
//! `K2_{kl}[i1,i2] = E[(f(h_N) − E f)(w_{k,j1} w_{l,j2} − δ_{j1 j2} φ_kᵀφ_l / dt)]`.
//! Unbiased for the discretised chain and derivative-free, but the weights have variance
//! `∝ 1/(σ² dt)`: lags can be averaged into bins of `bin_width` steps, which divides it by
//! the bin width.

use std::ops::Range;

use ndarray::Array2;

use super::ensemble::{check_settings, stationary_run};
use super::linalg::min_norm_solve;
use super::reduce::{paths_in, reduce_blocks, BlockTree, Decoder, Moments, PartialSums, Sums};
use super::{EnsembleSettings, Kernel};
use crate::model::{Noise, Srnn};
use crate::progress::Progress;
use crate::rng::{fill_normals, normals_row_len, Stream};
use crate::simulation::Record;
use crate::{Error, Result};

/// `φ = Σ⁺ C` `(r, m)`, after checking the noise is additive and spans every column of C.
fn weight_vectors(model: &Srnn) -> Result<Array2<f64>> {
    if model.c_in.is_some() {
        return Err(Error::invalid(
            "method",
            "'girsanov' cannot take an input inside the activation (C_in): its kick \
             diag(a′(W h + b)) C_in u is not a shift of the noise; use 'adjoint' or 'fd'",
        ));
    }
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

/// Per-block sums for `E[(F − F̄) W]` and its standard error, expanded in sums that merge:
/// `lr` holds `Σ FW`, `Σ F²W²`, `Σ FW²`, `Σ W`, `Σ W²` per entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LrSums {
    lr: Sums,
    f: Moments,
}

impl LrSums {
    fn new(len: usize, p: usize) -> Self {
        LrSums {
            lr: Sums(vec![vec![0.0; len]; 5]),
            f: Moments::new(p),
        }
    }

    /// Kernel entries.
    pub(crate) fn len(&self) -> usize {
        self.lr.0[0].len()
    }

    /// Readout components.
    pub(crate) fn readouts(&self) -> usize {
        self.f.sum.len()
    }

    fn add(&mut self, at: usize, f: f64, w: f64) {
        let fw = f * w;
        let [s_fw, s_f2w2, s_fw2, s_w, s_w2] = &mut self.lr.0[..] else {
            unreachable!("five sums")
        };
        s_fw[at] += fw;
        s_f2w2[at] += fw * fw;
        s_fw2[at] += fw * w;
        s_w[at] += w;
        s_w2[at] += w * w;
    }

    /// `(values, stderr)`; `output(index)` names the readout component of an entry.
    fn finish(&self, output: impl Fn(usize) -> usize) -> (Vec<f64>, Vec<f64>) {
        let n = self.f.count as f64;
        let fbar = self.f.mean();
        let [fw, f2w2, fw2, w, w2] = &self.lr.0[..] else {
            unreachable!("five sums")
        };
        let mut vals = Vec::with_capacity(fw.len());
        let mut errs = Vec::with_capacity(fw.len());
        for e in 0..fw.len() {
            let fb = fbar[output(e)];
            let mean = (fw[e] - fb * w[e]) / n;
            let second = (f2w2[e] - 2.0 * fb * fw2[e] + fb * fb * w2[e]) / n;
            let var = (second - mean * mean).max(0.0) * n / (n - 1.0);
            vals.push(mean);
            errs.push((var / n).sqrt());
        }
        (vals, errs)
    }
}

impl PartialSums for LrSums {
    fn merge(&mut self, right: &Self) {
        self.lr.merge(&right.lr);
        self.f.merge(&right.f);
    }

    fn encode(&self, out: &mut Vec<f64>) {
        self.lr.encode(out);
        self.f.encode(out);
    }

    fn decode(src: &mut Decoder<'_>) -> Result<Self> {
        Ok(LrSums {
            lr: Sums::decode(src)?,
            f: Moments::decode(src)?,
        })
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
                fill_normals::<f64, FMA>(seed, Stream::Main, first_path, rows, step, r, zs, stride)
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

/// The kernel of `order` from the whole call's sums.
pub(crate) fn girsanov_kernel(
    model: &Srnn,
    s: &EnsembleSettings,
    order: usize,
    bin_width: usize,
    sums: &LrSums,
) -> Result<Kernel> {
    let (counts, lags) = bins(s, bin_width)?;
    let (m, p, nb) = (model.m(), model.p(), counts.len());
    let (shape, per_output) = match order {
        1 => (vec![nb, p, m], m),
        _ => (vec![nb, nb, p, m, m], m * m),
    };
    let (values, stderr) = sums.finish(|e| (e / per_output) % p);
    Ok(Kernel {
        order,
        lags,
        shape,
        values,
        stderr,
        mean: sums.f.mean(),
        mean_stderr: sums.f.stderr(),
        n_paths: sums.f.count,
    })
}

/// Partial sums over `blocks` of the first-order kernel `(n_bins, p, m)`, each bin the
/// average of `bin_width` lags.
pub(crate) fn girsanov_k1_partial(
    model: &Srnn,
    s: &EnsembleSettings,
    bin_width: usize,
    blocks: Range<usize>,
    progress: &Progress,
) -> Result<BlockTree<LrSums>> {
    check_settings(model, s)?;
    let phi = weight_vectors(model)?;
    let (counts, _) = bins(s, bin_width)?;
    let (m, p, nb) = (model.m(), model.p(), counts.len());
    progress.add_total(paths_in(s, &blocks) as u64);
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
    reduce_blocks(s, blocks, progress, 5 * nb * p * m, block)
}

/// Partial sums over `blocks` of the second-order kernel `(n_bins, n_bins, p, m, m)` with
/// products of weights, centred by their expectation (the diagonal correction
/// `δ_{j1 j2} φ_kᵀφ_l / dt`, averaged over bins).
pub(crate) fn girsanov_k2_partial(
    model: &Srnn,
    s: &EnsembleSettings,
    bin_width: usize,
    blocks: Range<usize>,
    progress: &Progress,
) -> Result<BlockTree<LrSums>> {
    check_settings(model, s)?;
    let phi = weight_vectors(model)?;
    let gram = phi.t().dot(&phi);
    let (counts, _) = bins(s, bin_width)?;
    let (m, p, nb) = (model.m(), model.p(), counts.len());
    let dt = s.dt;
    progress.add_total(paths_in(s, &blocks) as u64);
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
    reduce_blocks(s, blocks, progress, 5 * nb * nb * p * m * m, block)
}
