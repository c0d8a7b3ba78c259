//! The segment step `t ← exp(z_n) ⊗ … ⊗ exp(z_1) ⊗ t` of a piecewise-linear path: one Horner
//! implementation ([`horner`]) over the [`Entry`] types it runs on, one path's `f64`s
//! ([`single`]) or interleaved lanes of several paths ([`lanes`]), whose vector primitives
//! differ; and the drivers that choose, per tensor size and SIMD level, between steps one at
//! a time (fused, or paired, on AVX-512) and groups of steps sharing a pass over the top
//! level. Every choice gives the same bits.

mod horner;
mod lanes;
mod single;
#[cfg(target_arch = "x86_64")]
mod wide;

pub use lanes::{as_lanes_mut, extract, insert, Lane, W};

use crate::aligned::Aligned;
use crate::progress::Progress;
use crate::signatures::tensor::Layout;
use crate::Result;

/// Steps per pass over the top level when steps are grouped.
const GROUP: usize = 8;

/// Largest tensor (values over all lanes) stepped one segment at a time rather than in
/// groups: up to this size (48 KiB) the tensor stays in L1, where a store per entry and step
/// costs less than streaming a group's Horner results through L2.
const FUSED_MAX_VALUES: usize = 6 * 1024;

/// Segments from which a copy of a single path's tensor into aligned storage pays off.
const ALIGN_MIN_STEPS: usize = 16;

/// What the step needs of a tensor entry beyond arithmetic: the vector primitives, each
/// rounding every value exactly as the scalar fused (or unfused) operation would.
pub(crate) trait Entry: Copy + Send + Sync + 'static {
    /// Paths per entry.
    const WIDTH: usize;
    /// Whether one-at-a-time steps go in pairs sharing a pass over the top level.
    const PAIRED: bool;

    /// `z * inv`, path by path.
    fn scaled(z: &Self, inv: f64) -> Self;

    /// `o[i] = f * b[i] + s[i]` (`s = None`: `o[i] += f * b[i]`).
    fn axpy<const FMA: bool, const WIDE: bool>(
        f: &Self,
        b: &[Self],
        s: Option<&[Self]>,
        o: &mut [Self],
    );

    /// `o[c] = (z[c] * inv) * b + s[c]` for every letter `c < d` (`s = None`:
    /// `o[c] += z[c] * b`, no `inv`): a Horner step or level update whose blocks are single
    /// entries.
    fn across_letters<const FMA: bool, const WIDE: bool>(
        z: &[Self],
        inv: f64,
        b: &Self,
        s: Option<&[Self]>,
        o: &mut [Self],
    );

    /// `o[i] = f[G-1] * xs[G-1][i] + (… (f[0] * xs[0][i] + o[i]) …)`, `xs` holding `G` blocks of
    /// `n`: `G` successive [`Entry::axpy`] calls in one pass.
    fn group_axpy<const FMA: bool, const G: usize>(
        f: &[Self; G],
        xs: &[Self],
        n: usize,
        o: &mut [Self],
    );

    /// The top-level update of a group of `G` steps on AVX-512, blocked by entry so that each
    /// Horner result is read once per group: `o[c, i] += Σ_j zs[j, c] xs[j, i]` in `j` order.
    ///
    /// # Safety
    /// Only inside the AVX-512 variant; `zs` holds `G d`, `xs` `G n` and `o` `d n` entries.
    #[cfg(target_arch = "x86_64")]
    unsafe fn group_update_wide<const G: usize>(
        zs: &[Self],
        d: usize,
        xs: &[Self],
        n: usize,
        o: &mut [Self],
    );

    /// The last Horner step of a level fused into the level's update (see
    /// [`wide::fused_level_z`]).
    ///
    /// # Safety
    /// Only inside the AVX-512 variant, with the lengths `fused_level_z` needs.
    #[cfg(target_arch = "x86_64")]
    unsafe fn fused_level_wide(
        d: usize,
        z: &[Self],
        b: &[Self],
        tm: &[Self],
        top: &mut [Self],
        n2: usize,
    );

    /// [`Entry::fused_level_wide`] for two consecutive steps (see [`wide::fused_pair_z`]).
    ///
    /// # Safety
    /// Only inside the AVX-512 variant, with the lengths `fused_pair_z` needs.
    #[cfg(target_arch = "x86_64")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn fused_pair_wide(
        d: usize,
        z0: &[Self],
        z1: &[Self],
        b0: &[Self],
        s0: &[Self],
        b1: &[Self],
        tm: &[Self],
        top: &mut [Self],
        n2: usize,
    );
}

/// Scratch entries the step needs for a tensor of this layout.
pub fn scratch_len(lay: &Layout) -> usize {
    (3 + GROUP) * lay.pow[lay.depth.saturating_sub(1)].max(1)
}

/// Tensor entries updated between two cancellation checks: some tens of milliseconds of
/// steps, so Ctrl-C stops even a single path of millions of points promptly.
const ENTRIES_PER_CHECK: usize = 1 << 24;

/// Segments between two cancellation checks for tensors of `width` entries each (`W` for
/// lanes), a multiple of [`GROUP`] and of a pair: the parts are stepped exactly as the
/// whole, and every driver gives the same bits anyway.
pub fn segments_per_check(lay: &Layout, width: usize) -> usize {
    let per = ENTRIES_PER_CHECK / (lay.full_len() * width).max(1);
    (per / (2 * GROUP) * (2 * GROUP)).max(2 * GROUP)
}

/// `t ← exp(z_n) ⊗ … ⊗ exp(z_1) ⊗ t` for the increments `z` (flat, `d` each) of one path,
/// with a cancellation check every [`segments_per_check`] segments.
pub fn run_segments(
    lay: &Layout,
    t: &mut [f64],
    incs: &[f64],
    buf: &mut [f64],
    progress: &Progress,
) -> Result<()> {
    let parts = incs.chunks(segments_per_check(lay, 1) * lay.d.max(1));
    if !one_at_a_time::<f64>(lay) {
        for part in parts {
            progress.checkpoint()?;
            advance::<f64, GROUP>(lay, t, part, buf);
        }
        return Ok(());
    }
    progress.checkpoint()?;
    if incs.len() < ALIGN_MIN_STEPS * lay.d {
        advance::<f64, 1>(lay, t, incs, buf);
        return Ok(());
    }
    // The top level, most of the traffic, on a cache-line boundary (for d = 8, every level).
    let mut aligned = Aligned::filled_at(t.len(), 0.0, lay.off[lay.depth]);
    aligned.copy_from_slice(t);
    let mut scratch = Aligned::filled((3 + lay.d) * lay.pow[lay.depth.saturating_sub(2)], 0.0);
    for part in parts {
        progress.checkpoint()?;
        advance::<f64, 1>(lay, &mut aligned, part, &mut scratch);
    }
    t.copy_from_slice(&aligned);
    Ok(())
}

/// [`run_segments`] for `W` paths interleaved lane by lane; `incs` holds `d` lanes per
/// segment.
pub fn run_segments_lanes(
    lay: &Layout,
    t: &mut [Lane],
    incs: &[Lane],
    buf: &mut [Lane],
    progress: &Progress,
) -> Result<()> {
    for part in incs.chunks(segments_per_check(lay, W) * lay.d.max(1)) {
        progress.checkpoint()?;
        if one_at_a_time::<Lane>(lay) {
            advance::<Lane, 1>(lay, t, part, buf)
        } else {
            advance::<Lane, GROUP>(lay, t, part, buf)
        }
    }
    Ok(())
}

/// Whether steps go one at a time rather than in groups. A single path's unfused step
/// streams each level through memory once per step whatever the tensor's size, so below
/// AVX-512 it always groups; lanes' entries are whole vectors, which keeps their plain steps
/// cheap while the tensor is in L1.
fn one_at_a_time<E: Entry>(lay: &Layout) -> bool {
    lay.full_len() * E::WIDTH <= FUSED_MAX_VALUES
        && (E::WIDTH > 1 || crate::simd::level() == crate::simd::Level::Avx512)
}

/// The steps with `G` of them per pass over the top level, or with `G = 1` one (or, paired,
/// two) at a time with fused levels.
fn advance<E: Entry, const G: usize>(lay: &Layout, t: &mut [E], incs: &[E], buf: &mut [E]) {
    crate::dispatch!(
        fn steps[E: Entry, const G: usize][E, G](
            lay: &Layout,
            t: &mut [E],
            incs: &[E],
            buf: &mut [E],
        ) -> () {
            let d = lay.d;
            if G == 1 {
                let mut singles = incs.chunks_exact(d);
                if E::PAIRED {
                    let mut pairs = incs.chunks_exact(2 * d);
                    for zz in &mut pairs {
                        horner::step_pair::<E, FMA, WIDE>(lay, t, &zz[..d], &zz[d..], buf);
                    }
                    singles = pairs.remainder().chunks_exact(d);
                }
                for z in singles {
                    horner::step_fused::<E, FMA, WIDE>(lay, t, z, buf);
                }
                return;
            }
            let mut groups = incs.chunks_exact(G * d);
            for zs in &mut groups {
                horner::step_group::<E, FMA, WIDE, G>(lay, t, zs, buf);
            }
            for z in groups.remainder().chunks_exact(d) {
                horner::step_levels::<E, FMA, WIDE>(lay, t, z, lay.depth, buf);
            }
        }
    )
}

#[cfg(test)]
mod tests {
    use super::horner::{step_group, step_levels};
    use super::*;
    use crate::signatures::tensor::{exp, mul};

    fn rand_tensor(lay: &Layout, seed: u64) -> Vec<f64> {
        let mut s = seed;
        let mut t: Vec<f64> = (0..lay.full_len())
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
            })
            .collect();
        t[0] = 1.0;
        t
    }

    #[test]
    fn step_equals_product_with_exp() {
        let lay = Layout::new(3, 5);
        let t = rand_tensor(&lay, 7);
        let z = [0.3, -0.7, 1.1];
        let mut ez = vec![0.0; lay.full_len()];
        ez[1..4].copy_from_slice(&z);
        let want = mul(&lay, &exp(&lay, &ez), &t);
        let mut got = t.clone();
        let mut buf = vec![0.0; scratch_len(&lay)];
        run_segments(&lay, &mut got, &z, &mut buf, &Progress::new()).unwrap();
        let close = got
            .iter()
            .zip(&want)
            .all(|(x, y)| (x - y).abs() <= 1e-13 * (1.0 + y.abs()));
        assert!(close);
    }

    #[test]
    fn grouped_steps_are_bit_identical_to_single_steps() {
        for (d, depth) in [(1, 3), (2, 1), (3, 4), (4, 5)] {
            let lay = Layout::new(d, depth);
            let t = rand_tensor(&lay, 9);
            let z1: Vec<f64> = (0..d).map(|c| 0.3 - 0.2 * c as f64).collect();
            let z2: Vec<f64> = (0..d).map(|c| -0.1 + 0.35 * c as f64).collect();
            let zz: Vec<f64> = z1.iter().chain(&z2).copied().collect();
            let mut buf = vec![0.0; scratch_len(&lay)];
            let (mut a, mut b) = (t.clone(), t.clone());
            step_levels::<f64, false, false>(&lay, &mut a, &z1, depth, &mut buf);
            step_levels::<f64, false, false>(&lay, &mut a, &z2, depth, &mut buf);
            step_group::<f64, false, false, 2>(&lay, &mut b, &zz, &mut buf);
            assert_eq!(a, b);
            // Every driver (one at a time, paired, grouped; single paths or lanes) too.
            let (mut c, mut lanes) = (t.clone(), vec![[0.0; W]; t.len()]);
            run_segments(&lay, &mut c, &zz, &mut buf, &Progress::new()).unwrap();
            insert(&t, 1, &mut lanes);
            let lane_zz: Vec<Lane> = zz.iter().map(|&v| [v; W]).collect();
            let mut lane_buf = vec![[0.0; W]; scratch_len(&lay)];
            run_segments_lanes(&lay, &mut lanes, &lane_zz, &mut lane_buf, &Progress::new())
                .unwrap();
            let mut from_lane = vec![0.0; t.len()];
            extract(&lanes, 1, &mut from_lane);
            assert_eq!(c, from_lane);
        }
    }
}
