"""Response kernels and stationary statistics against closed forms and against each other.

Tolerances are multiples of the reported standard errors, plus the O(dt) gap between the
Euler–Maruyama chain (what the Monte Carlo estimators target) and the continuous SDE where a
continuous-time closed form is the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

import srnn_rs
from srnn_rs import SRNN, correlation_function, response_kernels, stationary_stats

DT = 0.02


def linear_net(sigma=0.5):
    rng = np.random.default_rng(3)
    n = 3
    W = 0.3 * rng.standard_normal((n, n))
    C = rng.standard_normal((n, 2))
    R = rng.standard_normal((2, n))
    return SRNN(W, C, sigma=sigma, activation="identity", readout=R, readout_bias=[0.2, -0.1],
                b=np.array([0.1, -0.2, 0.3]))


def chain_kernel(net, dt, n_lags):
    """``R (I − dt A)^i C``: the exact kernel of the Euler–Maruyama chain of a linear network."""
    p = net.get_params()
    A = net.gamma_matrix - p["W"]
    step = np.eye(net.n) - dt * A
    R = p["readout"] if p["readout"] is not None else np.eye(net.n)
    out, prop = [], p["C"].copy()
    for _ in range(n_lags):
        out.append(R @ prop)
        prop = step @ prop
    return np.array(out)


def continuous_kernel(net, lags):
    """``R e^{−Aτ} C`` by eigendecomposition (independent of the Rust scaling-and-squaring)."""
    p = net.get_params()
    A = net.gamma_matrix - p["W"]
    lam, V = np.linalg.eig(A)
    Vi = np.linalg.inv(V)
    R = p["readout"]
    return np.array([(R @ (V * np.exp(-lam * t)) @ Vi @ p["C"]).real for t in lags])


def assert_within(values, want, stderr, k=5.0, slack=0.0, what=""):
    err = np.abs(values - want)
    bound = k * stderr + slack
    bad = err > bound
    assert not bad.any(), f"{what}: {bad.sum()} entries out of tolerance; worst excess {np.max(err - bound):.3g}"


# -- linear networks: every estimator against the exact kernel ---------------------------------

@pytest.fixture(scope="module")
def lin():
    return linear_net()


def test_exact_kernel_is_the_matrix_exponential(lin):
    k = response_kernels(lin, dt=DT, max_lag=2.0, method="exact")
    assert k.values.shape == (101, 2, 2) and k.lags.shape == (101,)
    np.testing.assert_allclose(k.values, continuous_kernel(lin, k.lags), atol=1e-11)
    assert np.all(k.stderr == 0) and k.n_paths == 0
    # the chain's kernel is the continuous one up to O(dt)
    gap = np.abs(k.values - chain_kernel(lin, DT, 101)).max()
    gap_fine = np.abs(response_kernels(lin, dt=DT / 4, max_lag=2.0, method="exact").values[::4]
                      - chain_kernel(lin, DT / 4, 401)[::4]).max()
    assert 3.0 < gap / gap_fine < 5.0
    k2 = response_kernels(lin, dt=DT, max_lag=0.2, method="exact", order=2)
    assert k2.values.shape == (11, 11, 2, 2, 2) and not k2.values.any()


def test_exact_stationary_mean_is_inverse_drift(lin):
    k = response_kernels(lin, dt=DT, max_lag=0.1, method="exact")
    p = lin.get_params()
    mu = np.linalg.solve(lin.gamma_matrix - p["W"], p["b"])
    np.testing.assert_allclose(k.mean, p["readout"] @ mu + p["readout_bias"], atol=1e-12)


def test_adjoint_is_exact_on_a_linear_network(lin):
    k = response_kernels(lin, dt=DT, max_lag=1.0, n_paths=40, seed=2)
    assert k.method == "adjoint" and k.values.shape == (51, 2, 2)
    np.testing.assert_allclose(k.values, chain_kernel(lin, DT, 51), atol=1e-12)
    assert k.stderr.max() < 1e-12
    exact = response_kernels(lin, dt=DT, max_lag=1.0, method="exact")
    np.testing.assert_allclose(k.values, exact.values, atol=0.02)


def test_fd_matches_the_chain_kernel(lin):
    k = response_kernels(lin, dt=DT, max_lag=0.5, method="fd", n_paths=8, seed=2)
    np.testing.assert_allclose(k.values, chain_kernel(lin, DT, 26), atol=1e-8)


def test_girsanov_matches_within_standard_errors(lin):
    k = response_kernels(lin, dt=DT, max_lag=1.0, method="girsanov", n_paths=4000, seed=5)
    want = chain_kernel(lin, DT, 51)
    assert_within(k.values, want, k.stderr, what="girsanov")
    z = np.abs(k.values - want) / k.stderr
    assert 0.4 < np.median(z) < 1.0, "standard errors should be honest (median |z| ≈ 0.67)"
    kb = response_kernels(lin, dt=DT, max_lag=1.0, method="girsanov", n_paths=4000, seed=5, bin_width=5)
    assert kb.values.shape == (11, 2, 2)
    np.testing.assert_allclose(kb.lags, DT * np.r_[5 * np.arange(10) + 2.0, 50.0])
    binned_truth = np.array([want[5 * b: 5 * b + 5].mean(axis=0) for b in range(11)])
    assert_within(kb.values, binned_truth, kb.stderr, what="girsanov binned")
    assert kb.stderr[:10].mean() < 0.6 * k.stderr.mean()


def test_fdt_gauss_is_exact_for_a_linear_network(lin):
    k = response_kernels(lin, dt=DT, max_lag=1.0, method="fdt_gauss", n_paths=1000, seed=7)
    assert_within(k.values, chain_kernel(lin, DT, 51), k.stderr, slack=0.01, what="fdt_gauss")


def test_order_two_vanishes_for_a_linear_network(lin):
    fd2 = response_kernels(lin, dt=0.05, max_lag=0.2, order=2, method="fd", n_paths=4, seed=1)
    assert fd2.values.shape == (5, 5, 2, 2, 2)
    assert np.abs(fd2.values).max() < 1e-6
    adj2 = response_kernels(lin, dt=0.05, max_lag=0.2, order=2, n_paths=4, seed=1)
    assert adj2.method == "adjoint" and adj2.values.shape == (5, 5, 2, 2, 2)
    assert not adj2.values.any() and not adj2.stderr.any()
    g2 = response_kernels(lin, dt=0.05, max_lag=0.2, order=2, method="girsanov", n_paths=3000, seed=1)
    assert_within(g2.values, 0.0, g2.stderr, what="girsanov K2 of a linear network")


def test_stationary_stats_match_lyapunov(lin):
    st = stationary_stats(lin, dt=0.01, n_paths=1000, window=2.0, stride=10, seed=3)
    p = lin.get_params()
    A = lin.gamma_matrix - p["W"]
    mu = np.linalg.solve(A, p["b"])
    Q = 0.25 * np.eye(3)
    cov = np.linalg.solve(np.kron(A, np.eye(3)) + np.kron(np.eye(3), A), Q.ravel()).reshape(3, 3)
    assert_within(st.mean_state, mu, st.mean_state_stderr, what="mean")
    assert_within(st.cov_state, cov, st.cov_state_stderr, slack=0.01 * np.abs(cov).max(), what="cov")
    R = p["readout"]
    assert_within(st.mean_readout, R @ mu + p["readout_bias"], st.mean_readout_stderr, what="readout mean")
    assert_within(st.cov_readout, R @ cov @ R.T, st.cov_readout_stderr, slack=0.01 * np.abs(R @ cov @ R.T).max(),
                  what="readout cov")
    assert st.cov_state_stderr.max() < 0.1 * np.abs(cov).max()
    ex = stationary_stats(lin, dt=0.01, method="exact")
    np.testing.assert_allclose(ex.cov_state, cov, atol=1e-12)
    np.testing.assert_allclose(ex.mean_readout, R @ mu + p["readout_bias"], atol=1e-12)
    with pytest.raises(ValueError, match="linear"):
        stationary_stats(SRNN(np.eye(2), np.ones((2, 1)), sigma=0.1), dt=0.01, method="exact")


def test_correlation_function_of_a_linear_network(lin):
    cf = correlation_function(lin, dt=DT, max_lag=1.0, g="state", n_paths=1000, seed=4)
    p = lin.get_params()
    A = lin.gamma_matrix - p["W"]
    mu = np.linalg.solve(A, p["b"])
    cov = np.linalg.solve(np.kron(A, np.eye(3)) + np.kron(np.eye(3), A), 0.25 * np.eye(3).ravel()).reshape(3, 3)
    step = np.eye(3) - DT * A
    R = p["readout"]
    want = np.array([R @ (np.linalg.matrix_power(step, i) @ cov + np.outer(mu, mu)) + np.outer(p["readout_bias"], mu)
                     for i in range(51)])
    assert cf.values.shape == (51, 2, 3)
    assert_within(cf.values, want, cf.stderr, slack=0.02 * np.abs(want).max(), what="correlation")


# -- a 1-D gradient network with a closed-form stationary density -------------------------------
# dh = (−h + tanh(w h)) dt + σ dB  is gradient, U = h²/2 − log cosh(w h)/w, ρ∞ ∝ exp(−2U/σ²):
# the score is 2 b(h)/σ², so the exact FDT is K1(τ) = −(2/σ²) E[f(h_τ) b(h_0)] c.

SIGMA1 = 0.7


@pytest.fixture(scope="module")
def grad1():
    return SRNN([[1.4]], [[1.0]], sigma=SIGMA1, activation="tanh", readout_activation="tanh",
                readout=[[1.5]], readout_bias=[0.3])


@pytest.fixture(scope="module")
def grad1_kernels(grad1):
    kw = dict(dt=0.01, max_lag=1.5, seed=11, burn_in=15.0)
    adj = response_kernels(grad1, n_paths=4000, **kw)
    cf = correlation_function(grad1, g="drift", n_paths=4000, n_origins=16, origin_spacing=0.5, **kw)
    return adj, cf


def test_stationary_density_is_the_gibbs_law(grad1):
    st = stationary_stats(grad1, dt=0.01, n_paths=2000, window=5.0, stride=25, seed=1, burn_in=15.0)
    h = np.linspace(-5, 5, 20001)
    w = 1.4
    rho = np.exp(-2 * (h ** 2 / 2 - np.log(np.cosh(w * h)) / w) / SIGMA1 ** 2)
    rho /= rho.sum()
    var = (rho * h ** 2).sum()
    assert_within(st.cov_state[0, 0], var, st.cov_state_stderr[0, 0], slack=0.02 * var, what="variance")
    assert_within(st.mean_state[0], 0.0, st.mean_state_stderr[0], what="mean")


def test_exact_fdt_adjoint_girsanov_fd_agree(grad1, grad1_kernels):
    adj, cf = grad1_kernels
    fdt = -(2.0 / SIGMA1 ** 2) * cf.values[:, :, :1]  # c = 1
    fdt_se = (2.0 / SIGMA1 ** 2) * cf.stderr[:, :, :1]
    se = np.hypot(adj.stderr, fdt_se)
    # the chain's stationary law differs from ρ∞ by O(dt): allow 2% of the kernel's scale
    assert_within(adj.values, fdt, se, slack=0.02 * np.abs(adj.values).max(), what="adjoint vs exact FDT")
    gir = response_kernels(grad1, dt=0.01, max_lag=1.5, method="girsanov", n_paths=4000, seed=12,
                           burn_in=15.0, bin_width=10)
    adj_binned = np.array([adj.values[10 * b: 10 * b + 10].mean(axis=0) for b in range(gir.values.shape[0])])
    assert_within(gir.values, adj_binned, np.hypot(gir.stderr, adj.stderr[::10][: len(gir.values)]),
                  what="girsanov vs adjoint")
    fd = response_kernels(grad1, dt=0.01, max_lag=1.5, method="fd", n_paths=64, seed=11, burn_in=15.0)
    adj_same = response_kernels(grad1, dt=0.01, max_lag=1.5, n_paths=64, seed=11, burn_in=15.0)
    np.testing.assert_allclose(fd.values, adj_same.values, rtol=1e-6, atol=1e-9)


def test_fdt_gauss_is_biased_for_a_non_gaussian_law(grad1, grad1_kernels):
    adj, _ = grad1_kernels
    g = response_kernels(grad1, dt=0.01, max_lag=1.5, method="fdt_gauss", n_paths=4000, seed=11, burn_in=15.0)
    # the readout is nonlinear, so the Gaussian closure misses the kernel at short lags
    gap = np.abs(g.values[:20] - adj.values[:20])
    assert (gap > 5 * np.hypot(g.stderr[:20], adj.stderr[:20])).any()


# -- a multi-dimensional non-gradient tanh network ----------------------------------------------

@pytest.fixture(scope="module")
def tanh4():
    rng = np.random.default_rng(8)
    n = 4
    W = 1.2 * rng.standard_normal((n, n)) / np.sqrt(n)  # not symmetric: no gradient structure
    return SRNN(W, rng.standard_normal((n, 2)), b=0.3 * rng.standard_normal(n), sigma=0.4,
                gamma=np.linspace(1.0, 1.6, n), readout=rng.standard_normal((2, n)),
                readout_activation="sigmoid")


def test_adjoint_equals_fd_on_the_same_noise(tanh4):
    kw = dict(dt=0.02, max_lag=0.6, n_paths=12, seed=3)
    adj = response_kernels(tanh4, **kw)
    fd = response_kernels(tanh4, method="fd", eps=1e-5, **kw)
    scale = np.abs(adj.values).max()
    assert np.abs(adj.values - fd.values).max() < 1e-7 * scale
    np.testing.assert_allclose(adj.mean, fd.mean, rtol=1e-14)


def test_order_two_fd_vs_girsanov():
    net = SRNN([[0.8, -0.5], [0.6, 0.4]], [[1.0], [0.5]], b=[0.4, -0.3], sigma=0.8,
               readout=[[1.2, -0.7]], readout_activation="tanh", readout_bias=[0.6])
    kw = dict(dt=0.05, max_lag=0.45, order=2, seed=21)
    fd = response_kernels(net, method="fd", n_paths=1000, **kw)
    gir = response_kernels(net, method="girsanov", n_paths=40000, bin_width=5, **kw)
    assert fd.values.shape == (10, 10, 1, 1, 1) and gir.values.shape == (2, 2, 1, 1, 1)
    np.testing.assert_allclose(fd.values, np.swapaxes(fd.values, 0, 1))
    fdb = fd.values.reshape(2, 5, 2, 5).mean(axis=(1, 3)).reshape(2, 2, 1, 1, 1)
    fdb_se = fd.stderr.reshape(2, 5, 2, 5).mean(axis=(1, 3)).reshape(2, 2, 1, 1, 1)
    assert np.abs(fdb).max() > 5 * fdb_se.max(), "K2 should be clearly nonzero here"
    assert_within(gir.values, fdb, np.hypot(gir.stderr, fdb_se), what="girsanov K2 vs fd K2")
    adj = response_kernels(net, n_paths=4000, **kw)
    assert adj.method == "adjoint" and adj.values.shape == (10, 10, 1, 1, 1)
    assert_within(adj.values, fd.values, np.hypot(adj.stderr, fd.stderr), what="adjoint K2 vs fd K2")
    adjb = adj.values.reshape(2, 5, 2, 5).mean(axis=(1, 3)).reshape(2, 2, 1, 1, 1)
    adjb_se = adj.stderr.reshape(2, 5, 2, 5).mean(axis=(1, 3)).reshape(2, 2, 1, 1, 1)
    assert_within(gir.values, adjb, np.hypot(gir.stderr, adjb_se), what="girsanov K2 vs adjoint K2")
    # same paths, same noise: the pathwise values are fd's limit, far below the SE
    same = response_kernels(net, method="fd", n_paths=50, eps=1e-3, **kw)
    small = response_kernels(net, n_paths=50, **kw)
    assert np.abs(same.values - small.values).max() < 1e-3 * np.abs(small.values).max()
    assert (adj.stderr < fd.stderr).all()


# -- validation ---------------------------------------------------------------------------------

def test_methods_that_do_not_apply_say_why(lin, tanh4):
    with pytest.raises(ValueError, match="linear"):
        response_kernels(tanh4, dt=0.01, max_lag=0.1, method="exact")
    mult = SRNN(np.zeros((2, 2)), np.ones((2, 1)), sigma=0.1, sigma_mult=0.2)
    with pytest.raises(ValueError, match="additive"):
        response_kernels(mult, dt=0.01, max_lag=0.1, method="girsanov", n_paths=4)
    partial = SRNN(np.zeros((2, 2)), [[1.0], [1.0]], sigma=[0.5, 0.0])
    with pytest.raises(ValueError, match="span"):
        response_kernels(partial, dt=0.01, max_lag=0.1, method="girsanov", n_paths=4)
    with pytest.raises(ValueError, match="first-order"):
        response_kernels(tanh4, dt=0.01, max_lag=0.1, method="fdt_gauss", order=2)
    unstable = SRNN(2.0 * np.eye(2), np.ones((2, 1)), activation="identity", sigma=0.1)
    with pytest.raises(ValueError, match="positive stable"):
        response_kernels(unstable, dt=0.01, max_lag=0.1, method="exact")


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(dt=0.0), ValueError, "dt"),
    (dict(dt=-1.0), ValueError, "dt"),
    (dict(max_lag=-1.0), ValueError, "max_lag"),
    (dict(order=3), ValueError, "order"),
    (dict(method="magic"), ValueError, "method"),
    (dict(n_paths=1), ValueError, "n_paths"),
    (dict(n_paths=2.5), TypeError, "n_paths"),
    (dict(bin_width=2), ValueError, "bin_width"),
    (dict(method="fd", eps=-1.0), ValueError, "eps"),
    (dict(seed=-1), ValueError, "seed"),
])
def test_bad_arguments_are_named(lin, kwargs, exc, match):
    base = dict(dt=0.01, max_lag=0.1, n_paths=4)
    base.update(kwargs)
    with pytest.raises(exc, match=match):
        response_kernels(lin, **base)


def test_model_must_be_an_srnn():
    with pytest.raises(TypeError, match="model"):
        response_kernels("net", dt=0.01, max_lag=0.1)
    with pytest.raises(ValueError, match="g"):
        correlation_function(linear_net(), dt=0.01, max_lag=0.1, g="nonsense")


def test_memory_limit_is_checked_before_work(lin):
    old = srnn_rs.get_memory_limit()
    srnn_rs.set_memory_limit(10_000)
    try:
        with pytest.raises(srnn_rs.MemoryLimitError):
            response_kernels(lin, dt=0.01, max_lag=1.0, order=2, method="fd", n_paths=4)
        srnn_rs.set_memory_limit(20 * 2**20)
        with pytest.raises(srnn_rs.MemoryLimitError, match="adjoint"):
            response_kernels(lin, dt=0.001, max_lag=100.0, n_paths=4)
        with pytest.raises(srnn_rs.MemoryLimitError, match="correlation"):
            correlation_function(lin, dt=0.001, max_lag=100.0, n_paths=4)
    finally:
        srnn_rs.set_memory_limit(old)


def test_results_are_reproducible_and_seed_dependent(tanh4):
    kw = dict(dt=0.02, max_lag=0.4, n_paths=50, method="girsanov")
    a = response_kernels(tanh4, seed=1, **kw)
    b = response_kernels(tanh4, seed=1, block_size=7, **kw)
    c = response_kernels(tanh4, seed=2, **kw)
    np.testing.assert_array_equal(a.values, response_kernels(tanh4, seed=1, **kw).values)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-10, atol=1e-12)
    assert not np.array_equal(a.values, c.values)


def test_bits_do_not_depend_on_the_thread_count(tmp_path):
    import os
    import subprocess
    import sys

    script = (
        "import numpy as np, srnn_rs\n"
        "net = srnn_rs.SRNN([[0.5, -1.0], [0.8, 0.2]], [[1.0], [0.3]], sigma=0.4, readout_activation='tanh')\n"
        "out = []\n"
        "for method in ('adjoint', 'girsanov', 'fdt_gauss'):\n"
        "    out.append(srnn_rs.response_kernels(net, dt=0.05, max_lag=0.5, method=method, n_paths=70, seed=9).values)\n"
        "st = srnn_rs.stationary_stats(net, dt=0.05, n_paths=70, window=1.0)\n"
        "out += [st.cov_state, st.cov_state_stderr]\n"
        f"np.savez(r'{tmp_path}/' + __import__('os').environ['RAYON_NUM_THREADS'] + '.npz', *out)\n"
    )
    for threads in ("1", "3"):
        subprocess.run([sys.executable, "-c", script], check=True, env={**os.environ, "RAYON_NUM_THREADS": threads})
    a, b = np.load(tmp_path / "1.npz"), np.load(tmp_path / "3.npz")
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])


def test_adjoint_handles_multiplicative_noise():
    """The pathwise Jacobian of a step gains diag(σ_mult √dt z_j); fd on the same noise checks it."""
    net = SRNN([[0.5, -1.0], [0.8, 0.2]], [[1.0], [0.3]], sigma=0.2, sigma_mult=0.3, readout_activation="tanh")
    kw = dict(dt=0.02, max_lag=0.4, n_paths=10, seed=3)
    adj = response_kernels(net, **kw)
    fd = response_kernels(net, method="fd", **kw)
    assert np.abs(adj.values - fd.values).max() < 1e-7 * np.abs(adj.values).max()


def test_girsanov_with_a_full_noise_matrix():
    """φ = Σ⁺C with Σ of shape (n, r), r ≠ n: the minimum-norm shift of the noise."""
    sigma = np.array([[0.6, 0.2, 0.0], [0.1, 0.5, 0.4]])
    net = SRNN([[0.2, -0.3], [0.4, 0.1]], [[1.0], [-0.5]], sigma=sigma, activation="identity")
    k = response_kernels(net, dt=0.02, max_lag=0.6, method="girsanov", n_paths=4000, seed=8, bin_width=3)
    chain = chain_kernel(net, 0.02, 31)
    binned = np.array([chain[3 * b: 3 * b + 3].mean(axis=0) for b in range(11)])
    assert_within(k.values, binned, k.stderr, what="girsanov, full noise")


def gaussian_readout_k2(net, dt, n_lags):
    """K2 of a linear network with a curved readout ``g``, exactly for the Euler–Maruyama chain:
    ``h_N`` is Gaussian and a kick only shifts its mean, so
    ``K2[i1, i2, o, k, l] = E[g″(R_o h + r0_o)] (R P^{i1} c_k)_o (R P^{i2} c_l)_o`` with
    ``P = I − dt A``, the expectation over the chain's stationary law (mean ``A⁻¹ b``, covariance
    ``S = P S Pᵀ + dt ΣΣᵀ``) by Gauss–Hermite quadrature. With ``g(x) = x²`` this is the
    quadratic readout's ``2 (R P^{i1} c_k)(R P^{i2} c_l)``."""
    prm = net.get_params()
    W, C, R = (np.asarray(prm[k], float) for k in ("W", "C", "readout"))
    n = W.shape[0]
    A = np.asarray(prm["gamma"], float) * np.eye(n) - W
    P = np.eye(n) - dt * A
    noise = dt * float(prm["sigma"]) ** 2 * np.eye(n)
    S = np.linalg.solve(np.eye(n * n) - np.kron(P, P), noise.ravel()).reshape(n, n)
    mean = R @ np.linalg.solve(A, np.asarray(prm["b"], float)) + np.asarray(prm["readout_bias"], float)
    sd = np.sqrt(np.diag(R @ S @ R.T))
    x, w = np.polynomial.hermite_e.hermegauss(80)
    t = np.tanh(mean[:, None] + sd[:, None] * x)
    curvature = (-2 * t * (1 - t * t)) @ w / w.sum()  # E[tanh″], per output
    K1 = np.stack([R @ np.linalg.matrix_power(P, i) @ C for i in range(n_lags)])  # (L, p, m)
    return np.einsum("o,iok,jol->ijokl", curvature, K1, K1)


def test_order_two_of_a_curved_readout_matches_the_gaussian_closed_form():
    rng = np.random.default_rng(5)
    n = 3
    net = SRNN(0.3 * rng.standard_normal((n, n)), rng.standard_normal((n, 2)), b=[0.4, -0.2, 0.3], sigma=0.6,
               activation="identity", readout=rng.standard_normal((2, n)), readout_bias=[0.3, -0.5],
               readout_activation="tanh")
    kw = dict(dt=0.05, max_lag=0.5, order=2, seed=4)
    want = gaussian_readout_k2(net, 0.05, 11)
    assert np.abs(want).max() > 0.1
    adj = response_kernels(net, n_paths=4000, **kw)
    assert_within(adj.values, want, adj.stderr, what="adjoint K2 vs closed form")
    assert np.abs(adj.values - want).max() > 0  # a Monte Carlo estimate, not the formula
    fd = response_kernels(net, method="fd", n_paths=300, **kw)
    assert_within(fd.values, want, fd.stderr, what="fd K2 vs closed form")
    gir = response_kernels(net, method="girsanov", n_paths=20000, bin_width=11, **kw)
    assert_within(gir.values, want.mean(axis=(0, 1), keepdims=True), gir.stderr, what="girsanov K2 vs closed form")


def _curved_readout_network(readout_activation, **extra):
    rng = np.random.default_rng(5)
    n = 3
    return SRNN(0.3 * rng.standard_normal((n, n)), rng.standard_normal((n, 2)), b=[0.4, -0.2, 0.3], sigma=0.6,
                activation="identity", readout=rng.standard_normal((2, n)), readout_bias=[0.3, -0.5],
                readout_activation=readout_activation, **extra)


def test_exact_k2_of_a_curved_readout_is_the_limit_of_the_chain():
    """The continuous-time closed form against the chain's (Gauss–Hermite, ``gaussian_readout_k2``):
    their gap is O(dt), so it halves with dt."""
    net = _curved_readout_network("tanh")
    exact = response_kernels(net, dt=0.01, max_lag=0.2, order=2, method="exact")
    assert np.abs(exact.values).max() > 0.5
    gaps = []
    for dt in (0.002, 0.001):
        chain = gaussian_readout_k2(net, dt, int(round(0.2 / dt)) + 1)
        step = int(round(0.01 / dt))
        gaps.append(np.abs(chain[::step, ::step] - exact.values).max())
    assert gaps[1] < 0.6 * gaps[0] and gaps[1] < 0.01 * np.abs(exact.values).max()


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softplus"])
def test_exact_curved_readout_against_the_pathwise_estimates(activation):
    net = _curved_readout_network(activation)
    kw = dict(dt=0.01, max_lag=0.2, seed=1)
    for order, n_paths in ((1, 2000), (2, 4000)):
        exact = response_kernels(net, order=order, method="exact", **kw)
        adjoint = response_kernels(net, order=order, n_paths=n_paths, **kw)
        assert_within(adjoint.values, exact.values, adjoint.stderr, what=f"{activation} order {order}")
        assert_within(adjoint.mean, exact.mean, adjoint.mean_stderr, what=f"{activation} readout mean")
    assert np.abs(exact.values).max() > 0.05


def test_exact_relu_readout_has_its_kink_and_the_adjoint_refuses_it():
    """relu's ``E[g″]`` is the density at the kink: fd sees it, a pathwise K2 cannot."""
    net = _curved_readout_network("relu")
    kw = dict(dt=0.02, max_lag=0.2, order=2, seed=2)
    exact = response_kernels(net, method="exact", **kw)
    assert np.abs(exact.values).max() > 0.5
    with pytest.raises(ValueError, match="method: .*relu"):
        response_kernels(net, method="adjoint", n_paths=10, **kw)
    fd = response_kernels(net, n_paths=400, eps=0.05, **kw)
    assert fd.method == "fd"
    # The kick's own smoothing (eps) biases fd by O(eps²) relative to the curvature scale.
    assert_within(fd.values, exact.values, fd.stderr, what="relu readout, fd vs exact")


def test_exact_curved_readout_refuses_multiplicative_noise():
    net = _curved_readout_network("tanh", sigma_mult=0.2)
    with pytest.raises(ValueError, match="method: .*multiplicative"):
        response_kernels(net, dt=0.02, max_lag=0.2, order=2, method="exact")


def _chain_k1(net, dt, n_lags):
    prm = net.get_params()
    W, C, R = (np.asarray(prm[k], float) for k in ("W", "C", "readout"))
    P = np.eye(W.shape[0]) - dt * (np.asarray(prm["gamma"], float) * np.eye(W.shape[0]) - W)
    return np.stack([R @ np.linalg.matrix_power(P, i) @ C for i in range(n_lags)])


def test_square_readout_k2_is_exact_pathwise_and_its_closed_form_is_the_limit():
    """``y = (R h + r0)²`` on a linear network: every path's second derivative is the chain's
    ``2 (R P^i c_k)(R P^j c_l)``, so the pathwise K2 has no variance, and ``method="exact"`` is
    its continuous-time limit (gap O(dt))."""
    net = _curved_readout_network("square")
    adj = response_kernels(net, dt=0.01, max_lag=0.2, order=2, n_paths=50, seed=3)
    k1 = _chain_k1(net, 0.01, 21)
    chain = 2 * np.einsum("iok,jol->ijokl", k1, k1)
    np.testing.assert_allclose(adj.values, chain, rtol=1e-9, atol=1e-12)
    assert adj.stderr.max() < 1e-9 * np.abs(chain).max()
    fd = response_kernels(net, method="fd", dt=0.01, max_lag=0.2, order=2, n_paths=20, seed=3)
    np.testing.assert_allclose(fd.values, chain, atol=1e-6 * np.abs(chain).max())
    exact = response_kernels(net, dt=0.01, max_lag=0.2, order=2, method="exact")
    gaps = []
    for dt in (0.002, 0.001):
        k1 = _chain_k1(net, dt, int(round(0.2 / dt)) + 1)[:: int(round(0.01 / dt))]
        gaps.append(np.abs(2 * np.einsum("iok,jol->ijokl", k1, k1) - exact.values).max())
    assert gaps[1] < 0.6 * gaps[0] and gaps[1] < 0.01 * np.abs(exact.values).max()


def test_square_readout_first_order_and_mean():
    net = _curved_readout_network("square")
    kw = dict(dt=0.01, max_lag=0.2, seed=1)
    exact = response_kernels(net, method="exact", **kw)
    adjoint = response_kernels(net, n_paths=4000, **kw)
    assert_within(adjoint.values, exact.values, adjoint.stderr, what="square readout K1")
    assert_within(adjoint.mean, exact.mean, adjoint.mean_stderr, what="square readout mean")


def test_square_is_a_readout_activation_only():
    with pytest.raises(ValueError, match="activation"):
        SRNN([[0.1]], [[1.0]], activation="square")
