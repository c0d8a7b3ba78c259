"""What a bug report needs first: the version, the SIMD level and threads the core chose, the
memory limit, and which optional packages are installed."""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from typing import Any, Optional

from . import _core

# Import name → distribution name of the optional packages srnn_rs uses when present.
OPTIONAL_PACKAGES = {
    "dask": "dask",
    "distributed": "distributed",
    "torch": "torch",
    "jax": "jax",
    "matplotlib": "matplotlib",
    "sklearn": "scikit-learn",
    "tqdm": "tqdm",
}


def _installed_version(distribution: str) -> Optional[str]:
    # Metadata, not an import: importing torch or jax to read a version would take seconds.
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def config_info() -> dict[str, Any]:
    """The configuration :func:`show_config` prints, as a dictionary.

    Keys: ``version``, ``python``, ``platform``, ``numpy``, ``simd`` (the level the core
    dispatches to: "avx512", "avx2" or "generic"), ``threads`` (of the pool calls use when
    they do not ask for ``n_jobs``), ``memory_limit`` (bytes), and ``optional``: import name →
    installed version, or None when absent.

    Examples
    --------
    >>> import srnn_rs
    >>> info = srnn_rs.config_info()
    >>> info["version"] == srnn_rs.__version__, info["simd"] == srnn_rs.cpu_features()
    (True, True)
    """
    import numpy

    return {
        "version": _core.__version__,
        "python": sys.version.split()[0],
        "platform": f"{platform.system()} {platform.machine()}",
        "numpy": numpy.__version__,
        "simd": _core.cpu_features(),
        "threads": _core.thread_count(),
        "memory_limit": _core.get_memory_limit(),
        "optional": {name: _installed_version(dist) for name, dist in OPTIONAL_PACKAGES.items()},
    }


def _bytes(n: int) -> str:
    value, unit = float(n), "B"
    for bigger in ("KiB", "MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.4g} {unit} ({n} bytes)"


def format_config(info: Optional[dict[str, Any]] = None) -> str:
    """:func:`config_info` as the lines :func:`show_config` prints."""
    info = config_info() if info is None else info
    lines = [
        f"srnn_rs:      {info['version']}",
        f"python:       {info['python']} ({info['platform']})",
        f"numpy:        {info['numpy']}",
        f"SIMD level:   {info['simd']}  (cap it with SRNN_RS_SIMD=avx2|generic)",
        f"threads:      {info['threads']}  (RAYON_NUM_THREADS, or n_jobs per call)",
        f"memory limit: {_bytes(info['memory_limit'])}  (srnn_rs.set_memory_limit)",
        "optional packages:",
    ]
    for name, version in info["optional"].items():
        lines.append(f"  {name + ':':13} {version if version is not None else 'not installed'}")
    return "\n".join(lines)


def show_config() -> None:
    """Print the version, the SIMD level and thread count the core uses, the memory limit and
    the optional packages found (with their versions): paste it into a bug report.

    Examples
    --------
    >>> import srnn_rs
    >>> srnn_rs.show_config()  # doctest: +ELLIPSIS
    srnn_rs:      ...
    SIMD level:   ...
    """
    print(format_config())
