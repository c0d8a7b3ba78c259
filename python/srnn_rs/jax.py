"""Signatures, log-signatures and signature kernels as differentiable JAX operations.

Each function is a :func:`jax.custom_vjp` over :func:`jax.pure_callback`: the forward calls
the NumPy function of the same name on the host, and the backward calls the matching
vector-Jacobian product of the Rust core (:func:`srnn_rs.signature_backprop`,
:func:`srnn_rs.logsignature_backprop`, :func:`srnn_rs.sig_kernel_backprop`,
:func:`srnn_rs.sig_kernel_gram_backprop`). They work under :func:`jax.jit`, :func:`jax.grad`
and :func:`jax.vmap` (a vmapped call loops over the mapped axis). Reverse mode only: there is
no forward-mode (``jvp``) rule, and only first derivatives.

Work is done in float64 on the CPU; results come back in the input's dtype (float32 unless
``jax.config.update("jax_enable_x64", True)``). Arrays on an accelerator are copied to the
host for the call. Install with ``pip install srnn_rs[jax]``.

Examples
--------
>>> import jax, jax.numpy as jnp, srnn_rs.jax as sj
>>> path = jnp.array([[0.0, 0.0], [1.0, 2.0]])
>>> sj.signature(path, 2).tolist()
[1.0, 2.0, 0.5, 1.0, 1.0, 2.0]
>>> jax.grad(lambda p: sj.signature(p, 2)[0])(path).tolist()
[[-1.0, 0.0], [1.0, 0.0]]
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np

from . import signatures as _sig

__all__ = ["signature", "logsignature", "sig_kernel", "sig_kernel_gram"]

# The options of a call, as a hashable tuple of (name, value) pairs: JAX needs the
# non-differentiable arguments of a custom_vjp to be hashable.
Options = tuple


def _float64(a: Any) -> np.ndarray:
    # np.asarray, not np.ascontiguousarray, which turns a 0-d cotangent into shape (1,).
    return np.asarray(a, dtype=np.float64, order="C")


def _floating(name: str, x: Any) -> jax.Array:
    arr = jnp.asarray(x)
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        raise TypeError(f"{name}: expected a floating-point array, got dtype {arr.dtype}")
    return arr


def _bool_basepoint(basepoint: Any) -> bool:
    if not isinstance(basepoint, (bool, np.bool_)):
        raise TypeError(
            "basepoint: the JAX bridge takes True or False; to start from a point p, "
            "prepend it to the path (jnp.concatenate) so that it gets a gradient too"
        )
    return bool(basepoint)


def _callback(fn: Callable[..., Any], shape: tuple, dtype: Any, *args: Any) -> Any:
    """``fn(*args)`` on the host as a pure callback returning ``shape`` in ``dtype``."""

    def host(*arrays: Any) -> np.ndarray:
        return np.asarray(fn(*(_float64(a) for a in arrays)), dtype=dtype)

    # Sequential under vmap: each call sees the shapes it was traced with.
    return jax.pure_callback(host, jax.ShapeDtypeStruct(shape, dtype), *args, vmap_method="sequential")


def _callback_pair(fn: Callable[..., Any], shapes: tuple, dtype: Any, *args: Any) -> Any:
    """Like :func:`_callback` for a function returning two arrays."""

    def host(*arrays: Any) -> tuple:
        a, b = fn(*(_float64(x) for x in arrays))
        return np.asarray(a, dtype=dtype), np.asarray(b, dtype=dtype)

    out_types = tuple(jax.ShapeDtypeStruct(s, dtype) for s in shapes)
    return jax.pure_callback(host, out_types, *args, vmap_method="sequential")


# The output shape of a path function comes from calling it on one path of zeros while
# tracing, so shapes follow the core's rules without restating them, and a bad option fails
# at the call rather than inside a callback.
def _path_output_shape(fn: Callable[..., np.ndarray], shape: tuple, depth: int, options: dict) -> tuple:
    probe = np.zeros(shape[-2:], dtype=np.float64)
    row = fn(probe, depth, **options).shape
    return tuple(shape[:-2]) + tuple(row)


def _path_function(forward: Callable[..., np.ndarray], backprop: Callable[..., np.ndarray]) -> Callable:
    """``forward(path, depth, **options)`` as a JAX function whose VJP is
    ``backprop(grad, path, depth, **options)``."""

    @functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2))
    def apply(path: jax.Array, depth: int, options: Options) -> jax.Array:
        opts = dict(options)
        shape = _path_output_shape(forward, path.shape, depth, opts)
        return _callback(lambda p: forward(p, depth, **opts), shape, path.dtype, path)

    def apply_fwd(path: jax.Array, depth: int, options: Options) -> tuple:
        return apply(path, depth, options), path

    def apply_bwd(depth: int, options: Options, path: jax.Array, grad: jax.Array) -> tuple:
        opts = dict(options)
        return (
            _callback(lambda g, p: backprop(g, p, depth, **opts), path.shape, path.dtype, grad, path),
        )

    apply.defvjp(apply_fwd, apply_bwd)
    return apply


_signature = _path_function(_sig.signature, _sig.signature_backprop)
_logsignature = _path_function(_sig.logsignature, _sig.logsignature_backprop)


def _check_kernel_shapes(x: jax.Array, y: Optional[jax.Array], pairwise: bool) -> None:
    names = ("x", "y") if pairwise else ("X", "Y")
    for name, a in zip(names, (x, y)):
        if a is not None and a.ndim not in (2, 3):
            raise ValueError(f"{name}: expected shape (L, d) or (B, L, d), got {a.shape}")


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _sig_kernel(x: jax.Array, y: jax.Array, options: Options) -> jax.Array:
    opts = dict(options)
    if x.ndim != y.ndim or (x.ndim == 3 and x.shape[0] != y.shape[0]):
        raise ValueError(f"y: expected as many paths as x (shape {x.shape}), got shape {y.shape}")
    shape = () if x.ndim == 2 else (x.shape[0],)
    return _callback(lambda a, b: _sig.sig_kernel(a, b, **opts), shape, x.dtype, x, y)


def _sig_kernel_fwd(x: jax.Array, y: jax.Array, options: Options) -> tuple:
    return _sig_kernel(x, y, options), (x, y)


def _sig_kernel_bwd(options: Options, residuals: tuple, grad: jax.Array) -> tuple:
    x, y = residuals
    opts = dict(options)
    gx, gy = _callback_pair(
        lambda g, a, b: _sig.sig_kernel_backprop(g, a, b, **opts), (x.shape, y.shape), x.dtype, grad, x, y
    )
    return gx, gy


_sig_kernel.defvjp(_sig_kernel_fwd, _sig_kernel_bwd)


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _sig_kernel_gram_sym(X: jax.Array, options: Options) -> jax.Array:
    opts = dict(options)
    n = X.shape[0]
    return _callback(lambda a: _sig.sig_kernel_gram(a, **opts), (n, n), X.dtype, X)


def _sig_kernel_gram_sym_fwd(X: jax.Array, options: Options) -> tuple:
    return _sig_kernel_gram_sym(X, options), X


def _sig_kernel_gram_sym_bwd(options: Options, X: jax.Array, grad: jax.Array) -> tuple:
    opts = dict(options)
    return (_callback(lambda g, a: _sig.sig_kernel_gram_backprop(g, a, **opts)[0], X.shape, X.dtype, grad, X),)


_sig_kernel_gram_sym.defvjp(_sig_kernel_gram_sym_fwd, _sig_kernel_gram_sym_bwd)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _sig_kernel_gram(X: jax.Array, Y: jax.Array, options: Options) -> jax.Array:
    opts = dict(options)
    return _callback(lambda a, b: _sig.sig_kernel_gram(a, b, **opts), (X.shape[0], Y.shape[0]), X.dtype, X, Y)


def _sig_kernel_gram_fwd(X: jax.Array, Y: jax.Array, options: Options) -> tuple:
    return _sig_kernel_gram(X, Y, options), (X, Y)


def _sig_kernel_gram_bwd(options: Options, residuals: tuple, grad: jax.Array) -> tuple:
    X, Y = residuals
    opts = dict(options)
    gX, gY = _callback_pair(
        lambda g, a, b: _sig.sig_kernel_gram_backprop(g, a, b, **opts), (X.shape, Y.shape), X.dtype, grad, X, Y
    )
    return gX, gY


_sig_kernel_gram.defvjp(_sig_kernel_gram_fwd, _sig_kernel_gram_bwd)


def signature(
    path: Any,
    depth: int,
    *,
    stream: bool = False,
    basepoint: bool = False,
    inverse: bool = False,
    scalar_term: bool = False,
    time_aug: bool = False,
    lead_lag: bool = False,
    end_time: float = 1.0,
    n_jobs: Optional[int] = None,
) -> jax.Array:
    """Differentiable :func:`srnn_rs.signature` of ``path`` of shape ``(..., L, d)``.

    The options are those of :func:`srnn_rs.signature`, with ``basepoint`` True or False only
    (prepend a point to the path to start from it). Checked when the call is traced.

    Examples
    --------
    >>> import jax.numpy as jnp, srnn_rs.jax as sj
    >>> sj.signature(jnp.zeros((3, 10, 2)), 3).shape
    (3, 14)
    """
    arr = _floating("path", path)
    options = (("stream", stream), ("basepoint", _bool_basepoint(basepoint)), ("inverse", inverse),
               ("scalar_term", scalar_term), ("time_aug", time_aug), ("lead_lag", lead_lag),
               ("end_time", end_time), ("n_jobs", n_jobs))
    return _signature(arr, depth, options)


def logsignature(
    path: Any,
    depth: int,
    *,
    mode: str = "lyndon",
    stream: bool = False,
    basepoint: bool = False,
    inverse: bool = False,
    time_aug: bool = False,
    lead_lag: bool = False,
    end_time: float = 1.0,
    n_jobs: Optional[int] = None,
) -> jax.Array:
    """Differentiable :func:`srnn_rs.logsignature` of ``path`` of shape ``(..., L, d)``.

    Examples
    --------
    >>> import jax.numpy as jnp, srnn_rs.jax as sj
    >>> sj.logsignature(jnp.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]), 2).tolist()
    [1.0, 1.0, 0.5]
    """
    arr = _floating("path", path)
    options = (("mode", mode), ("stream", stream), ("basepoint", _bool_basepoint(basepoint)),
               ("inverse", inverse), ("time_aug", time_aug), ("lead_lag", lead_lag),
               ("end_time", end_time), ("n_jobs", n_jobs))
    return _logsignature(arr, depth, options)


def _kernel_options(depth: Any, dyadic_order: Any, static_kernel: Any, sigma: Any, n_jobs: Any) -> Options:
    options = (("depth", depth), ("dyadic_order", dyadic_order), ("static_kernel", static_kernel),
               ("sigma", sigma), ("n_jobs", n_jobs))
    probe = np.zeros((2, 1))
    _sig.sig_kernel(probe, probe, **dict(options))
    return options


def sig_kernel(
    x: Any,
    y: Any,
    *,
    depth: Optional[int] = None,
    dyadic_order: int = 0,
    static_kernel: str = "linear",
    sigma: float = 1.0,
    n_jobs: Optional[int] = None,
) -> jax.Array:
    """Differentiable :func:`srnn_rs.sig_kernel` of ``x`` and ``y`` (``(L, d)`` or
    ``(B, L, d)``), with gradients for both.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, srnn_rs.jax as sj
    >>> x = jnp.array([[0.0, 0.0], [1.0, 0.5]]); y = jnp.array([[0.0, 0.0], [0.5, 1.0]])
    >>> jax.grad(lambda a: sj.sig_kernel(a, y, depth=2))(x).tolist()  # (1 + <dx,dy>/2) dy
    [[-0.75, -1.5], [0.75, 1.5]]
    """
    xa, ya = _floating("x", x), _floating("y", y)
    _check_kernel_shapes(xa, ya, True)
    return _sig_kernel(xa, ya, _kernel_options(depth, dyadic_order, static_kernel, sigma, n_jobs))


def sig_kernel_gram(
    X: Any,
    Y: Any = None,
    *,
    depth: Optional[int] = None,
    dyadic_order: int = 0,
    static_kernel: str = "linear",
    sigma: float = 1.0,
    n_jobs: Optional[int] = None,
) -> jax.Array:
    """Differentiable :func:`srnn_rs.sig_kernel_gram` of batches ``(B, L, d)``; with ``Y`` None
    the Gram matrix of ``X`` with itself, differentiated through both of its slots.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, srnn_rs.jax as sj
    >>> X = 0.3 * jax.random.normal(jax.random.key(0), (4, 6, 2))
    >>> jax.grad(lambda a: sj.sig_kernel_gram(a, dyadic_order=1).sum())(X).shape
    (4, 6, 2)
    """
    Xa = _floating("X", X)
    Ya = None if Y is None else _floating("Y", Y)
    _check_kernel_shapes(Xa, Ya, False)
    if Xa.ndim != 3 or (Ya is not None and Ya.ndim != 3):
        raise ValueError("X: expected batches of shape (B, L, d) (and Y too)")
    options = _kernel_options(depth, dyadic_order, static_kernel, sigma, n_jobs)
    if Ya is None:
        return _sig_kernel_gram_sym(Xa, options)
    return _sig_kernel_gram(Xa, Ya, options)
