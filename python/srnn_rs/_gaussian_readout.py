"""Closed-form response kernels of a linear network read out through a curved activation.

With ``a = identity`` and additive noise the stationary state is Gaussian and an input only
shifts its mean by ``∫ e^{−A(t−s)} C u_s ds``, so with ``y = g(R h + r0)`` (``g`` elementwise)

    E∞[y_o]                = E[g(x_o)]
    K1[τ, o, k]            = E[g′(x_o)] (R e^{−Aτ} C)_{ok}
    K2[τ1, τ2, o, k, l]    = E[g″(x_o)] (R e^{−Aτ1} C)_{ok} (R e^{−Aτ2} C)_{ol}

with ``x_o ~ N((R A⁻¹ b + r0)_o, (R Σ∞ Rᵀ)_oo)``. The one-dimensional Gaussian expectations are
closed forms for ``relu`` (its ``g″`` is a point mass) and Gauss–Hermite quadrature with enough
nodes to reach round-off for the smooth activations."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

# Probabilists' Hermite nodes: tanh, sigmoid and softplus are entire near the real axis and
# their expectations converge to round-off well before 120 nodes for readout spreads up to ~10.
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(120)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()

Derivatives = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def _tanh(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.tanh(x)
    return t, 1 - t * t, -2 * t * (1 - t * t)


def _sigmoid(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = 0.5 * (1 + np.tanh(0.5 * x))
    return s, s * (1 - s), s * (1 - s) * (1 - 2 * s)


def _softplus(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = 0.5 * (1 + np.tanh(0.5 * x))
    return np.logaddexp(0.0, x), s, s * (1 - s)


def _square(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return x * x, 2 * x, np.full_like(x, 2.0)


def _identity(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return x, np.ones_like(x), np.zeros_like(x)


_SMOOTH: dict[str, Derivatives] = {"tanh": _tanh, "sigmoid": _sigmoid, "softplus": _softplus,
                                   "identity": _identity, "square": _square}


def gaussian_moments(activation: str, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``E[g(x)], E[g′(x)], E[g″(x)]`` for ``x ~ N(mean, sd²)`` elementwise, shape ``(3, p)``."""
    if activation == "relu":
        out = np.empty((3, mean.size))
        for o, (mu, s) in enumerate(zip(mean, sd)):
            if s == 0:
                out[:, o] = (max(mu, 0.0), float(mu > 0), 0.0)
                continue
            z = mu / s
            cdf = 0.5 * math.erfc(-z / math.sqrt(2))
            pdf = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
            out[:, o] = (mu * cdf + s * pdf, cdf, pdf / s)
        return out
    values = _SMOOTH[activation](mean[:, None] + sd[:, None] * _NODES)
    return np.stack([v @ _WEIGHTS for v in values])


def curved_readout_kernels(linear_k1: np.ndarray, readout_mean: np.ndarray, readout_cov: np.ndarray,
                           activation: str, order: int) -> tuple[np.ndarray, np.ndarray]:
    """The kernel of ``order`` and the readout mean, from the linear readout's kernel
    ``R e^{−Aτ} C`` ``(L, p, m)`` and the stationary mean and covariance of ``R h + r0``."""
    sd = np.sqrt(np.clip(np.diag(readout_cov), 0.0, None))
    mean_g, slope, curvature = gaussian_moments(activation, np.asarray(readout_mean, float), sd)
    if order == 1:
        return slope[None, :, None] * linear_k1, mean_g
    return np.einsum("o,iok,jol->ijokl", curvature, linear_k1, linear_k1), mean_g
