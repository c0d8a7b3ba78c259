//! Every Monte Carlo estimator behind one interface: partial sums over a range of blocks
//! ([`Estimator::partial`]), appended in block order ([`Partial::append`]) and finished into
//! the estimate ([`Estimator::finish`]). The local call is the same three steps over all
//! blocks, so a range computed elsewhere (another process, another machine) merges into the
//! same bits.

use std::ops::Range;

use super::adjoint::adjoint_k1_partial;
use super::adjoint_k2::adjoint_k2_partial;
use super::fd::{fd_k1_partial, fd_k2_partial};
use super::fdt::{fdt_gauss_finish, fdt_gauss_partial};
use super::girsanov::{girsanov_k1_partial, girsanov_k2_partial, girsanov_kernel, LrSums};
use super::reduce::{block_count, whole, BlockTree, Decoder, Moments};
use super::stats::{
    correlation_finish, lagged_products_partial, stationary_stats_finish, stationary_stats_partial,
    CorrelationFunction, CovSums, Observable, Origins, StationaryStats,
};
use super::{EnsembleSettings, Kernel};
use crate::model::Srnn;
use crate::progress::Progress;
use crate::{Error, Result};

/// What an ensemble of stationary paths estimates.
#[derive(Debug, Clone)]
pub enum Estimator {
    /// Kernel of `order` 1 (the adjoint sweep) or 2 (tangents over the adjoint), pathwise.
    Adjoint { order: usize },
    /// Kernel of `order` 1 or 2 by finite differences with kick size `eps`.
    Fd { order: usize, eps: f64 },
    /// Kernel of `order` 1 or 2 by likelihood-ratio weights, lags binned by `bin_width`.
    Girsanov { order: usize, bin_width: usize },
    /// The second pass of the quasi-Gaussian FDT kernel, centred with `stats`: the
    /// [`Estimator::Stats`] of [`super::fdt::first_pass`] on the same paths.
    FdtGauss {
        origins: Origins,
        stats: Box<StationaryStats>,
    },
    /// Stationary mean and covariance, each path averaged over steps `0, stride, …, n_steps`.
    Stats { n_steps: usize, stride: usize },
    /// `E∞[f(h_τ) g(h_0)]`, each path averaged over `origins`.
    Correlation {
        observable: Observable,
        origins: Origins,
    },
}

/// What an estimator produces.
#[derive(Debug, Clone, PartialEq)]
pub enum Estimate {
    Kernel(Kernel),
    Stats(StationaryStats),
    Correlation(CorrelationFunction),
}

/// Partial sums of a contiguous range of blocks, by the kind of sums the estimator keeps.
#[derive(Debug, Clone, PartialEq)]
pub enum Partial {
    /// Per-path kernel values and readouts (adjoint, fd).
    Kernel(BlockTree<(Moments, Moments)>),
    /// Likelihood-ratio sums (girsanov).
    LikelihoodRatio(BlockTree<LrSums>),
    /// State and readout covariance sums (stationary statistics).
    Covariance(BlockTree<(CovSums, CovSums)>),
    /// Lagged products (correlation functions, fdt_gauss).
    Lagged(BlockTree<Moments>),
}

fn wrong_kind() -> Error {
    Error::invalid(
        "partial",
        "partial sums of another kind of estimator than the one asked for",
    )
}

impl Partial {
    pub fn blocks(&self) -> Range<usize> {
        match self {
            Partial::Kernel(t) => t.blocks(),
            Partial::LikelihoodRatio(t) => t.blocks(),
            Partial::Covariance(t) => t.blocks(),
            Partial::Lagged(t) => t.blocks(),
        }
    }

    /// `self` followed by `right`, which must cover the blocks right after this range.
    pub fn append(&mut self, right: Partial) -> Result<()> {
        match (self, right) {
            (Partial::Kernel(a), Partial::Kernel(b)) => a.append(b),
            (Partial::LikelihoodRatio(a), Partial::LikelihoodRatio(b)) => a.append(b),
            (Partial::Covariance(a), Partial::Covariance(b)) => a.append(b),
            (Partial::Lagged(a), Partial::Lagged(b)) => a.append(b),
            _ => Err(wrong_kind()),
        }
    }

    /// A flat list of `f64`: the kind, then the tree.
    pub fn encode(&self) -> Vec<f64> {
        let mut out = Vec::new();
        match self {
            Partial::Kernel(t) => {
                out.push(0.0);
                t.encode(&mut out);
            }
            Partial::LikelihoodRatio(t) => {
                out.push(1.0);
                t.encode(&mut out);
            }
            Partial::Covariance(t) => {
                out.push(2.0);
                t.encode(&mut out);
            }
            Partial::Lagged(t) => {
                out.push(3.0);
                t.encode(&mut out);
            }
        }
        out
    }

    pub fn decode(data: &[f64]) -> Result<Partial> {
        let mut src = Decoder::new(data);
        let partial = match src.count()? {
            0 => Partial::Kernel(BlockTree::decode(&mut src)?),
            1 => Partial::LikelihoodRatio(BlockTree::decode(&mut src)?),
            2 => Partial::Covariance(BlockTree::decode(&mut src)?),
            3 => Partial::Lagged(BlockTree::decode(&mut src)?),
            _ => return Err(wrong_kind()),
        };
        if !src.is_empty() {
            return Err(wrong_kind());
        }
        Ok(partial)
    }
}

/// Refuses sums whose length is not the estimate's (a partial of another call).
fn check_len(len: usize, want: usize) -> Result<()> {
    if len == want {
        Ok(())
    } else {
        Err(Error::invalid(
            "partial",
            format!("holds {len} sums where this estimate has {want}: a partial of another call"),
        ))
    }
}

fn kernel_shape(model: &Srnn, s: &EnsembleSettings, order: usize) -> Vec<usize> {
    let (l, p, m) = (s.n_lags, model.p(), model.m());
    if order == 1 {
        vec![l, p, m]
    } else {
        vec![l, l, p, m, m]
    }
}

fn check_order(order: usize) -> Result<()> {
    if order == 1 || order == 2 {
        Ok(())
    } else {
        Err(Error::invalid(
            "order",
            format!("expected 1 or 2, got {order}"),
        ))
    }
}

impl Estimator {
    /// Partial sums over the blocks `blocks` of the call `s` (block `i` holds its paths
    /// `i·block_size ..`).
    pub fn partial(
        &self,
        model: &Srnn,
        s: &EnsembleSettings,
        blocks: Range<usize>,
        progress: &Progress,
    ) -> Result<Partial> {
        Ok(match self {
            Estimator::Adjoint { order } => {
                check_order(*order)?;
                Partial::Kernel(if *order == 1 {
                    adjoint_k1_partial(model, s, blocks, progress)?
                } else {
                    adjoint_k2_partial(model, s, blocks, progress)?
                })
            }
            Estimator::Fd { order, eps } => {
                check_order(*order)?;
                Partial::Kernel(if *order == 1 {
                    fd_k1_partial(model, s, *eps, blocks, progress)?
                } else {
                    fd_k2_partial(model, s, *eps, blocks, progress)?
                })
            }
            Estimator::Girsanov { order, bin_width } => {
                check_order(*order)?;
                Partial::LikelihoodRatio(if *order == 1 {
                    girsanov_k1_partial(model, s, *bin_width, blocks, progress)?
                } else {
                    girsanov_k2_partial(model, s, *bin_width, blocks, progress)?
                })
            }
            Estimator::FdtGauss { origins, stats } => Partial::Lagged(fdt_gauss_partial(
                model, s, *origins, stats, blocks, progress,
            )?),
            Estimator::Stats { n_steps, stride } => Partial::Covariance(stationary_stats_partial(
                model, s, *n_steps, *stride, blocks, progress,
            )?),
            Estimator::Correlation {
                observable,
                origins,
            } => Partial::Lagged(lagged_products_partial(
                model,
                s,
                *origins,
                *observable,
                None,
                None,
                blocks,
                progress,
            )?),
        })
    }

    /// The estimate from the partial sums of all the call's blocks.
    pub fn finish(&self, model: &Srnn, s: &EnsembleSettings, partial: Partial) -> Result<Estimate> {
        let (p, m, l) = (model.p(), model.m(), s.n_lags);
        Ok(match (self, partial) {
            (Estimator::Adjoint { order } | Estimator::Fd { order, .. }, Partial::Kernel(tree)) => {
                kernel(model, s, *order, tree)?
            }
            (Estimator::Girsanov { order, bin_width }, Partial::LikelihoodRatio(tree)) => {
                let sums = whole(s, tree)?;
                let nb = l.div_ceil((*bin_width).max(1));
                let size = if *order == 1 {
                    nb * p * m
                } else {
                    nb * nb * p * m * m
                };
                check_len(sums.len(), size)?;
                check_len(sums.readouts(), p)?;
                Estimate::Kernel(girsanov_kernel(model, s, *order, *bin_width, &sums)?)
            }
            (Estimator::FdtGauss { stats, .. }, Partial::Lagged(tree)) => {
                let mom = whole(s, tree)?;
                check_len(mom.sum.len(), l * p * m)?;
                Estimate::Kernel(fdt_gauss_finish(model, s, stats, &mom))
            }
            (Estimator::Stats { .. }, Partial::Covariance(tree)) => {
                let sums = whole(s, tree)?;
                check_len(sums.0.dim(), model.n())?;
                check_len(sums.1.dim(), p)?;
                Estimate::Stats(stationary_stats_finish(&sums))
            }
            (Estimator::Correlation { observable, .. }, Partial::Lagged(tree)) => {
                let mom = whole(s, tree)?;
                let q = match observable {
                    Observable::Readout => p,
                    Observable::State | Observable::Drift => model.n(),
                };
                check_len(mom.sum.len(), l * p * q)?;
                Estimate::Correlation(correlation_finish(model, s, &mom))
            }
            _ => return Err(wrong_kind()),
        })
    }

    /// The second pass of `fdt_gauss` with `origins`, centred with the statistics of its first
    /// pass: `first_pass` covers all blocks of [`super::fdt::first_pass`]'s estimator.
    pub fn fdt_gauss(
        s: &EnsembleSettings,
        origins: Origins,
        first_pass: Partial,
    ) -> Result<Estimator> {
        let Partial::Covariance(tree) = first_pass else {
            return Err(wrong_kind());
        };
        let stats = stationary_stats_finish(&whole(s, tree)?);
        Ok(Estimator::FdtGauss {
            origins,
            stats: Box::new(stats),
        })
    }

    /// The estimate of the whole call `s`.
    pub fn estimate(
        &self,
        model: &Srnn,
        s: &EnsembleSettings,
        progress: &Progress,
    ) -> Result<Estimate> {
        let partial = self.partial(model, s, 0..block_count(s), progress)?;
        self.finish(model, s, partial)
    }
}

fn kernel(
    model: &Srnn,
    s: &EnsembleSettings,
    order: usize,
    tree: BlockTree<(Moments, Moments)>,
) -> Result<Estimate> {
    let (k, mean) = whole(s, tree)?;
    let shape = kernel_shape(model, s, order);
    check_len(k.sum.len(), shape.iter().product())?;
    check_len(mean.sum.len(), model.p())?;
    Ok(Estimate::Kernel(Kernel::from_moments(
        order,
        s.lags(),
        shape,
        &k,
        Some(&mean),
    )))
}
