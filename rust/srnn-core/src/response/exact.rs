//! Closed forms for linear networks (`a = identity`, linear readout, `A = Γ − W` positive
//! stable): `K1(τ) = R e^{−Aτ} C` (with `C + C_in` when the input also enters inside the
//! identity activation), `K2 = 0`, stationary mean `A⁻¹ b` and covariance from
//! `A Σ∞ + Σ∞ Aᵀ = Σ Σᵀ`. These are the ground truth of the test suite.

use ndarray::{Array1, Array2};

use super::linalg::{expm, lyapunov, solve};
use crate::model::{Activation, Noise, Srnn};
use crate::{Error, Result};

/// `A = Γ − W`, after checking the network is linear with a positive stable `A`.
fn linear_drift_matrix(model: &Srnn) -> Result<Array2<f64>> {
    if model.activation != Activation::Identity {
        return Err(Error::invalid(
            "method",
            format!(
                "'exact' needs a linear network (activation 'identity'), this one uses {:?}; \
                 use 'adjoint', 'fd' or 'girsanov'",
                model.activation
            ),
        ));
    }
    if model.readout.activation != Activation::Identity {
        return Err(Error::invalid(
            "method",
            "'exact' needs a linear readout (readout_activation 'identity')",
        ));
    }
    let a = model.gamma_matrix() - &model.w;
    if lyapunov(&a, &Array2::eye(model.n())).is_none() {
        return Err(Error::invalid(
            "model",
            "A = Γ − W is not positive stable (an eigenvalue has non-positive real part): \
             the linear network has no stationary law and its kernel does not decay",
        ));
    }
    Ok(a)
}

fn readout_matrix(model: &Srnn) -> Array2<f64> {
    model
        .readout
        .matrix
        .clone()
        .unwrap_or_else(|| Array2::eye(model.n()))
}

/// `K1` at `lags` (any non-negative times), `(L, p, m)` row-major.
pub fn exact_k1(model: &Srnn, lags: &[f64]) -> Result<Vec<f64>> {
    let a = linear_drift_matrix(model)?;
    if let Some(bad) = lags.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
        return Err(Error::invalid(
            "lags",
            format!("expected finite non-negative lags, got {bad}"),
        ));
    }
    let c = model
        .linear_input_matrix()
        .expect("a linear network's input enters linearly");
    let r = readout_matrix(model);
    let (p, m) = (r.nrows(), model.m());
    let mut out = Vec::with_capacity(lags.len() * p * m);
    let step = lags.get(1).copied().unwrap_or(0.0);
    let uniform = lags.first().is_none_or(|&t| t == 0.0)
        && lags
            .iter()
            .enumerate()
            .all(|(i, &t)| (t - i as f64 * step).abs() <= 1e-12 * t.max(1.0));
    if uniform {
        // One exponential, then a product per lag: e^{−A i τ} C = (e^{−A τ})^i C.
        let e = expm(&(&a * -step));
        let mut prop = c.clone();
        for _ in lags {
            out.extend(r.dot(&prop).iter());
            prop = e.dot(&prop);
        }
    } else {
        for &t in lags {
            out.extend(r.dot(&expm(&(&a * -t))).dot(&c).iter());
        }
    }
    Ok(out)
}

/// Stationary moments of a linear network.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactStationary {
    pub mean_state: Array1<f64>,
    pub cov_state: Array2<f64>,
    pub mean_readout: Array1<f64>,
    pub cov_readout: Array2<f64>,
}

/// Mean `A⁻¹ b` and covariance from `A Σ∞ + Σ∞ Aᵀ = Σ Σᵀ` (additive noise only: with
/// multiplicative noise the covariance equation is no longer a plain Lyapunov equation).
pub fn exact_stationary(model: &Srnn) -> Result<ExactStationary> {
    let a = linear_drift_matrix(model)?;
    let n = model.n();
    let b = model
        .b
        .clone()
        .into_shape_with_order((n, 1))
        .expect("b is (n,)");
    let mean = solve(&a, &b)
        .ok_or_else(|| Error::invalid("model", "A = Γ − W is singular"))?
        .into_shape_with_order(n)
        .expect("(n, 1)");
    let q = match &model.noise {
        Noise::Additive(s) => Array2::from_diag(&s.mapv(|v| v * v)),
        Noise::Full(s) => s.dot(&s.t()),
        Noise::Multiplicative { .. } => {
            return Err(Error::invalid(
                "method",
                "the exact stationary covariance is implemented for additive noise only",
            ))
        }
    };
    let cov = lyapunov(&a, &q).expect("A was checked positive stable");
    let r = readout_matrix(model);
    let mean_readout = r.dot(&mean) + &model.readout.bias;
    let cov_readout = r.dot(&cov).dot(&r.t());
    Ok(ExactStationary {
        mean_state: mean,
        cov_state: cov,
        mean_readout,
        cov_readout,
    })
}
