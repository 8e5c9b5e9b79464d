"""Stage 1, read: a registry export as a frame of raw values, and what the file really is.

The file's kind comes from its first bytes, not only its extension, so that an HTML page or a zip
archive saved as ``.xlsx``, an encrypted workbook, a truncated Parquet file or a binary file named
``.csv`` each get a message saying what the file is. Column names are kept exactly as written
(duplicates too: the columns stage refuses them); a title block above the header row of a spreadsheet
is skipped, and said. Values are not converted here: text stays text, so the values stage can tell an
id ``0123`` from ``123``, a thousands separator from a decimal comma, and a "not done" code from a
count.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from cartsie.cohort.columns import canonical
from cartsie.cohort.options import Options
from cartsie.cohort.problems import Report
from cartsie.errors import CohortError

READERS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "xls",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".sas7bdat": "sas",
    ".xpt": "xport",
    ".dta": "stata",
    ".sav": "spss",
}
#: Readers whose numeric dates count days from 1960-01-01 (SAS, Stata); spreadsheets count from
#: 1899-12-30.
ORIGIN_1960 = ("sas", "xport", "stata")
#: Words that mean "missing" in every export (compared case-insensitively, after trimming).
MISSING_WORDS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "."})
_HEADER_SCAN = 30
_HEAD_BYTES = 1 << 16  # the part of a CSV file searched for its header


def _what_is(head: bytes, tail: bytes, size: int) -> str | None:
    """What the bytes of a file say it is, when that is not what cartsie can read as named."""
    if size == 0:
        return "empty (0 bytes)"
    text = head.lstrip()[:512].lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or b"<html" in text:
        return "a web page (HTML/XML), not a spreadsheet: open it and save it as .xlsx or CSV"
    if head.startswith(b"%PDF"):
        return "a PDF document, not a table"
    if head.startswith(b"\x1f\x8b"):
        return "gzip-compressed: decompress it first"
    return None


def _zip_contents(path: Path) -> list[str] | None:
    try:
        with zipfile.ZipFile(path) as z:
            return z.namelist()
    except zipfile.BadZipFile:
        return None


def _container(path: Path, head: bytes, kind: str) -> str | None:
    """What a zip or OLE container is, or None when it is the workbook its extension says."""
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        if "EncryptionInfo".encode("utf-16-le") in path.read_bytes():
            return "an encrypted (password-protected) Excel workbook: remove the password and save again"
        return (
            None if kind == "xls" else "an old-format Excel workbook (.xls): name it .xls or save it as .xlsx"
        )
    names = _zip_contents(path)
    if names is None:
        return "a damaged or incomplete (truncated?) zip/Excel file: export it again"
    if kind == "excel" and "xl/workbook.xml" in names:
        return None
    if "word/document.xml" in names:
        return "a Word document, not a table"
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return f"a zip archive holding {shown}: extract the table from it first"


def sniff(path: Path) -> str:
    """The reader for ``path`` (a value of :data:`READERS`), checked against the file's first bytes.

    Raises
    ------
    CohortError
        Naming what the file is when it is not a table cartsie can read under its extension.
    """
    name = path.name
    if not path.is_file():
        raise CohortError(f"file {str(path)!r} does not exist. Check the path.")
    kind = READERS.get(path.suffix.lower())
    if kind is None:
        raise CohortError(
            f"file {name!r}: cartsie reads {', '.join(sorted(READERS))} files; "
            "convert it to one of these (CSV is simplest)."
        )
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(4096)
        fh.seek(max(0, size - 8))
        tail = fh.read(8)
    what = _what_is(head, tail, size)
    if what is None and head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        what = _container(path, head, kind)
        if what is None:
            return kind
    elif what is None and head.startswith(b"PAR1") and kind != "parquet":
        what = "a Parquet file: name it .parquet"
    if what is None and kind == "parquet" and not (head.startswith(b"PAR1") and tail.endswith(b"PAR1")):
        what = "not a complete Parquet file (truncated, or another format): export it again"
    if what is None and kind in ("excel", "xls"):
        what = "not an Excel workbook: export it again, or save it as CSV"
    if what is None and kind == "csv" and b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        what = "a binary file, not text: export the table as CSV"
    if what is not None:
        raise CohortError(f"file {name!r} is {what}.")
    return kind


def _decode(path: Path, encoding: str | None, report: Report) -> tuple[str, str]:
    """The text of a CSV file and its encoding: UTF-8 (UTF-16 when its mark says so) unless declared;
    a file that is not UTF-8 is read as cp1252, which Windows spreadsheets write (said in the notes).

    A file of ASCII bytes only (most exports) is UTF-8 as it stands: then only its first 64 KiB are
    decoded (the header search needs no more; pandas reads the file itself).
    """
    raw = path.read_bytes()
    if encoding is None and raw.isascii():
        return raw[:_HEAD_BYTES].decode("ascii"), "utf-8-sig"
    if encoding is None and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    tries = [encoding] if encoding is not None else ["utf-8-sig", "cp1252", "latin-1"]
    for i, name in enumerate(tries):
        try:
            text = raw.decode(name)
        except UnicodeDecodeError as exc:
            if i + 1 < len(tries):
                continue
            bad = raw[max(0, exc.start - 20) : exc.start + 20]
            raise CohortError(
                f"file {path.name!r} is not {name} text (byte {exc.start}: {bad!r}). Pass its encoding: "
                "encoding='cp1252' (--encoding cp1252) for Windows exports, 'latin-1' for older ones."
            ) from None
        except LookupError:
            raise CohortError(
                f"encoding {name!r} is not one Python knows (try 'cp1252' or 'latin-1')."
            ) from None
        if i:
            # only text (names of centres...) can differ between these encodings, never a number
            report.note(
                f"file {path.name!r} is not UTF-8: read as {name}; pass encoding= (--encoding) if not"
            )
        return text, name
    raise AssertionError("unreachable")  # pragma: no cover


def _delimiter(line: str) -> str:
    counts = {sep: line.count(sep) for sep in (",", ";", "\t", "|")}
    return max(counts, key=counts.__getitem__)


def header_row(rows: list[list], table: str, options: Options) -> int:
    """Index of the header among the first rows: the first row with at least two recognised column
    names (a title block of a few lines often stands above it), else the first row."""
    for i, row in enumerate(rows[:_HEADER_SCAN]):
        names = [str(v) for v in row if v is not None and not pd.isna(v) and str(v).strip()]
        if len(names) >= 2 and sum(canonical(n, table, options) is not None for n in names) >= 2:
            return i
    return 0


def _frame(header: list, body: list[list] | pd.DataFrame) -> pd.DataFrame:
    names = [("" if h is None or pd.isna(h) else str(h)).strip() for h in header]
    frame = body if isinstance(body, pd.DataFrame) else pd.DataFrame(body)
    frame = frame.iloc[:, : len(names)] if frame.shape[1] > len(names) else frame
    for j in range(frame.shape[1], len(names)):
        frame[j] = None
    frame.columns = names
    return frame.reset_index(drop=True)


def _read_csv(path: Path, options: Options, report: Report, table: str) -> pd.DataFrame:
    text, encoding = _decode(path, options.encoding, report)
    lines = text[:_HEAD_BYTES].splitlines()[:_HEADER_SCAN]
    source = path if encoding == "utf-8-sig" else io.StringIO(text)  # pandas reads UTF-8 files itself
    del text
    sep = _delimiter(
        lines[header_row([_delimiter_split(ln) for ln in lines], table, options)] if lines else ""
    )
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=sep))
    at = header_row(rows, table, options)
    if at:
        report.note(f"{table} table: {at} line(s) above the header skipped ({path.name})")
    header = rows[at] if rows else []
    # Ids stay text ("0123" is not 123) and are stored once per patient (category); other columns are
    # parsed as numbers where every value is one, and kept as text otherwise for the values stage.
    # With declared marks every column stays text, so that "2.1" under decimal=',' is noticed.
    ids: dict[int, str | type] = {
        i: "category" for i, h in enumerate(header) if canonical(h, table, options) == "patient_id"
    }
    if options.decimal[table] is not None or options.thousands[table] is not None:
        ids = {i: ids.get(i, str) for i in range(len(header))}
    body = pd.read_csv(
        source,
        encoding=encoding if source is path else None,
        sep=sep,
        header=None,
        skiprows=at + 1,
        dtype=ids or None,
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=True,
        names=range(len(header)),
        index_col=False,
        on_bad_lines="error",
        engine="c",
    )
    return _frame(header, body)


def _delimiter_split(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=_delimiter(line)), [])


def _read_excel(path: Path, kind: str, options: Options, report: Report, table: str):
    engine = "xlrd" if kind == "xls" else "openpyxl"
    try:
        book = pd.ExcelFile(path, engine=engine)
    except ImportError:
        raise CohortError(
            f"file {path.name!r} is an old .xls workbook: install xlrd (pip install xlrd) or save it "
            "as .xlsx."
        ) from None
    sheets = book.sheet_names
    sheet = options.sheet.get(table)
    if sheet is None:
        sheet = _choose_sheet(book, sheets, table, options, path)
        if len(sheets) > 1:
            report.note(
                f"{table} table: sheet {sheet!r} read from {path.name!r} (sheets: {', '.join(sheets)}); "
                "pass sheet= (--sheet) to choose another"
            )
    elif (isinstance(sheet, int) and not 0 <= sheet < len(sheets)) or (
        not isinstance(sheet, int) and sheet not in sheets
    ):
        raise CohortError(f"file {path.name!r} has no sheet {sheet!r}; its sheets are {', '.join(sheets)}.")
    grid = book.parse(sheet, header=None, dtype=object)
    book.close()
    if grid.empty:
        return pd.DataFrame()
    at = header_row(grid.head(_HEADER_SCAN).values.tolist(), table, options)
    if at:
        report.note(f"{table} table: {at} row(s) above the header skipped ({path.name}, sheet {sheet!r})")
    return _frame(grid.iloc[at].tolist(), grid.iloc[at + 1 :].dropna(how="all"))


def _choose_sheet(book: pd.ExcelFile, sheets: list[str], table: str, options: Options, path: Path) -> str:
    """The sheet named after the table, else the only sheet with a recognisable header."""
    if len(sheets) == 1:
        return sheets[0]
    named = [s for s in sheets if s.strip().lower() in (table, table.rstrip("s"), "laboratory", "lab")]
    if named:
        return named[0]
    tables = [
        s
        for s in sheets
        if header_row(
            book.parse(s, header=None, dtype=object, nrows=_HEADER_SCAN).values.tolist(), table, options
        )
        or _recognised(book.parse(s, header=None, dtype=object, nrows=1).values.tolist(), table, options)
    ]
    if len(tables) == 1:
        return tables[0]
    raise CohortError(
        f"file {path.name!r} has {len(sheets)} sheets ({', '.join(sheets)}) and "
        f"{'several' if tables else 'none'} of them look like the {table} table. Say which: "
        f"sheet='NAME' (--sheet NAME, or --sheet {table}=NAME)."
    )


def _recognised(rows: list[list], table: str, options: Options) -> bool:
    names = [str(v) for v in (rows[0] if rows else []) if v is not None and not pd.isna(v)]
    return sum(canonical(n, table, options) is not None for n in names) >= 2


def read_file(path: str | Path, table: str, options: Options, report: Report) -> pd.DataFrame:
    """Read one table (``table`` is "patients" or "labs", for the header search and the messages).

    The frame's ``attrs["reader"]`` names the reader, which decides the origin of numeric dates.

    Parameters
    ----------
    path : str or Path
        The file: CSV (or .txt/.tsv), Excel (.xlsx, .xlsm, .xls), Parquet, SAS (.sas7bdat, .xpt),
        Stata (.dta) or SPSS (.sav), its kind checked against its first bytes (:data:`READERS`).
    table : {"patients", "labs"}
        Which table it is: selects the sheet, the header search and the wording of messages.
    options : Options
        The reading options (sheet, encoding, decimal and thousands marks, column map).
    report : Report
        Receives the notes (encoding guessed, lines above the header skipped, sheet chosen).

    Returns
    -------
    DataFrame
        The raw values, headers exactly as written (text kept as text where the values stage must
        decide), with ``attrs["reader"]`` set.

    Raises
    ------
    CohortError
        When the file does not exist, is not what its extension says, or cannot be parsed.
    """
    path = Path(path)
    kind = sniff(path)
    try:
        if kind == "csv":
            frame = _read_csv(path, options, report, table)
        elif kind in ("excel", "xls"):
            frame = _read_excel(path, kind, options, report, table)
        elif kind == "parquet":
            frame = pd.read_parquet(path)
        elif kind == "stata":
            frame = pd.read_stata(path, convert_categoricals=True)
        else:
            # pyreadstat keeps long names and date formats that pandas' SAS reader loses.
            import pyreadstat

            readers: dict[str, Callable[[str], tuple]] = {
                "sas": pyreadstat.read_sas7bdat,
                "xport": pyreadstat.read_xport,
                "spss": pyreadstat.read_sav,
            }
            frame = readers[kind](str(path))[0]
    except CohortError:
        raise
    except Exception as exc:  # a parser's own failure on a damaged file, whatever its type
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CohortError(f"file {path.name!r} could not be read as {kind}: {first}.") from None
    frame.attrs["reader"] = kind
    frame.attrs["file"] = path.name
    return frame
