//! Bindings of the response engine: stationary statistics, correlation functions and
//! response kernels. Arguments arrive validated and converted by `srnn_rs.response`.

use ndarray::{ArrayD, IxDyn};
use numpy::IntoPyArray;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use srnn_core::response::{self, EnsembleSettings, Kernel, Observable};

use crate::errors::CoreError;
use crate::runner::{run_interruptible, run_quick};
use crate::simulation::NativeModel;

fn array<'py>(py: Python<'py>, shape: &[usize], values: Vec<f64>) -> PyResult<Bound<'py, PyAny>> {
    let arr = ArrayD::from_shape_vec(IxDyn(shape), values)
        .map_err(|e| PyValueError::new_err(format!("internal shape mismatch: {e}")))?;
    Ok(arr.into_pyarray(py).into_any())
}

fn kernel_dict<'py>(py: Python<'py>, k: Kernel) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("lags", array(py, &[k.lags.len()], k.lags)?)?;
    d.set_item("values", array(py, &k.shape, k.values)?)?;
    d.set_item("stderr", array(py, &k.shape, k.stderr)?)?;
    let p = k.mean.len();
    d.set_item("mean", array(py, &[p], k.mean)?)?;
    d.set_item("mean_stderr", array(py, &[p], k.mean_stderr)?)?;
    d.set_item("n_paths", k.n_paths)?;
    Ok(d)
}

fn settings(
    dt: f64,
    n_lags: usize,
    n_paths: usize,
    seed: u64,
    first_path: u64,
    burn_in_steps: usize,
    block_size: usize,
) -> EnsembleSettings {
    EnsembleSettings {
        dt,
        n_lags,
        n_paths,
        seed,
        first_path,
        burn_in_steps,
        block_size,
    }
}

/// Monte Carlo response kernel of `order` by `method` (not "exact").
#[pyfunction]
#[pyo3(signature = (model, *, method, order, dt, n_lags, n_paths, seed, first_path, burn_in_steps, block_size, bin_width, eps, n_origins, every, progress=None))]
#[allow(clippy::too_many_arguments)]
fn response_kernel<'py>(
    py: Python<'py>,
    model: &Bound<'py, NativeModel>,
    method: &str,
    order: usize,
    dt: f64,
    n_lags: usize,
    n_paths: usize,
    seed: u64,
    first_path: u64,
    burn_in_steps: usize,
    block_size: usize,
    bin_width: usize,
    eps: f64,
    n_origins: usize,
    every: usize,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = &model.get().model;
    let s = settings(
        dt,
        n_lags,
        n_paths,
        seed,
        first_path,
        burn_in_steps,
        block_size,
    );
    let method = method.to_owned();
    let k = run_interruptible(py, progress, |p| match (method.as_str(), order) {
        ("adjoint", 1) => response::adjoint_k1(model, &s, p),
        ("fd", 1) => response::fd_k1(model, &s, eps, p),
        ("fd", 2) => response::fd_k2(model, &s, eps, p),
        ("girsanov", 1) => response::girsanov_k1(model, &s, bin_width, p),
        ("girsanov", 2) => response::girsanov_k2(model, &s, bin_width, p),
        ("fdt_gauss", 1) => response::fdt_gauss_k1(model, &s, n_origins, every, p),
        (m, o) => Err(srnn_core::Error::invalid(
            "method",
            format!("method {m:?} does not estimate order-{o} kernels"),
        )),
    })?;
    kernel_dict(py, k)
}

/// `R e^{−Aτ} C` at `lags` for a linear network, `(L, p, m)`.
#[pyfunction]
fn exact_kernel<'py>(
    py: Python<'py>,
    model: &Bound<'py, NativeModel>,
    lags: Vec<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let model = &model.get().model;
    let (l, p, m) = (lags.len(), model.p(), model.m());
    let values = run_quick(py, |_| response::exact_k1(model, &lags))?;
    array(py, &[l, p, m], values)
}

/// Stationary mean and covariance of a linear network (state and readout).
#[pyfunction]
fn exact_stationary<'py>(
    py: Python<'py>,
    model: &Bound<'py, NativeModel>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = &model.get().model;
    let st = response::exact_stationary(model).map_err(CoreError)?;
    let d = PyDict::new(py);
    d.set_item("mean_state", st.mean_state.into_pyarray(py))?;
    d.set_item("cov_state", st.cov_state.into_pyarray(py))?;
    d.set_item("mean_readout", st.mean_readout.into_pyarray(py))?;
    d.set_item("cov_readout", st.cov_readout.into_pyarray(py))?;
    Ok(d)
}

#[pyfunction]
#[pyo3(signature = (model, *, dt, n_paths, seed, first_path, burn_in_steps, block_size, n_steps, stride, progress=None))]
#[allow(clippy::too_many_arguments)]
fn stationary_stats<'py>(
    py: Python<'py>,
    model: &Bound<'py, NativeModel>,
    dt: f64,
    n_paths: usize,
    seed: u64,
    first_path: u64,
    burn_in_steps: usize,
    block_size: usize,
    n_steps: usize,
    stride: usize,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = &model.get().model;
    let s = settings(dt, 1, n_paths, seed, first_path, burn_in_steps, block_size);
    let st = run_interruptible(py, progress, |p| {
        response::stationary_stats(model, &s, n_steps, stride, p)
    })?;
    let (n, q) = (model.n(), model.p());
    let d = PyDict::new(py);
    d.set_item("mean_state", array(py, &[n], st.mean_state)?)?;
    d.set_item("mean_state_stderr", array(py, &[n], st.mean_state_se)?)?;
    d.set_item("cov_state", array(py, &[n, n], st.cov_state)?)?;
    d.set_item("cov_state_stderr", array(py, &[n, n], st.cov_state_se)?)?;
    d.set_item("mean_readout", array(py, &[q], st.mean_readout)?)?;
    d.set_item("mean_readout_stderr", array(py, &[q], st.mean_readout_se)?)?;
    d.set_item("cov_readout", array(py, &[q, q], st.cov_readout)?)?;
    d.set_item("cov_readout_stderr", array(py, &[q, q], st.cov_readout_se)?)?;
    d.set_item("n_paths", st.n_paths)?;
    Ok(d)
}

#[pyfunction]
#[pyo3(signature = (model, *, observable, dt, n_lags, n_paths, seed, first_path, burn_in_steps, block_size, n_origins, every, progress=None))]
#[allow(clippy::too_many_arguments)]
fn correlation<'py>(
    py: Python<'py>,
    model: &Bound<'py, NativeModel>,
    observable: &str,
    dt: f64,
    n_lags: usize,
    n_paths: usize,
    seed: u64,
    first_path: u64,
    burn_in_steps: usize,
    block_size: usize,
    n_origins: usize,
    every: usize,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = &model.get().model;
    let observable = match observable {
        "state" => Observable::State,
        "readout" => Observable::Readout,
        "drift" => Observable::Drift,
        other => {
            return Err(PyValueError::new_err(format!(
                "g: expected 'state', 'readout' or 'drift', got {other:?}"
            )))
        }
    };
    let s = settings(
        dt,
        n_lags,
        n_paths,
        seed,
        first_path,
        burn_in_steps,
        block_size,
    );
    let c = run_interruptible(py, progress, |p| {
        response::correlation(model, &s, observable, n_origins, every, p)
    })?;
    let d = PyDict::new(py);
    d.set_item("lags", array(py, &[c.lags.len()], c.lags)?)?;
    d.set_item("values", array(py, &c.shape, c.values)?)?;
    d.set_item("stderr", array(py, &c.shape, c.stderr)?)?;
    d.set_item("n_paths", c.n_paths)?;
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(response_kernel, m)?)?;
    m.add_function(wrap_pyfunction!(exact_kernel, m)?)?;
    m.add_function(wrap_pyfunction!(exact_stationary, m)?)?;
    m.add_function(wrap_pyfunction!(stationary_stats, m)?)?;
    m.add_function(wrap_pyfunction!(correlation, m)?)?;
    Ok(())
}
