"""The summary table of an :class:`InferenceResult`, as text (like
statsmodels' ``summary()``) and as a pandas DataFrame."""

from __future__ import annotations

import textwrap

import numpy as np

WIDTH = 78
INTERCEPT = "intercept"
COLUMNS = ("coef", "std err", "z", "p", "lower", "upper")


def rows(result, alpha: float):
    """``(class, term, coef, std err, z, p, lower, upper)`` per parameter,
    each class's intercept first."""
    lower, upper = result.conf_int(alpha)
    n_features = len(result.feature_names)
    for r, label in enumerate(result.classes.tolist()):
        if result.intercept is not None:
            yield (
                label,
                INTERCEPT,
                result.intercept[r],
                result.intercept_se[r],
                result.intercept_z[r],
                result.intercept_p_values[r],
                lower[r, n_features],
                upper[r, n_features],
            )
        for j, name in enumerate(result.feature_names):
            yield (
                label,
                name,
                result.coef[r, j],
                result.coef_se[r, j],
                result.coef_z[r, j],
                result.coef_p_values[r, j],
                lower[r, j],
                upper[r, j],
            )


def frame(result, alpha: float):
    """The rows as a DataFrame indexed by (class, term)."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a test dependency
        raise ImportError(
            "InferenceResult.to_frame needs pandas: pip install pandas."
        ) from None
    table = list(rows(result, alpha))
    index = pd.MultiIndex.from_tuples(
        [row[:2] for row in table], names=["class", "term"]
    )
    return pd.DataFrame([row[2:] for row in table], index=index, columns=COLUMNS)


def _number(value: float, width: int = 10) -> str:
    if not np.isfinite(value):
        return f"{value:>{width}}"
    text = f"{value:.4f}"
    if len(text) > width or (value != 0 and abs(value) < 1e-3):
        text = f"{value:.3e}"
    return f"{text:>{width}}"


def _pairs(left, right) -> list[str]:
    half = WIDTH // 2
    lines = []
    for a, b in zip(left, right, strict=True):
        cells = []
        for key, value in (a, b):
            cells.append(f"{key + ':':<22}{value:>{half - 24}}  ")
        lines.append("".join(cells).rstrip())
    return lines


def _header(result) -> list[str]:
    penalised = result.penalty_alpha > 0
    reference = "none (sum to zero)" if result.reference is None else result.reference
    left = [
        ("Model", "SoftmaxRegression"),
        ("Method", "penalised ML" if penalised else "ML"),
        ("Penalty alpha", f"{result.penalty_alpha:g}"),
        ("Covariance type", result.cov_type),
        ("Reference class", str(reference)),
        ("No. observations", f"{result.n_obs:g}"),
        ("Df model", str(result.df_model)),
    ]
    right = [
        ("Log-likelihood", f"{result.loglik:.5g}"),
        ("LL-null", f"{result.loglik_null:.5g}"),
        ("LLR p-value", f"{result.llr_pvalue:.4g}"),
        ("Pseudo R-squ.", f"{result.pseudo_r2:.4f}"),
        ("AIC", f"{result.aic:.5g}"),
        ("BIC", f"{result.bic:.5g}"),
        ("Df residuals", f"{result.df_resid:g}"),
    ]
    title = "Softmax regression (multinomial logit) results"
    return [f"{title:^{WIDTH}}", "=" * WIDTH, *_pairs(left, right)]


def text(result, alpha: float) -> str:
    """The summary as text."""
    level = 1.0 - alpha
    lines = _header(result)
    term_width = max([len(INTERCEPT), *(len(n) for n in result.feature_names)])
    term_width = min(max(term_width, 12), 24)
    bounds = (f"[{alpha / 2:g}", f"{1 - alpha / 2:g}]")
    current = None
    for row in rows(result, alpha):
        label, term = row[0], row[1]
        if label != current:
            current = label
            title = f"class={label}"
            if result.reference is not None:
                title += f" vs {result.reference}"
            lines += [
                "=" * WIDTH,
                f"{title:<{term_width}}"
                + "".join(
                    f"{name:>10}" for name in ("coef", "std err", "z", "P>|z|", *bounds)
                ),
                "-" * WIDTH,
            ]
        name = term if len(term) <= term_width else term[: term_width - 1] + "~"
        lines.append(f"{name:<{term_width}}" + "".join(_number(v) for v in row[2:]))
    lines.append("=" * WIDTH)
    notes = [f"Confidence intervals at the {level:.0%} level (Wald, normal quantiles)."]
    notes += result.notes
    for number, note in enumerate(notes, start=1):
        lines += textwrap.wrap(
            note,
            WIDTH,
            initial_indent=f"[{number}] ",
            subsequent_indent=" " * (len(str(number)) + 3),
        )
    return "\n".join(lines)
