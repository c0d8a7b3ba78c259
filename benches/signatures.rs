//! Criterion benchmarks of the signature engine on the workloads of the README's speed table
//! (see `benches/README.md`):
//! signatures (batch, length, d, depth) = (256,512,4,5), (32,1024,8,4), (1024,128,3,6);
//! Lyndon log-signatures (256,256,4,4); PDE signature-kernel Gram 64×64, L=128, d=3.
//! `benches/compare_signatures.py` times the same workloads against iisignature/pySigLib.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use srnn_core::progress::Progress;
use srnn_core::signatures::{pde_gram, StaticKernel};
use srnn_core::signatures::{sig_to_logsig, LogSigMode, LogSigPlan};
use srnn_core::signatures::{signature, PathSpec, SigOptions};

/// Deterministic random-walk paths with N(0, 0.01)-ish increments.
fn paths(batch: usize, len: usize, d: usize) -> Vec<f64> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(batch * len * d);
    for _ in 0..batch {
        let mut x = vec![0.0; d];
        for _ in 0..len {
            for v in x.iter_mut() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *v += ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.2;
            }
            out.extend_from_slice(&x);
        }
    }
    out
}

fn bench_signature(c: &mut Criterion) {
    let mut g = c.benchmark_group("signature");
    g.sample_size(10);
    for &(batch, len, d, depth) in &[(256, 512, 4, 5), (32, 1024, 8, 4), (1024, 128, 3, 6)] {
        let p = paths(batch, len, d);
        let opts = SigOptions {
            depth,
            stream: false,
            inverse: false,
            scalar_term: false,
        };
        let spec = PathSpec::plain(d);
        g.bench_function(format!("B{batch}_L{len}_d{d}_m{depth}"), |b| {
            b.iter(|| {
                signature(
                    black_box(&p),
                    batch,
                    len,
                    &spec,
                    None,
                    &opts,
                    &Progress::new(),
                )
                .unwrap()
            })
        });
    }
    g.finish();
}

fn bench_logsignature(c: &mut Criterion) {
    let mut g = c.benchmark_group("logsignature");
    g.sample_size(10);
    let (batch, len, d, depth) = (256, 256, 4, 4);
    let p = paths(batch, len, d);
    let plan = LogSigPlan::cached(d, depth);
    let opts = SigOptions {
        depth,
        stream: false,
        inverse: false,
        scalar_term: true,
    };
    let spec = PathSpec::plain(d);
    g.bench_function(format!("lyndon_B{batch}_L{len}_d{d}_m{depth}"), |b| {
        b.iter(|| {
            let s = signature(
                black_box(&p),
                batch,
                len,
                &spec,
                None,
                &opts,
                &Progress::new(),
            )
            .unwrap();
            sig_to_logsig(&plan, &s, LogSigMode::Lyndon, &Progress::new()).unwrap()
        })
    });
    g.finish();
}

fn bench_pde_gram(c: &mut Criterion) {
    let mut g = c.benchmark_group("sig_kernel");
    g.sample_size(10);
    let (n, len, d) = (64, 128, 3);
    let p = paths(n, len, d);
    let xs: Vec<&[f64]> = p.chunks_exact(len * d).collect();
    g.bench_function("pde_gram_64x64_L128_d3_order0", |b| {
        b.iter(|| {
            pde_gram(
                black_box(&xs),
                None,
                d,
                0,
                StaticKernel::Linear,
                &Progress::new(),
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_signature, bench_logsignature, bench_pde_gram);
criterion_main!(benches);
