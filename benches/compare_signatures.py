"""Time srnn_rs against iisignature and (when installed) pySigLib on the signature workloads
of SPEC §8, in one run on the same machine, and print the ratios.

Usage: python benches/compare_signatures.py [--repeat N] [--quick]

iisignature is single-threaded; srnn_rs and pySigLib use all threads (n_jobs=-1). srnn_rs is
also timed on one thread: on a shared machine that ratio is the one least disturbed by other
load. Every timing is the best of N runs after one warm-up call.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import srnn_rs

try:
    import iisignature
except ImportError:  # pragma: no cover
    iisignature = None
try:
    import pysiglib
except ImportError:  # pragma: no cover
    pysiglib = None


def best(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def row(name, ours, others, ours_1=None):
    parts = [f"{name:<40s} srnn_rs {ours * 1e3:9.2f} ms"]
    if ours_1 is not None:
        parts.append(f"(1 thread {ours_1 * 1e3:8.2f} ms)")
    for label, t in others:
        if t is None:
            parts.append(f"{label} {'n/a':>9s}")
        else:
            one = f", {t / ours_1:5.1f}x vs 1 thread" if ours_1 is not None else ""
        parts.append(f"{label} {t * 1e3:9.2f} ms ({t / ours:5.1f}x{one})")
    print("  ".join(parts), flush=True)


def attempt(fn, repeat):
    try:
        return best(fn, repeat)
    except Exception as exc:  # a peer's API differs between versions: report, don't stop
        print(f"    (peer call failed: {type(exc).__name__}: {exc})")
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller batches, for a smoke run")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    scale = 8 if args.quick else 1
    print(f"cpu_features={srnn_rs.cpu_features()}  cpus={os.cpu_count()}  "
          f"iisignature={'yes' if iisignature else 'no'}  pysiglib={'yes' if pysiglib else 'no'}")

    for batch, length, d, depth in [(256, 512, 4, 5), (32, 1024, 8, 4), (1024, 128, 3, 6)]:
        batch = max(batch // scale, 4)
        x = np.cumsum(rng.normal(scale=0.1, size=(batch, length, d)), axis=1)
        ours = best(lambda: srnn_rs.signature(x, depth), args.repeat)
        ours_1 = best(lambda: srnn_rs.signature(x, depth, n_jobs=1), args.repeat)
        peers = []
        if iisignature:
            peers.append(("iisignature", attempt(lambda: iisignature.sig(x, depth), max(1, args.repeat // 2))))
        if pysiglib:
            peers.append(("pysiglib", attempt(lambda: pysiglib.sig(x, depth, n_jobs=-1), args.repeat)))
        row(f"signature B={batch} L={length} d={d} m={depth}", ours, peers, ours_1)

    batch, length, d, depth = max(256 // scale, 4), 256, 4, 4
    x = np.cumsum(rng.normal(scale=0.1, size=(batch, length, d)), axis=1)
    ours = best(lambda: srnn_rs.logsignature(x, depth), args.repeat)
    ours_1 = best(lambda: srnn_rs.logsignature(x, depth, n_jobs=1), args.repeat)
    peers = []
    if iisignature:
        prep = iisignature.prepare(d, depth)
        peers.append(("iisignature", attempt(lambda: iisignature.logsig(x, prep), max(1, args.repeat // 2))))
    if pysiglib:
        def pysiglib_logsig():
            return pysiglib.log_sig(x, depth, n_jobs=-1)

        try:
            pysiglib.prepare_log_sig(d, depth)
        except Exception:
            pass
        peers.append(("pysiglib", attempt(pysiglib_logsig, args.repeat)))
    row(f"logsignature lyndon B={batch} L={length} d={d} m={depth}", ours, peers, ours_1)

    n, length, d = max(64 // scale, 4), 128, 3
    X = np.cumsum(rng.normal(scale=0.1, size=(n, length, d)), axis=1)
    ours = best(lambda: srnn_rs.sig_kernel_gram(X, dyadic_order=0), args.repeat)
    ours_1 = best(lambda: srnn_rs.sig_kernel_gram(X, dyadic_order=0, n_jobs=1), args.repeat)
    peers = []
    if pysiglib:
        peers.append(("pysiglib", attempt(lambda: pysiglib.sig_kernel_gram(X, X, 0, n_jobs=-1), args.repeat)))
    row(f"PDE Gram {n}x{n} L={length} d={d} order 0", ours, peers, ours_1)


if __name__ == "__main__":
    main()
