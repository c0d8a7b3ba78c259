//! Signature kernels `k(x, y) = <S(x), S(y)>`: truncated (exact inner product of truncated
//! signatures, level 0 included) and untruncated, as the solution at `(1, 1)` of the Goursat
//! problem `∂²k/∂s∂t = k · <dx_s, dy_t>`, `k(0, ·) = k(·, 0) = 1`, solved with the explicit
//! second-order scheme of Salvi et al. (2021) on a grid refined `2^dyadic_order` times.

use rayon::prelude::*;

use super::signature::signature_ragged;
use crate::progress::Progress;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StaticKernel {
    /// `κ(a, b) = <a, b>`.
    Linear,
    /// `κ(a, b) = exp(-|a - b|² / sigma)`.
    Rbf { sigma: f64 },
}

fn check_paths(name: &'static str, paths: &[&[f64]], d: usize) -> Result<()> {
    if d == 0 {
        return Err(Error::invalid(name, "paths need at least one channel"));
    }
    match paths.iter().find(|p| p.is_empty() || p.len() % d != 0) {
        Some(p) => Err(Error::invalid(
            name,
            format!(
                "each path needs a positive multiple of d = {d} values, got {}",
                p.len()
            ),
        )),
        None => Ok(()),
    }
}

/// Increments of the static kernel over the cells of the coarse grid:
/// `κ(x_{i+1}, y_{j+1}) - κ(x_{i+1}, y_j) - κ(x_i, y_{j+1}) + κ(x_i, y_j)`, row-major
/// `(Lx-1) × (Ly-1)`.
fn cell_increments(
    x: &[f64],
    y: &[f64],
    d: usize,
    sk: StaticKernel,
    out: &mut Vec<f64>,
    grid: &mut Vec<f64>,
) {
    let (lx, ly) = (x.len() / d, y.len() / d);
    out.clear();
    match sk {
        StaticKernel::Linear => {
            for i in 0..lx - 1 {
                for j in 0..ly - 1 {
                    let mut s = 0.0;
                    for c in 0..d {
                        s += (x[(i + 1) * d + c] - x[i * d + c])
                            * (y[(j + 1) * d + c] - y[j * d + c]);
                    }
                    out.push(s);
                }
            }
        }
        StaticKernel::Rbf { sigma } => {
            grid.clear();
            for i in 0..lx {
                for j in 0..ly {
                    let mut s = 0.0;
                    for c in 0..d {
                        let t = x[i * d + c] - y[j * d + c];
                        s += t * t;
                    }
                    grid.push((-s / sigma).exp());
                }
            }
            for i in 0..lx - 1 {
                for j in 0..ly - 1 {
                    out.push(
                        grid[(i + 1) * ly + j + 1] - grid[(i + 1) * ly + j] - grid[i * ly + j + 1]
                            + grid[i * ly + j],
                    );
                }
            }
        }
    }
}

#[derive(Default)]
struct Scratch {
    inc: Vec<f64>,
    grid: Vec<f64>,
    prev: Vec<f64>,
    cur: Vec<f64>,
}

fn pde_pair(x: &[f64], y: &[f64], d: usize, order: u32, sk: StaticKernel, s: &mut Scratch) -> f64 {
    let (lx, ly) = (x.len() / d, y.len() / d);
    if lx < 2 || ly < 2 {
        return 1.0;
    }
    cell_increments(x, y, d, sk, &mut s.inc, &mut s.grid);
    let r = 1usize << order;
    let scale = 1.0 / (r * r) as f64;
    let (nx, ny) = ((lx - 1) * r, (ly - 1) * r);
    s.prev.clear();
    s.prev.resize(ny + 1, 1.0);
    s.cur.clear();
    s.cur.resize(ny + 1, 1.0);
    let cols = ly - 1;
    // Per coarse cell, the scheme's two coefficients `1 + inc/2 + inc²/12` and `1 - inc²/12`.
    s.grid.clear();
    s.grid.extend(s.inc.iter().flat_map(|&g| {
        let inc = g * scale;
        let i2 = inc * inc * (1.0 / 12.0);
        [1.0 + 0.5 * inc + i2, 1.0 - i2]
    }));
    for a in 0..nx {
        let coef = &s.grid[2 * (a / r) * cols..2 * (a / r + 1) * cols];
        let (prev, cur) = (&s.prev, &mut s.cur);
        cur[0] = 1.0;
        let mut left = 1.0;
        let mut diag = prev[0];
        let mut b = 0;
        for ab in coef.chunks_exact(2) {
            let (ca, cb) = (ab[0], ab[1]);
            for _ in 0..r {
                let up = prev[b + 1];
                let v = (left + up) * ca - diag * cb;
                cur[b + 1] = v;
                left = v;
                diag = up;
                b += 1;
            }
        }
        std::mem::swap(&mut s.prev, &mut s.cur);
    }
    s.prev[ny]
}

/// `k(xs[i], ys[j])` for all pairs, `(n_x, n_y)` row-major; with `ys = None` the Gram matrix
/// of `xs` with itself, computed on one triangle and mirrored so it is exactly symmetric.
pub fn pde_gram(
    xs: &[&[f64]],
    ys: Option<&[&[f64]]>,
    d: usize,
    dyadic_order: u32,
    sk: StaticKernel,
    progress: &Progress,
) -> Result<Vec<f64>> {
    check_paths("x", xs, d)?;
    if let Some(ys) = ys {
        check_paths("y", ys, d)?;
    }
    if dyadic_order > 20 {
        return Err(Error::invalid(
            "dyadic_order",
            format!("expected at most 20, got {dyadic_order}"),
        ));
    }
    let sym = ys.is_none();
    let ys = ys.unwrap_or(xs);
    let (nx, ny) = (xs.len(), ys.len());
    let mut out = vec![0.0; nx * ny];
    progress.add_total(nx as u64);
    out.par_chunks_mut(ny.max(1))
        .enumerate()
        .try_for_each_init(Scratch::default, |s, (i, row)| -> Result<()> {
            progress.checkpoint()?;
            let start = if sym { i } else { 0 };
            for j in start..ny {
                row[j] = pde_pair(xs[i], ys[j], d, dyadic_order, sk, s);
            }
            progress.advance(1);
            Ok(())
        })?;
    if sym {
        for i in 0..nx {
            for j in 0..i {
                out[i * ny + j] = out[j * ny + i];
            }
        }
    }
    Ok(out)
}

/// `k(xs[i], ys[i])` for each `i`.
pub fn pde_pairwise(
    xs: &[&[f64]],
    ys: &[&[f64]],
    d: usize,
    dyadic_order: u32,
    sk: StaticKernel,
    progress: &Progress,
) -> Result<Vec<f64>> {
    check_paths("x", xs, d)?;
    check_paths("y", ys, d)?;
    if xs.len() != ys.len() {
        return Err(Error::invalid(
            "y",
            format!("expected {} paths like x, got {}", xs.len(), ys.len()),
        ));
    }
    if dyadic_order > 20 {
        return Err(Error::invalid(
            "dyadic_order",
            format!("expected at most 20, got {dyadic_order}"),
        ));
    }
    let mut out = vec![0.0; xs.len()];
    out.par_iter_mut().enumerate().try_for_each_init(
        Scratch::default,
        |s, (i, o)| -> Result<()> {
            progress.checkpoint()?;
            *o = pde_pair(xs[i], ys[i], d, dyadic_order, sk, s);
            Ok(())
        },
    )?;
    Ok(out)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Truncated kernel `<S(x), S(y)>` (levels `0..=depth`), Gram or (with `pairwise`) per pair.
pub fn truncated(
    xs: &[&[f64]],
    ys: Option<&[&[f64]]>,
    d: usize,
    depth: usize,
    pairwise: bool,
    progress: &Progress,
) -> Result<Vec<f64>> {
    check_paths("x", xs, d)?;
    let sx = signature_ragged(xs, d, depth, progress)?;
    let full = sx.len() / xs.len().max(1);
    let sy_owned;
    let sy: &[f64] = match ys {
        Some(ys) => {
            check_paths("y", ys, d)?;
            sy_owned = signature_ragged(ys, d, depth, progress)?;
            &sy_owned
        }
        None => &sx,
    };
    let ny = sy.len() / full.max(1);
    if pairwise {
        if ny != xs.len() {
            return Err(Error::invalid(
                "y",
                format!("expected {} paths like x, got {ny}", xs.len()),
            ));
        }
        return Ok(sx
            .par_chunks(full)
            .zip(sy.par_chunks(full))
            .map(|(a, b)| dot(a, b))
            .collect());
    }
    let sym = ys.is_none();
    let nx = xs.len();
    let mut out = vec![0.0; nx * ny];
    out.par_chunks_mut(ny.max(1))
        .enumerate()
        .for_each(|(i, row)| {
            let a = &sx[i * full..(i + 1) * full];
            let start = if sym { i } else { 0 };
            for j in start..ny {
                row[j] = dot(a, &sy[j * full..(j + 1) * full]);
            }
        });
    if sym {
        for i in 0..nx {
            for j in 0..i {
                out[i * ny + j] = out[j * ny + i];
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(len: usize, d: usize, seed: f64) -> Vec<f64> {
        (0..len * d)
            .map(|i| (i as f64 * 0.61 + seed).sin() * 0.3)
            .collect()
    }

    #[test]
    fn pde_converges_to_truncated() {
        let (x, y) = (path(6, 2, 0.0), path(5, 2, 1.3));
        let xs: [&[f64]; 1] = [&x];
        let ys: [&[f64]; 1] = [&y];
        let p = Progress::new();
        let trunc = truncated(&xs, Some(&ys), 2, 12, true, &p).unwrap()[0];
        let coarse = pde_pairwise(&xs, &ys, 2, 0, StaticKernel::Linear, &p).unwrap()[0];
        let fine = pde_pairwise(&xs, &ys, 2, 6, StaticKernel::Linear, &p).unwrap()[0];
        assert!((fine - trunc).abs() < 1e-6, "{fine} vs {trunc}");
        assert!((fine - trunc).abs() < (coarse - trunc).abs());
    }

    #[test]
    fn gram_is_exactly_symmetric() {
        let ps: Vec<Vec<f64>> = (0..5).map(|i| path(4 + i, 3, i as f64)).collect();
        let xs: Vec<&[f64]> = ps.iter().map(|p| p.as_slice()).collect();
        let g = pde_gram(
            &xs,
            None,
            3,
            1,
            StaticKernel::Rbf { sigma: 0.5 },
            &Progress::new(),
        )
        .unwrap();
        for i in 0..5 {
            for j in 0..5 {
                assert_eq!(g[i * 5 + j], g[j * 5 + i]);
            }
        }
    }
}
