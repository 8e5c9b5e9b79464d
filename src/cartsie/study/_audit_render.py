"""The audit as a report: a summary by kind of check, the legend, the rows (inconsistent first);
as markdown and as one self-contained HTML page (no external source, link or url).
"""

from __future__ import annotations

import html

import pandas as pd

from cartsie import __version__

#: every kind of check, with what it recomputes and what "consistent" means for it (the legend)
CHECKS: dict[str, str] = {
    "ratio_p": (
        "the p-value a ratio (OR, HR, sHR) and its 95% CI imply under a Wald test on the log scale: "
        "se = (log(hi) - log(lo)) / (2 x 1.96), z = log(ratio) / se, p = 2 (1 - Phi(|z|)); consistent "
        "when some numbers rounding as printed give the printed p"
    ),
    "ratio_ci_symmetry": (
        "whether the CI is log-symmetric about the ratio, as a Wald CI is: the estimate at the "
        "geometric midpoint sqrt(lo x hi) of its limits, within rounding"
    ),
    "or_from_rates": (
        "an unadjusted odds ratio recomputed from the two printed rates it compares, "
        "(pA / (1 - pA)) / (pB / (1 - pB)), within the rounding of both"
    ),
    "likelihood_ratio": (
        "LR+ = sens / (1 - spec) and LR- = (1 - sens) / spec from the printed sensitivity and "
        "specificity, within rounding"
    ),
    "auc_from_sens_spec": (
        "the AUC of a yes/no score, (sens + spec) / 2, from its printed sensitivity and specificity"
    ),
    "estimate_in_interval": "an estimate (or median) inside the CI, range or IQR printed beside it",
    "count_percent": (
        "an 'n (%)' cell: n / N within the rounding of the percentage, N the column's N minus the "
        "missing values printed for the variable; the detail gives the denominators that would fit"
    ),
    "count_sum": (
        "the groups' counts add up to the total's (and the denominators the percentages imply can add up too)"
    ),
    "levels_sum": "the printed levels of a categorical variable add up to the column's N",
    "table1_p": (
        "a Table-1 p from the printed counts by Fisher's exact test (the paper's test for categorical "
        "variables); the detail gives the chi-square tests with and without continuity correction and "
        "names any that reproduces the p. Kruskal-Wallis p-values (continuous variables) need the "
        "patients' values: not checkable"
    ),
    "pooled_median": "the total column's median between the groups' medians",
}

_STATES = ("consistent", "inconsistent", "not checkable")


def _flags(audit: pd.DataFrame) -> list[bool | None]:
    """The consistent column as True / False / None (pandas' NA read as not checkable)."""
    return [None if pd.isna(v) else bool(v) for v in audit["consistent"]]


def _state(value: bool | None) -> str:
    if value is True:
        return "consistent"
    if value is False:
        return "inconsistent"
    return "not checkable"


def summary(audit: pd.DataFrame) -> pd.DataFrame:
    """Count the audit's rows by kind of check and outcome.

    Parameters
    ----------
    audit : DataFrame
        The output of :func:`cartsie.study.audit.audit`.

    Returns
    -------
    DataFrame
        One row per kind of check present (in the order of :data:`CHECKS`) and a last row ``all``:
        columns check, consistent, inconsistent, not checkable, total.
    """
    states = [_state(v) for v in _flags(audit)]
    frame = pd.DataFrame({"check": audit["check"].to_numpy(), "state": states})
    order = [c for c in CHECKS if c in set(frame["check"])] + sorted(set(frame["check"]) - set(CHECKS))
    rows = []
    for check in [*order, "all"]:
        part = frame if check == "all" else frame[frame["check"] == check]
        counts = {s: int((part["state"] == s).sum()) for s in _STATES}
        rows.append({"check": check, **counts, "total": len(part)})
    return pd.DataFrame(rows, columns=["check", *_STATES, "total"])


def _ordered(audit: pd.DataFrame) -> pd.DataFrame:
    """Inconsistent rows first, then the rest, each in the audit's order."""
    key = [0 if v is False else 1 for v in _flags(audit)]
    return audit.assign(_key=key).sort_values("_key", kind="stable").drop(columns="_key")


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(audit: pd.DataFrame, source: str = "") -> str:
    """The audit as markdown: summary by kind of check, legend, rows (inconsistent first).

    Parameters
    ----------
    audit : DataFrame
        The output of :func:`cartsie.study.audit.audit`.
    source : str
        What was audited (a line under the title); empty for none.

    Returns
    -------
    str
        The report.
    """
    lines = ["# Audit of published numbers", ""]
    lines += [f"Audited: {source}", ""] if source else []
    lines += [
        f"cartsie {__version__}. Each check recomputes a printed number from other printed numbers "
        "of the same table, carrying every number's rounding through. *Consistent*: reproduced, "
        "within rounding, by the method the paper says it used (Fisher's exact test for Table 1's "
        "categorical rows, Kruskal-Wallis for continuous ones, Wald intervals for ratios). "
        "Aggregates only: no patient data is read.",
        "",
        "## Summary",
        "",
    ]
    s = summary(audit)
    lines += ["| check | " + " | ".join(s.columns[1:]) + " |", "|---" * len(s.columns) + "|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in s.itertuples(index=False)]
    lines += ["", "## Checks", ""]
    lines += [f"- `{k}`: {v}." for k, v in CHECKS.items() if k in set(audit["check"])]
    lines += ["", "## Rows (inconsistent first)", ""]
    lines += ["| id | check | published | recomputed | consistent | detail |", "|---|---|---|---|---|---|"]
    for r in _ordered(audit).itertuples(index=False):
        state = {"consistent": "yes", "inconsistent": "**no**", "not checkable": "not checkable"}[
            _state(None if pd.isna(r.consistent) else bool(r.consistent))
        ]
        cells = [f"`{r.id}`", r.check, _md(r.published), _md(r.recomputed), state, _md(r.detail)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border-top: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #444; }
tr.inconsistent td { background: #fde8e8; }
tr.unchecked td { color: #666; }
td.num { text-align: right; }
code { font-size: 0.95em; }
"""


def render_html(audit: pd.DataFrame, source: str = "") -> str:
    """The audit as one self-contained HTML page (inline style; no external source, link or url).

    Parameters
    ----------
    audit : DataFrame
        The output of :func:`cartsie.study.audit.audit`.
    source : str
        What was audited (a line under the title); empty for none.

    Returns
    -------
    str
        The page: summary by kind of check, legend, rows with the inconsistent ones first.
    """
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Audit of published numbers</title>',
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Audit of published numbers</h1>",
    ]
    if source:
        out.append(f"<p>Audited: {e(source)}</p>")
    out.append(
        f"<p>cartsie {e(__version__)}. Each check recomputes a printed number from other printed "
        "numbers of the same table, carrying every number's rounding through. <em>Consistent</em>: "
        "reproduced, within rounding, by the method the paper says it used (Fisher's exact test for "
        "Table 1's categorical rows, Kruskal-Wallis for continuous ones, Wald intervals for ratios). "
        "Aggregates only: no patient data is read.</p>"
    )
    s = summary(audit)
    out += ["<h2>Summary</h2>", "<table><thead><tr>"]
    out += [f"<th>{e(c)}</th>" for c in s.columns] + ["</tr></thead><tbody>"]
    for row in s.itertuples(index=False):
        out.append(
            f"<tr><td>{e(str(row[0]))}</td>" + "".join(f'<td class="num">{v}</td>' for v in row[1:]) + "</tr>"
        )
    out += ["</tbody></table>", "<h2>Checks</h2>", "<dl>"]
    for k, v in CHECKS.items():
        if k in set(audit["check"]):
            out.append(f"<dt><code>{e(k)}</code></dt><dd>{e(v)}.</dd>")
    out += ["</dl>", "<h2>Rows (inconsistent first)</h2>", "<table><thead><tr>"]
    out += [f"<th>{c}</th>" for c in ("id", "check", "published", "recomputed", "consistent", "detail")]
    out.append("</tr></thead><tbody>")
    for r in _ordered(audit).itertuples(index=False):
        state = _state(None if pd.isna(r.consistent) else bool(r.consistent))
        css = {"inconsistent": "inconsistent", "not checkable": "unchecked"}.get(state, "ok")
        label = {"consistent": "yes", "inconsistent": "no", "not checkable": "not checkable"}[state]
        cells = [f"<code>{e(r.id)}</code>", e(r.check), e(r.published), e(r.recomputed), label, e(r.detail)]
        out.append(f'<tr class="{css}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out += ["</tbody></table>", "</body></html>"]
    return "\n".join(out) + "\n"
