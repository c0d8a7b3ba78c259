//! The `f32` versions: same branch-free shapes as the `f64` functions of the parent module,
//! with polynomials of `f32` accuracy, so that loops over `f32` run 16 lanes a vector.

#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

#[inline(always)]
fn horner<const FMA: bool>(x: f32, coeffs: &[f32]) -> f32 {
    let mut acc = coeffs[coeffs.len() - 1];
    for &c in coeffs[..coeffs.len() - 1].iter().rev() {
        acc = madd::<FMA>(acc, x, c);
    }
    acc
}

// Cephes' split of ln 2: the high part has trailing zero bits so k·LN2_HI is exact.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const TWO_POW_23: f32 = 8_388_608.0;
/// Adding this to `y ∈ [-126, 127]` rounds it to an integer `k` and leaves `k + 127` in the
/// low mantissa bits, so the sum's bits shifted by 23 are `2^k` (as in the `f64` version).
const ROUND_POW2: f32 = TWO_POW_23 + 127.0;

/// 1/k! for k = 1..=7: `expm1(r) / r` to 2^-26 on `|r| ≤ ln 2 / 2`.
const EXPM1_OVER_X: [f32; 7] = [
    1.0,
    0.5,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
];

/// `x = k ln 2 + r`, `|r| ≤ ln 2 / 2`, as `(r, 2^k)`; `x` must lie in `[-87, 88]`.
#[inline(always)]
fn reduce_exp<const FMA: bool>(x: f32) -> (f32, f32) {
    let t = madd::<FMA>(x, std::f32::consts::LOG2_E, ROUND_POW2);
    let k = t - ROUND_POW2;
    let scale = f32::from_bits(t.to_bits() << 23);
    (madd::<FMA>(-k, LN2_LO, madd::<FMA>(-k, LN2_HI, x)), scale)
}

/// `exp(x)`, `x` clamped to `[-87, 88]` so the result is a finite normal number.
#[inline(always)]
pub fn exp<const FMA: bool>(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let (r, scale) = reduce_exp::<FMA>(x);
    scale * madd::<FMA>(r, horner::<FMA>(r, &EXPM1_OVER_X), 1.0)
}

/// tanh|x| = -e / (2 + e) with e = expm1(-2|x|), sign restored at the end; beyond
/// |x| = 9 tanh rounds to ±1 in `f32`.
#[inline(always)]
pub fn tanh<const FMA: bool>(x: f32) -> f32 {
    let ax = x.abs();
    // A comparison, not `f32::min`, so that NaN passes through.
    let ax = if ax > 9.0 { 9.0 } else { ax };
    let (r, scale) = reduce_exp::<FMA>(-2.0 * ax);
    let p = r * horner::<FMA>(r, &EXPM1_OVER_X);
    let e = madd::<FMA>(scale, p, scale - 1.0);
    (-e / (2.0 + e)).copysign(x)
}

#[inline(always)]
pub fn sigmoid<const FMA: bool>(x: f32) -> f32 {
    1.0 / (1.0 + exp::<FMA>(-x))
}

/// `-2 ln u` for the Box–Muller uniform `u = (word + 1/2) 2^-32` of a 32-bit word, with a
/// relative error of a few `f32` ulps for every word. Rounding `u` to `f32` first would
/// lose that near `u = 1`, where `ln u ≈ u − 1` is smaller than `u`'s rounding; there the
/// argument is taken as `1 − v` with `v = (!word + 1/2) 2^-32` exact to `f32` rounding.
#[inline(always)]
pub fn minus_two_ln_uniform<const FMA: bool>(word: u32) -> f32 {
    // Words from ⌈√½ 2^32⌉ on have u ≥ √½: ln u = ln(1 − v), v ≤ 0.293.
    const NEAR_ONE: u32 = 3_037_000_500;
    let near_one = word >= NEAR_ONE;
    let w = if near_one { !word } else { word };
    // (w + 1/2) 2^-32 in two exact 16-bit halves and one rounding.
    let hi = (w >> 16) as i32 as f32;
    let lo = (w & 0xffff) as i32 as f32;
    let x = madd::<FMA>(hi, 1.0 / 65_536.0, (lo + 0.5) * (1.0 / 4_294_967_296.0));
    // Below √½: x = 2^e m, m ∈ [√½, √2), as in the f64 logarithm (musl's reduction).
    const SQRT_HALF_BITS: u32 = 0x3f35_04f3;
    let t = x.to_bits().wrapping_add(1.0f32.to_bits() - SQRT_HALF_BITS);
    let e = ((t >> 23) as i32 - 127) as f32;
    let m = f32::from_bits((t & 0x007f_ffff) + SQRT_HALF_BITS);
    let (f, e) = if near_one { (-x, 0.0) } else { (m - 1.0, e) };
    let s = f / (2.0 + f);
    let z = s * s;
    // ln(1 + f) = 2 atanh(s) = s (2 + R(z)), FreeBSD's e_logf.c minimax R (Lg1..Lg4), error
    // below 2^-34 for |s| ≤ 0.1716.
    const C: [f32; 5] = [
        2.0,
        f32::from_bits(0x3f2a_aaaa),
        f32::from_bits(0x3ecc_ce13),
        f32::from_bits(0x3e91_e9ee),
        f32::from_bits(0x3e78_9e26),
    ];
    let ln_m = s * horner::<FMA>(z, &C);
    -2.0 * madd::<FMA>(e, LN2_HI, madd::<FMA>(e, LN2_LO, ln_m))
}

/// `(sin 2πt, cos 2πt)` at `t = word / 2^32`: the top two bits are the quadrant, the offset
/// from the quadrant's centre is an exact integer, converted once (as in the `f64` version).
#[inline(always)]
pub fn sincos_of_word<const FMA: bool>(word: u32) -> (f32, f32) {
    const SIGN: u32 = 1 << 31;
    let offset = (word & ((1 << 30) - 1)) as i32 - (1 << 29);
    let psi = offset as f32 * (std::f32::consts::FRAC_PI_2 / 1_073_741_824.0);
    let z = psi * psi;
    // Cephes' sinf and cosf minimax polynomials on [-π/4, π/4].
    const S: [f32; 4] = [1.0, -1.666_665_5e-1, 8.332_161e-3, -1.951_529_6e-4];
    const CC: [f32; 5] = [1.0, -0.5, 4.166_664_6e-2, -1.388_731_6e-3, 2.443_315_7e-5];
    let sin_psi = psi * horner::<FMA>(z, &S);
    let cos_psi = horner::<FMA>(z, &CC);
    let h = std::f32::consts::FRAC_1_SQRT_2.to_bits();
    let cos_a = f32::from_bits(h | ((word ^ (word << 1)) & SIGN));
    let sin_a = f32::from_bits(h | (word & SIGN));
    let sin = madd::<FMA>(sin_a, cos_psi, cos_a * sin_psi);
    let cos = madd::<FMA>(cos_a, cos_psi, -(sin_a * sin_psi));
    (sin, cos)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error in units of the last place of the `f32` reference.
    fn ulps(a: f32, b: f64) -> f64 {
        let r = b as f32;
        let ulp = (f32::from_bits(r.abs().to_bits() + 1) - r.abs()) as f64;
        (a as f64 - b).abs() / ulp
    }

    #[test]
    fn tanh_sigmoid_exp_within_a_few_ulps() {
        let (mut th, mut sg, mut ex) = (0.0f64, 0.0f64, 0.0f64);
        let grid = (0..=400_000).map(|i| -20.0 + 40.0 * i as f64 / 400_000.0);
        let tiny = (0..=10_000).map(|i| -1e-3 + 2e-3 * i as f64 / 10_000.0);
        for x in grid.chain(tiny) {
            let xf = x as f32;
            let x = xf as f64;
            for (got, want) in [(tanh::<false>(xf), x.tanh()), (tanh::<true>(xf), x.tanh())] {
                if want != 0.0 {
                    th = th.max(ulps(got, want));
                }
            }
            sg = sg.max(ulps(sigmoid::<true>(xf), 1.0 / (1.0 + (-x).exp())));
            if x.abs() < 80.0 {
                ex = ex.max(ulps(exp::<true>(xf), x.exp()));
            }
        }
        assert!(
            th <= 3.0 && sg <= 3.0 && ex <= 2.0,
            "tanh {th}, sigmoid {sg}, exp {ex}"
        );
        assert_eq!(tanh::<true>(30.0), 1.0);
        assert_eq!(tanh::<false>(-30.0), -1.0);
        assert!(tanh::<true>(f32::NAN).is_nan());
        assert_eq!(tanh::<true>(-0.0).to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn log_of_uniform_is_accurate_for_every_kind_of_word() {
        let mut worst = 0.0f64;
        let near = |c: u32| (0..2_000u32).map(move |i| c.wrapping_add(i).wrapping_sub(1_000));
        let words = (0..2_000_000u32)
            .map(|i| i.wrapping_mul(2_147))
            .chain(near(0))
            .chain(near(3_037_000_500))
            .chain(near(u32::MAX - 999))
            .chain([0, u32::MAX, 1 << 31]);
        for w in words {
            let want = -2.0 * ((w as f64 + 0.5) / 4_294_967_296.0).ln();
            for got in [
                minus_two_ln_uniform::<false>(w),
                minus_two_ln_uniform::<true>(w),
            ] {
                worst = worst.max((got as f64 - want).abs() / want);
            }
        }
        assert!(worst < 3.0 * f32::EPSILON as f64, "relative error {worst}");
    }

    #[test]
    fn sincos_of_word_within_an_f32_rounding_of_the_angle() {
        let mut worst = 0.0f64;
        let edges = (0..4u32).flat_map(|q| {
            let b = q << 30;
            [b, b.wrapping_sub(1), b + 1, b | 0x2000_0000]
        });
        for w in (0..1_000_000u32)
            .map(|i| i.wrapping_mul(4_295))
            .chain(edges)
        {
            let a = 2.0 * std::f64::consts::PI * (w as f64 / 4_294_967_296.0);
            for (s, c) in [sincos_of_word::<false>(w), sincos_of_word::<true>(w)] {
                worst = worst.max((s as f64 - a.sin()).abs());
                worst = worst.max((c as f64 - a.cos()).abs());
            }
        }
        assert!(worst < 2.0 * f32::EPSILON as f64, "{worst}");
    }
}
