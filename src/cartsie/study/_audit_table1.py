"""The audit's checks of a descriptive table (the paper's Table 1) from its printed cells.

- ``count_percent`` -- each "n (%)" cell: is n / N within the rounding of the percentage? (N is the
  column's N minus the missing values printed for the variable);
- ``count_sum`` -- the groups' counts add up to the total's (and the denominators the percentages
  imply can add up too);
- ``levels_sum`` -- a categorical variable's printed levels add up to the column's N;
- ``table1_p`` -- the printed p from the printed counts under Fisher's exact test (the paper's test),
  and under the chi-square test with and without continuity correction; continuous variables'
  Kruskal-Wallis p-values need the patients' values and are not checkable;
- ``estimate_in_interval`` -- a median inside its printed IQR;
- ``pooled_median`` -- the total column's median between the groups' medians.

Which cells go together follows ``_audit_rules`` (rules 1-6).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cartsie.descriptive import chisq_test, fisher_exact
from cartsie.errors import InputError
from cartsie.study import _audit_rules as rules
from cartsie.study._audit_numbers import Cell, Finding, Span, cell, fmt, fmt_span, p_value
from cartsie.study._audit_ratios import inside

#: at most this many denominators per cell are tried (evenly spaced, ends kept): p-values move
#: smoothly with a denominator, and the product of several cells' candidates must stay small
MAX_CANDIDATES = 25


def _fisher(table: np.ndarray) -> float:
    try:
        return fisher_exact(table, conf_int=False, simulate=False).p_value
    except InputError:  # too large to enumerate exactly: no Monte Carlo p-value in an audit
        return math.nan


#: the tests a Table-1 p of counts may come from: (key, name with R's call, function of the table)
TESTS: tuple[tuple[str, str, Callable[[np.ndarray], float]], ...] = (
    ("fisher", "Fisher's exact test (R: fisher.test)", _fisher),
    (
        "chisq_yates",
        "chi-square with Yates' continuity correction (R: chisq.test(correct = TRUE))",
        lambda t: chisq_test(t, correct=True).p_value,
    ),
    (
        "chisq",
        "chi-square without continuity correction (R: chisq.test(correct = FALSE))",
        lambda t: chisq_test(t, correct=False).p_value,
    ),
)
PAPER_TEST = "fisher"
_SHORT = {
    "fisher": "Fisher's exact test",
    "chisq_yates": "chi-square with continuity correction",
    "chisq": "chi-square without continuity correction",
}


def test_p_values(table: np.ndarray) -> dict[str, float]:
    """The p-value of each test of :data:`TESTS` on one count table.

    Parameters
    ----------
    table : ndarray of int
        Counts, levels x groups.

    Returns
    -------
    dict
        Test key -> p-value. A table larger than 2 x 2 has no Yates correction (R's ``chisq.test``
        applies it to 2 x 2 tables only), so ``chisq_yates`` is left out for it.
    """
    return {k: float(f(table)) for k, _, f in TESTS if k != "chisq_yates" or table.shape == (2, 2)}


@dataclass
class _Count:
    """A count variable's parsed cells, the N it is a percentage of, and the denominators allowed."""

    variable: rules.Variable
    cells: dict[str, Cell]
    base: dict[str, int | None]
    missing: dict[str, int]
    complete: dict[str, bool] = field(default_factory=dict)  # the levels add up to base: none missing
    denominators: dict[str, list[int]] = field(default_factory=dict)


def _spread(values: list[int]) -> list[int]:
    if len(values) <= MAX_CANDIDATES:
        return values
    picks = np.linspace(0, len(values) - 1, MAX_CANDIDATES).round().astype(int)
    return [values[i] for i in sorted(set(picks.tolist()))]


def implied_denominators(count: int, percent: Span, upper: float = math.inf) -> list[int]:
    """The denominators ``D`` (``count <= D <= upper``) for which ``100 count / D`` rounds as printed.

    Parameters
    ----------
    count : int
        The printed count.
    percent : Span
        The rounding interval of its printed percentage.
    upper : float
        The largest denominator allowed (the column's N).

    Returns
    -------
    list of int
        Every such ``D``, ascending; empty when none (for ``count = 0`` only ``upper`` itself, when
        finite: a zero count implies no denominator).
    """
    if count == 0:
        return [int(upper)] if math.isfinite(upper) and percent.contains(0.0) else []
    if percent.hi <= 0:
        return []
    lo = max(count, math.floor(100 * count / percent.hi))
    hi = math.ceil(100 * count / percent.lo) if percent.lo > 0 else upper
    hi = min(hi, upper)
    if not math.isfinite(hi):
        return []
    return [d for d in range(int(lo), int(hi) + 1) if d > 0 and percent.contains(100 * count / d)]


def _column_n(t: rules.DescriptiveTable) -> dict[str, int]:
    n = t.variables.get(rules.N_VARIABLE)
    out = {}
    for col, r in ({} if n is None else n.rows).items():
        c = cell(r["value"], integer_is_count=True)
        if c is not None and c.count is not None:
            out[col] = c.count
    return out


def _counted(t: rules.DescriptiveTable, group: list[rules.Variable], n: dict[str, int]) -> list[_Count]:
    """Parse a count variable's levels; work out each cell's N and its allowed denominators."""
    out = []
    for v in group:
        missing = t.missing_for(v)
        cells = {}
        for col, r in v.rows.items():
            parsed = cell(r["value"], integer_is_count=True)
            if parsed is not None:
                cells[col] = parsed
        base: dict[str, int | None] = {}
        lost: dict[str, int] = {}
        for col in cells:
            m = None if missing is None else cell(missing.rows.get(col, {"value": ""})["value"], True)
            lost[col] = m.count if m is not None and m.count else 0
            base[col] = None if col not in n else n[col] - lost[col]
        out.append(_Count(v, cells, base, lost))
    for col in t.columns:
        counts = [c.cells[col].count for c in out if col in c.cells]
        b = out[0].base.get(col)
        known = [k for k in counts if k is not None]
        complete = len(out) >= 2 and b is not None and len(known) == len(out) and sum(known) == b
        for c in out:
            c.complete[col] = complete
    for c in out:
        # one cell whose percentage needs values missing (not printed) means any cell of the
        # variable may have some: then every cell takes all the denominators its percentage allows
        fits = all(_fits(c, col) for col in c.cells)
        c.denominators = {col: _denominators_of(c, col, fits) for col in c.cells}
    return out


def _share(count: int, base: int) -> float:
    """100 count / base; NaN (fits no percentage) when the base is not positive."""
    return 100 * count / base if base > 0 else math.nan


def _fits(c: _Count, col: str) -> bool:
    """Whether the cell's percentage is its count over N (net of the missing values printed)."""
    x, base = c.cells[col], c.base.get(col)
    if x.count is None or x.percent is None:
        return True
    return base is not None and x.percent.contains(_share(x.count, base))


def _denominators_of(c: _Count, col: str, fits: bool) -> list[int]:
    """N (net of printed missing values) when every percentage of the variable fits its N or no
    value can be missing (the levels add up to N); else every denominator up to N that the
    percentage allows (values missing that the table does not print)."""
    x, base = c.cells[col], c.base.get(col)
    if x.count is None:
        return []
    if base is not None and (x.percent is None or c.complete[col] or fits):
        return [base]
    if x.percent is None:
        return []
    return implied_denominators(x.count, x.percent, math.inf if base is None else base)


def _range_text(values: list[int]) -> str:
    return "none" if not values else (f"{values[0]}" if len(values) == 1 else f"{values[0]}-{values[-1]}")


def _percent_finding(c: _Count, col: str) -> Finding | None:
    x, base, r = c.cells.get(col), c.base.get(col), c.variable.rows[col]
    if x is None or x.percent is None or x.count is None:
        return None
    if base is None:
        return Finding(r["id"], "count_percent", x.text, "", None, f"no N printed for column {col!r}")
    share = _share(x.count, base)
    ok = x.percent.contains(share)
    pct = x.text[x.text.index("(") + 1 : x.text.rindex(")")]
    detail = f"{x.count}/{base} = {share:.2f}%; {pct} stands for {fmt_span(x.percent, 4)}%"
    if c.missing.get(col):
        detail = f"N {base + c.missing[col]} minus {c.missing[col]} missing: " + detail
    if ok:
        return Finding(r["id"], "count_percent", x.text, f"{share:.2f}% of {base}", True, detail)
    feasible = implied_denominators(x.count, x.percent, base)
    if c.complete[col]:
        detail += (
            f"; the levels of {c.variable.stem} add up to {base}, so no value is missing: the "
            "percentage does not match its count"
        )
    elif feasible:
        detail += (
            f"; only a denominator of {_range_text(feasible)} gives {pct}: "
            f"{_range_text(sorted(base - d for d in feasible))} value(s) missing that the table does "
            "not print"
        )
    else:
        needed = implied_denominators(x.count, x.percent)
        detail += f"; no denominator up to {base} gives {pct} (it needs {_range_text(needed)})"
    return Finding(r["id"], "count_percent", x.text, f"{share:.2f}% of {base}", False, detail)


def _sum_finding(v: rules.Variable, t: rules.DescriptiveTable, c: _Count | None) -> Finding | None:
    """The groups' counts against the total's; with percentages, their denominators too."""
    if rules.TOTAL not in v.rows or not t.groups:
        return None
    parsed = {col: cell(v.rows[col]["value"], True) for col in v.rows}
    counts = {col: x.count for col, x in parsed.items() if x is not None and x.count is not None}
    if any(g not in counts for g in [*t.groups, rules.TOTAL]):
        return None
    total = counts[rules.TOTAL]
    parts = [counts[g] for g in t.groups]
    ok = sum(parts) == total
    recomputed = " + ".join(str(p) for p in parts) + f" = {sum(parts)}"
    detail = f"{' + '.join(t.groups)}: {recomputed}, printed total {total}"
    if c is not None and any(len(c.denominators.get(col, [])) != 1 for col in t.columns):
        lists = [c.denominators.get(g, []) for g in t.groups]
        totals = set(c.denominators.get(rules.TOTAL, []))
        sums = {sum(combo) for combo in itertools.product(*lists)}
        can = bool(sums & totals)
        ok = ok and can
        implied = ", ".join(f"{g} {_range_text(d)}" for g, d in zip(t.groups, lists, strict=True))
        detail += (
            f"; the denominators the percentages imply ({implied}; total {_range_text(sorted(totals))}) "
            f"{'can' if can else 'cannot'} add up"
        )
    return Finding(v.rows[rules.TOTAL]["id"], "count_sum", str(total), recomputed, ok, detail)


def _levels_findings(counted: list[_Count], t: rules.DescriptiveTable) -> list[Finding]:
    out = []
    for col in t.columns:
        counts = [c.cells[col].count for c in counted if col in c.cells]
        base = counted[0].base.get(col)
        if base is None or None in counts or len(counts) != len(counted):
            continue
        total = sum(counts)  # type: ignore[arg-type]
        ok = total == base
        names = ", ".join(c.variable.level for c in counted)
        detail = f"levels {names} of {counted[0].variable.stem}: {total} of {base}"
        if not ok:
            detail += (
                f"; {base - total} patient(s) in no printed level (values missing, or levels not printed)"
                if total < base
                else "; more patients in the levels than in the column"
            )
        recomputed = " + ".join(str(x) for x in counts) + f" = {total}"
        out.append(
            Finding(counted[0].variable.rows[col]["id"], "levels_sum", str(base), recomputed, ok, detail)
        )
    return out


def _tables(counted: list[_Count], t: rules.DescriptiveTable) -> tuple[list[np.ndarray], str]:
    """The count tables the printed cells allow (levels x groups), and how they were formed."""
    groups = t.groups
    if len(counted) >= 2:  # several levels: the printed counts are the table
        table = np.array([[_n(c, g) for g in groups] for c in counted], dtype=np.int64)
        names = ", ".join(c.variable.level for c in counted)
        return [table], f"{len(counted)} x {len(groups)} table of the printed counts (levels {names})"
    c = counted[0]
    lists = [_spread(c.denominators.get(g, [])) for g in groups]
    combos = list(itertools.product(*lists))
    totals = set(c.denominators.get(rules.TOTAL, []))
    joint = [d for d in combos if sum(d) in totals]
    note = "" if not totals or joint else "; the groups' denominators cannot make the total's"
    # a count above its denominator makes no table
    combos = [ds for ds in joint or combos if all(d >= _n(c, g) for g, d in zip(groups, ds, strict=True))]
    tables = [
        np.array([[_n(c, g), d - _n(c, g)] for g, d in zip(groups, ds, strict=True)], dtype=np.int64).T
        for ds in combos
    ]
    shown = [f"{g} {_n(c, g)}/{_range_text(sorted({d[i] for d in combos}))}" for i, g in enumerate(groups)]
    how = f"2 x {len(groups)} table, {', '.join(shown)} ({c.variable.name}: count, rest of the denominator)"
    if any(len(x) != 1 for x in lists):
        how += f"; denominators from the percentages (values missing, not printed): {len(tables)} tried"
    return tables, how + note


def _n(c: _Count, col: str) -> int:
    """A cell's count (the callers have checked that it prints one)."""
    count = c.cells[col].count
    if count is None:  # pragma: no cover - guarded by the callers
        raise ValueError(f"{c.variable.name}: no count in column {col!r}")
    return count


def count_tables(rows: list[rules.Row]) -> dict[tuple[str, str], list[np.ndarray]]:
    """The count tables behind each Table-1 p of counts, as :func:`table_checks` tests them.

    Parameters
    ----------
    rows : list of dict
        The published rows.

    Returns
    -------
    dict
        (population, name of the variable or of its first level) -> the tables tried (levels x
        groups; for a binary variable rows count / rest of the denominator, one table per set of
        denominators the percentages allow).
    """
    out = {}
    for t in rules.descriptive_tables(rows):
        n = _column_n(t)
        for group in t.level_groups():
            if _kind(group[0]) == "count" and group[0].p_text:
                out[(t.population, group[0].name)] = _tables(_counted(t, group, n), t)[0]
    return out


def _without_a_level(counted: list[_Count], table: np.ndarray, printed: Span) -> list[str]:
    """Fisher's exact test on the table without one level, where that gives the printed p."""
    out = []
    for k, c in enumerate(counted):
        p = _fisher(np.delete(table, k, axis=0))
        if printed.contains(p):
            out.append(f"Fisher's exact test without the level {c.variable.level!r} ({fmt(p, 3)})")
    return out


def _verdict(ok: bool, others: list[str]) -> str:
    if ok:
        return "Fisher's exact test (the paper's) reproduces it" + (
            "; so does " + " and ".join(others) if others else ""
        )
    if others:
        return "not Fisher's exact test on this table (the paper's); reproduced by " + " and ".join(others)
    return "no test reproduces it"


def _p_finding(counted: list[_Count], t: rules.DescriptiveTable, p_text: str) -> Finding:
    first = counted[0].variable
    pid = first.rows.get(rules.TOTAL, next(iter(first.rows.values())))["id"]
    printed = p_value(p_text)
    ready = all(g in c.cells and c.cells[g].count is not None for c in counted for g in t.groups)
    if printed is None or not ready or len(t.groups) < 2:
        return Finding(pid, "table1_p", p_text, "", None, "cannot read the p or the groups' counts")
    tables, how = _tables(counted, t)
    if not tables:
        return Finding(pid, "table1_p", p_text, "", None, f"no denominators fit the percentages ({how})")
    ps: dict[str, list[float]] = {}
    for table in tables:
        for key, p in test_p_values(table).items():
            ps.setdefault(key, []).append(p)
    spans = {k: Span(min(v), max(v)) for k, v in ps.items()}
    names = {k: name for k, name, _ in TESTS}
    ok = spans[PAPER_TEST].overlaps(printed[1])
    parts = [f"{names[k]} {fmt_span(s, 3)}" for k, s in spans.items()]
    others = [_SHORT[k] for k, s in spans.items() if k != PAPER_TEST and s.overlaps(printed[1])]
    if not ok and len(counted) >= 3:  # a subset of the levels may be what was tested
        others += _without_a_level(counted, tables[0], printed[1])
    detail = f"{how}. " + "; ".join(parts) + f". Printed {p_text} stands for {fmt_span(printed[1], 3)}: "
    detail += _verdict(ok, others)
    if not ok:
        mine = {c.variable.name for c in counted}
        same = [v.name for v in t.variables.values() if v.p_text == p_text and v.name not in mine]
        if same:  # a p printed on another row too may have been copied from it
            detail += f" (the table prints {p_text} for {', '.join(same)} too)"
    return Finding(pid, "table1_p", p_text, f"Fisher {fmt_span(spans[PAPER_TEST], 3)}", ok, detail)


def _continuous_findings(v: rules.Variable, t: rules.DescriptiveTable) -> list[Finding]:
    cells = {col: cell(r["value"], integer_is_count=False) for col, r in v.rows.items()}
    out = []
    for col, x in cells.items():
        if x is not None and x.median is not None and x.q1 is not None and x.q3 is not None:
            ok = inside(x.median, x.q1, x.q3)
            out.append(
                Finding(
                    v.rows[col]["id"],
                    "estimate_in_interval",
                    x.text,
                    "median inside its IQR" if ok else "median outside its IQR",
                    ok,
                    "a median lies between its quartiles (q1 <= median <= q3, within rounding)",
                )
            )
    total = cells.get(rules.TOTAL)
    medians = [cells[g].median for g in t.groups if cells.get(g) is not None]  # type: ignore[union-attr]
    if total is not None and total.median is not None and len(medians) >= 2 and None not in medians:
        span = Span(min(m.lo for m in medians if m), max(m.hi for m in medians if m))
        ok = span.overlaps(total.median)
        out.append(
            Finding(
                v.rows[rules.TOTAL]["id"],
                "pooled_median",
                total.text,
                f"between {fmt(span.lo, 4)} and {fmt(span.hi, 4)}",
                ok,
                "the median of the pooled groups lies between the groups' medians (the pooled "
                "distribution function is their weighted mean); "
                + ("it does" if ok else "the printed total's median does not"),
            )
        )
    if v.p_text:
        pid = v.rows.get(rules.TOTAL, next(iter(v.rows.values())))["id"]
        out.append(
            Finding(
                pid,
                "table1_p",
                v.p_text,
                "",
                None,
                "continuous variable: the paper's Kruskal-Wallis test (R: kruskal.test) needs each "
                "patient's value; the printed medians and IQRs do not determine it",
            )
        )
    return out


def _kind(v: rules.Variable) -> str:
    values = [r["value"].strip() for r in v.rows.values()]
    if any("%" in x for x in values):
        return "count"
    if v.name == rules.N_VARIABLE or (v.level == rules.MISSING_LEVEL and all(x.isdigit() for x in values)):
        return "plain_count"
    return "continuous"


def table_checks(rows: list[rules.Row]) -> list[Finding]:
    """Every check of the published descriptive tables, table by table, variable by variable.

    Parameters
    ----------
    rows : list of dict
        The published rows.

    Returns
    -------
    list of Finding
        Per count variable: ``count_percent`` per cell, ``count_sum``, ``levels_sum`` per column (a
        variable of several levels), ``table1_p``; per N or missing-values row: ``count_sum``; per
        continuous variable: ``estimate_in_interval`` per cell, ``pooled_median``, ``table1_p`` (not
        checkable).
    """
    out: list[Finding] = []
    for t in rules.descriptive_tables(rows):
        n = _column_n(t)
        for group in t.level_groups():
            kind = _kind(group[0])
            if kind == "plain_count":
                found = _sum_finding(group[0], t, None)
                out.extend([found] if found else [])
            elif kind == "continuous":
                out.extend(_continuous_findings(group[0], t))
            else:
                counted = _counted(t, group, n)
                for c in counted:
                    out.extend(f for col in t.columns if (f := _percent_finding(c, col)) is not None)
                    found = _sum_finding(c.variable, t, c)
                    out.extend([found] if found else [])
                if len(counted) >= 2:
                    out.extend(_levels_findings(counted, t))
                if group[0].p_text:
                    out.append(_p_finding(counted, t, group[0].p_text))
    return out
