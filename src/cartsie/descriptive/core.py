"""Table 1 statistics: Fisher's exact test, Kruskal-Wallis, chi-squared and the Table 1 builder.

Each test equals R's (``fisher.test``, ``kruskal.test``, ``chisq.test``); :func:`table_one` lays out
the paper's Table 1 (median (IQR) / n (%), missing counted apart, p-values, a total column) and
:func:`cartsie.format.format_p` prints p-values the way the paper does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartsie._checks import complete_cases, describe_rows, numeric, require_columns
from cartsie._dist import chi2_sf
from cartsie._results import Result, TestResult
from cartsie.descriptive import _fisher
from cartsie.descriptive._table_one import TableOne, build_table_one
from cartsie.errors import InputError

__all__ = [
    "FisherResult",
    "GroupTest",
    "TableOne",
    "chisq_test",
    "fisher_exact",
    "kruskal_wallis",
    "table_one",
]


@dataclass(frozen=True, repr=False)
class FisherResult(Result):
    """Fisher's exact test of independence in a contingency table; see :func:`fisher_exact`.

    ``odds_ratio``, ``ci_lower``, ``ci_upper`` (2 x 2 tables only, else NaN) are the conditional
    maximum-likelihood odds ratio and its exact CI, as R prints them; ``alternative`` is the
    alternative hypothesis tested (one-sided ones for 2 x 2 tables). ``simulated`` tells whether the
    p-value is a Monte Carlo one, then from ``n_draws`` random tables drawn with ``seed``.

    Parameters
    ----------
    p_value : float
        The p-value of ``alternative`` (exact, or Monte Carlo when ``simulated``).
    method : str
        Description of the test, as R's ``method``.
    n : int
        Total count of the table.
    table : ndarray of int
        The contingency table tested.
    odds_ratio : float
        Conditional maximum-likelihood odds ratio (2 x 2 tables; NaN otherwise or without a CI).
    ci_lower, ci_upper : float
        Its exact confidence limits (2 x 2 tables; NaN otherwise).
    conf_level : float
        Level of that CI.
    simulated : bool
        Whether the p-value is a Monte Carlo one.
    n_draws : int or None
        Random tables drawn (R's ``B``), when simulated.
    seed : int or None
        Seed of those draws, when simulated.
    alternative : str
        The alternative hypothesis: "two-sided", or "less"/"greater" (2 x 2 tables), as fisher.test.
    """

    p_value: float
    method: str
    n: int
    table: np.ndarray = field(repr=False)
    odds_ratio: float = math.nan
    ci_lower: float = math.nan
    ci_upper: float = math.nan
    conf_level: float = 0.95
    simulated: bool = False
    n_draws: int | None = None
    seed: int | None = None
    #: "two-sided", "less" or "greater" (one-sided for 2 x 2 tables only)
    alternative: str = "two-sided"

    @property
    def statistic(self) -> float:
        """No test statistic (NaN), as R's ``fisher.test``; kept so that every test has one."""
        return math.nan

    @property
    def df(self) -> float:
        """No degrees of freedom (NaN)."""
        return math.nan

    @property
    def summary(self) -> pd.DataFrame:
        """One row: p_value, odds_ratio, ci_lower, ci_upper, method, n, n_draws."""
        return pd.DataFrame(
            {
                "p_value": [self.p_value],
                "odds_ratio": [self.odds_ratio],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
                "method": [self.method],
                "n": [self.n],
                "n_draws": [self.n_draws],
            }
        )

    _title = "Fisher's exact test"

    def _tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": ["odds ratio"],
                "estimate": [self.odds_ratio],
                "p_value": [self.p_value],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
            }
        )

    def _glance(self) -> dict:
        return {"n": self.n, "p_value": self.p_value, "method": self.method}


@dataclass(frozen=True, repr=False)
class GroupTest(TestResult):
    """A test comparing groups (statistic, df, p_value, method, n) plus the rows dropped for
    missing values (``n_missing``, as R's ``na.action``).

    Parameters
    ----------
    statistic : float
        The test statistic (Kruskal-Wallis: H, tie-corrected).
    df : float
        Its degrees of freedom (groups - 1).
    p_value : float
        Upper tail of the chi-squared distribution.
    method : str
        Name of the test, as R's ``method``.
    n : int or None
        Rows used.
    n_missing : int
        Rows left out for a missing value or group.
    """

    n_missing: int = 0


def _as_table(table, func: str) -> np.ndarray:
    """Validated non-negative integer 2-D array from an array-like or DataFrame."""
    values = table.to_numpy() if isinstance(table, pd.DataFrame) else table
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"{func}(): the table must hold counts (numbers); got {type(table).__name__}."
        ) from None
    if arr.ndim != 2 or min(arr.shape) < 2:
        raise InputError(
            f"{func}(): give a two-dimensional table with at least 2 rows and 2 columns "
            f"(got shape {arr.shape}); build one with pd.crosstab(df[a], df[b])."
        )
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise InputError(
            f"{func}(): table entries must be non-negative whole counts without missing values; "
            f"got {arr.tolist()}."
        )
    return arr.astype(np.int64)


def _drop_empty(t: np.ndarray) -> np.ndarray:
    t = t[t.sum(axis=1) > 0]
    return t[:, t.sum(axis=0) > 0]


def _conf_level(conf_level: float, func: str) -> float:
    if not isinstance(conf_level, int | float) or not 0 < conf_level < 1:
        raise InputError(f"{func}(): conf_level must be a number between 0 and 1, got {conf_level!r}.")
    return float(conf_level)


ALTERNATIVES = ("two-sided", "less", "greater")


def _alternative(alternative: str, func: str) -> str:
    """ "two-sided", "less" or "greater"; R's spelling "two.sided" is accepted too."""
    alt = "two-sided" if alternative == "two.sided" else alternative
    if alt not in ALTERNATIVES:
        raise InputError(
            f"{func}(): alternative must be 'two-sided', 'less' or 'greater' (R's fisher.test "
            f"alternatives); got {alternative!r}."
        )
    return alt


def _fisher_2x2(t: np.ndarray, conf_level: float, conf_int: bool, alternative: str = "two-sided") -> dict:
    if min(_drop_empty(t).shape) < 2:  # a zero margin: only one table is possible
        return {"p_value": 1.0}
    out = {"p_value": _fisher.two_by_two_p(t, alternative)}
    if conf_int:
        est, lower, upper = _fisher.conditional_odds_ratio(t, conf_level, alternative)
        out.update(odds_ratio=est, ci_lower=lower, ci_upper=upper)
    return out


def fisher_exact(
    table,
    alternative: str = "two-sided",
    *,
    conf_level: float = 0.95,
    conf_int: bool = True,
    simulate: bool | str = "auto",
    n_draws: int = 2000,
    seed: int = 20240501,
    max_states: int = 2_000_000,
) -> FisherResult:
    """Test independence in an r x c contingency table with Fisher's exact test (two-sided, or
    one-sided for a 2 x 2 table).

    Parameters
    ----------
    table : array-like or DataFrame
        Counts, at least 2 x 2 (e.g. ``pd.crosstab(df[variable], df[group])``).
    alternative : {"two-sided", "less", "greater"}
        The alternative hypothesis, as ``fisher.test(alternative = ...)`` (R's ``"two.sided"`` is
        accepted too). For a 2 x 2 table, ``"less"``: the odds ratio of ``table[0][0]`` is below 1,
        p = P(X <= x); ``"greater"``: above 1, p = P(X >= x), with X the hypergeometric count of
        the top-left cell given the margins; the CI of the odds ratio is then one-sided,
        ``[0, upper]`` or ``[lower, Inf]`` at level ``conf_level``. Larger tables have only the
        two-sided test: a one-sided alternative raises :class:`InputError` (R's ``fisher.test``
        ignores ``alternative`` there without saying so).
    conf_level : float
        Level of the CI of the odds ratio (2 x 2 tables).
    conf_int : bool
        Compute the odds ratio and its CI (2 x 2 tables; R's ``conf.int``); ``False`` saves time.
    simulate : {"auto", False, True}
        Larger than 2 x 2 only. ``"auto"``: exact enumeration when at most ``max_states`` partial
        tables are needed, Monte Carlo otherwise; ``False``: exact or :class:`InputError`;
        ``True``: always Monte Carlo.
    n_draws, seed : int
        Number of random tables and the seed of the Monte Carlo p-value (R's ``B``, default 2000).
    max_states : int
        Cap on the partial tables of the exact enumeration (memory ~ 40 bytes each).

    Returns
    -------
    FisherResult
        ``.p_value``, ``.method``, ``.n``; for 2 x 2 tables ``.odds_ratio`` (conditional MLE) with
        ``.ci_lower`` / ``.ci_upper``; ``.simulated``, ``.n_draws``, ``.seed``, ``.alternative``.

    Notes
    -----
    R: ``fisher.test(table, alternative = alternative)``. The two-sided p-value sums the
    hypergeometric probabilities of all tables with the observed margins that are no more probable
    than the observed one, "no more probable" with R's tolerance: relative 1e-7 for a 2 x 2 table
    (``relErr``), 3.45254e-7 on the log probability for larger ones (FEXACT's ``tol``). 2 x 2
    tables: the p-value from scipy's ``fisher_exact`` (R's); the conditional MLE odds ratio and its
    exact CI solve R's equations (``E(X) = x``, ``P(X >= x) = alpha / 2``, ``P(X <= x) = alpha /
    2`` under the non-central hypergeometric; ``alpha`` on one side when one-sided) on the log
    scale to 1e-13 (our own code: R's ``uniroot`` stops at ~1e-4; scipy's
    ``odds_ratio(kind="conditional")`` gives the same values but takes seconds for n = 100,000). A
    table with an empty row or column has p = 1 and no odds ratio (NaN; R prints 0 and [0, Inf]).

    Larger tables: our own enumeration (module ``cartsie.descriptive._fisher``; scipy's r x c Fisher is not
    R's), exact to rounding. The Monte Carlo p-value is R's ``simulate.p.value = TRUE``:
    ``(1 + #{random tables no more probable}) / (B + 1)``; it is not the same number as R's (other
    random numbers) but is reproducible from ``seed``.

    Examples
    --------
    >>> from cartsie.descriptive import fisher_exact
    >>> round(fisher_exact([[3, 1], [1, 3]]).p_value, 6)
    0.485714
    >>> round(fisher_exact([[3, 1], [1, 3]], alternative="greater").p_value, 6)
    0.242857
    >>> round(fisher_exact([[308, 71], [95, 15], [62, 9]]).p_value, 6)   # r x 2, as R
    0.293636
    """
    func = "fisher_exact"
    alternative = _alternative(alternative, func)
    t = _as_table(table, func)
    conf_level = _conf_level(conf_level, func)
    n = int(t.sum())
    if t.shape == (2, 2):
        return FisherResult(
            method="Fisher's exact test" + ("" if alternative == "two-sided" else f" ({alternative})"),
            n=n,
            table=t,
            conf_level=conf_level,
            alternative=alternative,
            **_fisher_2x2(t, conf_level, conf_int, alternative),
        )
    if alternative != "two-sided":
        raise InputError(
            f"{func}(): alternative={alternative!r} is for 2 x 2 tables; this table is "
            f"{t.shape[0]} x {t.shape[1]}, for which only the two-sided test exists (R's fisher.test "
            "ignores `alternative` there). Use alternative='two-sided' or collapse the table to 2 x 2."
        )
    if simulate not in ("auto", True, False):
        raise InputError(f"{func}(): simulate must be 'auto', True or False; got {simulate!r}.")
    if not isinstance(n_draws, int) or n_draws < 1:
        raise InputError(f"{func}(): n_draws must be a positive integer, got {n_draws!r}.")
    reduced = _drop_empty(t)
    if min(reduced.shape) < 2:
        return FisherResult(p_value=1.0, method="Fisher's exact test", n=n, table=t, conf_level=conf_level)
    if simulate is not True:
        try:
            p = _fisher.exact_p(reduced, _fisher.LOG_TOL_RXC, max_states)
            return FisherResult(p_value=p, method="Fisher's exact test", n=n, table=t, conf_level=conf_level)
        except _fisher.TooManyTables:
            if simulate is False:
                raise InputError(
                    f"{func}(): the exact enumeration of this {t.shape[0]} x {t.shape[1]} table "
                    f"(n = {n}) needs more than max_states = {max_states} partial tables; raise "
                    "max_states or use simulate=True (Monte Carlo)."
                ) from None
    p = _fisher.simulated_p(reduced, n_draws, seed)
    return FisherResult(
        p_value=p,
        method=f"Fisher's exact test, Monte Carlo p-value ({n_draws} random tables, seed {seed})",
        n=n,
        table=t,
        conf_level=conf_level,
        simulated=True,
        n_draws=n_draws,
        seed=seed,
    )


def chisq_test(table, correct: bool = True) -> TestResult:
    """Test independence with Pearson's chi-squared test, as R's ``chisq.test(table, correct = TRUE)``.

    Parameters
    ----------
    table : array-like or DataFrame
        Counts, at least 2 x 2 (e.g. ``pd.crosstab(df[variable], df[group])``).
    correct : bool, default True
        Apply Yates' continuity correction to 2 x 2 tables (R's ``correct``).

    Returns
    -------
    TestResult
        ``.statistic`` (X-squared), ``.df``, ``.p_value``, ``.method`` and ``.n`` (the total count);
        all NaN when fewer than two rows or columns have a nonzero total.

    Notes
    -----
    Expected counts from the margins; statistic ``sum (|O - E| - y)^2 / E`` with Yates' continuity
    correction ``y = min(0.5, |O - E|)`` for 2 x 2 tables when ``correct`` (R's default), ``y = 0``
    otherwise; df = (r - 1)(c - 1); the p-value from the chi-squared distribution (scipy's
    ``chi2_contingency``, which is R's test). Rows or columns with a zero total are left out first
    (R returns NaN for them). Small expected counts are not warned about.
    """
    func = "chisq_test"
    t = _drop_empty(_as_table(table, func))
    if min(t.shape) < 2:
        return TestResult(math.nan, math.nan, math.nan, "Pearson's chi-squared test", int(t.sum()))
    # written out (scipy.stats.chi2_contingency's arithmetic: importing scipy.stats costs ~0.5 s)
    observed = t.astype(float)
    n = observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / n
    dof = float((t.shape[0] - 1) * (t.shape[1] - 1))
    method = "Pearson's chi-squared test"
    if correct and t.shape == (2, 2):
        diff = expected - observed
        observed = observed + np.sign(diff) * np.minimum(0.5, np.abs(diff))
        method += " with Yates' continuity correction"
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    return TestResult(statistic, dof, float(chi2_sf(statistic, dof)), method, int(t.sum()))


def kruskal_wallis(df: pd.DataFrame, value: str, group: str) -> GroupTest:
    """Compare ``value`` across the levels of ``group`` with the Kruskal-Wallis rank sum test.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    value : str
        Numeric column.
    group : str
        Grouping column (any type); at least two groups with data.

    Returns
    -------
    GroupTest
        ``.statistic`` (H, tie-corrected), ``.df`` (groups - 1), ``.p_value``, ``.n`` and
        ``.n_missing`` (rows without value or group, left out).

    Notes
    -----
    R: ``kruskal.test(value ~ group, data = df)``. H = [12 / (N (N + 1)) sum R_g^2 / n_g - 3 (N + 1)]
    / [1 - sum (t^3 - t) / (N^3 - N)] with mid-ranks for ties (t: sizes of the tie groups);
    p from chi-squared with k - 1 df (scipy's ``kruskal``, which is R's). All values equal: H and p
    are NaN, as R.

    Examples
    --------
    >>> import pandas as pd
    >>> from cartsie.descriptive import kruskal_wallis
    >>> d = pd.DataFrame({"x": [2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 6.1], "g": list("aaabbcc")})
    >>> round(kruskal_wallis(d, "x", "g").statistic, 6)
    3.178571
    """
    func = "kruskal_wallis"
    require_columns(df, [value, group], func)
    data, n_missing = complete_cases(df, [value, group], func)
    x = numeric(data, value, func).to_numpy()
    bad = ~np.isfinite(x)
    if bad.any():
        raise InputError(
            f"{func}(): column {value!r} has infinite values at {describe_rows(data, bad)}; "
            "give finite numbers."
        )
    codes, levels = pd.factorize(data[group], sort=True)
    if len(levels) < 2:
        raise InputError(
            f"{func}(): column {group!r} has {len(levels)} group(s) with data; the test needs at least 2."
        )
    method = "Kruskal-Wallis rank sum test"
    dof = float(len(levels) - 1)
    if np.all(x == x[0]):
        return GroupTest(math.nan, dof, math.nan, method, len(x), n_missing)
    # H from mid-ranks with the tie correction, as scipy.stats.kruskal and R compute it (written out:
    # importing scipy.stats costs ~0.5 s at the first Table 1)
    ranks = pd.Series(x).rank(method="average").to_numpy()
    n = len(x)
    sizes = np.bincount(codes, minlength=len(levels)).astype(float)
    sums = np.bincount(codes, weights=ranks, minlength=len(levels))
    h = 12.0 / (n * (n + 1.0)) * float(np.sum(sums[sizes > 0] ** 2 / sizes[sizes > 0])) - 3.0 * (n + 1.0)
    _, ties = np.unique(x, return_counts=True)
    h /= 1.0 - float(np.sum(ties.astype(float) ** 3 - ties)) / (n**3 - n)
    return GroupTest(h, dof, float(chi2_sf(h, dof)), method, len(x), n_missing)


def table_one(
    df: pd.DataFrame,
    group: str,
    variables: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    continuous: Sequence[str] = (),
    tests: str | Mapping[str, str] | None = None,
    levels: Mapping[str, Sequence] | None = None,
    labels: Mapping[str, str] | None = None,
    group_order: Sequence | None = None,
    total: bool = True,
    missing: str = "auto",
    digits: int | Mapping[str, int] | None = None,
    fisher_options: Mapping | None = None,
    group_label: str = "",
    value_labels: Mapping[str, Mapping] | None = None,
    missing_label: str = "Unknown",
) -> TableOne:
    """Build the paper's Table 1: each variable summarised by group, with a total column and p-values.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    group : str
        Column defining the groups (rows with a missing group are left out, counted in
        ``.n_missing_group``).
    variables : list of str
        Columns to describe, in order.
    categorical, continuous : list of str
        Override the automatic choice: text, Categorical and boolean columns and numeric columns
        holding only 0/1 are categorical, other numeric columns continuous.
    tests : str or dict, optional
        Test per variable: ``"fisher"`` (default for categorical), ``"chisq"`` (Pearson, R's
        ``chisq.test``), ``"kruskal"`` (default for continuous) or ``"none"``; a string applies to
        every variable of the matching kind.
    levels : dict, optional
        Levels to show per categorical variable (all levels count in the denominators and the
        test). Default: all levels, except 0/1 and boolean variables, which show their 1/True row
        only, on the variable's line -- also when nobody (or everybody) has the 1.
    labels : dict, optional
        Display names of the variables (``{"age": "Age, years"}``).
    group_order : list, optional
        Order of the group columns (default: Categorical order, else sorted).
    total : bool
        Add the total column.
    missing : {"auto", "always", "never"}
        A row counting the missing values of each variable that has some (``auto``), of every
        variable, or none. Percentages are always over the non-missing values, as the paper's LDH
        row.
    digits : int or dict, optional
        Decimals of medians and quartiles; default 0 for whole-number columns, else 1.
    fisher_options : dict, optional
        Passed to :func:`fisher_exact` (``simulate``, ``n_draws``, ``seed``, ``max_states``).
    group_label : str
        Names the grouping in the headers: ``"HT score"`` gives ``"HT score low (N = 138)"``,
        ``"HT score high (N = 251)"`` (and ``"Total (N = 389)"``); default the group's level alone,
        ``"low (N = 138)"``.
    value_labels : dict, optional
        Display names of levels, per column: ``{"sex": {"F": "Female", "M": "Male"}}``; the group
        column's entry relabels the headers. Levels without a label print as they are;
        ``.summary`` and ``.stats`` keep the levels themselves.
    missing_label : str
        The label of the rows counting missing values (gtsummary's ``missing_text``, "Unknown").

    Returns
    -------
    TableOne
        ``.summary``: tidy DataFrame with columns variable, level, one per group, total, p_value,
        test (cells as printed, ``p_value`` at full precision); ``.stats``: the numbers behind each
        cell (n, denominator, percent, median, q1, q3, missing); ``.n`` group sizes; ``.footnotes``;
        writers ``.to_frame()``, ``.to_markdown()``, ``.to_html()``, ``.to_latex()``,
        ``.to_docx(path)``, ``.to_excel(path)``, each with the same headers, labels and footnotes.

    Notes
    -----
    As R's ``gtsummary::tbl_summary(df, by = group, label = labels, missing_text = "Unknown") |>
    add_p() |> add_overall(last = TRUE)``. Continuous: median (IQR), the IQR printed as its
    quartiles "Q1-Q3", quartiles as R's ``quantile(type = 7)``; Kruskal-Wallis as R's
    ``kruskal.test``. Categorical: n (%), % of the non-missing values of the group (whole percent,
    Python's round-half-even formatting, as R's ``sprintf``; a percentage that rounds to 0 but is
    not 0 prints "<1%", one that rounds to 100 but is not 100 ">99%", as gtsummary's
    ``style_percent``), tested on the levels x groups table of the non-missing values by
    :func:`fisher_exact` (R's ``fisher.test``; a level nobody has is a row of zeros, as R's
    ``table`` of a factor) or :func:`chisq_test`. The test is reported per variable in the ``test``
    column. Footnotes name the statistics ("Median (IQR); n (%)"), the tests ("p-values:
    Kruskal-Wallis rank sum test; Fisher's exact test", a test's variables named when two tests
    share a kind), what the percentages are of, and the rows left out for a missing group; p-values
    are printed with :func:`cartsie.format.format_p`.

    Examples
    --------
    >>> import pandas as pd
    >>> from cartsie.descriptive import table_one
    >>> d = pd.DataFrame({"ht": ["low"] * 4 + ["high"] * 4, "age": [50, 61, 58, 49, 66, 70, 59, 63],
    ...                   "female": [1, 0, 1, 1, 0, 0, 1, 0]})
    >>> t = table_one(d, "ht", ["age", "female"], group_order=["low", "high"])
    >>> t.summary[["variable", "low", "high", "total"]]
      variable         low        high       total
    0      age  54 (50-59)  64 (62-67)  60 (56-64)
    1   female     3 (75%)     1 (25%)     4 (50%)
    >>> d["sex"] = d["female"].map({1: "F", 0: "M"})
    >>> t = table_one(d, "ht", ["age", "sex"], group_order=["low", "high"], group_label="HT score",
    ...               labels={"age": "Age, years", "sex": "Sex"},
    ...               value_labels={"sex": {"F": "Female", "M": "Male"}})
    >>> t.to_frame()
      Characteristic HT score low (N = 4) HT score high (N = 4) Total (N = 8)    p
    0     Age, years           54 (50-59)            64 (62-67)    60 (56-64)  .04
    1            Sex                                                           .49
    2         Female              3 (75%)               1 (25%)       4 (50%)
    3           Male              1 (25%)               3 (75%)       4 (50%)
    >>> t.footnotes[:2]
    ('Median (IQR); n (%).', "p-values: Kruskal-Wallis rank sum test; Fisher's exact test.")
    """
    return build_table_one(
        df,
        group,
        variables,
        categorical=categorical,
        continuous=continuous,
        tests=tests,
        levels=levels,
        labels=labels,
        group_order=group_order,
        total=total,
        missing=missing,
        digits=digits,
        run_test=_run_test(fisher_options),
        group_label=group_label,
        value_labels=value_labels,
        missing_label=missing_label,
    )


def _run_test(fisher_options: Mapping | None):
    options = {"conf_int": False, **(fisher_options or {})}

    def run(kind: str, name: str, data: pd.DataFrame, value: str, group: str, table: np.ndarray):
        if name == "kruskal":
            if data[group].nunique() < 2:
                return math.nan, "Kruskal-Wallis rank sum test"
            res = kruskal_wallis(data, value, group)
            return res.p_value, res.method
        if _drop_empty(table).shape[1] < 2:
            return math.nan, "Fisher's exact test" if name == "fisher" else "Pearson's chi-squared test"
        if name == "fisher":
            fisher = fisher_exact(table, **options)
            return fisher.p_value, fisher.method
        chisq = chisq_test(table)
        return chisq.p_value, chisq.method

    return run
