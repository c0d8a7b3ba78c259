//! Binding of the Lyapunov spectrum: arguments arrive validated and converted by
//! `srnn_rs.lyapunov`.

use numpy::{IntoPyArray, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use srnn_core::response::{self, EnsembleSettings, LyapunovSettings};

use crate::errors::CoreError;
use crate::runner::run_interruptible;
use crate::simulation::NativeModel;

/// The first `n_exponents` exponents over `n_paths` stationary paths of `n_steps` steps, with
/// the input `u` `(n_steps, m)` shared by all paths, or none.
#[pyfunction]
#[pyo3(signature = (model, *, dt, n_exponents, n_steps, qr_every, n_paths, seed, first_path, burn_in_steps, block_size, u=None, progress=None))]
#[allow(clippy::too_many_arguments)]
fn lyapunov<'py>(
    py: Python<'py>,
    model: &Bound<'py, NativeModel>,
    dt: f64,
    n_exponents: usize,
    n_steps: usize,
    qr_every: usize,
    n_paths: usize,
    seed: u64,
    first_path: u64,
    burn_in_steps: usize,
    block_size: usize,
    u: Option<PyReadonlyArray2<'py, f64>>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = &model.get().model;
    let settings = EnsembleSettings {
        dt,
        n_lags: 1,
        n_paths,
        seed,
        first_path,
        burn_in_steps,
        block_size,
    };
    let l = LyapunovSettings {
        n_exponents,
        n_steps,
        qr_every,
    };
    let input = match &u {
        Some(u) => Some(u.as_slice().map_err(|_| {
            pyo3::exceptions::PyValueError::new_err("u: expected a C-contiguous float64 array")
        })?),
        None => None,
    };
    let spec = run_interruptible(py, progress, |p| {
        response::lyapunov(model, &settings, &l, input, p)
    })?;
    let d = PyDict::new(py);
    d.set_item("values", spec.values.into_pyarray(py))?;
    d.set_item("stderr", spec.stderr.into_pyarray(py))?;
    d.set_item("n_paths", spec.n_paths)?;
    d.set_item("time", spec.time)?;
    Ok(d)
}

/// The starting frame `(k, n)`: its rows are the tangent vectors at step 0.
#[pyfunction]
fn lyapunov_initial_frame<'py>(
    py: Python<'py>,
    n: usize,
    k: usize,
) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
    let v = response::initial_frame(n, k);
    let arr = ndarray::Array2::from_shape_vec((k, n), v)
        .map_err(|e| CoreError(srnn_core::Error::invalid("k", e.to_string())))?;
    Ok(arr.into_pyarray(py))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(lyapunov, m)?)?;
    m.add_function(wrap_pyfunction!(lyapunov_initial_frame, m)?)?;
    Ok(())
}
