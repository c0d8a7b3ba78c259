"""The truncated Volterra series beside direct simulation of the driven network.

Kernels are estimated with the same seed, burn-in and paths as the driven simulations (common
random numbers), so the Monte Carlo noise cancels and what is left is the truncation error of
the series: O(ε²) with order 1, O(ε³) with orders 1 + 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from srnn_rs import SRNN, response_kernels, volterra_predict

DT = 0.05
T = 20
SEED = 4
BURN = 8.0
PATHS = 48


def nonlinear_net():
    return SRNN([[0.9, -0.6], [0.7, 0.3]], [[1.0, 0.2], [-0.4, 0.8]], b=[0.3, -0.2], sigma=0.5,
                gamma=[1.0, 1.3], readout=[[1.1, -0.6]], readout_bias=[0.4], readout_activation="tanh")


def test_volterra_series_convention_on_a_linear_network():
    rng = np.random.default_rng(0)
    net = SRNN(0.3 * rng.standard_normal((3, 3)), rng.standard_normal((3, 2)), sigma=0.4,
               activation="identity", readout=rng.standard_normal((2, 3)))
    u = rng.standard_normal((T, 2))
    k1 = response_kernels(net, dt=DT, max_lag=(T - 1) * DT, n_paths=4, seed=SEED, burn_in=BURN)
    kw = dict(n_paths=PATHS, h0="stationary", burn_in=BURN, seed=SEED)
    driven = net.simulate(u, DT, **kw).mean(axis=0)
    free = net.simulate(None, DT, n_steps=T, **kw).mean(axis=0)
    pred = volterra_predict(k1.values, u, DT)
    assert pred.shape == (T + 1, 2)
    np.testing.assert_allclose(driven - free, pred, atol=1e-11)
    # a batch of inputs gives a batch of predictions
    both = volterra_predict(k1, np.stack([u, 2 * u]), mean=np.zeros(2))
    np.testing.assert_allclose(both[1], 2 * pred, atol=1e-12)


def fit_slope(eps, err):
    return np.polyfit(np.log(eps), np.log(err), 1)[0]


@pytest.fixture(scope="module")
def kernels():
    net = nonlinear_net()
    kw = dict(dt=DT, max_lag=(T - 1) * DT, n_paths=PATHS, seed=SEED, burn_in=BURN)
    return net, response_kernels(net, **kw), response_kernels(net, order=2, method="fd", **kw)


def test_error_shrinks_like_eps_squared_then_cubed(kernels):
    net, k1, k2 = kernels
    assert k1.values.shape == (T, 1, 2) and k2.values.shape == (T, T, 1, 2, 2)
    t = DT * np.arange(T)
    u = np.stack([np.sin(2 * np.pi * t), np.cos(3 * t) - 0.5], axis=1)
    eps = np.array([0.05, 0.1, 0.2, 0.4])
    err1, err2 = [], []
    for e in eps:
        direct = net.simulate(e * u, DT, n_paths=PATHS, h0="stationary", burn_in=BURN, seed=SEED,
                              record="final").mean(axis=0)
        err1.append(np.abs(direct - volterra_predict(k1, e * u)[-1]).max())
        err2.append(np.abs(direct - volterra_predict(k1, e * u, k2=k2)[-1]).max())
    err1, err2 = np.array(err1), np.array(err2)
    s1, s2 = fit_slope(eps, err1), fit_slope(eps, err2)
    assert 1.8 < s1 < 2.2, (s1, err1)
    assert 2.7 < s2 < 3.3, (s2, err2)
    assert np.all(err2 < err1)
    # the zero-input run is the order-0 term, on the very same paths
    free = net.simulate(None, DT, n_steps=T, n_paths=PATHS, h0="stationary", burn_in=BURN, seed=SEED,
                        record="final").mean(axis=0)
    np.testing.assert_allclose(free, k1.mean, rtol=1e-13)


def test_volterra_predict_validates_its_arguments(kernels):
    _, k1, k2 = kernels
    u = np.zeros((5, 2))
    with pytest.raises(ValueError, match="dt"):
        volterra_predict(k1.values, u)
    with pytest.raises(ValueError, match="dt"):
        volterra_predict(k1, u, 0.1)
    with pytest.raises(ValueError, match="u"):
        volterra_predict(k1, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="k1"):
        volterra_predict(k2, u)
    with pytest.raises(ValueError, match="mean"):
        volterra_predict(k1, u, mean=[1.0, 2.0])
    with pytest.raises(ValueError, match="u"):
        volterra_predict(k1, np.full((5, 2), np.nan))
    binned = response_kernels(nonlinear_net(), dt=DT, max_lag=0.5, method="girsanov", n_paths=4, bin_width=2)
    with pytest.raises(ValueError, match="bin"):
        volterra_predict(binned, u)
