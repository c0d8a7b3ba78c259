"""The truncated Volterra series of a network's response kernels, evaluated for an input on
the simulation grid (the lag convention of :mod:`srnn_rs.response`)."""

from __future__ import annotations

import math
from typing import Any, Optional, Union

import numpy as np

from ._memory import check_memory
from ._validate import as_float_array, as_positive_float, check_finite_result
from .response import ResponseKernels

__all__ = ["volterra_predict"]


def _kernel_array(name: str, k: Any, order: int, dt: Optional[float]) -> tuple[np.ndarray, Optional[float], Optional[np.ndarray]]:
    if isinstance(k, ResponseKernels):
        if k.order != order:
            raise ValueError(f"{name}: expected an order-{order} kernel, got order {k.order}")
        if k.bin_width != 1:
            raise ValueError(f"{name}: binned kernels (bin_width={k.bin_width}) cannot be summed on the "
                             "input grid; estimate with bin_width=1")
        return np.asarray(k.values, dtype=float), k.dt, k.mean
    arr = as_float_array(name, k, ndim=3 if order == 1 else 5)
    if arr.size == 0:
        raise ValueError(f"{name}: expected a kernel with at least one lag, output and input channel, got shape {arr.shape}")
    return arr, None, None


def volterra_predict(
    k1: Union[ResponseKernels, np.ndarray],
    u: Any,
    dt: Optional[float] = None,
    *,
    k2: Optional[Union[ResponseKernels, np.ndarray]] = None,
    mean: Optional[Any] = None,
) -> np.ndarray:
    r"""The truncated Volterra series for an input on the grid:

    ``y_N = mean + dt Σ_i K1[i] u_{N−1−i} + ½ dt² Σ_{i1,i2} K2[i1,i2] u_{N−1−i1} u_{N−1−i2}``

    for ``N = 0..T`` (the lag convention of :mod:`srnn_rs.response`; kernels are zero beyond
    their last lag), to set beside ``model.simulate(u, dt, h0="stationary", ...)`` averaged over paths.

    Parameters
    ----------
    k1 : ResponseKernels or (L, p, m) array
    u : (T, m) or (B, T, m) array
        Input held constant on ``[t_k, t_k + dt)``.
    dt : float, optional
        Grid step; taken from ``k1`` when it is a :class:`ResponseKernels` (and must agree).
    k2 : ResponseKernels or (L2, L2, p, m, m) array, optional
        Second-order kernel (symmetric convention, hence the ½).
    mean : (p,) array, optional
        The order-0 term. Default: ``k1.mean`` when ``k1`` carries one, else zero (the
        prediction is then of ``E[y_N] − E∞[f]``).

    Returns
    -------
    ndarray
        ``(T + 1, p)`` or ``(B, T + 1, p)``, like ``simulate(record="readout")``.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> k1 = np.ones((3, 1, 1))
    >>> srnn_rs.volterra_predict(k1, np.ones((4, 1)), 0.5)[:, 0].tolist()
    [0.0, 0.5, 1.0, 1.5, 1.5]
    """
    K1, dt1, mean1 = _kernel_array("k1", k1, 1, dt)
    if dt is None:
        if dt1 is None:
            raise ValueError("dt: required when k1 is a plain array")
        dt = dt1
    dt = as_positive_float("dt", dt)
    if dt1 is not None and not math.isclose(dt, dt1, rel_tol=1e-9):
        raise ValueError(f"dt: {dt} differs from the kernels' dt={dt1}")
    L, p, m = K1.shape
    u_arr = as_float_array("u", u, ndim=(2, 3))
    batched = u_arr.ndim == 3
    U = u_arr if batched else u_arr[None]
    if U.shape[-1] != m:
        raise ValueError(f"u: expected {m} input channels on the last axis (the kernels' m), got shape {u_arr.shape}")
    B, T, _ = U.shape
    K2 = None
    if k2 is not None:
        K2, dt2, _ = _kernel_array("k2", k2, 2, dt)
        if dt2 is not None and not math.isclose(dt, dt2, rel_tol=1e-9):
            raise ValueError(f"k2: its dt={dt2} differs from dt={dt}")
        if K2.shape[0] != K2.shape[1] or K2.shape[2:] != (p, m, m):
            raise ValueError(f"k2: expected shape (L2, L2, {p}, {m}, {m}), got {K2.shape}")
    if mean is None:
        mean_v = np.zeros(p) if mean1 is None else np.asarray(mean1, dtype=float)
    else:
        mean_v = as_float_array("mean", mean, ndim=1)
        if mean_v.shape != (p,):
            raise ValueError(f"mean: expected shape ({p},), got {mean_v.shape}")
    check_memory("volterra prediction", 8 * B * (T + 1) * (p + max(L, 0 if K2 is None else K2.shape[0]) * m))

    y = np.broadcast_to(mean_v, (B, T + 1, p)).copy()
    # Order 1: a causal convolution, one matrix product per lag.
    for i in range(min(L, T)):
        y[:, i + 1:, :] += dt * np.einsum("btk,ok->bto", U[:, : T - i, :], K1[i])
    if K2 is not None:
        L2 = K2.shape[0]
        # Windows win[b, N, i, :] = u_{N−1−i} (zero before the start).
        padded = np.concatenate([np.zeros((B, L2, m)), U], axis=1)
        for N in range(1, T + 1):
            win = padded[:, L2 + N - 1 - np.arange(L2), :]
            y[:, N, :] += 0.5 * dt * dt * np.einsum("bik,ijokl,bjl->bo", win, K2, win, optimize=True)
    check_finite_result("u", y, "the Volterra series")
    return y if batched else y[0]
