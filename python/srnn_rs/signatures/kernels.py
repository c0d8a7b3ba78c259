"""Signature kernels: truncated, or untruncated by the Goursat PDE, pairwise or as Gram matrices."""

from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from .. import _core
from .._validate import as_choice, as_float_array, as_int, as_positive_float, check_finite_result
from ._args import ArrayLike, as_depth, as_jobs, check_bytes
from .signature import signature, signature_backprop

__all__ = ["sig_kernel", "sig_kernel_gram", "sig_kernel_backprop", "sig_kernel_gram_backprop"]


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


def _like_input(grads: list, paths: Any, single: bool) -> Any:
    """Per-path gradients shaped as the caller passed the paths: one array for a single path
    or a batch array, a list for a list."""
    if single:
        return grads[0]
    if isinstance(paths, (list, tuple)):
        return grads
    return np.stack(grads)


def _signatures(paths: list, depth: int, jobs: Optional[int]) -> np.ndarray:
    """``(n, S+1)`` signatures (level 0 included) of ``(L_i, d)`` paths."""
    if len({p.shape[0] for p in paths}) == 1:
        return signature(np.stack(paths), depth, scalar_term=True, n_jobs=jobs)
    return np.stack([signature(p, depth, scalar_term=True, n_jobs=jobs) for p in paths])


def _signature_cotangents(cot: np.ndarray, paths: list, depth: int, jobs: Optional[int]) -> list:
    """Gradients of ``sum_i <cot[i], S(paths[i])>`` with respect to each path."""
    if len({p.shape[0] for p in paths}) == 1:
        return list(signature_backprop(cot, np.stack(paths), depth, scalar_term=True, n_jobs=jobs))
    return [signature_backprop(c, p, depth, scalar_term=True, n_jobs=jobs) for c, p in zip(cot, paths)]


def _truncated_only_linear(depth: Optional[int], static_kernel: Any) -> None:
    as_choice("static_kernel", static_kernel, ("linear", "rbf"))
    if depth is not None and static_kernel != "linear":
        raise ValueError(
            "static_kernel: the truncated kernel (depth given) supports only 'linear'; use depth=None for 'rbf'"
        )


def sig_kernel_backprop(
    grad: ArrayLike,
    x: ArrayLike,
    y: ArrayLike,
    *,
    depth: Optional[int] = None,
    dyadic_order: int = 0,
    static_kernel: str = "linear",
    sigma: float = 1.0,
    n_jobs: Optional[int] = None,
) -> tuple[Any, Any]:
    """Vector-Jacobian product of :func:`sig_kernel`: the gradients of
    ``sum(grad * sig_kernel(x, y, ...))`` with respect to ``x`` and to ``y``.

    The truncated kernel is ``<S(x), S(y)>``, so its gradient in ``x`` is
    :func:`signature_backprop` with ``grad * S(y)`` as the cotangent. The untruncated kernel
    is differentiated through the Goursat scheme itself (its adjoint recursion, both
    arguments), so the gradient is exactly that of the value :func:`sig_kernel` computes at
    this ``dyadic_order``.

    Parameters
    ----------
    grad : float or array_like, shape (B,)
        Cotangent of the kernel values (a float for two single paths).
    x, y, depth, dyadic_order, static_kernel, sigma, n_jobs
        As in :func:`sig_kernel`.

    Returns
    -------
    (gx, gy)
        Gradients shaped like ``x`` and ``y`` (lists for lists of paths).

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> x = np.array([[0.0, 0.0], [1.0, 0.5]]); y = np.array([[0.0, 0.0], [0.5, 1.0]])
    >>> gx, gy = srnn_rs.sig_kernel_backprop(1.0, x, y, depth=2)  # k = 1 + <dx,dy> + <dx,dy>^2/4
    >>> gx  # (1 + <dx,dy>/2) dy at the end point, minus it at the start
    array([[-0.75, -1.5 ],
           [ 0.75,  1.5 ]])
    """
    depth, dyadic_order, sigma, jobs = _kernel_args(depth, dyadic_order, sigma, n_jobs)
    _truncated_only_linear(depth, static_kernel)
    xs, single_x = _path_list("x", x)
    ys, single_y = _path_list("y", y)
    if len(xs) != len(ys):
        raise ValueError(f"y: expected {len(xs)} paths like x, got {len(ys)}")
    d = xs[0].shape[1]
    if ys[0].shape[1] != d:
        raise ValueError(f"y: expected paths with d = {d} channels like x, got {ys[0].shape[1]}")
    g = as_float_array("grad", grad)
    single = single_x and single_y
    if g.shape != (() if single else (len(xs),)):
        raise ValueError(f"grad: expected shape {(() if single else (len(xs),))} (the kernel's shape), got {g.shape}")
    g = g.reshape(len(xs))
    if depth is not None:
        sx, sy = _signatures(xs, depth, jobs), _signatures(ys, depth, jobs)
        gxs = _signature_cotangents(g[:, None] * sy, xs, depth, jobs)
        gys = _signature_cotangents(g[:, None] * sx, ys, depth, jobs)
    else:
        gxs, gys_or_none = _core._sig_kernel_backprop(
            np.ascontiguousarray(g), xs, ys, d, dyadic_order, static_kernel, sigma, True, jobs
        )
        gys = gys_or_none if gys_or_none is not None else []
    return _like_input(gxs, x, single_x), _like_input(gys, y, single_y)


def sig_kernel_gram_backprop(
    grad: ArrayLike,
    X: ArrayLike,
    Y: Optional[ArrayLike] = None,
    *,
    depth: Optional[int] = None,
    dyadic_order: int = 0,
    static_kernel: str = "linear",
    sigma: float = 1.0,
    n_jobs: Optional[int] = None,
) -> tuple[Any, Any]:
    """Vector-Jacobian product of :func:`sig_kernel_gram`: the gradients of
    ``sum(grad * sig_kernel_gram(X, Y, ...))`` with respect to ``X`` and to ``Y``.

    When ``Y`` is None (the Gram matrix of ``X`` with itself) ``X`` is in both slots, its
    gradient collects both, and the second element is None. See
    :func:`sig_kernel_backprop` for how each kernel is differentiated.

    Parameters
    ----------
    grad : array_like, shape (len(X), len(Y))
        Cotangent of the Gram matrix.
    X, Y, depth, dyadic_order, static_kernel, sigma, n_jobs
        As in :func:`sig_kernel_gram`.

    Returns
    -------
    (gX, gY)
        Gradients shaped like ``X`` and ``Y`` (``gY`` None when ``Y`` is None or is ``X``).

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> X = np.random.default_rng(0).normal(size=(3, 5, 2)) * 0.3
    >>> gX, gY = srnn_rs.sig_kernel_gram_backprop(np.ones((3, 3)), X, dyadic_order=1)
    >>> gX.shape, gY is None
    ((3, 5, 2), True)
    """
    depth, dyadic_order, sigma, jobs = _kernel_args(depth, dyadic_order, sigma, n_jobs)
    _truncated_only_linear(depth, static_kernel)
    same = Y is None or Y is X
    xs, _ = _path_list("X", X)
    ys = xs if same else _path_list("Y", Y)[0]
    d = xs[0].shape[1]
    if ys[0].shape[1] != d:
        raise ValueError(f"Y: expected paths with d = {d} channels like X, got {ys[0].shape[1]}")
    g = as_float_array("grad", grad)
    if g.shape != (len(xs), len(ys)):
        raise ValueError(f"grad: expected shape {(len(xs), len(ys))} (the Gram matrix's shape), got {g.shape}")
    if depth is not None:
        sx = _signatures(xs, depth, jobs)
        sy = sx if same else _signatures(ys, depth, jobs)
        if same:
            gxs = _signature_cotangents(g @ sy + g.T @ sx, xs, depth, jobs)
            gys = None
        else:
            gxs = _signature_cotangents(g @ sy, xs, depth, jobs)
            gys = _signature_cotangents(g.T @ sx, ys, depth, jobs)
    else:
        gxs, gys = _core._sig_kernel_backprop(
            np.ascontiguousarray(g).reshape(-1), xs, None if same else ys, d, dyadic_order, static_kernel,
            sigma, False, jobs,
        )
    return _like_input(gxs, X, False), (None if gys is None else _like_input(gys, Y, False))
