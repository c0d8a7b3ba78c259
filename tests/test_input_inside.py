"""The input inside the activation (``C_in``) and the echo-state reservoir builder."""

import pickle

import numpy as np
import pytest

import srnn_rs
from srnn_rs import SRNN, response_kernels

# Per step the kernel and NumPy differ by the tanh polynomial (a few ulps) and the order of
# the n-term sums (about n ulps of values below 1); the leaky update contracts (spectral
# radius < 1), so errors do not grow with the steps: 1e-12 leaves two orders of margin.
ESN_ATOL = 1e-12


def numpy_esn(W, W_in, b, leak, u, h0=None):
    """reservoirpy's leaky echo-state update ``h ← (1 − α) h + α tanh(W h + b + W_in u)``."""
    h = np.zeros(W.shape[0]) if h0 is None else h0.copy()
    out = [h.copy()]
    for uk in u:
        h = (1 - leak) * h + leak * np.tanh(W @ h + b + W_in @ uk)
        out.append(h.copy())
    return np.array(out)


def esn_parts(n=20, m=2, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n, n))
    W *= 0.9 / np.abs(np.linalg.eigvals(W)).max()
    return W, rng.uniform(-1, 1, (n, m)), 0.2 * rng.standard_normal(n), rng.uniform(-1, 1, (60, m))


def tanh_with_input_inside(n=6, m=2, seed=3, sigma=0.3):
    rng = np.random.default_rng(seed)
    return SRNN(1.2 * rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, m)),
                C_in=rng.standard_normal((n, m)), b=0.1 * rng.standard_normal(n), sigma=sigma,
                readout=rng.standard_normal((2, n)))


# -- the echo-state form ------------------------------------------------------------------------

def test_one_step_with_unit_leak_is_the_leaky_echo_state_network():
    W, W_in, b, u = esn_parts()
    leak = 0.3
    net = SRNN(W, np.zeros_like(W_in), C_in=W_in, b=b, gamma=1.0)
    want = numpy_esn(W, W_in, b, leak, u)
    shared = net.simulate(u, leak, n_paths=2, record="state")
    np.testing.assert_allclose(shared, np.broadcast_to(want, shared.shape), rtol=0, atol=ESN_ATOL)
    per_path = net.simulate(np.stack([u, -u]), leak, n_paths=2, record="state")
    np.testing.assert_allclose(per_path[0], want, rtol=0, atol=ESN_ATOL)
    np.testing.assert_allclose(per_path[1], numpy_esn(W, W_in, b, leak, -u), rtol=0, atol=ESN_ATOL)
    # The same weights outside the activation are a different network.
    outside = SRNN(W, leak * W_in, b=b, gamma=1.0).simulate(u, leak, record="state")
    assert np.abs(outside[0] - want).max() > 100 * ESN_ATOL


def test_input_inside_adds_to_the_outside_input():
    W, W_in, b, u = esn_parts(n=8)
    C = np.random.default_rng(5).standard_normal(W_in.shape)
    net = SRNN(W, C, C_in=W_in, b=b, gamma=1.5)
    h, dt = np.zeros(8), 0.1
    states = [h]
    for uk in u:
        h = h + dt * (-1.5 * h + np.tanh(W @ h + b + W_in @ uk) + C @ uk)
        states.append(h)
    np.testing.assert_allclose(net.simulate(u, dt, record="state")[0], np.array(states), rtol=0, atol=ESN_ATOL)


def test_float32_runs_follow_float64():
    W, W_in, b, u = esn_parts()
    net = SRNN(W, np.zeros_like(W_in), C_in=W_in, b=b)
    x64 = net.simulate(u, 0.3, record="state")
    x32 = net.simulate(u, 0.3, record="state", dtype="float32")
    # float32 round-off (6e-8 per operation, ~n per sum) without growth under the contraction.
    np.testing.assert_allclose(x32, x64, rtol=0, atol=1e-5)


@pytest.mark.parametrize("bad, exc", [
    (np.zeros((20, 3)), ValueError),
    (np.zeros(20), ValueError),
    (np.full((20, 2), np.nan), ValueError),
    ("weights", TypeError),
])
def test_bad_input_weights_name_the_argument(bad, exc):
    W, W_in, b, _ = esn_parts()
    with pytest.raises(exc, match="C_in"):
        SRNN(W, np.zeros_like(W_in), C_in=bad)


def test_parameters_and_pickling_keep_the_input_weights():
    net = tanh_with_input_inside()
    p = net.get_params()
    assert p["C_in"].shape == (6, 2) and not p["C_in"].flags.writeable
    again = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(again.get_params()["C_in"], p["C_in"])
    u = np.random.default_rng(1).standard_normal((30, 2))
    np.testing.assert_array_equal(again.simulate(u, 0.05, n_paths=3, seed=4), net.simulate(u, 0.05, n_paths=3, seed=4))
    assert SRNN(p["W"], p["C"]).get_params()["C_in"] is None


# -- response kernels -----------------------------------------------------------------------------

def test_adjoint_matches_fd_on_the_same_noise():
    net = tanh_with_input_inside()
    kw = dict(dt=0.02, max_lag=0.4, n_paths=16, seed=7, burn_in=3.0)
    adj = response_kernels(net, method="adjoint", **kw)
    fd = response_kernels(net, method="fd", **kw)
    # fd's error is O(eps²) = 1e-10 relative plus the round-off of (y₊ − y₋)/(2 eps) ~ 1e-16/1e-5.
    np.testing.assert_allclose(adj.values, fd.values, rtol=1e-6, atol=1e-9)
    no_inside = SRNN(**{**net.get_params(), "C_in": None})
    plain = response_kernels(no_inside, method="adjoint", **kw)
    assert np.abs(plain.values - fd.values).max() > 0.1 * np.abs(fd.values).max()


def test_identity_activation_folds_the_inside_input_into_c():
    rng = np.random.default_rng(2)
    n, m, dt = 4, 2, 0.05
    W, C, C_in = 0.3 * rng.standard_normal((n, n)) / 2, rng.standard_normal((n, m)), rng.standard_normal((n, m))
    net = SRNN(W, C, C_in=C_in, activation="identity", sigma=0.3, gamma=1.0)
    exact = response_kernels(net, dt=dt, max_lag=1.0, method="exact")
    folded = response_kernels(SRNN(W, C + C_in, activation="identity", sigma=0.3), dt=dt, max_lag=1.0,
                              method="exact")
    np.testing.assert_array_equal(exact.values, folded.values)
    # The Monte Carlo estimators follow the chain (I − dt A)^i (C + C_in) — exactly for the adjoint.
    step = np.eye(n) - dt * (np.eye(n) - W)
    chain = np.array([np.linalg.matrix_power(step, i) @ (C + C_in) for i in range(len(exact.lags))])
    adj = response_kernels(net, dt=dt, max_lag=1.0, n_paths=4, seed=1)
    np.testing.assert_allclose(adj.values, chain, rtol=0, atol=1e-12)
    fdt = response_kernels(net, dt=dt, max_lag=1.0, method="fdt_gauss", n_paths=800, seed=3)
    bound = 5 * fdt.stderr + 0.01 * np.abs(chain).max()
    assert (np.abs(fdt.values - chain) <= bound).all()


def test_estimators_that_cannot_express_it_refuse_naming_the_argument():
    net = tanh_with_input_inside()
    for method, order in [("girsanov", 1), ("girsanov", 2), ("fdt_gauss", 1)]:
        with pytest.raises(ValueError, match="C_in"):
            response_kernels(net, dt=0.02, max_lag=0.1, order=order, method=method, n_paths=4)
    with pytest.raises(ValueError, match="identity"):
        response_kernels(net, dt=0.02, max_lag=0.1, method="exact")


# -- the reservoir builder ------------------------------------------------------------------------

def test_reservoir_has_the_asked_spectral_radius_and_connectivity():
    net = srnn_rs.reservoir(200, m=3, spectral_radius=1.1, connectivity=0.05, input_connectivity=0.2, seed=4)
    p = net.get_params()
    assert abs(np.abs(np.linalg.eigvals(p["W"])).max() - 1.1) < 1e-9
    assert np.count_nonzero(p["W"]) == round(0.05 * 200 * 200)
    assert np.count_nonzero(p["C_in"]) == round(0.2 * 200 * 3)
    assert not p["C"].any() and float(p["gamma"]) == 1.0
    assert set(np.unique(np.abs(p["C_in"][p["C_in"] != 0]))) == {1.0}


def test_reservoir_is_reproducible_from_its_seed():
    a, b, c = (srnn_rs.reservoir(50, seed=s, bias_scaling=0.5) for s in (1, 1, 2))
    for key in ("W", "C_in", "b"):
        np.testing.assert_array_equal(a.get_params()[key], b.get_params()[key])
    assert not np.array_equal(a.get_params()["W"], c.get_params()["W"])


def test_reservoir_equals_the_numpy_echo_state_network():
    leak = 0.25
    net = srnn_rs.reservoir(100, m=2, spectral_radius=0.95, input_scaling=[0.5, 2.0], leak=leak,
                            bias_scaling=0.3, seed=9)
    p = net.get_params()
    assert set(np.unique(np.abs(p["C_in"]))) <= {0.0, 0.5, 2.0}
    u = np.random.default_rng(0).uniform(-1, 1, (80, 2))
    want = numpy_esn(p["W"], p["C_in"], p["b"], leak, u)
    np.testing.assert_allclose(net.simulate(u, leak, record="state")[0], want, rtol=0, atol=ESN_ATOL)


def test_reservoir_with_the_input_outside():
    net = srnn_rs.reservoir(30, input_inside=False, input_scaling=0.7, seed=1)
    p = net.get_params()
    assert p["C_in"] is None and set(np.unique(np.abs(p["C"]))) == {0.7}


@pytest.mark.parametrize("kwargs, name, exc", [
    (dict(connectivity=0.0), "connectivity", ValueError),
    (dict(connectivity=1.5), "connectivity", ValueError),
    (dict(input_connectivity=-0.1), "input_connectivity", ValueError),
    (dict(leak=1.2), "leak", ValueError),
    (dict(spectral_radius=0.0), "spectral_radius", ValueError),
    (dict(bias_scaling=-1.0), "bias_scaling", ValueError),
    (dict(input_scaling=[1.0, 2.0]), "input_scaling", ValueError),
    (dict(m=0), "m", ValueError),
    (dict(input_inside="yes"), "input_inside", TypeError),
    (dict(seed=-1), "seed", ValueError),
])
def test_reservoir_refuses_bad_arguments_by_name(kwargs, name, exc):
    with pytest.raises(exc, match=name):
        srnn_rs.reservoir(20, **kwargs)


def test_a_nilpotent_sparse_reservoir_is_refused():
    # One nonzero entry: off the diagonal W² = 0 and no radius can be set; on it (1 in 10) it can.
    refused = 0
    for seed in range(10):
        try:
            net = srnn_rs.reservoir(10, connectivity=0.01, spectral_radius=0.5, seed=seed)
        except ValueError as e:
            assert "connectivity" in str(e)
            refused += 1
        else:
            assert abs(np.abs(np.linalg.eigvals(net.get_params()["W"])).max() - 0.5) < 1e-12
    assert refused >= 5


def test_the_input_inside_removes_the_narma10_floor():
    # With the input outside the activation the state is affine in u_t with a fixed coefficient,
    # so no linear readout forms NARMA10's 1.5 u_t u_{t−9}: its NRMSE stays above ≈ 0.30.
    # Through the activation the product appears in the states' expansion.
    u, y = srnn_rs.tasks.narma10(3000, seed=0, washout=200)

    def test_nrmse(inside, seed):
        net = srnn_rs.reservoir(100, spectral_radius=0.9, input_scaling=0.1, leak=1.0, bias_scaling=0.5,
                                seed=seed, input_inside=inside)
        model = srnn_rs.ReadoutSRNN(net, dt=1.0, alpha=1e-9, washout=100).fit(u[:2000], y[:2000])
        pred = model.predict(u[2000:], reset=False)
        return np.sqrt(np.mean((pred - y[2000:]) ** 2)) / np.std(y[2000:])

    for seed in (0, 1):
        inside, outside = test_nrmse(True, seed), test_nrmse(False, seed)
        assert inside < 0.28 and outside > 0.30, (seed, inside, outside)
