"""A displayed table and its writers, shared by Table 1 and the regression tables.

A :class:`Display` is a table as a journal prints it: a stub (row labels, some indented), column
labels under optional spanners, text cells, a title and footnotes. Every writer renders the same
``Display``, so the cells are the same in each format:

* ``to_frame()`` -- a DataFrame of the cells (MultiIndex columns ``(spanner, label)`` when the table
  has spanners);
* ``to_markdown()`` -- a GitHub-flavoured table, written here (indented rows prefixed with ``"- "``);
* ``to_html()`` and ``to_latex()`` -- by great-tables (``great_tables``), styled as a journal's
  three-line table (heavy rules above the column labels and under the body, a light one under the
  labels, none between rows, bold labels, centred cells, small footnotes);
* ``to_docx(path)`` -- by python-docx (``docx``), a three-line table;
* ``to_excel(path)`` -- by openpyxl.

great-tables, python-docx and openpyxl are heavy to import (great-tables alone takes ~0.3 s), so each
writer imports its library when it is called: these are the documented lazy heavy dependencies, and
``import cartsie`` stays cheap. This module sits at the bottom floor with the result protocol
(:mod:`cartsie._results`), so that :mod:`cartsie.descriptive` (Table 1) and :mod:`cartsie.tables`
(regression tables) both use it without an import running back up.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Display", "Tabular"]

_MAX_REPR = 2000


@dataclass(frozen=True)
class Display:
    """A table as printed: ``stub`` (row labels) and ``indent`` (0 or 1 per row), ``columns``
    (labels of the cell columns), ``cells`` (one tuple of text per row), ``spanners`` (label, first
    column, stop column -- exclusive -- over the cell columns), ``title`` and ``notes`` (footnotes,
    printed under the table)."""

    stub_head: str
    stub: tuple[str, ...]
    indent: tuple[int, ...]
    columns: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    spanners: tuple[tuple[str, int, int], ...] = ()
    title: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.stub) != len(self.cells) or len(self.indent) != len(self.stub):
            raise ValueError("Display: stub, indent and cells must have one entry per row.")
        if any(len(row) != len(self.columns) for row in self.cells):
            raise ValueError("Display: every row needs one cell per column.")

    def header(self) -> list[str]:
        """Column labels with their spanner in front (``"Model 1: HR"``), for one-row headers."""
        names = list(self.columns)
        for label, start, stop in self.spanners:
            for j in range(start, stop):
                names[j] = f"{label}: {names[j]}" if label else names[j]
        return names


class Tabular:
    """Mixin: the writers of a table that builds its :class:`Display` in ``_display()``."""

    def _display(self) -> Display:  # pragma: no cover - every table overrides it
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """The cells as a DataFrame: the row labels in the first column (the stub head's name), one
        column per cell column; with spanners the columns are a MultiIndex ``(spanner, label)`` (the
        row labels under ``("", stub head)``). Indentation and footnotes are not kept."""
        return render_frame(self._display())

    def to_markdown(self) -> str:
        """A GitHub-flavoured markdown table; indented rows are prefixed with ``"- "``, the title
        is printed bold above it and the footnotes below."""
        return render_markdown(self._display())

    def to_html(self) -> str:
        """An HTML fragment (a ``<table>`` with its own scoped CSS) rendered by great-tables."""
        return render_html(self._display())

    def to_latex(self) -> str:
        """A LaTeX ``table`` rendered by great-tables (needs ``booktabs`` and ``caption``)."""
        return render_latex(self._display())

    def to_docx(self, path: str | Path) -> Path:
        """Write a Word document holding the table (python-docx); returns the path."""
        return write_docx(self._display(), path)

    def to_excel(self, path: str | Path, sheet_name: str = "Table") -> Path:
        """Write an Excel workbook holding the table on ``sheet_name`` (openpyxl); returns the path."""
        return write_excel(self._display(), path, sheet_name)

    def print_summary(self, fmt: str = "text", decimals: int = 3, file=None) -> str:
        """The table as text, markdown, HTML or LaTeX (printed to ``file``, default stdout; returned),
        as the result protocol's ``print_summary``; the cells are already formatted, so ``decimals``
        is not used."""
        writers = {
            "text": lambda: render_frame(self._display()).to_string(index=False),
            "markdown": self.to_markdown,
            "html": self.to_html,
            "latex": self.to_latex,
        }
        if fmt not in writers:
            raise ValueError(f"fmt must be one of {tuple(writers)}, not {fmt!r}.")
        out = writers[fmt]()
        print(out, file=file)
        return out

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        d = self._display()
        head = f"<{type(self).__name__}: {len(d.stub)} rows x {len(d.columns)} columns"
        head += f" - {d.title}>" if d.title else ">"
        text = f"{head}\n{render_frame(d).to_string(index=False)}"
        return text if len(text) < _MAX_REPR else text[: _MAX_REPR - 10] + " ...>"


# -- the writers -----------------------------------------------------------------------------------


def render_frame(d: Display) -> pd.DataFrame:
    """See :meth:`Tabular.to_frame`."""
    data = [[s, *row] for s, row in zip(d.stub, d.cells, strict=True)]
    if not d.spanners:
        return pd.DataFrame(data, columns=[d.stub_head, *d.columns])
    top = [""] * len(d.columns)
    for label, start, stop in d.spanners:
        top[start:stop] = [label] * (stop - start)
    columns = pd.MultiIndex.from_tuples([("", d.stub_head), *zip(top, d.columns, strict=True)])
    return pd.DataFrame(data, columns=columns)


def _md_row(cells) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def render_markdown(d: Display) -> str:
    """See :meth:`Tabular.to_markdown`."""
    lines = [f"**{d.title}**", ""] if d.title else []
    if len(d.spanners) == 1 and d.spanners[0][1:] == (0, len(d.columns)):
        # one spanner over every column: a line above the table rather than a prefix in each header
        head = [d.stub_head, *d.columns]
        lines += [f"*{d.spanners[0][0]}*", ""] if d.spanners[0][0] else []
    else:
        head = [d.stub_head, *d.header()]
    lines += [_md_row(head), "|" + "|".join([" --- "] + [" ---: "] * (len(head) - 1)) + "|"]
    for name, level, row in zip(d.stub, d.indent, d.cells, strict=True):
        lines.append(_md_row([("- " * level) + name, *row]))
    for note in d.notes:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def _table_id(d: Display) -> str:
    # deterministic (two runs give the same bytes) and distinct for distinct tables on one page
    digest = hashlib.sha1(repr(d).encode("utf-8"), usedforsecurity=False).hexdigest()[:10]
    return f"cartsie-{digest}"


#: a journal's three-line table (booktabs): a heavy rule above the column labels and one under the
#: body, a light one under the labels and the spanners, no other lines; bold labels; small notes
_RULE = "#000000"
_JOURNAL_STYLE: dict[str, Any] = {
    "table_font_names": ["Helvetica Neue", "Helvetica", "Arial", "Liberation Sans", "sans-serif"],
    "table_font_size": "14px",
    "table_font_color": "#000000",
    "table_margin_left": "0px",
    "table_border_top_style": "none",
    "table_border_bottom_style": "none",
    "heading_align": "left",
    "heading_title_font_size": "15px",
    "heading_padding": "4px",
    "heading_border_bottom_style": "solid",
    "heading_border_bottom_width": "2px",
    "heading_border_bottom_color": _RULE,
    "column_labels_font_weight": "bold",
    "column_labels_padding": "5px",
    "column_labels_border_top_style": "solid",
    "column_labels_border_top_width": "2px",
    "column_labels_border_top_color": _RULE,
    "column_labels_border_bottom_style": "solid",
    "column_labels_border_bottom_width": "1px",
    "column_labels_border_bottom_color": _RULE,
    "table_body_hlines_style": "none",
    "table_body_border_top_style": "none",
    "table_body_border_bottom_style": "solid",
    "table_body_border_bottom_width": "2px",
    "table_body_border_bottom_color": _RULE,
    "stub_border_style": "none",
    "data_row_padding": "3px",
    "source_notes_font_size": "12px",
    "source_notes_padding": "2px",
}


def _gt(d: Display):
    from great_tables import GT  # lazy heavy dependency

    ids = [f"c{j}" for j in range(len(d.columns))]
    data = pd.DataFrame(list(d.cells), columns=ids) if ids else pd.DataFrame(index=range(len(d.stub)))
    data.insert(0, "__stub__", list(d.stub))
    gt = GT(data, rowname_col="__stub__", id=_table_id(d)).tab_stubhead(label=d.stub_head)
    gt = gt.tab_options(**_JOURNAL_STYLE)
    if ids:
        gt = gt.cols_label(dict(zip(ids, d.columns, strict=True))).cols_align("center", columns=ids)
    for k, (label, start, stop) in enumerate(d.spanners):
        gt = gt.tab_spanner(label=label, columns=ids[start:stop], id=f"spanner-{k}")
    indented = [i for i, level in enumerate(d.indent) if level]
    if indented:
        gt = gt.tab_stub_indent(rows=indented, indent=2)
    if d.title:
        gt = gt.tab_header(title=d.title)
    for note in d.notes:
        gt = gt.tab_source_note(note)
    return gt


def render_html(d: Display) -> str:
    """See :meth:`Tabular.to_html`."""
    return _gt(d).as_raw_html()


#: characters great-tables passes through that pdfLaTeX cannot typeset
_LATEX_TEXT = {"∞": r"$\infty$", "—": "---", "–": "--", "≥": r"$\geq$", "≤": r"$\leq$"}


def render_latex(d: Display) -> str:
    """See :meth:`Tabular.to_latex`."""
    out = _gt(d).as_latex()
    for char, macro in _LATEX_TEXT.items():
        out = out.replace(char, macro)
    # great-tables rules off the stub with a vertical line; journals' booktabs tables have none
    return re.sub(r"^(\\begin\{tabular\*?\}.*?l)\|", r"\1", out, count=1, flags=re.MULTILINE)


def _docx_borders(table, cells_with_bottom) -> None:
    """A three-line table: rules above and below the table and under the header rows."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def rule(parent, edge: str) -> None:
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "8")
        el.set(qn("w:color"), "000000")
        parent.append(el)

    props = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    rule(borders, "top")
    rule(borders, "bottom")
    props.append(borders)
    for cell in cells_with_bottom:
        tc_pr = cell._tc.get_or_add_tcPr()
        tc_borders = OxmlElement("w:tcBorders")
        rule(tc_borders, "bottom")
        tc_pr.append(tc_borders)


def write_docx(d: Display, path: str | Path) -> Path:
    """See :meth:`Tabular.to_docx`."""
    from docx import Document  # lazy heavy dependency
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    if d.title:
        doc.add_paragraph().add_run(d.title).bold = True
    n_head = 2 if d.spanners else 1
    table = doc.add_table(rows=n_head + len(d.stub), cols=1 + len(d.columns))
    if d.spanners:
        top = table.rows[0].cells
        for label, start, stop in d.spanners:
            cell = top[1 + start].merge(top[stop]) if stop - start > 1 else top[1 + start]
            cell.text = label
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    header = table.rows[n_head - 1].cells
    for j, text in enumerate([d.stub_head, *d.columns]):
        header[j].text = text
    for i, (name, level, row) in enumerate(zip(d.stub, d.indent, d.cells, strict=True)):
        cells = table.rows[n_head + i].cells
        cells[0].text = name
        if level:
            cells[0].paragraphs[0].paragraph_format.left_indent = Pt(12 * level)
        for j, text in enumerate(row):
            cells[1 + j].text = text
            cells[1 + j].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for r in range(n_head):
        for cell in table.rows[r].cells:
            for run in cell.paragraphs[0].runs:
                run.bold = True
    _docx_borders(table, table.rows[n_head - 1].cells)
    for note in d.notes:
        doc.add_paragraph().add_run(note).font.size = Pt(8)
    path = Path(path)
    doc.save(str(path))
    return path


def write_excel(d: Display, path: str | Path, sheet_name: str = "Table") -> Path:
    """See :meth:`Tabular.to_excel`."""
    from openpyxl import Workbook  # lazy heavy dependency
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name
    rule = Border(bottom=Side(style="thin"))
    r = 1
    if d.title:
        ws.cell(r, 1, d.title).font = Font(bold=True)
        r += 2
    if d.spanners:
        for label, start, stop in d.spanners:
            ws.cell(r, 2 + start, label).font = Font(bold=True)
            ws.cell(r, 2 + start).alignment = Alignment(horizontal="center")
            if stop - start > 1:
                ws.merge_cells(start_row=r, start_column=2 + start, end_row=r, end_column=1 + stop)
        r += 1
    for j, text in enumerate([d.stub_head, *d.columns]):
        cell = ws.cell(r, 1 + j, text)
        cell.font, cell.border = Font(bold=True), rule
    for name, level, row in zip(d.stub, d.indent, d.cells, strict=True):
        r += 1
        ws.cell(r, 1, name).alignment = Alignment(indent=2 * level)
        for j, text in enumerate(row):
            ws.cell(r, 2 + j, text).alignment = Alignment(horizontal="right")
    r += 1
    for note in d.notes:
        r += 1
        ws.cell(r, 1, note).font = Font(size=8)
    ws.column_dimensions["A"].width = max([len(d.stub_head), *map(len, d.stub), 8]) + 4
    for j in range(len(d.columns)):
        width = max([len(d.columns[j]), *(len(row[j]) for row in d.cells), 6]) + 2
        ws.column_dimensions[get_column_letter(2 + j)].width = width
    path = Path(path)
    wb.save(path)
    return path
