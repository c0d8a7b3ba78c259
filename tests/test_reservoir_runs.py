"""ReadoutSRNN beyond one batch fit: stateful runs (reset=False), washout per sequence, closed-loop
generation, and online readout learning by recursive least squares."""

import numpy as np
import pytest

import srnn_rs
from srnn_rs.machines import _LeastSquares, _RecursiveLeastSquares

EPS = np.finfo(float).eps


def _network(sigma=0.0, n=10, seed=1):
    rng = np.random.default_rng(seed)
    return srnn_rs.SRNN(0.8 * rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, 1)),
                        b=0.1 * rng.standard_normal(n), sigma=sigma, activation="tanh")


# -- stateful runs -------------------------------------------------------------------------------

def test_noise_free_run_in_two_halves_equals_one_run():
    U = srnn_rs.tasks.random_inputs(3, 40, seed=2)
    est = srnn_rs.ReadoutSRNN(_network(), dt=0.1, include_input=True)
    whole = est.run(U)
    first = est.run(U[:, :17])
    second = est.run(U[:, 17:], reset=False)
    # The same Euler steps from the same state: bit for bit.
    np.testing.assert_array_equal(np.concatenate([first, second], axis=1), whole)
    np.testing.assert_array_equal(est.last_state[:, 0], _network().simulate(U, 0.1, n_paths=3, record="final_state"))


def test_noisy_continuation_draws_the_documented_paths():
    net = _network(sigma=0.3)
    k, seed = 2, 5
    U = srnn_rs.tasks.random_inputs(3, 30, seed=3)
    est = srnn_rs.ReadoutSRNN(net, dt=0.1, n_noise_paths=k, seed=seed)
    est.run(U[:, :12])
    h = est.last_state
    second = est.run(U[:, 12:], reset=False)
    third = est.run(U[:, 12:], reset=False)
    # Segment s, sequence i, noise path j: path s·2^40 + i·k + j, from the kept state.
    manual = net.simulate(np.repeat(U[:, 12:], k, axis=0), 0.1, n_paths=3 * k, h0=h.reshape(-1, net.n),
                          seed=seed, first_path=2**40, record="state")[:, 1:]
    np.testing.assert_array_equal(second, manual.reshape(3, k, 18, net.n).mean(axis=1))
    # Reproducible: a second estimator making the same calls gets the same numbers ...
    again = srnn_rs.ReadoutSRNN(net, dt=0.1, n_noise_paths=k, seed=seed)
    again.run(U[:, :12])
    np.testing.assert_array_equal(again.run(U[:, 12:], reset=False), second)
    # ... and a later segment does not reuse earlier noise (same input, other state and paths).
    assert not np.allclose(third, second)


def test_reset_false_without_a_run_starts_fresh_and_checks_the_batch():
    U = srnn_rs.tasks.random_inputs(2, 20, seed=4)
    est = srnn_rs.ReadoutSRNN(_network(sigma=0.2), dt=0.1)
    np.testing.assert_array_equal(est.run(U, reset=False), srnn_rs.ReadoutSRNN(_network(sigma=0.2), dt=0.1).run(U))
    with pytest.raises(ValueError, match="^U: reset=False continues the 2 sequence"):
        est.run(U[:1], reset=False)
    with pytest.raises(TypeError, match="^reset:"):
        est.run(U, reset="no")


def test_washout_per_sequence_only_for_fresh_runs():
    U = srnn_rs.tasks.random_inputs(2, 30, seed=5)
    est = srnn_rs.ReadoutSRNN(_network(), dt=0.1)
    full = est.run(U)
    np.testing.assert_array_equal(est.run(U, washout=8), full[:, 8:])
    # A continued sequence is warm already: nothing is dropped.
    assert est.run(U, reset=False, washout=8).shape == full.shape
    with pytest.raises(ValueError, match="^washout:"):
        est.run(U, washout=30)


def test_predict_continues_like_run():
    u, y = srnn_rs.tasks.narma10(400, seed=1)
    est = srnn_rs.ReadoutSRNN(_network(), dt=1.0, alpha=1e-8, washout=20).fit(u, y)
    whole = est.predict(u)
    halves = np.concatenate([est.predict(u[:150]), est.predict(u[150:], reset=False)])
    # Same states (bit for bit, as run shows); the readout's dot products, taken over other
    # row blocks, may round differently: at most 2F ε Σ|feature·weight| apart.
    feats = est.run(u)
    bound = 2 * feats.shape[-1] * EPS * (np.abs(feats) @ np.abs(est.coef_) + np.abs(est.intercept_))
    assert np.all(np.abs(halves - whole) <= bound)
    np.testing.assert_array_equal(est.predict(u, washout=20), whole[20:])


# -- closed loop -----------------------------------------------------------------------------------

def _forecaster():
    """A noise-free reservoir trained on one-step-ahead Mackey–Glass (τ = 17), teacher forced."""
    series = srnn_rs.tasks.mackey_glass(1700, washout=100)
    X, y = srnn_rs.tasks.to_forecasting(series - 0.9, forecast=1)
    rng = np.random.default_rng(3)
    n = 60
    net = srnn_rs.SRNN(0.9 * rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, 1)),
                       b=0.3 * rng.standard_normal(n), activation="tanh")
    est = srnn_rs.ReadoutSRNN(net, dt=0.5, alpha=1e-9, washout=100, include_input=True)
    return est.fit(X[:1500], y[:1500]), X, y


def test_generate_reproduces_the_teacher_forced_run():
    est, X, y = _forecaster()
    warm = X[:300]
    gen = est.generate(120, warmup=warm)
    assert gen.shape == (120, 1)
    # Teacher forcing with the generated values as inputs must predict each next generated value:
    # the states agree bit for bit, the readout's dot products differ by their rounding only.
    feats = est.run(np.concatenate([warm, gen]))
    pred = feats @ est.coef_ + est.intercept_
    bound = 2 * feats.shape[-1] * EPS * (np.abs(feats) @ np.abs(est.coef_) + np.abs(est.intercept_))
    tail = slice(len(warm) - 1, len(warm) - 1 + len(gen))
    assert np.all(np.abs(pred[tail] - gen) <= bound[tail])
    # Closed loop continues across calls exactly.
    np.testing.assert_array_equal(np.concatenate([est.generate(50, warmup=warm), est.generate(70)]), gen)


def test_generate_follows_mackey_glass_for_a_while():
    est, X, y = _forecaster()
    gen = est.generate(50, warmup=X[:1500])
    truth = y[1499:1549]  # gen[0] predicts the sample after the warm-up
    # Over 50 steps (about one quasi-period) the free run stays within 5 % of the series' spread,
    # where holding the last warm-up value (persistence) is off by far more.
    assert np.abs(gen - truth).max() < 0.05 * np.std(y)
    assert np.abs(X[1499] - truth).max() > 0.5 * np.std(y)


def test_generate_needs_a_state_and_matching_dimensions():
    est, X, y = _forecaster()
    fresh = srnn_rs.ReadoutSRNN(_network(), dt=1.0)
    with pytest.raises(srnn_rs.machines.NotFittedError):
        fresh.generate(3, warmup=X[:10])
    unrun = srnn_rs.ReadoutSRNN(est.model, dt=0.5, alpha=1e-9, include_input=True)
    unrun.coef_, unrun.intercept_, unrun._flat = est.coef_, est.intercept_, False
    with pytest.raises(ValueError, match="^warmup:"):
        unrun.generate(3)
    two = srnn_rs.ReadoutSRNN(_network(), dt=1.0).fit(X[:100], np.concatenate([y[:100], y[:100]], axis=1))
    with pytest.raises(ValueError, match="^n_steps: closed loop"):
        two.generate(3, warmup=X[:10])


# -- online readout learning -------------------------------------------------------------------------

def _rls_bound(A, alpha, n_updates):
    """Forward error of a ridge solve: κ(AᵀA + Λ) ε per solve, accumulated over the updates."""
    G = A.T @ A + alpha * np.diag(np.r_[np.ones(A.shape[1] - 1), 0.0])
    return (n_updates + A.shape[1]) * np.linalg.cond(G) * EPS


@pytest.mark.parametrize("block", [1, 7, 200])
def test_recursive_least_squares_equals_the_batch_ridge(block):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 12)) @ np.diag(np.linspace(0.2, 3.0, 12))
    Y = X @ rng.standard_normal((12, 2)) + 0.5 + 0.1 * rng.standard_normal((600, 2))
    alpha = 0.3
    batch = _LeastSquares(True)
    batch.add(X, Y)
    w, b = batch.solve(alpha)
    rls = _RecursiveLeastSquares(True, alpha)
    for start in range(0, 600, block):
        rls.add(X[start:start + block], Y[start:start + block])
    w_rls, b_rls = rls.coef()
    tol = _rls_bound(np.c_[X, np.ones(600)], alpha, 600) * np.abs(np.r_[w, b[None]]).max()
    np.testing.assert_allclose(w_rls, w, rtol=0, atol=tol)
    np.testing.assert_allclose(b_rls, b, rtol=0, atol=tol)
    # Not a tautology: another penalty gives another answer, far outside that tolerance.
    assert np.abs(batch.solve(3 * alpha)[0] - w_rls).max() > 1e3 * tol


def test_partial_fit_over_batches_equals_fit_with_noise():
    net = _network(sigma=0.2)
    U = srnn_rs.tasks.random_inputs(10, 30, seed=3)
    y = U[:, :, 0] ** 2
    kw = dict(dt=0.1, alpha=1e-4, washout=5, n_noise_paths=2)
    full = srnn_rs.ReadoutSRNN(net, **kw).fit(U, y)
    online = srnn_rs.ReadoutSRNN(net, **kw).partial_fit(U[:4], y[:4]).partial_fit(U[4:], y[4:])
    mixed = srnn_rs.ReadoutSRNN(net, **kw).fit(U[:4], y[:4]).partial_fit(U[4:], y[4:])
    feats = np.concatenate(list(full._features(U)))[:, 5:].reshape(-1, full.coef_.shape[0])
    scale = np.abs(np.r_[full.coef_, full.intercept_[None]]).max()
    tol = _rls_bound(np.c_[feats, np.ones(len(feats))], 1e-4, len(feats)) * scale
    for est in (online, mixed):
        np.testing.assert_allclose(est.coef_, full.coef_, rtol=0, atol=tol)
        np.testing.assert_allclose(est.intercept_, full.intercept_, rtol=0, atol=tol)


def test_partial_fit_on_a_stream_in_chunks_equals_one_fit():
    u, y = srnn_rs.tasks.narma10(600, seed=2)
    kw = dict(dt=1.0, alpha=1e-6, washout=30)
    full = srnn_rs.ReadoutSRNN(_network(), **kw).fit(u, y)
    online = srnn_rs.ReadoutSRNN(_network(), **kw)
    for start in range(0, 600, 150):
        online.partial_fit(u[start:start + 150], y[start:start + 150], reset=start == 0)
    feats = full.run(u, washout=30)
    scale = np.abs(np.r_[full.coef_, full.intercept_[None]]).max()
    tol = _rls_bound(np.c_[feats, np.ones(len(feats))], 1e-6, len(feats)) * scale
    np.testing.assert_allclose(online.coef_, full.coef_, rtol=0, atol=tol)
    np.testing.assert_allclose(online.predict(u), full.predict(u), rtol=0, atol=tol * np.abs(feats).sum(axis=1).max())


def test_unregularised_online_start_needs_a_full_rank_first_block():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((3, 5)), rng.standard_normal((3, 1))  # 3 rows, 6 unknowns with the intercept
    with pytest.raises(ValueError, match="^alpha:"):
        _RecursiveLeastSquares(True, 0.0).add(X, Y)
    # Regularised, the same block starts fine and matches the batch solution.
    rls = _RecursiveLeastSquares(True, 0.1)
    rls.add(X, Y)
    batch = _LeastSquares(True)
    batch.add(X, Y)
    w, b = batch.solve(0.1)
    tol = _rls_bound(np.c_[X, np.ones(3)], 0.1, 1) * np.abs(np.r_[w, b[None]]).max()
    np.testing.assert_allclose(rls.coef()[0], w, rtol=0, atol=tol)
    np.testing.assert_allclose(rls.coef()[1], b, rtol=0, atol=tol)
