"""Kernel machines with scikit-learn's conventions (``fit``, ``predict``, ``score``,
``transform``, ``fit_transform``, nested ``get_params``/``set_params``), usable with
``sklearn.model_selection`` when scikit-learn is installed and working without it.

* :class:`ResponseFeatureRidge` — ridge regression on response features.
* :class:`SignatureKernelRidge` — kernel ridge with the response-feature signature kernel
  ``κ(u, v) = ⟨S(X^u), S(X^v)⟩`` (truncated, or untruncated via the Goursat PDE).
* :class:`ReadoutSRNN` — the readout-only SRNN (reservoir computing): a fixed network, its
  readout fitted by ridge (``fit``) or recursive least squares (``partial_fit``) on its
  simulated states; stateful runs (``reset=False``) and closed-loop generation.

Inputs are sequences ``U`` of shape ``(n_samples, T, m)``; ``n_features_in_`` is the number
of input channels ``m``. A 2-D ``U`` of shape ``(n_samples, T)`` is read as one channel (the
convention of sequence learners and of scikit-learn's generic checks), except for
``ReadoutSRNN(target="sequence")``, where a 2-D ``U`` is one sequence ``(T, m)`` (the reservoir
computing convention, matching per-step targets ``(T, q)``).

Linear ridge solutions accumulate the Gram information of ``[X | Y]`` over blocks of samples
(as its triangular factor, the numerically stable form of ``XᵀX``, ``XᵀY``) and solve once,
so memory does not grow with the number of training sequences.

``NotFittedError`` (raised by ``predict``/``transform`` before ``fit``) is
``sklearn.exceptions.NotFittedError`` when scikit-learn is installed and otherwise a local
class with the same bases (``ValueError``, ``AttributeError``).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterator, Optional, Tuple

import numpy as np

from ._blocktree import BlockTree
from ._validate import as_choice, as_float_array, as_int, as_positive_float, as_seed
from .features import lifted_path, response_feature

# Continuation segment s of a stateful run draws the noise of paths s·2⁴⁰ + (sample·k + j): the
# noise is a pure function of (seed, path, step) and steps restart at 0 in every simulate call,
# so a fresh path range keeps continued segments independent of earlier ones yet reproducible.
_SEGMENT_PATHS = 2**40
_MAX_SEGMENTS = 2**23


class _LocalNotFittedError(ValueError, AttributeError):
    """Raised by ``predict``/``transform`` before ``fit`` when scikit-learn is not installed."""


def _not_fitted_error() -> type:
    # Resolved when raised, not at ``import srnn_rs``: importing scikit-learn takes about a
    # second, and only code that fails before fit (or names the class) needs it.
    try:
        from sklearn.exceptions import NotFittedError
    except ImportError:
        return _LocalNotFittedError
    return NotFittedError


def __getattr__(name: str) -> Any:
    if name == "NotFittedError":
        return _not_fitted_error()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _as_real(name: str, value: Any, ndim: Tuple[int, ...]) -> np.ndarray:
    """``as_float_array`` with the errors scikit-learn's estimator checks look for: sparse and
    complex input refused by name, object arrays of numbers accepted, a wrong rank told to
    reshape."""
    if value is None:
        raise TypeError(f"{name}: expected an array of numbers, got None")
    if type(value).__module__.startswith("scipy.sparse"):
        raise TypeError(f"{name}: sparse input is not supported; pass a dense array (e.g. {name}.toarray())")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name}: expected an array of numbers, got {type(value).__name__} ({exc})") from None
    if arr.dtype.kind == "c":
        raise ValueError(f"{name}: Complex data not supported; expected real numbers, got dtype {arr.dtype}")
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name}: {exc}") from None
    if arr.ndim not in ndim:
        want = " or ".join(str(d) for d in ndim)
        raise ValueError(f"{name}: expected {want} dimensions, got shape {arr.shape}. Reshape your data "
                         "(one sequence per row: (n_samples, T, m), or (n_samples, T) for one channel)")
    return as_float_array(name, arr)


def _sequences(value: Any, *, two_d: str = "channel", name: str = "U") -> Tuple[np.ndarray, bool]:
    """``(n_samples, T, m)`` sequences and whether a 2-D input was a single ``(T, m)`` sequence
    (``two_d="sequence"``) rather than ``(n_samples, T)`` one-channel sequences."""
    arr = _as_real(name, value, (2, 3))
    shape = arr.shape
    single = arr.ndim == 2 and two_d == "sequence"
    if arr.ndim == 2:
        arr = arr[None] if single else arr[:, :, None]
    if arr.shape[0] == 0:
        raise ValueError(f"{name}: 0 sample(s) (shape={shape}) while a minimum of 1 is required")
    if arr.shape[1] == 0 or arr.shape[2] == 0:
        raise ValueError(f"{name}: 0 feature(s) (shape={shape}) while a minimum of 1 is required "
                         "(each sequence needs at least one time step and one channel)")
    return arr, single


def _params_of(obj: Any) -> Optional[dict[str, Any]]:
    """The nested parameters of a parameter value (an estimator or an ``SRNN``), if it has any."""
    if isinstance(obj, type) or not hasattr(obj, "get_params"):
        return None
    return dict(obj.get_params(deep=False))


def _with_params(obj: Any, name: str, params: dict[str, Any]) -> Any:
    """``obj`` with nested ``params`` changed. An ``SRNN`` is immutable (its native model is
    built once), so it is rebuilt from its parameters; an estimator is updated in place, as
    scikit-learn does."""
    own = _params_of(obj)
    if own is None:
        raise ValueError(f"{name}: {type(obj).__name__} has no parameters to set ({sorted(params)} given)")
    unknown = sorted(set(params) - set(own))
    if unknown:
        raise ValueError(f"{name}__{unknown[0]}: not a parameter of {type(obj).__name__}; expected one of {sorted(own)}")
    if hasattr(obj, "set_params"):
        return obj.set_params(**params)
    return type(obj)(**{**own, **params})


class _Estimator:
    """``get_params``/``set_params``/``__repr__`` from the constructor's signature (the contract
    ``sklearn.base.clone`` relies on), scikit-learn tags, the fitted-state check, ``score`` and
    ``fit_transform``."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters; with ``deep=True`` also those of parameter values that
        have parameters (``model__sigma`` for an ``SRNN`` given as ``model``)."""
        out = {name: getattr(self, name) for name in self._param_names()}
        if deep:
            for name, value in list(out.items()):
                nested = _params_of(value)
                if nested:
                    out.update({f"{name}__{key}": val for key, val in nested.items()})
        return out

    def set_params(self, **params: Any) -> "_Estimator":
        """Set constructor parameters, and nested ones as ``model__sigma=0.1`` (an ``SRNN`` is
        rebuilt with the new value: networks are immutable)."""
        valid = set(self._param_names())
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            outer, sep, inner = key.partition("__")
            if outer not in valid:
                raise ValueError(f"{key}: not a parameter of {type(self).__name__}; expected one of {sorted(valid)}")
            if sep:
                nested.setdefault(outer, {})[inner] = value
            else:
                setattr(self, key, value)
        for outer, sub in nested.items():
            setattr(self, outer, _with_params(getattr(self, outer), outer, sub))
        return self

    # poor_score: the checks' generic regression data (y linear in one column of X) read as a
    # sequence is a target at one time step, which features summarising a whole sequence (its
    # signature, or a fading-memory final state) do not single out: R² falls below the 0.5
    # the check asks for, saying nothing about sequence tasks.
    def __sklearn_tags__(self) -> Any:
        # Only called by scikit-learn (≥ 1.6), so importing it here costs nothing otherwise.
        from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags, TransformerTags

        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True, multi_output=True),
                    regressor_tags=RegressorTags(poor_score=True),
                    transformer_tags=TransformerTags() if hasattr(self, "transform") else None,
                    input_tags=InputTags(two_d_array=True, three_d_array=True))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params(deep=False).items())
        return f"{type(self).__name__}({args})"

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "coef_") or hasattr(self, "dual_coef_")

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise _not_fitted_error()(
                f"This {type(self).__name__} instance is not fitted yet; call fit(U, y) before using it")

    def _check_channels(self, U: np.ndarray) -> None:
        m = getattr(self, "n_features_in_", None)
        if m is not None and U.shape[-1] != m:
            raise ValueError(f"U: has {U.shape[-1]} input channel(s), but {type(self).__name__} was fitted "
                             f"with {m} (n_features_in_); got shape {U.shape}")

    predict: Callable[[Any], np.ndarray]  # defined by each estimator; declared for score()

    def score(self, X: Any, y: Any) -> float:
        """Coefficient of determination R² of ``predict(X)`` against ``y`` (averaged over outputs)."""
        y = as_float_array("y", y)
        pred = self.predict(X).reshape(y.shape)
        resid = ((y - pred) ** 2).reshape(len(y), -1).sum(axis=0)
        total = ((y - y.mean(axis=0)) ** 2).reshape(len(y), -1).sum(axis=0)
        return float(np.mean(1.0 - resid / np.where(total == 0, 1.0, total)))


def _targets(y: Any, n: int, estimator: str = "the estimator") -> Tuple[np.ndarray, bool]:
    if y is None:
        raise ValueError(f"y: {estimator} requires y to be passed, but the target y is None")
    y = _as_real("y", y, (1, 2))
    if y.shape[0] != n:
        raise ValueError(f"y: expected {n} rows (one per sample), got shape {y.shape}")
    return (y[:, None], True) if y.ndim == 1 else (y, False)


def _stacked_factor(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    return np.asarray(np.linalg.qr(np.concatenate([top, bottom], axis=0), mode="r"))


class _LeastSquares:
    """Ridge regression accumulated block by block in the triangular factor ``R`` of
    ``[X 1 | Y]`` (so ``RᵀR`` is the accumulated ``[X 1 | Y]ᵀ[X 1 | Y]``): memory is that of
    ``XᵀX``, but the solve does not square the condition number, so a fit that should be exact
    is exact to round-off. The intercept is not penalised.

    Blocks' factors combine along the fixed block tree of :mod:`srnn_rs._blocktree`, so the
    factors of block ranges accumulated elsewhere (:func:`srnn_rs.dask.fit`) and appended give
    the local fit's bits."""

    def __init__(self, fit_intercept: bool, first_block: int = 0) -> None:
        self.fit_intercept = fit_intercept
        self.tree: BlockTree[np.ndarray] = BlockTree(_stacked_factor, first_block)
        self.n_features = 0

    @property
    def r(self) -> Optional[np.ndarray]:
        return self.tree.root()

    def add(self, X: np.ndarray, Y: np.ndarray) -> None:
        """Adds the next block of rows."""
        cols = [X, np.ones((X.shape[0], 1))] if self.fit_intercept else [X]
        block = np.concatenate([*cols, Y], axis=1)
        self.n_features = block.shape[1] - Y.shape[1]
        self.tree.push(np.asarray(np.linalg.qr(block, mode="r")))

    def append(self, right: "_LeastSquares") -> "_LeastSquares":
        """This range of blocks followed by ``right``'s."""
        self.tree.append(right.tree)
        self.n_features = self.n_features or right.n_features
        return self

    def solve(self, alpha: float) -> Tuple[np.ndarray, np.ndarray]:
        r = self.r
        assert r is not None
        F = self.n_features
        R, c = r[:, :F], r[:, F:]
        penalty = np.full(F, np.sqrt(alpha))
        if self.fit_intercept:
            penalty[-1] = 0.0
        M = np.concatenate([R, np.diag(penalty)], axis=0)
        rhs = np.concatenate([c, np.zeros((F, c.shape[1]))], axis=0)
        if not (np.isfinite(M).all() and np.isfinite(rhs).all()):
            raise ValueError("U: the features of these sequences are not finite (inf or NaN), so no "
                             "readout fits them; rescale U or y")
        try:
            w = np.linalg.lstsq(M, rhs, rcond=None)[0]
        except np.linalg.LinAlgError as exc:
            raise ValueError(f"alpha: the ridge least-squares problem has no stable solution ({exc}); "
                             "use a larger alpha") from None
        if self.fit_intercept:
            return w[:-1], w[-1]
        return w, np.zeros(c.shape[1])


class _RecursiveLeastSquares:
    """Online ridge regression by recursive least squares: ``P = (AᵀA + Λ)⁻¹`` and the weights
    ``w = P AᵀY`` over the rows ``A = [X 1]`` seen so far, updated block by block with the
    Woodbury identity (``O(F²)`` per row, no pass over old data). ``Λ = α I`` except on the
    intercept, which is not penalised, exactly as in :class:`_LeastSquares`.

    An unpenalised intercept has no finite prior ``P₀ = Λ⁻¹``, so the first block is solved
    directly (``P = (A₁ᵀA₁ + Λ)⁻¹``, positive definite for ``α > 0`` and one row or more) and
    the recursion starts from there: the weights after every block are the batch ridge
    solution on all rows so far, up to round-off.
    """

    def __init__(self, fit_intercept: bool, alpha: float) -> None:
        self.fit_intercept = fit_intercept
        self.alpha = alpha
        self.P: Optional[np.ndarray] = None
        self.w: Optional[np.ndarray] = None

    def _design(self, X: np.ndarray) -> np.ndarray:
        return np.concatenate([X, np.ones((X.shape[0], 1))], axis=1) if self.fit_intercept else X

    def _penalty(self, F: int) -> np.ndarray:
        penalty = np.full(F, self.alpha)
        if self.fit_intercept:
            penalty[-1] = 0.0
        return penalty

    def _start(self, gram: np.ndarray, cross: np.ndarray) -> None:
        A = gram + np.diag(self._penalty(gram.shape[0]))
        try:
            L = np.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            raise ValueError("alpha: the first block of rows leaves the regularised normal matrix singular; "
                             "use alpha > 0 or a first block with at least as many independent rows as "
                             "features") from None
        L_inv = np.linalg.solve(L, np.eye(len(L)))
        self.P = L_inv.T @ L_inv
        self.w = self.P @ cross

    @classmethod
    def from_least_squares(cls, acc: _LeastSquares, alpha: float) -> "_RecursiveLeastSquares":
        """Continue a batch accumulation online (``partial_fit`` after ``fit``)."""
        r = acc.r
        assert r is not None
        rls = cls(acc.fit_intercept, alpha)
        F = acc.n_features
        R, c = r[:, :F], r[:, F:]
        rls._start(R.T @ R, R.T @ c)
        return rls

    def add(self, X: np.ndarray, Y: np.ndarray) -> None:
        A = self._design(X)
        if self.P is None:
            self._start(A.T @ A, A.T @ Y)
            return
        assert self.w is not None
        F = A.shape[1]
        # Woodbury on sub-blocks of at most F rows: the b×b solve never costs more than the F² update.
        step = max(1, min(F, 64))
        for rows in _blocks(A.shape[0], step):
            a = A[rows]
            Pa = self.P @ a.T
            gain = np.linalg.solve(np.eye(a.shape[0]) + a @ Pa, Pa.T).T
            self.w = self.w + gain @ (Y[rows] - a @ self.w)
            P = self.P - gain @ Pa.T
            self.P = 0.5 * (P + P.T)  # keep P symmetric against drift from round-off

    def coef(self) -> Tuple[np.ndarray, np.ndarray]:
        assert self.w is not None
        if self.fit_intercept:
            return self.w[:-1].copy(), self.w[-1].copy()
        return self.w.copy(), np.zeros(self.w.shape[1])


def _blocks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


class ResponseFeatureRidge(_Estimator):
    """Ridge regression on response features ``Z = S(X^u)`` of input sequences.

    See :func:`srnn_rs.response_feature` for ``depth``, ``basis``, ``n_basis``, ``rates`` and
    ``model``.

    Parameters
    ----------
    dt : float
        Time step of the input sequences.
    depth : int
        Signature depth of the response features.
    basis, n_basis, rates, model
        The support basis of the lifted path.
    alpha : float
        Ridge penalty (the intercept is not penalised).
    fit_intercept : bool
    block_size : int
        Samples featurised at a time (memory is that of one block).

    Attributes
    ----------
    coef_ : (S, q) array
    intercept_ : (q,) array
    n_features_in_ : int
        Number of input channels ``m``.
    n_response_features_ : int
        Number of response features ``S``.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> U = srnn_rs.tasks.random_inputs(40, 30, seed=0)
    >>> y = U.sum(axis=(1, 2)) * 0.1            # a level-1 functional: ∫ u ds
    >>> est = srnn_rs.ResponseFeatureRidge(dt=0.1, depth=1, n_basis=1, alpha=1e-10).fit(U, y)
    >>> round(est.score(U, y), 6)
    1.0
    """

    def __init__(self, dt: float = 1.0, depth: int = 2, basis: str = "monomial", n_basis: Optional[int] = 2,
                 rates: Any = None, model: Any = None, alpha: float = 1e-6, fit_intercept: bool = True,
                 block_size: int = 1024) -> None:
        self.dt = dt
        self.depth = depth
        self.basis = basis
        self.n_basis = n_basis
        self.rates = rates
        self.model = model
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.block_size = block_size

    def _features(self, U: np.ndarray) -> np.ndarray:
        return response_feature(U, self.dt, self.depth, basis=self.basis, n_basis=self.n_basis,
                                rates=self.rates, model=self.model)

    def transform(self, U: Any) -> np.ndarray:
        """The response features ``(n_samples, S)`` of ``U`` (``(n_samples, T, m)``, or
        ``(n_samples, T)`` for one channel)."""
        self._check_fitted()
        U3, _ = _sequences(U)
        self._check_channels(U3)
        return self._features(U3)

    def fit(self, U: Any, y: Any) -> "ResponseFeatureRidge":
        """Fit the ridge readout on the response features of ``U`` (``(n_samples, T, m)`` or
        ``(n_samples, T)``) against ``y`` (``(n_samples,)`` or ``(n_samples, q)``)."""
        U3, _ = _sequences(U)
        Y, flat = _targets(y, U3.shape[0], type(self).__name__)
        return self._solve(self._factors(U3, Y), flat, U3.shape[2])

    def _factors(self, U3: np.ndarray, Y: np.ndarray, first_sample: int = 0) -> _LeastSquares:
        """Least-squares factors of the blocks of samples from ``first_sample`` (a multiple of
        ``block_size``) held in the validated ``U3`` and ``Y``."""
        block = as_int("block_size", self.block_size, minimum=1)
        acc = _LeastSquares(bool(self.fit_intercept), first_sample // block)
        for rows in _blocks(U3.shape[0], block):
            acc.add(self._features(U3[rows]), Y[rows])
        return acc

    def _solve(self, acc: _LeastSquares, flat: bool, channels: int) -> "ResponseFeatureRidge":
        alpha = as_positive_float("alpha", self.alpha, allow_zero=True)
        self._flat = flat
        self.coef_, self.intercept_ = acc.solve(alpha)
        self.n_features_in_ = channels
        self.n_response_features_ = self.coef_.shape[0]
        return self

    def fit_transform(self, U: Any, y: Any = None) -> np.ndarray:
        """``fit(U, y).transform(U)``."""
        return self.fit(U, y).transform(U)

    def predict(self, U: Any) -> np.ndarray:
        """Predictions ``(n_samples,)`` or ``(n_samples, q)`` as ``y`` was in ``fit``."""
        out = self.transform(U) @ self.coef_ + self.intercept_
        return out[:, 0] if self._flat else out


class SignatureKernelRidge(_Estimator):
    """Kernel ridge regression with the response-feature kernel ``κ(u, v) = ⟨S(X^u), S(X^v)⟩``.

    ``depth`` given: the truncated signature kernel (levels 0..depth); ``depth=None``: the
    untruncated kernel from the Goursat PDE with ``dyadic_order`` refinement and a
    ``static_kernel`` (``"linear"`` or ``"rbf"`` with ``sigma``) on the lifted path. The lifted
    path is scaled by ``scale`` first (signature kernels grow fast with path length).

    ``U`` is ``(n_samples, T, m)``, or ``(n_samples, T)`` for one channel; ``n_features_in_``
    is ``m``.
    """

    def __init__(self, dt: float = 1.0, depth: Optional[int] = 3, dyadic_order: int = 0,
                 static_kernel: str = "linear", sigma: float = 1.0, basis: str = "monomial",
                 n_basis: Optional[int] = 2, rates: Any = None, model: Any = None, scale: float = 1.0,
                 alpha: float = 1e-3) -> None:
        self.dt = dt
        self.depth = depth
        self.dyadic_order = dyadic_order
        self.static_kernel = static_kernel
        self.sigma = sigma
        self.basis = basis
        self.n_basis = n_basis
        self.rates = rates
        self.model = model
        self.scale = scale
        self.alpha = alpha

    def _lift(self, U3: np.ndarray) -> np.ndarray:
        scale = as_positive_float("scale", self.scale)
        return scale * lifted_path(U3, self.dt, basis=self.basis, n_basis=self.n_basis, rates=self.rates,
                                   model=self.model)

    def _gram(self, A: np.ndarray, B: Optional[np.ndarray]) -> np.ndarray:
        from .signatures import sig_kernel_gram

        try:
            return sig_kernel_gram(A, B, depth=self.depth, dyadic_order=self.dyadic_order,
                                   static_kernel=self.static_kernel, sigma=self.sigma)
        except ValueError as exc:
            # The lifted paths are ours; the user passed U.
            for ours in ("X and Y: ", "X: "):
                if str(exc).startswith(ours) and "overflows" in str(exc):
                    raise ValueError("U: " + str(exc)[len(ours):] + " (or lower scale)") from None
            raise

    def fit(self, U: Any, y: Any) -> "SignatureKernelRidge":
        """Solve the kernel ridge system on the training sequences ``U`` and targets ``y``."""
        U3, _ = _sequences(U)
        Y, flat = _targets(y, U3.shape[0], type(self).__name__)
        X = self._lift(U3)
        alpha = as_positive_float("alpha", self.alpha, allow_zero=True)
        K = self._gram(X, None)
        self._flat = flat
        self.y_mean_ = Y.mean(axis=0)
        if not np.isfinite(K).all():
            raise ValueError("U: the kernel matrix of these sequences is not finite; lower scale or rescale U")
        try:
            self.dual_coef_ = np.linalg.solve(K + alpha * np.eye(len(K)), Y - self.y_mean_)
        except np.linalg.LinAlgError:
            raise ValueError("alpha: the kernel matrix K + alpha·I is singular (repeated sequences with "
                             "alpha = 0?); use alpha > 0") from None
        self.X_fit_ = X
        self.n_features_in_ = U3.shape[2]
        return self

    def predict(self, U: Any) -> np.ndarray:
        """Predictions ``(n_samples,)`` or ``(n_samples, q)`` as ``y`` was in ``fit``."""
        self._check_fitted()
        U3, _ = _sequences(U)
        self._check_channels(U3)
        out = self._gram(self._lift(U3), self.X_fit_) @ self.dual_coef_ + self.y_mean_
        return out[:, 0] if self._flat else out


class ReadoutSRNN(_Estimator):
    """The readout-only SRNN (reservoir computing): a fixed network ``model`` is driven by each
    input sequence, and a linear readout of its states is fitted by ridge (``fit``) or by
    recursive least squares (``partial_fit``).

    Parameters
    ----------
    model : SRNN
        The fixed network; ``get_params(deep=True)`` exposes its parameters as
        ``model__<name>`` and ``set_params(model__sigma=...)`` rebuilds it with a new value.
    dt : float
        Euler–Maruyama step.
    alpha : float
        Ridge penalty on the readout weights (the intercept is not penalised).
    target : {"sequence", "final"}
        ``"sequence"``: ``y`` is ``(n_samples, T, q)`` (or ``(T, q)``/``(T,)`` for one
        sequence ``U`` of shape ``(T, m)``) and the state after reading ``u_t`` predicts
        ``y_t``. ``"final"``: ``y`` is ``(n_samples,)`` or ``(n_samples, q)`` and the final
        state predicts it; a 2-D ``U`` is then ``(n_samples, T)``, one channel.
    washout : int
        Steps at the start of each sequence that are not fitted (nor scored): the network
        forgets its initial state meanwhile. Only a sequence that starts from ``h0`` is washed
        out; a continued one (``reset=False``) is warm already.
    n_noise_paths : int
        Noise realisations per sequence; states are averaged over them (an estimate of the
        conditional mean state).
    include_input : bool
        Append ``u_t`` to the features.
    feedback : bool
        Output feedback (the echo-state network's ``W_fb``), ``target="sequence"`` only: the
        network's last ``q`` input channels read the previous output ``y_{t−1}`` (zero at the
        first step of a fresh sequence), so ``U`` holds ``m − q`` channels; give those channels
        weights in ``C_in`` to feed the output back inside the activation. ``fit`` feeds the
        targets (teacher forcing); ``run``, ``transform``, ``predict`` and ``score`` run in
        closed loop on the readout's own predictions, one step at a time.
    seed : int
        Noise seed.
    h0 : "zero", "stationary" or array
        Initial state of a fresh run (see :meth:`SRNN.simulate`).
    block_size : int
        Sequences simulated at a time.

    Attributes
    ----------
    coef_ : (F, q) array
    intercept_ : (q,) array
    n_features_in_ : int
        Number of input channels ``m``.

    Notes
    -----
    **Stateful runs.** Every call that drives the network (``fit``, ``partial_fit``, ``run``,
    ``transform``, ``predict``, ``generate``) keeps the final state of each sequence and noise
    path. With ``reset=False`` the next call continues from it (its input must hold the same
    number of sequences); with ``reset=True`` (the default) it starts again from ``h0``.
    Noise: ``simulate`` draws a pure function of (seed, path, step) and counts steps from 0 in
    every call, so a run's noise is keyed by its segment ``s`` (0 for a fresh run, +1 for each
    continuation) — sequence ``i``, noise path ``j`` uses path ``s·2⁴⁰ + (i₀ + i)·k + j`` with
    ``k = n_noise_paths`` and ``i₀`` the index of its first sequence (0, except in
    ``partial_fit``, which numbers the sequences it has seen). Continuing is thus
    reproducible and its noise independent of earlier segments; a noise-free network
    (``sigma = 0``) continued in pieces gives exactly the run in one piece, while with noise
    the pieces draw other (equally distributed) noise than the single run would.

    **Closed loop.** :meth:`generate` feeds each prediction back as the next input.
    """

    # The readout's accumulated data: the batch factor after fit, or the online state after
    # partial_fit (which continues either).
    _acc: Optional[_LeastSquares]
    _rls: Optional[_RecursiveLeastSquares]

    def __init__(self, model: Any = None, dt: float = 1.0, alpha: float = 1e-6, target: str = "sequence",
                 washout: int = 0, n_noise_paths: int = 1, include_input: bool = False, seed: int = 0,
                 h0: Any = "zero", block_size: int = 64, feedback: bool = False) -> None:
        self.model = model
        self.dt = dt
        self.alpha = alpha
        self.target = target
        self.washout = washout
        self.n_noise_paths = n_noise_paths
        self.include_input = include_input
        self.seed = seed
        self.h0 = h0
        self.block_size = block_size
        self.feedback = feedback

    # -- driving the network ---------------------------------------------------------------------
    def _prepare(self, U: Any, name: str = "U", fed_back: Optional[int] = None) -> Tuple[np.ndarray, bool]:
        """Validated ``(n, T, channels)`` sequences; ``fed_back`` output channels complete the
        network's inputs (None: those of ``feedback``; negative: not checked yet)."""
        if self.model is None:
            raise ValueError("model: ReadoutSRNN needs a fixed network (an srnn_rs.SRNN)")
        from .model import SRNN

        if not isinstance(self.model, SRNN):
            raise TypeError(f"model: expected an srnn_rs.SRNN, got {type(self.model).__name__}")
        target = as_choice("target", self.target, ("sequence", "final"))
        U3, single = _sequences(U, two_d="sequence" if target == "sequence" else "channel", name=name)
        if fed_back is None:
            fed_back = 0
            if self._feedback():
                self._check_fitted()
                fed_back = int(self.coef_.shape[1])
        if fed_back >= 0:
            self._check_network_inputs(U3, fed_back, name, U)
        return U3, single

    def _check_network_inputs(self, U3: np.ndarray, fed_back: int, name: str, given: Any) -> None:
        if U3.shape[2] + fed_back != self.model.m:
            fb = f" besides the {fed_back} fed-back output(s)" if fed_back else ""
            raise ValueError(f"{name}: the network reads {self.model.m - fed_back} input channel(s){fb}, got "
                             f"{U3.shape[2]} (shape {np.shape(given)})")

    def _feedback(self) -> bool:
        """Whether the previous output is fed back, after checking that it can be."""
        if not isinstance(self.feedback, (bool, np.bool_)):
            raise TypeError(f"feedback: expected a bool, got {type(self.feedback).__name__}")
        if self.feedback and self.target != "sequence":
            raise ValueError(f"feedback: output feedback needs target='sequence', got target={self.target!r}")
        return bool(self.feedback)

    def _drive(self, U: np.ndarray, *, first_sample: int = 0, h_start: Optional[np.ndarray] = None,
               segment: int = 0) -> Iterator[Tuple[slice, np.ndarray, np.ndarray]]:
        """Per block of sequences: the rows, the features, and the final states ``(rows, k, n)``."""
        target = as_choice("target", self.target, ("sequence", "final"))
        k = as_int("n_noise_paths", self.n_noise_paths, minimum=1)
        block = as_int("block_size", self.block_size, minimum=1)
        dt = as_positive_float("dt", self.dt)
        seed = as_seed(self.seed)
        n = self.model.n
        record = "final_state" if target == "final" else "state"
        for rows in _blocks(U.shape[0], block):
            u = np.repeat(U[rows], k, axis=0)
            h0 = self.h0 if h_start is None else h_start[rows].reshape(-1, n)
            states = self.model.simulate(u, dt, n_paths=u.shape[0], h0=h0, seed=seed,
                                         first_path=segment * _SEGMENT_PATHS + (first_sample + rows.start) * k,
                                         record=record)
            if target == "sequence":
                final = states[:, -1]
                states = states[:, 1:]  # the state after reading u_t
            else:
                final = states
            feats = states.reshape(-1, k, *states.shape[1:]).mean(axis=1)
            if self.include_input:
                feats = np.concatenate([feats, U[rows] if target == "sequence" else U[rows, -1]], axis=-1)
            yield rows, feats, final.reshape(-1, k, n)

    def _features(self, U: np.ndarray, first_sample: int = 0) -> Iterator[np.ndarray]:
        """Features of the validated sequences ``U`` ``(n_samples, T, m)``, block by block, from
        a fresh run; ``first_sample`` is the global index of ``U[0]`` (it keys the noise, so
        disjoint sample ranges computed apart equal one run). Keeps no state."""
        for _, feats, _ in self._drive(U, first_sample=first_sample):
            yield feats

    def _begin(self, n_seq: int, reset: Any, first_sample: int = 0) -> Tuple[Optional[np.ndarray], int, int]:
        """``(h_start, segment, first_sample)`` for a run on ``n_seq`` sequences: a fresh run, or
        the continuation of the stored one."""
        if not isinstance(reset, (bool, np.bool_)):
            raise TypeError(f"reset: expected a bool, got {type(reset).__name__}")
        state = getattr(self, "_run_state", None)
        if reset or state is None:
            return None, 0, first_sample
        h, _, segment, first, _ = state
        if h.shape[0] != n_seq:
            raise ValueError(f"U: reset=False continues the {h.shape[0]} sequence(s) of the last run, got {n_seq}")
        k = as_int("n_noise_paths", self.n_noise_paths, minimum=1)
        if h.shape[1:] != (k, self.model.n):
            raise ValueError("reset: the kept state belongs to another network or n_noise_paths "
                             f"(state shape {h.shape[1:]}, now ({k}, {self.model.n})); run with reset=True")
        if segment + 1 >= _MAX_SEGMENTS:
            raise ValueError(f"reset: at most {_MAX_SEGMENTS - 1} continuations of one run; start again with reset=True")
        return h, segment + 1, first

    def _stateful(self, U: np.ndarray, start: Tuple[Optional[np.ndarray], int, int],
                  single: bool) -> Iterator[Tuple[slice, np.ndarray]]:
        """``_drive`` from ``start`` (see ``_begin``), keeping the final state once exhausted."""
        h_start, segment, first = start
        finals, lasts = [], []
        for rows, feats, final in self._drive(U, first_sample=first, h_start=h_start, segment=segment):
            finals.append(final)
            lasts.append(feats[:, -1] if feats.ndim == 3 else feats)
            yield rows, feats
        self._run_state = (np.concatenate(finals), np.concatenate(lasts), segment, first, single)

    @property
    def last_state(self) -> Optional[np.ndarray]:
        """The final states ``(n_sequences, n_noise_paths, n)`` of the last run (``None`` before
        any), the start of a call with ``reset=False``."""
        state = getattr(self, "_run_state", None)
        return None if state is None else state[0].copy()

    def _states(self, U: Any, reset: Any, washout: Any) -> Tuple[np.ndarray, bool]:
        U3, single = self._prepare(U)
        w = as_int("washout", washout, minimum=0)
        start = self._begin(U3.shape[0], reset)
        if self._feedback():
            feats = self._closed_loop(U3, start, single)
        else:
            feats = np.concatenate([f for _, f in self._stateful(U3, start, single)], axis=0)
        if self.target == "sequence" and start[1] == 0:
            if w >= U3.shape[1] and w > 0:
                raise ValueError(f"washout: must be below the sequence length {U3.shape[1]}, got {w}")
            feats = feats[:, w:]
        return (feats[0] if single else feats), single

    def _closed_loop(self, U3: np.ndarray, start: Tuple[Optional[np.ndarray], int, int],
                     single: bool) -> np.ndarray:
        """Features of a run that feeds each prediction back with the next input: one step per
        call of the simulator, each continuing the last (the fresh start reads ``y_{−1} = 0``,
        a continuation the last prediction)."""
        n, T, _ = U3.shape
        q = self.coef_.shape[1]
        state = getattr(self, "_run_state", None)
        y_prev = np.zeros((n, q)) if start[1] == 0 or state is None else state[1] @ self.coef_ + self.intercept_
        feats = None
        for t in range(T):
            step_input = np.concatenate([U3[:, t:t + 1], y_prev[:, None, :]], axis=2)
            f = np.concatenate([f for _, f in self._stateful(step_input, start, single)], axis=0)
            if feats is None:
                feats = np.empty((n, T, f.shape[-1]))
            feats[:, t] = f[:, 0]
            y_prev = f[:, 0] @ self.coef_ + self.intercept_
            start = self._begin(n, False)
        assert feats is not None
        return feats

    def run(self, U: Any, *, reset: bool = True, washout: int = 0) -> np.ndarray:
        """Drive the network and return its features (averaged states, and ``u_t`` with
        ``include_input``): ``(n_samples, T − washout, F)`` for ``target="sequence"`` (no
        leading axis for one ``(T, m)`` sequence), ``(n_samples, F)`` for ``"final"``.

        Needs no fitted readout. ``reset=False`` continues the last run (see the class notes);
        ``washout`` drops the first steps of each sequence that starts fresh.
        """
        return self._states(U, reset, washout)[0]

    def transform(self, U: Any, *, reset: bool = True) -> np.ndarray:
        """The features the readout reads (:meth:`run` without washout), after ``fit``."""
        self._check_fitted()
        return self.run(U, reset=reset)

    def fit_transform(self, U: Any, y: Any = None) -> np.ndarray:
        """``fit(U, y).transform(U)``."""
        return self.fit(U, y).transform(U)

    def predict(self, U: Any, *, reset: bool = True, washout: int = 0) -> np.ndarray:
        """The readout: ``(n_samples, T − washout, q)`` for ``target="sequence"`` (``(T − washout,
        q)`` for one sequence), ``(n_samples,)``/``(n_samples, q)`` for ``"final"``.

        ``reset=False`` continues from the last run's final state; ``washout`` drops the first
        steps of each sequence that starts fresh.
        """
        self._check_fitted()
        feats, _ = self._states(U, reset, washout)
        out = feats @ self.coef_ + self.intercept_
        if self._flat:
            out = out[..., 0]
        return out

    # -- fitting -------------------------------------------------------------------------------------
    def _training_targets(self, U: np.ndarray, single: bool, y: Any) -> np.ndarray:
        if self.target == "final":
            Y, self._flat = _targets(y, U.shape[0], type(self).__name__)
            return Y
        if y is None:
            raise ValueError("y: ReadoutSRNN requires y to be passed, but the target y is None")
        Y = _as_real("y", y, (1, 2) if single else (2, 3))
        if single:
            Y = Y[None]
        if Y.ndim == 2:
            Y = Y[..., None]
        if Y.shape[:2] != U.shape[:2]:
            shape = f"({U.shape[1]}, q)" if single else f"({U.shape[0]}, {U.shape[1]}, q)"
            raise ValueError(f"y: expected shape {shape} to match U, got {np.shape(y)}")
        self._flat = False
        return Y

    def _rows(self, feats: np.ndarray, Y: np.ndarray, washout: int) -> Tuple[np.ndarray, np.ndarray]:
        if self.target == "final":
            return feats, Y
        X = feats[:, washout:].reshape(-1, feats.shape[-1])
        return X, Y[:, washout:].reshape(X.shape[0], -1)

    def fit(self, U: Any, y: Any) -> "ReadoutSRNN":
        """Fit the readout by ridge on the states driven by ``U`` (always from ``h0``); see the
        class docstring for the shapes. The final state is kept for ``reset=False`` calls."""
        feedback = self._feedback()
        U3, single = self._prepare(U, fed_back=None if not feedback else -1)
        Y = self._training_targets(U3, single, y)
        washout = as_int("washout", self.washout, minimum=0)
        alpha = as_positive_float("alpha", self.alpha, allow_zero=True)
        if self.target == "sequence" and washout >= U3.shape[1]:
            raise ValueError(f"washout: must be below the sequence length {U3.shape[1]}, got {washout}")
        driven = U3
        if feedback:
            self._check_network_inputs(U3, Y.shape[2], "U", U)
            # Teacher forcing: the fed-back channels read the targets one step late.
            previous = np.concatenate([np.zeros_like(Y[:, :1]), Y[:, :-1]], axis=1)
            driven = np.concatenate([U3, previous], axis=2)
        acc = _LeastSquares(True)
        for rows, feats in self._stateful(driven, self._begin(U3.shape[0], True), single):
            acc.add(*self._rows(feats, Y[rows], washout))
        return self._solve(acc, U3.shape)

    def _factors(self, U3: np.ndarray, Y: np.ndarray, first_sample: int = 0) -> _LeastSquares:
        """What ``fit`` accumulates, for the blocks of samples from ``first_sample`` (a multiple
        of ``block_size``) held in the validated ``U3`` and ``Y``, keeping no run state: the
        same blocks, so the same factors, as the whole fit's."""
        washout = as_int("washout", self.washout, minimum=0)
        block = as_int("block_size", self.block_size, minimum=1)
        acc = _LeastSquares(True, first_sample // block)
        start = 0
        for feats in self._features(U3, first_sample):
            rows = slice(start, start + feats.shape[0])
            start = rows.stop
            acc.add(*self._rows(feats, Y[rows], washout))
        return acc

    def _solve(self, acc: _LeastSquares, shape: Tuple[int, ...]) -> "ReadoutSRNN":
        alpha = as_positive_float("alpha", self.alpha, allow_zero=True)
        self.coef_, self.intercept_ = acc.solve(alpha)
        self.n_features_in_ = shape[2]
        self._acc, self._rls, self._samples_seen = acc, None, shape[0]
        return self

    def partial_fit(self, U: Any, y: Any, *, reset: bool = True) -> "ReadoutSRNN":
        """Update the readout online by recursive least squares with the rows of ``U``, ``y``.

        After each call ``coef_``/``intercept_`` equal, up to round-off, the ridge solution
        (penalty ``alpha`` as at the first call, intercept unpenalised) on every row seen since
        the last ``fit`` (whose rows count too) or since the first ``partial_fit``. With
        ``reset=False`` the sequences continue from the last run's final state (a long stream
        fed in chunks) and are not washed out; fresh sequences are numbered after those seen
        before, so batches fed one by one draw the noise ``fit`` on all of them would.
        """
        if self._feedback():
            raise ValueError("feedback: partial_fit does not support output feedback; use fit")
        U3, single = self._prepare(U)
        Y = self._training_targets(U3, single, y)
        washout = as_int("washout", self.washout, minimum=0)
        alpha = as_positive_float("alpha", self.alpha, allow_zero=True)
        seen = getattr(self, "_samples_seen", 0)
        start = self._begin(U3.shape[0], reset, first_sample=seen)
        fresh = start[1] == 0
        if self.target == "sequence" and fresh and washout >= U3.shape[1]:
            raise ValueError(f"washout: must be below the sequence length {U3.shape[1]} of a fresh run, got {washout}")
        rls = getattr(self, "_rls", None)
        if rls is None:
            acc = getattr(self, "_acc", None)
            rls = _RecursiveLeastSquares(True, alpha) if acc is None else _RecursiveLeastSquares.from_least_squares(acc, alpha)
        for rows, feats in self._stateful(U3, start, single):
            rls.add(*self._rows(feats, Y[rows], washout if fresh else 0))
        self._rls, self._acc = rls, None
        self._samples_seen = seen + U3.shape[0] if fresh else seen
        self.coef_, self.intercept_ = rls.coef()
        self.n_features_in_ = U3.shape[2]
        return self

    # -- closed loop -----------------------------------------------------------------------------------
    def generate(self, n_steps: int, *, warmup: Any = None) -> np.ndarray:
        """Run in closed loop: each prediction is fed back as the next input.

        With ``warmup`` (``(T, m)`` or ``(n_samples, T, m)``) the network first reads it from
        ``h0`` (teacher forcing); without, it continues from the last run. Step ``t`` feeds the
        current prediction ``ŷ`` in as ``u`` and reads the next prediction off the new state.

        Returns
        -------
        ndarray
            The ``n_steps`` inputs fed, ``(n_steps, m)`` (or ``(n_samples, n_steps, m)``): for
            a readout trained on ``y_t = u_{t+1}``, the continuation of the warm-up series.
            The state is kept, so another ``generate`` continues the series.
        """
        if self._feedback():
            raise ValueError("feedback: generate feeds the output back as the whole input; use predict for "
                             "output feedback beside an input")
        self._check_fitted()
        n_steps = as_int("n_steps", n_steps, minimum=0)
        if self.target != "sequence":
            raise ValueError(f"target: generate needs target='sequence' (a prediction at every step), got {self.target!r}")
        m, q = self.model.m, self.coef_.shape[1]
        if q != m:
            raise ValueError(f"n_steps: closed loop feeds the {q} output(s) back as the {m} input(s); they must match")
        if warmup is not None:
            W3, single = self._prepare(warmup, name="warmup")
            for _ in self._stateful(W3, self._begin(W3.shape[0], True), single):
                pass
        elif getattr(self, "_run_state", None) is None:
            raise ValueError("warmup: no earlier run left a state to continue from; pass a warm-up sequence")
        single = self._run_state[4]
        out = np.empty((self._run_state[0].shape[0], n_steps, m))
        for t in range(n_steps):
            u = self._run_state[1] @ self.coef_ + self.intercept_
            out[:, t] = u
            for _ in self._stateful(u[:, None, :], self._begin(u.shape[0], False), single):
                pass
        return out[0] if single else out

    def score(self, U: Any, y: Any) -> float:
        """R² over all fitted time steps (after ``washout``) and outputs, from a fresh run."""
        pred = self.predict(U)
        y = as_float_array("y", y).reshape(pred.shape)
        if self.target == "sequence":
            w = as_int("washout", self.washout, minimum=0)
            pred, y = pred[..., w:, :], y[..., w:, :]
        resid = np.sum((y - pred) ** 2)
        total = np.sum((y - y.mean()) ** 2)
        return float(1.0 - resid / total) if total > 0 else 0.0
