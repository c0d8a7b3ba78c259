use std::fmt::Debug;
use std::ops::{Add, Mul, Neg, Sub};

/// The floating-point types a simulation can run in. `f32` runs compute everything in `f32`
/// (the product, tanh and sigmoid, and the normals: Box–Muller of the same random words as
/// `f64`, so `f32` and `f64` runs of one seed share their noise up to `f32` rounding).
pub trait Real:
    Copy
    + Send
    + Sync
    + Default
    + Debug
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + 'static
{
    const ZERO: Self;
    const ONE: Self;
    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn is_finite(self) -> bool;
    /// Non-zero exactly when the value is infinite or NaN; integer-valued so that an OR over a
    /// slice vectorises (a `bool` reduction of `is_finite` does not).
    fn nonfinite_bits(self) -> u64;
    fn madd<const FMA: bool>(a: Self, b: Self, c: Self) -> Self;
    /// `0` for finite values and NaN otherwise; summed over a row it flags any non-finite
    /// entry in two vector operations (one here, one add) instead of a mask round trip.
    #[inline(always)]
    #[allow(clippy::eq_op)]
    fn zero_if_finite(self) -> Self {
        self - self
    }
    /// The slice as `f64`s when `Self` is `f64`: lets kernels take a hand-vectorised path
    /// for that type without `unsafe` casts.
    #[inline(always)]
    fn as_f64s(_: &[Self]) -> Option<&[f64]> {
        None
    }
    #[inline(always)]
    fn as_f64s_mut(_: &mut [Self]) -> Option<&mut [f64]> {
        None
    }
    /// The same for `f32`.
    #[inline(always)]
    fn as_f32s(_: &[Self]) -> Option<&[f32]> {
        None
    }
    #[inline(always)]
    fn as_f32s_mut(_: &mut [Self]) -> Option<&mut [f32]> {
        None
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    #[inline(always)]
    fn nonfinite_bits(self) -> u64 {
        const EXP: u64 = 0x7ff0_0000_0000_0000;
        ((self.to_bits() & EXP) == EXP) as u64
    }
    #[inline(always)]
    fn madd<const FMA: bool>(a: Self, b: Self, c: Self) -> Self {
        super::madd::<FMA>(a, b, c)
    }
    #[inline(always)]
    fn as_f64s(v: &[Self]) -> Option<&[f64]> {
        Some(v)
    }
    #[inline(always)]
    fn as_f64s_mut(v: &mut [Self]) -> Option<&mut [f64]> {
        Some(v)
    }
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    #[inline(always)]
    fn nonfinite_bits(self) -> u64 {
        const EXP: u32 = 0x7f80_0000;
        ((self.to_bits() & EXP) == EXP) as u64
    }
    #[inline(always)]
    fn madd<const FMA: bool>(a: Self, b: Self, c: Self) -> Self {
        if FMA {
            a.mul_add(b, c)
        } else {
            a * b + c
        }
    }
    #[inline(always)]
    fn as_f32s(v: &[Self]) -> Option<&[f32]> {
        Some(v)
    }
    #[inline(always)]
    fn as_f32s_mut(v: &mut [Self]) -> Option<&mut [f32]> {
        Some(v)
    }
}
