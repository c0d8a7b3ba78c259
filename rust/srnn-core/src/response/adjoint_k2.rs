//! Pathwise (forward-over-adjoint) second-order kernel: the exact second derivative of the
//! simulated `y_N = f(h_N)` with respect to two impulses, on each unperturbed path.
//!
//! The chain is `h_{t+1} = F_t(h_t, u_t)` with
//! `F_t = h + dt (−Γ h + a(W h + b + C_in u) + C u) + Σ(h) √dt z_t`, its Jacobian
//! `J_t = I + dt (−Γ + diag(a′_t) W) + diag(σ_mult √dt z_t)`, and the first-order adjoint
//! `λ_N = ∇f(h_N)`, `λ_t = λ_{t+1} J_t`. An impulse `ε/dt` in channel `k` of input step `j`
//! moves `h_{j+1}` by `ε d_k(j)` with `d_k(j) = c_k + a′_j ⊙ C_in e_k`, exactly the kick of
//! the `fd` estimator. For a first kick `(j1, k)`, the tangent `v_{j1+1} = d_k(j1)`,
//! `v_{t+1} = J_t v_t`, runs forward, and the derivative of the adjoint along it,
//! `μ_N = D²f(h_N) v_N`, `μ_t = μ_{t+1} J_t + dt (λ_{t+1} ⊙ a″_t ⊙ W v_t) W`, runs back. Then
//! for every second kick `(j2, q)` with `j2 ≥ j1` at once:
//! `∂²y_N = μ_{j2+1} · d_q(j2) + λ_{j2+1} · (a″_{j2} ⊙ W v_{j2} ⊙ C_in e_q)` for `j2 > j1`, and
//! `μ_{j1+1} · d_q(j1) + λ_{j1+1} · (a″_{j1} ⊙ C_in e_k ⊙ C_in e_q) / dt` for `j2 = j1`.
//! The diffusion `diag(σ_add + σ_mult ⊙ h)` and the leak are affine in `h`, so they add no
//! second-derivative term. Cost per path `O(L² m (1 + p) n²)`: one tangent and `p` adjoint
//! derivatives per first kick, against the `fd` estimator's four re-runs of `L` steps per
//! pair of kicks.

use std::ops::Range;

use super::ensemble::{check_settings, readout, readout_gradient, stationary_run_into};
use super::reduce::{paths_in, reduce_blocks_with, BlockTree, Moments};
use super::EnsembleSettings;
use crate::model::{Activation, Gamma, Noise, Srnn};
use crate::progress::Progress;
use crate::rng::{fill_normals, normals_row_len, Stream};
use crate::simulation::Record;
use crate::Result;

/// The leak `Γ` as the sweeps apply it.
enum Leak {
    Diagonal(Vec<f64>),
    /// Row-major `(n, n)`.
    Full(Vec<f64>),
}

/// The model as flat row-major slices.
struct Flat {
    n: usize,
    m: usize,
    p: usize,
    dt: f64,
    w: Vec<f64>,
    b: Vec<f64>,
    leak: Leak,
    /// `C` and `C_in`, `(n, m)`.
    c: Vec<f64>,
    c_in: Option<Vec<f64>>,
    activation: Activation,
    /// `σ_mult √dt` for multiplicative noise.
    mult: Option<Vec<f64>>,
}

impl Flat {
    fn new(model: &Srnn, dt: f64) -> Self {
        let leak = match &model.gamma {
            Gamma::Full(g) => Leak::Full(g.iter().copied().collect()),
            _ => Leak::Diagonal(model.gamma_matrix().diag().to_vec()),
        };
        Flat {
            n: model.n(),
            m: model.m(),
            p: model.p(),
            dt,
            w: model.w.iter().copied().collect(),
            b: model.b.to_vec(),
            leak,
            c: model.c.iter().copied().collect(),
            c_in: model.c_in.as_ref().map(|c| c.iter().copied().collect()),
            activation: model.activation,
            mult: match &model.noise {
                Noise::Multiplicative { mult, .. } => {
                    Some(mult.iter().map(|v| v * dt.sqrt()).collect())
                }
                _ => None,
            },
        }
    }

    /// `out = J_t v`; `wv` receives `W v`.
    fn tangent_step(
        &self,
        slope: &[f64],
        noise: Option<&[f64]>,
        v: &[f64],
        wv: &mut [f64],
        out: &mut [f64],
    ) {
        let n = self.n;
        for (r, x) in wv.iter_mut().enumerate() {
            *x = self.w[r * n..(r + 1) * n]
                .iter()
                .zip(v)
                .map(|(a, b)| a * b)
                .sum();
        }
        for r in 0..n {
            let leak = match &self.leak {
                Leak::Diagonal(g) => g[r] * v[r],
                Leak::Full(g) => g[r * n..(r + 1) * n]
                    .iter()
                    .zip(v)
                    .map(|(a, b)| a * b)
                    .sum(),
            };
            out[r] = v[r] + self.dt * (slope[r] * wv[r] - leak);
            if let Some(z) = noise {
                out[r] += z[r] * v[r];
            }
        }
    }

    /// `out = row (I − dt Γ + diag(noise)) + x W`: a backward step whose `x` carries the
    /// `dt`-scaled activation terms.
    fn backward_step(&self, noise: Option<&[f64]>, row: &[f64], x: &[f64], out: &mut [f64]) {
        let n = self.n;
        match &self.leak {
            Leak::Diagonal(g) => {
                for c in 0..n {
                    out[c] = row[c] - self.dt * g[c] * row[c];
                }
            }
            Leak::Full(g) => {
                for c in 0..n {
                    let leak: f64 = (0..n).map(|r| row[r] * g[r * n + c]).sum();
                    out[c] = row[c] - self.dt * leak;
                }
            }
        }
        if let Some(z) = noise {
            for c in 0..n {
                out[c] += row[c] * z[c];
            }
        }
        for (r, &xr) in x.iter().enumerate() {
            for (o, &w) in out.iter_mut().zip(&self.w[r * n..(r + 1) * n]) {
                *o += xr * w;
            }
        }
    }

    /// The state kick `d_k(j)` of a unit impulse of channel `k` at a step with slopes `slope`.
    fn kick(&self, slope: &[f64], k: usize, out: &mut [f64]) {
        let m = self.m;
        for r in 0..self.n {
            out[r] = self.c[r * m + k];
            if let Some(c_in) = &self.c_in {
                out[r] += slope[r] * c_in[r * m + k];
            }
        }
    }
}

/// `D²f_o(h) v`, the readout's curvature along `v`, into `out` (`n`).
fn readout_curvature(model: &Srnn, h: &[f64], o: usize, v: &[f64], out: &mut [f64]) {
    let ro = &model.readout;
    out.fill(0.0);
    match &ro.matrix {
        Some(r) => {
            let row = r.row(o);
            let z: f64 = row.iter().zip(h).map(|(a, b)| a * b).sum::<f64>() + ro.bias[o];
            let g2 = ro.activation.second_derivative::<false>(z);
            if g2 != 0.0 {
                let rv: f64 = row.iter().zip(v).map(|(a, b)| a * b).sum();
                for (x, &rc) in out.iter_mut().zip(row.iter()) {
                    *x = g2 * rv * rc;
                }
            }
        }
        None => {
            out[o] = ro.activation.second_derivative::<false>(h[o] + ro.bias[o]) * v[o];
        }
    }
}

/// One path's buffers, reused across the paths of a worker.
#[derive(Default)]
struct Scratch {
    record: Vec<f64>,
    /// Normals of the block, `(N, rows, z_stride)` (multiplicative noise only).
    z: Vec<f64>,
    /// Per step `t < N`, `(N, n)`: `a′`, `a″` at `W h_t + b`, and `σ_mult √dt z_t`.
    slope: Vec<f64>,
    curv: Vec<f64>,
    noise: Vec<f64>,
    /// `λ_t`, `(N + 1, p, n)`.
    lam: Vec<f64>,
    /// The first kick's tangent `v_t` and `W v_t`, `(N + 1, n)`.
    v: Vec<f64>,
    wv: Vec<f64>,
    mu: Vec<f64>,
    next: Vec<f64>,
    x: Vec<f64>,
    kick: Vec<f64>,
    grad: Vec<f64>,
    y: Vec<f64>,
    vals: Vec<f64>,
}

/// The kernel values `(L, L, p, m, m)` of one path with states `states` (`(N + 1, n)`).
fn path_values(
    model: &Srnn,
    md: &Flat,
    states: &[f64],
    path_noise: Option<&[f64]>,
    sc: &mut Scratch,
) {
    let (n, m, p, dt) = (md.n, md.m, md.p, md.dt);
    let steps = states.len() / n - 1;
    let l = steps;
    let act = md.activation;
    for t in 0..steps {
        let h = &states[t * n..(t + 1) * n];
        for r in 0..n {
            let z: f64 = md.w[r * n..(r + 1) * n]
                .iter()
                .zip(h)
                .map(|(a, b)| a * b)
                .sum::<f64>()
                + md.b[r];
            sc.slope[t * n + r] = act.first_derivative::<false>(z);
            sc.curv[t * n + r] = act.second_derivative::<false>(z);
        }
    }
    if let (Some(mult), Some(z)) = (&md.mult, path_noise) {
        let stride = z.len() / steps;
        for t in 0..steps {
            for r in 0..n {
                sc.noise[t * n + r] = mult[r] * z[t * stride + r];
            }
        }
    }
    let noise_at = |t: usize| md.mult.as_ref().map(|_| t * n..(t + 1) * n);
    let h_n = &states[steps * n..];
    readout_gradient(model, h_n, &mut sc.grad);
    sc.lam[steps * p * n..].copy_from_slice(&sc.grad);
    for t in (1..steps).rev() {
        let (head, tail) = sc.lam.split_at_mut((t + 1) * p * n);
        let slope = &sc.slope[t * n..(t + 1) * n];
        let noise = noise_at(t).map(|r| &sc.noise[r]);
        for o in 0..p {
            let row = &tail[o * n..(o + 1) * n];
            for ((x, &lv), &a) in sc.x.iter_mut().zip(row).zip(slope) {
                *x = dt * lv * a;
            }
            md.backward_step(
                noise,
                row,
                &sc.x,
                &mut head[(t * p + o) * n..(t * p + o + 1) * n],
            );
        }
    }
    let at = |i1: usize, i2: usize, o: usize, k: usize, q: usize| {
        (((i1 * l + i2) * p + o) * m + k) * m + q
    };
    for j1 in 0..steps {
        let i1 = steps - 1 - j1;
        for k in 0..m {
            md.kick(
                &sc.slope[j1 * n..(j1 + 1) * n],
                k,
                &mut sc.v[(j1 + 1) * n..(j1 + 2) * n],
            );
            for t in j1 + 1..steps {
                let (head, tail) = sc.v.split_at_mut((t + 1) * n);
                let noise = noise_at(t).map(|r| &sc.noise[r]);
                md.tangent_step(
                    &sc.slope[t * n..(t + 1) * n],
                    noise,
                    &head[t * n..],
                    &mut sc.wv[t * n..(t + 1) * n],
                    &mut tail[..n],
                );
            }
            for o in 0..p {
                readout_curvature(model, h_n, o, &sc.v[steps * n..], &mut sc.mu);
                for t in (j1..steps).rev() {
                    // `sc.mu` is μ_{t+1}: emit every second kick of step t.
                    let (j2, i2) = (t, steps - 1 - t);
                    let slope = &sc.slope[t * n..(t + 1) * n];
                    let curv = &sc.curv[t * n..(t + 1) * n];
                    let lam = &sc.lam[((t + 1) * p + o) * n..((t + 1) * p + o + 1) * n];
                    let first_q = if j2 == j1 { k } else { 0 };
                    for q in first_q..m {
                        md.kick(slope, q, &mut sc.kick);
                        let mut val: f64 = sc.mu.iter().zip(&sc.kick).map(|(a, b)| a * b).sum();
                        if let Some(c_in) = &md.c_in {
                            let inside: f64 = (0..n)
                                .map(|r| {
                                    let first = if j2 == j1 {
                                        c_in[r * m + k] / dt
                                    } else {
                                        sc.wv[t * n + r]
                                    };
                                    lam[r] * curv[r] * first * c_in[r * m + q]
                                })
                                .sum();
                            val += inside;
                        }
                        sc.vals[at(i1, i2, o, k, q)] = val;
                        sc.vals[at(i2, i1, o, q, k)] = val;
                    }
                    if t == j1 {
                        break;
                    }
                    let v_t = &sc.wv[t * n..(t + 1) * n];
                    for r in 0..n {
                        sc.x[r] = dt * (sc.mu[r] * slope[r] + lam[r] * curv[r] * v_t[r]);
                    }
                    let noise = noise_at(t).map(|r| &sc.noise[r]);
                    md.backward_step(noise, &sc.mu, &sc.x, &mut sc.next);
                    std::mem::swap(&mut sc.mu, &mut sc.next);
                }
            }
        }
    }
    readout(model, h_n, &mut sc.y);
}

/// The pathwise second-order kernel's partial sums over `blocks`: per path, the kernel
/// values `(L, L, p, m, m)` and the readout at `t_N`.
pub(crate) fn adjoint_k2_partial(
    model: &Srnn,
    s: &EnsembleSettings,
    blocks: Range<usize>,
    progress: &Progress,
) -> Result<BlockTree<(Moments, Moments)>> {
    check_settings(model, s)?;
    let md = Flat::new(model, s.dt);
    let (n, m, p, l) = (md.n, md.m, md.p, s.n_lags);
    let size = l * l * p * m * m;
    progress.add_total(paths_in(s, &blocks) as u64);
    let block = |sc: &mut Scratch, first: usize, rows: usize| {
        let mut record = std::mem::take(&mut sc.record);
        stationary_run_into(model, s, first, rows, l, Record::State, &mut record)?;
        let z_stride = normals_row_len(n);
        if md.mult.is_some() {
            sc.z.resize(l * rows * z_stride, 0.0);
            let (z, seed, first_path) = (&mut sc.z, s.seed, s.first_path + first as u64);
            crate::dispatch!(
                fn normals(
                    z: &mut [f64],
                    seed: u64,
                    first_path: u64,
                    rows: usize,
                    l: usize,
                    n: usize,
                    z_stride: usize,
                ) -> () {
                    for (t, out) in z.chunks_exact_mut(rows * z_stride).enumerate().take(l) {
                        fill_normals::<f64, FMA>(
                            seed,
                            Stream::Main,
                            first_path,
                            rows,
                            t as u32,
                            n,
                            out,
                            z_stride,
                        );
                    }
                }
            );
        }
        sc.slope.resize(l * n, 0.0);
        sc.curv.resize(l * n, 0.0);
        sc.noise.resize(l * n, 0.0);
        sc.lam.resize((l + 1) * p * n, 0.0);
        sc.v.resize((l + 1) * n, 0.0);
        sc.wv.resize((l + 1) * n, 0.0);
        for buf in [&mut sc.mu, &mut sc.next, &mut sc.x, &mut sc.kick] {
            buf.resize(n, 0.0);
        }
        sc.grad.resize(p * n, 0.0);
        sc.y.resize(p, 0.0);
        sc.vals.resize(size, 0.0);
        let mut path_z = Vec::new();
        let mut k = Moments::new(size);
        let mut mean = Moments::new(p);
        for b in 0..rows {
            progress.checkpoint()?;
            let states = &record[b * (l + 1) * n..(b + 1) * (l + 1) * n];
            let noise = if md.mult.is_some() {
                path_z.clear();
                for t in 0..l {
                    let at = (t * rows + b) * z_stride;
                    path_z.extend_from_slice(&sc.z[at..at + z_stride]);
                }
                Some(&path_z[..])
            } else {
                None
            };
            path_values(model, &md, states, noise, sc);
            k.push(&sc.vals);
            mean.push(&sc.y);
        }
        sc.record = record;
        progress.advance(rows as u64);
        Ok::<_, crate::Error>((k, mean))
    };
    reduce_blocks_with(s, blocks, progress, 3 * size, block)
}
