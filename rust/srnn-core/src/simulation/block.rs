//! One block of paths through all steps. Compiled once per SIMD level; everything it calls
//! is `#[inline(always)]` so the whole step vectorises with that level's instructions.

use super::gemm::{rows_dot_rows, rows_times};
use super::prepared::{LeakP, NoiseP, Prepared};
use super::sparse::{sparse_rows_times, SparseOperands};
use super::{Input, Record, Settings, Start};
use crate::aligned::Aligned;
use crate::progress::Progress;
use crate::rng::{fill_normals, Stream};
use crate::simd::Real;
use crate::{Error, Result};

/// Scratch buffers of one worker, reused across its blocks.
pub(crate) struct Workspace<R> {
    h: Aligned<R>,
    drift: Aligned<R>,
    scratch: Aligned<R>,
    /// `h (I − dt Γ)ᵀ` or the correlated noise, for the models the fused step does not cover.
    leak: Aligned<R>,
    /// The step's normals in the working precision (`f32` ones drawn in `f32`).
    z: Aligned<R>,
    y: Aligned<R>,
    cu: Aligned<R>,
    /// `b + C_in u_k` of a shared input: the step's bias inside the activation.
    inner_bias: Aligned<R>,
    /// `C_in u_k` of per-path inputs, `(block, width)`.
    inner: Aligned<R>,
    /// The input term of an undriven step, so every step runs the same fused loop.
    zeros: Aligned<R>,
    /// The block's states transposed, for the sparse `W h`.
    h_t: Aligned<R>,
    z_stride: usize,
}

impl<R: Real> Workspace<R> {
    pub fn new(p: &Prepared<R>, block: usize) -> Self {
        let z_stride = super::prepared::padded(p.r);
        Workspace {
            h: Aligned::filled(block * p.width, R::ZERO),
            drift: Aligned::filled(block * p.width, R::ZERO),
            scratch: Aligned::filled(block * p.width, R::ZERO),
            leak: Aligned::filled(block * p.width, R::ZERO),
            z: Aligned::filled(block * z_stride, R::ZERO),
            y: Aligned::filled(block * p.readout.p_width, R::ZERO),
            cu: Aligned::filled(p.width, R::ZERO),
            inner_bias: Aligned::filled(p.width, R::ZERO),
            inner: Aligned::filled(
                if p.c_in_t.is_some() {
                    block * p.width
                } else {
                    0
                },
                R::ZERO,
            ),
            zeros: Aligned::filled(p.width, R::ZERO),
            h_t: super::sparse::scratch(p.w_sparse.as_ref(), block),
            z_stride,
        }
    }
}

pub(crate) struct BlockJob<'a, R> {
    /// Position of the block's first path within this call.
    pub first: usize,
    pub rows: usize,
    pub input: Input<'a, R>,
    pub start: Start<'a, R>,
    pub settings: &'a Settings,
}

pub(crate) fn run_block<R: Real>(
    p: &Prepared<R>,
    job: &BlockJob<R>,
    ws: &mut Workspace<R>,
    out: &mut [R],
    progress: &Progress,
) -> Result<()> {
    crate::dispatch!(
        fn block[R: Real][R](
            p: &Prepared<R>,
            job: &BlockJob<R>,
            ws: &mut Workspace<R>,
            out: &mut [R],
            progress: &Progress,
        ) -> Result<()> {
            block_impl::<R, FMA, WIDE>(p, job, ws, out, progress)
        }
    )
}

/// Steps between progress reports and cancellation checks inside a block.
const CHECK_EVERY: usize = 64;

#[inline(always)]
fn block_impl<R: Real, const FMA: bool, const WIDE: bool>(
    p: &Prepared<R>,
    job: &BlockJob<R>,
    ws: &mut Workspace<R>,
    out: &mut [R],
    progress: &Progress,
) -> Result<()> {
    let s = job.settings;
    let (rows, n, width) = (job.rows, p.n, p.width);
    let h = &mut ws.h[..rows * width];
    h.fill(R::ZERO);
    match job.start {
        Start::Zero => {}
        Start::Shared(h0) => h
            .chunks_mut(width)
            .for_each(|row| row[..n].copy_from_slice(h0)),
        Start::PerPath(h0) => {
            for (b, row) in h.chunks_mut(width).enumerate() {
                let src = (job.first + b) * n;
                row[..n].copy_from_slice(&h0[src..src + n]);
            }
        }
    }
    let first_path = s.first_path + job.first as u64;

    for step in 0..s.burn_in_steps {
        advance::<R, FMA>(p, job, ws, Stream::BurnIn, step, None, None)?;
        if (step + 1) % CHECK_EVERY == 0 {
            progress.advance((rows * CHECK_EVERY) as u64);
            progress.checkpoint()?;
        }
    }
    progress.advance((rows * (s.burn_in_steps % CHECK_EVERY)) as u64);

    let n_records = s.n_records();
    let slopes = s.record == Record::SlopesThenFinalState;
    let every_step = !s.record.is_final() && !slopes;
    if every_step {
        record::<R, FMA, WIDE>(p, ws, rows, s.record, out, n_records, 0, first_path, 0)?;
    }
    for step in 0..s.n_steps {
        let slope_out = if slopes {
            Some(&mut out[step * rows * n..(step + 1) * rows * n])
        } else {
            None
        };
        advance::<R, FMA>(p, job, ws, Stream::Main, step, Some(step), slope_out)?;
        let done = step + 1;
        if every_step && done % s.stride == 0 {
            record::<R, FMA, WIDE>(
                p,
                ws,
                rows,
                s.record,
                out,
                n_records,
                done / s.stride,
                first_path,
                done,
            )?;
        }
        if done % CHECK_EVERY == 0 {
            progress.advance((rows * CHECK_EVERY) as u64);
            progress.checkpoint()?;
        }
    }
    progress.advance((rows * (s.n_steps % CHECK_EVERY)) as u64);
    if s.record.is_final() {
        record::<R, FMA, WIDE>(p, ws, rows, s.record, out, 1, 0, first_path, s.n_steps)?;
    }
    if slopes {
        let last = &mut out[s.n_steps * rows * n..(s.n_steps + 1) * rows * n];
        for (dst, row) in last.chunks_exact_mut(n).zip(ws.h.chunks_exact(width)) {
            dst.copy_from_slice(&row[..n]);
        }
    }
    Ok(())
}

/// One Euler–Maruyama step of the block. `input_step` is `None` during burn-in (`u = 0`).
#[inline(always)]
fn advance<R: Real, const FMA: bool>(
    p: &Prepared<R>,
    job: &BlockJob<R>,
    ws: &mut Workspace<R>,
    stream: Stream,
    step: usize,
    input_step: Option<usize>,
    slopes: Option<&mut [R]>,
) -> Result<()> {
    let s = job.settings;
    let (rows, n, width, m) = (job.rows, p.n, p.width, p.m);
    let first_path = s.first_path + job.first as u64;
    let zs = ws.z_stride;
    let h = &mut ws.h[..rows * width];
    let drift = &mut ws.drift[..rows * width];
    let scratch = &mut ws.scratch[..rows * width];

    match (&p.c_in_t, input_step, &job.input) {
        (Some(c_in_t), Some(k), Input::Shared(u)) => {
            let inner_bias = &mut ws.inner_bias;
            rows_times::<R, FMA>(
                1,
                m,
                &u[k * m..],
                m,
                c_in_t,
                width,
                Some(&p.bias),
                inner_bias,
            );
            w_times::<R, FMA>(p, rows, h, inner_bias, &mut ws.h_t, drift);
        }
        (Some(c_in_t), Some(k), Input::PerPath(u)) => {
            w_times::<R, FMA>(p, rows, h, &p.bias, &mut ws.h_t, drift);
            let stride = s.n_steps * m;
            let x = &u[job.first * stride + k * m..];
            let inner = &mut ws.inner[..rows * width];
            rows_times::<R, FMA>(rows, m, x, stride, c_in_t, width, None, inner);
            for (d, &v) in drift.iter_mut().zip(inner.iter()) {
                *d = *d + v;
            }
        }
        _ => w_times::<R, FMA>(p, rows, h, &p.bias, &mut ws.h_t, drift),
    }
    p.activation.apply_slice::<R, FMA>(drift);
    // The normals after the activation, not before the product: written last, they are
    // still in L1 when the update reads them (the product streams all of `Wᵀ` through it).
    if !matches!(p.noise, NoiseP::None) {
        draw_normals::<R, FMA>(
            s.seed,
            stream,
            first_path,
            rows,
            step as u32,
            p.r,
            &mut ws.z,
            zs,
        );
    }
    if let Some(dst) = slopes {
        for (row_out, row) in dst.chunks_exact_mut(n).zip(drift.chunks_exact(width)) {
            p.activation.slopes_from_values(&row[..n], row_out);
        }
    }

    // The input term C u of each row: `cu` shared, `scratch` per path, or zeros.
    let input_rows = match (input_step, &job.input) {
        (Some(k), Input::Shared(u)) => {
            rows_times::<R, FMA>(1, m, &u[k * m..], m, &p.c_t, width, None, &mut ws.cu);
            InputRows::Shared(&ws.cu)
        }
        (Some(k), Input::PerPath(u)) => {
            let stride = s.n_steps * m;
            let x = &u[job.first * stride + k * m..];
            rows_times::<R, FMA>(rows, m, x, stride, &p.c_t, width, None, scratch);
            InputRows::PerPath(scratch)
        }
        _ => InputRows::Shared(&ws.zeros),
    };

    let dt = p.dt;
    match (&p.leak, &p.noise) {
        // The common models in one pass over the block, while each row is in registers/L1:
        // h ← (I − dt Γ) h + dt (a(W h + b) + C u) + noise, with the finiteness test folded in.
        (LeakP::Diagonal(decay), NoiseP::None) => {
            let rows_in = FusedRows {
                h,
                drift,
                input: &input_rows,
                z: &[],
                zs: 0,
            };
            fused_rows::<R, FMA, _>(rows_in, rows, width, decay, dt, &NoNoise)
                .map_err(|b| diverged(p, job, stream, step, b))?;
        }
        (LeakP::Diagonal(decay), NoiseP::Additive(scale)) => {
            let rows_in = FusedRows {
                h,
                drift,
                input: &input_rows,
                z: &ws.z,
                zs,
            };
            fused_rows::<R, FMA, _>(
                rows_in,
                rows,
                width,
                decay,
                dt,
                &AdditiveNoise(&scale[..width]),
            )
            .map_err(|b| diverged(p, job, stream, step, b))?;
        }
        (LeakP::Diagonal(decay), NoiseP::Multiplicative(add, mult)) => {
            let rows_in = FusedRows {
                h,
                drift,
                input: &input_rows,
                z: &ws.z,
                zs,
            };
            let noise = MultiplicativeNoise {
                add: &add[..width],
                mult: &mult[..width],
            };
            fused_rows::<R, FMA, _>(rows_in, rows, width, decay, dt, &noise)
                .map_err(|b| diverged(p, job, stream, step, b))?;
        }
        (leak, noise) => {
            for b in 0..rows {
                let urow = input_rows.row(b, width);
                let drow = &mut drift[b * width..(b + 1) * width];
                for (d, &c) in drow.iter_mut().zip(urow) {
                    *d = *d + c;
                }
            }
            match leak {
                LeakP::Diagonal(decay) => {
                    for (drow, hrow) in drift.chunks_exact_mut(width).zip(h.chunks_exact(width)) {
                        for ((d, &hv), &g) in drow.iter_mut().zip(hrow).zip(decay) {
                            *d = R::madd::<FMA>(g, hv, dt * *d);
                        }
                    }
                }
                LeakP::Full(decay_t) => {
                    let leak_out = &mut ws.leak[..rows * width];
                    rows_times::<R, FMA>(rows, n, h, width, decay_t, width, None, leak_out);
                    for (d, &g) in drift.iter_mut().zip(leak_out.iter()) {
                        *d = R::madd::<FMA>(dt, *d, g);
                    }
                }
            }
            let noise_out = &mut ws.leak[..rows * width];
            match noise {
                NoiseP::None => h.copy_from_slice(drift),
                NoiseP::Additive(scale) => {
                    for b in 0..rows {
                        let hrow = &mut h[b * width..(b + 1) * width];
                        let drow = &drift[b * width..(b + 1) * width];
                        let zrow = &ws.z[b * zs..b * zs + width];
                        for i in 0..width {
                            hrow[i] = R::madd::<FMA>(scale[i], zrow[i], drow[i]);
                        }
                    }
                }
                NoiseP::Full(sigma_t) => {
                    let z = &ws.z[..rows * zs];
                    rows_times::<R, FMA>(rows, p.r, z, zs, sigma_t, width, None, noise_out);
                    for ((hv, &d), &e) in h.iter_mut().zip(drift.iter()).zip(noise_out.iter()) {
                        *hv = d + e;
                    }
                }
                NoiseP::Multiplicative(add, mult) => {
                    for b in 0..rows {
                        let hrow = &mut h[b * width..(b + 1) * width];
                        let drow = &drift[b * width..(b + 1) * width];
                        let zrow = &ws.z[b * zs..b * zs + width];
                        for i in 0..width {
                            let diffusion = R::madd::<FMA>(mult[i], hrow[i], add[i]);
                            hrow[i] = R::madd::<FMA>(diffusion, zrow[i], drow[i]);
                        }
                    }
                }
            }
            for (b, row) in h.chunks_exact(width).enumerate() {
                if !all_finite(&row[..n]) {
                    return Err(diverged(p, job, stream, step, b));
                }
            }
        }
    }
    Ok(())
}

/// `out = h Wᵀ + bias`, dense or sparse as prepared (the same bits).
#[inline(always)]
fn w_times<R: Real, const FMA: bool>(
    p: &Prepared<R>,
    rows: usize,
    h: &[R],
    bias: &[R],
    h_t: &mut [R],
    out: &mut [R],
) {
    match &p.w_sparse {
        Some(w) => {
            let ops = SparseOperands {
                x: h,
                w,
                w_t: &p.w_t,
                width: p.width,
                bias,
            };
            sparse_rows_times::<R, FMA>(rows, &ops, h_t, out)
        }
        None => rows_times::<R, FMA>(rows, p.n, h, p.width, &p.w_t, p.width, Some(bias), out),
    }
}

/// Rows are padded to a multiple of this many lanes; the fused loops work on such chunks as
/// fixed-size arrays, which LLVM turns into whole vectors without alias checks or tails.
const LANES: usize = 8;

#[inline(always)]
fn lanes<T>(row: &[T], chunk: usize) -> &[T; LANES] {
    row[chunk * LANES..(chunk + 1) * LANES].try_into().unwrap()
}

#[inline(always)]
fn lanes_mut<T>(row: &mut [T], chunk: usize) -> &mut [T; LANES] {
    (&mut row[chunk * LANES..(chunk + 1) * LANES])
        .try_into()
        .unwrap()
}

/// The buffers of the fused step: state (updated in place), activated drift, input term and
/// the step's normals (row stride `zs`).
struct FusedRows<'a, R> {
    h: &'a mut [R],
    drift: &'a [R],
    input: &'a InputRows<'a, R>,
    z: &'a [R],
    zs: usize,
}

/// The noise term of the fused step on chunk `c` of a row: the next state from the
/// deterministic update `det`, the current state `h` and the normals `z`.
trait StepNoise<R: Real> {
    const NONE: bool = false;
    fn next<const FMA: bool>(
        &self,
        c: usize,
        det: [R; LANES],
        h: &[R; LANES],
        z: &[R; LANES],
    ) -> [R; LANES];
}

struct NoNoise;

impl<R: Real> StepNoise<R> for NoNoise {
    const NONE: bool = true;
    #[inline(always)]
    fn next<const FMA: bool>(
        &self,
        _: usize,
        det: [R; LANES],
        _: &[R; LANES],
        _: &[R; LANES],
    ) -> [R; LANES] {
        det
    }
}

/// `σ_i √dt z_i`.
struct AdditiveNoise<'a, R>(&'a [R]);

impl<R: Real> StepNoise<R> for AdditiveNoise<'_, R> {
    #[inline(always)]
    fn next<const FMA: bool>(
        &self,
        c: usize,
        det: [R; LANES],
        _: &[R; LANES],
        z: &[R; LANES],
    ) -> [R; LANES] {
        let scale = lanes(self.0, c);
        let mut next = det;
        for l in 0..LANES {
            next[l] = R::madd::<FMA>(scale[l], z[l], det[l]);
        }
        next
    }
}

/// `(σ_add + σ_mult h_i) √dt z_i`.
struct MultiplicativeNoise<'a, R> {
    add: &'a [R],
    mult: &'a [R],
}

impl<R: Real> StepNoise<R> for MultiplicativeNoise<'_, R> {
    #[inline(always)]
    fn next<const FMA: bool>(
        &self,
        c: usize,
        det: [R; LANES],
        h: &[R; LANES],
        z: &[R; LANES],
    ) -> [R; LANES] {
        let (add, mult) = (lanes(self.add, c), lanes(self.mult, c));
        let mut next = det;
        for l in 0..LANES {
            let diffusion = R::madd::<FMA>(mult[l], h[l], add[l]);
            next[l] = R::madd::<FMA>(diffusion, z[l], det[l]);
        }
        next
    }
}

/// The step for diagonal leaks, row by row in chunks of `LANES`; `Err(b)` names the first
/// row whose new state is not finite.
#[inline(always)]
fn fused_rows<R: Real, const FMA: bool, N: StepNoise<R>>(
    buf: FusedRows<'_, R>,
    rows: usize,
    width: usize,
    decay: &[R],
    dt: R,
    noise: &N,
) -> std::result::Result<(), usize> {
    let zero_z = [R::ZERO; LANES];
    // Slices of exactly `width` let LLVM drop the bounds checks of every chunk.
    let decay = &decay[..width];
    for b in 0..rows {
        let hrow = &mut buf.h[b * width..(b + 1) * width];
        let arow = &buf.drift[b * width..(b + 1) * width];
        let urow = buf.input.row(b, width);
        let zrow = if N::NONE {
            &[][..]
        } else {
            &buf.z[b * buf.zs..b * buf.zs + width]
        };
        // x − x is 0 for finite x and NaN otherwise: the test costs two operations a vector.
        let mut bad = [R::ZERO; LANES];
        for c in 0..width / LANES {
            let (hv, av, uv) = (*lanes(hrow, c), *lanes(arow, c), *lanes(urow, c));
            let g = lanes(decay, c);
            let zv = if N::NONE { &zero_z } else { lanes(zrow, c) };
            let mut det = [R::ZERO; LANES];
            for l in 0..LANES {
                det[l] = R::madd::<FMA>(g[l], hv[l], dt * (av[l] + uv[l]));
            }
            let next = noise.next::<FMA>(c, det, &hv, zv);
            for l in 0..LANES {
                bad[l] = bad[l] + next[l].zero_if_finite();
            }
            *lanes_mut(hrow, c) = next;
        }
        if bad.iter().any(|&x| x != R::ZERO) {
            return Err(b);
        }
    }
    Ok(())
}

/// [`fill_normals`] in the working precision: `f32` normals are drawn in `f32` arithmetic.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn draw_normals<R: Real, const FMA: bool>(
    seed: u64,
    stream: Stream,
    first_path: u64,
    rows: usize,
    step: u32,
    n_components: usize,
    out: &mut [R],
    row_stride: usize,
) {
    if let Some(out) = R::as_f64s_mut(out) {
        fill_normals::<f64, FMA>(
            seed,
            stream,
            first_path,
            rows,
            step,
            n_components,
            out,
            row_stride,
        );
    } else if let Some(out) = R::as_f32s_mut(out) {
        fill_normals::<f32, FMA>(
            seed,
            stream,
            first_path,
            rows,
            step,
            n_components,
            out,
            row_stride,
        );
    } else {
        unreachable!("the working precision is f64 or f32");
    }
}

enum InputRows<'a, R> {
    Shared(&'a [R]),
    PerPath(&'a [R]),
}

impl<R> InputRows<'_, R> {
    #[inline(always)]
    fn row(&self, b: usize, width: usize) -> &[R] {
        match self {
            InputRows::Shared(row) => &row[..width],
            InputRows::PerPath(rows) => &rows[b * width..(b + 1) * width],
        }
    }
}

#[cold]
fn diverged<R: Real>(
    p: &Prepared<R>,
    job: &BlockJob<R>,
    stream: Stream,
    step: usize,
    b: usize,
) -> Error {
    let s = job.settings;
    let burn = stream == Stream::BurnIn;
    let steps_to_zero = if burn { s.burn_in_steps - step } else { 0 };
    Error::Diverged {
        path: s.first_path + (job.first + b) as u64,
        step: (step + 1) as u64,
        time: ((step + 1) as f64 - steps_to_zero as f64) * p.dt_f64,
        cause: divergence_cause(burn),
    }
}

/// Branch-free so it vectorises; divergence is rare, so no early exit is needed.
#[inline(always)]
fn all_finite<R: Real>(xs: &[R]) -> bool {
    let mut bad = 0u64;
    for &x in xs {
        bad |= x.nonfinite_bits();
    }
    bad == 0
}

fn divergence_cause(burn_in: bool) -> String {
    let phase = if burn_in { " (during burn-in)" } else { "" };
    format!(
        "explicit Euler–Maruyama is unstable{phase}: dt is too large for the fastest rate of the \
         network (try a smaller dt), the drift −Γh + a(Wh+b) grows faster than the leak (check \
         that Γ dominates W for unbounded activations), or the input/noise is too large"
    )
}

/// Writes record `index` of every path in the block.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn record<R: Real, const FMA: bool, const WIDE: bool>(
    p: &Prepared<R>,
    ws: &mut Workspace<R>,
    rows: usize,
    what: Record,
    out: &mut [R],
    n_records: usize,
    index: usize,
    first_path: u64,
    step: usize,
) -> Result<()> {
    let width = p.width;
    if what.is_state() || p.readout_is_state() {
        let n = p.n;
        for b in 0..rows {
            let dst = (b * n_records + index) * n;
            out[dst..dst + n].copy_from_slice(&ws.h[b * width..b * width + n]);
        }
        return Ok(());
    }
    let ro = &p.readout;
    let y = &mut ws.y[..rows * ro.p_width];
    match (&ro.matrix_rows, &ro.matrix_t) {
        (Some(r_rows), _) => rows_dot_rows::<R, FMA, WIDE>(
            rows,
            &ws.h,
            width,
            r_rows,
            width,
            &ro.bias[..ro.p],
            y,
            ro.p_width,
        ),
        (None, Some(rt)) => {
            rows_times::<R, FMA>(rows, p.n, &ws.h, width, rt, ro.p_width, Some(&ro.bias), y)
        }
        (None, None) => {
            for (yrow, hrow) in y.chunks_exact_mut(ro.p_width).zip(ws.h.chunks_exact(width)) {
                for ((yv, &hv), &bv) in yrow.iter_mut().zip(hrow).zip(&ro.bias) {
                    *yv = hv + bv;
                }
            }
        }
    }
    ro.activation.apply_slice::<R, FMA>(y);
    for b in 0..rows {
        let src = &y[b * ro.p_width..b * ro.p_width + ro.p];
        if !all_finite(src) {
            return Err(Error::Diverged {
                path: first_path + b as u64,
                step: step as u64,
                time: step as f64 * p.dt_f64,
                cause: "the readout R h + r0 overflowed although the state is finite".into(),
            });
        }
        let dst = &mut out[(b * n_records + index) * ro.p..][..ro.p];
        // Element by element: a `copy_from_slice` of one or two values is a `memcpy` call.
        for (d, &v) in dst.iter_mut().zip(src) {
            *d = v;
        }
    }
    Ok(())
}
