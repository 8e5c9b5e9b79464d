"""Regression tables as journals print them, as gtsummary's ``tbl_regression`` merged by ``tbl_merge``.

:func:`regression_table` puts one block of columns per model side by side -- the ratio (HR for Cox,
OR for logistic, sHR for Fine-Gray, the second stage's for :func:`cartsie.adjust.lp_adjusted`), its
confidence interval and the p-value -- with one row per covariate (a header row and one row per level
for a categorical covariate, its reference level marked "Reference"), the n and events of each model
in the last rows, and footnotes naming the models, their CIs, the rows each left out for missing
values and the infinite estimates. The table writes itself as a DataFrame, markdown, HTML and LaTeX
(great-tables), Word (python-docx) and Excel (openpyxl); the writers are shared with Table 1
(:func:`cartsie.descriptive.table_one`) and live in :mod:`cartsie._display`, where each imports its
library when called (documented lazy heavy dependencies).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from cartsie._display import Display, Tabular
from cartsie.adjust import LpAdjusted
from cartsie.binary import Logistic
from cartsie.competing import FineGray
from cartsie.errors import InputError
from cartsie.format import format_ci, format_conf_level, format_p, format_ratio
from cartsie.survival import Cox

__all__ = ["RegressionTable", "regression_table"]

#: what a cell says for an infinite or undetermined ratio's CI
NOT_ESTIMABLE = "not estimable"

RATIO_NAMES = {"HR": "hazard ratio", "OR": "odds ratio", "sHR": "subdistribution hazard ratio"}

STATS_COLUMNS = [
    "model",
    "variable",
    "level",
    "term",
    "reference",
    "ratio",
    "ci_lower",
    "ci_upper",
    "p_value",
    "estimable",
]


@dataclass(frozen=True)
class _Model:
    """What the table needs of one fitted model."""

    kind: str  # the default title
    ratio: str  # HR, OR, sHR
    summary: pd.DataFrame  # rows of the terms that may be shown
    levels: Mapping[str, tuple]  # categorical covariate -> levels, reference first
    covariates: tuple[str, ...]
    n: int
    events: int
    n_missing: int
    conf_level: float
    method: str  # for the footnote
    ci_kind: str  # "Wald", "profile-likelihood"...
    ci_extra: str = ""  # " (robust variance)"...
    infinite: tuple[str, ...] = ()
    infinite_reason: str = ""
    title: str = field(default="", compare=False)

    def covariate_terms(self, cov: str) -> list[str]:
        if cov in self.levels:
            return [f"{cov}[{lv}]" for lv in self.levels[cov][1:]]
        return [cov]

    def shown(self) -> list[str]:
        """Covariates with at least one term in ``summary`` (not the intercept, not lp_adjusted's lp)."""
        index = set(self.summary.index)
        return [c for c in self.covariates if any(t in index for t in self.covariate_terms(c))]


def _cox(res: Cox) -> dict:
    extra = [f"{res.ties.capitalize()} ties"]
    if res.strata is not None:
        extra.append(f"stratified by {res.strata}")
    ci = ""
    if res.robust:
        ci = " (robust variance" + (f", clustered by {res.cluster})" if res.cluster else ")")
    return {
        "kind": "Cox model",
        "ratio": "HR",
        "method": f"Cox proportional-hazards model ({', '.join(extra)})",
        "ci_kind": "Wald",
        "ci_extra": ci,
        "events": res.n_events,
        "infinite_reason": "monotone likelihood",
    }


def _logistic(res: Logistic) -> dict:
    firth = res.method == "firth"
    ci = {"wald": "Wald", "profile": "profile penalised-likelihood" if firth else "profile-likelihood"}
    return {
        "kind": "Logistic model",
        "ratio": "OR",
        "method": "logistic regression" + (" (Firth's penalised likelihood)" if firth else ""),
        "ci_kind": ci[res.ci],
        "events": res.n_events,
        "infinite_reason": f"{res.separation} separation",
    }


def _fine_gray(res: FineGray) -> dict:
    return {
        "kind": "Fine-Gray model",
        "ratio": "sHR",
        "method": f"Fine-Gray subdistribution hazards model (cause {res.cause}, "
        f"{res.n_competing} competing events)",
        "ci_kind": "Wald",
        "ci_extra": " (sandwich variance, as crr)",
        "events": res.n_events,
        "infinite_reason": "monotone pseudo-likelihood",
    }


_KINDS: tuple[tuple[type, Callable[..., dict]], ...] = (
    (Cox, _cox),
    (Logistic, _logistic),
    (FineGray, _fine_gray),
)


def _fitted(res) -> tuple[dict, Any]:
    for cls, describe in _KINDS:
        if isinstance(res, cls):
            return describe(res), res
    raise InputError(
        f"regression_table(): cannot tabulate a {type(res).__name__}; give results of cartsie's cox, "
        "logistic, fine_gray or lp_adjusted."
    )


def _model(res) -> _Model:
    if isinstance(res, LpAdjusted):
        info, fit = _fitted(res.model)
        info["kind"] = f"{info['kind']}, adjusted"
        info["method"] += (
            f" of {res.score} and the linear predictor of a model on {', '.join(res.adjust_for)} "
            "(two-stage adjustment, lp_adjusted)"
        )
        summary, n, n_missing = res.summary, res.n, res.n_missing
    else:
        info, fit = _fitted(res)
        summary, n, n_missing = res.summary, res.n, res.n_missing
    design = fit.design
    return _Model(
        summary=summary,
        levels=dict(design.levels),
        covariates=tuple(design.covariates),
        n=int(n),
        n_missing=int(n_missing),
        conf_level=float(res.conf_level),
        infinite=tuple(fit.infinite_terms),
        **info,
    )


def _titled(models: list[_Model], titles: Sequence[str] | None) -> list[_Model]:
    if titles is None:
        kinds = [m.kind for m in models]
        names = [f"{k} ({kinds[: i + 1].count(k)})" if kinds.count(k) > 1 else k for i, k in enumerate(kinds)]
    else:
        names = [titles] if isinstance(titles, str) else list(titles)
        if len(names) != len(models):
            raise InputError(
                f"regression_table(): {len(names)} titles given for {len(models)} models; give one per model."
            )
    return [replace(m, title=str(t)) for m, t in zip(models, names, strict=True)]


class _Builder:
    """Collects the displayed rows, their cells per model and the numbers behind them."""

    def __init__(self, models, labels, digits, p_format, reference_label, combine_ci):
        self.models = models
        self.labels = dict(labels or {})
        self.digits, self.p_format = digits, p_format
        self.reference_label, self.combine_ci = reference_label, combine_ci
        self.width = 1 if combine_ci else 3
        self.stub: list[str] = []
        self.indent: list[int] = []
        self.cells: list[tuple[str, ...]] = []
        self.stats: list[dict] = []
        self.shown_terms: list[tuple[str, str]] = []

    def blank(self) -> list[str]:
        return [""] * self.width

    def row(self, label: str, indent: int, per_model: list[list[str]]) -> None:
        self.stub.append(label)
        self.indent.append(indent)
        self.cells.append(tuple(c for cells in per_model for c in cells))

    def estimate(self, m: _Model, variable: str, level, term: str) -> list[str]:
        s = m.summary.loc[term]
        coef, lo, hi = float(s["coef"]), float(s["ci_lower"]), float(s["ci_upper"])
        p = float(s["p_value"])
        with np.errstate(over="ignore"):
            ratio = float(np.exp(coef))
        estimable = bool(np.isfinite(coef) and np.isfinite(lo) and np.isfinite(hi))
        self.shown_terms.append((m.title, term))
        self.stats.append(
            {
                "model": m.title,
                "variable": variable,
                "level": level,
                "term": term,
                "reference": False,
                "ratio": ratio,
                "ci_lower": lo,
                "ci_upper": hi,
                "p_value": p,
                "estimable": estimable,
            }
        )
        ratio_text = format_ratio(ratio, self.digits)
        ci_text = format_ci(lo, hi, self.digits, parentheses=False) or NOT_ESTIMABLE
        p_text = self.p_format(p) if np.isfinite(p) else ""
        if self.combine_ci:
            return [f"{ratio_text} ({ci_text})".strip()]
        return [ratio_text, ci_text, p_text]

    def reference(self, m: _Model, variable: str, level) -> list[str]:
        self.stats.append(
            dict.fromkeys(STATS_COLUMNS, np.nan)
            | {"model": m.title, "variable": variable, "level": level, "term": None, "reference": True}
            | {"ratio": 1.0, "estimable": True}
        )
        return [self.reference_label, *[""] * (self.width - 1)]

    def variable(self, var: str) -> None:
        # a numeric covariate's row, or a categorical one's header row (its levels follow)
        self.row(self.labels.get(var, var), 0, [self._numeric(m, var) for m in self.models])
        levels: list = []
        for m in self.models:
            levels += [lv for lv in m.levels.get(var, ()) if lv not in levels]
        for lv in levels:
            per_model = [self._level(m, var, lv) for m in self.models]
            self.row(self.labels.get(f"{var}[{lv}]", str(lv)), 1, per_model)

    def _level(self, m: _Model, var: str, level) -> list[str]:
        term = f"{var}[{level}]"
        if level not in m.levels.get(var, ()):
            return self.blank()
        if level == m.levels[var][0]:
            return self.reference(m, var, level)
        return self.estimate(m, var, level, term) if term in m.summary.index else self.blank()

    def _numeric(self, m: _Model, var: str) -> list[str]:
        if var in m.levels or var not in m.summary.index:
            return self.blank()
        return self.estimate(m, var, None, var)

    def glance(self) -> None:
        for label, key in (("N", "n"), ("Events", "events")):
            self.row(label, 0, [[str(getattr(m, key)), *[""] * (self.width - 1)] for m in self.models])

    def columns(self) -> tuple[list[str], list[tuple[str, int, int]]]:
        cols: list[str] = []
        spans = []
        for m in self.models:
            ci = f"{format_conf_level(m.conf_level)} CI"
            block = [f"{m.ratio} ({ci})"] if self.combine_ci else [m.ratio, ci, "p"]
            spans.append((m.title, len(cols), len(cols) + len(block)))
            cols += block
        return cols, spans

    def term_label(self, m: _Model, term: str) -> str:
        for cov in m.levels:
            for lv in m.levels[cov][1:]:
                if term == f"{cov}[{lv}]":
                    return f"{self.labels.get(cov, cov)}: {self.labels.get(term, str(lv))}"
        return self.labels.get(term, term)


def _names(titles: list[str]) -> str:
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]


def _notes(b: _Builder) -> list[str]:
    models = b.models
    ratios = list(dict.fromkeys(m.ratio for m in models))
    notes = ["; ".join([*(f"{r} = {RATIO_NAMES[r]}" for r in ratios), "CI = confidence interval"]) + "."]
    for m in models:
        conf = format_conf_level(m.conf_level)
        notes.append(f"{m.title}: {m.method}; {conf} {m.ci_kind} CIs{m.ci_extra}.")
    missing: dict[tuple[int, int], list[str]] = {}
    for m in models:
        if m.n_missing:
            missing.setdefault((m.n_missing, m.n + m.n_missing), []).append(m.title)
    for (k, total), titles in missing.items():
        notes.append(f"{_names(titles)}: {k} of {total} rows left out for missing values (complete cases).")
    shown = set(b.shown_terms)
    for m in models:
        infinite = [t for t in m.infinite if (m.title, t) in shown]
        if infinite:
            names = ", ".join(b.term_label(m, t) for t in infinite)
            notes.append(
                f"{m.title}: infinite estimate ({m.infinite_reason}) for {names}; the ratio is shown as "
                f"∞ or 0 (blank when its sign is undetermined) and its CI as {NOT_ESTIMABLE}."
            )
    return notes


@dataclass(frozen=True, repr=False)
class RegressionTable(Tabular):
    """A regression table; see :func:`regression_table`.

    ``layout`` is the table as printed (see :class:`cartsie._display.Display`); ``stats`` holds the
    numbers behind its cells, one row per (model, variable, level) with columns model, variable,
    level, term, reference, ratio, ci_lower, ci_upper, p_value, estimable; ``models`` one row per
    model with title, ratio, n, events, n_missing, conf_level, method and ci. Writers: ``to_frame()``,
    ``to_markdown()``, ``to_html()``, ``to_latex()``, ``to_docx(path)``, ``to_excel(path)``.
    """

    layout: Display
    stats: pd.DataFrame
    models: pd.DataFrame

    def _display(self) -> Display:
        return self.layout

    @property
    def summary(self) -> pd.DataFrame:
        """The table as printed (:meth:`to_frame`)."""
        return self.to_frame()

    @property
    def footnotes(self) -> tuple[str, ...]:
        """The footnotes printed under the table."""
        return self.layout.notes


def _variables(models: list[_Model], include: Sequence[str] | None) -> list[str]:
    shown = list(dict.fromkeys(c for m in models for c in m.shown()))
    if include is None:
        return shown
    include = [include] if isinstance(include, str) else list(include)
    unknown = [v for v in include if v not in shown]
    if unknown:
        raise InputError(
            f"regression_table(): include names {unknown}, which no model has (covariates: {shown})."
        )
    return include


def regression_table(
    *results: Cox | Logistic | FineGray | LpAdjusted,
    labels: Mapping[str, str] | None = None,
    titles: Sequence[str] | None = None,
    include: Sequence[str] | None = None,
    title: str = "",
    digits: int = 2,
    p_format: Callable[[float], str] | None = None,
    reference_label: str = "Reference",
    combine_ci: bool = False,
) -> RegressionTable:
    """A regression table as journals print it, one block of columns per model.

    Parameters
    ----------
    *results : Cox, Logistic, FineGray or LpAdjusted
        Fitted models (:func:`cartsie.survival.cox`, :func:`cartsie.binary.logistic`,
        :func:`cartsie.competing.fine_gray`, :func:`cartsie.adjust.lp_adjusted`), shown side by side
        in this order.
    labels : dict, optional
        Display names of covariates (``{"ht_high": "HT score high"}``) and of levels, keyed by term
        (``{"stage[III-IV]": "Stage III-IV"}``); default the column name and the level.
    titles : list of str, optional
        The heading of each model's block (default its kind: "Cox model", "Logistic model",
        "Fine-Gray model", numbered when repeated).
    include : list of str, optional
        Covariates to show, in this order (default: every covariate of every model, in the order of
        the models; never the intercept, nor lp_adjusted's linear predictor).
    title : str
        Printed above the table.
    digits : int
        Decimals of the ratios and their CIs.
    p_format : callable, optional
        p-value to text (default :func:`cartsie.format.format_p`: ``.03``, ``<.001``).
    reference_label : str
        The ratio cell of a reference level (gtsummary prints "—").
    combine_ci : bool
        One cell "ratio (low-high)" per model instead of ratio, CI and p columns.

    Returns
    -------
    RegressionTable
        ``.to_frame()``, ``.to_markdown()``, ``.to_html()``, ``.to_latex()``, ``.to_docx(path)``,
        ``.to_excel(path)``; ``.stats`` (the numbers behind the cells), ``.models``, ``.footnotes``.

    Notes
    -----
    As R's ``gtsummary::tbl_regression(fit, exponentiate = TRUE)`` merged with ``tbl_merge``: each
    ratio is ``exp(coef)`` with the model's own CI (Wald, profile likelihood, robust) at its
    ``conf_level``, formatted by :func:`cartsie.format.format_ratio` and
    :func:`cartsie.format.format_ci`; p by ``p_format``. A categorical covariate (terms ``name[level]``)
    shows a header row and one row per level, the model's reference level marked ``reference_label``
    (gtsummary's "—"). The last two rows give each model's n (rows used) and events (logistic:
    outcome = 1; Fine-Gray: the cause of interest); gtsummary's ``add_glance_table(include = c(nobs,
    nevent))``. An infinite coefficient (Cox's monotone likelihood, logistic separation: the model's
    ``infinite_terms``) shows its ratio as "∞" or "0" (blank when the sign is undetermined) and its CI
    as "not estimable", with a footnote; R's coxph and glm print huge finite numbers instead.
    Footnotes name the abbreviations, each model and its CI, and the rows each model left out for
    missing values (``n_missing``).

    Examples
    --------
    >>> import pandas as pd
    >>> from cartsie.survival import cox
    >>> from cartsie.tables import regression_table
    >>> d = pd.DataFrame({
    ...     "time": [5, 8, 12, 3, 9, 15, 7, 11, 2, 14, 6, 10],
    ...     "event": [1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1],
    ...     "ht": ["low", "high", "low", "high", "low", "high", "high", "low", "high", "low", "high", "low"],
    ...     "age": [61, 55, 70, 66, 59, 48, 73, 52, 68, 57, 64, 60]})
    >>> fit = cox(d, "time", "event", ["ht", "age"], reference={"ht": "low"})
    >>> t = regression_table(fit, labels={"ht": "HT score"})
    >>> t.to_frame()
                      Cox model
      Characteristic         HR      95% CI    p
    0       HT score
    1            low  Reference
    2           high       2.69  0.45-16.11  .28
    3            age       1.11   1.01-1.23  .03
    4              N         12
    5         Events          8
    >>> t.footnotes[1]
    'Cox model: Cox proportional-hazards model (Efron ties); 95% Wald CIs.'
    >>> print(t.to_markdown().splitlines()[6])
    | - high | 2.69 | 0.45-16.11 | .28 |
    """
    if not results:
        raise InputError("regression_table(): give at least one fitted model.")
    if not isinstance(digits, int) or digits < 0:
        raise InputError(f"regression_table(): digits must be a non-negative integer, got {digits!r}.")
    models = _titled([_model(r) for r in results], titles)
    b = _Builder(models, labels, digits, p_format or format_p, reference_label, combine_ci)
    for var in _variables(models, include):
        b.variable(var)
    b.glance()
    columns, spanners = b.columns()
    layout = Display(
        stub_head="Characteristic",
        stub=tuple(b.stub),
        indent=tuple(b.indent),
        columns=tuple(columns),
        cells=tuple(b.cells),
        spanners=tuple(spanners),
        title=title,
        notes=tuple(_notes(b)),
    )
    summary = pd.DataFrame(
        [
            {
                "title": m.title,
                "ratio": m.ratio,
                "n": m.n,
                "events": m.events,
                "n_missing": m.n_missing,
                "conf_level": m.conf_level,
                "method": m.method,
                "ci": m.ci_kind,
            }
            for m in models
        ]
    )
    return RegressionTable(layout=layout, stats=pd.DataFrame(b.stats, columns=STATS_COLUMNS), models=summary)
