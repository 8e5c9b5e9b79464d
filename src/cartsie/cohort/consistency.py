"""Stage 5, consistency: what each patient's values say together, and the labs against the patients.

The checks a data manager runs after the values are read: event days from dates and the infusion
date (and their agreement where both are given); events before infusion, progression after death, a
first response after progression, follow-up ending before a recorded event, a best overall
response worse than the day-90 one or without its first-response date; lab draws of unknown
patients, on fractional days, twice on one day with different values (a declared rule decides:
``lab_duplicates="error" | "worst" | "mean"``), or after death or the last follow-up (left out of
grading, counted and warned).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie.cohort import endpoints, schema
from cartsie.cohort.options import Options
from cartsie.cohort.problems import Report, name_ids

EVENT_DAYS = tuple(f"{e}_day" for e in schema.EVENTS)
LAB_VALUES = ("anc", "plt", "hb")


def event_days(pat: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Derive ``*_day`` from ``*_date`` and the infusion date, or dates from days; check agreement."""
    infusion = pat["infusion_date"] if "infusion_date" in pat.columns else None
    for event in schema.EVENTS:
        date_col, day_col = f"{event}_date", f"{event}_day"
        if date_col in pat.columns and infusion is not None:
            from_dates = (pat[date_col] - infusion).dt.days.astype(float)
            no_origin = pat[date_col].notna() & infusion.isna()
            if "infused" in pat.columns:
                no_origin &= pat["infused"].fillna(1) == 1
            report.problem(
                "patients",
                "infusion_date",
                pat,
                no_origin,
                f"missing while {date_col} is given",
                "Give the infusion date (day 0).",
            )
            if day_col in pat.columns:
                differ = from_dates.notna() & pat[day_col].notna() & (from_dates != pat[day_col])
                report.problem(
                    "patients",
                    day_col,
                    pat,
                    differ,
                    f"disagrees with {date_col}",
                    "Keep one of the two, or correct the one that is wrong.",
                )
                pat[day_col] = pat[day_col].fillna(from_dates)
            else:
                pat[day_col] = from_dates
        elif day_col in pat.columns and infusion is not None:
            pat[date_col] = infusion + pd.to_timedelta(pat[day_col], unit="D")
    return pat


def _day(pat: pd.DataFrame, col: str) -> pd.Series:
    return pat[col] if col in pat.columns else pd.Series(np.nan, index=pat.index)


def check_patients(pat: pd.DataFrame, report: Report) -> None:
    """Events before infusion, progression after death, follow-up ending before an event."""
    day = {c: _day(pat, c) for c in EVENT_DAYS}
    for col in EVENT_DAYS:
        if col in pat.columns:
            shown = col if f"{col[:-4]}_date" not in pat.columns else f"{col[:-4]}_date"
            report.problem(
                "patients",
                shown,
                pat,
                day[col] < 0,
                "event before the infusion",
                "Events are counted from infusion (day 0): correct the date or the infusion date.",
            )
    latest = pd.concat(
        [day[c] for c in ("response_day", "progression_day", "death_day", "spm_day")], axis=1
    ).max(axis=1)
    checks = (
        (
            "progression_date",
            day["progression_day"] > day["death_day"],
            "progression after death",
            "Correct the progression or death date.",
        ),
        (
            "response_date",
            day["response_day"] > day["progression_day"],
            "first response after progression",
            "Correct the response or progression date.",
        ),
        (
            "last_followup_date",
            day["last_followup_day"] < latest,
            "last follow-up before a recorded event",
            "Set the last follow-up to the latest known date (the death date for patients who died).",
        ),
        (
            "death_date",
            day["last_followup_day"] > day["death_day"],
            "last follow-up after death",
            "Correct the death or last follow-up date.",
        ),
    )
    for column, mask, what, fix in checks:
        report.problem("patients", column, pat, mask, what, fix)
    for col, event in (("spm_type", "spm"), ("death_cause", "death")):
        if col in pat.columns:
            recorded = day[f"{event}_day"].notna()
            if f"{event}_date" in pat.columns:
                recorded |= pat[f"{event}_date"].notna()
            report.problem(
                "patients",
                col,
                pat,
                pat[col].notna() & ~recorded,
                f"given without a {event} date",
                f"Give the {event} date or blank {col}.",
            )
    if "best_response" in pat.columns:
        _check_best_response(pat, day["response_day"], "response_day" in pat.columns, report)
    elif "response_day90" in pat.columns and "response_day" in pat.columns:
        responders = pat["response_day90"].isin(["CR", "PR"]).fillna(False) & day["response_day"].isna()
        report.doubt(
            "patients",
            "response_date",
            pat,
            responders,
            "day-90 responders without a first-response date",
            "They have no duration of response; give the date of first response.",
        )


def _check_best_response(pat: pd.DataFrame, response_day: pd.Series, dated: bool, report: Report) -> None:
    """A best response worse than the day-90 one (warned; the day-90 one is used), and the
    first-response date that every best-response responder needs (its column required, blanks warned)."""
    rank = endpoints.RESPONSE_RANK
    if "response_day90" in pat.columns:
        best = pat["best_response"].map(rank).astype(float)
        day90 = pat["response_day90"].map(rank).astype(float)
        report.doubt(
            "patients",
            "best_response",
            pat,
            (best > day90).to_numpy(),
            "best overall response worse than the day-90 response (CR > PR > SD > PD)",
            "The day-90 response is used as their best response; correct best_response or response_day90.",
        )
    responder = np.isin(endpoints.best_response(pat), endpoints.RESPONDERS)
    if not dated:
        report.problem(
            "patients",
            "best_response",
            pat,
            responder,
            "best-response responders (CR or PR) but no response_date column",
            "Add response_date (or response_day), the date of first response, from which the duration "
            "of response is measured.",
        )
        return
    report.doubt(
        "patients",
        "response_date",
        pat,
        responder & response_day.isna().to_numpy(),
        "best-response responders (CR or PR) without a first-response date",
        "They are left out of the duration of response; give the date of first response.",
    )


def lab_days(
    lab: pd.DataFrame, raw_dates: pd.Series | None, pat: pd.DataFrame, report: Report
) -> pd.DataFrame:
    """``day`` of each draw from its date and the patient's infusion date, when only dates are given."""
    if raw_dates is None:
        return lab
    if "infusion_date" not in pat.columns:
        report.add(
            "labs table: draws are dated but there is no infusion_date, so their day since infusion is "
            "unknown. Give the patients table with its infusion dates (`cartsie grade LABS --patients "
            "PATIENTS`), or a day column in the labs."
        )
        lab["day"] = np.nan
        lab.attrs["days_unknown"] = True  # said once here, not again for every draw
        return lab
    infusion = pat.drop_duplicates("patient_id").set_index("patient_id")["infusion_date"]
    pos = infusion.index.get_indexer(lab["patient_id"])
    origin = pd.Series(infusion.to_numpy()[np.where(pos >= 0, pos, 0)], index=lab.index).where(pos >= 0)
    lab["day"] = (raw_dates - origin).dt.days.astype(float)
    no_origin = raw_dates.notna() & origin.isna() & lab["patient_id"].isin(pat["patient_id"])
    report.problem(
        "labs",
        "date",
        lab,
        no_origin,
        "dated draws of patients without an infusion date",
        "Give these patients' infusion dates.",
    )
    report.note("labs table: day computed from date and the infusion date")
    return lab


def check_labs(lab: pd.DataFrame, pat: pd.DataFrame, report: Report, options: Options) -> pd.DataFrame:
    """Ids, days, same-day duplicates and draws after the end of follow-up; returns the labs to grade."""
    if lab.empty:
        report.add(
            "labs table: no rows (only a header). Give the blood counts, or leave the labs table out "
            "(toxicity is then not graded)."
        )
        return lab
    # Each draw's row in the patients table, found once (a hash of millions of ids is the slow part).
    patients = pd.Index(pat["patient_id"].dropna().drop_duplicates())
    pos = patients.get_indexer(lab["patient_id"])
    has_id = lab["patient_id"].notna().to_numpy()
    unknown = (pos < 0) & has_id
    report.problem(
        "labs",
        "patient_id",
        lab,
        unknown,
        "ids not in the patients table",
        "Add these patients to the patients table or remove their labs.",
    )
    day = lab["day"].to_numpy(dtype=float)
    fractional = ~np.isnan(day) & (day != np.round(day))
    report.problem(
        "labs",
        "day",
        lab,
        fractional,
        "fractional days",
        "Give whole days since infusion (day 0 = infusion).",
    )
    report.problem(
        "labs",
        "day",
        lab,
        np.isnan(day) & has_id & (not lab.attrs.get("days_unknown", False)),
        "draws without a day (or date)",
        "Give the day of every draw.",
    )
    keep = _same_day(lab, pos, report, options.lab_duplicates)
    if not keep.all():
        lab, pos = lab.loc[keep], pos[keep]
    return _after_follow_up(lab, pos, pat.drop_duplicates("patient_id").set_index("patient_id"), report)


def _repeated(key: np.ndarray) -> np.ndarray:
    """Rows whose key occurs more than once (by sorting: exports come sorted, and hashing packed
    integer keys is slow in pandas)."""
    order = np.argsort(key, kind="stable")
    same = key[order][1:] == key[order][:-1]
    sorted_dup = np.zeros(len(key), dtype=bool)
    sorted_dup[1:] |= same
    sorted_dup[:-1] |= same
    out = np.empty(len(key), dtype=bool)
    out[order] = sorted_dup
    return out


def _same_day(lab: pd.DataFrame, pos: np.ndarray, report: Report, rule: str) -> np.ndarray:
    """Rows to keep: identical repeats once; different draws of one day refused or combined as declared
    (the combined draw stands in the first row of its day)."""
    keep = np.ones(len(lab), dtype=bool)
    codes = np.where(pos >= 0, pos, len(pos) + pd.factorize(lab["patient_id"])[0]).astype(np.int64)
    day = np.nan_to_num(lab["day"].to_numpy(dtype=float), nan=-(2.0**30)).astype(np.int64)
    twice = _repeated(codes * (1 << 32) + (day + (1 << 31))) & lab["day"].notna().to_numpy()
    if not twice.any():
        return keep
    values = [c for c in (*LAB_VALUES, "gcsf") if c in lab.columns]
    key = ["patient_id", "day"]
    sub = lab.loc[twice]
    exact = sub.duplicated([*key, *values], keep="first").to_numpy()
    if exact.any():
        report.note(f"labs table: {int(exact.sum())} repeated identical draw(s) counted once")
        keep[np.flatnonzero(twice)[exact]] = False
        sub = sub.loc[~exact]
    differ = sub.duplicated(key, keep=False)
    if not differ.any():
        return keep
    sub = sub.loc[differ.to_numpy()]
    what = f"{len(sub[key].drop_duplicates())} day(s) with two or more different draws"
    if rule == "error":
        report.problem(
            "labs",
            "day",
            lab,
            lab.index.isin(sub.index),
            what,
            "Keep one draw per day, or say how to combine them: lab_duplicates='worst' (lowest count of "
            "the day, --lab-duplicates worst) or 'mean'.",
        )
        return keep
    how = "min" if rule == "worst" else "mean"
    agg = {c: how for c in LAB_VALUES if c in lab.columns}
    agg.update({c: "max" for c in lab.columns if c not in (*key, *agg)})
    combined = sub.groupby(key, sort=False, observed=True).agg(agg)
    first = ~sub.duplicated(key, keep="first").to_numpy()
    for col in combined.columns:  # the day's combined values go to its first row, the others are dropped
        lab.loc[sub.index[first], col] = combined[col].to_numpy()
    keep[lab.index.get_indexer(sub.index[~first])] = False
    report.note(f"labs table: {what} combined by lab_duplicates={rule!r}")
    return keep


def _after_follow_up(lab: pd.DataFrame, pos: np.ndarray, ends: pd.DataFrame, report: Report) -> pd.DataFrame:
    death = _day(ends, "death_day").to_numpy(dtype=float)
    end = np.fmax(death, _day(ends, "last_followup_day").to_numpy(dtype=float))
    known = pos >= 0
    day = lab["day"].to_numpy(dtype=float)
    limit = np.where(known, end[np.where(known, pos, 0)] if len(end) else np.nan, np.nan)
    late = day > limit
    if late.any():
        after_death = day > np.where(known, death[np.where(known, pos, 0)], np.nan)
        kind = "death" if after_death[late].all() else "death or the last follow-up"
        report.warn(
            f"labs table: {int(late.sum())} draw(s) dated after {kind} at "
            f"{name_ids(lab['patient_id'][late])}; "
            "they are left out of grading. Check the dates of these draws and of the death or last follow-up."
        )
        lab = lab.loc[~late]
    return lab
