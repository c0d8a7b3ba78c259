//! Pure-Rust core of `srnn_rs`: no Python types appear here, so the crate can be tested,
//! benchmarked and embedded without an interpreter.

pub(crate) mod aligned;
pub mod error;
pub mod memory;
pub mod model;
pub mod progress;
pub mod response;
pub mod rng;
pub mod signatures;
pub mod simd;
pub mod simulation;
pub mod vmath;
pub mod work;

pub use error::{Error, Result};
