"""Reading tables from the files registries export: CSV, Excel, Parquet, SAS and Stata."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import pandas as pd

from cartsie._checks import describe_rows
from cartsie.errors import CohortWarning, InputError
from cartsie.units import parse_censored

READERS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "excel",
    ".xls": "excel",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".sas7bdat": "sas",
    ".xpt": "xport",
    ".dta": "stata",
    ".sav": "spss",
}


def _csv_options(path: Path) -> dict:
    """Delimiter and decimal mark from the header line: ``;`` with decimal commas (European
    spreadsheets), tab, or ``,``."""
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    sep = max(counts, key=counts.get)
    return {"sep": sep, "decimal": "," if sep == ";" else "."}


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table chosen by file extension (see :data:`READERS`); column names are kept as-is.

    CSV files may use ``,``, ``;`` (then with decimal commas) or tabs; the header line decides.

    Raises
    ------
    InputError
        When the file does not exist, has an unknown extension, or cannot be parsed.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"file {str(path)!r} does not exist. Check the path.")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"file {path.name!r}: cartsie reads {', '.join(sorted(READERS))} files; "
            "convert it to one of these (CSV is simplest)."
        )
    try:
        if kind == "csv":
            return pd.read_csv(path, encoding="utf-8-sig", **_csv_options(path))
        if kind == "excel":
            return pd.read_excel(path)
        if kind == "parquet":
            return pd.read_parquet(path)
        if kind in ("sas", "xport", "spss"):
            # pyreadstat keeps long names and date formats that pandas' SAS reader loses.
            import pyreadstat

            reader = {
                "sas": pyreadstat.read_sas7bdat,
                "xport": pyreadstat.read_xport,
                "spss": pyreadstat.read_sav,
            }[kind]
            return reader(str(path))[0]
        return pd.read_stata(path)
    except Exception as exc:
        raise InputError(f"file {path.name!r} could not be read as {kind}: {exc}") from None


def example_path(name: str) -> Path:
    """Path of an example file shipped with cartsie (``example_patients.csv``, ``example_labs.csv``)."""
    return Path(str(resources.files("cartsie") / "data" / name))


def clean_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Column names stripped, lower-cased, inner spaces and hyphens as underscores."""
    out = df.copy()
    out.columns = [str(c).strip().lower().replace(" ", "_").replace("-", "_") for c in df.columns]
    return out


def coerce_numeric(df: pd.DataFrame, columns: Iterable[str], table: str) -> pd.DataFrame:
    """Make ``columns`` numeric; censored text such as ``"<0.1"`` is parsed with a warning.

    Raises
    ------
    InputError
        Listing, per column, the text that is not a number and the patients holding it.
    """
    out = df.copy()
    problems = []
    for col in columns:
        if col not in out.columns or pd.api.types.is_numeric_dtype(out[col]):
            continue
        values, censored = parse_censored(out[col])
        bad = values.isna() & out[col].notna() & (out[col].astype(str).str.strip() != "")
        if bad.any():
            shown = ", ".join(repr(v) for v in out.loc[bad, col].astype(str).unique()[:3])
            problems.append(
                f"column {col!r} of the {table}: text that is not a number ({shown}) at "
                f"{describe_rows(out, bad.to_numpy())}; write numbers or leave blank"
            )
        if censored.any():
            warnings.warn(
                f"column {col!r} of the {table}: {int(censored.sum())} value(s) written with a "
                f"detection-limit sign (e.g. {out.loc[censored, col].iloc[0]!r}) at "
                f"{describe_rows(out, censored.to_numpy())}; each is read as lying just beyond "
                "its limit.",
                CohortWarning,
                stacklevel=3,
            )
        out[col] = values
    if problems:
        raise InputError("; ".join(problems) + ".")
    return out
