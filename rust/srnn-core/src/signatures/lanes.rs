//! The fused multiply-exponentiate step for `W` paths at once, interleaved lane by lane
//! (entry `i` of all `W` tensors stored together). Every arithmetic operation becomes one
//! full-width vector operation whatever `d` is, and loop overhead is shared by `W` paths.
//! Each lane performs exactly the operations of [`super::tensor::mul_exp_left`] in the same
//! order, so a path's result does not depend on which batch it is computed in.

// Group loops index several fixed-size arrays in step; that is the shape LLVM vectorises.
#![allow(clippy::needless_range_loop)]

use super::tensor::Layout;

/// Steps per pass over the top level in the lane kernel.
pub const LANE_GROUP: usize = 8;
use crate::vmath::madd;

pub const W: usize = 4;
pub type Lane = [f64; W];

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

/// `o[i] = f * b[i] + s[i]` lane by lane over whole slices (`s = None`: `o[i] += f * b[i]`).
/// With `Z` (AVX-512) two consecutive entries, eight doubles, go through one 512-bit
/// operation with `f` repeated; the per-element arithmetic is unchanged.
#[inline(always)]
fn lanes_axpy<const FMA: bool, const Z: bool>(
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
    if FMA && Z {
        use std::arch::x86_64::{_mm512_fmadd_pd, _mm512_loadu_pd, _mm512_storeu_pd};
        let ff = [f[0], f[1], f[2], f[3], f[0], f[1], f[2], f[3]];
        // SAFETY: Z is true only in the AVX-512 kernel, chosen after run-time detection;
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

/// `o[c] = (z[c] * inv) * b + s[c]` for `c < d` (`s = None`: `o[c] += z[c] * b`, no `inv`):
/// a Horner or update step whose blocks are single entries. Done across `c`, two entries per
/// 512-bit operation, it costs a few instructions instead of `d` one-entry loops; each value
/// is rounded as in [`lanes_axpy`].
#[inline(always)]
fn lanes_single<const FMA: bool, const Z: bool>(
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
    if FMA && Z {
        // SAFETY: Z is true only in the AVX-512 kernel, chosen after run-time detection;
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

/// Horner's chain for level `k` (`k >= 2`): `B_{k-1}` into `dst` (`d^{k-1}` entries).
#[inline(always)]
fn chain_lanes<const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &[Lane],
    z: &[Lane],
    k: usize,
    b0: &mut [Lane],
    b1: &mut [Lane],
    dst: &mut [Lane],
) {
    let d = lay.d;
    b0[0] = t[0];
    let mut in_b1 = false;
    for m in 1..k {
        let n = lay.pow[m - 1];
        let inv = 1.0 / (k - m + 1) as f64;
        let tm = &t[lay.off[m]..lay.off[m + 1]];
        let (cur, nxt): (&[Lane], &mut [Lane]) = if m == k - 1 {
            (if in_b1 { &*b1 } else { &*b0 }, &mut *dst)
        } else if in_b1 {
            (&*b1, &mut *b0)
        } else {
            (&*b0, &mut *b1)
        };
        for c in 0..d {
            let mut f = [0.0; W];
            for l in 0..W {
                f[l] = z[c][l] * inv;
            }
            lanes_axpy::<FMA, Z>(
                &f,
                &cur[..n],
                Some(&tm[c * n..(c + 1) * n]),
                &mut nxt[c * n..(c + 1) * n],
            );
        }
        in_b1 = !in_b1;
    }
}

/// The first `upto - 1` steps of Horner's chain for level `k`: `B_{upto-1}`, left in `b0`
/// or `b1`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn chain_lanes_partial<'a, const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &[Lane],
    z: &[Lane],
    k: usize,
    upto: usize,
    b0: &'a mut [Lane],
    b1: &'a mut [Lane],
) -> &'a [Lane] {
    let d = lay.d;
    b0[0] = t[0];
    let mut in_b1 = false;
    for m in 1..upto {
        let n = lay.pow[m - 1];
        let inv = 1.0 / (k - m + 1) as f64;
        let tm = &t[lay.off[m]..lay.off[m + 1]];
        let (cur, nxt): (&[Lane], &mut [Lane]) = if in_b1 {
            (&*b1, &mut *b0)
        } else {
            (&*b0, &mut *b1)
        };
        if m == 1 {
            lanes_single::<FMA, Z>(z, inv, &cur[0], Some(&tm[..d]), &mut nxt[..d]);
            in_b1 = !in_b1;
            continue;
        }
        for c in 0..d {
            let mut f = [0.0; W];
            for l in 0..W {
                f[l] = z[c][l] * inv;
            }
            lanes_axpy::<FMA, Z>(
                &f,
                &cur[..n],
                Some(&tm[c * n..(c + 1) * n]),
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

/// One step `t ← exp(z) ⊗ t`; on AVX-512 every level from 2 up is done by [`fused_top_z`].
/// `buf` needs `2 d^{depth - 2}`.
#[inline(always)]
fn step_fused<const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &mut [Lane],
    z: &[Lane],
    buf: &mut [Lane],
) {
    #[cfg(target_arch = "x86_64")]
    if FMA && Z {
        fused_levels::<FMA, Z>(lay, t, z, lay.depth, buf);
        return;
    }
    step_levels::<FMA, Z>(lay, t, z, lay.depth, buf);
}

/// Levels `k_max` down to 1 of [`step_fused`]; `buf` needs `2 d^{k_max-2}` (at least 3).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn fused_levels<const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &mut [Lane],
    z: &[Lane],
    k_max: usize,
    buf: &mut [Lane],
) {
    for k in (2..=k_max).rev() {
        let n2 = lay.pow[k - 2];
        let (b0, b1) = buf[..2 * n2].split_at_mut(n2);
        let b = chain_lanes_partial::<FMA, Z>(lay, t, z, k, k - 1, b0, b1);
        let (lo, hi) = t.split_at_mut(lay.off[k]);
        let tm = &lo[lay.off[k - 1]..];
        // SAFETY: Z is true only in the AVX-512 kernel, chosen after run-time detection;
        // `b` holds `n2`, `tm` `d n2`, `hi` at least `d² n2` and `z` `d` entries.
        unsafe { fused_top_z(lay.d, z, b, tm, hi, n2) };
    }
    step_levels::<FMA, Z>(lay, t, z, 1, buf);
}

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

/// [`super::tensor::fused_level_z`] on lane tensors: `z` holds `d`, `b` `n2`, `tm` `d n2`
/// and `top` at least `d² n2` entries.
///
/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
#[inline]
unsafe fn fused_top_z(d: usize, z: &[Lane], b: &[Lane], tm: &[Lane], top: &mut [Lane], n2: usize) {
    // SAFETY: AVX-512F is enabled here; the lengths are those `fused_level_z` needs.
    unsafe { super::tensor::fused_level_z::<W>(d, flat(z), flat(b), flat(tm), flat_mut(top), n2) }
}

/// Levels `k_max` down to 1 of one step `t ← exp(z) ⊗ t`; `buf` needs `3 d^{k_max - 1}`.
#[inline(always)]
fn step_levels<const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &mut [Lane],
    z: &[Lane],
    k_max: usize,
    buf: &mut [Lane],
) {
    let d = lay.d;
    let n_max = lay.pow[k_max.saturating_sub(1)];
    let (b0, rest) = buf[..3 * n_max].split_at_mut(n_max);
    let (b1, x) = rest.split_at_mut(n_max);
    for k in (1..=k_max).rev() {
        let n = lay.pow[k - 1];
        if k == 1 {
            x[0] = t[0];
        } else {
            chain_lanes::<FMA, Z>(lay, t, z, k, b0, b1, &mut x[..n]);
        }
        let tk = &mut t[lay.off[k]..lay.off[k + 1]];
        if n == 1 {
            lanes_single::<FMA, Z>(z, 1.0, &x[0], None, &mut tk[..d]);
            continue;
        }
        for c in 0..d {
            lanes_axpy::<FMA, Z>(&z[c], &x[..n], None, &mut tk[c * n..(c + 1) * n]);
        }
    }
}

/// `G` steps at once, as [`super::tensor::mul_exp_left_group`]: Horner results for the top
/// level of all `G` steps first, then one pass over the top level. `buf` needs
/// `(3 + G) d^{depth-1}` entries.
#[inline(always)]
fn mul_exp_group_lanes<const FMA: bool, const Z: bool, const G: usize>(
    lay: &Layout,
    t: &mut [Lane],
    zs: &[Lane],
    buf: &mut [Lane],
) {
    let (d, top) = (lay.d, lay.depth);
    if top < 2 {
        for z in zs[..G * d].chunks_exact(d) {
            step_levels::<FMA, Z>(lay, t, z, top, buf);
        }
        return;
    }
    let n = lay.pow[top - 1];
    let (bufs, xs) = buf[..(3 + G) * n].split_at_mut(3 * n);
    for j in 0..G {
        let z = &zs[j * d..(j + 1) * d];
        {
            let (b0, b1) = bufs[..2 * n].split_at_mut(n);
            chain_lanes::<FMA, Z>(lay, t, z, top, b0, b1, &mut xs[j * n..(j + 1) * n]);
        }
        step_levels::<FMA, Z>(lay, t, z, top - 1, bufs);
    }
    let tk = &mut t[lay.off[top]..lay.off[top + 1]];
    #[cfg(target_arch = "x86_64")]
    if FMA && Z {
        // SAFETY: Z is true only in the AVX-512 kernel, chosen after run-time detection.
        unsafe { group_update_z::<G>(&zs[..G * d], d, xs, n, tk) };
        return;
    }
    for c in 0..d {
        let mut f = [[0.0; W]; G];
        for j in 0..G {
            f[j] = zs[j * d + c];
        }
        group_lanes::<FMA, Z, G>(&f, xs, n, &mut tk[c * n..(c + 1) * n]);
    }
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

/// `o[i] = f[G-1] * xs[G-1][i] + (… (f[0] * xs[0][i] + o[i]) …)` lane by lane, `xs` holding
/// `G` blocks of `n`, rounded exactly as `G` successive [`lanes_axpy`] calls.
#[inline(always)]
fn group_lanes<const FMA: bool, const Z: bool, const G: usize>(
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
        // SAFETY: FMA (and Z) are true only inside kernels compiled with avx2+fma (and
        // avx512f) after run-time detection; entries i (and i + 1 in the 512-bit loop) are
        // below `n` in every block.
        unsafe {
            use std::arch::x86_64::*;
            let (xp, op) = (xs.as_ptr() as *const f64, o.as_mut_ptr() as *mut f64);
            if Z {
                let mut fv = [_mm512_setzero_pd(); G];
                for j in 0..G {
                    fv[j] = _mm512_broadcast_f64x4(_mm256_loadu_pd(f[j].as_ptr()));
                }
                while i + 2 <= n {
                    let mut acc = _mm512_loadu_pd(op.add(i * W));
                    for j in 0..G {
                        acc = _mm512_fmadd_pd(fv[j], _mm512_loadu_pd(xp.add((j * n + i) * W)), acc);
                    }
                    _mm512_storeu_pd(op.add(i * W), acc);
                    i += 2;
                }
            }
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

/// `t ← exp(z_n) ⊗ … ⊗ exp(z_1) ⊗ t` lane by lane; `incs` holds `d` lanes per segment.
pub fn run_segments_lanes(lay: &Layout, t: &mut [Lane], incs: &[Lane], buf: &mut [Lane]) {
    if lay.full_len() * W <= FUSED_MAX_VALUES {
        run_segments_lanes_g::<1>(lay, t, incs, buf)
    } else {
        run_segments_lanes_g::<LANE_GROUP>(lay, t, incs, buf)
    }
}

/// Largest `full_len * W` for which steps go one at a time with the top level fused
/// ([`step_fused`]) rather than in groups: up to this size (48 KiB) the tensor stays in L1,
/// where a store per entry and step is cheaper than streaming the `G` Horner results of a
/// group through L2 (measured: (d, depth) = (4, 5) and (3, 6) 15-20% faster fused, (8, 4)
/// twice as slow).
const FUSED_MAX_VALUES: usize = 6 * 1024;

/// [`run_segments_lanes`] with `G` steps per pass over the top level, or with `G = 1` one
/// fused step at a time (same bits for any `G`).
pub fn run_segments_lanes_g<const G: usize>(
    lay: &Layout,
    t: &mut [Lane],
    incs: &[Lane],
    buf: &mut [Lane],
) {
    #[inline(always)]
    fn body<const FMA: bool, const Z: bool, const G: usize>(
        lay: &Layout,
        t: &mut [Lane],
        incs: &[Lane],
        buf: &mut [Lane],
    ) {
        let d = lay.d;
        if G == 1 {
            // Pairs of steps sharing a pass over the top level, as in the single-path kernel,
            // measured a few percent slower here.
            for z in incs.chunks_exact(d) {
                step_fused::<FMA, Z>(lay, t, z, buf);
            }
            return;
        }
        let mut groups = incs.chunks_exact(G * d);
        for zs in &mut groups {
            mul_exp_group_lanes::<FMA, Z, G>(lay, t, zs, buf);
        }
        for z in groups.remainder().chunks_exact(d) {
            step_levels::<FMA, Z>(lay, t, z, lay.depth, buf);
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
    unsafe fn avx512<const G: usize>(
        lay: &Layout,
        t: &mut [Lane],
        incs: &[Lane],
        buf: &mut [Lane],
    ) {
        body::<true, true, G>(lay, t, incs, buf)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn avx2<const G: usize>(lay: &Layout, t: &mut [Lane], incs: &[Lane], buf: &mut [Lane]) {
        body::<true, false, G>(lay, t, incs, buf)
    }
    match crate::vmath::simd_level() {
        // SAFETY: the level was detected on this CPU at run time.
        #[cfg(target_arch = "x86_64")]
        crate::vmath::SimdLevel::Avx512 => unsafe { avx512::<G>(lay, t, incs, buf) },
        #[cfg(target_arch = "x86_64")]
        crate::vmath::SimdLevel::Avx2 => unsafe { avx2::<G>(lay, t, incs, buf) },
        _ => body::<false, false, G>(lay, t, incs, buf),
    }
}

/// Zeroed storage for `len` lane entries placed so that entry 0 (or, with `odd`, entry 1)
/// starts a cache line: 512-bit accesses to entries of that parity then never straddle two
/// lines, which halves their cost (splits occupy the load and store ports twice).
pub struct LaneBuf {
    raw: Vec<f64>,
    start: usize,
    len: usize,
}

impl LaneBuf {
    pub fn new(len: usize, odd: bool) -> Self {
        let raw = vec![0.0; len * W + 8];
        let addr = raw.as_ptr() as usize + if odd { 32 } else { 0 };
        let start = (64 - addr % 64) % 64 / 8;
        LaneBuf { raw, start, len }
    }

    pub fn lanes(&self) -> &[Lane] {
        // SAFETY: `raw` holds `start + len * W` values; `[f64; W]` has the alignment of f64.
        unsafe {
            std::slice::from_raw_parts(self.raw.as_ptr().add(self.start) as *const Lane, self.len)
        }
    }

    pub fn lanes_mut(&mut self) -> &mut [Lane] {
        // SAFETY: as in `lanes`.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.raw.as_mut_ptr().add(self.start) as *mut Lane,
                self.len,
            )
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[ignore]
    fn timing_probe() {
        for (d, depth) in [(4usize, 5usize), (3, 6), (8, 4)] {
            let lay = Layout::new(d, depth);
            let full = lay.full_len();
            let n_seg = 500;
            let incs: Vec<f64> = (0..n_seg * d)
                .map(|i| ((i as f64) * 0.37).sin() * 0.1)
                .collect();
            let mut t = lay.identity();
            let mut buf = vec![0.0; crate::signatures::signature::scratch_len(&lay)];
            let mut scalar = std::time::Duration::MAX;
            for _ in 0..7 {
                let s = std::time::Instant::now();
                for _ in 0..W {
                    t = lay.identity();
                    crate::signatures::signature::run_segments(&lay, &mut t, &incs, &mut buf);
                }
                scalar = scalar.min(s.elapsed());
            }
            let lincs: Vec<Lane> = incs.iter().map(|&v| [v; W]).collect();
            let mut tl = vec![[0.0; W]; full];
            tl[0] = [1.0; W];
            let mut bl = vec![[0.0; W]; crate::signatures::signature::scratch_len(&lay)];
            let mut res = Vec::new();
            for g in [1usize, 2, 4, 8] {
                let mut lanes = std::time::Duration::MAX;
                for _ in 0..15 {
                    tl.fill([0.0; W]);
                    tl[0] = [1.0; W];
                    let s = std::time::Instant::now();
                    match g {
                        1 => run_segments_lanes_g::<1>(&lay, &mut tl, &lincs, &mut bl),
                        2 => run_segments_lanes_g::<2>(&lay, &mut tl, &lincs, &mut bl),
                        4 => run_segments_lanes_g::<4>(&lay, &mut tl, &lincs, &mut bl),
                        _ => run_segments_lanes_g::<8>(&lay, &mut tl, &lincs, &mut bl),
                    }
                    lanes = lanes.min(s.elapsed());
                }
                let mut sc = std::time::Duration::MAX;
                for _ in 0..15 {
                    let s = std::time::Instant::now();
                    for _ in 0..W {
                        t = lay.identity();
                        match g {
                            1 => crate::signatures::signature::run_segments_g::<1>(
                                &lay, &mut t, &incs, &mut buf,
                            ),
                            2 => crate::signatures::signature::run_segments_g::<2>(
                                &lay, &mut t, &incs, &mut buf,
                            ),
                            4 => crate::signatures::signature::run_segments_g::<4>(
                                &lay, &mut t, &incs, &mut buf,
                            ),
                            _ => crate::signatures::signature::run_segments_g::<8>(
                                &lay, &mut t, &incs, &mut buf,
                            ),
                        }
                    }
                    sc = sc.min(s.elapsed());
                }
                res.push(format!("G={g}: lanes {lanes:?} scalar x4 {sc:?}"));
            }
            let lanes = res.join(" | ");
            assert!((tl[full - 1][3] - t[full - 1]).abs() < 1e-12);
            eprintln!("d={d} depth={depth}: scalar x{W} {scalar:?}, {lanes}");
        }
    }
}
