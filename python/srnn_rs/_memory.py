"""The memory limit that every function checks before allocating a large result."""

from __future__ import annotations

from .errors import MemoryLimitError

_limit_bytes: int = 4 * 1024**3


def set_memory_limit(n_bytes: int) -> None:
    """Set the largest result (in bytes) any srnn_rs function may allocate; default 4 GiB."""
    global _limit_bytes
    if isinstance(n_bytes, bool) or not isinstance(n_bytes, int) or n_bytes <= 0:
        raise ValueError(f"n_bytes: expected a positive integer, got {n_bytes!r}")
    _limit_bytes = n_bytes


def get_memory_limit() -> int:
    """The current memory limit in bytes (see :func:`set_memory_limit`)."""
    return _limit_bytes


def check_memory(what: str, n_bytes: int) -> None:
    """Raise :class:`MemoryLimitError` if a result of ``n_bytes`` would pass the limit."""
    if n_bytes > _limit_bytes:
        raise MemoryLimitError(
            f"{what} would need {n_bytes} bytes, above the memory limit of {_limit_bytes} bytes; "
            "raise it with srnn_rs.set_memory_limit() or ask for less"
        )
