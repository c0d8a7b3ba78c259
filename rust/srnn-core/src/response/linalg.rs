//! Small dense linear algebra for the closed forms (n ≤ a few hundred): LU solves, the
//! matrix exponential, the Lyapunov equation and a pseudo-inverse. No LAPACK, on purpose:
//! the wheel stays self-contained and these sizes never dominate a run.

use ndarray::{Array1, Array2, Axis};

fn norm1(a: &Array2<f64>) -> f64 {
    a.axis_iter(Axis(1))
        .map(|col| col.iter().map(|v| v.abs()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// Solves `A X = B` by LU with partial pivoting; `None` when `A` is (numerically) singular.
pub fn solve(a: &Array2<f64>, b: &Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let mut lu = a.clone();
    let mut x = b.clone();
    let scale = norm1(a).max(f64::MIN_POSITIVE);
    for k in 0..n {
        let pivot = (k..n).max_by(|&i, &j| lu[[i, k]].abs().total_cmp(&lu[[j, k]].abs()))?;
        if lu[[pivot, k]].abs() <= 1e-14 * scale {
            return None;
        }
        if pivot != k {
            for j in 0..n {
                lu.swap([k, j], [pivot, j]);
            }
            for j in 0..x.ncols() {
                x.swap([k, j], [pivot, j]);
            }
        }
        for i in k + 1..n {
            let f = lu[[i, k]] / lu[[k, k]];
            if f == 0.0 {
                continue;
            }
            for j in k..n {
                lu[[i, j]] -= f * lu[[k, j]];
            }
            for j in 0..x.ncols() {
                x[[i, j]] -= f * x[[k, j]];
            }
        }
    }
    for k in (0..n).rev() {
        for j in 0..x.ncols() {
            let mut v = x[[k, j]];
            for i in k + 1..n {
                v -= lu[[k, i]] * x[[i, j]];
            }
            x[[k, j]] = v / lu[[k, k]];
        }
    }
    Some(x)
}

/// `e^A` by scaling and squaring with a degree-18 Taylor polynomial on `‖A‖₁ ≤ 1/2`
/// (truncation below 1e-22 relative), accurate to a few ulps times the squarings.
pub fn expm(a: &Array2<f64>) -> Array2<f64> {
    let n = a.nrows();
    let norm = norm1(a);
    let squarings = if norm > 0.5 {
        (norm / 0.5).log2().ceil() as i32
    } else {
        0
    };
    let scaled = a / 2f64.powi(squarings);
    let mut result = Array2::<f64>::eye(n);
    let mut term = Array2::<f64>::eye(n);
    for k in 1..=18 {
        term = term.dot(&scaled) / k as f64;
        result += &term;
    }
    for _ in 0..squarings {
        result = result.dot(&result);
    }
    result
}

/// Solves `A X + X Aᵀ = Q` for positive stable `A` as `X = ∫₀^∞ e^{−At} Q e^{−Aᵀt} dt`: the
/// integral over a short `τ` by Van Loan's block exponential, then Smith doubling
/// `X ← X + E X Eᵀ, E ← E²` with `E = e^{−Aτ}`. `None` when `A` is not positive stable
/// (the doubling does not contract).
pub fn lyapunov(a: &Array2<f64>, q: &Array2<f64>) -> Option<Array2<f64>> {
    let n = a.nrows();
    let tau = 1.0 / norm1(a).max(1e-300);
    let mut m = Array2::<f64>::zeros((2 * n, 2 * n));
    for i in 0..n {
        for j in 0..n {
            m[[i, j]] = -a[[i, j]] * tau;
            m[[i, n + j]] = q[[i, j]] * tau;
            m[[n + i, n + j]] = a[[j, i]] * tau;
        }
    }
    let f = expm(&m);
    let mut e = f.slice(ndarray::s![..n, ..n]).to_owned();
    let f12 = f.slice(ndarray::s![..n, n..]).to_owned();
    let mut x = f12.dot(&e.t());
    for _ in 0..200 {
        let add = e.dot(&x).dot(&e.t());
        x += &add;
        e = e.dot(&e);
        let en = norm1(&e);
        if !en.is_finite() || en > 1e12 {
            return None;
        }
        if en < 1e-30 {
            // Symmetrise: the doubling keeps X symmetric only up to rounding.
            let xt = x.t().to_owned();
            return Some((&x + &xt) * 0.5);
        }
    }
    None
}

/// Cyclic Jacobi eigen-decomposition of a symmetric matrix: `(eigenvalues, V)` with
/// `S = V diag(λ) Vᵀ`.
fn symmetric_eigen(s: &Array2<f64>) -> (Array1<f64>, Array2<f64>) {
    let n = s.nrows();
    let mut a = s.clone();
    let mut v = Array2::<f64>::eye(n);
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[[i, j]] * a[[i, j]])
            .sum();
        let total: f64 = a.iter().map(|x| x * x).sum();
        if off <= 1e-30 * total.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[[p, q]] == 0.0 {
                    continue;
                }
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * a[[p, q]]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s_ = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[[k, p]], a[[k, q]]);
                    a[[k, p]] = c * akp - s_ * akq;
                    a[[k, q]] = s_ * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[[p, k]], a[[q, k]]);
                    a[[p, k]] = c * apk - s_ * aqk;
                    a[[q, k]] = s_ * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
                    v[[k, p]] = c * vkp - s_ * vkq;
                    v[[k, q]] = s_ * vkp + c * vkq;
                }
            }
        }
    }
    (a.diag().to_owned(), v)
}

/// Minimum-norm least-squares solution `φ` of `S φ = c` for each column of `c`, and the
/// largest relative residual `‖S φ − c‖ / ‖c‖` (zero when every column lies in range(S)).
pub fn min_norm_solve(s: &Array2<f64>, c: &Array2<f64>) -> (Array2<f64>, f64) {
    let sts = s.t().dot(s);
    let (lambda, v) = symmetric_eigen(&sts);
    let top = lambda.iter().cloned().fold(0.0, f64::max);
    let inv = lambda.mapv(|l| if l > 1e-12 * top { 1.0 / l } else { 0.0 });
    let pinv = v.dot(&Array2::from_diag(&inv)).dot(&v.t()).dot(&s.t());
    let phi = pinv.dot(c);
    let resid = s.dot(&phi) - c;
    let mut worst: f64 = 0.0;
    for (r, col) in resid.axis_iter(Axis(1)).zip(c.axis_iter(Axis(1))) {
        let rn = r.iter().map(|x| x * x).sum::<f64>().sqrt();
        let cn = col.iter().map(|x| x * x).sum::<f64>().sqrt();
        if cn > 0.0 {
            worst = worst.max(rn / cn);
        }
    }
    (phi, worst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn max_abs(a: &Array2<f64>) -> f64 {
        a.iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    #[test]
    fn expm_of_rotation_and_diagonal() {
        let t = 2.5;
        let e = expm(&array![[0.0, -t], [t, 0.0]]);
        let want = array![[t.cos(), -t.sin()], [t.sin(), t.cos()]];
        assert!(max_abs(&(&e - &want)) < 1e-13);
        let d = expm(&array![[-3.0, 0.0], [0.0, 7.0]]);
        assert!((d[[0, 0]] - (-3f64).exp()).abs() < 1e-15);
        assert!((d[[1, 1]] / 7f64.exp() - 1.0).abs() < 1e-13);
    }

    #[test]
    fn solve_and_lyapunov_satisfy_their_equations() {
        let a = array![[2.0, 1.0, 0.3], [-0.5, 1.5, 0.2], [0.1, -0.4, 1.0]];
        let b = array![[1.0], [2.0], [3.0]];
        let x = solve(&a, &b).unwrap();
        assert!(max_abs(&(a.dot(&x) - &b)) < 1e-13);
        let q = array![[1.0, 0.2, 0.0], [0.2, 0.5, 0.1], [0.0, 0.1, 2.0]];
        let s = lyapunov(&a, &q).unwrap();
        let resid = a.dot(&s) + s.dot(&a.t()) - &q;
        assert!(max_abs(&resid) < 1e-12, "{resid}");
        assert!(lyapunov(&(-&a), &q).is_none());
        assert!(solve(
            &array![[1.0, 2.0], [2.0, 4.0]],
            &b.slice(ndarray::s![..2, ..]).to_owned()
        )
        .is_none());
    }

    #[test]
    fn min_norm_solve_detects_range() {
        let s = array![[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]];
        let (phi, r) = min_norm_solve(&s, &array![[1.0], [1.0], [0.0]]);
        assert!(r < 1e-12);
        assert!((phi[[0, 0]] - 1.0).abs() < 1e-12 && (phi[[1, 0]] - 0.5).abs() < 1e-12);
        let (_, r) = min_norm_solve(&s, &array![[0.0], [0.0], [1.0]]);
        assert!(r > 0.5);
    }
}
