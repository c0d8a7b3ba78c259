//! The step's vector primitives on one path's tensor: entries are `f64`s, and every loop runs
//! over contiguous values.

// Group loops index several fixed-size arrays in step; that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

use super::Entry;
use crate::simd::madd;

impl Entry for f64 {
    const WIDTH: usize = 1;
    const PAIRED: bool = true;

    #[inline(always)]
    fn scaled(z: &f64, inv: f64) -> f64 {
        z * inv
    }

    /// The FMA levels use 256-bit intrinsics (512-bit ones on long AVX-512 loops), so vector
    /// width and fused rounding do not hinge on what the vectoriser makes of the kernel's
    /// buffers; the result is the same as the scalar fused loop, element by element.
    #[inline(always)]
    fn axpy<const FMA: bool, const WIDE: bool>(
        f: &f64,
        b: &[f64],
        s: Option<&[f64]>,
        o: &mut [f64],
    ) {
        let (f, n) = (*f, o.len());
        let b = &b[..n];
        let s = s.map(|s| &s[..n]);
        let mut i = 0;
        #[cfg(target_arch = "x86_64")]
        if FMA {
            use std::arch::x86_64::{
                _mm256_fmadd_pd, _mm256_loadu_pd, _mm256_set1_pd, _mm256_storeu_pd,
            };
            // SAFETY: FMA is true only inside `dispatch!` kernels compiled with avx2+fma (and
            // WIDE only with avx512f); every access is below `n`, the common length.
            unsafe {
                let (bp, op) = (b.as_ptr(), o.as_mut_ptr());
                let sp = s.map_or(op as *const f64, |s| s.as_ptr());
                if WIDE && n >= WIDE_MIN {
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
                    let r =
                        _mm256_fmadd_pd(fv, _mm256_loadu_pd(bp.add(i)), _mm256_loadu_pd(sp.add(i)));
                    _mm256_storeu_pd(op.add(i), r);
                    i += 4;
                }
            }
        }
        match s {
            Some(s) => {
                while i < n {
                    o[i] = madd::<FMA>(f, b[i], s[i]);
                    i += 1;
                }
            }
            None => {
                while i < n {
                    o[i] = madd::<FMA>(f, b[i], o[i]);
                    i += 1;
                }
            }
        }
    }

    #[inline(always)]
    fn across_letters<const FMA: bool, const WIDE: bool>(
        z: &[f64],
        inv: f64,
        b: &f64,
        s: Option<&[f64]>,
        o: &mut [f64],
    ) {
        let d = o.len();
        match s {
            Some(s) => {
                for c in 0..d {
                    o[c] = madd::<FMA>(z[c] * inv, *b, s[c]);
                }
            }
            None => {
                for c in 0..d {
                    o[c] = madd::<FMA>(z[c], *b, o[c]);
                }
            }
        }
    }

    #[inline(always)]
    fn group_axpy<const FMA: bool, const G: usize>(
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
            // SAFETY: FMA is true only inside kernels compiled with avx2+fma after run-time
            // detection; every access is below `n` in each block.
            unsafe {
                use std::arch::x86_64::*;
                let (xp, op) = (xs.as_ptr(), o.as_mut_ptr());
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
        while i < n {
            let mut acc = o[i];
            for j in 0..G {
                acc = madd::<FMA>(f[j], xs[j * n + i], acc);
            }
            o[i] = acc;
            i += 1;
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn group_update_wide<const G: usize>(
        zs: &[f64],
        d: usize,
        xs: &[f64],
        n: usize,
        o: &mut [f64],
    ) {
        // SAFETY: the caller's contract.
        unsafe { group_update_z::<G>(zs, d, xs, n, o) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn fused_level_wide(
        d: usize,
        z: &[f64],
        b: &[f64],
        tm: &[f64],
        top: &mut [f64],
        n2: usize,
    ) {
        // SAFETY: the caller's contract.
        unsafe { super::wide::fused_level_z::<1>(d, z, b, tm, top, n2) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn fused_pair_wide(
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
        // SAFETY: the caller's contract.
        unsafe { super::wide::fused_pair_z::<1>(d, z0, z1, b0, s0, b1, tm, top, n2) }
    }
}

/// Loops at least this long use 512-bit operations on AVX-512: on the many short loops of the
/// low levels, masked 512-bit operations cost more than 256-bit ones.
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

/// The top-level update of a group of steps on AVX-512, blocked by 8 entries of the
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
