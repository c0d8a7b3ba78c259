//! Pathwise (adjoint) first-order kernel: along each unperturbed stationary path,
//! `λ_N = ∇f(h_N)`, `λ_j = λ_{j+1} (I + dt Db(h_j))` with `Db(h) = −Γ + diag(a′(W h + b)) W`,
//! and `K1[i] ≈ mean(λ_{N−i} C)`. One backward sweep per path gives every lag and channel;
//! the per-path values are the exact derivatives of the simulated `y_N`, so the variance is
//! only that of the derivative across paths.

use super::ensemble::{check_settings, readout, readout_gradient, reduce_blocks, run_from};
use super::ensemble::{stationary_start, Moments};
use super::{EnsembleSettings, Kernel};
use crate::model::{Gamma, Srnn};
use crate::progress::Progress;
use crate::simulation::{Input, Record};
use crate::vmath::madd;
use crate::Result;

/// `out[r, :] (+)= Σ_j x[r, j] · mat[j, :]` with `mat` `(k, cols)` row-major.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn rows_times<const FMA: bool>(
    x: &[f64],
    rows: usize,
    k: usize,
    mat: &[f64],
    cols: usize,
    out: &mut [f64],
    accumulate: bool,
) {
    for r in 0..rows {
        let o = &mut out[r * cols..(r + 1) * cols];
        if !accumulate {
            o.fill(0.0);
        }
        for j in 0..k {
            let xv = x[r * k + j];
            let row = &mat[j * cols..(j + 1) * cols];
            for (ov, &mv) in o.iter_mut().zip(row) {
                *ov = madd::<FMA>(xv, mv, *ov);
            }
        }
    }
}

/// The model in the layouts the sweep wants.
struct Layout {
    n: usize,
    m: usize,
    p: usize,
    dt: f64,
    w: Vec<f64>,
    w_t: Vec<f64>,
    bias: Vec<f64>,
    c: Vec<f64>,
    /// `I − dt Γ`: the diagonal, or the full matrix row-major.
    decay_diag: Option<Vec<f64>>,
    decay_full: Vec<f64>,
    activation: crate::model::Activation,
}

impl Layout {
    fn new(model: &Srnn, dt: f64) -> Self {
        let n = model.n();
        let (decay_diag, decay_full) = match &model.gamma {
            Gamma::Scalar(g) => (Some(vec![1.0 - dt * g; n]), Vec::new()),
            Gamma::Diagonal(g) => (Some(g.iter().map(|v| 1.0 - dt * v).collect()), Vec::new()),
            Gamma::Full(g) => {
                let d = ndarray::Array2::<f64>::eye(n) - g * dt;
                (None, d.iter().copied().collect())
            }
        };
        Layout {
            n,
            m: model.m(),
            p: model.p(),
            dt,
            w: model.w.iter().copied().collect(),
            w_t: model.w.t().iter().copied().collect(),
            bias: model.b.to_vec(),
            c: model.c.iter().copied().collect(),
            decay_diag,
            decay_full,
            activation: model.activation,
        }
    }
}

struct Scratch {
    lam: Vec<f64>,
    next: Vec<f64>,
    hj: Vec<f64>,
    pre: Vec<f64>,
    kv: Vec<f64>,
}

/// The backward sweep of one block. `states` is `(rows, N + 1, n)`, `lam` holds `λ_N` of
/// every path (`(rows·p, n)`); adds each path's `λ_{N−i} C` to `sum`/`sumsq` (`(L, p, m)`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn sweep<const FMA: bool>(
    lay: &Layout,
    states: &[f64],
    rows: usize,
    n_lags: usize,
    s: &mut Scratch,
    shift: &mut [f64],
    sum: &mut [f64],
    sumsq: &mut [f64],
) {
    let (n, m, p) = (lay.n, lay.m, lay.p);
    let n_steps = n_lags;
    let pm = p * m;
    for i in 0..n_lags {
        rows_times::<FMA>(&s.lam, rows * p, n, &lay.c, m, &mut s.kv, false);
        let (si, qi) = (
            &mut sum[i * pm..(i + 1) * pm],
            &mut sumsq[i * pm..(i + 1) * pm],
        );
        let ci = &mut shift[i * pm..(i + 1) * pm];
        ci.copy_from_slice(&s.kv[..pm]);
        for b in 0..rows {
            for (((sv, qv), &v), &c) in si
                .iter_mut()
                .zip(qi.iter_mut())
                .zip(&s.kv[b * pm..])
                .zip(ci.iter())
            {
                let d = v - c;
                *sv += d;
                *qv = madd::<FMA>(d, d, *qv);
            }
        }
        if i + 1 == n_lags {
            break;
        }
        let j = n_steps - 1 - i;
        for b in 0..rows {
            let src = (b * (n_steps + 1) + j) * n;
            s.hj[b * n..(b + 1) * n].copy_from_slice(&states[src..src + n]);
        }
        rows_times::<FMA>(&s.hj, rows, n, &lay.w_t, n, &mut s.pre, false);
        for b in 0..rows {
            let pre = &mut s.pre[b * n..(b + 1) * n];
            for (v, &bias) in pre.iter_mut().zip(&lay.bias) {
                *v = lay.activation.first_derivative::<FMA>(*v + bias);
            }
        }
        // next = λ (I − dt Γ) + dt (λ diag(a′)) W
        match &lay.decay_diag {
            Some(d) => {
                for (row_next, row) in s.next.chunks_exact_mut(n).zip(s.lam.chunks_exact(n)) {
                    for ((x, &l), &dv) in row_next.iter_mut().zip(row).zip(d) {
                        *x = l * dv;
                    }
                }
            }
            None => rows_times::<FMA>(&s.lam, rows * p, n, &lay.decay_full, n, &mut s.next, false),
        }
        for b in 0..rows {
            let slope = &s.pre[b * n..(b + 1) * n];
            for o in 0..p {
                let row = &mut s.lam[(b * p + o) * n..(b * p + o + 1) * n];
                for (l, &a) in row.iter_mut().zip(slope) {
                    *l *= a * lay.dt;
                }
            }
        }
        rows_times::<FMA>(&s.lam, rows * p, n, &lay.w, n, &mut s.next, true);
        std::mem::swap(&mut s.lam, &mut s.next);
    }
}

/// First-order kernel by the adjoint sweep; `(L, p, m)`, with the readout mean at `t_N`.
pub fn adjoint_k1(model: &Srnn, s: &EnsembleSettings, progress: &Progress) -> Result<Kernel> {
    check_settings(model, s)?;
    let lay = Layout::new(model, s.dt);
    let (n, m, p, l) = (lay.n, lay.m, lay.p, s.n_lags);
    progress.add_total(s.n_paths as u64);
    let block = |first: usize, rows: usize| -> Result<(Moments, Moments)> {
        let h0 = stationary_start(model, s, first, rows)?;
        let states = run_from(model, s, first, &h0, l, Input::Zero, Record::State)?;
        let mut scratch = Scratch {
            lam: vec![0.0; rows * p * n],
            next: vec![0.0; rows * p * n],
            hj: vec![0.0; rows * n],
            pre: vec![0.0; rows * n],
            kv: vec![0.0; rows * p * m],
        };
        let mut mean = Moments::new(p);
        let mut y = vec![0.0; p];
        for b in 0..rows {
            let h_n = &states[(b * (l + 1) + l) * n..(b * (l + 1) + l + 1) * n];
            readout_gradient(model, h_n, &mut scratch.lam[b * p * n..(b + 1) * p * n]);
            readout(model, h_n, &mut y);
            mean.push(&y);
        }
        let mut k = Moments::new(l * p * m);
        let (lay, states, sc): (&Layout, &[f64], &mut Scratch) = (&lay, &states, &mut scratch);
        let (shift, sum, sumsq): (&mut [f64], &mut [f64], &mut [f64]) =
            (&mut k.shift, &mut k.sum, &mut k.sumsq);
        crate::dispatch!(
            fn run(
                lay: &Layout,
                states: &[f64],
                rows: usize,
                l: usize,
                sc: &mut Scratch,
                shift: &mut [f64],
                sum: &mut [f64],
                sumsq: &mut [f64],
            ) -> () {
                sweep::<FMA>(lay, states, rows, l, sc, shift, sum, sumsq)
            }
        );
        k.count = rows;
        progress.advance(rows as u64);
        Ok((k, mean))
    };
    let (k, mean) = reduce_blocks(s, progress, block, |acc, part| {
        acc.0.merge(&part.0);
        acc.1.merge(&part.1);
    })?;
    Ok(Kernel::from_moments(
        1,
        s.lags(),
        vec![l, p, m],
        &k,
        Some(&mean),
    ))
}
