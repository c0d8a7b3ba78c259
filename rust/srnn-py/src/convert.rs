//! Conversions of the string options that cross the boundary. Each option is parsed here,
//! once, and a bad value fails through the error map with the argument's name (the same
//! message `srnn_rs` gives for its own choices).

use pyo3::prelude::*;
use srnn_core::response::Observable;
use srnn_core::signatures::{LogSigMode, UnaryOp};
use srnn_core::simulation::Record;
use srnn_core::Error;

use crate::errors::CoreError;

/// A core value extracted from a Python string (the newtype lets the binding implement
/// `FromPyObject` for types of the core).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wrap<T>(pub T);

/// A string option: the argument it is passed as and its spellings.
pub trait StringOption: Copy + PartialEq + 'static {
    const ARGUMENT: &'static str;
    const CHOICES: &'static [(&'static str, Self)];

    /// The spelling of `self`.
    fn name(self) -> &'static str {
        Self::CHOICES
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("", |(name, _)| name)
    }
}

impl StringOption for LogSigMode {
    const ARGUMENT: &'static str = "mode";
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("lyndon", LogSigMode::Lyndon),
        ("expand", LogSigMode::Expand),
        ("words", LogSigMode::Words),
    ];
}

impl StringOption for UnaryOp {
    const ARGUMENT: &'static str = "op";
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("exp", UnaryOp::Exp),
        ("log", UnaryOp::Log),
        ("inverse", UnaryOp::Inverse),
    ];
}

impl StringOption for Record {
    const ARGUMENT: &'static str = "record";
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("state", Record::State),
        ("readout", Record::Readout),
        ("final", Record::FinalReadout),
        ("final_state", Record::FinalState),
    ];
}

impl StringOption for Observable {
    const ARGUMENT: &'static str = "g";
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("state", Observable::State),
        ("readout", Observable::Readout),
        ("drift", Observable::Drift),
    ];
}

/// What an ensemble job estimates: a kernel by one of the Monte Carlo methods, or a statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnsembleKind {
    Adjoint,
    Fd,
    Girsanov,
    FdtGauss,
    Stats,
    Correlation,
}

impl StringOption for EnsembleKind {
    const ARGUMENT: &'static str = "method";
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("adjoint", EnsembleKind::Adjoint),
        ("fd", EnsembleKind::Fd),
        ("girsanov", EnsembleKind::Girsanov),
        ("fdt_gauss", EnsembleKind::FdtGauss),
        ("stats", EnsembleKind::Stats),
        ("correlation", EnsembleKind::Correlation),
    ];
}

/// The floating-point type a simulation runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    Float64,
    Float32,
}

impl StringOption for Dtype {
    const ARGUMENT: &'static str = "dtype";
    const CHOICES: &'static [(&'static str, Self)] =
        &[("float64", Dtype::Float64), ("float32", Dtype::Float32)];
}

/// The static kernel's family; its bandwidth is a separate argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaticKernelName {
    Linear,
    Rbf,
}

impl StringOption for StaticKernelName {
    const ARGUMENT: &'static str = "static_kernel";
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("linear", StaticKernelName::Linear),
        ("rbf", StaticKernelName::Rbf),
    ];
}

impl<'a, 'py, T: StringOption> FromPyObject<'a, 'py> for Wrap<T> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(name) = obj.extract::<String>() {
            if let Some(&(_, value)) = T::CHOICES.iter().find(|(n, _)| *n == name) {
                return Ok(Wrap(value));
            }
        }
        let choices: Vec<String> = T::CHOICES.iter().map(|(n, _)| format!("'{n}'")).collect();
        let got = obj
            .repr()
            .map_or_else(|_| "?".to_string(), |r| r.to_string());
        let msg = format!("expected one of {}, got {got}", choices.join(", "));
        Err(CoreError(Error::invalid(T::ARGUMENT, msg)).into())
    }
}
