//! Standard normals from Philox by Box–Muller with fixed consumption (no rejection).
//!
//! Components come in groups of 32 = 8 Philox calls × 4 outputs. Within group `g`,
//! component `32 g + 8 w + l` is output `w` of call `8 g + l`, where the outputs of a call
//! with words `(x0, x1, x2, x3)` are `r cos θ, r sin θ` of the pair `(x0, x1)` and then of
//! `(x2, x3)`. So 8 calls evaluated in SIMD lanes give their normals as four contiguous runs
//! of 8, stored without any transposition; the normal of a component still depends on its
//! index alone, not on how many components are drawn.

// Lane loops index several fixed-size arrays at once; that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

use super::philox::philox4x32_10;
use crate::aligned::CacheLine;
use crate::vmath::{ln_positive, madd, sincos_of_word, u52_to_f64};

/// Independent families of noise drawn with the same seed. Burn-in noise must not be the
/// noise of the recorded run, or a stationary start would be correlated with what follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Stream {
    Main = 0,
    BurnIn = 1,
}

const COMPONENT_GROUPS: u32 = 1 << 25;
const TWO_POW_M32: f64 = 1.0 / 4_294_967_296.0;
/// Calls per group, and the width of each run of outputs.
const GROUP_CALLS: usize = 8;
const GROUP: usize = 4 * GROUP_CALLS;

/// Entries of a row that [`fill_normals`] writes for `n_components`: whole runs of 8.
pub fn normals_row_len(n_components: usize) -> usize {
    n_components.div_ceil(GROUP_CALLS) * GROUP_CALLS
}

#[inline(always)]
fn key(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

#[inline(always)]
fn counter(stream: Stream, call: u32, step: u32, path: u64) -> [u32; 4] {
    [
        ((stream as u32) << 28) | call,
        step,
        path as u32,
        (path >> 32) as u32,
    ]
}

/// `-2 ln u` of the radius word (the low 32 bits of `radius_word`), `u = (word + 1/2) 2^-32
/// ∈ (0, 1)` strictly, so the logarithm is finite; the tail is cut at 6.66σ.
#[inline(always)]
fn radius_squared<const FMA: bool>(radius_word: u64) -> f64 {
    let u = madd::<FMA>(
        u52_to_f64(radius_word & 0xffff_ffff),
        TWO_POW_M32,
        0.5 * TWO_POW_M32,
    );
    -2.0 * ln_positive::<FMA>(u)
}

#[inline(always)]
fn box_muller<const FMA: bool>(radius_word: u32, angle_word: u32) -> (f64, f64) {
    polar_to_normals::<FMA>(radius_squared::<FMA>(radius_word as u64), angle_word as u64)
}

#[inline(always)]
fn polar_to_normals<const FMA: bool>(radius_squared: f64, angle_word: u64) -> (f64, f64) {
    let radius = radius_squared.sqrt();
    let (s, c) = sincos_of_word::<FMA>(angle_word);
    (radius * c, radius * s)
}

/// The normal for one `(seed, stream, path, step, component)`, computed alone. `FMA` must
/// match the kernel's SIMD level for the bits to agree with [`fill_normals`].
pub fn normal<const FMA: bool>(
    seed: u64,
    stream: Stream,
    path: u64,
    step: u32,
    component: u32,
) -> f64 {
    let (group, within) = (component as usize / GROUP, component as usize % GROUP);
    assert!(group < COMPONENT_GROUPS as usize);
    let (output, lane) = (within / GROUP_CALLS, within % GROUP_CALLS);
    let call = (group * GROUP_CALLS + lane) as u32;
    let x = philox4x32_10(counter(stream, call, step, path), key(seed));
    let (c, s) = if output < 2 {
        box_muller::<FMA>(x[0], x[1])
    } else {
        box_muller::<FMA>(x[2], x[3])
    };
    if output % 2 == 0 {
        c
    } else {
        s
    }
}

/// Four groups side by side: Box–Muller is a long dependency chain (logarithm, square root,
/// polynomials), and more independent chains per batch hide more of its latency. Measured
/// per normal: two groups 8% faster than one (on the EM workload), four 5-10% faster than two,
/// eight no better; computing the next batch's Philox between this batch's Box–Muller steps
/// (software pipelining) gained nothing on top.
const LANES: usize = 4 * GROUP_CALLS;
const BATCH: usize = LANES / GROUP_CALLS;

/// Four words (or outputs) in `LANES` lanes each.
type Lanes4<T> = CacheLine<[[T; LANES]; 4]>;

/// Normals for paths `first_path .. first_path + n_paths` at one `step`, components
/// `0..n_components`, written row by row into `out` (row stride `row_stride`). Exactly the
/// first [`normals_row_len`]`(n_components)` entries of each row are written.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn fill_normals<const FMA: bool>(
    seed: u64,
    stream: Stream,
    first_path: u64,
    n_paths: usize,
    step: u32,
    n_components: usize,
    out: &mut [f64],
    row_stride: usize,
) {
    let groups = n_components.div_ceil(GROUP);
    let row_len = normals_row_len(n_components);
    debug_assert!(groups <= COMPONENT_GROUPS as usize && row_len <= row_stride);
    // Tasks (path, group) in order, `BATCH` per batch of `LANES` lanes.
    let tasks = n_paths * groups;
    let mut task = 0;
    while task < tasks {
        let batch: [usize; BATCH] = std::array::from_fn(|i| (task + i).min(tasks - 1));
        let mut ctr = CacheLine([[0u64; LANES]; 4]);
        for (slot, &t) in batch.iter().enumerate() {
            let (path, group) = (t / groups, t % groups);
            for l in 0..GROUP_CALLS {
                let call = (group * GROUP_CALLS + l) as u32;
                let c = counter(stream, call, step, first_path + path as u64);
                for w in 0..4 {
                    ctr[w][slot * GROUP_CALLS + l] = c[w] as u64;
                }
            }
        }
        let z = normals_lanes::<FMA>(ctr, seed);
        for (slot, &t) in batch.iter().enumerate().take(tasks - task) {
            let (path, group) = (t / groups, t % groups);
            let start = group * GROUP;
            let len = GROUP.min(row_len - start);
            let dst = &mut out[path * row_stride + start..path * row_stride + start + len];
            for (run, chunk) in dst.chunks_exact_mut(GROUP_CALLS).enumerate() {
                let src: &[f64; GROUP_CALLS] = z[run][slot * GROUP_CALLS..(slot + 1) * GROUP_CALLS]
                    .try_into()
                    .unwrap();
                chunk.copy_from_slice(src);
            }
        }
        task += BATCH;
    }
}

#[inline(always)]
fn normals_lanes<const FMA: bool>(ctr: Lanes4<u64>, seed: u64) -> Lanes4<f64> {
    let x = philox_lanes(ctr, seed);
    // Two passes: the logarithms first, so that each square root then waits on a value
    // computed long before and the divider runs beside the sine and cosine polynomials
    // (in one pass every square root waited on its logarithm's long chain).
    let mut radius_sq = CacheLine([[0.0f64; LANES]; 2]);
    for l in 0..LANES {
        radius_sq[0][l] = radius_squared::<FMA>(x[0][l]);
        radius_sq[1][l] = radius_squared::<FMA>(x[2][l]);
    }
    let mut z = CacheLine([[0.0f64; LANES]; 4]);
    for l in 0..LANES {
        let (a, b) = polar_to_normals::<FMA>(radius_sq[0][l], x[1][l]);
        let (c, d) = polar_to_normals::<FMA>(radius_sq[1][l], x[3][l]);
        z[0][l] = a;
        z[1][l] = b;
        z[2][l] = c;
        z[3][l] = d;
    }
    z
}

/// Philox on `LANES` counters at once, structure of arrays, each 32-bit word in the low half
/// of a 64-bit lane, in and out: each multiply is one `vpmuludq` and no packing between
/// widths is needed (2.4× faster than `u32` lanes; the Box–Muller step reads the words where
/// they are, masking or shifting out the high halves in operations it does anyway). The
/// high halves are garbage: the mask sits on the multiply operands, which is the pattern LLVM
/// lowers to `vpmuludq` (without it, AVX-512DQ gets the 3-µop `vpmullq`), and the garbage
/// never reaches the low half through the shifts of full 64-bit products and the XORs.
#[inline(always)]
fn philox_lanes(ctr: Lanes4<u64>, seed: u64) -> Lanes4<u64> {
    const LO: u64 = 0xffff_ffff;
    let mut c = ctr;
    // The key words are the low halves of these; the high halves are left as garbage on
    // purpose: were the key provably below 2^32, LLVM would drop the operand masks as
    // redundant and then fail to prove it again when selecting instructions (`vpmullq`).
    let (mut k0, mut k1) = (seed, seed.rotate_right(32));
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(0x9E37_79B9);
            k1 = k1.wrapping_add(0xBB67_AE85);
        }
        let mut next = CacheLine([[0u64; LANES]; 4]);
        for l in 0..LANES {
            let p0 = 0xD251_1F53u64 * (c[0][l] & LO);
            let p1 = 0xCD9E_8D57u64 * (c[2][l] & LO);
            next[0][l] = (p1 >> 32) ^ c[1][l] ^ k0;
            next[1][l] = p1;
            next[2][l] = (p0 >> 32) ^ c[3][l] ^ k1;
            next[3][l] = p0;
        }
        c = next;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_match_scalar_generator() {
        lanes_match_scalar::<false>();
        // The FMA levels compute the logarithm's quotient by Newton's method instead.
        lanes_match_scalar::<true>();
    }

    fn lanes_match_scalar<const FMA: bool>() {
        // 11 components: one partial group; 70: two whole groups and a partial third; 5 and 9
        // tasks leave the last batch of lanes partly used.
        for &(paths, comps, stride) in &[(5usize, 11usize, 24usize), (3, 70, 88)] {
            let mut out = vec![f64::NAN; paths * stride];
            fill_normals::<FMA>(
                42,
                Stream::Main,
                1_000_000_000_000,
                paths,
                17,
                comps,
                &mut out,
                stride,
            );
            let written = normals_row_len(comps);
            for p in 0..paths {
                for c in 0..comps {
                    let want =
                        normal::<FMA>(42, Stream::Main, 1_000_000_000_000 + p as u64, 17, c as u32);
                    assert_eq!(out[p * stride + c].to_bits(), want.to_bits());
                }
                let row = &out[p * stride..(p + 1) * stride];
                assert!(row[..written].iter().all(|x| x.is_finite()));
                assert!(row[written..].iter().all(|x| x.is_nan()));
            }
        }
    }

    /// The documented layout and transform against a textbook Box–Muller (std's `ln`, `sqrt`,
    /// `cos`, `sin`) of the Philox words, whose generator has its own known-answer test.
    #[test]
    fn normals_are_box_muller_of_the_philox_words() {
        let (seed, path, step) = (0x1234_5678_9abc_def0u64, 5_000_000_007u64, 99u32);
        for stream in [Stream::Main, Stream::BurnIn] {
            for component in (0..200u32).chain([4_000, 65_535]) {
                let (group, within) = (component / 32, component % 32);
                let (output, lane) = (within / 8, within % 8);
                let words = philox4x32_10(
                    [
                        ((stream as u32) << 28) | (8 * group + lane),
                        step,
                        path as u32,
                        (path >> 32) as u32,
                    ],
                    [seed as u32, (seed >> 32) as u32],
                );
                let (radius_word, angle_word) = if output < 2 {
                    (words[0], words[1])
                } else {
                    (words[2], words[3])
                };
                let u = (radius_word as f64 + 0.5) / 4_294_967_296.0;
                let angle = 2.0 * std::f64::consts::PI * (angle_word as f64 / 4_294_967_296.0);
                let radius = (-2.0 * u.ln()).sqrt();
                let want = radius
                    * if output % 2 == 0 {
                        angle.cos()
                    } else {
                        angle.sin()
                    };
                // std's angle is rounded (2π·2^-53), which moves its z by up to ~radius·3e-15.
                for got in [
                    normal::<false>(seed, stream, path, step, component),
                    normal::<true>(seed, stream, path, step, component),
                ] {
                    assert!(
                        (got - want).abs() <= 4e-15 * radius.max(1.0),
                        "component {component}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn streams_steps_paths_and_seeds_differ() {
        let base = normal::<false>(1, Stream::Main, 3, 4, 5);
        assert_ne!(base, normal::<false>(1, Stream::BurnIn, 3, 4, 5));
        assert_ne!(base, normal::<false>(2, Stream::Main, 3, 4, 5));
        assert_ne!(base, normal::<false>(1, Stream::Main, 4, 4, 5));
        assert_ne!(base, normal::<false>(1, Stream::Main, 3, 5, 5));
        assert_ne!(base, normal::<false>(1, Stream::Main, 3, 4, 6));
    }

    #[test]
    fn moments_are_standard_normal() {
        let n = 400_000usize;
        let mut out = vec![0.0; n];
        fill_normals::<false>(7, Stream::Main, 0, n / 8, 0, 8, &mut out, 8);
        // The FMA levels' normals are the same numbers up to rounding.
        let mut fused = vec![0.0; 40_000];
        fill_normals::<true>(7, Stream::Main, 0, 5_000, 0, 8, &mut fused, 8);
        for (a, b) in fused.iter().zip(&out) {
            assert!((a - b).abs() <= 4e-15 * b.abs().max(1.0), "{a} vs {b}");
        }
        let mean = out.iter().sum::<f64>() / n as f64;
        let var = out.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let m4 = out.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / n as f64;
        // Standard errors: 1/√n for the mean, √(2/n) for the variance, √(96/n) for m4.
        let se = 1.0 / (n as f64).sqrt();
        assert!(mean.abs() < 5.0 * se, "mean {mean}");
        assert!((var - 1.0).abs() < 5.0 * 2f64.sqrt() * se, "var {var}");
        assert!((m4 - 3.0).abs() < 5.0 * 96f64.sqrt() * se, "m4 {m4}");
        let tail = out.iter().filter(|x| x.abs() > 3.0).count() as f64 / n as f64;
        let p3 = 0.002_699_796;
        assert!(
            (tail - p3).abs() < 5.0 * (p3 / n as f64).sqrt(),
            "P(|z|>3) = {tail}"
        );
    }
}
