"""Proof that a refactor changed no output bit: the sha256 (with dtype and shape) of the outputs
of a fixed set of calls on fixed inputs, compared with hashes recorded before the refactor in
``output_hashes.json``.

The hashes are grouped. The ``response`` group (``response_kernels``, ``stationary_stats``,
``correlation_function``) is expected to change when the order of the Monte Carlo reductions
changes on purpose (for instance to a fixed block tree); re-record that group alone then, with
``SRNN_RECORD_HASHES=response``. ``SRNN_RECORD_HASHES=all`` re-records every group. Recording
writes the file and skips the comparison.

Floating-point results depend on the SIMD level chosen at run time, so the hashes are stored per
level (``srnn_rs.cpu_features()``); the test is skipped at a level that has none. Record and check
the lower levels on the same machine by capping it, e.g. ``SRNN_RS_SIMD=generic``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import srnn_rs
from conftest import linear_network, tanh_network

HASH_FILE = Path(__file__).with_name("output_hashes.json")
RECORD = os.environ.get("SRNN_RECORD_HASHES", "")


def _digest(value: Any) -> Any:
    if isinstance(value, float):
        value = np.float64(value)
    arr = np.ascontiguousarray(np.asarray(value))
    return f"{arr.dtype} {tuple(arr.shape)} {hashlib.sha256(arr.tobytes()).hexdigest()}"


def _fields(result: Any, names: tuple[str, ...]) -> dict:
    return {name: _digest(getattr(result, name)) for name in names if getattr(result, name) is not None}


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _path(shape: tuple[int, ...], seed: int = 0, scale: float = 0.3) -> np.ndarray:
    return np.cumsum(scale * _rng(seed).standard_normal(shape), axis=-2)


# -- simulation -------------------------------------------------------------------------


def _simulation_cases() -> dict[str, Callable[[], Any]]:
    tanh = tanh_network()
    linear = linear_network()
    u = np.sin(np.linspace(0.0, 6.0, 120))[:, None]
    u2 = _rng(3).standard_normal((5, 80, 2))
    return {
        "tanh_readout": lambda: tanh.simulate(u, 0.01, n_paths=37, seed=11),
        "tanh_state_stride": lambda: tanh.simulate(u, 0.01, n_paths=9, seed=2, record="state", stride=3),
        "tanh_final_stationary": lambda: tanh.simulate(
            u, 0.01, n_paths=21, seed=5, record="final", h0="stationary", burn_in=0.5
        ),
        "tanh_float32": lambda: tanh.simulate(u, 0.01, n_paths=33, seed=7, dtype="float32", record="state"),
        "linear_final_state_per_path_input": lambda: linear.simulate(u2, 0.02, n_paths=5, seed=9, record="final_state"),
        "default_first_path": lambda: srnn_rs.default_network().simulate(
            None, 0.05, n_steps=60, n_paths=12, seed=4, first_path=3, block_size=4
        ),
    }


# -- response ---------------------------------------------------------------------------

_KERNEL_FIELDS = ("lags", "values", "stderr", "mean", "mean_stderr")


def _response_cases() -> dict[str, Callable[[], Any]]:
    tanh = tanh_network(n=4)
    linear = linear_network()
    common = dict(dt=0.02, max_lag=0.2, n_paths=64, seed=3, burn_in=0.5)
    cases: dict[str, Callable[[], Any]] = {}
    for method in ("adjoint", "girsanov", "fd", "fdt_gauss"):
        cases[f"kernels_{method}_order1"] = (
            lambda method=method: _fields(srnn_rs.response_kernels(tanh, method=method, **common), _KERNEL_FIELDS)
        )
    for method in ("girsanov", "fd"):
        cases[f"kernels_{method}_order2"] = (
            lambda method=method: _fields(
                srnn_rs.response_kernels(tanh, order=2, method=method, **common), _KERNEL_FIELDS
            )
        )
    cases["kernels_girsanov_binned"] = lambda: _fields(
        srnn_rs.response_kernels(tanh, method="girsanov", bin_width=2, **common), _KERNEL_FIELDS
    )
    cases["kernels_exact"] = lambda: _fields(
        srnn_rs.response_kernels(linear, dt=0.02, max_lag=0.2, method="exact"), _KERNEL_FIELDS
    )
    cases["stationary_stats"] = lambda: _fields(
        srnn_rs.stationary_stats(tanh, dt=0.02, n_paths=48, window=1.0, stride=2, seed=8, burn_in=0.5),
        (
            "mean_state", "mean_state_stderr", "cov_state", "cov_state_stderr",
            "mean_readout", "mean_readout_stderr", "cov_readout", "cov_readout_stderr",
        ),
    )
    for g in ("state", "readout"):
        cases[f"correlation_{g}"] = lambda g=g: _fields(
            srnn_rs.correlation_function(tanh, dt=0.02, max_lag=0.2, g=g, n_paths=40, seed=6, burn_in=0.5),
            ("lags", "values", "stderr"),
        )
    return cases


# -- signatures -------------------------------------------------------------------------


def _signature_cases() -> dict[str, Callable[[], Any]]:
    p = _path((6, 40, 3), seed=1)
    p_long = _path((3, 300, 2), seed=2)
    p_wide = _path((4, 25, 6), seed=3)
    init = srnn_rs.signature(_path((6, 9, 3), seed=4), 4)
    sig = srnn_rs
    cases: dict[str, Callable[[], Any]] = {
        "plain_depth4": lambda: sig.signature(p, 4),
        "plain_depth1": lambda: sig.signature(p, 1),
        "long_depth6": lambda: sig.signature(p_long, 6),
        "wide_depth3": lambda: sig.signature(p_wide, 3),
        "single_path": lambda: sig.signature(p[0], 5),
        "stream": lambda: sig.signature(p, 3, stream=True),
        "basepoint_true": lambda: sig.signature(p, 4, basepoint=True),
        "basepoint_array": lambda: sig.signature(p, 3, basepoint=np.array([0.1, -0.2, 0.3])),
        "inverse": lambda: sig.signature(p, 4, inverse=True),
        "initial": lambda: sig.signature(p, 4, initial=init),
        "initial_inverse_stream": lambda: sig.signature(p, 3, initial=init[:, :39], inverse=True, stream=True),
        "scalar_term": lambda: sig.signature(p, 3, scalar_term=True),
        "time_aug": lambda: sig.signature(p, 3, time_aug=True, end_time=2.0),
        "lead_lag": lambda: sig.signature(p, 3, lead_lag=True),
        "lead_lag_time_aug_basepoint_stream": lambda: sig.signature(
            p[:, :12], 3, lead_lag=True, time_aug=True, basepoint=True, stream=True
        ),
        "one_thread": lambda: sig.signature(p_long, 5, n_jobs=1),
        "many_short_paths": lambda: sig.signature(_path((300, 5, 2), seed=9), 4),
        # Batches of four or more go through the lane kernel, smaller ones through the
        # single-path kernel; more than 1024 segments are cut into chunks joined by Chen's
        # identity; large tensors take the grouped steps instead of the fused ones.
        "lanes_chunked": lambda: sig.signature(_path((5, 1100, 2), seed=30, scale=0.05), 4),
        "lanes_chunked_initial": lambda: sig.signature(
            _path((4, 1030, 3), seed=34, scale=0.05), 3, initial=init[:4, :39]
        ),
        "single_chunked": lambda: sig.signature(_path((2, 2100, 3), seed=31, scale=0.05), 3),
        "lanes_grouped": lambda: sig.signature(_path((5, 30, 6), seed=32), 4),
        "single_grouped": lambda: sig.signature(_path((4, 20, 6), seed=33), 5),
        "single_grouped_stream_inverse": lambda: sig.signature(
            _path((2, 12, 6), seed=35), 5, stream=True, inverse=True
        ),
    }
    g4 = _rng(5).standard_normal(sig.signature(p, 4).shape)
    g_stream = _rng(6).standard_normal(sig.signature(p, 3, stream=True).shape)
    g_ll = _rng(7).standard_normal(sig.signature(p, 3, lead_lag=True, time_aug=True, basepoint=True).shape)
    g_scalar = _rng(8).standard_normal(sig.signature(p, 3, scalar_term=True).shape)
    cases.update({
        "backprop_plain": lambda: sig.signature_backprop(g4, p, 4),
        "backprop_stream": lambda: sig.signature_backprop(g_stream, p, 3, stream=True),
        "backprop_inverse": lambda: sig.signature_backprop(g4, p, 4, inverse=True),
        "backprop_initial": lambda: sig.signature_backprop(g4, p, 4, initial=init),
        "backprop_transforms": lambda: sig.signature_backprop(
            g_ll, p, 3, lead_lag=True, time_aug=True, basepoint=True
        ),
        "backprop_scalar_term": lambda: sig.signature_backprop(g_scalar, p, 3, scalar_term=True),
    })
    for mode in ("lyndon", "expand", "words"):
        cases[f"logsig_{mode}"] = lambda mode=mode: sig.logsignature(p, 4, mode=mode)
        cases[f"logsig_{mode}_stream_basepoint"] = lambda mode=mode: sig.logsignature(
            p[:, :15], 3, mode=mode, stream=True, basepoint=True
        )
        cases[f"sig_to_logsig_{mode}"] = lambda mode=mode: sig.sig_to_logsig(sig.signature(p, 4), 3, 4, mode=mode)
        cases[f"logsig_to_sig_{mode}"] = lambda mode=mode: sig.logsig_to_sig(
            sig.logsignature(p, 4, mode=mode), 3, 4, mode=mode
        )
    cases["logsig_inverse_time_aug"] = lambda: sig.logsignature(p, 3, inverse=True, time_aug=True)
    s4 = sig.signature(p, 4)
    s4b = sig.signature(_path((6, 20, 3), seed=10), 4)
    s_scalar = sig.signature(p, 3, scalar_term=True)
    x = 0.3 * _rng(11).standard_normal((6, s4.shape[-1]))
    cases.update({
        "tensor_exp": lambda: sig.tensor_exp(x, 3, 4),
        "tensor_log": lambda: sig.tensor_log(s4, 3, 4),
        "tensor_inverse": lambda: sig.tensor_inverse(s4, 3, 4),
        "tensor_inverse_scalar": lambda: sig.tensor_inverse(s_scalar, 3, 3, scalar_term=True),
        "tensor_log_scalar": lambda: sig.tensor_log(s_scalar, 3, 3, scalar_term=True),
        "signature_combine": lambda: sig.signature_combine(s4, s4b, 3, 4),
        "multi_signature_combine": lambda: sig.multi_signature_combine([s4, s4b, s4[::-1]], 3, 4),
    })
    X = _path((5, 30, 2), seed=12)
    Y = _path((4, 22, 2), seed=13)
    ragged = [_path((n, 2), seed=20 + n) for n in (7, 15, 30)]
    for kernel in ("linear", "rbf"):
        cases_for_kernel = [("pde", None, 0), ("pde_dyadic2", None, 2)]
        if kernel == "linear":
            cases_for_kernel.append(("truncated", 5, 0))
        for label, depth, dyadic in cases_for_kernel:
            cases[f"kernel_{kernel}_{label}"] = (
                lambda kernel=kernel, depth=depth, dyadic=dyadic: sig.sig_kernel(
                    X[:4], Y, depth=depth, dyadic_order=dyadic, static_kernel=kernel, sigma=0.7
                )
            )
            cases[f"gram_{kernel}_{label}"] = (
                lambda kernel=kernel, depth=depth, dyadic=dyadic: sig.sig_kernel_gram(
                    X, Y, depth=depth, dyadic_order=dyadic, static_kernel=kernel, sigma=0.7
                )
            )
            cases[f"gram_symmetric_{kernel}_{label}"] = (
                lambda kernel=kernel, depth=depth, dyadic=dyadic: sig.sig_kernel_gram(
                    X, depth=depth, dyadic_order=dyadic, static_kernel=kernel, sigma=0.7
                )
            )
    cases["gram_ragged_pde"] = lambda: sig.sig_kernel_gram(ragged, dyadic_order=1, static_kernel="rbf")
    cases["gram_ragged_truncated"] = lambda: sig.sig_kernel_gram(ragged, depth=4)
    return cases


# -- features ---------------------------------------------------------------------------


def _feature_cases() -> dict[str, Callable[[], Any]]:
    u = np.sin(np.linspace(0.0, 3.0, 50))[:, None]
    ub = _rng(14).standard_normal((4, 40, 2))
    net = srnn_rs.default_network()
    return {
        "monomial": lambda: srnn_rs.response_feature(u, 0.1, 3, n_basis=3),
        "monomial_batch_stream": lambda: srnn_rs.response_feature(ub, 0.05, 2, n_basis=2, stream=True),
        "exponential_rates": lambda: srnn_rs.response_feature(
            ub, 0.05, 3, basis="exponential", rates=np.array([0.5, 2.0])
        ),
        "exponential_model": lambda: srnn_rs.response_feature(
            u, 0.1, 2, basis="exponential", rates="model", model=net, n_basis=2
        ),
    }


GROUPS: dict[str, Callable[[], dict[str, Callable[[], Any]]]] = {
    "simulation": _simulation_cases,
    "response": _response_cases,
    "signatures": _signature_cases,
    "features": _feature_cases,
}


def _compute(group: str) -> dict[str, Any]:
    out = {}
    for name, call in GROUPS[group]().items():
        value = call()
        out[name] = value if isinstance(value, dict) else _digest(value)
    return out


def _record() -> None:
    groups = list(GROUPS) if RECORD == "all" else RECORD.split(",")
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise ValueError(f"SRNN_RECORD_HASHES: unknown groups {unknown}; expected 'all' or some of {list(GROUPS)}")
    stored = json.loads(HASH_FILE.read_text()) if HASH_FILE.exists() else {}
    level = stored.setdefault(srnn_rs.cpu_features(), {})
    for group in groups:
        level[group] = _compute(group)
    HASH_FILE.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("group", list(GROUPS))
def test_output_hashes_unchanged(group: str) -> None:
    if RECORD:
        if group == next(iter(GROUPS)):
            _record()
        pytest.skip(f"recorded {HASH_FILE.name} (SRNN_RECORD_HASHES={RECORD})")
    stored = json.loads(HASH_FILE.read_text())
    level = srnn_rs.cpu_features()
    if level not in stored:
        pytest.skip(f"no hashes recorded for the SIMD level {level!r} (recorded: {sorted(stored)})")
    expected = stored[level][group]
    actual = _compute(group)
    assert sorted(actual) == sorted(expected), "the set of hashed calls changed: re-record on the old code"
    changed = [name for name in expected if actual[name] != expected[name]]
    assert not changed, f"outputs changed in group {group!r}: {changed}"
