"""How to read a registry export: the options every command shares, checked once.

:func:`make_options` turns the keyword arguments of :func:`cartsie.cohort.load` (and the flags of every
``cartsie`` command, which pass through it) into one frozen :class:`Options`, so that reading is the
same everywhere. Arguments that cannot be right raise :class:`cartsie.InputError` at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cartsie.cohort import schema
from cartsie.errors import InputError

TABLES = ("patients", "labs")
LAB_DUPLICATE_RULES = ("error", "worst", "mean")
_SEPARATORS = (",", ".", " ", "'")


@dataclass(frozen=True)
class MapEntry:
    """One line of a column map: the registry's header, cartsie's name, its unit and table."""

    source: str
    target: str
    unit: str | None = None
    table: str | None = None  # None: whichever table has the header


@dataclass(frozen=True)
class Options:
    """Reading options of one cohort (see :func:`cartsie.cohort.load` for their meaning).

    Made by :func:`make_options`, which checks the arguments; each parameter is an attribute.

    Parameters
    ----------
    units : mapping
        Declared units per table: ``{"patients": {column: unit}, "labs": {column: unit}}``.
    columns : tuple of MapEntry
        The column map: registry header -> cartsie name (with its unit and table, if given).
    sheet : mapping
        Excel sheet (name, 0-based index or None = found by name, else the first) per table.
    decimal : mapping
        Decimal mark of numbers written as text per table (``"."``, ``","`` or None = from the data).
    thousands : mapping
        Thousands separator per table (``","``, ``"."``, ``" "``, ``"'"`` or None = from the data).
    dayfirst : bool or None
        Day before month in dates such as 02/03/2021; None decides from the data.
    encoding : str or None
        Text encoding of CSV files; None is UTF-8 (UTF-16 when the file says so).
    na : frozenset of str
        Declared missing codes, as text (999, 999.0 and "999" are one code).
    strict : bool
        Doubtful values are errors instead of warnings.
    cutoff : Timestamp
        Data cut-off (a day): a date after it is an error.
    lab_duplicates : {"error", "worst", "mean"}
        Two different draws on one day: refused, the lowest count kept, or averaged.
    """

    units: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: {t: {} for t in TABLES})
    columns: tuple[MapEntry, ...] = ()
    sheet: Mapping[str, str | int | None] = field(default_factory=lambda: {t: None for t in TABLES})
    decimal: Mapping[str, str | None] = field(default_factory=lambda: {t: None for t in TABLES})
    thousands: Mapping[str, str | None] = field(default_factory=lambda: {t: None for t in TABLES})
    dayfirst: bool | None = None
    encoding: str | None = None
    na: frozenset[str] = frozenset()
    strict: bool = False
    cutoff: pd.Timestamp = field(default_factory=lambda: pd.Timestamp.today().normalize())
    lab_duplicates: str = "error"


def _per_table(value, what: str) -> dict:
    if isinstance(value, Mapping) and set(value) <= set(TABLES):
        return {t: value.get(t) for t in TABLES}
    if isinstance(value, Mapping):
        raise InputError(f"{what}: give one value, or a mapping with the keys 'patients' and/or 'labs'.")
    return {t: value for t in TABLES}


def split_units(units: Mapping | None, has_labs: bool) -> dict[str, dict[str, str]]:
    """Declared units per table from ``{"patients": {...}, "labs": {...}}`` or a flat mapping whose keys
    are ``"table.column"`` or a bare column that only one table can have."""
    out: dict[str, dict[str, str]] = {t: {} for t in TABLES}
    if not units:
        return out
    if not isinstance(units, Mapping):
        raise InputError(
            "units: give a mapping such as {'patients': {'crp': 'mg/L'}, 'labs': {'hb': 'g/L'}}."
        )
    for key, value in units.items():
        if key in TABLES:
            if not isinstance(value, Mapping):
                raise InputError(f"units[{key!r}]: give a mapping column -> unit, e.g. {{'crp': 'mg/L'}}.")
            out[key].update({str(c).strip().lower(): str(u) for c, u in value.items()})
            continue
        table, _, column = str(key).strip().lower().rpartition(".")
        if table and table not in TABLES:
            raise InputError(f"units: {key!r} names table {table!r}; the tables are 'patients' and 'labs'.")
        if not table:
            in_labs = column in schema.LABS and schema.LABS[column].unit is not None
            in_patients = column in schema.PATIENTS
            if in_labs and in_patients and has_labs:
                raise InputError(
                    f"units: {column!r} is a column of both tables; say which one the unit is for: "
                    f"'patients.{column}' or 'labs.{column}' (--unit patients.{column}=...)."
                )
            table = "labs" if in_labs and not in_patients else "patients"
        out[table][column] = str(value)
    return out


def read_column_map(columns) -> tuple[MapEntry, ...]:
    """A column map from a CSV path (columns ``source, cartsie[, unit][, table]``), a DataFrame with
    those columns, or a mapping ``{source: cartsie}`` / ``{source: (cartsie, unit)}``."""
    if columns is None:
        return ()
    if isinstance(columns, Mapping):
        entries = []
        for source, target in columns.items():
            target, unit = (target, None) if isinstance(target, str) else (*tuple(target), None)[:2]
            entries.append(MapEntry(str(source), str(target), unit))
        return _checked(entries, "the column map")
    if isinstance(columns, str | Path):
        path = Path(columns)
        if not path.is_file():
            raise InputError(f"column map {str(path)!r} does not exist. Check the path.")
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"column map {path.name!r} could not be read as CSV: {exc}") from None
        where = f"column map {path.name!r}"
    elif isinstance(columns, pd.DataFrame):
        frame, where = columns.astype(str), "the column map"
    else:
        raise InputError(f"columns: give a CSV path, a DataFrame or a mapping, not {type(columns).__name__}.")
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if not {"source", "cartsie"} <= set(frame.columns):
        raise InputError(
            f"{where} needs the columns 'source' (your header) and 'cartsie' (cartsie's name); optional "
            "'unit' and 'table'. `cartsie validate FILE --suggest-map` writes a starter map."
        )
    entries = [
        MapEntry(
            r["source"].strip(),
            r["cartsie"].strip().lower(),
            (r.get("unit") or "").strip() or None,
            (r.get("table") or "").strip().lower() or None,
        )
        for r in frame.to_dict("records")
        if r["source"].strip()
    ]
    return _checked(entries, where)


def _checked(entries: list[MapEntry], where: str) -> tuple[MapEntry, ...]:
    for e in entries:
        if e.table is not None and e.table not in TABLES:
            raise InputError(f"{where}: table {e.table!r} of {e.source!r} is not 'patients' or 'labs'.")
        known = [t for t in TABLES if e.target in (schema.PATIENTS if t == "patients" else schema.LABS)]
        if not known or (e.table is not None and e.table not in known):
            close = schema.closest(e.target)
            hint = f" Did you mean {close!r}?" if close else ""
            raise InputError(f"{where}: {e.target!r} (for {e.source!r}) is not a cartsie column.{hint}")
    return tuple(entries)


def make_options(
    *,
    units=None,
    columns=None,
    sheet=None,
    decimal: str | Mapping | None = None,
    thousands: str | Mapping | None = None,
    dayfirst: bool | None = None,
    encoding: str | None = None,
    na: Iterable = (),
    strict: bool = False,
    cutoff=None,
    lab_duplicates: str = "error",
    has_labs: bool = True,
) -> Options:
    """Check and normalise the reading options (see :func:`cartsie.cohort.load`).

    Parameters
    ----------
    units : mapping, optional
        Units of values not in canonical units: ``{"patients": {"crp": "mg/L"}, "labs": {"hb":
        "g/L"}}``, or a flat mapping with ``"table.column"`` keys or bare columns only one table has.
    columns : path, DataFrame or mapping, optional
        A column map: CSV or frame with ``source``, ``cartsie`` (optional ``unit``, ``table``), or
        ``{source: cartsie}`` / ``{source: (cartsie, unit)}``.
    sheet : str, int or mapping, optional
        Excel sheet (name or 0-based index), or one per table ``{"patients": ..., "labs": ...}``.
    decimal : str or mapping, optional
        Decimal mark ``"."`` or ``","`` (or one per table); None tells them apart by pattern.
    thousands : str or mapping, optional
        Thousands separator (``","``, ``"."``, ``" "``, ``"'"``, or one per table); must differ from
        ``decimal``.
    dayfirst : bool, optional
        Day before month in dates such as 02/03/2021; None decides from the data.
    encoding : str, optional
        Text encoding of CSV files (None: UTF-8, UTF-16 when the file says so).
    na : iterable or scalar, optional
        Values that mean missing in this export ("999", "ND").
    strict : bool, default False
        Make doubtful values errors instead of warnings.
    cutoff : date or str, optional
        Data cut-off (default today); a date after it is an error.
    lab_duplicates : {"error", "worst", "mean"}, default "error"
        Two different draws on one day: refuse, keep the lowest count, or average.
    has_labs : bool, default True
        Whether a labs table is given: a bare column of ``units`` that both tables can have is then
        ambiguous and refused.

    Returns
    -------
    Options
        The checked options, per table where they can differ.

    Raises
    ------
    InputError
        For a value that cannot be right (a decimal mark other than "." or ",", equal decimal and
        thousands marks, an unknown ``lab_duplicates`` rule, a cut-off that is not a date, a column map
        naming columns cartsie does not have).
    """
    decimal, thousands = _per_table(decimal, "decimal"), _per_table(thousands, "thousands")
    for table in TABLES:
        if decimal[table] not in (None, ".", ","):
            raise InputError(
                f"decimal must be '.' or ',' (or None to decide from the data), not {decimal[table]!r}."
            )
        if thousands[table] not in (None, *_SEPARATORS):
            raise InputError(f"thousands must be one of {_SEPARATORS} or None, not {thousands[table]!r}.")
        if thousands[table] is not None and thousands[table] == decimal[table]:
            raise InputError(f"thousands and decimal are both {thousands[table]!r}; they must differ.")
    if lab_duplicates not in LAB_DUPLICATE_RULES:
        raise InputError(f"lab_duplicates must be one of {LAB_DUPLICATE_RULES}, not {lab_duplicates!r}.")
    if isinstance(na, str | int | float):
        na = [na]
    na_codes = frozenset(_na_text(v) for v in na)
    if cutoff is None:
        day = pd.Timestamp.today().normalize()
    else:
        day = pd.to_datetime(cutoff, errors="coerce")
        if pd.isna(day):
            raise InputError(f"cutoff {cutoff!r} is not a date; write it as YYYY-MM-DD.")
    return Options(
        units=split_units(units, has_labs),
        columns=read_column_map(columns),
        sheet=_per_table(sheet, "sheet"),
        decimal=decimal,
        thousands=thousands,
        dayfirst=dayfirst,
        encoding=encoding,
        na=na_codes,
        strict=bool(strict),
        cutoff=pd.Timestamp(day).normalize(),
        lab_duplicates=lab_duplicates,
    )


def _na_text(value) -> str:
    """A declared missing code as the text it is matched on: 999, 999.0 and "999" are one code."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text.lower()
    return f"{number:g}" if number == int(number) else text
