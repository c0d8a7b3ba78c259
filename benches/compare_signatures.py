"""Time srnn_rs against iisignature and (when installed) pySigLib on the signature workloads
of the README's speed table (see benches/README.md), in one run on the same machine, and print
the ratios.

Usage: python benches/compare_signatures.py [--repeat N] [--quick] [--pysiglib-core PATH]

When the ``pysiglib`` package imports (it needs torch), it is called as a user would:
``pysiglib.sig``, ``pysiglib.log_sig`` (with the method whose output matches
``srnn_rs.logsignature``, after ``pysiglib.prepare_log_sig``) and ``pysiglib.sig_kernel_gram``,
on the same NumPy arrays, with ``n_jobs=-1``; each answer is checked against ours first.

``--pysiglib-core PATH`` times pySigLib's compiled core (``libcpsig.so`` from the pysiglib 4.x
wheel) through the C entry points its Python functions call, for machines where the pysiglib
package cannot be imported (it requires torch): ``signature_d`` for ``pysiglib.sig``;
``signature_d`` then ``sig_to_log_sig_d`` for ``pysiglib.log_sig`` (the method whose output
matches ours is used); and ``sig_kernel_d`` for ``pysiglib.sig_kernel_gram``, given the
upper-triangle pairs' static-kernel increments precomputed outside the timing (the package
forms them with ``torch.bmm`` on every call), so that row is a lower bound on pySigLib's time.

iisignature is single-threaded; srnn_rs and pySigLib use all threads (n_jobs=-1). srnn_rs is
also timed on one thread: on a shared machine that ratio is the one least disturbed by other
load. Every timing is the best of N runs, the contenders interleaved round-robin.
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


def load_pysiglib_core(path):
    """``signature_d`` of pySigLib's C core (the function behind ``pysiglib.sig``)."""
    import ctypes
    from ctypes import POINTER, c_bool, c_double, c_int, c_uint64

    lib = ctypes.CDLL(path)
    fn = lib.signature_d
    fn.argtypes = (POINTER(c_double), POINTER(c_double), c_uint64, c_uint64, c_uint64, c_uint64, c_bool, c_bool,
                   c_double, c_bool, c_bool, c_int, POINTER(c_double), c_uint64, c_uint64, c_uint64)
    fn.restype = c_int

    def sig(x, depth, n_jobs=-1):
        x = np.ascontiguousarray(x, dtype=np.float64)
        batch, length, d = x.shape
        out = np.empty((batch, srnn_rs.siglength(d, depth)))
        # path, out, batch, dim, length, degree, time_aug, lead_lag, end_time, horner, scalar_term,
        # n_jobs, then an absent correction term
        err = fn(x.ctypes.data_as(POINTER(c_double)), out.ctypes.data_as(POINTER(c_double)), batch, d, length,
                 depth, False, False, 1.0, True, False, n_jobs, None, 0, 0, 0)
        if err:
            raise RuntimeError(f"pySigLib core returned error {err}")
        return out

    def log_sig(x, depth, method, n_jobs=-1):
        x = np.ascontiguousarray(x, dtype=np.float64)
        batch, length, d = x.shape
        s = sig(x, depth, n_jobs)
        out = np.empty((batch, lib.log_sig_length(d, depth)))
        # sig, out, batch, dim, degree, time_aug, lead_lag, method, scalar_term, n_jobs
        err = lib.sig_to_log_sig_d(s.ctypes.data_as(POINTER(c_double)), out.ctypes.data_as(POINTER(c_double)),
                                   batch, d, depth, False, False, method, False, n_jobs)
        if err:
            raise RuntimeError(f"pySigLib core returned error {err}")
        return out

    def prepare_log_sig(d, depth, method):
        err = lib.prepare_log_sig(d, depth, method, False)
        if err:
            raise RuntimeError(f"pySigLib core returned error {err}")

    def kernel_solve(inc, d, len1, len2, dyadic_order, n_jobs=-1):
        """``sig_kernel_d`` on static-kernel increments ``inc`` (pairs, len1 - 1, len2 - 1)."""
        inc = np.ascontiguousarray(inc, dtype=np.float64)
        out = np.empty(inc.shape[0])
        # gram, out, batch, dim, length1, length2, dyadic_order1, dyadic_order2, return_grid, n_jobs
        err = lib.sig_kernel_d(inc.ctypes.data_as(POINTER(c_double)), out.ctypes.data_as(POINTER(c_double)),
                               inc.shape[0], d, len1, len2, dyadic_order, dyadic_order, False, n_jobs)
        if err:
            raise RuntimeError(f"pySigLib core returned error {err}")
        return out

    lib.log_sig_length.argtypes = (c_uint64, c_uint64)
    lib.log_sig_length.restype = c_uint64
    lib.prepare_log_sig.argtypes = (c_uint64, c_uint64, c_int, c_bool)
    lib.prepare_log_sig.restype = c_int
    lib.sig_to_log_sig_d.argtypes = (POINTER(c_double), POINTER(c_double), c_uint64, c_uint64, c_uint64, c_bool,
                                     c_bool, c_int, c_bool, c_int)
    lib.sig_to_log_sig_d.restype = c_int
    lib.sig_kernel_d.argtypes = (POINTER(c_double), POINTER(c_double), c_uint64, c_uint64, c_uint64, c_uint64,
                                 c_uint64, c_uint64, c_bool, c_int)
    lib.sig_kernel_d.restype = c_int
    sig.log_sig = log_sig
    sig.prepare_log_sig = prepare_log_sig
    sig.kernel_solve = kernel_solve
    return sig


def race(fns, repeat):
    """Best-of-`repeat` time of each callable, runs interleaved round-robin after one warm-up
    each, so that load from elsewhere on a shared machine hits all contenders alike. A
    callable that raises (a peer's API differs between versions) is reported and dropped."""
    times = {}
    live = {}
    for name, fn in fns.items():
        try:
            fn()
            live[name] = fn
            times[name] = []
        except Exception as exc:
            print(f"    ({name} failed: {type(exc).__name__}: {exc})")
    for _ in range(repeat):
        for name, fn in live.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: min(ts) for name, ts in times.items()}


def report(name, t):
    ours, ours_1 = t.pop("srnn_rs"), t.pop("srnn_rs 1 thread")
    parts = [f"{name:<40s} srnn_rs {ours * 1e3:8.2f} ms (1 thread {ours_1 * 1e3:8.2f} ms)"]
    for label, v in t.items():
        parts.append(f"{label} {v * 1e3:8.2f} ms ({v / ours:5.1f}x; {v / ours_1:5.1f}x vs 1 thread)")
    print("  ".join(parts), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="smaller batches, for a smoke run")
    ap.add_argument("--pysiglib-core", metavar="PATH", help="libcpsig.so of pysiglib 4.x, used without torch")
    args = ap.parse_args()
    core_sig = load_pysiglib_core(args.pysiglib_core) if args.pysiglib_core else None
    rng = np.random.default_rng(0)
    scale = 8 if args.quick else 1
    print(f"cpu_features={srnn_rs.cpu_features()}  cpus={os.cpu_count()}  "
          f"iisignature={'yes' if iisignature else 'no'}  pysiglib={'yes' if pysiglib else 'no'}")

    for batch, length, d, depth in [(256, 512, 4, 5), (32, 1024, 8, 4), (1024, 128, 3, 6)]:
        batch = max(batch // scale, 4)
        x = np.cumsum(rng.normal(scale=0.1, size=(batch, length, d)), axis=1)
        fns = {
            "srnn_rs": lambda: srnn_rs.signature(x, depth),
            "srnn_rs 1 thread": lambda: srnn_rs.signature(x, depth, n_jobs=1),
        }
        if iisignature:
            fns["iisignature"] = lambda: iisignature.sig(x, depth)
        if pysiglib:
            err = np.abs(pysiglib.sig(x, depth, n_jobs=-1) - srnn_rs.signature(x, depth)).max()
            assert err < 1e-9, f"pySigLib disagrees by {err}"
            fns["pysiglib"] = lambda: pysiglib.sig(x, depth, n_jobs=-1)
        if core_sig:
            err = np.abs(core_sig(x, depth) - srnn_rs.signature(x, depth)).max()
            assert err < 1e-9, f"pySigLib core disagrees by {err}"
            fns["pysiglib-core"] = lambda: core_sig(x, depth)
            fns["pysiglib-core 1 thread"] = lambda: core_sig(x, depth, 1)
        report(f"signature B={batch} L={length} d={d} m={depth}", race(fns, args.repeat))

    batch, length, d, depth = max(256 // scale, 4), 256, 4, 4
    x = np.cumsum(rng.normal(scale=0.1, size=(batch, length, d)), axis=1)
    fns = {
        "srnn_rs": lambda: srnn_rs.logsignature(x, depth),
        "srnn_rs 1 thread": lambda: srnn_rs.logsignature(x, depth, n_jobs=1),
    }
    if iisignature:
        prep = iisignature.prepare(d, depth)
        fns["iisignature"] = lambda: iisignature.logsig(x, prep)
    if pysiglib:
        ours = srnn_rs.logsignature(x, depth)
        for method in (2, 1):
            pysiglib.prepare_log_sig(d, depth, method=method)
            theirs = pysiglib.log_sig(x, depth, method=method, n_jobs=-1)
            if theirs.shape == ours.shape and np.abs(theirs - ours).max() < 1e-9:
                fns[f"pysiglib (method {method})"] = lambda m=method: pysiglib.log_sig(x, depth, method=m, n_jobs=-1)
                break
        else:
            print("    (no pySigLib log_sig method matches srnn_rs.logsignature)")
    if core_sig:
        ours = srnn_rs.logsignature(x, depth)
        for method in (1, 2):
            core_sig.prepare_log_sig(d, depth, method)
            theirs = core_sig.log_sig(x, depth, method)
            if theirs.shape == ours.shape and np.abs(theirs - ours).max() < 1e-9:
                fns[f"pysiglib-core (method {method})"] = lambda m=method: core_sig.log_sig(x, depth, m)
                fns["pysiglib-core 1 thread"] = lambda m=method: core_sig.log_sig(x, depth, m, 1)
                break
        else:
            print("    (no pySigLib log_sig method matches srnn_rs.logsignature)")
    report(f"logsignature lyndon B={batch} L={length} d={d} m={depth}", race(fns, args.repeat))

    n, length, d = max(64 // scale, 4), 128, 3
    X = np.cumsum(rng.normal(scale=0.1, size=(n, length, d)), axis=1)
    fns = {
        "srnn_rs": lambda: srnn_rs.sig_kernel_gram(X, dyadic_order=0),
        "srnn_rs 1 thread": lambda: srnn_rs.sig_kernel_gram(X, dyadic_order=0, n_jobs=1),
    }
    if pysiglib:
        err = np.abs(np.asarray(pysiglib.sig_kernel_gram(X, X, dyadic_order=0, n_jobs=-1)) - srnn_rs.sig_kernel_gram(X, dyadic_order=0)).max()
        assert err < 1e-9, f"pySigLib disagrees by {err}"
        fns["pysiglib"] = lambda: pysiglib.sig_kernel_gram(X, X, dyadic_order=0, n_jobs=-1)
    if core_sig:
        iu, ju = np.triu_indices(n)
        dX = np.diff(X, axis=1)
        inc = np.matmul(dX[iu], dX[ju].transpose(0, 2, 1))
        gram = np.empty((n, n))
        gram[iu, ju] = core_sig.kernel_solve(inc, d, length, length, 0)
        gram[ju, iu] = gram[iu, ju]
        err = np.abs(gram - srnn_rs.sig_kernel_gram(X, dyadic_order=0)).max()
        assert err < 1e-9, f"pySigLib core disagrees by {err}"
        fns["pysiglib-core (solve only)"] = lambda: core_sig.kernel_solve(inc, d, length, length, 0)
        fns["pysiglib-core 1 thread"] = lambda: core_sig.kernel_solve(inc, d, length, length, 0, 1)
    report(f"PDE Gram {n}x{n} L={length} d={d} order 0", race(fns, args.repeat))

if __name__ == "__main__":
    main()
