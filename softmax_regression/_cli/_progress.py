"""The command line's progress bar over a fit's iterations."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from .._fit_hooks import observe_iterations


@contextmanager
def fit_progress(
    stream: TextIO | None = None, delay: float = 1.0, min_interval: float = 0.1
) -> Iterator[None]:
    """Show iteration, objective and max|grad| of the fits inside the block.

    The bar (tqdm's) appears only on a terminal and only once a fit has run
    for ``delay`` seconds, and is erased when the block ends.  Without tqdm
    (``pip install 'softmax-regression[cli]'``) or off a terminal, nothing
    is shown.

    Parameters
    ----------
    stream : file, default=None
        Where the bar goes; None means ``sys.stderr``.
    delay : float, default=1.0
        Seconds before the bar first shows.
    min_interval : float, default=0.1
        Seconds between redraws.
    """
    stream = sys.stderr if stream is None else stream
    try:
        from tqdm import tqdm
    except ImportError:
        tqdm = None
    if tqdm is None or not stream.isatty():
        yield
        return
    bar = tqdm(
        desc="fit",
        unit=" iter",
        delay=delay,
        mininterval=min_interval,
        file=stream,
        leave=False,
    )

    def show(n_iter: int, w, value: float, grad_max: float) -> None:
        bar.set_postfix_str(
            f"objective {value:.8e}, max|grad| {grad_max:.2e}", refresh=False
        )
        bar.update(n_iter - bar.n)

    try:
        with observe_iterations(show):
            yield
    finally:
        bar.close()
