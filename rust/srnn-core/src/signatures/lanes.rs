//! The fused multiply-exponentiate step for `W` paths at once, interleaved lane by lane
//! (entry `i` of all `W` tensors stored together). Every arithmetic operation becomes one
//! full-width vector operation whatever `d` is, and loop overhead is shared by `W` paths.
//! Each lane performs exactly the operations of [`super::tensor::mul_exp_left`] in the same
//! order, so a path's result does not depend on which batch it is computed in.

use super::tensor::Layout;
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

#[inline(always)]
fn mul_exp_left_lanes<const FMA: bool, const Z: bool>(
    lay: &Layout,
    t: &mut [Lane],
    z: &[Lane],
    buf: &mut [Lane],
) {
    let d = lay.d;
    let n_max = lay.pow[lay.depth.saturating_sub(1)];
    let (b0, b1) = buf[..2 * n_max].split_at_mut(n_max);
    let t0 = t[0];
    for k in (1..=lay.depth).rev() {
        let (mut cur, mut nxt): (&mut [Lane], &mut [Lane]) = (&mut *b0, &mut *b1);
        cur[0] = t0;
        for m in 1..k {
            let n = lay.pow[m - 1];
            let inv = 1.0 / (k - m + 1) as f64;
            let tm = &t[lay.off[m]..lay.off[m + 1]];
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
            std::mem::swap(&mut cur, &mut nxt);
        }
        let n = lay.pow[k - 1];
        let tk = &mut t[lay.off[k]..lay.off[k + 1]];
        for c in 0..d {
            lanes_axpy::<FMA, Z>(&z[c], &cur[..n], None, &mut tk[c * n..(c + 1) * n]);
        }
    }
}

/// `t ← exp(z_n) ⊗ … ⊗ exp(z_1) ⊗ t` lane by lane; `incs` holds `d` lanes per segment.
pub fn run_segments_lanes(lay: &Layout, t: &mut [Lane], incs: &[Lane], buf: &mut [Lane]) {
    #[inline(always)]
    fn body<const FMA: bool, const Z: bool>(
        lay: &Layout,
        t: &mut [Lane],
        incs: &[Lane],
        buf: &mut [Lane],
    ) {
        for z in incs.chunks_exact(lay.d) {
            mul_exp_left_lanes::<FMA, Z>(lay, t, z, buf);
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
    unsafe fn avx512(lay: &Layout, t: &mut [Lane], incs: &[Lane], buf: &mut [Lane]) {
        body::<true, true>(lay, t, incs, buf)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn avx2(lay: &Layout, t: &mut [Lane], incs: &[Lane], buf: &mut [Lane]) {
        body::<true, false>(lay, t, incs, buf)
    }
    match crate::vmath::simd_level() {
        // SAFETY: the level was detected on this CPU at run time.
        #[cfg(target_arch = "x86_64")]
        crate::vmath::SimdLevel::Avx512 => unsafe { avx512(lay, t, incs, buf) },
        #[cfg(target_arch = "x86_64")]
        crate::vmath::SimdLevel::Avx2 => unsafe { avx2(lay, t, incs, buf) },
        _ => body::<false, false>(lay, t, incs, buf),
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
            let mut bl = vec![[0.0; W]; 2 * lay.pow[depth - 1]];
            let mut lanes = std::time::Duration::MAX;
            for _ in 0..7 {
                tl.fill([0.0; W]);
                tl[0] = [1.0; W];
                let s = std::time::Instant::now();
                run_segments_lanes(&lay, &mut tl, &lincs, &mut bl);
                lanes = lanes.min(s.elapsed());
            }
            assert!((tl[full - 1][3] - t[full - 1]).abs() < 1e-12);
            eprintln!("d={d} depth={depth}: scalar x{W} {scalar:?}, lanes {lanes:?}");
        }
    }
}
