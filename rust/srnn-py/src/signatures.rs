//! Bindings of `srnn_core::signatures`. Arguments arrive validated, C-contiguous and float64
//! from `srnn_rs/signatures.py`; these wrappers only convert, release the GIL and map errors.

use numpy::ndarray::{Array1, Array2, Array3};
use numpy::{IntoPyArray, PyArray2, PyArray3, PyReadonlyArray2, PyReadonlyArray3};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use srnn_core::signatures::StaticKernel;
use srnn_core::signatures::{self as sig, Basepoint, Layout};
use srnn_core::signatures::{LogSigMode, LogSigPlan};

use crate::runner::{run_interruptible, run_quick};

fn slice<'a, T: numpy::Element, D: numpy::ndarray::Dimension>(
    name: &str,
    a: &'a numpy::PyReadonlyArray<'_, T, D>,
) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| PyValueError::new_err(format!("{name}: expected a C-contiguous array")))
}

/// Runs `f` on a pool of `n_jobs` threads, or on the global pool when `None`.
fn with_jobs<T: Send>(
    n_jobs: Option<usize>,
    f: impl FnOnce() -> srnn_core::Result<T> + Send,
) -> srnn_core::Result<T> {
    match n_jobs {
        None => f(),
        Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(f),
            Err(_) => f(),
        },
    }
}

/// Work (roughly, in multiply-adds) above which a call runs on a helper thread that lets
/// Ctrl-C interrupt it between paths; below it, spawning that thread would cost more than
/// the call.
const INTERRUPTIBLE_WORK: usize = 20_000_000;

fn run<T: Send>(
    py: Python<'_>,
    work: usize,
    f: impl FnOnce(&srnn_core::progress::Progress) -> srnn_core::Result<T> + Send,
) -> PyResult<T> {
    if work > INTERRUPTIBLE_WORK {
        run_interruptible(py, None, f)
    } else {
        run_quick(py, f)
    }
}

fn shape_err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("internal shape error: {e}"))
}

#[pyfunction]
#[pyo3(signature = (path, depth, stream, inverse, scalar_term, basepoint_mode, basepoint, initial, lead_lag, time_aug, end_time, n_jobs))]
#[allow(clippy::too_many_arguments)]
fn _signature<'py>(
    py: Python<'py>,
    path: PyReadonlyArray3<'py, f64>,
    depth: usize,
    stream: bool,
    inverse: bool,
    scalar_term: bool,
    basepoint_mode: u8,
    basepoint: Option<PyReadonlyArray2<'py, f64>>,
    initial: Option<PyReadonlyArray2<'py, f64>>,
    lead_lag: bool,
    time_aug: bool,
    end_time: f64,
    n_jobs: Option<usize>,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let (batch, len, d) = path.as_array().dim();
    let p = slice("path", &path)?;
    let bp_slice = match &basepoint {
        Some(b) => Some(slice("basepoint", b)?),
        None => None,
    };
    let basepoint = match (basepoint_mode, bp_slice) {
        (0, _) => Basepoint::None,
        (2, Some(b)) => Basepoint::Points(b),
        _ => Basepoint::Origin,
    };
    let init = match &initial {
        Some(i) => Some(slice("initial", i)?),
        None => None,
    };
    let spec = sig::PathSpec {
        d,
        basepoint,
        lead_lag,
        time_aug,
        end_time,
    };
    let opts = sig::SigOptions {
        depth,
        stream,
        inverse,
        scalar_term,
    };
    let rows = sig::n_rows(&spec, len, stream);
    let width = Layout::new(spec.d_out(), depth).sig_len() + usize::from(scalar_term);
    let work = batch * len * width;
    let out = run(py, work, |progress| {
        with_jobs(n_jobs, || {
            sig::signature(p, batch, len, &spec, init, &opts, progress)
        })
    })?;
    Ok(Array3::from_shape_vec((batch, rows, width), out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

/// `op` is "exp", "log" or "inverse"; `x` is `(n, full)` in the full layout.
#[pyfunction]
fn _tensor_unary<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    d: usize,
    depth: usize,
    op: &str,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let op = match op {
        "exp" => sig::UnaryOp::Exp,
        "log" => sig::UnaryOp::Log,
        "inverse" => sig::UnaryOp::Inverse,
        _ => {
            return Err(PyValueError::new_err(format!(
                "unknown tensor operation {op:?}"
            )))
        }
    };
    let n = x.as_array().dim().0;
    let xs = slice("x", &x)?;
    let lay = Layout::new(d, depth);
    let full = lay.full_len();
    let out = run_quick(py, |_| sig::batch_unary(&lay, xs, op))?;
    Ok(Array2::from_shape_vec((n, full), out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

/// Products `x[0] ⊗ x[1] ⊗ … ⊗ x[k-1]` of `(k, n, full)` tensors.
#[pyfunction]
fn _tensor_mul_chain<'py>(
    py: Python<'py>,
    xs: PyReadonlyArray3<'py, f64>,
    d: usize,
    depth: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (k, n, _) = xs.as_array().dim();
    let s = slice("x", &xs)?;
    let lay = Layout::new(d, depth);
    let full = lay.full_len();
    let out = run_quick(py, |_| sig::batch_mul_chain(&lay, s, k, n))?;
    Ok(Array2::from_shape_vec((n, full), out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

fn logsig_mode(mode: &str) -> PyResult<LogSigMode> {
    match mode {
        "lyndon" => Ok(LogSigMode::Lyndon),
        "expand" => Ok(LogSigMode::Expand),
        "words" => Ok(LogSigMode::Words),
        _ => Err(PyValueError::new_err(format!(
            "mode: expected 'lyndon', 'expand' or 'words', got {mode:?}"
        ))),
    }
}

#[pyfunction]
#[pyo3(signature = (path, depth, mode, stream, inverse, basepoint_mode, basepoint, lead_lag, time_aug, end_time, n_jobs))]
#[allow(clippy::too_many_arguments)]
fn _logsignature<'py>(
    py: Python<'py>,
    path: PyReadonlyArray3<'py, f64>,
    depth: usize,
    mode: &str,
    stream: bool,
    inverse: bool,
    basepoint_mode: u8,
    basepoint: Option<PyReadonlyArray2<'py, f64>>,
    lead_lag: bool,
    time_aug: bool,
    end_time: f64,
    n_jobs: Option<usize>,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let mode = logsig_mode(mode)?;
    let (batch, len, d) = path.as_array().dim();
    let p = slice("path", &path)?;
    let bp_slice = match &basepoint {
        Some(b) => Some(slice("basepoint", b)?),
        None => None,
    };
    let basepoint = match (basepoint_mode, bp_slice) {
        (0, _) => Basepoint::None,
        (2, Some(b)) => Basepoint::Points(b),
        _ => Basepoint::Origin,
    };
    let spec = sig::PathSpec {
        d,
        basepoint,
        lead_lag,
        time_aug,
        end_time,
    };
    let opts = sig::SigOptions {
        depth,
        stream,
        inverse,
        scalar_term: true,
    };
    let rows = sig::n_rows(&spec, len, stream);
    let de = spec.d_out();
    let plan = LogSigPlan::cached(de, depth);
    let width = plan.width(mode);
    let work = batch * len * plan.lay.full_len();
    let out = run(py, work, |progress| {
        with_jobs(n_jobs, || {
            let s = sig::signature(p, batch, len, &spec, None, &opts, progress)?;
            sig::sig_to_logsig(&plan, &s, mode)
        })
    })?;
    Ok(Array3::from_shape_vec((batch, rows, width), out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

/// `(n, full)` signatures → `(n, width)` log-signature coordinates.
#[pyfunction]
fn _sig_to_logsig<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    d: usize,
    depth: usize,
    mode: &str,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let mode = logsig_mode(mode)?;
    let n = x.as_array().dim().0;
    let xs = slice("sig", &x)?;
    let plan = LogSigPlan::cached(d, depth);
    let width = plan.width(mode);
    let out = run_quick(py, |_| sig::sig_to_logsig(&plan, xs, mode))?;
    Ok(Array2::from_shape_vec((n, width), out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

/// `(n, width)` log-signature coordinates → `(n, full)` signatures.
#[pyfunction]
fn _logsig_to_sig<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    d: usize,
    depth: usize,
    mode: &str,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let mode = logsig_mode(mode)?;
    let n = x.as_array().dim().0;
    let xs = slice("logsig", &x)?;
    let plan = LogSigPlan::cached(d, depth);
    let full = plan.lay.full_len();
    let out = run_quick(py, |_| sig::logsig_to_sig(&plan, xs, mode))?;
    Ok(Array2::from_shape_vec((n, full), out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

/// Lyndon words (0-based letters) and their bracket labels.
#[pyfunction]
fn _lyndon_words(d: usize, depth: usize) -> (Vec<Vec<u16>>, Vec<String>) {
    let words = sig::lyndon_words(d, depth);
    let labels = words.iter().map(|w| sig::label(w)).collect();
    (words, labels)
}

fn static_kernel(name: &str, sigma: f64) -> PyResult<StaticKernel> {
    match name {
        "linear" => Ok(StaticKernel::Linear),
        "rbf" => Ok(StaticKernel::Rbf { sigma }),
        _ => Err(PyValueError::new_err(format!(
            "static_kernel: expected 'linear' or 'rbf', got {name:?}"
        ))),
    }
}

fn slices<'a>(name: &str, v: &'a [PyReadonlyArray2<'_, f64>]) -> PyResult<Vec<&'a [f64]>> {
    v.iter().map(|a| slice(name, a)).collect()
}

/// Signature kernels between the paths `x[i]` (each `(L_i, d)`) and `y[j]`: the Gram matrix
/// `(len(x), len(y))` (of `x` with itself when `y` is None), or with `pairwise` the vector
/// `k(x[i], y[i])`. Truncated when `depth` is given, else by the Goursat PDE.
#[pyfunction]
#[pyo3(signature = (x, y, d, depth, dyadic_order, static_kernel, sigma, pairwise, n_jobs))]
#[allow(clippy::too_many_arguments)]
fn _sig_kernel<'py>(
    py: Python<'py>,
    x: Vec<PyReadonlyArray2<'py, f64>>,
    y: Option<Vec<PyReadonlyArray2<'py, f64>>>,
    d: usize,
    depth: Option<usize>,
    dyadic_order: u32,
    static_kernel: &str,
    sigma: f64,
    pairwise: bool,
    n_jobs: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let sk = self::static_kernel(static_kernel, sigma)?;
    let xs = slices("x", &x)?;
    let ys = match &y {
        Some(y) => Some(slices("y", y)?),
        None => None,
    };
    let (nx, ny) = (xs.len(), ys.as_ref().map_or(xs.len(), |v| v.len()));
    let out = run_interruptible(py, None, |progress| {
        with_jobs(n_jobs, || match (depth, pairwise) {
            (Some(depth), _) => sig::truncated(&xs, ys.as_deref(), d, depth, pairwise, progress),
            (None, true) => sig::pde_pairwise(
                &xs,
                ys.as_deref().unwrap_or(&xs),
                d,
                dyadic_order,
                sk,
                progress,
            ),
            (None, false) => sig::pde_gram(&xs, ys.as_deref(), d, dyadic_order, sk, progress),
        })
    })?;
    if pairwise {
        Ok(Array1::from_vec(out).into_pyarray(py).into_any())
    } else {
        Ok(Array2::from_shape_vec((nx, ny), out)
            .map_err(shape_err)?
            .into_pyarray(py)
            .into_any())
    }
}

/// Gradient of `Σ <grad, signature(path)>` with respect to `path`, `(batch, L, d)`; `grad`
/// is `(batch, rows * width)` in the layout `_signature` returns for the same options.
#[pyfunction]
#[pyo3(signature = (grad, path, depth, stream, inverse, scalar_term, basepoint_mode, basepoint, initial, lead_lag, time_aug, end_time, n_jobs))]
#[allow(clippy::too_many_arguments)]
fn _signature_backprop<'py>(
    py: Python<'py>,
    grad: PyReadonlyArray2<'py, f64>,
    path: PyReadonlyArray3<'py, f64>,
    depth: usize,
    stream: bool,
    inverse: bool,
    scalar_term: bool,
    basepoint_mode: u8,
    basepoint: Option<PyReadonlyArray2<'py, f64>>,
    initial: Option<PyReadonlyArray2<'py, f64>>,
    lead_lag: bool,
    time_aug: bool,
    end_time: f64,
    n_jobs: Option<usize>,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let (batch, len, d) = path.as_array().dim();
    let p = slice("path", &path)?;
    let g = slice("grad", &grad)?;
    let bp_slice = match &basepoint {
        Some(b) => Some(slice("basepoint", b)?),
        None => None,
    };
    let basepoint = match (basepoint_mode, bp_slice) {
        (0, _) => Basepoint::None,
        (2, Some(b)) => Basepoint::Points(b),
        _ => Basepoint::Origin,
    };
    let init = match &initial {
        Some(i) => Some(slice("initial", i)?),
        None => None,
    };
    let spec = sig::PathSpec {
        d,
        basepoint,
        lead_lag,
        time_aug,
        end_time,
    };
    let opts = sig::SigOptions {
        depth,
        stream,
        inverse,
        scalar_term,
    };
    let full = Layout::new(spec.d_out(), depth).full_len();
    let work = batch * spec.n_points(len) * full * 8;
    let out = run(py, work, |progress| {
        with_jobs(n_jobs, || {
            sig::signature_backprop(g, p, batch, len, &spec, init, &opts, progress)
        })
    })?;
    Ok(Array3::from_shape_vec((batch, len, d), out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_signature_backprop, m)?)?;
    m.add_function(wrap_pyfunction!(_sig_kernel, m)?)?;
    m.add_function(wrap_pyfunction!(_logsignature, m)?)?;
    m.add_function(wrap_pyfunction!(_sig_to_logsig, m)?)?;
    m.add_function(wrap_pyfunction!(_logsig_to_sig, m)?)?;
    m.add_function(wrap_pyfunction!(_lyndon_words, m)?)?;
    m.add_function(wrap_pyfunction!(_signature, m)?)?;
    m.add_function(wrap_pyfunction!(_tensor_unary, m)?)?;
    m.add_function(wrap_pyfunction!(_tensor_mul_chain, m)?)?;
    Ok(())
}
