//! Pathwise (adjoint) first-order kernel: along each unperturbed stationary path,
//! `λ_N = ∇f(h_N)`, `λ_j = λ_{j+1} (I + dt Db(h_j))` with `Db(h) = −Γ + diag(a′(W h + b)) W`,
//! and `K1[i] ≈ mean(λ_{N−i} C)`. One backward sweep per path gives every lag and channel;
//! the per-path values are the exact derivatives of the simulated `y_N`, so the variance is
//! only that of the derivative across paths. With multiplicative noise
//! `Σ(h) = diag(σ_add + σ_mult ⊙ h)` the pathwise Jacobian of a step also carries
//! `diag(σ_mult √dt z_j)`, computed from the very normals the simulator drew.

use super::ensemble::{check_settings, kernel_from_blocks, readout, readout_gradient};
use super::ensemble::{stationary_run, Moments};
use super::{EnsembleSettings, Kernel};
use crate::model::{Gamma, Noise, Srnn};
use crate::progress::Progress;
use crate::rng::{fill_normals, normals_row_len, Stream};
use crate::simulation::Record;
use crate::vmath::madd;
use crate::Result;

/// `out[r, :] (+)= Σ_j x[r, j] · mat[j, :]` with `mat` `(k, cols)` row-major. Tiles of
/// `PT` rows × `OC` columns are accumulated in registers over the whole `j` loop (a plain
/// loop would load and store the output row once per `j`).
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
    let mut c0 = 0;
    while c0 + 32 <= cols {
        let mut r = 0;
        while r + 4 <= rows {
            tile4x32::<FMA>(x, r, k, mat, cols, out, accumulate, c0);
            r += 4;
        }
        while r < rows {
            tile::<FMA, 32, 1>(x, r, k, mat, cols, out, accumulate, c0);
            r += 1;
        }
        c0 += 32;
    }
    while c0 + 32 <= cols {
        tiles::<FMA, 32>(x, rows, k, mat, cols, out, accumulate, c0);
        c0 += 32;
    }
    while c0 + 8 <= cols {
        tiles::<FMA, 8>(x, rows, k, mat, cols, out, accumulate, c0);
        c0 += 8;
    }
    while c0 < cols {
        tiles::<FMA, 1>(x, rows, k, mat, cols, out, accumulate, c0);
        c0 += 1;
    }
}

#[inline(always)]
fn fma8<const FMA: bool>(x: f64, w: &[f64; 8], acc: &mut [f64; 8]) {
    for o in 0..8 {
        acc[o] = madd::<FMA>(x, w[o], acc[o]);
    }
}

/// `out[r0..r0+4, c0..c0+32] (+)= x[r0..r0+4, :] · mat[:, c0..c0+32]`, written with sixteen
/// separate 8-lane accumulators: LLVM keeps each in a vector register, where it spills a
/// single `[[f64; 32]; 4]` array to the stack on every iteration.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tile4x32<const FMA: bool>(
    x: &[f64],
    r0: usize,
    k: usize,
    mat: &[f64],
    cols: usize,
    out: &mut [f64],
    accumulate: bool,
    c0: usize,
) {
    let init = |out: &[f64], p: usize, q: usize| -> [f64; 8] {
        if accumulate {
            out[(r0 + p) * cols + c0 + 8 * q..(r0 + p) * cols + c0 + 8 * q + 8]
                .try_into()
                .unwrap()
        } else {
            [0.0; 8]
        }
    };
    let (mut a00, mut a01, mut a02, mut a03) = (
        init(out, 0, 0),
        init(out, 0, 1),
        init(out, 0, 2),
        init(out, 0, 3),
    );
    let (mut a10, mut a11, mut a12, mut a13) = (
        init(out, 1, 0),
        init(out, 1, 1),
        init(out, 1, 2),
        init(out, 1, 3),
    );
    let (mut a20, mut a21, mut a22, mut a23) = (
        init(out, 2, 0),
        init(out, 2, 1),
        init(out, 2, 2),
        init(out, 2, 3),
    );
    let (mut a30, mut a31, mut a32, mut a33) = (
        init(out, 3, 0),
        init(out, 3, 1),
        init(out, 3, 2),
        init(out, 3, 3),
    );
    let (x0r, x1r) = (&x[r0 * k..(r0 + 1) * k], &x[(r0 + 1) * k..(r0 + 2) * k]);
    let (x2r, x3r) = (
        &x[(r0 + 2) * k..(r0 + 3) * k],
        &x[(r0 + 3) * k..(r0 + 4) * k],
    );
    for j in 0..k {
        let w: &[f64; 32] = mat[j * cols + c0..j * cols + c0 + 32].try_into().unwrap();
        let w0: &[f64; 8] = w[0..8].try_into().unwrap();
        let w1: &[f64; 8] = w[8..16].try_into().unwrap();
        let w2: &[f64; 8] = w[16..24].try_into().unwrap();
        let w3: &[f64; 8] = w[24..32].try_into().unwrap();
        let (x0, x1, x2, x3) = (x0r[j], x1r[j], x2r[j], x3r[j]);
        fma8::<FMA>(x0, w0, &mut a00);
        fma8::<FMA>(x0, w1, &mut a01);
        fma8::<FMA>(x0, w2, &mut a02);
        fma8::<FMA>(x0, w3, &mut a03);
        fma8::<FMA>(x1, w0, &mut a10);
        fma8::<FMA>(x1, w1, &mut a11);
        fma8::<FMA>(x1, w2, &mut a12);
        fma8::<FMA>(x1, w3, &mut a13);
        fma8::<FMA>(x2, w0, &mut a20);
        fma8::<FMA>(x2, w1, &mut a21);
        fma8::<FMA>(x2, w2, &mut a22);
        fma8::<FMA>(x2, w3, &mut a23);
        fma8::<FMA>(x3, w0, &mut a30);
        fma8::<FMA>(x3, w1, &mut a31);
        fma8::<FMA>(x3, w2, &mut a32);
        fma8::<FMA>(x3, w3, &mut a33);
    }
    for (p, regs) in [
        [a00, a01, a02, a03],
        [a10, a11, a12, a13],
        [a20, a21, a22, a23],
        [a30, a31, a32, a33],
    ]
    .iter()
    .enumerate()
    {
        for (q, v) in regs.iter().enumerate() {
            let at = (r0 + p) * cols + c0 + 8 * q;
            out[at..at + 8].copy_from_slice(v);
        }
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tiles<const FMA: bool, const OC: usize>(
    x: &[f64],
    rows: usize,
    k: usize,
    mat: &[f64],
    cols: usize,
    out: &mut [f64],
    accumulate: bool,
    c0: usize,
) {
    let mut r = 0;
    while r + 4 <= rows {
        tile::<FMA, OC, 4>(x, r, k, mat, cols, out, accumulate, c0);
        r += 4;
    }
    while r < rows {
        tile::<FMA, OC, 1>(x, r, k, mat, cols, out, accumulate, c0);
        r += 1;
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tile<const FMA: bool, const OC: usize, const PT: usize>(
    x: &[f64],
    r0: usize,
    k: usize,
    mat: &[f64],
    cols: usize,
    out: &mut [f64],
    accumulate: bool,
    c0: usize,
) {
    let mut acc = [[0.0f64; OC]; PT];
    if accumulate {
        for (p, a) in acc.iter_mut().enumerate() {
            a.copy_from_slice(&out[(r0 + p) * cols + c0..(r0 + p) * cols + c0 + OC]);
        }
    }
    let xr: [&[f64]; PT] = std::array::from_fn(|p| &x[(r0 + p) * k..(r0 + p + 1) * k]);
    for j in 0..k {
        let w: &[f64; OC] = mat[j * cols + c0..j * cols + c0 + OC].try_into().unwrap();
        for p in 0..PT {
            let xv = xr[p][j];
            for o in 0..OC {
                acc[p][o] = madd::<FMA>(xv, w[o], acc[p][o]);
            }
        }
    }
    for (p, a) in acc.iter().enumerate() {
        out[(r0 + p) * cols + c0..(r0 + p) * cols + c0 + OC].copy_from_slice(a);
    }
}

/// `out[r, c] = Σ_j x[r, j] · mt[c, j]` (rows of `x` against rows of `mt`, length `k`), for
/// narrow outputs: eight fixed partial sums per dot product, added in a fixed order.
#[inline(always)]
fn rows_dot<const FMA: bool>(
    x: &[f64],
    rows: usize,
    k: usize,
    mt: &[f64],
    cols: usize,
    out: &mut [f64],
) {
    let full = k / 8 * 8;
    for r in 0..rows {
        let xr = &x[r * k..(r + 1) * k];
        for c in 0..cols {
            let mr = &mt[c * k..(c + 1) * k];
            let mut lanes = [0.0f64; 8];
            for j in (0..full).step_by(8) {
                for l in 0..8 {
                    lanes[l] = madd::<FMA>(xr[j + l], mr[j + l], lanes[l]);
                }
            }
            let mut sum = ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5]))
                + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
            for j in full..k {
                sum = madd::<FMA>(xr[j], mr[j], sum);
            }
            out[r * cols + c] = sum;
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
    /// `Cᵀ`, `(m, n)`.
    c_t: Vec<f64>,
    /// `I − dt Γ`: the diagonal, or the full matrix row-major.
    decay_diag: Option<Vec<f64>>,
    decay_full: Vec<f64>,
    activation: crate::model::Activation,
    /// `σ_mult √dt` for multiplicative noise, whose pathwise Jacobian gains
    /// `diag(σ_mult √dt z_j)`.
    mult: Option<Vec<f64>>,
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
            c_t: model.c.t().iter().copied().collect(),
            decay_diag,
            decay_full,
            activation: model.activation,
            mult: match &model.noise {
                Noise::Multiplicative { mult, .. } => {
                    Some(mult.iter().map(|v| v * dt.sqrt()).collect())
                }
                _ => None,
            },
        }
    }
}

struct Scratch {
    /// Noise of the block (multiplicative noise only): seed, first global path, normals.
    seed: u64,
    first_path: u64,
    z: Vec<f64>,
    z_stride: usize,
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
        rows_dot::<FMA>(&s.lam, rows * p, n, &lay.c_t, m, &mut s.kv);
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
        if let Some(mult) = &lay.mult {
            fill_normals::<FMA>(
                s.seed,
                Stream::Main,
                s.first_path,
                rows,
                j as u32,
                n,
                &mut s.z,
                s.z_stride,
            );
            for b in 0..rows {
                let z = &s.z[b * s.z_stride..b * s.z_stride + n];
                for o in 0..p {
                    let at = (b * p + o) * n;
                    let (row_next, row) = (&mut s.next[at..at + n], &s.lam[at..at + n]);
                    for (((x, &l), &mv), &zv) in row_next.iter_mut().zip(row).zip(mult).zip(z) {
                        *x = madd::<FMA>(l, mv * zv, *x);
                    }
                }
            }
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
        let states = stationary_run(model, s, first, rows, l, Record::State)?;
        let z_stride = normals_row_len(n);
        let mut scratch = Scratch {
            seed: s.seed,
            first_path: s.first_path + first as u64,
            z: if lay.mult.is_some() {
                vec![0.0; rows * z_stride]
            } else {
                Vec::new()
            },
            z_stride,
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
        let k_ref: &mut Moments = &mut k;
        crate::dispatch!(
            fn run(
                lay: &Layout,
                states: &[f64],
                rows: usize,
                l: usize,
                sc: &mut Scratch,
                k_ref: &mut Moments,
            ) -> () {
                sweep::<FMA>(
                    lay,
                    states,
                    rows,
                    l,
                    sc,
                    &mut k_ref.shift,
                    &mut k_ref.sum,
                    &mut k_ref.sumsq,
                )
            }
        );
        k.count = rows;
        progress.advance(rows as u64);
        Ok((k, mean))
    };
    kernel_from_blocks(s, progress, 1, vec![l, p, m], block)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_paths_agree_bit_for_bit() {
        let (rows, k, cols) = (9usize, 37usize, 72usize);
        let x: Vec<f64> = (0..rows * k).map(|i| (i as f64 * 0.37).sin()).collect();
        let mat: Vec<f64> = (0..k * cols).map(|i| (i as f64 * 0.11).cos()).collect();
        let mut fast = vec![0.5; rows * cols];
        let mut plain = fast.clone();
        rows_times::<true>(&x, rows, k, &mat, cols, &mut fast, true);
        for c0 in (0..cols).step_by(8) {
            for r in 0..rows {
                tile::<true, 8, 1>(&x, r, k, &mat, cols, &mut plain, true, c0);
            }
        }
        assert_eq!(fast, plain);
    }

    #[test]
    fn tiled_products_match_naive_sums() {
        for &(rows, k, cols) in &[
            (1usize, 3usize, 1usize),
            (5, 7, 13),
            (9, 64, 64),
            (6, 17, 41),
        ] {
            let x: Vec<f64> = (0..rows * k)
                .map(|i| ((i * 37 % 11) as f64) - 5.0)
                .collect();
            let mat: Vec<f64> = (0..k * cols)
                .map(|i| ((i * 13 % 7) as f64) * 0.5 - 1.0)
                .collect();
            let mat_t: Vec<f64> = (0..cols * k).map(|i| mat[(i % k) * cols + i / k]).collect();
            let mut out = vec![1.0; rows * cols];
            rows_times::<false>(&x, rows, k, &mat, cols, &mut out, true);
            let mut dots = vec![0.0; rows * cols];
            rows_dot::<false>(&x, rows, k, &mat_t, cols, &mut dots);
            for r in 0..rows {
                for c in 0..cols {
                    let want: f64 = (0..k).map(|j| x[r * k + j] * mat[j * cols + c]).sum();
                    assert_eq!(out[r * cols + c], 1.0 + want);
                    assert_eq!(dots[r * cols + c], want);
                }
            }
        }
    }
}
