"""Scores of a fitted estimator on inputs perturbed by noise, level by level: how the noise-injected
RNN literature reports robustness.

Perturbations, applied to every entry of ``U`` independently:

* ``"gaussian"``: ``U + level·Z`` with ``Z`` standard normal (``level`` is an absolute standard
  deviation, in the units of ``U``);
* ``"salt_and_pepper"``: with probability ``level`` an entry is replaced by the smallest or the
  largest value of its channel in the clean ``U`` (each with probability ½), else kept.

For a prediction affine in the input, ``f(U) = a + Σ β U``, Gaussian noise adds ``level²·‖β‖²`` to
the expected mean squared error of every sample (the cross term has mean zero), so
``E[MSE] = MSE_clean + level²·‖β‖²`` and ``E[R²] = R²_clean − level²·‖β‖²·N / Σ(y − ȳ)²``.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, Union

import numpy as np

from ._validate import as_choice, as_float_array, as_int, as_seed

__all__ = ["robustness", "NOISES", "SCORINGS"]

NOISES = ("gaussian", "salt_and_pepper")
SCORINGS = ("r2", "mse")


def _perturbed(U: np.ndarray, noise: str, level: float, rng: np.random.Generator) -> np.ndarray:
    if level == 0:
        return U
    if noise == "gaussian":
        return U + level * rng.standard_normal(U.shape)
    # Channels are the last axis of every input layout the estimators accept.
    clean = U.reshape(-1, U.shape[-1]) if U.ndim > 1 else U.reshape(-1, 1)
    lo, hi = clean.min(axis=0), clean.max(axis=0)
    if U.ndim == 1:
        lo, hi = lo[0], hi[0]
    hit = rng.random(U.shape) < level
    extreme = np.where(rng.random(U.shape) < 0.5, hi, lo)
    return np.where(hit, extreme, U)


def _scorer(estimator: Any, scoring: Union[str, Callable[..., float]]) -> Callable[[np.ndarray, Any], float]:
    if callable(scoring):
        custom = scoring
        return lambda U, y: float(custom(estimator, U, y))
    if as_choice("scoring", scoring, SCORINGS) == "r2":
        if not callable(getattr(estimator, "score", None)):
            raise TypeError(f"estimator: expected a fitted estimator with score(U, y), got {type(estimator).__name__}")
        return lambda U, y: float(estimator.score(U, y))

    def mse(U: np.ndarray, y: np.ndarray) -> float:
        pred = np.asarray(estimator.predict(U), dtype=float).reshape(y.shape)
        return float(np.mean((y - pred) ** 2))

    return mse


def robustness(
    estimator: Any,
    U: Any,
    y: Any,
    *,
    noise: str = "gaussian",
    levels: Sequence[float] = (0.0, 0.1, 0.3, 1.0),
    n_repeats: int = 10,
    seed: int = 0,
    scoring: Union[str, Callable[..., float]] = "r2",
) -> list[dict[str, Any]]:
    """Score a fitted estimator on noisy copies of ``U``, ``n_repeats`` draws per level.

    Parameters
    ----------
    estimator
        A fitted estimator with ``predict(U)`` (and ``score(U, y)`` for ``scoring="r2"``): a kernel
        machine, a ``ReadoutSRNN``, or anything with the same methods.
    U : array
        Clean inputs in any layout the estimator accepts; channels on the last axis.
    y : array
        Targets, as given to ``score``.
    noise : "gaussian" or "salt_and_pepper"
        See the module docstring.
    levels : sequence of float
        Gaussian standard deviations, or salt-and-pepper probabilities (at most 1).
    n_repeats : int
        Independent noise draws per level (at least 2, for standard errors); level 0 is scored
        once, its standard error being zero.
    seed : int
        Draw ``r`` of level ``i`` uses ``numpy.random.default_rng([seed, i, r])``.
    scoring : "r2", "mse" or callable
        ``estimator.score`` (R²), the mean squared error of ``predict``, or
        ``scoring(estimator, U_noisy, y) -> float``.

    Returns
    -------
    list of dict
        One row per level, in the order given: ``noise``, ``level``, ``score`` (mean over draws),
        ``score_se`` (its standard error), ``n_repeats``.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> class Doubler:
    ...     def predict(self, U):
    ...         return 2 * U.sum(axis=1)
    >>> U = np.ones((200, 3)); y = np.full(200, 6.0)
    >>> rows = srnn_rs.robustness(Doubler(), U, y, levels=[0, 0.5], scoring="mse", n_repeats=20)
    >>> [(r["level"], r["score"]) for r in rows][0]
    (0.0, 0.0)
    >>> abs(rows[1]["score"] - 0.25 * 12) < 4 * rows[1]["score_se"]  # E[MSE] = level²·‖β‖²
    True
    """
    noise = as_choice("noise", noise, NOISES)
    U = as_float_array("U", U)
    if U.ndim == 0 or U.size == 0:
        raise ValueError(f"U: expected a non-empty array of inputs, got shape {U.shape}")
    y = as_float_array("y", y)
    n_repeats = as_int("n_repeats", n_repeats, minimum=2)
    seed = as_seed(seed)
    if isinstance(levels, (str, bytes)) or not hasattr(levels, "__iter__"):
        raise TypeError(f"levels: expected a sequence of numbers, got {type(levels).__name__}")
    level_arr = as_float_array("levels", list(levels), ndim=1)
    if level_arr.size == 0:
        raise ValueError("levels: expected at least one noise level")
    if (level_arr < 0).any():
        raise ValueError(f"levels: expected non-negative levels, got {level_arr.tolist()}")
    if noise == "salt_and_pepper" and (level_arr > 1).any():
        raise ValueError(f"levels: salt-and-pepper levels are probabilities (at most 1), got {level_arr.tolist()}")
    if not (callable(getattr(estimator, "predict", None)) or callable(scoring)):
        raise TypeError(f"estimator: expected a fitted estimator with predict(U), got {type(estimator).__name__}")
    score = _scorer(estimator, scoring)
    rows = []
    for i, level in enumerate(level_arr.tolist()):
        if level == 0:
            values = np.array([score(U, y)])
        else:
            values = np.array([score(_perturbed(U, noise, level, np.random.default_rng([seed, i, r])), y)
                               for r in range(n_repeats)])
        se = float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else 0.0
        rows.append({"noise": noise, "level": float(level), "score": float(values.mean()), "score_se": se,
                     "n_repeats": int(values.size)})
    return rows
