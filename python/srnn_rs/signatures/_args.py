"""Argument checks shared by the signature functions, and the one request a path call sends
to the core. Checks here raise ``TypeError``/``ValueError`` naming the argument; lengths,
shapes and the memory limit are the core's (``_core.siglength``, ``_core._signature_shape``,
``_core.check_memory``), so none is recomputed here."""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from .. import _core
from .._validate import as_float_array, as_int

ArrayLike = Any

# Results do not depend on the thread count, and thousands of threads only cost seconds to
# create; the native pool also caps what it builds at this many.
_MAX_JOBS = 256

_MAX_DEPTH = 1000  # only reachable for d = 1; the work grows like depth**2 per segment


def as_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {type(value).__name__}")
    return bool(value)


def as_depth(depth: Any) -> int:
    return as_int("depth", depth, minimum=1, maximum=_MAX_DEPTH)


def as_dim(d: Any) -> int:
    return as_int("d", d, minimum=1, maximum=2**63 - 1)


def as_jobs(n_jobs: Any) -> Optional[int]:
    if n_jobs is None:
        return None
    v = as_int("n_jobs", n_jobs, maximum=_MAX_JOBS)
    if v == -1:
        return None
    if v < 1:
        raise ValueError(f"n_jobs: expected None, -1 or a positive integer, got {v}")
    return v


def as_path(name: str, path: ArrayLike) -> np.ndarray:
    arr = as_float_array(name, path)
    if arr.ndim < 2:
        raise ValueError(f"{name}: expected an array of shape (..., L, d) with at least 2 dimensions, got shape {arr.shape}")
    if arr.shape[-2] < 1:
        raise ValueError(f"{name}: expected at least one point (L >= 1), got shape {arr.shape}")
    if arr.shape[-1] < 1:
        raise ValueError(f"{name}: expected at least one channel (d >= 1), got shape {arr.shape}")
    return arr


def as_tensor(name: str, x: ArrayLike, d: int, depth: int, scalar_term: bool) -> np.ndarray:
    """``x`` of shape ``(..., S)`` (or ``(..., S+1)`` with the scalar) as a full-layout copy
    of shape ``(..., S+1)``. The implied level-0 term is 1."""
    arr = as_float_array(name, x)
    want = _core.siglength(d, depth) + (1 if scalar_term else 0)
    if arr.ndim < 1 or arr.shape[-1] != want:
        what = "1 + " if scalar_term else ""
        raise ValueError(
            f"{name}: expected shape (..., {want}) ({what}siglength(d={d}, depth={depth})), got shape {arr.shape}"
        )
    if scalar_term:
        return np.array(arr, dtype=np.float64, copy=True)
    out = np.empty(arr.shape[:-1] + (want + 1,), dtype=np.float64)
    out[..., 0] = 1.0
    out[..., 1:] = arr
    return out


def check_bytes(what: str, *shape: int) -> None:
    """Raise :class:`~srnn_rs.MemoryLimitError` if a float64 array of ``shape`` would pass the limit."""
    n = 8
    for s in shape:
        n *= int(s)
    _core.check_memory(what, n)


@dataclass(frozen=True)
class PathRequest:
    """One call on a batch of paths, as the core reads it (``rust/srnn-py/src/request.rs``)."""

    path: np.ndarray
    """``(batch, L, d)`` float64, C-contiguous."""
    depth: int
    basepoint: Union[bool, np.ndarray]
    """False, True (the origin) or ``(batch, d)`` points."""
    lead_lag: bool
    time_aug: bool
    end_time: float
    stream: bool
    inverse: bool
    scalar_term: bool
    n_jobs: Optional[int]
    batch_shape: tuple[int, ...]
    """The caller's leading dimensions, flattened into ``batch``; the core ignores it."""
    initial: Optional[np.ndarray] = None
    """``(batch, full)`` signatures to continue from, in the full layout."""

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(d_out, rows, width)``: channels after the transforms, rows per path, entries per row."""
        return _core._signature_shape(self)

    def output_shape(self, rows: int, width: int) -> tuple[int, ...]:
        """The caller's shape of a result with ``rows`` rows of ``width`` per path."""
        return self.batch_shape + ((rows, width) if self.stream else (width,))


def path_request(
    path: ArrayLike,
    depth: Any,
    *,
    basepoint: Any,
    time_aug: Any,
    lead_lag: Any,
    end_time: Any,
    n_jobs: Any,
    stream: Any,
    inverse: Any,
    scalar_term: Any = False,
) -> PathRequest:
    """The request for ``path`` of shape ``(..., L, d)``, every argument checked."""
    arr = as_path("path", path)
    depth = as_depth(depth)
    time_aug = as_bool("time_aug", time_aug)
    lead_lag = as_bool("lead_lag", lead_lag)
    if isinstance(end_time, bool) or not isinstance(end_time, numbers.Real) or not np.isfinite(float(end_time)):
        raise TypeError(f"end_time: expected a finite real number, got {end_time!r}")
    jobs = as_jobs(n_jobs)
    batch_shape = arr.shape[:-2]
    L, d = arr.shape[-2:]
    B = int(np.prod(batch_shape, dtype=np.int64)) if batch_shape else 1
    bp: Union[bool, np.ndarray]
    if isinstance(basepoint, (bool, np.bool_)):
        bp = bool(basepoint)
    elif basepoint is None:
        bp = False
    else:
        b = as_float_array("basepoint", basepoint)
        if b.ndim == 0 or b.shape[-1] != d:
            raise ValueError(f"basepoint: expected True, False or an array of shape (..., {d}), got shape {b.shape}")
        try:
            b = np.broadcast_to(b, batch_shape + (d,))
        except ValueError:
            raise ValueError(
                f"basepoint: shape {b.shape} does not broadcast against the batch shape {batch_shape} of path"
            ) from None
        bp = np.ascontiguousarray(b.reshape(B, d))
    return PathRequest(
        path=arr.reshape(B, L, d),
        depth=depth,
        basepoint=bp,
        lead_lag=lead_lag,
        time_aug=time_aug,
        end_time=float(end_time),
        stream=as_bool("stream", stream),
        inverse=as_bool("inverse", inverse),
        scalar_term=as_bool("scalar_term", scalar_term),
        n_jobs=jobs,
        batch_shape=batch_shape,
    )


def with_initial(request: PathRequest, initial: Optional[ArrayLike]) -> PathRequest:
    """``request`` continuing from ``initial`` (shape ``(..., S)``, broadcast to the batch)."""
    if initial is None:
        return request
    d_out = request.shape[0]
    full = as_tensor("initial", initial, d_out, request.depth, request.scalar_term)
    S1 = full.shape[-1]
    try:
        full = np.broadcast_to(full, request.batch_shape + (S1,))
    except ValueError:
        raise ValueError(
            f"initial: shape {np.shape(initial)} does not broadcast against the batch shape "
            f"{request.batch_shape} of path"
        ) from None
    B = request.path.shape[0]
    return dataclasses.replace(request, initial=np.ascontiguousarray(full.reshape(B, S1)))
