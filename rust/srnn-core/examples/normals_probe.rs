//! Single-thread timing probe of the normal generator on an L1-resident block, the way the
//! EM kernel calls it (`cargo run --release -p srnn-core --example normals_probe`).

use srnn_core::rng::{fill_normals, Stream};
use std::time::Instant;
fn main() {
    let (paths, steps, comps) = (16usize, 20000usize, 64usize);
    let mut buffer = vec![0.0; paths * comps];
    let mut best = f64::INFINITY;
    let mut check = 0.0;
    for _ in 0..7 {
        let t = Instant::now();
        let out: &mut [f64] = &mut buffer;
        check = srnn_core::dispatch!(
            fn run(out: &mut [f64], steps: usize, paths: usize, comps: usize) -> f64 {
                let mut acc = 0.0;
                for step in 0..steps {
                    fill_normals::<f64, FMA>(
                        1,
                        Stream::Main,
                        0,
                        paths,
                        step as u32,
                        comps,
                        out,
                        comps,
                    );
                    acc += out[step % out.len()];
                }
                acc
            }
        );
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{:.3} ns/normal (checksum {check})",
        best / (paths * steps * comps) as f64 * 1e9
    );
}
