//! Standard normals from ARS-7 by Box–Muller with fixed consumption (no rejection).
//!
//! A call with counter `(call, step, path)` under the seed's key gives four 32-bit words:
//! two (radius, angle) pairs. Components come in units of 16 = 4 calls: component
//! `16 u + q` is `r cos θ` and `16 u + 8 + q` is `r sin θ` of pair `q % 2` of call
//! `4 u + q / 2` (`q < 8`). Four calls side by side hold the unit's 8 pairs in order (one
//! 64-bit lane each, radius word low), so a unit's normals come out as two runs of 8 with no
//! shuffle; the normal of a component still depends on its index alone.

// Lane loops index several fixed-size arrays at once; that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

use super::ars::{ars4x32, units, RoundKeys, UnitCounters, ROUNDS, UNIT_CALLS};
use crate::aligned::CacheLine;
use crate::simd::madd;
use crate::vmath::{ln_positive, sincos_of_high_word, u52_to_f64};

/// Independent families of noise drawn with the same seed. Burn-in noise must not be the
/// noise of the recorded run, or a stationary start would be correlated with what follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Stream {
    Main = 0,
    BurnIn = 1,
}

/// Calls stay below `2^28`, under the stream's bits.
const UNITS_PER_ROW: usize = 1 << 26;
const TWO_POW_M32: f64 = 1.0 / 4_294_967_296.0;
/// Pairs per unit, and the width of each run of outputs.
const RUN: usize = 2 * UNIT_CALLS;
const UNIT: usize = 2 * RUN;

/// Entries of a row that [`fill_normals`] writes for `n_components`: whole runs of 8.
pub fn normals_row_len(n_components: usize) -> usize {
    n_components.div_ceil(RUN) * RUN
}

#[inline(always)]
fn key(seed: u64) -> [u32; 4] {
    [seed as u32, (seed >> 32) as u32, 0, 0]
}

/// The first counter word of a unit's calls; the stream sits above the call index.
#[inline(always)]
fn first_call(stream: Stream, unit: usize) -> u32 {
    ((stream as u32) << 28) | (unit * UNIT_CALLS) as u32
}

/// `-2 ln u` of the radius word (the low 32 bits of `pair`), `u = (word + 1/2) 2^-32 ∈ (0, 1)`
/// strictly, so the logarithm is finite; the tail is cut at 6.66σ.
#[inline(always)]
fn radius_squared<const FMA: bool>(pair: u64) -> f64 {
    let u = madd::<FMA>(
        u52_to_f64(pair & 0xffff_ffff),
        TWO_POW_M32,
        0.5 * TWO_POW_M32,
    );
    -2.0 * ln_positive::<FMA>(u)
}

/// `(r cos θ, r sin θ)` with `θ` from the angle word (the high 32 bits of `pair`).
#[inline(always)]
fn polar_to_normals<const FMA: bool>(radius_squared: f64, pair: u64) -> (f64, f64) {
    let radius = radius_squared.sqrt();
    let (s, c) = sincos_of_high_word::<FMA>(pair);
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
    let (unit, within) = (component as usize / UNIT, component as usize % UNIT);
    assert!(unit < UNITS_PER_ROW);
    let (run, q) = (within / RUN, within % RUN);
    let call = first_call(stream, unit) + (q / 2) as u32;
    let x = ars4x32(
        [call, step, path as u32, (path >> 32) as u32],
        &RoundKeys::<ROUNDS>::new(key(seed)),
    );
    let w = 2 * (q % 2);
    let pair = x[w] as u64 | (x[w + 1] as u64) << 32;
    let (c, s) = polar_to_normals::<FMA>(radius_squared::<FMA>(pair), pair);
    if run == 0 {
        c
    } else {
        s
    }
}

/// Units side by side: Box–Muller is a long dependency chain (logarithm, square root,
/// polynomials), and more independent chains per batch hide more of its latency.
const BATCH: usize = 8;
pub const LANES: usize = BATCH * RUN;

/// Normals for paths `first_path .. first_path + n_paths` at one `step`, components
/// `0..n_components`, written row by row into `out` (row stride `row_stride`). Exactly the
/// first [`normals_row_len`]`(n_components)` entries of each row are written.
/// `f32` outputs are the Box–Muller transform of the same words in `f32` arithmetic
/// ([`BoxMuller`]).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn fill_normals<T: BoxMuller, const FMA: bool>(
    seed: u64,
    stream: Stream,
    first_path: u64,
    n_paths: usize,
    step: u32,
    n_components: usize,
    out: &mut [T],
    row_stride: usize,
) {
    let per_row = n_components.div_ceil(UNIT);
    let row_len = normals_row_len(n_components);
    debug_assert!(per_row <= UNITS_PER_ROW && row_len <= row_stride);
    let keys = RoundKeys::<ROUNDS>::new(key(seed));
    // Tasks (path, unit) in order, `BATCH` per batch; counted up rather than divided out
    // (a 64-bit `div` per lane cost more than the lane's ARS call).
    let tasks = n_paths * per_row;
    let mut scratch = Scratch {
        words: CacheLine([[0u64; RUN]; BATCH]),
        radius_sq: [0.0; LANES],
    };
    let (mut path, mut unit) = (0usize, 0usize);
    for task in (0..tasks).step_by(BATCH) {
        let mut slots = [(0usize, 0usize); BATCH];
        let mut ctr = UnitCounters {
            step,
            first_call: [0; BATCH],
            path: [0; BATCH],
        };
        for slot in 0..BATCH {
            slots[slot] = (path, unit);
            ctr.first_call[slot] = first_call(stream, unit);
            ctr.path[slot] = first_path + path as u64;
            // Lanes past the last task repeat it; their normals are not written.
            if task + slot + 1 < tasks {
                unit += 1;
                if unit == per_row {
                    unit = 0;
                    path += 1;
                }
            }
        }
        units(&ctr, &keys, &mut scratch.words);
        let z = T::normals_lanes::<FMA>(&mut scratch);
        for (slot, &(path, unit)) in slots.iter().enumerate().take(tasks - task) {
            let start = unit * UNIT;
            let len = UNIT.min(row_len - start);
            let dst = &mut out[path * row_stride + start..path * row_stride + start + len];
            for (run, chunk) in dst.chunks_exact_mut(RUN).enumerate() {
                let src: &[T; RUN] = z[run][slot * RUN..(slot + 1) * RUN].try_into().unwrap();
                chunk.copy_from_slice(src);
            }
        }
    }
}

/// The words of a batch and the squared radii computed from them, in memory that stays on
/// whole cache lines: the words escape into the (not inlined) ARS call, and with them the
/// radii. Left to itself LLVM put the radii in a slot 8 bytes off a line, and every 512-bit
/// load and store of the second pass split in two.
#[repr(C, align(64))]
pub struct Scratch {
    words: CacheLine<[[u64; RUN]; BATCH]>,
    radius_sq: [f64; LANES],
}

/// The output types of [`fill_normals`]: the Box–Muller transform of a batch of words.
pub trait BoxMuller: Copy {
    /// The normals of the batch's pairs: `ρ cos θ` in the first run, `ρ sin θ` in the second.
    fn normals_lanes<const FMA: bool>(scratch: &mut Scratch) -> CacheLine<[[Self; LANES]; 2]>;
}

impl BoxMuller for f64 {
    #[inline(always)]
    fn normals_lanes<const FMA: bool>(scratch: &mut Scratch) -> CacheLine<[[f64; LANES]; 2]> {
        normals_lanes::<FMA>(scratch)
    }
}

/// The same words and layout in `f32` arithmetic: each `f32` normal is the `f64` one up to
/// a few `f32` roundings of the radius and the angle (at most `2·10⁻⁶` apart, tested).
impl BoxMuller for f32 {
    #[inline(always)]
    fn normals_lanes<const FMA: bool>(scratch: &mut Scratch) -> CacheLine<[[f32; LANES]; 2]> {
        use crate::vmath::single::{minus_two_ln_uniform, sincos_of_word};
        let pairs: &[u64; LANES] = scratch.words.as_flattened().try_into().unwrap();
        // The words split first: loops over 64-bit pairs vectorise 8 lanes wide, over 32-bit
        // words 16.
        let mut radius_words = CacheLine([0u32; LANES]);
        let mut angle_words = CacheLine([0u32; LANES]);
        for l in 0..LANES {
            radius_words[l] = pairs[l] as u32;
            angle_words[l] = (pairs[l] >> 32) as u32;
        }
        // Two passes, as in `f64`: the square roots then wait on values computed long before.
        let mut radius_sq = CacheLine([0.0f32; LANES]);
        for l in 0..LANES {
            radius_sq[l] = minus_two_ln_uniform::<FMA>(radius_words[l]);
        }
        let mut z = CacheLine([[0.0f32; LANES]; 2]);
        for l in 0..LANES {
            let radius = radius_sq[l].sqrt();
            let (s, c) = sincos_of_word::<FMA>(angle_words[l]);
            z[0][l] = radius * c;
            z[1][l] = radius * s;
        }
        z
    }
}

#[inline(always)]
fn normals_lanes<const FMA: bool>(scratch: &mut Scratch) -> CacheLine<[[f64; LANES]; 2]> {
    let pairs: &[u64; LANES] = scratch.words.as_flattened().try_into().unwrap();
    // Two passes: the logarithms first, so that each square root then waits on a value
    // computed long before and the divider runs beside the sine and cosine polynomials
    // (in one pass every square root waited on its logarithm's long chain).
    for l in 0..LANES {
        scratch.radius_sq[l] = radius_squared::<FMA>(pairs[l]);
    }
    let mut z = CacheLine([[0.0f64; LANES]; 2]);
    for l in 0..LANES {
        let (c, s) = polar_to_normals::<FMA>(scratch.radius_sq[l], pairs[l]);
        z[0][l] = c;
        z[1][l] = s;
    }
    z
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
        // 11 components: one partial unit; 70: four whole units and a partial fifth; 8: one
        // run of a unit. 5, 15 and 17 tasks leave the last batch of lanes partly used.
        for &(paths, comps, stride) in &[(5usize, 11usize, 24usize), (3, 70, 88), (17, 8, 8)] {
            let mut out = vec![f64::NAN; paths * stride];
            fill_normals::<f64, FMA>(
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
    /// `cos`, `sin`) of the ARS words, whose generator has its own known-answer test.
    #[test]
    fn normals_are_box_muller_of_the_ars_words() {
        let (seed, path, step) = (0x1234_5678_9abc_def0u64, 5_000_000_007u64, 99u32);
        let keys = RoundKeys::<ROUNDS>::new([seed as u32, (seed >> 32) as u32, 0, 0]);
        for stream in [Stream::Main, Stream::BurnIn] {
            for component in (0..200u32).chain([4_000, 65_535]) {
                let (unit, within) = (component / 16, component % 16);
                let (run, q) = (within / 8, within % 8);
                let words = ars4x32(
                    [
                        ((stream as u32) << 28) | (4 * unit + q / 2),
                        step,
                        path as u32,
                        (path >> 32) as u32,
                    ],
                    &keys,
                );
                let (radius_word, angle_word) = if q % 2 == 0 {
                    (words[0], words[1])
                } else {
                    (words[2], words[3])
                };
                let u = (radius_word as f64 + 0.5) / 4_294_967_296.0;
                let angle = 2.0 * std::f64::consts::PI * (angle_word as f64 / 4_294_967_296.0);
                let radius = (-2.0 * u.ln()).sqrt();
                let want = radius * if run == 0 { angle.cos() } else { angle.sin() };
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

    /// The documented relation: the same words through Box–Muller in `f32`, within
    /// `2·10⁻⁶` of the `f64` normals, for both FMA settings and across partial batches.
    #[test]
    fn f32_normals_are_the_f64_ones_to_f32_rounding() {
        let mut worst = 0.0f64;
        for &(paths, comps, stride) in &[(5usize, 11usize, 24usize), (3, 70, 88), (4096, 64, 64)] {
            for step in [0u32, 17, 123_456] {
                let mut wide = vec![f64::NAN; paths * stride];
                let mut single = vec![f32::NAN; paths * stride];
                let mut fused = vec![f32::NAN; paths * stride];
                let first = 1_000_000_007;
                fill_normals::<f64, true>(
                    9,
                    Stream::BurnIn,
                    first,
                    paths,
                    step,
                    comps,
                    &mut wide,
                    stride,
                );
                fill_normals::<f32, false>(
                    9,
                    Stream::BurnIn,
                    first,
                    paths,
                    step,
                    comps,
                    &mut single,
                    stride,
                );
                fill_normals::<f32, true>(
                    9,
                    Stream::BurnIn,
                    first,
                    paths,
                    step,
                    comps,
                    &mut fused,
                    stride,
                );
                let written = normals_row_len(comps);
                for p in 0..paths {
                    for c in 0..stride {
                        let (a, b, f) = (
                            wide[p * stride + c],
                            single[p * stride + c],
                            fused[p * stride + c],
                        );
                        if c < written {
                            worst = worst.max((a - b as f64).abs()).max((a - f as f64).abs());
                        } else {
                            assert!(b.is_nan() && f.is_nan());
                        }
                    }
                }
            }
        }
        assert!(worst <= 2e-6, "{worst}");
        // Not a copy of the f64 normals rounded: the arithmetic is f32's.
        assert!(worst > 1e-7, "{worst}");
    }

    #[test]
    fn f32_moments_are_standard_normal() {
        let n = 400_000usize;
        let mut out = vec![0.0f32; n];
        fill_normals::<f32, true>(7, Stream::Main, 0, n / 8, 0, 8, &mut out, 8);
        let out: Vec<f64> = out.iter().map(|&x| x as f64).collect();
        let mean = out.iter().sum::<f64>() / n as f64;
        let var = out.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let se = 1.0 / (n as f64).sqrt();
        assert!(mean.abs() < 5.0 * se, "mean {mean}");
        assert!((var - 1.0).abs() < 5.0 * 2f64.sqrt() * se, "var {var}");
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
        fill_normals::<f64, false>(7, Stream::Main, 0, n / 8, 0, 8, &mut out, 8);
        // The FMA levels' normals are the same numbers up to rounding.
        let mut fused = vec![0.0; 40_000];
        fill_normals::<f64, true>(7, Stream::Main, 0, 5_000, 0, 8, &mut fused, 8);
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
