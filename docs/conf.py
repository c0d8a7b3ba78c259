"""Sphinx configuration of the srnn_rs documentation site (built by ``docs/build.sh``)."""

import importlib.util
import os

import matplotlib

import srnn_rs

# Gallery figures are rendered off-screen, on CI machines without a display.
matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

project = "srnn_rs"
author = "the srnn_rs developers"
copyright = "the srnn_rs developers"
release = srnn_rs.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

root_doc = "index"
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "examples/README.txt", "requirements.txt"]

# The theory pages are GitHub-flavoured Markdown; their links to each other become
# cross-references, and headings get anchors so that `page.md#section` links resolve.
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
# PyTorch's wheel is gigabytes; the docs build documents srnn_rs.torch without it.
autodoc_mock_imports = [name for name in ("torch",) if importlib.util.find_spec(name) is None]

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
}

html_theme = "pydata_sphinx_theme"
html_title = f"srnn_rs {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list = []
