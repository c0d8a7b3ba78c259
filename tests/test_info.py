"""``srnn-rs info`` and ``srnn_rs.show_config()`` report the real configuration: the version,
the SIMD level the core chose, its thread count, the memory limit, and the optional packages
with the versions installed."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys

import srnn_rs
from srnn_rs import _core


def test_config_info_holds_the_real_values():
    info = srnn_rs.config_info()
    assert info["version"] == srnn_rs.__version__
    assert info["simd"] == srnn_rs.cpu_features()
    assert info["threads"] == _core.thread_count() >= 1
    assert info["memory_limit"] == srnn_rs.get_memory_limit()
    numpy_version = importlib.metadata.version("numpy")
    assert info["numpy"] == numpy_version
    for name, dist in {"dask": "dask", "sklearn": "scikit-learn", "torch": "torch", "tqdm": "tqdm"}.items():
        try:
            want = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            want = None
        assert info["optional"][name] == want


def test_show_config_prints_them(capsys):
    srnn_rs.set_memory_limit(3 * 1024**3)
    try:
        srnn_rs.show_config()
    finally:
        srnn_rs.set_memory_limit(4 * 1024**3)
    out = capsys.readouterr().out
    assert f"srnn_rs:      {srnn_rs.__version__}" in out
    assert f"SIMD level:   {srnn_rs.cpu_features()}" in out
    assert f"threads:      {_core.thread_count()}" in out
    assert "memory limit: 3 GiB (3221225472 bytes)" in out
    sklearn = importlib.metadata.version("scikit-learn")  # a test requirement
    assert f"sklearn:      {sklearn}" in out


def test_the_command_reports_the_thread_count_and_simd_cap_it_runs_under():
    env = dict(os.environ, RAYON_NUM_THREADS="3", SRNN_RS_SIMD="generic")
    result = subprocess.run([sys.executable, "-m", "srnn_rs", "info"], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "threads:      3 " in result.stdout
    assert "SIMD level:   generic " in result.stdout
    assert f"srnn_rs:      {srnn_rs.__version__}" in result.stdout
