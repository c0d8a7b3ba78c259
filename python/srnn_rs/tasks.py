"""Benchmark tasks for readout training, generated (never downloaded): NARMA10, smooth random
inputs, Mackey–Glass, Lorenz, multiple superimposed oscillators, and :func:`to_forecasting` to
turn a series into (input, target) pairs for k-step-ahead prediction."""

from __future__ import annotations

from typing import Any, Optional, Tuple, Union

import numpy as np

from ._memory import check_memory, check_work

# A step of the pure-Python integrators below costs about a thousand native units of work.
_PYTHON_STEP_UNITS = 1000
from ._validate import as_float_array, as_int, as_positive_float, as_seed


def narma10(n_steps: int, *, seed: int = 0, washout: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """The NARMA10 task (Atiya & Parlos 2000): inputs ``u_t ~ U[0, 0.5]`` and

    ``y_{t+1} = 0.3 y_t + 0.05 y_t Σ_{i=0}^{9} y_{t−i} + 1.5 u_{t−9} u_t + 0.1``.

    Returns ``(u, y)`` of shapes ``(n_steps, 1)``, aligned so that ``y[t]`` is the target
    after the input ``u[t]`` has been seen (``y[t] = y_{t+1}`` above). The first ``washout``
    steps of the recursion are run and dropped (the recursion starts from zeros).

    Examples
    --------
    >>> u, y = narma10(500, seed=1)
    >>> u.shape, y.shape
    ((500, 1), (500, 1))
    >>> bool(np.isfinite(y).all())
    True
    """
    n_steps = as_int("n_steps", n_steps, minimum=1)
    check_memory("narma10 series", 8 * 16 * n_steps)
    washout = as_int("washout", washout, minimum=0)
    rng = np.random.default_rng(as_seed(seed))
    total = n_steps + washout
    check_memory("narma10 series", 8 * 3 * total)
    check_work("narma10 recursion", _PYTHON_STEP_UNITS * total)
    u = rng.uniform(0.0, 0.5, total)
    y = np.zeros(total + 1)
    for t in range(total):
        past = y[max(0, t - 9): t + 1]
        u_lag = u[t - 9] if t >= 9 else 0.0
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * past.sum() + 1.5 * u_lag * u[t] + 0.1
    return u[washout:, None], y[washout + 1:, None]


def random_inputs(
    n_inputs: int, n_steps: int, m: int = 1, *, amplitude: float = 1.0, smoothness: int = 10, seed: int = 0,
    rng: Optional[np.random.Generator] = None,
) -> np.ndarray:
    """Smooth random inputs ``(n_inputs, n_steps, m)``: white noise filtered by a moving
    average of ``smoothness`` steps, scaled to the given RMS ``amplitude``."""
    n_inputs = as_int("n_inputs", n_inputs, minimum=1)
    n_steps = as_int("n_steps", n_steps, minimum=1)
    m = as_int("m", m, minimum=1)
    smoothness = as_int("smoothness", smoothness, minimum=1)
    amplitude = as_positive_float("amplitude", amplitude, allow_zero=True)
    check_memory("random_inputs", 8 * 3 * n_inputs * (n_steps + smoothness) * m)
    rng = rng or np.random.default_rng(as_seed(seed))
    white = rng.standard_normal((n_inputs, n_steps + smoothness - 1, m))
    kernel = np.ones(smoothness) / smoothness
    smooth = np.apply_along_axis(lambda x: np.convolve(x, kernel, mode="valid"), 1, white)
    rms = np.sqrt(np.mean(smooth**2)) or 1.0
    return amplitude * smooth / rms


# -- chaotic and oscillatory series ---------------------------------------------------------------

# Angular frequencies of the multiple superimposed oscillators benchmark (MSO1..MSO12): MSO-k
# sums the first k (Koryakin, Lohmann & Butz 2012, extending Jaeger's MSO2 with 0.2 and 0.311).
MSO_FREQUENCIES = (0.2, 0.311, 0.42, 0.51, 0.63, 0.74, 0.85, 0.97, 1.08, 1.19, 1.27, 1.32)


def _positive_real(name: str, value: Any) -> float:
    return as_positive_float(name, value)


def mackey_glass(
    n_steps: int, *, tau: float = 17.0, beta: float = 0.2, gamma: float = 0.1, power: float = 10.0,
    dt: float = 1.0, substeps: int = 10, x0: float = 1.2, washout: int = 0,
) -> np.ndarray:
    r"""The Mackey–Glass delay differential equation

    .. math:: \dot x(t) = \beta \frac{x(t-\tau)}{1 + x(t-\tau)^{p}} - \gamma x(t),

    with the constant history ``x(t) = x0`` for ``t ≤ 0``, sampled every ``dt``.

    Integrated by the classical Runge–Kutta scheme (RK4) with step ``h = dt / substeps``; the
    delayed values it needs between grid points (``t + h/2 − τ`` and ``t + h − τ`` when ``τ/h``
    is not a whole number) come from cubic Hermite interpolation of the stored solution and its
    derivative, which is fourth-order accurate too, so the scheme keeps RK4's global order 4
    (the method of steps with dense output). Needs ``h ≤ τ`` (the delayed value is then always
    in the past).

    Parameters
    ----------
    n_steps : int
        Number of samples returned.
    tau, beta, gamma, power : float
        Delay, production rate, decay rate and Hill exponent (τ = 17 gives the standard mildly
        chaotic series; τ below about 4.5 a stable fixed point ``(β/γ − 1)^{1/p}``).
    dt : float
        Sampling interval.
    substeps : int
        RK4 steps per sample.
    x0 : float
        The constant history (positive: the solution then stays positive).
    washout : int
        Samples computed and dropped first (the transient from the constant history).

    Returns
    -------
    ndarray
        ``(n_steps, 1)``: ``x(t_j)`` at ``t_j = (washout + j)·dt``.

    Examples
    --------
    >>> x = mackey_glass(500, washout=100)
    >>> x.shape, bool(0 < x.min() and x.max() < 1.45)
    ((500, 1), True)
    """
    n_steps = as_int("n_steps", n_steps, minimum=1)
    check_memory("mackey_glass series", 8 * 16 * n_steps)
    tau = _positive_real("tau", tau)
    beta = _positive_real("beta", beta)
    gamma = as_positive_float("gamma", gamma, allow_zero=True)
    power = _positive_real("power", power)
    dt = _positive_real("dt", dt)
    substeps = as_int("substeps", substeps, minimum=1)
    x0 = _positive_real("x0", x0)
    washout = as_int("washout", washout, minimum=0)
    h = dt / substeps
    if h > tau:
        raise ValueError(f"substeps: the RK4 step dt/substeps = {h} must not exceed tau = {tau}; raise substeps")
    total = (n_steps + washout) * substeps
    check_work("mackey_glass integration", _PYTHON_STEP_UNITS * total)
    # History on the grid t_i = (i − lag) h, the last `lag` points before t = 0 constant.
    if not np.isfinite(tau / h):
        raise ValueError(f"tau: the delay of {tau} is {tau / h} steps of dt/substeps = {h}; too many to store")
    lag = int(np.ceil(tau / h)) + 1
    check_memory("mackey_glass history", 8 * 2 * (total + lag + 1))
    x = np.empty(total + lag + 1)
    f = np.empty_like(x)
    x[: lag + 1] = x0
    f[: lag] = 0.0  # a constant history has zero derivative

    tau_h = tau / h

    def production(z: float) -> float:
        # NumPy powers overflow to inf (caught below) where Python floats would raise.
        return beta * z / (1.0 + np.float64(z) ** power)

    def delayed(k: int, c: float) -> float:
        """x((k + c) h − τ), at or before step k, by cubic Hermite interpolation on the grid."""
        s = k + lag + c - tau_h
        nearest = round(s)
        if abs(s - nearest) < 1e-9 * max(1.0, abs(s)):  # on the grid up to round-off in τ/h
            s = nearest
        if s <= lag:  # t ≤ 0: the constant history
            return x0
        i = int(np.floor(s))
        theta = s - i
        if theta == 0.0:
            return float(x[i])
        return _hermite(x[i], x[i + 1], f[i], f[i + 1], theta, h)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(total):
            i = k + lag
            xi = x[i]
            f[i] = production(delayed(k, 0.0)) - gamma * xi
            p_half = production(delayed(k, 0.5))
            k1 = f[i]
            k2 = p_half - gamma * (xi + 0.5 * h * k1)
            k3 = p_half - gamma * (xi + 0.5 * h * k2)
            k4 = production(delayed(k, 1.0)) - gamma * (xi + h * k3)
            x[i + 1] = xi + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    out = x[lag:][:: substeps][washout: washout + n_steps]
    if not np.isfinite(out).all():
        raise ValueError(f"beta: the series diverges (inf or NaN) with beta = {beta}, x0 = {x0}; lower them or dt")
    return out[:, None].copy()


def _hermite(x0: float, x1: float, f0: float, f1: float, theta: float, h: float) -> float:
    """Cubic Hermite interpolation at ``t0 + θh`` from values and derivatives at ``t0``, ``t0 + h``."""
    t2, t3 = theta * theta, theta * theta * theta
    return ((2 * t3 - 3 * t2 + 1) * x0 + (t3 - 2 * t2 + theta) * h * f0
            + (-2 * t3 + 3 * t2) * x1 + (t3 - t2) * h * f1)


def lorenz(
    n_steps: int, *, sigma: float = 10.0, rho: float = 28.0, beta: float = 8.0 / 3.0, dt: float = 0.01,
    substeps: int = 1, x0: Any = None, washout: int = 0, seed: int = 0,
) -> np.ndarray:
    r"""The Lorenz system ``ẋ = σ(y − x)``, ``ẏ = x(ρ − z) − y``, ``ż = xy − βz``, integrated by
    RK4 with step ``dt / substeps`` and sampled every ``dt``.

    Parameters
    ----------
    n_steps : int
        Number of samples returned.
    sigma, rho, beta : float
        The parameters (the defaults give the classic chaotic attractor).
    dt : float
        Sampling interval.
    substeps : int
        RK4 steps per sample.
    x0 : (3,) array, optional
        Initial state; by default drawn with ``seed`` from a unit Gaussian around ``(0, 1, 25)``.
    washout : int
        Samples computed and dropped first (the approach to the attractor).
    seed : int
        Seed of the random initial state (unused when ``x0`` is given).

    Returns
    -------
    ndarray
        ``(n_steps, 3)``: ``(x, y, z)`` at ``t_j = (washout + j)·dt``.

    Examples
    --------
    >>> xyz = lorenz(1000, washout=500)
    >>> xyz.shape, bool(xyz[:, 2].min() > 0)
    ((1000, 3), True)
    """
    n_steps = as_int("n_steps", n_steps, minimum=1)
    check_memory("lorenz series", 8 * 16 * n_steps)
    sigma = _positive_real("sigma", sigma)
    rho = _positive_real("rho", rho)
    beta = _positive_real("beta", beta)
    dt = _positive_real("dt", dt)
    substeps = as_int("substeps", substeps, minimum=1)
    washout = as_int("washout", washout, minimum=0)
    if x0 is None:
        state = np.array([0.0, 1.0, 25.0]) + np.random.default_rng(as_seed(seed)).standard_normal(3)
    else:
        state = as_float_array("x0", x0, ndim=1).copy()
        if state.shape != (3,):
            raise ValueError(f"x0: expected shape (3,), got {state.shape}")
    h = dt / substeps

    def field(v: np.ndarray) -> np.ndarray:
        x, y, z = v
        return np.array([sigma * (y - x), x * (rho - z) - y, x * y - beta * z])

    check_memory("lorenz series", 8 * 3 * (n_steps + washout))
    check_work("lorenz integration", _PYTHON_STEP_UNITS * (n_steps + washout) * substeps)
    out = np.empty((n_steps + washout, 3))
    out[0] = state
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(1, n_steps + washout):
            for _ in range(substeps):
                k1 = field(state)
                k2 = field(state + 0.5 * h * k1)
                k3 = field(state + 0.5 * h * k2)
                k4 = field(state + h * k3)
                state = state + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            out[j] = state
            if not np.isfinite(state).all():
                raise ValueError(f"dt: the Runge–Kutta steps of {h:g} diverge (inf or NaN); lower dt or raise substeps")
    return out[washout:]


def mso(n_steps: int, n_sines: int = 8, *, frequencies: Any = None, t0: int = 0) -> np.ndarray:
    """Multiple superimposed oscillators: ``u_t = Σ_k sin(α_k t)`` at ``t = t0, t0 + 1, …``.

    Parameters
    ----------
    n_steps : int
        Number of samples.
    n_sines : int
        Use the first ``n_sines`` of :data:`MSO_FREQUENCIES` (MSO1 … MSO12).
    frequencies : array, optional
        Other angular frequencies ``α_k`` (then ``n_sines`` is ignored).
    t0 : int
        First time index.

    Returns
    -------
    ndarray
        ``(n_steps, 1)``.

    Examples
    --------
    >>> u = mso(3, 2)
    >>> bool(np.allclose(u[:, 0], np.sin(0.2 * np.arange(3)) + np.sin(0.311 * np.arange(3))))
    True
    """
    n_steps = as_int("n_steps", n_steps, minimum=1)
    check_memory("mso series", 8 * 16 * n_steps)
    t0 = as_int("t0", t0)
    if frequencies is None:
        n_sines = as_int("n_sines", n_sines, minimum=1, maximum=len(MSO_FREQUENCIES))
        alpha = np.array(MSO_FREQUENCIES[:n_sines])
    else:
        alpha = as_float_array("frequencies", frequencies, ndim=1)
        if alpha.size == 0:
            raise ValueError("frequencies: expected at least one frequency, got an empty array")
    t = np.arange(t0, t0 + n_steps, dtype=np.float64)
    return np.sin(np.outer(t, alpha)).sum(axis=1)[:, None]


def to_forecasting(
    series: Any, forecast: int = 1, *, axis: int = 0, test_size: Union[None, int, float] = None,
) -> Tuple[np.ndarray, ...]:
    """Inputs and targets for ``forecast``-step-ahead prediction: ``X[t] = series[t]`` and
    ``y[t] = series[t + forecast]`` along the time ``axis`` (0 for a ``(T, m)`` series, 1 for
    a batch ``(n, T, m)``), both of length ``T − forecast``.

    With ``test_size`` (a number of steps, or a fraction of ``T − forecast`` in ``(0, 1)``) the
    last steps are held out: ``(X_train, X_test, y_train, y_test)``, the test part following
    the training part in time. The input is not modified; the outputs are copies.

    Examples
    --------
    >>> X, y = to_forecasting(np.arange(6.0)[:, None], forecast=2)
    >>> X[:, 0], y[:, 0]
    (array([0., 1., 2., 3.]), array([2., 3., 4., 5.]))
    """
    arr = as_float_array("series", series, ndim=(1, 2, 3))
    axis = as_int("axis", axis, minimum=-arr.ndim, maximum=arr.ndim - 1) % arr.ndim
    T = arr.shape[axis]
    forecast = as_int("forecast", forecast, minimum=1)
    if forecast >= T:
        raise ValueError(f"forecast: must be below the series length {T} along axis {axis}, got {forecast}")
    n = T - forecast
    check_memory("to_forecasting outputs", 2 * arr.nbytes)
    X = np.take(arr, np.arange(n), axis=axis)
    y = np.take(arr, np.arange(forecast, T), axis=axis)
    if test_size is None:
        return X, y
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.integer, np.floating)):
        raise TypeError(f"test_size: expected an int or a float, got {type(test_size).__name__}")
    if isinstance(test_size, (float, np.floating)):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size: a fraction must lie in (0, 1), got {test_size}")
        n_test = int(round(test_size * n))
    else:
        n_test = int(test_size)
    if not 1 <= n_test < n:
        raise ValueError(f"test_size: expected between 1 and {n - 1} test steps, got {test_size!r}")
    cut = n - n_test
    split = lambda a: (np.take(a, np.arange(cut), axis=axis), np.take(a, np.arange(cut, n), axis=axis))  # noqa: E731
    (X_train, X_test), (y_train, y_test) = split(X), split(y)
    return X_train, X_test, y_train, y_test
