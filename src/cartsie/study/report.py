"""The report of a run: the published-versus-reproduced comparison, the estimates not estimable on
this cohort, the patients left out of models, the figures; as markdown and as one HTML page.

Reports hold aggregates only.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from cartsie.format import format_p
from cartsie.study.registry import ITEMS, item_of


def _fmt(value: float, digits: int = 2) -> str:
    if value is None or not np.isfinite(value):
        return "NR" if value is not None and np.isnan(value) else ("∞" if value and value > 0 else "NA")
    if abs(value - round(value)) < 1e-9:
        return f"{value:.0f}"
    return f"{value:.{digits}f}" if abs(value) < 100 else f"{value:.0f}"


def _interval(low: float, high: float, kind: str = "ci") -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return ""
    name = {"ci": "", "iqr": "IQR ", "range": "range "}.get(kind, "")
    return f"{name}{_fmt(low)}-{_fmt(high)}"


def displayed(comparison: pd.DataFrame) -> pd.DataFrame:
    """The comparison as the report prints it: label, published value (as printed), its interval and
    p, the reproduced value, its interval (named when it is not a CI) and p, the agreement.

    Parameters
    ----------
    comparison : DataFrame
        The output of :func:`cartsie.study.compare.compare`.

    Returns
    -------
    DataFrame
        Text columns: label, published, published interval, published p, reproduced, reproduced
        interval, reproduced p, agreement.
    """
    c = comparison
    reproduced = []
    for r in c.itertuples(index=False):
        if not r.estimable:
            reproduced.append("not estimable")
        elif r.agreement == "not reproduced":
            reproduced.append("")
        elif np.isfinite(r.published_n) and np.isfinite(r.n):
            reproduced.append(f"{int(r.n)} ({r.reproduced:.0f}%)")
        elif not np.isfinite(r.reproduced):
            reproduced.append("NR" if "not reached" in r.note else "")
        else:
            reproduced.append(_fmt(r.reproduced))
    return pd.DataFrame(
        {
            "label": [lab or i for lab, i in zip(c["label"], c["id"], strict=True)],
            "published": c["published_text"],
            "published interval": [
                _interval(lo, hi, k)
                for lo, hi, k in zip(
                    c["published_ci_lower"], c["published_ci_upper"], c["published_interval"], strict=True
                )
            ],
            "published p": c["published_p_text"],
            "reproduced": reproduced,
            "reproduced interval": [
                _interval(lo, hi, k)
                for lo, hi, k in zip(c["ci_lower"], c["ci_upper"], c["interval"], strict=True)
            ],
            "reproduced p": [format_p(p) if np.isfinite(p) else "" for p in c["p_value"]],
            "agreement": c["agreement"],
        }
    )


def _estimable(frame: pd.DataFrame) -> pd.Series:
    """The ``estimable`` flag of estimate rows (True where absent, as in tables made before it)."""
    if "estimable" not in frame.columns:
        return pd.Series(True, index=frame.index)
    flag = frame["estimable"]
    return flag.where(flag.notna(), True).astype(bool)


def not_estimable(estimates: pd.DataFrame) -> pd.DataFrame:
    """The estimates this cohort cannot give.

    Parameters
    ----------
    estimates : DataFrame
        Rows of :func:`cartsie.study.estimates` (a table without ``estimable`` has none).

    Returns
    -------
    DataFrame
        Columns id, label and reason, in the order of ``estimates``.
    """
    rows = estimates.loc[~_estimable(estimates)]
    blank = pd.Series("", index=rows.index)
    return pd.DataFrame(
        {
            "id": rows["id"].to_numpy(),
            "label": rows.get("label", blank).fillna("").astype(str).to_numpy(),
            "reason": rows.get("reason", blank).fillna("").astype(str).to_numpy(),
        }
    )


def left_out(estimates: pd.DataFrame) -> pd.DataFrame:
    """List the estimates whose model left patients out or lacked adjustment covariates.

    Parameters
    ----------
    estimates : DataFrame
        Rows of :func:`cartsie.study.estimates`.

    Returns
    -------
    DataFrame
        Columns id, label and note (the note saying who was left out or which covariates are
        missing), in the order of ``estimates``.
    """
    note = estimates["note"].fillna("").astype(str)
    keep = note.str.contains("left out") | note.str.contains("not adjusted for")
    label = estimates.get("label", pd.Series("", index=estimates.index)).fillna("").astype(str)
    return pd.DataFrame(
        {
            "id": estimates.loc[keep, "id"].to_numpy(),
            "label": label[keep].to_numpy(),
            "note": note[keep].to_numpy(),
        }
    )


def _extra_parts(estimates: pd.DataFrame | None, comparison: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The report's own sections: not-estimable rows with their reasons, and patients left out."""
    if estimates is None:
        rows = comparison[comparison["agreement"] == "not estimable"]
        reasons = rows["reason"] if "reason" in rows.columns else pd.Series("", index=rows.index)
        ne = pd.DataFrame({"id": rows["id"].to_numpy(), "reason": reasons.to_numpy()})
        return [("Not estimable on this cohort", ne)]
    return [
        ("Not estimable on this cohort", not_estimable(estimates)),
        ("Patients left out of models", left_out(estimates)),
    ]


def _sections(comparison: pd.DataFrame):
    """(title, rows) of each paper item, in the paper's order."""
    owner = comparison["id"].map(lambda i: getattr(item_of(i), "name", ""))
    for it in ITEMS:
        part = comparison[owner == it.name]
        if len(part):
            yield it.title, part


def render_markdown(
    comparison: pd.DataFrame,
    title: str,
    notes: list[str] | None = None,
    *,
    estimates: pd.DataFrame | None = None,
) -> str:
    """The comparison as a markdown document, one table per section of the paper.

    With ``estimates`` (the rows of :func:`cartsie.study.estimates`) the report also lists, in
    sections of their own, the estimates the cohort cannot give with their reasons and the models
    that left patients out; without it, the not-estimable rows of ``comparison``.

    Parameters
    ----------
    comparison : DataFrame
        The output of :func:`cartsie.study.compare.compare`.
    title : str
        The document's title (its ``#`` heading).
    notes : list of str, optional
        Lines quoted under the title (e.g. that the data are synthetic).
    estimates : DataFrame, optional
        The rows of :func:`cartsie.study.estimates` behind ``comparison``.

    Returns
    -------
    str
        The markdown text: the agreement counts, then the not-estimable and left-out sections, then
        one table per section of the paper, in the paper's order.
    """
    lines = [f"# {title}", ""]
    lines += [f"> {n}" for n in notes or []]
    counts = comparison["agreement"].value_counts()
    lines += ["", "Agreement: " + ", ".join(f"{k} {v}" for k, v in counts.items()), ""]
    for heading, part in _extra_parts(estimates, comparison):
        if part.empty:
            continue
        lines += [f"## {heading}", "", "| " + " | ".join(part.columns) + " |", "|" + "---|" * part.shape[1]]
        lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in part.itertuples(index=False)]
        lines.append("")
    for heading, part in _sections(comparison):
        shown = displayed(part)
        cols = list(shown.columns)
        lines += [f"## {heading}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.itertuples(index=False)]
        lines.append("")
    return "\n".join(lines)


def render_html(
    comparison: pd.DataFrame,
    title: str,
    notes: list[str] | None = None,
    figures: dict[str, str] | None = None,
    *,
    estimates: pd.DataFrame | None = None,
) -> str:
    """A self-contained HTML report: notes, figures (``{caption: relative path}``), the estimates
    not estimable on this cohort with their reasons and the patients left out of models (see
    :func:`render_markdown`), and the comparison tables.

    Parameters
    ----------
    comparison : DataFrame
        The output of :func:`cartsie.study.compare.compare`.
    title : str
        The page's title (``<title>`` and ``<h1>``).
    notes : list of str, optional
        Paragraphs highlighted under the title (e.g. that the data are synthetic).
    figures : dict of str to str, optional
        Caption -> image path relative to the HTML file.
    estimates : DataFrame, optional
        The rows of :func:`cartsie.study.estimates` behind ``comparison``.

    Returns
    -------
    str
        One HTML document (styles inline, images linked), every text escaped; rows outside the
        reproduced CI in red, inside in green.
    """
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:13px;margin-bottom:1.5em}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}th{background:#f3f3f3}"
        ".note{background:#fff4d6;padding:.6em 1em;border-left:4px solid #e0a800}"
        ".outside{color:#b00020}.inside{color:#11691a}.ne{color:#777}"
        "figure{display:inline-block;margin:0 1em 1em 0}"
        "figure img{max-width:520px}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
    ]
    parts += [f"<p class='note'>{esc(n)}</p>" for n in notes or []]
    counts = comparison["agreement"].value_counts()
    parts.append("<p>Agreement: " + ", ".join(f"{esc(k)}: {v}" for k, v in counts.items()) + "</p>")
    for heading, part in _extra_parts(estimates, comparison):
        if part.empty:
            continue
        parts.append(
            f"<h2>{esc(heading)}</h2><table><tr>"
            + "".join(f"<th>{esc(c)}</th>" for c in part.columns)
            + "</tr>"
        )
        parts += [
            "<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in r) + "</tr>"
            for r in part.itertuples(index=False)
        ]
        parts.append("</table>")
    for caption, path in (figures or {}).items():
        parts.append(
            f"<figure><img src='{esc(path)}' alt='{esc(caption)}'><figcaption>{esc(caption)}"
            "</figcaption></figure>"
        )
    for heading, part in _sections(comparison):
        shown = displayed(part)
        parts.append(
            f"<h2>{esc(heading)}</h2><table><tr>"
            + "".join(f"<th>{esc(c)}</th>" for c in shown.columns)
            + "</tr>"
        )
        for row in shown.itertuples(index=False):
            cls = {"outside CI": "outside", "inside CI": "inside", "not estimable": "ne"}.get(
                row.agreement, ""
            )
            parts.append("<tr>" + "".join(f"<td class='{cls}'>{esc(str(v))}</td>" for v in row) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
