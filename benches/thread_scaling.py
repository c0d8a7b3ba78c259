"""Thread scaling of the README's workloads: each at 1, 2, 4, … threads (a subprocess per count,
since the core's thread pool is sized once per process by RAYON_NUM_THREADS), best of
``--repeats``, with the speed-up over one thread.

    python benches/thread_scaling.py [--threads 1,2,4,8,16] [--repeats 3]

Workloads: EM ensemble (tanh, n = 64, 2000 paths × 1000 steps, float64, readout recorded),
K1 by adjoint (n = 64, m = 4, p = 2, 2000 paths, 200 lags), signatures (256, 512, 4, 5),
(32, 1024, 8, 4), (1024, 128, 3, 6), log-signature (256, 256, 4, 4), PDE Gram 64 × 64,
L = 128, d = 3.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def workloads():
    import srnn_rs

    rng = np.random.default_rng(0)
    n = 64
    em_net = srnn_rs.SRNN(1.5 * rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, 1)),
                          gamma=1.0, sigma=0.3, activation="tanh", readout=rng.standard_normal((1, n)) / np.sqrt(n))
    k_net = srnn_rs.SRNN(1.2 * rng.standard_normal((n, n)) / np.sqrt(n), rng.standard_normal((n, 4)),
                         gamma=1.0, sigma=0.3, activation="tanh", readout=rng.standard_normal((2, n)) / 8)
    paths = {shape: rng.standard_normal(shape[:3]).cumsum(axis=1) * 0.1
             for shape in [(256, 512, 4, 5), (32, 1024, 8, 4), (1024, 128, 3, 6), (256, 256, 4, 4)]}
    gram_x = rng.standard_normal((64, 128, 3)).cumsum(axis=1) * 0.05
    out = {
        "EM 2000 x 1000, n=64": lambda: em_net.simulate(None, 0.01, n_steps=1000, n_paths=2000, seed=1),
        "K1 adjoint, n=64, 2000 paths, 200 lags": lambda: srnn_rs.response_kernels(
            k_net, dt=0.05, max_lag=199 * 0.05, n_paths=2000, burn_in=5.0, seed=1),
        "PDE Gram 64x64, L=128, d=3": lambda: srnn_rs.sig_kernel_gram(gram_x, dyadic_order=0),
    }
    for shape in [(256, 512, 4, 5), (32, 1024, 8, 4), (1024, 128, 3, 6)]:
        out[f"signature {shape}"] = (lambda s: lambda: srnn_rs.signature(paths[s], s[3]))(shape)
    out["logsignature (256, 256, 4, 4)"] = lambda: srnn_rs.logsignature(paths[(256, 256, 4, 4)], 4)
    return out


def measure(repeats):
    results = {}
    for name, fn in workloads().items():
        fn()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        results[name] = min(times)
    print(json.dumps(results))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.repeats)
        return
    cores = os.cpu_count() or 1
    counts = [int(t) for t in args.threads.split(",")] if args.threads else \
        [t for t in (1, 2, 4, 8, 16, 32, 64) if t <= cores]
    table = {}
    for t in counts:
        env = dict(os.environ, RAYON_NUM_THREADS=str(t))
        out = subprocess.run([sys.executable, __file__, "--measure", "--repeats", str(args.repeats)], env=env,
                             capture_output=True, text=True, check=True)
        table[t] = json.loads(out.stdout.strip().splitlines()[-1])
    names = list(table[counts[0]])
    print(f"{cores} cores; best of {args.repeats}; time (speed-up over {counts[0]} thread(s))")
    print("| workload | " + " | ".join(f"{t} threads" for t in counts) + " |")
    print("|---|" + "---|" * len(counts))
    for name in names:
        base = table[counts[0]][name]
        cells = [f"{1e3 * table[t][name]:.1f} ms ({base / table[t][name]:.1f}x)" for t in counts]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
