"""Every line the command line prints, formatted.

The commands (:mod:`._commands`) compute: they fit, score and write files,
and hand the figures here.  This module turns them into text: the summaries
of ``fit``, ``predict`` and ``evaluate`` (with the classification report
and the confusion matrix), the table of ``demo``, and the ``warning``,
``error`` and ``interrupted`` lines on stderr.  A new output format (JSON,
say) belongs here and nowhere else.

Each function returns the text (without a final newline) and prints
nothing; the commands print it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The program's name, which starts every line on stderr.
PROG = "softmax-regression"
_MAX_CLASSES_SHOWN = 20
#: Width of the labels on the left of the fit and evaluate summaries.
_LABEL = 10


@dataclass(frozen=True)
class FitSummary:
    """What ``fit`` did, for :func:`fit_text`.

    Attributes
    ----------
    data : Path
        The DATA file.
    n_samples : int
        Its rows, held-out ones included.
    n_features : int
        Its feature columns.
    classes : ndarray
        The model's classes.
    solver : str
        The solver that ran (never ``"auto"``).
    n_iter : int
        The model's ``n_iter_``.
    seconds : float
        Wall-clock seconds of the fit.
    scores : sequence of (str, float, float)
        ``(rows, accuracy, log loss)`` per scored set, e.g. ``"train"``.
    output : Path
        The model file written.
    chunksize : int or None, default=None
        Rows per chunk of a chunked fit; None for a fit in memory.
    n_test : int or None, default=None
        Rows held out by ``--test-size``; None when none were.
    standardized : str or None, default=None
        How ``--standardize`` transformed the features (``"standardised"``);
        None without it.
    """

    data: Path
    n_samples: int
    n_features: int
    classes: np.ndarray
    solver: str
    n_iter: int
    seconds: float
    scores: Sequence[tuple[str, float, float]]
    output: Path
    chunksize: int | None = None
    n_test: int | None = None
    standardized: str | None = None


def classes_text(classes: np.ndarray) -> str:
    """The classes, as Python writes them (strings quoted, so a label with
    spaces reads as one), the first 20 and a count of the rest.

    Parameters
    ----------
    classes : ndarray
        A model's classes.

    Returns
    -------
    str
        E.g. ``"'barbera', 'barolo', 'grignolino'"`` or ``"0, 1, 2"``.
    """
    shown = ", ".join(repr(c) for c in classes[:_MAX_CLASSES_SHOWN].tolist())
    more = len(classes) - _MAX_CLASSES_SHOWN
    return shown + (f" ... ({more} more)" if more > 0 else "")


def fit_text(summary: FitSummary) -> str:
    """The summary ``fit`` prints: data, classes, solver, scores, model file.

    Parameters
    ----------
    summary : FitSummary
        What the fit did.

    Returns
    -------
    str
        One line each for the data, the classes and the solver, a table of
        accuracy and log loss per scored set, and the model file written.
    """
    s = summary
    if s.chunksize is not None:
        rows = f" in chunks of {s.chunksize}"
    elif s.n_test is not None:
        rows = f" ({s.n_samples - s.n_test} train, {s.n_test} test)"
    else:
        rows = ""
    lines = [
        f"{'data':{_LABEL}} {s.data}: {s.n_samples} samples{rows}, "
        f"{s.n_features} features"
        + (f", {s.standardized}" if s.standardized else ""),
        f"{'classes':{_LABEL}} {len(s.classes)}: {classes_text(s.classes)}",
        f"{'solver':{_LABEL}} {s.solver}, {s.n_iter} iterations, {s.seconds:.2f} s",
        f"{'':{_LABEL}} {'accuracy':>9} {'log loss':>9}",
    ]
    lines += [
        f"{name:{_LABEL}} {accuracy:>9.4f} {loss:>9.4f}"
        for name, accuracy, loss in s.scores
    ]
    lines.append(f"{'model':{_LABEL}} written to {s.output}")
    return "\n".join(lines)


def predict_text(n_rows: int, proba: bool, output: Path | None) -> str:
    """The line ``predict`` prints.

    Parameters
    ----------
    n_rows : int
        Rows predicted.
    proba : bool
        Whether probabilities were written beside the labels.
    output : Path or None
        The file written; None for standard output.

    Returns
    -------
    str
        E.g. ``"wrote 178 rows of labels to p.csv"``.
    """
    kind = "labels and probabilities" if proba else "labels"
    where = "standard output" if output is None else output
    return f"wrote {n_rows} rows of {kind} to {where}"


def confusion_text(matrix: np.ndarray, classes: np.ndarray) -> str:
    """A confusion matrix as a table headed by the class labels.

    Parameters
    ----------
    matrix : ndarray of shape (n_classes, n_classes)
        Counts, rows the true class and columns the predicted one.
    classes : ndarray of shape (n_classes,)
        The labels, in the matrix's order.

    Returns
    -------
    str
        A title line, a header line and one line per true class.
    """
    labels = [str(c) for c in classes]
    width = max(len(max(labels, key=len)), len(str(matrix.max())), 4)
    lines = ["confusion matrix (rows: true class, columns: predicted)"]
    lines.append(" " * width + " " + " ".join(f"{c:>{width}}" for c in labels))
    for label, row in zip(labels, matrix, strict=True):
        lines.append(f"{label:>{width}} " + " ".join(f"{n:>{width}d}" for n in row))
    return "\n".join(lines)


def evaluate_text(
    *,
    data: Path,
    accuracy: float,
    loss: float,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    classes: np.ndarray,
    matrix: np.ndarray,
) -> str:
    """The report ``evaluate`` prints.

    Parameters
    ----------
    data : Path
        The DATA file scored.
    accuracy : float
        Accuracy on it.
    loss : float
        Log loss on it.
    y_true : ndarray of shape (n_samples,)
        Its labels.
    y_pred : ndarray of shape (n_samples,)
        The model's predictions.
    classes : ndarray of shape (n_classes,)
        The model's classes, the order of the reports' rows.
    matrix : ndarray of shape (n_classes, n_classes)
        The confusion matrix over ``classes``.

    Returns
    -------
    str
        The data, accuracy and log loss lines, scikit-learn's
        classification report (per-class precision, recall, F1, support)
        and the confusion matrix.
    """
    from sklearn.metrics import classification_report

    report = classification_report(
        y_true,
        y_pred,
        labels=classes,
        target_names=[str(c) for c in classes],
        digits=4,
        zero_division=0,
    )
    return "\n".join(
        [
            f"{'data':{_LABEL}} {data}: {len(y_true)} samples",
            f"{'accuracy':{_LABEL}} {accuracy:.4f}",
            f"{'log loss':{_LABEL}} {loss:.4f}",
            "",
            report,
            confusion_text(matrix, classes),
        ]
    )


@dataclass(frozen=True)
class DemoSummary:
    """What ``demo`` measured, for :func:`demo_table`.

    Attributes
    ----------
    n_train, n_test, n_features, n_classes : int
        The digits split's sizes.
    alpha : float
        The penalty strength; ``C`` is LogisticRegression's equivalent.
    C : float
        ``1 / (alpha * n_train)``.
    reference : str
        The estimator that computed the reference optimum.
    f_star : float
        The reference objective ``F*``.
    target_gap : float
        The relative objective gap each timed fit was to reach.
    repeats : int
        Fits timed per library (the median is shown).
    blas : str
        The BLAS libraries loaded, with their versions.
    rows : sequence of dict
        One per library: model, solver, tol, n_iter, gap, reached,
        fit_seconds, accuracy, log_loss.
    """

    n_train: int
    n_test: int
    n_features: int
    n_classes: int
    alpha: float
    C: float
    reference: str
    f_star: float
    target_gap: float
    repeats: int
    blas: str
    rows: Sequence[dict]


def demo_title() -> str:
    """The line ``demo`` prints before it fits.

    Returns
    -------
    str
        What the demo fits, and on what.
    """
    return (
        "Digits, standardised: SoftmaxRegression beside scikit-learn's "
        "LogisticRegression on the same objective"
    )


def demo_table(summary: DemoSummary) -> str:
    """The set-up and the table ``demo`` prints once it has fitted.

    Parameters
    ----------
    summary : DemoSummary
        As :func:`._demo.run_demo` returns it.

    Returns
    -------
    str
        The data, the objective and its reference optimum, how the fits
        were matched and timed, the threads, then one line per library.
    """
    s = summary
    lines = [
        f"data       {s.n_train} train / {s.n_test} test samples, "
        f"{s.n_features} features, {s.n_classes} classes",
        f"objective  F = mean cross-entropy + alpha/2 ||W||^2, alpha = {s.alpha:g} "
        f"(LogisticRegression C = {s.C:.4g})",
        f"reference  F* = {s.f_star:.10f} from {s.reference}",
        f"matched    each library at its loosest tol reaching (F - F*)/F* <= "
        f"{s.target_gap:.0e}",
        f"timed      median of {s.repeats} fits, BLAS and OpenMP limited to one "
        "thread (threadpoolctl)",
        f"BLAS       {s.blas}",
        "",
        f"{'model':<27} {'solver':<16} {'tol':>7} {'iters':>5} {'(F-F*)/F*':>9} "
        f"{'fit (s)':>8} {'accuracy':>8} {'log loss':>8}",
    ]
    for row in s.rows:
        gap = f"{row['gap']:.1e}" + ("" if row["reached"] else "!")
        lines.append(
            f"{row['model']:<27} {row['solver']:<16} {row['tol']:>7.0e} "
            f"{row['n_iter']:>5d} {gap:>9} {row['fit_seconds']:>8.3f} "
            f"{row['accuracy']:>8.4f} {row['log_loss']:>8.4f}"
        )
    if not all(row["reached"] for row in s.rows):
        lines.append(
            f"! did not reach {s.target_gap:.0e} at the tightest tol tried: "
            "its time is not comparable"
        )
    return "\n".join(lines)


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


def warning_lines(messages: Iterable[object], standardize: bool = False) -> list[str]:
    """One stderr line per distinct warning message, in order.

    Parameters
    ----------
    messages : iterable
        The warnings' messages (``Warning`` instances or text).
    standardize : bool, default=False
        Whether a message advising to scale the features should name
        ``fit --standardize`` (a fit without it).

    Returns
    -------
    list of str
        ``"softmax-regression: warning: ..."``, each message on one line.
    """
    lines = (_one_line(message) for message in messages)
    if standardize:
        lines = (
            f"{line} On the command line: fit --standardize."
            if "scale the features" in line
            else line
            for line in lines
        )
    distinct = dict.fromkeys(lines)
    return [f"{PROG}: warning: {message}" for message in distinct]


def error_line(exc: BaseException) -> str:
    """The one stderr line for a user error.

    Parameters
    ----------
    exc : BaseException
        The error; an existing output file is told to pass ``--force``, an
        operating-system error names its file.

    Returns
    -------
    str
        ``"softmax-regression: error: ..."`` on one line.
    """
    message = str(exc)
    if isinstance(exc, FileExistsError):
        message = f"{message}; pass --force to replace it"
    elif isinstance(exc, OSError) and exc.strerror and exc.filename:
        message = f"{exc.filename}: {exc.strerror}"
    return f"{PROG}: error: {_one_line(message) or type(exc).__name__}"


def interrupted_line() -> str:
    """The stderr line for an interrupt (Ctrl-C).

    Returns
    -------
    str
        ``"softmax-regression: interrupted"``.
    """
    return f"{PROG}: interrupted"


def summary_text(result, *, data: Path, standardized: bool, alpha: float) -> str:
    """The report ``summary`` prints: the data, then the inference table.

    Parameters
    ----------
    result : InferenceResult
        From :func:`~softmax_regression.inference`.
    data : Path
        The DATA file.
    standardized : bool
        Whether the model standardises its features (``fit --standardize``):
        its coefficients are then per standard deviation.
    alpha : float
        1 - the confidence level.

    Returns
    -------
    str
    """
    lines = [f"data       {data}"]
    if standardized:
        lines.append(
            "features   standardised by the model (fit --standardize): "
            "coefficients per standard deviation"
        )
    return "\n".join([*lines, "", result.summary(alpha=alpha)])
