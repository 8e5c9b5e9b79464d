"""Stage 7, flow: every input row accounted for, from enrolment to the HT-evaluable population.

enrolled -> infused -> LBCL (DLBCL, HGBL, PMBCL, tFL) -> simpleHT evaluable (platelets and CRP) -> HT
evaluable (the five labs), each exclusion counted with its reason, as CART-SIE's Supplementary Figure 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie.cohort.problems import Report

_LAB_NAMES = {"plt": "platelets", "anc": "ANC", "hb": "Hb", "crp": "CRP", "ferritin": "ferritin"}


def patient_flow(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The patient flow (every input row accounted for) and the exclusions, one row per reason.

    Parameters
    ----------
    table : DataFrame
        One row per enrolled patient with ``infused`` (1 = infused), ``lbcl`` (bool),
        ``simple_ht_high`` and ``ht_high`` (missing = not evaluable), and the baseline labs ``plt``,
        ``crp``, ``anc``, ``hb``, ``ferritin`` and ``histology`` (``histology_detail``) that the
        reasons name, as :attr:`Cohort.table`.

    Returns
    -------
    flow : DataFrame
        ``step`` (enrolled, infused, LBCL, simpleHT evaluable, HT evaluable), ``n`` (patients at the
        step), ``excluded`` (left out since the previous step) and ``reason`` (the reasons with their
        counts, "; "-separated).
    exclusions : DataFrame
        ``step``, ``reason``, ``n``: one row per step and reason of exclusion.
    """
    steps, reasons = [], []
    n0 = len(table)
    steps.append(("enrolled", n0, 0))
    infused = (table["infused"] == 1).fillna(False).to_numpy(bool)
    reasons += _reasons("infused", ~infused, pd.Series("not infused", index=table.index), table)
    hist = table.get("histology", pd.Series(pd.NA, index=table.index)).astype("string")
    detail = table.get("histology_detail", pd.Series(pd.NA, index=table.index)).astype("string")
    why = "histology " + detail.fillna(hist).fillna("missing") + " (not LBCL)"
    lbcl = table["lbcl"].to_numpy(bool)
    reasons += _reasons("LBCL", infused & ~lbcl, why, table)
    simple = lbcl & table["simple_ht_high"].notna().to_numpy(bool)
    reasons += _reasons("simpleHT evaluable", lbcl & ~simple, _missing_labs(table, ("plt", "crp")), table)
    ht = simple & table["ht_high"].notna().to_numpy(bool)
    reasons += _reasons("HT evaluable", simple & ~ht, _missing_labs(table, ("anc", "hb", "ferritin")), table)
    counts = [("infused", infused), ("LBCL", lbcl), ("simpleHT evaluable", simple), ("HT evaluable", ht)]
    prev = n0
    for step, mask in counts:
        n = int(mask.sum())
        steps.append((step, n, prev - n))
        prev = n
    exclusions = pd.DataFrame(reasons, columns=["step", "reason", "n"])
    flow = pd.DataFrame(steps, columns=["step", "n", "excluded"])
    joined = (
        exclusions.groupby("step", sort=False).apply(
            lambda g: "; ".join(f"{r} ({n})" for r, n in zip(g["reason"], g["n"], strict=True)),
            include_groups=False,
        )
        if len(exclusions)
        else pd.Series(dtype=object)
    )
    flow["reason"] = flow["step"].map(joined).fillna("")
    return flow, exclusions


def _reasons(
    step: str, excluded: np.ndarray, why: pd.Series, table: pd.DataFrame
) -> list[tuple[str, str, int]]:
    counts = why[excluded].value_counts(sort=False)
    return [(step, str(reason), int(n)) for reason, n in counts.sort_index().items()]


def _missing_labs(table: pd.DataFrame, labs: tuple[str, ...]) -> pd.Series:
    """'missing baseline ANC+ferritin' per patient: one name per pattern of missing labs."""
    missing = np.column_stack(
        [table[lab].isna().to_numpy() if lab in table.columns else np.ones(len(table), bool) for lab in labs]
    )
    pattern = missing.astype(np.int64) @ (1 << np.arange(len(labs), dtype=np.int64))  # one bit per lab
    names = np.array(
        [
            "missing baseline " + "+".join(_LAB_NAMES[lab] for k, lab in enumerate(labs) if p >> k & 1)
            for p in range(1 << len(labs))
        ],
        dtype=object,
    )
    return pd.Series(names[pattern], index=table.index)


def note_missing_endpoints(endpoints: pd.DataFrame, table: pd.DataFrame, report: Report) -> None:
    lbcl = table["lbcl"]
    for col in ("os_event", "orr_day90"):
        n = int((endpoints[col].isna() & lbcl).sum())
        if n:
            what = "no follow-up" if col == "os_event" else "no day-90 assessment (alive, not progressed)"
            report.note(f"{n} LBCL patient(s) without {col.split('_')[0].upper()}: {what}")
