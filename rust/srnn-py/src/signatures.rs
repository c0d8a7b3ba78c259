//! Bindings of `srnn_core::signatures`. Arguments arrive validated, C-contiguous and float64
//! from the `srnn_rs.signatures` package; a path call arrives as one `PathRequest`. These
//! wrappers only convert, release the GIL and map errors.

use numpy::ndarray::{Array1, Array2, Array3};
use numpy::{
    IntoPyArray, PyArray2, PyArray3, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use srnn_core::signatures::{self as sig, Layout, LogSigMode, LogSigPlan, StaticKernel, UnaryOp};
use srnn_core::Error;

use crate::convert::{StaticKernelName, Wrap};
use crate::errors::CoreError;
use crate::pool::with_jobs;
use crate::request::PathRequest;
use crate::runner::{run_interruptible, run_quick};

pub fn slice<'a, T: numpy::Element, D: numpy::ndarray::Dimension>(
    name: &str,
    a: &'a numpy::PyReadonlyArray<'_, T, D>,
) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| PyValueError::new_err(format!("{name}: expected a C-contiguous array")))
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

fn too_long(d: usize, depth: usize) -> PyErr {
    CoreError(Error::invalid(
        "depth",
        format!("the signature of dimension {d} to depth {depth} is too long"),
    ))
    .into()
}

/// Length `d + d**2 + ... + d**depth` of a truncated signature.
#[pyfunction]
pub fn siglength(d: usize, depth: usize) -> PyResult<usize> {
    sig::siglength(d, depth).ok_or_else(|| too_long(d, depth))
}

/// Dimension of the free Lie algebra truncated at `depth` (Witt's formula).
#[pyfunction]
pub fn logsiglength(d: usize, depth: usize) -> PyResult<u128> {
    sig::logsiglength(d, depth).ok_or_else(|| too_long(d, depth))
}

/// Entries of a log-signature in `mode`.
#[pyfunction]
fn _logsig_width(d: usize, depth: usize, mode: Wrap<LogSigMode>) -> PyResult<u128> {
    match mode.0 {
        LogSigMode::Expand => siglength(d, depth).map(|s| s as u128),
        _ => logsiglength(d, depth),
    }
}

/// `(d_out, rows, width)` of the signature a request asks for: the channels after the
/// transforms, the rows per path and the entries per row.
#[pyfunction]
fn _signature_shape(request: PathRequest<'_>) -> PyResult<(usize, usize, usize)> {
    let r = request.core()?;
    let (_, rows, width) = r.output_shape();
    Ok((r.paths.d_out(), rows, width))
}

/// Signatures of the request's `(batch, L, d)` paths, `(batch, rows, width)`.
#[pyfunction]
fn _signature<'py>(
    py: Python<'py>,
    request: PathRequest<'py>,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let r = request.core()?;
    let shape = r.output_shape();
    let work = shape.0.saturating_mul(r.paths.len).saturating_mul(shape.2);
    let out = run(py, work, |progress| {
        with_jobs(request.n_jobs, || r.signature(progress))
    })?;
    Ok(Array3::from_shape_vec(shape, out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

/// Gradient of `Σ <grad, signature(path)>` with respect to `path`, `(batch, L, d)`; `grad`
/// is `(batch, rows * width)` in the layout `_signature` returns for the same request.
#[pyfunction]
fn _signature_backprop<'py>(
    py: Python<'py>,
    grad: PyReadonlyArray2<'py, f64>,
    request: PathRequest<'py>,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let r = request.core()?;
    let g = slice("grad", &grad)?;
    let p = &r.paths;
    let full = usize::try_from(r.full_len()).unwrap_or(usize::MAX);
    let work = p
        .batch
        .saturating_mul(p.spec.n_points(p.len))
        .saturating_mul(full)
        .saturating_mul(8);
    let out = run(py, work, |progress| {
        with_jobs(request.n_jobs, || r.backprop(g, progress))
    })?;
    Ok(Array3::from_shape_vec((p.batch, p.len, p.spec.d), out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

/// Log-signatures of the request's paths in `mode`, `(batch, rows, width)`.
#[pyfunction]
fn _logsignature<'py>(
    py: Python<'py>,
    request: PathRequest<'py>,
    mode: Wrap<LogSigMode>,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let r = request.core()?;
    let (batch, rows, _) = r.output_shape();
    let full = usize::try_from(r.full_len()).unwrap_or(usize::MAX);
    let work = batch.saturating_mul(r.paths.len).saturating_mul(full);
    let (out, width) = run(py, work, |progress| {
        with_jobs(request.n_jobs, || r.logsignature(mode.0, progress))
    })?;
    Ok(Array3::from_shape_vec((batch, rows, width), out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

/// `op` of `(n, full)` tensors in the full layout.
#[pyfunction]
fn _tensor_unary<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    d: usize,
    depth: usize,
    op: Wrap<UnaryOp>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let n = x.as_array().dim().0;
    let xs = slice("x", &x)?;
    let lay = Layout::new(d, depth);
    let full = lay.full_len();
    let out = run_quick(py, |_| sig::batch_unary(&lay, xs, op.0))?;
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

/// The plan for `(d, depth)` in `mode`, once the Lyndon basis it needs fits in memory.
fn logsig_plan(d: usize, depth: usize, mode: LogSigMode) -> PyResult<std::sync::Arc<LogSigPlan>> {
    if mode != LogSigMode::Expand {
        sig::check_lyndon_basis(d, depth).map_err(CoreError)?;
    }
    Ok(LogSigPlan::for_mode(d, depth, mode))
}

/// `(n, full)` signatures → `(n, width)` log-signature coordinates.
#[pyfunction]
fn _sig_to_logsig<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    d: usize,
    depth: usize,
    mode: Wrap<LogSigMode>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let plan = logsig_plan(d, depth, mode.0)?;
    let n = x.as_array().dim().0;
    let xs = slice("sig", &x)?;
    let width = plan.width(mode.0);
    let work = n.saturating_mul(plan.lay.full_len()).saturating_mul(depth);
    let out = run(py, work, |p| sig::sig_to_logsig(&plan, xs, mode.0, p))?;
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
    mode: Wrap<LogSigMode>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let plan = logsig_plan(d, depth, mode.0)?;
    let n = x.as_array().dim().0;
    let xs = slice("logsig", &x)?;
    let full = plan.lay.full_len();
    let work = n.saturating_mul(full).saturating_mul(depth);
    let out = run(py, work, |p| sig::logsig_to_sig(&plan, xs, mode.0, p))?;
    Ok(Array2::from_shape_vec((n, full), out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

/// Gradient of `Σ <grad, logsig(sig)>` with respect to the `(n, full)` signatures `sig`;
/// `grad` is `(n, width)` in `mode`'s coordinates.
#[pyfunction]
fn _logsig_backprop<'py>(
    py: Python<'py>,
    grad: PyReadonlyArray2<'py, f64>,
    sig: PyReadonlyArray2<'py, f64>,
    d: usize,
    depth: usize,
    mode: Wrap<LogSigMode>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let plan = logsig_plan(d, depth, mode.0)?;
    let n = sig.as_array().dim().0;
    let (g, s) = (slice("grad", &grad)?, slice("sig", &sig)?);
    let full = plan.lay.full_len();
    let work = n.saturating_mul(full).saturating_mul(depth * depth);
    let out = run(py, work, |p| sig::logsig_backprop(&plan, s, g, mode.0, p))?;
    Ok(Array2::from_shape_vec((n, full), out)
        .map_err(shape_err)?
        .into_pyarray(py))
}

/// Lyndon words (0-based letters) and their bracket labels.
#[pyfunction]
fn _lyndon_words(d: usize, depth: usize) -> PyResult<(Vec<Vec<u16>>, Vec<String>)> {
    sig::check_lyndon_basis(d, depth).map_err(CoreError)?;
    let words = sig::lyndon_words(d, depth);
    let labels = words.iter().map(|w| sig::label(w)).collect();
    Ok((words, labels))
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
    static_kernel: Wrap<StaticKernelName>,
    sigma: f64,
    pairwise: bool,
    n_jobs: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let sk = self::static_kernel(static_kernel.0, depth, sigma)?;
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

fn static_kernel(
    name: StaticKernelName,
    depth: Option<usize>,
    sigma: f64,
) -> PyResult<StaticKernel> {
    match (name, depth) {
        (StaticKernelName::Linear, _) => Ok(StaticKernel::Linear),
        (StaticKernelName::Rbf, None) => Ok(StaticKernel::Rbf { sigma }),
        (StaticKernelName::Rbf, Some(_)) => Err(CoreError(Error::invalid(
            "static_kernel",
            "the truncated kernel (depth given) supports only 'linear'; use depth=None for 'rbf'",
        ))
        .into()),
    }
}

type PathGrads<'py> = Vec<Bound<'py, PyArray2<f64>>>;

/// Gradients of the Goursat-PDE signature kernel: of `Σ_i grad[i] k(x[i], y[i])` with
/// `pairwise`, else of `Σ_ij grad[i, j] k(x[i], y[j])` (`grad` flat, row-major). Returns the
/// gradients with respect to each `x[i]` and each `y[j]`, each shaped like its path; with `y`
/// None (the Gram matrix of `x` with itself) both slots land on `x` and the second is None.
#[pyfunction]
#[pyo3(signature = (grad, x, y, d, dyadic_order, static_kernel, sigma, pairwise, n_jobs))]
#[allow(clippy::too_many_arguments)]
fn _sig_kernel_backprop<'py>(
    py: Python<'py>,
    grad: PyReadonlyArray1<'py, f64>,
    x: Vec<PyReadonlyArray2<'py, f64>>,
    y: Option<Vec<PyReadonlyArray2<'py, f64>>>,
    d: usize,
    dyadic_order: u32,
    static_kernel: Wrap<StaticKernelName>,
    sigma: f64,
    pairwise: bool,
    n_jobs: Option<usize>,
) -> PyResult<(PathGrads<'py>, Option<PathGrads<'py>>)> {
    let sk = self::static_kernel(static_kernel.0, None, sigma)?;
    let g = slice("grad", &grad)?;
    let xs = slices("x", &x)?;
    let ys = match &y {
        Some(y) => Some(slices("y", y)?),
        None => None,
    };
    let (gx, gy) = run_interruptible(py, None, |progress| {
        with_jobs(n_jobs, || {
            if pairwise {
                let ys = ys.as_deref().unwrap_or(&xs);
                sig::pde_pairwise_backprop(&xs, ys, d, dyadic_order, sk, g, progress)
                    .map(|(a, b)| (a, Some(b)))
            } else {
                sig::pde_gram_backprop(&xs, ys.as_deref(), d, dyadic_order, sk, g, progress)
            }
        })
    })?;
    let shaped = |v: Vec<Vec<f64>>| -> PyResult<PathGrads<'py>> {
        v.into_iter()
            .map(|p| {
                let rows = p.len() / d.max(1);
                Ok(Array2::from_shape_vec((rows, d), p)
                    .map_err(shape_err)?
                    .into_pyarray(py))
            })
            .collect()
    };
    let gy = match gy {
        Some(v) => Some(shaped(v)?),
        None => None,
    };
    Ok((shaped(gx)?, gy))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(siglength, m)?)?;
    m.add_function(wrap_pyfunction!(logsiglength, m)?)?;
    m.add_function(wrap_pyfunction!(_logsig_width, m)?)?;
    m.add_function(wrap_pyfunction!(_signature_shape, m)?)?;
    m.add_function(wrap_pyfunction!(_signature, m)?)?;
    m.add_function(wrap_pyfunction!(_signature_backprop, m)?)?;
    m.add_function(wrap_pyfunction!(_logsignature, m)?)?;
    m.add_function(wrap_pyfunction!(_tensor_unary, m)?)?;
    m.add_function(wrap_pyfunction!(_tensor_mul_chain, m)?)?;
    m.add_function(wrap_pyfunction!(_sig_to_logsig, m)?)?;
    m.add_function(wrap_pyfunction!(_logsig_to_sig, m)?)?;
    m.add_function(wrap_pyfunction!(_lyndon_words, m)?)?;
    m.add_function(wrap_pyfunction!(_sig_kernel, m)?)?;
    m.add_function(wrap_pyfunction!(_sig_kernel_backprop, m)?)?;
    m.add_function(wrap_pyfunction!(_logsig_backprop, m)?)?;
    Ok(())
}
