//! Branch-free elementary functions written so that LLVM vectorises loops that call them,
//! and the run-time choice of instruction set. Everything here is `#[inline(always)]`: the
//! kernels that call these are compiled once per SIMD level with `#[target_feature]`, and
//! only inlined code inherits those features.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimdLevel {
    Generic,
    Avx2,
    Avx512,
}

impl SimdLevel {
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Generic => "generic",
            SimdLevel::Avx2 => "avx2",
            SimdLevel::Avx512 => "avx512",
        }
    }
}

/// The widest instruction set this CPU supports among those we compile kernels for.
/// `SRNN_RS_SIMD=generic|avx2` caps it (useful to compare levels; results differ in the last
/// bits between levels because only AVX2/AVX-512 kernels use fused multiply-add).
pub fn simd_level() -> SimdLevel {
    use std::sync::OnceLock;
    static LEVEL: OnceLock<SimdLevel> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let detected = detect();
        match std::env::var("SRNN_RS_SIMD").as_deref() {
            Ok("generic") => SimdLevel::Generic,
            Ok("avx2") if detected != SimdLevel::Generic => SimdLevel::Avx2,
            _ => detected,
        }
    })
}

#[cfg(target_arch = "x86_64")]
fn detect() -> SimdLevel {
    if is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
    {
        SimdLevel::Avx512
    } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        SimdLevel::Avx2
    } else {
        SimdLevel::Generic
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> SimdLevel {
    SimdLevel::Generic
}

/// Calls `$body` (an expression generic over `const FMA: bool`) compiled for the best SIMD
/// level. `$name` names the per-level wrapper functions.
#[macro_export]
macro_rules! dispatch {
    (fn $name:ident($($arg:ident : $ty:ty),* $(,)?) -> $ret:ty $body:block) => {{
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
        unsafe fn avx512($($arg: $ty),*) -> $ret { const FMA: bool = true; $body }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2($($arg: $ty),*) -> $ret { const FMA: bool = true; $body }
        fn generic($($arg: $ty),*) -> $ret { const FMA: bool = false; $body }
        match $crate::vmath::simd_level() {
            // SAFETY: the level was detected on this CPU at run time.
            #[cfg(target_arch = "x86_64")]
            $crate::vmath::SimdLevel::Avx512 => unsafe { avx512($($arg),*) },
            #[cfg(target_arch = "x86_64")]
            $crate::vmath::SimdLevel::Avx2 => unsafe { avx2($($arg),*) },
            _ => generic($($arg),*),
        }
    }};
}

/// `a * b + c`, fused when the kernel is compiled for a level with FMA. Never call
/// `f64::mul_add` directly in kernels: without the `fma` feature it is a slow libm call.
#[inline(always)]
pub fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

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

/// `2^k` for an integer-valued `k` in `[-1022, 1023]`. Adding `2^52` puts `k + 1023` in the
/// low mantissa bits and the shift moves it into the exponent field: no float→int cast,
/// whose saturating semantics would turn every vector lane into scalar code.
#[inline(always)]
fn pow2(k: f64) -> f64 {
    f64::from_bits((k + (1023.0 + TWO_POW_52)).to_bits() << 52)
}

const TWO_POW_52: f64 = 4_503_599_627_370_496.0;

/// An unsigned integer below `2^52` as `f64`, exactly, by the same mantissa trick (vectorises
/// on every SIMD level, unlike `as f64` on `u64`).
#[inline(always)]
pub fn u52_to_f64(x: u64) -> f64 {
    f64::from_bits(TWO_POW_52.to_bits() | x) - TWO_POW_52
}

/// `exp(x) - 1` with full relative accuracy near zero; `x` is clamped to `[-708, 709]`, so
/// the result is finite (and ≥ -1).
#[inline(always)]
pub fn expm1<const FMA: bool>(x: f64) -> f64 {
    let x = x.clamp(-708.0, 709.0);
    let k = (x * std::f64::consts::LOG2_E).round_ties_even();
    let r = madd::<FMA>(-k, LN2_LO, madd::<FMA>(-k, LN2_HI, x));
    let p = r * horner::<FMA>(r, &EXPM1_OVER_X);
    let scale = pow2(k);
    madd::<FMA>(scale, p, scale - 1.0)
}

#[inline(always)]
pub fn exp<const FMA: bool>(x: f64) -> f64 {
    let x = x.clamp(-708.0, 709.0);
    let k = (x * std::f64::consts::LOG2_E).round_ties_even();
    let r = madd::<FMA>(-k, LN2_LO, madd::<FMA>(-k, LN2_HI, x));
    let p = madd::<FMA>(r, horner::<FMA>(r, &EXPM1_OVER_X), 1.0);
    pow2(k) * p
}

#[inline(always)]
pub fn tanh<const FMA: bool>(x: f64) -> f64 {
    let e = expm1::<FMA>(2.0 * x);
    e / (e + 2.0)
}

#[inline(always)]
pub fn sigmoid<const FMA: bool>(x: f64) -> f64 {
    1.0 / (1.0 + exp::<FMA>(-x))
}

/// `ln(x)` for positive normal `x` (the only inputs the normal generator produces).
#[inline(always)]
pub fn ln_positive<const FMA: bool>(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    // Centre the mantissa on 1 so that s = (m-1)/(m+1) stays below 0.172.
    let big = m > std::f64::consts::SQRT_2;
    m = if big { m * 0.5 } else { m };
    let e = u52_to_f64((bits >> 52) & 0x7ff) - 1023.0 + if big { 1.0 } else { 0.0 };
    let f = m - 1.0;
    let s = f / (2.0 + f);
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

/// `(sin(2π t), cos(2π t))` for `t ∈ [0, 1)`. The quadrant comes from `4t` exactly, so the
/// polynomial only ever sees angles in `[-π/4, π/4)`.
#[inline(always)]
pub fn sincos_turns<const FMA: bool>(t: f64) -> (f64, f64) {
    let q = (4.0 * t).floor();
    let psi = (4.0 * t - q - 0.5) * std::f64::consts::FRAC_PI_2;
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
    // Rotate by the quadrant centre a = (q + 1/2)π/2: cos a, sin a are ±√½.
    let h = std::f64::consts::FRAC_1_SQRT_2;
    let cos_a = if q == 1.0 || q == 2.0 { -h } else { h };
    let sin_a = if q >= 2.0 { -h } else { h };
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
            let s = 1.0 / (1.0 + (-x).exp());
            assert!(rel(sigmoid::<false>(x), s) < 6e-16, "sigmoid({x})");
        }
        assert_eq!(tanh::<false>(1e6), 1.0);
        assert_eq!(tanh::<false>(-1e6), -1.0);
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

    #[test]
    fn sincos_turns_matches_std() {
        for i in 0..400_000u64 {
            let t = i as f64 / 400_000.0;
            let (s, c) = sincos_turns::<false>(t);
            let a = 2.0 * std::f64::consts::PI * t;
            // std's reference is itself off by up to 2π·ulp(t) from rounding the angle.
            assert!((s - a.sin()).abs() < 1.5e-15, "sin at t={t}");
            assert!((c - a.cos()).abs() < 1.5e-15, "cos at t={t}");
            let (s2, c2) = sincos_turns::<true>(t);
            assert!((s2 - a.sin()).abs() < 1.5e-15 && (c2 - a.cos()).abs() < 1.5e-15);
        }
    }
}
