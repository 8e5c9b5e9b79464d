"""Read a written table back (HTML, Word, Excel) as rows of cell texts, to compare with ``to_frame()``."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path


class _Rows(HTMLParser):
    """Rows of the first ``<table>``'s body: stub and cells as text, plus the stub's classes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.classes: list[str] = []
        self.notes: list[str] = []
        self.where: str | None = None
        self.cell: list[str] | None = None
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tbody":
            self.where = "body"
        elif tag == "tfoot":
            self.where = "foot"
        elif tag == "tr" and self.where == "body":
            self.rows.append([])
        elif tag in ("td", "th") and self.where in ("body", "foot"):
            self.cell = []
            if self.where == "body" and tag == "th":
                self.classes.append(attrs.get("class") or "")

    def handle_endtag(self, tag):
        if tag in ("tbody", "tfoot"):
            self.where = None
        elif tag in ("td", "th") and self.cell is not None:
            text = "".join(self.cell).strip()
            if self.where == "body":
                self.rows[-1].append(text)
            elif self.where == "foot":
                self.notes.append(text)
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def html_rows(text: str) -> _Rows:
    """Parse ``text`` (raises on nothing found): ``.rows``, ``.classes`` (of each stub cell), ``.notes``."""
    parser = _Rows()
    parser.feed(text)
    parser.close()
    assert parser.rows, "no table body found"
    return parser


def docx_rows(path: Path) -> list[list[str]]:
    """Every row of the first table of a Word document, as cell texts (merged cells repeated)."""
    import docx

    table = docx.Document(str(path)).tables[0]
    return [[cell.text for cell in row.cells] for row in table.rows]


def docx_paragraphs(path: Path) -> list[str]:
    import docx

    return [p.text for p in docx.Document(str(path)).paragraphs]


def xlsx_rows(path: Path) -> list[list[str]]:
    """Every row of the first sheet, as texts ("" for empty cells)."""
    import openpyxl

    ws = openpyxl.load_workbook(path).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
