"""Signatures, log-signatures and signature kernels as differentiable PyTorch operations.

Each function is a :class:`torch.autograd.Function` whose forward calls the NumPy function of
the same name and whose backward calls the matching vector-Jacobian product of the Rust core
(:func:`srnn_rs.signature_backprop`, :func:`srnn_rs.logsignature_backprop`,
:func:`srnn_rs.sig_kernel_backprop`, :func:`srnn_rs.sig_kernel_gram_backprop`), so the
gradients are exact, not finite differences, and cost about one more forward pass.

Tensors must live on the CPU (the core computes there; a CUDA tensor raises ``ValueError``
rather than being copied behind your back). Work is done in float64; results come back in
the input's floating dtype. Only first derivatives are available (the backward is not itself
differentiable). Install with ``pip install srnn_rs[torch]``.

Examples
--------
>>> import torch, srnn_rs.torch as st
>>> path = torch.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=torch.float64, requires_grad=True)
>>> st.signature(path, 2)
tensor([1.0000, 2.0000, 0.5000, 1.0000, 1.0000, 2.0000], dtype=torch.float64,
       grad_fn=<_SignatureBackward>)
>>> st.signature(path, 2)[0].backward()
>>> path.grad
tensor([[-1.,  0.],
        [ 1.,  0.]], dtype=torch.float64)
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from . import signatures as _sig

__all__ = ["signature", "logsignature", "sig_kernel", "sig_kernel_gram"]


def _numpy(name: str, t: Any) -> np.ndarray:
    """``t`` as a float64 NumPy array, refusing what the core cannot take as it is."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(t).__name__}")
    if t.device.type != "cpu":
        raise ValueError(
            f"{name}: expected a CPU tensor, got one on {t.device}; srnn_rs computes on the CPU, "
            f"so move it with {name}.cpu() (and the result back with .to(device))"
        )
    if not t.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {t.dtype}")
    # np.asarray, not np.ascontiguousarray, which turns a 0-d tensor into shape (1,).
    return np.asarray(t.detach().numpy(), dtype=np.float64, order="C")


def _tensor(a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a, order="C")).to(like.dtype)


def _bool_basepoint(basepoint: Any) -> bool:
    # An array basepoint would need its own gradient slot; a translated path does the same.
    if not isinstance(basepoint, (bool, np.bool_)):
        raise TypeError(
            "basepoint: the PyTorch bridge takes True or False; to start from a point p, "
            "prepend it to the path (torch.cat) so that it gets a gradient too"
        )
    return bool(basepoint)


class _Signature(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, path: torch.Tensor, depth: int, options: dict) -> torch.Tensor:
        arr = _numpy("path", path)
        out = _sig.signature(arr, depth, **options)
        ctx.save_for_backward(path)
        ctx.depth, ctx.options = depth, options
        return _tensor(out, path)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple:
        (path,) = ctx.saved_tensors
        g = _sig.signature_backprop(_numpy("grad", grad), _numpy("path", path), ctx.depth, **ctx.options)
        return _tensor(g, path), None, None


class _LogSignature(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, path: torch.Tensor, depth: int, options: dict) -> torch.Tensor:
        arr = _numpy("path", path)
        out = _sig.logsignature(arr, depth, **options)
        ctx.save_for_backward(path)
        ctx.depth, ctx.options = depth, options
        return _tensor(out, path)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple:
        (path,) = ctx.saved_tensors
        g = _sig.logsignature_backprop(_numpy("grad", grad), _numpy("path", path), ctx.depth, **ctx.options)
        return _tensor(g, path), None, None


class _SigKernel(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, y: torch.Tensor, options: dict) -> torch.Tensor:
        xa, ya = _numpy("x", x), _numpy("y", y)
        out = _sig.sig_kernel(xa, ya, **options)
        ctx.save_for_backward(x, y)
        ctx.options = options
        return _tensor(np.asarray(out), x)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple:
        x, y = ctx.saved_tensors
        gx, gy = _sig.sig_kernel_backprop(_numpy("grad", grad), _numpy("x", x), _numpy("y", y), **ctx.options)
        return _tensor(gx, x), _tensor(gy, y), None


class _SigKernelGram(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, X: torch.Tensor, Y: Optional[torch.Tensor], options: dict) -> torch.Tensor:
        Xa = _numpy("X", X)
        Ya = None if Y is None else _numpy("Y", Y)
        out = _sig.sig_kernel_gram(Xa, Ya, **options)
        if Y is None:
            ctx.save_for_backward(X)
        else:
            ctx.save_for_backward(X, Y)
        ctx.options = options
        return _tensor(out, X)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple:
        saved = ctx.saved_tensors
        X = saved[0]
        Y = saved[1] if len(saved) > 1 else None
        gX, gY = _sig.sig_kernel_gram_backprop(
            _numpy("grad", grad), _numpy("X", X), None if Y is None else _numpy("Y", Y), **ctx.options
        )
        return _tensor(gX, X), (None if Y is None else _tensor(gY, Y)), None


def signature(
    path: torch.Tensor,
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
) -> torch.Tensor:
    """Differentiable :func:`srnn_rs.signature` of a CPU tensor ``path`` of shape ``(..., L, d)``.

    The options are those of :func:`srnn_rs.signature`, with ``basepoint`` True or False only
    (prepend a point to the path to start from it).

    Examples
    --------
    >>> import torch, srnn_rs.torch as st
    >>> x = torch.zeros(3, 10, 2, dtype=torch.float64).normal_().requires_grad_()
    >>> st.signature(x, 3).shape
    torch.Size([3, 14])
    """
    options = dict(stream=stream, basepoint=_bool_basepoint(basepoint), inverse=inverse, scalar_term=scalar_term,
                   time_aug=time_aug, lead_lag=lead_lag, end_time=end_time, n_jobs=n_jobs)
    out: torch.Tensor = _Signature.apply(path, depth, options)
    return out


def logsignature(
    path: torch.Tensor,
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
) -> torch.Tensor:
    """Differentiable :func:`srnn_rs.logsignature` of a CPU tensor ``path`` of shape ``(..., L, d)``.

    Examples
    --------
    >>> import torch, srnn_rs.torch as st
    >>> p = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    >>> st.logsignature(p, 2)
    tensor([1.0000, 1.0000, 0.5000], dtype=torch.float64)
    """
    options = dict(mode=mode, stream=stream, basepoint=_bool_basepoint(basepoint), inverse=inverse,
                   time_aug=time_aug, lead_lag=lead_lag, end_time=end_time, n_jobs=n_jobs)
    out: torch.Tensor = _LogSignature.apply(path, depth, options)
    return out


def sig_kernel(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    depth: Optional[int] = None,
    dyadic_order: int = 0,
    static_kernel: str = "linear",
    sigma: float = 1.0,
    n_jobs: Optional[int] = None,
) -> torch.Tensor:
    """Differentiable :func:`srnn_rs.sig_kernel` of CPU tensors ``x`` and ``y`` (``(L, d)`` or
    ``(B, L, d)``), with gradients for both. Untruncated (``depth=None``): the gradient is that
    of the Goursat scheme's value at this ``dyadic_order``, by its adjoint recursion.

    Examples
    --------
    >>> import torch, srnn_rs.torch as st
    >>> x = torch.tensor([[0.0, 0.0], [1.0, 0.5]], dtype=torch.float64, requires_grad=True)
    >>> y = torch.tensor([[0.0, 0.0], [0.5, 1.0]], dtype=torch.float64)
    >>> k = st.sig_kernel(x, y, depth=2)  # 1 + <dx,dy> + <dx,dy>^2/4
    >>> k.backward(); k.item()
    2.25
    >>> x.grad
    tensor([[-0.7500, -1.5000],
            [ 0.7500,  1.5000]], dtype=torch.float64)
    """
    options = dict(depth=depth, dyadic_order=dyadic_order, static_kernel=static_kernel, sigma=sigma, n_jobs=n_jobs)
    out: torch.Tensor = _SigKernel.apply(x, y, options)
    return out


def sig_kernel_gram(
    X: torch.Tensor,
    Y: Optional[torch.Tensor] = None,
    *,
    depth: Optional[int] = None,
    dyadic_order: int = 0,
    static_kernel: str = "linear",
    sigma: float = 1.0,
    n_jobs: Optional[int] = None,
) -> torch.Tensor:
    """Differentiable :func:`srnn_rs.sig_kernel_gram` of CPU tensors ``(B, L, d)``; with ``Y``
    None the Gram matrix of ``X`` with itself (exactly symmetric), differentiated through both
    of its slots.

    Examples
    --------
    >>> import torch, srnn_rs.torch as st
    >>> X = torch.zeros(4, 6, 2, dtype=torch.float64).normal_(std=0.3).requires_grad_()
    >>> st.sig_kernel_gram(X, dyadic_order=1).sum().backward()
    >>> X.grad.shape
    torch.Size([4, 6, 2])
    """
    options = dict(depth=depth, dyadic_order=dyadic_order, static_kernel=static_kernel, sigma=sigma, n_jobs=n_jobs)
    out: torch.Tensor = _SigKernelGram.apply(X, Y, options)
    return out
