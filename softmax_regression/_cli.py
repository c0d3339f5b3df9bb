"""The ``softmax-regression`` command line."""

from __future__ import annotations

import argparse

from . import __version__


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="softmax-regression",
        description="Multinomial logistic (softmax) regression.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="fit on scikit-learn's digits beside LogisticRegression and compare",
    )
    demo.add_argument("--alpha", type=float, default=1e-4, help="penalty strength")
    demo.add_argument("--seed", type=int, default=0, help="train/test split seed")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        0 on success.
    """
    args = _build_parser().parse_args(argv)
    if args.command == "demo":
        from ._demo import format_rows, run_demo

        print("Digits (1,347 train / 450 test, standardised), same objective:")
        print(format_rows(run_demo(alpha=args.alpha, random_state=args.seed)))
    return 0
