"""Exception types raised by srnn_rs (besides ``ValueError``/``TypeError`` for bad arguments)."""

from __future__ import annotations


class DivergenceError(FloatingPointError):
    """The simulated state became non-finite; the message names the path, step and likely cause."""


class MemoryLimitError(ValueError, MemoryError):
    """A result would exceed the memory limit set by :func:`srnn_rs.set_memory_limit`."""


class WorkLimitError(ValueError):
    """A computation would take more work than the limit set by :func:`srnn_rs.set_work_limit`."""
