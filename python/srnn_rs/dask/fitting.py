"""Fitting the linear kernel machines from dask inputs: each chunk of samples accumulates
the least-squares factors of its blocks, and the factors merge along the same block tree as
the local fit — only ``F × F`` factors travel, never the features."""

from __future__ import annotations

from typing import Any, Optional

import dask
import dask.array as da
import numpy as np

from .._validate import as_float_array, as_int, as_positive_float
from ..machines import ReadoutSRNN, ResponseFeatureRidge, _sequences, _targets
from ._tasks import compute, merge_tree, on_worker, spans


@on_worker
def _factors(estimator: Any, U: np.ndarray, y: np.ndarray, first_sample: int) -> Any:
    U3, _ = _sequences(U)
    if isinstance(estimator, ReadoutSRNN):
        Y = estimator._training_targets(U3, False, y)
    else:
        Y, _ = _targets(y, U3.shape[0])
    return estimator._factors(U3, Y, first_sample)


def _append(left: Any, right: Any) -> Any:
    return left.append(right)


def _aligned(n: int, current: int, block: int) -> tuple[int, ...]:
    """Chunks of whole blocks (the last one ragged), about ``current`` samples each."""
    size = max(1, round(current / block)) * block
    full, rest = divmod(n, size)
    return (size,) * full + ((rest,) if rest else ())


def _check_targets(estimator: Any, u_shape: tuple, y_shape: tuple) -> bool:
    """The local fit's shape rules for ``y``, from shapes alone; returns whether predictions are
    flattened to ``(n_samples,)``."""
    n = u_shape[0]
    if isinstance(estimator, ReadoutSRNN) and estimator.target == "sequence":
        if len(y_shape) not in (2, 3) or tuple(y_shape[:2]) != tuple(u_shape[:2]):
            raise ValueError(f"y: expected shape ({n}, {u_shape[1]}, q) to match U, got {y_shape}")
        washout = as_int("washout", estimator.washout, minimum=0)
        if washout >= u_shape[1]:
            raise ValueError(f"washout: must be below the sequence length {u_shape[1]}, got {washout}")
        return False
    if len(y_shape) not in (1, 2) or y_shape[0] != n:
        raise ValueError(f"y: expected (n_samples,) or (n_samples, q) with {n} rows, got shape {y_shape}")
    return len(y_shape) == 1


def fit(estimator: Any, U: Any, y: Any, *, client: Optional[Any] = None) -> Any:
    """Fits ``estimator`` (a :class:`~srnn_rs.ResponseFeatureRidge` or
    :class:`~srnn_rs.ReadoutSRNN`) on inputs ``U`` ``(n_samples, T, m)`` and targets ``y``
    held as dask arrays chunked along samples (NumPy targets are chunked like ``U``), and
    returns it fitted — the same coefficients, bit for bit, as ``estimator.fit`` on the
    gathered arrays.

    Chunks are first aligned to the estimator's ``block_size`` samples (Dask moves rows
    between workers, not to the client); each chunk then accumulates the triangular
    least-squares factors of its blocks.

    Examples
    --------
    >>> import numpy as np, dask.array as da, srnn_rs, srnn_rs.dask
    >>> U = srnn_rs.tasks.random_inputs(40, 30, seed=0)
    >>> y = U.sum(axis=(1, 2)) * 0.1
    >>> est = srnn_rs.ResponseFeatureRidge(dt=0.1, depth=2, n_basis=2, block_size=8)
    >>> dist = srnn_rs.dask.fit(est, da.from_array(U, chunks=(13, 30, 1)), y)
    >>> local = srnn_rs.ResponseFeatureRidge(dt=0.1, depth=2, n_basis=2, block_size=8).fit(U, y)
    >>> bool(np.array_equal(dist.coef_, local.coef_))
    True
    """
    if not isinstance(estimator, (ResponseFeatureRidge, ReadoutSRNN)):
        raise TypeError(f"estimator: expected a ResponseFeatureRidge or ReadoutSRNN, got {type(estimator).__name__}")
    if not isinstance(U, da.Array):
        U = as_float_array("U", U, ndim=3)
        U = da.from_array(U, chunks=(max(1, len(U) // 8), -1, -1))
    if U.ndim != 3:
        raise ValueError(f"U: expected (n_samples, T, m), got {U.ndim} dimensions")
    if isinstance(estimator, ReadoutSRNN):
        estimator._prepare(np.zeros((1, *U.shape[1:])))  # the model and its input channels
    y_shape = tuple(y.shape) if isinstance(y, da.Array) else np.shape(y)
    flat = _check_targets(estimator, U.shape, y_shape)
    as_positive_float("alpha", estimator.alpha, allow_zero=True)
    block = as_int("block_size", estimator.block_size, minimum=1)
    sizes = _aligned(U.shape[0], U.chunks[0][0], block)
    U = U.rechunk({0: sizes, 1: -1, 2: -1})
    if isinstance(y, da.Array):
        y = y.rechunk({0: sizes, **{a: -1 for a in range(1, y.ndim)}})
    else:
        y = as_float_array("y", y)
        y = da.from_array(y, chunks=(sizes, *y.shape[1:]))
    node = dask.delayed(estimator, pure=True)
    task = dask.delayed(_factors, pure=True)
    leaves = [task(node, u, t, start) for u, t, (start, _) in zip(U.to_delayed().reshape(-1),
                                                                  y.to_delayed().reshape(-1), spans(sizes))]
    acc = compute(merge_tree(leaves, _append), client)
    if isinstance(estimator, ReadoutSRNN):
        estimator._flat = flat
        return estimator._solve(acc, U.shape)
    return estimator._solve(acc, flat, U.shape[2])
