use crate::vmath;
use crate::Error;

/// Elementwise activation with its first two derivatives (the response estimators need
/// `a′` for the adjoint sweep and `a″` for second-order kernels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    Tanh,
    Relu,
    Sigmoid,
    Softplus,
    Identity,
    /// `x²`, as a readout only: a quadratic readout of a linear network has closed-form
    /// kernels of both orders.
    Square,
}

impl Activation {
    pub const NAMES: [&'static str; 6] =
        ["tanh", "relu", "sigmoid", "softplus", "identity", "square"];

    pub fn parse(arg: &'static str, name: &str) -> crate::Result<Self> {
        Ok(match name {
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            "sigmoid" => Activation::Sigmoid,
            "softplus" => Activation::Softplus,
            "identity" | "linear" => Activation::Identity,
            // Its slope cannot be read back from its value (the simulator's `a′` from `a`), and
            // a network squaring its own state has no stationary law to speak of.
            "square" if arg == "activation" => {
                return Err(Error::invalid(
                    arg,
                    "'square' is a readout activation only (readout_activation='square')",
                ))
            }
            "square" => Activation::Square,
            other => {
                return Err(Error::invalid(
                    arg,
                    format!(
                        "unknown activation {other:?}; expected one of {:?}",
                        Self::NAMES
                    ),
                ))
            }
        })
    }

    #[inline(always)]
    pub fn value<const FMA: bool>(self, x: f64) -> f64 {
        match self {
            Activation::Tanh => vmath::tanh::<FMA>(x),
            Activation::Relu => x.max(0.0),
            Activation::Sigmoid => vmath::sigmoid::<FMA>(x),
            // max(x, 0) + log1p(exp(-|x|)) never overflows.
            Activation::Softplus => x.max(0.0) + (-x.abs()).exp().ln_1p(),
            Activation::Identity => x,
            Activation::Square => x * x,
        }
    }

    #[inline(always)]
    pub fn first_derivative<const FMA: bool>(self, x: f64) -> f64 {
        match self {
            Activation::Tanh => {
                let t = vmath::tanh::<FMA>(x);
                1.0 - t * t
            }
            Activation::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Sigmoid => {
                let s = vmath::sigmoid::<FMA>(x);
                s * (1.0 - s)
            }
            Activation::Softplus => vmath::sigmoid::<FMA>(x),
            Activation::Identity => 1.0,
            Activation::Square => 2.0 * x,
        }
    }

    #[inline(always)]
    pub fn second_derivative<const FMA: bool>(self, x: f64) -> f64 {
        match self {
            Activation::Tanh => {
                let t = vmath::tanh::<FMA>(x);
                -2.0 * t * (1.0 - t * t)
            }
            Activation::Relu | Activation::Identity => 0.0,
            Activation::Square => 2.0,
            Activation::Sigmoid => {
                let s = vmath::sigmoid::<FMA>(x);
                s * (1.0 - s) * (1.0 - 2.0 * s)
            }
            Activation::Softplus => {
                let s = vmath::sigmoid::<FMA>(x);
                s * (1.0 - s)
            }
        }
    }

    /// Applies the activation in place. The `match` sits outside the loops so each arm
    /// vectorises on its own; plain `for` loops (not `for_each` closures) so the body is
    /// inlined into the caller's `#[target_feature]` kernel.
    #[inline(always)]
    pub fn apply_slice<R: crate::simd::Real, const FMA: bool>(self, xs: &mut [R]) {
        if let Some(xs) = R::as_f32s_mut(xs) {
            return self.apply_slice_f32::<FMA>(xs);
        }
        match self {
            Activation::Identity => {}
            Activation::Relu => {
                for x in xs.iter_mut() {
                    *x = R::from_f64(x.to_f64().max(0.0));
                }
            }
            Activation::Tanh => {
                // Several vectors side by side: each tanh is a long dependency chain (the
                // expm1 polynomial, then a division), and independent chains interleaved
                // keep the FMA ports busy where one chain at a time leaves them waiting.
                const K: usize = 32;
                let mut chunks = xs.chunks_exact_mut(K);
                for chunk in &mut chunks {
                    let mut v = [0.0f64; K];
                    for l in 0..K {
                        v[l] = chunk[l].to_f64();
                    }
                    for x in v.iter_mut() {
                        *x = vmath::tanh::<FMA>(*x);
                    }
                    for l in 0..K {
                        chunk[l] = R::from_f64(v[l]);
                    }
                }
                for x in chunks.into_remainder() {
                    *x = R::from_f64(vmath::tanh::<FMA>(x.to_f64()));
                }
            }
            Activation::Sigmoid => {
                for x in xs.iter_mut() {
                    *x = R::from_f64(vmath::sigmoid::<FMA>(x.to_f64()));
                }
            }
            Activation::Softplus => {
                for x in xs.iter_mut() {
                    *x = R::from_f64(self.value::<FMA>(x.to_f64()));
                }
            }
            Activation::Square => {
                for x in xs.iter_mut() {
                    *x = *x * *x;
                }
            }
        }
    }

    /// [`Self::apply_slice`] in `f32` arithmetic where the `f32` functions exist (tanh and
    /// sigmoid, 16 lanes a vector), through `f64` otherwise.
    #[inline(always)]
    fn apply_slice_f32<const FMA: bool>(self, xs: &mut [f32]) {
        match self {
            Activation::Tanh => {
                for x in xs.iter_mut() {
                    *x = vmath::single::tanh::<FMA>(*x);
                }
            }
            Activation::Sigmoid => {
                for x in xs.iter_mut() {
                    *x = vmath::single::sigmoid::<FMA>(*x);
                }
            }
            Activation::Relu => {
                for x in xs.iter_mut() {
                    *x = x.max(0.0);
                }
            }
            Activation::Identity => {}
            Activation::Softplus => {
                for x in xs.iter_mut() {
                    *x = self.value::<FMA>(*x as f64) as f32;
                }
            }
            Activation::Square => {
                for x in xs.iter_mut() {
                    *x *= *x;
                }
            }
        }
    }

    /// `a′(x)` from `a = a(x)` alone, into `out`: the simulator has the activated values at
    /// hand, and recomputing the activation would cost as much again. Equal to
    /// `first_derivative(x)` (bit for bit for tanh, sigmoid, relu and identity).
    #[inline(always)]
    pub fn slopes_from_values<R: crate::simd::Real>(self, values: &[R], out: &mut [R]) {
        match self {
            Activation::Identity => out.fill(R::from_f64(1.0)),
            Activation::Relu => {
                for (o, &a) in out.iter_mut().zip(values) {
                    *o = R::from_f64(if a.to_f64() > 0.0 { 1.0 } else { 0.0 });
                }
            }
            Activation::Tanh => {
                for (o, &a) in out.iter_mut().zip(values) {
                    let t = a.to_f64();
                    *o = R::from_f64(1.0 - t * t);
                }
            }
            Activation::Sigmoid => {
                for (o, &a) in out.iter_mut().zip(values) {
                    let s = a.to_f64();
                    *o = R::from_f64(s * (1.0 - s));
                }
            }
            // a = ln(1 + eˣ) gives e^(−a) = 1 − σ(x).
            Activation::Softplus => {
                for (o, &a) in out.iter_mut().zip(values) {
                    *o = R::from_f64(-(-a.to_f64()).exp_m1());
                }
            }
            // `parse` refuses it as the network's activation, the only one whose slopes the
            // simulator records.
            Activation::Square => unreachable!("'square' is a readout activation only"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Activation; 6] = [
        Activation::Square,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Softplus,
        Activation::Identity,
        Activation::Relu,
    ];

    #[test]
    fn derivatives_match_finite_differences() {
        let h = 1e-5;
        for act in ALL {
            for &x in &[-3.0, -0.7, 0.3, 1.1, 4.0] {
                let d1 = (act.value::<false>(x + h) - act.value::<false>(x - h)) / (2.0 * h);
                let d2 = (act.first_derivative::<false>(x + h)
                    - act.first_derivative::<false>(x - h))
                    / (2.0 * h);
                assert!(
                    (d1 - act.first_derivative::<false>(x)).abs() < 1e-8,
                    "{act:?} a' at {x}"
                );
                assert!(
                    (d2 - act.second_derivative::<false>(x)).abs() < 1e-8,
                    "{act:?} a'' at {x}"
                );
            }
        }
        for act in ALL.into_iter().filter(|&a| a != Activation::Square) {
            let xs = [-30.0, -3.0, -0.7, 0.0, 0.3, 1.1, 4.0, 30.0];
            let values: Vec<f64> = xs.iter().map(|&x| act.value::<false>(x)).collect();
            let mut slopes = [f64::NAN; 8];
            act.slopes_from_values(&values, &mut slopes);
            for (&x, &s) in xs.iter().zip(&slopes) {
                let want = act.first_derivative::<false>(x);
                if act == Activation::Softplus {
                    assert!(
                        (s - want).abs() <= 4e-16 * want,
                        "{act:?} at {x}: {s} vs {want}"
                    );
                } else {
                    assert_eq!(s, want, "{act:?} at {x}");
                }
            }
        }
        assert_eq!(Activation::Softplus.value::<false>(800.0), 800.0);
        assert_eq!(Activation::Softplus.value::<false>(-800.0), 0.0);
    }

    #[test]
    fn square_is_a_readout_activation_only() {
        assert!(Activation::parse("activation", "square").is_err());
        assert_eq!(
            Activation::parse("readout_activation", "square").unwrap(),
            Activation::Square
        );
    }
}
