"""Sphinx configuration for the softmax_regression documentation.

Build with ``make -C docs html`` from the repository root (every gallery
example run, warnings as errors) or ``make -C docs html-noplot`` (the
gallery's pages without running the examples, as CI does); both need the
``docs`` extra: ``pip install -e ".[docs]"``.  See ``docs/README.md``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Document the checkout this file lives in, installed or not.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import softmax_regression

project = "softmax_regression"
author = "softmax_regression developers"
copyright = "softmax_regression developers"
release = softmax_regression.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "README.md"]
templates_path = ["_templates"]
html_static_path = ["_static"]

html_theme = "pydata_sphinx_theme"
html_title = f"softmax_regression {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
html_sidebars = {"**": ["sidebar-nav-bs"], "index": []}

# The API reference: one stub page per public name, from its docstring.
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections say it already
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# The gallery: every examples/plot_*.py, run and turned into a page with its
# text, code, output and figures.  ``make html-noplot`` (CI) passes
# ``-D plot_gallery=0``, which writes the same pages without running the
# examples; tests/test_examples.py runs each of them in the test suite.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("softmax_regression",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"softmax_regression": None},
    "remove_config_comments": True,
    "download_all_examples": False,
}

# Intersphinx needs the network, which a build may not have: it is off
# unless SPHINX_INTERSPHINX=1 is set.
intersphinx_mapping = {}
if os.environ.get("SPHINX_INTERSPHINX") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
    }


def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_{method}_request`` methods:
    scikit-learn documents them, and their docstrings link into its own
    documentation."""
    if what == "class" and name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
