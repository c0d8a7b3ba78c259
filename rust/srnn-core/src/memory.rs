//! The memory limit every entry point checks before it allocates a large result, so a
//! mistyped size fails fast with a message instead of exhausting the machine.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// The limit until one is set: 4 GiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 4 * 1024 * 1024 * 1024;

static LIMIT: AtomicU64 = AtomicU64::new(DEFAULT_MEMORY_LIMIT);

/// Sets the largest result, in bytes, that any entry point may allocate.
pub fn set_memory_limit(bytes: u64) -> Result<()> {
    if bytes == 0 {
        return Err(Error::invalid(
            "n_bytes",
            "expected a positive integer, got 0",
        ));
    }
    LIMIT.store(bytes, Ordering::Relaxed);
    Ok(())
}

/// The current limit in bytes.
pub fn memory_limit() -> u64 {
    LIMIT.load(Ordering::Relaxed)
}

/// Fails with [`Error::MemoryLimit`] when `what` would need more than the limit. `bytes` is
/// wide so that a product of sizes that overflows `usize` still reports a number.
pub fn check_memory(what: &str, bytes: u128) -> Result<()> {
    let limit = u128::from(memory_limit());
    if bytes > limit {
        return Err(Error::MemoryLimit {
            what: what.to_string(),
            bytes,
            limit,
        });
    }
    Ok(())
}

/// `len` zeros for a result named `what`: checked against the limit, then reserved fallibly,
/// so a size no allocator can serve is [`Error::MemoryLimit`], never an abort.
pub fn zeros(what: &str, len: usize) -> Result<Vec<f64>> {
    let bytes = f64_bytes(&[len as u128]);
    check_memory(what, bytes)?;
    let mut out = Vec::new();
    out.try_reserve_exact(len).map_err(|_| Error::MemoryLimit {
        what: format!("{what} (the allocator refused it)"),
        bytes,
        limit: u128::from(memory_limit()),
    })?;
    out.resize(len, 0.0);
    Ok(out)
}

/// `8 × Π sizes`: the bytes of an `f64` array of that shape, saturating rather than wrapping.
pub fn f64_bytes(sizes: &[u128]) -> u128 {
    sizes.iter().fold(8u128, |acc, &s| acc.saturating_mul(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_checked_and_named() {
        assert!(check_memory("x", u128::from(memory_limit())).is_ok());
        let e = check_memory("the result", u128::from(memory_limit()) + 1).unwrap_err();
        assert!(matches!(e, Error::MemoryLimit { .. }));
        assert!(e.to_string().starts_with("the result would need "));
        assert!(set_memory_limit(0).is_err());
    }

    #[test]
    fn absurd_buffers_are_memory_limit_errors() {
        assert_eq!(zeros("x", 3).unwrap(), vec![0.0; 3]);
        for len in [
            usize::MAX,
            usize::MAX / 8,
            (memory_limit() / 8 + 1) as usize,
        ] {
            let e = zeros("the buffer", len).unwrap_err();
            assert!(matches!(e, Error::MemoryLimit { .. }), "{e}");
        }
    }

    #[test]
    fn byte_counts_saturate() {
        assert_eq!(f64_bytes(&[2, 3]), 48);
        assert_eq!(f64_bytes(&[u128::MAX, 2]), u128::MAX);
    }
}
