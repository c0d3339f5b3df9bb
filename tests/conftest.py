"""Test-wide settings.

``SCIPY_ARRAY_API=1`` must be set before scipy is imported for scikit-learn's
``check_array_api_input`` to run instead of skipping.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")
