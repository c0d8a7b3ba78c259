//! Pathwise (adjoint) first-order kernel: along each unperturbed stationary path,
//! `λ_N = ∇f(h_N)`, `λ_j = λ_{j+1} (I + dt Db(h_j))` with `Db(h) = −Γ + diag(a′(W h + b)) W`,
//! and `K1[i] ≈ mean(λ_{N−i} C)`. One backward sweep per path gives every lag and channel;
//! the per-path values are the exact derivatives of the simulated `y_N`, so the variance is
//! only that of the derivative across paths. With multiplicative noise
//! `Σ(h) = diag(σ_add + σ_mult ⊙ h)` the pathwise Jacobian of a step also carries
//! `diag(σ_mult √dt z_j)`, computed from the very normals the simulator drew. With the input
//! also inside the activation (`C_in`), a kick of step `j` moves `h_{j+1}` by
//! `C + diag(a′(W h_j + b)) C_in`, so `K1[i] ≈ mean(λ_{N−i} (C + diag(a′_{N−1−i}) C_in))`.

use std::ops::Range;

use super::ensemble::{check_settings, readout, readout_gradient, stationary_run_into};
use super::reduce::{paths_in, reduce_blocks_with, BlockTree, Moments};
use super::EnsembleSettings;
use crate::aligned::Aligned;
use crate::model::{Gamma, Noise, Srnn};
use crate::progress::Progress;
use crate::rng::{fill_normals, normals_row_len, Stream};
use crate::simd::madd;
use crate::simulation::gemm::rows_times;
use crate::simulation::prepared::{padded, padded_vec, transposed};
use crate::simulation::Record;
use crate::Result;

/// The model in the layouts the sweep wants: rows padded to `width` (a multiple of 8) so
/// the simulator's tiled products apply.
struct Layout {
    n: usize,
    p: usize,
    dt: f64,
    width: usize,
    /// `C`, `(n, m_width)`.
    c: Aligned<f64>,
    /// `C_in`, `(n, m_width)`, when the input also enters inside the activation.
    c_in: Option<Aligned<f64>>,
    m_width: usize,
    /// The product the sweep applies to each row of `x`: `W` `(n, width)` for a diagonal
    /// leak, whose `λ (I − dt Γ)` is elementwise; else `[I − dt Γ; W]` `(2·width, width)`,
    /// applied to `x = [λ, dt λ ⊙ a′]`, one product for both terms.
    product: Aligned<f64>,
    /// Length of the rows of `x`: `width`, or `2·width` with a full `Γ`.
    x_len: usize,
    /// `I − dt Γ` for a diagonal leak (padded with zeros).
    decay: Option<Aligned<f64>>,
    /// `σ_mult √dt` for multiplicative noise, whose pathwise Jacobian gains
    /// `diag(σ_mult √dt z_j)`.
    mult: Option<Vec<f64>>,
}

impl Layout {
    fn new(model: &Srnn, dt: f64) -> Self {
        let n = model.n();
        let width = padded(n);
        let m_width = padded(model.m());
        // Row-major and padded: the transpose of the transpose.
        let w = transposed::<f64>(model.w.t(), width, 1.0);
        let gamma = model.gamma_matrix();
        let (decay, product, x_len) = match &model.gamma {
            Gamma::Full(_) => {
                let step = ndarray::Array2::<f64>::eye(n) - gamma * dt;
                let step_t = transposed::<f64>(step.t(), width, 1.0);
                let mut product = Aligned::filled(width * width + w.len(), 0.0);
                product[..step_t.len()].copy_from_slice(&step_t);
                product[width * width..].copy_from_slice(&w);
                (None, product, 2 * width)
            }
            _ => {
                let decay = padded_vec(gamma.diag().iter().map(|g| 1.0 - dt * g), width, 0.0);
                (Some(decay), w, width)
            }
        };
        Layout {
            n,
            p: model.p(),
            dt,
            width,
            c: transposed::<f64>(model.c.t(), m_width, 1.0),
            c_in: model
                .c_in
                .as_ref()
                .map(|c_in| transposed::<f64>(c_in.t(), m_width, 1.0)),
            m_width,
            product,
            x_len,
            decay,
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
    z: Aligned<f64>,
    z_stride: usize,
    /// `λ`, `(rows·p, width)`.
    lam: Aligned<f64>,
    next: Aligned<f64>,
    /// The left factor of the step's product, `(rows·p, x_len)`.
    x: Aligned<f64>,
    /// `λ C`, `(rows·p, m_width)`.
    kv: Aligned<f64>,
    /// `λ ⊙ a′` and `(λ ⊙ a′) C_in` for a model with `C_in` (else empty).
    lam_slope: Aligned<f64>,
    kv_in: Aligned<f64>,
}

/// The backward sweep of one block. `record` is the forward run's
/// [`Record::SlopesThenFinalState`] output `(N + 1, rows, n)`; `lam` holds `λ_N` of every
/// path. Adds each path's `λ_{N−i} C` to the moments (`(L, p, m)`).
#[inline(always)]
fn sweep<const FMA: bool>(
    lay: &Layout,
    record: &[f64],
    rows: usize,
    n_lags: usize,
    s: &mut Scratch,
    k: &mut Moments,
) {
    let (n, p, width, xw) = (lay.n, lay.p, lay.width, lay.x_len);
    let lam_rows = rows * p;
    let m = k.sum.len() / (n_lags * p);
    let pm = p * m;
    for i in 0..n_lags {
        rows_times::<f64, FMA>(
            lam_rows,
            n,
            &s.lam,
            width,
            &lay.c,
            lay.m_width,
            None,
            &mut s.kv,
        );
        if let Some(c_in) = &lay.c_in {
            let j = n_lags - 1 - i;
            for b in 0..rows {
                let slope = &record[(j * rows + b) * n..][..n];
                for o in 0..p {
                    let at = (b * p + o) * width;
                    let lam = &s.lam[at..at + n];
                    for ((x, &l), &a) in s.lam_slope[at..at + n].iter_mut().zip(lam).zip(slope) {
                        *x = l * a;
                    }
                }
            }
            rows_times::<f64, FMA>(
                lam_rows,
                n,
                &s.lam_slope,
                width,
                c_in,
                lay.m_width,
                None,
                &mut s.kv_in,
            );
            for (x, &v) in s.kv.iter_mut().zip(s.kv_in.iter()) {
                *x += v;
            }
        }
        let (si, qi) = (
            &mut k.sum[i * pm..(i + 1) * pm],
            &mut k.sumsq[i * pm..(i + 1) * pm],
        );
        let ci = &mut k.shift[i * pm..(i + 1) * pm];
        for (o, c) in ci.chunks_exact_mut(m).enumerate() {
            c.copy_from_slice(&s.kv[o * lay.m_width..o * lay.m_width + m]);
        }
        for r in 0..lam_rows {
            let o = r % p;
            let kv = &s.kv[r * lay.m_width..r * lay.m_width + m];
            for c in 0..m {
                let d = kv[c] - ci[o * m + c];
                si[o * m + c] += d;
                qi[o * m + c] = madd::<FMA>(d, d, qi[o * m + c]);
            }
        }
        if i + 1 == n_lags {
            break;
        }
        // next = λ (I − dt Γ) + dt (λ ⊙ a′(W h_j + b)) W
        let j = n_lags - 1 - i;
        let scaled_at = xw - width;
        for b in 0..rows {
            let slope = &record[(j * rows + b) * n..][..n];
            for o in 0..p {
                let r = b * p + o;
                let lam = &s.lam[r * width..r * width + n];
                let x = &mut s.x[r * xw..(r + 1) * xw];
                if xw > width {
                    x[..n].copy_from_slice(lam);
                }
                for ((xv, &l), &a) in x[scaled_at..scaled_at + n].iter_mut().zip(lam).zip(slope) {
                    *xv = l * a * lay.dt;
                }
            }
        }
        rows_times::<f64, FMA>(
            lam_rows,
            scaled_at + n,
            &s.x,
            xw,
            &lay.product,
            width,
            None,
            &mut s.next,
        );
        if let Some(decay) = &lay.decay {
            for (row_next, row) in s
                .next
                .chunks_exact_mut(width)
                .zip(s.lam.chunks_exact(width))
            {
                for ((x, &l), &d) in row_next.iter_mut().zip(row).zip(decay) {
                    *x = madd::<FMA>(l, d, *x);
                }
            }
        }
        if let Some(mult) = &lay.mult {
            fill_normals::<f64, FMA>(
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
                    let at = (b * p + o) * width;
                    let (row_next, row) = (&mut s.next[at..at + n], &s.lam[at..at + n]);
                    for (((x, &l), &mv), &zv) in row_next.iter_mut().zip(row).zip(mult).zip(z) {
                        *x = madd::<FMA>(l, mv * zv, *x);
                    }
                }
            }
        }
        std::mem::swap(&mut s.lam, &mut s.next);
    }
}

/// The adjoint sweep's partial sums over `blocks`: per path, the kernel values `(L, p, m)`
/// and the readout at `t_N`.
pub(crate) fn adjoint_k1_partial(
    model: &Srnn,
    s: &EnsembleSettings,
    blocks: Range<usize>,
    progress: &Progress,
) -> Result<BlockTree<(Moments, Moments)>> {
    check_settings(model, s)?;
    let lay = Layout::new(model, s.dt);
    let (n, m, p, l) = (lay.n, model.m(), lay.p, s.n_lags);
    progress.add_total(paths_in(s, &blocks) as u64);
    let block = |record: &mut Vec<f64>, first: usize, rows: usize| {
        stationary_run_into(
            model,
            s,
            first,
            rows,
            l,
            Record::SlopesThenFinalState,
            record,
        )?;
        let record = &record[..];
        let z_stride = normals_row_len(n);
        let width = lay.width;
        let mut scratch = Scratch {
            seed: s.seed,
            first_path: s.first_path + first as u64,
            z: if lay.mult.is_some() {
                Aligned::filled(rows * z_stride, 0.0)
            } else {
                Aligned::filled(0, 0.0)
            },
            z_stride,
            lam: Aligned::filled(rows * p * width, 0.0),
            next: Aligned::filled(rows * p * width, 0.0),
            x: Aligned::filled(rows * p * lay.x_len, 0.0),
            kv: Aligned::filled(rows * p * lay.m_width, 0.0),
            lam_slope: Aligned::filled(
                if lay.c_in.is_some() {
                    rows * p * width
                } else {
                    0
                },
                0.0,
            ),
            kv_in: Aligned::filled(
                if lay.c_in.is_some() {
                    rows * p * lay.m_width
                } else {
                    0
                },
                0.0,
            ),
        };
        let mut mean = Moments::new(p);
        let mut y = vec![0.0; p];
        let mut grad = vec![0.0; p * n];
        for b in 0..rows {
            let h_n = &record[(l * rows + b) * n..(l * rows + b + 1) * n];
            readout_gradient(model, h_n, &mut grad);
            for (o, g) in grad.chunks_exact(n).enumerate() {
                let at = (b * p + o) * width;
                scratch.lam[at..at + n].copy_from_slice(g);
            }
            readout(model, h_n, &mut y);
            mean.push(&y);
        }
        let mut k = Moments::new(l * p * m);
        let (lay, sc, k_ref): (&Layout, &mut Scratch, &mut Moments) = (&lay, &mut scratch, &mut k);
        crate::dispatch!(
            fn run(
                lay: &Layout,
                record: &[f64],
                rows: usize,
                l: usize,
                sc: &mut Scratch,
                k_ref: &mut Moments,
            ) -> () {
                sweep::<FMA>(lay, record, rows, l, sc, k_ref)
            }
        );
        k.count = rows;
        progress.advance(rows as u64);
        Ok::<_, crate::Error>((k, mean))
    };
    reduce_blocks_with(s, blocks, progress, 3 * l * p * m, block)
}
