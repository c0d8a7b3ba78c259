//! Lyapunov exponents of the Euler–Maruyama chain along stationary paths.
//!
//! The chain `h_{j+1} = h_j + dt (b(h_j) + C u_j) + Σ(h_j) √dt z_j` has the pathwise Jacobian
//! `J_j = I + dt Db(h_j) + diag(σ_mult √dt z_j)` with `Db(h) = −Γ + diag(a′(W h + b)) W` (the
//! last term only for multiplicative noise, from the very normals the simulator drew). A frame
//! of `k` orthonormal tangent vectors is carried by `V ← J_j V` and re-orthonormalised by a QR
//! factorisation every `qr_every` steps and after the last; a path's estimate of exponent `i`
//! is `Σ log|R_ii| / (n_steps·dt)` over its factorisations. The exponents of a linear network
//! are those of the chain, `log|eig(I − dt A)| / dt`, not `−Re eig(A)` (their `dt → 0` limit).
//!
//! Paths are those of `simulate(h0 = "stationary")` with the same seed and burn-in, and
//! per-path estimates reduce as [`Moments`] along the fixed block tree: bit-identical for any
//! thread count, mergeable across ranges of blocks.

use std::ops::Range;

use super::reduce::{paths_in, reduce_blocks_with, whole, BlockTree, Moments};
use super::EnsembleSettings;
use crate::model::{Noise, Srnn};
use crate::progress::Progress;
use crate::rng::{fill_normals, normals_row_len, Stream};
use crate::simd::madd;
use crate::simulation::{simulate, Input, Record, Settings, Start};
use crate::{Error, Result};

/// How far the tangent frame is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LyapunovSettings {
    /// `k`: the exponents `λ_1 ≥ … ≥ λ_k` estimated (`1 ≤ k ≤ n`).
    pub n_exponents: usize,
    /// Main steps of every path after its burn-in.
    pub n_steps: usize,
    /// Steps between QR factorisations of the frame (one always follows the last step).
    pub qr_every: usize,
}

/// Mean over paths of the per-path exponent estimates, in decreasing order of the frame's
/// columns, with standard errors over paths.
#[derive(Debug, Clone, PartialEq)]
pub struct LyapunovSpectrum {
    pub values: Vec<f64>,
    pub stderr: Vec<f64>,
    pub n_paths: usize,
    /// `n_steps·dt`, the time each path's estimate averages over.
    pub time: f64,
}

/// Column `i` of the starting frame: the DCT-IV basis vector
/// `√(2/n) cos(π (c + ½)(i + ½) / n)`, orthonormal in closed form and, unlike the coordinate
/// axes, not aligned with the invariant subspaces of decoupled or diagonal networks.
pub fn initial_frame(n: usize, k: usize) -> Vec<f64> {
    let scale = (2.0 / n as f64).sqrt();
    let mut v = vec![0.0; k * n];
    for i in 0..k {
        for c in 0..n {
            let angle = std::f64::consts::PI * (c as f64 + 0.5) * (i as f64 + 0.5) / n as f64;
            v[i * n + c] = scale * angle.cos();
        }
    }
    v
}

fn check(
    model: &Srnn,
    s: &EnsembleSettings,
    l: &LyapunovSettings,
    input: Option<&[f64]>,
) -> Result<()> {
    let n = model.n();
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
    if l.n_exponents == 0 || l.n_exponents > n {
        return Err(Error::invalid(
            "n_exponents",
            format!(
                "expected 1 to {n} (the network's dimension), got {}",
                l.n_exponents
            ),
        ));
    }
    if l.n_steps == 0 {
        return Err(Error::invalid("t_max", "expected at least one step of dt"));
    }
    if l.qr_every == 0 {
        return Err(Error::invalid(
            "qr_every",
            "expected a positive integer, got 0",
        ));
    }
    crate::work::check_work(
        "lyapunov (paths × steps)",
        crate::work::product(&[s.n_paths as u128, (l.n_steps + s.burn_in_steps) as u128]),
    )?;
    if let Some(u) = input {
        let want = l.n_steps * model.m();
        if u.len() != want {
            return Err(Error::invalid(
                "u",
                format!("expected {want} values (n_steps × m), got {}", u.len()),
            ));
        }
    }
    Ok(())
}

/// The model's pieces of `J_j`, dense and row-major.
struct Jacobian {
    n: usize,
    dt: f64,
    /// `I − dt Γ`.
    base: Vec<f64>,
    w: Vec<f64>,
    /// `σ_mult √dt` for multiplicative noise.
    mult: Option<Vec<f64>>,
}

impl Jacobian {
    fn new(model: &Srnn, dt: f64) -> Self {
        let n = model.n();
        let gamma = model.gamma_matrix();
        let mut base = vec![0.0; n * n];
        for r in 0..n {
            for c in 0..n {
                base[r * n + c] = f64::from(u8::from(r == c)) - dt * gamma[[r, c]];
            }
        }
        Jacobian {
            n,
            dt,
            base,
            w: model.w.iter().copied().collect(),
            mult: match &model.noise {
                Noise::Multiplicative { mult, .. } => {
                    Some(mult.iter().map(|v| v * dt.sqrt()).collect())
                }
                _ => None,
            },
        }
    }

    /// `J` at a state with activation slopes `slope` and step normals `z`, into `out`.
    #[inline(always)]
    fn fill<const FMA: bool>(&self, slope: &[f64], z: Option<&[f64]>, out: &mut [f64]) {
        let n = self.n;
        for r in 0..n {
            let gain = self.dt * slope[r];
            let (row, base, w) = (
                &mut out[r * n..(r + 1) * n],
                &self.base[r * n..(r + 1) * n],
                &self.w[r * n..(r + 1) * n],
            );
            for ((o, &b), &wv) in row.iter_mut().zip(base).zip(w) {
                *o = madd::<FMA>(gain, wv, b);
            }
            if let (Some(mult), Some(z)) = (&self.mult, z) {
                row[r] = madd::<FMA>(mult[r], z[r], row[r]);
            }
        }
    }
}

/// Gram–Schmidt (modified) of the frame's `k` rows in place, adding `log|R_ii|` to `logs`.
/// Returns false when a column collapsed (a singular Jacobian along the path).
#[inline(always)]
fn orthonormalise<const FMA: bool>(frame: &mut [f64], n: usize, logs: &mut [f64]) -> bool {
    for (i, log) in logs.iter_mut().enumerate() {
        let (done, rest) = frame.split_at_mut(i * n);
        let v = &mut rest[..n];
        for q in done.chunks_exact(n) {
            let mut r = 0.0;
            for (&a, &b) in v.iter().zip(q) {
                r = madd::<FMA>(a, b, r);
            }
            for (x, &b) in v.iter_mut().zip(q) {
                *x = madd::<FMA>(-r, b, *x);
            }
        }
        let mut sq = 0.0;
        for &x in v.iter() {
            sq = madd::<FMA>(x, x, sq);
        }
        let norm = sq.sqrt();
        if !(norm > 0.0 && norm.is_finite()) {
            return false;
        }
        *log += norm.ln();
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
    true
}

#[derive(Default)]
struct Scratch {
    record: Vec<f64>,
    z: Vec<f64>,
    jac: Vec<f64>,
    frames: Vec<f64>,
    next: Vec<f64>,
    logs: Vec<f64>,
}

/// Carries the frames of a block's `rows` paths through the recorded slopes; `logs` gets
/// each path's `Σ log|R_ii|` (`(rows, k)`). Err holds the block position and step of a
/// collapsed frame.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn flow<const FMA: bool>(
    jac: &Jacobian,
    l: &LyapunovSettings,
    seed: u64,
    first_path: u64,
    rows: usize,
    sc: &mut Scratch,
) -> std::result::Result<(), (usize, usize)> {
    let (n, k) = (jac.n, l.n_exponents);
    let start = initial_frame(n, k);
    sc.frames.clear();
    for _ in 0..rows {
        sc.frames.extend_from_slice(&start);
    }
    sc.next.resize(k * n, 0.0);
    sc.jac.resize(n * n, 0.0);
    sc.logs.clear();
    sc.logs.resize(rows * k, 0.0);
    let z_stride = normals_row_len(n);
    if jac.mult.is_some() {
        sc.z.resize(rows * z_stride, 0.0);
    }
    for j in 0..l.n_steps {
        if jac.mult.is_some() {
            fill_normals::<f64, FMA>(
                seed,
                Stream::Main,
                first_path,
                rows,
                j as u32,
                n,
                &mut sc.z,
                z_stride,
            );
        }
        let factor = (j + 1) % l.qr_every == 0 || j + 1 == l.n_steps;
        for b in 0..rows {
            let slope = &sc.record[(j * rows + b) * n..][..n];
            let z = jac
                .mult
                .as_ref()
                .map(|_| &sc.z[b * z_stride..b * z_stride + n]);
            jac.fill::<FMA>(slope, z, &mut sc.jac);
            let frame = &mut sc.frames[b * k * n..(b + 1) * k * n];
            for (v, out) in frame.chunks_exact(n).zip(sc.next.chunks_exact_mut(n)) {
                for (o, row) in out.iter_mut().zip(sc.jac.chunks_exact(n)) {
                    let mut acc = 0.0;
                    for (&a, &x) in row.iter().zip(v) {
                        acc = madd::<FMA>(a, x, acc);
                    }
                    *o = acc;
                }
            }
            frame.copy_from_slice(&sc.next);
            if factor && !orthonormalise::<FMA>(frame, n, &mut sc.logs[b * k..(b + 1) * k]) {
                return Err((b, j));
            }
        }
    }
    Ok(())
}

/// Per-path exponent estimates of the blocks `blocks`, as [`Moments`] of length `k`.
pub fn lyapunov_partial(
    model: &Srnn,
    s: &EnsembleSettings,
    l: &LyapunovSettings,
    input: Option<&[f64]>,
    blocks: Range<usize>,
    progress: &Progress,
) -> Result<BlockTree<Moments>> {
    check(model, s, l, input)?;
    let jac = Jacobian::new(model, s.dt);
    let k = l.n_exponents;
    let time = l.n_steps as f64 * s.dt;
    progress.add_total(paths_in(s, &blocks) as u64);
    let block = |sc: &mut Scratch, first: usize, rows: usize| {
        let settings = Settings {
            dt: s.dt,
            n_steps: l.n_steps,
            seed: s.seed,
            first_path: s.first_path + first as u64,
            n_paths: rows,
            stride: 1,
            record: Record::SlopesThenFinalState,
            burn_in_steps: s.burn_in_steps,
            block_size: rows.max(1),
            w_product: Default::default(),
        };
        let [a, b, c] = settings.output_shape(model);
        sc.record.resize(a * b * c, 0.0);
        let input = input.map_or(Input::Zero, Input::Shared);
        simulate(
            model,
            input,
            Start::Zero,
            &settings,
            &mut sc.record,
            &Progress::new(),
        )?;
        let (jac_ref, seed, first_path) = (&jac, s.seed, settings.first_path);
        crate::dispatch!(
            fn run(
                jac_ref: &Jacobian,
                l: &LyapunovSettings,
                seed: u64,
                first_path: u64,
                rows: usize,
                sc: &mut Scratch,
            ) -> std::result::Result<(), (usize, usize)> {
                flow::<FMA>(jac_ref, l, seed, first_path, rows, sc)
            }
        )
        .map_err(|(b, j)| {
            Error::invalid(
                "dt",
                format!(
                    "the step Jacobian I + dt·Db(h) is singular on path {} at step {} (t = {}): \
                     the exponents of this chain are −∞; use a smaller dt",
                    first_path + b as u64,
                    j + 1,
                    (j + 1) as f64 * s.dt
                ),
            )
        })?;
        let mut moments = Moments::new(k);
        let mut values = vec![0.0; k];
        for logs in sc.logs.chunks_exact(k) {
            for (v, &lg) in values.iter_mut().zip(logs) {
                *v = lg / time;
            }
            moments.push(&values);
        }
        progress.advance(rows as u64);
        Ok(moments)
    };
    reduce_blocks_with(s, blocks, progress, 3 * k, block)
}

/// The spectrum from the partial of all the call's blocks.
pub fn lyapunov_finish(
    s: &EnsembleSettings,
    l: &LyapunovSettings,
    tree: BlockTree<Moments>,
) -> Result<LyapunovSpectrum> {
    let moments = whole(s, tree)?;
    if moments.sum.len() != l.n_exponents {
        return Err(Error::invalid(
            "partial",
            format!(
                "holds {} exponents where this call has {}: a partial of another call",
                moments.sum.len(),
                l.n_exponents
            ),
        ));
    }
    Ok(LyapunovSpectrum {
        values: moments.mean(),
        stderr: moments.stderr(),
        n_paths: moments.count,
        time: l.n_steps as f64 * s.dt,
    })
}

/// The first `l.n_exponents` Lyapunov exponents over the paths of `s`, with input `input`
/// (`(n_steps, m)`, shared by all paths) or none.
pub fn lyapunov(
    model: &Srnn,
    s: &EnsembleSettings,
    l: &LyapunovSettings,
    input: Option<&[f64]>,
    progress: &Progress,
) -> Result<LyapunovSpectrum> {
    let blocks = 0..super::reduce::block_count(s);
    let tree = lyapunov_partial(model, s, l, input, blocks, progress)?;
    lyapunov_finish(s, l, tree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activation, Gamma, Readout};

    use ndarray::{arr1, arr2, Array1, Array2};

    fn linear(noise: Noise) -> Srnn {
        let w = arr2(&[[0.2, -0.5, 0.0], [0.4, 0.1, 0.3], [0.0, -0.2, -0.3]]);
        Srnn::new(
            w,
            Array2::zeros((3, 1)),
            Array1::zeros(3),
            Gamma::Diagonal(arr1(&[1.0, 1.5, 2.0])),
            noise,
            Activation::Identity,
            Readout {
                matrix: None,
                bias: Array1::zeros(3),
                activation: Activation::Identity,
            },
        )
        .unwrap()
    }

    fn settings(n_paths: usize) -> EnsembleSettings {
        let mut s = EnsembleSettings::new(0.05, 1, n_paths, 40);
        s.block_size = 4;
        s.seed = 7;
        s
    }

    /// `log|det(I − dt A)| / dt` for the linear test network, by cofactors.
    fn log_det_rate(model: &Srnn, dt: f64) -> f64 {
        let jac = Jacobian::new(model, dt);
        let mut m = vec![0.0; 9];
        jac.fill::<false>(&[1.0; 3], None, &mut m);
        let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6])
            + m[2] * (m[3] * m[7] - m[4] * m[6]);
        det.abs().ln() / dt
    }

    #[test]
    fn full_spectrum_of_a_linear_chain_sums_to_its_log_determinant() {
        let model = linear(Noise::Additive(arr1(&[0.3, 0.3, 0.3])));
        let s = settings(6);
        let l = LyapunovSettings {
            n_exponents: 3,
            n_steps: 200,
            qr_every: 7,
        };
        let spec = lyapunov(&model, &s, &l, None, &Progress::new()).unwrap();
        let total: f64 = spec.values.iter().sum();
        assert!(
            (total - log_det_rate(&model, s.dt)).abs() < 1e-10,
            "{total}"
        );
    }

    #[test]
    fn block_ranges_merge_into_the_bits_of_the_whole_call() {
        let model = linear(Noise::Multiplicative {
            add: arr1(&[0.2, 0.2, 0.2]),
            mult: arr1(&[0.3, 0.1, 0.2]),
        });
        let s = settings(11);
        let l = LyapunovSettings {
            n_exponents: 2,
            n_steps: 60,
            qr_every: 3,
        };
        let p = Progress::new();
        let whole_call = lyapunov(&model, &s, &l, None, &p).unwrap();
        let mut left = lyapunov_partial(&model, &s, &l, None, 0..1, &p).unwrap();
        let right = lyapunov_partial(&model, &s, &l, None, 1..3, &p).unwrap();
        left.append(right).unwrap();
        assert_eq!(lyapunov_finish(&s, &l, left).unwrap(), whole_call);
        assert!(whole_call.stderr.iter().all(|&e| e > 0.0));
    }

    #[test]
    fn the_frame_starts_orthonormal() {
        let (n, k) = (5, 4);
        let v = initial_frame(n, k);
        for i in 0..k {
            for j in 0..k {
                let dot: f64 = (0..n).map(|c| v[i * n + c] * v[j * n + c]).sum();
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-12, "{i} {j} {dot}");
            }
        }
    }

    #[test]
    fn arguments_are_refused_by_name() {
        let model = linear(Noise::Additive(arr1(&[0.3, 0.3, 0.3])));
        let s = settings(4);
        let good = LyapunovSettings {
            n_exponents: 1,
            n_steps: 10,
            qr_every: 1,
        };
        let arg = |l: LyapunovSettings, u: Option<&[f64]>| match lyapunov(
            &model,
            &s,
            &l,
            u,
            &Progress::new(),
        ) {
            Err(Error::InvalidArgument { arg, .. }) => arg,
            other => panic!("expected an invalid argument, got {other:?}"),
        };
        let bad_k = LyapunovSettings {
            n_exponents: 4,
            ..good
        };
        assert_eq!(arg(bad_k, None), "n_exponents");
        let bad_qr = LyapunovSettings {
            qr_every: 0,
            ..good
        };
        assert_eq!(arg(bad_qr, None), "qr_every");
        assert_eq!(arg(good, Some(&[0.0; 3])), "u");
    }
}
