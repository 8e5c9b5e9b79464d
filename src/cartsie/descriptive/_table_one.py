"""Construction and rendering of :func:`cartsie.descriptive.table_one` (see its docstring)."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartsie._checks import describe_rows, numeric, require_columns
from cartsie._display import Display, Tabular, render_html, render_markdown
from cartsie._results import TableResult
from cartsie.errors import InputError
from cartsie.format import format_count, format_median_iqr, format_p

TESTS = {"categorical": ("fisher", "chisq", "none"), "continuous": ("kruskal", "none")}
DEFAULT_TEST = {"categorical": "fisher", "continuous": "kruskal"}
RESERVED = ("variable", "level", "total", "p_value", "test")


@dataclass(frozen=True, repr=False)
class TableOne(Tabular, TableResult):
    """The result of :func:`cartsie.descriptive.table_one`.

    ``summary`` is tidy: one row per (variable, level) with the printed cell of each group and of
    the total, the p-value at full precision and the test used (both repeated on every row of a
    variable). ``stats`` holds the numbers behind the cells, one row per (variable, level, group).

    The writers of :mod:`cartsie._display` print it: ``to_frame()``, ``to_markdown()``,
    ``to_html()``, ``to_latex()`` (great-tables), ``to_docx(path)`` (python-docx) and
    ``to_excel(path)`` (openpyxl), with footnotes naming the cells' statistics and the tests.

    Parameters
    ----------
    table : DataFrame
        The table behind ``summary``: variable, level, one column per group, total, p_value, test.
    stats : DataFrame
        The numbers behind each cell: variable, level, group, n, denominator, percent, median, q1,
        q3, missing.
    n : Series
        Patients per group (and ``total``).
    group : str
        The grouping column.
    groups : tuple
        The group labels, in column order.
    labels : mapping
        Display names of the variables, used by the renderers.
    n_missing_group : int
        Rows left out for a missing group.
    group_label : str
        Name of the grouping printed before each group's label in the headers ("HT score" gives
        "HT score low (N = 138)"); empty: the group's label alone.
    value_labels : mapping
        Display names of levels, per variable (and for the group column's levels in the headers):
        ``{"sex": {"F": "Female", "M": "Male"}}``.
    missing_label : str
        The label of the rows counting missing values.
    """

    table: pd.DataFrame
    stats: pd.DataFrame
    n: pd.Series
    group: str
    groups: tuple
    labels: Mapping[str, str] = field(default_factory=dict)
    n_missing_group: int = 0
    group_label: str = ""
    value_labels: Mapping[str, Mapping] = field(default_factory=dict)
    missing_label: str = "Unknown"

    def _columns(self) -> list[str]:
        return [str(g) for g in self.groups] + (["total"] if "total" in self.summary.columns else [])

    def _level_text(self, var: str, level) -> str:
        """A level as printed: its value label, else the level itself."""
        if _is_missing_level(level):
            return self.missing_label
        labels = self.value_labels.get(var, {})
        return str(labels[level]) if level in labels else str(level)

    def _rows(self, p_format: Callable[[float], str]) -> list[tuple[str, list[str], str, bool]]:
        """(label, cells, p, indented) rows as displayed: a variable showing one row (continuous, or
        one level) takes the variable's line; several levels go under a header line."""
        out = []
        cols = self._columns()
        for var, block in self.summary.groupby("variable", sort=False):
            label = self.labels.get(var, var)
            p = p_format(block["p_value"].iloc[0])
            is_missing = block["level"].map(_is_missing_level).to_numpy()
            main, rest = block[~is_missing], block[is_missing]
            if len(main) == 1:
                row = main.iloc[0]
                level = row["level"]
                if level is None or _is_true(level):  # continuous, or the "1" row of a 0/1 variable
                    name = label
                else:
                    name = f"{label} ({self._level_text(var, level)})"
                out.append((name, [row[c] for c in cols], p, False))
            else:
                out.append((label, [""] * len(cols), p, False))
                rest = pd.concat([main, rest])
            for _, row in rest.iterrows():
                out.append((self._level_text(var, row["level"]), [row[c] for c in cols], "", True))
        return out

    def _header(self) -> list[str]:
        def head(g) -> str:
            name = self._level_text(self.group, g)
            return f"{self.group_label} {name}" if self.group_label else name

        heads = [f"{head(g)} (N = {self.n[str(g)]})" for g in self.groups]
        if "total" in self.summary.columns:
            heads.append(f"Total (N = {self.n['total']})")
        return ["Characteristic", *heads, "p"]

    def _notes(self) -> tuple[str, ...]:
        """The cells' statistics, the tests behind the p-values, and what the rows count."""
        st = self.stats[~self.stats["level"].map(_is_missing_level)]
        # an empty population has no cells at all, hence no median or denominator column
        medians = "median" in st.columns and bool(st["median"].notna().any())
        counts = "denominator" in st.columns and bool(st["denominator"].notna().any())
        kinds = ["Median (IQR)"] * medians + ["n (%)"] * counts
        notes = ["; ".join(kinds) + "."] if kinds else []
        tests = self._tests_note()
        if tests:
            notes.append(tests)
        detail = ["IQR = interquartile range, first to third quartile"] * medians
        if counts:
            detail.append("percentages are of the patients with a known value")
        if self.summary["level"].map(_is_missing_level).any():
            detail.append(f"{self.missing_label}: patients without the value")
        if detail:
            text = "; ".join(detail)
            notes.append(text[0].upper() + text[1:] + ".")
        if self.n_missing_group:
            notes.append(f"{self.n_missing_group} rows with a missing {self.group} left out.")
        return tuple(notes)

    def _tests_note(self) -> str:
        """ "p-values: Kruskal-Wallis rank sum test; Fisher's exact test." -- a test's variables
        named only when another test is used for variables of the same kind."""
        first = self.table.drop_duplicates("variable")
        first = first[first["test"].astype(bool)]
        if first.empty:
            return ""
        kind = first["level"].map(lambda lv: "continuous" if lv is None else "categorical")
        by_test = dict.fromkeys(first["test"])
        parts = []
        for test in by_test:
            mine = first["test"] == test
            shared = (first.loc[kind.isin(set(kind[mine])), "test"] != test).any()
            if shared:
                names = "; ".join(self.labels.get(v, v) for v in first.loc[mine, "variable"])
                parts.append(f"{test} ({names})")
            else:
                parts.append(test)
        return "p-values: " + "; ".join(parts) + "."

    def _display(self, p_format: Callable[[float], str] | None = None) -> Display:
        rows = self._rows(p_format or format_p)
        return Display(
            stub_head="Characteristic",
            stub=tuple(name for name, _, _, _ in rows),
            indent=tuple(int(indented) for _, _, _, indented in rows),
            columns=tuple(self._header()[1:]),
            cells=tuple((*map(str, cells), p) for _, cells, p, _ in rows),
            notes=self._notes(),
        )

    _title = "Table 1"

    @property
    def footnotes(self) -> tuple[str, ...]:
        """The footnotes printed under the table: statistics, tests, what the rows count."""
        return self._notes()

    def _tidy(self) -> pd.DataFrame:
        """One row per variable: its test's p-value."""
        s = self.table.drop_duplicates("variable")
        return pd.DataFrame(
            {"term": s["variable"].astype(str).to_numpy(), "p_value": s["p_value"].to_numpy()}
        )

    def _glance(self) -> dict:
        return {"n": int(self.n.get("total", self.n.sum())), "group": self.group, "groups": len(self.groups)}

    def to_markdown(self, p_format: Callable[[float], str] | None = None) -> str:
        """A GitHub-flavoured markdown table (level rows prefixed with "- ", p via ``format_p``, the
        footnotes below)."""
        return render_markdown(self._display(p_format))

    def to_html(self, p_format: Callable[[float], str] | None = None, table_class: str = "table-one") -> str:
        """An HTML table rendered by great-tables (level rows indented, the footnotes under it), in a
        ``<div class="table_class">``."""
        return f'<div class="{html.escape(table_class)}">\n{render_html(self._display(p_format))}</div>\n'


def _is_missing_level(level) -> bool:
    return isinstance(level, str) and level == "missing"


def _is_true(level) -> bool:
    return level is True or (isinstance(level, int | float | np.integer | np.floating) and level == 1)


def _is_binary_numeric(s: pd.Series) -> bool:
    values = pd.unique(s.dropna())
    return pd.api.types.is_numeric_dtype(s) and len(values) > 0 and set(values.tolist()) <= {0, 1}


def _kind(s: pd.Series, name: str, categorical: set, continuous: set) -> str:
    if name in categorical:
        return "categorical"
    if name in continuous:
        return "continuous"
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s) or _is_binary_numeric(s):
        return "categorical"
    return "continuous"


def _levels_of(s: pd.Series) -> list:
    if isinstance(s.dtype, pd.CategoricalDtype):
        return list(s.cat.categories)
    values = pd.unique(s.dropna())
    try:
        return sorted(values.tolist())
    except TypeError:
        return sorted(values.tolist(), key=str)


def _quartiles(x: np.ndarray) -> tuple[float, float, float]:
    if x.size == 0:
        return math.nan, math.nan, math.nan
    q = np.percentile(x, [25, 50, 75], method="linear")  # R's quantile(type = 7)
    return float(q[0]), float(q[1]), float(q[2])


def _digits_for(x: np.ndarray, name: str, digits) -> int:
    if isinstance(digits, Mapping):
        digits = digits.get(name)
    if digits is None:
        return 0 if np.all(np.mod(x[np.isfinite(x)], 1) == 0) else 1
    if not isinstance(digits, int) or digits < 0:
        raise InputError(f"table_one(): digits must be a non-negative integer, got {digits!r}.")
    return digits


class _Builder:
    """Accumulates the tidy rows and the numbers of one table."""

    def __init__(self, data: pd.DataFrame, group: str, groups: list, total: bool, missing: str, run_test):
        self.data, self.group, self.groups, self.total = data, group, groups, total
        self.missing, self.run_test = missing, run_test
        self.codes = pd.Categorical(data[group], categories=groups).codes
        self.rows: list[dict] = []
        self.stats: list[dict] = []
        self.columns = [str(g) for g in groups] + (["total"] if total else [])

    def _masks(self):
        for k, g in enumerate(self.groups):
            yield str(g), self.codes == k
        if self.total:
            yield "total", np.ones(len(self.codes), dtype=bool)

    def _missing_row(self, var: str, isna: np.ndarray, p: float, test: str) -> None:
        if self.missing == "never" or (self.missing == "auto" and not isna.any()):
            return
        row = {"variable": var, "level": "missing"}
        for col, mask in self._masks():
            k = int(isna[mask].sum())
            row[col] = str(k)
            self.stats.append({"variable": var, "level": "missing", "group": col, "n": k, "missing": k})
        self.rows.append({**row, "p_value": p, "test": test})

    def continuous(self, var: str, test: str, digits) -> None:
        x = numeric(self.data, var, "table_one").to_numpy()
        isna = np.isnan(x)
        if np.any(np.isinf(x)):
            raise InputError(
                f"table_one(): column {var!r} has infinite values at "
                f"{describe_rows(self.data, np.isinf(x))}; give finite numbers."
            )
        d = _digits_for(x, var, digits)
        p, method = math.nan, ""
        if test != "none":
            frame = pd.DataFrame({"v": x, "g": self.codes}).loc[~isna & (self.codes >= 0)]
            p, method = self.run_test("continuous", test, frame, "v", "g", None)
        row = {"variable": var, "level": None}
        for col, mask in self._masks():
            v = x[mask & ~isna]
            q1, med, q3 = _quartiles(v)
            row[col] = format_median_iqr(q1, med, q3, d)
            self.stats.append(
                {
                    "variable": var,
                    "level": None,
                    "group": col,
                    "n": int(v.size),
                    "median": med,
                    "q1": q1,
                    "q3": q3,
                    "missing": int((mask & isna).sum()),
                }
            )
        self.rows.append({**row, "p_value": p, "test": method})
        self._missing_row(var, isna, p, method)

    def categorical(self, var: str, test: str, show: Sequence | None) -> None:
        s = self.data[var]
        isna = s.isna().to_numpy()
        lv = _levels_of(s)
        if show is None and _binary_coded(s):
            # a 0/1 (or boolean) variable prints its "1" row, even when nobody (or everybody) has it
            lv = [False, True] if _is_boolean(s) else [0, 1]
        shown = list(show) if show is not None else ([lv[-1]] if _binary_levels(s, lv) else lv)
        unknown = [x for x in shown if x not in lv]
        if unknown:
            raise InputError(f"table_one(): levels {unknown} of {var!r} do not occur (levels: {lv}).")
        codes = pd.Categorical(s, categories=lv).codes
        ok = (codes >= 0) & (self.codes >= 0)
        table = np.zeros((len(lv), len(self.groups)), dtype=np.int64)
        np.add.at(table, (codes[ok], self.codes[ok]), 1)
        p, method = (
            (math.nan, "") if test == "none" else self.run_test("categorical", test, None, "", "", table)
        )
        for level in shown:
            j = lv.index(level)
            row = {"variable": var, "level": level}
            for col, mask in self._masks():
                k = int(((codes == j) & mask).sum())
                denom = int(((codes >= 0) & mask).sum())
                row[col] = format_count_bounded(k, denom)
                self.stats.append(
                    {
                        "variable": var,
                        "level": level,
                        "group": col,
                        "n": k,
                        "denominator": denom,
                        "percent": 100 * k / denom if denom else math.nan,
                        "missing": int((isna & mask).sum()),
                    }
                )
            self.rows.append({**row, "p_value": p, "test": method})
        self._missing_row(var, isna, p, method)


def _is_boolean(s: pd.Series) -> bool:
    """Boolean dtype, or an object column of True/False with missing values."""
    if pd.api.types.is_bool_dtype(s):
        return True
    values = pd.unique(s.dropna())
    return s.dtype == object and len(values) > 0 and all(isinstance(v, bool | np.bool_) for v in values)


def _binary_coded(s: pd.Series) -> bool:
    return _is_boolean(s) or _is_binary_numeric(s)


def format_count_bounded(k: int, denominator: int) -> str:
    """:func:`cartsie.format.format_count`, except that a percentage rounding to 0 that is not 0
    prints "<1%", and one rounding to 100 that is not 100 prints ">99%" (1 of 251: "1 (<1%)", 2 of
    251: "2 (1%)", 250 of 251: "250 (>99%)"), as journals print them."""
    text = format_count(k, denominator)
    if denominator == 0:
        return text
    whole = f"{100 * k / denominator:.0f}"  # the rounding format_count applies
    if whole == "0" and k > 0:
        return f"{k} (<1%)"
    if whole == "100" and k < denominator:
        return f"{k} (>99%)"
    return text


def _binary_levels(s: pd.Series, lv: list) -> bool:
    return len(lv) == 2 and _binary_coded(s)


def _resolve_tests(tests, variables, kinds) -> dict[str, str]:
    out = {v: DEFAULT_TEST[kinds[v]] for v in variables}
    if tests is None:
        return out
    if isinstance(tests, str):
        for v in variables:
            if tests == "none" or tests in TESTS[kinds[v]]:
                out[v] = tests
        if all(tests not in allowed for allowed in TESTS.values()):
            raise InputError(f"table_one(): unknown test {tests!r}; use fisher, chisq, kruskal or none.")
        return out
    for v, name in tests.items():
        if v not in kinds:
            raise InputError(f"table_one(): tests given for {v!r}, which is not among the variables.")
        if name not in TESTS[kinds[v]]:
            raise InputError(
                f"table_one(): test {name!r} does not apply to the {kinds[v]} variable {v!r}; "
                f"use one of {', '.join(TESTS[kinds[v]])}."
            )
        out[v] = name
    return out


def _groups(data: pd.DataFrame, group: str, group_order) -> list:
    present = _levels_of(data[group])
    if isinstance(data[group].dtype, pd.CategoricalDtype):
        present = [g for g in present if (data[group] == g).any()]
    if group_order is None:
        groups = present
    else:
        groups = list(group_order)
        extra = [g for g in present if g not in groups]
        if extra:
            raise InputError(f"table_one(): group_order leaves out group(s) {extra} of {group!r}.")
    if len(groups) < 1:
        raise InputError(f"table_one(): column {group!r} has no non-missing values.")
    clash = [g for g in groups if str(g) in RESERVED]
    if clash:
        raise InputError(
            f"table_one(): group level(s) {clash} clash with the column names {RESERVED}; rename them."
        )
    return groups


def build_table_one(
    df,
    group,
    variables,
    *,
    categorical,
    continuous,
    tests,
    levels,
    labels,
    group_order,
    total,
    missing,
    digits,
    run_test,
    group_label="",
    value_labels=None,
    missing_label="Unknown",
) -> TableOne:
    func = "table_one"
    if isinstance(variables, str):
        variables = [variables]
    variables = list(variables)
    require_columns(df, [group, *variables], func)
    if group in variables:
        raise InputError(f"{func}(): the group column {group!r} cannot also be a variable.")
    if missing not in ("auto", "always", "never"):
        raise InputError(f"{func}(): missing must be 'auto', 'always' or 'never'; got {missing!r}.")
    unknown = (set(categorical) | set(continuous) | set(levels or {})) - set(variables)
    if unknown:
        raise InputError(
            f"{func}(): {sorted(unknown)} named in categorical/continuous/levels are not variables."
        )
    value_labels = _check_value_labels(value_labels, [group, *variables], func)
    for name, text in (("group_label", group_label), ("missing_label", missing_label)):
        if not isinstance(text, str):
            raise InputError(f"{func}(): {name} must be a string, got {text!r}.")
    keep = df[group].notna()
    data = df.loc[keep]
    groups = _groups(data, group, group_order)
    kinds = {v: _kind(data[v], v, set(categorical), set(continuous)) for v in variables}
    chosen = _resolve_tests(tests, variables, kinds)
    b = _Builder(data, group, groups, total, missing, run_test)
    for v in variables:
        if kinds[v] == "continuous":
            b.continuous(v, chosen[v], digits)
        else:
            b.categorical(v, chosen[v], (levels or {}).get(v))
    summary = pd.DataFrame(b.rows, columns=["variable", "level", *b.columns, "p_value", "test"])
    summary["level"] = summary["level"].astype(object).where(summary["level"].notna(), None)
    n = pd.Series({col: int(mask.sum()) for col, mask in b._masks()}, name="n")
    stats_cols = [
        "variable",
        "level",
        "group",
        "n",
        "denominator",
        "percent",
        "median",
        "q1",
        "q3",
        "missing",
    ]
    return TableOne(
        table=summary,
        stats=pd.DataFrame(b.stats, columns=stats_cols),
        n=n,
        group=group,
        groups=tuple(groups),
        labels=dict(labels or {}),
        n_missing_group=int((~keep).sum()),
        group_label=group_label,
        value_labels=value_labels,
        missing_label=missing_label,
    )


def _check_value_labels(value_labels, columns: list[str], func: str) -> dict[str, dict]:
    """``{column: {level: label}}`` for the group and the variables; other keys are refused (a
    level without a label prints as itself; labels of levels that do not occur are not used)."""
    if value_labels is None:
        return {}
    nested = isinstance(value_labels, Mapping) and all(isinstance(v, Mapping) for v in value_labels.values())
    if not nested:
        raise InputError(
            f"{func}(): value_labels must map a column to {{level: label}}, e.g. "
            '{"sex": {"F": "Female", "M": "Male"}}.'
        )
    unknown = [k for k in value_labels if k not in columns]
    if unknown:
        raise InputError(
            f"{func}(): value_labels names {unknown}, which are neither the group nor a variable."
        )
    return {k: dict(v) for k, v in value_labels.items()}
