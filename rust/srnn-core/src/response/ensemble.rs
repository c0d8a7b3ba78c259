//! The runs every estimator shares: blocks of paths, each started from the stationary law
//! (its own burn-in) exactly as `simulate(h0 = "stationary")` with the same seed. How the
//! blocks' partial sums are combined is in `reduce`.

use super::EnsembleSettings;
use crate::model::Srnn;
use crate::progress::Progress;
use crate::simulation::{simulate, Input, Record, Settings, Start};
use crate::{Error, Result};

pub(crate) fn check_settings(model: &Srnn, s: &EnsembleSettings) -> Result<()> {
    crate::work::check_work(
        "the ensemble (paths × steps)",
        crate::work::product(&[s.n_paths as u128, (s.burn_in_steps + s.n_lags) as u128]),
    )?;
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
        w_product: Default::default(),
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
    let mut out = crate::memory::zeros("the ensemble's records", a * b * c)?;
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
