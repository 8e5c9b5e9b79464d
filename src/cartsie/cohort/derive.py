"""Stage 6, derive: what the analyses take, from the validated tables.

Baseline labs (from the patients table, or the last draw on or before day 0 when asked), ICAHT grades
and severe cytopenias from the labs (:func:`cartsie.toxicity.grade_icaht`, the late window ending at
progression or next therapy), the HT score and simpleHT (:func:`cartsie.scores.score_all`), the
CART-SIE recodes (advanced stage, IPI >= 3, bridging failure...) and the endpoints
(:mod:`cartsie.cohort.endpoints`), joined into one row per patient.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie.cohort import schema
from cartsie.cohort.endpoints import months
from cartsie.cohort.problems import Report
from cartsie.scores import score_all
from cartsie.toxicity import grade_icaht

GRADE_COLUMNS = ("icaht_early_grade", "icaht_late_grade", "severe_thrombocytopenia", "severe_anemia")


def baseline_from_labs(pat: pd.DataFrame, lab: pd.DataFrame, report: Report) -> pd.DataFrame:
    pre = lab[lab["day"] <= 0].sort_values(["patient_id", "day"])
    last = pre.groupby("patient_id", observed=True).last()
    for col in ("anc", "plt", "hb"):
        if col not in last.columns:
            continue
        current = pat[col] if col in pat.columns else pd.Series(np.nan, index=pat.index)
        filled = current.fillna(last[col].reindex(pat.index))
        n = int((filled.notna() & current.isna()).sum())
        if n:
            report.note(f"baseline {col} taken from the last lab on or before day 0 for {n} patient(s)")
        pat[col] = filled
    return pat


def grades(pat: pd.DataFrame, lab: pd.DataFrame | None, report: Report) -> pd.DataFrame:
    infused = pat.index[(pat["infused"] == 1).fillna(False)] if "infused" in pat.columns else pat.index
    if lab is None:
        present = [c for c in GRADE_COLUMNS if c in pat.columns]
        if present:
            report.note(f"toxicity grades taken from the patients table: {present}")
        else:
            report.note("no labs table and no precomputed grades: ICAHT and severe cytopenias are not graded")
        return pd.DataFrame(index=pat.index)
    graded = lab["patient_id"].isin(infused)
    if not graded.all():
        lab = lab.loc[graded]
    ends = pd.concat(
        [pat.get(c, pd.Series(np.nan, index=pat.index)) for c in ("progression_day", "next_therapy_day")],
        axis=1,
    ).min(axis=1)
    # Graded by each patient's row number (integers hash and sort fast), then named again.
    rows = pat.index.get_indexer(lab["patient_id"])
    columns = [c for c in ("day", "anc", "plt", "hb") if c in lab.columns]
    by_row = pd.DataFrame({"patient_id": rows, **{c: lab[c].to_numpy() for c in columns}}, copy=False)
    ends = pd.Series(ends.to_numpy(), index=np.arange(len(pat))).dropna()
    # A window ending by day 30 is empty, so those late grades come out missing, not 0.
    grades = grade_icaht(by_row, late_end=ends, check_units=False)
    grades.index = pd.Index(pat.index[grades.index.to_numpy()], name="patient_id")
    return grades.reindex(pat.index)


def _binary(condition: pd.Series, known: pd.Series) -> pd.Series:
    return condition.astype("Int64").where(known, pd.NA).astype("Int64")


def analysis_table(pat: pd.DataFrame, grades: pd.DataFrame, endpoints: pd.DataFrame) -> pd.DataFrame:
    t = pat.copy()
    if "infused" not in t.columns:
        t["infused"] = pd.array([1] * len(t), dtype="Int64")
    hist = t["histology"] if "histology" in t.columns else pd.Series(pd.NA, index=t.index, dtype="string")
    t["lbcl"] = hist.isin(schema.LBCL_HISTOLOGIES).fillna(False) & (t["infused"] == 1).fillna(False)
    t = t.join(
        score_all(t, check_units=False)
        if {"plt", "crp"} <= set(t.columns)
        else pd.DataFrame(
            {
                "ht_high": pd.array([pd.NA] * len(t), dtype="Int64"),
                "simple_ht_high": pd.array([pd.NA] * len(t), dtype="Int64"),
            },
            index=t.index,
        )
    )
    for col, group in (("ht_high", "ht_group"), ("simple_ht_high", "simple_ht_group")):
        t[group] = pd.Categorical(t[col].map({0: "low", 1: "high"}), categories=["low", "high"])
    if "stage" in t.columns:
        t["stage_advanced"] = _binary(t["stage"] >= 3, t["stage"].notna())
    if "ipi" in t.columns:
        t["ipi_ge3"] = _binary(t["ipi"] >= 3, t["ipi"].notna())
    if "bridging_response" in t.columns:
        t["bridging_failure"] = _binary(t["bridging_response"] == "PD", t["bridging_response"].notna())
    if "vein_to_vein_days" in t.columns:
        t["vein_to_vein_months"] = months(t["vein_to_vein_days"])
    if "prior_lines" in t.columns:
        lines = t["prior_lines"]
        t["prior_lines_cat"] = pd.Series(
            np.where(lines >= 3, ">=3", lines.astype("string")), index=t.index, dtype="string"
        ).where(lines.notna())
    for col in grades.columns:
        t[col] = grades[col]
    for grade, flag, cut in (
        ("icaht_early_grade", "early_icaht", 1),
        ("icaht_late_grade", "late_icaht", 1),
        ("icaht_late_grade", "late_icaht_severe", 3),
        ("crs_grade", "crs_any", 1),
        ("crs_grade", "crs_severe", 3),
        ("icans_grade", "icans_any", 1),
        ("icans_grade", "icans_severe", 3),
    ):
        if grade in t.columns:
            g = pd.to_numeric(t[grade], errors="coerce")
            t[flag] = _binary(g >= cut, g.notna())
    return t.join(endpoints)
