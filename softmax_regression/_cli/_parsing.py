"""The command line's arguments: the argparse parser and its argument types.

:func:`build_parser` declares the commands ``fit``, ``predict``,
``evaluate`` and ``demo`` and their options; :data:`ESTIMATOR_OPTIONS`
names the options of ``fit`` that are :class:`SoftmaxRegression`
parameters (besides ``--solver``), which the commands pass on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .._estimator import SoftmaxRegression
from .._solvers import SOLVERS
from .._version import __version__
from ._report import PROG

_DEFAULTS = SoftmaxRegression().get_params()
#: fit's options that are SoftmaxRegression parameters (besides --solver):
#: name -> (type, help text).
ESTIMATOR_OPTIONS = {
    "alpha": (float, "penalty strength"),
    "l1_ratio": (float, "elastic-net mixing, 0 = L2"),
    "max_iter": (int, "most solver iterations"),
    "tol": (float, "stop when max|gradient| and the Newton decrement are <= tol"),
}


def fraction(text: str) -> float:
    """Argument type of a fraction strictly between 0 and 1.

    Parameters
    ----------
    text : str
        The argument as typed.

    Returns
    -------
    float
        Its value.

    Raises
    ------
    argparse.ArgumentTypeError
        When the value is not in (0, 1).
    """
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def positive_int(text: str) -> int:
    """Argument type of a whole number from 1 to 17 (significant digits).

    Parameters
    ----------
    text : str
        The argument as typed.

    Returns
    -------
    int
        Its value.

    Raises
    ------
    argparse.ArgumentTypeError
        When the value is not a whole number from 1 to 17.
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 17:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to 17, got {text}"
        )
    return value


def output_path(text: str) -> Path | None:
    """Argument type of an output file; ``-`` means standard output.

    Parameters
    ----------
    text : str
        The argument as typed.

    Returns
    -------
    Path or None
        The file, or None for standard output.
    """
    return None if text == "-" else Path(text)


def _add_data(parser: argparse.ArgumentParser, *, with_target: bool) -> None:
    parser.add_argument(
        "data",
        metavar="DATA",
        type=Path,
        help="CSV, Parquet (needs pyarrow), .npz (arrays X, y) or svmlight/libsvm "
        "text (.svm, .svmlight, .libsvm, optionally .gz/.bz2)",
    )
    parser.add_argument(
        "--format",
        choices=("csv", "parquet", "npz", "svmlight"),
        help="DATA's format, when its name does not tell",
    )
    if not with_target:
        return
    parser.add_argument(
        "--target",
        metavar="COLUMN",
        help="label column of a CSV/Parquet file (required there), or label "
        "array of an npz file (default y); svmlight files carry their labels",
    )


def _add_force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force", action="store_true", help="replace an existing output file"
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``softmax-regression`` and its five commands.

    Returns
    -------
    argparse.ArgumentParser
        Parses into a namespace whose ``command`` is ``"fit"``,
        ``"predict"``, ``"evaluate"``, ``"summary"`` or ``"demo"``.
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Multinomial logistic (softmax) regression.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    fit = commands.add_parser("fit", help="fit a model to DATA and save it")
    _add_data(fit, with_target=True)
    fit.add_argument(
        "-o", "--output", metavar="MODEL", type=Path, required=True,
        help="model file to write, e.g. model.srm (a safe format, described "
        "on the documentation page 'Model files and the command line')",
    )  # fmt: skip
    fit.add_argument(
        "--standardize", action="store_true",
        help="standardise each feature to mean 0, variance 1 before fitting; "
        "the mean and scale are stored in the model file and applied by "
        "predict and evaluate (sparse data are scaled, not centred)",
    )  # fmt: skip
    for name, (kind, text) in ESTIMATOR_OPTIONS.items():
        fit.add_argument(
            f"--{name.replace('_', '-')}", type=kind, default=_DEFAULTS[name],
            help=f"{text} (default %(default)s)",
        )  # fmt: skip
    fit.add_argument(
        "--solver", choices=("auto", *SOLVERS), default=_DEFAULTS["solver"],
        help="optimisation algorithm (default %(default)s)",
    )  # fmt: skip
    fit.add_argument(
        "--test-size", type=fraction, metavar="F",
        help="hold out this fraction of DATA (stratified) and report on it",
    )  # fmt: skip
    fit.add_argument("--seed", type=int, default=0, help="seed of the split")
    fit.add_argument(
        "--chunksize", type=int, metavar="N",
        help="read a CSV/Parquet DATA in chunks of N rows, for files larger "
        "than memory: with --solver sgd each of --max-iter passes streams the "
        "file through partial_fit; other solvers fit it with Dask (the dask "
        "extra; lbfgs or newton-cg)",
    )  # fmt: skip
    _add_force(fit)

    predict = commands.add_parser("predict", help="predict DATA with a saved model")
    predict.add_argument("model", metavar="MODEL", type=Path)
    _add_data(predict, with_target=False)
    predict.add_argument(
        "-o", "--output", metavar="OUT", type=output_path, default=None,
        help="predictions, one row per DATA row in order (.csv, .npz, .parquet); "
        "'-' or no -o writes CSV to standard output (messages go to stderr)",
    )  # fmt: skip
    predict.add_argument(
        "--proba", action="store_true",
        help="also write the probabilities: one column proba_<class> per class "
        "beside the predicted label (CSV, Parquet), or arrays proba "
        "(n_samples x n_classes) and classes (npz)",
    )  # fmt: skip
    predict.add_argument(
        "--precision", type=positive_int, default=6, metavar="DIGITS",
        help="significant digits of the probabilities in CSV (default "
        "%(default)s; 17 round-trips float64 exactly)",
    )  # fmt: skip
    _add_force(predict)

    evaluate = commands.add_parser(
        "evaluate", help="score a saved model on labelled DATA"
    )
    evaluate.add_argument("model", metavar="MODEL", type=Path)
    _add_data(evaluate, with_target=True)

    summary = commands.add_parser(
        "summary",
        help="standard errors, tests and fit statistics of a saved model on "
        "its labelled training DATA (a statsmodels-style table)",
    )
    summary.add_argument("model", metavar="MODEL", type=Path)
    _add_data(summary, with_target=True)
    summary.add_argument(
        "--reference", metavar="CLASS",
        help="report contrasts against this class (as statsmodels' MNLogit "
        "does against its first); default: the sum-to-zero parameters",
    )  # fmt: skip
    summary.add_argument(
        "--cov-type", choices=("nonrobust", "HC0", "HC1"), default="nonrobust",
        help="covariance: inverse information, or the sandwich (default "
        "%(default)s)",
    )  # fmt: skip
    summary.add_argument(
        "--confidence", type=fraction, default=0.95, metavar="LEVEL",
        help="level of the confidence intervals (default %(default)s)",
    )  # fmt: skip

    demo = commands.add_parser(
        "demo",
        help="fit on scikit-learn's digits beside LogisticRegression and compare",
    )
    demo.add_argument("--alpha", type=float, default=1e-4, help="penalty strength")
    demo.add_argument("--seed", type=int, default=0, help="train/test split seed")
    return parser
