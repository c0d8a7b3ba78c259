"""signature_backprop against finite differences and iisignature.sigbackprop, with stream and
initial; doctests."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import srnn_rs
from srnn_rs import siglength, signature, signature_backprop, signature_combine, tensor_inverse


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


STREAM_INITIAL_OPTIONS = [
    {},
    {"inverse": True},
    {"basepoint": True},
    {"basepoint": np.array([0.3, -0.2]), "inverse": True},
    {"time_aug": True, "end_time": 2.0},
    {"lead_lag": True, "basepoint": True},
    {"lead_lag": True, "time_aug": True, "inverse": True},
    {"scalar_term": True},
    {"scalar_term": True, "inverse": True, "basepoint": True},
]


def random_initial(kw, d, depth, seed, batch=()):
    """A random group-like tensor (the signature of a random path) of the transformed dimension,
    with a non-unit scalar under ``scalar_term`` so that it is not group-like there."""
    de = d * (2 if kw.get("lead_lag") else 1) + (1 if kw.get("time_aug") else 0)
    t = signature(rng(seed).normal(size=batch + (4, de)), depth)
    if kw.get("scalar_term"):
        t = np.concatenate([np.full(batch + (1,), 0.7), t], axis=-1)
    return t


@pytest.mark.parametrize("kw", STREAM_INITIAL_OPTIONS)
def test_stream_matches_finite_differences(kw):
    p = rng(11).normal(size=(2, 4, 2))
    depth = 3
    shape = signature(p, depth, stream=True, **kw).shape
    g = rng(12).normal(size=shape)
    got = signature_backprop(g, p, depth, stream=True, **kw)
    assert got.shape == p.shape
    want = finite_difference(g, p, depth, stream=True, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kw", STREAM_INITIAL_OPTIONS)
@pytest.mark.parametrize("stream", [False, True])
def test_initial_matches_finite_differences(kw, stream):
    p = rng(13).normal(size=(2, 4, 2))
    depth = 3
    init = random_initial(kw, 2, depth, 14, batch=(2,))
    shape = signature(p, depth, stream=stream, initial=init, **kw).shape
    g = rng(15).normal(size=shape)
    got = signature_backprop(g, p, depth, stream=stream, initial=init, **kw)
    want = finite_difference(g, p, depth, stream=stream, initial=init, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_initial_is_left_multiplication():
    # output = T ⊗ S(path), so the gradient equals the one of sum(g * combine(T, signature(path))).
    p = rng(16).normal(size=(6, 3))
    depth = 3
    init = random_initial({}, 3, depth, 17)
    g = rng(18).normal(size=siglength(3, depth))

    def f(q):
        return np.sum(g * signature_combine(init, signature(q, depth), 3, depth))

    fd = np.zeros_like(p)
    h = 1e-5
    for idx in np.ndindex(p.shape):
        a, b = p.copy(), p.copy()
        a[idx] += h
        b[idx] -= h
        fd[idx] = (f(a) - f(b)) / (2 * h)
    np.testing.assert_allclose(signature_backprop(g, p, depth, initial=init), fd, rtol=1e-6, atol=1e-7)
    # with inverse, S(path)^{-1} ⊗ T
    inv = signature_backprop(g, p, depth, initial=init, inverse=True)

    def f_inv(q):
        return np.sum(g * signature_combine(tensor_inverse(signature(q, depth), 3, depth), init, 3, depth))

    for idx in np.ndindex(p.shape):
        a, b = p.copy(), p.copy()
        a[idx] += h
        b[idx] -= h
        fd[idx] = (f_inv(a) - f_inv(b)) / (2 * h)
    np.testing.assert_allclose(inv, fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kw", [kw for kw in STREAM_INITIAL_OPTIONS if not (kw.get("lead_lag") or kw.get("time_aug"))])
@pytest.mark.parametrize("with_initial", [False, True])
def test_stream_is_sum_of_prefix_backprops(kw, with_initial):
    # Row k of the stream is the signature of the raw prefix path[:j] (j = k + 2, or k + 1
    # after a basepoint). Lead-lag rows end on half steps and a prefix's time channel is not
    # the whole path's, so those options are left to the finite-difference tests.
    p = rng(19).normal(size=(3, 6, 2))
    depth = 4
    init = random_initial(kw, 2, depth, 20, batch=(3,)) if with_initial else None
    shape = signature(p, depth, stream=True, initial=init, **kw).shape
    g = rng(21).normal(size=shape)
    got = signature_backprop(g, p, depth, stream=True, initial=init, **kw)
    first = 1 if "basepoint" in kw else 2
    want = np.zeros_like(p)
    for k in range(shape[-2]):
        j = k + first
        want[:, :j] += signature_backprop(g[:, k], p[:, :j], depth, initial=init, **kw)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def test_stream_shapes_and_no_mutation():
    p = rng(22).normal(size=(2, 3, 5, 2))
    init = random_initial({}, 2, 2, 23, batch=(3,))
    g = rng(24).normal(size=(2, 3, 4, siglength(2, 2)))
    c = (p.copy(), init.copy(), g.copy())
    out = signature_backprop(g, p, 2, stream=True, initial=init)
    assert out.shape == p.shape
    for a, b in zip((p, init, g), c):
        np.testing.assert_array_equal(a, b)
    # a single point: no rows, zero gradient
    q = rng(25).normal(size=(1, 2))
    np.testing.assert_array_equal(signature_backprop(np.zeros((0, 6)), q, 2, stream=True), 0.0)


def test_n_jobs_gives_same_result():
    p = rng(26).normal(size=(20, 7, 3))
    init = random_initial({}, 3, 3, 27)
    g = rng(28).normal(size=(20, 6, siglength(3, 3)))
    a = signature_backprop(g, p, 3, stream=True, initial=init, n_jobs=1)
    b = signature_backprop(g, p, 3, stream=True, initial=init, n_jobs=4)
    np.testing.assert_array_equal(a, b)


def test_bad_stream_grad_and_initial_shapes():
    p = rng(29).normal(size=(3, 5, 2))
    S = siglength(2, 2)
    with pytest.raises(ValueError, match="grad"):
        signature_backprop(np.zeros((3, S)), p, 2, stream=True)
    with pytest.raises(ValueError, match="grad"):
        signature_backprop(np.zeros((3, 5, S)), p, 2, stream=True)
    with pytest.raises(ValueError, match="grad"):
        signature_backprop(np.zeros((3, 4, S)), p, 2, stream=True, basepoint=True)
    with pytest.raises(ValueError, match="initial"):
        signature_backprop(np.zeros((3, S)), p, 2, initial=np.zeros(S + 1))
    with pytest.raises(ValueError, match="initial"):
        signature_backprop(np.zeros((3, S)), p, 2, initial=np.zeros((2, S)))
    with pytest.raises(ValueError, match="initial"):
        signature_backprop(np.zeros((3, S + 1)), p, 2, initial=np.zeros(S), scalar_term=True)
    with pytest.raises(TypeError, match="stream"):
        signature_backprop(np.zeros((3, S)), p, 2, stream=1)


def test_docstring_examples_run():
    failures, _ = doctest.testmod(srnn_rs.signatures, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0
