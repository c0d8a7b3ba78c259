"""What crosses the boundary to the core is said once: lengths, defaults, the memory limit
and the string options are the core's, a path call is one frozen request, and a thread
count gets one reused pool."""

import dataclasses
import os
import time

import numpy as np
import pytest

import srnn_rs
from srnn_rs import MemoryLimitError, _core
from srnn_rs.signatures._args import path_request


def _mobius(n):
    result, p = 1, 2
    while p * p <= n:
        if n % p == 0:
            n //= p
            if n % p == 0:
                return 0
            result = -result
        p += 1
    return -result if n > 1 else result


@pytest.mark.parametrize("d", [1, 2, 3, 7])
@pytest.mark.parametrize("depth", [1, 2, 5, 9])
def test_lengths_from_the_core_equal_the_formulas(d, depth):
    assert srnn_rs.siglength(d, depth) == sum(d**k for k in range(1, depth + 1))
    witt = sum(sum(_mobius(q) * d ** (k // q) for q in range(1, k + 1) if k % q == 0) // k for k in range(1, depth + 1))
    assert srnn_rs.logsiglength(d, depth) == witt


def test_a_length_too_large_names_depth():
    with pytest.raises(ValueError, match="^depth: "):
        srnn_rs.siglength(10, 1000)


def test_the_default_block_size_is_the_cores():
    from srnn_rs import response

    assert response._DEFAULT_BLOCK == _core.DEFAULT_BLOCK_SIZE


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: srnn_rs.logsignature(np.zeros((3, 2)), 2, mode="brackets"),
         "mode: expected one of 'lyndon', 'expand', 'words', got 'brackets'"),
        (lambda: srnn_rs.sig_to_logsig(np.zeros(6), 2, 2, mode=3), "mode: expected one of 'lyndon', 'expand', 'words', got 3"),
        (lambda: srnn_rs.logsig_to_sig(np.zeros(3), 2, 2, mode=None), "mode: expected one of .*, got None"),
        (lambda: srnn_rs.sig_kernel(np.zeros((3, 2)), np.zeros((3, 2)), static_kernel="cosine"),
         "static_kernel: expected one of 'linear', 'rbf', got 'cosine'"),
        (lambda: srnn_rs.sig_kernel(np.zeros((3, 2)), np.zeros((3, 2)), depth=2, static_kernel="rbf"),
         "static_kernel: the truncated kernel"),
        (lambda: _core._tensor_unary(np.zeros((1, 7)), 2, 2, "sqrt"), "op: expected one of 'exp', 'log', 'inverse', got 'sqrt'"),
    ],
)
def test_string_options_are_parsed_by_the_core_and_name_the_argument(call, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        call()


@pytest.mark.parametrize(
    "option, message",
    [
        ({"record": "everything"}, "record: expected one of 'state', 'readout', 'final', 'final_state', got 'everything'"),
        ({"dtype": "float16"}, "dtype: expected one of 'float64', 'float32', got 'float16'"),
    ],
)
def test_simulation_options_are_parsed_by_the_core_and_name_the_argument(option, message):
    settings = dict(dt=0.1, n_steps=2, n_paths=1, first_path=0, seed=0, record="state", stride=1,
                    burn_in_steps=0, block_size=16, dtype="float64")
    settings.update(option)
    with pytest.raises(ValueError, match=f"^{message}"):
        srnn_rs.default_network()._native.simulate(None, None, **settings)


def test_the_memory_limit_is_the_cores():
    old = srnn_rs.get_memory_limit()
    try:
        srnn_rs.set_memory_limit(12345)
        assert srnn_rs.get_memory_limit() == _core.get_memory_limit() == 12345
        with pytest.raises(MemoryLimitError, match=r"^signature would need 16000 bytes, above the memory limit of 12345"):
            srnn_rs.signature(np.zeros((1000, 2, 1)), 2)
        with pytest.raises(MemoryLimitError, match="^the result would need 12346 bytes"):
            _core.check_memory("the result", 12346)
        _core.check_memory("the result", 12345)
        with pytest.raises(ValueError, match="^n_bytes: "):
            srnn_rs.set_memory_limit(0)
    finally:
        srnn_rs.set_memory_limit(old)
    assert srnn_rs.get_memory_limit() == old


def test_a_path_call_is_one_frozen_request_and_leaves_its_inputs_alone():
    path = np.arange(12.0).reshape(2, 3, 2)
    before = path.copy()
    request = path_request(path, 3, basepoint=True, time_aug=True, lead_lag=True, end_time=2.0, n_jobs=None,
                           stream=True, inverse=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.depth = 4  # type: ignore[misc]
    # 4 points with the basepoint, 7 after lead-lag; 2 * 2 + 1 channels.
    assert request.shape == (5, 6, srnn_rs.siglength(5, 3))
    out = _core._signature(request)
    assert out.shape == (2, 6, srnn_rs.siglength(5, 3))
    np.testing.assert_array_equal(path, before)


def _pool_threads(n):
    names = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        if name.startswith(f"srnn-jobs{n}-"):
            names[tid] = name
    return names


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc to list threads")
def test_a_thread_count_reuses_one_pool():
    x = np.random.default_rng(0).normal(size=(40, 30, 3))
    first = srnn_rs.signature(x, 4, n_jobs=3)
    # A pool thread names itself when it first runs, which on a loaded machine can come after
    # the call returns: until then it shows the name of the thread that spawned it.
    deadline = time.monotonic() + 5.0
    while len(_pool_threads(3)) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    threads = _pool_threads(3)
    assert len(threads) == 3
    for _ in range(10):
        np.testing.assert_array_equal(srnn_rs.signature(x, 4, n_jobs=3), first)
        np.testing.assert_array_equal(srnn_rs.signature_backprop(np.ones_like(first), x, 4, n_jobs=3).shape, x.shape)
    assert _pool_threads(3) == threads
    np.testing.assert_array_equal(srnn_rs.signature(x, 4), first)


def test_import_paths_are_kept():
    from srnn_rs import response, signatures, volterra

    assert response.volterra_predict is volterra.volterra_predict is srnn_rs.volterra_predict
    assert signatures.__all__ == [
        "siglength", "signature", "signature_backprop", "signature_combine", "multi_signature_combine",
        "tensor_exp", "tensor_log", "tensor_inverse", "logsignature", "logsignature_backprop", "logsiglength",
        "lyndon_words", "logsig_basis_labels", "sig_to_logsig", "logsig_to_sig", "sig_kernel", "sig_kernel_gram",
        "sig_kernel_backprop", "sig_kernel_gram_backprop",
    ]
    for name in signatures.__all__:
        assert getattr(srnn_rs, name) is getattr(signatures, name)
