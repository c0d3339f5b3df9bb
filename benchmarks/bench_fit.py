"""Time to fit, at equal accuracy: SoftmaxRegression against scikit-learn.

Run the full benchmark (hours; results appended to the markdown file, the
per-tolerance trials written to the JSON beside it)::

    python benchmarks/bench_fit.py --float32 --out benchmarks/results.md

For every data set (see ``datasets.py``) the script

1. computes a reference optimum ``f*`` of the objective of docs/user_guide.rst,
   ``F(W, b) = mean_i CE(y_i, softmax(W x_i + b)) + alpha / 2 ||W||_F^2``
   (intercept not penalised), as the smallest ``F`` reached at ``tol=1e-12``
   (each within ``--reference-cap`` seconds) by SoftmaxRegression with each
   of its solvers and by scikit-learn's
   ``LogisticRegression`` (newton-cholesky when ``n_features * n_classes <=
   5000``, else newton-cg), with ``C = 1 / (alpha * n_samples)``;
2. for each estimator (SoftmaxRegression with every solver in
   ``softmax_regression._solvers.SOLVERS``, and ``"auto"``; scikit-learn
   with lbfgs, newton-cg and newton-cholesky; sklearnex's LogisticRegression
   with lbfgs and newton-cg when ``sklearnex`` imports), finds the loosest
   ``tol`` in 1e-1, 1e-2, ..., 1e-12 whose fit has a relative objective gap
   ``(F - f*) / f* <= 1e-6`` (``--gap``; ``F`` evaluated here in float64 from ``coef_``
   and ``intercept_`` with a stable log-sum-exp), and times that fit: the
   median of ``--repeats`` child processes, each reporting the median of
   ``--fits-per-child`` fits of one process where its first fit took under
   ``--refit-below`` seconds (else that first fit's time).

The "reached" column says ``yes``, or why not: ``> cap`` (a fit ran past
``--time-cap``), ``max_iter`` (a fit used all ``--max-iter`` iterations),
``stalled`` (two tolerances stopped at the same iteration and objective: the
solver gives up before the tolerance, e.g. a failed line search),
``not reached`` (still above the gap at tol=1e-12) or ``skipped``
(newton-cholesky above ``--max-cholesky-params`` parameters, whose Hessian
would not fit in memory; also left out of the reference).  Ratios divide the
median time by the fastest float64 scikit-learn row's (and sklearnex's,
counting only fits oneDAL ran itself when there are any): below 1 is faster.
A per-tolerance record of every estimator goes to ``--json`` for
``plot_results.py``.

Short fits are timed as a process runs them after its first: a process's
first fit pays one-time costs that neither library's later fits pay
(scikit-learn's ``check_array`` asks narwhals whether X is a data frame,
and narwhals' first question reads every installed package's entry points,
8-10 ms; SoftmaxRegression finds the BLAS libraries, about 5 ms; the
allocator's first pages: on the 20,000 x 50 synthetic set 2,650 page
faults in our first fit against 450-880 in later ones, 9,980 in
scikit-learn's lbfgs against 8,300), and a forked child's first writes
copy its parent's pages.  The issue's figure is "same process, medians
of 3"; the first fit's time is kept in the JSON (``first_seconds``).

Every fit runs in a forked child process, so a fit longer than
``--time-cap`` seconds is stopped and reported as "> cap".  Each timed fit
(ours and scikit-learn's) runs inside
``threadpoolctl.threadpool_limits(--blas-threads, user_api="blas")``: numpy
and scipy each load their own OpenBLAS, whose spinning threads slow small
products about tenfold on a two-core machine when both are multi-threaded.
sklearnex computes with oneDAL/TBB, which threadpoolctl does not control; its
thread count is set with ``daal4py.daalinit(--sklearnex-threads)``, by default
equal to ``--blas-threads``.  In the child, the limit re-creates OpenBLAS's
worker threads (the fork left none), which spin for about 0.1 s; the timer
starts once they sleep (:func:`wait_for_idle_threads`), so that short fits
of either library are not timed against them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import multiprocessing
import signal
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from datasets import DENSE, LOADERS, describe, load
from machine import machine_info, markdown_header, markdown_table
from scipy.special import logsumexp
from threadpoolctl import threadpool_limits

TOLS = [10.0**-k for k in range(1, 13)]
TARGET_GAP = 1e-6
REFERENCE_TOL = 1e-12
NEWTON_CHOLESKY_MAX_PARAMS = 5000
GRACE_SECONDS = 5.0


# -- estimators --------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    """One row of the table: an estimator family, a solver and a dtype."""

    family: str  # "softmax_regression", "sklearn" or "sklearnex"
    solver: str
    float32: bool = False

    @property
    def label(self) -> str:
        return f"{self.family} {self.solver}" + (" [float32]" if self.float32 else "")


def our_solvers() -> list[str]:
    """The smooth solvers registered now (read at run time, so new solvers
    appear without editing this script), and ``"auto"`` last when the
    estimator accepts it.

    The benchmark's objective is L2: the proximal solvers (those that need
    the penalty's proximal operator, so also minimise an L1 part) and the
    stochastic ``"sgd"``, which only approaches the optimum, are left out.
    """
    from softmax_regression import SoftmaxRegression
    from softmax_regression._solvers import EXACT_SOLVERS, SOLVERS

    names = [name for name in EXACT_SOLVERS if "prox" not in SOLVERS[name].NEEDS]
    constraints = SoftmaxRegression._parameter_constraints.get("solver", [])
    accepts_auto = "auto" in SOLVERS or any(
        "auto" in getattr(constraint, "options", ()) for constraint in constraints
    )
    return [*names, "auto"] if accepts_auto else names


def make_estimator(spec: Spec, tol: float, alpha: float, n_samples: int, options):
    if spec.family == "softmax_regression":
        from softmax_regression import SoftmaxRegression

        estimator = SoftmaxRegression(
            alpha=alpha, solver=spec.solver, tol=tol, max_iter=options.max_iter
        )
        if options.n_jobs is not None and "n_jobs" in estimator.get_params():
            estimator.set_params(n_jobs=options.n_jobs)
        return estimator
    if spec.family == "sklearn":
        from sklearn.linear_model import LogisticRegression
    else:
        from sklearnex.linear_model import LogisticRegression
    # All benchmark sets are multiclass; for two classes scikit-learn's
    # matching problem would be C = 2 / (alpha * n) (see docs/user_guide.rst).
    return LogisticRegression(
        C=1.0 / (alpha * n_samples),
        solver=spec.solver,
        tol=tol,
        max_iter=options.max_iter,
    )


# -- one fit in a child process ----------------------------------------------
class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record) -> None:
        self.messages.append(record.getMessage())


def _resolved_solver(estimator) -> str | None:
    """For ``solver="auto"``: the solver it resolved to, if a private
    attribute names one."""
    from softmax_regression._solvers import SOLVERS

    for key, value in vars(estimator).items():
        if (
            key.startswith("_")
            and isinstance(value, str)
            and value in SOLVERS
            and value != "auto"
        ):
            return value
    return None


def wait_for_idle_threads(window: float = 0.05, cap: float = 2.0) -> None:
    """Return once this process's threads have stopped spinning.

    In a forked child, OpenBLAS's thread pool is gone; the first
    ``openblas_set_num_threads`` (threadpoolctl's limit) creates it again,
    and its new worker spins for about 0.1 s before it sleeps, competing
    for the two cores with the fit being timed (measured: a 0.064 s fit
    took 0.17 s of wall time and 0.27 s of CPU right after the limit, for
    scikit-learn's lbfgs as for ours).  The process is idle when it uses
    under a tenth of a core over ``window`` seconds of sleep.
    """
    deadline = time.perf_counter() + cap
    while time.perf_counter() < deadline:
        before = time.process_time()
        time.sleep(window)
        if time.process_time() - before < 0.1 * window:
            return


def _fit_child(conn, spec: Spec, tol: float, X, y, alpha: float, options) -> None:
    try:
        notes = []
        capture = _LogCapture()
        estimator = make_estimator(spec, tol, alpha, X.shape[0], options)
        if spec.family == "sklearnex":
            import daal4py

            daal4py.daalinit(options.sklearnex_threads)
            # Record (not print) whether oneDAL ran or fell back to sklearn;
            # sklearnex installs its own handler on import, so after it.
            logger = logging.getLogger("sklearnex")
            logger.handlers = [capture]
            logger.propagate = False
            logger.setLevel(logging.INFO)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with threadpool_limits(limits=options.blas_threads, user_api="blas"):
                wait_for_idle_threads()
                times = [_timed_fit(estimator, X, y)]
                while (
                    times[0] < options.refit_below
                    and len(times) < options.fits_per_child
                ):
                    estimator = make_estimator(
                        spec, tol, alpha, X.shape[0], options
                    )
                    times.append(_timed_fit(estimator, X, y))
        if any(w.category.__name__ == "ConvergenceWarning" for w in caught):
            notes.append("ConvergenceWarning")
        if any("fallback" in m for m in capture.messages):
            notes.append("fell back to sklearn")
        if spec.family == "softmax_regression" and spec.solver == "auto":
            resolved = _resolved_solver(estimator)
            if resolved:
                notes.append(f"auto -> {resolved}")
        conn.send(
            {
                "ok": True,
                "seconds": statistics.median(times),
                "first_seconds": times[0],
                "coef": np.asarray(estimator.coef_, dtype=np.float64),
                "intercept": np.asarray(estimator.intercept_, dtype=np.float64),
                "classes": np.asarray(estimator.classes_),
                "n_iter": int(np.max(estimator.n_iter_)),
                "notes": notes,
            }
        )
    except BaseException as exc:
        conn.send({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


def _timed_fit(estimator, X, y) -> float:
    """Seconds ``estimator.fit(X, y)`` takes."""
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start


@dataclass
class Fit:
    """The outcome of one child: the median of its fits' seconds, and its
    first fit's."""

    seconds: float | None = None
    first_seconds: float | None = None
    timed_out: bool = False
    error: str | None = None
    objective: float | None = None
    n_iter: int | None = None
    notes: list[str] = field(default_factory=list)


def run_fit(spec: Spec, tol: float, problem, cap: float, options) -> Fit:
    """Fit in a forked child; stop it after ``cap`` seconds."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    X = problem.X32 if spec.float32 else problem.X
    process = context.Process(
        target=_fit_child,
        args=(sender, spec, tol, X, problem.y, problem.alpha, options),
        daemon=True,
    )
    process.start()
    sender.close()
    try:
        later_fits = (options.fits_per_child - 1) * options.refit_below
        if not receiver.poll(cap + later_fits + GRACE_SECONDS):
            return Fit(timed_out=True)
        message = receiver.recv()
    except EOFError:
        message = {"ok": False, "error": f"child died (exit {process.exitcode})"}
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if not message["ok"]:
        return Fit(error=message["error"])
    if message["seconds"] > cap:
        return Fit(timed_out=True)
    return Fit(
        seconds=message["seconds"],
        first_seconds=message["first_seconds"],
        objective=problem.objective(
            message["coef"], message["intercept"], message["classes"]
        ),
        n_iter=message["n_iter"],
        notes=message["notes"],
    )


# -- the objective, evaluated here in float64 ------------------------------------
class Problem:
    """One data set and alpha: the data in both dtypes and ``F``."""

    def __init__(self, name: str, alpha: float, float32: bool) -> None:
        self.name = name
        self.alpha = alpha
        X, y = load(name)
        self.X = X.astype(np.float64, copy=False)
        self.y = y
        self.X32 = X.astype(np.float32) if float32 else None
        self.classes, self.y_index = np.unique(y, return_inverse=True)
        self.n_samples, self.n_features = X.shape
        self.n_classes = self.classes.shape[0]
        self.n_params = (self.n_features + 1) * self.n_classes

    def objective(self, coef, intercept, classes) -> float:
        """``F(W, b)``: mean cross-entropy plus ``alpha / 2 ||W||^2``."""
        if not np.array_equal(np.asarray(classes), self.classes):
            raise ValueError(f"{self.name}: unexpected classes_ {classes}")
        if coef.shape[0] == 1 and self.n_classes == 2:
            # scikit-learn's binary model as the symmetric softmax pair.
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.concatenate([-intercept / 2, intercept / 2])
        logits = self.X @ coef.T
        if sp.issparse(logits):
            logits = logits.toarray()
        logits = np.asarray(logits, dtype=np.float64) + intercept
        target = logits[np.arange(self.n_samples), self.y_index]
        cross_entropy = logsumexp(logits, axis=1) - target
        return float(np.mean(cross_entropy) + 0.5 * self.alpha * np.sum(coef**2))


# -- the benchmark -------------------------------------------------------------
def sklearnex_status() -> tuple[bool, str]:
    """Whether sklearnex is installed and fits, probed in a child process
    (oneDAL's threads are then never started in this process)."""
    if importlib.util.find_spec("sklearnex") is None:
        return False, "sklearnex: not installed"
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = version("scikit-learn-intelex")
    except PackageNotFoundError:
        release = "unknown version"

    class _Probe:
        X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
        X32 = None
        y = np.array([0, 1, 2, 0])
        alpha = 1.0

        @staticmethod
        def objective(coef, intercept, classes):
            return 0.0

    options = argparse.Namespace(max_iter=100, n_jobs=None, blas_threads=1)
    options.sklearnex_threads = 1
    fit = run_fit(Spec("sklearnex", "lbfgs"), 1e-4, _Probe, 60.0, options)
    if fit.error or fit.timed_out:
        return False, f"sklearnex: installed ({release}) but fails: {fit.error}"
    return True, f"sklearnex: scikit-learn-intelex {release}"


def estimator_specs(problem: Problem, options, with_sklearnex: bool) -> list[Spec]:
    specs = [Spec("softmax_regression", s) for s in our_solvers()]
    specs += [Spec("sklearn", s) for s in ("lbfgs", "newton-cg", "newton-cholesky")]
    if with_sklearnex:
        specs += [Spec("sklearnex", s) for s in ("lbfgs", "newton-cg")]
    if problem.X32 is not None:
        specs += [Spec(s.family, s.solver, float32=True) for s in list(specs)]
    if options.estimators:
        specs = [s for s in specs if any(p in s.label for p in options.estimators)]
    return specs


def too_big_for_cholesky(spec: Spec, problem: Problem, options) -> bool:
    """Whether a full-Hessian solver would need an over-large Hessian."""
    return (
        spec.solver == "newton-cholesky"
        and problem.n_params > options.max_cholesky_params
    )


def reference(problem: Problem, options, log) -> tuple[float, str, dict, dict]:
    """``f*``: the smallest F reached at tol=1e-12 by the reference fits."""
    n_params = problem.n_features * problem.n_classes
    sklearn_solver = (
        "newton-cholesky" if n_params <= NEWTON_CHOLESKY_MAX_PARAMS else "newton-cg"
    )
    specs = [Spec("softmax_regression", s) for s in our_solvers() if s != "auto"]
    specs.append(Spec("sklearn", sklearn_solver))
    specs = [s for s in specs if not too_big_for_cholesky(s, problem, options)]
    fits, values = {}, {}
    for spec in specs:
        fit = run_fit(spec, REFERENCE_TOL, problem, options.reference_cap, options)
        fits[spec] = fit
        if fit.objective is not None:
            values[spec.label] = fit.objective
            log(
                f"  reference {spec.label}: F = {fit.objective:.15g} "
                f"({fit.seconds:.2f} s, {fit.n_iter} iterations)"
            )
        else:
            values[spec.label] = None
            log(f"  reference {spec.label}: {fit.error or '> reference cap'}")
    found = {k: v for k, v in values.items() if v is not None}
    if not found:
        raise RuntimeError(f"{problem.name}: no reference fit finished")
    best = min(found, key=found.get)
    return found[best], best, values, fits


def sweep(spec: Spec, problem: Problem, f_star: float, cached: dict, options, log):
    """Loosest tol reaching the target gap, then its timing."""
    trials = []
    result = {"status": "not reached", "tol": None, "fit": None}
    if too_big_for_cholesky(spec, problem, options):
        log(f"  {spec.label:38s} skipped: {problem.n_params} parameters")
        result.update(status="skipped", trials=trials, seconds=[])
        result["error"] = f"> {options.max_cholesky_params} parameters"
        return result
    for tol in TOLS:
        fit = cached.get(spec) if tol == REFERENCE_TOL else None
        if fit is None or (fit.seconds is not None and fit.seconds > options.time_cap):
            fit = run_fit(spec, tol, problem, options.time_cap, options)
        if fit.timed_out or (fit.seconds or 0) > options.time_cap:
            trials.append({"tol": tol, "seconds": None, "gap": None, "timed_out": True})
            log(f"  {spec.label:38s} tol={tol:.0e}: > {options.time_cap:g} s")
            result.update(status="cap", tol=tol)
            break
        if fit.error:
            log(f"  {spec.label:38s} tol={tol:.0e}: {fit.error}")
            result.update(status="error", tol=tol, error=fit.error)
            break
        gap = (fit.objective - f_star) / abs(f_star)
        trials.append(
            {
                "tol": tol,
                "seconds": fit.seconds,
                "first_seconds": fit.first_seconds,
                "gap": gap,
                "n_iter": fit.n_iter,
                "timed_out": False,
            }
        )
        log(
            f"  {spec.label:38s} tol={tol:.0e}: {fit.seconds:8.3f} s "
            f"{fit.n_iter:6d} it  gap {gap:.2e}"
        )
        result.update(tol=tol, fit=fit, gap=gap)
        if gap <= options.gap:
            result["status"] = "reached"
            break
        if fit.n_iter >= options.max_iter:
            # Out of iterations: a tighter tol cannot get further.
            result["status"] = "max_iter"
            break
        if _stalled(trials):
            # The solver stops at the same point whatever the tol (e.g. a
            # line search that finds no decrease): tighter ones cannot help.
            result["status"] = "stalled"
            break
    times, firsts = [], []
    if result["status"] == "reached":
        times, firsts = [result["fit"].seconds], [result["fit"].first_seconds]
        for _ in range(options.repeats - 1):
            fit = run_fit(spec, result["tol"], problem, options.time_cap, options)
            times.append(options.time_cap if fit.seconds is None else fit.seconds)
            firsts.append(fit.first_seconds)
        result["median_seconds"] = statistics.median(times)
    result["seconds"] = times
    result["first_seconds"] = firsts
    result["trials"] = trials
    return result


def _same_stop(previous: dict, last: dict) -> bool:
    """Two tols stopped at the same point after some iterations (zero
    iterations twice only means both tols are above the starting gradient,
    as on sector, whose 105 classes make every gradient entry small)."""
    return (
        last["n_iter"] > 0
        and previous["n_iter"] == last["n_iter"]
        and previous["gap"] == last["gap"]
    )


def _stalled(trials: list[dict]) -> bool:
    """Three tols in a row stopped at the same point: one Newton step can
    take the gradient below two tols at once, hardly below three."""
    return len(trials) >= 3 and all(
        _same_stop(a, b) for a, b in zip(trials[-3:], trials[-2:], strict=False)
    )


def _fell_back(result: dict) -> bool:
    fit = result.get("fit")
    return bool(fit) and "fell back to sklearn" in fit.notes


def _fmt_ratio(seconds, baseline) -> str:
    if seconds is None or baseline is None:
        return "-"
    return f"{seconds / baseline:.2f}"


def table(results: dict[Spec, dict], options) -> str:
    def best(family, accelerated_only=False):
        times = [
            r["median_seconds"]
            for s, r in results.items()
            if s.family == family
            and not s.float32
            and r["status"] == "reached"
            and not (accelerated_only and _fell_back(r))
        ]
        return min(times) if times else None

    # sklearnex's baseline is its fastest fit that oneDAL ran itself, when
    # there is one: a fit that fell back to scikit-learn is scikit-learn's.
    sklearn_best = best("sklearn")
    sklearnex_best = best("sklearnex", accelerated_only=True) or best("sklearnex")
    with_sklearnex = any(s.family == "sklearnex" for s in results)
    header = ["estimator", "tol", "median s", "first fit s", "iters", "gap"]
    header.append("reached")
    header += ["/ best sklearn"] + (["/ best sklearnex"] if with_sklearnex else [])
    with_float32 = any(s.float32 for s in results)
    header += ["float64 / float32"] if with_float32 else []
    header.append("notes")
    float64_seconds = {
        (s.family, s.solver): r.get("median_seconds")
        for s, r in results.items()
        if not s.float32 and r["status"] == "reached"
    }
    rows = []
    for spec, r in results.items():
        fit = r.get("fit")
        seconds = r.get("median_seconds")
        if r["status"] == "cap":
            shown = f"> {options.time_cap:g}"
        elif seconds is not None:
            shown = f"{seconds:.3f}"
        else:
            shown = "-"
        gap = r.get("gap")
        notes = list(fit.notes) if fit else []
        if r["status"] == "cap" and fit:
            # fit and gap belong to the last tol that finished, not the row's.
            finished = r["trials"][-2]
            notes.insert(
                0,
                f"last finished: tol {finished['tol']:.0e}, "
                f"{finished['seconds']:.3g} s, gap {finished['gap']:.1e}",
            )
            fit, gap = None, None
        firsts = [t for t in r.get("first_seconds") or [] if t is not None]
        row = [
            spec.label,
            f"{r['tol']:.0e}" if r["tol"] else "-",
            shown,
            f"{statistics.median(firsts):.3f}" if firsts else "-",
            str(fit.n_iter) if fit else "-",
            f"{gap:.1e}" if gap is not None else "-",
            {"reached": "yes", "cap": "> cap"}.get(r["status"], r["status"]),
            _fmt_ratio(seconds, sklearn_best),
        ]
        if with_sklearnex:
            row.append(_fmt_ratio(seconds, sklearnex_best))
        if with_float32:
            # the float32 speed-up: the same estimator's float64 time over this
            row.append(
                _fmt_ratio(float64_seconds.get((spec.family, spec.solver)), seconds)
                if spec.float32 and r["status"] == "reached"
                else "-"
            )
        if r.get("error"):
            notes.append(r["error"][:80])
        row.append("; ".join(notes))
        rows.append(row)
    return markdown_table(header, rows)


def _to_json(spec: Spec, r: dict) -> dict:
    fit = r.get("fit")
    return {
        "family": spec.family,
        "solver": spec.solver,
        "float32": spec.float32,
        "status": r["status"],
        "tol": r["tol"],
        "median_seconds": r.get("median_seconds"),
        "seconds": r.get("seconds"),
        "first_seconds": r.get("first_seconds"),
        "n_iter": fit.n_iter if fit else None,
        "gap": r.get("gap"),
        "notes": list(fit.notes) if fit else [],
        "error": r.get("error"),
        "trials": r["trials"],
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--datasets", nargs="+", choices=list(LOADERS), default=list(LOADERS)
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="child processes per timing"
    )
    parser.add_argument(
        "--fits-per-child",
        type=int,
        default=3,
        help="fits timed in one child process (their median is its time) "
        "where the first takes under --refit-below seconds",
    )
    parser.add_argument("--refit-below", type=float, default=5.0)
    parser.add_argument(
        "--f-star",
        type=float,
        help="the reference optimum, from an earlier run (skips the reference fits)",
    )
    parser.add_argument(
        "--gap",
        type=float,
        default=TARGET_GAP,
        help="target relative objective gap (1e-4 for the float32 comparison)",
    )
    parser.add_argument("--alpha", type=float, default=1e-4)
    parser.add_argument(
        "--float32", action="store_true", help="add float32 rows for dense sets"
    )
    parser.add_argument(
        "--time-cap", type=float, default=120.0, help="seconds per single fit"
    )
    parser.add_argument(
        "--reference-cap",
        type=float,
        default=900.0,
        help="seconds per reference fit (tol=1e-12)",
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=100_000,
        help="large, so that the time cap is what stops a slow solver",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS threads of numpy's and scipy's OpenBLAS during every fit",
    )
    parser.add_argument(
        "--sklearnex-threads",
        type=int,
        default=None,
        help="oneDAL threads for sklearnex (default: --blas-threads)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="SoftmaxRegression's n_jobs, where it has that parameter",
    )
    parser.add_argument(
        "--max-cholesky-params",
        type=int,
        default=20_000,
        help="skip newton-cholesky above this many parameters (its Hessian "
        "is their square)",
    )
    parser.add_argument("--no-sklearnex", action="store_true")
    parser.add_argument(
        "--estimators",
        nargs="+",
        default=None,
        help="keep only rows whose label contains one of these strings",
    )
    parser.add_argument("--out", type=Path, help="markdown file to append to")
    parser.add_argument(
        "--json",
        type=Path,
        help="JSON of every trial (default: --out with suffix .json)",
    )
    options = parser.parse_args(argv)
    if options.sklearnex_threads is None:
        options.sklearnex_threads = options.blas_threads
    if options.json is None and options.out is not None:
        options.json = options.out.with_suffix(".json")
    return options


def main(argv=None) -> None:
    options = parse_args(argv)
    # On SIGTERM, exit through the finally blocks that stop the running child.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    def log(message: str) -> None:
        print(message, flush=True)

    info = machine_info()
    with_sklearnex, sklearnex_line = (
        (False, "sklearnex: skipped (--no-sklearnex)")
        if options.no_sklearnex
        else sklearnex_status()
    )
    settings = [
        f"objective: mean CE + alpha/2 ||W||^2, alpha = {options.alpha:g}; "
        f"scikit-learn C = 1 / (alpha * n_samples)",
        f"target: relative gap (F - f*) / f* <= {options.gap:g}, loosest tol in "
        "1e-1 ... 1e-12; f* = best F at tol=1e-12",
        f"time: median of {options.repeats} child processes, each the median "
        f"of {options.fits_per_child} fits where its first took under "
        f"{options.refit_below:g} s; cap {options.time_cap:g} s per fit; "
        f"max_iter {options.max_iter}",
        f"every fit inside threadpool_limits({options.blas_threads}, "
        f'user_api="blas"); sklearnex with {options.sklearnex_threads} '
        "oneDAL thread(s)",
        "ratios: median seconds / the fastest float64 scikit-learn (or "
        "sklearnex) solver's; below 1 is faster",
        sklearnex_line,
    ]
    header = markdown_header(info, "bench_fit", settings)
    print(header)
    if options.out:
        options.out.parent.mkdir(parents=True, exist_ok=True)
        with options.out.open("a") as f:
            f.write("\n" + header + "\n")

    all_json = {}
    if options.json and options.json.exists():
        all_json = json.loads(options.json.read_text())
    all_json.setdefault("datasets", {})

    # Keep this process's own BLAS single-threaded too, so its idle threads
    # never compete with the child that is being timed.
    with threadpool_limits(limits=options.blas_threads, user_api="blas"):
        for name in options.datasets:
            problem = Problem(name, options.alpha, options.float32 and name in DENSE)
            X, y = load(name)
            title = f"### {name}: {describe(X, y)}"
            log(title)
            if options.f_star is not None:  # known from an earlier run
                f_star, f_star_from = options.f_star, "--f-star"
                reference_values, cached = {}, {}
            else:
                f_star, f_star_from, reference_values, cached = reference(
                    problem, options, log
                )
            log(f"  f* = {f_star:.15g} (from {f_star_from})")
            results = {}
            for spec in estimator_specs(problem, options, with_sklearnex):
                results[spec] = sweep(spec, problem, f_star, cached, options, log)
            text = table(results, options)
            references = ", ".join(
                f"{label} {value:.15g}" if value is not None else f"{label} -"
                for label, value in reference_values.items()
            )
            section = (
                f"{title}\n\nf* = {f_star:.15g} (from {f_star_from}; "
                f"F at tol=1e-12: {references})\n\n{text}"
            )
            print("\n" + section, flush=True)
            if options.out:
                with options.out.open("a") as f:
                    f.write(section + "\n")
            if options.json:
                all_json["datasets"][name] = {
                    "description": describe(X, y),
                    "alpha": options.alpha,
                    "f_star": f_star,
                    "f_star_from": f_star_from,
                    "reference": reference_values,
                    "target_gap": options.gap,
                    "time_cap": options.time_cap,
                    "repeats": options.repeats,
                    "blas_threads": options.blas_threads,
                    "machine": info,
                    "sklearnex": sklearnex_line,
                    "estimators": {s.label: _to_json(s, r) for s, r in results.items()},
                }
                options.json.parent.mkdir(parents=True, exist_ok=True)
                options.json.write_text(json.dumps(all_json, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
