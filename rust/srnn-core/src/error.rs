use thiserror::Error as ThisError;

/// Every failure the core can report. The binding crate maps each variant to one Python
/// exception type, so the variant (not the message) decides what a user catches.
#[derive(Debug, Clone, PartialEq, ThisError)]
pub enum Error {
    /// A bad argument value or shape; `arg` is the user-facing parameter name.
    #[error("{arg}: {msg}")]
    InvalidArgument { arg: &'static str, msg: String },

    /// A result would need more memory than the configured limit.
    #[error("{what} would need {bytes} bytes, above the memory limit of {limit} bytes; raise it with srnn_rs.set_memory_limit() or ask for less")]
    MemoryLimit {
        what: String,
        bytes: u128,
        limit: u128,
    },

    /// A computation would take more work than the configured limit.
    #[error("{what} would take {units} units of work, above the work limit of {limit}; raise it with srnn_rs.set_work_limit() or ask for less")]
    WorkLimit {
        what: String,
        units: u128,
        limit: u128,
    },

    /// The simulated state became non-finite.
    #[error("state diverged (non-finite) on path {path} at step {step} (t = {time}); likely cause: {cause}")]
    Diverged {
        path: u64,
        step: u64,
        time: f64,
        cause: String,
    },

    /// The caller asked the work to stop (Ctrl-C in Python).
    #[error("interrupted")]
    Interrupted,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn invalid(arg: &'static str, msg: impl Into<String>) -> Self {
        Error::InvalidArgument {
            arg,
            msg: msg.into(),
        }
    }
}
