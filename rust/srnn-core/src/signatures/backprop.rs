//! Vector-Jacobian product of the signature with respect to the path points.
//!
//! With `S_{t+1} = S_t ⊗ E_t`, `E_t = exp(Δ_t)`, the backward sweep recovers each prefix
//! signature from the next one (`S_t = S_{t+1} ⊗ exp(-Δ_t)`, as signatory does) instead of
//! storing all of them, so memory stays `O(S)` per path.

use rayon::prelude::*;

use super::path::PathSpec;
use super::signature::{n_rows, SigOptions};
use super::step::{run_segments, scratch_len};
use super::tensor::{permute, Layout};
use crate::progress::Progress;
use crate::{Error, Result};

/// `E = exp(z)` in the full layout, level by level (`E_k = E_{k-1} ⊗ z / k`).
fn exp_of_vector(lay: &Layout, z: &[f64], e: &mut [f64]) {
    let d = lay.d;
    e[0] = 1.0;
    for k in 1..=lay.depth {
        let inv = 1.0 / k as f64;
        let (lo, hi) = e.split_at_mut(lay.off[k]);
        let prev = &lo[lay.off[k - 1]..];
        let cur = &mut hi[..lay.pow[k]];
        for (u, &p) in prev.iter().enumerate() {
            for c in 0..d {
                cur[u * d + c] = p * z[c] * inv;
            }
        }
    }
}

/// One backward step through `S_{t+1} = S_t ⊗ E`: given `g = ∂L/∂S_{t+1}`, writes
/// `∂L/∂S_t` into `g_prev` and `∂L/∂E` into `g_e` (both full layout).
fn step_back(lay: &Layout, s: &[f64], e: &[f64], g: &[f64], g_prev: &mut [f64], g_e: &mut [f64]) {
    let n = lay.depth;
    g_prev.fill(0.0);
    g_e.fill(0.0);
    for m in 0..=n {
        for l in 0..=(n - m) {
            // (S ⊗ E)[m + l] at word u·v, u of length m, v of length l.
            let gl = lay.level(g, m + l);
            let sm = lay.level(s, m);
            let el = lay.level(e, l);
            let nl = el.len();
            for (u, &su) in sm.iter().enumerate() {
                let row = &gl[u * nl..(u + 1) * nl];
                let mut acc = 0.0;
                let ge = &mut g_e[lay.off[l]..lay.off[l + 1]];
                for ((&gv, &ev), o) in row.iter().zip(el).zip(ge.iter_mut()) {
                    acc += gv * ev;
                    *o += su * gv;
                }
                g_prev[lay.off[m] + u] += acc;
            }
        }
    }
}

/// `∂L/∂z` from `∂L/∂exp(z)`, through `E_k = E_{k-1} ⊗ z / k` from the top level down.
fn exp_back(lay: &Layout, z: &[f64], e: &[f64], g_e: &mut [f64], g_z: &mut [f64]) {
    let d = lay.d;
    g_z.fill(0.0);
    for k in (1..=lay.depth).rev() {
        let inv = 1.0 / k as f64;
        let (lo, hi) = g_e.split_at_mut(lay.off[k]);
        let gk = &hi[..lay.pow[k]];
        let g_prev = &mut lo[lay.off[k - 1]..];
        let e_prev = lay.level(e, k - 1);
        for (u, &ep) in e_prev.iter().enumerate() {
            let mut acc = 0.0;
            for c in 0..d {
                let g = gk[u * d + c];
                g_z[c] += ep * g * inv;
                acc += g * z[c];
            }
            g_prev[u] += acc * inv;
        }
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
            let mut buf = vec![0.0; scratch_len(&lay)];
            // r = rev(U_t), evolved forward to t = n then backward.
            let mut r = match initial {
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
            run_segments(&lay, &mut r, &incs, &mut buf, progress)?;
            let gb = &grads[b * rows * width..(b + 1) * rows * width];
            let mut g = vec![0.0; full];
            if !opts.stream {
                add_row(gb, &mut g);
            }
            let (mut s, mut e, mut g_prev, mut g_e) = (
                vec![0.0; full],
                vec![0.0; full],
                vec![0.0; full],
                vec![0.0; full],
            );
            let mut g_inc = vec![0.0; incs.len()];
            let mut neg = vec![0.0; de];
            for t in (0..n_seg).rev() {
                if opts.stream {
                    add_row(&gb[t * width..(t + 1) * width], &mut g);
                }
                let z = &incs[t * de..(t + 1) * de];
                neg.iter_mut().zip(z).for_each(|(n, &v)| *n = -v);
                run_segments(&lay, &mut r, &neg, &mut buf, progress)?;
                permute(&r, &perm, &mut s);
                exp_of_vector(&lay, z, &mut e);
                step_back(&lay, &s, &e, &g, &mut g_prev, &mut g_e);
                exp_back(&lay, z, &e, &mut g_e, &mut g_inc[t * de..(t + 1) * de]);
                std::mem::swap(&mut g, &mut g_prev);
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
