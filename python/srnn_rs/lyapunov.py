"""Lyapunov exponents of the SRNN's Euler–Maruyama chain along stationary paths.

Along a path ``h_{j+1} = h_j + dt (b(h_j) + C u_j) + Σ(h_j) √dt z_j`` the tangent map of one step
is ``J_j = I + dt Db(h_j) + diag(σ_mult √dt z_j)`` with ``Db(h) = −Γ + diag(a′(W h + b)) W`` (the
last term only with multiplicative noise, built from the very normals of the path). A frame of
``k`` orthonormal vectors is carried by ``V ← J_j V`` and re-orthonormalised by QR every
``qr_every`` steps and after the last one; a path's estimate of exponent ``i`` is
``Σ log|R_ii| / t_max``. The result is the mean over paths with its standard error.

The exponents are those of the chain: for a linear network, ``log|eig(I − dt A)| / dt``, which
tend to ``−Re eig(A)`` as ``dt → 0``. Paths are those of ``SRNN.simulate(h0="stationary")`` with
the same seed and burn-in, and per-block partial sums merge along the response estimators' block
tree, so results are bit-identical for any thread count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from . import _core
from ._memory import check_memory
from ._progress import ProgressArg, progress_callback
from ._validate import as_float_array, as_int, as_positive_float, as_seed, check_shape
from .model import SRNN

__all__ = ["LyapunovSpectrum", "lyapunov"]


@dataclass(frozen=True)
class LyapunovSpectrum:
    """The first ``k`` Lyapunov exponents with standard errors over paths.

    Attributes
    ----------
    values, stderr : (k,) arrays
        Mean over paths of the per-path estimates ``Σ log|R_ii| / t_max`` and its standard error.
    n_paths : int
    t_max, dt : float
        The time each path's estimate averages over (after burn-in), and the step.
    """

    values: np.ndarray
    stderr: np.ndarray
    n_paths: int
    t_max: float
    dt: float

    @property
    def top(self) -> float:
        """The largest exponent ``λ_1``."""
        return float(self.values[0])


def lyapunov(
    model: SRNN,
    *,
    dt: float,
    n_paths: int,
    t_max: float,
    n_exponents: int = 1,
    seed: int = 0,
    u: Any = None,
    burn_in: Optional[float] = None,
    qr_every: int = 10,
    first_path: int = 0,
    block_size: Optional[int] = None,
    progress: ProgressArg = False,
) -> LyapunovSpectrum:
    """The first ``n_exponents`` Lyapunov exponents of the Euler–Maruyama chain.

    Parameters
    ----------
    model : SRNN
    dt : float
        Time step of the chain (the exponents are the chain's, see the module docstring).
    n_paths : int
        Independent stationary paths (at least 2, for standard errors).
    t_max : float
        Time followed after the burn-in; ``round(t_max / dt)`` steps.
    n_exponents : int
        ``k``, from 1 (the top exponent) to ``n`` (the whole spectrum).
    seed : int
    u : None or (n_steps, m) array
        Input shared by all paths during the ``n_steps`` main steps (none during the burn-in).
    burn_in : float, optional
        As in ``SRNN.simulate(h0="stationary")``; default ``10 / model.relaxation_rate()``.
    qr_every : int
        Steps between re-orthonormalisations; the result does not depend on it beyond round-off
        as long as the frame neither overflows nor collapses in between.
    first_path, block_size, progress
        As in :func:`srnn_rs.response_kernels`.

    Returns
    -------
    LyapunovSpectrum

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> net = srnn_rs.SRNN(W=np.zeros((2, 2)), C=np.zeros((2, 1)), gamma=[1.0, 2.0], sigma=0.5,
    ...                    activation="identity")
    >>> spec = srnn_rs.lyapunov(net, dt=0.01, n_paths=4, t_max=5.0, n_exponents=2)
    >>> np.round(spec.values, 1)  # the chain's log(1 - dt·γ)/dt, up to the frame's start
    array([-1., -2.])
    """
    from .response import _DEFAULT_BLOCK, _burn_in_steps, _model

    model = _model(model)
    dt = as_positive_float("dt", dt)
    n_paths = as_int("n_paths", n_paths, minimum=2)
    t_max = as_positive_float("t_max", t_max)
    n_steps = int(round(t_max / dt))
    if n_steps < 1:
        raise ValueError(f"t_max: {t_max} is less than one step of dt={dt}")
    if n_steps >= 2**32:
        raise ValueError(f"t_max: at most {2**32 - 1} steps of dt, got {n_steps}")
    n_exponents = as_int("n_exponents", n_exponents, minimum=1, maximum=model.n)
    qr_every = as_int("qr_every", qr_every, minimum=1)
    seed = as_seed(seed)
    first_path = as_int("first_path", first_path, minimum=0, maximum=2**64 - 1 - n_paths)
    block = _DEFAULT_BLOCK if block_size is None else as_int("block_size", block_size, minimum=1)
    burn_in_steps = _burn_in_steps(model, dt, burn_in)
    u_arr = None
    if u is not None:
        u_arr = np.ascontiguousarray(as_float_array("u", u, ndim=2))
        check_shape("u", u_arr, (n_steps, model.m))
    # The forward run keeps every step's activation slopes of a block before the tangent sweep.
    rows = min(block, n_paths)
    check_memory("lyapunov", 8 * (rows * (n_steps + 1) * model.n + rows * n_exponents * model.n))
    with progress_callback(progress, "lyapunov") as callback:
        out = _core.lyapunov(
            model._native, dt=dt, n_exponents=n_exponents, n_steps=n_steps, qr_every=qr_every,
            n_paths=n_paths, seed=seed, first_path=first_path, burn_in_steps=burn_in_steps,
            block_size=block, u=u_arr, progress=callback,
        )
    return LyapunovSpectrum(
        values=np.asarray(out["values"]),
        stderr=np.asarray(out["stderr"]),
        n_paths=int(out["n_paths"]),
        t_max=float(out["time"]),
        dt=dt,
    )
