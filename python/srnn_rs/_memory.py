"""The memory limit that every function checks before allocating a large result. The limit,
the check and its message live in the core (``srnn_core::memory``); this module is the
Python face of it."""

from __future__ import annotations

from . import _core


def set_memory_limit(n_bytes: int) -> None:
    """Set the largest result (in bytes) any srnn_rs function may allocate; default 4 GiB."""
    if isinstance(n_bytes, bool) or not isinstance(n_bytes, int) or n_bytes <= 0:
        raise ValueError(f"n_bytes: expected a positive integer, got {n_bytes!r}")
    _core.set_memory_limit(n_bytes)


def get_memory_limit() -> int:
    """The current memory limit in bytes (see :func:`set_memory_limit`)."""
    return _core.get_memory_limit()


def check_memory(what: str, n_bytes: int) -> None:
    """Raise :class:`MemoryLimitError` if a result of ``n_bytes`` would pass the limit."""
    _core.check_memory(what, n_bytes)
