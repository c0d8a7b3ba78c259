"""Response features: the signature of the input lifted by a support basis of functions of time.

The lifted path is ``X_t^{(l,k)} = ∫_0^t ψ_l(s) u^k_s ds`` (channel ``l·m + k``); the response
feature is its truncated signature ``Z = S(X)_{0,T}``. Every Volterra term of an SRNN's mean
output is a linear functional of Z, with coefficients set by the network, not by the input.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from ._memory import check_memory
from ._validate import as_choice, as_float_array, as_int, as_positive_float, check_finite_result

BASES = ("monomial", "exponential")


def _rates(rates: Any, model: Any, n_basis: Optional[int]) -> np.ndarray:
    if isinstance(rates, str):
        as_choice("rates", rates, ("model",))
        if model is None:
            raise ValueError("rates: 'model' needs the model= argument (an SRNN)")
        from .model import SRNN

        if not isinstance(model, SRNN):
            raise TypeError(f"model: expected an srnn_rs.SRNN, got {type(model).__name__}")
        lam = np.sort(np.linalg.eigvals(model.linear_part()).real)
        return lam if n_basis is None else lam[:n_basis]
    if rates is None:
        raise ValueError("rates: the exponential basis needs rates (an array, or 'model' with model=)")
    lam = as_float_array("rates", rates, ndim=1)
    if lam.size == 0:
        raise ValueError("rates: expected at least one rate, got an empty array")
    return lam


def basis_weights(
    n_steps: int, dt: float, *, basis: str = "monomial", n_basis: Optional[int] = 2,
    rates: Union[None, str, Sequence[float], np.ndarray] = None, model: Any = None,
) -> np.ndarray:
    """``w[j, l] = ∫_{t_j}^{t_{j+1}} ψ_l(s) ds`` on the grid ``t_j = j·dt``, ``T = n_steps·dt``:
    exact for inputs held constant on each step."""
    n_steps = as_int("n_steps", n_steps, minimum=1)
    dt = as_positive_float("dt", dt)
    basis = as_choice("basis", basis, BASES)
    T = n_steps * dt
    if not np.isfinite(T):
        raise ValueError(f"dt: n_steps·dt = {n_steps}·{dt} overflows float64")
    t = dt * np.arange(n_steps + 1)
    if basis == "monomial":
        M = as_int("n_basis", n_basis if n_basis is not None else 2, minimum=1)
        check_memory("basis weights", 8 * (n_steps + 1) * M * 2)
        l = np.arange(1, M + 1)
        # ∫ (s/T)^{l−1} ds = T/l · (s/T)^l
        prim = (T / l) * (t[:, None] / T) ** l
    else:
        lam = _rates(rates, model, n_basis)
        check_memory("basis weights", 8 * (n_steps + 1) * lam.size * 3)
        # ∫ e^{−λ(T−s)} ds = e^{−λ(T−s)}/λ, and = s for λ = 0; expm1 keeps small λ accurate.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            prim = np.where(lam == 0, t[:, None], np.exp(-lam * T) * np.expm1(lam * t[:, None]) / np.where(lam == 0, 1, lam))
            # For large λT the product above is 0·inf; the difference of two exponentials in
            # [0, 1] gives the same integral without overflow.
            stable = (np.exp(-lam * (T - t[:, None])) - np.exp(-lam * T)) / np.where(lam == 0, 1, lam)
            prim = np.where(np.isfinite(prim), prim, stable)
        if not np.isfinite(prim).all():
            raise ValueError(f"rates: exp(−λ·T) overflows float64 for T = {T:g} and rates down to {lam.min():g}")
    return np.diff(prim, axis=0)


def lifted_path(
    u: Any, dt: float, *, basis: str = "monomial", n_basis: Optional[int] = 2,
    rates: Union[None, str, Sequence[float], np.ndarray] = None, model: Any = None,
) -> np.ndarray:
    """The lifted path ``X`` on the grid: ``(..., T+1, M·m)`` for ``u`` of shape ``(..., T, m)``,
    starting at 0, channel ``l·m + k`` for basis function ``l`` and input channel ``k``.

    Examples
    --------
    >>> import numpy as np
    >>> X = lifted_path(np.ones((4, 1)), 0.25, basis="monomial", n_basis=2)
    >>> X[-1]  # ∫_0^1 1 ds, ∫_0^1 s ds
    array([1. , 0.5])
    """
    u = as_float_array("u", u, ndim=(2, 3))
    w = basis_weights(u.shape[-2], dt, basis=basis, n_basis=n_basis, rates=rates, model=model)
    batch = u.shape[0] if u.ndim == 3 else 1
    # The increments and the lifted path: two arrays of (batch, T + 1, M·m) floats.
    check_memory("lifted path", 2 * 8 * batch * (u.shape[-2] + 1) * w.shape[1] * u.shape[-1])
    with np.errstate(over="ignore", invalid="ignore"):
        increments = (w[:, :, None] * u[..., :, None, :]).reshape(*u.shape[:-1], -1)
        X = np.zeros((*u.shape[:-2], u.shape[-2] + 1, increments.shape[-1]))
        np.cumsum(increments, axis=-2, out=X[..., 1:, :])
    check_finite_result("u", X, "the lifted path")
    return X


def response_feature(
    u: Any, dt: float, depth: int, *, basis: str = "monomial", n_basis: Optional[int] = 2,
    rates: Union[None, str, Sequence[float], np.ndarray] = None, model: Any = None, stream: bool = False,
) -> np.ndarray:
    """The response feature ``Z = S(X)_{0,T}``: the signature (levels 1..depth, the layout of
    :func:`srnn_rs.signature`) of the lifted path of ``u`` (``(T, m)`` or ``(batch, T, m)``).

    ``basis="monomial"`` uses ``ψ_l(s) = (s/T)^{l−1}``, ``l = 1..n_basis``; ``"exponential"``
    uses ``ψ_l(s) = exp(−λ_l (T − s))`` with ``rates`` given, or ``rates="model"`` with an SRNN
    as ``model`` (the real parts of the eigenvalues of ``model.linear_part()``). With
    ``stream=True`` the feature at every grid time is returned, ``(..., T, S)``.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> u = np.sin(np.linspace(0, 3, 50))[:, None]
    >>> z = srnn_rs.response_feature(u, 0.1, 2, n_basis=2)
    >>> z.shape  # M·m = 2 channels: 2 + 4 coordinates
    (6,)
    """
    from .signatures import signature

    depth = as_int("depth", depth, minimum=1)
    X = lifted_path(u, dt, basis=basis, n_basis=n_basis, rates=rates, model=model)
    try:
        return signature(X, depth, stream=bool(stream))
    except ValueError as exc:
        # The lifted path is ours; the user passed u.
        if str(exc).startswith("path: "):
            raise ValueError("u: " + str(exc)[len("path: "):].replace("rescale path", "rescale u")) from None
        raise
