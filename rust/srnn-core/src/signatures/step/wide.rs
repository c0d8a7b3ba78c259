//! AVX-512 kernels of the segment step shared by single paths (`W = 1`) and interleaved lanes
//! (`W = 4`): the last Horner step of a level fused into that level's update, alone or for two
//! consecutive steps.

// Register blocks index several fixed-size arrays in step; that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

/// `top[c, c2, i] += z_c (z_{c2} / 2 · b[i] + tm[c2, i])` for entries `i < n2` of `W`
/// interleaved lanes each (`W` is 1 or 4; `z` holds `d` entries): the last Horner step of a
/// level `k >= 2` (`b = B_{k-2}`, `tm` level `k - 1`) and the update of level `k` (`top`).
/// Each block of `B_{k-1}` is formed in registers and applied to all `d` rows at once, so it
/// is never stored. Each value is rounded as in the unfused Horner step and level update.
///
/// # Safety
/// Only to be inlined into code compiled for AVX-512F; `b` holds `n2 W`, `tm` `d n2 W` and
/// `top` at least `d² n2 W` values.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) unsafe fn fused_level_z<const W: usize>(
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
pub(super) unsafe fn fused_pair_z<const W: usize>(
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
