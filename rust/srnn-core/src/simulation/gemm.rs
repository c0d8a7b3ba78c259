//! `out[b, :] = bias + Σ_j x[b, j] · wt[j, :]` for a block of rows (paths).
//!
//! Every output element is accumulated over `j` in increasing order with the same
//! (fused or unfused) multiply-add, whatever the tile a row falls in. That is what makes a
//! path's result independent of how paths are grouped into blocks and threads, which a
//! general-purpose GEMM (with its own packing and size heuristics) does not promise.

use super::Real;

/// `wt` is `(k, width)` row-major; `width` is a multiple of 8; `out` rows have stride `width`.
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
    if width.is_multiple_of(32) {
        by_column_chunks::<R, FMA, 32>(rows, k, x, x_stride, wt, width, bias, out)
    } else if width.is_multiple_of(16) {
        by_column_chunks::<R, FMA, 16>(rows, k, x, x_stride, wt, width, bias, out)
    } else {
        by_column_chunks::<R, FMA, 8>(rows, k, x, x_stride, wt, width, bias, out)
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn by_column_chunks<R: Real, const FMA: bool, const OC: usize>(
    rows: usize,
    k: usize,
    x: &[R],
    x_stride: usize,
    wt: &[R],
    width: usize,
    bias: Option<&[R]>,
    out: &mut [R],
) {
    let mut row = 0;
    while OC == 32 && row + 6 <= rows {
        tile::<R, FMA, OC, 6>(row, k, x, x_stride, wt, width, bias, out);
        row += 6;
    }
    while row + 4 <= rows {
        tile::<R, FMA, OC, 4>(row, k, x, x_stride, wt, width, bias, out);
        row += 4;
    }
    while row < rows {
        tile::<R, FMA, OC, 1>(row, k, x, x_stride, wt, width, bias, out);
        row += 1;
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tile<R: Real, const FMA: bool, const OC: usize, const PT: usize>(
    row0: usize,
    k: usize,
    x: &[R],
    x_stride: usize,
    wt: &[R],
    width: usize,
    bias: Option<&[R]>,
    out: &mut [R],
) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_product_for_every_tile_shape() {
        for &(rows, k, width) in &[
            (1usize, 3usize, 8usize),
            (5, 7, 16),
            (9, 64, 64),
            (6, 2, 40),
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
        }
    }
}
