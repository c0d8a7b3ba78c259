//! The segment step `t ← exp(z) ⊗ t` by Horner's rule, written once for every [`Entry`] type
//! (one path's `f64`s or interleaved lanes of several paths).
//!
//! For each level k from the top, `t_k += z ⊗ (z/2 ⊗ (… (z/k ⊗ t_0 + t_1) …) + t_{k-1})`.
//! Going from the top down means every lower level is still the old value when it is read.
//! Multiplying on the left keeps the innermost loops contiguous over `d^{m-1}` entries, which
//! vectorises for any `d`; callers that need `t ⊗ exp(z)` store the word-reversed tensor
//! instead (reversal turns right products into left ones and fixes `exp(z)`).
//!
//! Every variant below (plain, fused, paired, grouped) performs the same operations on each
//! entry in the same order, so all give the same bits.

use super::Entry;
use crate::signatures::tensor::Layout;

/// Step `m` of Horner's chain for level `k`: `next = z/(k-m+1) ⊗ cur + t_m`.
#[inline(always)]
fn horner_step<E: Entry, const FMA: bool, const WIDE: bool>(
    lay: &Layout,
    t: &[E],
    z: &[E],
    k: usize,
    m: usize,
    cur: &[E],
    next: &mut [E],
) {
    let (d, n) = (lay.d, lay.pow[m - 1]);
    let inv = 1.0 / (k - m + 1) as f64;
    let tm = &t[lay.off[m]..lay.off[m + 1]];
    if n == 1 {
        return E::across_letters::<FMA, WIDE>(z, inv, &cur[0], Some(&tm[..d]), &mut next[..d]);
    }
    for c in 0..d {
        E::axpy::<FMA, WIDE>(
            &E::scaled(&z[c], inv),
            &cur[..n],
            Some(&tm[c * n..(c + 1) * n]),
            &mut next[c * n..(c + 1) * n],
        );
    }
}

/// The first `upto - 1` steps of Horner's chain for level `k`: `B_{upto-1}`, left in `b0` or
/// `b1`; the returned slice points at it.
#[inline(always)]
fn horner_partial<'a, E: Entry, const FMA: bool, const WIDE: bool>(
    lay: &Layout,
    t: &[E],
    z: &[E],
    k: usize,
    upto: usize,
    b0: &'a mut [E],
    b1: &'a mut [E],
) -> &'a [E] {
    b0[0] = t[0];
    let mut in_b1 = false;
    for m in 1..upto {
        let (cur, next): (&[E], &mut [E]) = if in_b1 {
            (&*b1, &mut *b0)
        } else {
            (&*b0, &mut *b1)
        };
        horner_step::<E, FMA, WIDE>(lay, t, z, k, m, cur, next);
        in_b1 = !in_b1;
    }
    if in_b1 {
        &b1[..lay.pow[upto - 1]]
    } else {
        &b0[..lay.pow[upto - 1]]
    }
}

/// The whole chain for level `k >= 2`, its last step written into `dst` (`d^{k-1}` entries).
#[inline(always)]
fn horner_into<E: Entry, const FMA: bool, const WIDE: bool>(
    lay: &Layout,
    t: &[E],
    z: &[E],
    k: usize,
    b0: &mut [E],
    b1: &mut [E],
    dst: &mut [E],
) {
    let cur = horner_partial::<E, FMA, WIDE>(lay, t, z, k, k - 1, b0, b1);
    horner_step::<E, FMA, WIDE>(lay, t, z, k, k - 1, cur, dst);
}

/// `t_k += z ⊗ B_{k-1}`.
#[inline(always)]
fn update_level<E: Entry, const FMA: bool, const WIDE: bool>(
    lay: &Layout,
    t: &mut [E],
    z: &[E],
    k: usize,
    b: &[E],
) {
    let (d, n) = (lay.d, lay.pow[k - 1]);
    let tk = &mut t[lay.off[k]..lay.off[k + 1]];
    if n == 1 {
        return E::across_letters::<FMA, WIDE>(z, 1.0, &b[0], None, &mut tk[..d]);
    }
    for c in 0..d {
        E::axpy::<FMA, WIDE>(&z[c], b, None, &mut tk[c * n..(c + 1) * n]);
    }
}

/// Levels `k_max` down to 1 of one step; `buf` needs `2 d^{k_max-1}` entries.
#[inline(always)]
pub(super) fn step_levels<E: Entry, const FMA: bool, const WIDE: bool>(
    lay: &Layout,
    t: &mut [E],
    z: &[E],
    k_max: usize,
    buf: &mut [E],
) {
    let n_max = lay.pow[k_max.saturating_sub(1)];
    let (b0, b1) = buf[..2 * n_max].split_at_mut(n_max);
    for k in (1..=k_max).rev() {
        let b = horner_partial::<E, FMA, WIDE>(lay, t, z, k, k, b0, b1);
        update_level::<E, FMA, WIDE>(lay, t, z, k, b);
    }
}

/// One step; on AVX-512 the last Horner step of each level `k >= 2` is fused into that
/// level's update ([`Entry::fused_level_wide`]), so `B_{k-1}` is never stored and the working
/// set is the tensor and `2 d^{depth-2}` of scratch. `buf` needs `2 d^{depth-1}` entries.
#[inline(always)]
pub(super) fn step_fused<E: Entry, const FMA: bool, const WIDE: bool>(
    lay: &Layout,
    t: &mut [E],
    z: &[E],
    buf: &mut [E],
) {
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        return fused_levels::<E, FMA, WIDE>(lay, t, z, lay.depth, buf);
    }
    step_levels::<E, FMA, WIDE>(lay, t, z, lay.depth, buf);
}

/// Levels `k_max` down to 1 of [`step_fused`] on AVX-512; `buf` needs `2 d^{k_max-2}` (at
/// least 2) entries.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn fused_levels<E: Entry, const FMA: bool, const WIDE: bool>(
    lay: &Layout,
    t: &mut [E],
    z: &[E],
    k_max: usize,
    buf: &mut [E],
) {
    for k in (2..=k_max).rev() {
        let n2 = lay.pow[k - 2];
        let (b0, b1) = buf[..2 * n2].split_at_mut(n2);
        let b = horner_partial::<E, FMA, WIDE>(lay, t, z, k, k - 1, b0, b1);
        let (lo, hi) = t.split_at_mut(lay.off[k]);
        let tm = &lo[lay.off[k - 1]..];
        // SAFETY: WIDE is true only in the AVX-512 variant; `b` holds `n2`, `tm` `d n2`,
        // `hi` at least `d² n2` and `z` `d` entries.
        unsafe { E::fused_level_wide(lay.d, z, b, tm, hi, n2) };
    }
    step_levels::<E, FMA, WIDE>(lay, t, z, 1, buf);
}

/// Two steps (`z0` then `z1`) with one pass over the top level: its updates by both steps
/// are applied together ([`Entry::fused_pair_wide`]), halving its loads and stores. `buf`
/// needs `(3 + d) d^{depth-2}` entries (and `2 d^{depth-1}`).
#[inline(always)]
pub(super) fn step_pair<E: Entry, const FMA: bool, const WIDE: bool>(
    lay: &Layout,
    t: &mut [E],
    z0: &[E],
    z1: &[E],
    buf: &mut [E],
) {
    #[cfg(target_arch = "x86_64")]
    if WIDE && lay.depth >= 3 && lay.d >= 2 {
        return pair_wide::<E, FMA, WIDE>(lay, t, z0, z1, buf);
    }
    step_fused::<E, FMA, WIDE>(lay, t, z0, buf);
    step_fused::<E, FMA, WIDE>(lay, t, z1, buf);
}

/// [`step_pair`] on AVX-512 (`depth >= 3`, `d >= 2`).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn pair_wide<E: Entry, const FMA: bool, const WIDE: bool>(
    lay: &Layout,
    t: &mut [E],
    z0: &[E],
    z1: &[E],
    buf: &mut [E],
) {
    let top = lay.depth;
    let (n2, n1) = (lay.pow[top - 2], lay.pow[top - 1]);
    let (scratch, rest) = buf.split_at_mut(2 * n2);
    let (p0, rest) = rest.split_at_mut(n2);
    let s0 = &mut rest[..n1];
    {
        let (b0, b1) = scratch.split_at_mut(n2);
        p0.copy_from_slice(horner_partial::<E, FMA, WIDE>(
            lay,
            t,
            z0,
            top,
            top - 1,
            b0,
            b1,
        ));
    }
    s0.copy_from_slice(&t[lay.off[top - 1]..lay.off[top]]);
    fused_levels::<E, FMA, WIDE>(lay, t, z0, top - 1, scratch);
    {
        let (b0, b1) = scratch.split_at_mut(n2);
        let p1 = horner_partial::<E, FMA, WIDE>(lay, t, z1, top, top - 1, b0, b1);
        let (lo, hi) = t.split_at_mut(lay.off[top]);
        let tm = &lo[lay.off[top - 1]..];
        // SAFETY: WIDE is true only in the AVX-512 variant; `p0`, `p1` hold `n2`, `s0`,
        // `tm` `d n2`, `hi` `d² n2` and `z0`, `z1` `d` entries.
        unsafe { E::fused_pair_wide(lay.d, z0, z1, p0, s0, p1, tm, hi, n2) };
    }
    fused_levels::<E, FMA, WIDE>(lay, t, z1, top - 1, scratch);
}

/// `G` steps `t ← exp(z_G) ⊗ … ⊗ exp(z_1) ⊗ t` (`zs`: `G d` entries) with the top level (most
/// of the tensor) read and written once: its update by `z_j` needs only the lower levels
/// after `j - 1` steps, so all `G` Horner results are formed first and then applied
/// together. `buf` needs `(2 + G) d^{depth-1}` entries.
#[inline(always)]
pub(super) fn step_group<E: Entry, const FMA: bool, const WIDE: bool, const G: usize>(
    lay: &Layout,
    t: &mut [E],
    zs: &[E],
    buf: &mut [E],
) {
    let (d, top) = (lay.d, lay.depth);
    if top < 2 {
        for z in zs[..G * d].chunks_exact(d) {
            step_levels::<E, FMA, WIDE>(lay, t, z, top, buf);
        }
        return;
    }
    let n = lay.pow[top - 1];
    let (bufs, xs) = buf[..(2 + G) * n].split_at_mut(2 * n);
    for j in 0..G {
        let z = &zs[j * d..(j + 1) * d];
        {
            let (b0, b1) = bufs.split_at_mut(n);
            horner_into::<E, FMA, WIDE>(lay, t, z, top, b0, b1, &mut xs[j * n..(j + 1) * n]);
        }
        step_levels::<E, FMA, WIDE>(lay, t, z, top - 1, bufs);
    }
    let tk = &mut t[lay.off[top]..lay.off[top + 1]];
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        // SAFETY: WIDE is true only in the AVX-512 variant; the lengths are those documented.
        return unsafe { E::group_update_wide::<G>(&zs[..G * d], d, xs, n, tk) };
    }
    for c in 0..d {
        let f: [E; G] = std::array::from_fn(|j| zs[j * d + c]);
        E::group_axpy::<FMA, G>(&f, xs, n, &mut tk[c * n..(c + 1) * n]);
    }
}
