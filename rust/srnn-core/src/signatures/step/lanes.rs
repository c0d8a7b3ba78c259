//! The step's vector primitives on `W` paths at once, interleaved lane by lane (entry `i` of
//! all `W` tensors stored together). Every arithmetic operation becomes one full-width vector
//! operation whatever `d` is, and loop overhead is shared by `W` paths. Each lane performs
//! exactly the operations of a single path, so a path's result does not depend on which
//! batch it is computed in.

// Group loops index several fixed-size arrays in step; that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

use super::Entry;
use crate::simd::madd;

pub const W: usize = 4;
pub type Lane = [f64; W];

impl Entry for Lane {
    const WIDTH: usize = W;
    // Sharing a pass over the top level between two steps does not pay off for interleaved
    // tensors, whose entries are already whole vectors.
    const PAIRED: bool = false;

    #[inline(always)]
    fn scaled(z: &Lane, inv: f64) -> Lane {
        let mut f = [0.0; W];
        for l in 0..W {
            f[l] = z[l] * inv;
        }
        f
    }

    /// With `WIDE` (AVX-512) two consecutive entries, eight doubles, go through one 512-bit
    /// operation with `f` repeated; the per-element arithmetic is unchanged.
    #[inline(always)]
    fn axpy<const FMA: bool, const WIDE: bool>(
        f: &Lane,
        b: &[Lane],
        s: Option<&[Lane]>,
        o: &mut [Lane],
    ) {
        let n = o.len();
        let b = &b[..n];
        let s = s.map(|s| &s[..n]);
        let mut i = 0;
        #[cfg(target_arch = "x86_64")]
        if FMA && WIDE {
            use std::arch::x86_64::{_mm512_fmadd_pd, _mm512_loadu_pd, _mm512_storeu_pd};
            let ff = [f[0], f[1], f[2], f[3], f[0], f[1], f[2], f[3]];
            // SAFETY: WIDE is true only in the AVX-512 kernel, chosen after run-time detection;
            // entries i and i + 1 (eight doubles) are in bounds of all three slices.
            unsafe {
                let fz = _mm512_loadu_pd(ff.as_ptr());
                let (bp, op) = (b.as_ptr() as *const f64, o.as_mut_ptr() as *mut f64);
                let sp = match s {
                    Some(s) => s.as_ptr() as *const f64,
                    None => op as *const f64,
                };
                while i + 4 <= n {
                    let r0 = _mm512_fmadd_pd(
                        fz,
                        _mm512_loadu_pd(bp.add(i * W)),
                        _mm512_loadu_pd(sp.add(i * W)),
                    );
                    let r1 = _mm512_fmadd_pd(
                        fz,
                        _mm512_loadu_pd(bp.add(i * W + 8)),
                        _mm512_loadu_pd(sp.add(i * W + 8)),
                    );
                    _mm512_storeu_pd(op.add(i * W), r0);
                    _mm512_storeu_pd(op.add(i * W + 8), r1);
                    i += 4;
                }
                while i + 2 <= n {
                    let r = _mm512_fmadd_pd(
                        fz,
                        _mm512_loadu_pd(bp.add(i * W)),
                        _mm512_loadu_pd(sp.add(i * W)),
                    );
                    _mm512_storeu_pd(op.add(i * W), r);
                    i += 2;
                }
            }
        }
        while i < n {
            let add = match s {
                Some(s) => s[i],
                None => o[i],
            };
            o[i] = lane_madd::<FMA>(f, &b[i], &add);
            i += 1;
        }
    }

    /// Single-entry blocks done across `c`, two entries per 512-bit operation on AVX-512: a
    /// few instructions instead of `d` one-entry loops.
    #[inline(always)]
    fn across_letters<const FMA: bool, const WIDE: bool>(
        z: &[Lane],
        inv: f64,
        b: &Lane,
        s: Option<&[Lane]>,
        o: &mut [Lane],
    ) {
        let d = o.len();
        let z = &z[..d];
        let s = s.map(|s| &s[..d]);
        let mut c = 0;
        #[cfg(target_arch = "x86_64")]
        if FMA && WIDE {
            // SAFETY: WIDE is true only in the AVX-512 kernel, chosen after run-time detection;
            // entries c and c + 1 are below `d` in `z`, `s` and `o`.
            unsafe {
                use std::arch::x86_64::*;
                let bv = _mm512_broadcast_f64x4(_mm256_loadu_pd(b.as_ptr()));
                let (zp, op) = (z.as_ptr() as *const f64, o.as_mut_ptr() as *mut f64);
                let sp = match s {
                    Some(s) => s.as_ptr() as *const f64,
                    None => op as *const f64,
                };
                let iv = _mm512_set1_pd(inv);
                while c + 2 <= d {
                    let zv = _mm512_loadu_pd(zp.add(c * W));
                    let f = if s.is_some() {
                        _mm512_mul_pd(zv, iv)
                    } else {
                        zv
                    };
                    let r = _mm512_fmadd_pd(f, bv, _mm512_loadu_pd(sp.add(c * W)));
                    _mm512_storeu_pd(op.add(c * W), r);
                    c += 2;
                }
            }
        }
        while c < d {
            let mut f = z[c];
            if s.is_some() {
                for l in 0..W {
                    f[l] = z[c][l] * inv;
                }
            }
            let add = match s {
                Some(s) => s[c],
                None => o[c],
            };
            o[c] = lane_madd::<FMA>(&f, b, &add);
            c += 1;
        }
    }

    #[inline(always)]
    fn group_axpy<const FMA: bool, const G: usize>(
        f: &[Lane; G],
        xs: &[Lane],
        n: usize,
        o: &mut [Lane],
    ) {
        let xs = &xs[..G * n];
        let o = &mut o[..n];
        let mut i = 0;
        #[cfg(target_arch = "x86_64")]
        if FMA {
            // SAFETY: FMA is true only inside kernels compiled with avx2+fma after run-time
            // detection; entry i is below `n` in every block.
            unsafe {
                use std::arch::x86_64::*;
                let (xp, op) = (xs.as_ptr() as *const f64, o.as_mut_ptr() as *mut f64);
                let mut fv = [_mm256_setzero_pd(); G];
                for j in 0..G {
                    fv[j] = _mm256_loadu_pd(f[j].as_ptr());
                }
                while i < n {
                    let mut acc = _mm256_loadu_pd(op.add(i * W));
                    for j in 0..G {
                        acc = _mm256_fmadd_pd(fv[j], _mm256_loadu_pd(xp.add((j * n + i) * W)), acc);
                    }
                    _mm256_storeu_pd(op.add(i * W), acc);
                    i += 1;
                }
            }
        }
        while i < n {
            let mut acc = o[i];
            for j in 0..G {
                acc = lane_madd::<FMA>(&f[j], &xs[j * n + i], &acc);
            }
            o[i] = acc;
            i += 1;
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn group_update_wide<const G: usize>(
        zs: &[Lane],
        d: usize,
        xs: &[Lane],
        n: usize,
        o: &mut [Lane],
    ) {
        // SAFETY: the caller's contract.
        unsafe { group_update_z::<G>(zs, d, xs, n, o) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn fused_level_wide(
        d: usize,
        z: &[Lane],
        b: &[Lane],
        tm: &[Lane],
        top: &mut [Lane],
        n2: usize,
    ) {
        // SAFETY: the caller's contract.
        unsafe { fused_level_lanes(d, z, b, tm, top, n2) }
    }

    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn fused_pair_wide(
        d: usize,
        z0: &[Lane],
        z1: &[Lane],
        b0: &[Lane],
        s0: &[Lane],
        b1: &[Lane],
        tm: &[Lane],
        top: &mut [Lane],
        n2: usize,
    ) {
        // SAFETY: the caller's contract.
        unsafe {
            super::wide::fused_pair_z::<W>(
                d,
                flat(z0),
                flat(z1),
                flat(b0),
                flat(s0),
                flat(b1),
                flat(tm),
                flat_mut(top),
                n2,
            )
        }
    }
}

/// `f * b + s` lane by lane. The FMA levels (AVX2 and AVX-512 kernels, both of which have
/// AVX2+FMA) use one 256-bit intrinsic rather than relying on the vectoriser to merge four
/// scalar operations; the result is bit-identical to four scalar fused operations.
#[inline(always)]
fn lane_madd<const FMA: bool>(f: &Lane, b: &Lane, s: &Lane) -> Lane {
    #[cfg(target_arch = "x86_64")]
    if FMA {
        use std::arch::x86_64::{_mm256_fmadd_pd, _mm256_loadu_pd, _mm256_storeu_pd};
        let mut o = [0.0; W];
        // SAFETY: FMA is true only inside the `dispatch!` kernels compiled with avx2+fma,
        // selected after run-time detection; all pointers address whole `[f64; 4]` arrays.
        unsafe {
            let r = _mm256_fmadd_pd(
                _mm256_loadu_pd(f.as_ptr()),
                _mm256_loadu_pd(b.as_ptr()),
                _mm256_loadu_pd(s.as_ptr()),
            );
            _mm256_storeu_pd(o.as_mut_ptr(), r);
        }
        return o;
    }
    let mut o = [0.0; W];
    for l in 0..W {
        o[l] = madd::<FMA>(f[l], b[l], s[l]);
    }
    o
}

/// [`super::wide::fused_level_z`] on lane tensors, as a function of its own.
///
/// # Safety
/// The CPU must support AVX-512F; `z` holds `d`, `b` `n2`, `tm` `d n2` and `top` at least
/// `d² n2` entries.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
#[inline]
unsafe fn fused_level_lanes(
    d: usize,
    z: &[Lane],
    b: &[Lane],
    tm: &[Lane],
    top: &mut [Lane],
    n2: usize,
) {
    // SAFETY: AVX-512F is enabled here; the lengths are those `fused_level_z` needs.
    unsafe { super::wide::fused_level_z::<W>(d, flat(z), flat(b), flat(tm), flat_mut(top), n2) }
}

/// The top-level update on AVX-512, two entries per register and blocked by entry as in
/// the single-path kernel, so that each Horner result is read once per group.
///
/// # Safety
/// The CPU must support AVX-512F; `zs` holds `G * d`, `xs` `G * n` and `o` `d * n` lanes.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
#[inline]
unsafe fn group_update_z<const G: usize>(
    zs: &[Lane],
    d: usize,
    xs: &[Lane],
    n: usize,
    o: &mut [Lane],
) {
    use std::arch::x86_64::*;
    let (zs, xs, o) = (&zs[..G * d], &xs[..G * n], &mut o[..d * n]);
    let (zp, xp, op) = (
        zs.as_ptr() as *const f64,
        xs.as_ptr() as *const f64,
        o.as_mut_ptr() as *mut f64,
    );
    let mut i = 0;
    while i < n {
        let m: __mmask8 = if n - i >= 2 { 0xff } else { 0x0f };
        let mut xv = [_mm512_setzero_pd(); G];
        for j in 0..G {
            xv[j] = _mm512_maskz_loadu_pd(m, xp.add((j * n + i) * W));
        }
        for c in 0..d {
            let p = op.add((c * n + i) * W);
            let mut acc = _mm512_maskz_loadu_pd(m, p);
            for j in 0..G {
                let zv = _mm512_broadcast_f64x4(_mm256_loadu_pd(zp.add((j * d + c) * W)));
                acc = _mm512_fmadd_pd(zv, xv[j], acc);
            }
            _mm512_mask_storeu_pd(p, m, acc);
        }
        i += 2;
    }
}

/// The values of lane entries, entry by entry.
#[cfg(target_arch = "x86_64")]
fn flat(x: &[Lane]) -> &[f64] {
    // SAFETY: `[f64; W]` has no padding, so `x` is `W x.len()` contiguous values.
    unsafe { std::slice::from_raw_parts(x.as_ptr() as *const f64, x.len() * W) }
}

#[cfg(target_arch = "x86_64")]
fn flat_mut(x: &mut [Lane]) -> &mut [f64] {
    // SAFETY: as in `flat`.
    unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr() as *mut f64, x.len() * W) }
}

/// `W`-value groups of `x` as lane entries (`x.len()` a multiple of `W`).
pub fn as_lanes_mut(x: &mut [f64]) -> &mut [Lane] {
    assert!(x.len().is_multiple_of(W));
    // SAFETY: `[f64; W]` has the alignment of f64 and no padding; the length was checked.
    unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr() as *mut Lane, x.len() / W) }
}

/// Lane `l` of `src` into `dst`.
pub fn extract(src: &[Lane], l: usize, dst: &mut [f64]) {
    for (o, s) in dst.iter_mut().zip(src) {
        *o = s[l];
    }
}

/// `src` into lane `l` of `dst`.
pub fn insert(src: &[f64], l: usize, dst: &mut [Lane]) {
    for (o, &s) in dst.iter_mut().zip(src) {
        o[l] = s;
    }
}
