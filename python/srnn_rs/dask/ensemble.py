"""Ensembles of paths on Dask: simulation chunked along paths, and the Monte Carlo
estimators as per-chunk partial sums merged in block order."""

from __future__ import annotations

from typing import Any, Optional

import dask
import dask.array as da
import numpy as np

from .. import response as _response
from .._validate import as_int
from ..model import SRNN
from ..response import CorrelationFunction, ResponseKernels, StationaryStats
from ._tasks import check_chunks, chunk_sizes, compute, merge_tree, on_worker, spans


def _model(model: Any) -> SRNN:
    if not isinstance(model, SRNN):
        raise TypeError(f"model: expected an srnn_rs.SRNN, got {type(model).__name__}")
    return model


@on_worker
def _simulate_chunk(model: SRNN, u: Any, h0: Any, first_path: int, n_paths: int, kwargs: dict) -> np.ndarray:
    return model.simulate(u, n_paths=n_paths, first_path=first_path, h0=h0, **kwargs)


def simulate(
    model: SRNN,
    u: Any,
    dt: float,
    *,
    n_paths: int = 1,
    chunk_paths: int,
    n_steps: Optional[int] = None,
    h0: Any = "zero",
    burn_in: Optional[float] = None,
    seed: int = 0,
    record: str = "readout",
    stride: int = 1,
    dtype: Any = "float64",
    first_path: int = 0,
    block_size: Optional[int] = None,
) -> da.Array:
    """:meth:`SRNN.simulate` as a lazy dask array chunked along paths.

    Chunk ``k`` is ``model.simulate(..., first_path=first_path + start_k, n_paths=size_k)``,
    so the array equals the local call bit for bit whatever ``chunk_paths``.

    Parameters
    ----------
    u : None, (T, m) array, or (n_paths, T, m) NumPy or dask array
        A per-path dask input must be chunked along paths exactly as ``chunk_paths`` says.
    h0 : "zero", "stationary", (n,) or (n_paths, n) array
    chunk_paths : int
        Paths per chunk (the last chunk takes the rest).
    Other parameters
        As in :meth:`SRNN.simulate`.

    Examples
    --------
    >>> import numpy as np, srnn_rs, srnn_rs.dask
    >>> net = srnn_rs.default_network()
    >>> y = srnn_rs.dask.simulate(net, None, 0.05, n_steps=20, n_paths=10, chunk_paths=4, seed=3)
    >>> y.chunks[0]
    (4, 4, 2)
    >>> local = net.simulate(None, 0.05, n_steps=20, n_paths=10, seed=3)
    >>> bool(np.array_equal(y.compute(scheduler="sync"), local))
    True
    """
    model = _model(model)
    n_paths = as_int("n_paths", n_paths, minimum=1)
    sizes = chunk_sizes(n_paths, chunk_paths)
    first_path = as_int("first_path", first_path, minimum=0, maximum=2**64 - 1 - n_paths)
    per_path_u = u is not None and getattr(u, "ndim", np.ndim(u)) == 3
    per_path_h0 = not isinstance(h0, str) and np.ndim(h0) == 2
    if isinstance(u, da.Array):
        if not per_path_u:
            u = u.compute()
        else:
            check_chunks("u", u, sizes)
    if isinstance(h0, da.Array):
        if not per_path_h0:
            h0 = h0.compute()
        else:
            check_chunks("h0", h0, sizes)

    kwargs = dict(dt=dt, n_steps=n_steps, burn_in=burn_in, seed=seed, record=record, stride=stride,
                  dtype=dtype, block_size=block_size)
    # The local twin validates everything on a run of one path and tells the output's
    # trailing shape and dtype.
    probe_u = None if u is None else (np.zeros((1, *u.shape[1:])) if per_path_u else np.asarray(u))
    probe_h0 = np.asarray(h0[:1]) if per_path_h0 else h0
    if per_path_u and u.shape[0] != n_paths:
        raise ValueError(f"u: a 3-D input needs one row per path, shape ({n_paths}, T, m); got {u.shape}")
    if per_path_h0 and np.shape(h0)[0] != n_paths:
        raise ValueError(f"h0: expected one row per path, shape ({n_paths}, n); got {np.shape(h0)}")
    probe = model.simulate(probe_u, n_paths=1, h0=probe_h0, **kwargs)
    trailing = probe.shape[1:]

    u_blocks = None
    if isinstance(u, da.Array):
        u_blocks = u.rechunk({1: -1, 2: -1}).to_delayed().reshape(-1)
    chunks = []
    model_node = dask.delayed(model, pure=True)
    for k, (start, stop) in enumerate(spans(sizes)):
        if per_path_u:
            u_k = u_blocks[k] if u_blocks is not None else u[start:stop]
        else:
            u_k = u
        h0_k = h0[start:stop] if per_path_h0 else h0
        task = dask.delayed(_simulate_chunk, pure=True)(model_node, u_k, h0_k, first_path + start, stop - start, kwargs)
        chunks.append(da.from_delayed(task, shape=(stop - start, *trailing), dtype=probe.dtype))
    return da.concatenate(chunks, axis=0)


@on_worker
def _partial(job: Any, model: SRNN, start: int, stop: int) -> Any:
    return job.partial(model._native, start, stop)


def _append(left: Any, right: Any) -> Any:
    return left.append(right)


def _with_first_pass(job: Any, partial: Any) -> Any:
    return job.with_first_pass(partial)


def _finish(job: Any, model: SRNN, partial: Any) -> dict:
    return job.finish(model._native, partial)


def _reduce(job: Any, model_node: Any, n_blocks: int, block_size: int, sizes: tuple[int, ...]) -> Any:
    """The delayed partial of all blocks: chunk ``k`` computes the blocks whose first path it
    holds (so a chunk smaller than a block may compute none, and one that ends inside a block
    computes that whole block)."""
    leaves = []
    for start, stop in spans(sizes):
        first, end = -(-start // block_size), min(-(-stop // block_size), n_blocks)
        leaves.append(dask.delayed(_partial, pure=True)(job, model_node, first, end))
    return merge_tree(leaves, _append)


def _estimate(plan: Any, model: SRNN, chunk_paths: Any, client: Optional[Any]) -> Any:
    job: Any = plan.job
    sizes = chunk_sizes(job.n_paths, chunk_paths)
    shape = (job.n_blocks, job.block_size, sizes)
    # Shared nodes, so the model and the job are tokenised and shipped once, not per chunk.
    model_node = dask.delayed(model, pure=True)
    first = job.first_pass()
    if first is None:
        job = dask.delayed(job, pure=True)
    else:
        first_root = _reduce(dask.delayed(first, pure=True), model_node, *shape)
        job = dask.delayed(_with_first_pass, pure=True)(job, first_root)
    root = _reduce(job, model_node, *shape)
    out = compute(dask.delayed(_finish, pure=True)(job, model_node, root), client)
    return plan.build(out)


def response_kernels(
    model: SRNN,
    *,
    dt: float,
    max_lag: float,
    chunk_paths: int,
    order: int = 1,
    method: Optional[str] = None,
    n_paths: int = 1000,
    seed: int = 0,
    burn_in: Optional[float] = None,
    bin_width: Optional[int] = None,
    eps: Optional[float] = None,
    n_origins: int = 8,
    first_path: int = 0,
    block_size: Optional[int] = None,
    client: Optional[Any] = None,
) -> ResponseKernels:
    """:func:`srnn_rs.response_kernels` with the paths computed in chunks of ``chunk_paths``
    on Dask; the same bits as the local call for any chunking.

    Each chunk returns the core's partial sums of the blocks of ``block_size`` paths that
    start in it; adjacent partials merge along the core's fixed block tree, and the root is
    finished on the client. ``method="exact"`` needs no paths and runs locally.

    Examples
    --------
    >>> import numpy as np, srnn_rs, srnn_rs.dask
    >>> net = srnn_rs.default_network()
    >>> k = srnn_rs.dask.response_kernels(net, dt=0.1, max_lag=0.5, n_paths=40, chunk_paths=7)
    >>> local = srnn_rs.response_kernels(net, dt=0.1, max_lag=0.5, n_paths=40)
    >>> bool(np.array_equal(k.values, local.values) and np.array_equal(k.stderr, local.stderr))
    True
    """
    model = _model(model)
    plan = _response._kernel_plan(model, dt=dt, max_lag=max_lag, order=order, method=method, n_paths=n_paths,
                                  seed=seed, burn_in=burn_in, bin_width=bin_width, eps=eps, n_origins=n_origins,
                                  first_path=first_path, block_size=block_size)
    if isinstance(plan, ResponseKernels):
        return plan
    return _estimate(plan, model, chunk_paths, client)


def stationary_stats(
    model: SRNN,
    *,
    dt: float,
    chunk_paths: int,
    n_paths: int = 1000,
    window: float = 0.0,
    stride: int = 1,
    seed: int = 0,
    burn_in: Optional[float] = None,
    first_path: int = 0,
    block_size: Optional[int] = None,
    method: str = "monte_carlo",
    client: Optional[Any] = None,
) -> StationaryStats:
    """:func:`srnn_rs.stationary_stats` in chunks of ``chunk_paths`` paths on Dask; the same
    bits as the local call."""
    model = _model(model)
    if method != "monte_carlo":
        return _response.stationary_stats(model, dt=dt, n_paths=n_paths, method=method)
    plan = _response._stats_plan(model, dt=dt, n_paths=n_paths, window=window, stride=stride, seed=seed,
                                 burn_in=burn_in, first_path=first_path, block_size=block_size)
    return _estimate(plan, model, chunk_paths, client)


def correlation_function(
    model: SRNN,
    *,
    dt: float,
    max_lag: float,
    chunk_paths: int,
    g: str = "state",
    n_paths: int = 1000,
    n_origins: int = 8,
    origin_spacing: Optional[float] = None,
    seed: int = 0,
    burn_in: Optional[float] = None,
    first_path: int = 0,
    block_size: Optional[int] = None,
    client: Optional[Any] = None,
) -> CorrelationFunction:
    """:func:`srnn_rs.correlation_function` in chunks of ``chunk_paths`` paths on Dask; the
    same bits as the local call."""
    model = _model(model)
    plan = _response._correlation_plan(model, dt=dt, max_lag=max_lag, g=g, n_paths=n_paths, n_origins=n_origins,
                                       origin_spacing=origin_spacing, seed=seed, burn_in=burn_in,
                                       first_path=first_path, block_size=block_size)
    return _estimate(plan, model, chunk_paths, client)
