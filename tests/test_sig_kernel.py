"""Signature kernels: truncated and PDE, Gram symmetry, ragged paths, convergence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srnn_rs import sig_kernel, sig_kernel_gram, signature


def rng(seed=0):
    return np.random.default_rng(seed)


def test_truncated_is_inner_product_of_signatures():
    x = rng(1).normal(size=(5, 8, 3)) * 0.5
    y = rng(2).normal(size=(5, 6, 3)) * 0.5
    sx, sy = signature(x, 4), signature(y, 4)
    np.testing.assert_allclose(sig_kernel(x, y, depth=4), 1.0 + np.sum(sx * sy, axis=1), rtol=1e-12)
    np.testing.assert_allclose(sig_kernel_gram(x, y, depth=4), 1.0 + sx @ sy.T, rtol=1e-12)


def test_straight_lines_closed_form():
    x = np.array([[0.0, 0.0], [1.0, 0.5]])
    y = np.array([[0.0, 0.0], [0.5, 1.0]])
    want = sum(1.0 / math.factorial(k) ** 2 for k in range(30))
    assert sig_kernel(x, y, depth=12) == pytest.approx(want, rel=1e-12)
    assert sig_kernel(x, y, dyadic_order=8) == pytest.approx(want, rel=1e-6)


def test_pde_converges_to_truncated_as_depth_and_order_grow():
    x = rng(3).normal(size=(6, 2)) * 0.4
    y = rng(4).normal(size=(9, 2)) * 0.4
    exact = sig_kernel(x, y, depth=14)
    errs = [abs(sig_kernel(x, y, dyadic_order=o) - exact) for o in range(0, 9, 2)]
    assert errs[-1] < 2e-6
    # second order in the mesh: each doubling of the refinement divides the error by ~4
    assert all(a > 8 * b for a, b in zip(errs[1:], errs[2:]))
    # truncation error shrinks with depth
    terr = [abs(sig_kernel(x, y, depth=k) - exact) for k in (2, 4, 8)]
    assert terr[0] > terr[1] > terr[2]


def test_gram_symmetric_ragged_and_rbf():
    paths = [rng(i).normal(size=(4 + i, 3)) * 0.3 for i in range(6)]
    for kw in ({"dyadic_order": 1}, {"depth": 3}, {"static_kernel": "rbf", "sigma": 0.7}):
        G = sig_kernel_gram(paths, **kw)
        assert G.shape == (6, 6)
        assert (G == G.T).all()
        G2 = sig_kernel_gram(paths, paths, **kw)  # Y is X: also the symmetric path
        assert (G2 == G2.T).all()
        H = sig_kernel_gram(paths, [p.copy() for p in paths], **kw)
        np.testing.assert_allclose(H, G, rtol=1e-12)
        k = sig_kernel(paths, paths[::-1], **kw)
        np.testing.assert_allclose(k, G[np.arange(6), np.arange(6)[::-1]], rtol=1e-12)


def test_rbf_matches_reference_scheme():
    x = rng(5).normal(size=(5, 2)) * 0.5
    y = rng(6).normal(size=(4, 2)) * 0.5
    sigma = 0.8
    k = np.exp(-((x[:, None, :] - y[None, :, :]) ** 2).sum(-1) / sigma)
    inc = k[1:, 1:] - k[1:, :-1] - k[:-1, 1:] + k[:-1, :-1]
    K = np.ones((5, 4))
    for i in range(4):
        for j in range(3):
            a = inc[i, j]
            K[i + 1, j + 1] = (K[i + 1, j] + K[i, j + 1]) * (1 + a / 2 + a * a / 12) - K[i, j] * (1 - a * a / 12)
    assert sig_kernel(x, y, static_kernel="rbf", sigma=sigma) == pytest.approx(K[-1, -1], rel=1e-13)


def test_single_point_paths_and_inputs_not_mutated():
    x = rng(7).normal(size=(3, 1, 2))
    np.testing.assert_array_equal(sig_kernel(x, x), 1.0)
    np.testing.assert_array_equal(sig_kernel(x, x, depth=3), 1.0)
    X = rng(8).normal(size=(3, 5, 2))
    c = X.copy()
    sig_kernel_gram(X, dyadic_order=2)
    np.testing.assert_array_equal(X, c)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 4), m=st.integers(1, 4), L=st.integers(1, 6), d=st.integers(1, 3), order=st.integers(0, 2))
def test_gram_shapes(n, m, L, d, order):
    X = rng(n).normal(size=(n, L, d))
    Y = rng(m).normal(size=(m, L + 1, d))
    G = sig_kernel_gram(X, Y, dyadic_order=order)
    assert G.shape == (n, m) and np.isfinite(G).all()


def test_bad_inputs():
    x = rng(9).normal(size=(3, 5, 2))
    with pytest.raises(ValueError, match="static_kernel"):
        sig_kernel(x, x, depth=3, static_kernel="rbf")
    with pytest.raises(ValueError, match="static_kernel"):
        sig_kernel(x, x, static_kernel="poly")
    with pytest.raises(ValueError, match="y"):
        sig_kernel(x, x[:2])
    with pytest.raises(ValueError, match="Y"):
        sig_kernel_gram(x, rng(0).normal(size=(2, 5, 3)))
    with pytest.raises(ValueError, match="sigma"):
        sig_kernel(x, x, static_kernel="rbf", sigma=0.0)
    with pytest.raises(ValueError, match="dyadic_order"):
        sig_kernel(x, x, dyadic_order=-1)
    with pytest.raises(ValueError, match="x"):
        sig_kernel(np.zeros(3), np.zeros(3))
    bad = x.copy()
    bad[0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="x"):
        sig_kernel(bad, x)


def test_thread_count_does_not_change_results():
    X = rng(10).normal(size=(11, 9, 2)) * 0.4
    np.testing.assert_array_equal(sig_kernel_gram(X, dyadic_order=1), sig_kernel_gram(X, dyadic_order=1, n_jobs=1))
    np.testing.assert_array_equal(sig_kernel(X, X[::-1]), sig_kernel(X, X[::-1], n_jobs=1))
