"""The ``softmax-regression`` command line: fit, predict, evaluate, demo.

User errors (missing file or column, non-numeric feature, unknown labels,
feature mismatch, existing output, bad model file) end with exit status 2 and
one line ``softmax-regression: error: ...`` on stderr; an interrupt ends
with status 130.  Outputs are written atomically and never replace an
existing file without ``--force``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from . import __version__
from ._chunked_fit import check_streamable, fit_chunked
from ._data_io import (
    DataError,
    check_known_labels,
    check_numeric,
    model_features,
    read_data,
    write_table,
)
from ._estimator import SoftmaxRegression
from ._model_io import load_model, save_model
from ._progress import fit_progress
from ._solvers import SOLVERS

PROG = "softmax-regression"
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: 128 + SIGPIPE, as a shell reports a writer whose reader went away.
EXIT_BROKEN_PIPE = 141
_DEFAULTS = SoftmaxRegression().get_params()
_MAX_CLASSES_SHOWN = 20
#: fit's options that are SoftmaxRegression parameters (besides --solver).
_ESTIMATOR_OPTIONS = {
    "alpha": (float, "penalty strength"),
    "l1_ratio": (float, "elastic-net mixing, 0 = L2"),
    "max_iter": (int, "most solver iterations"),
    "tol": (float, "stop when max|gradient| <= tol"),
}


# -- arguments ----------------------------------------------------------------


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


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


def _build_parser() -> argparse.ArgumentParser:
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
        help="model file to write (see docs/model_files.rst), e.g. model.srm",
    )  # fmt: skip
    for name, (kind, text) in _ESTIMATOR_OPTIONS.items():
        fit.add_argument(
            f"--{name.replace('_', '-')}", type=kind, default=_DEFAULTS[name],
            help=f"{text} (default %(default)s)",
        )  # fmt: skip
    fit.add_argument(
        "--solver", choices=("auto", *SOLVERS), default=_DEFAULTS["solver"],
        help="optimisation algorithm (default %(default)s)",
    )  # fmt: skip
    fit.add_argument(
        "--test-size", type=_fraction, metavar="F",
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
        "-o", "--output", metavar="OUT", type=Path, required=True,
        help="predictions, one row per DATA row in order (.csv, .npz, .parquet)",
    )  # fmt: skip
    predict.add_argument(
        "--proba", action="store_true",
        help="write one probability column proba_<class> per class",
    )  # fmt: skip
    _add_force(predict)

    evaluate = commands.add_parser(
        "evaluate", help="score a saved model on labelled DATA"
    )
    evaluate.add_argument("model", metavar="MODEL", type=Path)
    _add_data(evaluate, with_target=True)

    demo = commands.add_parser(
        "demo",
        help="fit on scikit-learn's digits beside LogisticRegression and compare",
    )
    demo.add_argument("--alpha", type=float, default=1e-4, help="penalty strength")
    demo.add_argument("--seed", type=int, default=0, help="train/test split seed")
    return parser


# -- commands -----------------------------------------------------------------


def _check_output(path: Path, force: bool) -> None:
    if path.is_dir():
        raise DataError(f"{path} is a directory; name the output file")
    if path.exists() and not force:
        raise DataError(f"{path} exists; pass --force to replace it")
    if not path.parent.is_dir():
        raise DataError(f"cannot write {path}: no directory {path.parent}")


@contextlib.contextmanager
def _writing(path: Path):
    """Name the output file in an operating-system error while writing it
    (a full disk, a lost permission): the partial file is already gone."""
    try:
        yield
    except FileExistsError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise DataError(f"could not write {path}: {reason}") from exc


def _load(path: Path):
    if path.is_dir():
        raise DataError(f"MODEL {path} is a directory, not a model file")
    if not path.is_file():
        raise DataError(f"MODEL file {path} does not exist")
    return load_model(path)


def _labelled(data, what: str):
    if data.y is None:
        raise DataError(
            f"{data.path} has no labels to {what}: pass --target COLUMN (the "
            "label column of a CSV/Parquet file, or array of an npz file)"
        )
    return data


def _scores(model, X, y) -> tuple[float, float, np.ndarray]:
    """Accuracy, log loss and the predicted labels."""
    from sklearn.metrics import accuracy_score, log_loss

    proba = model.predict_proba(X)
    predicted = model.classes_[np.argmax(proba, axis=1)]
    loss = log_loss(y, proba, labels=model.classes_)
    return accuracy_score(y, predicted), loss, predicted


def _classes_text(classes: np.ndarray) -> str:
    shown = " ".join(str(c) for c in classes[:_MAX_CLASSES_SHOWN])
    more = len(classes) - _MAX_CLASSES_SHOWN
    return shown + (f" ... ({more} more)" if more > 0 else "")


def _fit_chunked(args) -> None:
    if args.chunksize < 1:
        raise DataError(
            f"--chunksize must be a positive number of rows, got {args.chunksize}"
        )
    if args.test_size is not None:
        raise DataError(
            "--test-size cannot be combined with --chunksize: split the file first"
        )
    fmt = check_streamable(args.data, args.format, args.target)
    model = SoftmaxRegression(
        solver=args.solver, **{name: getattr(args, name) for name in _ESTIMATOR_OPTIONS}
    )
    start = time.perf_counter()
    with fit_progress():
        summary = fit_chunked(model, args.data, fmt, args.target, args.chunksize)
    seconds = time.perf_counter() - start
    save_model(model, args.output, overwrite=args.force)
    print(f"data       {args.data}: {summary['n_samples']} samples in chunks of "
          f"{args.chunksize}, {summary['n_features']} features")  # fmt: skip
    print(f"classes    {len(model.classes_)}: {_classes_text(model.classes_)}")
    print(f"solver     {model._solver}, {model.n_iter_} iterations, {seconds:.2f} s")
    print(f"{'':10} {'accuracy':>9} {'log loss':>9}")
    print(f"{'train':10} {summary['accuracy']:>9.4f} {summary['log_loss']:>9.4f}")
    print(f"model      written to {args.output}")


def _fit(args) -> None:
    _check_output(args.output, args.force)
    if args.chunksize is not None:
        _fit_chunked(args)
        return
    data = _labelled(read_data(args.data, target=args.target, fmt=args.format), "fit")
    check_numeric(data)
    X_train, y_train, X_test, y_test = data.X, data.y, None, None
    if args.test_size is not None:
        from sklearn.model_selection import train_test_split

        X_train, X_test, y_train, y_test = train_test_split(
            data.X,
            data.y,
            test_size=args.test_size,
            stratify=data.y,
            random_state=args.seed,
        )
    model = SoftmaxRegression(
        solver=args.solver, **{name: getattr(args, name) for name in _ESTIMATOR_OPTIONS}
    )
    start = time.perf_counter()
    with fit_progress():
        model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    with _writing(args.output):
        save_model(model, args.output, overwrite=args.force)

    n_train, n_features = X_train.shape
    held_out = (
        f" ({n_train} train, {X_test.shape[0]} test)" if X_test is not None else ""
    )
    print(f"data       {data.path}: {data.X.shape[0]} samples{held_out}, "
          f"{n_features} features")  # fmt: skip
    print(f"classes    {len(model.classes_)}: {_classes_text(model.classes_)}")
    print(f"solver     {model._solver}, {model.n_iter_} iterations, {seconds:.2f} s")
    print(f"{'':10} {'accuracy':>9} {'log loss':>9}")
    rows = [("train", X_train, y_train)]
    if X_test is not None:
        rows.append(("test", X_test, y_test))
    for name, X, y in rows:
        accuracy, loss, _ = _scores(model, X, y)
        print(f"{name:10} {accuracy:>9.4f} {loss:>9.4f}")
    print(f"model      written to {args.output}")


def _predict(args) -> None:
    _check_output(args.output, args.force)
    model = _load(args.model)
    data = read_data(args.data, fmt=args.format, n_features=model.n_features_in_)
    X = model_features(data, model)
    if args.proba:
        proba = model.predict_proba(X)
        columns = {f"proba_{c}": proba[:, k] for k, c in enumerate(model.classes_)}
    else:
        columns = {"prediction": model.predict(X)}
    with _writing(args.output):
        write_table(args.output, columns, overwrite=args.force)
    kind = "probabilities" if args.proba else "labels"
    print(f"wrote {X.shape[0]} rows of {kind} to {args.output}")


def _confusion_text(matrix: np.ndarray, classes: np.ndarray) -> str:
    labels = [str(c) for c in classes]
    width = max(len(max(labels, key=len)), len(str(matrix.max())), 4)
    lines = ["confusion matrix (rows: true class, columns: predicted)"]
    lines.append(" " * width + " " + " ".join(f"{c:>{width}}" for c in labels))
    for label, row in zip(labels, matrix, strict=True):
        lines.append(f"{label:>{width}} " + " ".join(f"{n:>{width}d}" for n in row))
    return "\n".join(lines)


def _evaluate(args) -> None:
    from sklearn.metrics import classification_report, confusion_matrix

    model = _load(args.model)
    data = read_data(
        args.data, target=args.target, fmt=args.format, n_features=model.n_features_in_
    )
    _labelled(data, "evaluate")
    check_known_labels(data.y, model.classes_, data.path)
    X = model_features(data, model)
    accuracy, loss, predicted = _scores(model, X, data.y)
    labels = model.classes_
    print(f"data       {data.path}: {X.shape[0]} samples")
    print(f"accuracy   {accuracy:.4f}")
    print(f"log loss   {loss:.4f}")
    print()
    print(
        classification_report(
            data.y,
            predicted,
            labels=labels,
            target_names=[str(c) for c in labels],
            digits=4,
            zero_division=0,
        )
    )
    print(_confusion_text(confusion_matrix(data.y, predicted, labels=labels), labels))


def _demo(args) -> None:
    from ._demo import format_rows, run_demo

    print("Digits (1,347 train / 450 test, standardised), same objective:")
    print(format_rows(run_demo(alpha=args.alpha, random_state=args.seed)))


_COMMANDS = {"fit": _fit, "predict": _predict, "evaluate": _evaluate, "demo": _demo}


# -- entry point --------------------------------------------------------------


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _warn(caught: list[warnings.WarningMessage]) -> None:
    for message in dict.fromkeys(_one_line(w.message) for w in caught):
        print(f"{PROG}: warning: {message}", file=sys.stderr)


def _error(exc: BaseException) -> int:
    message = str(exc)
    if isinstance(exc, FileExistsError):
        message = f"{message}; pass --force to replace it"
    elif isinstance(exc, OSError) and exc.strerror and exc.filename:
        message = f"{exc.filename}: {exc.strerror}"
    print(f"{PROG}: error: {_one_line(message) or type(exc).__name__}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        0 on success, 2 on a user error (one line on stderr), 130 when
        interrupted, 141 when the reader of the output went away.
    """
    args = _build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _COMMANDS[args.command](args)
        _warn(caught)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away (``... | head``): stop quietly, and
        # keep Python from reporting the pipe again when it flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (ValueError, TypeError, OSError) as exc:
        return _error(exc)
    return 0
