//! Thread pools for calls that ask for a given number of threads. Building a pool spawns its
//! threads, so one pool per thread count is kept and reused rather than built per call.
//! Its threads are named `srnn-jobs{threads}-{index}`, which is how a test (or a profiler)
//! tells them apart.

use std::sync::{Arc, Mutex, OnceLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// Distinct thread counts whose pools are kept; asking for more evicts the least recently
/// used, so an unusual sweep over thread counts cannot pile up idle threads.
const KEPT_POOLS: usize = 4;

type Pools = Mutex<Vec<(usize, Arc<ThreadPool>)>>;

fn pools() -> &'static Pools {
    static POOLS: OnceLock<Pools> = OnceLock::new();
    POOLS.get_or_init(|| Mutex::new(Vec::new()))
}

/// The pool of `threads` threads, built on first use; `None` if it cannot be built.
fn pool(threads: usize) -> Option<Arc<ThreadPool>> {
    let mut kept = pools().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = kept.iter().position(|(n, _)| *n == threads) {
        let entry = kept.remove(i);
        let found = entry.1.clone();
        kept.push(entry);
        return Some(found);
    }
    let built = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("srnn-jobs{threads}-{i}"))
        .build()
        .ok()?;
    let built = Arc::new(built);
    if kept.len() == KEPT_POOLS {
        kept.remove(0);
    }
    kept.push((threads, built.clone()));
    Some(built)
}

/// The most threads one call gets: asking for more spends seconds creating threads the
/// machine cannot run at once, and the results do not depend on the count.
pub const MAX_JOBS: usize = 256;

/// Runs `f` on a pool of `n_jobs` threads (at most [`MAX_JOBS`]), or on the global pool when `None` (or when a pool
/// cannot be built).
pub fn with_jobs<T: Send>(n_jobs: Option<usize>, f: impl FnOnce() -> T + Send) -> T {
    match n_jobs.map(|n| n.min(MAX_JOBS)).and_then(pool) {
        Some(pool) => pool.install(f),
        None => f(),
    }
}
