"""Stage 4, units: each table's lab values in cartsie's units, converted only as declared.

A unit comes from the ``units=`` argument (per table) or from the table's own headers ("CRP (mg/L)"),
never from the other table. Undeclared values are taken to be in the canonical unit (ANC and platelets
10^9/L, Hb g/dL, CRP mg/dL, ferritin ng/mL) only while their median is plausible in it; a median that
is not (CRP median 10.9 "mg/dL", platelets 150,000 "10^9/L", Hb 105 "g/dL") is refused with a request
to declare the unit, never guessed. After a declared conversion an implausible median is a warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie.cohort.problems import Report
from cartsie.errors import InputError
from cartsie.units import CANONICAL, convert

#: Plausible cohort medians in canonical units, per table (labs after CAR T-cells run lower), and the
#: unit a median above (or below) the range most likely means.
PLAUSIBLE_MEDIAN: dict[str, dict[str, tuple[float, float, str, str]]] = {
    "patients": {
        "anc": (0.2, 20.0, "cells/µL", "/uL"),
        "plt": (10.0, 800.0, "cells/µL", "/uL"),
        "hb": (7.5, 18.0, "g/L (or mmol/L when low)", "g/L"),
        "crp": (0.0, 5.0, "mg/L", "mg/L"),
        "ferritin": (5.0, 20000.0, "pmol/L or µg/dL", "pmol/L"),
    },
    "labs": {
        "anc": (0.01, 30.0, "cells/µL", "/uL"),
        "plt": (5.0, 800.0, "cells/µL", "/uL"),
        "hb": (6.0, 18.0, "g/L (or mmol/L when low)", "g/L"),
    },
}


def convert_column(values: pd.Series, col: str, table: str, unit: str, report: Report) -> pd.Series | None:
    """``values`` of ``col`` converted from the declared ``unit`` to the canonical one (None when the
    unit is not one cartsie converts, which is a problem)."""
    if col not in CANONICAL:
        report.add(f"{table} table: {col!r} has no unit to convert (units are for {', '.join(CANONICAL)}).")
        return None
    try:
        factor = convert(1.0, col, unit)
    except InputError as exc:
        report.add(f"{table} table, {report.column(table, col)}: {exc}")
        return None
    if factor != 1.0:
        report.note(f"{table} table: {col!r} converted from {unit} to {CANONICAL[col]}")
    return values * factor


def median_plausible(values: pd.Series, col: str, table: str, declared: str | None, report: Report) -> bool:
    """False, with a problem asking for the unit, when an undeclared column's median is implausible in
    the canonical unit; after a declared conversion an implausible median is only a warning."""
    rule = PLAUSIBLE_MEDIAN.get(table, {}).get(col)
    possible = values[values >= 0]  # negative values are reported as impossible, not as a unit
    if rule is None or possible.notna().sum() == 0:
        return True
    low, high, looks_like, example = rule
    med = float(np.nanmedian(possible.to_numpy(dtype=float)))
    if low <= med <= high:
        return True
    if col == "hb" and med < low:
        looks_like, example = "mmol/L", "mmol/L"
    what = (
        f"{table} table, {report.column(table, col)}: median {med:g} is implausible in {CANONICAL[col]} "
        f"(expected between {low:g} and {high:g})"
    )
    if declared is not None:
        report.warn(f"{what}, although its unit is declared as {declared}. Check the declared unit.")
        return True
    report.add(
        f"{what}; the values look like {looks_like}. Declare their unit so cartsie converts them: "
        f"units={{'{table}': {{'{col}': '{example}'}}}} (--unit {table}.{col}={example}), or "
        f"'{CANONICAL[col]}' (--unit {table}.{col}={CANONICAL[col]}) if they really are in {CANONICAL[col]}."
    )
    return False


def unused_units(frame: pd.DataFrame, table: str, declared: dict[str, str], report: Report) -> None:
    """A unit declared for a column the table does not have is a problem (a typo would go unnoticed)."""
    for col, unit in declared.items():
        if col not in frame.columns:
            report.add(
                f"{table} table: a unit is declared for {col!r} ({unit}), but the table has no such column."
            )
