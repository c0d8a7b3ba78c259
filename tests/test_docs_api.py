"""The documentation site's API reference (docs/api.rst, docs/api/*.rst) lists every public name,
and the README keeps the markers that the site's getting-started page includes between."""

import ast
import re
from pathlib import Path

import pytest

import srnn_rs

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PACKAGE = ROOT / "python" / "srnn_rs"


def documented(page: Path) -> dict:
    """Names in the page's autosummary blocks, by the module current at each block."""
    names: dict = {}
    module = None
    in_block = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith(".. currentmodule::"):
            module = line.split("::")[1].strip()
        elif line.startswith(".. autosummary::"):
            in_block = True
        elif in_block and re.match(r"^   [A-Za-z_]\w*$", line):
            names.setdefault(module, set()).add(line.strip())
        elif in_block and line and not line.startswith(" "):
            in_block = False
    return names


def public_functions(source: Path) -> set:
    """``__all__`` of a module's source, else its public top-level functions and classes."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return {ast.literal_eval(e) for e in node.value.elts}
    return {
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
    }


def test_api_page_lists_every_top_level_name():
    listed = documented(DOCS / "api.rst")["srnn_rs"]
    # tasks is a module with a page of its own; __version__ is described in the text.
    expected = set(srnn_rs.__all__) - {"tasks", "__version__"}
    assert expected - listed == set(), "add these to docs/api.rst"
    assert listed - expected == set(), "docs/api.rst lists names that srnn_rs does not export"


@pytest.mark.parametrize(
    "module, source",
    [
        ("tasks", "tasks.py"),
        ("dask", "dask/__init__.py"),
        ("torch", "torch.py"),
        ("jax", "jax.py"),
        ("plot", "plot.py"),
    ],
)
def test_module_page_lists_every_public_name(module, source):
    listed = documented(DOCS / "api" / f"{module}.rst")[f"srnn_rs.{module}"]
    assert listed == public_functions(PACKAGE / source)


def test_readme_keeps_the_getting_started_markers():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    page = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    for marker in re.findall(r"<!-- docs-getting-started-\w+ -->", page):
        assert readme.count(marker) == 1, marker
    start = readme.index("<!-- docs-getting-started-start -->")
    end = readme.index("<!-- docs-getting-started-end -->")
    assert start < end and "## Quick start: simulation" in readme[start:end]
