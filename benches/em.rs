//! Criterion benchmarks of the Euler–Maruyama ensemble kernel (`cargo bench -p srnn-core --bench em`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ndarray::{Array1, Array2};
use srnn_core::model::{Activation, Gamma, Noise, Readout, Srnn};
use srnn_core::progress::Progress;
use srnn_core::simulation::{simulate, Input, Record, Settings, Start};

fn network(n: usize, activation: Activation, sigma: f64) -> Srnn {
    // A fixed pseudo-random W scaled to spectral radius ~1 (no RNG crate needed).
    let w = Array2::from_shape_fn((n, n), |(i, j)| {
        let x = ((i * 7919 + j * 104_729) % 1000) as f64 / 1000.0 - 0.5;
        x * 3.4 / (n as f64).sqrt()
    });
    Srnn::new(
        w,
        Array2::from_elem((n, 1), 0.5),
        Array1::zeros(n),
        Gamma::Scalar(1.0),
        Noise::Additive(Array1::from_elem(n, sigma)),
        activation,
        Readout {
            matrix: Some(Array2::from_elem((1, n), 1.0 / n as f64)),
            bias: Array1::zeros(1),
            activation: Activation::Identity,
        },
    )
    .unwrap()
}

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
        let model = network(n, act, sigma);
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
                    )
                    .unwrap()
                })
            },
        );
    }
    group.finish();
}
