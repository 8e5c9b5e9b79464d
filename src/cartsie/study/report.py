"""The report of a run (``report.md`` and the self-contained ``report.html``): the study's tables and
figures in the paper's order with their captions, a Methods summary written from what was run, the
estimates not estimable on this cohort with their reasons, the patients left out of models, the
warnings (each naming its estimate or item), and -- where shown -- the published-versus-reproduced
comparison with its legend and the audit of the published numbers.

Everything shown comes from the run (:class:`Content`); reports hold aggregates only.
"""

from __future__ import annotations

import pandas as pd

from cartsie.study._report_html import render_html
from cartsie.study._report_methods import methods
from cartsie.study._report_parts import (
    BEYOND,
    LEGEND,
    SIMULATED,
    Content,
    Shown,
    counts,
    displayed,
    left_out,
    not_estimable,
    sections,
    shown_comparison,
    warning_lines,
)
from cartsie.study.registry import ITEMS

__all__ = [
    "LEGEND",
    "Content",
    "Shown",
    "displayed",
    "left_out",
    "methods",
    "not_estimable",
    "render_html",
    "render_markdown",
]


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(frame: pd.DataFrame) -> list[str]:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.shape[1]]
    lines += ["| " + " | ".join(_cell(v) for v in r) + " |" for r in frame.itertuples(index=False)]
    return [*lines, ""]


def _results(content: Content) -> list[str]:
    lines = ["## Results", ""]
    for it in ITEMS:
        outputs = [o for o in content.outputs if o.item == it.name]
        if not outputs:
            continue
        lines += [f"### {it.title}", ""]
        if not it.published:
            lines += [f"*{BEYOND}*", ""]
        for o in outputs:
            if o.png:
                lines += [f"![{o.caption}](figures/{o.name}.png)", "", f"*{o.caption}*", ""]
            else:
                lines += [f"**{o.caption}**", "", o.markdown.strip(), ""]
    return lines


def _comparison(content: Content) -> list[str]:
    comparison = content.comparison
    if comparison is None:
        return []
    lines = ["## Published versus reproduced", "", SIMULATED, ""]
    lines += [f"- **{k}** ({n}): {LEGEND[k]}" for k, n in counts(comparison)]
    lines.append("")
    for heading, part in sections(comparison):
        lines += [f"### {heading}", "", *_table(shown_comparison(part))]
    return lines


def _audit(content: Content) -> list[str]:
    if content.audit is None or content.comparison is None:
        return []
    from cartsie.study.audit import summary

    found = content.audit
    bad = found[found["consistent"].fillna(True).eq(False)]
    lines = ["## Audit of the published numbers", ""]
    lines += [
        "Each published number that other published numbers determine, recomputed within their "
        "rounding (cartsie.study.audit; `cartsie audit` gives every row).",
        "",
        *_table(summary(found)),
    ]
    if len(bad):
        lines += [
            "Inconsistent published numbers:",
            "",
            *_table(bad[["id", "check", "published", "recomputed", "detail"]]),
        ]
    return lines


def render_markdown(content: Content) -> str:
    """The report as markdown (figures linked as ``figures/NAME.png`` beside it).

    Parameters
    ----------
    content : Content
        What the run computed.

    Returns
    -------
    str
        Title, notes, Methods, Results (tables and figures by item, in the paper's order), Not
        estimable on this cohort, Patients left out of models, Warnings, Outputs not made, and
        -- when ``content.comparison`` is given -- Published versus reproduced and the audit.
    """
    lines = [f"# {content.title}", ""]
    lines += [f"> {n}" for n in content.notes]
    lines += [f"> {n}" for n in content.skipped]
    lines += ["", "## Methods", ""]
    for heading, paragraphs in content.methods:
        lines += [f"### {heading}", "", *[f"- {p}" for p in paragraphs], ""]
    lines += _results(content)
    ne, lo = not_estimable(content.estimates), left_out(content.estimates)
    if len(ne):
        lines += ["## Not estimable on this cohort", "", *_table(ne)]
    if len(lo):
        lines += ["## Patients left out of models", "", *_table(lo)]
    if content.warnings:
        lines += ["## Warnings", "", *[f"- {w}" for w in warning_lines(content)], ""]
    if content.skipped:
        lines += ["## Outputs not made", "", *[f"- {s}" for s in content.skipped], ""]
    lines += _comparison(content) + _audit(content)
    return "\n".join(lines).rstrip() + "\n"
