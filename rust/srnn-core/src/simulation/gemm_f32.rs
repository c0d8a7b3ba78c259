//! The `f32` product in x86 intrinsics: 16 lanes a vector with AVX-512, 8 with AVX2. Same
//! operations in the same order as the portable fused tiles (bias, then `j` ascending, one
//! fused multiply-add each), so the same bits as they and each other; written by hand because
//! LLVM turns the portable `f32` tiles into scalar code with the accumulators on the stack.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::*;

type Product<'a> = super::gemm::Operands<'a, f32>;

/// The bounds every tile below relies on.
fn check(p: &Product<'_>, rows: usize, out: &[f32]) {
    assert!(p.width.is_multiple_of(8));
    assert!(p.x.len() >= (rows - 1) * p.x_stride + p.k && p.k <= p.x_stride);
    assert!(p.wt.len() >= p.k * p.width);
    assert!(out.len() >= rows * p.width);
    assert!(p.bias.is_none_or(|b| b.len() >= p.width));
}

/// A tile of the rows named in the list, `$cv` vectors of `$lanes` columns from `col`.
macro_rules! tile {
    (
        $feat:literal, $name:ident, $v:ty, $cv:literal, $lanes:literal,
        $load:ident, $store:ident, $fma:ident, $set1:ident, $zero:ident,
        $($r:literal => $a:ident),+
    ) => {
        #[target_feature(enable = $feat)]
        #[inline]
        unsafe fn $name(p: &Product<'_>, row0: usize, col: usize, out: &mut [f32]) {
            let mut init = [$zero(); $cv];
            if let Some(b) = p.bias {
                for c in 0..$cv {
                    init[c] = unsafe { $load(b.as_ptr().add(col + c * $lanes)) };
                }
            }
            $(let mut $a = init;)+
            let w = unsafe { p.wt.as_ptr().add(col) };
            let x = unsafe { p.x.as_ptr().add(row0 * p.x_stride) };
            for j in 0..p.k {
                let wj = unsafe { w.add(j * p.width) };
                let mut wv = [$zero(); $cv];
                for c in 0..$cv {
                    wv[c] = unsafe { $load(wj.add(c * $lanes)) };
                }
                $(
                    let v = $set1(unsafe { *x.add($r * p.x_stride + j) });
                    for c in 0..$cv {
                        $a[c] = $fma(v, wv[c], $a[c]);
                    }
                )+
            }
            $(
                let o = unsafe { out.as_mut_ptr().add((row0 + $r) * p.width + col) };
                for c in 0..$cv {
                    unsafe { $store(o.add(c * $lanes), $a[c]) };
                }
            )+
        }
    };
}

pub mod avx512 {
    use super::*;

    macro_rules! zmm {
        ($name:ident, $cv:literal, $($r:literal => $a:ident),+) => {
            tile!(
                "avx512f", $name, __m512, $cv, 16,
                _mm512_loadu_ps, _mm512_storeu_ps, _mm512_fmadd_ps, _mm512_set1_ps,
                _mm512_setzero_ps, $($r => $a),+
            );
        };
    }
    macro_rules! ymm {
        ($name:ident, $($r:literal => $a:ident),+) => {
            tile!(
                "avx2,fma", $name, __m256, 1, 8,
                _mm256_loadu_ps, _mm256_storeu_ps, _mm256_fmadd_ps, _mm256_set1_ps,
                _mm256_setzero_ps, $($r => $a),+
            );
        };
    }

    zmm!(tile6, 4, 0 => a0, 1 => a1, 2 => a2, 3 => a3, 4 => a4, 5 => a5);
    zmm!(tile4, 4, 0 => a0, 1 => a1, 2 => a2, 3 => a3);
    zmm!(tile1, 4, 0 => a0);
    zmm!(narrow8, 1, 0 => a0, 1 => a1, 2 => a2, 3 => a3, 4 => a4, 5 => a5, 6 => a6, 7 => a7);
    zmm!(narrow1, 1, 0 => a0);
    ymm!(half8, 0 => a0, 1 => a1, 2 => a2, 3 => a3, 4 => a4, 5 => a5, 6 => a6, 7 => a7);
    ymm!(half1, 0 => a0);

    /// # Safety
    /// The CPU must support AVX-512F, AVX2 and FMA.
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub unsafe fn rows_times(p: &Product<'_>, rows: usize, out: &mut [f32]) {
        if rows == 0 {
            return;
        }
        check(p, rows, out);
        let wide = p.width / 64 * 64;
        let mut row = 0;
        // Eight rows left go as two tiles of four, not six and two single rows.
        while row + 6 <= rows && rows - row != 8 {
            for col in (0..wide).step_by(64) {
                unsafe { tile6(p, row, col, out) };
            }
            row += 6;
        }
        while row + 4 <= rows {
            for col in (0..wide).step_by(64) {
                unsafe { tile4(p, row, col, out) };
            }
            row += 4;
        }
        while row < rows {
            for col in (0..wide).step_by(64) {
                unsafe { tile1(p, row, col, out) };
            }
            row += 1;
        }
        // Narrow columns: eight rows at a time, so that eight independent accumulators hide
        // the latency of the multiply-adds; a last 8 columns in half vectors.
        let whole = p.width / 16 * 16;
        for col in (wide..p.width).step_by(16) {
            let mut row = 0;
            while row + 8 <= rows {
                if col < whole {
                    unsafe { narrow8(p, row, col, out) };
                } else {
                    unsafe { half8(p, row, col, out) };
                }
                row += 8;
            }
            while row < rows {
                if col < whole {
                    unsafe { narrow1(p, row, col, out) };
                } else {
                    unsafe { half1(p, row, col, out) };
                }
                row += 1;
            }
        }
    }
}

pub mod avx2 {
    use super::*;

    macro_rules! ymm {
        ($name:ident, $cv:literal, $($r:literal => $a:ident),+) => {
            tile!(
                "avx2,fma", $name, __m256, $cv, 8,
                _mm256_loadu_ps, _mm256_storeu_ps, _mm256_fmadd_ps, _mm256_set1_ps,
                _mm256_setzero_ps, $($r => $a),+
            );
        };
    }

    // Sixteen registers: 6 × 2 accumulators, two columns of `wt` and the broadcast.
    ymm!(tile6, 2, 0 => a0, 1 => a1, 2 => a2, 3 => a3, 4 => a4, 5 => a5);
    ymm!(tile4, 2, 0 => a0, 1 => a1, 2 => a2, 3 => a3);
    ymm!(tile1, 2, 0 => a0);
    ymm!(narrow8, 1, 0 => a0, 1 => a1, 2 => a2, 3 => a3, 4 => a4, 5 => a5, 6 => a6, 7 => a7);
    ymm!(narrow1, 1, 0 => a0);

    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn rows_times(p: &Product<'_>, rows: usize, out: &mut [f32]) {
        if rows == 0 {
            return;
        }
        check(p, rows, out);
        let wide = p.width / 16 * 16;
        let mut row = 0;
        while row + 6 <= rows {
            for col in (0..wide).step_by(16) {
                unsafe { tile6(p, row, col, out) };
            }
            row += 6;
        }
        while row + 4 <= rows {
            for col in (0..wide).step_by(16) {
                unsafe { tile4(p, row, col, out) };
            }
            row += 4;
        }
        while row < rows {
            for col in (0..wide).step_by(16) {
                unsafe { tile1(p, row, col, out) };
            }
            row += 1;
        }
        if wide < p.width {
            let mut row = 0;
            while row + 8 <= rows {
                unsafe { narrow8(p, row, wide, out) };
                row += 8;
            }
            while row < rows {
                unsafe { narrow1(p, row, wide, out) };
                row += 1;
            }
        }
    }
}
