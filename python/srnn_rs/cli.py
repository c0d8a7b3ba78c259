"""The ``srnn-rs`` command line (also ``python -m srnn_rs``)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Optional, Sequence

import numpy as np

from . import __version__, cpu_features
from ._config import format_config
from ._progress import progress_callback
from .machines import ReadoutSRNN, ResponseFeatureRidge, SignatureKernelRidge
from .model import SRNN
from .lyapunov import lyapunov
from .networks import _pseudo_random, default_network
from .response import response_kernels
from .volterra import volterra_predict
from .tasks import narma10, random_inputs
from ._validate import as_positive_float, as_seed
from .errors import DivergenceError

# The demo's cost grows linearly with --scale; past this it runs for hours.
MAX_SCALE = 100.0
# The demo drives the network with a small signal; far beyond this its numbers overflow.
MAX_AMPLITUDE = 10.0


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line (argparse's default prints the whole usage first)."""

    def error(self, message: str) -> Any:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _check_demo_args(args: argparse.Namespace) -> None:
    scale = as_positive_float("--scale", args.scale)
    if scale > MAX_SCALE:
        raise ValueError(f"--scale: expected at most {MAX_SCALE:g}, got {scale!r}")
    as_positive_float("--dt", args.dt)
    amplitude = as_positive_float("--amplitude", args.amplitude)
    if amplitude > MAX_AMPLITUDE:
        raise ValueError(f"--amplitude: expected at most {MAX_AMPLITUDE:g}, got {amplitude!r}")
    as_seed(args.seed)


def _section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 74 - len(title)))


def _nrmse(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - target) ** 2)) / np.std(target))


def _linear_ridge(Xtr: np.ndarray, ytr: np.ndarray, Xte: np.ndarray, alpha: float = 1e-6) -> np.ndarray:
    A = np.c_[Xtr, np.ones(len(Xtr))]
    reg = alpha * np.eye(A.shape[1])
    reg[-1, -1] = 0
    w = np.linalg.solve(A.T @ A + reg, A.T @ ytr)
    return np.c_[Xte, np.ones(len(Xte))] @ w


class _Timer:
    def __init__(self) -> None:
        self.t = time.perf_counter()

    def lap(self) -> str:
        now = time.perf_counter()
        out, self.t = now - self.t, now
        return f"[{out:.1f} s]"


def demo(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()
    clock = _Timer()
    net = default_network()
    dt, seed, scale = args.dt, args.seed, args.scale
    paths = max(200, int(2000 * scale))
    burn_in = 10.0
    report: dict[str, Any] = {}
    print(f"srnn_rs {__version__} — the demo on the embedded default network ({cpu_features()} kernels)")
    print(f"network: {net}, dt = {dt}, seed = {seed}")

    _section("1. Simulate: stationary ensemble (Euler–Maruyama, u = 0, after burn-in)")
    T = int(round(20.0 / dt))
    y = net.simulate(None, dt, n_steps=T, n_paths=paths, h0="stationary", burn_in=burn_in, seed=seed,
                     progress=args.progress)[:, :, 0]
    mean_inf, sd_inf = y.mean(), y.std()
    print(f"{paths} paths x {T} steps: readout mean {mean_inf:+.4f} (SE {y[:, -1].std() / np.sqrt(paths):.4f}), "
          f"sd {sd_inf:.4f}; window start vs end differ by {abs(y[:, :20].mean() - y[:, -20:].mean()):.4f} "
          f"{clock.lap()}")

    _section("2. Response kernels: K1 by three estimators, K2 pathwise (adjoint)")
    max_lag = 4.0
    common = dict(dt=dt, burn_in=burn_in, seed=seed, progress=args.progress)
    k_adj = response_kernels(net, max_lag=max_lag, method="adjoint", n_paths=paths, **common)
    k_gir = response_kernels(net, max_lag=max_lag, method="girsanov", n_paths=int(10 * paths), bin_width=4, **common)
    k_fdt = response_kernels(net, max_lag=max_lag, method="fdt_gauss", n_paths=2 * paths, **common)
    print(f"K1(τ) ± SE     adjoint ({k_adj.n_paths} paths)   girsanov ({k_gir.n_paths}, bins of 4)   "
          f"fdt_gauss ({k_fdt.n_paths})")
    worst_gir = 0.0
    for tau in (0.1, 0.5, 1.0, 2.0, 3.0):
        i = int(round(tau / dt))
        j = int(np.argmin(np.abs(k_gir.lags - tau)))
        a, sa = k_adj.values[i, 0, 0], k_adj.stderr[i, 0, 0]
        g, sg = k_gir.values[j, 0, 0], k_gir.stderr[j, 0, 0]
        f, sf = k_fdt.values[i, 0, 0], k_fdt.stderr[i, 0, 0]
        # Compare Girsanov's bin average with the adjoint averaged over the same lags.
        lo, hi = j * 4, min(j * 4 + 4, len(k_adj.lags))
        a_bin = k_adj.values[lo:hi, 0, 0].mean()
        worst_gir = max(worst_gir, abs(g - a_bin) / np.hypot(sg, k_adj.stderr[lo:hi, 0, 0].mean()))
        print(f"τ = {tau:3.1f}    {a:+.4f} ± {sa:.4f}        {g:+.4f} ± {sg:.4f}                 {f:+.4f} ± {sf:.4f}")
    fdt_dev = np.abs(k_fdt.values - k_adj.values)[:, 0, 0] / np.hypot(k_fdt.stderr, k_adj.stderr)[:, 0, 0]
    print(f"agreement: |girsanov − adjoint| ≤ {worst_gir:.1f} SE over the lags shown; "
          f"fdt_gauss deviates up to {fdt_dev.max():.1f} SE (its quasi-Gaussian bias: the tanh network's "
          f"stationary law is not Gaussian)")
    # K2 on a coarser grid (2 dt) whose lags cover the whole input of part 3: the pathwise
    # estimator gives every pair of lags from one tangent per lag on each path.
    dt3, horizon = 2 * dt, 3.0
    common3 = dict(common, dt=dt3)
    k2 = response_kernels(net, order=2, max_lag=horizon, method="adjoint", n_paths=paths, **common3)
    i1, i2 = int(round(0.5 / dt3)), int(round(0.2 / dt3))
    print(f"K2 by adjoint ({k2.n_paths} paths, {len(k2.lags)}x{len(k2.lags)} lags, step {dt3}): K2(0.5, 0.2) = "
          f"{k2.values[i1, i2, 0, 0, 0]:+.4f} ± {k2.stderr[i1, i2, 0, 0, 0]:.4f}, symmetric: "
          f"{np.allclose(k2.values[:, :, 0, 0, 0], k2.values[:, :, 0, 0, 0].T)} {clock.lap()}")
    report["kernels"] = (k_adj, k_gir, k_fdt)

    _section("3. Volterra series beside direct simulation of the driven network")
    Tv = int(round(horizon / dt3))
    t = dt3 * np.arange(Tv + 1)
    shape = np.sin(2 * np.pi * t[:-1] / horizon)[:, None]
    k1 = response_kernels(net, max_lag=horizon, method="adjoint", n_paths=paths, **common3)
    free = net.simulate(None, dt3, n_steps=Tv, n_paths=paths, h0="stationary", burn_in=burn_in, seed=seed)[:, :, 0]
    errors = []
    for eps in (args.amplitude, args.amplitude / 2):
        u = eps * shape
        driven = net.simulate(u, dt3, n_paths=paths, h0="stationary", burn_in=burn_in, seed=seed)[:, :, 0]
        response = (driven - free).mean(axis=0)  # common random numbers: the difference is precise
        response_se = (driven - free).std(axis=0) / np.sqrt(paths)
        p1 = volterra_predict(k1, u, mean=np.zeros(1))[:, 0]
        p2 = volterra_predict(k1, u, k2=k2, mean=np.zeros(1))[:, 0]
        rms = np.sqrt(np.mean(response**2))
        e1, e2 = np.sqrt(np.mean((p1 - response) ** 2)), np.sqrt(np.mean((p2 - response) ** 2))
        errors.append((e1, e2))
        print(f"input ε sin(2πt/{horizon:g}), ε = {eps:.3f}: RMS response {rms:.4f} (MC SE ≤ {response_se.max():.5f}); "
              f"error of order 1 {e1:.2e} ({100 * e1 / rms:.1f}%), of orders 1+2 {e2:.2e} ({100 * e2 / rms:.1f}%)")
        if len(errors) == 1:
            report["volterra"] = (t, response, response_se, p1, p2)
            u_full, driven_full = u, driven
    (a1, a2), (b1, b2) = errors
    print(f"halving ε divides the order-1 error by {a1 / b1:.1f} (theory 4, until the Monte Carlo error of K1 "
          f"dominates) and the orders-1+2 error by {a2 / b2:.1f} (theory 8) {clock.lap()}")

    _section("4. Kernel machines on a teacher task: predict E[y_T | u] of the network")
    n_train, n_test, Tt = int(200 * max(scale, 0.5)), 100, int(round(3.0 / dt))
    U = random_inputs(n_train + n_test, Tt, amplitude=1.5, smoothness=5, seed=seed + 1)
    noise_paths = max(50, int(200 * scale))
    targets = np.empty(len(U))
    with progress_callback(args.progress, "teacher targets") as tick:
        for i in range(len(U)):
            # The same noise paths for every input (common random numbers).
            targets[i] = net.simulate(np.repeat(U[i][None], noise_paths, axis=0), dt, n_paths=noise_paths,
                                      h0="stationary", burn_in=burn_in, seed=seed, record="final")[:, 0].mean()
            if tick is not None:
                tick(i + 1, len(U))
    tr, te = slice(0, n_train), slice(n_train, None)
    rows = [("linear baseline (ridge on the raw input sequence)", _linear_ridge(U[tr, :, 0], targets[tr], U[te, :, 0], 1e-2))]
    for depth in (1, 2, 3):
        est = ResponseFeatureRidge(dt=dt, depth=depth, n_basis=5, alpha=1e-6).fit(U[tr], targets[tr])
        rows.append((f"response-feature ridge, depth {depth} (5 monomials)", est.predict(U[te])))
    kernel = SignatureKernelRidge(dt=dt, depth=3, basis="exponential", rates="model", model=net, n_basis=3,
                                  alpha=1e-6).fit(U[tr], targets[tr])
    rows.append(("signature-kernel ridge, depth 3 (exponential basis at the network's 3 slowest rates)",
                 kernel.predict(U[te])))
    rng = np.random.default_rng(seed + 2)
    n_res = 40
    reservoir = SRNN(0.8 * rng.standard_normal((n_res, n_res)) / np.sqrt(n_res), rng.standard_normal((n_res, 1)),
                     b=0.2 * rng.standard_normal(n_res), sigma=0.1, activation="tanh")
    ro = ReadoutSRNN(reservoir, dt=dt, target="final", alpha=1e-6, n_noise_paths=8, seed=seed).fit(U[tr], targets[tr])
    rows.append((f"readout-only SRNN ({n_res} units, states averaged over 8 noise paths)", ro.predict(U[te])))
    print(f"{n_train} train / {n_test} test inputs of {Tt} steps; targets from {noise_paths} paths each")
    for label, pred in rows:
        print(f"  NRMSE {_nrmse(pred, targets[te]):.3f}  {label}")
    print(clock.lap())
    report["teacher"] = (targets[te], {label.split(" (")[0]: pred for label, pred in (rows[0], rows[3], rows[-1])})

    _section("5. Readout-only SRNN on NARMA10 (discrete-time bridge: Γ = 1, dt = 1)")
    u10, y10 = narma10(4000, seed=seed, washout=200)
    n_res = 100
    rng = np.random.default_rng(seed + 3)
    esn = SRNN(0.9 * rng.standard_normal((n_res, n_res)) / np.sqrt(n_res), rng.uniform(-0.5, 0.5, (n_res, 1)),
               b=0.1 * rng.standard_normal(n_res), activation="tanh")
    model = ReadoutSRNN(esn, dt=1.0, alpha=1e-8, washout=100, include_input=True).fit(u10[:3000], y10[:3000])
    pred10 = model.predict(u10[3000:])[100:, 0]
    true10 = y10[3100:, 0]
    lags = np.stack([np.roll(u10[:, 0], k) for k in range(10)], axis=1)
    base10 = _linear_ridge(lags[10:3000], y10[10:3000, 0], lags[3100:])
    print(f"test NRMSE: readout-only SRNN ({n_res} units) {_nrmse(pred10, true10):.3f}, "
          f"linear baseline (ridge on the last 10 inputs) {_nrmse(base10, true10):.3f} {clock.lap()}")
    report["narma"] = (true10[:200], {"readout-only SRNN": pred10[:200], "linear baseline": base10[:200]})

    _section("6. Reproducibility")
    head = net.simulate(u_full, dt3, n_paths=paths // 2, h0="stationary", burn_in=burn_in, seed=seed)
    tail = net.simulate(u_full, dt3, n_paths=paths - paths // 2, first_path=paths // 2, h0="stationary",
                        burn_in=burn_in, seed=seed)
    same = np.array_equal(np.concatenate([head, tail])[:, :, 0], driven_full)
    print(f"two path ranges computed separately == one run, bit for bit: {same}")

    _section("7. Lyapunov exponents: noise-induced stabilisation of a chaotic network")
    n_chaos, gain = 80, 3.0
    W_chaos = gain * _pseudo_random((n_chaos, n_chaos), 5.0) / np.sqrt(n_chaos)
    C_chaos, b_chaos = _pseudo_random((n_chaos, 1), 6.0), 0.05 * _pseudo_random((n_chaos,), 7.0)
    lyap_paths = max(4, int(6 * scale))
    print(f"tanh network, {n_chaos} units, gain {gain:g}, Γ = 1; top exponent of the Euler–Maruyama chain "
          f"(dt = {dt}, t = 200 after burn-in 20, {lyap_paths} paths, ± SE over paths)")
    for sigma in (0.0, 0.3, 1.0):
        chaos = SRNN(W_chaos, C_chaos, gamma=1.0, b=b_chaos, sigma=sigma, activation="tanh")
        spec = lyapunov(chaos, dt=dt, n_paths=lyap_paths, t_max=200.0, burn_in=20.0, seed=seed)
        print(f"  σ = {sigma:3.1f}: λ1 = {spec.top:+.4f} ± {spec.stderr[0]:.4f}")
    print(f"noise turns a positive top exponent (chaos) negative (stable) {clock.lap()}")

    if args.figure:
        _figure(args.figure, report)
    print(f"\ndemo finished in {time.perf_counter() - t_start:.1f} s")
    return 0 if same else 1


def info(args: argparse.Namespace) -> int:
    print(format_config())
    return 0


def _figure(path: str, report: dict) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no figure; pip install matplotlib)")
        return
    from . import plot

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    plot.plot_kernels(report["kernels"], ax=axes[0, 0])
    axes[0, 0].set_title("first-order response kernel")
    t, response, se, p1, p2 = report["volterra"]
    plot.plot_volterra(t, response, {"Volterra order 1": p1, "Volterra orders 1+2": p2}, simulated_se=se, ax=axes[0, 1])
    axes[0, 1].set_title("driven response: E[y|u] − E[y|0]")
    target, preds = report["teacher"]
    order = np.argsort(target)
    plot.plot_predictions(target[order], {k: v[order] for k, v in preds.items()}, ax=axes[1, 0],
                          title="teacher task (test inputs sorted by target)")
    true10, preds10 = report["narma"]
    plot.plot_predictions(true10, preds10, ax=axes[1, 1], title="NARMA10 (test)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"figure written to {path}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _Parser(prog="srnn-rs", description="Stochastic recurrent neural networks with a Rust core.")
    parser.add_argument("--version", action="version", version=f"srnn_rs {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser(
        "demo",
        help="run the whole story on the embedded default network and print a report",
        description=(
            "Simulate the embedded default network; estimate its response kernels (K1 by adjoint, "
            "Girsanov and quasi-Gaussian FDT, K2 pathwise) and show their agreement; "
            "predict a driven output with the Volterra series beside direct simulation; fit "
            "response-feature ridge and a readout-only SRNN on a teacher task and NARMA10 against "
            "linear baselines; show noise-induced stabilisation by Lyapunov exponents; write a figure when matplotlib is installed."
        ),
    )
    d.add_argument("--scale", type=float, default=3.0,
                   help="multiplies the numbers of paths and samples, at most 100 (default 3: 15-30 s on 2 cores)")
    d.add_argument("--dt", type=float, default=0.05, help="time step of the continuous-time parts (default 0.05)")
    d.add_argument("--seed", type=int, default=0, help="seed of all noise and random inputs (default 0)")
    d.add_argument("--amplitude", type=float, default=0.3, help="amplitude of the driving input in part 3, at most 10 (default 0.3)")
    d.add_argument("--figure", default="srnn_demo.png",
                   help="where to write the figure (default srnn_demo.png; '' for none)")
    d.add_argument("--progress", action=argparse.BooleanOptionalAction, default=sys.stderr.isatty(),
                   help="progress bars on the long steps (tqdm when installed); default: on in a terminal")
    d.set_defaults(func=demo)
    i = sub.add_parser(
        "info",
        help="print the version, SIMD level, threads, memory limit and optional packages found",
        description="Print what a bug report needs first: the srnn_rs, Python and NumPy versions, the "
        "SIMD level and thread count the core uses, the memory limit, and the optional packages "
        "installed (dask, distributed, torch, jax, matplotlib, scikit-learn, tqdm) with their versions.",
    )
    i.set_defaults(func=info)
    args = parser.parse_args(argv)
    # Bad values and failures the library reports by name end the command with one line, not a
    # traceback; anything else is a bug and keeps its traceback.
    try:
        if args.func is demo:
            _check_demo_args(args)
        return int(args.func(args))
    except (ValueError, TypeError, DivergenceError, OSError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
