use pyo3::exceptions::{PyKeyboardInterrupt, PyValueError};
use pyo3::prelude::*;
use srnn_core::Error;

/// The one place where core errors become Python exceptions. Exception classes that are
/// ours (`DivergenceError`, `MemoryLimitError`, `WorkLimitError`) live in `srnn_rs.errors` so users can
/// import and catch them without touching the native module.
pub struct CoreError(pub Error);

impl From<Error> for CoreError {
    fn from(e: Error) -> Self {
        CoreError(e)
    }
}

fn ours(py: Python<'_>, name: &str, msg: String) -> PyErr {
    match py.import("srnn_rs.errors").and_then(|m| m.getattr(name)) {
        Ok(cls) => PyErr::from_type(cls.cast_into().expect("srnn_rs.errors holds classes"), msg),
        Err(e) => e,
    }
}

impl From<CoreError> for PyErr {
    fn from(CoreError(e): CoreError) -> PyErr {
        let msg = e.to_string();
        match e {
            Error::InvalidArgument { .. } => PyValueError::new_err(msg),
            Error::Interrupted => PyKeyboardInterrupt::new_err(msg),
            Error::MemoryLimit { .. } => Python::attach(|py| ours(py, "MemoryLimitError", msg)),
            Error::WorkLimit { .. } => Python::attach(|py| ours(py, "WorkLimitError", msg)),
            Error::Diverged { .. } => Python::attach(|py| ours(py, "DivergenceError", msg)),
        }
    }
}
