//! The work limit: a computation whose cost is known before it starts (paths × steps of a
//! simulation, cells of a signature-kernel PDE grid, terms of a truncated tensor) is refused
//! past it, so a mistyped size fails at once with a message instead of running for days.
//! Like the memory limit, it is a process-wide setting a user can raise.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Error, Result};

/// The limit until one is set: 2⁴⁰ units, tens of minutes to hours of work on one machine.
pub const DEFAULT_WORK_LIMIT: u64 = 1 << 40;

static LIMIT: AtomicU64 = AtomicU64::new(DEFAULT_WORK_LIMIT);

/// Sets the most units of work any entry point may start.
pub fn set_work_limit(units: u64) -> Result<()> {
    if units == 0 {
        return Err(Error::invalid(
            "n_units",
            "expected a positive integer, got 0",
        ));
    }
    LIMIT.store(units, Ordering::Relaxed);
    Ok(())
}

/// The current limit in units of work.
pub fn work_limit() -> u64 {
    LIMIT.load(Ordering::Relaxed)
}

/// Fails with [`Error::WorkLimit`] when `what` would take more than the limit. `units` is
/// wide so that a product of sizes that overflows `usize` still reports a number.
pub fn check_work(what: &str, units: u128) -> Result<()> {
    let limit = u128::from(work_limit());
    if units > limit {
        return Err(Error::WorkLimit {
            what: what.to_string(),
            units,
            limit,
        });
    }
    Ok(())
}

/// `Π sizes`, saturating rather than wrapping.
pub fn product(sizes: &[u128]) -> u128 {
    sizes.iter().fold(1u128, |acc, &s| acc.saturating_mul(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_checked_and_named() {
        assert!(check_work("x", u128::from(work_limit())).is_ok());
        let e = check_work("the grid", u128::from(work_limit()) + 1).unwrap_err();
        assert!(matches!(e, Error::WorkLimit { .. }));
        assert!(e.to_string().starts_with("the grid would take "));
        assert!(set_work_limit(0).is_err());
    }

    #[test]
    fn products_saturate() {
        assert_eq!(product(&[2, 3]), 6);
        assert_eq!(product(&[u128::MAX, 2]), u128::MAX);
    }
}
