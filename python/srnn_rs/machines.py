"""Kernel machines with scikit-learn's conventions (``fit``, ``predict``, ``score``,
``get_params``, ``set_params``), usable with ``sklearn.model_selection`` when scikit-learn is
installed and working without it.

* :class:`ResponseFeatureRidge` — ridge regression on response features.
* :class:`SignatureKernelRidge` — kernel ridge with the response-feature signature kernel
  ``κ(u, v) = ⟨S(X^u), S(X^v)⟩`` (truncated, or untruncated via the Goursat PDE).
* :class:`ReadoutSRNN` — the readout-only SRNN (reservoir computing): a fixed network, its
  readout fitted by ridge on its simulated states.

Linear ridge solutions accumulate the Gram information of ``[X | Y]`` over blocks of samples
(as its triangular factor, the numerically stable form of ``XᵀX``, ``XᵀY``) and solve once,
so memory does not grow with the number of training sequences.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterator, Optional, Tuple

import numpy as np

from ._blocktree import BlockTree
from ._validate import as_choice, as_float_array, as_int, as_positive_float, as_seed
from .features import lifted_path, response_feature


class _Estimator:
    """``get_params``/``set_params``/``__repr__`` from the constructor's signature, the contract
    ``sklearn.base.clone`` relies on."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> "_Estimator":
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"{key}: not a parameter of {type(self).__name__}; expected one of {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __sklearn_tags__(self) -> Any:
        # Only called by scikit-learn (≥ 1.6), so importing it here costs nothing otherwise.
        from sklearn.utils import RegressorTags, Tags, TargetTags

        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True, multi_output=True),
                    regressor_tags=RegressorTags())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_") and not hasattr(self, "dual_coef_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet; call fit(X, y) first")

    predict: Callable[[Any], np.ndarray]  # defined by each estimator; declared for score()

    def score(self, X: Any, y: Any) -> float:
        """Coefficient of determination R² of ``predict(X)`` against ``y`` (averaged over outputs)."""
        y = as_float_array("y", y)
        pred = self.predict(X).reshape(y.shape)
        resid = ((y - pred) ** 2).reshape(len(y), -1).sum(axis=0)
        total = ((y - y.mean(axis=0)) ** 2).reshape(len(y), -1).sum(axis=0)
        return float(np.mean(1.0 - resid / np.where(total == 0, 1.0, total)))


def _targets(y: Any, n: int) -> Tuple[np.ndarray, bool]:
    y = as_float_array("y", y, ndim=(1, 2))
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
        w = np.linalg.lstsq(M, rhs, rcond=None)[0]
        if self.fit_intercept:
            return w[:-1], w[-1]
        return w, np.zeros(c.shape[1])


def _blocks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


class ResponseFeatureRidge(_Estimator):
    """Ridge regression on response features ``Z = S(X^u)`` of input sequences.

    ``fit(U, y)`` with ``U`` of shape ``(n_samples, T, m)`` and ``y`` of shape ``(n_samples,)``
    or ``(n_samples, q)``. See :func:`srnn_rs.response_feature` for ``depth``, ``basis``,
    ``n_basis``, ``rates`` and ``model``.

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

    def transform(self, U: Any) -> np.ndarray:
        """The response features ``(n_samples, S)``."""
        U = as_float_array("U", U, ndim=3)
        return response_feature(U, self.dt, self.depth, basis=self.basis, n_basis=self.n_basis,
                                rates=self.rates, model=self.model)

    def fit(self, U: Any, y: Any) -> "ResponseFeatureRidge":
        U = as_float_array("U", U, ndim=3)
        Y, flat = _targets(y, U.shape[0])
        return self._solve(self._accumulate(U, Y), flat)

    def _accumulate(self, U: np.ndarray, Y: np.ndarray, first_sample: int = 0) -> _LeastSquares:
        """The least-squares factors of the blocks of samples ``first_sample ..`` (a multiple
        of ``block_size``) held in ``U`` and ``Y``."""
        block = as_int("block_size", self.block_size, minimum=1)
        acc = _LeastSquares(bool(self.fit_intercept), first_sample // block)
        for rows in _blocks(U.shape[0], block):
            acc.add(self.transform(U[rows]), Y[rows])
        return acc

    def _solve(self, acc: _LeastSquares, flat: bool) -> "ResponseFeatureRidge":
        alpha = as_positive_float("alpha", self.alpha, allow_zero=True)
        self._flat = flat
        self.coef_, self.intercept_ = acc.solve(alpha)
        self.n_features_in_ = self.coef_.shape[0]
        return self

    def predict(self, U: Any) -> np.ndarray:
        self._check_fitted()
        out = self.transform(U) @ self.coef_ + self.intercept_
        return out[:, 0] if self._flat else out


class SignatureKernelRidge(_Estimator):
    """Kernel ridge regression with the response-feature kernel ``κ(u, v) = ⟨S(X^u), S(X^v)⟩``.

    ``depth`` given: the truncated signature kernel (levels 0..depth); ``depth=None``: the
    untruncated kernel from the Goursat PDE with ``dyadic_order`` refinement and a
    ``static_kernel`` (``"linear"`` or ``"rbf"`` with ``sigma``) on the lifted path. The lifted
    path is scaled by ``scale`` first (signature kernels grow fast with path length).
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

    def _lift(self, U: Any) -> np.ndarray:
        U = as_float_array("U", U, ndim=3)
        scale = as_positive_float("scale", self.scale)
        return scale * lifted_path(U, self.dt, basis=self.basis, n_basis=self.n_basis, rates=self.rates,
                                   model=self.model)

    def _gram(self, A: np.ndarray, B: Optional[np.ndarray]) -> np.ndarray:
        from .signatures import sig_kernel_gram

        return sig_kernel_gram(A, B, depth=self.depth, dyadic_order=self.dyadic_order,
                               static_kernel=self.static_kernel, sigma=self.sigma)

    def fit(self, U: Any, y: Any) -> "SignatureKernelRidge":
        X = self._lift(U)
        Y, self._flat = _targets(y, X.shape[0])
        alpha = as_positive_float("alpha", self.alpha, allow_zero=True)
        K = self._gram(X, None)
        self.y_mean_ = Y.mean(axis=0)
        self.dual_coef_ = np.linalg.solve(K + alpha * np.eye(len(K)), Y - self.y_mean_)
        self.X_fit_ = X
        return self

    def predict(self, U: Any) -> np.ndarray:
        self._check_fitted()
        out = self._gram(self._lift(U), self.X_fit_) @ self.dual_coef_ + self.y_mean_
        return out[:, 0] if self._flat else out


class ReadoutSRNN(_Estimator):
    """The readout-only SRNN (reservoir computing): a fixed network ``model`` is driven by each
    input sequence, and a linear readout of its states is fitted by ridge.

    ``fit(U, y)``: ``U`` is ``(n_samples, T, m)`` (or one sequence ``(T, m)``). With
    ``target="sequence"``, ``y`` is ``(n_samples, T, q)`` (or ``(T, q)``/``(T,)``) and the state
    after reading ``u_t`` predicts ``y_t`` (the first ``washout`` steps are not fitted); with
    ``target="final"``, ``y`` is ``(n_samples,)`` or ``(n_samples, q)`` and the final state
    predicts it. States are averaged over ``n_noise_paths`` noise realisations per sequence
    (an estimate of the conditional mean state); ``include_input`` appends ``u_t`` to the
    features.
    """

    def __init__(self, model: Any = None, dt: float = 1.0, alpha: float = 1e-6, target: str = "sequence",
                 washout: int = 0, n_noise_paths: int = 1, include_input: bool = False, seed: int = 0,
                 h0: Any = "zero", block_size: int = 64) -> None:
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

    def _prepare(self, U: Any) -> Tuple[np.ndarray, bool]:
        if self.model is None:
            raise ValueError("model: ReadoutSRNN needs a fixed network (an srnn_rs.SRNN)")
        U = as_float_array("U", U, ndim=(2, 3))
        single = U.ndim == 2
        return (U[None] if single else U), single

    def transform(self, U: Any) -> np.ndarray:
        """The features: ``(n_samples, T, F)`` for sequences, ``(n_samples, F)`` for finals."""
        U, single = self._prepare(U)
        feats = np.concatenate(list(self._features(U)), axis=0)
        return feats[0] if single else feats

    def _features(self, U: np.ndarray, first_sample: int = 0) -> Iterator[np.ndarray]:
        target = as_choice("target", self.target, ("sequence", "final"))
        k = as_int("n_noise_paths", self.n_noise_paths, minimum=1)
        block = as_int("block_size", self.block_size, minimum=1)
        dt = as_positive_float("dt", self.dt)
        record = "final_state" if target == "final" else "state"
        for rows in _blocks(U.shape[0], block):
            u = np.repeat(U[rows], k, axis=0)
            states = self.model.simulate(u, dt, n_paths=u.shape[0], h0=self.h0, seed=as_seed(self.seed),
                                         first_path=(first_sample + rows.start) * k, record=record)
            states = states.reshape(-1, k, *states.shape[1:]).mean(axis=1)
            if target == "sequence":
                states = states[:, 1:]  # the state after reading u_t
                if self.include_input:
                    states = np.concatenate([states, U[rows]], axis=-1)
            elif self.include_input:
                states = np.concatenate([states, U[rows, -1]], axis=-1)
            yield states

    def fit(self, U: Any, y: Any) -> "ReadoutSRNN":
        U, single = self._prepare(U)
        y = as_float_array("y", y)
        if single:
            y = y[None]
        y, flat = self._targets(U.shape, y)
        return self._solve(self._accumulate(U, y), flat)

    def _targets(self, shape: Tuple[int, ...], y: np.ndarray) -> Tuple[np.ndarray, bool]:
        """``y`` checked against inputs of ``shape`` and laid out for the fit."""
        washout = as_int("washout", self.washout, minimum=0)
        if self.target == "sequence":
            if y.ndim == 2:
                y = y[..., None]
            if y.shape[:2] != shape[:2]:
                raise ValueError(f"y: expected shape ({shape[0]}, {shape[1]}, q) to match U, got {y.shape}")
            if washout >= shape[1]:
                raise ValueError(f"washout: must be below the sequence length {shape[1]}, got {washout}")
            return y, False
        return _targets(y, shape[0])

    def _accumulate(self, U: np.ndarray, y: np.ndarray, first_sample: int = 0) -> _LeastSquares:
        """The least-squares factors of the blocks of samples ``first_sample ..`` (a multiple
        of ``block_size``) held in ``U`` and ``y``."""
        washout = as_int("washout", self.washout, minimum=0)
        block = as_int("block_size", self.block_size, minimum=1)
        acc = _LeastSquares(True, first_sample // block)
        start = 0
        for feats in self._features(U, first_sample):
            rows = slice(start, start + feats.shape[0])
            start = rows.stop
            if self.target == "sequence":
                X = feats[:, washout:].reshape(-1, feats.shape[-1])
                acc.add(X, y[rows, washout:].reshape(X.shape[0], -1))
            else:
                acc.add(feats, y[rows])
        return acc

    def _solve(self, acc: _LeastSquares, flat: bool) -> "ReadoutSRNN":
        alpha = as_positive_float("alpha", self.alpha, allow_zero=True)
        self._flat = flat
        self.coef_, self.intercept_ = acc.solve(alpha)
        return self

    def predict(self, U: Any) -> np.ndarray:
        self._check_fitted()
        out = self.transform(U) @ self.coef_ + self.intercept_
        if self._flat:
            out = out[..., 0]
        return out

    def score(self, U: Any, y: Any) -> float:
        """R² over all fitted time steps (after ``washout``) and outputs."""
        pred = self.predict(U)
        y = as_float_array("y", y).reshape(pred.shape)
        if self.target == "sequence":
            w = as_int("washout", self.washout, minimum=0)
            pred, y = pred[..., w:, :], y[..., w:, :]
        resid = np.sum((y - pred) ** 2)
        total = np.sum((y - y.mean()) ** 2)
        return float(1.0 - resid / total) if total > 0 else 0.0
