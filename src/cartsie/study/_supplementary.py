"""The supplementary tables of the adjusted models (Supplementary Tables 2, 4, 5 and 6).

"A multivariable logistic model was fitted, adjusting for baseline characteristics, and confirmed the
independent effect of the score" (Results): each table has one block per outcome, with the score's
effect adjusted by the linear predictor (the published adjusted OR or HR) and the covariates of the
model behind that linear predictor, their reference levels, n and events
(:func:`cartsie.tables.regression_table` of :func:`cartsie.adjust.lp_adjusted` results).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cartsie._display import Display, Tabular
from cartsie.errors import CartsieError, MissingValuesWarning
from cartsie.format import format_ci, format_p, format_ratio
from cartsie.study._models import adjusted_fit
from cartsie.study.definitions import COVARIATES, Study
from cartsie.study.estimate import NotEstimable, reason
from cartsie.tables import regression_table

#: one block of a supplementary table: (heading, population, score, model label, lp_adjusted keywords)
Block = tuple[str, str, str, str, dict]


def table(s: Study, blocks: Sequence[Block], title: str):
    """The regression table of ``blocks`` (made once per cohort); a block the cohort cannot fit is
    left out, NotEstimable when none can."""
    return s.cached(("supplementary", title), lambda: _table(s, blocks, title))


def _table(s: Study, blocks: Sequence[Block], title: str):
    fits, titles, skipped = [], [], []
    for heading, population, score, label, model in blocks:
        try:
            with warnings.catch_warnings():
                # the table's footnotes say how many rows each model left out
                warnings.simplefilter("ignore", MissingValuesWarning)
                fit, _note = adjusted_fit(s, population, score, label, **model)
        except CartsieError as exc:
            skipped.append(f"{heading}: not estimable ({reason(exc)})")
            continue
        fits.append(fit)
        titles.append(heading)
    if not fits:
        raise NotEstimable("; ".join(skipped))
    return regression_table(*fits, labels=COVARIATES, titles=titles, title=title, first_stage=True)


def logistic_block(heading: str, population: str, score: str, outcome: str) -> Block:
    """A block of an adjusted logistic model of ``outcome``."""
    return (
        heading,
        population,
        score,
        f"adjusted logistic model of {heading[:1].lower()}{heading[1:]}",
        {"outcome": outcome, "model": "logistic"},
    )


def cox_block(heading: str, population: str, score: str, endpoint: str) -> Block:
    """A block of an adjusted Cox model of ``endpoint`` ("os", "pfs")."""
    model = {"time": f"{endpoint}_months", "event": f"{endpoint}_event", "model": "cox"}
    return (heading, population, score, f"adjusted Cox model for {heading}", model)


@dataclass(frozen=True, repr=False)
class StudyTable(Tabular):
    """A table of the study built from its estimates: ``layout`` as printed, ``stats`` the estimate
    rows behind its cells (the numbers, by id), writers as every table.

    Parameters
    ----------
    layout : Display
        The table as printed.
    stats : DataFrame
        The estimate rows behind the cells.
    """

    layout: Display
    stats: pd.DataFrame

    def _display(self) -> Display:
        return self.layout

    @property
    def summary(self) -> pd.DataFrame:
        """The table as printed (:meth:`to_frame`)."""
        return self.to_frame()


def _pct(r: dict) -> str:
    if not r["estimable"]:
        return "not estimable"
    ci = format_ci(r["ci_lower"], r["ci_upper"], digits=0, parentheses=False)
    return f"{r['value']:.0f}% ({ci}%)"


def _ratio(r: dict) -> tuple[str, str]:
    if not r["estimable"]:
        return "not estimable", ""
    ci = format_ci(r["ci_lower"], r["ci_upper"])
    return f"{format_ratio(r['value'])} {ci}", format_p(r["p_value"])


def rates_table(
    rows: dict[str, dict], layout: Sequence[tuple[str, str, str, str, str]], title: str, notes: Sequence[str]
):
    """A table of rates by group with the odds ratio of high vs low: one row per ``(label, overall id,
    low id, high id, OR id)`` of ``layout``; the cells are formatted from ``rows`` (estimate rows by
    id), and ``stats`` keeps those rows."""
    cells, stub, used = [], [], []
    for label, overall, low, high, ratio in layout:
        stub.append(label)
        or_cell, p_cell = _ratio(rows[ratio])
        cells.append((_pct(rows[overall]), _pct(rows[low]), _pct(rows[high]), or_cell, p_cell))
        used += [overall, low, high, ratio]
    d = Display(
        stub_head="Outcome",
        stub=tuple(stub),
        indent=(0,) * len(stub),
        columns=("All", "Low", "High", "OR (95% CI)", "p"),
        cells=tuple(cells),
        title=title,
        notes=tuple(notes),
    )
    return StudyTable(d, pd.DataFrame([rows[i] for i in used]))


#: the rows of the score-performance table: measure -> (row label, decimals)
PERFORMANCE_ROWS = {
    "harrell_c": ("Harrell's C", 2),
    "uno_c": ("Uno's C", 2),
    "auc": ("AUC(t)", 2),
    "brier": ("Brier score", 3),
    "ipa": ("Index of prediction accuracy", 3),
    "oe_ratio": ("Observed / expected risk", 2),
    "calibration_slope": ("Calibration slope", 2),
    "net_benefit": ("Net benefit, threshold {pt}", 3),
    "net_benefit_all": ("Net benefit of treating all, threshold {pt}", 3),
}


def _estimate_cell(r: dict, digits: int) -> str:
    if not r["estimable"]:
        return "not estimable"
    ci = format_ci(r["ci_lower"], r["ci_upper"], digits=digits)
    return f"{r['value']:.{digits}f}" + (f" {ci}" if ci else "")


def performance_table(rows: dict[str, dict], blocks, times: Sequence[float]):
    """The score-performance table (beyond the paper): one block per score and endpoint, one row per
    measure, a column for the whole follow-up and one per time; the cells formatted from ``rows``
    (estimate rows by id), ``stats`` keeping those rows.

    ``blocks`` holds ``(heading, [(id, measure, time, threshold, label), ...])`` pairs.
    """
    columns = ("Whole follow-up", *(f"{t:g} months" for t in times))
    stub, indent, cells, used = [], [], [], []
    for heading, entries in blocks:
        stub.append(heading)
        indent.append(0)
        cells.append(("",) * len(columns))
        lines: dict[tuple[str, float], list[str]] = {}
        for id_, measure, t, pt, _label in entries:
            digits = PERFORMANCE_ROWS[measure][1]
            line = lines.setdefault((measure, pt), [""] * len(columns))
            j = 0 if t != t else 1 + list(times).index(t)  # t != t: NaN, the whole follow-up
            line[j] = _estimate_cell(rows[id_], digits)
            used.append(id_)
        for (measure, pt), line in lines.items():
            name = PERFORMANCE_ROWS[measure][0].format(pt=f"{pt:.0%}")
            stub.append(name)
            indent.append(1)
            cells.append(tuple(line))
    d = Display(
        stub_head="Score and endpoint",
        stub=tuple(stub),
        indent=tuple(indent),
        columns=columns,
        cells=tuple(cells),
        title="Score performance (beyond the paper)",
        notes=(
            "Beyond the paper: CART-SIE does not report these measures; they are not compared with it.",
            "Apparent (in-sample) performance: the predicted risk of each patient comes from a Cox model of "
            "the score fitted on the same patients (Efron baseline hazard); it overstates the performance in "
            "new patients.",
            "Estimate (95% CI). C: Harrell's and Uno's concordance over the whole follow-up; AUC(t): "
            "cumulative/dynamic, IPCW; Brier score and IPA (1 - Brier / Brier of the null model): IPCW; "
            "O/E: Kaplan-Meier observed over mean predicted risk; calibration slope: Cox model of "
            "log(-log(1 - risk)); net benefit: of treating patients whose predicted risk is at or above "
            "the threshold.",
        ),
    )
    return StudyTable(d, pd.DataFrame([rows[i] for i in used]))
