"""Stage 2, columns: the registry's headers as cartsie's column names, and every header accounted for.

A header is matched, in order, through the column map the registry wrote once
(``columns=``/``--columns``), then ignoring case, accents, spaces and punctuation, then through the
synonyms of :data:`cartsie.cohort.schema.COLUMN_ALIASES` (English and Italian). A unit written in a
lab's header ("CRP (mg/L)") is a unit of *that table only*; a unit in another header ("Age (years)")
must be the one cartsie expects. Nothing is dropped silently: every header that is not recognised is
listed with a "did you mean"; two headers meaning one column are refused; a missing required column
names the closest header present.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

import pandas as pd

from cartsie.cohort import schema
from cartsie.cohort.options import Options
from cartsie.cohort.problems import Report
from cartsie.units import normalise_unit

_UNIT_IN_NAME = re.compile(r"^(.*?)[\s_]*[\(\[]\s*([^\)\]]+?)\s*[\)\]]\s*$")
#: Spellings of the units of the non-lab columns that carry one.
_PLAIN_UNITS = {"years": {"years", "year", "yrs", "yr", "y", "anni"}, "days": {"days", "day", "d", "giorni"}}
_LAB_UNITS = ("anc", "plt", "hb", "crp", "ferritin")


def normalise(header: str) -> str:
    """``"Date of Death "`` -> ``"date_of_death"``; accents dropped (``"Età"`` -> ``"eta"``)."""
    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def _known(table: str) -> dict:
    return schema.PATIENTS if table == "patients" else schema.LABS


def _lookup(name: str, table: str) -> str | None:
    known = _known(table)
    if name in known:
        return name
    target = schema.COLUMN_ALIASES.get(name)
    return target if target in known else None


def _mapped(header: str, table: str, options: Options):
    text = str(header).strip()
    for entry in options.columns:
        if entry.table not in (None, table):
            continue
        same = entry.source == text or normalise(entry.source) == normalise(text)
        if same and entry.target in _known(table):
            return entry
    return None


def split_header(header: str, table: str, options: Options) -> tuple[str | None, str | None]:
    """(cartsie name, unit written in the header) of one header; (None, unit) when not recognised."""
    entry = _mapped(header, table, options)
    if entry is not None:
        return entry.target, entry.unit
    whole = _lookup(normalise(header), table)
    if whole is not None:
        return whole, None
    m = _UNIT_IN_NAME.match(str(header).strip())
    if m:
        return _lookup(normalise(m.group(1)), table), m.group(2)
    return None, None


def canonical(header, table: str, options: Options) -> str | None:
    """cartsie's name for ``header`` in ``table``, or None (used by the reader to find the header row)."""
    if header is None or (not isinstance(header, str) and pd.isna(header)):
        return None
    return split_header(str(header), table, options)[0]


def suggest(header: str, table: str) -> str | None:
    """The cartsie column a header that is not recognised most likely means."""
    base = _UNIT_IN_NAME.match(str(header).strip())
    name = normalise(base.group(1) if base else header)
    return schema.closest(name, table)


def resolve(frame: pd.DataFrame, table: str, options: Options, report: Report):
    """Rename ``frame``'s columns to cartsie's names; units found in headers; unrecognised columns.

    Returns
    -------
    frame : DataFrame
        Recognised columns under cartsie's names; in the patients table unrecognised columns are kept
        under their header (extra covariates), in the labs table they are left out. Both are listed.
    units : dict
        Column -> unit written in this table's headers (or the column map).
    """
    header_of: dict[str, list[str]] = {}
    units: dict[str, str] = {}
    unknown: list[str] = []
    keep: list[tuple[int, str]] = []
    seen = pd.Series([str(h) for h in frame.columns])
    for literal in seen[seen.duplicated() & (seen != "")].unique():
        report.add(
            f"{table} table: the header {literal!r} appears {int((seen == literal).sum())} times. Keep one "
            "column of that name (rename or delete the others)."
        )
    for pos, header in enumerate(seen):
        if not _usable_header(frame, pos, header, seen, table, report):
            continue
        name, unit = split_header(header, table, options)
        if name is None:
            unknown.append(header)
            if table == "patients":
                keep.append((pos, header))
            continue
        header_of.setdefault(name, []).append(header)
        if len(header_of[name]) > 1:
            continue  # two headers meaning one column: refused below, the first is still checked
        keep.append((pos, name))
        report.headers[(table, name)] = header
        if unit is not None:
            _unit_of(name, unit, header, table, units, report)
    for name, headers in header_of.items():
        if len(headers) > 1:
            report.add(
                f"{table} table: the columns {', '.join(map(repr, headers))} all mean {name!r}. Keep one of "
                "them (rename or delete the others), or map them explicitly with a column map."
            )
    if unknown:
        _report_unknown(unknown, table, report)
    out = frame.iloc[:, [p for p, _ in keep]].copy()
    out.columns = [n for _, n in keep]
    out.attrs = dict(frame.attrs) | {"unrecognised": unknown}
    renamed = {h[0]: n for n, h in header_of.items() if h[0] != n}
    if renamed:
        report.note(f"{table} table: columns read as {renamed}")
    return out, units


def _usable_header(frame: pd.DataFrame, pos: int, header: str, seen: pd.Series, table: str, report) -> bool:
    """False for a column without a header (warned when it holds values) and for the repeats of a
    header written twice (refused by the caller; its first column is still checked)."""
    if header == "" or header.lower().startswith("unnamed:"):
        if frame.iloc[:, pos].notna().any():
            report.warn(
                f"{table} table: a column without a header holds values (column {pos + 1}); "
                "it is not used. Give it a header, or delete it."
            )
        return False
    return not (seen.iloc[:pos] == header).any()


def _unit_of(name: str, unit: str, header: str, table: str, units: dict, report: Report) -> None:
    spec = _known(table)[name]
    if name in _LAB_UNITS:
        units[name] = unit
        return
    expected = spec.unit
    if expected in _PLAIN_UNITS and unit.strip().lower() in _PLAIN_UNITS[expected]:
        return
    if expected is not None and normalise_unit(unit) == normalise_unit(expected):
        return
    report.add(
        f'{table} table, column {name!r} ("{header}"): the header gives the unit {unit!r} but cartsie '
        f"reads {name} in {expected or 'no unit'}. Convert the values, or map the column explicitly."
    )


def _report_unknown(unknown: list[str], table: str, report: Report) -> None:
    parts = []
    for header in unknown:
        guess = suggest(header, table)
        parts.append(f"{header!r}" + (f" (did you mean {guess!r}?)" if guess else ""))
    fate = "kept as extra columns, unused by the analyses" if table == "patients" else "left out"
    report.warn(
        f"{table} table: {len(unknown)} column(s) not recognised, {fate}: {', '.join(parts)}. Rename "
        "them, or write a column map (--columns map.csv; `cartsie validate --suggest-map` starts one)."
    )


def closest_header(frame_headers: list[str], wanted: str, table: str) -> str | None:
    """The header present that most resembles a missing column (by its name and its synonyms)."""
    names = [wanted, *(a for a, c in schema.COLUMN_ALIASES.items() if c == wanted)]
    best, score = None, 0.0
    for header in frame_headers:
        h = normalise(header)
        for n in names:
            ratio = difflib.SequenceMatcher(None, h, n).ratio()
            if ratio > score:
                best, score = header, ratio
    return best if score >= 0.6 else None


def suggest_map(frame: pd.DataFrame, table: str, options: Options) -> pd.DataFrame:
    """A starter column map for ``frame``: every header with the cartsie name it is read as (or the
    likeliest one, to be checked), the unit in its header, and whether it was recognised.

    Parameters
    ----------
    frame : DataFrame
        The table as read (headers as written in the file).
    table : {"patients", "labs"}
        Which table it is (the names and synonyms differ).
    options : Options
        The reading options; an existing column map in them is applied first.

    Returns
    -------
    DataFrame
        One row per header: ``source`` (the header), ``cartsie`` (its name, a guess, or empty),
        ``unit`` (from the header), ``table`` and ``status`` ("recognised", "guess: check" or
        "unknown"); written as CSV it is a column map :func:`load` reads with ``columns=``.
    """
    rows = []
    for header in frame.columns:
        name, unit = split_header(str(header), table, options)
        rows.append(
            {
                "source": str(header),
                "cartsie": name or suggest(str(header), table) or "",
                "unit": unit or "",
                "table": table,
                "status": "recognised"
                if name
                else ("guess: check" if suggest(str(header), table) else "unknown"),
            }
        )
    return pd.DataFrame(rows, columns=["source", "cartsie", "unit", "table", "status"])
