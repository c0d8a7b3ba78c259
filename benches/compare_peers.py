"""Times srnn_rs against the same Euler–Maruyama ensemble written in NumPy (and JAX when
installed), in one run on one machine, and prints the ratios.

    python benches/compare_peers.py            # the README table's workload: tanh, n=64, 2000 paths, 1000 steps
    python benches/compare_peers.py --quick    # smaller, for a smoke run
    python benches/compare_peers.py --precision-only --steps 500 --repeats 7   # float32 vs float64 only

The contenders take turns, best of ``--repeats`` each. Also reports path-steps per second,
scaling in paths (1k → 16k) and threads (1 → all), the latter in subprocesses because
rayon's pool size is fixed per process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

import srnn_rs


def workload(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    W = 1.5 * rng.standard_normal((n, n)) / np.sqrt(n)
    C = rng.standard_normal((n, 1))
    R = rng.standard_normal((1, n)) / np.sqrt(n)
    return W, C, R


def numpy_em(W, R, sigma, dt, n_paths, n_steps, seed=1):
    """How a user writes it: batched matmul over paths, one readout recorded per step."""
    rng = np.random.default_rng(seed)
    n = W.shape[0]
    h = np.zeros((n_paths, n))
    ys = np.empty((n_steps + 1, n_paths))
    ys[0] = h @ R[0]
    sq = sigma * np.sqrt(dt)
    Wt = W.T.copy()
    for k in range(n_steps):
        h = h + dt * (np.tanh(h @ Wt) - h) + sq * rng.standard_normal((n_paths, n))
        ys[k + 1] = h @ R[0]
    return ys


def jax_em(W, R, sigma, dt, n_paths, n_steps, seed=1):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    Wt, r = jnp.asarray(W.T), jnp.asarray(R[0])
    sq = sigma * np.sqrt(dt)

    @jax.jit
    def run(key):
        def step(carry, k):
            h, key = carry
            key, sub = jax.random.split(key)
            h = h + dt * (jnp.tanh(h @ Wt) - h) + sq * jax.random.normal(sub, h.shape, dtype=jnp.float64)
            return (h, key), h @ r

        h0 = jnp.zeros((n_paths, Wt.shape[0]), dtype=jnp.float64)
        _, ys = jax.lax.scan(step, (h0, key), jnp.arange(n_steps))
        return ys

    key = jax.random.PRNGKey(seed)
    run(key).block_until_ready()  # compile outside the timing
    return lambda: run(key).block_until_ready()


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


# NumPy's OpenBLAS threads spin for ~0.1 s after a BLAS call, on the cores our threads need.
BLAS_IDLE = 0.3


def interleaved(contenders: dict, repeats: int) -> dict:
    """Best time of each contender, the contenders taking turns so that all of them see the
    same phases of a shared machine; an idle gap before srnn_rs lets OpenBLAS park."""
    best = {name: float("inf") for name in contenders}
    for _ in range(repeats):
        for name, fn in contenders.items():
            if name == "srnn_rs":
                time.sleep(BLAS_IDLE)
            t = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def ours(W, C, R, sigma, dt, n_paths, n_steps, dtype="float64"):
    net = srnn_rs.SRNN(W, C, sigma=sigma, readout=R)
    return lambda: net.simulate(None, dt, n_steps=n_steps, n_paths=n_paths, seed=1, dtype=dtype)


def precision_row(W, C, R, sigma, dt, paths, steps, repeats):
    """float32 against float64 on the same workload, taking turns, best of ``repeats`` each."""
    runs = {dtype: ours(W, C, R, sigma, dt, paths, steps, dtype) for dtype in ("float64", "float32")}
    for run in runs.values():
        run()  # warm-up
    best = {dtype: float("inf") for dtype in runs}
    for _ in range(repeats):
        for dtype, run in runs.items():
            t = time.perf_counter()
            run()
            best[dtype] = min(best[dtype], time.perf_counter() - t)
    ratio = best["float64"] / best["float32"]
    print(f"float64 {best['float64']:7.3f} s   float32 {best['float32']:7.3f} s   "
          f"ratio float64/float32 = {ratio:4.2f}x  (target >= 1.6x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--precision-only", action="store_true", help="only the float32 vs float64 row")
    ap.add_argument("--steps", type=int, help="steps per path (default 1000; 200 with --quick)")
    args = ap.parse_args()
    n, paths, steps, dt, sigma = 64, 2000, 1000, 0.01, 0.2
    if args.quick:
        paths, steps = 500, 200
    steps = args.steps or steps
    W, C, R = workload(n)
    if args.threads_only:
        print(best_of(ours(W, C, R, sigma, dt, paths, steps), args.repeats))
        return
    if args.precision_only:
        print(f"workload: tanh, n={n}, {paths} paths, {steps} steps, dt={dt}, one readout recorded per step")
        precision_row(W, C, R, sigma, dt, paths, steps, args.repeats)
        return

    print(f"srnn_rs {srnn_rs.__version__} ({srnn_rs.cpu_features()}), {os.cpu_count()} CPUs")
    print(f"workload: tanh, n={n}, {paths} paths, {steps} steps, dt={dt}, float64, one readout recorded per step\n")
    scaling = []
    for p in (1000, 2000, 4000, 8000, 16000):
        scaling.append((p, best_of(ours(W, C, R, sigma, dt, p, steps), 1)))
    contenders = {
        "srnn_rs": ours(W, C, R, sigma, dt, paths, steps),
        "numpy": lambda: numpy_em(W, R, sigma, dt, paths, steps),
    }
    try:
        contenders["jax"] = jax_em(W, R, sigma, dt, paths, steps)
    except ImportError:
        pass
    best = interleaved(contenders, args.repeats)
    t_ours = best["srnn_rs"]
    rate = paths * steps / t_ours
    print(f"{'srnn_rs':<10} {t_ours:8.3f} s   {rate / 1e6:7.2f} M path-steps/s")
    print(f"{'numpy':<10} {best['numpy']:8.3f} s   ratio numpy/srnn_rs = {best['numpy'] / t_ours:6.1f}x  (target >= 8x)")
    if "jax" in best:
        print(f"{'jax':<10} {best['jax']:8.3f} s   ratio jax/srnn_rs   = {best['jax'] / t_ours:6.1f}x")
    else:
        print("jax        not installed (pip install jax) — skipped")

    print("\nfloat32 against float64 (same workload, taking turns):")
    precision_row(W, C, R, sigma, dt, paths, steps, args.repeats)

    print("\nscaling in paths (same steps):")
    base = scaling[0][1] / scaling[0][0]
    for p, t in scaling:
        print(f"  {p:6d} paths  {t:7.3f} s  {p * steps / t / 1e6:7.2f} M path-steps/s  (time / linear = {t / (base * p):.2f})")

    print("\nscaling in threads (RAYON_NUM_THREADS):")
    t1 = None
    for threads in sorted({1, 2, os.cpu_count() or 1}):
        env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
        cmd = [sys.executable, __file__, "--threads-only", "--repeats", str(args.repeats)] + (["--quick"] if args.quick else [])
        t = float(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout.strip())
        t1 = t1 or t
        print(f"  {threads:3d} threads  {t:7.3f} s  speed-up {t1 / t:5.2f}x")


if __name__ == "__main__":
    main()
