"""Hematotoxicity grading from longitudinal blood counts.

* :func:`grade_icaht` -- EHA/EBMT ICAHT grades (Rejeski et al., Blood 2023;142:865), early (days 0-30)
  and late (day 31 onward), CART-SIE's severe thrombocytopenia and severe anemia, and the neutrophil
  recovery phenotype (Rejeski et al., Blood 2021;138:2499).
* :func:`grade_cytopenia` -- depth and duration grades of the EHA/EBMT survey (HemaSphere 2023;7:e889).

Input is a long table of labs: ``patient_id``, ``day`` (whole days since infusion, day 0 = infusion),
``anc`` and optionally ``plt``, ``hb`` in canonical units (10^9/L, 10^9/L, g/dL; see
:mod:`cartsie.units`). Several measurements on one day: the lowest counts. Rows may come in any order
and may repeat. Every computation is vectorised over patients.

Conventions (each a keyword; the defaults reproduce CART-SIE, each defined below)
------------------------------------------------------------------------------------------------
Daily values
    A measured day takes its value; a day between two measurements at most ``max_gap`` (7) days
    apart takes their linear interpolation (``interpolation="linear"``; ``"none"``: measured days
    only). Measurements up to ``max_gap`` days before infusion take part in interpolation only.
Episodes
    An episode of neutropenia starts on a day at or below the threshold and ends at stable
    recovery, ``recovery_days`` (3) consecutive days above it; shorter recoveries join episodes. Its
    duration is the span from its first to its last day below, inclusive. Bridged days with no
    value (``interpolation="none"``) neither count as recovery nor end an episode, but a gap that no
    pair of measurements bridges ends it (cartsie does not assume a cytopenia it did not see).
    ``duration="longest"`` grades by the longest episode, ``"total"`` by the number of days below.
Early ICAHT (days 0-30), highest grade met
    0: never <= 0.5; 1: <= 0.5 for 1-6 days; 2: 7-13 days; 3: >= 14 days or <= 0.1 for 7-13 days;
    4: <= 0.5 on every one of days 0-30 (all 31 days known, measured or interpolated) or <= 0.1 for
    >= 14 days.
Late ICAHT (day 31 to the window end), non-transient
    ``late_rule="consecutive"``: two consecutive measurements at or below the threshold (CART-SIE);
    ``"any_two"``: any two measurements. Grade 1 <= 1.5, 2 <= 1.0, 3 <= 0.5, 4 <= 0.1. The window
    ends at the last lab, or at ``late_end`` (a fixed day, or a per-patient day such as progression or
    next therapy).
Severe thrombocytopenia / anemia (CART-SIE)
    Platelets < 50 x 10^9/L / hemoglobin < 8 g/dL on two measurements after day 30 (in the late
    window, by the same ``late_rule``).
Missing data
    A grade with no measurement in its window is missing, not 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cartsie._checks import require_columns
from cartsie.errors import InputError
from cartsie.toxicity import _series as S
from cartsie.units import warn_magnitude

__all__ = [
    "EARLY_END",
    "LATE_THRESHOLDS",
    "SEVERE_HB",
    "SEVERE_PLT",
    "SURVEY_2023",
    "CytopeniaScheme",
    "grade_cytopenia",
    "grade_icaht",
    "recovery_phenotype",
]

EARLY_END = 30
LATE_THRESHOLDS = (1.5, 1.0, 0.5, 0.1)  # late ICAHT grades 1-4, ANC at or below (10^9/L)
SEVERE_PLT = 50.0
SEVERE_HB = 8.0


def _check_options(duration, late_rule, interpolation, max_gap, recovery_days) -> None:
    checks = {
        "duration": (duration, ("longest", "total")),
        "late_rule": (late_rule, ("consecutive", "any_two")),
        "interpolation": (interpolation, ("linear", "none")),
    }
    for name, (value, allowed) in checks.items():
        if value not in allowed:
            raise InputError(f"{name}={value!r} is not an option; choose one of {allowed}.")
    if int(max_gap) != max_gap or max_gap < 1:
        raise InputError(f"max_gap={max_gap!r} must be a whole number of days >= 1.")
    if int(recovery_days) != recovery_days or recovery_days < 1:
        raise InputError(f"recovery_days={recovery_days!r} must be a whole number of days >= 1.")


def _window_end(late_end, ids: pd.Index) -> np.ndarray:
    """Per-patient last day of the late window (inclusive; inf = up to the last lab)."""
    if late_end is None:
        return np.full(len(ids), np.inf)
    if isinstance(late_end, Mapping | pd.Series):
        end = pd.Series(late_end, dtype=float).reindex(ids).to_numpy()
        return np.where(np.isnan(end), np.inf, end)
    value = float(late_end)
    if not value > EARLY_END:
        raise InputError(f"late_end={late_end!r} must be a day after day {EARLY_END}.")
    return np.full(len(ids), value)


@dataclass(frozen=True)
class _Labs:
    ids: pd.Index
    series: dict[str, S.Series]


def _read_labs(labs: pd.DataFrame, analytes: tuple[str, ...], required: str, func: str, check_units: bool):
    require_columns(labs, ["patient_id", "day", required], func)
    codes, ids = S.patient_codes(labs, func)
    rows = S.SortedRows.of(codes, S.lab_days(labs, func), len(ids))
    present = tuple(a for a in analytes if a in labs.columns)
    if check_units:
        warn_magnitude(labs, present, stacklevel=4)
    series = {a: S.build_series(labs, a, rows, func) for a in present}
    return _Labs(ids, series)


def _two_measurement_min(series: S.Series, late_rule: str) -> np.ndarray:
    """Per patient, the value that two measurements reach: min of consecutive-pair maxima, or the
    second-lowest value."""
    if late_rule == "consecutive":
        codes, pair_max = S.consecutive_pairs(series)
        return S.per_patient_min(codes, pair_max, series.n_patients)
    return S.second_smallest(series)


def _late_window(series: S.Series, end: np.ndarray) -> S.Series:
    return series.select((series.day > EARLY_END) & (series.day <= end[series.code]))


def _nullable_int(values: np.ndarray, missing: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype("int64"), missing.copy())


def _early_durations(
    usable: S.Series, patients: np.ndarray, duration: str, interpolate: bool, max_gap: int, recovery_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grid, gap = S.daily_grid(usable, 0, EARLY_END, max_gap, interpolate, patients)
    known = ~np.isnan(grid)
    with np.errstate(invalid="ignore"):
        below05, below01 = grid <= 0.5, grid <= 0.1
        above05, above01 = grid > 0.5, grid > 0.1
    longest05, total05 = S.episodes(below05, above05, gap, recovery_days)
    longest01, total01 = S.episodes(below01, above01, gap, recovery_days)
    d05, d01 = (longest05, longest01) if duration == "longest" else (total05, total01)
    return d05, d01, known.all(axis=1) & below05.all(axis=1)


def _early(anc: S.Series, duration: str, interpolate: bool, max_gap: int, recovery_days: int) -> dict:
    usable = anc.select(anc.day >= -max_gap)
    n = anc.n_patients
    d05, d01 = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    never_above = np.zeros(n, dtype=bool)
    # Blocks of patients bound the patient x day grid and its temporaries (memory, not results).
    block = max(1, _GRID_CELLS // (EARLY_END + 1))
    for first in range(0, n, block):
        patients = np.arange(first, min(n, first + block))
        d05[patients], d01[patients], never_above[patients] = _early_durations(
            usable, patients, duration, interpolate, max_gap, recovery_days
        )
    grade = np.zeros(n, dtype=np.int64)
    grade[d05 >= 1] = 1
    grade[d05 >= 7] = 2
    grade[(d05 >= 14) | (d01 >= 7)] = 3
    grade[never_above | (d01 >= 14)] = 4
    n_early = usable.select((usable.day >= 0) & (usable.day <= EARLY_END)).count()
    missing = n_early == 0
    return {
        "icaht_early_grade": _nullable_int(grade, missing),
        "early_days_anc_le_0_5": _nullable_int(d05, missing),
        "early_days_anc_le_0_1": _nullable_int(d01, missing),
        "early_never_above_0_5": pd.arrays.BooleanArray(never_above, missing.copy()),
        "n_anc_early": n_early,
    }


def _late(anc: S.Series, end: np.ndarray, late_rule: str) -> dict:
    window = _late_window(anc, end)
    n_late = window.count()
    level = _two_measurement_min(window, late_rule)
    grade = np.zeros(anc.n_patients, dtype=np.int64)
    with np.errstate(invalid="ignore"):
        for g, threshold in enumerate(LATE_THRESHOLDS, start=1):
            grade[level <= threshold] = g
    missing = n_late == 0
    return {
        "icaht_late_grade": _nullable_int(grade, missing),
        "late_anc_sustained_level": level,
        "n_anc_late": n_late,
    }


def _severe(series: S.Series | None, n: int, end: np.ndarray, threshold: float, late_rule: str):
    if series is None:
        return pd.array([pd.NA] * n, dtype="Int64")
    window = _late_window(series, end)
    level = _two_measurement_min(window, late_rule)
    with np.errstate(invalid="ignore"):
        severe = (level < threshold).astype(np.int64)
    return _nullable_int(severe, window.count() == 0)


def recovery_phenotype(anc: S.Series, end: np.ndarray, max_gap: int) -> np.ndarray:
    """Neutrophil recovery phenotype per patient (Rejeski et al. 2021), from measurements.

    * ``aplastic``: ANC < 0.5 on consecutive measurements (at most ``max_gap`` days apart) spanning
      >= 14 days, without recovery in between;
    * ``intermittent``: recovery to ANC > 1.0 after the first value < 1.0, then a second dip below
      1.0 after day 21;
    * ``quick``: recovery without such a second dip, or ANC never below 1.0;
    * missing: no measurement from day 0, or no recovery yet and no 14-day aplasia (unclassifiable).

    Parameters
    ----------
    anc : cartsie.toxicity._series.Series
        The ANC measurements (10^9/L) of every patient, as :func:`grade_icaht` reads them from
        ``labs``: patient code, day since infusion and value, sorted, one per day.
    end : ndarray of float
        Last day considered, per patient code (inclusive; ``inf`` = up to the last measurement),
        as ``late_end`` of :func:`grade_icaht`.
    max_gap : int
        Longest gap, in days, between two measurements below 0.5 that still counts as one aplastic
        run.

    Returns
    -------
    ndarray of object
        One entry per patient code: ``"quick"``, ``"intermittent"``, ``"aplastic"`` or None.
    """
    s = anc.select((anc.day >= 0) & (anc.day <= end[anc.code]))
    n = s.n_patients
    low = s.value < 0.5
    same = np.zeros(len(s.code), dtype=bool)
    same[1:] = (s.code[1:] == s.code[:-1]) & (s.day[1:] - s.day[:-1] <= max_gap)
    cont = np.zeros(len(s.code), dtype=bool)
    cont[1:] = low[1:] & low[:-1] & same[1:]
    run_id = np.cumsum(low & ~cont)
    run_start = np.zeros(len(s.code), dtype=np.int64)
    starts = low & ~cont
    run_start_day = np.zeros(run_id.max() + 1 if len(run_id) else 1, dtype=np.int64)
    run_start_day[run_id[starts]] = s.day[starts]
    run_start[low] = run_start_day[run_id[low]]
    aplastic = np.zeros(n, dtype=bool)
    aplastic[s.code[low & (s.day - run_start + 1 >= 14)]] = True

    first_dip = S.per_patient_min(s.code, np.where(s.value < 1.0, s.day, np.inf), n)
    after_dip = s.day > first_dip[s.code]
    recovery = S.per_patient_min(s.code, np.where((s.value > 1.0) & after_dip, s.day, np.inf), n)
    second = (s.value < 1.0) & (s.day > 21) & (s.day > recovery[s.code])
    has_second = np.bincount(s.code[second], minlength=n) > 0
    measured = s.count() > 0
    never_dipped = measured & np.isnan(first_dip)
    recovered = ~np.isnan(recovery)
    out = np.full(n, None, dtype=object)
    out[never_dipped | recovered] = "quick"
    out[recovered & has_second] = "intermittent"
    out[aplastic] = "aplastic"
    return out


def grade_icaht(
    labs: pd.DataFrame,
    *,
    duration: Literal["longest", "total"] = "longest",
    late_rule: Literal["consecutive", "any_two"] = "consecutive",
    late_end: int | Mapping | pd.Series | None = None,
    interpolation: Literal["linear", "none"] = "linear",
    max_gap: int = 7,
    recovery_days: int = 3,
    check_units: bool = True,
) -> pd.DataFrame:
    """Grade ICAHT (early and late), severe thrombocytopenia/anemia and the recovery phenotype.

    Parameters
    ----------
    labs : DataFrame
        Long table: ``patient_id``, ``day`` (whole days since infusion), ``anc`` (10^9/L), optional
        ``plt`` (10^9/L) and ``hb`` (g/dL). Missing values are skipped; other columns are ignored.
    duration : {"longest", "total"}
        Early-ICAHT duration: the longest episode (default) or the total days at or below threshold.
    late_rule : {"consecutive", "any_two"}
        What makes a late cytopenia non-transient: two consecutive measurements at or below the
        threshold (default, CART-SIE) or any two. Also used for severe thrombocytopenia and anemia.
    late_end : int, mapping or Series, optional
        Last day of the late window: a fixed day (e.g. 100) or a per-patient day keyed by
        ``patient_id`` (progression, next therapy; missing = last lab). Default: the last lab.
    interpolation : {"linear", "none"}
        Fill days between measurements at most ``max_gap`` days apart by linear interpolation
        (default), or use measured days only.
    max_gap : int
        Longest gap, in days, bridged by interpolation (default 7).
    recovery_days : int
        Consecutive days above the threshold that end an episode (default 3).
    check_units : bool
        Warn when a count's median suggests a wrong unit (e.g. ANC per µL).

    Returns
    -------
    DataFrame
        One row per patient of ``labs`` (index ``patient_id``, sorted), columns
        ``icaht_early_grade``, ``icaht_late_grade`` (Int64, 0-4), ``early_days_anc_le_0_5``,
        ``early_days_anc_le_0_1`` (the durations behind the early grade), ``early_never_above_0_5``,
        ``late_anc_sustained_level`` (the ANC reached by two measurements, which sets the late grade),
        ``severe_thrombocytopenia``, ``severe_anemia`` (Int64 0/1), ``recovery_phenotype`` (quick,
        intermittent, aplastic or missing), ``n_anc_early`` and ``n_anc_late`` (measurement days in
        each window). Missing wherever a window holds no measurement.

    Notes
    -----
    The full conventions are in the module docstring. Thresholds: ANC at or below (<=) 0.5 and 0.1
    for early grades, 1.5/1.0/0.5/0.1 for late grades; platelets strictly below 50 and hemoglobin
    strictly below 8 for the severe cytopenias. CART-SIE's "early ICAHT" event is early grade >= 1
    and "severe late ICAHT" is late grade >= 3.

    Examples
    --------
    >>> import pandas as pd
    >>> labs = pd.DataFrame({"patient_id": "P1", "day": [0, 3, 7, 10, 14, 35, 42],
    ...                      "anc": [1.0, 0.3, 0.2, 0.8, 2.0, 0.9, 0.7]})
    >>> g = grade_icaht(labs)
    >>> int(g.loc["P1", "icaht_early_grade"]), int(g.loc["P1", "icaht_late_grade"])
    (1, 2)
    """
    _check_options(duration, late_rule, interpolation, max_gap, recovery_days)
    data = _read_labs(labs, ("anc", "plt", "hb"), "anc", "grade_icaht", check_units)
    anc = data.series["anc"]
    n = len(data.ids)
    end = _window_end(late_end, data.ids)
    out: dict = {}
    out.update(_early(anc, duration, interpolation == "linear", max_gap, recovery_days))
    out.update(_late(anc, end, late_rule))
    out["severe_thrombocytopenia"] = _severe(data.series.get("plt"), n, end, SEVERE_PLT, late_rule)
    out["severe_anemia"] = _severe(data.series.get("hb"), n, end, SEVERE_HB, late_rule)
    out["recovery_phenotype"] = pd.array(recovery_phenotype(anc, end, max_gap), dtype="string")
    columns = [
        "icaht_early_grade",
        "icaht_late_grade",
        "early_days_anc_le_0_5",
        "early_days_anc_le_0_1",
        "early_never_above_0_5",
        "late_anc_sustained_level",
        "severe_thrombocytopenia",
        "severe_anemia",
        "recovery_phenotype",
        "n_anc_early",
        "n_anc_late",
    ]
    return pd.DataFrame({c: out[c] for c in columns}, index=data.ids)


@dataclass(frozen=True)
class CytopeniaScheme:
    """Depth thresholds (strictly below, grades 1-3) and duration lower bounds (grades 2-4).

    Duration grade: 1 for any day below the duration threshold, then the highest grade whose bound
    the longest episode exceeds (``duration_above[k]`` days for grade k + 2). Grade 4 depth and grade 5
    need clinical input (bleeding, infection, death) and are never assigned from counts.

    Parameters
    ----------
    depth : tuple of 3 float
        Thresholds of depth grades 1, 2 and 3, in the analyte's canonical unit: a value strictly
        below ``depth[k]`` is at least grade k + 1 (NaN: that grade is set elsewhere, e.g. by
        ``hb_lln``).
    duration_above : tuple of 3 int
        Days that the longest episode below the duration threshold must exceed for grades 2, 3
        and 4.
    """

    depth: tuple[float, float, float]
    duration_above: tuple[int, int, int]


#: The EHA/EBMT survey's most popular choice per grade (HemaSphere 2023, Tables 2-4). Hemoglobin
#: grade 1 is "below the lower limit of normal": its depth is set by ``hb_lln``.
SURVEY_2023 = {
    "plt": CytopeniaScheme(depth=(100.0, 50.0, 20.0), duration_above=(4, 14, 28)),
    "hb": CytopeniaScheme(depth=(np.nan, 10.0, 8.0), duration_above=(7, 28, 60)),
    "anc": CytopeniaScheme(depth=(1.5, 1.0, 0.5), duration_above=(4, 14, 28)),
}

_GRID_CELLS = 250_000  # patients x days held at once by the early grade and grade_cytopenia (~25 MB)


def grade_cytopenia(
    labs: pd.DataFrame,
    lineage: Literal["anc", "plt", "hb"] = "anc",
    scheme: Literal["survey2023"] = "survey2023",
    *,
    window: tuple[int, int | None] = (0, 100),
    duration_threshold: float | None = None,
    hb_lln: float = 12.0,
    interpolation: Literal["linear", "none"] = "linear",
    max_gap: int = 7,
    recovery_days: int = 3,
    check_units: bool = True,
) -> pd.DataFrame:
    """Depth and duration grades of one lineage's cytopenia (EHA/EBMT survey, HemaSphere 2023).

    ============  ================  ==================  ===============  =================
    lineage       grade 1           grade 2             grade 3          grade 4
    ============  ================  ==================  ===============  =================
    plt depth     < 100             < 50                < 20             clinical input
    plt duration  <= 4 d            <= 7 d              > 14 d           > 28 d
    hb depth      < LLN             < 10 g/dL           < 8 g/dL         clinical input
    hb duration   <= 7 d            <= 14 d             > 28 d           > 60 d
    anc depth     < 1.5             < 1.0               < 0.5            clinical input
    anc duration  <= 4 d            <= 7 d              > 14 d           > 28 d
    ============  ================  ==================  ===============  =================

    Parameters
    ----------
    labs : DataFrame
        Long labs with ``patient_id``, ``day`` and the ``lineage`` column.
    lineage : {"anc", "plt", "hb"}
    scheme : {"survey2023"}
        The grading table (the survey's most popular answer per grade).
    window : (int, int or None)
        First and last day graded (default days 0-100; None = the last lab).
    duration_threshold : float, optional
        Count below which a day counts toward duration (default: the grade-1 depth threshold).
    hb_lln : float
        Lower limit of normal hemoglobin in g/dL for hemoglobin grade 1 (default 12.0).
    interpolation, max_gap, recovery_days, check_units
        As in :func:`grade_icaht`.

    Returns
    -------
    DataFrame
        One row per patient (index ``patient_id``): ``{lineage}_nadir``, ``{lineage}_depth_grade``
        (0-3), ``{lineage}_duration_days`` (longest episode below the duration threshold),
        ``{lineage}_duration_grade`` (0-4) and, for ANC, ``persistent_neutropenia`` (the first
        measurement on or after day 28, within ``max_gap`` days, is below 0.5). Missing when the
        window holds no measurement.

    Notes
    -----
    The survey leaves gaps between duration categories (for platelets, 8-14 days); cartsie fills
    them with the lower grade, so the duration grade is the highest grade whose lower bound is met:
    grade 1 from one day, grade 2 above the grade-1 limit, grade 3 above the grade-3 bound, grade 4
    above the grade-4 bound.
    """
    if scheme != "survey2023":
        raise InputError(f"scheme={scheme!r} is not known; the available scheme is 'survey2023'.")
    if lineage not in SURVEY_2023:
        raise InputError(f"lineage={lineage!r} is not graded; choose one of {sorted(SURVEY_2023)}.")
    _check_options("longest", "consecutive", interpolation, max_gap, recovery_days)
    data = _read_labs(labs, (lineage,), lineage, "grade_cytopenia", check_units)
    series = data.series[lineage]
    rule = SURVEY_2023[lineage]
    depth = (hb_lln, *rule.depth[1:]) if lineage == "hb" else rule.depth
    threshold = depth[0] if duration_threshold is None else float(duration_threshold)
    start, stop = window
    stop = int(series.day.max()) if stop is None and len(series.day) else (stop or start)
    inside = series.select((series.day >= start) & (series.day <= stop))
    n = series.n_patients
    nadir = S.per_patient_min(inside.code, inside.value, n)
    depth_grade = np.zeros(n, dtype=np.int64)
    for g, thr in enumerate(depth, start=1):
        depth_grade[nadir < thr] = g
    longest = _longest_below(
        series.select(series.day >= start - max_gap),
        start,
        stop,
        threshold,
        interpolation == "linear",
        max_gap,
        recovery_days,
    )
    dur_grade = (longest >= 1).astype(np.int64)
    for g, bound in enumerate(rule.duration_above, start=2):
        dur_grade[longest > bound] = g
    missing = inside.count() == 0
    out = {
        f"{lineage}_nadir": nadir,
        f"{lineage}_depth_grade": _nullable_int(depth_grade, missing),
        f"{lineage}_duration_days": _nullable_int(longest, missing),
        f"{lineage}_duration_grade": _nullable_int(dur_grade, missing),
    }
    if lineage == "anc":
        out["persistent_neutropenia"] = _persistent(series, max_gap)
    return pd.DataFrame(out, index=data.ids)


def _longest_below(series, start, stop, threshold, interpolate, max_gap, recovery_days) -> np.ndarray:
    """Longest episode strictly below ``threshold`` on days start..stop, in patient chunks."""
    n = series.n_patients
    longest = np.zeros(n, dtype=np.int64)
    chunk = max(1, _GRID_CELLS // max(1, stop - start + 1))
    for first in range(0, n, chunk):
        patients = np.arange(first, min(n, first + chunk))
        grid, gap = S.daily_grid(series, start, stop, max_gap, interpolate, patients)
        with np.errstate(invalid="ignore"):
            longest[patients] = S.episodes(grid < threshold, grid >= threshold, gap, recovery_days)[0]
    return longest


def _persistent(anc: S.Series, max_gap: int, day: int = 28, below: float = 0.5):
    """1 when the first ANC on or after ``day`` (within ``max_gap`` days) is below ``below``."""
    s = anc.select((anc.day >= day) & (anc.day <= day + max_gap))
    first = np.ones(len(s.code), dtype=bool)
    first[1:] = s.code[1:] != s.code[:-1]
    value = np.full(anc.n_patients, np.nan)
    value[s.code[first]] = s.value[first]
    with np.errstate(invalid="ignore"):
        flag = (value < below).astype(np.int64)
    return _nullable_int(flag, np.isnan(value))
