"""Dense against sparse ``W h`` in the EM step, on ``srnn_rs.reservoir`` networks (10 % of ``W``
nonzero), interleaved in one process. Both give the same bits; the script checks that first.

    python benches/sparse_em.py [--repeats 5] [--paths 256] [--steps 500]

``SRNN_RS_W_PRODUCT=dense|sparse`` forces the product (read at every call); unset, the choice
is automatic (``srnn_rs`` docs: simulation.md).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import srnn_rs


def timed(net, u, dt, paths, product):
    os.environ["SRNN_RS_W_PRODUCT"] = product
    t0 = time.perf_counter()
    out = net.simulate(u, dt=dt, n_paths=paths, seed=1, record="final_state")
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--paths", type=int, default=256)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 400, 1000])
    ap.add_argument("--connectivity", type=float, default=0.1)
    args = ap.parse_args()
    for n in args.sizes:
        net = srnn_rs.reservoir(n, spectral_radius=0.9, connectivity=args.connectivity, leak=0.3,
                                bias_scaling=0.2, sigma=0.05, seed=0)
        u = np.sin(np.arange(args.steps) * 0.1).reshape(-1, 1)
        _, a = timed(net, u, 0.3, args.paths, "dense")
        _, b = timed(net, u, 0.3, args.paths, "sparse")
        assert a.tobytes() == b.tobytes(), "dense and sparse differ"
        best = {"dense": np.inf, "sparse": np.inf}
        for _ in range(args.repeats):
            for product in best:
                best[product] = min(best[product], timed(net, u, 0.3, args.paths, product)[0])
        print(f"n={n:5d} conn={args.connectivity}: dense {best['dense'] * 1e3:8.1f} ms  "
              f"sparse {best['sparse'] * 1e3:8.1f} ms  speedup {best['dense'] / best['sparse']:.2f}x")
    os.environ.pop("SRNN_RS_W_PRODUCT", None)


if __name__ == "__main__":
    main()
