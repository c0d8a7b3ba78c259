//! Running core work without the GIL while staying responsive to Ctrl-C and able to
//! report progress.

use std::sync::mpsc;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use srnn_core::progress::Progress;

use crate::errors::CoreError;

const POLL: Duration = Duration::from_millis(50);

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

fn internal_error(payload: Box<dyn std::any::Any + Send>) -> PyErr {
    PyRuntimeError::new_err(format!(
        "internal error in srnn_rs (please report it): {}",
        panic_message(payload)
    ))
}

/// Runs `work` on a helper thread with the GIL released. The calling thread waits on it,
/// waking every 50 ms to check for signals (so Ctrl-C cancels between units of work) and to
/// call `progress(done, total)` when given. A panic becomes a `RuntimeError`, never an abort.
pub fn run_interruptible<T, F>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    work: F,
) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Progress) -> srnn_core::Result<T> + Send,
{
    let callback: Option<Py<PyAny>> = progress
        .filter(|p| !p.is_none())
        .map(|p| p.clone().unbind());
    let state = Progress::new();
    let (outcome, python_error) = py.detach(|| {
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<()>();
            let state = &state;
            let handle = scope.spawn(move || {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(state)));
                let _ = tx.send(());
                r
            });
            let mut python_error: Option<PyErr> = None;
            loop {
                let finished =
                    !matches!(rx.recv_timeout(POLL), Err(mpsc::RecvTimeoutError::Timeout));
                Python::attach(|py| {
                    if python_error.is_none() {
                        if let Err(e) = py.check_signals() {
                            state.cancel();
                            python_error = Some(e);
                        }
                    }
                    if let (Some(cb), None) = (&callback, &python_error) {
                        let (done, total) = state.snapshot();
                        if let Err(e) = cb.call1(py, (done, total)) {
                            state.cancel();
                            python_error = Some(e);
                        }
                    }
                });
                if finished {
                    break;
                }
            }
            let outcome = handle.join().unwrap_or_else(Err);
            (outcome, python_error)
        })
    });
    if let Some(e) = python_error {
        return Err(e);
    }
    match outcome {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(CoreError(e).into()),
        Err(payload) => Err(internal_error(payload)),
    }
}

/// For short work: releases the GIL but spawns no thread and polls nothing.
pub fn run_quick<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Progress) -> srnn_core::Result<T> + Send,
{
    let outcome = py.detach(|| {
        let state = Progress::new();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&state)))
    });
    match outcome {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(CoreError(e).into()),
        Err(payload) => Err(internal_error(payload)),
    }
}

/// The SIMD level the core dispatches to on this CPU ("avx512", "avx2" or "generic").
#[pyfunction]
pub fn cpu_features() -> &'static str {
    srnn_core::simd::level().name()
}

/// Threads of the pool the core runs on when a call does not ask for a number (rayon's
/// global pool: every core, `RAYON_NUM_THREADS`, or what `init_thread_pool` set). Asking
/// starts that pool if nothing has used it yet, as the first call of any function would.
#[pyfunction]
pub fn thread_count() -> usize {
    rayon::current_num_threads()
}

/// Sizes this process's rayon pool to `threads`, if nothing has used it yet. A Dask worker
/// calls it before its first task so that the core uses the worker's threads, not every
/// core of the machine (several workers per machine would otherwise oversubscribe it).
/// Returns whether the pool now has that size.
#[pyfunction]
pub fn init_thread_pool(threads: usize) -> PyResult<bool> {
    if threads == 0 {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "threads: expected a positive thread count, got 0",
        ));
    }
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .is_ok();
    Ok(built || rayon::current_num_threads() == threads)
}
