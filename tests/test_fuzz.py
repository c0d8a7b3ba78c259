"""Property-based fuzzing of the public API with hostile inputs.

Hypothesis generates calls of every public function: a valid call with one or two arguments
replaced by something hostile (wrong shapes and dtypes, NaN and inf, empty and huge sizes,
non-contiguous, read-only and broadcast arrays, wrong types, unstable networks). The calls run
in batches inside worker subprocesses, so that a crash kills one worker and is reported, not
the test run. For every call the worker checks:

* no signal death and no hang (the worker's time bound);
* no panic text ("internal error in srnn_rs");
* only the documented exception types: ``ValueError`` (``MemoryLimitError`` and
  ``WorkLimitError`` among them), ``TypeError``, ``DivergenceError``;
* no non-finite number in a result;
* array inputs left unmodified.

The ``srnn_rs.dask`` functions run on dask's synchronous scheduler. The command line
(``python -m srnn_rs``) gets its own cases, one subprocess each (``SRNN_FUZZ_CASES / 100``, at
least 10): a clean exit, or a non-zero status with a one-line error, never a traceback.

``SRNN_FUZZ_CASES`` sets the number of calls (default 2000, about half a minute); a larger
local run is ``SRNN_FUZZ_CASES=20000 pytest tests/test_fuzz.py -s``, which prints the
outcome counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

CASES = int(os.environ.get("SRNN_FUZZ_CASES", "2000"))
BATCH = 25
CASE_SECONDS = 20.0  # a call past this is a hang: every call here is tiny or refused

# -- values, as JSON specs the worker builds ------------------------------------------------------

DTYPES = ["float64", "float32", "int64", "bool", "complex128", "object", "str"]
FILLS = ["normal", "zeros", "nan", "inf", "huge", "tiny"]
LAYOUTS = ["c", "fortran", "strided", "readonly", "broadcast"]


def array(shape, dtype="float64", fill="normal", layout="c"):
    return {"array": list(shape), "dtype": dtype, "fill": fill, "layout": layout}


def model(variant="stable"):
    return {"model": variant}


dims = st.sampled_from([0, 1, 2, 3, 5])
hostile_arrays = st.builds(
    lambda shape, dtype, fill, layout: array(shape, dtype, fill, layout),
    st.lists(dims, min_size=0, max_size=4),
    st.sampled_from(DTYPES),
    st.sampled_from(FILLS),
    st.sampled_from(LAYOUTS),
)
numeric_scalars = st.sampled_from(
    [0, -1, 1, 2, 2**31, 2**32, 2**63 - 1, 2**63, 2**64, 2**70, -(2**70),
     0.0, -0.0, 0.5, -1.5, 1e-308, 5e-324, 1e308, "nan", "inf", "-inf"]
)
wrongly_typed = st.sampled_from([True, False, None, "abc", "", [], [[1.0, 2.0], [3.0]], {"a": 1}, [1.0, "x"]])
# Numbers of the right type but a hostile value reach further than values of the wrong type.
hostile_scalars = st.one_of(numeric_scalars, numeric_scalars, wrongly_typed)
hostile_models = st.sampled_from(["unstable", "rotation", "diverging", "not_a_model"]).map(model)
hostile = st.one_of(hostile_arrays, hostile_scalars, hostile_models)


def same_shape_hostile(spec):
    """The valid array ``spec`` with a hostile fill, dtype or layout: passes the shape checks."""
    return st.one_of(
        st.sampled_from(FILLS).map(lambda f: {**spec, "fill": f}),
        st.sampled_from(LAYOUTS).map(lambda lay: {**spec, "layout": lay}),
        st.sampled_from(DTYPES).map(lambda d: {**spec, "dtype": d}),
    )


# -- the public functions, each with a valid call --------------------------------------------------

P = array((6, 2))
SIG22 = array((6,))
LOG22 = array((3,))
U = array((8, 1))
U3 = array((4, 8, 1))
Y4 = array((4,))

CALLS: dict[str, tuple[list, dict]] = {
    "signature": ([P, 2], {"stream": False, "basepoint": False, "time_aug": False, "lead_lag": False,
                           "inverse": False, "scalar_term": False, "n_jobs": None, "end_time": 1.0}),
    "signature_backprop": ([array((6,), fill="normal"), array((6, 2)), 2], {}),
    "logsignature": ([P, 2], {"mode": "lyndon", "stream": False}),
    "sig_to_logsig": ([SIG22, 2, 2], {"mode": "lyndon"}),
    "logsig_to_sig": ([LOG22, 2, 2], {"mode": "lyndon"}),
    "signature_combine": ([SIG22, SIG22, 2, 2], {}),
    "multi_signature_combine": ([[SIG22, SIG22], 2, 2], {}),
    "tensor_exp": ([SIG22, 2, 2], {}),
    "tensor_log": ([{**SIG22, "fill": "zeros"}, 2, 2], {}),
    "tensor_inverse": ([SIG22, 2, 2], {}),
    "siglength": ([2, 3], {}),
    "logsiglength": ([2, 3], {}),
    "lyndon_words": ([2, 3], {}),
    "logsig_basis_labels": ([2, 3], {}),
    "sig_kernel": ([P, P], {"depth": None, "dyadic_order": 1, "static_kernel": "linear", "sigma": 1.0}),
    "sig_kernel_gram": ([array((3, 5, 2))], {"Y": None, "depth": 2, "dyadic_order": 0}),
    "lifted_path": ([U, 0.1], {"basis": "monomial", "n_basis": 2, "rates": None}),
    "response_feature": ([U, 0.1, 2], {"basis": "exponential", "rates": array((2,), fill="zeros")}),
    "volterra_predict": ([array((3, 1, 1)), U, 0.1], {"k2": None, "mean": None}),
    "standard_normals": ([2, 3, 4], {"seed": 0, "first_path": 0, "burn_in": False}),
    "SRNN": ([array((3, 3)), array((3, 1))], {"gamma": 1.0, "sigma": 0.1, "activation": "tanh"}),
    "simulate": ([model(), U, 0.01], {"n_paths": 2, "stride": 1, "record": "readout", "seed": 0,
                                       "h0": "zero", "burn_in": None, "block_size": None}),
    "response_kernels": ([model()], {"dt": 0.05, "max_lag": 0.2, "n_paths": 4, "method": "adjoint",
                                     "burn_in": 0.1, "seed": 0}),
    "stationary_stats": ([model()], {"dt": 0.05, "n_paths": 4, "window": 0.2, "stride": 1, "burn_in": 0.1,
                                     "method": "monte_carlo"}),
    "correlation_function": ([model()], {"dt": 0.05, "max_lag": 0.2, "n_paths": 4, "burn_in": 0.1}),
    "tasks.narma10": ([20], {"washout": 0, "seed": 0}),
    "tasks.random_inputs": ([2, 10, 1], {"amplitude": 1.0, "smoothness": 3, "seed": 0}),
    "tasks.mackey_glass": ([20], {"tau": 17.0, "dt": 1.0, "substeps": 2}),
    "tasks.lorenz": ([20], {"dt": 0.01, "substeps": 1}),
    "tasks.mso": ([20], {"n_sines": 2, "t0": 0}),
    "tasks.to_forecasting": ([U], {"forecast": 1, "test_size": None}),
    "ResponseFeatureRidge": ([U3, Y4], {"depth": 2, "alpha": 1e-3, "dt": 0.1}),
    "SignatureKernelRidge": ([U3, Y4], {"depth": 2, "alpha": 1e-3, "dt": 0.1}),
    "ReadoutSRNN": ([U3, array((4, 8, 1))], {"model": model(), "alpha": 1e-3, "dt": 0.1}),
    # srnn_rs.dask, computed on dask's synchronous scheduler in the worker.
    "dask.simulate": ([model(), U, 0.01], {"n_paths": 3, "chunk_paths": 2, "record": "readout", "seed": 0}),
    "dask.response_kernels": ([model()], {"dt": 0.05, "max_lag": 0.2, "chunk_paths": 2, "n_paths": 4,
                                          "method": "adjoint", "burn_in": 0.1}),
    "dask.stationary_stats": ([model()], {"dt": 0.05, "chunk_paths": 2, "n_paths": 4, "window": 0.2,
                                          "burn_in": 0.1}),
    "dask.correlation_function": ([model()], {"dt": 0.05, "max_lag": 0.2, "chunk_paths": 2, "n_paths": 4,
                                              "burn_in": 0.1}),
    "dask.signature": ([array((3, 6, 2)), 2], {"chunk_paths": 2, "stream": False}),
    "dask.logsignature": ([array((3, 6, 2)), 2], {"chunk_paths": 2, "mode": "lyndon"}),
    "dask.response_feature": ([U3, 0.1, 2], {"chunk_paths": 2, "basis": "monomial", "n_basis": 2}),
    "dask.sig_kernel_gram": ([array((3, 5, 2))], {"Y": None, "chunk_paths": 2, "depth": 2, "dyadic_order": 0}),
}


@st.composite
def cases(draw):
    name = draw(st.sampled_from(sorted(CALLS)))
    args, kwargs = CALLS[name]
    args, kwargs = list(args), dict(kwargs)
    # simulate is a method: its first argument stands for the instance, not a parameter.
    first = 1 if name == "simulate" else 0
    slots = [("a", i) for i in range(first, len(args))] + [("k", k) for k in kwargs]
    for _ in range(draw(st.integers(1, 2))):
        kind, key = draw(st.sampled_from(slots))
        current = args[key] if kind == "a" else kwargs[key]
        if isinstance(current, dict) and "array" in current:
            # Mostly well-shaped arrays, which get past the shape checks into the numerics.
            value = draw(st.one_of(same_shape_hostile(current), same_shape_hostile(current), hostile))
        else:
            value = draw(hostile)
        if kind == "a":
            args[key] = value
        else:
            kwargs[key] = value
    return {"fn": name, "args": args, "kwargs": kwargs}


# -- the worker -----------------------------------------------------------------------------------

WORKER = r'''
import json, sys, time, traceback
import numpy as np
import dask
import srnn_rs
import srnn_rs.dask
from srnn_rs import DivergenceError

dask.config.set(scheduler="synchronous")

# Small limits keep every accepted call quick and show that the limits hold.
srnn_rs.set_memory_limit(2**28)
srnn_rs.set_work_limit(2**26)
PANIC = "internal error in srnn_rs"
FILL = {"normal": None, "zeros": 0.0, "nan": np.nan, "inf": np.inf, "huge": 1e300, "tiny": 5e-324}
rng = np.random.default_rng(0)

def build_array(spec):
    shape = tuple(spec["array"])
    fill = FILL[spec["fill"]]
    base = rng.standard_normal(shape) if fill is None else np.full(shape, fill)
    dtype = spec["dtype"]
    if dtype == "str":
        arr = base.astype(str)
    elif dtype == "object":
        arr = base.astype(object)
    else:
        with np.errstate(all="ignore"):
            arr = base.astype(dtype)
    layout = spec["layout"]
    if layout == "fortran":
        arr = np.asfortranarray(arr)
    elif layout == "strided":
        arr = np.repeat(arr, 2, axis=-1)[..., ::2] if arr.ndim else arr
    elif layout == "readonly":
        arr = arr.copy(); arr.flags.writeable = False
    elif layout == "broadcast" and arr.ndim:
        arr = np.broadcast_to(arr[..., :1], arr.shape) if arr.shape[-1] else arr
    return arr

def build_model(variant):
    if variant == "not_a_model":
        return "a string"
    W = {"stable": 0.3 * np.eye(3), "unstable": 5.0 * np.eye(3),
         "rotation": np.array([[1.0, 1.0, 0.0], [-1.0, 1.0, 0.0], [0.0, 0.0, 0.5]]),
         "diverging": 50.0 * np.ones((3, 3))}[variant]
    act = "identity" if variant in ("unstable", "rotation", "diverging") else "tanh"
    return srnn_rs.SRNN(W, np.ones((3, 1)), gamma=1.0, sigma=0.3, activation=act)

def build(v):
    if isinstance(v, dict) and "array" in v:
        return build_array(v)
    if isinstance(v, dict) and "model" in v:
        return build_model(v["model"])
    if isinstance(v, list):
        return [build(x) for x in v]
    if v in ("nan", "inf", "-inf"):
        return float(v)
    return v

def fit(cls):
    def call(U, y, **kw):
        machine = cls(**kw).fit(U, y)
        return machine.predict(U)
    return call

def simulate(model, u, dt, **kw):
    return model.simulate(u, dt, **kw)

FUNCS = {
    "simulate": simulate,
    "ResponseFeatureRidge": fit(srnn_rs.ResponseFeatureRidge),
    "SignatureKernelRidge": fit(srnn_rs.SignatureKernelRidge),
    "ReadoutSRNN": fit(srnn_rs.ReadoutSRNN),
}

def resolve(name):
    if name in FUNCS:
        return FUNCS[name]
    obj = srnn_rs
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj

def arrays_in(x):
    if isinstance(x, np.ndarray):
        yield x
    elif isinstance(x, (list, tuple)):
        for item in x:
            yield from arrays_in(item)
    elif isinstance(x, dict):
        for item in x.values():
            yield from arrays_in(item)
    elif hasattr(x, "__dataclass_fields__"):
        for f in x.__dataclass_fields__:
            yield from arrays_in(getattr(x, f))

def non_finite(result):
    if isinstance(result, float):
        return not np.isfinite(result)
    for a in arrays_in(result):
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            return True
    return False

def snapshot(x):
    return [a.copy() for a in arrays_in(x) if a.dtype != object]

def unchanged(before, after):
    return all(np.array_equal(b, a, equal_nan=b.dtype.kind in "fc") for b, a in zip(before, after))

ALLOWED = (ValueError, TypeError, DivergenceError)
for line in sys.stdin:
    case = json.loads(line)
    print("START", case["id"], flush=True)
    args = [build(a) for a in case["args"]]
    kwargs = {k: build(v) for k, v in case["kwargs"].items()}
    before = snapshot([args, kwargs])
    start = time.monotonic()
    outcome, detail = "ok", ""
    try:
        result = resolve(case["fn"])(*args, **kwargs)
        if hasattr(result, "dask"):
            result = result.compute()
        if non_finite(result):
            outcome, detail = "BAD", "non-finite result"
    except ALLOWED as exc:
        outcome, detail = type(exc).__name__, str(exc)[:200]
        if PANIC in str(exc):
            outcome = "BAD"
    except Exception as exc:
        outcome, detail = "BAD", f"{type(exc).__name__}: {str(exc)[:300]}"
    elapsed = time.monotonic() - start
    if not unchanged(before, snapshot([args, kwargs])):
        outcome, detail = "BAD", "an input array was modified; " + detail
    print("DONE", json.dumps({"id": case["id"], "outcome": outcome, "detail": detail,
                              "seconds": round(elapsed, 3)}), flush=True)
'''

OUTCOMES: Counter = Counter()


def run_batch(batch: list[dict]) -> list[str]:
    """Runs ``batch`` in one worker; returns the failures, each with its case."""
    payload = "".join(json.dumps({**c, "id": i}) + "\n" for i, c in enumerate(batch))
    try:
        proc = subprocess.run([sys.executable, "-c", WORKER], input=payload, capture_output=True, text=True,
                              timeout=CASE_SECONDS * 3 + 30)
        out, err, code = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        def text(b):
            return b.decode() if isinstance(b, bytes) else (b or "")
        out, err, code = text(exc.stdout), text(exc.stderr), "timeout"
    failures, started, done = [], None, set()
    for line in out.splitlines():
        if line.startswith("START "):
            started = int(line.split()[1])
        elif line.startswith("DONE "):
            report = json.loads(line[5:])
            done.add(report["id"])
            case = batch[report["id"]]
            OUTCOMES[report["outcome"]] += 1
            if report["outcome"] == "BAD":
                failures.append(f"{report['detail']} in {json.dumps(case)}")
            elif report["seconds"] > CASE_SECONDS:
                failures.append(f"took {report['seconds']} s: {json.dumps(case)}")
    if code != 0 or len(done) != len(batch):
        OUTCOMES["BAD"] += 1
        culprit = batch[started] if started is not None and started not in done else None
        failures.append(f"worker ended with {code} (signal death or hang) during {json.dumps(culprit)}:\n"
                        f"{err[-2000:]}")
    return failures


@settings(
    max_examples=max(1, -(-CASES // BATCH)),
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],  # the worker already names the failing call; shrinking costs workers
    suppress_health_check=list(HealthCheck),
)
@given(st.lists(cases(), min_size=BATCH, max_size=BATCH))
def test_hostile_calls_fail_cleanly(batch):
    failures = run_batch(batch)
    assert not failures, "\n".join(failures)


# -- the command line -----------------------------------------------------------------------------

CLI_CASES = max(10, CASES // 100)
# A valid, quick demo; the cases replace or add one or two words. The word "--scale" itself is
# never replaced: without it a valid command line would run the full-size demo.
CLI_BASE = ["demo", "--figure", "", "--no-progress", "--scale", "0.01"]
CLI_REPLACEABLE = [0, 1, 2, 3, 5]
CLI_WORDS = ["", "x", "nan", "inf", "-inf", "-1", "0", "-0.0", "1e308", "5e-324", "2e9", str(2**70), "1" * 400,
             "é", "--", "--scale", "--dt", "--seed", "--amplitude", "--figure", "--bogus", "demo", "info", "nope"]
CLI_OUTCOMES: Counter = Counter()


@st.composite
def command_lines(draw):
    argv = list(CLI_BASE)
    for _ in range(draw(st.integers(1, 2))):
        word = draw(st.sampled_from(CLI_WORDS))
        how = draw(st.sampled_from(["replace", "replace", "append"]))
        if how == "replace":
            argv[draw(st.sampled_from(CLI_REPLACEABLE))] = word
        else:
            argv += [draw(st.sampled_from(["--scale", "--dt", "--seed", "--amplitude"])), word]
    return argv


@settings(max_examples=CLI_CASES, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(command_lines())
def test_hostile_command_lines_fail_cleanly(tmp_path_factory, argv):
    """``python -m srnn_rs`` with bad words: a clean exit, or a non-zero status with one line on
    stderr; never a traceback, a signal death or a hang."""
    cwd = tmp_path_factory.mktemp("cli")
    proc = subprocess.run([sys.executable, "-m", "srnn_rs", *argv], capture_output=True, text=True,
                          timeout=CASE_SECONDS * 3, cwd=cwd)
    lines = proc.stderr.strip().splitlines()
    outcome = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
    bad = (proc.returncode < 0 or "Traceback" in proc.stderr
           or (proc.returncode != 0 and (len(lines) != 1 or not lines[0].startswith("srnn-rs"))))
    CLI_OUTCOMES["BAD" if bad else outcome] += 1
    assert not bad, f"{argv}: exit {proc.returncode}\n{proc.stderr[-2000:]}"


def test_zz_report_outcomes(capsys):
    """Prints the outcome counts of the run above (shown with ``-s``)."""
    if not OUTCOMES:
        pytest.skip("the fuzz test did not run in this session")
    with capsys.disabled():
        total = sum(OUTCOMES.values())
        print(f"\nfuzz: {total} calls: " + ", ".join(f"{k} {v}" for k, v in OUTCOMES.most_common()))
        if CLI_OUTCOMES:
            print(f"fuzz: {sum(CLI_OUTCOMES.values())} command lines: "
                  + ", ".join(f"{k} {v}" for k, v in CLI_OUTCOMES.most_common()))
    assert OUTCOMES["BAD"] == 0 and CLI_OUTCOMES["BAD"] == 0
