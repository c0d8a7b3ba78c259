"""Ctrl-C inside one long path: the signature engine polls for cancellation within a path, not
only between paths, so a single path that would run for many seconds stops promptly."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import srnn_rs

# Far above the ~0.2 s an interrupted call takes, far below the uninterrupted calls (10-30 s
# single-threaded on the development VM), so load cannot flip the outcome.
BOUND_S = 5.0


def interrupted_after(call, delay=0.2):
    timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call()
    finally:
        timer.cancel()
    return time.perf_counter() - start


@pytest.fixture(scope="module")
def long_path():
    return np.random.default_rng(5).normal(size=(1, 800_000, 6)) * 0.01


def test_one_long_signature_path_stops_promptly(long_path):
    # Chunks of one path run in parallel; one thread keeps the uninterrupted time long anywhere.
    assert interrupted_after(lambda: srnn_rs.signature(long_path, 6, n_jobs=1)) < BOUND_S


def test_one_long_backprop_path_stops_promptly(long_path):
    path = long_path[:, :60_000]
    grad = np.ones((1, srnn_rs.siglength(6, 6)))
    assert interrupted_after(lambda: srnn_rs.signature_backprop(grad, path, 6)) < BOUND_S


def test_one_long_logsignature_path_stops_promptly(long_path):
    assert interrupted_after(lambda: srnn_rs.logsignature(long_path, 6, n_jobs=1)) < BOUND_S
