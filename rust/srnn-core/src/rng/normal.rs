//! Standard normals from Philox by Box–Muller: one Philox call gives four 32-bit words and
//! exactly four normals (fixed consumption, no rejection), so the normal for component `c`
//! comes from call `c / 4` and nothing else.

// Lane loops index several fixed-size arrays at once; that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

use super::philox::philox4x32_10;
use crate::vmath::{ln_positive, madd, sincos_turns, u52_to_f64};

/// Independent families of noise drawn with the same seed. Burn-in noise must not be the
/// noise of the recorded run, or a stationary start would be correlated with what follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Stream {
    Main = 0,
    BurnIn = 1,
}

const COMPONENT_BLOCKS: u32 = 1 << 28;
const TWO_POW_M32: f64 = 1.0 / 4_294_967_296.0;

#[inline(always)]
fn key(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

#[inline(always)]
fn counter(stream: Stream, block: u32, step: u32, path: u64) -> [u32; 4] {
    [
        ((stream as u32) << 28) | block,
        step,
        path as u32,
        (path >> 32) as u32,
    ]
}

#[inline(always)]
fn box_muller<const FMA: bool>(radius_word: u32, angle_word: u32) -> (f64, f64) {
    // u ∈ (0, 1) strictly, so the logarithm is finite; the tail is cut at 6.66σ.
    let u = madd::<FMA>(
        u52_to_f64(radius_word as u64),
        TWO_POW_M32,
        0.5 * TWO_POW_M32,
    );
    let radius = (-2.0 * ln_positive::<FMA>(u)).sqrt();
    let (s, c) = sincos_turns::<FMA>(u52_to_f64(angle_word as u64) * TWO_POW_M32);
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
    assert!(component / 4 < COMPONENT_BLOCKS);
    let w = philox4x32_10(counter(stream, component / 4, step, path), key(seed));
    let (a, b) = box_muller::<FMA>(w[0], w[1]);
    let (c, d) = box_muller::<FMA>(w[2], w[3]);
    [a, b, c, d][(component % 4) as usize]
}

/// Two AVX-512 vectors per operation: Box–Muller is a long dependency chain (logarithm,
/// square root, polynomials), and two independent chains side by side hide its latency
/// (8% faster than one vector per operation on the EM workload; four spill registers).
const LANES: usize = 16;

/// Normals for paths `first_path .. first_path + n_paths` at one `step`, components
/// `0..n_components`, written row by row into `out` (row stride `row_stride`). Only the
/// first `round_up(n_components, 4)` entries of each row are written.
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
    let blocks = n_components.div_ceil(4);
    debug_assert!(blocks <= COMPONENT_BLOCKS as usize && blocks * 4 <= row_stride);
    if blocks >= LANES {
        // Lanes run over consecutive component blocks of one path: the counters are an iota
        // and the 4 × 8 outputs land contiguously, so setup and stores vectorise too.
        for path in 0..n_paths {
            let p = first_path + path as u64;
            let row = &mut out[path * row_stride..path * row_stride + 4 * blocks];
            let mut block0 = 0;
            while block0 < blocks {
                let lanes = LANES.min(blocks - block0);
                let mut ctr = [[0u32; LANES]; 4];
                for l in 0..LANES {
                    let c = counter(stream, (block0 + l) as u32, step, p);
                    for w in 0..4 {
                        ctr[w][l] = c[w];
                    }
                }
                let z = normals_lanes::<FMA>(ctr, seed);
                let dst = &mut row[4 * block0..4 * (block0 + lanes)];
                for l in 0..lanes {
                    for w in 0..4 {
                        dst[4 * l + w] = z[w][l];
                    }
                }
                block0 += lanes;
            }
        }
        return;
    }
    let total = n_paths * blocks;
    let mut start = 0;
    let (mut path, mut block) = (0usize, 0usize);
    while start < total {
        let lanes = LANES.min(total - start);
        let mut ctr = [[0u32; LANES]; 4];
        let mut at = [0usize; LANES];
        for l in 0..lanes {
            let c = counter(stream, block as u32, step, first_path + path as u64);
            for w in 0..4 {
                ctr[w][l] = c[w];
            }
            at[l] = path * row_stride + 4 * block;
            block += 1;
            if block == blocks {
                block = 0;
                path += 1;
            }
        }
        let z = normals_lanes::<FMA>(ctr, seed);
        for l in 0..lanes {
            let dst = &mut out[at[l]..at[l] + 4];
            for w in 0..4 {
                dst[w] = z[w][l];
            }
        }
        start += lanes;
    }
}

#[inline(always)]
fn normals_lanes<const FMA: bool>(ctr: [[u32; LANES]; 4], seed: u64) -> [[f64; LANES]; 4] {
    let words = philox_lanes(ctr, seed);
    let mut z = [[0.0f64; LANES]; 4];
    for l in 0..LANES {
        let (a, b) = box_muller::<FMA>(words[0][l], words[1][l]);
        let (c, d) = box_muller::<FMA>(words[2][l], words[3][l]);
        z[0][l] = a;
        z[1][l] = b;
        z[2][l] = c;
        z[3][l] = d;
    }
    z
}

/// Philox on `LANES` counters at once, structure of arrays. The 32-bit words live in 64-bit
/// lanes so that each multiply is one `vpmuludq` and no packing between widths is needed
/// (2.4× faster than `u32` lanes). Only the low 32 bits of a lane are meaningful: the mask
/// sits on the multiply operands, which is the pattern LLVM lowers to `vpmuludq` (without it,
/// AVX-512DQ gets the 3-µop `vpmullq`), and the garbage above bit 31 never reaches the low
/// half through the shifts of full 64-bit products and the XORs.
#[inline(always)]
fn philox_lanes(ctr: [[u32; LANES]; 4], seed: u64) -> [[u32; LANES]; 4] {
    const LO: u64 = 0xffff_ffff;
    let mut c: [[u64; LANES]; 4] = [[0; LANES]; 4];
    for w in 0..4 {
        for l in 0..LANES {
            c[w][l] = ctr[w][l] as u64;
        }
    }
    // The key words are the low halves of these; the high halves are left as garbage on
    // purpose: were the key provably below 2^32, LLVM would drop the operand masks as
    // redundant and then fail to prove it again when selecting instructions (`vpmullq`).
    let (mut k0, mut k1) = (seed, seed.rotate_right(32));
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(0x9E37_79B9);
            k1 = k1.wrapping_add(0xBB67_AE85);
        }
        let mut next = [[0u64; LANES]; 4];
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
    let mut out = [[0u32; LANES]; 4];
    for w in 0..4 {
        for l in 0..LANES {
            out[w][l] = c[w][l] as u32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_match_scalar_generator() {
        let (paths, comps, stride) = (5usize, 11usize, 16usize);
        let mut out = vec![f64::NAN; paths * stride];
        fill_normals::<false>(
            42,
            Stream::Main,
            1_000_000_000_000,
            paths,
            17,
            comps,
            &mut out,
            stride,
        );
        for p in 0..paths {
            for c in 0..comps {
                let want =
                    normal::<false>(42, Stream::Main, 1_000_000_000_000 + p as u64, 17, c as u32);
                assert_eq!(out[p * stride + c].to_bits(), want.to_bits());
            }
            assert!(out[p * stride + 12..p * stride + 16]
                .iter()
                .all(|x| x.is_nan()));
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
