//! The run-time choice of instruction set, shared by every kernel: the level this CPU
//! supports, the [`crate::dispatch!`] macro that compiles a kernel once per level, the
//! fused-or-not multiply-add and the [`Real`] number types kernels are generic over.

mod real;

pub use real::Real;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Generic,
    Avx2,
    Avx512,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Generic => "generic",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }
}

/// The widest instruction set this CPU supports among those we compile kernels for.
/// `SRNN_RS_SIMD=generic|avx2` caps it (useful to compare levels; results differ in the last
/// bits between levels because only AVX2/AVX-512 kernels use fused multiply-add).
pub fn level() -> Level {
    use std::sync::OnceLock;
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let detected = detect();
        match std::env::var("SRNN_RS_SIMD").as_deref() {
            Ok("generic") => Level::Generic,
            Ok("avx2") if detected != Level::Generic => Level::Avx2,
            _ => detected,
        }
    })
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Level {
    if is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("fma")
    {
        Level::Avx512
    } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        Level::Avx2
    } else {
        Level::Generic
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Level {
    Level::Generic
}

/// Calls `$body` compiled for the best SIMD level of this CPU. In `$body`, `FMA` (AVX2 and
/// AVX-512) and `WIDE` (AVX-512 only) are `const bool`s, so level-specific code is chosen at
/// compile time. `$name` says what the kernel does; generic parameters are
/// declared in the first bracket and passed in the second:
/// `dispatch!(fn run[R: Real, const G: usize][R, G](x: &[R]) -> () { ... })`. Attributes
/// before `fn` go to every wrapper.
#[macro_export]
macro_rules! dispatch {
    ($(#[$attr:meta])* fn $name:ident($($arg:ident : $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        $crate::dispatch!($(#[$attr])* fn $name[][]($($arg: $ty),*) -> $ret $body)
    };
    (
        $(#[$attr:meta])*
        fn $name:ident[$($param:tt)*][$($given:tt)*]($($arg:ident : $ty:ty),* $(,)?)
        -> $ret:ty $body:block
    ) => {{
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
        $(#[$attr])*
        unsafe fn avx512<$($param)*>($($arg: $ty),*) -> $ret {
            const FMA: bool = true;
            #[allow(dead_code)]
            const WIDE: bool = true;
            $body
        }
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        $(#[$attr])*
        unsafe fn avx2<$($param)*>($($arg: $ty),*) -> $ret {
            const FMA: bool = true;
            #[allow(dead_code)]
            const WIDE: bool = false;
            $body
        }
        $(#[$attr])*
        fn generic<$($param)*>($($arg: $ty),*) -> $ret {
            #[allow(dead_code)]
            const FMA: bool = false;
            #[allow(dead_code)]
            const WIDE: bool = false;
            $body
        }
        match $crate::simd::level() {
            // SAFETY: the level was detected on this CPU at run time.
            #[cfg(target_arch = "x86_64")]
            $crate::simd::Level::Avx512 => unsafe { avx512::<$($given)*>($($arg),*) },
            #[cfg(target_arch = "x86_64")]
            $crate::simd::Level::Avx2 => unsafe { avx2::<$($given)*>($($arg),*) },
            _ => generic::<$($given)*>($($arg),*),
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
