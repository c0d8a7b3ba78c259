"""Forward + backward in PyTorch: ``srnn_rs.torch`` against pySigLib's torch API on the CPU.

Usage: python benches/compare_autograd.py [--repeat N] [--quick]

Each case builds a float64 leaf tensor, runs the forward, reduces it to a scalar and calls
``backward()``; the time is that whole step. Contenders are interleaved round-robin after one
warm-up each, and the best of ``--repeat`` runs is reported (as in the other benchmarks), with
the ratio pySigLib / srnn_rs (above 1: srnn_rs is faster). The forward values and the
gradients are compared first, and a case whose results differ is reported, not timed.

Needs torch and pysiglib (which needs torch); srnn_rs runs without pysiglib and then reports
its own times only. Both use all threads.
"""

from __future__ import annotations

import argparse
import os
import time

# Torch's OpenMP threads otherwise spin for a while after each of its ops, taking the cores
# that the next native call (either contender's) needs; set before torch starts its pool.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import srnn_rs.torch as st  # noqa: E402

try:
    import pysiglib.torch_api as ps
except ImportError:  # the benchmark still times srnn_rs
    ps = None


def step(fn, x):
    """One forward + backward from a fresh leaf; returns the value and the gradient."""
    leaf = x.detach().clone().requires_grad_()
    out = fn(leaf)
    out.sum().backward()
    return out.detach(), leaf.grad


def race(fns, x, repeat):
    best = {name: float("inf") for name in fns}
    for fn in fns.values():
        step(fn, x)
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            step(fn, x)
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def report(title, best):
    print(f"\n{title}")
    ours = best.get("srnn_rs")
    for name, t in best.items():
        ratio = f"  pySigLib / srnn_rs = {t / ours:.2f}x" if ours and name != "srnn_rs" else ""
        print(f"  {name:12s} {1e3 * t:9.2f} ms{ratio}")


def agree(fns, x, rtol):
    (v0, g0), (v1, g1) = (step(fn, x) for fn in fns.values())
    v1 = torch.as_tensor(v1, dtype=torch.float64)[..., -v0.shape[-1]:] if v1.shape != v0.shape else v1
    ok_v = np.allclose(v0.numpy(), v1.numpy(), rtol=rtol, atol=1e-12)
    ok_g = np.allclose(g0.numpy(), g1.numpy(), rtol=rtol, atol=1e-10)
    if not (ok_v and ok_g):
        print(f"  results differ (values agree: {ok_v}, gradients agree: {ok_g}); not timed")
    return ok_v and ok_g


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = ap.parse_args()
    scale = 8 if args.quick else 1
    g = torch.Generator().manual_seed(0)

    def paths(batch, length, d):
        return (0.1 * torch.randn(batch, length, d, generator=g, dtype=torch.float64)).cumsum(dim=1)

    print(f"torch {torch.__version__}, pysiglib {'yes' if ps else 'no (srnn_rs times only)'}")

    x = paths(max(128 // scale, 4), 256, 4)
    depth = 5
    fns = {"srnn_rs": lambda p: st.signature(p, depth)}
    if ps:
        fns["pySigLib"] = lambda p: ps.sig(p, depth, n_jobs=-1)
    if len(fns) == 1 or agree(fns, x, 1e-9):
        report(f"signature B={x.shape[0]} L={x.shape[1]} d={x.shape[2]} depth={depth}", race(fns, x, args.repeat))

    x = paths(max(128 // scale, 4), 256, 4)
    depth = 4
    fns = {"srnn_rs": lambda p: st.logsignature(p, depth, mode="words")}
    if ps:
        # pySigLib's method 1 is the tensor logarithm read at the Lyndon words (signatory's
        # "words"); the agreement check below confirms the pairing.
        ps.prepare_log_sig(4, depth, method=1)
        fns["pySigLib"] = lambda p: ps.log_sig(p, depth, method=1, n_jobs=-1)
    if len(fns) == 1 or agree(fns, x, 1e-8):
        report(f"log-signature (words) B={x.shape[0]} L={x.shape[1]} d={x.shape[2]} depth={depth}",
               race(fns, x, args.repeat))

    X = paths(max(32 // scale, 4), 64, 3)
    fns = {"srnn_rs": lambda p: st.sig_kernel_gram(p, p, dyadic_order=1)}
    if ps:
        fns["pySigLib"] = lambda p: ps.sig_kernel_gram(p, p, dyadic_order=1, n_jobs=-1)
    if len(fns) == 1 or agree(fns, X, 1e-6):
        report(f"PDE sig-kernel Gram {X.shape[0]}x{X.shape[0]} L={X.shape[1]} d={X.shape[2]} dyadic_order=1",
               race(fns, X, args.repeat))


if __name__ == "__main__":
    main()
