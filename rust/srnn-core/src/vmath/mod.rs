//! Branch-free elementary functions written so that LLVM vectorises loops that call them.
//! Everything here is `#[inline(always)]`: the kernels that call these are compiled once per
//! SIMD level ([`crate::dispatch!`]), and only inlined code inherits those features.

use crate::simd::madd;

pub mod single;

#[inline(always)]
fn horner<const FMA: bool>(x: f64, coeffs: &[f64]) -> f64 {
    let mut acc = coeffs[coeffs.len() - 1];
    for &c in coeffs[..coeffs.len() - 1].iter().rev() {
        acc = madd::<FMA>(acc, x, c);
    }
    acc
}

// fdlibm's split of ln 2: the high part has trailing zero bits so k·LN2_HI is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// Taylor coefficients 1/k! for k = 1..=13 of `expm1(r) / r`, i.e. 1, 1/2, 1/6, ...
const EXPM1_OVER_X: [f64; 13] = {
    let mut c = [0.0; 13];
    let mut fact = 1.0;
    let mut k = 0;
    while k < 13 {
        fact *= (k + 1) as f64;
        c[k] = 1.0 / fact;
        k += 1;
    }
    c
};

/// Adding this to `y ∈ [-1022, 1023]` rounds `y` to the nearest integer `k` (ties to even;
/// the sum's ulp is 1) and leaves `k + 1023` in the low mantissa bits, so shifting the sum's
/// bits by 52 gives `2^k`: no `round` (two µops on AVX-512) and no float→int cast (whose
/// saturating semantics would turn every vector lane into scalar code).
const ROUND_POW2: f64 = TWO_POW_52 + 1023.0;

/// `(k, 2^k)` from `t = y + ROUND_POW2` computed by the caller (mostly fused into `y`'s FMA).
#[inline(always)]
fn split_round_pow2(t: f64) -> (f64, f64) {
    (t - ROUND_POW2, f64::from_bits(t.to_bits() << 52))
}

const TWO_POW_52: f64 = 4_503_599_627_370_496.0;

/// An unsigned integer below `2^52` as `f64`, exactly, by the same mantissa trick (vectorises
/// on every SIMD level, unlike `as f64` on `u64`).
#[inline(always)]
pub fn u52_to_f64(x: u64) -> f64 {
    f64::from_bits(TWO_POW_52.to_bits() | x) - TWO_POW_52
}

/// `x = k ln 2 + r` with `|r| ≤ ln 2 / 2`, as `(r, 2^k)`, after clamping `x` to
/// `[-708, 709]` so that `2^k` stays a normal number.
#[inline(always)]
fn reduce_exp<const FMA: bool>(x: f64) -> (f64, f64) {
    let x = x.clamp(-708.0, 709.0);
    let t = madd::<FMA>(x, std::f64::consts::LOG2_E, ROUND_POW2);
    let (k, scale) = split_round_pow2(t);
    (madd::<FMA>(-k, LN2_LO, madd::<FMA>(-k, LN2_HI, x)), scale)
}

/// `exp(x) - 1` with full relative accuracy near zero; `x` is clamped to `[-708, 709]`, so
/// the result is finite (and ≥ -1).
#[inline(always)]
pub fn expm1<const FMA: bool>(x: f64) -> f64 {
    let (r, scale) = reduce_exp::<FMA>(x);
    let p = r * horner::<FMA>(r, &EXPM1_OVER_X);
    madd::<FMA>(scale, p, scale - 1.0)
}

#[inline(always)]
pub fn exp<const FMA: bool>(x: f64) -> f64 {
    let (r, scale) = reduce_exp::<FMA>(x);
    scale * madd::<FMA>(r, horner::<FMA>(r, &EXPM1_OVER_X), 1.0)
}

/// [`EXPM1_OVER_X`] with `c_j` scaled by `2^(j+1)`: `r/2 · P'(r/2)` is `r · P(r)` to the bit,
/// since every Horner step of the scaled polynomial is the original one times a power of 2.
const EXPM1_OVER_X_HALF: [f64; 13] = {
    let mut c = EXPM1_OVER_X;
    let (mut k, mut scale) = (0, 2.0);
    while k < 13 {
        c[k] *= scale;
        scale *= 2.0;
        k += 1;
    }
    c
};

/// tanh|x| = -e / (2 + e) with e = expm1(-2|x|) ∈ (-1, 0], sign restored at the end. The
/// divisor stays in (1, 2]; beyond |x| = 20 tanh rounds to ±1. The division stays: replacing
/// it by an FMA-only Newton sequence (cubic seed, one cubic step, residual correction: 9
/// operations) is slower, because the two FMA ports, which also run the 13-term polynomial,
/// then become the bottleneck instead of the divider.
#[inline(always)]
pub fn tanh<const FMA: bool>(x: f64) -> f64 {
    let ax = x.abs();
    // A comparison, not `f64::min`, so that NaN passes through.
    let ax = if ax > 20.0 { 20.0 } else { ax };
    // The factor -2 lives in the constants: the reduced argument is r/2 = -|x| - k ln2/2.
    let t = madd::<FMA>(ax, -2.0 * std::f64::consts::LOG2_E, ROUND_POW2);
    let (k, scale) = split_round_pow2(t);
    let r_half = madd::<FMA>(-k, 0.5 * LN2_LO, madd::<FMA>(-k, 0.5 * LN2_HI, -ax));
    let p = r_half * horner::<FMA>(r_half, &EXPM1_OVER_X_HALF);
    let e = madd::<FMA>(scale, p, scale - 1.0);
    (-e / (2.0 + e)).copysign(x)
}

#[inline(always)]
pub fn sigmoid<const FMA: bool>(x: f64) -> f64 {
    1.0 / (1.0 + exp::<FMA>(-x))
}

/// `ln(x)` for positive normal `x` (the only inputs the normal generator produces).
#[inline(always)]
pub fn ln_positive<const FMA: bool>(x: f64) -> f64 {
    // x = 2^e m with m ∈ [√½, √2), so that s = (m-1)/(m+1) stays below 0.172, in integer
    // operations only (musl's log): offset by the bits of 1 less those of √½, the exponent
    // field counts octaves from √½ instead of from 1.
    const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
    const MANTISSA: u64 = 0x000f_ffff_ffff_ffff;
    let t = x.to_bits() + (1.0f64.to_bits() - SQRT_HALF_BITS);
    let e = f64::from_bits(TWO_POW_52.to_bits() | (t >> 52)) - (TWO_POW_52 + 1023.0);
    let m = f64::from_bits((t & MANTISSA) + SQRT_HALF_BITS);
    let f = m - 1.0;
    let s = div_ln::<FMA>(f, 2.0 + f);
    let z = s * s;
    // ln(m) = 2 atanh(s) = s (2 + R(z)) with fdlibm's minimax R (e_log.c, Lg1..Lg7), whose
    // error is below 2^-58.45 for |s| ≤ 0.1716: three terms fewer than the Taylor series.
    const C: [f64; 8] = [
        2.0,
        f64::from_bits(0x3FE5_5555_5555_5593),
        f64::from_bits(0x3FD9_9999_9997_FA04),
        f64::from_bits(0x3FD2_4924_9422_9359),
        f64::from_bits(0x3FCC_71C5_1D8E_78AF),
        f64::from_bits(0x3FC7_4664_96CB_03DE),
        f64::from_bits(0x3FC3_9A09_D078_C69F),
        f64::from_bits(0x3FC2_F112_DF3E_5244),
    ];
    let ln_m = s * horner::<FMA>(z, &C);
    madd::<FMA>(e, LN2_HI, madd::<FMA>(e, LN2_LO, ln_m))
}

/// `f / d` for `d = 1 + m ∈ [1.707, 2.415)` without the divider when FMA is available: a
/// `vdivpd` blocks it for ~15 cycles per 8 lanes, and the Box–Muller step also needs it for
/// its square root. A minimax quadratic for 1/d (relative error 1.3e-3), one cubic Newton step
/// `y += y(e + e²)` (2.2e-9), then the residual correction of the quotient, whose error is the
/// square of that, below 2^-57. The residuals `1 - d·y` and `f - d·q` need the product
/// unrounded, which only a fused multiply-add gives, hence the division without FMA.
#[inline(always)]
fn div_ln<const FMA: bool>(f: f64, d: f64) -> f64 {
    if !FMA {
        return f / d;
    }
    const C: [f64; 3] = [
        1.477_756_265_540_050_7,
        -0.722_444_367_794_029_3,
        0.116_862_931_588_266_26,
    ];
    let y = horner::<FMA>(d, &C);
    let e = madd::<FMA>(-d, y, 1.0);
    let y = madd::<FMA>(y, madd::<FMA>(e, e, e), y);
    let q = f * y;
    madd::<FMA>(madd::<FMA>(-d, q, f), y, q)
}

/// `(sin 2πt, cos 2πt)` at `t = word / 2^32`, `word` the high 32 bits of `w` (the bits below
/// are ignored). The word's top two bits are the quadrant and the other 30 its fraction, so
/// the polynomial only ever sees angles in `[-π/4, π/4)` and the reduction is exact bit
/// operations (three vector operations; as floats it took eight).
#[inline(always)]
pub fn sincos_of_high_word<const FMA: bool>(w: u64) -> (f64, f64) {
    const FRACTION: u64 = ((1 << 30) - 1) << 32;
    const SIGN: u64 = 1 << 63;
    // 1 + fraction, built in the mantissa; less 1.5 it is the offset from the quadrant's
    // centre in quarter turns, exactly.
    let offset = f64::from_bits(1.0f64.to_bits() | ((w & FRACTION) >> 10)) - 1.5;
    let psi = offset * std::f64::consts::FRAC_PI_2;
    let z = psi * psi;
    // fdlibm's minimax polynomials on [-π/4, π/4] (k_sin.c S1..S6, k_cos.c C1..C6): two and
    // one terms fewer than the Taylor series of the same accuracy.
    const S: [f64; 7] = [
        1.0,
        f64::from_bits(0xBFC5_5555_5555_5549),
        f64::from_bits(0x3F81_1111_1110_F8A6),
        f64::from_bits(0xBF2A_01A0_19C1_61D5),
        f64::from_bits(0x3EC7_1DE3_57B1_FE7D),
        f64::from_bits(0xBE5A_E5E6_8A2B_9CEB),
        f64::from_bits(0x3DE5_D93A_5ACF_D57C),
    ];
    const CC: [f64; 8] = [
        1.0,
        -0.5,
        f64::from_bits(0x3FA5_5555_5555_554C),
        f64::from_bits(0xBF56_C16C_16C1_5177),
        f64::from_bits(0x3EFA_01A0_19CB_1590),
        f64::from_bits(0xBE92_7E4F_809C_52AD),
        f64::from_bits(0x3E21_EE9E_BDB4_B1C4),
        f64::from_bits(0xBDA8_FAE9_BE88_38D4),
    ];
    let sin_psi = psi * horner::<FMA>(z, &S);
    let cos_psi = horner::<FMA>(z, &CC);
    // Rotate by the quadrant centre a = (q + 1/2)π/2, q = word >> 30: cos a and sin a are
    // ±√½, negative for q ∈ {1, 2} (bit 63 xor bit 62) and for q ∈ {2, 3} (bit 63).
    let h = std::f64::consts::FRAC_1_SQRT_2.to_bits();
    let cos_a = f64::from_bits(h | ((w ^ (w << 1)) & SIGN));
    let sin_a = f64::from_bits(h | (w & SIGN));
    let sin = madd::<FMA>(sin_a, cos_psi, cos_a * sin_psi);
    let cos = madd::<FMA>(cos_a, cos_psi, -(sin_a * sin_psi));
    (sin, cos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        if b == 0.0 {
            a.abs()
        } else {
            ((a - b) / b).abs()
        }
    }

    fn grid(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f64> {
        (0..=n).map(move |i| lo + (hi - lo) * i as f64 / n as f64)
    }

    #[test]
    fn exp_and_expm1_match_std() {
        for x in grid(-700.0, 700.0, 100_003).chain(grid(-1e-3, 1e-3, 10_001)) {
            assert!(rel(exp::<false>(x), x.exp()) < 4e-16, "exp({x})");
            assert!(rel(exp::<true>(x), x.exp()) < 4e-16, "exp({x})");
            assert!(rel(expm1::<false>(x), x.exp_m1()) < 4e-16, "expm1({x})");
            assert!(rel(expm1::<true>(x), x.exp_m1()) < 4e-16, "expm1({x})");
        }
        assert!(rel(exp::<false>(-1e6), (-708.0f64).exp()) < 4e-16);
        assert!(exp::<false>(1e6).is_finite());
    }

    #[test]
    fn tanh_and_sigmoid_match_std() {
        for x in grid(-40.0, 40.0, 200_001).chain(grid(-1e-8, 1e-8, 1001)) {
            assert!(rel(tanh::<false>(x), x.tanh()) < 6e-16, "tanh({x})");
            assert!(rel(tanh::<true>(x), x.tanh()) < 6e-16, "tanh({x})");
            let s = 1.0 / (1.0 + (-x).exp());
            assert!(rel(sigmoid::<false>(x), s) < 6e-16, "sigmoid({x})");
        }
        assert_eq!(tanh::<false>(1e6), 1.0);
        assert_eq!(tanh::<false>(-1e6), -1.0);
        assert!(tanh::<true>(f64::NAN).is_nan());
        assert_eq!(tanh::<true>(-0.0).to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn ln_matches_std_on_unit_interval_and_beyond() {
        for i in 0..200_000u64 {
            let u = (i as f64 * 21474.83648 + 0.5) / 4294967296.0;
            assert!(rel(ln_positive::<false>(u), u.ln()) < 1e-15, "ln({u})");
            assert!(rel(ln_positive::<true>(u), u.ln()) < 1e-15, "ln({u})");
        }
        for x in [1e-300, 1e-10, 0.5, 1.0, 2.0, 1e10, 1e300] {
            assert!(rel(ln_positive::<false>(x), x.ln()) < 3e-16 || x == 1.0);
        }
        assert_eq!(ln_positive::<false>(1.0), 0.0);
    }

    /// Error in units of the last place of the reference.
    fn ulps(a: f64, b: f64) -> f64 {
        let b_abs = b.abs();
        (a - b).abs() / (f64::from_bits(b_abs.to_bits() + 1) - b_abs)
    }

    #[test]
    fn ln_and_tanh_max_errors_in_ulps() {
        let (mut ln_f, mut ln_t, mut th_f, mut th_t) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        // The Box–Muller inputs (w + 1/2) 2^-32, then a log-spaced sweep of 2^-1022..2^1023.
        let us = (0..1_000_000u64).map(|i| (i as f64 * 4294.967296 + 0.5) / 4294967296.0);
        let xs = (0..200_000).map(|i| 2f64.powf(-1022.0 + 2045.0 * i as f64 / 200_000.0));
        for x in us.chain(xs) {
            let want = x.ln();
            if want != 0.0 {
                ln_f = ln_f.max(ulps(ln_positive::<false>(x), want));
                ln_t = ln_t.max(ulps(ln_positive::<true>(x), want));
            }
        }
        for x in grid(-25.0, 25.0, 1_000_001).chain(grid(-1e-3, 1e-3, 100_001)) {
            let want = x.tanh();
            if want != 0.0 {
                th_f = th_f.max(ulps(tanh::<false>(x), want));
                th_t = th_t.max(ulps(tanh::<true>(x), want));
            }
        }
        // The division-based versions (before the FMA-only quotient in `ln_positive` and the
        // reduction of tanh to (1, 2] divisors) measured the same maxima on these grids.
        assert!(ln_f <= 3.0 && ln_t <= 3.0, "ln: {ln_f} / {ln_t} ulp");
        assert!(th_f <= 4.0 && th_t <= 4.0, "tanh: {th_f} / {th_t} ulp");
    }

    #[test]
    fn sincos_of_high_word_matches_std() {
        // A sweep of the circle, and the words on and next to the quadrant boundaries.
        let sweep = (0..400_000u64).map(|i| (i * 10_737) as u32);
        let edges = (0..4u32).flat_map(|q| {
            let b = q << 30;
            [b, b.wrapping_sub(1), b + 1, b | 0x2000_0000]
        });
        for w in sweep.chain(edges).chain([u32::MAX]) {
            let a = 2.0 * std::f64::consts::PI * (w as f64 / 4_294_967_296.0);
            // std's reference is itself off by up to 2π·ulp(t) from rounding the angle.
            // Bits below the word must not matter.
            let garbage = (w as u64) << 32 | 0xdead_beef;
            for (s, c) in [
                sincos_of_high_word::<false>((w as u64) << 32),
                sincos_of_high_word::<true>(garbage),
            ] {
                assert!((s - a.sin()).abs() < 1.5e-15, "sin at word {w:#x}");
                assert!((c - a.cos()).abs() < 1.5e-15, "cos at word {w:#x}");
            }
        }
    }
}
