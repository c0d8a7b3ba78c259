"""Output feedback in ReadoutSRNN (the echo-state network's W_fb): teacher forcing in fit, the
closed loop in predict, checked against a NumPy leaky ESN with feedback, noise-free."""

import numpy as np
import pytest

import srnn_rs

LEAK = 0.5


def setup(N=3, T=120, seed=1):
    net = srnn_rs.reservoir(30, m=2, spectral_radius=0.8, connectivity=0.2, leak=LEAK, seed=3, sigma=0.0,
                            input_scaling=0.5)
    rng = np.random.default_rng(seed)
    U = rng.uniform(-0.5, 0.5, (N, T, 1))
    y = 0.5 * np.sin(np.cumsum(U[..., 0], axis=1))[..., None]
    return net, U, y


def numpy_closed_loop(net, coef, intercept, U):
    p = net.get_params()
    W, C, b, C_in = p["W"], p["C"], p["b"], p["C_in"]
    h = np.zeros((U.shape[0], W.shape[0]))
    y_prev = np.zeros((U.shape[0], coef.shape[1]))
    out = np.empty((*U.shape[:2], coef.shape[1]))
    for t in range(U.shape[1]):
        inp = np.concatenate([U[:, t], y_prev], axis=1)
        h = h + LEAK * (-h + np.tanh(h @ W.T + b + inp @ C_in.T) + inp @ C.T)
        y_prev = h @ coef + intercept
        out[:, t] = y_prev
    return out


def test_fit_is_teacher_forced():
    net, U, y = setup()
    est = srnn_rs.ReadoutSRNN(net, dt=LEAK, feedback=True, washout=10).fit(U, y)
    previous = np.concatenate([np.zeros_like(y[:, :1]), y[:, :-1]], axis=1)
    plain = srnn_rs.ReadoutSRNN(net, dt=LEAK, washout=10).fit(np.concatenate([U, previous], axis=2), y)
    assert np.array_equal(est.coef_, plain.coef_) and np.array_equal(est.intercept_, plain.intercept_)
    assert est.n_features_in_ == 1


def test_predict_runs_the_closed_loop():
    net, U, y = setup()
    est = srnn_rs.ReadoutSRNN(net, dt=LEAK, feedback=True).fit(U, y)
    want = numpy_closed_loop(net, est.coef_, est.intercept_, U)
    got = est.predict(U)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    # a teacher-forced readout differs from the closed loop once its errors feed back
    previous = np.concatenate([np.zeros_like(y[:, :1]), y[:, :-1]], axis=1)
    forced = srnn_rs.ReadoutSRNN(net, dt=LEAK).fit(np.concatenate([U, previous], axis=2), y)
    assert not np.allclose(forced.predict(np.concatenate([U, previous], axis=2)), got, atol=1e-6)


def test_closed_loop_continues_across_calls():
    net, U, y = setup()
    est = srnn_rs.ReadoutSRNN(net, dt=LEAK, feedback=True).fit(U, y)
    whole = est.predict(U)
    first = est.predict(U[:, :50])
    second = est.predict(U[:, 50:], reset=False)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=0, atol=1e-12)


def test_feedback_refusals():
    net, U, y = setup()
    with pytest.raises(ValueError, match="feedback"):
        srnn_rs.ReadoutSRNN(net, dt=LEAK, feedback=True, target="final").fit(U, y[:, -1])
    with pytest.raises(TypeError, match="feedback"):
        srnn_rs.ReadoutSRNN(net, dt=LEAK, feedback="yes").fit(U, y)
    with pytest.raises(ValueError, match="U: the network reads 1 input"):
        srnn_rs.ReadoutSRNN(net, dt=LEAK, feedback=True).fit(np.concatenate([U, U], axis=2), y)
    est = srnn_rs.ReadoutSRNN(net, dt=LEAK, feedback=True).fit(U, y)
    with pytest.raises(ValueError, match="feedback"):
        est.partial_fit(U, y)
    with pytest.raises(ValueError, match="feedback"):
        est.generate(5)
    with pytest.raises(ValueError, match="U: the network reads 1 input"):
        est.predict(np.concatenate([U, U], axis=2))
