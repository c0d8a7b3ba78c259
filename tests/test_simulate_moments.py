"""Ensemble moments of linear networks against closed forms, with tolerances from standard errors."""

import numpy as np
import pytest
from conftest import linear_network

import srnn_rs

Z = 5.0  # tolerance in standard errors; seeds are fixed, so this is deterministic


def chain_moments(A, b, C, S, dt, u, m0, P0):
    """Exact mean and covariance of the Euler–Maruyama chain h ← (I − dt A) h + dt (b + C u) + √dt S z."""
    M = np.eye(len(b)) - dt * A
    Q = dt * S @ S.T
    means, covs = [m0], [P0]
    m, P = m0, P0
    for k in range(len(u)):
        m = M @ m + dt * (b + C @ u[k])
        P = M @ P @ M.T + Q
        means.append(m)
        covs.append(P)
    return np.array(means), np.array(covs)


def continuous_lyapunov(A, Q):
    """Solve A X + X Aᵀ = Q by the Kronecker form (small n)."""
    n = A.shape[0]
    K = np.kron(np.eye(n), A) + np.kron(A, np.eye(n))
    return np.linalg.solve(K, Q.reshape(-1)).reshape(n, n)


def assert_mean_cov(samples, mean, cov, label):
    N = samples.shape[0]
    emp_mean = samples.mean(axis=0)
    se_mean = np.sqrt(np.diag(cov) / N)
    assert np.all(np.abs(emp_mean - mean) < Z * se_mean), f"{label}: mean {emp_mean} vs {mean}"
    emp_cov = np.cov(samples.T)
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / N)
    assert np.all(np.abs(emp_cov - cov) < Z * se_cov), f"{label}: cov {emp_cov} vs {cov}"


def params(net):
    p = net.params
    A = net.gamma_matrix - p["W"]
    S = p["sigma"] * np.eye(net.n) if p["sigma"].ndim == 0 else (np.diag(p["sigma"]) if p["sigma"].ndim == 1 else p["sigma"])
    return A, p["b"], p["C"], S


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("sigma_kind", ["scalar", "diagonal", "full"])
def test_driven_linear_network_matches_exact_chain_moments(sigma_kind, dtype):
    n, m, dt, T = 3, 2, 0.02, 300
    sigma = {"scalar": 0.4, "diagonal": np.array([0.2, 0.5, 0.3]), "full": np.array([[0.3, 0.1], [0.0, 0.4], [0.2, -0.2]])}[sigma_kind]
    net = linear_network(n, m, sigma=sigma, gamma=np.array([1.0, 1.5, 0.8]))
    t = dt * np.arange(T)
    u = np.stack([np.sin(2.0 * t), 0.5 * np.cos(3.0 * t)], axis=1)
    h = net.simulate(u, dt, n_paths=20000, seed=3, record="state", stride=50, dtype=dtype)
    assert h.dtype == dtype
    # float32 round-off (~1e-7 relative) is far below the standard errors (~1e-2 relative).
    h = h.astype(np.float64)
    A, b, C, S = params(net)
    means, covs = chain_moments(A, b, C, S, dt, u, np.zeros(n), np.zeros((n, n)))
    for rec, k in enumerate(range(0, T + 1, 50)):
        if k == 0:
            assert np.all(h[:, 0] == 0)
            continue
        assert_mean_cov(h[:, rec], means[k], covs[k], f"step {k}")


def test_stationary_start_matches_lyapunov_covariance():
    n, dt = 3, 0.01
    net = linear_network(n, 1, sigma=np.array([0.3, 0.5, 0.4]))
    A, b, C, S = params(net)
    h = net.simulate(None, dt, n_steps=0, n_paths=40000, h0="stationary", seed=11, record="final_state")
    mean = np.linalg.solve(A, b)
    P_cont = continuous_lyapunov(A, S @ S.T)
    # The EM chain's stationary covariance solves P = M P Mᵀ + dt S Sᵀ; it differs from the SDE's
    # by O(dt). Both are checked: the chain's exactly, the SDE's up to that computed bias.
    M = np.eye(n) - dt * A
    P_chain = P_cont.copy()
    for _ in range(5000):
        P_chain = M @ P_chain @ M.T + dt * S @ S.T
    assert_mean_cov(h, mean, P_chain, "stationary chain")
    N = h.shape[0]
    se = np.sqrt((np.outer(np.diag(P_cont), np.diag(P_cont)) + P_cont**2) / N)
    assert np.all(np.abs(np.cov(h.T) - P_cont) < Z * se + np.abs(P_chain - P_cont))
    assert np.abs(P_chain - P_cont).max() < 0.02 * np.abs(P_cont).max()


def test_multiplicative_noise_moments_match_closed_form():
    # dh = (−a h + b) dt + (s_a + s_m h) dB, scalar (W = 0, Γ = a).
    a, bb, sa, sm, dt, T = 1.0, 0.5, 0.3, 0.4, 0.01, 400
    net = srnn_rs.SRNN([[0.0]], np.zeros((1, 0)), gamma=a, b=[bb], sigma=sa, sigma_mult=sm, activation="identity")
    h = net.simulate(None, dt, n_steps=T, n_paths=40000, seed=5, record="state", stride=100)[:, :, 0]
    m, S = 0.0, 0.0
    exact = [(0.0, 0.0)]
    for k in range(T):
        # E[h'] and E[h'^2] of one Euler–Maruyama step, exactly.
        m, S = (1 - a * dt) * m + bb * dt, (
            (1 - a * dt) ** 2 * S + 2 * (1 - a * dt) * bb * dt * m + (bb * dt) ** 2
            + dt * (sa**2 + 2 * sa * sm * m + sm**2 * S)
        )
        if (k + 1) % 100 == 0:
            exact.append((m, S))
    N = h.shape[0]
    for rec in range(1, h.shape[1]):
        m_k, S_k = exact[rec]
        var = S_k - m_k**2
        x = h[:, rec]
        assert abs(x.mean() - m_k) < Z * np.sqrt(var / N)
        se_second = np.sqrt(np.var(x**2) / N)
        assert abs(np.mean(x**2) - S_k) < Z * se_second
    # The SDE's own stationary second moment: d/dt E h² = 0 gives S∞ = (2b m∞ + sa² + 2 sa sm m∞) / (2a − sm²).
    m_inf = bb / a
    S_inf = (2 * bb * m_inf + sa**2 + 2 * sa * sm * m_inf) / (2 * a - sm**2)
    long = net.simulate(None, dt, n_steps=0, n_paths=40000, h0="stationary", burn_in=10.0, seed=6, record="final_state")[:, 0]
    se = np.sqrt(np.var(long**2) / len(long))
    assert abs(np.mean(long**2) - S_inf) < Z * se + 0.01 * S_inf  # + the O(dt) bias of the chain


def test_common_random_numbers_make_linear_response_deterministic():
    net = linear_network(3, 2, sigma=0.5)
    dt, T = 0.01, 200
    u = np.zeros((T, 2))
    u[50, 0] = 1.0
    free = net.simulate(None, dt, n_steps=T, n_paths=64, seed=9, record="state")
    kicked = net.simulate(u, dt, n_paths=64, seed=9, record="state")
    diff = kicked - free
    # Linear network, same noise: the difference is the same deterministic impulse response on every path.
    assert np.allclose(diff, diff[0], atol=1e-12)
    A, b, C, S = params(net)
    M = np.eye(3) - dt * A
    x = dt * C @ u[50]
    for k in range(51, T + 1):
        assert np.allclose(diff[0, k], x, atol=1e-12)
        x = M @ x
