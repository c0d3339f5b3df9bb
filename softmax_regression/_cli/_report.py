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


def classes_text(classes: np.ndarray) -> str:
    """The classes, space-separated, the first 20 and a count of the rest.

    Parameters
    ----------
    classes : ndarray
        A model's classes.

    Returns
    -------
    str
        E.g. ``"barbera barolo grignolino"``.
    """
    shown = " ".join(str(c) for c in classes[:_MAX_CLASSES_SHOWN])
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
        f"{s.n_features} features",
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


def predict_text(n_rows: int, proba: bool, output: Path) -> str:
    """The line ``predict`` prints.

    Parameters
    ----------
    n_rows : int
        Rows predicted.
    proba : bool
        Whether probabilities (else labels) were written.
    output : Path
        The file written.

    Returns
    -------
    str
        E.g. ``"wrote 178 rows of labels to p.csv"``.
    """
    kind = "probabilities" if proba else "labels"
    return f"wrote {n_rows} rows of {kind} to {output}"


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


def demo_title() -> str:
    """The line ``demo`` prints before it fits.

    Returns
    -------
    str
        What the demo fits, and on what.
    """
    return "Digits (1,347 train / 450 test, standardised), same objective:"


def demo_table(rows: Iterable[dict]) -> str:
    """The table ``demo`` prints once it has fitted.

    Parameters
    ----------
    rows : iterable of dict
        One row per model, as :func:`._demo.run_demo` returns them: model,
        accuracy, log_loss, fit_seconds, n_iter.

    Returns
    -------
    str
        The header and one line per model.
    """
    lines = [
        f"{'model':<28} {'accuracy':>9} {'log loss':>9} {'fit (s)':>9} {'iters':>6}"
    ]
    for row in rows:
        lines.append(
            f"{row['model']:<28} {row['accuracy']:>9.4f} {row['log_loss']:>9.4f} "
            f"{row['fit_seconds']:>9.3f} {row['n_iter']:>6d}"
        )
    return "\n".join(lines)


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


def warning_lines(messages: Iterable[object]) -> list[str]:
    """One stderr line per distinct warning message, in order.

    Parameters
    ----------
    messages : iterable
        The warnings' messages (``Warning`` instances or text).

    Returns
    -------
    list of str
        ``"softmax-regression: warning: ..."``, each message on one line.
    """
    distinct = dict.fromkeys(_one_line(message) for message in messages)
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
