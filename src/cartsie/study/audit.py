"""Audit a paper's published numbers against each other: what can be recomputed from the printed
numbers themselves, recomputed, with the rounding of every printed number carried through.

``cartsie audit [PUBLISHED_CSV] --out DIR`` runs it on the CART-SIE paper's published estimates
(``data/published_estimates.csv``) or on any table in the same format, so a reviewer can audit
another paper. The audit never reads patient data nor reproduced estimates: only the published
table. Its checks (legend: :data:`CHECKS`):

- ratios (OR, HR, sHR) with a CI: the p-value the ratio and its CI imply under a Wald test on the
  log scale (``ratio_p``) and whether the CI is log-symmetric about the estimate
  (``ratio_ci_symmetry``);
- Table 1: each "n (%)" cell against its N (``count_percent``), the groups' counts against the
  total's (``count_sum``), a categorical variable's levels against N (``levels_sum``), the printed p
  under Fisher's exact test, chi-square with and without continuity correction (``table1_p``),
  medians against their IQRs (``estimate_in_interval``) and the groups' medians (``pooled_median``);
- odds ratios against the rates they compare (``or_from_rates``); likelihood ratios and a yes/no
  score's AUC against its sensitivity and specificity (``likelihood_ratio``,
  ``auc_from_sens_spec``); estimates against their intervals (``estimate_in_interval``).

*Consistent* means reproduced by the method the paper says it used (Fisher's exact test for Table
1's categorical rows, Kruskal-Wallis for continuous ones, Wald intervals for ratios), allowing for
the rounding of every printed number: "34%" stands for [33.5, 34.5], "1.87" for [1.865, 1.875], a p
".04" for [.035, .045], "<.001" for [0, .001]. Each recomputation is evaluated over those intervals
(a function monotone in each argument at the corners of their box) and a check is consistent when
the recomputed interval meets the printed one. When another method reproduces a printed number
(a chi-square test for a Table-1 p), the row stays inconsistent and its detail names that method.
Which numbers go together comes from the ids' structure and the ``comparison`` / ``statistic``
columns alone, by the rules written out in :mod:`cartsie.study._audit_rules`.

>>> from cartsie.study.audit import audit
>>> found = audit().set_index(["id", "check"])
>>> row = found.loc[("surv.os.cox_adjusted.simpleht", "ratio_ci_symmetry")]
>>> row["published"], row["recomputed"], bool(row["consistent"])
('HR 1.87 (1.87-3.55)', 'sqrt(lo x hi) = [2.57, 2.58]', False)
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

import pandas as pd

from cartsie.errors import InputError
from cartsie.study import published as _published
from cartsie.study._audit_ratios import ratio_checks
from cartsie.study._audit_render import CHECKS, render_html, render_markdown, summary
from cartsie.study._audit_table1 import table_checks

__all__ = [
    "CHECKS",
    "COLUMNS",
    "REQUIRED",
    "audit",
    "read_published",
    "render_html",
    "render_markdown",
    "source_line",
    "summary",
    "write",
]

#: the columns of the audit (audit.csv), in order
COLUMNS = ("id", "check", "published", "recomputed", "consistent", "detail")
#: the columns a published table must have (``data/published_estimates.csv`` is the reference)
REQUIRED = (
    "id",
    "population",
    "analysis",
    "endpoint",
    "comparison",
    "statistic",
    "value",
    "ci_low",
    "ci_high",
    "p",
)


def _checked(table: pd.DataFrame) -> list[dict[str, str]]:
    """The published rows as dicts of strings, after checking the table's shape (one message)."""
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"audit(): published_table must be a DataFrame, got {type(table).__name__}.")
    problems = []
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        problems.append(
            f"missing column(s) {', '.join(missing)} (the format of cartsie's data/published_estimates.csv: "
            f"{', '.join(REQUIRED)}, note)"
        )
    elif table["id"].duplicated().any():
        dup = table.loc[table["id"].duplicated(), "id"].astype(str).unique()[:5]
        problems.append(f"ids must be unique; repeated: {', '.join(dup)}")
    if problems:
        raise InputError("the published table is unusable: " + "; ".join(problems) + ".")
    text = table.astype(object).where(table.notna(), "").astype(str)
    if "note" not in text.columns:
        text = text.assign(note="")
    return [dict(r) for r in text.to_dict(orient="records")]


def audit(published_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Recompute every published number that other published numbers determine, and say whether
    the printed one is consistent with them.

    Parameters
    ----------
    published_table : DataFrame, optional
        Published numbers in the format of ``data/published_estimates.csv`` (columns
        :data:`REQUIRED`, as text); default the CART-SIE paper's (``published.published()``).

    Returns
    -------
    DataFrame
        One row per check, columns :data:`COLUMNS`: id (the published id checked), check (a key of
        :data:`CHECKS`), published (as printed), recomputed (value and the interval rounding allows),
        consistent (nullable boolean: ``<NA>`` when not checkable), detail (the formula with its
        numbers, and any other method that reproduces the printed number). Rows follow the published
        table's order.

    Raises
    ------
    InputError
        When the table lacks a required column or repeats an id.

    Notes
    -----
    Ratio p: ``2 * pnorm(-abs(log(r) / se))`` with ``se = (log(hi) - log(lo)) / (2 * qnorm(0.975))``.
    Table 1: R's ``fisher.test`` (exact, r x c), ``chisq.test(correct = TRUE)`` and
    ``chisq.test(correct = FALSE)`` on the counts the printed cells allow. See the module docstring
    for the rounding rule and :mod:`cartsie.study._audit_rules` for which numbers go together.
    """
    rows = _checked(_published.published() if published_table is None else published_table)
    findings = table_checks(rows) + ratio_checks(rows)
    order = {r["id"]: k for k, r in enumerate(rows)}
    frame = pd.DataFrame([f.__dict__ for f in findings], columns=list(COLUMNS))
    frame["consistent"] = pd.array(frame["consistent"].tolist(), dtype="boolean")
    frame["_order"] = [order.get(i, len(order)) for i in frame["id"]]
    return frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def read_published(path: str | Path) -> pd.DataFrame:
    """Read a published table (CSV in the format of ``data/published_estimates.csv``) as text.

    Parameters
    ----------
    path : str or Path
        The CSV file (UTF-8).

    Returns
    -------
    DataFrame
        Every cell as a string (empty cells ``""``), ready for :func:`audit`.

    Raises
    ------
    InputError
        When the file cannot be read as CSV.
    """
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read the published table {str(path)!r} as UTF-8 CSV: {exc}") from None


def source_line(path: str | Path | None = None) -> str:
    """Name a published table for the report: its file and the SHA-256 of its bytes.

    Parameters
    ----------
    path : str or Path, optional
        The CSV audited; default the CART-SIE paper's, shipped with cartsie.

    Returns
    -------
    str
        E.g. ``"published_estimates.csv (CART-SIE, shipped with cartsie), sha256 1f2e...``.
    """
    if path is None:
        data = (resources.files("cartsie") / "data" / "published_estimates.csv").read_bytes()
        name = "published_estimates.csv (the CART-SIE paper, shipped with cartsie)"
    else:
        data, name = Path(path).read_bytes(), Path(path).name
    return f"{name}, sha256 {hashlib.sha256(data).hexdigest()[:16]}"


def write(audit: pd.DataFrame, out: str | Path, source: str = "") -> list[Path]:
    """Write ``audit.csv``, ``audit.md`` and ``audit.html`` into a folder.

    Parameters
    ----------
    audit : DataFrame
        The output of :func:`audit`.
    out : str or Path
        The folder (created when missing).
    source : str
        What was audited, for the reports (e.g. :func:`source_line`).

    Returns
    -------
    list of Path
        The three files written. Two runs on one table give byte-identical files.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "audit.csv", folder / "audit.md", folder / "audit.html"]
    audit.to_csv(paths[0], index=False, lineterminator="\n")
    paths[1].write_text(render_markdown(audit, source), encoding="utf-8")
    paths[2].write_text(render_html(audit, source), encoding="utf-8")
    return paths
