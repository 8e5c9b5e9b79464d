"""Time-to-event and response endpoints derived from event days, as the CART-SIE paper defines them.

All times start at infusion (day 0) and are returned in months = days / 30.4375. Follow-up ends at
the last follow-up, or at death when that is later or the follow-up date is missing. Event codes are
integers (nullable ``Int64``):

=====================  ===========================================================================
column                 definition
=====================  ===========================================================================
``os``                 1 death from any cause; 0 censored at the end of follow-up
``pfs``                1 progression or death, whichever first; 0 censored
``dor``                best-response responders (CR or PR at any time, ``best_response``): from
                       the first response (``response_day``) to progression or death; 1 event, 0
                       censored; missing for the others and for responders without a response day.
                       Without ``best_response``: day-90 responders (``orr_day90`` = 1), and the
                       cohort's notes say so (:func:`dor_basis`)
``nrm``                1 death without prior progression; 2 progression first (competing; a
                       progression and a death on the same day count as progression); 0 censored
``spm``                1 second primary malignancy; 2 death without it (competing); 0 censored
``spm_myeloid``        1 myeloid SPM; 2 another SPM first, or death without SPM; 0 censored
``orr_day90``          1 CR or PR at day 90; 0 SD, PD or NE, or death or progression before day 90;
``crr_day90``          1 CR at day 90; 0 otherwise (as above); missing when not assessed and alive
                       without progression at day 90
=====================  ===========================================================================

CART-SIE's DOR (1-year 58%, median 24 months) is the duration of the *best* overall response: with a
1-year PFS of 44% it cannot be the duration of day-90 responses, since early responses lost by day 90
belong to it. A best response worse than the day-90 response cannot be (the loader warns); the better
of the two is used (CR > PR > SD > PD; NE and missing are unknown).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 30.4375
RESPONSE_DAY = 90

#: Lugano responses from best to worst (NE, not evaluable, ranks nowhere)
RESPONSE_RANK = {"CR": 0, "PR": 1, "SD": 2, "PD": 3}
RESPONDERS = ("CR", "PR")

#: who the duration of response is measured in, by the column it is decided from (:func:`dor_basis`)
DOR_BASES = {
    "best_response": "DOR among best-response responders (CR or PR at any time), from the first response",
    "response_day90": "DOR among day-90 responders: best_response not given",
    "response_date": "DOR among patients with a first-response date: neither best_response nor "
    "response_day90 given",
}

ENDPOINT_COLUMNS = (
    "os_months",
    "os_event",
    "pfs_months",
    "pfs_event",
    "dor_months",
    "dor_event",
    "nrm_months",
    "nrm_event",
    "spm_months",
    "spm_event",
    "spm_myeloid_event",
    "orr_day90",
    "crr_day90",
)


def months(days) -> np.ndarray:
    """Days to months (days / 30.4375)."""
    return np.asarray(days, dtype=float) / DAYS_PER_MONTH


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)


def _codes(values: np.ndarray, valid: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(valid, values, 0).astype("int64"), ~valid)


def _competing(first_day, first_code, end, valid):
    """Time and code of the first of several competing events (codes 1, 2; 0 = censored at end)."""
    time = np.where(first_code > 0, first_day, end)
    return np.where(valid, months(time), np.nan), _codes(first_code, valid & ~np.isnan(time))


def dor_basis(columns) -> str:
    """Which column decides who has a duration of response: a key of :data:`DOR_BASES`.

    Parameters
    ----------
    columns : iterable of str
        The columns of the patients table (or of the analysis table).

    Returns
    -------
    str
        ``"best_response"`` when the column is given (CART-SIE's definition); else ``"response_day90"``
        (day-90 responders); else ``"response_date"`` (every patient with a first-response date).
    """
    given = set(columns)
    return next((c for c in ("best_response", "response_day90") if c in given), "response_date")


def _text(days: pd.DataFrame, name: str) -> np.ndarray:
    if name not in days.columns:
        return np.full(len(days), None, dtype=object)
    return days[name].astype("string").to_numpy(dtype=object, na_value=None)


def best_response(days: pd.DataFrame) -> np.ndarray:
    """Each patient's best overall response: the better of ``best_response`` and ``response_day90``.

    A day-90 response better than the recorded best is taken as the best (a best response cannot be
    worse); NE and missing values are unknown and give way to a known response (NE stays when nothing
    better is known).

    Parameters
    ----------
    days : DataFrame
        Columns ``best_response`` and/or ``response_day90`` (CR, PR, SD, PD, NE); missing columns count
        as unknown.

    Returns
    -------
    ndarray of object
        CR, PR, SD, PD, NE or None, one per row.
    """
    best, day90 = _text(days, "best_response"), _text(days, "response_day90")
    rank = lambda v: np.array([RESPONSE_RANK.get(x, 9) for x in v])  # noqa: E731
    rb, rd = rank(best), rank(day90)
    out = np.where(rd < rb, day90, best)
    return np.where(pd.isna(out) & (day90 == "NE"), "NE", out)


def derive_endpoints(days: pd.DataFrame) -> pd.DataFrame:
    """Endpoints from a frame of event days (one row per patient, index kept).

    Parameters
    ----------
    days : DataFrame
        Columns (missing columns count as never observed): ``last_followup_day``,
        ``progression_day``, ``death_day``, ``response_day`` (first response), ``spm_day`` (floats,
        NaN = no such event), ``spm_type`` ("myeloid"/"other"), ``response_day90`` and
        ``best_response`` (CR, PR, SD, PD, NE) and ``infused`` (0/1; rows with 0 get no endpoints).
        Who has a duration of response follows :func:`dor_basis`.

    Returns
    -------
    DataFrame
        The columns of :data:`ENDPOINT_COLUMNS` (see the module docstring), aligned with ``days``.
    """
    fu, prog, death = _col(days, "last_followup_day"), _col(days, "progression_day"), _col(days, "death_day")
    resp, spm = _col(days, "response_day"), _col(days, "spm_day")
    infused = (_col(days, "infused") != 0) if "infused" in days.columns else np.ones(len(days), bool)
    end = np.fmax(fu, death)
    known = infused & ~np.isnan(end)
    dead, progressed, had_spm = ~np.isnan(death), ~np.isnan(prog), ~np.isnan(spm)

    out = {}
    out["os_months"] = np.where(known, months(end), np.nan)
    out["os_event"] = _codes(dead.astype(int), known)

    pfs_day = np.fmin(prog, death)
    pfs_event = ~np.isnan(pfs_day)
    out["pfs_months"] = np.where(known, months(np.where(pfs_event, pfs_day, end)), np.nan)
    out["pfs_event"] = _codes(pfs_event.astype(int), known)

    out["orr_day90"], out["crr_day90"] = _day90(days, infused, pfs_day)
    responder = known & ~np.isnan(resp) & _dor_population(days, out["orr_day90"])
    dor_end = np.where(pfs_event, pfs_day, end)
    out["dor_months"] = np.where(responder, months(dor_end - resp), np.nan)
    out["dor_event"] = _codes(pfs_event.astype(int), responder)

    prog_first = progressed & ~(dead & (death < prog))
    nrm_code = np.where(prog_first, 2, np.where(dead, 1, 0))
    nrm_day = np.where(prog_first, prog, death)
    out["nrm_months"], out["nrm_event"] = _competing(nrm_day, nrm_code, end, known)

    spm_code = np.where(had_spm, 1, np.where(dead, 2, 0))
    spm_day = np.where(had_spm, spm, death)
    out["spm_months"], out["spm_event"] = _competing(spm_day, spm_code, end, known)
    myeloid = (days["spm_type"] == "myeloid").fillna(False).to_numpy(bool) if "spm_type" in days else False
    out["spm_myeloid_event"] = _codes(np.where(had_spm & myeloid, 1, np.where(spm_code > 0, 2, 0)), known)
    return pd.DataFrame(out, index=days.index)[list(ENDPOINT_COLUMNS)]


def _dor_population(days: pd.DataFrame, orr_day90) -> np.ndarray:
    """Who has a duration of response (given a response day), by :func:`dor_basis`."""
    basis = dor_basis(days.columns)
    if basis == "best_response":
        return np.isin(best_response(days), RESPONDERS)
    if basis == "response_day90":
        return np.asarray(pd.array(orr_day90).fillna(0), dtype=int) == 1
    return np.ones(len(days), dtype=bool)


def _day90(days: pd.DataFrame, infused: np.ndarray, first_failure: np.ndarray):
    """ORR and CRR at day 90; death or progression before day 90 counts as non-response."""
    response = (
        days["response_day90"] if "response_day90" in days.columns else pd.Series(pd.NA, index=days.index)
    )
    response = response.astype("string").to_numpy(dtype=object, na_value=None)
    early_failure = first_failure < RESPONSE_DAY
    assessed = np.array([r is not None for r in response]) | early_failure
    valid = infused & assessed
    orr = np.isin(response, ["CR", "PR"]) & ~early_failure
    crr = (response == "CR") & ~early_failure
    return _codes(orr.astype(int), valid), _codes(crr.astype(int), valid)
