"""srnn_rs.dask on a real multi-process LocalCluster: every result is the local call's, bit
for bit, for several chunkings (chunks of one path, ragged last chunks, chunks larger than a
block), and after a worker is killed mid-computation."""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import srnn_rs

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import srnn_rs.dask as sd  # noqa: E402

CHUNKINGS = [1, 7, 23]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0",
                                  silence_logs=40) as cluster, distributed.Client(cluster) as c:
        yield c


def net(n=4, m=2, p=2, sigma=0.6, seed=0):
    rng = np.random.default_rng(seed)
    return srnn_rs.SRNN(0.8 * rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, m)),
                        b=0.1 * rng.standard_normal(n), gamma=1.0, sigma=sigma, activation="tanh",
                        readout=rng.standard_normal((p, n)) / 2)


def same_fields(a, b):
    for name, value in vars(a).items():
        other = getattr(b, name)
        if isinstance(value, np.ndarray):
            assert value.dtype == other.dtype and np.array_equal(value, other), name
        else:
            assert value == other, name


def test_simulate_chunks_are_the_local_paths(client):
    model = net()
    u = np.sin(np.linspace(0, 3, 40))[:, None] * np.ones((1, 2))
    for record, dtype in [("readout", "float64"), ("state", "float32"), ("final_state", "float64")]:
        local = model.simulate(u, 0.05, n_paths=30, seed=5, h0="stationary", record=record, stride=3, dtype=dtype)
        for chunk in CHUNKINGS:
            lazy = sd.simulate(model, u, 0.05, n_paths=30, chunk_paths=chunk, seed=5, h0="stationary", record=record,
                               stride=3, dtype=dtype)
            assert lazy.shape == local.shape and lazy.dtype == local.dtype
            out = lazy.compute()
            assert np.array_equal(out, local), (record, chunk)


def test_simulate_per_path_dask_input(client):
    model = net()
    rng = np.random.default_rng(1)
    U = rng.standard_normal((20, 15, 2))
    h0 = rng.standard_normal((20, 4))
    local = model.simulate(U, 0.05, n_paths=20, h0=h0, seed=2)
    lazy = sd.simulate(model, da.from_array(U, chunks=(6, 15, 2)), 0.05, n_paths=20, chunk_paths=6,
                       h0=da.from_array(h0, chunks=(6, 4)), seed=2)
    assert np.array_equal(lazy.compute(), local)


def test_stationary_stats_and_correlation(client):
    model = net()
    local = srnn_rs.stationary_stats(model, dt=0.05, n_paths=45, window=1.0, stride=2, seed=3)
    cf = srnn_rs.correlation_function(model, dt=0.05, max_lag=0.5, g="drift", n_paths=45, seed=4)
    for chunk in CHUNKINGS:
        same_fields(sd.stationary_stats(model, dt=0.05, n_paths=45, window=1.0, stride=2, seed=3, chunk_paths=chunk,
                                        client=client), local)
        same_fields(sd.correlation_function(model, dt=0.05, max_lag=0.5, g="drift", n_paths=45, seed=4,
                                            chunk_paths=chunk, client=client), cf)


@pytest.mark.parametrize("method,order,extra", [
    ("adjoint", 1, {}),
    ("adjoint", 2, {}),
    ("girsanov", 1, {"bin_width": 2}),
    ("girsanov", 2, {}),
    ("fd", 2, {}),
    ("fdt_gauss", 1, {"n_origins": 3}),
])
def test_response_kernels_bit_identical(client, method, order, extra):
    model = net()
    kwargs = dict(dt=0.05, max_lag=0.3 if order == 2 else 0.8, order=order, method=method, n_paths=37, seed=9,
                  **extra)
    local = srnn_rs.response_kernels(model, **kwargs)
    for chunk in CHUNKINGS:
        same_fields(sd.response_kernels(model, chunk_paths=chunk, client=client, **kwargs), local)
    # another block size is another tree, and still the local call's bits with that block size
    same_fields(sd.response_kernels(model, chunk_paths=10, client=client, block_size=3, **kwargs),
                srnn_rs.response_kernels(model, block_size=3, **kwargs))


def test_signatures_features_and_gram_tiles(client):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((17, 25, 3)).cumsum(axis=1) * 0.2
    for chunk in CHUNKINGS:
        dx = da.from_array(X, chunks=(chunk, 25, 3))
        assert np.array_equal(sd.signature(dx, 3).compute(), srnn_rs.signature(X, 3))
        assert np.array_equal(sd.signature(dx, 2, stream=True, time_aug=True).compute(),
                              srnn_rs.signature(X, 2, stream=True, time_aug=True))
        assert np.array_equal(sd.logsignature(dx, 3).compute(), srnn_rs.logsignature(X, 3))
        assert np.array_equal(sd.response_feature(dx, 0.1, 2, n_basis=2).compute(),
                              srnn_rs.response_feature(X, 0.1, 2, n_basis=2))
        for kw in [dict(dyadic_order=1), dict(depth=3), dict(dyadic_order=0, static_kernel="rbf", sigma=2.0)]:
            G = sd.sig_kernel_gram(X, chunk_paths=chunk, **kw)
            assert G.chunks[0] == G.chunks[1] and len(G.chunks[0]) == -(-17 // chunk)
            assert np.array_equal(G.compute(), srnn_rs.sig_kernel_gram(X, **kw))
            H = sd.sig_kernel_gram(dx, X[:5] * 1.5, chunk_paths=4, **kw)
            assert np.array_equal(H.compute(), srnn_rs.sig_kernel_gram(X, X[:5] * 1.5, **kw))


def test_fits_from_dask_inputs(client):
    U = srnn_rs.tasks.random_inputs(50, 20, seed=3)
    y = np.tanh(U.sum(axis=(1, 2)))
    Y = np.stack([np.cumsum(U[..., 0], axis=1), U[..., 0] ** 2], axis=-1)
    model = net(n=6, m=1, p=1)
    for chunk in CHUNKINGS:
        dU = da.from_array(U, chunks=(chunk, 20, 1))
        ridge = srnn_rs.ResponseFeatureRidge(dt=0.1, depth=2, n_basis=2, block_size=4)
        local = srnn_rs.ResponseFeatureRidge(dt=0.1, depth=2, n_basis=2, block_size=4).fit(U, y)
        sd.fit(ridge, dU, da.from_array(y, chunks=chunk), client=client)
        assert np.array_equal(ridge.coef_, local.coef_) and np.array_equal(ridge.intercept_, local.intercept_)
        for target, yy in [("final", y), ("sequence", Y)]:
            kw = dict(model=model, dt=0.1, target=target, washout=2, n_noise_paths=2, block_size=6, seed=4)
            est = sd.fit(srnn_rs.ReadoutSRNN(**kw), dU, yy, client=client)
            ref = srnn_rs.ReadoutSRNN(**kw).fit(U, yy)
            assert np.array_equal(est.coef_, ref.coef_) and np.array_equal(est.intercept_, ref.intercept_)
            assert np.array_equal(est.predict(U[:5]), ref.predict(U[:5]))


def test_workers_run_the_core_on_their_own_threads(client):
    # A task sizes the worker's pool to its one thread; without it the pool would take every
    # core of the machine (two here, and the test would fail).
    sd.response_kernels(net(), dt=0.1, max_lag=0.2, n_paths=64, chunk_paths=8, client=client)

    def threads():
        from srnn_rs import _core

        return _core.thread_count()

    assert set(client.run(threads).values()) == {1}


def test_bad_arguments(client):
    model = net()
    for bad in (0, -3):
        with pytest.raises(ValueError, match="chunk_paths"):
            sd.simulate(model, None, 0.1, n_steps=5, n_paths=10, chunk_paths=bad)
        with pytest.raises(ValueError, match="chunk_paths"):
            sd.response_kernels(model, dt=0.1, max_lag=0.3, n_paths=10, chunk_paths=bad)
    U = da.from_array(np.zeros((10, 5, 2)), chunks=(5, 5, 2))
    with pytest.raises(ValueError, match=r"u: chunked \(5, 5\).*chunk_paths gives \(4, 4, 2\)"):
        sd.simulate(model, U, 0.1, n_paths=10, chunk_paths=4)
    with pytest.raises(ValueError, match="dt"):
        sd.simulate(model, None, -0.1, n_steps=5, n_paths=10, chunk_paths=4)
    with pytest.raises(ValueError, match="record"):
        sd.simulate(model, None, 0.1, n_steps=5, n_paths=10, chunk_paths=4, record="everything")
    with pytest.raises(TypeError, match="model"):
        sd.response_kernels("net", dt=0.1, max_lag=0.3, n_paths=10, chunk_paths=4)
    with pytest.raises(TypeError, match="path"):
        sd.signature(np.zeros((4, 5, 2)), 2)


def test_missing_dask_names_the_extra():
    code = "import sys; sys.modules['dask'] = None; import srnn_rs.dask"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "ImportError" in out.stderr and "srnn_rs[dask]" in out.stderr


def test_a_killed_worker_changes_nothing():
    model = net(n=16, seed=3)
    kwargs = dict(dt=0.02, max_lag=2.0, n_paths=3000, seed=1)
    local = srnn_rs.response_kernels(model, **kwargs)
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0",
                                  silence_logs=50) as cluster, distributed.Client(cluster) as c:
        result = {}

        def run():
            result["k"] = sd.response_kernels(model, chunk_paths=32, client=c, **kwargs)

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.time() + 60
        while not any(c.processing().values()) and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # let some chunks finish, so results and running tasks are both lost
        victim, pid = next(iter(c.run(os.getpid).items()))
        assert any(c.processing().values()), "the computation ended before a worker could be killed"
        os.kill(pid, signal.SIGKILL)
        thread.join(timeout=120)
        assert not thread.is_alive()
        assert victim not in c.scheduler_info()["workers"] or c.run(os.getpid).get(victim) != pid
    same_fields(result["k"], local)
