"""Kernel machines: scikit-learn conventions, exact recovery where the answer is known."""

import numpy as np
import pytest

import srnn_rs
from srnn_rs.features import basis_weights, lifted_path


def test_basis_weights_are_exact_integrals():
    n_steps, dt = 40, 0.05
    T = n_steps * dt
    fine = 2000
    for basis, kw, psi in [
        ("monomial", dict(n_basis=3), lambda s: np.stack([(s / T) ** l for l in range(3)], -1)),
        ("exponential", dict(rates=[0.0, 0.7, 3.0]), lambda s: np.exp(-np.outer(T - s, [0.0, 0.7, 3.0]))),
    ]:
        w = basis_weights(n_steps, dt, basis=basis, **kw)
        for j in (0, 17, 39):
            s = np.linspace(j * dt, (j + 1) * dt, fine + 1)
            vals = psi(s)
            simpson = dt / fine / 3 * (vals[0] + vals[-1] + 4 * vals[1:-1:2].sum(0) + 2 * vals[2:-1:2].sum(0))
            np.testing.assert_allclose(w[j], simpson, rtol=1e-12, atol=1e-15)


def test_lifted_path_channels_and_rates_from_model():
    u = np.random.default_rng(0).standard_normal((3, 25, 2))
    X = lifted_path(u, 0.1, basis="monomial", n_basis=2)
    assert X.shape == (3, 26, 4) and np.all(X[:, 0] == 0)
    np.testing.assert_allclose(X[:, -1, 0:2], 0.1 * u.sum(axis=1))  # ψ_1 = 1: channels (1, k) are ∫ u^k
    net = srnn_rs.SRNN(np.diag([0.2, -0.5]), np.eye(2), gamma=1.0, activation="identity")
    Xm = lifted_path(u, 0.1, basis="exponential", rates="model", model=net)
    Xr = lifted_path(u, 0.1, basis="exponential", rates=[0.8, 1.5])
    np.testing.assert_allclose(Xm, Xr)
    with pytest.raises(ValueError, match="^rates:"):
        lifted_path(u, 0.1, basis="exponential")


def _linear_reservoir(n=6, seed=0):
    rng = np.random.default_rng(seed)
    W = 0.5 * rng.standard_normal((n, n)) / np.sqrt(n)
    return srnn_rs.SRNN(W, rng.standard_normal((n, 1)), gamma=1.0, activation="tanh", b=0.1 * rng.standard_normal(n))


def test_readout_srnn_recovers_a_linear_readout_of_its_own_states():
    net = _linear_reservoir()
    U = srnn_rs.tasks.random_inputs(5, 80, seed=1)
    states = net.simulate(U, 0.1, n_paths=5, record="state")[:, 1:]
    R = np.array([[1.0, -2.0, 0.5, 0.0, 3.0, 1.5], [0.2, 0.1, -0.3, 0.4, 0.0, -1.0]])
    y = states @ R.T + np.array([0.3, -0.7])
    est = srnn_rs.ReadoutSRNN(net, dt=0.1, alpha=0.0).fit(U, y)
    np.testing.assert_allclose(est.coef_.T, R, atol=1e-8)
    np.testing.assert_allclose(est.intercept_, [0.3, -0.7], atol=1e-8)
    assert est.score(U, y) > 1 - 1e-12
    U_new = srnn_rs.tasks.random_inputs(2, 80, seed=2)
    y_new = net.simulate(U_new, 0.1, n_paths=2, record="state")[:, 1:] @ R.T + [0.3, -0.7]
    np.testing.assert_allclose(est.predict(U_new), y_new, atol=1e-8)


def test_readout_srnn_final_target_and_noise_averaging():
    net = srnn_rs.SRNN(0.3 * np.eye(3), np.ones((3, 1)), gamma=1.0, sigma=0.3, activation="tanh")
    U = srnn_rs.tasks.random_inputs(30, 40, seed=3)
    clean = srnn_rs.SRNN(0.3 * np.eye(3), np.ones((3, 1)), gamma=1.0, activation="tanh")
    y = clean.simulate(U, 0.1, n_paths=30, record="final_state") @ np.array([1.0, 2.0, -1.0])
    noisy = srnn_rs.ReadoutSRNN(net, dt=0.1, target="final", alpha=1e-8, n_noise_paths=1).fit(U, y)
    averaged = srnn_rs.ReadoutSRNN(net, dt=0.1, target="final", alpha=1e-8, n_noise_paths=64).fit(U, y)
    assert averaged.predict(U).shape == (30,)
    # Averaging states over noise paths estimates the conditional mean state, so the fit improves.
    assert averaged.score(U, y) > noisy.score(U, y)


def test_readout_srnn_is_deterministic_and_split_invariant():
    net = srnn_rs.SRNN(0.3 * np.eye(3), np.ones((3, 1)), sigma=0.2)
    U = srnn_rs.tasks.random_inputs(7, 30, seed=4)
    a = srnn_rs.ReadoutSRNN(net, dt=0.1, n_noise_paths=3, block_size=2).run(U)
    b = srnn_rs.ReadoutSRNN(net, dt=0.1, n_noise_paths=3, block_size=64).run(U)
    assert np.array_equal(a, b)


def test_narma10_beats_linear_baseline():
    u, y = srnn_rs.tasks.narma10(2600, seed=1, washout=100)
    rng = np.random.default_rng(0)
    n = 100
    net = srnn_rs.SRNN(0.9 * rng.standard_normal((n, n)) / np.sqrt(n), rng.uniform(-0.5, 0.5, (n, 1)),
                       gamma=1.0, activation="tanh", b=0.1 * rng.standard_normal(n))
    est = srnn_rs.ReadoutSRNN(net, dt=1.0, alpha=1e-8, washout=50, include_input=True).fit(u[:2000], y[:2000])
    pred = est.predict(u[2000:])[50:]
    nrmse = np.sqrt(np.mean((pred - y[2050:]) ** 2)) / np.std(y[2050:])
    # Linear baseline: ridge on the last 10 inputs.
    lags = np.stack([np.roll(u[:, 0], k) for k in range(10)], axis=1)[10:]
    A = np.c_[lags, np.ones(len(lags))]
    w = np.linalg.lstsq(A[:1990], y[10:2000], rcond=None)[0]
    base = np.sqrt(np.mean((A[2040:] @ w - y[2050:]) ** 2)) / np.std(y[2050:])
    assert nrmse < 0.8 * base, (nrmse, base)


@pytest.mark.parametrize("cls", [srnn_rs.ReadoutSRNN, srnn_rs.ResponseFeatureRidge, srnn_rs.SignatureKernelRidge])
def test_estimator_parameter_protocol(cls):
    est = cls()
    params = est.get_params()
    clone = cls(**params)
    assert clone.get_params() == params
    est.set_params(alpha=0.5)
    assert est.get_params()["alpha"] == 0.5
    with pytest.raises(ValueError, match="^nonsense:"):
        est.set_params(nonsense=1)
    # NotFittedError: sklearn's when installed, else a local class with the same two bases.
    with pytest.raises(ValueError, match="not fitted") as info:
        est.predict(np.zeros((2, 5, 1)))
    assert isinstance(info.value, AttributeError) and type(info.value).__name__ == "NotFittedError"
    assert repr(est).startswith(cls.__name__ + "(")


def test_sklearn_clone_and_cross_validation():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    net = _linear_reservoir()
    est = srnn_rs.ReadoutSRNN(net, dt=0.1, target="final", alpha=1e-6)
    assert clone(est).get_params()["alpha"] == 1e-6
    U = srnn_rs.tasks.random_inputs(40, 20, seed=5)
    y = net.simulate(U, 0.1, n_paths=40, record="final_state")[:, 0]
    scores = cross_val_score(est, U, y, cv=4)
    assert scores.min() > 0.99
    del sklearn


def test_not_fitted_error_without_sklearn(monkeypatch):
    # A None entry in sys.modules makes the import fail as if scikit-learn were not installed.
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.exceptions", None)
    err = srnn_rs.machines.NotFittedError
    assert err.__module__ == "srnn_rs.machines" and issubclass(err, ValueError) and issubclass(err, AttributeError)
    with pytest.raises(err, match="not fitted"):
        srnn_rs.ResponseFeatureRidge().predict(np.zeros((2, 5, 1)))
