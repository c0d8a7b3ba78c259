"""Hostile inputs that once aborted the process, panicked, hung or returned inf in silence:
each now fails at once with a named, documented error. Cases that could kill or stall the
interpreter if they regressed run in a subprocess with a time bound."""

from __future__ import annotations

import _thread
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import srnn_rs
from srnn_rs import MemoryLimitError, WorkLimitError

PANIC = "internal error in srnn_rs"


def run_isolated(code: str, timeout: float = 60.0) -> str:
    """Runs ``code`` in a fresh interpreter; fails on a signal death, a hang or panic text, and
    returns what it printed. ``code`` prints the exception type it caught."""
    source = "import numpy as np, srnn_rs\n" + textwrap.dedent(code)
    proc = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=timeout)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"exit status {proc.returncode}:\n{text}"
    assert PANIC not in text, text
    return proc.stdout.strip()


def raises_in_subprocess(call: str, timeout: float = 60.0) -> str:
    """The exception class name and message that ``call`` raises in a fresh interpreter."""
    return run_isolated(
        f"""
        try:
            {call}
        except Exception as exc:
            print(type(exc).__name__, "|", exc)
        else:
            print("no error")
        """,
        timeout,
    )


# -- no abort, no panic ------------------------------------------------------------------------


@pytest.mark.parametrize("block_size", [10**9, 2**63 - 1])
def test_huge_block_sizes_give_the_same_result(block_size):
    out = run_isolated(
        f"""
        net = srnn_rs.default_network()
        a = net.simulate(None, 0.01, n_steps=10, n_paths=3, block_size={block_size})
        b = net.simulate(None, 0.01, n_steps=10, n_paths=3)
        print(np.array_equal(a, b))
        """
    )
    assert out == "True"


@pytest.mark.parametrize("block_size", [2**63, 2**64 - 1, 2**70])
def test_block_sizes_past_the_native_range_are_refused(block_size):
    with pytest.raises(ValueError, match="^block_size: "):
        srnn_rs.default_network().simulate(None, 0.01, n_steps=10, n_paths=3, block_size=block_size)


@pytest.mark.parametrize(
    "call",
    [
        "srnn_rs.logsignature(np.random.default_rng(0).standard_normal((1, 3, 2)), 20, mode='expand')",
        "srnn_rs.sig_to_logsig(np.zeros(srnn_rs.siglength(2, 20)), 2, 20, mode='expand')",
        "srnn_rs.logsig_to_sig(np.zeros(srnn_rs.siglength(2, 20)), 2, 20, mode='expand')",
    ],
)
def test_expanded_log_signatures_at_depth_20_need_no_lyndon_basis(call):
    out = raises_in_subprocess(call, timeout=120)
    assert out == "no error", out


def test_lyndon_log_signature_past_the_memory_limit_is_refused():
    with pytest.raises(MemoryLimitError):
        srnn_rs.logsignature(np.random.default_rng(0).standard_normal((1, 3, 2)), 30)


def test_a_huge_thread_count_is_refused_quickly():
    start = time.monotonic()
    with pytest.raises(ValueError, match="^n_jobs: "):
        srnn_rs.signature(np.arange(6.0).reshape(3, 2), 2, n_jobs=100000)
    with pytest.raises(ValueError, match="^n_jobs: "):
        srnn_rs.signature(np.arange(6.0).reshape(3, 2), 2, n_jobs=2**70)
    assert time.monotonic() - start < 5


def test_the_largest_thread_count_allowed_runs():
    out = run_isolated(
        """
        p = np.arange(6.0).reshape(3, 2)
        print(np.array_equal(srnn_rs.signature(p, 2, n_jobs=256), srnn_rs.signature(p, 2)))
        """
    )
    assert out == "True"


# -- work limits and Ctrl-C ----------------------------------------------------------------------


def test_a_pde_grid_past_the_work_limit_is_refused_at_once():
    x = np.random.default_rng(0).standard_normal((3, 2))
    start = time.monotonic()
    with pytest.raises(WorkLimitError, match="set_work_limit"):
        srnn_rs.sig_kernel(x, x + 1, dyadic_order=20)
    with pytest.raises(WorkLimitError):
        srnn_rs.sig_kernel_gram(x[None], dyadic_order=20)
    assert time.monotonic() - start < 2


def test_an_ensemble_past_the_work_limit_is_refused_at_once():
    net = srnn_rs.default_network()
    start = time.monotonic()
    with pytest.raises(WorkLimitError):
        srnn_rs.response_kernels(net, dt=0.01, max_lag=0.1, n_paths=2**40)
    with pytest.raises(WorkLimitError):
        srnn_rs.stationary_stats(net, dt=0.01, n_paths=2**40)
    with pytest.raises(WorkLimitError):
        net.simulate(None, 0.01, n_steps=2**24, n_paths=2**20, record="final")
    assert time.monotonic() - start < 2


def test_the_work_limit_can_be_raised_and_is_validated():
    out = run_isolated(
        """
        x = np.zeros((3, 1)); x[:, 0] = [0.0, 0.1, 0.2]
        srnn_rs.set_work_limit(10)
        try:
            srnn_rs.sig_kernel(x, x, dyadic_order=2)
        except srnn_rs.WorkLimitError:
            print("refused", end=" ")
        srnn_rs.set_work_limit(2**40)
        print(srnn_rs.get_work_limit(), float(srnn_rs.sig_kernel(x, x, dyadic_order=2)) > 1)
        """
    )
    assert out == f"refused {2**40} True"
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="^n_units: "):
            srnn_rs.set_work_limit(bad)


def test_work_limit_error_is_a_value_error():
    assert issubclass(WorkLimitError, ValueError)


def test_standard_normals_honour_ctrl_c_promptly():
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            srnn_rs.standard_normals(1000, 100000, 4)
        assert time.monotonic() - start < 2.0
    finally:
        timer.cancel()


# -- no silent inf or NaN ------------------------------------------------------------------------


def test_a_signature_that_overflows_names_the_path():
    p = np.array([[0.0], [1e200]])
    with pytest.raises(ValueError, match="^path: .*overflows"):
        srnn_rs.signature(p, 3)
    with pytest.raises(ValueError, match="^path: .*overflows"):
        srnn_rs.signature_backprop(np.ones(3), p, 3)
    with pytest.raises(ValueError, match="^path: .*overflows"):
        srnn_rs.logsignature(np.array([[0.0, 0.0], [1e200, 1e200]]), 3)
    assert p[1, 0] == 1e200


def test_a_response_feature_that_overflows_names_u():
    with pytest.raises(ValueError, match="^u: "):
        srnn_rs.response_feature(np.full((3, 1), 1e150), 1.0, 3)


def test_large_exponential_rates_give_finite_lifted_paths():
    X = srnn_rs.lifted_path(np.ones((10, 1)), 1.0, basis="exponential", rates=[1e3])
    assert np.isfinite(X).all()
    # ∫_0^T e^{−λ(T−s)} ds = (1 − e^{−λT})/λ, and the weight sits on the last step.
    assert X[-1, 0] == pytest.approx(1e-3)
    assert np.allclose(X[:-1], 0.0)


def test_negative_rates_that_overflow_are_refused():
    with pytest.raises(ValueError, match="^rates: "):
        srnn_rs.lifted_path(np.ones((10, 1)), 1.0, basis="exponential", rates=[-1e3])


def _rotation_network() -> srnn_rs.SRNN:
    # Γ − W has eigenvalues ±i: no decay, no stationary law.
    W = np.array([[1.0, 1.0], [-1.0, 1.0]])
    return srnn_rs.SRNN(W, np.ones((2, 1)), gamma=1.0, sigma=0.5, activation="identity")


def test_exact_methods_refuse_a_network_that_is_not_positive_stable():
    net = _rotation_network()
    with pytest.raises(ValueError, match="^model: .*positive stable"):
        srnn_rs.response_kernels(net, dt=0.01, max_lag=1.0, method="exact")
    with pytest.raises(ValueError, match="^model: .*positive stable"):
        srnn_rs.stationary_stats(net, dt=0.01, method="exact")


def test_exact_stationary_stats_check_the_seed_like_monte_carlo():
    net = srnn_rs.SRNN(0.3 * np.eye(2), np.ones((2, 1)), sigma=0.5, activation="identity")
    with pytest.raises(ValueError, match="^seed: "):
        srnn_rs.stationary_stats(net, dt=0.01, method="exact", seed=-1)
    with pytest.raises(ValueError, match="^seed: "):
        srnn_rs.stationary_stats(net, dt=0.01, seed=-1)


@pytest.mark.parametrize("amplitude", [float("inf"), float("nan"), -1.0])
def test_random_inputs_refuse_a_bad_amplitude(amplitude):
    with pytest.raises(ValueError, match="^amplitude: "):
        srnn_rs.tasks.random_inputs(2, 10, 1, amplitude=amplitude)


def test_gram_refuses_y_with_another_dimension_in_every_layout():
    X = np.zeros((2, 4, 2))
    for Y in (np.zeros((2, 4, 3)), [np.zeros((4, 3))], [np.zeros((4, 3)), np.zeros((5, 3))]):
        with pytest.raises(ValueError, match="^Y"):
            srnn_rs.sig_kernel_gram(X, Y, dyadic_order=0)
    with pytest.raises(ValueError, match="^Y"):
        srnn_rs.sig_kernel_gram([np.zeros((4, 2))], [np.zeros((4, 2)), np.zeros((4, 3))])


@pytest.mark.parametrize("shape", [(0, 1, 1), (1, 0, 1), (1, 1, 0)])
def test_volterra_refuses_an_empty_kernel(shape):
    with pytest.raises(ValueError, match="^k1: "):
        srnn_rs.volterra_predict(np.zeros(shape), np.ones((5, 1)), 0.1)


@pytest.mark.parametrize(
    "call",
    [
        lambda: srnn_rs.lifted_path(np.ones((10**6, 1)), 0.1, n_basis=10**4),
        lambda: srnn_rs.response_feature(np.ones((10**6, 1)), 0.1, 2, n_basis=10**4),
        lambda: srnn_rs.sig_to_logsig(np.broadcast_to(np.zeros(6), (10**9, 6)), 2, 2),
        lambda: srnn_rs.tasks.random_inputs(10**6, 10**6, 1),
        lambda: srnn_rs.tasks.narma10(10**12),
        lambda: srnn_rs.tasks.mackey_glass(10**12),
        lambda: srnn_rs.tasks.lorenz(10**12),
        lambda: srnn_rs.tasks.mso(10**12),
    ],
)
def test_python_side_allocations_honour_the_memory_limit(call):
    with pytest.raises(MemoryLimitError):
        call()


# -- clear errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"dt": float("inf")}, "dt"),
        ({"burn_in": float("inf")}, "burn_in"),
        ({"burn_in": 1e300}, "burn_in"),
        ({"burn_in": 1e308, "dt": 1e-308}, "burn_in"),
        ({"stride": 2**70}, "stride"),
        ({"first_path": 2**70}, "first_path"),
    ],
)
def test_simulate_names_out_of_range_numbers(kwargs, name):
    args = {"dt": 0.01, **kwargs}
    with pytest.raises(ValueError, match=f"^{name}: "):
        srnn_rs.default_network().simulate(None, args.pop("dt"), n_steps=10, **args)


def test_response_functions_name_out_of_range_numbers():
    net = srnn_rs.default_network()
    for kwargs, name in (({"stride": 2**70}, "stride"), ({"block_size": 2**70}, "block_size"),
                         ({"burn_in": float("inf")}, "burn_in"), ({"burn_in": 1e308}, "burn_in"),
                         ({"window": 1e308}, "window")):
        with pytest.raises(ValueError, match=f"^{name}: "):
            srnn_rs.stationary_stats(net, dt=0.01, n_paths=4, **kwargs)
    with pytest.raises(ValueError, match="^burn_in: "):
        srnn_rs.correlation_function(net, dt=0.05, max_lag=0.2, n_paths=4, burn_in=1e308)


@pytest.mark.parametrize("model", ["abc", 3, np.eye(2)])
def test_a_non_model_is_a_type_error(model):
    with pytest.raises(TypeError, match="^model: "):
        srnn_rs.ReadoutSRNN(model).fit(np.ones((2, 5, 1)), np.ones((2, 5, 1)))
    with pytest.raises(TypeError, match="^model: "):
        srnn_rs.lifted_path(np.ones((10, 1)), 1.0, basis="exponential", rates="model", model=model)


def test_a_singular_kernel_ridge_is_a_value_error_naming_alpha():
    U = np.ones((4, 6, 1))
    with pytest.raises(ValueError, match="^alpha: "):
        srnn_rs.SignatureKernelRidge(depth=2, alpha=0.0).fit(U, np.arange(4.0))


def test_predicting_with_another_channel_count_names_u():
    rng = np.random.default_rng(0)
    U, y = rng.standard_normal((6, 8, 2)), rng.standard_normal(6)
    for machine in (srnn_rs.ResponseFeatureRidge(depth=2), srnn_rs.SignatureKernelRidge(depth=2)):
        machine.fit(U, y)
        with pytest.raises(ValueError, match="^U: "):
            machine.predict(rng.standard_normal((3, 8, 3)))
    net = srnn_rs.SRNN(0.3 * np.eye(3), np.ones((3, 2)), sigma=0.1)
    readout = srnn_rs.ReadoutSRNN(net, target="final").fit(U, y)
    with pytest.raises(ValueError, match="^U: "):
        readout.predict(rng.standard_normal((3, 8, 3)))


def test_signature_combine_names_a_and_b():
    with pytest.raises(ValueError, match="^a: "):
        srnn_rs.signature_combine(np.ones(5), np.ones(6), 2, 2)
    with pytest.raises(ValueError, match="^b: "):
        srnn_rs.signature_combine(np.ones(6), np.ones(5), 2, 2)
    with pytest.raises(ValueError, match="^a, b: "):
        srnn_rs.signature_combine(np.ones((2, 6)), np.ones((3, 6)), 2, 2)


def test_logsig_to_sig_of_an_empty_batch():
    out = srnn_rs.logsig_to_sig(np.zeros((0, 3)), 2, 2)
    assert out.shape == (0, 6)
    assert srnn_rs.sig_to_logsig(np.zeros((0, 6)), 2, 2).shape == (0, 3)
    with pytest.raises(ValueError, match="^logsig: "):
        srnn_rs.logsig_to_sig(np.zeros(0), 2, 2)


def test_task_generators_refuse_divergence_and_endless_loops():
    with pytest.raises(ValueError, match="^dt: "):
        srnn_rs.tasks.lorenz(20, dt=2.0)
    with pytest.raises(WorkLimitError):
        srnn_rs.tasks.lorenz(20, substeps=2**70)
    with pytest.raises(WorkLimitError):
        srnn_rs.tasks.mackey_glass(20, substeps=2**60)
    with pytest.raises(ValueError, match="^beta: "):
        srnn_rs.tasks.mackey_glass(20, beta=1e308)


def test_sizes_past_the_native_range_name_the_argument():
    with pytest.raises(ValueError, match="^d: "):
        srnn_rs.logsiglength(2**70, 3)


def test_one_large_pde_grid_honours_ctrl_c_promptly():
    x = np.cumsum(np.random.default_rng(0).standard_normal((400, 2)), axis=0) * 0.01
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            # One pair: a single grid of 400² · 4⁸ cells, several seconds of work.
            srnn_rs.sig_kernel(x, x[::-1], dyadic_order=8)
        assert time.monotonic() - start < 2.0
    finally:
        timer.cancel()


def test_signature_kernels_and_volterra_series_that_overflow_name_the_input():
    x = np.array([[0.0, 0.0], [1e200, 1e200]])
    with pytest.raises(ValueError, match="^x and y: .*overflows"):
        srnn_rs.sig_kernel(x, x, depth=3)
    with pytest.raises(ValueError, match="^X: .*overflows"):
        srnn_rs.sig_kernel_gram(x[None], depth=3)
    with pytest.raises(ValueError, match="^u: .*overflows"):
        srnn_rs.volterra_predict(np.full((3, 1, 1), 1e300), np.full((5, 1), 1e300), 1.0)


def test_a_kernel_ridge_whose_kernel_overflows_names_u():
    with pytest.raises(ValueError, match="^U: .*overflows"):
        srnn_rs.SignatureKernelRidge(depth=3).fit(np.full((3, 4, 1), 1e150), np.arange(3.0))
