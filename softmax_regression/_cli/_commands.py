"""The command line's commands (fit, predict, evaluate, summary, demo) and
:func:`main`.

Each command reads its inputs, fits or scores, writes its output and hands
the figures to :mod:`._report`, which formats every line printed.  Which
solver ran comes from the solve reports of
:func:`~softmax_regression._fit_hooks.observe_solves`, not from the
estimator's state.

User errors (missing file or column, non-numeric feature, unknown labels,
feature mismatch, existing output, bad model file) end with exit status 2 and
one line ``softmax-regression: error: ...`` on stderr; an interrupt ends
with status 130.  Outputs are written atomically and never replace an
existing file without ``--force``.  ``fit --standardize`` fits a Pipeline
of a StandardScaler and the estimator, which the model file stores and
``predict`` and ``evaluate`` apply.  ``predict`` without ``-o`` (or with
``-o -``) writes CSV to stdout, and its other lines to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import numpy as np
import scipy.sparse
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from .._estimator import SoftmaxRegression
from .._fit_hooks import SolveReport, observe_solves
from .._model_io import load_model, save_model
from ._chunked_fit import check_streamable, fit_chunked
from ._data_io import (
    DataError,
    check_known_labels,
    check_numeric,
    model_features,
    output_format,
    read_data,
    write_table,
)
from ._parsing import ESTIMATOR_OPTIONS, build_parser
from ._progress import fit_progress
from ._report import (
    FitSummary,
    demo_table,
    demo_title,
    error_line,
    evaluate_text,
    fit_text,
    interrupted_line,
    predict_text,
    summary_text,
    warning_lines,
)

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: 128 + SIGPIPE, as a shell reports a writer whose reader went away.
EXIT_BROKEN_PIPE = 141

_T = TypeVar("_T")


# -- helpers ------------------------------------------------------------------


def _check_output(path: Path | None, force: bool) -> None:
    if path is None:  # standard output
        return
    if path.is_dir():
        raise DataError(f"{path} is a directory; name the output file")
    if path.exists() and not force:
        raise DataError(f"{path} exists; pass --force to replace it")
    if not path.parent.is_dir():
        raise DataError(f"cannot write {path}: no directory {path.parent}")


@contextlib.contextmanager
def _writing(path: Path | None) -> Iterator[None]:
    """Name the output file in an operating-system error while writing it
    (a full disk, a lost permission): the partial file is already gone."""
    try:
        yield
    except (FileExistsError, BrokenPipeError):
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        where = "standard output" if path is None else path
        raise DataError(f"could not write {where}: {reason}") from exc


def _load(path: Path) -> SoftmaxRegression | Pipeline:
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


def _new_model(
    args: argparse.Namespace, sparse: bool = False
) -> SoftmaxRegression | Pipeline:
    """The estimator of ``fit``'s options; after a StandardScaler in a
    Pipeline with ``--standardize`` (scaling only, for sparse data)."""
    model = SoftmaxRegression(
        solver=args.solver, **{name: getattr(args, name) for name in ESTIMATOR_OPTIONS}
    )
    if not args.standardize:
        return model
    return make_pipeline(StandardScaler(with_mean=not sparse), model)


def _final(model: SoftmaxRegression | Pipeline) -> SoftmaxRegression:
    """The estimator itself: the last step of a standardised model."""
    return model[-1] if isinstance(model, Pipeline) else model


def _standardized(model: SoftmaxRegression | Pipeline) -> str | None:
    """How a model standardises its features, for the fit summary."""
    if not isinstance(model, Pipeline):
        return None
    return "standardised" if model[0].with_mean else "scaled (sparse: not centred)"


def _observed_fit(fit: Callable[[], _T]) -> tuple[_T, str, float]:
    """Run ``fit()`` under the progress bar; return its result, the solver
    that ran last (from the solve reports) and the seconds it took."""
    reports: list[SolveReport] = []
    start = time.perf_counter()
    with fit_progress(), observe_solves(reports.append):
        result = fit()
    seconds = time.perf_counter() - start
    return result, reports[-1].solver, seconds


# -- commands -----------------------------------------------------------------


def _fit_chunked(args: argparse.Namespace) -> None:
    if args.chunksize < 1:
        raise DataError(
            f"--chunksize must be a positive number of rows, got {args.chunksize}"
        )
    if args.test_size is not None:
        raise DataError(
            "--test-size cannot be combined with --chunksize: split the file first"
        )
    fmt = check_streamable(args.data, args.format, args.target)
    model = _new_model(args)
    summary, solver, seconds = _observed_fit(
        lambda: fit_chunked(model, args.data, fmt, args.target, args.chunksize)
    )
    save_model(model, args.output, overwrite=args.force)
    fitted = FitSummary(
        data=args.data,
        n_samples=summary["n_samples"],
        n_features=summary["n_features"],
        classes=model.classes_,
        solver=solver,
        n_iter=_final(model).n_iter_,
        seconds=seconds,
        scores=[("train", summary["accuracy"], summary["log_loss"])],
        output=args.output,
        chunksize=args.chunksize,
        standardized=_standardized(model),
    )
    print(fit_text(fitted))


def _fit(args: argparse.Namespace) -> None:
    _check_output(args.output, args.force)
    if args.chunksize is not None:
        _fit_chunked(args)
        return
    data = _labelled(read_data(args.data, target=args.target, fmt=args.format), "fit")
    check_numeric(data)
    if data.X.shape[1] == 0:
        raise DataError(f"{data.path} has no feature columns")
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
    model = _new_model(args, sparse=scipy.sparse.issparse(data.X))
    _, solver, seconds = _observed_fit(lambda: model.fit(X_train, y_train))
    with _writing(args.output):
        save_model(model, args.output, overwrite=args.force)

    sets = [("train", X_train, y_train)]
    if X_test is not None:
        sets.append(("test", X_test, y_test))
    scores = [(name, *_scores(model, X, y)[:2]) for name, X, y in sets]
    fitted = FitSummary(
        data=data.path,
        n_samples=data.X.shape[0],
        n_features=X_train.shape[1],
        classes=model.classes_,
        solver=solver,
        n_iter=_final(model).n_iter_,
        seconds=seconds,
        scores=scores,
        output=args.output,
        n_test=None if X_test is None else X_test.shape[0],
        standardized=_standardized(model),
    )
    print(fit_text(fitted))


def _predict(args: argparse.Namespace) -> None:
    _check_output(args.output, args.force)
    output_format(args.output)
    model = _load(args.model)
    data = read_data(args.data, fmt=args.format, n_features=model.n_features_in_)
    X = model_features(data, model)
    # one pass: the labels are the most probable classes
    proba = model.predict_proba(X)
    labels = model.classes_[np.argmax(proba, axis=1)]
    if not args.proba:
        proba = None
    with _writing(args.output):
        write_table(
            args.output, labels, proba, model.classes_,
            precision=args.precision, overwrite=args.force,
        )  # fmt: skip
    # with the predictions on stdout, every other line goes to stderr
    stream = sys.stderr if args.output is None else sys.stdout
    print(predict_text(X.shape[0], args.proba, args.output), file=stream)


def _model_and_labelled_data(args: argparse.Namespace, what: str):
    """The saved model, its labelled DATA and their features in its order."""
    model = _load(args.model)
    data = read_data(
        args.data, target=args.target, fmt=args.format, n_features=model.n_features_in_
    )
    _labelled(data, what)
    check_known_labels(data.y, model.classes_, data.path)
    return model, data, model_features(data, model)


def _evaluate(args: argparse.Namespace) -> None:
    from sklearn.metrics import confusion_matrix

    model, data, X = _model_and_labelled_data(args, "evaluate")
    accuracy, loss, predicted = _scores(model, X, data.y)
    labels = model.classes_
    text = evaluate_text(
        data=data.path,
        accuracy=accuracy,
        loss=loss,
        y_true=data.y,
        y_pred=predicted,
        classes=labels,
        matrix=confusion_matrix(data.y, predicted, labels=labels),
    )
    print(text)


def _summary(args: argparse.Namespace) -> None:
    from .._inference import inference

    model, data, X = _model_and_labelled_data(args, "summarise")
    estimator, standardized = model, isinstance(model, Pipeline)
    if standardized:
        estimator, X = model[-1], model[:-1].transform(X)
    result = inference(
        estimator,
        X,
        data.y,
        reference=_reference_class(args.reference, estimator.classes_),
        cov_type=args.cov_type,
    )
    names = getattr(model, "feature_names_in_", None)
    if standardized and names is not None:
        result.feature_names = [str(name) for name in names]
    text = summary_text(
        result, data=data.path, standardized=standardized, alpha=1 - args.confidence
    )
    print(text)


def _reference_class(name: str | None, classes: np.ndarray):
    """The class ``--reference`` names (labels are compared as text)."""
    if name is None:
        return None
    for label in classes:
        if str(label) == name:
            return label
    shown = ", ".join(repr(str(label)) for label in classes)
    raise DataError(f"--reference {name!r} is not a class of the model ({shown})")


def _demo(args: argparse.Namespace) -> None:
    from ._demo import run_demo

    print(demo_title())
    print(demo_table(run_demo(alpha=args.alpha, random_state=args.seed)))


_COMMANDS = {
    "fit": _fit,
    "predict": _predict,
    "evaluate": _evaluate,
    "summary": _summary,
    "demo": _demo,
}


# -- entry point --------------------------------------------------------------


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
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _COMMANDS[args.command](args)
        hint = args.command == "fit" and not args.standardize
        for line in warning_lines((w.message for w in caught), standardize=hint):
            print(line, file=sys.stderr)
    except KeyboardInterrupt:
        print(interrupted_line(), file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away (``... | head``): stop quietly, and
        # keep Python from reporting the pipe again when it flushes at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (ValueError, TypeError, OSError) as exc:
        print(error_line(exc), file=sys.stderr)
        return EXIT_USAGE
    return 0
