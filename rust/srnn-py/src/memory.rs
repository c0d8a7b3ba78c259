//! The memory limit of `srnn_core::memory`, read and set from Python, and the check that
//! Python-side allocations ask for (so the limit and its message live in the core).

use pyo3::prelude::*;
use srnn_core::{memory, work};

use crate::errors::CoreError;

/// Sets the largest result in bytes; a limit beyond `u64` means no limit.
#[pyfunction]
fn set_memory_limit(n_bytes: u128) -> PyResult<()> {
    let bytes = u64::try_from(n_bytes).unwrap_or(u64::MAX);
    Ok(memory::set_memory_limit(bytes).map_err(CoreError)?)
}

#[pyfunction]
fn get_memory_limit() -> u64 {
    memory::memory_limit()
}

/// Raises `MemoryLimitError` when `what` would need more than `n_bytes`.
#[pyfunction]
fn check_memory(what: &str, n_bytes: u128) -> PyResult<()> {
    Ok(memory::check_memory(what, n_bytes).map_err(CoreError)?)
}

/// Sets the most units of work a call may start; a limit beyond `u64` means no limit.
#[pyfunction]
fn set_work_limit(n_units: u128) -> PyResult<()> {
    let units = u64::try_from(n_units).unwrap_or(u64::MAX);
    Ok(work::set_work_limit(units).map_err(CoreError)?)
}

#[pyfunction]
fn get_work_limit() -> u64 {
    work::work_limit()
}

/// Raises `WorkLimitError` when `what` would take more than `n_units`.
#[pyfunction]
fn check_work(what: &str, n_units: u128) -> PyResult<()> {
    Ok(work::check_work(what, n_units).map_err(CoreError)?)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(set_memory_limit, m)?)?;
    m.add_function(wrap_pyfunction!(get_memory_limit, m)?)?;
    m.add_function(wrap_pyfunction!(check_memory, m)?)?;
    m.add_function(wrap_pyfunction!(set_work_limit, m)?)?;
    m.add_function(wrap_pyfunction!(get_work_limit, m)?)?;
    m.add_function(wrap_pyfunction!(check_work, m)?)?;
    Ok(())
}
