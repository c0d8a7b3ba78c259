//! Path signatures, log-signatures, the truncated tensor algebra and signature kernels.
//!
//! Conventions (shared with iisignature, signatory and pySigLib): a path is a sequence of
//! points whose signature is that of its piecewise-linear interpolation; a truncated tensor
//! is stored flat, levels concatenated, word `(i1..ik)` at its row-major position (first
//! letter most significant). Internally every tensor carries its level-0 scalar at index 0
//! (the "full" layout); the public functions drop it unless asked for.
//!
//! Modules: `path` turns raw points into the transformed path and its increments; `step`
//! advances a stored tensor over segments (`exp(Δ) ⊗ t`, the hot loop, per SIMD level);
//! `signature` runs batches of paths through it (lanes, chunks joined by Chen's identity,
//! streams); `backprop` is its vector-Jacobian product; `tensor` holds the layout and the
//! algebra; `logsig` the Lyndon basis and log-signatures; `sig_kernel` the signature kernels.

mod backprop;
mod logsig;
mod path;
mod request;
mod sig_kernel;
mod signature;
mod step;
mod tensor;

pub use backprop::signature_backprop;
pub use logsig::{
    check_lyndon_basis, label, logsig_backprop, logsig_to_sig, logsiglength, lyndon_words,
    sig_to_logsig, LogSigMode, LogSigPlan,
};
pub use path::{Basepoint, PathSpec};
pub use request::{PathBatch, SignatureRequest};
pub use sig_kernel::{
    pde_gram, pde_gram_backprop, pde_pairwise, pde_pairwise_backprop, truncated, StaticKernel,
};
pub use signature::{n_rows, signature, signature_ragged, SigOptions};
pub use tensor::{batch_mul_chain, batch_unary, exp, inverse, log, log_vjp, mul, Layout, UnaryOp};

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
