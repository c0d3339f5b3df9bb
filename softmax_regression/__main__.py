"""``python -m softmax_regression``: the command line."""

from ._cli import main

raise SystemExit(main())
