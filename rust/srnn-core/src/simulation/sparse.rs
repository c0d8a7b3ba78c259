//! `W h + bias` for a sparse `W` (an echo-state reservoir), with the bits of the dense
//! product in `gemm.rs`.
//!
//! The dense product accumulates every output over `j` in increasing order, one multiply-add
//! a term, starting from the bias. The sparse one runs the same multiply-adds over the
//! nonzero `W[i, j]` only, in the same order. A skipped term `x · 0` (finite `x`) is `±0`,
//! which leaves a nonzero accumulator unchanged; while both accumulators are zero they can
//! differ only in the sign, and once a term makes them nonzero they agree from then on.
//! Under round-to-nearest a zero accumulator can only be `-0` if it started at `-0` and
//! every term so far was `-0`, so a sparse result other than `-0` is the dense result, and
//! the rare `-0` (a `-0` bias and all-zero products) is recomputed densely.
//!
//! Layout: `W` by rows (CSR, columns ascending), the block's states transposed to
//! `(n, rows)` so that one nonzero is one multiply-add on a vector of paths, with each
//! output's accumulators held in registers.

use super::prepared::padded;
use crate::aligned::Aligned;
use crate::simd::Real;

/// How simulation multiplies by `W`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WProduct {
    /// Sparse when `W` is large and sparse enough to pay ([`prefers_sparse`]), else dense;
    /// the environment variable `SRNN_RS_W_PRODUCT=dense|sparse` overrides the choice.
    #[default]
    Auto,
    Dense,
    Sparse,
}

/// Below this many units the dense product is as fast (measured in benches/README.md).
pub const SPARSE_MIN_N: usize = 100;
/// The sparse product wins below this fraction of nonzeros (measured in benches/README.md).
pub const SPARSE_MAX_DENSITY: f64 = 0.2;

/// The automatic choice from the size and the fraction of nonzero weights.
pub fn prefers_sparse(n: usize, nonzeros: usize) -> bool {
    n >= SPARSE_MIN_N && (nonzeros as f64) <= SPARSE_MAX_DENSITY * (n * n) as f64
}

impl WProduct {
    /// The choice for one call: an explicit setting wins, then the environment.
    pub(crate) fn resolve(self) -> WProduct {
        if self != WProduct::Auto {
            return self;
        }
        match std::env::var("SRNN_RS_W_PRODUCT").as_deref() {
            Ok("dense") => WProduct::Dense,
            Ok("sparse") => WProduct::Sparse,
            _ => WProduct::Auto,
        }
    }
}

/// `W` by rows: the nonzeros of row `i` are `cols[starts[i]..starts[i + 1]]` (ascending)
/// and the matching `values`.
pub(crate) struct SparseW<R> {
    starts: Vec<usize>,
    cols: Vec<u32>,
    values: Vec<R>,
}

impl<R: Real> SparseW<R> {
    /// `None` when the choice is dense.
    pub fn new(w: ndarray::ArrayView2<f64>, choice: WProduct) -> Option<Self> {
        let n = w.nrows();
        if choice == WProduct::Dense {
            return None;
        }
        let nonzeros = w.iter().filter(|&&v| v != 0.0).count();
        if choice == WProduct::Auto && !prefers_sparse(n, nonzeros) {
            return None;
        }
        let mut starts = Vec::with_capacity(n + 1);
        let mut cols = Vec::with_capacity(nonzeros);
        let mut values = Vec::with_capacity(nonzeros);
        starts.push(0);
        for row in w.rows() {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    cols.push(j as u32);
                    values.push(R::from_f64(v));
                }
            }
            starts.push(cols.len());
        }
        Some(SparseW {
            starts,
            cols,
            values,
        })
    }

    pub fn n(&self) -> usize {
        self.starts.len() - 1
    }
}

/// Lanes of paths per accumulator.
const LANES: usize = 8;

/// Rows of the transposed states: the block's rows padded to whole accumulators.
pub(crate) fn transposed_len(n: usize, block: usize) -> usize {
    n * padded(block)
}

/// The operands of one sparse product: `x` rows of stride `width`, `W` by rows and as the
/// dense `(n, width)` transpose of `gemm.rs` (for the rare `-0` results), a bias of `width`.
pub(crate) struct SparseOperands<'a, R> {
    pub x: &'a [R],
    pub w: &'a SparseW<R>,
    pub w_t: &'a [R],
    pub width: usize,
    pub bias: &'a [R],
}

/// `out[b, i] = bias[i] + Σ_j x[b, j] W[i, j]` for `b < rows`, `i < width` (padding lanes get
/// the bias), with the bits of `gemm::rows_times`; `xt` is scratch of [`transposed_len`].
#[inline(always)]
pub(crate) fn sparse_rows_times<R: Real, const FMA: bool>(
    rows: usize,
    ops: &SparseOperands<'_, R>,
    xt: &mut [R],
    out: &mut [R],
) {
    let SparseOperands {
        x, w, width, bias, ..
    } = *ops;
    let n = w.n();
    let rp = padded(rows);
    let xt = &mut xt[..n * rp];
    for (b, row) in x.chunks_exact(width).take(rows).enumerate() {
        for (j, &v) in row[..n].iter().enumerate() {
            xt[j * rp + b] = v;
        }
    }
    // Lanes past the block's rows are computed and dropped; zeros keep them finite.
    for j in 0..n {
        xt[j * rp + rows..(j + 1) * rp].fill(R::ZERO);
    }
    let out = &mut out[..rows * width];
    for (i, (&b_i, span)) in bias.iter().zip(w.starts.windows(2)).enumerate() {
        let span = span[0]..span[1];
        let (cols, values) = (&w.cols[span.clone()], &w.values[span]);
        let mut c = 0;
        while c + 2 * LANES <= rp {
            let mut acc = [[b_i; LANES]; 2];
            for (&j, &v) in cols.iter().zip(values) {
                let xs: &[R; 2 * LANES] =
                    xt[j as usize * rp + c..][..2 * LANES].try_into().unwrap();
                for l in 0..LANES {
                    acc[0][l] = R::madd::<FMA>(xs[l], v, acc[0][l]);
                    acc[1][l] = R::madd::<FMA>(xs[LANES + l], v, acc[1][l]);
                }
            }
            store::<R, FMA>(ops, rows, i, c, &acc[0], out);
            store::<R, FMA>(ops, rows, i, c + LANES, &acc[1], out);
            c += 2 * LANES;
        }
        if c < rp {
            let mut acc = [b_i; LANES];
            for (&j, &v) in cols.iter().zip(values) {
                let xs: &[R; LANES] = xt[j as usize * rp + c..][..LANES].try_into().unwrap();
                for l in 0..LANES {
                    acc[l] = R::madd::<FMA>(xs[l], v, acc[l]);
                }
            }
            store::<R, FMA>(ops, rows, i, c, &acc, out);
        }
    }
    for row in out.chunks_exact_mut(width) {
        row[n..].copy_from_slice(&bias[n..width]);
    }
}

/// Writes output `i` of rows `c..` from their accumulators; a `-0` (see the module notes) is
/// recomputed as the dense product does it.
#[inline(always)]
fn store<R: Real, const FMA: bool>(
    ops: &SparseOperands<'_, R>,
    rows: usize,
    i: usize,
    c: usize,
    acc: &[R],
    out: &mut [R],
) {
    let width = ops.width;
    let mut negative_zero = false;
    for &v in acc {
        negative_zero |= v.to_f64().to_bits() == (-0.0f64).to_bits();
    }
    for (l, &v) in acc.iter().enumerate().take(rows.saturating_sub(c)) {
        out[(c + l) * width + i] = v;
    }
    if negative_zero {
        for b in c..rows.min(c + acc.len()) {
            let xrow = &ops.x[b * width..b * width + ops.w.n()];
            let mut sum = ops.bias[i];
            for (j, &xv) in xrow.iter().enumerate() {
                sum = R::madd::<FMA>(xv, ops.w_t[j * width + i], sum);
            }
            out[b * width + i] = sum;
        }
    }
}

/// Scratch of [`sparse_rows_times`] for a block, empty when the product is dense.
pub(crate) fn scratch<R: Real>(w: Option<&SparseW<R>>, block: usize) -> Aligned<R> {
    Aligned::filled(w.map_or(0, |w| transposed_len(w.n(), block)), R::ZERO)
}

#[cfg(test)]
mod tests {
    use super::super::gemm::rows_times;
    use super::super::prepared::transposed;
    use super::*;

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Against the dense product, on inputs where the sparse sum alone would be `-0`: zero
    /// states, a `-0` bias and rows of `W` whose only weights are negative.
    #[test]
    fn sparse_product_has_the_bits_of_the_dense_one() {
        let n = 37;
        let width = padded(n);
        let w =
            ndarray::Array2::from_shape_fn((n, n), |(i, j)| match (i % 4, (i * 7 + j * 5) % 9) {
                (0, 0) => -0.75 - j as f64 * 0.01,
                (0, _) => 0.0,
                (_, 0 | 4) => ((i * 3 + j) % 11) as f64 / 5.5 - 1.0,
                _ => 0.0,
            });
        let bias: Vec<f64> = (0..width)
            .map(|i| match i % 3 {
                _ if i >= n => 0.0,
                0 => -0.0,
                1 => 0.0,
                _ => 0.1 * i as f64 - 1.0,
            })
            .collect();
        let w_t = transposed::<f64>(w.view(), width, 1.0);
        let sparse = SparseW::new(w.view(), WProduct::Sparse).unwrap();
        for rows in [1, 5, 8, 16, 21] {
            let mut x = vec![0.0; rows * width];
            for b in 1..rows {
                for j in 0..n {
                    x[b * width + j] = if (b + j) % 3 == 0 {
                        0.0
                    } else {
                        ((b * 13 + j * 7) % 17) as f64 / 8.0 - 1.0
                    };
                }
            }
            let mut xt = vec![f64::NAN; transposed_len(n, rows)];
            let ops = SparseOperands {
                x: &x,
                w: &sparse,
                w_t: &w_t,
                width,
                bias: &bias,
            };
            let mut dense = vec![f64::NAN; rows * width];
            let mut got = vec![f64::NAN; rows * width];
            rows_times::<f64, false>(rows, n, &x, width, &w_t, width, Some(&bias), &mut dense);
            sparse_rows_times::<f64, false>(rows, &ops, &mut xt, &mut got);
            assert_eq!(bits(&got), bits(&dense), "unfused, rows {rows}");
            // Row 0 (all states zero), output 0: the sparse sum alone would be `-0`.
            assert_eq!(dense[0].to_bits(), 0);
            rows_times::<f64, true>(rows, n, &x, width, &w_t, width, Some(&bias), &mut dense);
            sparse_rows_times::<f64, true>(rows, &ops, &mut xt, &mut got);
            assert_eq!(bits(&got), bits(&dense), "fused, rows {rows}");
        }
    }
}
