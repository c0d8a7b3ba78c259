//! Finite differences with common random numbers: an impulse `±ε/dt` in input step
//! `N − 1 − i` (a kick `±ε c_k` of the state when the input is outside the activation; through
//! `C_in` it passes the activation like any input) and the path re-run with the same noise. Central differences for the first order, the four-point mixed difference for the
//! second. Costly (a re-run per lag, channel and sign) but assumption-free: the reference.

use std::ops::Range;

use super::ensemble::{check_settings, run_from, stationary_start};
use super::reduce::{paths_in, reduce_blocks, BlockTree, Moments};
use super::EnsembleSettings;
use crate::model::Srnn;
use crate::progress::Progress;
use crate::simulation::{Input, Record};
use crate::{Error, Result};

fn check_eps(eps: f64) -> Result<()> {
    if eps.is_finite() && eps > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "eps",
            format!("expected a finite positive kick size, got {eps}"),
        ))
    }
}

/// `y_N` of every path of the block under the impulse input `u` (`(N, m)`).
fn final_readouts(
    model: &Srnn,
    s: &EnsembleSettings,
    first: usize,
    h0: &[f64],
    u: &[f64],
) -> Result<Vec<f64>> {
    run_from(
        model,
        s,
        first,
        h0,
        s.n_lags,
        Input::Shared(u),
        Record::FinalReadout,
    )
}

/// The block's stationary starts and the moments of its unkicked `y_N` (input `u`, zeros).
fn unkicked(
    model: &Srnn,
    s: &EnsembleSettings,
    first: usize,
    rows: usize,
    u: &[f64],
) -> Result<(Vec<f64>, Moments)> {
    let p = model.p();
    let h0 = stationary_start(model, s, first, rows)?;
    let base = final_readouts(model, s, first, &h0, u)?;
    let mut mean = Moments::new(p);
    for b in 0..rows {
        mean.push(&base[b * p..(b + 1) * p]);
    }
    Ok((h0, mean))
}

/// Partial sums over `blocks` of the first-order kernel `(L, p, m)` by central differences
/// with kick size `eps`, and of the unkicked readout.
pub(crate) fn fd_k1_partial(
    model: &Srnn,
    s: &EnsembleSettings,
    eps: f64,
    blocks: Range<usize>,
    progress: &Progress,
) -> Result<BlockTree<(Moments, Moments)>> {
    check_settings(model, s)?;
    check_eps(eps)?;
    let (m, p, l) = (model.m(), model.p(), s.n_lags);
    let n_steps = l;
    progress.add_total((paths_in(s, &blocks) * l * m) as u64);
    let block = |first: usize, rows: usize| -> Result<(Moments, Moments)> {
        let mut u = vec![0.0; n_steps * m];
        let (h0, mean) = unkicked(model, s, first, rows, &u)?;
        let mut vals = vec![0.0; rows * l * p * m];
        for i in 0..l {
            progress.checkpoint()?;
            let j = n_steps - 1 - i;
            for k in 0..m {
                u[j * m + k] = eps / s.dt;
                let plus = final_readouts(model, s, first, &h0, &u)?;
                u[j * m + k] = -eps / s.dt;
                let minus = final_readouts(model, s, first, &h0, &u)?;
                u[j * m + k] = 0.0;
                for b in 0..rows {
                    for o in 0..p {
                        vals[((b * l + i) * p + o) * m + k] =
                            (plus[b * p + o] - minus[b * p + o]) / (2.0 * eps);
                    }
                }
                progress.advance(rows as u64);
            }
        }
        let mut k = Moments::new(l * p * m);
        for b in 0..rows {
            k.push(&vals[b * l * p * m..(b + 1) * l * p * m]);
        }
        Ok((k, mean))
    };
    reduce_blocks(s, blocks, progress, 3 * l * p * m, block)
}

/// Partial sums over `blocks` of the second-order kernel `(L, L, p, m, m)` by mixed
/// four-point differences with kick size `eps` (symmetric by construction: each unordered
/// pair of kicks is computed once), and of the unkicked readout.
pub(crate) fn fd_k2_partial(
    model: &Srnn,
    s: &EnsembleSettings,
    eps: f64,
    blocks: Range<usize>,
    progress: &Progress,
) -> Result<BlockTree<(Moments, Moments)>> {
    check_settings(model, s)?;
    check_eps(eps)?;
    let (m, p, l) = (model.m(), model.p(), s.n_lags);
    let n_steps = l;
    let size = l * l * p * m * m;
    let pairs = l * (l - 1) / 2 * m * m + l * m * (m + 1) / 2;
    progress.add_total((paths_in(s, &blocks) * pairs) as u64);
    let at = |i1: usize, i2: usize, o: usize, k: usize, q: usize| {
        (((i1 * l + i2) * p + o) * m + k) * m + q
    };
    let block = |first: usize, rows: usize| -> Result<(Moments, Moments)> {
        let mut u = vec![0.0; n_steps * m];
        let (h0, mean) = unkicked(model, s, first, rows, &u)?;
        let mut vals = vec![0.0; rows * size];
        let kick = eps / s.dt;
        for i1 in 0..l {
            progress.checkpoint()?;
            for i2 in i1..l {
                let (j1, j2) = (n_steps - 1 - i1, n_steps - 1 - i2);
                for k in 0..m {
                    for q in 0..m {
                        if i1 == i2 && q < k {
                            continue;
                        }
                        let mut y = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
                        for (slot, (s1, s2)) in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)]
                            .into_iter()
                            .enumerate()
                        {
                            u[j1 * m + k] += s1 * kick;
                            u[j2 * m + q] += s2 * kick;
                            y[slot] = final_readouts(model, s, first, &h0, &u)?;
                            u[j1 * m + k] = 0.0;
                            u[j2 * m + q] = 0.0;
                        }
                        for b in 0..rows {
                            for o in 0..p {
                                let e = b * p + o;
                                let v = (y[0][e] - y[1][e] - y[2][e] + y[3][e]) / (4.0 * eps * eps);
                                vals[b * size + at(i1, i2, o, k, q)] = v;
                                vals[b * size + at(i2, i1, o, q, k)] = v;
                            }
                        }
                        progress.advance(rows as u64);
                    }
                }
            }
        }
        let mut kk = Moments::new(size);
        for b in 0..rows {
            kk.push(&vals[b * size..(b + 1) * size]);
        }
        Ok((kk, mean))
    };
    reduce_blocks(s, blocks, progress, 3 * size, block)
}
