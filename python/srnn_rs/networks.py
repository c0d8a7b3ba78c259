"""Networks that ship with srnn_rs, so examples and the demo need no data files."""

from __future__ import annotations

import numpy as np

from .model import SRNN


def _pseudo_random(shape: tuple[int, ...], salt: float) -> np.ndarray:
    """Deterministic, roughly N(0, 1) entries from a closed formula: the same on every
    platform and NumPy version (unlike a seeded generator stream)."""
    k = np.arange(1, int(np.prod(shape)) + 1, dtype=np.float64)
    frac = np.modf(np.sin(k * 12.9898 + salt) * 43758.5453)[0]
    frac = np.abs(frac)
    # A sum of 4 uniforms, centred and scaled: close enough to Gaussian for weights.
    more = np.abs(np.modf(np.sin(k * 78.233 + salt) * 12345.6789)[0])
    more2 = np.abs(np.modf(np.sin(k * 39.425 + salt) * 24680.1357)[0])
    more3 = np.abs(np.modf(np.sin(k * 93.989 + salt) * 97531.2468)[0])
    return ((frac + more + more2 + more3 - 2.0) * np.sqrt(3.0)).reshape(shape)


def default_network() -> SRNN:
    """The embedded default network: 16 tanh units, one input, one output, additive noise.

    Recurrent gain 0.7 (stable, with nonlinear relaxation slower than the leak), Γ = 1, σ = 0.3.
    """
    n, m = 16, 1
    W = 0.7 * _pseudo_random((n, n), 1.0) / np.sqrt(n)
    C = _pseudo_random((n, m), 2.0)
    b = 0.2 * _pseudo_random((n,), 3.0)
    R = _pseudo_random((1, n), 4.0) / np.sqrt(n)
    return SRNN(W, C, gamma=1.0, b=b, sigma=0.3, activation="tanh", readout=R)
