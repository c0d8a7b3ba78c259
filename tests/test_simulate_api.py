"""Reproducibility, the discrete-recursion bridge, records, dtypes, divergence, interrupts."""

import hashlib
import os
import subprocess
import sys
import threading
import _thread
import time

import numpy as np
import pytest
from conftest import linear_network, tanh_network

import srnn_rs

SCRIPT = """
import hashlib, numpy as np, srnn_rs
rng = np.random.default_rng(1)
n = 24
net = srnn_rs.SRNN(rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, 2)),
                   sigma=rng.uniform(0.1, 0.5, n), b=0.1 * rng.standard_normal(n))
u = np.sin(np.arange(400)[:, None] * np.array([[0.05, 0.11]]))
y = net.simulate(u, 0.01, n_paths=300, seed=12345, h0="stationary", burn_in=1.0, dtype=DTYPE)
print(hashlib.sha256(y.tobytes()).hexdigest())
"""


def run_hash(threads, dtype="float64"):
    env = dict(os.environ)
    if threads is None:
        env.pop("RAYON_NUM_THREADS", None)
    else:
        env["RAYON_NUM_THREADS"] = str(threads)
    out = subprocess.run([sys.executable, "-c", f"DTYPE = {dtype!r}\n" + SCRIPT], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bits_do_not_depend_on_thread_count(dtype):
    one, default, three = run_hash(1, dtype), run_hash(None, dtype), run_hash(3, dtype)
    assert len(one) == 64
    assert one == default == three


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bits_do_not_depend_on_block_size_or_path_split(dtype):
    net = tanh_network()
    u = np.sin(0.1 * np.arange(300))[:, None]
    kw = dict(seed=7, h0="stationary", burn_in=0.5, record="readout", stride=7, dtype=dtype)
    ref = net.simulate(u, 0.01, n_paths=50, block_size=1, **kw)
    for block in (3, 16, 64):
        assert np.array_equal(net.simulate(u, 0.01, n_paths=50, block_size=block, **kw), ref)
    parts = [net.simulate(u, 0.01, n_paths=k, first_path=s, **kw) for s, k in ((0, 13), (13, 30), (43, 7))]
    assert np.array_equal(np.concatenate(parts), ref)


def test_seeds_give_different_paths_and_same_seed_same_paths():
    net = tanh_network()
    a = net.simulate(None, 0.01, n_steps=50, n_paths=4, seed=1)
    assert np.array_equal(a, net.simulate(None, 0.01, n_steps=50, n_paths=4, seed=1))
    assert not np.array_equal(a, net.simulate(None, 0.01, n_steps=50, n_paths=4, seed=2))
    assert not np.array_equal(a[0], a[1])


def test_unit_leak_unit_step_is_discrete_recursion_exactly():
    # Dyadic weights and inputs keep every sum exact (12 steps of /16 stay within 53 bits), so
    # the comparison can be bitwise.
    rng = np.random.default_rng(0)
    n, m, T = 6, 2, 12
    W = rng.integers(-4, 5, (n, n)) / 16
    C = rng.integers(-4, 5, (n, m)) / 8
    b = rng.integers(-4, 5, n) / 8
    u = rng.integers(-2, 3, (T, m)) / 4
    net = srnn_rs.SRNN(W, C, b=b, gamma=1.0, activation="relu")
    got = net.simulate(u, 1.0, record="state")[0]
    h = np.zeros(n)
    assert np.array_equal(got[0], h)
    for k in range(T):
        h = np.maximum(W @ h + b, 0) + C @ u[k]
        assert np.array_equal(got[k + 1], h), k
    # Smooth activations agree to rounding of tanh itself.
    net = srnn_rs.SRNN(W, C, b=b, gamma=1.0, activation="tanh")
    got = net.simulate(u, 1.0, record="state")[0]
    h = np.zeros(n)
    for k in range(T):
        h = np.tanh(W @ h + b) + C @ u[k]
        np.testing.assert_allclose(got[k + 1], h, rtol=0, atol=1e-14)


def test_readout_and_records_are_consistent():
    net = tanh_network()
    p = net.params
    u = np.cos(0.05 * np.arange(120))[:, None]
    states = net.simulate(u, 0.01, n_paths=5, seed=4, record="state")
    y = net.simulate(u, 0.01, n_paths=5, seed=4, record="readout", stride=10)
    assert states.shape == (5, 121, 8) and y.shape == (5, 13, 2)
    want = states[:, ::10] @ p["readout"].T + p["readout_bias"]
    np.testing.assert_allclose(y, want, rtol=1e-13, atol=1e-13)
    final = net.simulate(u, 0.01, n_paths=5, seed=4, record="final")
    np.testing.assert_allclose(final, states[:, -1] @ p["readout"].T + p["readout_bias"], rtol=1e-13, atol=1e-13)
    final_state = net.simulate(u, 0.01, n_paths=5, seed=4, record="final_state")
    assert np.array_equal(final_state, states[:, -1])


def test_readout_activation_is_applied():
    rng = np.random.default_rng(3)
    R = rng.standard_normal((3, 4))
    net = srnn_rs.SRNN(0.3 * rng.standard_normal((4, 4)), np.zeros((4, 0)), sigma=0.2, readout=R,
                       readout_bias=np.ones(3), readout_activation="sigmoid")
    s = net.simulate(None, 0.05, n_steps=20, n_paths=3, record="state")
    y = net.simulate(None, 0.05, n_steps=20, n_paths=3, record="readout")
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-(s @ R.T + 1))), rtol=1e-14)


def test_per_path_input_and_initial_state():
    net = linear_network(3, 2, sigma=0.0)
    u = np.random.default_rng(0).standard_normal((4, 50, 2))
    h0 = np.arange(12.0).reshape(4, 3)
    both = net.simulate(u, 0.01, n_paths=4, h0=h0, record="state")
    for i in range(4):
        alone = net.simulate(u[i], 0.01, n_paths=1, h0=h0[i], record="state")
        assert np.array_equal(both[i], alone[0])
    assert np.array_equal(both[:, 0], h0)


def test_float32_tracks_float64_and_shares_noise():
    net = tanh_network()
    a = net.simulate(None, 0.01, n_steps=200, n_paths=16, seed=2)
    b = net.simulate(None, 0.01, n_steps=200, n_paths=16, seed=2, dtype="float32")
    assert b.dtype == np.float32
    assert np.abs(a - b).max() < 1e-4


def test_inputs_are_not_mutated_and_read_only_arrays_are_accepted():
    net = linear_network(3, 2)
    u = np.random.default_rng(0).standard_normal((40, 2))
    h0 = np.ones(3)
    u_copy, h0_copy = u.copy(), h0.copy()
    u.setflags(write=False)
    net.simulate(u, 0.01, h0=h0, n_paths=3)
    net.simulate(u[::2], 0.01, h0=h0, n_paths=3)  # non-contiguous view
    assert np.array_equal(u, u_copy) and np.array_equal(h0, h0_copy)


def test_divergence_raises_with_path_and_step():
    net = srnn_rs.SRNN([[3.0]], [[1.0]], gamma=0.5, sigma=0.1, activation="identity")
    with pytest.raises(srnn_rs.DivergenceError, match=r"path \d+ at step \d+"):
        net.simulate(None, 0.1, n_steps=100000, n_paths=4, record="final")


def test_memory_limit_is_checked_before_allocating():
    net = linear_network()
    with pytest.raises(srnn_rs.MemoryLimitError, match="memory limit"):
        net.simulate(None, 0.01, n_steps=10**6, n_paths=10**6, record="state")
    with pytest.raises(ValueError):  # MemoryLimitError is a ValueError too
        net.simulate(None, 0.01, n_steps=10**6, n_paths=10**6)
    old = srnn_rs.get_memory_limit()
    try:
        srnn_rs.set_memory_limit(1000)
        with pytest.raises(srnn_rs.MemoryLimitError):
            net.simulate(None, 0.01, n_steps=100, n_paths=10)
    finally:
        srnn_rs.set_memory_limit(old)


def test_progress_callback_reaches_total():
    net = tanh_network()
    seen = []
    net.simulate(None, 0.01, n_steps=2000, n_paths=200, record="final", progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1] == 200 * 2000


def test_ctrl_c_interrupts_a_long_run():
    net = tanh_network(n=64)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        net.simulate(None, 0.01, n_steps=10**6, n_paths=4000, record="final")
    assert time.monotonic() - start < 10.0
    timer.cancel()


def test_simulator_noise_is_the_published_normals():
    # W = 0, Γ = 0, identity activation, σ = 1, dt = 1: each step is exactly h ← h + z.
    n, T, paths = 5, 40, 3
    net = srnn_rs.SRNN(np.zeros((n, n)), np.zeros((n, 0)), gamma=0.0, sigma=1.0, activation="identity")
    h = net.simulate(None, 1.0, n_steps=T, n_paths=paths, seed=21, first_path=10, record="state")
    z = srnn_rs.standard_normals(paths, T, n, seed=21, first_path=10)
    expected = np.zeros((paths, T + 1, n))
    for k in range(T):
        expected[:, k + 1] = expected[:, k] + z[:, k]
    assert np.array_equal(h, expected)
    flat = srnn_rs.standard_normals(400, 50, 10, seed=3).ravel()
    se = 1 / np.sqrt(flat.size)
    assert abs(flat.mean()) < 5 * se and abs(flat.var() - 1) < 5 * np.sqrt(2) * se
    assert not np.array_equal(srnn_rs.standard_normals(1, 5, 4, seed=3), srnn_rs.standard_normals(1, 5, 4, seed=3, burn_in=True))


def test_model_is_immutable_picklable_and_leaves_caller_arrays_alone():
    import copy
    import pickle

    W = np.eye(3) * 0.1
    net = srnn_rs.SRNN(W, np.ones((3, 1)), sigma=0.2)
    assert W.flags.writeable
    assert not net.params["W"].flags.writeable
    assert copy.deepcopy(net) is net
    again = pickle.loads(pickle.dumps(net))
    a = net.simulate(None, 0.01, n_steps=20, n_paths=2, seed=1)
    assert np.array_equal(a, again.simulate(None, 0.01, n_steps=20, n_paths=2, seed=1))
    rebuilt = srnn_rs.SRNN(**net.params)
    assert np.array_equal(a, rebuilt.simulate(None, 0.01, n_steps=20, n_paths=2, seed=1))


def test_gil_is_released_while_simulating():
    net = tanh_network(n=64)
    done = threading.Event()

    def work():
        net.simulate(None, 0.01, n_steps=2000, n_paths=2000, record="final")
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    ticks = 0
    while not done.is_set():
        time.sleep(0.001)
        ticks += 1
    worker.join()
    # A call holding the GIL throughout would let this thread wake once or twice at most.
    assert ticks > 20
