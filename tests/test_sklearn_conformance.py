"""scikit-learn conformance of the kernel machines: the full ``check_estimator`` suite, with every
check that cannot pass listed and explained, and the API points it does not cover (nested
parameters of the network, ``NotFittedError``, ``n_features_in_`` on 3-D sequences)."""

import unittest

import numpy as np
import pytest

import srnn_rs

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402


def _network(sigma=0.1, n=6, seed=0):
    rng = np.random.default_rng(seed)
    return srnn_rs.SRNN(0.5 * rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, 1)),
                        b=0.1 * rng.standard_normal(n), sigma=sigma, activation="tanh")


# Small settings keep the ~170 checks to a few seconds; the network is noisy on purpose, so the
# checks see the noise-path bookkeeping too.
ESTIMATORS = [
    srnn_rs.ResponseFeatureRidge(dt=0.1, depth=2),
    srnn_rs.SignatureKernelRidge(dt=0.1, depth=2),
    srnn_rs.ReadoutSRNN(_network(), dt=0.1, target="final", n_noise_paths=2),
]

# The checks feed 2-D X (n_samples, n_features) and count features as X.shape[1]. These are
# sequence models: a 2-D U is (n_samples, T), one input channel, so n_features_in_ = m = 1 and
# U with another number of columns is a sequence of another length, which is legitimate input.
_CHANNELS = ("n_features_in_ counts input channels m; a 2-D X is read as (n_samples, T) one-channel "
             "sequences, so n_features_in_ = 1 != X.shape[1], and a different number of columns is a "
             "sequence of another length, valid input rather than a feature mismatch")
EXPECTED_FAILED = {
    "ResponseFeatureRidge": {
        "check_n_features_in": _CHANNELS,
        "check_n_features_in_after_fitting": _CHANNELS,
        "check_transformer_general": _CHANNELS,
    },
    "SignatureKernelRidge": {
        "check_n_features_in": _CHANNELS,
        "check_n_features_in_after_fitting": _CHANNELS,
    },
    "ReadoutSRNN": {
        "check_n_features_in": _CHANNELS,
        "check_n_features_in_after_fitting": _CHANNELS,
        "check_transformer_general": _CHANNELS,
        "check_estimators_partial_fit_n_features": _CHANNELS,
        "check_methods_sample_order_invariance": (
            "with sigma > 0 the noise of sample i is that of path i (a pure function of seed, path "
            "and step), so reordering the samples reassigns noise realisations"),
        "check_methods_subset_invariance": (
            "with sigma > 0 the noise of sample i is that of path i, so a subset draws other noise"),
        "check_dict_unchanged": (
            "predict/transform keep the network's final state so that a later call with "
            "reset=False continues from it (stateful reservoir runs)"),
    },
}


# Checks scikit-learn itself skips here, none of them for a fault of the estimators.
ALLOWED_SKIPS = {
    "check_array_api_input": "runs only with SCIPY_ARRAY_API=1 and an array-API library; srnn_rs "
                             "computes in NumPy (array_api_support=False)",
    "check_regressor_data_not_an_array": "its pandas variant needs pandas (in tests/requirements.txt)",
}


def _expected_failed(estimator):
    return EXPECTED_FAILED[type(estimator).__name__]


def _check_name(check):
    return getattr(check, "func", check).__name__


# xfail_strict: an expected failure that starts passing fails the test, so no stale reason stays.
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed, xfail_strict=True)
def test_sklearn_check_estimator(estimator, check):
    try:
        check(estimator)
    except unittest.SkipTest:
        assert _check_name(check) in ALLOWED_SKIPS, _check_name(check)
        raise


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_not_fitted_error_before_fit(est):
    est = clone(est)
    U = np.zeros((3, 5, 1))
    with pytest.raises(NotFittedError, match="not fitted"):
        est.predict(U)
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    assert srnn_rs.machines.NotFittedError is NotFittedError


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_n_features_in_is_the_number_of_channels(est):
    rng = np.random.default_rng(1)
    m = 1 if isinstance(est, srnn_rs.ReadoutSRNN) else 3
    U = rng.standard_normal((12, 7, m))
    y = rng.standard_normal(12)
    fitted = clone(est).fit(U, y)
    assert fitted.n_features_in_ == m
    with pytest.raises(ValueError, match="^U:"):
        fitted.predict(rng.standard_normal((4, 7, m + 1)))
    # A 2-D U is (n_samples, T), one channel: the same as the explicit 3-D form.
    one = clone(est).fit(U[:, :, 0], y)
    assert one.n_features_in_ == 1
    np.testing.assert_array_equal(one.predict(U[:, :, :1]), clone(est).fit(U[:, :, :1], y).predict(U[:, :, :1]))


def test_nested_params_of_the_network_and_grid_search():
    net = _network(sigma=0.3)
    est = srnn_rs.ReadoutSRNN(net, dt=0.1, target="final", n_noise_paths=4)
    deep = est.get_params(deep=True)
    assert float(deep["model__sigma"]) == 0.3 and "model__W" in deep
    assert "model__sigma" not in est.get_params(deep=False)
    est.set_params(model__sigma=0.0, alpha=1e-3)
    assert float(est.model.params["sigma"]) == 0.0 and est.alpha == 1e-3
    assert float(net.params["sigma"]) == 0.3  # the network given is not changed (networks are immutable)
    np.testing.assert_array_equal(est.model.params["W"], net.params["W"])
    with pytest.raises(ValueError, match="^model__nonsense:"):
        est.set_params(model__nonsense=1)

    # A grid over the network's noise: noise-free states fit a noise-free teacher best.
    U = srnn_rs.tasks.random_inputs(60, 20, seed=3)
    y = _network(sigma=0.0).simulate(U, 0.1, n_paths=60, record="final_state") @ np.arange(1.0, 7.0)
    grid = GridSearchCV(srnn_rs.ReadoutSRNN(net, dt=0.1, target="final", alpha=1e-8),
                        {"model__sigma": [0.0, 0.5]}, cv=3).fit(U, y)
    assert grid.best_params_ == {"model__sigma": 0.0}
    assert grid.best_score_ > 1 - 1e-6


@pytest.mark.parametrize("est", ESTIMATORS[:1] + ESTIMATORS[2:], ids=lambda e: type(e).__name__)
def test_fit_transform_equals_fit_then_transform(est):
    U = srnn_rs.tasks.random_inputs(10, 8, seed=4)
    y = U[:, -1, 0]
    a = clone(est).fit_transform(U, y)
    b = clone(est).fit(U, y).transform(U)
    np.testing.assert_array_equal(a, b)
    assert a.ndim == 2 and a.shape[0] == 10
