"""The report as one self-contained HTML page: styles and a small script inline, figures embedded as
base64 PNG (``data:`` URIs), no ``src``, ``<link>`` or CSS ``url()`` pointing to a file or a URL;
print styles so that the browser's "print to PDF" gives a clean document.
"""

from __future__ import annotations

import base64
import html

import pandas as pd

from cartsie import __version__
from cartsie.study._report_parts import (
    BEYOND,
    LEGEND,
    SIMULATED,
    Content,
    counts,
    left_out,
    not_estimable,
    sections,
    shown_comparison,
    warning_lines,
)
from cartsie.study.registry import ITEMS

esc = html.escape

STYLE = """
body{font-family:system-ui,'Helvetica Neue',Arial,sans-serif;max-width:1150px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #444;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.5em}.meta{color:#555;font-size:.9em}
table.rows{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}
table.rows td,table.rows th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
table.rows th{background:#f3f3f3}
.note{background:#fff4d6;padding:.6em 1em;border-left:4px solid #e0a800}
tr.outside td{background:#fde8e8}tr.inside td{background:#eaf6ec}tr.ne td{color:#777}
.id{font-family:monospace;font-size:11px;color:#666}
figure{margin:1em 0 2em}figure.plot img{max-width:100%;height:auto;max-height:720px}
figcaption{font-size:.92em;color:#333;margin:.3em 0}
nav ol{columns:2;font-size:.95em}dl.legend dt{font-weight:bold}dl.legend dd{margin:0 0 .4em 1.5em}
.study-table{overflow-x:auto}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}nav,.no-print{display:none}
h2{break-before:page;border-bottom:1px solid #000}section:first-of-type h2{break-before:auto}
figure,tr,dl.legend dt{break-inside:avoid}h2,h3,figcaption{break-after:avoid}
figure.plot img{max-height:190mm}.study-table{overflow:visible}
tr.outside td,tr.inside td{-webkit-print-color-adjust:exact;print-color-adjust:exact}a{color:inherit}}
"""

#: marks, once the page has loaded, each image as rendered or not and each table's height (read by
#: the browser test; harmless elsewhere)
SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img');
  imgs.forEach(function (im) {
    im.setAttribute('data-rendered', im.complete && im.naturalWidth > 0 ? 'yes' : 'no');
  });
  document.querySelectorAll('table').forEach(function (t) {
    t.setAttribute('data-rendered', t.offsetHeight > 0 && t.rows.length > 0 ? 'yes' : 'no');
  });
  document.body.setAttribute('data-loaded', imgs.length + ' images');
});
"""


def _rows(frame: pd.DataFrame, classes: list[str] | None = None, id_column: str | None = None) -> str:
    head = "".join(f"<th>{esc(str(c))}</th>" for c in frame.columns)
    body = []
    for k, row in enumerate(frame.itertuples(index=False)):
        cls = f" class='{classes[k]}'" if classes and classes[k] else ""
        cells = [
            f"<td class='id'>{esc(str(v))}</td>" if c == id_column else f"<td>{esc(str(v))}</td>"
            for c, v in zip(frame.columns, row, strict=True)
        ]
        body.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    return f"<table class='rows'><tr>{head}</tr>" + "".join(body) + "</table>"


def _section(key: str, heading: str, body: list[str]) -> str:
    return f"<section id='{key}'>\n<h2>{esc(heading)}</h2>\n" + "\n".join(body) + "\n</section>"


def _methods(content: Content) -> list[str]:
    out = []
    for heading, paragraphs in content.methods:
        out.append(
            f"<h3>{esc(heading)}</h3><ul>" + "".join(f"<li>{esc(p)}</li>" for p in paragraphs) + "</ul>"
        )
    return out


def _results(content: Content) -> list[str]:
    out = []
    for it in ITEMS:
        outputs = [o for o in content.outputs if o.item == it.name]
        if not outputs:
            continue
        out.append(f"<h3>{esc(it.title)}</h3>")
        if not it.published:
            out.append(f"<p class='note beyond'>{esc(BEYOND)}</p>")
        for o in outputs:
            if o.png:
                data = base64.b64encode(o.png).decode("ascii")
                out.append(
                    f"<figure class='plot' id='fig-{esc(o.name)}'><img alt='{esc(o.caption)}' "
                    f"src='data:image/png;base64,{data}'><figcaption>{esc(o.caption)}</figcaption></figure>"
                )
            else:
                out.append(
                    f"<figure class='table' id='table-{esc(o.name)}'><figcaption><strong>{esc(o.caption)}"
                    f"</strong></figcaption><div class='study-table'>{o.html}</div></figure>"
                )
    return out


def _comparison(content: Content) -> list[str]:
    comparison = content.comparison
    assert comparison is not None
    out = [f"<p class='note'>{esc(SIMULATED)}</p>", "<dl class='legend'>"]
    for k, n in counts(comparison):
        out.append(f"<dt>{esc(k)} ({n})</dt><dd>{esc(LEGEND[k])}</dd>")
    out.append("</dl>")
    css = {"outside CI": "outside", "inside CI": "inside", "not estimable": "ne", "differs": "outside"}
    for heading, part in sections(comparison):
        shown = shown_comparison(part)
        out.append(f"<h3>{esc(heading)}</h3>")
        out.append(_rows(shown, [css.get(a, "") for a in shown["agreement"]], id_column="id"))
    return out


def _audit(content: Content) -> list[str]:
    from cartsie.study.audit import summary

    found = content.audit
    assert found is not None
    bad = found[found["consistent"].fillna(True).eq(False)]
    out = [
        "<p>Each published number that other published numbers determine, recomputed within their "
        "rounding (<code>cartsie.study.audit</code>; <code>cartsie audit</code> gives every row).</p>",
        _rows(summary(found)),
    ]
    if len(bad):
        out += [
            "<h3>Inconsistent published numbers</h3>",
            _rows(bad[["id", "check", "published", "recomputed", "detail"]], id_column="id"),
        ]
    return out


def render_html(content: Content) -> str:
    """The report as one self-contained HTML page.

    Parameters
    ----------
    content : Content
        What the run computed.

    Returns
    -------
    str
        The page, with the sections of :func:`cartsie.study.report.render_markdown`; the title in
        ``<title>`` and ``<h1>``; every text escaped; figures as ``data:image/png;base64`` images.
    """
    parts: list[tuple[str, str, list[str]]] = [
        ("methods", "Methods", _methods(content)),
        ("results", "Results", _results(content)),
    ]
    ne, lo = not_estimable(content.estimates), left_out(content.estimates)
    if len(ne):
        parts.append(("not-estimable", "Not estimable on this cohort", [_rows(ne, id_column="id")]))
    if len(lo):
        parts.append(("left-out", "Patients left out of models", [_rows(lo, id_column="id")]))
    if content.warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in warning_lines(content))
        parts.append(("warnings", "Warnings", [f"<ul>{items}</ul>"]))
    if content.skipped:
        items = "".join(f"<li>{esc(s)}</li>" for s in content.skipped)
        parts.append(("skipped", "Outputs not made", [f"<ul>{items}</ul>"]))
    if content.comparison is not None:
        parts.append(("comparison", "Published versus reproduced", _comparison(content)))
        if content.audit is not None:
            parts.append(("audit", "Audit of the published numbers", _audit(content)))
    page = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(content.title)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>{esc(content.title)}</h1>",
        f"<p class='meta'>cartsie {esc(__version__)} &middot; aggregates only, no patient rows</p>",
        *[f"<p class='note'>{esc(n)}</p>" for n in content.notes],
        "</header>",
        "<nav class='no-print'><strong>Contents</strong><ol>"
        + "".join(f"<li><a href='#{key}'>{esc(h)}</a></li>" for key, h, _ in parts)
        + "</ol></nav>",
        *[_section(key, heading, body) for key, heading, body in parts],
        f"<script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(page) + "\n"
