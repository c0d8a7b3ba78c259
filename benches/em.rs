//! Criterion benchmarks of the Euler–Maruyama ensemble kernel (`cargo bench -p srnn-core --bench em`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
#[path = "em_network.rs"]
mod em_network;

use em_network::network;
use srnn_core::model::Activation;
use srnn_core::progress::Progress;
use srnn_core::simulation::{simulate, Input, Record, Settings, Start};

fn ensemble(c: &mut Criterion) {
    let mut group = c.benchmark_group("em_ensemble");
    group.sample_size(10);
    let (paths, steps) = (512, 200);
    for &(n, act, sigma, label) in &[
        (64, Activation::Tanh, 0.2, "tanh_noise"),
        (64, Activation::Tanh, 0.0, "tanh_noiseless"),
        (64, Activation::Identity, 0.0, "linear_noiseless"),
        (16, Activation::Tanh, 0.2, "tanh_noise_n16"),
    ] {
        let model = network(n, act, sigma, true);
        let mut settings = Settings::new(0.01, steps, paths);
        settings.record = Record::FinalReadout;
        let mut out = vec![0.0f64; paths];
        group.throughput(Throughput::Elements((paths * steps) as u64));
        group.bench_with_input(BenchmarkId::new(label, n), &n, |b, _| {
            b.iter(|| {
                simulate(
                    &model,
                    Input::Zero,
                    Start::Zero,
                    &settings,
                    &mut out,
                    &Progress::new(),
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ensemble, normals);
criterion_main!(benches);

fn normals(c: &mut Criterion) {
    let mut group = c.benchmark_group("normals");
    group.sample_size(10);
    for &comps in &[64usize, 16] {
        let (paths, steps) = (256, 200);
        let mut out = vec![0.0; paths * steps * comps];
        group.throughput(Throughput::Elements((paths * steps * comps) as u64));
        group.bench_with_input(
            BenchmarkId::new("standard_normals", comps),
            &comps,
            |b, &comps| {
                b.iter(|| {
                    srnn_core::rng::standard_normals(
                        1,
                        srnn_core::rng::Stream::Main,
                        0,
                        paths,
                        steps,
                        comps,
                        &mut out,
                        &srnn_core::progress::Progress::new(),
                    )
                    .unwrap()
                })
            },
        );
    }
    group.finish();
}
