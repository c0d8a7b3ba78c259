"""Response features: exact level-1 representation for linear networks, gains from depth for
nonlinear ones, and the scikit-learn behaviours of the estimators built on them."""

import subprocess
import sys

import numpy as np
import pytest

import srnn_rs


def exact_linear_mean(net, u, dt):
    """E[y_T] of a linear SRNN started from its stationary mean, by the exact recursion of the
    ODE with piecewise-constant input: m ← e^{−A dt} m + A⁻¹(I − e^{−A dt})(b + C u_j)."""
    p = net.params
    A = net.gamma_matrix - p["W"]
    a = np.diag(A)
    assert np.allclose(A, np.diag(a))
    decay = np.exp(-a * dt)
    m = p["b"] / a
    out = []
    for seq in u:
        h = m.copy()
        for uj in seq:
            h = decay * h + (1 - decay) / a * (p["b"] + p["C"] @ uj)
        out.append(p["readout"] @ h + p["readout_bias"])
    return np.array(out)


def test_linear_network_mean_output_is_level_one_functional_of_response_feature():
    rng = np.random.default_rng(0)
    n, m, dt, T = 4, 2, 0.1, 30
    net = srnn_rs.SRNN(np.diag([0.3, -0.2, 0.5, 0.1]), rng.standard_normal((n, m)), gamma=1.0,
                       b=rng.standard_normal(n), sigma=0.3, activation="identity",
                       readout=rng.standard_normal((2, n)), readout_bias=np.array([0.5, -1.0]))
    U = srnn_rs.tasks.random_inputs(160, T, m, seed=1)
    y = exact_linear_mean(net, U, dt)
    est = srnn_rs.ResponseFeatureRidge(dt=dt, depth=1, basis="exponential", rates="model", model=net,
                                       n_basis=None, alpha=0.0).fit(U[:40], y[:40])
    # Coefficients of X^{(l,k)} (rates sorted ascending) are R[:, l] C[l, k].
    p = net.params
    order = np.argsort(np.diag(net.gamma_matrix - p["W"]))
    want = np.stack([p["readout"][:, order[l]] * p["C"][order[l], k] for l in range(n) for k in range(m)])
    np.testing.assert_allclose(est.coef_, want, rtol=1e-9, atol=1e-10)
    A = np.diag(net.gamma_matrix - p["W"])
    np.testing.assert_allclose(est.intercept_, p["readout"] @ (p["b"] / A) + p["readout_bias"], atol=1e-10)
    np.testing.assert_allclose(est.predict(U[40:]), y[40:], rtol=1e-10, atol=1e-10)
    # Deeper features add nothing: with more samples than the 8 + 64 features the exact fit is
    # unique, its level-2 coefficients vanish (up to round-off amplified by the strongly
    # collinear exponential features) and held-out predictions stay exact.
    deeper = srnn_rs.ResponseFeatureRidge(dt=dt, depth=2, basis="exponential", rates="model", model=net,
                                          n_basis=None, alpha=0.0).fit(U[:130], y[:130])
    assert np.abs(deeper.coef_[n * m:]).max() < 1e-6
    np.testing.assert_allclose(deeper.predict(U[130:]), y[130:], rtol=1e-9, atol=1e-9)
    # The monomial basis cannot represent these exponentials exactly.
    mono = srnn_rs.ResponseFeatureRidge(dt=dt, depth=1, n_basis=4, alpha=0.0).fit(U[:40], y[:40])
    assert np.abs(mono.predict(U[40:]) - y[40:]).max() > 1e-6


def test_deeper_response_features_predict_a_nonlinear_network_better():
    rng = np.random.default_rng(2)
    n, dt, T, noise_paths = 6, 0.05, 50, 100
    net = srnn_rs.SRNN(1.5 * rng.standard_normal((n, n)) / np.sqrt(n), 1.5 * rng.standard_normal((n, 1)),
                       b=0.5 * rng.standard_normal(n), sigma=0.2, activation="tanh",
                       readout=rng.standard_normal((1, n)))
    U = srnn_rs.tasks.random_inputs(240, T, amplitude=1.5, smoothness=5, seed=3)
    # Conditional means with the same noise paths for every input (common random numbers).
    y = np.array([
        net.simulate(np.repeat(u[None], noise_paths, 0), dt, n_paths=noise_paths, h0="stationary", burn_in=5.0,
                     seed=0, record="final")[:, 0].mean()
        for u in U
    ])
    tr, te = slice(0, 160), slice(160, None)

    def nrmse(depth):
        est = srnn_rs.ResponseFeatureRidge(dt=dt, depth=depth, n_basis=4, alpha=1e-6).fit(U[tr], y[tr])
        return np.sqrt(np.mean((est.predict(U[te]) - y[te]) ** 2)) / np.std(y[te])

    e1, e2, e3 = nrmse(1), nrmse(2), nrmse(3)
    assert e2 < 0.95 * e1 and e3 < 0.6 * e1, (e1, e2, e3)


def test_response_feature_shapes_and_stream():
    u = np.random.default_rng(0).standard_normal((3, 20, 2))
    z = srnn_rs.response_feature(u, 0.1, 2, n_basis=2)
    assert z.shape == (3, 4 + 16)
    zs = srnn_rs.response_feature(u, 0.1, 2, n_basis=2, stream=True)
    assert zs.shape == (3, 20, 20)
    np.testing.assert_allclose(zs[:, -1], z, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(z[:, :4], srnn_rs.lifted_path(u, 0.1, n_basis=2)[:, -1])
    with pytest.raises(ValueError, match="^depth:"):
        srnn_rs.response_feature(u, 0.1, 0)
    with pytest.raises(ValueError, match="^basis:"):
        srnn_rs.response_feature(u, 0.1, 2, basis="fourier")


def test_refit_replaces_the_previous_fit_and_target_shapes_are_kept():
    U = srnn_rs.tasks.random_inputs(30, 10, seed=0)
    y1 = U.sum(axis=(1, 2))
    y2 = np.stack([U[:, :, 0].mean(1), U[:, -1, 0]], axis=1)
    est = srnn_rs.ResponseFeatureRidge(dt=0.1, depth=2, n_basis=2)
    est.fit(U, y1)
    assert est.predict(U).shape == (30,)
    est.fit(U, y2)
    fresh = srnn_rs.ResponseFeatureRidge(dt=0.1, depth=2, n_basis=2).fit(U, y2)
    assert est.predict(U).shape == (30, 2)
    assert np.array_equal(est.predict(U), fresh.predict(U))
    with pytest.raises(ValueError, match="^y:"):
        est.fit(U, y1[:5])


def test_signature_kernel_ridge_matches_feature_ridge_for_truncated_kernel():
    # With the truncated kernel, kernel ridge equals ridge on [1, S(X)] features (same penalty).
    U = srnn_rs.tasks.random_inputs(25, 12, seed=4)
    y = np.tanh(U.sum(axis=(1, 2)))
    alpha = 1e-3
    kr = srnn_rs.SignatureKernelRidge(dt=0.1, depth=2, n_basis=2, alpha=alpha).fit(U[:20], y[:20])
    Z = np.c_[np.ones(25), srnn_rs.response_feature(U, 0.1, 2, n_basis=2)]
    Ztr, ytr = Z[:20], y[:20] - y[:20].mean()
    w = Ztr.T @ np.linalg.solve(Ztr @ Ztr.T + alpha * np.eye(20), ytr)
    np.testing.assert_allclose(kr.predict(U[20:]), Z[20:] @ w + y[:20].mean(), rtol=1e-8, atol=1e-10)


def test_demo_runs_small_and_reports_every_part():
    out = subprocess.run([sys.executable, "-m", "srnn_rs", "demo", "--scale", "0.1", "--figure", ""],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    for part in ("1. Simulate", "2. Response kernels", "3. Volterra", "4. Kernel machines", "5. Readout-only SRNN",
                 "bit for bit: True", "7. Lyapunov exponents", "σ = 1.0: λ1 = -"):
        assert part in out.stdout
    helped = subprocess.run([sys.executable, "-m", "srnn_rs", "demo", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "--scale" in helped.stdout
