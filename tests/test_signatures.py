"""Signatures and the truncated tensor algebra: identities that must hold, agreement with
iisignature, options, shapes and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srnn_rs
from srnn_rs import (
    MemoryLimitError,
    multi_signature_combine,
    siglength,
    signature,
    signature_combine,
    tensor_exp,
    tensor_inverse,
    tensor_log,
)


def rng(seed=0):
    return np.random.default_rng(seed)


def levels(x, d, depth):
    out, o = [], 0
    for k in range(1, depth + 1):
        out.append(x[..., o : o + d**k])
        o += d**k
    return out


def brute_signature(path, depth):
    """Reference: product of exp(increment) with dense per-level tensors."""
    d = path.shape[1]
    sig = [np.ones(())] + [np.zeros((d,) * k) for k in range(1, depth + 1)]
    for z in np.diff(path, axis=0):
        e = [np.ones(())]
        for k in range(1, depth + 1):
            e.append(np.multiply.outer(e[-1], z) / k)
        new = []
        for k in range(depth + 1):
            acc = np.zeros((d,) * k)
            for j in range(k + 1):
                acc = acc + np.multiply.outer(sig[j], e[k - j])
            new.append(acc)
        sig = new
    return np.concatenate([s.ravel() for s in sig[1:]])


# ---------------------------------------------------------------------------------------
# basic identities


def test_siglength():
    assert siglength(2, 3) == 14
    assert siglength(1, 5) == 5
    assert siglength(4, 5) == 4 + 16 + 64 + 256 + 1024
    with pytest.raises(ValueError, match="depth"):
        siglength(2, 0)
    with pytest.raises(TypeError, match="d"):
        siglength(2.5, 2)


def test_matches_brute_force():
    p = rng(1).normal(size=(7, 3))
    np.testing.assert_allclose(signature(p, 4), brute_signature(p, 4), rtol=1e-12, atol=1e-13)


def test_straight_line_is_tensor_power_over_factorial():
    z = np.array([0.3, -1.2, 0.5])
    p = np.stack([np.zeros(3), z])
    s = signature(p, 5)
    for k, lev in enumerate(levels(s, 3, 5), start=1):
        want = z
        for _ in range(k - 1):
            want = np.multiply.outer(want, z)
        np.testing.assert_allclose(lev, want.ravel() / math.factorial(k), rtol=1e-14, atol=1e-16)
    # many collinear points give the same answer
    q = np.linspace(0, 1, 11)[:, None] * z
    np.testing.assert_allclose(signature(q, 5), s, rtol=1e-12, atol=1e-14)


def test_chen_identity():
    p = rng(2).normal(size=(30, 3))
    a, b = signature(p[:12], 4), signature(p[11:], 4)
    np.testing.assert_allclose(signature_combine(a, b, 3, 4), signature(p, 4), rtol=1e-11, atol=1e-12)


def test_inverse_is_signature_of_reversed_path():
    p = rng(3).normal(size=(4, 25, 2))
    inv = signature(p, 5, inverse=True)
    np.testing.assert_allclose(inv, signature(p[:, ::-1], 5), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(inv, tensor_inverse(signature(p, 5), 2, 5), rtol=1e-10, atol=1e-12)
    ident = signature_combine(signature(p, 5), inv, 2, 5)
    np.testing.assert_allclose(ident, 0.0, atol=1e-10)


def test_shuffle_identity_levels_one_and_two():
    p = rng(4).normal(size=(40, 3))
    s = signature(p, 2)
    l1, l2 = s[:3], s[3:].reshape(3, 3)
    # S^i S^j = S^{ij} + S^{ji}
    np.testing.assert_allclose(np.outer(l1, l1), l2 + l2.T, rtol=1e-12, atol=1e-12)
    # S^{ii} = (S^i)^2 / 2
    np.testing.assert_allclose(np.diag(l2), l1**2 / 2, rtol=1e-12)


def test_shuffle_identity_level_three():
    p = rng(5).normal(size=(20, 2))
    s = signature(p, 3)
    l1, l2, l3 = levels(s, 2, 3)
    l2, l3 = l2.reshape(2, 2), l3.reshape(2, 2, 2)
    # S^i S^{jk} = S^{ijk} + S^{jik} + S^{jki}
    for i in range(2):
        for j in range(2):
            for k in range(2):
                np.testing.assert_allclose(l1[i] * l2[j, k], l3[i, j, k] + l3[j, i, k] + l3[j, k, i], rtol=1e-10, atol=1e-12)


def test_reparametrisation_invariance():
    p = rng(6).normal(size=(6, 2))
    # insert points on the segments (a reparametrisation of the same piecewise-linear path)
    fine = [p[0]]
    for a, b in zip(p[:-1], p[1:]):
        for t in (0.2, 0.5, 1.0):
            fine.append(a + t * (b - a))
    fine = np.array(fine)
    np.testing.assert_allclose(signature(fine, 5), signature(p, 5), rtol=1e-11, atol=1e-13)
    # repeated points change nothing
    rep = np.repeat(p, 3, axis=0)
    np.testing.assert_allclose(signature(rep, 5), signature(p, 5), rtol=1e-12, atol=1e-14)


def test_time_augmented_one_dimensional_path():
    x = rng(7).normal(size=(9, 1))
    s = signature(x, 3, time_aug=True, end_time=2.0)
    t = np.linspace(0, 2.0, 9)[:, None]
    np.testing.assert_allclose(s, signature(np.hstack([x, t]), 3), rtol=1e-13)
    l1, l2, _ = levels(s, 2, 3)
    np.testing.assert_allclose(l1, [x[-1, 0] - x[0, 0], 2.0])
    # the time-time entry is T^2/2; the two cross terms sum to (Δx)·T
    np.testing.assert_allclose(l2[3], 2.0)
    np.testing.assert_allclose(l2[1] + l2[2], (x[-1, 0] - x[0, 0]) * 2.0)


def test_lead_lag_matches_explicit_transform():
    x = rng(8).normal(size=(3, 6, 2))
    lag = np.repeat(x, 2, axis=1)[:, :-1]
    lead = np.repeat(x, 2, axis=1)[:, 1:]
    ll = np.concatenate([lag, lead], axis=-1)
    np.testing.assert_allclose(signature(x, 3, lead_lag=True), signature(ll, 3), rtol=1e-12, atol=1e-14)
    t = np.linspace(0, 3.0, ll.shape[1])
    llt = np.concatenate([ll, np.broadcast_to(t[None, :, None], ll.shape[:2] + (1,))], axis=-1)
    np.testing.assert_allclose(
        signature(x, 3, lead_lag=True, time_aug=True, end_time=3.0), signature(llt, 3), rtol=1e-12, atol=1e-14
    )
    # level 2 antisymmetric part of lead-lag gives the quadratic variation
    s = signature(x[0, :, :1], 2, lead_lag=True)
    qv = np.sum(np.diff(x[0, :, 0]) ** 2)
    np.testing.assert_allclose(s[2 + 2] - s[2 + 1], qv, rtol=1e-12)


def test_basepoint_and_initial():
    p = rng(9).normal(size=(5, 10, 3))
    with_origin = np.concatenate([np.zeros((5, 1, 3)), p], axis=1)
    np.testing.assert_allclose(signature(p, 3, basepoint=True), signature(with_origin, 3), rtol=1e-13)
    bp = rng(10).normal(size=3)
    with_bp = np.concatenate([np.broadcast_to(bp, (5, 1, 3)), p], axis=1)
    np.testing.assert_allclose(signature(p, 3, basepoint=bp), signature(with_bp, 3), rtol=1e-13)
    st_ = signature(p, 3, basepoint=True, stream=True)
    assert st_.shape == (5, 10, siglength(3, 3))
    # initial continues the earlier signature
    first = signature(p[:, :4], 3)
    np.testing.assert_allclose(signature(p[:, 3:], 3, initial=first), signature(p, 3), rtol=1e-11, atol=1e-13)
    inv_first = signature(p[:, :4], 3, inverse=True)
    np.testing.assert_allclose(
        signature(p[:, 3:], 3, initial=inv_first, inverse=True), signature(p, 3, inverse=True), rtol=1e-11, atol=1e-13
    )
    # stream with initial: every prefix continued
    st_init = signature(p[:, 3:], 3, initial=first, stream=True)
    np.testing.assert_allclose(st_init, signature(p, 3, stream=True)[:, 3:], rtol=1e-11, atol=1e-13)


def test_scalar_term_and_single_point():
    p = rng(11).normal(size=(2, 4, 2))
    s = signature(p, 3, scalar_term=True)
    assert s.shape == (2, 1 + siglength(2, 3))
    np.testing.assert_array_equal(s[:, 0], 1.0)
    np.testing.assert_allclose(s[:, 1:], signature(p, 3))
    one = signature(p[:, :1], 3, scalar_term=True)
    np.testing.assert_array_equal(one, np.eye(1, 15)[[0, 0]])
    assert signature(p[:, :1], 3, stream=True).shape == (2, 0, 14)


def test_long_path_chunks_agree_with_sequential():
    p = rng(12).normal(size=(5000, 2)) * 0.05
    full = signature(p, 4)
    a = signature(p[:2500], 4)
    b = signature(p[2499:], 4)
    np.testing.assert_allclose(full, signature_combine(a, b, 2, 4), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(full, signature(p, 4, stream=True)[-1], rtol=1e-9, atol=1e-12)


def test_n_jobs_and_float32():
    p = rng(13).normal(size=(9, 15, 3))
    a = signature(p, 3)
    np.testing.assert_array_equal(a, signature(p, 3, n_jobs=1))
    b = signature(p.astype(np.float32), 3)
    assert b.dtype == np.float64
    np.testing.assert_allclose(b, signature(p.astype(np.float32).astype(np.float64), 3))


def test_inputs_not_mutated_and_noncontiguous_accepted():
    p = rng(14).normal(size=(4, 12, 3))
    copy = p.copy()
    init = signature(p, 2)
    init_copy = init.copy()
    signature(p, 2, initial=init, basepoint=True)
    signature_combine(init, init, 3, 2)
    tensor_log(init, 3, 2)
    np.testing.assert_array_equal(p, copy)
    np.testing.assert_array_equal(init, init_copy)
    q = p[:, ::2, :]
    np.testing.assert_allclose(signature(q, 3), signature(np.ascontiguousarray(q), 3))
    ro = p.copy()
    ro.setflags(write=False)
    signature(ro, 2)


# ---------------------------------------------------------------------------------------
# tensor algebra


def test_tensor_exp_log_roundtrip():
    x = rng(15).normal(size=(6, siglength(3, 4)))
    np.testing.assert_allclose(tensor_log(tensor_exp(x, 3, 4), 3, 4), x, rtol=1e-10, atol=1e-11)
    s = signature(rng(16).normal(size=(8, 3)), 4)
    np.testing.assert_allclose(tensor_exp(tensor_log(s, 3, 4), 3, 4), s, rtol=1e-10, atol=1e-12)


def test_tensor_scalar_term_and_combine_broadcast():
    s = signature(rng(17).normal(size=(3, 8, 2)), 3, scalar_term=True)
    inv = tensor_inverse(s, 2, 3, scalar_term=True)
    prod = signature_combine(s, inv, 2, 3, scalar_term=True)
    np.testing.assert_allclose(prod, np.eye(1, 15)[[0, 0, 0]], atol=1e-11)
    # a (3, S) batch combined with one (S,) tensor
    one = signature(rng(18).normal(size=(4, 2)), 3)
    out = signature_combine(s[:, 1:], one, 2, 3)
    assert out.shape == (3, 14)
    np.testing.assert_allclose(out[1], signature_combine(s[1, 1:], one, 2, 3))
    many = multi_signature_combine(np.stack([s[:, 1:], s[:, 1:], s[:, 1:]]), 2, 3)
    np.testing.assert_allclose(many, signature_combine(signature_combine(s[:, 1:], s[:, 1:], 2, 3), s[:, 1:], 2, 3))


def test_tensor_log_needs_positive_scalar():
    with pytest.raises(ValueError, match="level-0"):
        tensor_log(np.zeros(7), 2, 2, scalar_term=True)


# ---------------------------------------------------------------------------------------
# iisignature agreement


def test_agrees_with_iisignature_sig_and_stream():
    ii = pytest.importorskip("iisignature")
    for d, depth in [(1, 4), (2, 5), (3, 4), (5, 3)]:
        p = rng(d).normal(size=(3, 17, d))
        np.testing.assert_allclose(signature(p, depth), ii.sig(p, depth), rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(signature(p, depth, stream=True), ii.sig(p, depth, 2), rtol=1e-11, atol=1e-13)


def test_agrees_with_iisignature_sigcombine():
    ii = pytest.importorskip("iisignature")
    a = signature(rng(19).normal(size=(4, 6, 3)), 3)
    b = signature(rng(20).normal(size=(4, 6, 3)), 3)
    # iisignature.sigcombine computes in float32
    np.testing.assert_allclose(signature_combine(a, b, 3, 3), ii.sigcombine(a, b, 3, 3), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------
# shapes, dtypes and bad input (hypothesis)


@settings(max_examples=40, deadline=None)
@given(
    batch=st.lists(st.integers(1, 3), min_size=0, max_size=2),
    L=st.integers(1, 8),
    d=st.integers(1, 4),
    depth=st.integers(1, 4),
    stream=st.booleans(),
    scalar=st.booleans(),
    dtype=st.sampled_from([np.float64, np.float32, np.int64]),
)
def test_shapes_and_dtypes(batch, L, d, depth, stream, scalar, dtype):
    p = (rng(L * 7 + d).normal(size=tuple(batch) + (L, d)) * 3).astype(dtype)
    out = signature(p, depth, stream=stream, scalar_term=scalar)
    S = siglength(d, depth) + scalar
    want = tuple(batch) + ((L - 1, S) if stream else (S,))
    assert out.shape == want and out.dtype == np.float64
    assert np.isfinite(out).all()
    if not stream:
        ref = brute_signature(p.reshape(-1, L, d)[0].astype(np.float64), depth)
        np.testing.assert_allclose(out.reshape(-1, S)[0, scalar:], ref, rtol=1e-10, atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(L=st.integers(2, 6), d=st.integers(1, 3), depth=st.integers(1, 4))
def test_zero_increments_give_zero_signature(L, d, depth):
    p = np.tile(rng(1).normal(size=d), (L, 1))
    np.testing.assert_array_equal(signature(p, depth), 0.0)


def test_bad_inputs():
    p = rng(21).normal(size=(5, 2))
    with pytest.raises(ValueError, match="depth"):
        signature(p, 0)
    with pytest.raises(TypeError, match="depth"):
        signature(p, 2.0)
    with pytest.raises(ValueError, match="path"):
        signature(np.zeros(5), 2)
    with pytest.raises(ValueError, match="path"):
        signature(np.zeros((0, 2)), 2)
    bad = p.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="path"):
        signature(bad, 2)
    with pytest.raises(TypeError, match="path"):
        signature(np.array([["a", "b"]]), 2)
    with pytest.raises(TypeError, match="stream"):
        signature(p, 2, stream="yes")
    with pytest.raises(ValueError, match="basepoint"):
        signature(p, 2, basepoint=np.zeros(3))
    with pytest.raises(ValueError, match="initial"):
        signature(p, 2, initial=np.zeros(5))
    with pytest.raises(ValueError, match="n_jobs"):
        signature(p, 2, n_jobs=0)
    with pytest.raises(ValueError, match="x"):
        tensor_exp(np.zeros(5), 2, 2)


def test_memory_limit_checked_before_allocating():
    p = np.zeros((2, 3, 10))
    with pytest.raises(MemoryLimitError, match="signature"):
        signature(p, 12)  # 10^12 coefficients
    old = srnn_rs.get_memory_limit()
    try:
        srnn_rs.set_memory_limit(1000)
        with pytest.raises(MemoryLimitError):
            signature(rng(0).normal(size=(4, 5, 3)), 3)
        with pytest.raises(MemoryLimitError):
            tensor_exp(np.zeros((10, siglength(3, 3))), 3, 3)
    finally:
        srnn_rs.set_memory_limit(old)


def test_empty_batches():
    assert signature(np.zeros((0, 5, 2)), 3).shape == (0, 14)
    assert signature(np.zeros((0, 5, 2)), 3, stream=True).shape == (0, 4, 14)
    assert signature(np.zeros((3, 0, 5, 2)), 3).shape == (3, 0, 14)


@settings(max_examples=30, deadline=None)
@given(depth=st.one_of(st.integers(-5, 0), st.integers(1001, 10**6)))
def test_bad_depths_rejected(depth):
    with pytest.raises(ValueError, match="depth"):
        signature(np.zeros((3, 1)), depth)


@settings(max_examples=20, deadline=None)
@given(shape=st.sampled_from([(), (3,), (0, 2), (2, 0)]))
def test_bad_path_shapes_rejected(shape):
    with pytest.raises(ValueError, match="path"):
        signature(np.zeros(shape), 2)


def test_long_computation_can_be_interrupted():
    import _thread
    import threading

    x = rng(22).normal(size=(3000, 256, 4))
    timer = threading.Timer(0.05, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            for _ in range(20):  # far longer than the timer, whatever the machine
                signature(x, 5)
    finally:
        timer.cancel()


def test_gil_is_released_during_rust_work():
    import threading
    import time

    x = rng(23).normal(size=(1500, 256, 4))
    done = threading.Event()

    def work():
        signature(x, 5)
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    ticks = 0
    while not done.is_set():
        time.sleep(0.001)
        ticks += 1
    worker.join()
    # holding the GIL for the whole call would leave this thread one or two wake-ups
    assert ticks > 5


def test_results_do_not_depend_on_thread_count_or_batch_grouping():
    p = rng(24).normal(size=(13, 40, 3))
    a = signature(p, 4)
    np.testing.assert_array_equal(a, signature(p, 4, n_jobs=1))
    np.testing.assert_array_equal(a[5], signature(p[5], 4))  # batch of 13 (lanes) vs single path
    np.testing.assert_array_equal(signature(p, 4, stream=True)[7], signature(p[7], 4, stream=True))
