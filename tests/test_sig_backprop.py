"""signature_backprop against finite differences and iisignature.sigbackprop; doctests."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import srnn_rs
from srnn_rs import siglength, signature, signature_backprop


def rng(seed=0):
    return np.random.default_rng(seed)


def finite_difference(g, p, depth, h=1e-5, **kw):
    fd = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        a, b = p.copy(), p.copy()
        a[idx] += h
        b[idx] -= h
        fd[idx] = (np.sum(g * signature(a, depth, **kw)) - np.sum(g * signature(b, depth, **kw))) / (2 * h)
    return fd


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"inverse": True},
        {"basepoint": True},
        {"basepoint": np.array([0.3, -0.2])},
        {"time_aug": True, "end_time": 2.0},
        {"lead_lag": True},
        {"lead_lag": True, "time_aug": True, "basepoint": True},
        {"scalar_term": True},
    ],
)
def test_matches_finite_differences(kw):
    p = rng(1).normal(size=(2, 5, 2))
    depth = 3
    width = signature(p, depth, **kw).shape[-1]
    g = rng(2).normal(size=(2, width))
    got = signature_backprop(g, p, depth, **kw)
    assert got.shape == p.shape
    np.testing.assert_allclose(got, finite_difference(g, p, depth, **kw), rtol=1e-6, atol=1e-7)


def test_agrees_with_iisignature():
    ii = pytest.importorskip("iisignature")
    for d, depth in [(2, 5), (3, 4), (4, 3)]:
        p = rng(d).normal(size=(9, d))
        g = rng(d + 1).normal(size=siglength(d, depth))
        want = ii.sigbackprop(g, p, depth)  # iisignature returns float32 here
        np.testing.assert_allclose(signature_backprop(g, p, depth), want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_single_point_and_no_mutation():
    p = rng(3).normal(size=(1, 3))
    g = np.ones(siglength(3, 2))
    np.testing.assert_array_equal(signature_backprop(g, p, 2), 0.0)
    q = rng(4).normal(size=(4, 6, 2))
    gq = rng(5).normal(size=(4, siglength(2, 3)))
    c1, c2 = q.copy(), gq.copy()
    signature_backprop(gq, q, 3)
    np.testing.assert_array_equal(q, c1)
    np.testing.assert_array_equal(gq, c2)


def test_bad_grad_shape():
    p = rng(6).normal(size=(3, 5, 2))
    with pytest.raises(ValueError, match="grad"):
        signature_backprop(np.zeros((3, 5)), p, 2)


def test_docstring_examples_run():
    failures, _ = doctest.testmod(srnn_rs.signatures, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
