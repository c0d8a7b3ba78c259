//! The `srnn_rs._core` extension module: converts arguments, releases the GIL and maps core
//! errors; all numerical work lives in `srnn-core`.

mod convert;
mod errors;
mod memory;
mod pool;
mod request;
mod response;
mod runner;
mod signatures;
mod simulation;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(runner::cpu_features, m)?)?;
    m.add_function(wrap_pyfunction!(runner::init_thread_pool, m)?)?;
    m.add_function(wrap_pyfunction!(runner::thread_count, m)?)?;
    m.add(
        "DEFAULT_BLOCK_SIZE",
        srnn_core::simulation::DEFAULT_BLOCK_SIZE,
    )?;
    memory::register(m)?;
    simulation::register(m)?;
    response::register(m)?;
    signatures::register(m)?;
    Ok(())
}
