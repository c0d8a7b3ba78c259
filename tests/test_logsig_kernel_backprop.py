"""logsignature_backprop, sig_kernel_backprop and sig_kernel_gram_backprop against central
differences of the forward functions (every mode and transform, both kernel arguments, the
truncated kernel and the Goursat scheme with both static kernels), and their refusals."""

from __future__ import annotations

import numpy as np
import pytest

import srnn_rs


def central_difference(f, x, h=1e-6):
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        out[idx] = (f(up) - f(down)) / (2 * h)
    return out


def paths(*shape, seed=0):
    return 0.5 * np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("mode", ["lyndon", "words", "expand"])
@pytest.mark.parametrize(
    "kw", [{}, {"stream": True}, {"inverse": True}, {"lead_lag": True, "time_aug": True, "basepoint": True}]
)
def test_logsignature_backprop_matches_central_differences(mode, kw):
    p = paths(2, 5, 2)
    g = np.random.default_rng(1).standard_normal(srnn_rs.logsignature(p, 4, mode=mode, **kw).shape)
    got = srnn_rs.logsignature_backprop(g, p, 4, mode=mode, **kw)
    want = central_difference(lambda q: np.sum(g * srnn_rs.logsignature(q, 4, mode=mode, **kw)), p)
    np.testing.assert_allclose(got, want, atol=1e-7)


def test_logsignature_backprop_of_the_levy_area():
    # Area ½(S12 − S21) of (0,0) → (1,0) → (1,1); its gradient in closed form.
    p = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    got = srnn_rs.logsignature_backprop(np.array([0.0, 0.0, 1.0]), p, 2)
    np.testing.assert_allclose(got, [[-0.5, 0.0], [0.5, -0.5], [0.0, 0.5]], atol=1e-15)


KERNELS = [
    {"depth": 3},
    {"dyadic_order": 0},
    {"dyadic_order": 2},
    {"static_kernel": "rbf", "sigma": 0.8, "dyadic_order": 1},
]


@pytest.mark.parametrize("kw", KERNELS)
def test_sig_kernel_backprop_matches_central_differences_in_both_arguments(kw):
    x, y = paths(3, 4, 2, seed=2), paths(3, 6, 2, seed=3)
    g = np.array([0.7, -1.2, 0.4])
    gx, gy = srnn_rs.sig_kernel_backprop(g, x, y, **kw)
    np.testing.assert_allclose(gx, central_difference(lambda q: g @ srnn_rs.sig_kernel(q, y, **kw), x), atol=1e-7)
    np.testing.assert_allclose(gy, central_difference(lambda q: g @ srnn_rs.sig_kernel(x, q, **kw), y), atol=1e-7)


@pytest.mark.parametrize("kw", KERNELS)
def test_sig_kernel_gram_backprop_matches_central_differences(kw):
    X, Y = paths(3, 4, 2, seed=4), paths(2, 5, 2, seed=5)
    G = np.random.default_rng(6).standard_normal((3, 2))
    gX, gY = srnn_rs.sig_kernel_gram_backprop(G, X, Y, **kw)
    np.testing.assert_allclose(gX, central_difference(lambda q: np.sum(G * srnn_rs.sig_kernel_gram(q, Y, **kw)), X),
                               atol=1e-7)
    np.testing.assert_allclose(gY, central_difference(lambda q: np.sum(G * srnn_rs.sig_kernel_gram(X, q, **kw)), Y),
                               atol=1e-7)
    S = np.random.default_rng(7).standard_normal((3, 3))
    gS, none = srnn_rs.sig_kernel_gram_backprop(S, X, **kw)
    assert none is None
    np.testing.assert_allclose(gS, central_difference(lambda q: np.sum(S * srnn_rs.sig_kernel_gram(q, **kw)), X),
                               atol=1e-7)


def test_kernel_backprop_keeps_the_callers_layout():
    x, y = paths(4, 2, seed=8), paths(6, 2, seed=9)
    gx, gy = srnn_rs.sig_kernel_backprop(2.0, x, y, dyadic_order=1)
    assert gx.shape == x.shape and gy.shape == y.shape
    ragged = [paths(4, 2, seed=10), paths(7, 2, seed=11)]
    gX, gY = srnn_rs.sig_kernel_gram_backprop(np.ones((2, 2)), ragged, depth=3)
    assert isinstance(gX, list) and [g.shape for g in gX] == [(4, 2), (7, 2)] and gY is None
    # Ragged and batched inputs agree where both apply.
    same = [paths(5, 2, seed=12), paths(5, 2, seed=13)]
    as_list, _ = srnn_rs.sig_kernel_gram_backprop(np.ones((2, 2)), same, dyadic_order=1)
    as_batch, _ = srnn_rs.sig_kernel_gram_backprop(np.ones((2, 2)), np.stack(same), dyadic_order=1)
    np.testing.assert_array_equal(np.stack(as_list), as_batch)


def test_bad_arguments_are_named():
    x = paths(2, 4, 2)
    with pytest.raises(ValueError, match="grad: expected shape"):
        srnn_rs.logsignature_backprop(np.zeros(4), x, 2)
    with pytest.raises(ValueError, match="mode"):
        srnn_rs.logsignature_backprop(np.zeros((2, 3)), x, 2, mode="hall")
    with pytest.raises(ValueError, match=r"grad: expected shape \(2,\)"):
        srnn_rs.sig_kernel_backprop(np.zeros(3), x, x)
    with pytest.raises(ValueError, match=r"grad: expected shape \(2, 2\)"):
        srnn_rs.sig_kernel_gram_backprop(np.zeros((2, 3)), x)
    with pytest.raises(ValueError, match="static_kernel"):
        srnn_rs.sig_kernel_backprop(np.zeros(2), x, x, depth=2, static_kernel="rbf")
    with pytest.raises(ValueError, match="static_kernel"):
        srnn_rs.sig_kernel_gram_backprop(np.zeros((2, 2)), x, static_kernel="laplace")
    with pytest.raises(ValueError, match="y: expected 2 paths like x"):
        srnn_rs.sig_kernel_backprop(np.zeros(2), x, x[:1])
