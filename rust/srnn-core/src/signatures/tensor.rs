//! The truncated tensor algebra T^{(N)}(R^d) on flat buffers in the "full" layout: index 0
//! holds the level-0 scalar, level k occupies `off[k] .. off[k] + d^k` with words in
//! row-major order.

// Group loops index several fixed-size arrays in step; that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

use crate::vmath::madd;
use crate::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub d: usize,
    pub depth: usize,
    /// `off[k]` is where level k starts; `off[depth + 1]` is the full length.
    pub off: Vec<usize>,
    /// `pow[k] = d^k`.
    pub pow: Vec<usize>,
}

impl Layout {
    pub fn new(d: usize, depth: usize) -> Self {
        let mut off = Vec::with_capacity(depth + 2);
        let mut pow = Vec::with_capacity(depth + 1);
        let mut o = 0;
        let mut p = 1;
        for _ in 0..=depth {
            off.push(o);
            pow.push(p);
            o += p;
            p *= d;
        }
        off.push(o);
        Layout { d, depth, off, pow }
    }

    /// Length including the scalar.
    pub fn full_len(&self) -> usize {
        self.off[self.depth + 1]
    }

    /// Length without the scalar: `d + … + d^depth`.
    pub fn sig_len(&self) -> usize {
        self.full_len() - 1
    }

    pub fn level<'a>(&self, t: &'a [f64], k: usize) -> &'a [f64] {
        &t[self.off[k]..self.off[k + 1]]
    }

    /// `perm[p]` is the position, in the word-reversed layout, of the word stored at `p` in
    /// the row-major layout. Reversal is an involution, so the table also maps back.
    pub fn reversal_perm(&self) -> Vec<u32> {
        let mut perm = vec![0u32; self.full_len()];
        for k in 0..=self.depth {
            for w in 0..self.pow[k] {
                let mut x = w;
                let mut r = 0;
                for _ in 0..k {
                    r = r * self.d + x % self.d;
                    x /= self.d;
                }
                perm[self.off[k] + w] = (self.off[k] + r) as u32;
            }
        }
        perm
    }

    pub fn identity(&self) -> Vec<f64> {
        let mut t = vec![0.0; self.full_len()];
        t[0] = 1.0;
        t
    }
}

/// `out[i] = src[perm[i]]` (word reversal when `perm` is [`Layout::reversal_perm`]).
#[inline]
pub fn permute(src: &[f64], perm: &[u32], out: &mut [f64]) {
    for (o, &p) in out.iter_mut().zip(perm) {
        *o = src[p as usize];
    }
}

/// `o = f * b + s`. The FMA levels use 256-bit intrinsics, so vector width and fused
/// rounding do not hinge on what the vectoriser makes of the kernel's buffers; the result
/// is the same as the scalar fused loop, element by element.
#[inline(always)]
pub fn axpy<const FMA: bool, const Z: bool>(f: f64, b: &[f64], s: &[f64], o: &mut [f64]) {
    let n = o.len();
    let (b, s) = (&b[..n], &s[..n]);
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{
            _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_set1_pd, _mm256_storeu_pd,
        };
        // SAFETY: FMA is true only inside `dispatch!` kernels compiled with avx2+fma after
        // run-time detection; every access is below `n`, the common length.
        unsafe {
            let (bp, sp, op) = (b.as_ptr(), s.as_ptr(), o.as_mut_ptr());
            if Z && n >= WIDE_MIN {
                zaxpy(f, bp, sp, op, n);
                return;
            }
            let fv = _mm256_set1_pd(f);
            while i + 8 <= n {
                let r0 =
                    _mm256_fmadd_pd(fv, _mm256_loadu_pd(bp.add(i)), _mm256_loadu_pd(sp.add(i)));
                let r1 = _mm256_fmadd_pd(
                    fv,
                    _mm256_loadu_pd(bp.add(i + 4)),
                    _mm256_loadu_pd(sp.add(i + 4)),
                );
                _mm256_storeu_pd(op.add(i), r0);
                _mm256_storeu_pd(op.add(i + 4), r1);
                i += 8;
            }
            while i + 4 <= n {
                let r = _mm256_fmadd_pd(fv, _mm256_loadu_pd(bp.add(i)), _mm256_loadu_pd(sp.add(i)));
                _mm256_storeu_pd(op.add(i), r);
                i += 4;
            }
        }
    }
    while i < n {
        o[i] = madd::<FMA>(f, b[i], s[i]);
        i += 1;
    }
}

/// Loops at least this long use 512-bit operations on AVX-512 (masked 512-bit operations on
/// the many short loops of the low levels measured slower than the 256-bit ones).
#[cfg(target_arch = "x86_64")]
const WIDE_MIN: usize = 128;

/// `o[i] = f * b[i] + s[i]` for `i < n` with 512-bit operations, the tail masked (`s` may
/// be `o`). Each element gets the same fused operation as in the 256-bit loops.
///
/// # Safety
/// Only to be inlined into code compiled for AVX-512F; the pointers address `n` values.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn zaxpy(f: f64, bp: *const f64, sp: *const f64, op: *mut f64, n: usize) {
    use std::arch::x86_64::*;
    let fv = _mm512_set1_pd(f);
    let mut i = 0;
    while i + 16 <= n {
        let r0 = _mm512_fmadd_pd(fv, _mm512_loadu_pd(bp.add(i)), _mm512_loadu_pd(sp.add(i)));
        let r1 = _mm512_fmadd_pd(
            fv,
            _mm512_loadu_pd(bp.add(i + 8)),
            _mm512_loadu_pd(sp.add(i + 8)),
        );
        _mm512_storeu_pd(op.add(i), r0);
        _mm512_storeu_pd(op.add(i + 8), r1);
        i += 16;
    }
    while i < n {
        let m: __mmask8 = if n - i >= 8 {
            0xff
        } else {
            ((1u32 << (n - i)) - 1) as __mmask8
        };
        let r = _mm512_fmadd_pd(
            fv,
            _mm512_maskz_loadu_pd(m, bp.add(i)),
            _mm512_maskz_loadu_pd(m, sp.add(i)),
        );
        _mm512_mask_storeu_pd(op.add(i), m, r);
        i += 8;
    }
}

/// `o += f * b`.
#[inline(always)]
pub fn axpy_in_place<const FMA: bool, const Z: bool>(f: f64, b: &[f64], o: &mut [f64]) {
    let n = o.len();
    let b = &b[..n];
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{
            _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_set1_pd, _mm256_storeu_pd,
        };
        // SAFETY: as in `axpy`.
        unsafe {
            let (bp, op) = (b.as_ptr(), o.as_mut_ptr());
            if Z && n >= WIDE_MIN {
                zaxpy(f, bp, op, op, n);
                return;
            }
            let fv = _mm256_set1_pd(f);
            while i + 8 <= n {
                let r0 =
                    _mm256_fmadd_pd(fv, _mm256_loadu_pd(bp.add(i)), _mm256_loadu_pd(op.add(i)));
                let r1 = _mm256_fmadd_pd(
                    fv,
                    _mm256_loadu_pd(bp.add(i + 4)),
                    _mm256_loadu_pd(op.add(i + 4)),
                );
                _mm256_storeu_pd(op.add(i), r0);
                _mm256_storeu_pd(op.add(i + 4), r1);
                i += 8;
            }
            while i + 4 <= n {
                let r = _mm256_fmadd_pd(fv, _mm256_loadu_pd(bp.add(i)), _mm256_loadu_pd(op.add(i)));
                _mm256_storeu_pd(op.add(i), r);
                i += 4;
            }
        }
    }
    while i < n {
        o[i] = madd::<FMA>(f, b[i], o[i]);
        i += 1;
    }
}

/// `t ← exp(z) ⊗ t` without forming `exp(z)`: for each level k from the top, Horner's rule
/// `t_k += z ⊗ (z/2 ⊗ (… (z/k ⊗ t_0 + t_1) …) + t_{k-1})`. Going from the top down means every
/// lower level is still the old value when it is read. Multiplying on the left keeps the
/// innermost loops contiguous over `d^{m-1}` entries, which vectorises for any `d`; callers
/// that need `t ⊗ exp(z)` store the word-reversed tensor instead (reversal turns right
/// products into left ones and fixes `exp(z)`).
///
/// `buf` needs `2 d^{depth-1}` entries.
#[inline(always)]
pub fn mul_exp_left<const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &mut [f64],
    z: &[f64],
    buf: &mut [f64],
) {
    let n_max = lay.pow[lay.depth.saturating_sub(1)];
    let (b0, b1) = buf[..2 * n_max].split_at_mut(n_max);
    for k in (1..=lay.depth).rev() {
        let cur = horner_chain::<FMA, Z>(lay, t, z, k, b0, b1);
        update_level::<FMA, Z>(lay, t, z, k, cur);
    }
}

/// `B_{k-1}` of Horner's rule for level `k`, computed from levels `0..k` of `t`; it is left in
/// `b0` or `b1`, and the returned slice points at it.
#[inline(always)]
fn horner_chain<'a, const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &[f64],
    z: &[f64],
    k: usize,
    b0: &'a mut [f64],
    b1: &'a mut [f64],
) -> &'a [f64] {
    horner_partial::<FMA, Z>(lay, t, z, k, k, b0, b1)
}

/// The first `upto - 1` steps of [`horner_chain`] for level `k`: `B_{upto-1}` (with the
/// factors of level `k`), left in `b0` or `b1`.
#[inline(always)]
fn horner_partial<'a, const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &[f64],
    z: &[f64],
    k: usize,
    upto: usize,
    b0: &'a mut [f64],
    b1: &'a mut [f64],
) -> &'a [f64] {
    let d = lay.d;
    b0[0] = t[0];
    let mut in_b1 = false;
    for m in 1..upto {
        let n = lay.pow[m - 1];
        let inv = 1.0 / (k - m + 1) as f64;
        let tm = &t[lay.off[m]..lay.off[m + 1]];
        let (cur, nxt): (&[f64], &mut [f64]) = if in_b1 {
            (&*b1, &mut *b0)
        } else {
            (&*b0, &mut *b1)
        };
        for c in 0..d {
            axpy::<FMA, Z>(
                z[c] * inv,
                &cur[..n],
                &tm[c * n..(c + 1) * n],
                &mut nxt[c * n..(c + 1) * n],
            );
        }
        in_b1 = !in_b1;
    }
    if in_b1 {
        &b1[..lay.pow[upto - 1]]
    } else {
        &b0[..lay.pow[upto - 1]]
    }
}

/// `t_k += z ⊗ B_{k-1}`.
#[inline(always)]
fn update_level<const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &mut [f64],
    z: &[f64],
    k: usize,
    b: &[f64],
) {
    let n = lay.pow[k - 1];
    let tk = &mut t[lay.off[k]..lay.off[k + 1]];
    for c in 0..lay.d {
        axpy_in_place::<FMA, Z>(z[c], b, &mut tk[c * n..(c + 1) * n]);
    }
}

/// [`mul_exp_left`] on AVX-512 with the last Horner step of each level `k >= 2` fused into
/// that level's update ([`fused_level_z`]), so the working set is the tensor and
/// `2 d^{depth-2}` of scratch. Same operations per entry, in the same order.
#[inline(always)]
pub fn mul_exp_fused<const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &mut [f64],
    z: &[f64],
    buf: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    if FMA && Z {
        fused_levels::<FMA, Z>(lay, t, z, lay.depth, buf);
        return;
    }
    mul_exp_left::<FMA, Z>(lay, t, z, buf)
}

/// Levels `k_max` down to 1 of [`mul_exp_fused`]; `buf` needs `2 d^{k_max-2}` (at least 2).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn fused_levels<const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &mut [f64],
    z: &[f64],
    k_max: usize,
    buf: &mut [f64],
) {
    for k in (2..=k_max).rev() {
        let n2 = lay.pow[k - 2];
        let (b0, b1) = buf[..2 * n2].split_at_mut(n2);
        let b = horner_partial::<FMA, Z>(lay, t, z, k, k - 1, b0, b1);
        let (lo, hi) = t.split_at_mut(lay.off[k]);
        let tm = &lo[lay.off[k - 1]..];
        // SAFETY: Z is true only in the AVX-512 kernel, chosen after run-time detection;
        // `b` holds `n2`, `tm` `d n2`, `hi` at least `d² n2` and `z` `d` values.
        unsafe { fused_level_z::<1>(lay.d, z, b, tm, hi, n2) };
    }
    let (b0, b1) = buf[..2].split_at_mut(1);
    let cur = horner_chain::<FMA, Z>(lay, t, z, 1, b0, b1);
    update_level::<FMA, Z>(lay, t, z, 1, cur);
}

/// Two steps of [`mul_exp_fused`] (`z0` then `z1`) with one pass over the top level: its
/// updates by both steps are applied together ([`fused_pair_z`]), halving its loads and
/// stores. `buf` needs `(3 + d) d^{depth-2}`; needs `d >= 2`.
#[inline(always)]
pub fn mul_exp_fused_pair<const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &mut [f64],
    z0: &[f64],
    z1: &[f64],
    buf: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    let top = lay.depth;
    #[cfg(target_arch = "x86_64")]
    if FMA && Z && top >= 3 && lay.d >= 2 {
        let (n2, n1) = (lay.pow[top - 2], lay.pow[top - 1]);
        let (scr, rest) = buf.split_at_mut(2 * n2);
        let (p0, rest) = rest.split_at_mut(n2);
        let s0 = &mut rest[..n1];
        {
            let (b0, b1) = scr.split_at_mut(n2);
            p0.copy_from_slice(horner_partial::<FMA, Z>(lay, t, z0, top, top - 1, b0, b1));
        }
        s0.copy_from_slice(&t[lay.off[top - 1]..lay.off[top]]);
        fused_levels::<FMA, Z>(lay, t, z0, top - 1, scr);
        {
            let (b0, b1) = scr.split_at_mut(n2);
            let p1 = horner_partial::<FMA, Z>(lay, t, z1, top, top - 1, b0, b1);
            let (lo, hi) = t.split_at_mut(lay.off[top]);
            let tm = &lo[lay.off[top - 1]..];
            // SAFETY: Z is true only in the AVX-512 kernel, chosen after run-time detection;
            // `p0`, `p1` hold `n2`, `s0`, `tm` `d n2`, `hi` `d² n2` and `z0`, `z1` `d` values.
            unsafe { fused_pair_z::<1>(lay.d, z0, z1, p0, s0, p1, tm, hi, n2) };
        }
        fused_levels::<FMA, Z>(lay, t, z1, top - 1, scr);
        return;
    }
    mul_exp_fused::<FMA, Z>(lay, t, z0, buf);
    mul_exp_fused::<FMA, Z>(lay, t, z1, buf);
}

/// `top[c, c2, i] += z_c (z_{c2} / 2 · b[i] + tm[c2, i])` for entries `i < n2` of `W`
/// interleaved lanes each (`W` is 1 or 4; `z` holds `d` entries): the last Horner step of a
/// level `k >= 2` (`b = B_{k-2}`, `tm` level `k - 1`) and the update of level `k` (`top`).
/// Each block of `B_{k-1}` is formed in registers and applied to all `d` rows at once, so it
/// is never stored. Each value is rounded as in [`horner_chain`] and [`update_level`].
///
/// # Safety
/// Only to be inlined into code compiled for AVX-512F; `b` holds `n2 W`, `tm` `d n2 W` and
/// `top` at least `d² n2 W` values.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) unsafe fn fused_level_z<const W: usize>(
    d: usize,
    z: &[f64],
    b: &[f64],
    tm: &[f64],
    top: &mut [f64],
    n2: usize,
) {
    use std::arch::x86_64::*;
    // Register block: R vectors of 8 values.
    const R: usize = 4;
    let nw = n2 * W;
    let (z, b, tm, top) = (&z[..d * W], &b[..nw], &tm[..d * nw], &mut top[..d * d * nw]);
    let (zp, bp, tp, op) = (z.as_ptr(), b.as_ptr(), tm.as_ptr(), top.as_mut_ptr());
    let half = _mm512_set1_pd(0.5);
    let row = d * nw;
    for c2 in 0..d {
        let f2 = _mm512_mul_pd(bcast::<W>(zp.add(c2 * W)), half);
        let tc = tp.add(c2 * nw);
        let oc = op.add(c2 * nw);
        let mut i = 0;
        while i + 8 * R <= nw {
            let mut x = [_mm512_setzero_pd(); R];
            for r in 0..R {
                x[r] = _mm512_fmadd_pd(
                    f2,
                    _mm512_loadu_pd(bp.add(i + 8 * r)),
                    _mm512_loadu_pd(tc.add(i + 8 * r)),
                );
            }
            for c in 0..d {
                let zc = bcast::<W>(zp.add(c * W));
                let p = oc.add(c * row + i);
                for r in 0..R {
                    let acc = _mm512_fmadd_pd(zc, x[r], _mm512_loadu_pd(p.add(8 * r)));
                    _mm512_storeu_pd(p.add(8 * r), acc);
                }
            }
            i += 8 * R;
        }
        // Tails without masks: a masked store holds up later loads from its cache line,
        // which the next block reads.
        while i + 8 <= nw {
            let x = _mm512_fmadd_pd(f2, _mm512_loadu_pd(bp.add(i)), _mm512_loadu_pd(tc.add(i)));
            for c in 0..d {
                let p = oc.add(c * row + i);
                let acc = _mm512_fmadd_pd(bcast::<W>(zp.add(c * W)), x, _mm512_loadu_pd(p));
                _mm512_storeu_pd(p, acc);
            }
            i += 8;
        }
        if i + 4 <= nw {
            let f2 = _mm512_castpd512_pd256(f2);
            let x = _mm256_fmadd_pd(f2, _mm256_loadu_pd(bp.add(i)), _mm256_loadu_pd(tc.add(i)));
            for c in 0..d {
                let p = oc.add(c * row + i);
                let zc = _mm512_castpd512_pd256(bcast::<W>(zp.add(c * W)));
                _mm256_storeu_pd(p, _mm256_fmadd_pd(zc, x, _mm256_loadu_pd(p)));
            }
            i += 4;
        }
        // Only for W = 1: lane entries are whole 256-bit vectors.
        while i < nw {
            let f2 = *zp.add(c2) * 0.5;
            let x = f2.mul_add(*bp.add(i), *tc.add(i));
            for c in 0..d {
                let p = oc.add(c * row + i);
                *p = (*zp.add(c)).mul_add(x, *p);
            }
            i += 1;
        }
    }
}

/// [`fused_level_z`] for two consecutive steps on the same level: `x0 = z0_{c2}/2 · b0 + s0`
/// (step 0, from the level below as it was before step 0) and `x1 = z1_{c2}/2 · b1 + tm`,
/// then `top += z0_c x0` and `top += z1_c x1` in that order, each entry loaded and stored once.
///
/// # Safety
/// Only to be inlined into code compiled for AVX-512F; `b0`, `b1` hold `n2 W`, `s0`, `tm`
/// `d n2 W` and `top` at least `d² n2 W` values.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn fused_pair_z<const W: usize>(
    d: usize,
    z0: &[f64],
    z1: &[f64],
    b0: &[f64],
    s0: &[f64],
    b1: &[f64],
    tm: &[f64],
    top: &mut [f64],
    n2: usize,
) {
    use std::arch::x86_64::*;
    // Register block: R vectors of 8 values per step.
    const R: usize = 2;
    let nw = n2 * W;
    let (z0, z1) = (&z0[..d * W], &z1[..d * W]);
    let (b0, b1, s0, tm) = (&b0[..nw], &b1[..nw], &s0[..d * nw], &tm[..d * nw]);
    let top = &mut top[..d * d * nw];
    let (za, zb) = (z0.as_ptr(), z1.as_ptr());
    let (pa, pb, sa, sb) = (b0.as_ptr(), b1.as_ptr(), s0.as_ptr(), tm.as_ptr());
    let op = top.as_mut_ptr();
    let half = _mm512_set1_pd(0.5);
    let row = d * nw;
    for c2 in 0..d {
        let fa = _mm512_mul_pd(bcast::<W>(za.add(c2 * W)), half);
        let fb = _mm512_mul_pd(bcast::<W>(zb.add(c2 * W)), half);
        let (sc, tc) = (sa.add(c2 * nw), sb.add(c2 * nw));
        let oc = op.add(c2 * nw);
        let mut i = 0;
        while i + 8 * R <= nw {
            let mut xa = [_mm512_setzero_pd(); R];
            let mut xb = [_mm512_setzero_pd(); R];
            for r in 0..R {
                let j = i + 8 * r;
                xa[r] = _mm512_fmadd_pd(fa, _mm512_loadu_pd(pa.add(j)), _mm512_loadu_pd(sc.add(j)));
                xb[r] = _mm512_fmadd_pd(fb, _mm512_loadu_pd(pb.add(j)), _mm512_loadu_pd(tc.add(j)));
            }
            for c in 0..d {
                let (ca, cb) = (bcast::<W>(za.add(c * W)), bcast::<W>(zb.add(c * W)));
                let p = oc.add(c * row + i);
                for r in 0..R {
                    let acc = _mm512_fmadd_pd(ca, xa[r], _mm512_loadu_pd(p.add(8 * r)));
                    _mm512_storeu_pd(p.add(8 * r), _mm512_fmadd_pd(cb, xb[r], acc));
                }
            }
            i += 8 * R;
        }
        while i + 8 <= nw {
            let xa = _mm512_fmadd_pd(fa, _mm512_loadu_pd(pa.add(i)), _mm512_loadu_pd(sc.add(i)));
            let xb = _mm512_fmadd_pd(fb, _mm512_loadu_pd(pb.add(i)), _mm512_loadu_pd(tc.add(i)));
            for c in 0..d {
                let p = oc.add(c * row + i);
                let acc = _mm512_fmadd_pd(bcast::<W>(za.add(c * W)), xa, _mm512_loadu_pd(p));
                _mm512_storeu_pd(p, _mm512_fmadd_pd(bcast::<W>(zb.add(c * W)), xb, acc));
            }
            i += 8;
        }
        if i + 4 <= nw {
            let (fa, fb) = (_mm512_castpd512_pd256(fa), _mm512_castpd512_pd256(fb));
            let xa = _mm256_fmadd_pd(fa, _mm256_loadu_pd(pa.add(i)), _mm256_loadu_pd(sc.add(i)));
            let xb = _mm256_fmadd_pd(fb, _mm256_loadu_pd(pb.add(i)), _mm256_loadu_pd(tc.add(i)));
            for c in 0..d {
                let p = oc.add(c * row + i);
                let ca = _mm512_castpd512_pd256(bcast::<W>(za.add(c * W)));
                let cb = _mm512_castpd512_pd256(bcast::<W>(zb.add(c * W)));
                let acc = _mm256_fmadd_pd(ca, xa, _mm256_loadu_pd(p));
                _mm256_storeu_pd(p, _mm256_fmadd_pd(cb, xb, acc));
            }
            i += 4;
        }
        // Only for W = 1: lane entries are whole 256-bit vectors.
        while i < nw {
            let xa = (*za.add(c2) * 0.5).mul_add(*pa.add(i), *sc.add(i));
            let xb = (*zb.add(c2) * 0.5).mul_add(*pb.add(i), *tc.add(i));
            for c in 0..d {
                let p = oc.add(c * row + i);
                *p = (*zb.add(c)).mul_add(xb, (*za.add(c)).mul_add(xa, *p));
            }
            i += 1;
        }
    }
}

/// Lane entry `p` (`W` values, `W` 1 or 4) repeated across a 512-bit register.
///
/// # Safety
/// Only to be inlined into code compiled for AVX-512F; `p` addresses `W` values.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn bcast<const W: usize>(p: *const f64) -> std::arch::x86_64::__m512d {
    use std::arch::x86_64::*;
    if W == 1 {
        _mm512_set1_pd(*p)
    } else {
        _mm512_broadcast_f64x4(_mm256_loadu_pd(p))
    }
}

/// Zeroed storage for `len` values placed so that value `first` starts a cache line, for
/// 512-bit accesses that do not straddle two lines.
pub struct AlignedBuf {
    raw: Vec<f64>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    pub fn new(len: usize, first: usize) -> Self {
        let raw = vec![0.0; len + 8];
        let addr = raw.as_ptr() as usize + 8 * (first % 8);
        let start = (64 - addr % 64) % 64 / 8;
        AlignedBuf { raw, start, len }
    }

    pub fn as_slice(&self) -> &[f64] {
        &self.raw[self.start..self.start + self.len]
    }

    pub fn as_mut_slice(&mut self) -> &mut [f64] {
        &mut self.raw[self.start..self.start + self.len]
    }
}

/// Segments whose top-level updates are applied in one pass over the top level.
pub const GROUP: usize = 8;

/// `G` steps `t ← exp(z_G) ⊗ … ⊗ exp(z_1) ⊗ t` (`zs`: `G * d`) with the same arithmetic as `G`
/// calls of [`mul_exp_left`], but the top level (most of the tensor) is read and written
/// once: its update by `z_j` needs only the lower levels after `j - 1` steps, so all `G`
/// Horner results are formed first and then applied together, each entry receiving the
/// same fused operations in the same order.
///
/// `buf` needs `(2 + G) d^{depth-1}` entries.
#[inline(always)]
pub fn mul_exp_left_group<const FMA: bool, const Z: bool, const G: usize>(
    lay: &Layout,
    t: &mut [f64],
    zs: &[f64],
    buf: &mut [f64],
) {
    let (d, top) = (lay.d, lay.depth);
    if top < 2 {
        for z in zs[..G * d].chunks_exact(d) {
            mul_exp_left::<FMA, Z>(lay, t, z, buf);
        }
        return;
    }
    let n = lay.pow[top - 1];
    let (bufs, xs) = buf[..(2 + G) * n].split_at_mut(2 * n);
    let (b0, b1) = bufs.split_at_mut(n);
    for j in 0..G {
        let z = &zs[j * d..(j + 1) * d];
        horner_into::<FMA, Z>(lay, t, z, top, b0, b1, &mut xs[j * n..(j + 1) * n]);
        for k in (1..top).rev() {
            let cur = horner_chain::<FMA, Z>(lay, t, z, k, b0, b1);
            update_level::<FMA, Z>(lay, t, z, k, cur);
        }
    }
    let tk = &mut t[lay.off[top]..lay.off[top + 1]];
    #[cfg(target_arch = "x86_64")]
    if FMA && Z {
        // SAFETY: Z is true only in the AVX-512 kernel, chosen after run-time detection.
        unsafe { group_update_z::<G>(&zs[..G * d], d, xs, n, tk) };
        return;
    }
    for c in 0..d {
        let mut f = [0.0; G];
        for j in 0..G {
            f[j] = zs[j * d + c];
        }
        group_axpy::<FMA, Z, G>(&f, xs, n, &mut tk[c * n..(c + 1) * n]);
    }
}

/// The top-level update of [`mul_exp_left_group`] on AVX-512, blocked by 8 entries of the
/// last letter: the `G` Horner results for a block stay in registers while all `d` rows of
/// the level pass by, so each is read once per group (row by row, the `G` blocks do not fit
/// in L1 together with the level). Per entry, the same fused operations in the same order.
///
/// # Safety
/// The CPU must support AVX-512F; `zs` holds `G * d`, `xs` `G * n` and `o` `d * n` values.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
#[inline]
unsafe fn group_update_z<const G: usize>(
    zs: &[f64],
    d: usize,
    xs: &[f64],
    n: usize,
    o: &mut [f64],
) {
    use std::arch::x86_64::*;
    let (zs, xs, o) = (&zs[..G * d], &xs[..G * n], &mut o[..d * n]);
    let (zp, xp, op) = (zs.as_ptr(), xs.as_ptr(), o.as_mut_ptr());
    let mut i = 0;
    while i < n {
        let m: __mmask8 = if n - i >= 8 {
            0xff
        } else {
            ((1u32 << (n - i)) - 1) as __mmask8
        };
        let mut xv = [_mm512_setzero_pd(); G];
        for j in 0..G {
            xv[j] = _mm512_maskz_loadu_pd(m, xp.add(j * n + i));
        }
        for c in 0..d {
            let p = op.add(c * n + i);
            let mut acc = _mm512_maskz_loadu_pd(m, p);
            for j in 0..G {
                acc = _mm512_fmadd_pd(_mm512_set1_pd(*zp.add(j * d + c)), xv[j], acc);
            }
            _mm512_mask_storeu_pd(p, m, acc);
        }
        i += 8;
    }
}

/// [`horner_chain`] for `k >= 2` with its last step written into `dst`.
#[inline(always)]
fn horner_into<const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &[f64],
    z: &[f64],
    k: usize,
    b0: &mut [f64],
    b1: &mut [f64],
    dst: &mut [f64],
) {
    let d = lay.d;
    b0[0] = t[0];
    let mut in_b1 = false;
    for m in 1..k {
        let n = lay.pow[m - 1];
        let inv = 1.0 / (k - m + 1) as f64;
        let tm = &t[lay.off[m]..lay.off[m + 1]];
        let (cur, nxt): (&[f64], &mut [f64]) = if m == k - 1 {
            (if in_b1 { &*b1 } else { &*b0 }, &mut *dst)
        } else if in_b1 {
            (&*b1, &mut *b0)
        } else {
            (&*b0, &mut *b1)
        };
        for c in 0..d {
            axpy::<FMA, Z>(
                z[c] * inv,
                &cur[..n],
                &tm[c * n..(c + 1) * n],
                &mut nxt[c * n..(c + 1) * n],
            );
        }
        in_b1 = !in_b1;
    }
}

/// `o[i] = f[G-1] * xs[G-1][i] + (… (f[0] * xs[0][i] + o[i]) …)`, `xs` holding `G` blocks of
/// `n`, rounded exactly as `G` successive [`axpy_in_place`] calls.
#[inline(always)]
fn group_axpy<const FMA: bool, const Z: bool, const G: usize>(
    f: &[f64; G],
    xs: &[f64],
    n: usize,
    o: &mut [f64],
) {
    let xs = &xs[..G * n];
    let o = &mut o[..n];
    let mut i = 0;
    #[cfg(target_arch = "x86_64")]
    if FMA {
        // SAFETY: FMA (and Z) are true only inside kernels compiled with avx2+fma (and
        // avx512f) after run-time detection; every access is below `n` in each block
        // (the AVX-512 tail is masked).
        unsafe {
            use std::arch::x86_64::*;
            let (xp, op) = (xs.as_ptr(), o.as_mut_ptr());
            if Z {
                let mut fv = [_mm512_setzero_pd(); G];
                for j in 0..G {
                    fv[j] = _mm512_set1_pd(f[j]);
                }
                while i + 8 <= n {
                    let mut acc = _mm512_loadu_pd(op.add(i));
                    for j in 0..G {
                        acc = _mm512_fmadd_pd(fv[j], _mm512_loadu_pd(xp.add(j * n + i)), acc);
                    }
                    _mm512_storeu_pd(op.add(i), acc);
                    i += 8;
                }
                if i < n {
                    let m: __mmask8 = ((1u32 << (n - i)) - 1) as __mmask8;
                    let mut acc = _mm512_maskz_loadu_pd(m, op.add(i));
                    for j in 0..G {
                        acc = _mm512_fmadd_pd(
                            fv[j],
                            _mm512_maskz_loadu_pd(m, xp.add(j * n + i)),
                            acc,
                        );
                    }
                    _mm512_mask_storeu_pd(op.add(i), m, acc);
                    i = n;
                }
            } else {
                let mut fv = [_mm256_setzero_pd(); G];
                for j in 0..G {
                    fv[j] = _mm256_set1_pd(f[j]);
                }
                while i + 4 <= n {
                    let mut acc = _mm256_loadu_pd(op.add(i));
                    for j in 0..G {
                        acc = _mm256_fmadd_pd(fv[j], _mm256_loadu_pd(xp.add(j * n + i)), acc);
                    }
                    _mm256_storeu_pd(op.add(i), acc);
                    i += 4;
                }
            }
        }
    }
    while i < n {
        let mut acc = o[i];
        for j in 0..G {
            acc = madd::<FMA>(f[j], xs[j * n + i], acc);
        }
        o[i] = acc;
        i += 1;
    }
}

/// `out = a ⊗ b` (truncated). Levels of `a` below `min_a` and of `b` below `min_b` are
/// taken as zero, which halves the work of power series.
#[inline(always)]
pub fn mul_into_impl<const FMA: bool>(
    lay: &Layout,
    a: &[f64],
    b: &[f64],
    out: &mut [f64],
    min_a: usize,
    min_b: usize,
) {
    out.fill(0.0);
    for k in (min_a + min_b)..=lay.depth {
        let (lo, hi) = (lay.off[k], lay.off[k + 1]);
        let ok = &mut out[lo..hi];
        for j in min_a..=(k - min_b) {
            let aj = lay.level(a, j);
            let bk = lay.level(b, k - j);
            let nb = bk.len();
            for (x, &av) in aj.iter().enumerate() {
                if av == 0.0 {
                    continue;
                }
                for (o, &bv) in ok[x * nb..(x + 1) * nb].iter_mut().zip(bk) {
                    *o = madd::<FMA>(av, bv, *o);
                }
            }
        }
    }
}

pub fn mul_into(lay: &Layout, a: &[f64], b: &[f64], out: &mut [f64]) {
    mul_into_min(lay, a, b, out, 0, 0)
}

pub fn mul_into_min(
    lay: &Layout,
    a: &[f64],
    b: &[f64],
    out: &mut [f64],
    min_a: usize,
    min_b: usize,
) {
    crate::dispatch!(
        fn run(
            lay: &Layout,
            a: &[f64],
            b: &[f64],
            out: &mut [f64],
            min_a: usize,
            min_b: usize,
        ) -> () {
            mul_into_impl::<FMA>(lay, a, b, out, min_a, min_b)
        }
    )
}

pub fn mul(lay: &Layout, a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; lay.full_len()];
    mul_into(lay, a, b, &mut out);
    out
}

/// Powers of `a` (zero scalar) accumulated as `Σ_{n=1}^{N} coef(n) a^n`.
fn power_series(lay: &Layout, a: &[f64], coef: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut acc = vec![0.0; lay.full_len()];
    let mut p = a.to_vec();
    p[0] = 0.0;
    let mut next = vec![0.0; lay.full_len()];
    for n in 1..=lay.depth {
        if n > 1 {
            mul_into_min(lay, &p, a, &mut next, n - 1, 1);
            std::mem::swap(&mut p, &mut next);
        }
        let c = coef(n);
        let from = lay.off[n];
        for (o, &v) in acc[from..].iter_mut().zip(&p[from..]) {
            *o += c * v;
        }
    }
    acc
}

/// `exp(x)` of a full-layout tensor: `e^{x_0} exp(x - x_0)`.
pub fn exp(lay: &Layout, x: &[f64]) -> Vec<f64> {
    let s = x[0];
    let mut a = x.to_vec();
    a[0] = 0.0;
    let mut fact = 1.0;
    let mut facts = vec![1.0; lay.depth + 1];
    for (n, f) in facts.iter_mut().enumerate().skip(1) {
        fact *= n as f64;
        *f = fact;
    }
    let mut out = power_series(lay, &a, |n| 1.0 / facts[n]);
    out[0] = 1.0;
    if s != 0.0 {
        let e = s.exp();
        out.iter_mut().for_each(|v| *v *= e);
    }
    out
}

/// `log(x)` for `x_0 > 0`: `ln x_0 + log(1 + (x - x_0)/x_0)`. `None` when `x_0 <= 0`.
pub fn log(lay: &Layout, x: &[f64]) -> Option<Vec<f64>> {
    let s = x[0];
    if s.is_nan() || s <= 0.0 {
        return None;
    }
    // Signatures have `s = 1`, where the division changes nothing.
    let mut a: Vec<f64> = if s == 1.0 {
        x.to_vec()
    } else {
        x.iter().map(|v| v / s).collect()
    };
    a[0] = 0.0;
    let mut out = power_series(lay, &a, |n| {
        if n % 2 == 1 {
            1.0 / n as f64
        } else {
            -1.0 / n as f64
        }
    });
    out[0] = s.ln();
    Some(out)
}

/// The multiplicative inverse `x^{-1}` for `x_0 != 0`: `x_0^{-1} Σ_n (-(x - x_0)/x_0)^n`.
pub fn inverse(lay: &Layout, x: &[f64]) -> Option<Vec<f64>> {
    let s = x[0];
    if s == 0.0 || !s.is_finite() {
        return None;
    }
    let mut a: Vec<f64> = x.iter().map(|v| -v / s).collect();
    a[0] = 0.0;
    let mut out = power_series(lay, &a, |_| 1.0);
    out[0] = 1.0;
    out.iter_mut().for_each(|v| *v /= s);
    Some(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Exp,
    Log,
    Inverse,
}

/// Applies `op` to each of the full-layout tensors in `x` (flat, `n * full_len`).
pub fn batch_unary(lay: &Layout, x: &[f64], op: UnaryOp) -> Result<Vec<f64>> {
    use rayon::prelude::*;
    let full = lay.full_len();
    if !x.len().is_multiple_of(full) {
        return Err(Error::invalid(
            "x",
            format!("expected a multiple of {full} values, got {}", x.len()),
        ));
    }
    let mut out = vec![0.0; x.len()];
    out.par_chunks_mut(full)
        .zip(x.par_chunks(full))
        .try_for_each(|(o, xi)| {
            let r = match op {
                UnaryOp::Exp => Some(exp(lay, xi)),
                UnaryOp::Log => log(lay, xi),
                UnaryOp::Inverse => inverse(lay, xi),
            };
            match r {
                Some(v) => {
                    o.copy_from_slice(&v);
                    Ok(())
                }
                None => Err(Error::invalid(
                    "x",
                    match op {
                        UnaryOp::Log => {
                            format!("the logarithm needs a positive level-0 term, got {}", xi[0])
                        }
                        _ => format!("the inverse needs a non-zero level-0 term, got {}", xi[0]),
                    },
                )),
            }
        })?;
    Ok(out)
}

/// `x_1 ⊗ x_2 ⊗ … ⊗ x_k` for each of `n` chains; `xs` holds `k` blocks of `n` full tensors.
pub fn batch_mul_chain(lay: &Layout, xs: &[f64], k: usize, n: usize) -> Result<Vec<f64>> {
    use rayon::prelude::*;
    let full = lay.full_len();
    if xs.len() != k * n * full || k == 0 {
        return Err(Error::invalid(
            "x",
            format!(
                "expected {k} x {n} tensors of {full} values, got {} values",
                xs.len()
            ),
        ));
    }
    let mut out = vec![0.0; n * full];
    out.par_chunks_mut(full).enumerate().for_each_init(
        || vec![0.0; full],
        |tmp, (i, o)| {
            o.copy_from_slice(&xs[i * full..(i + 1) * full]);
            for j in 1..k {
                let b = &xs[(j * n + i) * full..(j * n + i + 1) * full];
                mul_into(lay, o, b, tmp);
                o.copy_from_slice(tmp);
            }
        },
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rand_tensor(lay: &Layout, seed: u64, scalar: f64) -> Vec<f64> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut t: Vec<f64> = (0..lay.full_len())
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
            })
            .collect();
        t[0] = scalar;
        t
    }

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
    }

    #[test]
    fn exp_log_roundtrip_and_inverse() {
        let lay = Layout::new(3, 4);
        let x = rand_tensor(&lay, 1, 0.0);
        let e = exp(&lay, &x);
        let l = log(&lay, &e).unwrap();
        assert!(close(&l, &x, 1e-12));
        let inv = inverse(&lay, &e).unwrap();
        let prod = mul(&lay, &e, &inv);
        assert!(close(&prod, &lay.identity(), 1e-12));
        // exp(-x) is the inverse of exp(x).
        let neg: Vec<f64> = x.iter().map(|v| -v).collect();
        assert!(close(&exp(&lay, &neg), &inv, 1e-12));
    }

    #[test]
    fn fused_step_equals_product_with_exp() {
        let lay = Layout::new(3, 5);
        let t = rand_tensor(&lay, 7, 1.0);
        let z = [0.3, -0.7, 1.1];
        let mut ez = vec![0.0; lay.full_len()];
        ez[1..4].copy_from_slice(&z);
        let want = mul(&lay, &exp(&lay, &ez), &t);
        let mut got = t.clone();
        let mut buf = vec![0.0; 2 * lay.pow[lay.depth - 1]];
        mul_exp_left::<false, false>(&lay, &mut got, &z, &mut buf);
        assert!(close(&got, &want, 1e-13));
    }

    #[test]
    fn paired_step_is_bit_identical_to_two_steps() {
        for (d, depth) in [(1, 3), (2, 1), (3, 4), (4, 5)] {
            let lay = Layout::new(d, depth);
            let t = rand_tensor(&lay, 9, 1.0);
            let z1: Vec<f64> = (0..d).map(|c| 0.3 - 0.2 * c as f64).collect();
            let z2: Vec<f64> = (0..d).map(|c| -0.1 + 0.35 * c as f64).collect();
            let zz: Vec<f64> = z1.iter().chain(&z2).copied().collect();
            let mut buf = vec![0.0; 4 * lay.pow[depth - 1]];
            let (mut a, mut b) = (t.clone(), t.clone());
            mul_exp_left::<false, false>(&lay, &mut a, &z1, &mut buf);
            mul_exp_left::<false, false>(&lay, &mut a, &z2, &mut buf);
            mul_exp_left_group::<false, false, 2>(&lay, &mut b, &zz, &mut buf);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn reversal_is_an_involution_and_anti_automorphism() {
        let lay = Layout::new(2, 4);
        let perm = lay.reversal_perm();
        let a = rand_tensor(&lay, 3, 1.0);
        let b = rand_tensor(&lay, 4, 1.0);
        let mut ra = vec![0.0; a.len()];
        let mut rb = vec![0.0; a.len()];
        permute(&a, &perm, &mut ra);
        permute(&b, &perm, &mut rb);
        let mut back = vec![0.0; a.len()];
        permute(&ra, &perm, &mut back);
        assert_eq!(back, a);
        let mut rab = vec![0.0; a.len()];
        permute(&mul(&lay, &a, &b), &perm, &mut rab);
        assert!(close(&rab, &mul(&lay, &rb, &ra), 1e-14));
    }
}
