"""Argument checks shared by the public API. Each raises ``TypeError``/``ValueError`` naming
the argument, what was expected and what came, before any Rust work starts."""

from __future__ import annotations

import numbers
from typing import Any, Optional, Sequence

import numpy as np

_FLOAT_KINDS = "fiub"  # float, signed, unsigned, bool: all convert to float64 without surprise


def as_float_array(
    name: str,
    value: Any,
    *,
    ndim: Optional[Sequence[int] | int] = None,
    dtype: Any = np.float64,
    allow_nonfinite: bool = False,
) -> np.ndarray:
    """A C-contiguous copy-if-needed array of ``dtype``; never a view that Rust could mutate."""
    if value is None:
        raise TypeError(f"{name}: expected an array of numbers, got None")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name}: expected an array of numbers, got {type(value).__name__} ({exc})") from None
    if arr.dtype.kind not in _FLOAT_KINDS:
        raise TypeError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(f"{name}: expected {want} dimensions, got shape {arr.shape}")
    if arr.dtype != dtype or not arr.flags.c_contiguous:
        # A broadcast or strided view can stand for far more memory than it holds.
        from ._memory import check_memory

        check_memory(f"{name} (as a contiguous array)", arr.size * np.dtype(dtype).itemsize)
    arr = np.asarray(arr, dtype=dtype, order="C")
    if not arr.flags.aligned:
        # Buffers deserialised by Dask (or np.frombuffer at an odd offset) can be misaligned,
        # which the native code cannot read in place.
        arr = arr.copy()
    if not allow_nonfinite and arr.size and not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


def check_finite_result(name: str, out: np.ndarray, what: str) -> np.ndarray:
    """``out`` unchanged, or a ``ValueError`` naming the input ``name`` whose finite values
    overflowed float64 in ``what``: a silent inf or NaN would poison everything downstream."""
    if out.size and not np.isfinite(out).all():
        raise ValueError(
            f"{name}: {what} overflows float64 (inf or NaN) for these finite values; rescale {name} "
            "or lower the depth"
        )
    return out


def check_shape(name: str, arr: np.ndarray, expected: tuple[Optional[int], ...]) -> None:
    """``expected`` uses ``None`` for a free axis."""
    ok = arr.ndim == len(expected) and all(e is None or e == s for e, s in zip(expected, arr.shape))
    if not ok:
        shown = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"
        raise ValueError(f"{name}: expected shape {shown}, got {arr.shape}")


def as_positive_float(name: str, value: Any, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name}: expected a finite {bound} number, got {value!r}")
    return v


def as_steps(name: str, duration: Any, dt: float, *, allow_zero: bool = True) -> int:
    """``round(duration / dt)`` for a time given in units of time, refused when the count of
    steps is past what a simulation can run (instead of an ``OverflowError`` from ``int``)."""
    steps = as_positive_float(name, duration, allow_zero=allow_zero) / dt
    if not steps < 2**32:
        raise ValueError(f"{name}: {duration!r} is {steps:.3g} steps of dt={dt}; at most {2**32 - 1} steps")
    return int(round(steps))


def as_int(name: str, value: Any, *, minimum: Optional[int] = None, maximum: Optional[int] = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name}: expected an integer <= {maximum}, got {v}")
    return v


def as_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}: expected one of {', '.join(repr(c) for c in choices)}, got {value!r}")
    return value


def as_seed(value: Any) -> int:
    return as_int("seed", value, minimum=0, maximum=2**64 - 1)
