"""Lyapunov exponents: exact answers of linear chains, the determinant identity, and agreement with
a NumPy QR recomputation along the very paths the simulator produces."""

from __future__ import annotations

import numpy as np
import pytest

import srnn_rs
from srnn_rs import _core


def _linear(sigma: float = 0.4, sigma_mult=None) -> srnn_rs.SRNN:
    W = np.array([[0.1, -0.4, 0.2], [-0.4, 0.3, 0.1], [0.2, 0.1, -0.2]])
    return srnn_rs.SRNN(W, np.ones((3, 1)), gamma=1.5, sigma=sigma, sigma_mult=sigma_mult, activation="identity")


def _chaotic(n: int = 80, gain: float = 3.0, sigma: float = 0.0) -> srnn_rs.SRNN:
    """A random tanh network past the edge of chaos (gain > 1, many units, small biases)."""
    rng = np.random.default_rng(5)
    W = gain * rng.standard_normal((n, n)) / np.sqrt(n)
    return srnn_rs.SRNN(W, rng.uniform(-1, 1, (n, 1)), gamma=1.0, b=0.05 * rng.standard_normal(n), sigma=sigma,
                        activation="tanh")


def _qr_along(model: srnn_rs.SRNN, states: np.ndarray, dt: float, k: int, qr_every: int,
              z: np.ndarray | None = None) -> np.ndarray:
    """Σ log|R_ii| / t of the frame carried by the step Jacobians at ``states[:-1]``."""
    p = model.params
    n = model.n
    V = _core.lyapunov_initial_frame(n, k).T.copy()
    base = np.eye(n) - dt * model.gamma_matrix
    logs = np.zeros(k)
    n_steps = len(states) - 1
    for j in range(n_steps):
        h = states[j]
        slope = 1 - np.tanh(p["W"] @ h + p["b"]) ** 2 if p["activation"] == "tanh" else np.ones(n)
        J = base + dt * slope[:, None] * p["W"]
        if z is not None:
            J += np.diag(p["sigma_mult"] * np.sqrt(dt) * z[j])
        V = J @ V
        if (j + 1) % qr_every == 0 or j + 1 == n_steps:
            Q, R = np.linalg.qr(V)
            logs += np.log(np.abs(np.diag(R)))
            V = Q * np.sign(np.diag(R))
    return logs / (n_steps * dt)


def test_linear_chain_matches_its_exact_finite_time_exponents():
    net, dt, t_max = _linear(), 0.05, 40.0
    n_steps = int(round(t_max / dt))
    spec = srnn_rs.lyapunov(net, dt=dt, n_paths=5, t_max=t_max, n_exponents=3, qr_every=4)
    # The tangent map of a linear chain is I − dt A on every path: the estimate is deterministic.
    M = np.eye(3) - dt * net.linear_part()
    V, logs = _core.lyapunov_initial_frame(3, 3).T, np.zeros(3)
    for _ in range(n_steps):
        Q, R = np.linalg.qr(M @ V)
        V, logs = Q * np.sign(np.diag(R)), logs + np.log(np.abs(np.diag(R)))
    exact = logs / t_max
    np.testing.assert_allclose(spec.values, exact, rtol=0, atol=1e-10)
    assert np.all(spec.stderr == 0)
    # ... which tend to the chain's exponents log|eig(I − dt A)| / dt as t grows: the gap is the
    # frame's start, a log of a fixed overlap divided by t.
    chain = np.sort(np.log(np.abs(np.linalg.eigvals(M))) / dt)[::-1]
    np.testing.assert_allclose(spec.values, chain, atol=0.1)
    # ... and those tend to −eig(A) as dt → 0, with an O(dt) gap.
    np.testing.assert_allclose(chain, np.sort(-np.linalg.eigvals(net.linear_part()).real)[::-1], atol=0.1)


def test_one_unit_with_multiplicative_noise_against_quadrature():
    # One unit, W = 0: λ = E log|1 − dt γ + σ_mult √dt Z| / dt exactly, estimated by an average of
    # i.i.d. terms along each path (no frame transient in one dimension).
    dt, gamma, mult = 0.05, 1.0, 0.8
    net = srnn_rs.SRNN(np.zeros((1, 1)), np.zeros((1, 1)), gamma=gamma, sigma=0.1, sigma_mult=mult,
                       activation="identity")
    spec = srnn_rs.lyapunov(net, dt=dt, n_paths=64, t_max=10.0, seed=3)
    x, w = np.polynomial.hermite_e.hermegauss(200)
    expect = np.sum(w * np.log(np.abs(1 - dt * gamma + mult * np.sqrt(dt) * x))) / np.sqrt(2 * np.pi) / dt
    assert spec.stderr[0] > 0
    assert abs(spec.values[0] - expect) < 4 * spec.stderr[0], (spec.values, spec.stderr, expect)
    # Noise lowers it below the deterministic −log... rate by E log of a spread factor.
    assert expect < np.log(1 - dt * gamma) / dt


def test_deterministic_chaotic_network_agrees_with_numpy_qr_along_the_driven_path():
    net, dt, t_max, burn_in = _chaotic(), 0.02, 40.0, 20.0
    n_steps = int(round(t_max / dt))
    u = 0.3 * np.sin(np.arange(n_steps) * dt)[:, None]
    spec = srnn_rs.lyapunov(net, dt=dt, n_paths=2, t_max=t_max, n_exponents=3, u=u, burn_in=burn_in, qr_every=5)
    states = net.simulate(u, dt, h0="stationary", burn_in=burn_in, record="state")[0]
    ref = _qr_along(net, states, dt, 3, qr_every=1)
    assert spec.values[0] > 0.05, spec.values
    np.testing.assert_allclose(spec.values, ref, rtol=0, atol=1e-9)
    assert np.all(spec.stderr == 0)


def test_full_spectrum_sums_to_the_mean_log_determinant_along_the_paths():
    net = _chaotic(n=5, gain=2.0, sigma=0.5)
    dt, t_max, burn_in, n_paths = 0.05, 10.0, 3.0, 6
    spec = srnn_rs.lyapunov(net, dt=dt, n_paths=n_paths, t_max=t_max, n_exponents=5, burn_in=burn_in, seed=11)
    states = net.simulate(None, dt, n_steps=int(round(t_max / dt)), n_paths=n_paths, h0="stationary",
                          burn_in=burn_in, seed=11, record="state")
    p = net.params
    rates = []
    for path in states:
        slopes = 1 - np.tanh(path[:-1] @ p["W"].T + p["b"]) ** 2
        J = np.eye(5) - dt * net.gamma_matrix + dt * slopes[:, :, None] * p["W"]
        rates.append(np.linalg.slogdet(J)[1].sum() / t_max)
    assert abs(spec.values.sum() - np.mean(rates)) < 1e-9


def test_multiplicative_noise_uses_the_simulators_normals():
    net = _linear(sigma=0.2, sigma_mult=[0.5, 0.3, 0.4])
    dt, t_max, n_paths = 0.05, 5.0, 3
    n_steps = int(round(t_max / dt))
    spec = srnn_rs.lyapunov(net, dt=dt, n_paths=n_paths, t_max=t_max, n_exponents=2, burn_in=1.0, seed=2, qr_every=3)
    states = net.simulate(None, dt, n_steps=n_steps, n_paths=n_paths, h0="stationary", burn_in=1.0, seed=2,
                          record="state")
    z = srnn_rs.standard_normals(n_paths, n_steps, 3, seed=2)
    ref = np.mean([_qr_along(net, states[i], dt, 2, 1, z[i]) for i in range(n_paths)], axis=0)
    np.testing.assert_allclose(spec.values, ref, rtol=0, atol=1e-10)
    assert np.all(spec.stderr > 0)


def test_noise_stabilises_a_chaotic_network():
    quiet, loud = (srnn_rs.lyapunov(_chaotic(sigma=s), dt=0.05, n_paths=8, t_max=100.0, burn_in=20.0)
                   for s in (0.0, 1.0))
    assert quiet.top > 0 and quiet.stderr[0] == 0
    assert loud.top + 4 * loud.stderr[0] < 0


def test_seed_and_paths_reproduce():
    net = _chaotic(n=4, gain=1.5, sigma=0.3)
    a = srnn_rs.lyapunov(net, dt=0.05, n_paths=20, t_max=5.0, seed=1, block_size=4)
    b = srnn_rs.lyapunov(net, dt=0.05, n_paths=20, t_max=5.0, seed=1, block_size=4)
    c = srnn_rs.lyapunov(net, dt=0.05, n_paths=20, t_max=5.0, seed=2, block_size=4)
    assert np.array_equal(a.values, b.values) and not np.array_equal(a.values, c.values)
    assert a.n_paths == 20 and a.t_max == pytest.approx(5.0)


@pytest.mark.parametrize("kwargs, exc, name", [
    ({"dt": 0.0}, ValueError, "dt"),
    ({"dt": "x"}, TypeError, "dt"),
    ({"n_paths": 1}, ValueError, "n_paths"),
    ({"t_max": -1.0}, ValueError, "t_max"),
    ({"t_max": 0.001}, ValueError, "t_max"),
    ({"n_exponents": 0}, ValueError, "n_exponents"),
    ({"n_exponents": 4}, ValueError, "n_exponents"),
    ({"n_exponents": 1.5}, TypeError, "n_exponents"),
    ({"qr_every": 0}, ValueError, "qr_every"),
    ({"seed": -1}, ValueError, "seed"),
    ({"u": np.zeros((3, 1))}, ValueError, "u"),
    ({"u": np.zeros((20, 2))}, ValueError, "u"),
    ({"burn_in": -1.0}, ValueError, "burn_in"),
    ({"block_size": 0}, ValueError, "block_size"),
])
def test_bad_arguments_are_named(kwargs, exc, name):
    args = {"dt": 0.05, "n_paths": 4, "t_max": 1.0, **kwargs}
    with pytest.raises(exc, match=f"^{name}:"):
        srnn_rs.lyapunov(_linear(), **args)


def test_model_must_be_an_srnn():
    with pytest.raises(TypeError, match="^model:"):
        srnn_rs.lyapunov(object(), dt=0.1, n_paths=2, t_max=1.0)


def test_singular_step_is_reported_against_dt():
    net = srnn_rs.SRNN(np.zeros((2, 2)), np.zeros((2, 1)), gamma=2.0, activation="identity")
    with pytest.raises(ValueError, match="^dt:.*singular"):
        srnn_rs.lyapunov(net, dt=0.5, n_paths=2, t_max=2.0)


def test_the_spacing_of_factorisations_changes_only_round_off():
    net = _chaotic(n=20, gain=2.0, sigma=0.4)
    every = [srnn_rs.lyapunov(net, dt=0.05, n_paths=4, t_max=20.0, n_exponents=4, burn_in=2.0, qr_every=q).values
             for q in (1, 7, 20)]
    np.testing.assert_allclose(every[1], every[0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(every[2], every[0], rtol=0, atol=1e-10)
