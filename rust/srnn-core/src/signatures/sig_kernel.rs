//! Signature kernels `k(x, y) = <S(x), S(y)>`: truncated (exact inner product of truncated
//! signatures, level 0 included) and untruncated, as the solution at `(1, 1)` of the Goursat
//! problem `∂²k/∂s∂t = k · <dx_s, dy_t>`, `k(0, ·) = k(·, 0) = 1`, solved with the explicit
//! second-order scheme of Salvi et al. (2021) on a grid refined `2^dyadic_order` times.

use std::ops::Range;

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
            grid.clear();
            grid.extend((0..(ly - 1) * d).map(|k| y[k + d] - y[k]));
            let mut dx = vec![0.0; d];
            for i in 0..lx - 1 {
                for (c, v) in dx.iter_mut().enumerate() {
                    *v = x[(i + 1) * d + c] - x[i * d + c];
                }
                out.extend(
                    grid.chunks_exact(d)
                        .map(|dy| dy.iter().zip(&dx).map(|(a, b)| a * b).sum::<f64>()),
                );
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

/// Pairs solved together, one per vector lane: the scheme's recursion along a row is a
/// serial chain, so independent pairs side by side are what fills the vector units.
const PW: usize = 16;
type PLane = [f64; PW];

#[derive(Default)]
struct Scratch {
    inc: Vec<f64>,
    grid: Vec<f64>,
    dx: Vec<PLane>,
    dy: Vec<PLane>,
    table: Vec<PLane>,
    row: Vec<PLane>,
}

/// Where the static-kernel increment of coarse cell `(i, j)` comes from: for the linear
/// kernel `<dx_i, dy_j>` is formed inside the solve (it is independent of the serial
/// recursion, so it costs no extra latency); otherwise a precomputed table.
#[derive(Clone, Copy)]
enum Incs<'a> {
    Linear {
        dx: &'a [PLane],
        dy: &'a [PLane],
        d: usize,
    },
    Table(&'a [PLane]),
}

/// The explicit scheme `K[a+1][b+1] = (K[a+1][b] + K[a][b+1]) (1 + g/2 + g²/12) - K[a][b] (1 - g²/12)`,
/// `g` the cell increment over `4^order`, swept row by row in place.
fn solve_generic(
    incs: Incs,
    band: Range<usize>,
    cols: usize,
    r: usize,
    scale: f64,
    row: &mut Vec<PLane>,
) -> PLane {
    let ny = cols * r;
    if band.start == 0 {
        row.clear();
        row.resize(ny + 1, [1.0; PW]);
    }
    let (h, t) = (0.5 * scale, scale * scale / 12.0);
    for a in band {
        let i = a / r;
        let mut left = [1.0; PW];
        let mut diag = row[0];
        let mut b = 0;
        for j in 0..cols {
            let mut g = [0.0; PW];
            match incs {
                Incs::Linear { dx, dy, d } => {
                    for c in 0..d {
                        for l in 0..PW {
                            g[l] += dx[i * d + c][l] * dy[j * d + c][l];
                        }
                    }
                }
                Incs::Table(tab) => g = tab[i * cols + j],
            }
            let (mut ca, mut cb) = ([0.0; PW], [0.0; PW]);
            for l in 0..PW {
                let i2 = g[l] * g[l] * t;
                ca[l] = 1.0 + g[l] * h + i2;
                cb[l] = 1.0 - i2;
            }
            for _ in 0..r {
                let up = row[b + 1];
                let mut v = [0.0; PW];
                for l in 0..PW {
                    v[l] = (left[l] + up[l]) * ca[l] - diag[l] * cb[l];
                }
                row[b + 1] = v;
                left = v;
                diag = up;
                b += 1;
            }
        }
    }
    row[ny]
}

/// Independent recursions per lane group, `PW / 4` 256-bit vectors: enough chains in flight
/// to hide the latency of the serial recursion along a row.
#[cfg(target_arch = "x86_64")]
const CHAINS: usize = PW / 4;

/// [`solve_generic`] on 256-bit vectors with fused multiply-adds.
///
/// # Safety
/// The CPU must support AVX2 and FMA (the caller's target features).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn solve_simd(
    incs: Incs,
    band: Range<usize>,
    cols: usize,
    r: usize,
    scale: f64,
    row: &mut Vec<PLane>,
) -> PLane {
    use std::arch::x86_64::*;
    let ny = cols * r;
    if band.start == 0 {
        row.clear();
        row.resize(ny + 1, [1.0; PW]);
    }
    let one = _mm256_set1_pd(1.0);
    let h = _mm256_set1_pd(0.5 * scale);
    let t = _mm256_set1_pd(scale * scale / 12.0);
    let rp = row.as_mut_ptr() as *mut f64;
    for a in band {
        let i = a / r;
        let mut left = [one; CHAINS];
        let mut diag = [one; CHAINS];
        for (q, dq) in diag.iter_mut().enumerate() {
            *dq = _mm256_loadu_pd(rp.add(4 * q));
        }
        let mut b = 0;
        for j in 0..cols {
            let mut g = [_mm256_setzero_pd(); CHAINS];
            match incs {
                Incs::Linear { dx, dy, d } => {
                    for c in 0..d {
                        let (xp, yp) = (dx[i * d + c].as_ptr(), dy[j * d + c].as_ptr());
                        for (q, gq) in g.iter_mut().enumerate() {
                            *gq = _mm256_fmadd_pd(
                                _mm256_loadu_pd(xp.add(4 * q)),
                                _mm256_loadu_pd(yp.add(4 * q)),
                                *gq,
                            );
                        }
                    }
                }
                Incs::Table(tab) => {
                    let tp = tab[i * cols + j].as_ptr();
                    for (q, gq) in g.iter_mut().enumerate() {
                        *gq = _mm256_loadu_pd(tp.add(4 * q));
                    }
                }
            }
            let mut ca = [one; CHAINS];
            let mut cb = [one; CHAINS];
            for q in 0..CHAINS {
                let i2 = _mm256_mul_pd(_mm256_mul_pd(g[q], g[q]), t);
                ca[q] = _mm256_add_pd(_mm256_fmadd_pd(g[q], h, one), i2);
                cb[q] = _mm256_sub_pd(one, i2);
            }
            for _ in 0..r {
                let p = rp.add((b + 1) * PW);
                for q in 0..CHAINS {
                    let up = _mm256_loadu_pd(p.add(4 * q));
                    let v = _mm256_fmsub_pd(
                        _mm256_add_pd(left[q], up),
                        ca[q],
                        _mm256_mul_pd(diag[q], cb[q]),
                    );
                    _mm256_storeu_pd(p.add(4 * q), v);
                    left[q] = v;
                    diag[q] = up;
                }
                b += 1;
            }
        }
    }
    row[ny]
}

/// [`solve_generic`], or on AVX2 and AVX-512 [`solve_simd`] (with AVX-512VL enabled it has
/// 32 vector registers and no spills).
fn solve(
    incs: Incs,
    band: Range<usize>,
    cols: usize,
    r: usize,
    scale: f64,
    row: &mut Vec<PLane>,
) -> PLane {
    crate::dispatch!(
        fn pde_solve(
            incs: Incs<'_>,
            band: Range<usize>,
            cols: usize,
            r: usize,
            scale: f64,
            row: &mut Vec<PLane>,
        ) -> PLane {
            #[cfg(target_arch = "x86_64")]
            if FMA {
                // SAFETY: FMA is true only in the variants compiled with AVX2 and FMA.
                return unsafe { solve_simd(incs, band, cols, r, scale, row) };
            }
            solve_generic(incs, band, cols, r, scale, row)
        }
    )
}

/// Increments of each lane's path, interleaved: `out[k][l] = p_l[k + d] - p_l[k]`.
fn lane_increments(paths: &[&[f64]], d: usize, out: &mut Vec<PLane>) {
    let n = paths[0].len().saturating_sub(d);
    out.clear();
    out.resize(n, [0.0; PW]);
    for (l, p) in paths.iter().enumerate() {
        for (k, o) in out.iter_mut().enumerate() {
            o[l] = p[k + d] - p[k];
        }
    }
}

/// `k(x, y)` for up to `PW` pairs whose `x`s share one length and `y`s another.
fn pde_group(
    pairs: &[(&[f64], &[f64])],
    d: usize,
    order: u32,
    sk: StaticKernel,
    s: &mut Scratch,
    progress: &Progress,
) -> Result<PLane> {
    let (lx, ly) = (pairs[0].0.len() / d, pairs[0].1.len() / d);
    if lx < 2 || ly < 2 {
        return Ok([1.0; PW]);
    }
    let r = 1usize << order;
    let scale = 1.0 / (r * r) as f64;
    // Unused lanes get zero increments, whose solution is identically 1.
    let incs = match sk {
        StaticKernel::Linear => {
            let xs: Vec<&[f64]> = pairs.iter().map(|p| p.0).collect();
            let ys: Vec<&[f64]> = pairs.iter().map(|p| p.1).collect();
            lane_increments(&xs, d, &mut s.dx);
            lane_increments(&ys, d, &mut s.dy);
            Incs::Linear {
                dx: &s.dx,
                dy: &s.dy,
                d,
            }
        }
        StaticKernel::Rbf { .. } => {
            s.table.clear();
            s.table.resize((lx - 1) * (ly - 1), [0.0; PW]);
            for (l, (x, y)) in pairs.iter().enumerate() {
                cell_increments(x, y, d, sk, &mut s.inc, &mut s.grid);
                for (o, &g) in s.table.iter_mut().zip(&s.inc) {
                    o[l] = g;
                }
            }
            Incs::Table(&s.table)
        }
    };
    // Bands of about 2²⁰ cells, a millisecond or so, with a checkpoint between them: one pair
    // of long paths at a high dyadic order must not leave Ctrl-C waiting.
    let refined_rows = (lx - 1) * r;
    let band = ((1usize << 20) / ((ly - 1) * r)).max(1);
    let mut start = 0;
    loop {
        let end = (start + band).min(refined_rows);
        let k = solve(incs, start..end, ly - 1, r, scale, &mut s.row);
        if end == refined_rows {
            return Ok(k);
        }
        progress.checkpoint()?;
        start = end;
    }
}

/// Splits `0..n` into runs of at most `PW` consecutive indices with equal `key`.
fn lane_groups(n: usize, key: impl Fn(usize) -> (usize, usize)) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && j - i < PW && key(j) == key(i) {
            j += 1;
        }
        out.push((i, j));
        i = j;
    }
    out
}

/// Cells along one side of the refined PDE grid of a path with `len / d` points.
fn grid_side(path: &[f64], d: usize, dyadic_order: u32) -> u128 {
    let segments = (path.len() / d.max(1)).saturating_sub(1) as u128;
    segments << dyadic_order.min(64)
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
    let cells_x: u128 = xs.iter().map(|x| grid_side(x, d, dyadic_order)).sum();
    let cells_y: u128 = ys.iter().map(|y| grid_side(y, d, dyadic_order)).sum();
    crate::work::check_work(
        "the signature-kernel PDE grids",
        cells_x.saturating_mul(cells_y),
    )?;
    let mut out = crate::memory::zeros("the kernel matrix", nx * ny)?;
    // All pairs (one triangle when symmetric) in one list, cut into lane groups of equal
    // lengths, so the lanes stay full whatever the shape of the triangle.
    let pairs: Vec<(usize, usize)> = (0..nx)
        .flat_map(|i| (if sym { i } else { 0 }..ny).map(move |j| (i, j)))
        .collect();
    let groups = lane_groups(pairs.len(), |k| {
        (xs[pairs[k].0].len(), ys[pairs[k].1].len())
    });
    progress.add_total(groups.len() as u64);
    let values: Vec<PLane> = groups
        .par_iter()
        .map_init(Scratch::default, |s, &(a, b)| -> Result<PLane> {
            progress.checkpoint()?;
            let lane_pairs: Vec<(&[f64], &[f64])> =
                pairs[a..b].iter().map(|&(i, j)| (xs[i], ys[j])).collect();
            let k = pde_group(&lane_pairs, d, dyadic_order, sk, s, progress)?;
            progress.advance(1);
            Ok(k)
        })
        .collect::<Result<_>>()?;
    for (&(a, b), k) in groups.iter().zip(&values) {
        for (&(i, j), &v) in pairs[a..b].iter().zip(&k[..b - a]) {
            out[i * ny + j] = v;
        }
    }
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
    let cells: u128 = xs
        .iter()
        .zip(ys)
        .map(|(x, y)| grid_side(x, d, dyadic_order).saturating_mul(grid_side(y, d, dyadic_order)))
        .fold(0, u128::saturating_add);
    crate::work::check_work("the signature-kernel PDE grids", cells)?;
    let groups = lane_groups(xs.len(), |k| (xs[k].len(), ys[k].len()));
    let parts: Vec<PLane> = groups
        .par_iter()
        .map_init(Scratch::default, |s, &(a, b)| -> Result<PLane> {
            progress.checkpoint()?;
            let pairs: Vec<(&[f64], &[f64])> = (a..b).map(|k| (xs[k], ys[k])).collect();
            pde_group(&pairs, d, dyadic_order, sk, s, progress)
        })
        .collect::<Result<_>>()?;
    let mut out = Vec::with_capacity(xs.len());
    for (&(a, b), k) in groups.iter().zip(&parts) {
        out.extend_from_slice(&k[..b - a]);
    }
    Ok(out)
}

/// Gradients of `kbar · k(x, y)` with respect to the points of `x` and of `y`, through the
/// same explicit scheme as the forward solve (the adjoint of the discrete recursion, so the
/// gradient is that of the computed value, not of the exact PDE solution). Accumulates into
/// `gx` (`len(x)`) and `gy` (`len(y)`).
#[allow(clippy::too_many_arguments)]
fn pde_pair_backprop(
    x: &[f64],
    y: &[f64],
    d: usize,
    order: u32,
    sk: StaticKernel,
    kbar: f64,
    gx: &mut [f64],
    gy: &mut [f64],
    progress: &Progress,
) -> Result<()> {
    let (lx, ly) = (x.len() / d, y.len() / d);
    if lx < 2 || ly < 2 || kbar == 0.0 {
        return Ok(());
    }
    let (mut inc, mut grid) = (Vec::new(), Vec::new());
    cell_increments(x, y, d, sk, &mut inc, &mut grid);
    let r = 1usize << order;
    let scale = 1.0 / (r * r) as f64;
    let (rows, cols) = ((lx - 1) * r, (ly - 1) * r);
    let w = cols + 1;
    // A checkpoint every band of about 2²⁰ cells, as in the forward solve.
    let band = ((1usize << 20) / cols).max(1);
    let coef = |a: usize, b: usize| -> f64 { inc[(a / r) * (ly - 1) + b / r] * scale };
    let mut k = vec![1.0; (rows + 1) * w];
    for a in 0..rows {
        if a % band == 0 {
            progress.checkpoint()?;
        }
        for b in 0..cols {
            let g = coef(a, b);
            let (ca, cb) = (1.0 + 0.5 * g + g * g / 12.0, 1.0 - g * g / 12.0);
            k[(a + 1) * w + b + 1] =
                (k[(a + 1) * w + b] + k[a * w + b + 1]) * ca - k[a * w + b] * cb;
        }
    }
    // Reverse row-major order: every use of a grid value comes from a later cell.
    let mut kb = vec![0.0; (rows + 1) * w];
    kb[rows * w + cols] = kbar;
    let mut inc_bar = vec![0.0; inc.len()];
    for a in (0..rows).rev() {
        if a % band == 0 {
            progress.checkpoint()?;
        }
        for b in (0..cols).rev() {
            let v = kb[(a + 1) * w + b + 1];
            if v == 0.0 {
                continue;
            }
            let g = coef(a, b);
            let (ca, cb) = (1.0 + 0.5 * g + g * g / 12.0, 1.0 - g * g / 12.0);
            kb[(a + 1) * w + b] += v * ca;
            kb[a * w + b + 1] += v * ca;
            kb[a * w + b] -= v * cb;
            let sum = k[(a + 1) * w + b] + k[a * w + b + 1];
            let dg = v * (sum * (0.5 + g / 6.0) + k[a * w + b] * g / 6.0);
            inc_bar[(a / r) * (ly - 1) + b / r] += dg * scale;
        }
    }
    match sk {
        StaticKernel::Linear => {
            for i in 0..lx - 1 {
                for j in 0..ly - 1 {
                    let v = inc_bar[i * (ly - 1) + j];
                    for c in 0..d {
                        let dx = x[(i + 1) * d + c] - x[i * d + c];
                        let dy = y[(j + 1) * d + c] - y[j * d + c];
                        gx[(i + 1) * d + c] += v * dy;
                        gx[i * d + c] -= v * dy;
                        gy[(j + 1) * d + c] += v * dx;
                        gy[j * d + c] -= v * dx;
                    }
                }
            }
        }
        StaticKernel::Rbf { sigma } => {
            // Cotangent of each grid value κ(x_i, y_j) from the cell increments around it.
            let mut grid_bar = vec![0.0; lx * ly];
            for i in 0..lx - 1 {
                for j in 0..ly - 1 {
                    let v = inc_bar[i * (ly - 1) + j];
                    grid_bar[(i + 1) * ly + j + 1] += v;
                    grid_bar[(i + 1) * ly + j] -= v;
                    grid_bar[i * ly + j + 1] -= v;
                    grid_bar[i * ly + j] += v;
                }
            }
            for i in 0..lx {
                for j in 0..ly {
                    let v = grid_bar[i * ly + j] * grid[i * ly + j];
                    if v == 0.0 {
                        continue;
                    }
                    for c in 0..d {
                        let t = -2.0 * (x[i * d + c] - y[j * d + c]) / sigma * v;
                        gx[i * d + c] += t;
                        gy[j * d + c] -= t;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Bytes of the two grids the gradient of one pair keeps.
fn pde_backprop_bytes(lx: usize, ly: usize, order: u32) -> u128 {
    let r = 1u128 << order;
    let cells = (lx.saturating_sub(1) as u128 * r + 1) * (ly.saturating_sub(1) as u128 * r + 1);
    16 * cells
}

fn check_backprop_memory(xs: &[&[f64]], ys: &[&[f64]], d: usize, order: u32) -> Result<()> {
    let lx = xs.iter().map(|p| p.len() / d).max().unwrap_or(0);
    let ly = ys.iter().map(|p| p.len() / d).max().unwrap_or(0);
    // One pair in flight per thread.
    let per_pair = pde_backprop_bytes(lx, ly, order);
    crate::memory::check_memory(
        "the grids of the signature-kernel gradient",
        per_pair * rayon::current_num_threads() as u128,
    )
}

fn check_order(dyadic_order: u32) -> Result<()> {
    if dyadic_order > 20 {
        return Err(Error::invalid(
            "dyadic_order",
            format!("expected at most 20, got {dyadic_order}"),
        ));
    }
    Ok(())
}

/// Gradients `(∂/∂x_p, ∂/∂y_q)` of `Σ_{(p, q, g)} g · k(x_p, y_q)` over `terms`, each path's
/// gradient flat like the path. Pairs run in parallel; their gradients are added in the
/// order of `terms`, so the result does not depend on the thread count.
#[allow(clippy::type_complexity)]
fn pde_backprop_terms(
    xs: &[&[f64]],
    ys: &[&[f64]],
    d: usize,
    order: u32,
    sk: StaticKernel,
    terms: &[(usize, usize, f64)],
    progress: &Progress,
) -> Result<(Vec<Vec<f64>>, Vec<Vec<f64>>)> {
    check_backprop_memory(xs, ys, d, order)?;
    progress.add_total(terms.len() as u64);
    let parts: Vec<(Vec<f64>, Vec<f64>)> = terms
        .par_iter()
        .map(|&(p, q, g)| -> Result<(Vec<f64>, Vec<f64>)> {
            progress.checkpoint()?;
            let (mut gx, mut gy) = (vec![0.0; xs[p].len()], vec![0.0; ys[q].len()]);
            pde_pair_backprop(xs[p], ys[q], d, order, sk, g, &mut gx, &mut gy, progress)?;
            progress.advance(1);
            Ok((gx, gy))
        })
        .collect::<Result<_>>()?;
    let mut gxs: Vec<Vec<f64>> = xs.iter().map(|p| vec![0.0; p.len()]).collect();
    let mut gys: Vec<Vec<f64>> = ys.iter().map(|p| vec![0.0; p.len()]).collect();
    for (&(p, q, _), (gx, gy)) in terms.iter().zip(&parts) {
        gxs[p].iter_mut().zip(gx).for_each(|(o, v)| *o += v);
        gys[q].iter_mut().zip(gy).for_each(|(o, v)| *o += v);
    }
    Ok((gxs, gys))
}

/// Vector-Jacobian product of [`pde_pairwise`]: the gradients of `Σ_i grad[i] k(xs[i], ys[i])`
/// with respect to each `xs[i]` and each `ys[i]`.
#[allow(clippy::type_complexity)]
pub fn pde_pairwise_backprop(
    xs: &[&[f64]],
    ys: &[&[f64]],
    d: usize,
    dyadic_order: u32,
    sk: StaticKernel,
    grad: &[f64],
    progress: &Progress,
) -> Result<(Vec<Vec<f64>>, Vec<Vec<f64>>)> {
    check_paths("x", xs, d)?;
    check_paths("y", ys, d)?;
    check_order(dyadic_order)?;
    if xs.len() != ys.len() {
        return Err(Error::invalid(
            "y",
            format!("expected {} paths like x, got {}", xs.len(), ys.len()),
        ));
    }
    if grad.len() != xs.len() {
        return Err(Error::invalid(
            "grad",
            format!(
                "expected {} values, one per pair, got {}",
                xs.len(),
                grad.len()
            ),
        ));
    }
    let terms: Vec<(usize, usize, f64)> =
        grad.iter().enumerate().map(|(i, &g)| (i, i, g)).collect();
    pde_backprop_terms(xs, ys, d, dyadic_order, sk, &terms, progress)
}

/// Vector-Jacobian product of [`pde_gram`]: the gradients of `Σ_ij grad[i, j] k(xs[i], ys[j])`
/// (`grad` row-major `(n_x, n_y)`) with respect to each `xs[i]` and each `ys[j]`. With
/// `ys = None` the Gram matrix is of `xs` with itself, both gradients land on `xs`, and the
/// second element is `None`.
#[allow(clippy::type_complexity)]
pub fn pde_gram_backprop(
    xs: &[&[f64]],
    ys: Option<&[&[f64]]>,
    d: usize,
    dyadic_order: u32,
    sk: StaticKernel,
    grad: &[f64],
    progress: &Progress,
) -> Result<(Vec<Vec<f64>>, Option<Vec<Vec<f64>>>)> {
    check_paths("x", xs, d)?;
    if let Some(ys) = ys {
        check_paths("y", ys, d)?;
    }
    check_order(dyadic_order)?;
    let sym = ys.is_none();
    let ys_or_xs = ys.unwrap_or(xs);
    let (nx, ny) = (xs.len(), ys_or_xs.len());
    if grad.len() != nx * ny {
        return Err(Error::invalid(
            "grad",
            format!(
                "expected {nx} x {ny} values, the Gram matrix's shape, got {}",
                grad.len()
            ),
        ));
    }
    let terms: Vec<(usize, usize, f64)> = (0..nx)
        .flat_map(|i| (0..ny).map(move |j| (i, j, grad[i * ny + j])))
        .filter(|t| t.2 != 0.0)
        .collect();
    let (mut gx, gy) = pde_backprop_terms(xs, ys_or_xs, d, dyadic_order, sk, &terms, progress)?;
    if sym {
        for (o, g) in gx.iter_mut().zip(&gy) {
            o.iter_mut().zip(g).for_each(|(a, b)| *a += b);
        }
        return Ok((gx, None));
    }
    Ok((gx, Some(gy)))
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
    let mut out = crate::memory::zeros("the kernel matrix", nx * ny)?;
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

    fn kernel(x: &[f64], y: &[f64], d: usize, order: u32, sk: StaticKernel) -> f64 {
        pde_pairwise(&[x], &[y], d, order, sk, &Progress::new()).unwrap()[0]
    }

    #[test]
    fn pde_backprop_matches_central_differences() {
        let d = 2;
        let (x, y) = (path(5, d, 0.4), path(4, d, 2.1));
        for sk in [StaticKernel::Linear, StaticKernel::Rbf { sigma: 0.7 }] {
            for order in [0, 2] {
                let (gx, gy) =
                    pde_pairwise_backprop(&[&x], &[&y], d, order, sk, &[1.5], &Progress::new())
                        .unwrap();
                let h = 1e-6;
                for (which, grad) in [(0, &gx[0]), (1, &gy[0])] {
                    let base = if which == 0 { &x } else { &y };
                    for i in 0..base.len() {
                        let (mut up, mut down) = (base.clone(), base.clone());
                        up[i] += h;
                        down[i] -= h;
                        let f = |p: &[f64]| {
                            if which == 0 {
                                kernel(p, &y, d, order, sk)
                            } else {
                                kernel(&x, p, d, order, sk)
                            }
                        };
                        let fd = 1.5 * (f(&up) - f(&down)) / (2.0 * h);
                        assert!(
                            (fd - grad[i]).abs() < 1e-6,
                            "{sk:?} order {order} path {which} entry {i}: {fd} vs {}",
                            grad[i]
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn gram_backprop_of_a_symmetric_gram_adds_both_slots() {
        let d = 2;
        let ps: Vec<Vec<f64>> = (0..3).map(|i| path(4 + i, d, i as f64)).collect();
        let xs: Vec<&[f64]> = ps.iter().map(|p| p.as_slice()).collect();
        let grad: Vec<f64> = (0..9).map(|i| (i as f64 * 0.37).sin()).collect();
        let p = Progress::new();
        let (sym, none) =
            pde_gram_backprop(&xs, None, d, 1, StaticKernel::Linear, &grad, &p).unwrap();
        assert!(none.is_none());
        let (gx, gy) =
            pde_gram_backprop(&xs, Some(&xs), d, 1, StaticKernel::Linear, &grad, &p).unwrap();
        let gy = gy.unwrap();
        for i in 0..3 {
            for (k, v) in sym[i].iter().enumerate() {
                assert!((v - (gx[i][k] + gy[i][k])).abs() < 1e-12);
            }
        }
    }
}
