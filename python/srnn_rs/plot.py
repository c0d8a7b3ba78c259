"""Figures for kernels, Volterra predictions and fitted machines (needs matplotlib:
``pip install srnn_rs[plot]``)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised only without matplotlib
        raise ImportError("srnn_rs.plot needs matplotlib: pip install matplotlib") from exc
    return plt


def plot_kernels(kernels: Sequence[Any], *, output: int = 0, channel: int = 0, ax: Any = None, z: float = 2.0) -> Any:
    """First-order kernels ``K1[:, output, channel]`` of several estimators with ±z·SE bands."""
    plt = _pyplot()
    ax = ax or plt.gca()
    for k in kernels:
        v, se = k.values[:, output, channel], k.stderr[:, output, channel]
        line, = ax.plot(k.lags, v, label=f"{k.method} ({k.n_paths} paths)")
        if np.any(se > 0):
            ax.fill_between(k.lags, v - z * se, v + z * se, color=line.get_color(), alpha=0.2)
    ax.set_xlabel("lag τ")
    ax.set_ylabel("K1(τ)")
    ax.legend(fontsize="small")
    return ax


def plot_volterra(t: np.ndarray, simulated: np.ndarray, predictions: dict, *, simulated_se: Optional[np.ndarray] = None,
                  ax: Any = None) -> Any:
    """A driven mean output from simulation beside truncated Volterra predictions."""
    plt = _pyplot()
    ax = ax or plt.gca()
    ax.plot(t, simulated, color="k", lw=2, label="simulation (mean)")
    if simulated_se is not None:
        ax.fill_between(t, simulated - 2 * simulated_se, simulated + 2 * simulated_se, color="k", alpha=0.15)
    for label, values in predictions.items():
        ax.plot(t, values, ls="--", label=label)
    ax.set_xlabel("t")
    ax.set_ylabel("E[y_t]")
    ax.legend(fontsize="small")
    return ax


def plot_predictions(target: np.ndarray, predictions: dict, *, ax: Any = None, title: str = "") -> Any:
    """Targets beside model predictions (one line each)."""
    plt = _pyplot()
    ax = ax or plt.gca()
    ax.plot(target, color="k", lw=2, label="target")
    for label, values in predictions.items():
        ax.plot(values, lw=1, label=label)
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax
