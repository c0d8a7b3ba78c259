"""Networks that ship with srnn_rs, so examples and the demo need no data files."""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from ._validate import as_float_array, as_int, as_positive_float, as_seed, check_shape
from .model import SRNN


def _pseudo_random(shape: tuple[int, ...], salt: float) -> np.ndarray:
    """Deterministic, roughly N(0, 1) entries from a closed formula: the same on every
    platform and NumPy version (unlike a seeded generator stream)."""
    k = np.arange(1, int(np.prod(shape)) + 1, dtype=np.float64)
    frac = np.modf(np.sin(k * 12.9898 + salt) * 43758.5453)[0]
    frac = np.abs(frac)
    # A sum of 4 uniforms, centred and scaled: close enough to Gaussian for weights.
    more = np.abs(np.modf(np.sin(k * 78.233 + salt) * 12345.6789)[0])
    more2 = np.abs(np.modf(np.sin(k * 39.425 + salt) * 24680.1357)[0])
    more3 = np.abs(np.modf(np.sin(k * 93.989 + salt) * 97531.2468)[0])
    return ((frac + more + more2 + more3 - 2.0) * np.sqrt(3.0)).reshape(shape)


def default_network() -> SRNN:
    """The embedded default network: 16 tanh units, one input, one output, additive noise.

    Recurrent gain 0.7 (stable, with nonlinear relaxation slower than the leak), Γ = 1, σ = 0.3.
    """
    n, m = 16, 1
    W = 0.7 * _pseudo_random((n, n), 1.0) / np.sqrt(n)
    C = _pseudo_random((n, m), 2.0)
    b = 0.2 * _pseudo_random((n,), 3.0)
    R = _pseudo_random((1, n), 4.0) / np.sqrt(n)
    return SRNN(W, C, gamma=1.0, b=b, sigma=0.3, activation="tanh", readout=R)


def _sparse_mask(rng: np.random.Generator, shape: tuple[int, int], fraction: float) -> np.ndarray:
    """Exactly ``round(fraction · size)`` nonzero positions (at least one), chosen uniformly."""
    size = shape[0] * shape[1]
    count = max(1, int(round(fraction * size)))
    mask = np.zeros(size, dtype=bool)
    mask[rng.choice(size, size=count, replace=False)] = True
    return mask.reshape(shape)


def _fraction(name: str, value: Any) -> float:
    v = as_positive_float(name, value)
    if v > 1.0:
        raise ValueError(f"{name}: expected a fraction in (0, 1], got {value!r}")
    return v


def reservoir(
    n: int,
    *,
    m: int = 1,
    spectral_radius: float = 0.9,
    input_scaling: Union[float, Any] = 1.0,
    connectivity: float = 0.1,
    input_connectivity: float = 1.0,
    leak: float = 0.3,
    bias_scaling: float = 0.0,
    sigma: float = 0.0,
    seed: int = 0,
    input_inside: bool = True,
    activation: str = "tanh",
) -> SRNN:
    """A random echo-state reservoir as an :class:`SRNN`.

    ``W`` has exactly ``round(connectivity · n²)`` nonzero standard-normal entries, scaled so
    that its spectral radius is ``spectral_radius``; the input weights are ``±input_scaling``
    on ``round(input_connectivity · n m)`` entries, the bias ``±bias_scaling`` on every unit
    (the initialisers of reservoirpy). ``Γ = 1``, so one Euler–Maruyama step of
    ``dt = leak`` is the leaky echo-state update

    ``h ← (1 − leak) h + leak · a(W h + b + W_in u) + σ √leak z``

    with the input inside the activation (``C_in = W_in``, ``C = 0``), or, with
    ``input_inside=False``, ``h ← (1 − leak) h + leak (a(W h + b) + W_in u) + …``
    (``C = W_in``). Drive it with ``dt=leak``, e.g. ``ReadoutSRNN(net, dt=leak)``.

    Parameters
    ----------
    n : int
        Number of units.
    m : int
        Number of input channels.
    spectral_radius : float
        Largest absolute eigenvalue of ``W`` (positive).
    input_scaling : float or (m,) array
        Magnitude of the input weights, per channel when an array.
    connectivity, input_connectivity : float
        Fractions of nonzero entries of ``W`` and of the input weights, in ``(0, 1]``.
    leak : float
        Leak rate ``α`` in ``(0, 1]``: the time step the network is meant to be run with.
    bias_scaling : float
        Magnitude of the bias (0: no bias).
    sigma : float
        Additive noise of the SRNN.
    seed : int
        Seed of the weights (NumPy ``default_rng``).
    input_inside : bool
        Input inside the activation (the echo-state form) or added outside it.
    activation : str
        As in :class:`SRNN`.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> net = srnn_rs.reservoir(50, spectral_radius=0.9, leak=0.3, seed=1)
    >>> round(float(np.abs(np.linalg.eigvals(net.params["W"])).max()), 9)
    0.9
    >>> states = net.simulate(np.ones((10, 1)), dt=0.3, record="state")
    >>> states.shape
    (1, 11, 50)
    """
    n = as_int("n", n, minimum=1)
    m = as_int("m", m, minimum=1)
    radius = as_positive_float("spectral_radius", spectral_radius)
    connectivity = _fraction("connectivity", connectivity)
    input_connectivity = _fraction("input_connectivity", input_connectivity)
    _fraction("leak", leak)
    bias_scaling = as_positive_float("bias_scaling", bias_scaling, allow_zero=True)
    scaling = as_float_array("input_scaling", input_scaling, ndim=(0, 1))
    if scaling.ndim == 1:
        check_shape("input_scaling", scaling, (m,))
    if not isinstance(input_inside, (bool, np.bool_)):
        raise TypeError(f"input_inside: expected a bool, got {type(input_inside).__name__}")
    rng = np.random.default_rng(as_seed(seed))

    W = np.where(_sparse_mask(rng, (n, n), connectivity), rng.standard_normal((n, n)), 0.0)
    current = float(np.abs(np.linalg.eigvals(W)).max())
    # A nilpotent sparse W (all eigenvalues zero) cannot be scaled to a radius.
    if current < 1e-12:
        raise ValueError(f"connectivity: W with {connectivity} of {n}² entries has spectral radius 0; "
                         "use a larger connectivity")
    W *= radius / current
    signs = rng.choice(np.array([-1.0, 1.0]), size=(n, m))
    W_in = np.where(_sparse_mask(rng, (n, m), input_connectivity), signs, 0.0) * scaling
    b = bias_scaling * rng.choice(np.array([-1.0, 1.0]), size=n)
    if input_inside:
        return SRNN(W, np.zeros((n, m)), C_in=W_in, b=b, gamma=1.0, sigma=sigma, activation=activation)
    return SRNN(W, W_in, b=b, gamma=1.0, sigma=sigma, activation=activation)
