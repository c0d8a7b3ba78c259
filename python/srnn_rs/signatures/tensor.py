"""The truncated tensor algebra: exponential, logarithm and inverse."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._validate import as_float_array, check_finite_result
from ._args import ArrayLike, as_bool, as_depth, as_dim, check_bytes

__all__ = ["tensor_exp", "tensor_log", "tensor_inverse"]


def _unary(name: str, op: str, x: ArrayLike, d: Any, depth: Any, scalar_term: Any, input_scalar: float) -> np.ndarray:
    d = as_dim(d)
    depth = as_depth(depth)
    scalar_term = as_bool("scalar_term", scalar_term)
    arr = as_float_array("x", x)
    S = _core.siglength(d, depth)
    want = S + (1 if scalar_term else 0)
    if arr.ndim < 1 or arr.shape[-1] != want:
        raise ValueError(f"x: expected shape (..., {want}) for d={d}, depth={depth}, scalar_term={scalar_term}, got shape {arr.shape}")
    batch_shape = arr.shape[:-1]
    check_bytes(name, int(np.prod(batch_shape, dtype=np.int64)), S + 1)
    full = np.empty(batch_shape + (S + 1,))
    if scalar_term:
        full[...] = arr
    else:
        full[..., 0] = input_scalar
        full[..., 1:] = arr
    out = _core._tensor_unary(full.reshape(-1, S + 1), d, depth, op).reshape(batch_shape + (S + 1,))
    check_finite_result("x", out, f"the tensor {op}")
    return out if scalar_term else np.ascontiguousarray(out[..., 1:])


def tensor_exp(x: ArrayLike, d: int, depth: int, *, scalar_term: bool = False) -> np.ndarray:
    """Truncated tensor exponential ``exp(x) = sum_n x^{⊗n}/n!``.

    ``x`` has shape ``(..., S)``, level 0 taken as 0 unless ``scalar_term`` (then ``(..., S+1)``).
    The result's level 0 (1 when ``x`` has none) is returned only with ``scalar_term``.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> srnn_rs.tensor_exp(np.array([1.0, 2.0, 0, 0, 0, 0]), 2, 2)
    array([1. , 2. , 0.5, 1. , 1. , 2. ])
    """
    return _unary("tensor_exp", "exp", x, d, depth, scalar_term, 0.0)


def tensor_log(x: ArrayLike, d: int, depth: int, *, scalar_term: bool = False) -> np.ndarray:
    """Truncated tensor logarithm ``log(x) = sum_n (-1)^{n+1} (x-1)^{⊗n}/n``.

    ``x`` has shape ``(..., S)`` with level 0 taken as 1 (or ``(..., S+1)`` with
    ``scalar_term``; level 0 must then be positive).

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> srnn_rs.tensor_log(np.array([1., 2., 0.5, 1., 1., 2.]), 2, 2)
    array([1., 2., 0., 0., 0., 0.])
    """
    return _unary("tensor_log", "log", x, d, depth, scalar_term, 1.0)


def tensor_inverse(x: ArrayLike, d: int, depth: int, *, scalar_term: bool = False) -> np.ndarray:
    """Multiplicative inverse in the truncated tensor algebra (level 0 taken as 1 unless
    ``scalar_term``). For a signature this is the signature of the reversed path.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> srnn_rs.tensor_inverse(np.array([1., 2., 0.5, 1., 1., 2.]), 2, 2)
    array([-1. , -2. ,  0.5,  1. ,  1. ,  2. ])
    """
    return _unary("tensor_inverse", "inverse", x, d, depth, scalar_term, 1.0)
