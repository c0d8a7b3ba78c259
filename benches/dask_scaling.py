"""srnn_rs.dask against the local (rayon) call on the same work: per-chunk overhead, the chunk
size above which that overhead is under 5 % of the compute, and strong and weak scaling on
LocalClusters of single-threaded worker processes.

    python benches/dask_scaling.py [--paths 20000] [--workers 1,2] [--repeats 3] [--million]

Workload: first-order kernel by the adjoint sweep of a 32-unit tanh network, dt = 0.05,
41 lags. Every distributed result is checked against the local call bit for bit.
``--million`` adds one 10⁶-path call on the largest cluster.
"""

import argparse
import itertools
import os
import time

import numpy as np

import srnn_rs
import srnn_rs.dask as sd
from distributed import Client, LocalCluster

KW = dict(dt=0.05, max_lag=2.0)
SEEDS = itertools.count(100)


def network():
    rng = np.random.default_rng(0)
    n = 32
    return srnn_rs.SRNN(1.1 * rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, 2)),
                        gamma=1.0, sigma=0.3, activation="tanh", readout=rng.standard_normal((2, n)) / 8)


def best(fn, repeats):
    """Best time of ``repeats`` calls ``fn(seed)``, each with a fresh seed: Dask would
    otherwise hand back a result it still holds for the same (pure) task keys."""
    times, out, seed = [], None, None
    for _ in range(repeats):
        seed = next(SEEDS)
        t0 = time.perf_counter()
        out = fn(seed)
        times.append(time.perf_counter() - t0)
    return min(times), out, seed


def warm(client, net):
    """Every worker runs a task (importing srnn_rs, sizing its thread pool) before the clock
    starts."""
    workers = len(client.scheduler_info()["workers"])
    sd.response_kernels(net, n_paths=64 * workers, chunk_paths=16, client=client, seed=0, **KW)


def cluster(workers):
    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                        silence_logs=50)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", type=int, default=20000)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--million", action="store_true")
    args = ap.parse_args()
    net, N = network(), args.paths
    workers = [int(w) for w in args.workers.split(",")]
    cores = os.cpu_count() or 1

    def local(n_paths, seed):
        return srnn_rs.response_kernels(net, n_paths=n_paths, seed=seed, **KW)

    def distributed(client, n_paths, chunk, seed):
        return sd.response_kernels(net, n_paths=n_paths, chunk_paths=chunk, client=client, seed=seed, **KW)

    t_local, _, _ = best(lambda seed: local(N, seed), args.repeats)
    print(f"local rayon call, {cores} threads, {N} paths: {t_local:.3f} s")

    with cluster(1) as cl, Client(cl) as c:
        warm(c, net)
        n_small = 200
        t_many, _, _ = best(lambda seed: distributed(c, 16 * n_small, 16, seed), args.repeats)
        t_one, _, _ = best(lambda seed: distributed(c, 16 * n_small, 16 * n_small, seed), args.repeats)
    overhead = (t_many - t_one) / n_small
    per_path = t_one / (16 * n_small)
    print(f"per-chunk overhead: {1e3 * overhead:.2f} ms; {1e6 * per_path:.1f} µs of compute per path on one "
          f"worker thread; overhead < 5 % for chunks of at least {19 * overhead / per_path:.0f} paths")

    print(f"\n{'workers':>7} {'chunk':>7} {'strong, N paths':>16} {'vs first':>12} {'vs local':>9} "
          f"{'weak, N·w paths':>16} {'efficiency':>10}")
    t_first = None
    big = None
    for w in workers:
        with cluster(w) as cl, Client(cl) as c:
            warm(c, net)
            chunk = max(16, N // (4 * w))
            t, k, seed = best(lambda seed: distributed(c, N, chunk, seed), args.repeats)
            assert np.array_equal(k.values, local(N, seed).values) and np.array_equal(k.stderr, local(N, seed).stderr)
            t_weak, _, _ = best(lambda seed: distributed(c, N * w, chunk, seed), args.repeats)
            t_first = t if t_first is None else t_first
            # Relative to the first (smallest) cluster; weak efficiency is its time over this one's
            # on w times the work.
            print(f"{w:>7} {chunk:>7} {t:>14.3f} s {t_first / t:>11.2f}x "
                  f"{t_local / t:>8.2f}x {t_weak:>14.3f} s {t_first / t_weak:>10.2f}")
            if args.million and w == workers[-1]:
                big = {chunk: best(lambda seed: distributed(c, 10**6, chunk, seed), 2)
                       for chunk in (20000, 62500)}
    if big is not None:
        t_big_local, k_local, _ = best(lambda seed: local(10**6, seed), 2)
        print(f"\n10^6 paths: local rayon call {t_big_local:.2f} s; "
              f"K1[1] = {k_local.values[1, 0, 0]:.5f} ± {k_local.stderr[1, 0, 0]:.1e}")
        for chunk, (t, k, seed) in big.items():
            assert np.array_equal(k.values, local(10**6, seed).values)
            print(f"  {workers[-1]} workers, chunks of {chunk}: {t:.2f} s "
                  f"(overhead {100 * (t / t_big_local - 1):+.1f} % against the local call)")


if __name__ == "__main__":
    main()
