"""Regression tables as journals print them, as gtsummary's ``tbl_regression`` merged by ``tbl_merge``.

:func:`regression_table` puts one block of columns per model side by side -- the ratio (HR for Cox,
OR for logistic, sHR for Fine-Gray, the second stage's for :func:`cartsie.adjust.lp_adjusted`), its
confidence interval and the p-value -- with one row per covariate (a header row and one row per level
for a categorical covariate, its reference level marked "Reference"), the n and events of each model
in the last rows, and footnotes naming the models, their CIs, the rows each left out for missing
values and the infinite estimates. With ``first_stage=True`` an lp_adjusted block also shows the
rows of its first stage (the linear-predictor model), as the paper's supplementary tables. The
numbers behind every cell are in ``.stats`` and, one row per model and term, ``.tidy()``. The table
writes itself as a DataFrame, markdown, HTML and LaTeX (great-tables), Word (python-docx) and Excel
(openpyxl); the writers are shared with Table 1 (:func:`cartsie.descriptive.table_one`) and live in
:mod:`cartsie._display`, where each imports its library when called (documented lazy heavy
dependencies); what the table needs of each kind of model is read in :mod:`cartsie._table_models`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._display import Display, Tabular
from cartsie._table_models import RATIO_COLUMNS, STAGE_MODELS, TableModel, table_models
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
    "label",
    "stage",
    "measure",
    "reference",
    "ratio",
    "ci_lower",
    "ci_upper",
    "p_value",
    "estimable",
    "n",
    "events",
]

#: the columns of RegressionTable.tidy(), one row per (model, term)
TIDY_COLUMNS = [
    "model",
    "term",
    "label",
    "estimate",
    "ci_lower",
    "ci_upper",
    "p_value",
    "n",
    "events",
    "reference",
    "measure",
    "variable",
    "level",
    "stage",
    "estimable",
]


class _Builder:
    """Collects the displayed rows, their cells per model and the numbers behind them."""

    def __init__(
        self,
        models: list[TableModel],
        labels: Mapping[str, str] | None,
        digits: int,
        p_format: Callable[[float], str],
        reference_label: str,
        combine_ci: bool,
    ) -> None:
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

    def record(self, m: TableModel, variable: str, level, term: str, **numbers) -> None:
        """One row of ``stats``: the numbers behind a displayed cell, and where they come from."""
        self.stats.append(
            {
                "model": m.title,
                "variable": variable,
                "level": level,
                "term": term,
                "label": self.label(variable, level),
                "stage": m.stage(term) if not numbers.get("reference") else m.variable_stage(variable),
                "measure": m.ratio,
                "reference": False,
                "n": m.n,
                "events": m.events,
                **numbers,
            }
        )

    def estimate(self, m: TableModel, variable: str, level, term: str) -> list[str]:
        s = m.summary.loc[term]
        coef, lo, hi = float(s["coef"]), float(s["ci_lower"]), float(s["ci_upper"])
        p = float(s["p_value"])
        column = RATIO_COLUMNS[m.ratio]
        if column in s.index:  # the model's own exp(coef), so that the table's numbers are its numbers
            ratio = float(s[column])
        else:  # pragma: no cover - every model prints its ratio
            with np.errstate(over="ignore"):
                ratio = float(np.exp(coef))
        estimable = bool(np.isfinite(coef) and np.isfinite(lo) and np.isfinite(hi))
        self.shown_terms.append((m.title, term))
        self.record(
            m, variable, level, term, ratio=ratio, ci_lower=lo, ci_upper=hi, p_value=p, estimable=estimable
        )
        ratio_text = format_ratio(ratio, self.digits)
        ci_text = format_ci(lo, hi, self.digits, parentheses=False) or NOT_ESTIMABLE
        p_text = self.p_format(p) if np.isfinite(p) else ""
        if self.combine_ci:
            return [f"{ratio_text} ({ci_text})".strip()]
        return [ratio_text, ci_text, p_text]

    def reference(self, m: TableModel, variable: str, level) -> list[str]:
        nan = np.nan
        term = f"{variable}[{level}]"
        self.record(
            m,
            variable,
            level,
            term,
            reference=True,
            ratio=1.0,
            ci_lower=nan,
            ci_upper=nan,
            p_value=nan,
            estimable=True,
        )
        return [self.reference_label, *[""] * (self.width - 1)]

    def label(self, variable: str, level=None) -> str:
        """A term's display name: the covariate's label, ``"label: level label"`` for a level."""
        name = self.labels.get(variable, variable)
        if level is None:
            return name
        return f"{name}: {self.labels.get(f'{variable}[{level}]', str(level))}"

    def variable(self, var: str) -> None:
        # a numeric covariate's row, or a categorical one's header row (its levels follow)
        self.row(self.labels.get(var, var), 0, [self._numeric(m, var) for m in self.models])
        levels: list = []
        for m in self.models:
            levels += [lv for lv in m.levels.get(var, ()) if lv not in levels]
        for lv in levels:
            per_model = [self._level(m, var, lv) for m in self.models]
            self.row(self.labels.get(f"{var}[{lv}]", str(lv)), 1, per_model)

    def _level(self, m: TableModel, var: str, level) -> list[str]:
        term = f"{var}[{level}]"
        if level not in m.levels.get(var, ()):
            return self.blank()
        if level == m.levels[var][0]:
            return self.reference(m, var, level)
        return self.estimate(m, var, level, term) if term in m.summary.index else self.blank()

    def _numeric(self, m: TableModel, var: str) -> list[str]:
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

    def term_label(self, m: TableModel, term: str) -> str:
        for cov in m.levels:
            for lv in m.levels[cov][1:]:
                if term == f"{cov}[{lv}]":
                    return self.label(cov, lv)
        return self.labels.get(term, term)


def _names(titles: list[str]) -> str:
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]


def _model_note(m: TableModel, label: Callable[[str], str]) -> str:
    """The model, its CIs and, for lp_adjusted, which rows come from which stage."""
    conf = format_conf_level(m.conf_level)
    if not m.score:
        return f"{m.method}; {conf} {m.ci_kind} CIs{m.ci_extra}."
    score, covariates = label(m.score), ", ".join(label(c) for c in m.adjust_for)
    if not m.first_stage:
        return (
            f"{m.method} of {score} and the linear predictor of a model on {covariates} (two-stage "
            f"adjustment, lp_adjusted); {conf} {m.ci_kind} CIs{m.ci_extra}."
        )
    return (
        f"{m.method}; {conf} {m.ci_kind} CIs{m.ci_extra}. {score}: adjusted by the linear predictor of a "
        f"{STAGE_MODELS[m.ratio]} on {covariates} (lp_adjusted's second stage: outcome ~ {score} + "
        "linear predictor); other rows: that linear-predictor model (the first stage, on the same "
        "patients)."
    )


def _notes(b: _Builder) -> list[str]:
    models = b.models
    ratios = list(dict.fromkeys(m.ratio for m in models))
    notes = ["; ".join([*(f"{r} = {RATIO_NAMES[r]}" for r in ratios), "CI = confidence interval"]) + "."]
    # one note per distinct description, naming every model it describes
    described: dict[str, list[str]] = {}
    for m in models:
        described.setdefault(_model_note(m, b.label), []).append(m.title)
    notes += [f"{_names(titles)}: {text}" for text, titles in described.items()]
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
    numbers behind its cells, one row per (model, term) shown -- reference levels included -- with
    columns model, variable, level, term, label, stage ("model"; for lp_adjusted "second": the
    score's rows, "first": the linear-predictor model's), measure (HR, OR, sHR), reference, ratio,
    ci_lower, ci_upper, p_value, estimable, n, events; ``models`` one row per model with title,
    ratio, n, events, n_missing, conf_level, method, ci and first_stage. :meth:`tidy` is ``stats``
    with broom-like names, for CSV outputs and forest plots. Writers: ``to_frame()``,
    ``to_markdown()``, ``to_html()``, ``to_latex()``, ``to_docx(path)``, ``to_excel(path)``.

    Parameters
    ----------
    layout : Display
        The table as printed: header, spanners, stub, cells and footnotes.
    stats : DataFrame
        The numbers behind the cells, one row per (model, term).
    models : DataFrame
        One row per model: title, ratio, n, events, n_missing, conf_level, method, ci, first_stage.
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

    def tidy(self) -> pd.DataFrame:
        """Return one row per (model, term) shown, with the numbers behind the cells.

        Returns
        -------
        DataFrame
            Columns model (the block's title), term (``name`` or ``name[level]``, reference levels
            too), label (``"label"`` or ``"label: level"``), estimate (the ratio, 1 for a reference
            level), ci_lower, ci_upper (of the ratio; NaN for a reference level), p_value, n,
            events, reference, measure (HR, OR, sHR), variable, level, stage (``"model"``, or
            lp_adjusted's ``"second"`` / ``"first"``) and estimable (False for an infinite
            estimate), in the order of the table's rows, model by model within a row. As
            ``broom::tidy(fit, exponentiate = TRUE, conf.int = TRUE)`` stacked over the models, with
            gtsummary's reference rows.
        """
        return self.stats.rename(columns={"ratio": "estimate"})[TIDY_COLUMNS].reset_index(drop=True)


def _variables(models: list[TableModel], include: Sequence[str] | None) -> list[str]:
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
    first_stage: bool = False,
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
    first_stage : bool
        For :func:`cartsie.adjust.lp_adjusted` results: show, under the score's row(s) from the
        second stage (outcome ~ score + linear predictor), the rows of the first stage -- the
        linear-predictor model of the outcome on the adjustment covariates alone, with the
        reference levels of its categorical covariates -- as the paper's supplementary tables of
        its "multivariable" models; a footnote says which rows come from which stage. Blocks on the
        same covariates (several outcomes) share their rows. Default: the score's row(s) only.

    Returns
    -------
    RegressionTable
        ``.to_frame()``, ``.to_markdown()``, ``.to_html()``, ``.to_latex()``, ``.to_docx(path)``,
        ``.to_excel(path)``; ``.stats`` (the numbers behind the cells), ``.tidy()`` (the same, one
        row per model and term, for CSV outputs and forest plots), ``.models``, ``.footnotes``.

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
    Footnotes name the abbreviations, each model and its CI (one note for the models described
    alike), and the rows each model left out for missing values (``n_missing``).

    With ``first_stage=True`` an lp_adjusted block shows the score's row(s) of its second stage and
    the first stage's rows (``fit.first_stage.summary``, without the intercept); both stages use the
    same patients, so the block's n and events are those of either. R: ``tbl_regression`` of the
    second-stage ``glm``/``coxph``/``crr`` fit for the score, stacked over ``tbl_regression`` of the
    first-stage fit.

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

    The paper's supplementary tables: each outcome's HT effect adjusted by the linear predictor,
    with the linear-predictor model's rows, several outcomes side by side (``d`` as above):

    >>> from cartsie.adjust import lp_adjusted
    >>> d["y1"] = [1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1]
    >>> d["y2"] = [0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0]
    >>> fits = [lp_adjusted(d, "ht", ["age"], outcome=y, reference={"ht": "low"}) for y in ("y1", "y2")]
    >>> s = regression_table(*fits, first_stage=True, titles=["Outcome 1", "Outcome 2"],
    ...                      labels={"ht": "HT score", "age": "Age"}, combine_ci=True)
    >>> s.to_frame()[("", "Characteristic")].tolist()
    ['HT score', 'low', 'high', 'Age', 'N', 'Events']
    >>> s.tidy()[["model", "term", "stage", "reference"]].head(3)
           model      term   stage  reference
    0  Outcome 1   ht[low]  second       True
    1  Outcome 2   ht[low]  second       True
    2  Outcome 1  ht[high]  second      False
    """
    if not results:
        raise InputError("regression_table(): give at least one fitted model.")
    if not isinstance(digits, int) or digits < 0:
        raise InputError(f"regression_table(): digits must be a non-negative integer, got {digits!r}.")
    models = table_models(results, titles, first_stage)
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
                "first_stage": m.first_stage,
            }
            for m in models
        ]
    )
    return RegressionTable(layout=layout, stats=pd.DataFrame(b.stats, columns=STATS_COLUMNS), models=summary)
