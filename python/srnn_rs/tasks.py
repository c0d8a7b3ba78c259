"""Benchmark tasks for readout training: NARMA10 and a noisy-teacher SRNN."""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from ._validate import as_int, as_seed


def narma10(n_steps: int, *, seed: int = 0, washout: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """The NARMA10 task (Atiya & Parlos 2000): inputs ``u_t ~ U[0, 0.5]`` and

    ``y_{t+1} = 0.3 y_t + 0.05 y_t Σ_{i=0}^{9} y_{t−i} + 1.5 u_{t−9} u_t + 0.1``.

    Returns ``(u, y)`` of shapes ``(n_steps, 1)``, aligned so that ``y[t]`` is the target
    after the input ``u[t]`` has been seen (``y[t] = y_{t+1}`` above). The first ``washout``
    steps of the recursion are run and dropped (the recursion starts from zeros).

    Examples
    --------
    >>> u, y = narma10(500, seed=1)
    >>> u.shape, y.shape
    ((500, 1), (500, 1))
    >>> bool(np.isfinite(y).all())
    True
    """
    n_steps = as_int("n_steps", n_steps, minimum=1)
    washout = as_int("washout", washout, minimum=0)
    rng = np.random.default_rng(as_seed(seed))
    total = n_steps + washout
    u = rng.uniform(0.0, 0.5, total)
    y = np.zeros(total + 1)
    for t in range(total):
        past = y[max(0, t - 9): t + 1]
        u_lag = u[t - 9] if t >= 9 else 0.0
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * past.sum() + 1.5 * u_lag * u[t] + 0.1
    return u[washout:, None], y[washout + 1:, None]


def random_inputs(
    n_inputs: int, n_steps: int, m: int = 1, *, amplitude: float = 1.0, smoothness: int = 10, seed: int = 0,
    rng: Optional[np.random.Generator] = None,
) -> np.ndarray:
    """Smooth random inputs ``(n_inputs, n_steps, m)``: white noise filtered by a moving
    average of ``smoothness`` steps, scaled to the given RMS ``amplitude``."""
    n_inputs = as_int("n_inputs", n_inputs, minimum=1)
    n_steps = as_int("n_steps", n_steps, minimum=1)
    m = as_int("m", m, minimum=1)
    smoothness = as_int("smoothness", smoothness, minimum=1)
    rng = rng or np.random.default_rng(as_seed(seed))
    white = rng.standard_normal((n_inputs, n_steps + smoothness - 1, m))
    kernel = np.ones(smoothness) / smoothness
    smooth = np.apply_along_axis(lambda x: np.convolve(x, kernel, mode="valid"), 1, white)
    rms = np.sqrt(np.mean(smooth**2)) or 1.0
    return amplitude * smooth / rms
