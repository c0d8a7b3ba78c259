"""Parallelism inside one path: a path longer than one chunk (1024 segments) is cut into
chunks of fixed length, joined by Chen's identity in a fixed order, so signatures, streams,
log-signatures and gradients keep their bits whatever the thread count, and agree with
iisignature and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

from srnn_rs import logsignature, signature, signature_backprop

CHUNK = 1024
THREADS = (1, 2, 3, 5)


def rng(seed=0):
    return np.random.default_rng(seed)


def walk(shape, seed, scale=0.05):
    return np.cumsum(rng(seed).normal(scale=scale, size=shape), axis=-2)


def same_for_every_thread_count(f):
    first = f(THREADS[0])
    for n in THREADS[1:]:
        np.testing.assert_array_equal(f(n), first, err_msg=f"n_jobs={n}")
    return first


# Batches of 1 and 3 split each path over the threads; 8 paths of d = 2 fill one lane group.
@pytest.mark.parametrize("batch", [1, 3, 8])
@pytest.mark.parametrize(
    "kw",
    [{}, {"inverse": True}, {"basepoint": True, "time_aug": True}, {"stream": True}, {"stream": True, "inverse": True}],
)
def test_signature_bits_do_not_depend_on_thread_count(batch, kw):
    p = walk((batch, 3 * CHUNK + 300, 2), seed=batch)
    got = same_for_every_thread_count(lambda n: signature(p, 4, n_jobs=n, **kw))
    # A path's bits do not depend on the batch it is in either (lanes or single paths).
    np.testing.assert_array_equal(got[batch - 1], signature(p[batch - 1], 4, **kw))


def test_initial_continues_long_paths_for_every_thread_count():
    p = walk((2, 2 * CHUNK + 50, 3), seed=4)
    head = walk((2, 9, 3), seed=5)
    init = signature(head, 3)
    # The head, then the path moved to start where the head ends.
    whole = signature(np.concatenate([head, p - p[:, :1] + head[:, -1:]], axis=1), 3)
    for kw in ({}, {"stream": True}):
        got = same_for_every_thread_count(lambda n: signature(p, 3, initial=init, n_jobs=n, **kw))
        last = got[:, -1] if kw else got
        np.testing.assert_allclose(last, whole, rtol=1e-9, atol=1e-12)


def test_long_stream_agrees_with_iisignature():
    ii = pytest.importorskip("iisignature")
    p = walk((2, 2 * CHUNK + 700, 3), seed=6)
    np.testing.assert_allclose(signature(p, 4, stream=True), ii.sig(p, 4, 2), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(signature(p, 4), ii.sig(p, 4), rtol=1e-10, atol=1e-12)


def test_long_stream_rows_agree_with_signatures_of_prefixes():
    p = walk((1, 3 * CHUNK + 5, 2), seed=7)[0]
    st = signature(p, 3, stream=True)
    # Rows on both sides of each chunk boundary, and the last.
    for k in (CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 3):
        np.testing.assert_allclose(st[k], signature(p[: k + 2], 3), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("batch", [1, 8])
@pytest.mark.parametrize("kw", [{}, {"inverse": True}, {"lead_lag": True, "basepoint": True}])
def test_backprop_bits_do_not_depend_on_thread_count(batch, kw):
    p = walk((batch, 2 * CHUNK + 100, 2), seed=8)
    g = rng(9).normal(size=signature(p, 3, **kw).shape)
    got = same_for_every_thread_count(lambda n: signature_backprop(g, p, 3, n_jobs=n, **kw))
    np.testing.assert_array_equal(got[-1], signature_backprop(g[-1], p[-1], 3, **kw))


def test_stream_backprop_bits_do_not_depend_on_thread_count():
    p = walk((2, CHUNK + 100, 2), seed=10)
    g = rng(11).normal(size=signature(p, 3, stream=True).shape)
    same_for_every_thread_count(lambda n: signature_backprop(g, p, 3, stream=True, n_jobs=n))


def levels(x, d, depth):
    out, o = [np.ones(1)], 0
    for k in range(1, depth + 1):
        out.append(x[o : o + d**k])
        o += d**k
    return out


def test_long_backprop_agrees_with_chen_identity():
    # L = <g, A ⊗ B> for a path cut into a head and a tail of at most one chunk each: the
    # tail's gradient is that of the tail continuing A, the head's that of <g', A>, where
    # g'[u] = sum_v g[uv] B[v].
    d, depth = 3, 3
    p = walk((1800, d), seed=12)
    head, tail = p[:1000], p[999:]
    g = rng(13).normal(size=signature(p, depth).shape)
    a, b = signature(head, depth), signature(tail, depth)
    gl, bl = levels(g, d, depth), levels(b, d, depth)
    g_head = np.concatenate(
        [sum((gl[j + l].reshape(d**j, d**l) @ bl[l]) for l in range(depth - j + 1)) for j in range(1, depth + 1)]
    )
    want = np.zeros_like(p)
    want[:1000] += signature_backprop(g_head, head, depth)
    want[999:] += signature_backprop(g, tail, depth, initial=a)
    np.testing.assert_allclose(signature_backprop(g, p, depth), want, rtol=1e-9, atol=1e-11)
    ii = pytest.importorskip("iisignature")
    np.testing.assert_allclose(want, ii.sigbackprop(g, p, depth), rtol=1e-5, atol=1e-5 * np.abs(want).max())


@pytest.mark.parametrize("kw", [{"inverse": True}, {"initial": "random"}])
def test_long_backprop_matches_directional_finite_differences(kw):
    p = walk((2 * CHUNK + 30, 2), seed=14)
    if kw.get("initial") is not None:
        kw = {"initial": signature(walk((6, 2), seed=15, scale=0.5), 3) * 1.3}
    g = rng(16).normal(size=signature(p, 3, **kw).shape)
    v = rng(17).normal(size=p.shape)
    h = 1e-5
    fd = (np.sum(g * signature(p + h * v, 3, **kw)) - np.sum(g * signature(p - h * v, 3, **kw))) / (2 * h)
    got = np.sum(signature_backprop(g, p, 3, **kw) * v)
    assert abs(got - fd) <= 1e-6 * (1 + abs(fd)), (got, fd)


def test_logsignature_bits_do_not_depend_on_thread_count():
    p = walk((2, 2 * CHUNK + 9, 3), seed=18)
    for kw in ({}, {"stream": True}):
        same_for_every_thread_count(lambda n: logsignature(p, 4, n_jobs=n, **kw))
