"""Test-wide settings, and the bundled data sets as fixtures.

``SCIPY_ARRAY_API=1`` must be set before scipy is imported for scikit-learn's
``check_array_api_input`` to run instead of skipping.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

# scipy is imported from here on: the setting above must come first
import pytest
from _datasets import (
    load_digits_data,
    load_iris_data,
    load_wine_data,
    load_wine_frame,
)

# Each data set is loaded once per session (``_datasets`` caches it); every
# fixture hands a test its own copies, so a test may modify them freely.


@pytest.fixture
def iris():
    """Iris as ``(X, y)``: 150 x 4 float64 features, labels 0, 1, 2."""
    return load_iris_data()


@pytest.fixture
def iris_scaled():
    """Iris as ``(X, y)`` with standardised features (``StandardScaler``)."""
    return load_iris_data(scaled=True)


@pytest.fixture
def wine():
    """Wine as ``(X, y)``: 178 x 13 raw float64 features (scales from about
    0.1 to 1000), labels 0, 1, 2."""
    return load_wine_data()


@pytest.fixture
def wine_scaled():
    """Wine as ``(X, y)`` with standardised features (``StandardScaler``)."""
    return load_wine_data(scaled=True)


@pytest.fixture
def wine_frame():
    """Wine as ``(X, y)``: the raw features as a pandas DataFrame with the
    feature names and the labels as the Series ``target``."""
    return load_wine_frame()


@pytest.fixture
def digits():
    """Digits as ``(X, y)``: 1797 x 64 float64 pixels in 0..16, labels 0-9."""
    return load_digits_data()
