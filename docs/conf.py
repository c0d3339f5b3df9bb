"""Sphinx configuration for the softmax_regression documentation.

Build with ``python -m sphinx -b html docs docs/_build/html`` from the
repository root (or ``make -C docs html``); needs the ``docs`` extra:
``pip install -e ".[docs]"``.
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
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
]

exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path = ["_static"]

autodoc_typehints = "none"  # numpydoc's Parameters sections say it already

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

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
