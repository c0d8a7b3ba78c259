"""Stationary statistics, correlation functions and response (Volterra) kernels (``docs/estimators.md``).

Lag convention
--------------
Euler–Maruyama applies the input of step ``j`` (held on ``[t_j, t_{j+1})``) as a kick
``dt·C u_j`` to ``h_{j+1}``. The kernel value at lag ``i·dt`` is the response of ``E[y_N]`` to a
unit impulse in input step ``N − 1 − i`` (a kick ``c_k`` of the state ``h_{N−i}``). So lag 0 is
``∇f·C`` and the discretised Volterra series of the simulated network is exactly

``E[y_N] = E∞[f] + dt Σ_i K1[i] u_{N−1−i} + ½ dt² Σ_{i1,i2} K2[i1,i2] u_{N−1−i1} u_{N−1−i2} + O(u³)``

which is what :func:`volterra_predict` evaluates. For a linear network the Monte Carlo
estimators target the chain's kernel ``R (I − dt A)^i C``; ``method="exact"`` gives the
continuous-time ``R e^{−A i dt} C``; they differ by ``O(dt)``.

Every Monte Carlo estimator starts each path from the stationary law by its own burn-in, exactly
as ``SRNN.simulate(h0="stationary", burn_in=..., seed=...)`` does, so a kernel estimated with a
seed is the derivative along the very paths a driven simulation with that seed follows (common
random numbers). Reductions are per-block partial sums merged along a fixed tree over block indices: the results are
bit-identical for any thread count, and memory does not grow with ``n_paths``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

import numpy as np

from . import _core
from ._gaussian_readout import curved_readout_kernels
from ._memory import check_memory
from ._progress import ProgressArg, progress_callback
from ._validate import as_choice, as_int, as_positive_float, as_seed, as_steps
from .model import SRNN

__all__ = [
    "ResponseKernels",
    "StationaryStats",
    "CorrelationFunction",
    "response_kernels",
    "stationary_stats",
    "correlation_function",
    "volterra_predict",
]

METHODS = ("exact", "adjoint", "girsanov", "fd", "fdt_gauss")
OBSERVABLES = ("state", "readout", "drift")
_DEFAULT_BLOCK = _core.DEFAULT_BLOCK_SIZE


@dataclass(frozen=True)
class ResponseKernels:
    """Response kernels with standard errors.

    Attributes
    ----------
    lags : (L,) array
        Lag times; with ``bin_width > 1`` the mean lag of each bin.
    values : (L, p, m) or (L, L, p, m, m) array
        ``K1[i, o, k]`` or ``K2[i1, i2, o, k, l]`` (symmetric under ``(i1, k) ↔ (i2, l)``).
    stderr : array like ``values``
        Monte Carlo standard errors (zeros for ``method="exact"``).
    method, order, n_paths, dt, bin_width
        How the kernels were obtained.
    mean, mean_stderr : (p,) arrays or None
        The stationary readout mean ``E∞[f]`` (the order-0 term) estimated on the same paths,
        or exactly for ``method="exact"``.
    """

    lags: np.ndarray
    values: np.ndarray
    stderr: np.ndarray
    method: str
    order: int
    n_paths: int
    dt: float
    bin_width: int = 1
    mean: Optional[np.ndarray] = None
    mean_stderr: Optional[np.ndarray] = None


@dataclass(frozen=True)
class StationaryStats:
    """Stationary mean and covariance of the state (``n``) and the readout (``p``), each with
    standard errors (the covariance's by the delta method over independent paths)."""

    mean_state: np.ndarray
    mean_state_stderr: np.ndarray
    cov_state: np.ndarray
    cov_state_stderr: np.ndarray
    mean_readout: np.ndarray
    mean_readout_stderr: np.ndarray
    cov_readout: np.ndarray
    cov_readout_stderr: np.ndarray
    n_paths: int


@dataclass(frozen=True)
class CorrelationFunction:
    """``values[i, o, c] = E∞[f_o(h_{t+i·dt}) g_c(h_t)]`` (uncentred) with standard errors."""

    lags: np.ndarray
    values: np.ndarray
    stderr: np.ndarray
    g: str
    n_paths: int


def _threads() -> int:
    return os.cpu_count() or 1


def _model(model: Any) -> SRNN:
    if not isinstance(model, SRNN):
        raise TypeError(f"model: expected an srnn_rs.SRNN, got {type(model).__name__}")
    return model


def _check_exact_applies(model: SRNN) -> None:
    """The closed forms integrate ``e^{−Aτ}``: without every eigenvalue of ``A`` in the right
    half-plane there is no stationary law, and the numbers they would give mean nothing. The
    core refuses most such networks (its Lyapunov solve fails) but not those whose eigenvalue
    pairs are close enough to ``±iω`` for the solve to succeed in rounding."""
    eig = np.linalg.eigvals(model.linear_part())
    if not eig.real.min() > 0:
        raise ValueError(
            "model: method='exact' needs A = Γ − W positive stable (every eigenvalue with a positive "
            f"real part); its eigenvalues have real parts down to {eig.real.min():.3g}"
        )


def _burn_in_steps(model: SRNN, dt: float, burn_in: Optional[float]) -> int:
    """The burn-in of ``SRNN.simulate(h0="stationary")``, so paths match it bit for bit."""
    if burn_in is None:
        burn_in = 10.0 / model.relaxation_rate()
    steps = as_steps("burn_in", burn_in, dt)
    if steps >= 2**32:
        raise ValueError(f"burn_in: at most {2**32 - 1} steps, got {steps}")
    return steps


def _n_lags(dt: float, max_lag: Any) -> int:
    max_lag = as_positive_float("max_lag", max_lag, allow_zero=True)
    steps = max_lag / dt
    if steps > 10**7:
        raise ValueError(f"max_lag: {max_lag} is {steps:.3g} steps of dt={dt}; at most 1e7 lags")
    return int(round(steps)) + 1


def _common(model: SRNN, dt: Any, n_paths: Any, seed: Any, first_path: Any, block_size: Any) -> tuple:
    dt = as_positive_float("dt", dt)
    n_paths = as_int("n_paths", n_paths, minimum=2)
    seed = as_seed(seed)
    first_path = as_int("first_path", first_path, minimum=0, maximum=2**64 - 1 - n_paths)
    block = _DEFAULT_BLOCK if block_size is None else as_int("block_size", block_size, minimum=1, maximum=2**63 - 1)
    return dt, n_paths, seed, first_path, block


def response_kernels(
    model: SRNN,
    *,
    dt: float,
    max_lag: float,
    order: int = 1,
    method: Optional[str] = None,
    n_paths: int = 1000,
    seed: int = 0,
    burn_in: Optional[float] = None,
    bin_width: Optional[int] = None,
    eps: Optional[float] = None,
    n_origins: int = 8,
    first_path: int = 0,
    block_size: Optional[int] = None,
    progress: ProgressArg = False,
) -> ResponseKernels:
    r"""First- or second-order response kernels of the stationary network on the lag grid
    ``0, dt, …, max_lag``.

    Parameters
    ----------
    model : SRNN
    dt : float
        Time step of the Euler–Maruyama chain (and spacing of the lags).
    max_lag : float
        Largest lag (``round(max_lag/dt) + 1`` lags).
    order : {1, 2}
    method : {"adjoint", "girsanov", "fd", "fdt_gauss", "exact"}, optional
        Default ``"adjoint"`` for order 1 and 2 (``"fd"`` for order 2 when the activation or
        the readout activation is ``relu``, whose kink the pathwise derivative cannot see).

        * ``"exact"`` — linear networks only (activation ``identity``, ``A = Γ − W`` positive
          stable): ``K1(τ) = R e^{−Aτ} C`` and ``K2 = 0`` (``C + C_in`` when the network has an
          input inside its identity activation). With a curved readout ``g`` and additive noise
          the stationary law is Gaussian and the kernels stay closed forms:
          ``K1 = E[g′(x)] R e^{−Aτ} C`` and ``K2[τ1, τ2] = E[g″(x)] (R e^{−Aτ1} c_k)(R e^{−Aτ2} c_l)``
          per output, ``x`` the stationary readout pre-activation (Gauss–Hermite quadrature;
          closed form for ``relu``; ``readout_activation="square"`` is the quadratic readout):
          the ground truth for second-order estimators.
        * ``"adjoint"`` — pathwise derivative: one backward sweep
          ``λ_j = λ_{j+1}(I + dt Db(h_j))`` per path gives all lags and channels (the kick of
          step ``j`` is ``C + diag(a′(W h_j + b)) C_in``). Lowest variance. For order 2, one
          tangent per first kick runs forward and the adjoint's derivative along it runs back
          (``μ_t = μ_{t+1} J_t + dt (λ_{t+1} ⊙ a″ ⊙ W v_t) W``), giving every second kick at once:
          the exact second derivative of the simulated chain, the limit of ``"fd"`` as
          ``eps → 0`` on the same noise, at ``O(L² m (1+p) n²)`` per path.
        * ``"girsanov"`` — likelihood-ratio weights ``φ_kᵀ z_j/√dt`` with ``φ = Σ⁺C``;
          additive noise that spans the columns of C, and no ``C_in``, only. Unbiased for the chain,
          derivative-free, variance ``∝ 1/(σ² dt)`` (``bin_width`` averages lags into bins).
          Orders 1 and 2 (products of weights with the diagonal correction).
        * ``"fd"`` — finite differences with common random numbers: the input of the lag's
          step gets an impulse ``±eps/dt`` (a kick ``±eps·c_k`` of the state when the input is
          outside the activation) and the path is re-run on the same noise. Orders 1 and 2 (mixed
          four-point); the reference for order 2, and costly (a re-run per lag, channel, sign).
        * ``"fdt_gauss"`` — quasi-Gaussian fluctuation–dissipation
          ``K1(τ) = Cov(f(h_τ), h_0) Σ0⁻¹ C`` from stationary correlations. Exact for linear
          networks (Gaussian stationary law); **biased** for nonlinear networks whose
          stationary law is not Gaussian, by an amount no number of paths removes. With
          ``C_in``, identity activation only.
    n_paths : int
        Independent stationary paths (at least 2, for standard errors).
    seed : int
        Noise seed: the paths are those of ``model.simulate(h0="stationary", burn_in=burn_in,
        seed=seed, first_path=first_path)``.
    burn_in : float, optional
        Burn-in time before each path; default ``10 / model.relaxation_rate()``.
    bin_width : int, optional
        ``"girsanov"`` only: lags averaged per bin (default 1).
    eps : float, optional
        ``"fd"`` only: kick size (default ``1e-5`` for order 1, ``1e-3`` for order 2).
    n_origins : int
        ``"fdt_gauss"`` only: time origins averaged along each path.
    first_path, block_size, progress
        As in :meth:`SRNN.simulate`.

    Returns
    -------
    ResponseKernels

    Raises
    ------
    ValueError
        When the method does not apply to the network (e.g. ``"exact"`` on a nonlinear
        network, ``"girsanov"`` with multiplicative noise or noise that does not span C), or
        an argument is out of range.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> net = srnn_rs.SRNN(0.3 * np.eye(2), np.ones((2, 1)), sigma=0.5, activation="identity")
    >>> k = srnn_rs.response_kernels(net, dt=0.01, max_lag=1.0, method="exact")
    >>> k.values.shape
    (101, 2, 1)
    >>> bool(np.allclose(k.values[0], 1.0))
    True
    """
    model = _model(model)
    plan = _kernel_plan(model, dt=dt, max_lag=max_lag, order=order, method=method, n_paths=n_paths, seed=seed,
                        burn_in=burn_in, bin_width=bin_width, eps=eps, n_origins=n_origins,
                        first_path=first_path, block_size=block_size)
    if isinstance(plan, ResponseKernels):
        return plan
    return plan.run(model, progress)


@dataclass(frozen=True)
class _Plan:
    """A validated ensemble estimate: the native job and how its output becomes the result.
    The local functions run it; :mod:`srnn_rs.dask` computes its partial sums chunk by chunk."""

    job: Any
    label: str
    build: Callable[[dict], Any]

    def run(self, model: SRNN, progress: ProgressArg) -> Any:
        with progress_callback(progress, self.label) as callback:
            out = self.job.run(model._native, progress=callback)
        return self.build(out)


def _kernel_plan(model: SRNN, *, dt: Any, max_lag: Any, order: Any, method: Any, n_paths: Any, seed: Any,
                 burn_in: Any, bin_width: Any, eps: Any, n_origins: Any, first_path: Any,
                 block_size: Any) -> Union[_Plan, ResponseKernels]:
    """The plan of :func:`response_kernels`, or its result when ``method="exact"``."""
    dt, n_paths, seed, first_path, block = _common(model, dt, n_paths, seed, first_path, block_size)
    order = as_int("order", order, minimum=1, maximum=2)
    params = model.get_params()
    # relu's second derivative is a point mass at the kink, which a pathwise derivative never
    # sees: its order-2 estimate would be zero, not the kernel.
    kinked = "relu" in (params["activation"], params["readout_activation"])
    if method is None:
        method = "fd" if order == 2 and kinked else "adjoint"
    method = as_choice("method", method, METHODS)
    if order == 2 and method == "adjoint" and kinked:
        raise ValueError("method: the pathwise 'adjoint' K2 misses relu's second derivative (a point mass at "
                         "the kink) and would return zero there; use 'fd' or 'girsanov' for order 2")
    n_lags = _n_lags(dt, max_lag)
    if order == 2 and method == "fdt_gauss":
        raise ValueError(f"method: {method!r} estimates first-order kernels only; use 'adjoint', 'fd' or "
                         "'girsanov' for order 2")
    if bin_width is not None and method != "girsanov":
        raise ValueError(f"bin_width: only the 'girsanov' method bins lags, got method={method!r}")
    width = 1 if bin_width is None else as_int("bin_width", bin_width, minimum=1, maximum=n_lags)
    if eps is not None and method != "fd":
        raise ValueError(f"eps: only the 'fd' method uses a kick size, got method={method!r}")
    eps_v = (1e-5 if order == 1 else 1e-3) if eps is None else as_positive_float("eps", eps)
    n_origins = as_int("n_origins", n_origins, minimum=1, maximum=2**32 - 1)
    p, m = model.p, model.m
    if m == 0:
        raise ValueError("model: the network has no input channels (C has 0 columns), so it has no response kernel")
    if method == "girsanov" and model.get_params()["C_in"] is not None:
        raise ValueError("method: 'girsanov' cannot take an input inside the activation (C_in): its kick "
                         "diag(a′(W h + b)) C_in u is not a shift of the noise; use 'adjoint' or 'fd'")
    n_bins = -(-n_lags // width)
    size = n_bins * p * m if order == 1 else n_bins * n_bins * p * m * m
    check_memory("response kernel", 8 * size * (6 if method == "girsanov" else 4))
    if method == "fd":
        check_memory("finite-difference buffers", 8 * size * block * _threads())
    if method == "adjoint" and order == 2:
        check_memory("second-order adjoint buffers", 8 * (2 * size + block * model.n * (n_lags + 1) * 2) * _threads())
    if method in ("adjoint", "fdt_gauss"):
        # each worker holds its block's whole stationary run (state per step)
        run = n_lags if method == "adjoint" else n_lags - 1 + (n_origins - 1) * max(1, n_lags // 4)
        check_memory(f"{method} path buffers", 8 * block * (run + 1) * model.n * _threads())

    if method == "exact":
        lags = dt * np.arange(n_lags, dtype=float)
        readout_activation = params["readout_activation"]
        if readout_activation != "identity" and params["sigma_mult"] is not None:
            raise ValueError(
                f"method: 'exact' with readout_activation={readout_activation!r} needs the Gaussian "
                "stationary law of additive noise; this network has multiplicative noise (sigma_mult)")
        linear = model if readout_activation == "identity" else SRNN(**{**params, "readout_activation": "identity"})
        k1 = np.asarray(_core.exact_kernel(linear._native, lags.tolist()))
        _check_exact_applies(model)
        mean = None
        if readout_activation != "identity":
            stationary = _core.exact_stationary(linear._native)
            values, mean = curved_readout_kernels(k1, stationary["mean_readout"], stationary["cov_readout"],
                                                  readout_activation, order)
        else:
            values = k1 if order == 1 else np.zeros((n_lags, n_lags, p, m, m))
            if params["sigma_mult"] is None:
                mean = np.asarray(_core.exact_stationary(model._native)["mean_readout"])
        return ResponseKernels(
            lags=lags, values=values, stderr=np.zeros_like(values), method=method, order=order,
            n_paths=0, dt=dt, bin_width=1, mean=mean,
            mean_stderr=None if mean is None else np.zeros_like(mean),
        )

    burn = _burn_in_steps(model, dt, burn_in)
    every = max(1, n_lags // 4)
    job = _core.EnsembleJob(
        method, order=order, dt=dt, n_lags=n_lags, n_paths=n_paths, seed=seed, first_path=first_path,
        burn_in_steps=burn, block_size=block, bin_width=width, eps=eps_v, n_origins=n_origins, every=every,
    )

    def build(out: dict) -> ResponseKernels:
        return ResponseKernels(
            lags=out["lags"], values=out["values"], stderr=out["stderr"], method=method, order=order,
            n_paths=int(out["n_paths"]), dt=dt, bin_width=width,
            mean=out["mean"] if out["mean"].size else None,
            mean_stderr=out["mean_stderr"] if out["mean_stderr"].size else None,
        )

    return _Plan(job, f"K{order} ({method})", build)


def stationary_stats(
    model: SRNN,
    *,
    dt: float,
    n_paths: int = 1000,
    window: float = 0.0,
    stride: int = 1,
    seed: int = 0,
    burn_in: Optional[float] = None,
    first_path: int = 0,
    block_size: Optional[int] = None,
    progress: ProgressArg = False,
    method: str = "monte_carlo",
) -> StationaryStats:
    """Stationary mean and covariance of the state and the readout, with standard errors.

    Each of ``n_paths`` independent paths is burnt in, then contributes the time average of
    its states at steps ``0, stride, …`` over ``window`` (``window=0``: the burnt-in state
    alone). Standard errors come from the spread of the per-path averages.

    ``method="exact"`` (linear networks with additive noise) returns the continuous-time
    closed forms instead: mean ``A⁻¹ b`` and the covariance solving
    ``A Σ∞ + Σ∞ Aᵀ = Σ Σᵀ`` with ``A = Γ − W`` (zero standard errors, ``n_paths = 0``). The
    Euler–Maruyama chain's covariance differs from it by ``O(dt)``.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> net = srnn_rs.SRNN(np.zeros((1, 1)), np.ones((1, 1)), sigma=1.0, activation="identity")
    >>> st = srnn_rs.stationary_stats(net, dt=0.01, n_paths=2000, window=2.0, stride=10)
    >>> bool(abs(st.cov_state[0, 0] - 0.5) < 5 * st.cov_state_stderr[0, 0] + 0.01)
    True
    """
    model = _model(model)
    method = as_choice("method", method, ("monte_carlo", "exact"))
    if method == "exact":
        if model.get_params()["sigma_mult"] is not None:
            raise ValueError("method: the exact stationary covariance needs additive noise (sigma_mult is set)")
        # Checked though unused, so that a call valid with method="exact" stays valid without it.
        _common(model, dt, n_paths, seed, first_path, block_size)
        as_positive_float("window", window, allow_zero=True)
        as_int("stride", stride, minimum=1, maximum=2**63 - 1)
        ex = _core.exact_stationary(model._native)
        _check_exact_applies(model)
        zero = {k: np.zeros_like(v) for k, v in ex.items()}
        return StationaryStats(
            mean_state=ex["mean_state"], mean_state_stderr=zero["mean_state"],
            cov_state=ex["cov_state"], cov_state_stderr=zero["cov_state"],
            mean_readout=ex["mean_readout"], mean_readout_stderr=zero["mean_readout"],
            cov_readout=ex["cov_readout"], cov_readout_stderr=zero["cov_readout"], n_paths=0,
        )
    return _stats_plan(model, dt=dt, n_paths=n_paths, window=window, stride=stride, seed=seed, burn_in=burn_in,
                       first_path=first_path, block_size=block_size).run(model, progress)


def _stats_plan(model: SRNN, *, dt: Any, n_paths: Any, window: Any, stride: Any, seed: Any, burn_in: Any,
                first_path: Any, block_size: Any) -> _Plan:
    dt, n_paths, seed, first_path, block = _common(model, dt, n_paths, seed, first_path, block_size)
    n_steps = as_steps("window", window, dt)
    stride = as_int("stride", stride, minimum=1, maximum=2**63 - 1)
    check_memory("stationary-stats buffers", 8 * block * (n_steps + 1) * model.n * _threads())
    burn = _burn_in_steps(model, dt, burn_in)
    job = _core.EnsembleJob(
        "stats", dt=dt, n_lags=1, n_paths=n_paths, seed=seed, first_path=first_path, burn_in_steps=burn,
        block_size=block, n_steps=n_steps, stride=stride,
    )
    return _Plan(job, "stationary stats", lambda out: StationaryStats(**out))


def correlation_function(
    model: SRNN,
    *,
    dt: float,
    max_lag: float,
    g: str = "state",
    n_paths: int = 1000,
    n_origins: int = 8,
    origin_spacing: Optional[float] = None,
    seed: int = 0,
    burn_in: Optional[float] = None,
    first_path: int = 0,
    block_size: Optional[int] = None,
    progress: ProgressArg = False,
) -> CorrelationFunction:
    r"""Two-time stationary correlation ``E∞[f(h_τ) g(h_0)]`` on ``τ = 0, dt, …, max_lag``,
    with ``f`` the readout.

    Parameters
    ----------
    g : {"state", "readout", "drift"}
        The function at time 0: the state ``h``, the readout ``f(h)``, or the drift
        ``b(h) = −Γh + a(Wh + b)``. With isotropic additive noise ``σ`` and a gradient drift
        the stationary score is ``∇ log ρ∞ = 2 b(h)/σ²``, so the exact fluctuation–dissipation
        relation reads ``K1(τ) = −(2/σ²) E∞[f(h_τ) b(h_0)ᵀ] C``.
    n_origins, origin_spacing
        Each path averages ``n_origins`` time origins ``origin_spacing`` apart (default a
        quarter of ``max_lag``) before the average over paths.

    Returns
    -------
    CorrelationFunction
        ``values`` of shape ``(L, p, q)``.

    Examples
    --------
    Ornstein–Uhlenbeck ``dh = −h dt + dB``: ``E[h_τ h_0] = e^{−τ}/2``.

    >>> import numpy as np, srnn_rs
    >>> ou = srnn_rs.SRNN(np.zeros((1, 1)), np.ones((1, 1)), sigma=1.0, activation="identity")
    >>> cf = srnn_rs.correlation_function(ou, dt=0.01, max_lag=1.0, n_paths=2000, seed=1)
    >>> cf.values.shape
    (101, 1, 1)
    >>> bool(abs(cf.values[100, 0, 0] - 0.5 * np.exp(-1.0)) < 5 * cf.stderr[100, 0, 0] + 0.01)
    True
    """
    model = _model(model)
    plan = _correlation_plan(model, dt=dt, max_lag=max_lag, g=g, n_paths=n_paths, n_origins=n_origins,
                             origin_spacing=origin_spacing, seed=seed, burn_in=burn_in, first_path=first_path,
                             block_size=block_size)
    return plan.run(model, progress)


def _correlation_plan(model: SRNN, *, dt: Any, max_lag: Any, g: Any, n_paths: Any, n_origins: Any,
                      origin_spacing: Any, seed: Any, burn_in: Any, first_path: Any, block_size: Any) -> _Plan:
    dt, n_paths, seed, first_path, block = _common(model, dt, n_paths, seed, first_path, block_size)
    g = as_choice("g", g, OBSERVABLES)
    n_lags = _n_lags(dt, max_lag)
    n_origins = as_int("n_origins", n_origins, minimum=1, maximum=2**32 - 1)
    if origin_spacing is None:
        every = max(1, n_lags // 4)
    else:
        every = max(1, as_steps("origin_spacing", origin_spacing, dt, allow_zero=False))
    run = n_lags - 1 + (n_origins - 1) * every
    check_memory("correlation buffers", 8 * block * (run + 1) * max(model.n, model.p) * _threads())
    burn = _burn_in_steps(model, dt, burn_in)
    job = _core.EnsembleJob(
        "correlation", g=g, dt=dt, n_lags=n_lags, n_paths=n_paths, seed=seed, first_path=first_path,
        burn_in_steps=burn, block_size=block, n_origins=n_origins, every=every,
    )

    def build(out: dict) -> CorrelationFunction:
        return CorrelationFunction(lags=out["lags"], values=out["values"], stderr=out["stderr"], g=g,
                                   n_paths=int(out["n_paths"]))

    return _Plan(job, "correlation", build)


# Kept importable from here, where it was first defined.
from .volterra import volterra_predict  # noqa: E402
