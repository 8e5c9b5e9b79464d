"""What a report shows, rendered by :mod:`cartsie.study.report` (markdown) and
:mod:`cartsie.study._report_html` (HTML): the run's tables and figures, its Methods, the estimates
not estimable, the patients left out, the warnings and the published-versus-reproduced comparison.

Reports hold aggregates only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie.format import format_p
from cartsie.study.registry import ITEMS, item_of


def _fmt(value: float, digits: int = 2) -> str:
    if value is None or not np.isfinite(value):
        return "NR" if value is not None and np.isnan(value) else ("∞" if value and value > 0 else "NA")
    if abs(value - round(value)) < 1e-9:
        return f"{value:.0f}"
    return f"{value:.{digits}f}" if abs(value) < 100 else f"{value:.0f}"


def _interval(low: float, high: float, kind: str = "ci") -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return ""
    name = {"ci": "", "iqr": "IQR ", "range": "range "}.get(kind, "")
    return f"{name}{_fmt(low)}-{_fmt(high)}"


def displayed(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison as the report prints it: label, published value (as printed), its interval and
    p, the reproduced value, its interval (named when it is not a CI) and p, the agreement.

    Parameters
    ----------
    comparison : DataFrame
        The output of :func:`cartsie.study.compare.compare`.

    Returns
    -------
    DataFrame
        Text columns: label, published, published interval, published p, reproduced, reproduced
        interval, reproduced p, agreement.
    """
    c = comparison
    reproduced = []
    for r in c.itertuples(index=False):
        if not r.estimable:
            reproduced.append("not estimable")
        elif r.agreement == "not reproduced":
            reproduced.append("")
        elif np.isfinite(r.published_n) and np.isfinite(r.n):
            reproduced.append(f"{int(r.n)} ({r.reproduced:.0f}%)")
        elif not np.isfinite(r.reproduced):
            reproduced.append("NR" if "not reached" in r.note else "")
        else:
            reproduced.append(_fmt(r.reproduced))
    return pd.DataFrame(
        {
            "label": [lab or i for lab, i in zip(c["label"], c["id"], strict=True)],
            "published": c["published_text"],
            "published interval": [
                _interval(lo, hi, k)
                for lo, hi, k in zip(
                    c["published_ci_lower"], c["published_ci_upper"], c["published_interval"], strict=True
                )
            ],
            "published p": c["published_p_text"],
            "reproduced": reproduced,
            "reproduced interval": [
                _interval(lo, hi, k)
                for lo, hi, k in zip(c["ci_lower"], c["ci_upper"], c["interval"], strict=True)
            ],
            "reproduced p": [format_p(p) if np.isfinite(p) else "" for p in c["p_value"]],
            "agreement": c["agreement"],
        }
    )


def _estimable(frame: pd.DataFrame) -> pd.Series:
    """The ``estimable`` flag of estimate rows (True where absent, as in tables made before it)."""
    if "estimable" not in frame.columns:
        return pd.Series(True, index=frame.index)
    flag = frame["estimable"]
    return flag.where(flag.notna(), True).astype(bool)


def not_estimable(estimates: pd.DataFrame) -> pd.DataFrame:
    """The estimates this cohort cannot give.

    Parameters
    ----------
    estimates : DataFrame
        Rows of :func:`cartsie.study.estimates` (a table without ``estimable`` has none).

    Returns
    -------
    DataFrame
        Columns id, label and reason, in the order of ``estimates``.
    """
    rows = estimates.loc[~_estimable(estimates)]
    blank = pd.Series("", index=rows.index)
    return pd.DataFrame(
        {
            "id": rows["id"].to_numpy(),
            "label": rows.get("label", blank).fillna("").astype(str).to_numpy(),
            "reason": rows.get("reason", blank).fillna("").astype(str).to_numpy(),
        }
    )


def left_out(estimates: pd.DataFrame) -> pd.DataFrame:
    """List the estimates whose model left patients out or lacked adjustment covariates.

    Parameters
    ----------
    estimates : DataFrame
        Rows of :func:`cartsie.study.estimates`.

    Returns
    -------
    DataFrame
        Columns id, label and note (the note saying who was left out or which covariates are
        missing), in the order of ``estimates``.
    """
    note = estimates["note"].fillna("").astype(str)
    keep = note.str.contains("left out") | note.str.contains("not adjusted for")
    label = estimates.get("label", pd.Series("", index=estimates.index)).fillna("").astype(str)
    return pd.DataFrame(
        {
            "id": estimates.loc[keep, "id"].to_numpy(),
            "label": label[keep].to_numpy(),
            "note": note[keep].to_numpy(),
        }
    )


#: the legend of the comparison: what each agreement category of :mod:`cartsie.study.compare` says
LEGEND: dict[str, str] = {
    "same": "a count (the patient flow, Table 1's N) equal to the published one; or a median not reached "
    "in both",
    "differs": "a count unlike the published one; or a median reached in one and not in the other",
    "inside CI": "the published value lies inside the reproduced 95% confidence interval",
    "outside CI": "the published value lies outside the reproduced 95% confidence interval (on simulated "
    "data expected for some rows: see above)",
    "no CI": "the reproduced value has no confidence interval to compare with (a range)",
    "same conclusion": "a p-value printed alone: both on the same side of 0.05",
    "different conclusion": "a p-value printed alone: on opposite sides of 0.05",
    "not estimable": "this cohort cannot give the estimate (the section 'Not estimable on this cohort' "
    "says why)",
    "not reproduced": "cartsie has no estimate for this published number",
}
#: why a reproduction on simulated data disagrees with the paper
SIMULATED = (
    "On the built-in cohort every number comes from simulated patients, calibrated to the paper's "
    "published aggregates but not its patients: a published value outside the reproduced 95% CI is "
    "expected for about one estimate in twenty by chance alone, and more where the simulation cannot "
    "mimic the joint distribution of the real data (adjusted models, subgroups). A disagreement here "
    "says nothing about the paper; run cartsie on the study's data to reproduce it."
)


#: the note under the heading of a section beyond the paper (an item whose ids have no published value)
BEYOND = (
    "Beyond the paper: CART-SIE does not publish these numbers. They are computed on the same patients, "
    "labelled beyond the paper, and never compared with the paper (no row of comparison.csv)."
)


@dataclass(frozen=True)
class Shown:
    """A table or figure of one item as the report shows it: the item's name, the output's file name
    and caption, and the table's ``to_html()`` and ``to_markdown()`` or the figure's PNG bytes."""

    item: str
    name: str
    caption: str
    html: str = ""
    markdown: str = ""
    png: bytes = b""


@dataclass(frozen=True)
class Content:
    """Everything a report shows, all from the run.

    ``comparison`` is None when the published comparison is not shown (a user's cohort without
    ``--compare-published``), and so is ``audit`` (the audit of the published numbers);
    ``methods`` holds (heading, paragraphs) pairs; ``warnings`` (item name, message) pairs.
    """

    title: str
    estimates: pd.DataFrame
    comparison: pd.DataFrame | None = None
    outputs: tuple[Shown, ...] = ()
    notes: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    warnings: tuple[tuple[str, str], ...] = ()
    methods: tuple[tuple[str, tuple[str, ...]], ...] = ()
    audit: pd.DataFrame | None = None


def warning_lines(content: Content) -> list[str]:
    """Each warning naming what it concerns: the estimate's label and id (the estimate guard puts
    the id in front of the message), else the paper item it was raised in."""
    est = content.estimates
    labels = dict(zip(est["id"], est.get("label", est["id"]).fillna(""), strict=True))
    lines = []
    for name, message in content.warnings:
        head, _, rest = message.partition(": ")
        if head in labels and rest:
            lines.append(f"{labels[head] or head} ({head}): {rest}")
        else:
            it = next((i for i in ITEMS if i.name == name), None)
            lines.append(f"{it.title if it else name}: {message}")
    return lines


def sections(comparison: pd.DataFrame):
    """(title, rows) of each paper item, in the paper's order."""
    owner = comparison["id"].map(lambda i: getattr(item_of(i), "name", ""))
    for it in ITEMS:
        part = comparison[owner == it.name]
        if len(part):
            yield it.title, part


def shown_comparison(part: pd.DataFrame) -> pd.DataFrame:
    """:func:`displayed` with the row's note and id (last)."""
    notes = part["note"].fillna("").astype(str) if "note" in part.columns else ""
    return displayed(part).assign(note=np.asarray(notes), id=part["id"].to_numpy())


def counts(comparison: pd.DataFrame) -> list[tuple[str, int]]:
    """The agreement categories present, in the legend's order, with their counts."""
    found = comparison["agreement"].value_counts()
    return [(k, int(found[k])) for k in LEGEND if k in found.index]
