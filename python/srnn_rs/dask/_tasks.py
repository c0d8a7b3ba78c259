"""What every Dask task of :mod:`srnn_rs.dask` shares: chunk spans, the worker's thread
count, a fixed-shape merge tree over chunks, and computing with or without a client."""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, Sequence

import dask

from .. import _core
from .._validate import as_int

_pool_sized = False


def use_worker_threads() -> None:
    """Sizes the core's thread pool to this worker's ``nthreads``, once per process, from
    within a task (outside a task there is no worker to ask, and nothing is fixed yet)."""
    global _pool_sized
    if _pool_sized:
        return
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return
    _pool_sized = True
    threads = getattr(worker, "nthreads", None) or getattr(getattr(worker, "state", None), "nthreads", None)
    if threads:
        _core.init_thread_pool(int(threads))


def on_worker(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` as a task body that first sizes the thread pool."""

    def task(*args: Any, **kwargs: Any) -> Any:
        use_worker_threads()
        return fn(*args, **kwargs)

    name = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", "task")
    # Named after ``fn`` in its module, so pickle finds it by reference instead of shipping
    # (and tokenising) the closure by value for every task.
    task.__name__ = task.__qualname__ = str(name)
    task.__module__ = getattr(fn, "__module__", __name__)
    task.__doc__ = fn.__doc__
    return task


MAX_CHUNKS = 10**6


def chunk_sizes(n: int, chunk: Any, name: str = "chunk_paths") -> tuple[int, ...]:
    """Sizes of consecutive chunks of ``chunk`` items covering ``n`` (the last one ragged)."""
    chunk = as_int(name, chunk, minimum=1)
    # A graph of more tasks than this would exhaust memory before anything runs.
    if -(-n // chunk) > MAX_CHUNKS:
        raise ValueError(f"{name}: {n} items in chunks of {chunk} make more than {MAX_CHUNKS} chunks; "
                         "use larger chunks")
    full, rest = divmod(n, chunk)
    return (chunk,) * full + ((rest,) if rest else ())


def spans(sizes: Sequence[int]) -> list[tuple[int, int]]:
    """``(start, stop)`` of each chunk."""
    out, start = [], 0
    for size in sizes:
        out.append((start, start + size))
        start += size
    return out


def check_chunks(name: str, array: Any, sizes: tuple[int, ...]) -> None:
    if tuple(array.chunks[0]) != sizes:
        raise ValueError(
            f"{name}: chunked {tuple(array.chunks[0])} along its first axis, but chunk_paths gives "
            f"{sizes}; rechunk it with {name}.rechunk({{0: {sizes[0]}}})"
        )


def merge_tree(leaves: list[Any], merge: Callable[[Any, Any], Any], fan_in: int = 16) -> Any:
    """Runs of ``fan_in`` adjacent partials merged left to right in one task, level by level.
    The merges themselves are associative in bits (they follow the core's block tree), so the
    grouping only decides how many tasks there are: few, since each task costs a scheduler
    round trip."""
    task = dask.delayed(functools.partial(_merge_run, merge), pure=True)
    level = leaves
    while len(level) > 1:
        level = [task(*level[i:i + fan_in]) if len(level[i:i + fan_in]) > 1 else level[i]
                 for i in range(0, len(level), fan_in)]
    return level[0]


def _merge_run(merge: Callable[[Any, Any], Any], *parts: Any) -> Any:
    acc = parts[0]
    for part in parts[1:]:
        acc = merge(acc, part)
    return acc


def compute(obj: Any, client: Optional[Any]) -> Any:
    """``obj`` computed on ``client``, or on Dask's current scheduler."""
    if client is not None:
        return client.compute(obj).result()
    return dask.compute(obj)[0]
