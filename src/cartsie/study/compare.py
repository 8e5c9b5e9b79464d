"""Published versus reproduced: each number of the CART-SIE paper beside cartsie's reproduction.

Agreement categories (:data:`AGREEMENT`):

- ``same`` / ``differs`` -- a count (the patient flow, Table 1's N) equal or not; a median printed as
  "not reached" and reproduced as not reached, or not;
- ``inside CI`` / ``outside CI`` -- the published value inside or outside the reproduced 95% CI. Said
  only where the reproduced interval is a confidence interval on the published value's scale
  (``interval == "ci"``): a median is compared with the CI of the reproduced median, never with its
  IQR; an "n (%)" cell by its percentage, with the exact CI of the reproduced percentage;
- ``no CI`` -- the reproduced value has no confidence interval to compare with (a range);
- ``same conclusion`` / ``different conclusion`` -- for a p-value printed alone, whether both are on
  the same side of 0.05 (for "<.001", whether the reproduced p is below 0.05);
- ``not estimable`` -- the cohort cannot give the estimate (``reason`` says why);
- ``not reproduced`` -- cartsie has no estimate of that id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie.study.published import numbers

AGREEMENT = (
    "same",
    "differs",
    "inside CI",
    "outside CI",
    "no CI",
    "same conclusion",
    "different conclusion",
    "not estimable",
    "not reproduced",
)
#: columns of the comparison, in order
COLUMNS = (
    "id",
    "label",
    "published",
    "published_ci_lower",
    "published_ci_upper",
    "published_p",
    "reproduced",
    "ci_lower",
    "ci_upper",
    "interval",
    "p_value",
    "agreement",
    "published_text",
    "published_n",
    "published_interval",
    "published_p_text",
    "n",
    "estimable",
    "reason",
    "note",
    "source",
    "statistic",
)


def _agreement(r) -> str:
    if r.missing:
        return "not reproduced"
    if not r.estimable:
        return "not estimable"
    if _is_count(r):
        return "same" if r.published == r.reproduced else "differs"
    if r.published_text.strip() == "NR" or "not reached" in r.note:
        reached = np.isfinite(r.reproduced), r.published_text.strip() != "NR"
        return "same" if reached[0] == reached[1] else "differs"
    if not np.isfinite(r.published):
        return _p_agreement(r.published_p, r.published_p_relation, r.p_value)
    if r.interval == "ci" and np.isfinite(r.ci_lower) and np.isfinite(r.ci_upper):
        return "inside CI" if r.ci_lower <= r.published <= r.ci_upper else "outside CI"
    return "no CI"


def _is_count(r) -> bool:
    """A count printed alone: the flow, Table 1's N and "missing" rows, numbers of deaths."""
    if r.statistic == "n":
        return True
    text = r.published_text.strip()
    return r.statistic == "summary" and text.isdigit() and r.interval == "none"


def _p_agreement(bound: float, relation: str, p: float) -> str:
    if not (np.isfinite(bound) and np.isfinite(p)):
        return "no CI"
    same_side = (bound < 0.05) == (p < 0.05) if relation != ">" else p > bound
    return "same conclusion" if same_side else "different conclusion"


def compare(estimates: pd.DataFrame, published_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Join the published numbers and the reproduced estimates by id.

    Parameters
    ----------
    estimates : DataFrame
        Typed estimate rows (:func:`cartsie.study.estimates`).
    published_table : DataFrame, optional
        The published numbers as :func:`cartsie.study.published.published` returns them (default:
        the paper's).

    Returns
    -------
    DataFrame
        One row per published number, columns :data:`COLUMNS`: the published number, interval and
        p as numbers (the p as printed in ``published_p_text``), the reproduced value (``reproduced``),
        its interval and what it is, its p-value, and the agreement (see the module docstring).
    """
    pub = numbers(published_table)
    est = estimates.rename(columns={"value": "reproduced", "note": "estimate_note"})
    merged = pub.merge(est, on="id", how="left")
    merged["missing"] = ~merged["id"].isin(estimates["id"])
    merged["estimable"] = merged["estimable"].where(merged["estimable"].notna(), True).astype(bool)
    for column in ("label", "interval", "reason", "estimate_note"):
        merged[column] = merged[column].fillna("").astype(str)
    merged["note"] = [
        "; ".join(x for x in (a, b) if x)
        for a, b in zip(merged["note"], merged["estimate_note"], strict=True)
    ]
    merged["agreement"] = [_agreement(r) for r in merged.itertuples(index=False)]
    return merged[list(COLUMNS)].reset_index(drop=True)
