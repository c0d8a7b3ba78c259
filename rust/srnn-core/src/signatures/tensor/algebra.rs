//! Products, exponential, logarithm and inverse of truncated tensors.

use super::Layout;
use crate::simd::madd;
use crate::{Error, Result};

/// `out = a ⊗ b` (truncated). Levels of `a` below `min_a` and of `b` below `min_b` are
/// taken as zero, which halves the work of power series.
#[inline(always)]
fn mul_into_impl<const FMA: bool>(
    lay: &Layout,
    a: &[f64],
    b: &[f64],
    out: &mut [f64],
    min_a: usize,
    min_b: usize,
) {
    out.fill(0.0);
    for k in (min_a + min_b)..=lay.depth {
        let (lo, hi) = (lay.off[k], lay.off[k + 1]);
        let ok = &mut out[lo..hi];
        for j in min_a..=(k - min_b) {
            let aj = lay.level(a, j);
            let bk = lay.level(b, k - j);
            let nb = bk.len();
            for (x, &av) in aj.iter().enumerate() {
                if av == 0.0 {
                    continue;
                }
                for (o, &bv) in ok[x * nb..(x + 1) * nb].iter_mut().zip(bk) {
                    *o = madd::<FMA>(av, bv, *o);
                }
            }
        }
    }
}

pub fn mul_into(lay: &Layout, a: &[f64], b: &[f64], out: &mut [f64]) {
    mul_into_min(lay, a, b, out, 0, 0)
}

fn mul_into_min(lay: &Layout, a: &[f64], b: &[f64], out: &mut [f64], min_a: usize, min_b: usize) {
    crate::dispatch!(
        fn run(
            lay: &Layout,
            a: &[f64],
            b: &[f64],
            out: &mut [f64],
            min_a: usize,
            min_b: usize,
        ) -> () {
            mul_into_impl::<FMA>(lay, a, b, out, min_a, min_b)
        }
    )
}

pub fn mul(lay: &Layout, a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; lay.full_len()];
    mul_into(lay, a, b, &mut out);
    out
}

/// Powers of `a` (zero scalar) accumulated as `Σ_{n=1}^{N} coef(n) a^n`.
fn power_series(lay: &Layout, a: &[f64], coef: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut acc = vec![0.0; lay.full_len()];
    let mut p = a.to_vec();
    p[0] = 0.0;
    let mut next = vec![0.0; lay.full_len()];
    for n in 1..=lay.depth {
        if n > 1 {
            mul_into_min(lay, &p, a, &mut next, n - 1, 1);
            std::mem::swap(&mut p, &mut next);
        }
        let c = coef(n);
        let from = lay.off[n];
        for (o, &v) in acc[from..].iter_mut().zip(&p[from..]) {
            *o += c * v;
        }
    }
    acc
}

/// `exp(x)` of a full-layout tensor: `e^{x_0} exp(x - x_0)`.
pub fn exp(lay: &Layout, x: &[f64]) -> Vec<f64> {
    let s = x[0];
    let mut a = x.to_vec();
    a[0] = 0.0;
    let mut fact = 1.0;
    let mut facts = vec![1.0; lay.depth + 1];
    for (n, f) in facts.iter_mut().enumerate().skip(1) {
        fact *= n as f64;
        *f = fact;
    }
    let mut out = power_series(lay, &a, |n| 1.0 / facts[n]);
    out[0] = 1.0;
    if s != 0.0 {
        let e = s.exp();
        out.iter_mut().for_each(|v| *v *= e);
    }
    out
}

/// `log(x)` for `x_0 > 0`: `ln x_0 + log(1 + (x - x_0)/x_0)`. `None` when `x_0 <= 0`.
pub fn log(lay: &Layout, x: &[f64]) -> Option<Vec<f64>> {
    let s = x[0];
    if s.is_nan() || s <= 0.0 {
        return None;
    }
    // Signatures have `s = 1`, where the division changes nothing.
    let mut a: Vec<f64> = if s == 1.0 {
        x.to_vec()
    } else {
        x.iter().map(|v| v / s).collect()
    };
    a[0] = 0.0;
    let mut out = power_series(lay, &a, |n| {
        if n % 2 == 1 {
            1.0 / n as f64
        } else {
            -1.0 / n as f64
        }
    });
    out[0] = s.ln();
    Some(out)
}

/// Accumulates the vector-Jacobian product of `c = a ⊗ b`: `abar += ∂<cbar, c>/∂a` and
/// `bbar += ∂<cbar, c>/∂b`.
fn mul_vjp(lay: &Layout, a: &[f64], b: &[f64], cbar: &[f64], abar: &mut [f64], bbar: &mut [f64]) {
    for k in 0..=lay.depth {
        let ck = lay.level(cbar, k);
        for j in 0..=k {
            let (oa, ob) = (lay.off[j], lay.off[k - j]);
            let nb = lay.pow[k - j];
            for x in 0..lay.pow[j] {
                let row = &ck[x * nb..(x + 1) * nb];
                let av = a[oa + x];
                let mut acc = 0.0;
                for (y, &cv) in row.iter().enumerate() {
                    acc += cv * b[ob + y];
                    bbar[ob + y] += av * cv;
                }
                abar[oa + x] += acc;
            }
        }
    }
}

/// Vector-Jacobian product of [`log`]: the gradient of `<lbar, log(x)>` with respect to `x`,
/// for `x_0 > 0` (`None` otherwise).
pub fn log_vjp(lay: &Layout, x: &[f64], lbar: &[f64]) -> Option<Vec<f64>> {
    let s = x[0];
    if s.is_nan() || s <= 0.0 {
        return None;
    }
    let full = lay.full_len();
    let mut a: Vec<f64> = x.iter().map(|v| v / s).collect();
    a[0] = 0.0;
    // The powers a, a², …, a^depth, kept for the backward pass.
    let mut powers: Vec<Vec<f64>> = vec![a.clone()];
    for n in 2..=lay.depth {
        let mut next = vec![0.0; full];
        mul_into_min(lay, &powers[n - 2], &a, &mut next, n - 1, 1);
        powers.push(next);
    }
    let mut abar = vec![0.0; full];
    let mut pbar = vec![0.0; full];
    for n in (1..=lay.depth).rev() {
        let c = if n % 2 == 1 { 1.0 } else { -1.0 } / n as f64;
        let from = lay.off[n];
        for (p, &l) in pbar[from..].iter_mut().zip(&lbar[from..]) {
            *p += c * l;
        }
        if n == 1 {
            for (o, &p) in abar.iter_mut().zip(&pbar) {
                *o += p;
            }
        } else {
            let mut prev_bar = vec![0.0; full];
            mul_vjp(lay, &powers[n - 2], &a, &pbar, &mut prev_bar, &mut abar);
            pbar = prev_bar;
        }
    }
    // `a = x / s` off level 0, and level 0 of `log x` is `ln s`.
    let mut out: Vec<f64> = abar.iter().map(|v| v / s).collect();
    let through_a: f64 = abar[1..].iter().zip(&x[1..]).map(|(g, v)| g * v).sum();
    out[0] = lbar[0] / s - through_a / (s * s);
    Some(out)
}

/// The multiplicative inverse `x^{-1}` for `x_0 != 0`: `x_0^{-1} Σ_n (-(x - x_0)/x_0)^n`.
pub fn inverse(lay: &Layout, x: &[f64]) -> Option<Vec<f64>> {
    let s = x[0];
    if s == 0.0 || !s.is_finite() {
        return None;
    }
    let mut a: Vec<f64> = x.iter().map(|v| -v / s).collect();
    a[0] = 0.0;
    let mut out = power_series(lay, &a, |_| 1.0);
    out[0] = 1.0;
    out.iter_mut().for_each(|v| *v /= s);
    Some(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Exp,
    Log,
    Inverse,
}

/// Applies `op` to each of the full-layout tensors in `x` (flat, `n * full_len`).
pub fn batch_unary(lay: &Layout, x: &[f64], op: UnaryOp) -> Result<Vec<f64>> {
    use rayon::prelude::*;
    let full = lay.full_len();
    if !x.len().is_multiple_of(full) {
        return Err(Error::invalid(
            "x",
            format!("expected a multiple of {full} values, got {}", x.len()),
        ));
    }
    let mut out = vec![0.0; x.len()];
    out.par_chunks_mut(full)
        .zip(x.par_chunks(full))
        .try_for_each(|(o, xi)| {
            let r = match op {
                UnaryOp::Exp => Some(exp(lay, xi)),
                UnaryOp::Log => log(lay, xi),
                UnaryOp::Inverse => inverse(lay, xi),
            };
            match r {
                Some(v) => {
                    o.copy_from_slice(&v);
                    Ok(())
                }
                None => Err(Error::invalid(
                    "x",
                    match op {
                        UnaryOp::Log => {
                            format!("the logarithm needs a positive level-0 term, got {}", xi[0])
                        }
                        _ => format!("the inverse needs a non-zero level-0 term, got {}", xi[0]),
                    },
                )),
            }
        })?;
    Ok(out)
}

/// `x_1 ⊗ x_2 ⊗ … ⊗ x_k` for each of `n` chains; `xs` holds `k` blocks of `n` full tensors.
pub fn batch_mul_chain(lay: &Layout, xs: &[f64], k: usize, n: usize) -> Result<Vec<f64>> {
    use rayon::prelude::*;
    let full = lay.full_len();
    if xs.len() != k * n * full || k == 0 {
        return Err(Error::invalid(
            "x",
            format!(
                "expected {k} x {n} tensors of {full} values, got {} values",
                xs.len()
            ),
        ));
    }
    let mut out = crate::memory::zeros("the tensors", n * full)?;
    out.par_chunks_mut(full).enumerate().for_each_init(
        || vec![0.0; full],
        |tmp, (i, o)| {
            o.copy_from_slice(&xs[i * full..(i + 1) * full]);
            for j in 1..k {
                let b = &xs[(j * n + i) * full..(j * n + i + 1) * full];
                mul_into(lay, o, b, tmp);
                o.copy_from_slice(tmp);
            }
        },
    );
    Ok(out)
}
