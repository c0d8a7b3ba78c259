"""The ``srnn-rs`` command line (also ``python -m srnn_rs``)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Optional, Sequence

import numpy as np

from . import __version__, cpu_features
from .networks import default_network


def _section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)))


def demo(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()
    net = default_network()
    print(f"srnn_rs {__version__} — demo on the embedded default network ({cpu_features()} kernels)")
    print(f"network: {net}")
    dt, paths, seed = args.dt, args.paths, args.seed

    _section("1. Stationary ensemble (Euler–Maruyama, unperturbed, after burn-in)")
    t = time.perf_counter()
    y = net.simulate(None, dt, n_steps=args.steps, n_paths=paths, h0="stationary", seed=seed,
                     progress=args.progress)[:, :, 0]
    elapsed = time.perf_counter() - t
    print(f"{paths} paths x {args.steps} steps (dt={dt}) in {elapsed:.3f} s "
          f"= {paths * args.steps / elapsed / 1e6:.1f} M path-steps/s")
    mean, sd = y.mean(), y.std()
    se = y[:, -1].std() / np.sqrt(paths)
    print(f"stationary readout: mean {mean:+.4f} (SE of one time {se:.4f}), sd {sd:.4f}")
    drift = abs(y[:, :10].mean() - y[:, -10:].mean())
    print(f"mean at start vs end of the window differ by {drift:.4f} (stationary if ~SE)")

    _section("2. Driven network: same noise, with and without a sinusoidal input")
    T = args.steps
    tgrid = dt * np.arange(T)
    u = (args.amplitude * np.sin(2 * np.pi * tgrid / (T * dt / 3)))[:, None]
    driven = net.simulate(u, dt, n_paths=paths, h0="stationary", seed=seed)[:, :, 0]
    free = net.simulate(None, dt, n_steps=T, n_paths=paths, h0="stationary", seed=seed)[:, :, 0]
    response = (driven - free).mean(axis=0)
    spread = (driven - free).std(axis=0).max() / np.sqrt(paths)
    print(f"input amplitude {args.amplitude}: mean response peak {np.abs(response).max():.4f}, "
          f"max SE {spread:.5f} (common random numbers make the difference precise)")
    print("t      input     E[y|u]-E[y|0]")
    for k in np.linspace(0, T, 11, dtype=int)[1:]:
        print(f"{k * dt:6.2f} {u[k - 1, 0]:+8.4f}  {response[k]:+9.5f}")

    _section("3. Reproducibility")
    head = net.simulate(u, dt, n_paths=paths // 2, h0="stationary", seed=seed)
    tail = net.simulate(u, dt, n_paths=paths - paths // 2, first_path=paths // 2, h0="stationary", seed=seed)
    same = np.array_equal(np.concatenate([head, tail])[:, :, 0], driven)
    print(f"two path ranges computed separately == one run, bit for bit: {same}")

    print(f"\ndemo finished in {time.perf_counter() - t_start:.1f} s")
    return 0 if same else 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="srnn-rs", description="Stochastic recurrent neural networks with a Rust core.")
    parser.add_argument("--version", action="version", version=f"srnn_rs {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="run the whole story on the embedded default network and print a report",
                       description="Simulate the embedded default network, drive it, and report.")
    d.add_argument("--paths", type=int, default=4000, help="number of sample paths (default 4000)")
    d.add_argument("--steps", type=int, default=1000, help="steps per path (default 1000)")
    d.add_argument("--dt", type=float, default=0.01, help="time step (default 0.01)")
    d.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    d.add_argument("--amplitude", type=float, default=0.2, help="amplitude of the driving input (default 0.2)")
    d.add_argument("--progress", action="store_true", help="show progress bars")
    d.set_defaults(func=demo)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
