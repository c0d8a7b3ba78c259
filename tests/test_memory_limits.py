"""An absurd size through each public entry family is a MemoryLimitError (WorkLimitError where
the cost is time, not memory), raised before any allocation: never an abort, a hang or
numpy's MemoryError. All calls run in one fresh interpreter, so an abort fails the test."""

import subprocess
import sys
import textwrap

import pytest

CALLS = {
    "simulate": ("net.simulate(None, 0.1, n_steps=10**5, n_paths=10**5, record='state')", "MemoryLimitError"),
    "simulate final": ("net.simulate(None, 0.1, n_steps=10, n_paths=10**11, record='final_state')", "MemoryLimitError"),
    "standard_normals": ("srnn_rs.standard_normals(10**5, 10**5, 8)", "MemoryLimitError"),
    "response_kernels": ("srnn_rs.response_kernels(net, dt=0.1, max_lag=1.0, n_paths=10**13)", "WorkLimitError"),
    "stationary_stats": ("srnn_rs.stationary_stats(net, dt=0.1, n_paths=10**13)", "WorkLimitError"),
    "lyapunov": ("srnn_rs.lyapunov(net, dt=0.1, n_paths=10**13, t_max=1.0)", "WorkLimitError"),
    "signature depth": ("srnn_rs.signature(np.zeros((1, 3, 2)), 40)", "MemoryLimitError"),
    "signature stream": ("srnn_rs.signature(np.broadcast_to(np.zeros(4), (1, 10**7, 4)), 6, stream=True)",
                         "MemoryLimitError"),
    "signature_backprop": ("srnn_rs.signature_backprop(np.broadcast_to(np.zeros(1), (1, srnn_rs.siglength(2, 40))),"
                           " np.zeros((1, 3, 2)), 40)", "MemoryLimitError"),
    "logsignature": ("srnn_rs.logsignature(np.broadcast_to(np.zeros(4), (1, 10**7, 4)), 6, stream=True)",
                     "MemoryLimitError"),
    "logsignature_backprop": ("srnn_rs.logsignature_backprop(np.broadcast_to(np.zeros(1), (1, srnn_rs.logsiglength(2, 30))),"
                              " np.zeros((1, 3, 2)), 30)", "MemoryLimitError"),
    "signature_combine": ("srnn_rs.signature_combine(np.broadcast_to(np.zeros(1), (10**9, 6)), np.zeros(6), 2, 2)",
                          "MemoryLimitError"),
    "sig_kernel_gram": ("srnn_rs.sig_kernel_gram(np.broadcast_to(np.zeros(2), (10**6, 4, 2)), dyadic_order=0)",
                        "MemoryLimitError"),
    "sig_kernel_backprop": ("srnn_rs.sig_kernel_backprop(1.0, np.zeros((2000, 2)), np.zeros((2000, 2)), dyadic_order=12)",
                            "MemoryLimitError"),
    "volterra_predict": ("srnn_rs.volterra_predict(np.zeros((10**4, 1, 1)), np.broadcast_to(np.zeros(1), (10**10, 1)), 0.1)",
                         "MemoryLimitError"),
    "lifted_path": ("srnn_rs.lifted_path(np.ones((10**6, 1)), 0.1, n_basis=10**4)", "MemoryLimitError"),
    # Last: it lowers the limit. A 64 MB result, but one block of 10⁶ paths needs GBs of buffers.
    "simulate block buffers": ("(srnn_rs.set_memory_limit(10**8), net.simulate(None, 0.1, n_steps=10, n_paths=10**6,"
                               " record='final', block_size=10**6))", "MemoryLimitError"),
    # Under that limit: one path of 2·10⁶ points keeps ~1950 chunk products (171 MB) until joined.
    "signature chunk tensors": ("srnn_rs.signature(np.broadcast_to(np.zeros(4), (1, 2 * 10**6, 4)), 6)",
                                "MemoryLimitError"),
}


@pytest.fixture(scope="module")
def outcomes():
    lines = [f"run({name!r}, lambda: {call})" for name, (call, _) in CALLS.items()]
    source = textwrap.dedent("""
        import numpy as np, srnn_rs
        net = srnn_rs.reservoir(8, connectivity=0.5, seed=1)
        def run(name, call):
            try:
                call()
            except Exception as exc:
                print(name, "|", type(exc).__name__, flush=True)
            else:
                print(name, "|", "no error", flush=True)
        """) + "\n".join(lines)
    proc = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return dict(line.split(" | ") for line in proc.stdout.splitlines())


@pytest.mark.parametrize("name", list(CALLS))
def test_an_absurd_size_is_a_limit_error(outcomes, name):
    assert outcomes[name] == CALLS[name][1]
