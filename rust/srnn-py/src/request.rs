//! The one value a path-signature call passes across the boundary: the frozen dataclass
//! `srnn_rs.signatures._args.PathRequest`, read attribute by attribute into the core's
//! `SignatureRequest`, which validates it and knows its shapes.

use numpy::{PyReadonlyArray2, PyReadonlyArray3, PyUntypedArrayMethods};
use pyo3::prelude::*;
use srnn_core::signatures::{Basepoint, PathBatch, PathSpec, SigOptions, SignatureRequest};

use crate::errors::CoreError;
use crate::signatures::slice;

/// `basepoint`: False (none), True (the origin) or the `(batch, d)` points.
#[derive(FromPyObject)]
enum BasepointArg<'py> {
    Flag(bool),
    Points(PyReadonlyArray2<'py, f64>),
}

/// The attributes of a `PathRequest`; arrays are float64 and C-contiguous.
#[derive(FromPyObject)]
pub struct PathRequest<'py> {
    /// `(batch, L, d)`.
    path: PyReadonlyArray3<'py, f64>,
    depth: usize,
    basepoint: BasepointArg<'py>,
    lead_lag: bool,
    time_aug: bool,
    end_time: f64,
    stream: bool,
    inverse: bool,
    scalar_term: bool,
    /// `(batch, full)` or `(1, full)` in the full layout.
    initial: Option<PyReadonlyArray2<'py, f64>>,
    pub n_jobs: Option<usize>,
}

impl PathRequest<'_> {
    /// The core request, borrowing the arrays.
    pub fn core(&self) -> PyResult<SignatureRequest<'_>> {
        let [batch, len, d] = [0, 1, 2].map(|axis| self.path.shape()[axis]);
        let basepoint = match &self.basepoint {
            BasepointArg::Flag(false) => Basepoint::None,
            BasepointArg::Flag(true) => Basepoint::Origin,
            BasepointArg::Points(points) => Basepoint::Points(slice("basepoint", points)?),
        };
        let spec = PathSpec {
            d,
            basepoint,
            lead_lag: self.lead_lag,
            time_aug: self.time_aug,
            end_time: self.end_time,
        };
        let paths =
            PathBatch::new(slice("path", &self.path)?, batch, len, spec).map_err(CoreError)?;
        let initial = match &self.initial {
            Some(i) => Some(slice("initial", i)?),
            None => None,
        };
        let options = SigOptions {
            depth: self.depth,
            stream: self.stream,
            inverse: self.inverse,
            scalar_term: self.scalar_term,
        };
        Ok(SignatureRequest::new(paths, initial, options).map_err(CoreError)?)
    }
}
