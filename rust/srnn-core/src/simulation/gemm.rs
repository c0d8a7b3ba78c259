//! `out[b, :] = bias + Σ_j x[b, j] · wt[j, :]` for a block of rows (paths).
//!
//! Every output element is accumulated over `j` in increasing order with the same
//! (fused or unfused) multiply-add, whatever the tile a row falls in. That is what makes a
//! path's result independent of how paths are grouped into blocks and threads, which a
//! general-purpose GEMM (with its own packing and size heuristics) does not promise.

use crate::simd::Real;

/// The operands of one product: `x` rows of stride `x_stride` (the first `k` entries used),
/// `wt` `(k, width)` row-major, an optional bias row of `width`.
pub(crate) struct Operands<'a, R> {
    pub k: usize,
    pub x: &'a [R],
    pub x_stride: usize,
    pub wt: &'a [R],
    pub width: usize,
    pub bias: Option<&'a [R]>,
}

/// `wt` is `(k, width)` row-major; `width` is a multiple of 8; `out` rows have stride `width`.
///
/// The product runs in a function of its own (not inlined into the caller's kernel): inlined
/// into the large step kernels, LLVM sometimes left the register tiles' accumulators on the
/// stack (a load and a store per multiply-add, half the speed); on its own it never does.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn rows_times<R: Real, const FMA: bool>(
    rows: usize,
    k: usize,
    x: &[R],
    x_stride: usize,
    wt: &[R],
    width: usize,
    bias: Option<&[R]>,
    out: &mut [R],
) {
    debug_assert!(width.is_multiple_of(8));
    let ops = &Operands {
        k,
        x,
        x_stride,
        wt,
        width,
        bias,
    };
    if !FMA {
        return portable::<R, false>(ops, rows, out);
    }
    crate::dispatch!(
        #[inline(never)]
        fn product[R: Real][R](ops: &Operands<'_, R>, rows: usize, out: &mut [R]) -> () {
            if WIDE {
                #[cfg(target_arch = "x86_64")]
                if let (Some(x), Some(wt), Some(out)) =
                    (R::as_f64s(ops.x), R::as_f64s(ops.wt), R::as_f64s_mut(out))
                {
                    let ops = Operands {
                        k: ops.k,
                        x,
                        x_stride: ops.x_stride,
                        wt,
                        width: ops.width,
                        bias: ops.bias.and_then(R::as_f64s),
                    };
                    // SAFETY: WIDE is true only in the AVX-512 variant.
                    return unsafe { avx512::rows_times(&ops, rows, out) };
                }
                #[cfg(target_arch = "x86_64")]
                if let Some((ops, out)) = single(ops, out) {
                    // SAFETY: as above.
                    return unsafe { super::gemm_f32::avx512::rows_times(&ops, rows, out) };
                }
                portable::<R, true>(ops, rows, out)
            } else if FMA {
                #[cfg(target_arch = "x86_64")]
                if let Some((ops, out)) = single(ops, out) {
                    // SAFETY: FMA is true only in the AVX2 and AVX-512 variants.
                    return unsafe { super::gemm_f32::avx2::rows_times(&ops, rows, out) };
                }
                narrow_tiles(ops, rows, out)
            } else {
                portable::<R, true>(ops, rows, out)
            }
        }
    )
}

/// The operands as `f32`s when `R` is `f32`.
#[inline(always)]
#[allow(dead_code)]
fn single<'a, R: Real>(
    ops: &Operands<'a, R>,
    out: &'a mut [R],
) -> Option<(Operands<'a, f32>, &'a mut [f32])> {
    let ops = Operands {
        k: ops.k,
        x: R::as_f32s(ops.x)?,
        x_stride: ops.x_stride,
        wt: R::as_f32s(ops.wt)?,
        width: ops.width,
        bias: match ops.bias {
            Some(b) => Some(R::as_f32s(b)?),
            None => None,
        },
    };
    Some((ops, R::as_f32s_mut(out)?))
}

/// The product with AVX2's sixteen `ymm` registers: a 6 × 8 tile is 12 accumulators, two
/// columns of `wt` and the broadcast; the portable 6 × 32 tile spills almost every
/// accumulator.
#[inline(always)]
fn narrow_tiles<R: Real>(ops: &Operands<'_, R>, rows: usize, out: &mut [R]) {
    by_column_chunks::<R, true, 8, 6>(ops, rows, out)
}

/// `out[b·out_stride + q] = bias[q] + Σ_j x[b, j] · r_rows[q, j]` for `q < p`: per-row dot
/// products against the rows of a narrow matrix (a readout with few outputs), where a
/// product with `width`-padded columns would waste most of its multiply-adds. Each dot
/// sums eight lane accumulators by a fixed tree, so the bits depend only on the two rows.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn rows_dot_rows<R: Real, const FMA: bool, const WIDE: bool>(
    rows: usize,
    x: &[R],
    x_stride: usize,
    r_rows: &[R],
    width: usize,
    bias: &[R],
    out: &mut [R],
    out_stride: usize,
) {
    debug_assert!(width.is_multiple_of(8));
    #[cfg(target_arch = "x86_64")]
    if WIDE {
        if let (Some(x), Some(r_rows), Some(bias), Some(out)) = (
            R::as_f64s(x),
            R::as_f64s(r_rows),
            R::as_f64s(bias),
            R::as_f64s_mut(out),
        ) {
            // SAFETY: WIDE is true only inside kernels compiled for AVX-512 after run-time
            // detection.
            return unsafe {
                dot_rows_avx512(rows, x, x_stride, r_rows, width, bias, out, out_stride)
            };
        }
    }
    for b in 0..rows {
        let xrow = &x[b * x_stride..b * x_stride + width];
        for (q, &bq) in bias.iter().enumerate() {
            let rrow = &r_rows[q * width..(q + 1) * width];
            out[b * out_stride + q] = dot::<R, FMA>(xrow, rrow) + bq;
        }
    }
}

#[inline(always)]
fn dot<R: Real, const FMA: bool>(x: &[R], y: &[R]) -> R {
    let mut acc = [R::ZERO; 8];
    for (xc, yc) in x.chunks_exact(8).zip(y.chunks_exact(8)) {
        for l in 0..8 {
            acc[l] = R::madd::<FMA>(xc[l], yc[l], acc[l]);
        }
    }
    let half: [R; 4] = std::array::from_fn(|l| acc[l] + acc[l + 4]);
    (half[0] + half[2]) + (half[1] + half[3])
}

/// [`dot`]'s tree in registers: LLVM vectorises the portable loop only 2 lanes wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
unsafe fn dot_rows_avx512(
    rows: usize,
    x: &[f64],
    x_stride: usize,
    r_rows: &[f64],
    width: usize,
    bias: &[f64],
    out: &mut [f64],
    out_stride: usize,
) {
    use std::arch::x86_64::*;
    if rows == 0 {
        return;
    }
    let p = bias.len();
    // Every access below stays inside these bounds.
    assert!(x.len() >= (rows - 1) * x_stride + width);
    assert!(r_rows.len() >= p * width);
    assert!(p == 0 || out.len() > (rows - 1) * out_stride + p - 1);
    for b in 0..rows {
        let xrow = unsafe { x.as_ptr().add(b * x_stride) };
        for (q, &bq) in bias.iter().enumerate() {
            let rrow = unsafe { r_rows.as_ptr().add(q * width) };
            let mut acc = _mm512_setzero_pd();
            for c in (0..width).step_by(8) {
                let (xv, rv) =
                    unsafe { (_mm512_loadu_pd(xrow.add(c)), _mm512_loadu_pd(rrow.add(c))) };
                acc = _mm512_fmadd_pd(xv, rv, acc);
            }
            let half = _mm256_add_pd(
                _mm512_castpd512_pd256(acc),
                _mm512_extractf64x4_pd::<1>(acc),
            );
            let quarter = _mm_add_pd(
                _mm256_castpd256_pd128(half),
                _mm256_extractf128_pd::<1>(half),
            );
            let sum = _mm_cvtsd_f64(quarter) + _mm_cvtsd_f64(_mm_unpackhi_pd(quarter, quarter));
            out[b * out_stride + q] = sum + bq;
        }
    }
}

#[inline(always)]
fn portable<R: Real, const FMA: bool>(ops: &Operands<'_, R>, rows: usize, out: &mut [R]) {
    // Without FMA this is the generic level (SSE2's or NEON's 128-bit registers), where a
    // tile of 4 × 8 is the widest that stays in registers (a 6 × 32 tile spills).
    if FMA && ops.width.is_multiple_of(32) {
        by_column_chunks::<R, FMA, 32, 6>(ops, rows, out)
    } else if FMA && ops.width.is_multiple_of(16) {
        by_column_chunks::<R, FMA, 16, 4>(ops, rows, out)
    } else {
        by_column_chunks::<R, FMA, 8, 4>(ops, rows, out)
    }
}

/// Tiles of `TALL` rows (at least 4), then of 4, then single rows.
#[inline(always)]
fn by_column_chunks<R: Real, const FMA: bool, const OC: usize, const TALL: usize>(
    ops: &Operands<'_, R>,
    rows: usize,
    out: &mut [R],
) {
    let mut row = 0;
    while TALL > 4 && row + TALL <= rows {
        tile::<R, FMA, OC, TALL>(ops, row, out);
        row += TALL;
    }
    while row + 4 <= rows {
        tile::<R, FMA, OC, 4>(ops, row, out);
        row += 4;
    }
    while row < rows {
        tile::<R, FMA, OC, 1>(ops, row, out);
        row += 1;
    }
}

#[inline(always)]
fn tile<R: Real, const FMA: bool, const OC: usize, const PT: usize>(
    ops: &Operands<'_, R>,
    row0: usize,
    out: &mut [R],
) {
    let Operands {
        k,
        x,
        x_stride,
        wt,
        width,
        bias,
    } = *ops;
    let xr: [&[R]; PT] =
        std::array::from_fn(|p| &x[(row0 + p) * x_stride..(row0 + p) * x_stride + k]);
    for col in (0..width).step_by(OC) {
        let mut acc = [[R::ZERO; OC]; PT];
        if let Some(bias) = bias {
            let b: &[R; OC] = bias[col..col + OC].try_into().unwrap();
            for a in acc.iter_mut() {
                *a = *b;
            }
        }
        for j in 0..k {
            let w: &[R; OC] = wt[j * width + col..j * width + col + OC]
                .try_into()
                .unwrap();
            for p in 0..PT {
                let xv = xr[p][j];
                for o in 0..OC {
                    acc[p][o] = R::madd::<FMA>(xv, w[o], acc[p][o]);
                }
            }
        }
        for (p, a) in acc.iter().enumerate() {
            let start = (row0 + p) * width + col;
            out[start..start + OC].copy_from_slice(a);
        }
    }
}

/// The `f64` product in AVX-512 intrinsics. Same operations in the same
/// order as the portable tiles (bias, then `j` ascending, fused), so the same bits; written
/// by hand because LLVM does not reliably keep a 6 × 32 tile of the portable code in
/// registers.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    type Product<'a> = super::Operands<'a, f64>;

    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn rows_times(p: &Product<'_>, rows: usize, out: &mut [f64]) {
        if rows == 0 {
            return;
        }
        // Every access below stays inside these bounds.
        assert!(p.width.is_multiple_of(8));
        assert!(p.x.len() >= (rows - 1) * p.x_stride + p.k && p.k <= p.x_stride);
        assert!(p.wt.len() >= p.k * p.width);
        assert!(out.len() >= rows * p.width);
        assert!(p.bias.is_none_or(|b| b.len() >= p.width));
        let wide = p.width / 32 * 32;
        let mut row = 0;
        // Eight rows left go as two tiles of four, not six and two single rows.
        while row + 6 <= rows && rows - row != 8 {
            for col in (0..wide).step_by(32) {
                unsafe { tile6(p, row, col, out) };
            }
            row += 6;
        }
        while row + 4 <= rows {
            for col in (0..wide).step_by(32) {
                unsafe { tile4(p, row, col, out) };
            }
            row += 4;
        }
        while row < rows {
            for col in (0..wide).step_by(32) {
                unsafe { tile1(p, row, col, out) };
            }
            row += 1;
        }
        // Narrow columns (a readout, `λ C`): eight rows at a time, so that eight independent
        // accumulators hide the latency of the multiply-adds.
        for col in (wide..p.width).step_by(8) {
            let mut row = 0;
            while row + 8 <= rows {
                unsafe { narrow8(p, row, col, out) };
                row += 8;
            }
            while row < rows {
                unsafe { narrow1(p, row, col, out) };
                row += 1;
            }
        }
    }

    macro_rules! narrow {
        ($name:ident, $($r:literal => $a:ident),+) => {
            #[target_feature(enable = "avx512f")]
            #[inline]
            unsafe fn $name(p: &Product<'_>, row0: usize, col: usize, out: &mut [f64]) {
                $(let mut $a = match p.bias {
                    Some(b) => unsafe { _mm512_loadu_pd(b.as_ptr().add(col)) },
                    None => _mm512_setzero_pd(),
                };)+
                let w = unsafe { p.wt.as_ptr().add(col) };
                let x = unsafe { p.x.as_ptr().add(row0 * p.x_stride) };
                for j in 0..p.k {
                    let wj = unsafe { _mm512_loadu_pd(w.add(j * p.width)) };
                    $(
                        let v = _mm512_set1_pd(unsafe { *x.add($r * p.x_stride + j) });
                        $a = _mm512_fmadd_pd(v, wj, $a);
                    )+
                }
                $(unsafe { _mm512_storeu_pd(out.as_mut_ptr().add((row0 + $r) * p.width + col), $a) };)+
            }
        };
    }

    narrow!(narrow8, 0 => a0, 1 => a1, 2 => a2, 3 => a3, 4 => a4, 5 => a5, 6 => a6, 7 => a7);
    narrow!(narrow1, 0 => a0);

    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn init(p: &Product<'_>, col: usize) -> [__m512d; 4] {
        match p.bias {
            Some(b) => {
                let b = unsafe { b.as_ptr().add(col) };
                unsafe {
                    [
                        _mm512_loadu_pd(b),
                        _mm512_loadu_pd(b.add(8)),
                        _mm512_loadu_pd(b.add(16)),
                        _mm512_loadu_pd(b.add(24)),
                    ]
                }
            }
            None => [_mm512_setzero_pd(); 4],
        }
    }

    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn store(out: &mut [f64], at: usize, acc: [__m512d; 4]) {
        let o = unsafe { out.as_mut_ptr().add(at) };
        unsafe {
            _mm512_storeu_pd(o, acc[0]);
            _mm512_storeu_pd(o.add(8), acc[1]);
            _mm512_storeu_pd(o.add(16), acc[2]);
            _mm512_storeu_pd(o.add(24), acc[3]);
        }
    }

    macro_rules! tile {
        ($name:ident, $($r:literal => $a:ident),+) => {
            #[target_feature(enable = "avx512f")]
            #[inline]
            unsafe fn $name(p: &Product<'_>, row0: usize, col: usize, out: &mut [f64]) {
                $(let mut $a = unsafe { init(p, col) };)+
                let w = unsafe { p.wt.as_ptr().add(col) };
                let x = unsafe { p.x.as_ptr().add(row0 * p.x_stride) };
                for j in 0..p.k {
                    let wj = unsafe { w.add(j * p.width) };
                    let w4 = unsafe {
                        [
                            _mm512_loadu_pd(wj),
                            _mm512_loadu_pd(wj.add(8)),
                            _mm512_loadu_pd(wj.add(16)),
                            _mm512_loadu_pd(wj.add(24)),
                        ]
                    };
                    $(
                        let v = _mm512_set1_pd(unsafe { *x.add($r * p.x_stride + j) });
                        $a[0] = _mm512_fmadd_pd(v, w4[0], $a[0]);
                        $a[1] = _mm512_fmadd_pd(v, w4[1], $a[1]);
                        $a[2] = _mm512_fmadd_pd(v, w4[2], $a[2]);
                        $a[3] = _mm512_fmadd_pd(v, w4[3], $a[3]);
                    )+
                }
                $(unsafe { store(out, (row0 + $r) * p.width + col, $a) };)+
            }
        };
    }

    tile!(tile6, 0 => a0, 1 => a1, 2 => a2, 3 => a3, 4 => a4, 5 => a5);
    tile!(tile4, 0 => a0, 1 => a1, 2 => a2, 3 => a3);
    tile!(tile1, 0 => a0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_product_for_every_tile_shape() {
        for &(rows, k, width) in &[
            (1usize, 3usize, 8usize),
            (5, 7, 16),
            (9, 64, 64),
            (16, 5, 96),
            (6, 2, 40),
            (11, 7, 96),
            (17, 33, 40),
            (32, 64, 8),
        ] {
            let x: Vec<f64> = (0..rows * (k + 1))
                .map(|i| ((i * 37 % 11) as f64) - 5.0)
                .collect();
            let wt: Vec<f64> = (0..k * width)
                .map(|i| ((i * 13 % 7) as f64) * 0.5 - 1.0)
                .collect();
            let bias: Vec<f64> = (0..width).map(|i| i as f64 * 0.25).collect();
            let mut out = vec![0.0; rows * width];
            rows_times::<f64, false>(rows, k, &x, k + 1, &wt, width, Some(&bias), &mut out);
            for b in 0..rows {
                for i in 0..width {
                    let want: f64 = bias[i]
                        + (0..k)
                            .map(|j| x[b * (k + 1) + j] * wt[j * width + i])
                            .sum::<f64>();
                    assert_eq!(out[b * width + i], want);
                }
            }
            // The run-time dispatched product (AVX-512 intrinsics where available) has the
            // bits of the portable fused tiles.
            for bias in [None, Some(&bias[..])] {
                let mut fast = vec![f64::NAN; rows * width];
                let mut tiles = vec![f64::NAN; rows * width];
                rows_times::<f64, true>(rows, k, &x, k + 1, &wt, width, bias, &mut fast);
                let ops = Operands {
                    k,
                    x: &x,
                    x_stride: k + 1,
                    wt: &wt,
                    width,
                    bias,
                };
                portable::<f64, true>(&ops, rows, &mut tiles);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(
                    bits(&fast),
                    bits(&tiles),
                    "rows {rows}, k {k}, width {width}"
                );
                #[cfg(target_arch = "x86_64")]
                if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                    #[target_feature(enable = "avx2,fma")]
                    unsafe fn avx2(ops: &Operands<'_, f64>, rows: usize, out: &mut [f64]) {
                        narrow_tiles(ops, rows, out)
                    }
                    let mut avx2_tiles = vec![f64::NAN; rows * width];
                    // SAFETY: AVX2 and FMA were detected just above.
                    unsafe { avx2(&ops, rows, &mut avx2_tiles) };
                    assert_eq!(bits(&avx2_tiles), bits(&tiles), "AVX2 tiles, rows {rows}");
                }
            }
        }
    }

    #[test]
    fn f32_kernels_have_the_bits_of_the_portable_fused_tiles() {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        // Widths cover 64-column tiles, 16-column and 8-column remainders and their mixes;
        // row counts cover tiles of 6, 4 and 1 and the eight-row remainder.
        for &(rows, k, width) in &[
            (1usize, 3usize, 8usize),
            (5, 7, 16),
            (8, 64, 64),
            (14, 64, 64),
            (16, 5, 96),
            (11, 33, 136),
            (17, 9, 40),
            (9, 12, 24),
        ] {
            let x: Vec<f32> = (0..rows * (k + 1))
                .map(|i| ((i * 37 % 11) as f32) * 0.173 - 0.9)
                .collect();
            let wt: Vec<f32> = (0..k * width)
                .map(|i| ((i * 13 % 7) as f32) * 0.311 - 1.0)
                .collect();
            let bias: Vec<f32> = (0..width).map(|i| i as f32 * 0.037).collect();
            for bias in [None, Some(&bias[..])] {
                let ops = Operands {
                    k,
                    x: &x,
                    x_stride: k + 1,
                    wt: &wt,
                    width,
                    bias,
                };
                let mut tiles = vec![f32::NAN; rows * width];
                portable::<f32, true>(&ops, rows, &mut tiles);
                for b in 0..rows {
                    for i in 0..width {
                        let want = bias.map_or(0.0, |v| v[i] as f64)
                            + (0..k)
                                .map(|j| x[b * (k + 1) + j] as f64 * wt[j * width + i] as f64)
                                .sum::<f64>();
                        let got = tiles[b * width + i] as f64;
                        assert!((got - want).abs() <= 1e-5 * (1.0 + want.abs()));
                    }
                }
                let mut fast = vec![f32::NAN; rows * width];
                rows_times::<f32, true>(rows, k, &x, k + 1, &wt, width, bias, &mut fast);
                let at = format!("rows {rows}, k {k}, width {width}");
                assert_eq!(bits(&fast), bits(&tiles), "{at}");
                #[cfg(target_arch = "x86_64")]
                if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                    let mut avx2 = vec![f32::NAN; rows * width];
                    // SAFETY: AVX2 and FMA were detected just above.
                    unsafe { super::super::gemm_f32::avx2::rows_times(&ops, rows, &mut avx2) };
                    assert_eq!(bits(&avx2), bits(&tiles), "AVX2, {at}");
                }
            }
        }
    }

    #[test]
    fn dot_rows_match_naive_sums_and_the_portable_tree() {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for &(rows, width, p) in &[(1usize, 8usize, 1usize), (7, 64, 1), (5, 24, 3), (3, 40, 2)] {
            let x_stride = width + 8;
            let x: Vec<f64> = (0..rows * x_stride)
                .map(|i| ((i * 29 % 13) as f64) * 0.37 - 2.0)
                .collect();
            let r_rows: Vec<f64> = (0..p * width)
                .map(|i| ((i * 11 % 9) as f64) * 0.61 - 2.5)
                .collect();
            let bias: Vec<f64> = (0..p).map(|q| 0.5 - q as f64).collect();
            let out_stride = p + 1;
            let mut fast = vec![f64::NAN; rows * out_stride];
            let mut portable = vec![f64::NAN; rows * out_stride];
            if crate::simd::level() == crate::simd::Level::Avx512 {
                rows_dot_rows::<f64, true, true>(
                    rows, &x, x_stride, &r_rows, width, &bias, &mut fast, out_stride,
                );
            } else {
                rows_dot_rows::<f64, true, false>(
                    rows, &x, x_stride, &r_rows, width, &bias, &mut fast, out_stride,
                );
            }
            for b in 0..rows {
                for q in 0..p {
                    let xrow = &x[b * x_stride..b * x_stride + width];
                    let rrow = &r_rows[q * width..(q + 1) * width];
                    portable[b * out_stride + q] = dot::<f64, true>(xrow, rrow) + bias[q];
                    let naive: f64 =
                        bias[q] + xrow.iter().zip(rrow).map(|(a, c)| a * c).sum::<f64>();
                    let got = fast[b * out_stride + q];
                    assert!(
                        (got - naive).abs() <= 1e-12 * (1.0 + naive.abs()),
                        "{got} vs {naive}"
                    );
                }
                // The entry past the p outputs of a row is not written.
                assert!(fast[b * out_stride + p].is_nan());
            }
            assert_eq!(
                bits(&fast),
                bits(&portable),
                "rows {rows}, width {width}, p {p}"
            );
        }
    }
}
