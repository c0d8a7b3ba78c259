"""Signature kernels: truncated, or untruncated by the Goursat PDE, pairwise or as Gram matrices."""

from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from .. import _core
from .._validate import as_float_array, as_int, as_positive_float, check_finite_result
from ._args import ArrayLike, as_depth, as_jobs, check_bytes

__all__ = ["sig_kernel", "sig_kernel_gram"]


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


def _kernel_args(depth: Any, dyadic_order: Any, sigma: Any, n_jobs: Any):
    # ``static_kernel`` is parsed (and checked against ``depth``) by the core binding.
    if depth is not None:
        depth = as_depth(depth)
    dyadic_order = as_int("dyadic_order", dyadic_order, minimum=0, maximum=20)
    sigma = as_positive_float("sigma", sigma)
    return depth, dyadic_order, sigma, as_jobs(n_jobs)


def _check_kernel_memory(xs: list, ys: Optional[list], depth: Optional[int], d: int, n_out: int) -> None:
    check_bytes("the kernel matrix", n_out)
    if depth is not None:
        check_bytes("the signatures of the kernel", len(xs) + (len(ys) if ys is not None else 0), _core.siglength(d, depth) + 1)
    else:
        longest = max(p.shape[0] for p in (xs + (ys or [])))
        check_bytes("the static-kernel grid", longest, longest)


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
    depth, dyadic_order, sigma, jobs = _kernel_args(depth, dyadic_order, sigma, n_jobs)
    xs, single_x = _path_list("x", x)
    ys, single_y = _path_list("y", y)
    if len(xs) != len(ys):
        raise ValueError(f"y: expected {len(xs)} paths like x, got {len(ys)} (use sig_kernel_gram for all pairs)")
    d = xs[0].shape[1]
    if ys[0].shape[1] != d:
        raise ValueError(f"y: expected paths with d = {d} channels like x, got {ys[0].shape[1]}")
    _check_kernel_memory(xs, ys, depth, d, len(xs))
    out = check_finite_result("x and y", _core._sig_kernel(xs, ys, d, depth, dyadic_order, static_kernel, sigma, True, jobs),
                              "the signature kernel")
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
    depth, dyadic_order, sigma, jobs = _kernel_args(depth, dyadic_order, sigma, n_jobs)
    same = Y is None or Y is X
    xs, _ = _path_list("X", X)
    ys = None if same else _path_list("Y", Y)[0]
    d = xs[0].shape[1]
    if ys is not None and ys[0].shape[1] != d:
        raise ValueError(f"Y: expected paths with d = {d} channels like X, got {ys[0].shape[1]}")
    ny = len(xs) if ys is None else len(ys)
    _check_kernel_memory(xs, ys, depth, d, len(xs) * ny)
    gram = _core._sig_kernel(xs, ys, d, depth, dyadic_order, static_kernel, sigma, False, jobs)
    return check_finite_result("X" if ys is None else "X and Y", gram, "the signature kernel")
