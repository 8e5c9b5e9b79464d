"""Published versus reproduced: set each number of the CART-SIE paper beside cartsie's reproduction.

This is the only module that reads the published numbers (``data/published_estimates.csv``, one row
per number the paper prints). :func:`compare` joins them with :func:`cartsie.paper.estimates` by ``id``;
:func:`render_markdown` and :func:`render_html` write the comparison. Reports hold aggregates only.
"""

from __future__ import annotations

import html
import re
from importlib import resources

import numpy as np
import pandas as pd

from cartsie.format import format_p

_RANGE = re.compile(r"^\s*([-\d.]+)\s*\(\s*([-\d.]+)\s*[-–]\s*([-\d.]+)\s*\)\s*$")
_COUNT_PCT = re.compile(r"^\s*([\d.]+)\s*\(\s*([\d.]+)\s*%\s*\)\s*$")

#: statistics whose values are counts (compared exactly) or ratios/percentages (compared to the CI)
COUNT_STATS = {"n"}
SECTION_ORDER = ("flow", "table1", "tox", "resp", "surv", "nrm", "spm")
SECTION_TITLES = {
    "flow": "Patient flow (Supplementary Figure 1)",
    "table1": "Patient characteristics (Table 1)",
    "tox": "Hematotoxicity, CRS and ICANS",
    "resp": "Response at day 90",
    "surv": "Survival (Figure 1, Supplementary Tables 4 and 6)",
    "nrm": "Non-relapse mortality",
    "spm": "Second primary malignancies",
}


def published() -> pd.DataFrame:
    """The published numbers as printed (strings), one row per id.

    Returns
    -------
    DataFrame
        ``data/published_estimates.csv`` as text (empty cells stay ``""``): id, source, population,
        analysis, endpoint, comparison, statistic, value, ci_low, ci_high, p, note.
    """
    path = resources.files("cartsie") / "data" / "published_estimates.csv"
    with path.open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def parse_value(text: str) -> tuple[float, float, float, float]:
    """(value, low, high, percent) from a printed value: "6.3", "59 (48-66)", "207 (37%)", "NR".

    Parameters
    ----------
    text : str
        The value as the paper prints it: a number, "value (low-high)", "count (percent%)", or
        "NR" / empty for not reached.

    Returns
    -------
    tuple of 4 float
        value, low, high and percent, NaN where the text has none ("NR" and "": all NaN).
    """
    text = (text or "").strip()
    if text in ("", "NR"):
        return (np.nan,) * 4
    m = _COUNT_PCT.match(text)
    if m:
        return float(m.group(1)), np.nan, np.nan, float(m.group(2))
    m = _RANGE.match(text)
    if m:
        return float(m.group(1)), float(m.group(2)), float(m.group(3)), np.nan
    return float(text), np.nan, np.nan, np.nan


def parse_p(text: str) -> tuple[float, str]:
    """(bound, relation) of a printed p-value: ".04" -> (0.04, "="), "<.001" -> (0.001, "<").

    Parameters
    ----------
    text : str
        The p-value as printed (``.04``, ``<.001``, ``>.99``), or empty.

    Returns
    -------
    bound : float
        The number printed (NaN when empty).
    relation : {"=", "<", ">", ""}
        How the true p-value relates to ``bound`` (``""`` when empty).
    """
    text = (text or "").strip()
    if not text:
        return np.nan, ""
    if text[0] in "<>":
        return float(text[1:]), text[0]
    return float(text), "="


def _fmt(value: float, digits: int = 2) -> str:
    if value is None or not np.isfinite(value):
        return "NR" if value is not None and np.isnan(value) else "NA"
    if abs(value - round(value)) < 1e-9:
        return f"{value:.0f}"
    return f"{value:.{digits}f}" if abs(value) < 100 else f"{value:.0f}"


def _display(value: float, n: float, note) -> str:
    """A reproduced value printed like the paper: "207 (37%)" for counts, "NR" when not reached."""
    if not np.isfinite(value):
        return "NR" if "not reached" in str(note) else ""
    if note == "count":
        return f"{int(n)} ({value:.0f}%)"
    return _fmt(value)


def _agreement(row: pd.Series) -> str:
    pub, lo, hi = row["published_value"], row["ci_low"], row["ci_high"]
    if row["statistic"] in COUNT_STATS or row["note"] == "n":
        return "same" if np.isfinite(pub) and pub == row["value"] else "differs"
    if not np.isfinite(pub):
        if row["published"] == "NR":
            return "same" if not np.isfinite(row["value"]) else "differs"
        return _p_agreement(row)
    if np.isfinite(lo) and np.isfinite(hi):
        return "inside CI" if lo <= pub <= hi else "outside CI"
    return "no CI"


def _p_agreement(row: pd.Series) -> str:
    bound, rel = parse_p(row["published_p"])
    p = row["p"]
    if not (np.isfinite(bound) and np.isfinite(p)):
        return "n/a"
    same_side = (bound < 0.05) == (p < 0.05) if rel != ">" else p > bound
    return "same conclusion" if same_side else "different conclusion"


def compare(reproduced: pd.DataFrame, published_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Join published and reproduced numbers by id.

    Parameters
    ----------
    reproduced : DataFrame
        The rows of :func:`cartsie.paper.estimates` (id, value, ci_low, ci_high, p, n, note and,
        when present, estimable and reason).
    published_table : DataFrame, optional
        The published numbers, as :func:`published` returns them (the default).

    Returns
    -------
    DataFrame
        One row per published number: id, source, population, statistic, published (as printed),
        published_ci, published_p, reproduced (formatted), reproduced_ci, reproduced_p, agreement
        ("same" for counts and not-reached medians; "inside CI"/"outside CI" when the published value
        -- for an "n (%)" cell its percentage -- falls inside/outside the reproduced 95% CI (for a
        median, its interquartile range); "same conclusion"/"different conclusion" at the
        5% level for p-values reported alone; "not reproduced" when cartsie has no such estimate;
        "not estimable" when the cohort cannot give it -- ``reproduced`` then reads "not estimable"
        and ``reason`` says why; ``reason`` is empty for the other rows).
    """
    pub = published() if published_table is None else published_table
    parsed = pub["value"].map(parse_value)
    # "207 (37%)" is compared by its percentage, which does not depend on the cohort's size.
    pub = pub.assign(published_value=[v[3] if np.isfinite(v[3]) else v[0] for v in parsed])
    merged = pub.merge(reproduced, on="id", how="left", suffixes=("_pub", ""))
    merged = merged.rename(columns={"p_pub": "published_p", "value_pub": "published"})
    out = pd.DataFrame(
        {
            "id": merged["id"],
            "source": merged["source"],
            "population": merged["population"],
            "statistic": merged["statistic"],
            "published": merged["published"],
            "published_ci": [
                f"{lo}-{hi}" if lo else ""
                for lo, hi in zip(merged["ci_low_pub"], merged["ci_high_pub"], strict=True)
            ],
            "published_p": merged["published_p"],
            "reproduced": [
                _display(v, n, note)
                for v, n, note in zip(merged["value"], merged["n"], merged["note"], strict=True)
            ],
            "reproduced_ci": [
                f"{_fmt(lo)}-{_fmt(hi)}" if np.isfinite(lo) and np.isfinite(hi) else ""
                for lo, hi in zip(merged["ci_low"], merged["ci_high"], strict=True)
            ],
            "reproduced_p": [format_p(p) if np.isfinite(p) else "" for p in merged["p"]],
        }
    )
    has = merged["id"].isin(reproduced["id"])
    out["agreement"] = np.where(has, merged.apply(_agreement, axis=1), "not reproduced")
    estimable = _estimable(merged)
    out.loc[~estimable, ["reproduced", "reproduced_ci", "reproduced_p"]] = ["not estimable", "", ""]
    out.loc[~estimable, "agreement"] = "not estimable"
    reason = merged["reason"] if "reason" in merged.columns else pd.Series("", index=merged.index)
    out["reason"] = reason.where(~estimable, "").fillna("").astype(str)
    return out


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
        Rows of :func:`cartsie.paper.estimates` (a table without ``estimable`` has none).

    Returns
    -------
    DataFrame
        Columns id and reason, in the order of ``estimates``.
    """
    rows = estimates.loc[~_estimable(estimates)]
    reason = rows["reason"] if "reason" in rows.columns else pd.Series("", index=rows.index)
    return pd.DataFrame({"id": rows["id"].to_numpy(), "reason": reason.fillna("").astype(str).to_numpy()})


def left_out(estimates: pd.DataFrame) -> pd.DataFrame:
    """List the estimates whose model left patients out or lacked adjustment covariates.

    Parameters
    ----------
    estimates : DataFrame
        Rows of :func:`cartsie.paper.estimates`.

    Returns
    -------
    DataFrame
        Columns id and note (the note saying who was left out or which covariates are missing), in
        the order of ``estimates``.
    """
    note = estimates["note"].fillna("").astype(str)
    keep = note.str.contains("left out") | note.str.contains("not adjusted for")
    return pd.DataFrame({"id": estimates.loc[keep, "id"].to_numpy(), "note": note[keep].to_numpy()})


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


def _section(id_: str) -> str:
    return id_.split(".", 1)[0]


def render_markdown(
    comparison: pd.DataFrame,
    title: str,
    notes: list[str] | None = None,
    *,
    estimates: pd.DataFrame | None = None,
) -> str:
    """The comparison as a markdown document, one table per section of the paper.

    With ``estimates`` (the rows of :func:`cartsie.paper.estimates`) the report also lists, in
    sections of their own, the estimates the cohort cannot give with their reasons and the models
    that left patients out; without it, the not-estimable rows of ``comparison``.

    Parameters
    ----------
    comparison : DataFrame
        The output of :func:`compare`.
    title : str
        The document's title (its ``#`` heading).
    notes : list of str, optional
        Lines quoted under the title (e.g. that the data are synthetic).
    estimates : DataFrame, optional
        The rows of :func:`cartsie.paper.estimates` behind ``comparison``.

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
    cols = [
        "id",
        "statistic",
        "published",
        "published_ci",
        "published_p",
        "reproduced",
        "reproduced_ci",
        "reproduced_p",
        "agreement",
    ]
    for key in SECTION_ORDER:
        part = comparison[comparison["id"].map(_section) == key]
        if part.empty:
            continue
        lines += [f"## {SECTION_TITLES[key]}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in part[cols].itertuples(index=False)]
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
        The output of :func:`compare`.
    title : str
        The page's title (``<title>`` and ``<h1>``).
    notes : list of str, optional
        Paragraphs highlighted under the title (e.g. that the data are synthetic).
    figures : dict of str to str, optional
        Caption -> image path relative to the HTML file.
    estimates : DataFrame, optional
        The rows of :func:`cartsie.paper.estimates` behind ``comparison``.

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
    cols = [
        "id",
        "statistic",
        "published",
        "published_ci",
        "published_p",
        "reproduced",
        "reproduced_ci",
        "reproduced_p",
        "agreement",
    ]
    for key in SECTION_ORDER:
        part = comparison[comparison["id"].map(_section) == key]
        if part.empty:
            continue
        parts.append(
            f"<h2>{esc(SECTION_TITLES[key])}</h2><table><tr>"
            + "".join(f"<th>{esc(c)}</th>" for c in cols)
            + "</tr>"
        )
        for row in part[cols].itertuples(index=False):
            cls = {"outside CI": "outside", "inside CI": "inside", "not estimable": "ne"}.get(
                row.agreement, ""
            )
            parts.append("<tr>" + "".join(f"<td class='{cls}'>{esc(str(v))}</td>" for v in row) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
