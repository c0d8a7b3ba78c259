//! The streaming skeleton every estimator shares: paths in blocks, each block started from
//! the stationary law (its own burn-in) and reduced to partial sums, blocks combined strictly
//! in block order. Memory is a group of blocks' partials, never proportional to `n_paths`.

use rayon::prelude::*;

use super::{EnsembleSettings, Kernel};
use crate::model::Srnn;
use crate::progress::Progress;
use crate::simulation::{simulate, Input, Record, Settings, Start};
use crate::{Error, Result};

/// At most this many blocks are evaluated before their partials are folded. Folding is
/// sequential in block order whatever the group size, so the group only bounds memory.
const MAX_GROUP: usize = 64;
/// Bytes of partial sums held at once, beyond one partial per thread.
const GROUP_BYTES: usize = 64 << 20;

/// Running sums over paths of per-path values (`count` paths), mergeable in order. Sums are
/// of `x − shift` (the first path's values) so that the variance of nearly constant values
/// is not lost to cancellation.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    pub count: usize,
    pub shift: Vec<f64>,
    pub sum: Vec<f64>,
    pub sumsq: Vec<f64>,
}

impl Moments {
    pub fn new(len: usize) -> Self {
        Moments {
            count: 0,
            shift: vec![0.0; len],
            sum: vec![0.0; len],
            sumsq: vec![0.0; len],
        }
    }

    /// Adds one path's values.
    pub fn push(&mut self, values: &[f64]) {
        if self.count == 0 {
            self.shift.copy_from_slice(values);
        }
        for (((s, q), &v), &c) in self
            .sum
            .iter_mut()
            .zip(&mut self.sumsq)
            .zip(values)
            .zip(&self.shift)
        {
            let d = v - c;
            *s += d;
            *q += d * d;
        }
        self.count += 1;
    }

    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        let n = other.count as f64;
        for e in 0..self.sum.len() {
            // Re-express the other sums about this shift: x − a = (x − b) + (b − a).
            let delta = other.shift[e] - self.shift[e];
            self.sum[e] += other.sum[e] + n * delta;
            self.sumsq[e] += other.sumsq[e] + 2.0 * delta * other.sum[e] + n * delta * delta;
        }
        self.count += other.count;
    }

    pub fn mean(&self) -> Vec<f64> {
        let n = self.count.max(1) as f64;
        self.sum
            .iter()
            .zip(&self.shift)
            .map(|(s, c)| c + s / n)
            .collect()
    }

    /// Standard error of the mean, `sd / √count` (zero for fewer than two paths).
    pub fn stderr(&self) -> Vec<f64> {
        let n = self.count as f64;
        if self.count < 2 {
            return vec![0.0; self.sum.len()];
        }
        self.sum
            .iter()
            .zip(&self.sumsq)
            .map(|(s, q)| {
                let m = s / n;
                ((q / n - m * m).max(0.0) / (n - 1.0)).sqrt()
            })
            .collect()
    }
}

/// A kernel of `order` and `shape` from blocks that each return the moments of their
/// paths' kernel values and of their readouts `y_N`. `block` gets a scratch value
/// (`S::default()` at first) that is reused across the blocks one rayon job runs, so large
/// buffers are not allocated and zeroed block after block.
pub(crate) fn kernel_from_blocks<S: Default + Send>(
    s: &EnsembleSettings,
    progress: &Progress,
    order: usize,
    shape: Vec<usize>,
    block: impl Fn(&mut S, usize, usize) -> Result<(Moments, Moments)> + Sync,
) -> Result<Kernel> {
    let size: usize = shape.iter().product();
    let (k, mean) = reduce_blocks_with(s, progress, 3 * size, block, |acc, part| {
        acc.0.merge(&part.0);
        acc.1.merge(&part.1);
    })?;
    Ok(Kernel::from_moments(
        order,
        s.lags(),
        shape,
        &k,
        Some(&mean),
    ))
}

/// Runs `block(first, rows)` for every block of paths (positions relative to
/// `settings.first_path`) and folds the results with `merge` in block order.
/// `partial_len` is the number of `f64` in one block's partial (it sizes the groups).
pub(crate) fn reduce_blocks<T: Send>(
    settings: &EnsembleSettings,
    progress: &Progress,
    partial_len: usize,
    block: impl Fn(usize, usize) -> Result<T> + Sync,
    merge: impl FnMut(&mut T, T),
) -> Result<T> {
    let block = |_: &mut (), first: usize, rows: usize| block(first, rows);
    reduce_blocks_with(settings, progress, partial_len, block, merge)
}

/// [`reduce_blocks`] passing `block` a scratch value reused across the blocks of a rayon job.
pub(crate) fn reduce_blocks_with<S: Default + Send, T: Send>(
    settings: &EnsembleSettings,
    progress: &Progress,
    partial_len: usize,
    block: impl Fn(&mut S, usize, usize) -> Result<T> + Sync,
    mut merge: impl FnMut(&mut T, T),
) -> Result<T> {
    let size = settings.block_size.max(1);
    let n_blocks = settings.n_paths.div_ceil(size);
    let group = (GROUP_BYTES / (8 * partial_len.max(1)))
        .clamp(1, MAX_GROUP)
        .max(rayon::current_num_threads());
    let mut acc: Option<T> = None;
    let mut start = 0;
    while start < n_blocks {
        progress.checkpoint()?;
        let end = (start + group).min(n_blocks);
        let parts: Vec<Result<T>> = (start..end)
            .into_par_iter()
            .map_init(S::default, |scratch, index| {
                progress.checkpoint()?;
                let first = index * size;
                let rows = size.min(settings.n_paths - first);
                let out = block(scratch, first, rows);
                if out.is_err() {
                    progress.cancel();
                }
                out
            })
            .collect();
        for part in parts {
            let part = part?;
            match acc.as_mut() {
                None => acc = Some(part),
                Some(a) => merge(a, part),
            }
        }
        start = end;
    }
    acc.ok_or_else(|| Error::invalid("n_paths", "expected at least one path"))
}

pub(crate) fn check_settings(model: &Srnn, s: &EnsembleSettings) -> Result<()> {
    if !(s.dt.is_finite() && s.dt > 0.0) {
        return Err(Error::invalid(
            "dt",
            format!("expected a finite positive time step, got {}", s.dt),
        ));
    }
    if s.n_lags == 0 {
        return Err(Error::invalid("max_lag", "expected at least one lag"));
    }
    if s.n_paths < 2 {
        return Err(Error::invalid(
            "n_paths",
            format!("standard errors need at least 2 paths, got {}", s.n_paths),
        ));
    }
    if model.m() == 0 {
        return Err(Error::invalid(
            "model",
            "the network has no input channels (C has 0 columns), so it has no response kernel",
        ));
    }
    Ok(())
}

/// Settings of one block run; noise of path `first_path + first + i` as in a single run.
fn block_settings(
    s: &EnsembleSettings,
    first: usize,
    rows: usize,
    n_steps: usize,
    burn_in_steps: usize,
    record: Record,
) -> Settings {
    Settings {
        dt: s.dt,
        n_steps,
        seed: s.seed,
        first_path: s.first_path + first as u64,
        n_paths: rows,
        stride: 1,
        record,
        burn_in_steps,
        block_size: rows.max(1),
    }
}

/// States `(rows, n)` of a block after the burn-in: samples of the stationary law, exactly
/// the step-0 states of `simulate(h0 = "stationary")` with the same seed and burn-in.
pub(crate) fn stationary_start(
    model: &Srnn,
    s: &EnsembleSettings,
    first: usize,
    rows: usize,
) -> Result<Vec<f64>> {
    stationary_run(model, s, first, rows, 0, Record::FinalState)
}

/// Burn-in then `n_steps` unperturbed main steps of a block, in one run: exactly
/// `simulate(h0 = "stationary")` with the same seed and burn-in.
pub(crate) fn stationary_run(
    model: &Srnn,
    s: &EnsembleSettings,
    first: usize,
    rows: usize,
    n_steps: usize,
    record: Record,
) -> Result<Vec<f64>> {
    let mut out = Vec::new();
    stationary_run_into(model, s, first, rows, n_steps, record, &mut out)?;
    Ok(out)
}

/// [`stationary_run`] into `out`, resized (not cleared: the run writes every entry), so a
/// worker reuses one buffer across its blocks instead of zeroing a fresh one each time.
pub(crate) fn stationary_run_into(
    model: &Srnn,
    s: &EnsembleSettings,
    first: usize,
    rows: usize,
    n_steps: usize,
    record: Record,
    out: &mut Vec<f64>,
) -> Result<()> {
    let settings = block_settings(s, first, rows, n_steps, s.burn_in_steps, record);
    let [a, b, c] = settings.output_shape(model);
    out.resize(a * b * c, 0.0);
    simulate(
        model,
        Input::Zero,
        Start::Zero,
        &settings,
        out,
        &Progress::new(),
    )
}

/// Runs a block from `h0` (`(rows, n)`) for `n_steps` main steps with `input` shared by the
/// block, recording `record`.
pub(crate) fn run_from(
    model: &Srnn,
    s: &EnsembleSettings,
    first: usize,
    h0: &[f64],
    n_steps: usize,
    input: Input<'_, f64>,
    record: Record,
) -> Result<Vec<f64>> {
    let rows = h0.len() / model.n();
    let settings = block_settings(s, first, rows, n_steps, 0, record);
    let [a, b, c] = settings.output_shape(model);
    let mut out = vec![0.0; a * b * c];
    simulate(
        model,
        input,
        Start::PerPath(h0),
        &settings,
        &mut out,
        &Progress::new(),
    )?;
    Ok(out)
}

/// `y = g(R h + r0)` for one state, into `y` (`p`).
pub(crate) fn readout(model: &Srnn, h: &[f64], y: &mut [f64]) {
    let ro = &model.readout;
    match &ro.matrix {
        Some(r) => {
            for (o, yo) in y.iter_mut().enumerate() {
                let z: f64 = r.row(o).iter().zip(h).map(|(a, b)| a * b).sum::<f64>() + ro.bias[o];
                *yo = ro.activation.value::<false>(z);
            }
        }
        None => {
            for ((yo, &hv), &b) in y.iter_mut().zip(h).zip(&ro.bias) {
                *yo = ro.activation.value::<false>(hv + b);
            }
        }
    }
}

/// `∇f(h)`, `(p, n)` row-major, into `grad`.
pub(crate) fn readout_gradient(model: &Srnn, h: &[f64], grad: &mut [f64]) {
    let ro = &model.readout;
    let n = model.n();
    grad.fill(0.0);
    match &ro.matrix {
        Some(r) => {
            for o in 0..model.p() {
                let z: f64 = r.row(o).iter().zip(h).map(|(a, b)| a * b).sum::<f64>() + ro.bias[o];
                let d = ro.activation.first_derivative::<false>(z);
                for c in 0..n {
                    grad[o * n + c] = d * r[[o, c]];
                }
            }
        }
        None => {
            for c in 0..n {
                grad[c * n + c] = ro.activation.first_derivative::<false>(h[c] + ro.bias[c]);
            }
        }
    }
}

/// The drift `b(h) = −Γ h + a(W h + b)` without input, into `out` (`n`).
pub(crate) fn drift(model: &Srnn, gamma: &ndarray::Array2<f64>, h: &[f64], out: &mut [f64]) {
    for (i, o) in out.iter_mut().enumerate().take(model.n()) {
        let w_h: f64 = model.w.row(i).iter().zip(h).map(|(a, b)| a * b).sum();
        let leak: f64 = gamma.row(i).iter().zip(h).map(|(a, b)| a * b).sum();
        *o = model.activation.value::<false>(w_h + model.b[i]) - leak;
    }
}
