//! Single-thread timing probe of the EM kernel on the README speed table's workload shape
//! (`RAYON_NUM_THREADS=1 cargo run --release -p srnn-core --example em_probe`).
//!
//! On a shared machine, `REPS=200 STEPS=50` (many short runs, wall-clock minimum) is the
//! steadier comparison: a burst of contention spoils a few short runs, not the minimum.
//! `DTYPE=f32` runs the same workloads in single precision.

#[path = "../../../benches/em_network.rs"]
mod em_network;

use em_network::network;
use srnn_core::model::Activation;
use srnn_core::progress::Progress;
use srnn_core::simd::Real;
use srnn_core::simulation::{simulate, Input, Record, Settings, Start};

/// CPU seconds of the whole process: other jobs on the machine inflate wall time.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).map_or(default, |v| v.parse().unwrap())
}

fn main() {
    match std::env::var("DTYPE").as_deref() {
        Ok("f32") => probe::<f32>(),
        Ok("f64") | Err(_) => probe::<f64>(),
        Ok(other) => panic!("DTYPE: expected f32 or f64, got {other}"),
    }
}

fn probe<R: Real>() {
    let (paths, steps, n) = (env_or("PATHS", 2000), env_or("STEPS", 1000), 64usize);
    let reps = env_or("REPS", 7);
    let short = std::env::var("REPS").is_ok();
    let only = std::env::args().nth(1);
    for &(act, sigma, readout, label) in &[
        (Activation::Tanh, 0.5, true, "full workload"),
        (Activation::Tanh, 0.0, true, "no noise"),
        (Activation::Identity, 0.5, true, "identity activation"),
        (Activation::Identity, 0.0, true, "gemm + readout only"),
        (Activation::Tanh, 0.5, false, "final state only"),
    ] {
        if only.as_deref().is_some_and(|o| !label.starts_with(o)) {
            continue;
        }
        let model = network(n, act, sigma, readout);
        let mut settings = Settings::new(0.01, steps, paths);
        if let Ok(block) = std::env::var("BLOCK") {
            settings.block_size = block.parse().unwrap();
        }
        settings.record = if readout {
            Record::Readout
        } else {
            Record::FinalState
        };
        let per = if readout { steps + 1 } else { n };
        let mut out = vec![R::ZERO; paths * per];
        let mut best = f64::INFINITY;
        for _ in 0..reps {
            let (t, wall) = (cpu_seconds(), std::time::Instant::now());
            simulate(
                &model,
                Input::Zero,
                Start::Zero,
                &settings,
                &mut out,
                &Progress::new(),
            )
            .unwrap();
            let took = if short {
                wall.elapsed().as_secs_f64()
            } else {
                cpu_seconds() - t
            };
            best = best.min(took);
        }
        println!(
            "{label:<22} {:7.1} ns/path-step",
            best / (paths * steps) as f64 * 1e9
        );
    }
}
