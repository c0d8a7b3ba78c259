"""The stochastic recurrent neural network and its Euler–Maruyama simulation."""

from __future__ import annotations

import numbers
from typing import Any, Optional, Union

import numpy as np

from . import _core
from ._memory import check_memory
from ._progress import ProgressArg, progress_callback
from ._validate import as_choice, as_float_array, as_int, as_positive_float, as_seed, as_steps, check_shape

ACTIVATIONS = ("tanh", "relu", "sigmoid", "softplus", "identity")
# A quadratic readout of a linear network has closed-form kernels of both orders.
READOUT_ACTIVATIONS = ACTIVATIONS + ("square",)
RECORDS = ("state", "readout", "final", "final_state")

ArrayLike = Any


def _scalar_or_array(name: str, value: ArrayLike, n: int, *, matrix_cols: Optional[str] = None) -> np.ndarray:
    """A 0-d, ``(n,)`` or 2-D float array; ``matrix_cols`` names the free second axis, if any."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return as_float_array(name, float(value))
    arr = as_float_array(name, value, ndim=(0, 1, 2))
    if arr.ndim == 1:
        check_shape(name, arr, (n,))
    elif arr.ndim == 2:
        check_shape(name, arr, (n, None if matrix_cols else n))
    return arr


class SRNN:
    r"""A stochastic recurrent neural network (Itô SDE):

    .. math::

        dh_t = (-\Gamma h_t + a(W h_t + b + C_{in} u_t) + C u_t)\,dt + \Sigma(h_t)\,dB_t, \qquad
        y_t = g(R h_t + r_0).

    Parameters
    ----------
    W : (n, n) array
        Recurrent weights.
    C : (n, m) array
        Input weights (``m`` may be 0 for an autonomous network).
    gamma : float, (n,) or (n, n) array, default 1.0
        The leak Γ: scalar, diagonal or full. It must be positive stable (eigenvalues with
        positive real part) for a stationary start.
    b : (n,) array, optional
        Bias inside the activation; zeros by default.
    sigma : float, (n,) or (n, r) array, default 0.0
        Additive noise: scalar or diagonal (``r = n``) or a full ``(n, r)`` loading matrix.
        With ``sigma_mult`` it is the additive part of diagonal multiplicative noise.
    sigma_mult : float or (n,) array, optional
        Diagonal multiplicative noise ``Σ(h) = diag(sigma + sigma_mult ⊙ h)`` (the
        noise-injected RNN setting).
    activation : {"tanh", "relu", "sigmoid", "softplus", "identity"}
    readout : (p, n) array, optional
        Readout matrix R; the identity (``y = h``) by default.
    readout_bias : (p,) array, optional
    readout_activation : str, default "identity"
        Output nonlinearity g, from the same list as ``activation`` or ``"square"``
        (``y = (R h + r0)²``: with a linear network, ``method="exact"`` gives its K1 and K2 in
        closed form; any quadratic observable ``hᵀQh`` is a combination of such outputs).
    C_in : (n, m) array, optional
        Input weights inside the activation (the echo-state form); none by default. With
        ``gamma=1``, ``dt=α`` and ``C = 0`` a step is the leaky echo-state update
        ``h ← (1 − α) h + α a(W h + b + C_in u)``; :func:`srnn_rs.reservoir` builds such networks.

    Notes
    -----
    With ``gamma=1`` and ``dt=1`` an Euler–Maruyama step is exactly the discrete echo-state /
    Elman update ``h ← a(W h + b + C_in u) + C u + noise``: the leak is folded into the step as
    the decay ``I − dt Γ``, which is zero then.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> rng = np.random.default_rng(0)
    >>> net = srnn_rs.SRNN(0.5 * rng.standard_normal((8, 8)) / np.sqrt(8),
    ...                    rng.standard_normal((8, 1)), sigma=0.2)
    >>> y = net.simulate(None, 0.01, n_steps=100, n_paths=4, seed=1)
    >>> y.shape
    (4, 101, 8)
    """

    def __init__(
        self,
        W: ArrayLike,
        C: ArrayLike,
        *,
        gamma: Union[float, ArrayLike] = 1.0,
        b: Optional[ArrayLike] = None,
        sigma: Union[float, ArrayLike] = 0.0,
        sigma_mult: Optional[Union[float, ArrayLike]] = None,
        activation: str = "tanh",
        readout: Optional[ArrayLike] = None,
        readout_bias: Optional[ArrayLike] = None,
        readout_activation: str = "identity",
        C_in: Optional[ArrayLike] = None,
    ) -> None:
        W = as_float_array("W", W, ndim=2)
        if W.shape[0] != W.shape[1] or W.shape[0] == 0:
            raise ValueError(f"W: expected a non-empty square (n, n) matrix, got shape {W.shape}")
        n = W.shape[0]
        C = as_float_array("C", C, ndim=2)
        check_shape("C", C, (n, None))
        b = np.zeros(n) if b is None else as_float_array("b", b, ndim=1)
        check_shape("b", b, (n,))
        gamma_arr = _scalar_or_array("gamma", gamma, n)
        sigma_arr = _scalar_or_array("sigma", sigma, n, matrix_cols="r")
        if sigma_arr.ndim == 2 and sigma_arr.shape[1] == 0:
            raise ValueError("sigma: a full noise matrix needs at least one column, got shape (n, 0)")
        mult = None
        if sigma_mult is not None:
            mult = _scalar_or_array("sigma_mult", sigma_mult, n)
            if mult.ndim == 2:
                raise ValueError(f"sigma_mult: expected a scalar or (n,), got shape {mult.shape}")
            if sigma_arr.ndim == 2:
                raise ValueError("sigma: multiplicative noise is diagonal, so sigma must be a scalar or (n,) with sigma_mult")
            mult = np.broadcast_to(mult, (n,)).copy()
        activation = as_choice("activation", activation, ACTIVATIONS)
        readout_activation = as_choice("readout_activation", readout_activation, READOUT_ACTIVATIONS)
        R = None
        if readout is not None:
            R = as_float_array("readout", readout, ndim=2)
            check_shape("readout", R, (None, n))
            if R.shape[0] == 0:
                raise ValueError("readout: expected at least one output row, got shape (0, n)")
        p = n if R is None else R.shape[0]
        r0 = np.zeros(p) if readout_bias is None else as_float_array("readout_bias", readout_bias, ndim=1)
        check_shape("readout_bias", r0, (p,))
        C_inside = None
        if C_in is not None:
            C_inside = as_float_array("C_in", C_in, ndim=2)
            check_shape("C_in", C_inside, C.shape)

        self._native = _core.NativeModel(
            W, C, b, gamma_arr, sigma_arr, mult, activation, R, r0, readout_activation, C_inside
        )
        params = dict(
            W=W, C=C, b=b, gamma=gamma_arr, sigma=sigma_arr, sigma_mult=mult,
            activation=activation, readout=R, readout_bias=r0, readout_activation=readout_activation,
            C_in=C_inside,
        )
        # Private read-only copies: the model is immutable, and the caller's arrays keep their flags.
        for key, value in params.items():
            if isinstance(value, np.ndarray):
                value = value.copy()
                value.setflags(write=False)
                params[key] = value
        self._params = params

    # -- shapes and parameters ---------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of hidden units."""
        return int(self._native.n)

    @property
    def m(self) -> int:
        """Input dimension."""
        return int(self._native.m)

    @property
    def p(self) -> int:
        """Readout dimension."""
        return int(self._native.p)

    @property
    def r(self) -> int:
        """Number of Brownian components."""
        return int(self._native.r)

    @property
    def params(self) -> dict[str, Any]:
        """The constructor arguments as validated, read-only arrays: ``SRNN(**net.params)``
        rebuilds the network."""
        return dict(self._params)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Same as :attr:`params` (the scikit-learn spelling)."""
        return self.params

    # Immutable, so copies (and scikit-learn clones of estimators holding it) may share it;
    # pickling rebuilds from the parameters.
    def __sklearn_clone__(self) -> "SRNN":
        return self

    def __copy__(self) -> "SRNN":
        return self

    def __deepcopy__(self, memo: dict) -> "SRNN":
        return self

    def __reduce__(self) -> tuple:
        return (_rebuild, (self._params,))

    @property
    def gamma_matrix(self) -> np.ndarray:
        """Γ as a dense ``(n, n)`` matrix."""
        g = self._params["gamma"]
        if g.ndim == 0:
            return float(g) * np.eye(self.n)
        if g.ndim == 1:
            return np.diag(g)
        return np.array(g)

    def linear_part(self) -> np.ndarray:
        """The drift's Jacobian at the origin, ``A = Γ − diag(a′(b)) W`` (``Γ − W`` for a linear
        network): its eigenvalues are the network's linear relaxation rates."""
        p = self._params
        b = p["b"]
        s = 1 / (1 + np.exp(-b))
        slope = {"tanh": 1 - np.tanh(b) ** 2, "identity": np.ones(self.n), "relu": (b > 0).astype(float),
                 "sigmoid": s * (1 - s), "softplus": s}[p["activation"]]
        return self.gamma_matrix - slope[:, None] * p["W"]

    def relaxation_rate(self) -> float:
        """Slowest decay rate of the network linearised at the origin, ``min Re eig(linear_part())``,
        falling back to Γ alone when that is not positive. Sets the default burn-in."""
        rate = float(np.linalg.eigvals(self.linear_part()).real.min())
        if rate > 0:
            return rate
        rate = float(np.linalg.eigvals(self.gamma_matrix).real.min())
        if rate <= 0:
            raise ValueError("gamma: a stationary start needs a positive stable Γ (eigenvalues with positive real part)")
        return rate

    def __repr__(self) -> str:
        p = self._params
        return (f"SRNN(n={self.n}, m={self.m}, p={self.p}, r={self.r}, activation={p['activation']!r}, "
                f"noise={'multiplicative' if p['sigma_mult'] is not None else 'additive'})")

    # -- simulation ----------------------------------------------------------------------------
    def simulate(
        self,
        u: Optional[ArrayLike],
        dt: float,
        *,
        n_steps: Optional[int] = None,
        n_paths: int = 1,
        h0: Union[str, ArrayLike] = "zero",
        burn_in: Optional[float] = None,
        seed: int = 0,
        record: str = "readout",
        stride: int = 1,
        dtype: Any = "float64",
        progress: ProgressArg = False,
        first_path: int = 0,
        block_size: Optional[int] = None,
    ) -> np.ndarray:
        """Euler–Maruyama ensemble of ``n_paths`` paths.

        ``h_{k+1} = h_k + dt (−Γ h_k + a(W h_k + b + C_in u_k) + C u_k) + Σ(h_k) √dt z_k``

        Parameters
        ----------
        u : None, (T, m) or (n_paths, T, m) array
            Input held constant on ``[t_k, t_k + dt)``; the same for every path when 2-D.
            ``None`` means no input, and then ``n_steps`` is required.
        dt : float
            Time step (positive).
        n_steps : int, optional
            Number of steps; defaults to ``T``, and must equal it when both are given.
        n_paths : int
            Number of independent paths.
        h0 : "zero", "stationary", (n,) or (n_paths, n) array
            Initial state. ``"stationary"`` runs the unperturbed network (``u = 0``) for
            ``burn_in`` time first, with noise independent of the recorded run.
        burn_in : float, optional
            Burn-in time before step 0 (for any ``h0``). Default for ``"stationary"``:
            ``10 / relaxation_rate()``.
        seed : int
            Noise seed. Every Gaussian is a pure function of (seed, path, step, component):
            results are bit-identical for any thread count, ``block_size``, or split of the
            paths into ranges (see ``first_path``); perturbed and unperturbed runs with the
            same seed share their noise.
        record : {"readout", "state", "final", "final_state"}
            What is returned: the readout or state every ``stride`` steps (including step 0),
            or only the final readout/state.
        stride : int
            Keep every ``stride``-th step.
        dtype : "float64" or "float32"
            Working precision. In float32 everything runs in float32 (16 lanes a vector
            with AVX-512), the normals included: the Box–Muller transform of the same
            random words as in float64, so they are the float64 normals up to float32
            rounding (within 2e-6), and float32 and float64 runs with one seed share their noise.
        progress : bool or callable
            Show a progress bar (tqdm if installed), or call ``progress(done, total)``.
        first_path : int
            Global index of the first path: ``simulate(n_paths=a, first_path=k)`` returns paths
            ``k .. k+a`` of a larger run with the same seed, bit for bit.
        block_size : int, optional
            Paths advanced together (a tuning knob; results do not depend on it).

        Returns
        -------
        ndarray
            ``(n_paths, n_steps // stride + 1, p or n)``, or ``(n_paths, p or n)`` for the final
            records.

        Raises
        ------
        DivergenceError
            When the state becomes non-finite (names the path and step).
        MemoryLimitError
            When the result would exceed :func:`srnn_rs.set_memory_limit`.
        """
        dt = as_positive_float("dt", dt)
        n_paths = as_int("n_paths", n_paths, minimum=1)
        seed = as_seed(seed)
        stride = as_int("stride", stride, minimum=1, maximum=2**63 - 1)
        first_path = as_int("first_path", first_path, minimum=0, maximum=2**64 - 1 - n_paths)
        record = as_choice("record", record, RECORDS)
        try:
            np_dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"dtype: expected 'float64' or 'float32', got {dtype!r}") from None
        if np_dtype not in (np.float64, np.float32):
            raise TypeError(f"dtype: expected 'float64' or 'float32', got {np_dtype}")
        block = _core.DEFAULT_BLOCK_SIZE if block_size is None else as_int("block_size", block_size, minimum=1, maximum=2**63 - 1)

        u_arr = None
        if u is not None:
            u_arr = as_float_array("u", u, ndim=(2, 3))
            if u_arr.shape[-1] != self.m:
                raise ValueError(f"u: expected {self.m} input channels on the last axis, got shape {u_arr.shape}")
            if u_arr.ndim == 3 and u_arr.shape[0] != n_paths:
                raise ValueError(f"u: a 3-D input needs one row per path, shape ({n_paths}, T, {self.m}); got {u_arr.shape}")
            T = u_arr.shape[-2]
            if n_steps is not None and as_int("n_steps", n_steps, minimum=0) != T:
                raise ValueError(f"n_steps: {n_steps} does not match the {T} steps of u")
            n_steps = T
            u_arr = u_arr.astype(np_dtype, copy=False)
        elif n_steps is None:
            raise ValueError("n_steps: required when u is None")
        n_steps = as_int("n_steps", n_steps, minimum=0)

        h0_arr = None
        if isinstance(h0, str):
            as_choice("h0", h0, ("zero", "stationary"))
            if h0 == "stationary" and burn_in is None:
                burn_in = 10.0 / self.relaxation_rate()
        else:
            h0_arr = as_float_array("h0", h0, ndim=(1, 2))
            check_shape("h0", h0_arr, (self.n,) if h0_arr.ndim == 1 else (n_paths, self.n))
            h0_arr = h0_arr.astype(np_dtype, copy=False)
        burn_in_steps = 0
        if burn_in is not None:
            burn_in_steps = as_steps("burn_in", burn_in, dt)
        if n_steps + burn_in_steps >= 2**32:
            raise ValueError(f"n_steps: at most {2**32 - 1} steps including burn-in, got {n_steps + burn_in_steps}")

        final = record.startswith("final")
        width = self.n if record in ("state", "final_state") else self.p
        n_records = 1 if final else n_steps // stride + 1
        check_memory("simulate output", n_paths * n_records * width * np_dtype.itemsize)

        with progress_callback(progress, "simulate") as callback:
            out = self._native.simulate(
                u_arr, h0_arr, dt=dt, n_steps=n_steps, n_paths=n_paths, first_path=first_path,
                seed=seed, record=record, stride=stride, burn_in_steps=burn_in_steps,
                block_size=block, dtype=np_dtype.name, progress=callback,
            )
        return out[:, 0, :] if final else out


def _rebuild(params: dict[str, Any]) -> SRNN:
    return SRNN(**params)
