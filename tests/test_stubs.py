"""The type stubs ``srnn_rs/_core.pyi`` describe the native module exactly: mypy's stubtest
finds no function, class, method, parameter or module attribute of ``srnn_rs._core`` that is
missing from, extra in, or inconsistent with the stubs."""

import subprocess
import sys

import pytest

pytest.importorskip("mypy")


def test_core_stubs_match_the_native_module(tmp_path):
    # Run from an empty directory so mypy's cache and any local config stay out of the way.
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "srnn_rs._core"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"stubtest failed:\n{result.stdout}\n{result.stderr}"


def test_package_type_checks(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--ignore-missing-imports", "-p", "srnn_rs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"mypy failed:\n{result.stdout}\n{result.stderr}"
