"""Log-signatures: Lyndon basis, agreement with iisignature, conversions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srnn_rs import (
    logsig_basis_labels,
    logsig_to_sig,
    logsiglength,
    logsignature,
    lyndon_words,
    sig_to_logsig,
    siglength,
    signature,
    tensor_log,
)


def rng(seed=0):
    return np.random.default_rng(seed)


def test_witt_formula_and_words():
    assert [logsiglength(2, k) for k in range(1, 7)] == [2, 3, 5, 8, 14, 23]
    assert logsiglength(4, 4) == 4 + 6 + 20 + 60
    assert logsiglength(1, 5) == 1
    for d in range(1, 5):
        for depth in range(1, 6):
            words = lyndon_words(d, depth)
            assert len(words) == logsiglength(d, depth)
            assert len(set(words)) == len(words)
            for w in words:  # strictly smaller than every proper rotation
                assert all(w < w[i:] + w[:i] for i in range(1, len(w)))
            lens = [len(w) for w in words]
            assert lens == sorted(lens)
    assert lyndon_words(2, 3) == [(0,), (1,), (0, 1), (0, 0, 1), (0, 1, 1)]


def test_labels():
    assert logsig_basis_labels(2, 4) == [
        "1", "2", "[1,2]", "[1,[1,2]]", "[[1,2],2]", "[1,[1,[1,2]]]", "[1,[[1,2],2]]", "[[[1,2],2],2]",
    ]
    assert logsig_basis_labels(12, 1)[-1] == "12"


def test_expand_is_tensor_log():
    p = rng(1).normal(size=(3, 9, 3))
    np.testing.assert_allclose(logsignature(p, 4, mode="expand"), tensor_log(signature(p, 4), 3, 4), rtol=1e-12, atol=1e-13)


def test_level_two_is_levy_area():
    p = rng(2).normal(size=(15, 2))
    s = signature(p, 2)
    ls = logsignature(p, 2)
    np.testing.assert_allclose(ls[:2], s[:2])
    np.testing.assert_allclose(ls[2], 0.5 * (s[2 + 1] - s[2 + 2]), rtol=1e-12)


def test_straight_line_has_only_level_one():
    p = np.array([[0.0, 0.0, 0.0], [0.5, -1.0, 2.0], [1.0, -2.0, 4.0]])
    ls = logsignature(p, 5)
    np.testing.assert_allclose(ls[:3], [1.0, -2.0, 4.0])
    np.testing.assert_allclose(ls[3:], 0.0, atol=1e-13)


def test_conversions_roundtrip():
    p = rng(3).normal(size=(4, 10, 3))
    s = signature(p, 4)
    for mode in ("lyndon", "expand", "words"):
        ls = logsignature(p, 4, mode=mode)
        np.testing.assert_allclose(sig_to_logsig(s, 3, 4, mode=mode), ls, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(logsig_to_sig(ls, 3, 4, mode=mode), s, rtol=1e-10, atol=1e-12)
    sst = signature(p, 4, scalar_term=True)
    np.testing.assert_allclose(sig_to_logsig(sst, 3, 4, scalar_term=True), logsignature(p, 4), rtol=1e-10, atol=1e-12)


def test_words_mode_reads_lyndon_words():
    p = rng(4).normal(size=(8, 2))
    full = logsignature(p, 3, mode="expand")
    words = logsignature(p, 3, mode="words")
    offs = {1: 0, 2: 2, 3: 6}
    for w, v in zip(lyndon_words(2, 3), words):
        idx = offs[len(w)] + int("".join(map(str, w)), 2)
        assert v == pytest.approx(full[idx])


def test_stream_and_options():
    p = rng(5).normal(size=(2, 7, 2))
    st_ = logsignature(p, 3, stream=True)
    assert st_.shape == (2, 6, 5)
    np.testing.assert_allclose(st_[:, -1], logsignature(p, 3))
    np.testing.assert_allclose(logsignature(p, 3, inverse=True), -logsignature(p, 3), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(logsignature(p, 3, time_aug=True), logsignature(np.concatenate([p, np.broadcast_to(np.linspace(0, 1, 7)[:, None], (2, 7, 1))], -1), 3))
    assert logsignature(p[:, :1], 3).shape == (2, 5)
    np.testing.assert_array_equal(logsignature(p[:, :1], 3), 0.0)


def test_agrees_with_iisignature():
    ii = pytest.importorskip("iisignature")
    for d, depth in [(2, 6), (3, 4), (4, 4), (5, 3)]:
        p = rng(d + depth).normal(size=(3, 11, d))
        s = ii.prepare(d, depth, "SX")
        np.testing.assert_allclose(logsignature(p, depth), ii.logsig(p, s, "S"), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(logsignature(p, depth, mode="expand"), ii.logsig(p, s, "X"), rtol=1e-10, atol=1e-12)
        assert logsig_basis_labels(d, depth) == list(ii.basis(s))
        # the default method of a default prepare gives the same numbers
        np.testing.assert_allclose(logsignature(p, depth), ii.logsig(p, ii.prepare(d, depth)), rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(L=st.integers(1, 6), d=st.integers(1, 3), depth=st.integers(1, 4), mode=st.sampled_from(["lyndon", "expand", "words"]))
def test_shapes(L, d, depth, mode):
    p = rng(L).normal(size=(2, L, d))
    out = logsignature(p, depth, mode=mode)
    w = siglength(d, depth) if mode == "expand" else logsiglength(d, depth)
    assert out.shape == (2, w)
    assert np.isfinite(out).all()


def test_bad_inputs():
    p = rng(6).normal(size=(5, 2))
    with pytest.raises(ValueError, match="mode"):
        logsignature(p, 2, mode="brackets")
    with pytest.raises(ValueError, match="depth"):
        logsignature(p, 0)
    with pytest.raises(ValueError, match="logsig"):
        logsig_to_sig(np.zeros(4), 2, 2)
    with pytest.raises(ValueError, match="sig"):
        sig_to_logsig(np.zeros(5), 2, 2)
