"""Generated benchmark series: known invariants, fixed points, convergence order, alignment."""

import numpy as np
import pytest

from srnn_rs import tasks


def _order_ratios(make, substeps):
    """Successive error ratios against the finest run: 2^order for a scheme of that order."""
    ref = make(substeps[-1] * 8)
    errs = [np.abs(make(s) - ref).max() for s in substeps]
    return [a / b for a, b in zip(errs, errs[1:])]


def test_mackey_glass_is_fourth_order_on_an_aligned_grid():
    # τ/h whole: RK4 with Hermite dense output keeps order 4, error ratio 2^4 = 16 per halving.
    ratios = _order_ratios(lambda s: tasks.mackey_glass(100, substeps=s), [5, 10, 20])
    for r in ratios:
        assert 12 < r < 20, ratios


def test_mackey_glass_stays_in_its_invariant_interval():
    # For x0 > 0 the solution stays positive, and ẋ ≤ β max_s s/(1+s^p) − γx bounds it by
    # max(x0, (β/γ) s*(p−1)/p) with s* = (p−1)^(−1/p), the maximiser of s/(1+s^p).
    beta, gamma, p = 0.2, 0.1, 10.0
    s_star = (p - 1) ** (-1 / p)
    bound = max(1.2, beta / gamma * s_star * (p - 1) / p)
    x = tasks.mackey_glass(3000, washout=200)
    assert x.shape == (3000, 1)
    assert x.min() > 0 and x.max() < bound
    # τ = 17 is chaotic, not periodic: the series keeps visiting a wide range.
    assert x.max() - x.min() > 0.5


def test_mackey_glass_short_delay_settles_on_the_fixed_point():
    beta, gamma, p = 0.3, 0.1, 10.0
    x_star = (beta / gamma - 1) ** (1 / p)
    x = tasks.mackey_glass(50, tau=2.0, beta=beta, gamma=gamma, power=p, washout=600)
    np.testing.assert_allclose(x[:, 0], x_star, rtol=0, atol=1e-9)


def test_mackey_glass_washout_and_validation():
    np.testing.assert_array_equal(tasks.mackey_glass(40, washout=30), tasks.mackey_glass(70)[30:])
    with pytest.raises(ValueError, match="^substeps:"):
        tasks.mackey_glass(10, tau=0.5, dt=1.0, substeps=1)
    with pytest.raises(ValueError, match="^tau:"):
        tasks.mackey_glass(10, tau=-1.0)
    with pytest.raises(ValueError, match="^n_steps:"):
        tasks.mackey_glass(0)
    with pytest.raises(TypeError, match="^x0:"):
        tasks.mackey_glass(10, x0="1")


def test_lorenz_fixed_points_are_equilibria_and_order_is_four():
    sigma, rho, beta = 10.0, 28.0, 8.0 / 3.0
    c = np.sqrt(beta * (rho - 1))
    for sign in (1.0, -1.0):
        x0 = np.array([sign * c, sign * c, rho - 1])
        xyz = tasks.lorenz(200, x0=x0)
        # The field vanishes there up to round-off of its terms (|x(ρ − z)| ≈ c·(ρ − 1) ~ 10²).
        np.testing.assert_allclose(xyz, np.broadcast_to(x0, xyz.shape), rtol=0, atol=1e-10)
    ratios = _order_ratios(lambda s: tasks.lorenz(101, substeps=s, x0=[1.0, 1.0, 20.0]), [1, 2, 4])
    for r in ratios:
        assert 12 < r < 20, ratios


def test_lorenz_origin_attracts_below_rho_one():
    # For ρ < 1 the origin is globally stable: V = x²/σ + y² + z² decreases along trajectories.
    xyz = tasks.lorenz(400, rho=0.5, dt=0.05, x0=[5.0, -3.0, 8.0])
    V = xyz[:, 0] ** 2 / 10.0 + xyz[:, 1] ** 2 + xyz[:, 2] ** 2
    assert np.all(np.diff(V) < 0)
    assert V[-1] < 1e-6 * V[0]


def test_lorenz_seeds_washout_and_input_not_mutated():
    a = tasks.lorenz(50, seed=1)
    assert np.array_equal(a, tasks.lorenz(50, seed=1)) and not np.array_equal(a, tasks.lorenz(50, seed=2))
    np.testing.assert_array_equal(tasks.lorenz(30, seed=3, washout=20), tasks.lorenz(50, seed=3)[20:])
    x0 = np.array([1.0, 2.0, 3.0])
    tasks.lorenz(10, x0=x0)
    assert np.array_equal(x0, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="^x0:"):
        tasks.lorenz(10, x0=[1.0, 2.0])


def test_mso_is_the_sum_of_sines():
    t = np.arange(200.0)
    for k in (1, 5, 12):
        expected = sum(np.sin(a * t) for a in tasks.MSO_FREQUENCIES[:k])
        np.testing.assert_allclose(tasks.mso(200, k)[:, 0], expected, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(tasks.mso(5, 3, t0=7), tasks.mso(12, 3)[7:])
    np.testing.assert_allclose(tasks.mso(10, frequencies=[0.5])[:, 0], np.sin(0.5 * np.arange(10)), atol=1e-15)
    with pytest.raises(ValueError, match="^n_sines:"):
        tasks.mso(10, 13)


def test_to_forecasting_alignment_and_split():
    series = np.random.default_rng(0).standard_normal((30, 2))
    before = series.copy()
    X, y = tasks.to_forecasting(series, forecast=3)
    assert X.shape == y.shape == (27, 2)
    np.testing.assert_array_equal(X, series[:27])
    np.testing.assert_array_equal(y, series[3:])
    assert np.array_equal(series, before)
    X_tr, X_te, y_tr, y_te = tasks.to_forecasting(series, forecast=3, test_size=7)
    np.testing.assert_array_equal(np.concatenate([X_tr, X_te]), X)
    np.testing.assert_array_equal(np.concatenate([y_tr, y_te]), y)
    assert len(X_te) == 7 and len(tasks.to_forecasting(series, 3, test_size=0.25)[1]) == 7  # round(0.25·27)
    batch = np.stack([series, -series])
    Xb, yb = tasks.to_forecasting(batch, forecast=2, axis=1)
    np.testing.assert_array_equal(yb[1], -series[2:])
    np.testing.assert_array_equal(Xb[0], series[:-2])
    with pytest.raises(ValueError, match="^forecast:"):
        tasks.to_forecasting(series, forecast=30)
    with pytest.raises(ValueError, match="^test_size:"):
        tasks.to_forecasting(series, forecast=1, test_size=1.5)
    with pytest.raises(TypeError, match="^test_size:"):
        tasks.to_forecasting(series, forecast=1, test_size="3")
