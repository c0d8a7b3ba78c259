"""Signatures of batches of paths, their gradients, and Chen's identity."""

from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from .. import _core
from .._validate import as_float_array, check_finite_result
from ._args import ArrayLike, as_bool, as_depth, as_dim, as_tensor, check_bytes, path_request, with_initial

__all__ = ["siglength", "signature", "signature_backprop", "signature_combine", "multi_signature_combine"]


def siglength(d: int, depth: int) -> int:
    """Length ``d + d**2 + … + d**depth`` of a depth-``depth`` signature of a ``d``-dimensional path.

    Examples
    --------
    >>> import srnn_rs
    >>> srnn_rs.siglength(2, 3)
    14
    """
    return _core.siglength(as_dim(d), as_depth(depth))


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
    request = path_request(
        path, depth, basepoint=basepoint, time_aug=time_aug, lead_lag=lead_lag, end_time=end_time,
        n_jobs=n_jobs, stream=stream, inverse=inverse, scalar_term=scalar_term,
    )
    out = check_finite_result("path", _core._signature(with_initial(request, initial)), "the signature")
    return out.reshape(request.output_shape(*out.shape[1:]))


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
    request = path_request(
        path, depth, basepoint=basepoint, time_aug=time_aug, lead_lag=lead_lag, end_time=end_time,
        n_jobs=n_jobs, stream=stream, inverse=inverse, scalar_term=scalar_term,
    )
    _, rows, width = request.shape
    want = request.output_shape(rows, width)
    g = as_float_array("grad", grad)
    if g.shape != want:
        raise ValueError(f"grad: expected shape {want} (the signature's shape), got {g.shape}")
    B = request.path.shape[0]
    out = _core._signature_backprop(g.reshape(B, rows * width), with_initial(request, initial))
    check_finite_result("path", out, "the signature's gradient")
    return out.reshape(request.batch_shape + request.path.shape[1:])


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
    return _combine([a, b], ["a", "b"], as_dim(d), as_depth(depth), as_bool("scalar_term", scalar_term))


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
    d = as_dim(d)
    depth = as_depth(depth)
    scalar_term = as_bool("scalar_term", scalar_term)
    if isinstance(sigs, np.ndarray):
        items = list(sigs)
    else:
        try:
            items = list(sigs)
        except TypeError:
            raise TypeError(f"sigs: expected a sequence of arrays, got {type(sigs).__name__}") from None
    if not items:
        raise ValueError("sigs: expected at least one tensor, got none")
    return _combine(items, [f"sigs[{i}]" for i in range(len(items))], d, depth, scalar_term)


def _combine(items: list, names: list[str], d: int, depth: int, scalar_term: bool) -> np.ndarray:
    """The product of ``items``, each checked under the name the caller passed it as."""
    fulls = [as_tensor(name, x, d, depth, scalar_term) for name, x in zip(names, items)]
    try:
        batch_shape = np.broadcast_shapes(*(f.shape[:-1] for f in fulls))
    except ValueError:
        raise ValueError(f"{', '.join(names)}: batch shapes {[f.shape[:-1] for f in fulls]} do not broadcast") from None
    S1 = _core.siglength(d, depth) + 1
    n = int(np.prod(batch_shape, dtype=np.int64)) if batch_shape else 1
    check_bytes("signature_combine", len(fulls) + 1, n, S1)
    stack = np.empty((len(fulls), n, S1))
    for i, f in enumerate(fulls):
        stack[i] = np.broadcast_to(f, batch_shape + (S1,)).reshape(n, S1)
    out = _core._tensor_mul_chain(stack, d, depth).reshape(batch_shape + (S1,))
    check_finite_result(" and ".join(names), out, "the product")
    return out if scalar_term else np.ascontiguousarray(out[..., 1:])
