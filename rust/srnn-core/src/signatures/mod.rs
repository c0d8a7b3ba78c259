//! Path signatures, log-signatures, the truncated tensor algebra and signature kernels.
//!
//! Conventions (shared with iisignature, signatory and pySigLib): a path is a sequence of
//! points whose signature is that of its piecewise-linear interpolation; a truncated tensor
//! is stored flat, levels concatenated, word `(i1..ik)` at its row-major position (first
//! letter most significant). Internally every tensor carries its level-0 scalar at index 0
//! (the "full" layout); the public functions drop it unless asked for.

pub mod backprop;
pub mod kernel;
pub mod lanes;
pub mod logsig;
pub mod request;
pub mod signature;
pub mod tensor;

pub use request::{PathBatch, SignatureRequest};
pub use tensor::Layout;

use crate::{Error, Result};

/// `d + d² + … + d^depth`, or `None` on overflow.
pub fn siglength(d: usize, depth: usize) -> Option<usize> {
    let mut total: usize = 0;
    let mut p: usize = 1;
    for _ in 0..depth {
        p = p.checked_mul(d)?;
        total = total.checked_add(p)?;
    }
    Some(total)
}

pub(crate) fn check_dims(d: usize, depth: usize) -> Result<()> {
    if d == 0 {
        return Err(Error::invalid(
            "path",
            "the path dimension d must be at least 1",
        ));
    }
    if depth == 0 {
        return Err(Error::invalid("depth", "expected depth >= 1, got 0"));
    }
    if siglength(d, depth).is_none_or(|s| s > (1usize << 40)) {
        return Err(Error::invalid(
            "depth",
            format!("the signature of dimension {d} to depth {depth} is too long"),
        ));
    }
    Ok(())
}
