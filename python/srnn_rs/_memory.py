"""The memory limit that every function checks before allocating a large result, and the work
limit checked before a computation whose cost is known up front. The limits, the checks and
their messages live in the core (``srnn_core::memory``, ``srnn_core::work``); this module is
the Python face of them."""

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


def set_work_limit(n_units: int) -> None:
    """Set the most work any srnn_rs call may start; default ``2**40`` units.

    A unit is one path-step of a simulation or ensemble, one cell of a signature-kernel PDE
    grid, or one tensor entry updated per path point of a signature. Calls past the limit
    raise :class:`WorkLimitError` before they start.
    """
    if isinstance(n_units, bool) or not isinstance(n_units, int) or n_units <= 0:
        raise ValueError(f"n_units: expected a positive integer, got {n_units!r}")
    _core.set_work_limit(n_units)


def get_work_limit() -> int:
    """The current work limit in units (see :func:`set_work_limit`)."""
    return _core.get_work_limit()


def check_work(what: str, n_units: int) -> None:
    """Raise :class:`WorkLimitError` if ``what`` would take more than the work limit."""
    _core.check_work(what, n_units)
