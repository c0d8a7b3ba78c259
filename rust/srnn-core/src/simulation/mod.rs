//! Euler–Maruyama ensembles of the SRNN:
//! `h_{k+1} = h_k + dt (−Γ h_k + a(W h_k + b) + C u_k) + Σ(h_k) √dt z_k`.
//!
//! Paths are advanced in blocks (so `W h` is a small matrix product), blocks run in parallel
//! with rayon, and every Gaussian `z` is a pure function of `(seed, path, step, component)`:
//! the output of a path is the same bits whatever the block size, thread count or the range
//! of paths computed in one call.

mod block;
pub(crate) mod gemm;
mod gemm_f32;
pub(crate) mod prepared;
mod sparse;

pub use sparse::{prefers_sparse, WProduct, SPARSE_MAX_DENSITY, SPARSE_MIN_N};

use rayon::prelude::*;

use crate::model::Srnn;
use crate::progress::Progress;
use crate::simd::Real;
use crate::{Error, Result};

/// What a run keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// The state every `stride` steps, including the initial one.
    State,
    /// The readout `g(R h + r0)` every `stride` steps, including the initial one.
    Readout,
    FinalState,
    FinalReadout,
    /// The activation slope `a′(W h_k + b)` of every main step `k = 0..n_steps` (taken from
    /// the activated values, so no second activation is computed), then the final state:
    /// all the adjoint sweep reads. Step-major, `(n_steps + 1, n_paths, n)`, so that the
    /// sweep's backward walk reads one contiguous run per step (path-major, its 16 strided
    /// streams defeated the prefetchers). Needs `stride = 1` and one block.
    SlopesThenFinalState,
}

impl Record {
    pub fn is_final(self) -> bool {
        matches!(self, Record::FinalState | Record::FinalReadout)
    }

    pub fn is_state(self) -> bool {
        matches!(
            self,
            Record::State | Record::FinalState | Record::SlopesThenFinalState
        )
    }
}

/// The input `u`, held constant on `[t_k, t_k + dt)`; row-major values.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a, R> {
    Zero,
    /// `(n_steps, m)`, the same for every path.
    Shared(&'a [R]),
    /// `(n_paths, n_steps, m)`, indexed by the path's position in this call.
    PerPath(&'a [R]),
}

#[derive(Debug, Clone, Copy)]
pub enum Start<'a, R> {
    Zero,
    /// `(n,)` for every path.
    Shared(&'a [R]),
    /// `(n_paths, n)`, indexed by the path's position in this call.
    PerPath(&'a [R]),
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub dt: f64,
    pub n_steps: usize,
    pub seed: u64,
    /// Global index of the first path computed; the noise of a path depends on its global index.
    pub first_path: u64,
    pub n_paths: usize,
    pub stride: usize,
    pub record: Record,
    /// Unrecorded steps of the unperturbed network (`u = 0`) run before step 0, with noise
    /// independent of the recorded run: a start from (approximately) the stationary law.
    pub burn_in_steps: usize,
    pub block_size: usize,
    /// Dense or sparse `W h`: the same bits either way, so only speed depends on it.
    pub w_product: WProduct,
}

pub const DEFAULT_BLOCK_SIZE: usize = 16;

impl Settings {
    pub fn new(dt: f64, n_steps: usize, n_paths: usize) -> Self {
        Settings {
            dt,
            n_steps,
            seed: 0,
            first_path: 0,
            n_paths,
            stride: 1,
            record: Record::Readout,
            burn_in_steps: 0,
            block_size: DEFAULT_BLOCK_SIZE,
            w_product: WProduct::Auto,
        }
    }

    pub fn n_records(&self) -> usize {
        if self.record.is_final() {
            1
        } else {
            self.n_steps / self.stride + 1
        }
    }

    /// Width of one record: `n` for states, `p` for readouts.
    pub fn record_width(&self, model: &Srnn) -> usize {
        if self.record.is_state() {
            model.n()
        } else {
            model.p()
        }
    }

    /// `(n_paths, n_records, width)` of the output.
    pub fn output_shape(&self, model: &Srnn) -> [usize; 3] {
        [self.n_paths, self.n_records(), self.record_width(model)]
    }
}

fn check<R>(
    model: &Srnn,
    input: &Input<R>,
    start: &Start<R>,
    s: &Settings,
    out_len: usize,
) -> Result<()> {
    if !(s.dt.is_finite() && s.dt > 0.0) {
        return Err(Error::invalid(
            "dt",
            format!("expected a finite positive time step, got {}", s.dt),
        ));
    }
    if s.stride == 0 {
        return Err(Error::invalid(
            "stride",
            "expected a positive integer, got 0",
        ));
    }
    if s.record == Record::SlopesThenFinalState && s.stride != 1 {
        return Err(Error::invalid(
            "stride",
            "recording slopes needs every step (stride 1)",
        ));
    }
    if s.record == Record::SlopesThenFinalState && s.n_paths > s.block_size {
        return Err(Error::invalid(
            "block_size",
            "recording slopes (step-major) needs all paths in one block",
        ));
    }
    if s.block_size == 0 {
        return Err(Error::invalid(
            "block_size",
            "expected a positive integer, got 0",
        ));
    }
    if s.n_steps + s.burn_in_steps > u32::MAX as usize {
        return Err(Error::invalid(
            "n_steps",
            format!("at most {} steps (including burn-in)", u32::MAX),
        ));
    }
    crate::work::check_work(
        "simulate (paths × steps)",
        crate::work::product(&[s.n_paths as u128, (s.n_steps + s.burn_in_steps) as u128]),
    )?;
    let (n, m) = (model.n(), model.m());
    let want = |arg: &'static str, got: usize, want: usize| {
        if got == want {
            Ok(())
        } else {
            Err(Error::invalid(
                arg,
                format!("expected {want} values, got {got}"),
            ))
        }
    };
    match input {
        Input::Zero => {}
        Input::Shared(u) => want("u", u.len(), s.n_steps * m)?,
        Input::PerPath(u) => want("u", u.len(), s.n_paths * s.n_steps * m)?,
    }
    match start {
        Start::Zero => {}
        Start::Shared(h) => want("h0", h.len(), n)?,
        Start::PerPath(h) => want("h0", h.len(), s.n_paths * n)?,
    }
    let [a, b, c] = s.output_shape(model);
    want("out", out_len, a * b * c)
}

/// The prepared model (padded `Wᵀ`, and `Γ` when it is a full matrix) and one workspace per
/// thread (about ten `block × width` buffers), estimated before any is made: both grow with
/// the caller's `n` and `block_size`, so too large a request is a memory-limit error, not an
/// abort.
fn check_buffers<R: Real>(model: &Srnn, block: usize) -> Result<()> {
    let width = model.n().next_multiple_of(8) as u128;
    let threads = rayon::current_num_threads() as u128;
    let entries = 2 * width * width + threads * 10 * block as u128 * (width + 8);
    crate::memory::check_memory(
        "simulation buffers",
        entries.saturating_mul(std::mem::size_of::<R>() as u128),
    )
}

/// Simulates `settings.n_paths` paths into `out` (`settings.output_shape(model)`, row-major).
pub fn simulate<R: Real>(
    model: &Srnn,
    input: Input<'_, R>,
    start: Start<'_, R>,
    settings: &Settings,
    out: &mut [R],
    progress: &Progress,
) -> Result<()> {
    check(model, &input, &start, settings, out.len())?;
    if out.is_empty() {
        return Ok(());
    }
    let per_path = settings.n_records() * settings.record_width(model);
    // Results do not depend on the block size, so one larger than the ensemble is cut to it
    // rather than sizing buffers by a number the caller may have mistyped.
    let block = settings.block_size.min(settings.n_paths).max(1);
    check_buffers::<R>(model, block)?;
    let prepared = prepared::Prepared::<R>::new(model, settings.dt, settings.w_product);
    progress.add_total((settings.n_paths * (settings.n_steps + settings.burn_in_steps)) as u64);
    let results: Vec<Result<()>> = out
        .par_chunks_mut(block * per_path)
        .enumerate()
        .map_init(
            || block::Workspace::new(&prepared, block),
            |ws, (index, chunk)| {
                progress.checkpoint()?;
                let job = block::BlockJob {
                    first: index * block,
                    rows: chunk.len() / per_path,
                    input,
                    start,
                    settings,
                };
                let outcome = block::run_block(&prepared, &job, ws, chunk, progress);
                if outcome.is_err() {
                    // Other blocks stop at their next checkpoint; the error reported is the one
                    // of the lowest block that failed.
                    progress.cancel();
                }
                outcome
            },
        )
        .collect();
    let mut interrupted = false;
    for r in results {
        match r {
            Err(Error::Interrupted) => interrupted = true,
            Err(e) => return Err(e),
            Ok(()) => {}
        }
    }
    if interrupted {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
