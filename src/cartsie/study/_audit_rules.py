"""Which published numbers belong together: the audit's pairing rules, from the ids and columns alone.

The published table (``data/published_estimates.csv`` is the reference format: one row per printed
number, columns id, population, analysis, endpoint, comparison, statistic, value, ci_low, ci_high, p)
says which numbers go together only through the structure of its ids and its ``comparison`` and
``statistic`` columns. These rules read that structure; no id is named anywhere in the audit.

1. **Descriptive-table cell.** An id of four dot-separated parts ``<table>.<population>.<variable>.
   <column>`` whose last part equals its ``comparison`` and whose ``statistic`` is ``summary``
   (``table1.HT.sex_female.low``). Its cells are grouped by (table, population, variable).
2. **Columns.** The column ``total`` is the whole population; every other column is a group (``low``,
   ``high``), in the order the table first gives them.
3. **Group sizes.** The variable ``n`` holds each column's N (``table1.HT.n.low``).
4. **Missing values.** A variable ``<stem>_missing`` printed as plain counts holds, per column, the
   patients missing for every variable ``<stem>_*`` of the same table and population
   (``ldh_missing`` for ``ldh_gt_uln``): their percentages exclude them.
5. **Categorical variables with several levels.** Two or more variables ``<stem>_<level>`` (``stem``
   = the name before its last ``_``) of one table and population whose total cells print the same p
   are the levels of one variable, tested as one r x c table (``histology_DLBCL``, ``_HGBL``,
   ``_PMBCL``). A variable alone on its stem is binary (``sex_female``: female versus the rest).
6. **Kinds.** Cells "n (%)" make a count variable; plain integers in the rows of rules 3-4 are
   counts; "median (q1-q3)" or a plain decimal is a continuous variable.
7. **Ratios.** A row whose ``statistic`` is in :data:`RATIO_STATISTICS` (OR, HR, sHR...) with its CI
   in ``ci_low``/``ci_high`` and its p in ``p``.
8. **Rates of an odds ratio.** An unadjusted ratio row (``statistic`` OR, ``analysis`` not ending
   in ``_adjusted``) whose ``comparison`` reads "A vs B" pairs with the two rows of the same id stem
   (its id without the last part) whose ``statistic`` is ``percent`` and whose ``comparison`` is A
   and B; a one-word B takes A's leading words ("HT high vs low" -> "HT high", "HT low").
9. **Group size of a rate.** A rate whose comparison ends with a group name ("HT low") has, as its
   group size, the N cell (rule 3) of that column in a descriptive table of the same population.
10. **Accuracy of a dichotomous score.** Rows of one id stem and one comparison whose last id part
    is ``sensitivity`` or ``specificity`` (``statistic`` percent), whose ``statistic`` is ``LR+`` or
    ``LR-``, or ``AUC`` (``AUC_percent`` on the percent scale) describe one score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

#: ratio statistics whose CI the paper computes on the log scale (Wald): odds, hazard,
#: subdistribution / cause-specific hazard, risk and incidence rate ratios
RATIO_STATISTICS = frozenset({"OR", "HR", "sHR", "csHR", "RR", "IRR"})
TOTAL = "total"
N_VARIABLE = "n"
MISSING_LEVEL = "missing"
SUMMARY = "summary"
PERCENT = "percent"
ADJUSTED_SUFFIX = "_adjusted"
_CELL_ID = re.compile(r"^([^.]+)\.([^.]+)\.([^.]+)\.([^.]+)$")

Row = dict[str, str]


def stem_of(id_: str) -> str:
    """An id without its last part (``tox.early_icaht.ht.or`` -> ``tox.early_icaht.ht``)."""
    return id_.rpartition(".")[0]


def last_part(id_: str) -> str:
    """The last dot-separated part of an id."""
    return id_.rpartition(".")[2]


@dataclass
class Variable:
    """The cells of one variable of a descriptive table (rule 1), by column."""

    table: str
    population: str
    name: str
    rows: dict[str, Row] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        """The name before its last ``_`` (``""`` for a name without one; rule 5)."""
        return self.name.rpartition("_")[0]

    @property
    def level(self) -> str:
        """The name after its last ``_`` (rule 5)."""
        return self.name.rpartition("_")[2]

    @property
    def p_text(self) -> str:
        """The p printed on the total cell, else on the first cell that has one."""
        ordered = sorted(self.rows.items(), key=lambda kv: kv[0] != TOTAL)
        return next((r["p"].strip() for _, r in ordered if r["p"].strip()), "")


@dataclass
class DescriptiveTable:
    """One population's descriptive table (rules 1-5): its columns and variables in order."""

    table: str
    population: str
    columns: list[str] = field(default_factory=list)
    variables: dict[str, Variable] = field(default_factory=dict)

    @property
    def groups(self) -> list[str]:
        """The columns other than the total (rule 2)."""
        return [c for c in self.columns if c != TOTAL]

    def missing_for(self, variable: Variable) -> Variable | None:
        """The ``<stem>_missing`` variable that applies to ``variable`` (rule 4), if any."""
        if variable.level == MISSING_LEVEL:
            return None
        for other in self.variables.values():
            if other.level == MISSING_LEVEL and variable.name.startswith(other.stem + "_"):
                return other
        return None

    def level_groups(self) -> list[list[Variable]]:
        """The variables as rule 5 groups them: several levels of one stem and one p, or alone."""
        out: list[list[Variable]] = []
        placed: set[str] = set()
        for v in self.variables.values():
            if v.name in placed:
                continue
            same = [
                w
                for w in self.variables.values()
                if v.stem
                and _is_count(w)
                and w.stem == v.stem
                and w.level != MISSING_LEVEL
                and w.p_text
                and w.p_text == v.p_text
                and w.name not in placed
            ]
            group = same if len(same) >= 2 else [v]
            placed.update(w.name for w in group)
            out.append(group)
        return out


def _is_count(v: Variable) -> bool:
    """Whether a variable prints "n (%)" cells (rule 6)."""
    return any("%" in r["value"] for r in v.rows.values())


def descriptive_tables(rows: Iterable[Row]) -> list[DescriptiveTable]:
    """The descriptive tables of the published rows (rules 1-2), in the order they appear.

    Parameters
    ----------
    rows : iterable of dict
        The published rows (every column a string).

    Returns
    -------
    list of DescriptiveTable
        One per (table, population).
    """
    tables: dict[tuple[str, str], DescriptiveTable] = {}
    for r in rows:
        m = _CELL_ID.match(r["id"])
        if not m or r["statistic"] != SUMMARY or m.group(4) != r["comparison"].strip():
            continue
        table, population, name, column = m.groups()
        t = tables.setdefault((table, population), DescriptiveTable(table, population))
        if column not in t.columns:
            t.columns.append(column)
        t.variables.setdefault(name, Variable(table, population, name)).rows[column] = r
    return list(tables.values())


def ratio_rows(rows: Iterable[Row]) -> list[Row]:
    """The rows of ratio estimates (rule 7).

    Parameters
    ----------
    rows : iterable of dict
        The published rows.

    Returns
    -------
    list of dict
        The rows whose ``statistic`` is in :data:`RATIO_STATISTICS` and that print a value.
    """
    return [r for r in rows if r["statistic"] in RATIO_STATISTICS and r["value"].strip()]


def compared_groups(comparison: str) -> tuple[str, str] | None:
    """The two groups an "A vs B" comparison names (rule 8): "HT high vs low" -> ("HT high", "HT low").

    Parameters
    ----------
    comparison : str
        The ``comparison`` column of a ratio row.

    Returns
    -------
    tuple of str or None
        (A, B); ``None`` when the comparison is not "A vs B".
    """
    parts = re.split(r"\s+vs\.?\s+", comparison.strip())
    if len(parts) != 2 or not all(parts):
        return None
    a, b = parts
    a_words, b_words = a.split(), b.split()
    if len(b_words) < len(a_words):  # "HT high vs low": B takes A's leading words
        b = " ".join(a_words[: len(a_words) - len(b_words)] + b_words)
    return a, b


def rate_pairs(rows: list[Row]) -> list[tuple[Row, Row | None, Row | None]]:
    """Each unadjusted odds ratio with the rates of its two groups (rule 8).

    Parameters
    ----------
    rows : list of dict
        The published rows.

    Returns
    -------
    list of tuple
        (odds-ratio row, rate of A or None, rate of B or None) for every unadjusted OR row whose
        comparison is "A vs B".
    """
    out = []
    for r in ratio_rows(rows):
        if r["statistic"] != "OR" or r["analysis"].endswith(ADJUSTED_SUFFIX):
            continue
        groups = compared_groups(r["comparison"])
        if groups is None:
            continue
        stem = stem_of(r["id"])
        found = []
        for g in groups:
            found.append(
                next(
                    (
                        q
                        for q in rows
                        if q is not r
                        and stem_of(q["id"]) == stem
                        and q["statistic"] == PERCENT
                        and q["comparison"].strip() == g
                    ),
                    None,
                )
            )
        out.append((r, found[0], found[1]))
    return out


def group_size(tables: list[DescriptiveTable], rate: Row) -> int | None:
    """The N of a rate's group from a descriptive table of its population (rule 9).

    Parameters
    ----------
    tables : list of DescriptiveTable
        The published descriptive tables.
    rate : dict
        A rate row ("HT low": its last word names the column).

    Returns
    -------
    int or None
        The N printed for that column, or ``None``.
    """
    words = rate["comparison"].split()
    if not words:
        return None
    for t in tables:
        n = t.variables.get(N_VARIABLE)
        if t.population == rate["population"] and n is not None and words[-1] in n.rows:
            text = n.rows[words[-1]]["value"].strip()
            return int(text) if text.isdigit() else None
    return None


def accuracy_sets(rows: list[Row]) -> list[dict[str, Row]]:
    """The rows describing one dichotomous score's accuracy (rule 10).

    Parameters
    ----------
    rows : list of dict
        The published rows.

    Returns
    -------
    list of dict
        Per (id stem, comparison) with a sensitivity and a specificity: a mapping with the keys
        ``sensitivity``, ``specificity`` and those of ``LR+``, ``LR-``, ``AUC`` that are printed.
    """
    sets: dict[tuple[str, str], dict[str, Row]] = {}
    for r in rows:
        key = (stem_of(r["id"]), r["comparison"].strip())
        part, stat = last_part(r["id"]), r["statistic"]
        if stat == PERCENT and part in ("sensitivity", "specificity"):
            sets.setdefault(key, {})[part] = r
        elif stat in ("LR+", "LR-"):
            sets.setdefault(key, {})[stat] = r
        elif stat in ("AUC", "AUC_percent"):
            sets.setdefault(key, {})["AUC"] = r
    return [s for s in sets.values() if "sensitivity" in s and "specificity" in s]
