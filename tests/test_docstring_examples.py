"""The examples in the public docstrings run and print what they claim."""

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
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
