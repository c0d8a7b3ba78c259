"""Log-signatures: coordinates in the Lyndon basis of the free Lie algebra, the tensor
logarithm, and the conversions between signatures and log-signatures."""

from __future__ import annotations

from typing import Optional, Union

import numpy as np

from .. import _core
from .._validate import as_float_array, check_finite_result
from ._args import ArrayLike, as_bool, as_depth, as_dim, as_tensor, check_bytes, path_request

__all__ = [
    "logsiglength",
    "lyndon_words",
    "logsig_basis_labels",
    "logsignature",
    "logsignature_backprop",
    "sig_to_logsig",
    "logsig_to_sig",
]


def logsiglength(d: int, depth: int) -> int:
    """Dimension of the free Lie algebra truncated at ``depth`` (Witt's formula): the number of
    Lyndon words of length ``1..depth`` over ``d`` letters.

    Examples
    --------
    >>> import srnn_rs
    >>> srnn_rs.logsiglength(2, 4)
    8
    """
    return _core.logsiglength(as_dim(d), as_depth(depth))


def lyndon_words(d: int, depth: int) -> list[tuple[int, ...]]:
    """Lyndon words over the letters ``0..d-1`` of length ``1..depth``, ordered by length and
    then lexicographically (the order of the log-signature coordinates).

    Examples
    --------
    >>> import srnn_rs
    >>> srnn_rs.lyndon_words(2, 3)
    [(0,), (1,), (0, 1), (0, 0, 1), (0, 1, 1)]
    """
    d = as_dim(d)
    depth = as_depth(depth)
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
    d = as_dim(d)
    depth = as_depth(depth)
    _, labels = _core._lyndon_words(d, depth)
    return list(labels)


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
    request = path_request(
        path, depth, basepoint=basepoint, time_aug=time_aug, lead_lag=lead_lag, end_time=end_time,
        n_jobs=n_jobs, stream=stream, inverse=inverse,
    )
    out = check_finite_result("path", _core._logsignature(request, mode), "the log-signature")
    return out.reshape(request.output_shape(*out.shape[1:]))


def logsignature_backprop(
    grad: ArrayLike,
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
    """Vector-Jacobian product of :func:`logsignature`: the gradient of
    ``sum(grad * logsignature(path, depth, ...))`` with respect to ``path``.

    The chain rule through the signature: the cotangent of the coordinates is carried back
    to the tensor logarithm (the transpose of the Lyndon projection), through the logarithm
    to the signature, and by :func:`signature_backprop` to the path.

    Parameters
    ----------
    grad : array_like
        Cotangent of the log-signature, the shape of ``logsignature(path, depth, ...)`` with
        the same options.
    path : array_like, shape (..., L, d)
    depth, mode, stream, basepoint, inverse, time_aug, lead_lag, end_time, n_jobs
        As in :func:`logsignature`; an array ``basepoint`` is held constant.

    Returns
    -------
    numpy.ndarray, shape (..., L, d)

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> p = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    >>> srnn_rs.logsignature_backprop(np.array([0.0, 0.0, 1.0]), p, 2)  # d(Lévy area)/d(path)
    array([[-0.5,  0. ],
           [ 0.5, -0.5],
           [ 0. ,  0.5]])
    """
    request = path_request(
        path, depth, basepoint=basepoint, time_aug=time_aug, lead_lag=lead_lag, end_time=end_time,
        n_jobs=n_jobs, stream=stream, inverse=inverse, scalar_term=True,
    )
    d_out, rows, full = request.shape
    width = _core._logsig_width(d_out, request.depth, mode)
    want = request.output_shape(rows, width)
    g = as_float_array("grad", grad)
    if g.shape != want:
        raise ValueError(f"grad: expected shape {want} (the log-signature's shape), got {g.shape}")
    B = request.path.shape[0]
    sig = _core._signature(request).reshape(B * rows, full)
    sig_bar = _core._logsig_backprop(
        np.ascontiguousarray(g.reshape(B * rows, width)), sig, d_out, request.depth, mode
    )
    out = _core._signature_backprop(sig_bar.reshape(B, rows * full), request)
    return out.reshape(request.batch_shape + request.path.shape[1:])


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
    d = as_dim(d)
    depth = as_depth(depth)
    scalar_term = as_bool("scalar_term", scalar_term)
    arr = as_float_array("sig", sig)
    n = int(np.prod(arr.shape[:-1], dtype=np.int64)) if arr.ndim > 1 else 1
    check_bytes("sig_to_logsig", n, _core.siglength(d, depth) + 1)
    full = as_tensor("sig", arr, d, depth, scalar_term)
    batch_shape = full.shape[:-1]
    out = _core._sig_to_logsig(full.reshape(-1, full.shape[-1]), d, depth, mode)
    check_finite_result("sig", out, "the logarithm")
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
    d = as_dim(d)
    depth = as_depth(depth)
    width = _core._logsig_width(d, depth, mode)
    scalar_term = as_bool("scalar_term", scalar_term)
    arr = as_float_array("logsig", logsig)
    if arr.ndim < 1 or arr.shape[-1] != width:
        raise ValueError(f"logsig: expected shape (..., {width}) for d={d}, depth={depth}, mode={mode!r}, got shape {arr.shape}")
    batch_shape = arr.shape[:-1]
    n = int(np.prod(batch_shape, dtype=np.int64)) if batch_shape else 1
    check_bytes("logsig_to_sig", n, _core.siglength(d, depth) + 1)
    full = _core.siglength(d, depth) + 1
    out = _core._logsig_to_sig(arr.reshape(n, width), d, depth, mode).reshape(batch_shape + (full,))
    check_finite_result("logsig", out, "the exponential")
    return out if scalar_term else np.ascontiguousarray(out[..., 1:])
