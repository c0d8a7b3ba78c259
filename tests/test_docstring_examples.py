"""The examples in the public docstrings run and print what they claim (every module of the
package, subpackages included)."""

import doctest
import importlib
import pkgutil

import pytest

import srnn_rs

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(srnn_rs.__path__, "srnn_rs.")
    if not name.endswith(("__main__", "_core"))
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # A module for an optional dependency (e.g. Dask) that is not installed here.
        if exc.name and not exc.name.startswith("srnn_rs"):
            pytest.skip(f"{name} needs {exc.name}")
        raise
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
