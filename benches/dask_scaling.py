"""srnn_rs.dask against the local (rayon) call on the same work: per-chunk overhead, the chunk
size above which that overhead is under 5 % of the compute, and strong and weak scaling on a
LocalCluster of 1 and 2 single-threaded worker processes.

    python benches/dask_scaling.py [--paths 20000] [--repeats 3] [--million]

Workload: first-order kernel by the adjoint sweep of a 32-unit tanh network, dt = 0.05,
41 lags. Each run also checks that the distributed result equals the local one bit for bit.
``--million`` adds one 10⁶-path call on the 2-worker cluster.
"""

import argparse
import itertools
import os
import time

import numpy as np

import srnn_rs
import srnn_rs.dask as sd
from distributed import Client, LocalCluster


def network():
    rng = np.random.default_rng(0)
    n = 32
    return srnn_rs.SRNN(1.1 * rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, 2)),
                        gamma=1.0, sigma=0.3, activation="tanh", readout=rng.standard_normal((2, n)) / 8)


KW = dict(dt=0.05, max_lag=2.0)
SEEDS = itertools.count(100)


def best(fn, repeats):
    """Best time of ``repeats`` calls ``fn(seed)``, each with a fresh seed: Dask would
    otherwise hand back a result it still holds for the same (pure) task keys."""
    times, out = [], None
    for _ in range(repeats):
        seed = next(SEEDS)
        t0 = time.perf_counter()
        out = fn(seed)
        times.append(time.perf_counter() - t0)
    return min(times), out, seed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--million", action="store_true")
    args = ap.parse_args()
    net, N = network(), args.paths
    cores = os.cpu_count() or 1

    t_local, _, _ = best(lambda seed: srnn_rs.response_kernels(net, n_paths=N, seed=seed, **KW), args.repeats)
    print(f"local rayon call, {cores} threads, {N} paths: {t_local:.3f} s")

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=50) as cl1, Client(cl1) as c1:
        sd.response_kernels(net, n_paths=64, chunk_paths=64, client=c1, seed=0, **KW)  # warm the worker
        # Per-chunk overhead: many chunks of one block each, on one worker, against the
        # same paths in one chunk.
        n_small = 200
        t_many, _, _ = best(lambda seed: sd.response_kernels(net, n_paths=16 * n_small, chunk_paths=16, client=c1,
                                                             seed=seed, **KW), args.repeats)
        t_single, _, _ = best(lambda seed: sd.response_kernels(net, n_paths=16 * n_small, chunk_paths=16 * n_small,
                                                               client=c1, seed=seed, **KW), args.repeats)
        overhead = (t_many - t_single) / n_small
        t_w1, k1, seed = best(lambda seed: sd.response_kernels(net, n_paths=N, chunk_paths=N // 8, client=c1,
                                                               seed=seed, **KW), args.repeats)
        assert np.array_equal(k1.values, srnn_rs.response_kernels(net, n_paths=N, seed=seed, **KW).values)

    per_path = t_single / (16 * n_small)
    threshold = 19 * overhead / per_path
    print(f"per-chunk overhead: {1e3 * overhead:.2f} ms; compute {1e6 * per_path:.1f} µs/path on one worker "
          f"thread; overhead < 5 % above {threshold:.0f} paths per chunk")

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=50) as cl2, Client(cl2) as c2:
        sd.response_kernels(net, n_paths=64, chunk_paths=32, client=c2, seed=0, **KW)
        rows = []
        for chunk in (N // 64, N // 16, N // 4):
            t, k, seed = best(lambda seed: sd.response_kernels(net, n_paths=N, chunk_paths=chunk, client=c2,
                                                               seed=seed, **KW), args.repeats)
            assert np.array_equal(k.values, srnn_rs.response_kernels(net, n_paths=N, seed=seed, **KW).values)
            rows.append((chunk, t))
        t_weak, _, _ = best(lambda seed: sd.response_kernels(net, n_paths=2 * N, chunk_paths=N // 8, client=c2,
                                                             seed=seed, **KW), args.repeats)
        if args.million:
            t0 = time.perf_counter()
            big = sd.response_kernels(net, n_paths=10**6, chunk_paths=20000, client=c2, seed=1, **KW)
            t_big = time.perf_counter() - t0

    print("\nstrong scaling, same work (N paths):")
    print(f"  1 worker x 1 thread, chunks of {N // 8}: {t_w1:.3f} s")
    for chunk, t in rows:
        print(f"  2 workers x 1 thread, chunks of {chunk}: {t:.3f} s  "
              f"(vs 1 worker {t_w1 / t:.2f}x; vs local rayon {t_local / t:.2f}x, overhead "
              f"{100 * (t / t_local - 1):+.1f} %)")
    print("weak scaling (N paths per worker):")
    print(f"  1 worker, N paths: {t_w1:.3f} s; 2 workers, 2N paths: {t_weak:.3f} s (efficiency "
          f"{t_w1 / t_weak:.2f})")
    if args.million:
        print(f"\n10^6 paths on 2 workers, chunks of 20000: {t_big:.1f} s; "
              f"K1[0] = {big.values[0, 0, 0]:.5f} ± {big.stderr[0, 0, 0]:.1e}")


if __name__ == "__main__":
    main()
