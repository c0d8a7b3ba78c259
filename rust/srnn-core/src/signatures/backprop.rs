//! Vector-Jacobian product of the signature with respect to the path points.
//!
//! With `S_{t+1} = S_t ⊗ E_t`, `E_t = exp(Δ_t)`, the backward sweep recovers each prefix
//! signature from the next one (`S_t = S_{t+1} ⊗ exp(-Δ_t)`, as signatory does) instead of
//! storing all of them, so memory stays `O(S)` per path.

use rayon::prelude::*;

use super::path::PathSpec;
use super::signature::{chunk_starts, chunk_totals, n_rows, split_inside, SigOptions, CHUNK};
use super::step::{run_segments, scratch_len};
use super::tensor::{mul_into, permute, Layout};
use crate::progress::Progress;
use crate::{Error, Result};

/// Buffers of [`horner_back`], full layout: the forward step's Horner partial sums of one
/// level and their cotangents.
struct HornerScratch {
    partial: Vec<f64>,
    partial_bar: Vec<f64>,
    /// Four interleaved accumulators per letter, so the sum over words is not one long
    /// chain of dependent additions.
    z_acc: Vec<f64>,
}

impl HornerScratch {
    fn new(lay: &Layout) -> Self {
        HornerScratch {
            partial: vec![0.0; lay.full_len()],
            partial_bar: vec![0.0; lay.full_len()],
            z_acc: vec![0.0; 4 * lay.d],
        }
    }
}

/// One backward step through `S' = S ⊗ exp(z)`, given `g = ∂L/∂S'`: writes `∂L/∂S` into
/// `g_prev` and adds `∂L/∂z` into `g_z`.
///
/// It is reverse mode of the forward step's Horner scheme, level by level,
/// `S'_k = S_k + (…((S_0 z/k + S_1) ⊗ z/(k−1) + S_2) ⊗ … + S_{k−1}) ⊗ z/1`, which costs a few
/// forward steps; differentiating `S ⊗ exp(z)` as a product of two full tensors costs `depth`
/// times more, in short dependent sums.
fn horner_back(
    lay: &Layout,
    s: &[f64],
    z: &[f64],
    g: &[f64],
    g_prev: &mut [f64],
    g_z: &mut [f64],
    scratch: &mut HornerScratch,
) {
    let d = lay.d;
    g_prev.copy_from_slice(g);
    let HornerScratch {
        partial,
        partial_bar,
        z_acc,
    } = scratch;
    for k in 1..=lay.depth {
        // Forward: `partial` level i holds X_i = T_i + S_i, the factor of `⊗ z/(k−i)`.
        let x1 = &mut partial[lay.off[1]..lay.off[2]];
        let first = s[0] / k as f64;
        for ((x, &zc), &sc) in x1.iter_mut().zip(z).zip(lay.level(s, 1)) {
            *x = first * zc + sc;
        }
        for i in 1..k - 1 {
            let inv = 1.0 / (k - i) as f64;
            let (lo, hi) = partial.split_at_mut(lay.off[i + 1]);
            let xi = &lo[lay.off[i]..];
            let next = &mut hi[..lay.pow[i + 1]];
            let si = lay.level(s, i + 1);
            for ((row, srow), &xu) in next.chunks_exact_mut(d).zip(si.chunks_exact(d)).zip(xi) {
                let scaled = xu * inv;
                for ((o, &zc), &sv) in row.iter_mut().zip(z).zip(srow) {
                    *o = scaled * zc + sv;
                }
            }
        }
        // Backward from `∂L/∂T_k = g_k` down to level 1.
        for i in (1..k).rev() {
            let inv = 1.0 / (k - i) as f64;
            let (lo, hi) = partial_bar.split_at_mut(lay.off[i + 1]);
            let t_bar = if i + 1 == k {
                lay.level(g, k)
            } else {
                &hi[..lay.pow[i + 1]]
            };
            let x_bar = &mut lo[lay.off[i]..];
            let xi = lay.level(partial, i);
            z_acc.fill(0.0);
            for (u, ((xb, &xu), row)) in x_bar
                .iter_mut()
                .zip(xi)
                .zip(t_bar.chunks_exact(d))
                .enumerate()
            {
                let acc = &mut z_acc[(u & 3) * d..(u & 3) * d + d];
                let mut dot = 0.0;
                for ((a, &tv), &zc) in acc.iter_mut().zip(row).zip(z) {
                    dot += tv * zc;
                    *a += xu * tv;
                }
                *xb = dot * inv;
            }
            for (c, gz) in g_z.iter_mut().enumerate() {
                *gz += inv * (z_acc[c] + z_acc[d + c] + z_acc[2 * d + c] + z_acc[3 * d + c]);
            }
            for (gp, &xb) in g_prev[lay.off[i]..lay.off[i + 1]]
                .iter_mut()
                .zip(&lo[lay.off[i]..])
            {
                *gp += xb;
            }
        }
        // T_1 = S_0 z / k.
        let inv = 1.0 / k as f64;
        let t1_bar = if k == 1 {
            lay.level(g, 1)
        } else {
            &partial_bar[lay.off[1]..lay.off[2]]
        };
        let mut dot = 0.0;
        for ((gz, &tb), &zc) in g_z.iter_mut().zip(t1_bar).zip(z) {
            *gz += s[0] * tb * inv;
            dot += tb * zc;
        }
        g_prev[0] += dot * inv;
    }
}

/// Gradient of `Σ_k <grad_k, out_k>` with respect to every raw point (`batch * len * d`
/// values), where `out_k` are the rows [`signature`](super::signature::signature) returns for
/// the same `spec`, `initial` and `opts`. `grads` holds `batch * rows` vectors of `S` (or
/// `S + 1` with `scalar_term`) values; `initial` (full layout, `1` or `batch` tensors) is a
/// constant.
///
/// Every option reduces to one recursion `U_k = U_{k-1} ⊗ exp(w_k)`: forward,
/// `U_0 = initial`, `w = Δ` and `out_k = U_k`; inverse, `out_k = S_k^{-1} ⊗ initial` is the
/// word reversal of `U_k` with `U_0 = rev(initial)` and `w = -Δ` (reversal turns the left
/// products of the inverse into right products), so its cotangents are reversed too.
#[allow(clippy::too_many_arguments)]
pub fn signature_backprop(
    grads: &[f64],
    paths: &[f64],
    batch: usize,
    len: usize,
    spec: &PathSpec,
    initial: Option<&[f64]>,
    opts: &SigOptions,
    progress: &Progress,
) -> Result<Vec<f64>> {
    let d = spec.d;
    let depth = opts.depth;
    super::check_dims(d, depth)?;
    spec.check(batch)?;
    let de = spec.d_out();
    super::check_dims(de, depth)?;
    if paths.len() != batch * len * d {
        return Err(Error::invalid(
            "path",
            format!("expected {} values, got {}", batch * len * d, paths.len()),
        ));
    }
    let lay = Layout::new(de, depth);
    let full = lay.full_len();
    let width = if opts.scalar_term { full } else { full - 1 };
    let rows = n_rows(spec, len, opts.stream);
    if grads.len() != batch * rows * width {
        return Err(Error::invalid(
            "grad",
            format!(
                "expected {} values, got {}",
                batch * rows * width,
                grads.len()
            ),
        ));
    }
    if let Some(init) = initial {
        if init.len() != full && init.len() != batch * full {
            return Err(Error::invalid(
                "initial",
                format!(
                    "expected {} or {} values, got {}",
                    full,
                    batch * full,
                    init.len()
                ),
            ));
        }
    }
    let perm = lay.reversal_perm();
    let mut out = crate::memory::zeros("the path gradient", batch * len * d)?;
    if len * d == 0 {
        return Ok(out);
    }
    // Cotangent of `U_k` from row `k` of the output, added into `g`.
    let add_row = |row: &[f64], g: &mut [f64]| {
        let skip = full - width;
        if opts.inverse {
            for (i, &p) in perm.iter().enumerate().skip(skip) {
                g[p as usize] += row[i - skip];
            }
        } else {
            for (o, &v) in g[skip..].iter_mut().zip(row) {
                *o += v;
            }
        }
    };
    let sweep = Sweep {
        lay: &lay,
        perm: &perm,
        width,
        stream: opts.stream,
        add_row: &add_row,
    };
    let split = !opts.stream && spec.n_points(len).saturating_sub(1) > CHUNK && split_inside(batch);
    out.par_chunks_mut(len * d)
        .enumerate()
        .try_for_each(|(b, dst)| -> Result<()> {
            progress.checkpoint()?;
            let raw = &paths[b * len * d..(b + 1) * len * d];
            let mut pts = Vec::new();
            let mut incs = Vec::new();
            spec.increments(raw, b, opts.inverse, &mut pts, &mut incs);
            let n_seg = incs.len() / de;
            let n_pts = spec.n_points(len);
            // r = rev(U_t), evolved forward to t = n then backward.
            let r = match initial {
                None => lay.identity(),
                Some(init) => {
                    let x = if init.len() == full {
                        init
                    } else {
                        &init[b * full..(b + 1) * full]
                    };
                    if opts.inverse {
                        x.to_vec()
                    } else {
                        let mut r = vec![0.0; full];
                        permute(x, &perm, &mut r);
                        r
                    }
                }
            };
            let gb = &grads[b * rows * width..(b + 1) * rows * width];
            let mut g_inc = vec![0.0; incs.len()];
            if opts.stream || n_seg <= CHUNK {
                let mut g = vec![0.0; full];
                if !opts.stream {
                    add_row(gb, &mut g);
                }
                sweep.run(r, &incs, g, gb, &mut g_inc, progress)?;
            } else {
                sweep.chunked(r, &incs, gb, &mut g_inc, split, progress)?;
            }
            // Points: ∂L/∂P_i = ∂L/∂Δ_{i-1} - ∂L/∂Δ_i, with Δ = ±w.
            let sign = if opts.inverse { -1.0 } else { 1.0 };
            let mut g_pts = vec![0.0; n_pts * de];
            for t in 0..n_seg {
                for c in 0..de {
                    let v = sign * g_inc[t * de + c];
                    g_pts[(t + 1) * de + c] += v;
                    g_pts[t * de + c] -= v;
                }
            }
            spec.points_adjoint(&g_pts, len, dst);
            progress.advance(1);
            Ok(())
        })?;
    Ok(out)
}

/// The backward sweep of one path, or of one chunk of it.
struct Sweep<'a, F: Fn(&[f64], &mut [f64])> {
    lay: &'a Layout,
    perm: &'a [u32],
    width: usize,
    stream: bool,
    /// Adds an output row's cotangent into that of `U_k`.
    add_row: &'a F,
}

impl<F: Fn(&[f64], &mut [f64]) + Sync> Sweep<'_, F> {
    /// Cotangents `g_inc` of the increments `incs` from `r = rev(U)` at their start and the
    /// cotangent `g` of `U` at their end (plus, streaming, the rows `gb`, one per segment).
    fn run(
        &self,
        mut r: Vec<f64>,
        incs: &[f64],
        mut g: Vec<f64>,
        gb: &[f64],
        g_inc: &mut [f64],
        progress: &Progress,
    ) -> Result<()> {
        let (lay, full, de) = (self.lay, self.lay.full_len(), self.lay.d);
        let n_seg = incs.len() / de;
        let mut buf = vec![0.0; scratch_len(lay)];
        run_segments(lay, &mut r, incs, &mut buf, progress)?;
        let (mut s, mut g_prev) = (vec![0.0; full], vec![0.0; full]);
        let mut horner = HornerScratch::new(lay);
        let mut neg = vec![0.0; de];
        let width = self.width;
        for t in (0..n_seg).rev() {
            if self.stream {
                (self.add_row)(&gb[t * width..(t + 1) * width], &mut g);
            }
            let z = &incs[t * de..(t + 1) * de];
            neg.iter_mut().zip(z).for_each(|(n, &v)| *n = -v);
            run_segments(lay, &mut r, &neg, &mut buf, progress)?;
            permute(&r, self.perm, &mut s);
            let g_z = &mut g_inc[t * de..(t + 1) * de];
            horner_back(lay, &s, z, &g, &mut g_prev, g_z, &mut horner);
            std::mem::swap(&mut g, &mut g_prev);
        }
        Ok(())
    }

    /// [`Self::run`] of a long path without streaming, cut into the chunks the forward pass
    /// joins by Chen's identity: with `U_n = U_k ⊗ Q_k`, `Q_k` the product of the chunks
    /// after `k`, the cotangent of `U_k` is `G` contracted on the right with `Q_k`, so each
    /// chunk sweeps on its own (in parallel when `parallel`) from its start tensor.
    fn chunked(
        &self,
        r: Vec<f64>,
        incs: &[f64],
        gb: &[f64],
        g_inc: &mut [f64],
        parallel: bool,
        progress: &Progress,
    ) -> Result<()> {
        let (lay, full, de) = (self.lay, self.lay.full_len(), self.lay.d);
        let chunks: Vec<&[f64]> = incs.chunks(CHUNK * de).collect();
        let totals = chunk_totals(lay, &chunks, parallel, progress)?;
        let starts = chunk_starts(lay, &r, &totals[..totals.len() - 1]);
        let mut g_end = vec![0.0; full];
        (self.add_row)(gb, &mut g_end);
        // Terminal cotangents from the last chunk back: suffix products in natural order.
        let mut terminal = vec![g_end.clone()];
        let mut suffix = lay.identity();
        let (mut natural, mut product) = (vec![0.0; full], vec![0.0; full]);
        for total in totals[1..].iter().rev() {
            permute(total, self.perm, &mut natural);
            mul_into(lay, &natural, &suffix, &mut product);
            std::mem::swap(&mut suffix, &mut product);
            terminal.push(contract_right(lay, &g_end, &suffix));
        }
        terminal.reverse();
        type Piece<'a> = (((&'a [f64], &'a mut [f64]), Vec<f64>), Vec<f64>);
        let pieces: Vec<Piece> = chunks
            .into_iter()
            .zip(g_inc.chunks_mut(CHUNK * de))
            .zip(starts)
            .zip(terminal)
            .collect();
        let work = |(((z, gi), start), g): Piece| self.run(start, z, g, &[], gi, progress);
        if parallel {
            pieces.into_par_iter().try_for_each(work)
        } else {
            pieces.into_iter().try_for_each(work)
        }
    }
}

/// `out[u] = Σ_v g[u·v] q[v]` over words with `|u| + |v| <= depth`: the cotangent of `x`
/// in `<g, x ⊗ q>`.
fn contract_right(lay: &Layout, g: &[f64], q: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; lay.full_len()];
    for j in 0..=lay.depth {
        for l in 0..=(lay.depth - j) {
            let gk = lay.level(g, j + l);
            let ql = lay.level(q, l);
            let nl = ql.len();
            for (u, o) in out[lay.off[j]..lay.off[j + 1]].iter_mut().enumerate() {
                let row = &gk[u * nl..(u + 1) * nl];
                *o += row.iter().zip(ql).map(|(a, b)| a * b).sum::<f64>();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::signature::signature;
    use super::*;

    #[test]
    fn matches_finite_differences() {
        let (d, depth, len) = (2, 4, 5);
        let p: Vec<f64> = (0..len * d).map(|i| (i as f64 * 1.7).sin()).collect();
        let spec = PathSpec::plain(d);
        let opts = SigOptions {
            depth,
            stream: false,
            inverse: false,
            scalar_term: false,
        };
        let s0 = signature(&p, 1, len, &spec, None, &opts, &Progress::new()).unwrap();
        let w: Vec<f64> = (0..s0.len()).map(|i| (i as f64 * 0.3).cos()).collect();
        let g = signature_backprop(&w, &p, 1, len, &spec, None, &opts, &Progress::new()).unwrap();
        let f = |q: &[f64]| -> f64 {
            let s = signature(q, 1, len, &spec, None, &opts, &Progress::new()).unwrap();
            s.iter().zip(&w).map(|(a, b)| a * b).sum()
        };
        for i in 0..p.len() {
            let h = 1e-6;
            let (mut a, mut b) = (p.clone(), p.clone());
            a[i] += h;
            b[i] -= h;
            let fd = (f(&a) - f(&b)) / (2.0 * h);
            assert!(
                (fd - g[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                "{i}: {fd} vs {}",
                g[i]
            );
        }
    }

    #[test]
    fn stream_with_initial_matches_finite_differences() {
        let (d, depth, len) = (2, 3, 4);
        let p: Vec<f64> = (0..len * d).map(|i| (i as f64 * 0.9).cos()).collect();
        let spec = PathSpec::plain(d);
        let lay = Layout::new(d, depth);
        let init: Vec<f64> = (0..lay.full_len())
            .map(|i| if i == 0 { 0.8 } else { (i as f64 * 0.4).sin() })
            .collect();
        for inverse in [false, true] {
            let opts = SigOptions {
                depth,
                stream: true,
                inverse,
                scalar_term: true,
            };
            let sig = |q: &[f64]| {
                signature(q, 1, len, &spec, Some(&init), &opts, &Progress::new()).unwrap()
            };
            let w: Vec<f64> = (0..sig(&p).len()).map(|i| (i as f64 * 0.7).sin()).collect();
            let g = signature_backprop(&w, &p, 1, len, &spec, Some(&init), &opts, &Progress::new())
                .unwrap();
            let f = |q: &[f64]| -> f64 { sig(q).iter().zip(&w).map(|(a, b)| a * b).sum() };
            for i in 0..p.len() {
                let h = 1e-6;
                let (mut a, mut b) = (p.clone(), p.clone());
                a[i] += h;
                b[i] -= h;
                let fd = (f(&a) - f(&b)) / (2.0 * h);
                assert!(
                    (fd - g[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                    "inverse {inverse}, {i}: {fd} vs {}",
                    g[i]
                );
            }
        }
    }
}
