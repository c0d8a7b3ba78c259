"""Input-noise robustness tables: level 0 is the clean score, and for a prediction affine in the
input the expected degradation is known in closed form (see ``srnn_rs.robustness``)."""

from __future__ import annotations

import numpy as np
import pytest

import srnn_rs


def _linear_readout_machine():
    """A ReadoutSRNN on a noiseless linear network predicting from its final state: its
    prediction is affine in U, ``a + Σ_t β_t U_t``."""
    rng = np.random.default_rng(0)
    n, T = 4, 12
    W = 0.4 * rng.standard_normal((n, n)) / np.sqrt(n)
    net = srnn_rs.SRNN(W, rng.standard_normal((n, 1)), gamma=1.0, activation="identity")
    U = rng.standard_normal((60, T))
    y = np.tanh(U[:, -3:].sum(axis=1)) + 0.1 * rng.standard_normal(60)
    est = srnn_rs.ReadoutSRNN(net, dt=0.2, target="final", alpha=1e-3).fit(U, y)
    a = est.predict(np.zeros((1, T)))[0]
    beta = np.array([est.predict(np.eye(T)[[t]])[0] - a for t in range(T)]).ravel()
    return est, U, y, beta


class _Affine:
    def __init__(self, beta: np.ndarray, a: float = 0.5) -> None:
        self.beta, self.a = beta, a

    def predict(self, U: np.ndarray) -> np.ndarray:
        return self.a + U.reshape(len(U), -1) @ self.beta.ravel()


def test_level_zero_is_the_clean_score():
    est, U, y, _ = _linear_readout_machine()
    rows = srnn_rs.robustness(est, U, y, levels=[0.0, 0.2], n_repeats=3)
    assert rows[0] == {"noise": "gaussian", "level": 0.0, "score": est.score(U, y), "score_se": 0.0,
                       "n_repeats": 1}
    sp = srnn_rs.robustness(est, U, y, noise="salt_and_pepper", levels=[0.0], n_repeats=3)
    assert sp[0]["score"] == est.score(U, y)


def test_gaussian_noise_degrades_an_affine_machine_as_derived():
    est, U, y, beta = _linear_readout_machine()
    pred = est.predict(U).ravel()
    mse_clean = np.mean((y - pred) ** 2)
    levels = [0.1, 0.5]
    mse = srnn_rs.robustness(est, U, y, levels=levels, n_repeats=200, seed=4, scoring="mse")
    r2 = srnn_rs.robustness(est, U, y, levels=levels, n_repeats=200, seed=4)
    total = np.sum((y - y.mean()) ** 2)
    for level, m, r in zip(levels, mse, r2):
        expect_mse = mse_clean + level**2 * beta @ beta
        assert abs(m["score"] - expect_mse) < 4 * m["score_se"], (m, expect_mse)
        expect_r2 = est.score(U, y) - level**2 * (beta @ beta) * len(y) / total
        assert abs(r["score"] - expect_r2) < 4 * r["score_se"], (r, expect_r2)
        assert m["score_se"] > 0


def test_salt_and_pepper_degrades_an_affine_model_as_derived():
    rng = np.random.default_rng(1)
    U = rng.uniform(-1, 2, (300, 5, 2))
    beta = rng.standard_normal((5, 2))
    model = _Affine(beta)
    y = model.predict(U) + 0.3 * rng.standard_normal(300)
    level = 0.2
    row = srnn_rs.robustness(model, U, y, noise="salt_and_pepper", levels=[level], n_repeats=100, seed=2,
                             scoring="mse")[0]
    lo, hi = U.min(axis=(0, 1)), U.max(axis=(0, 1))
    # Each entry moves by δ = (s − u) with probability p, s ∈ {lo, hi} equally likely.
    mean_shift = level * ((lo + hi) / 2 - U)
    var_shift = level * (((lo - U) ** 2 + (hi - U) ** 2) / 2) - mean_shift**2
    resid = y - model.predict(U) - (mean_shift * beta).reshape(300, -1).sum(axis=1)
    expect = np.mean(resid**2 + (var_shift * beta**2).reshape(300, -1).sum(axis=1))
    assert abs(row["score"] - expect) < 4 * row["score_se"], (row, expect)


def test_full_salt_and_pepper_leaves_only_extremes():
    U = np.arange(12.0).reshape(3, 4)
    seen = []

    def record(estimator, U_noisy, y):
        seen.append(U_noisy)
        return 0.0

    srnn_rs.robustness(None, U, np.zeros(3), noise="salt_and_pepper", levels=[1.0], n_repeats=2, scoring=record)
    for noisy in seen:
        assert np.all((noisy == U.min(axis=0)) | (noisy == U.max(axis=0)))
    assert not np.array_equal(seen[0], seen[1])


def test_tables_reproduce_with_the_seed():
    model, U = _Affine(np.ones(3)), np.ones((50, 3))
    y = np.zeros(50)
    a = srnn_rs.robustness(model, U, y, levels=[0.3, 1.0], scoring="mse", seed=9)
    b = srnn_rs.robustness(model, U, y, levels=[0.3, 1.0], scoring="mse", seed=9)
    c = srnn_rs.robustness(model, U, y, levels=[0.3, 1.0], scoring="mse", seed=10)
    assert a == b and a != c
    assert [r["level"] for r in a] == [0.3, 1.0]


@pytest.mark.parametrize("kwargs, exc, name", [
    ({"noise": "uniform"}, ValueError, "noise"),
    ({"levels": [-0.1]}, ValueError, "levels"),
    ({"levels": []}, ValueError, "levels"),
    ({"levels": 0.3}, TypeError, "levels"),
    ({"levels": [1.5], "noise": "salt_and_pepper"}, ValueError, "levels"),
    ({"n_repeats": 1}, ValueError, "n_repeats"),
    ({"seed": -2}, ValueError, "seed"),
    ({"scoring": "mae"}, ValueError, "scoring"),
])
def test_bad_arguments_are_named(kwargs, exc, name):
    with pytest.raises(exc, match=f"^{name}:"):
        srnn_rs.robustness(_Affine(np.ones(2)), np.ones((4, 2)), np.zeros(4), **kwargs)


def test_estimator_must_predict():
    with pytest.raises(TypeError, match="^estimator:"):
        srnn_rs.robustness(object(), np.ones((4, 2)), np.zeros(4))
    with pytest.raises(TypeError, match="^estimator:"):
        srnn_rs.robustness(_Affine(np.ones(2)), np.ones((4, 2)), np.zeros(4), scoring="r2")
