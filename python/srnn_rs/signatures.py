"""Path signatures, log-signatures, tensor algebra and signature kernels.

Conventions (the same as iisignature, signatory and pySigLib):

* a path is an array of points of shape ``(..., L, d)``; its signature is that of the
  piecewise-linear interpolation of the points;
* a truncated tensor is stored flat with levels ``1..depth`` concatenated on the last axis
  (``d + d**2 + ... + d**depth`` numbers), the word ``(i1, ..., ik)`` at its row-major
  position (first letter most significant); the level-0 term (1 for a signature) is omitted
  unless ``scalar_term=True``;
* any number of leading batch dimensions is allowed and kept.
"""

from __future__ import annotations

import numbers
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _core
from ._memory import check_memory
from ._validate import as_choice, as_float_array, as_int, as_positive_float

__all__ = [
    "siglength",
    "signature",
    "signature_backprop",
    "signature_combine",
    "multi_signature_combine",
    "tensor_exp",
    "tensor_log",
    "tensor_inverse",
    "logsignature",
    "logsiglength",
    "lyndon_words",
    "logsig_basis_labels",
    "sig_to_logsig",
    "logsig_to_sig",
    "sig_kernel",
    "sig_kernel_gram",
]

ArrayLike = Any


# --------------------------------------------------------------------------------------
# helpers


def _as_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {type(value).__name__}")
    return bool(value)


_MAX_DEPTH = 1000  # only reachable for d = 1; the work grows like depth**2 per segment


def _as_depth(depth: Any) -> int:
    return as_int("depth", depth, minimum=1, maximum=_MAX_DEPTH)


def _as_dim(d: Any) -> int:
    return as_int("d", d, minimum=1)


def _as_jobs(n_jobs: Any) -> Optional[int]:
    if n_jobs is None:
        return None
    v = as_int("n_jobs", n_jobs)
    if v == -1:
        return None
    if v < 1:
        raise ValueError(f"n_jobs: expected None, -1 or a positive integer, got {v}")
    return v


def _as_path(name: str, path: ArrayLike) -> np.ndarray:
    arr = as_float_array(name, path)
    if arr.ndim < 2:
        raise ValueError(f"{name}: expected an array of shape (..., L, d) with at least 2 dimensions, got shape {arr.shape}")
    if arr.shape[-2] < 1:
        raise ValueError(f"{name}: expected at least one point (L >= 1), got shape {arr.shape}")
    if arr.shape[-1] < 1:
        raise ValueError(f"{name}: expected at least one channel (d >= 1), got shape {arr.shape}")
    return arr


def _as_tensor(name: str, x: ArrayLike, d: int, depth: int, scalar_term: bool) -> np.ndarray:
    """``x`` of shape ``(..., S)`` (or ``(..., S+1)`` with the scalar) as a full-layout copy
    of shape ``(..., S+1)``. The implied level-0 term is 1."""
    arr = as_float_array(name, x)
    want = siglength(d, depth) + (1 if scalar_term else 0)
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


def _check_bytes(what: str, *shape: int) -> None:
    n = 8
    for s in shape:
        n *= int(s)
    check_memory(what, n)


# --------------------------------------------------------------------------------------
# signatures


def siglength(d: int, depth: int) -> int:
    """Length ``d + d**2 + ... + d**depth`` of a depth-``depth`` signature of a ``d``-dimensional path.

    Examples
    --------
    >>> import srnn_rs
    >>> srnn_rs.siglength(2, 3)
    14
    """
    d = _as_dim(d)
    depth = _as_depth(depth)
    return d * (d**depth - 1) // (d - 1) if d > 1 else depth


def _transformed_dim(d: int, lead_lag: bool, time_aug: bool) -> int:
    return d * (2 if lead_lag else 1) + (1 if time_aug else 0)


def _prepare_path_args(
    path: ArrayLike,
    depth: Any,
    basepoint: Any,
    time_aug: Any,
    lead_lag: Any,
    end_time: Any,
    n_jobs: Any,
):
    arr = _as_path("path", path)
    depth = _as_depth(depth)
    time_aug = _as_bool("time_aug", time_aug)
    lead_lag = _as_bool("lead_lag", lead_lag)
    if isinstance(end_time, bool) or not isinstance(end_time, numbers.Real) or not np.isfinite(float(end_time)):
        raise TypeError(f"end_time: expected a finite real number, got {end_time!r}")
    end_time = float(end_time)
    jobs = _as_jobs(n_jobs)
    batch_shape = arr.shape[:-2]
    L, d = arr.shape[-2:]
    B = int(np.prod(batch_shape, dtype=np.int64)) if batch_shape else 1
    flat = arr.reshape(B, L, d)
    if isinstance(basepoint, (bool, np.bool_)):
        bp_mode, bp = (1 if basepoint else 0), None
    elif basepoint is None:
        bp_mode, bp = 0, None
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
        bp_mode, bp = 2, np.ascontiguousarray(b.reshape(B, d))
    de = _transformed_dim(d, lead_lag, time_aug)
    n_points = L + (1 if bp_mode else 0)
    if lead_lag:
        n_points = 2 * n_points - 1
    return arr, flat, depth, batch_shape, B, L, d, de, n_points, bp_mode, bp, time_aug, lead_lag, end_time, jobs


def _prepare_initial(
    initial: Optional[ArrayLike], de: int, depth: int, scalar_term: bool, batch_shape: tuple, B: int
) -> Optional[np.ndarray]:
    """``initial`` broadcast to the batch as a ``(B, S+1)`` full-layout copy, or None."""
    if initial is None:
        return None
    S = siglength(de, depth)
    full = _as_tensor("initial", initial, de, depth, scalar_term)
    try:
        full = np.broadcast_to(full, batch_shape + (S + 1,))
    except ValueError:
        raise ValueError(
            f"initial: shape {np.shape(initial)} does not broadcast against the batch shape {batch_shape} of path"
        ) from None
    return np.ascontiguousarray(full.reshape(B, S + 1))


def signature(
    path: ArrayLike,
    depth: int,
    *,
    stream: bool = False,
    basepoint: Union[bool, ArrayLike] = False,
    inverse: bool = False,
    initial: Optional[ArrayLike] = None,
    scalar_term: bool = False,
    time_aug: bool = False,
    lead_lag: bool = False,
    end_time: float = 1.0,
    n_jobs: Optional[int] = None,
) -> np.ndarray:
    """Truncated signature of piecewise-linear paths.

    Parameters
    ----------
    path : array_like, shape (..., L, d)
        Points of the path(s); float64 (other real dtypes are converted). Never modified.
    depth : int
        Truncation level, at least 1.
    stream : bool, default False
        If True return the signature of every prefix ``path[..., :k+1, :]``, shape
        ``(..., P-1, S)`` (iisignature's ``format=2``), where ``P`` is the number of points
        after the transforms: ``L``, plus one with ``basepoint``, then ``2P-1`` with
        ``lead_lag``.
    basepoint : bool or array_like, default False
        True prepends the origin to every path; an array of shape ``(d,)`` or
        ``(..., d)`` prepends that point (as in signatory).
    inverse : bool, default False
        Return the inverse signature, i.e. the signature of the reversed path.
    initial : array_like, shape (..., S), optional
        Continue from this signature (Chen's identity): the result is
        ``initial ⊗ S(path)``, or ``S(path)^{-1} ⊗ initial`` when ``inverse``, where
        ``initial`` is then the inverse signature of the earlier path (as in signatory).
    scalar_term : bool, default False
        Include the level-0 term (in the output and in ``initial``).
    time_aug : bool, default False
        Add time, uniform on ``[0, end_time]``, as the last channel (as in pySigLib).
    lead_lag : bool, default False
        Apply the lead-lag transform, channels ``(lag, lead)`` as in pySigLib; applied
        before ``time_aug`` and after ``basepoint``.
    end_time : float, default 1.0
        End of the time channel of ``time_aug``.
    n_jobs : int, optional
        Number of threads; None or -1 uses all.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., S)`` or ``(..., P-1, S)`` with ``S = siglength(d', depth)`` (+1 with
        ``scalar_term``), ``d'`` the dimension after the transforms (``2d`` with ``lead_lag``,
        one more with ``time_aug``).

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> srnn_rs.signature(np.array([[0.0, 0.0], [1.0, 2.0]]), 2)
    array([1. , 2. , 0.5, 1. , 1. , 2. ])
    """
    (arr, flat, depth, batch_shape, B, L, d, de, n_points, bp_mode, bp, time_aug, lead_lag, end_time, jobs) = (
        _prepare_path_args(path, depth, basepoint, time_aug, lead_lag, end_time, n_jobs)
    )
    stream = _as_bool("stream", stream)
    inverse = _as_bool("inverse", inverse)
    scalar_term = _as_bool("scalar_term", scalar_term)
    S = siglength(de, depth)
    width = S + (1 if scalar_term else 0)
    rows = max(n_points - 1, 0) if stream else 1
    _check_bytes("signature", B, rows, width)
    init = _prepare_initial(initial, de, depth, scalar_term, batch_shape, B)
    out = _core._signature(
        flat, depth, stream, inverse, scalar_term, bp_mode, bp, init, lead_lag, time_aug, end_time, jobs
    )
    if stream:
        return out.reshape(batch_shape + (rows, width))
    return out.reshape(batch_shape + (width,))


def signature_backprop(
    grad: ArrayLike,
    path: ArrayLike,
    depth: int,
    *,
    stream: bool = False,
    basepoint: Union[bool, ArrayLike] = False,
    inverse: bool = False,
    initial: Optional[ArrayLike] = None,
    scalar_term: bool = False,
    time_aug: bool = False,
    lead_lag: bool = False,
    end_time: float = 1.0,
    n_jobs: Optional[int] = None,
) -> np.ndarray:
    """Vector-Jacobian product of :func:`signature`: the gradient of
    ``sum(grad * signature(path, depth, ...))`` with respect to ``path``.

    Parameters
    ----------
    grad : array_like, shape (..., S) or (..., P-1, S) with ``stream``
        Cotangent of the signature, the shape of ``signature(path, depth, ...)`` with the
        same options (``S + 1`` entries with ``scalar_term``).
    path : array_like, shape (..., L, d)
    depth, stream, basepoint, inverse, initial, scalar_term, time_aug, lead_lag, end_time, n_jobs
        As in :func:`signature`. The gradient is with respect to ``path`` only: an array
        ``basepoint`` and ``initial`` are held constant.

    Returns
    -------
    numpy.ndarray, shape (..., L, d)

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> p = np.array([[0.0, 0.0], [1.0, 2.0]])
    >>> srnn_rs.signature_backprop(np.array([1.0, 0, 0, 0, 0, 0]), p, 2)
    array([[-1.,  0.],
           [ 1.,  0.]])

    With ``stream`` the gradient sums the contributions of every prefix:

    >>> q = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0]])
    >>> g = np.zeros((2, 6)); g[:, 0] = 1.0
    >>> srnn_rs.signature_backprop(g, q, 2, stream=True)
    array([[-2.,  0.],
           [ 1.,  0.],
           [ 1.,  0.]])
    """
    (arr, flat, depth, batch_shape, B, L, d, de, n_points, bp_mode, bp, time_aug, lead_lag, end_time, jobs) = (
        _prepare_path_args(path, depth, basepoint, time_aug, lead_lag, end_time, n_jobs)
    )
    stream = _as_bool("stream", stream)
    inverse = _as_bool("inverse", inverse)
    scalar_term = _as_bool("scalar_term", scalar_term)
    width = siglength(de, depth) + (1 if scalar_term else 0)
    rows = max(n_points - 1, 0) if stream else 1
    want = batch_shape + ((rows, width) if stream else (width,))
    g = as_float_array("grad", grad)
    if g.shape != want:
        raise ValueError(f"grad: expected shape {want} (the signature's shape), got {g.shape}")
    init = _prepare_initial(initial, de, depth, scalar_term, batch_shape, B)
    _check_bytes("signature_backprop", B, L * d + 6 * (width + 1))
    out = _core._signature_backprop(
        g.reshape(B, rows * width),
        flat,
        depth,
        stream,
        inverse,
        scalar_term,
        bp_mode,
        bp,
        init,
        lead_lag,
        time_aug,
        end_time,
        jobs,
    )
    return out.reshape(arr.shape)


# --------------------------------------------------------------------------------------
# tensor algebra


def _unary(name: str, op: str, x: ArrayLike, d: Any, depth: Any, scalar_term: Any, input_scalar: float) -> np.ndarray:
    d = _as_dim(d)
    depth = _as_depth(depth)
    scalar_term = _as_bool("scalar_term", scalar_term)
    arr = as_float_array("x", x)
    S = siglength(d, depth)
    want = S + (1 if scalar_term else 0)
    if arr.ndim < 1 or arr.shape[-1] != want:
        raise ValueError(f"x: expected shape (..., {want}) for d={d}, depth={depth}, scalar_term={scalar_term}, got shape {arr.shape}")
    batch_shape = arr.shape[:-1]
    _check_bytes(name, int(np.prod(batch_shape, dtype=np.int64)), S + 1)
    full = np.empty(batch_shape + (S + 1,))
    if scalar_term:
        full[...] = arr
    else:
        full[..., 0] = input_scalar
        full[..., 1:] = arr
    out = _core._tensor_unary(full.reshape(-1, S + 1), d, depth, op).reshape(batch_shape + (S + 1,))
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


def signature_combine(a: ArrayLike, b: ArrayLike, d: int, depth: int, *, scalar_term: bool = False) -> np.ndarray:
    """Tensor product ``a ⊗ b`` (Chen's identity: the signature of the concatenated paths).

    ``a`` and ``b`` have shapes ``(..., S)`` that broadcast against each other; level 0 is 1
    unless ``scalar_term`` (then ``(..., S+1)``).

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> p = np.random.default_rng(0).normal(size=(6, 2))
    >>> s = srnn_rs.signature_combine(srnn_rs.signature(p[:3], 3), srnn_rs.signature(p[2:], 3), 2, 3)
    >>> bool(np.allclose(s, srnn_rs.signature(p, 3)))
    True
    """
    return multi_signature_combine([a, b], d, depth, scalar_term=scalar_term)


def multi_signature_combine(
    sigs: Union[Sequence[ArrayLike], ArrayLike], d: int, depth: int, *, scalar_term: bool = False
) -> np.ndarray:
    """Product ``sigs[0] ⊗ sigs[1] ⊗ … ⊗ sigs[k-1]`` of a sequence (or an array whose first
    axis runs over the factors) of truncated tensors of shape ``(..., S)`` that broadcast.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> p = np.random.default_rng(0).normal(size=(7, 2))
    >>> parts = [srnn_rs.signature(p[i:i + 3], 2) for i in (0, 2, 4)]
    >>> bool(np.allclose(srnn_rs.multi_signature_combine(parts, 2, 2), srnn_rs.signature(p, 2)))
    True
    """
    d = _as_dim(d)
    depth = _as_depth(depth)
    scalar_term = _as_bool("scalar_term", scalar_term)
    if isinstance(sigs, np.ndarray):
        items = list(sigs)
    else:
        try:
            items = list(sigs)
        except TypeError:
            raise TypeError(f"sigs: expected a sequence of arrays, got {type(sigs).__name__}") from None
    if not items:
        raise ValueError("sigs: expected at least one tensor, got none")
    fulls = [_as_tensor(f"sigs[{i}]", x, d, depth, scalar_term) for i, x in enumerate(items)]
    try:
        batch_shape = np.broadcast_shapes(*(f.shape[:-1] for f in fulls))
    except ValueError:
        raise ValueError(f"sigs: batch shapes {[f.shape[:-1] for f in fulls]} do not broadcast") from None
    S1 = siglength(d, depth) + 1
    n = int(np.prod(batch_shape, dtype=np.int64)) if batch_shape else 1
    _check_bytes("signature_combine", len(fulls) + 1, n, S1)
    stack = np.empty((len(fulls), n, S1))
    for i, f in enumerate(fulls):
        stack[i] = np.broadcast_to(f, batch_shape + (S1,)).reshape(n, S1)
    out = _core._tensor_mul_chain(stack, d, depth).reshape(batch_shape + (S1,))
    return out if scalar_term else np.ascontiguousarray(out[..., 1:])


# --------------------------------------------------------------------------------------
# log-signatures

_LOGSIG_MODES = ("lyndon", "expand", "words")


def logsiglength(d: int, depth: int) -> int:
    """Dimension of the free Lie algebra truncated at ``depth`` (Witt's formula): the number of
    Lyndon words of length ``1..depth`` over ``d`` letters.

    Examples
    --------
    >>> import srnn_rs
    >>> srnn_rs.logsiglength(2, 4)
    8
    """
    d = _as_dim(d)
    depth = _as_depth(depth)
    total = 0
    for k in range(1, depth + 1):
        total += sum(_mobius(q) * d ** (k // q) for q in range(1, k + 1) if k % q == 0) // k
    return total


def _mobius(n: int) -> int:
    result, p = 1, 2
    while p * p <= n:
        if n % p == 0:
            n //= p
            if n % p == 0:
                return 0
            result = -result
        p += 1
    return -result if n > 1 else result


def _check_logsig_size(d: int, depth: int) -> None:
    # building the basis costs about 2^(k-1) terms per Lyndon word of length k
    _check_bytes("the Lyndon basis", logsiglength(d, depth), 2 ** (depth - 1), 3)


def lyndon_words(d: int, depth: int) -> list[tuple[int, ...]]:
    """Lyndon words over the letters ``0..d-1`` of length ``1..depth``, ordered by length and
    then lexicographically (the order of the log-signature coordinates).

    Examples
    --------
    >>> import srnn_rs
    >>> srnn_rs.lyndon_words(2, 3)
    [(0,), (1,), (0, 1), (0, 0, 1), (0, 1, 1)]
    """
    d = _as_dim(d)
    depth = _as_depth(depth)
    _check_logsig_size(d, depth)
    words, _ = _core._lyndon_words(d, depth)
    return [tuple(int(c) for c in w) for w in words]


def logsig_basis_labels(d: int, depth: int) -> list[str]:
    """Bracket labels of the Lyndon basis (standard bracketing), letters numbered from 1;
    the same strings as ``iisignature.basis(iisignature.prepare(d, depth))`` for ``d <= 9``
    (iisignature prints ``?`` for letters above 9; here they are written as numbers).

    Examples
    --------
    >>> import srnn_rs
    >>> srnn_rs.logsig_basis_labels(2, 3)
    ['1', '2', '[1,2]', '[1,[1,2]]', '[[1,2],2]']
    """
    d = _as_dim(d)
    depth = _as_depth(depth)
    _check_logsig_size(d, depth)
    _, labels = _core._lyndon_words(d, depth)
    return list(labels)


def _logsig_width(d: int, depth: int, mode: str) -> int:
    return siglength(d, depth) if mode == "expand" else logsiglength(d, depth)


def logsignature(
    path: ArrayLike,
    depth: int,
    *,
    mode: str = "lyndon",
    stream: bool = False,
    basepoint: Union[bool, ArrayLike] = False,
    inverse: bool = False,
    time_aug: bool = False,
    lead_lag: bool = False,
    end_time: float = 1.0,
    n_jobs: Optional[int] = None,
) -> np.ndarray:
    """Log-signature ``log S(path)`` of piecewise-linear paths.

    Parameters
    ----------
    path : array_like, shape (..., L, d)
    depth : int
    mode : {"lyndon", "expand", "words"}
        ``"lyndon"``: coordinates in the Lyndon basis of the free Lie algebra (standard
        bracketing; the same numbers as iisignature's default ``logsig``, method "S"),
        length :func:`logsiglength`. ``"expand"``: the tensor logarithm in the tensor
        algebra (iisignature's "X"), length :func:`siglength`. ``"words"``: the tensor
        logarithm read at the Lyndon words (signatory's "words").
    stream, basepoint, inverse, time_aug, lead_lag, end_time, n_jobs
        As in :func:`signature`.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., W)`` or ``(..., L-1, W)`` with ``stream``.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> p = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    >>> srnn_rs.logsignature(p, 2)
    array([1. , 1. , 0.5])
    """
    (arr, flat, depth, batch_shape, B, L, d, de, n_points, bp_mode, bp, time_aug, lead_lag, end_time, jobs) = (
        _prepare_path_args(path, depth, basepoint, time_aug, lead_lag, end_time, n_jobs)
    )
    mode = as_choice("mode", mode, _LOGSIG_MODES)
    stream = _as_bool("stream", stream)
    inverse = _as_bool("inverse", inverse)
    rows = max(n_points - 1, 0) if stream else 1
    _check_bytes("logsignature", B, rows, siglength(de, depth) + 1)
    if mode != "expand":
        _check_logsig_size(de, depth)
    width = _logsig_width(de, depth, mode)
    out = _core._logsignature(flat, depth, mode, stream, inverse, bp_mode, bp, lead_lag, time_aug, end_time, jobs)
    if stream:
        return out.reshape(batch_shape + (rows, width))
    return out.reshape(batch_shape + (width,))


def sig_to_logsig(sig: ArrayLike, d: int, depth: int, *, mode: str = "lyndon", scalar_term: bool = False) -> np.ndarray:
    """Log-signature coordinates (see :func:`logsignature` for ``mode``) of signatures
    ``sig`` of shape ``(..., S)`` (``(..., S+1)`` with ``scalar_term``).

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> p = np.random.default_rng(0).normal(size=(5, 2))
    >>> bool(np.allclose(srnn_rs.sig_to_logsig(srnn_rs.signature(p, 3), 2, 3), srnn_rs.logsignature(p, 3)))
    True
    """
    d = _as_dim(d)
    depth = _as_depth(depth)
    mode = as_choice("mode", mode, _LOGSIG_MODES)
    scalar_term = _as_bool("scalar_term", scalar_term)
    full = _as_tensor("sig", sig, d, depth, scalar_term)
    if mode != "expand":
        _check_logsig_size(d, depth)
    batch_shape = full.shape[:-1]
    out = _core._sig_to_logsig(full.reshape(-1, full.shape[-1]), d, depth, mode)
    return out.reshape(batch_shape + (out.shape[-1],))


def logsig_to_sig(
    logsig: ArrayLike, d: int, depth: int, *, mode: str = "lyndon", scalar_term: bool = False
) -> np.ndarray:
    """Signatures ``exp(ℓ)`` of the Lie elements ``ℓ`` with the given log-signature
    coordinates (shape ``(..., W)``, ``mode`` as in :func:`logsignature`).

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> p = np.random.default_rng(0).normal(size=(5, 2))
    >>> bool(np.allclose(srnn_rs.logsig_to_sig(srnn_rs.logsignature(p, 3), 2, 3), srnn_rs.signature(p, 3)))
    True
    """
    d = _as_dim(d)
    depth = _as_depth(depth)
    mode = as_choice("mode", mode, _LOGSIG_MODES)
    scalar_term = _as_bool("scalar_term", scalar_term)
    if mode != "expand":
        _check_logsig_size(d, depth)
    width = _logsig_width(d, depth, mode)
    arr = as_float_array("logsig", logsig)
    if arr.ndim < 1 or arr.shape[-1] != width:
        raise ValueError(f"logsig: expected shape (..., {width}) for d={d}, depth={depth}, mode={mode!r}, got shape {arr.shape}")
    batch_shape = arr.shape[:-1]
    n = int(np.prod(batch_shape, dtype=np.int64)) if batch_shape else 1
    _check_bytes("logsig_to_sig", n, siglength(d, depth) + 1)
    out = _core._logsig_to_sig(arr.reshape(n, width), d, depth, mode).reshape(batch_shape + (-1,))
    return out if scalar_term else np.ascontiguousarray(out[..., 1:])


# --------------------------------------------------------------------------------------
# signature kernels


def _path_list(name: str, paths: Any) -> tuple[list[np.ndarray], bool]:
    """A list of C-contiguous ``(L_i, d)`` float64 arrays, and whether ``paths`` was a single path."""
    if isinstance(paths, (list, tuple)):
        if not paths:
            raise ValueError(f"{name}: expected at least one path, got an empty sequence")
        out = [as_float_array(f"{name}[{i}]", p, ndim=2) for i, p in enumerate(paths)]
        single = False
    else:
        arr = as_float_array(name, paths, ndim=(2, 3))
        single = arr.ndim == 2
        out = [arr] if single else list(arr)
        if not out:
            raise ValueError(f"{name}: expected at least one path, got shape {arr.shape}")
    d = out[0].shape[1]
    for i, p in enumerate(out):
        if p.shape[0] < 1 or p.shape[1] != d or d < 1:
            raise ValueError(f"{name}[{i}]: expected shape (L >= 1, {d}), got {p.shape}")
    return out, single


def _kernel_args(depth: Any, dyadic_order: Any, static_kernel: Any, sigma: Any, n_jobs: Any):
    if depth is not None:
        depth = _as_depth(depth)
    dyadic_order = as_int("dyadic_order", dyadic_order, minimum=0, maximum=20)
    static_kernel = as_choice("static_kernel", static_kernel, ("linear", "rbf"))
    sigma = as_positive_float("sigma", sigma)
    if depth is not None and static_kernel != "linear":
        raise ValueError("static_kernel: the truncated kernel (depth given) supports only 'linear'; use depth=None for 'rbf'")
    return depth, dyadic_order, static_kernel, sigma, _as_jobs(n_jobs)


def _check_kernel_memory(xs: list, ys: Optional[list], depth: Optional[int], d: int, n_out: int) -> None:
    _check_bytes("the kernel matrix", n_out)
    if depth is not None:
        _check_bytes("the signatures of the kernel", len(xs) + (len(ys) if ys is not None else 0), siglength(d, depth) + 1)
    else:
        longest = max(p.shape[0] for p in (xs + (ys or [])))
        _check_bytes("the static-kernel grid", longest, longest)


def sig_kernel(
    x: ArrayLike,
    y: ArrayLike,
    *,
    depth: Optional[int] = None,
    dyadic_order: int = 0,
    static_kernel: str = "linear",
    sigma: float = 1.0,
    n_jobs: Optional[int] = None,
) -> Union[np.ndarray, float]:
    """Signature kernel ``k(x_i, y_i) = <S(x_i), S(y_i)>`` for each pair of paths.

    Parameters
    ----------
    x, y : array_like
        One path ``(L, d)``, a batch ``(B, L, d)``, or a list of ``(L_i, d)`` arrays (paths
        of different lengths); ``x`` and ``y`` must hold the same number of paths.
    depth : int, optional
        If given, the truncated kernel: the inner product of the signatures truncated at
        ``depth``, level 0 included. If None, the
        untruncated kernel from the Goursat PDE.
    dyadic_order : int, default 0
        PDE only: each grid cell is refined ``2**dyadic_order`` times in each direction.
    static_kernel : {"linear", "rbf"}
        PDE only for ``"rbf"``: ``exp(-|a - b|**2 / sigma)``, lifting the paths first.
    sigma : float, default 1.0
    n_jobs : int, optional

    Returns
    -------
    numpy.ndarray of shape (B,), or a float for single paths.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> x = np.array([[0.0, 0.0], [1.0, 0.5]]); y = np.array([[0.0, 0.0], [0.5, 1.0]])
    >>> round(srnn_rs.sig_kernel(x, y, depth=10), 6)  # straight lines: sum_k <dx, dy>^k / k!^2
    2.279585
    """
    depth, dyadic_order, static_kernel, sigma, jobs = _kernel_args(depth, dyadic_order, static_kernel, sigma, n_jobs)
    xs, single_x = _path_list("x", x)
    ys, single_y = _path_list("y", y)
    if len(xs) != len(ys):
        raise ValueError(f"y: expected {len(xs)} paths like x, got {len(ys)} (use sig_kernel_gram for all pairs)")
    d = xs[0].shape[1]
    if ys[0].shape[1] != d:
        raise ValueError(f"y: expected paths with d = {d} channels like x, got {ys[0].shape[1]}")
    _check_kernel_memory(xs, ys, depth, d, len(xs))
    out = _core._sig_kernel(xs, ys, d, depth, dyadic_order, static_kernel, sigma, True, jobs)
    return float(out[0]) if (single_x and single_y) else out


def sig_kernel_gram(
    X: ArrayLike,
    Y: Optional[ArrayLike] = None,
    *,
    depth: Optional[int] = None,
    dyadic_order: int = 0,
    static_kernel: str = "linear",
    sigma: float = 1.0,
    n_jobs: Optional[int] = None,
) -> np.ndarray:
    """Gram matrix ``G[i, j] = k(X_i, Y_j)`` of the signature kernel (see :func:`sig_kernel`).

    ``X`` and ``Y`` are batches ``(B, L, d)`` or lists of ``(L_i, d)`` paths. When ``Y`` is
    None or is ``X``, only one triangle is computed and ``G`` is exactly symmetric.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> X = np.random.default_rng(0).normal(size=(4, 10, 2)) * 0.3
    >>> G = srnn_rs.sig_kernel_gram(X, dyadic_order=1)
    >>> G.shape, bool((G == G.T).all())
    ((4, 4), True)
    """
    depth, dyadic_order, static_kernel, sigma, jobs = _kernel_args(depth, dyadic_order, static_kernel, sigma, n_jobs)
    same = Y is None or Y is X
    xs, _ = _path_list("X", X)
    ys = None if same else _path_list("Y", Y)[0]
    d = xs[0].shape[1]
    if ys is not None and ys[0].shape[1] != d:
        raise ValueError(f"Y: expected paths with d = {d} channels like X, got {ys[0].shape[1]}")
    ny = len(xs) if ys is None else len(ys)
    _check_kernel_memory(xs, ys, depth, d, len(xs) * ny)
    return _core._sig_kernel(xs, ys, d, depth, dyadic_order, static_kernel, sigma, False, jobs)
