"""Fisher, Kruskal-Wallis, chi-squared and table_one vs R (tests/reference/descriptive.R)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cartsie.descriptive import _fisher, chisq_test, fisher_exact, kruskal_wallis, table_one
from cartsie.errors import InputError
from cartsie.format import format_p
from tests._readback import html_rows
from tests.reference.tolerances import (
    FISHER_UNIROOT_ATOL,
    MC_SIGMAS,
    assert_estimates,
    assert_p,
    load,
    r_array,
)

REF = load("descriptive")


def _column(values: list) -> pd.Series:
    try:
        return pd.Series(r_array(values))
    except KeyError:
        return pd.Series([None if v == "NA" else v for v in values], dtype=object)


def _frame(data: dict) -> pd.DataFrame:
    return pd.DataFrame({k: _column(v) for k, v in data.items()})


def _key(level) -> str:
    """A level as text, 1.0 and 1 alike."""
    if isinstance(level, float) and level.is_integer():
        level = int(level)
    return str(level)


def _t_scale(v) -> float:
    """fisher.test's uniroot scale: t = OR for OR <= 1, else 1 / OR."""
    v = float(r_array(v)[0])
    return v if v <= 1 else 1 / v


# --------------------------------------------------------------------------------------------
# Fisher's exact test
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", REF["fisher_2x2"], ids=lambda c: c["name"])
def test_fisher_2x2_p_and_conditional_odds_ratio(case):
    res = fisher_exact(case["table"])
    assert_p(res.p_value, case["p"], what="p")
    assert res.n == int(np.sum(case["table"]))
    if case["name"] == "zero_row":  # a zero margin: no odds ratio (R prints 0, [0, Inf])
        assert math.isnan(res.odds_ratio)
        return
    assert_estimates(
        [res.odds_ratio, res.ci_lower, res.ci_upper], [case["estimate"], case["lower"], case["upper"]]
    )
    res90 = fisher_exact(case["table"], conf_level=0.90)
    assert_estimates([res90.ci_lower, res90.ci_upper], [case["lower90"], case["upper90"]])
    # R's printout (uniroot at ~1e-4) on its own scale
    for ours, key in [(res.odds_ratio, "r_estimate"), (res.ci_lower, "r_lower"), (res.ci_upper, "r_upper")]:
        assert abs(_t_scale(ours) - _t_scale(case[key])) <= FISHER_UNIROOT_ATOL, key


def test_fisher_conditional_odds_ratio_equals_scipy():
    """Our root-finding of R's equations gives scipy's odds_ratio(kind="conditional") too."""
    from scipy.stats.contingency import odds_ratio

    for case in REF["fisher_2x2"]:
        if case["name"] == "zero_row":
            continue
        ours = fisher_exact(case["table"])
        ref = odds_ratio(np.array(case["table"]), kind="conditional")
        ci = ref.confidence_interval(0.95)
        np.testing.assert_allclose(
            [ours.odds_ratio, ours.ci_lower, ours.ci_upper], [ref.statistic, ci.low, ci.high], rtol=1e-9
        )


def test_fisher_without_conf_int():
    res = fisher_exact([[10, 2], [3, 15]], conf_int=False)
    assert math.isnan(res.odds_ratio) and math.isnan(res.ci_lower)
    assert res.p_value == fisher_exact([[10, 2], [3, 15]]).p_value
    assert res.summary.loc[0, "p_value"] == res.p_value and math.isnan(res.statistic) and math.isnan(res.df)


@pytest.mark.parametrize("case", REF["fisher_one_sided"], ids=lambda c: c["name"])
@pytest.mark.parametrize("alternative", ["less", "greater"])
def test_fisher_one_sided_as_r(case, alternative):
    ref = case[alternative]
    res = fisher_exact(case["table"], alternative=alternative)
    assert res.alternative == alternative and alternative in res.method
    assert_p(res.p_value, ref["p"], what="p")
    if case["name"] == "zero_row":  # a zero margin: p = 1 and no odds ratio, as two-sided
        assert res.p_value == 1 and math.isnan(res.odds_ratio)
        return
    assert_estimates(
        [res.odds_ratio, res.ci_lower, res.ci_upper], [ref["estimate"], ref["lower"], ref["upper"]]
    )
    res90 = fisher_exact(case["table"], alternative, conf_level=0.90)
    assert_estimates([res90.ci_lower, res90.ci_upper], [ref["lower90"], ref["upper90"]])
    # one side is open, exactly as R: [0, upper] for "less", [lower, Inf] for "greater"
    assert (res.ci_lower == 0) if alternative == "less" else (res.ci_upper == math.inf)
    for ours, key in [(res.ci_lower, "r_lower"), (res.ci_upper, "r_upper"), (res90.ci_upper, "r_upper90")]:
        assert abs(_t_scale(ours) - _t_scale(ref[key])) <= FISHER_UNIROOT_ATOL, key


def test_fisher_one_sided_p_values_are_hypergeometric_tails():
    """less = P(X <= x), greater = P(X >= x); they add to 1 + P(X = x)."""
    from scipy import stats

    t = [[10, 2], [3, 15]]
    x, m, n, k = 10, 13, 17, 12
    less = fisher_exact(t, alternative="less").p_value
    greater = fisher_exact(t, alternative="greater").p_value
    assert less == pytest.approx(stats.hypergeom.cdf(x, m + n, m, k), rel=1e-12)
    assert greater == pytest.approx(stats.hypergeom.sf(x - 1, m + n, m, k), rel=1e-12)
    assert less + greater == pytest.approx(1 + stats.hypergeom.pmf(x, m + n, m, k), rel=1e-12)
    # R's spelling of two-sided
    assert fisher_exact(t, alternative="two.sided").p_value == fisher_exact(t).p_value


def test_fisher_one_sided_refused_for_larger_tables():
    with pytest.raises(InputError, match=r"alternative='less' is for 2 x 2 tables; this table is 3 x 2"):
        fisher_exact([[308, 71], [95, 15], [62, 9]], alternative="less")
    with pytest.raises(InputError, match="alternative must be 'two-sided', 'less' or 'greater'"):
        fisher_exact([[1, 2], [3, 4]], alternative="lower")


@pytest.mark.parametrize("case", REF["fisher_rxc"], ids=lambda c: c["name"])
def test_fisher_rxc_exact_p(case):
    res = fisher_exact(case["table"])
    assert not res.simulated
    assert_p(res.p_value, case["p"], what=case["name"])
    # p-values far below 1e-6 (strong_3x2: 4e-14) agree relatively too
    assert res.p_value == pytest.approx(case["p"], rel=1e-6)
    # transposing or permuting rows and columns leaves the p-value unchanged
    t = np.array(case["table"])
    assert fisher_exact(t.T[::-1]).p_value == pytest.approx(res.p_value, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("case", REF["fisher_random"], ids=lambda c: "x".join(map(str, np.shape(c["table"]))))
def test_fisher_random_tables(case):
    """60 random tables, 2 x 2 to 5 x 4, n = 8 to 80: exact, or Monte Carlo when too large."""
    res = fisher_exact(case["table"])
    p = case["p"]
    if res.simulated:  # only tables beyond the enumeration cap (one 5 x 4 table, n = 75)
        assert np.sum(case["table"]) >= 70
        assert abs(res.p_value - p) <= MC_SIGMAS * math.sqrt(p * (1 - p) / 2000) + 1 / 2001
        return
    assert_p(res.p_value, p)
    assert res.p_value == pytest.approx(p, rel=1e-8)


def test_fisher_identity_with_brute_force_enumeration():
    """A 3 x 3 table: sum over every table with the margins, written out naively."""
    t = np.array([[3, 1, 0], [1, 4, 2], [0, 2, 5]])
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    obs = _fisher.log_prob(t)
    total = 0.0
    for a in range(rows[0] + 1):
        for b in range(rows[0] - a + 1):
            for c in range(rows[1] + 1):
                for d in range(rows[1] - c + 1):
                    x = np.array([[a, b, rows[0] - a - b], [c, d, rows[1] - c - d], [0, 0, 0]])
                    x[2] = cols - x[0] - x[1]
                    if np.any(x < 0) or x[2].sum() != rows[2]:
                        continue
                    lp = _fisher.log_prob(x)
                    if lp <= obs + _fisher.LOG_TOL_RXC:
                        total += math.exp(lp)
    assert fisher_exact(t).p_value == pytest.approx(total, rel=1e-12)


def test_fisher_2x2_path_of_the_enumeration_equals_scipy():
    """The r x c code on a 2 x 2 table (R's relErr) gives scipy's (= R's) 2 x 2 p-value."""
    for case in REF["fisher_2x2"]:
        t = np.array(case["table"])
        if min(t.sum(axis=0).min(), t.sum(axis=1).min()) == 0:
            continue
        assert _fisher.exact_p(t, _fisher.LOG_TOL_2X2) == pytest.approx(case["p"], rel=1e-9)


@pytest.mark.parametrize("name", ["five_by_two", "three_by_four", "job", "rare_4x2"])
def test_fisher_monte_carlo_close_to_exact_and_reproducible(name):
    case = next(c for c in REF["fisher_rxc"] if c["name"] == name)
    res = fisher_exact(case["table"], simulate=True, n_draws=5000, seed=11)
    assert res.simulated and res.n_draws == 5000 and res.seed == 11
    assert "5000 random tables" in res.method
    p = case["p"]
    assert abs(res.p_value - p) <= MC_SIGMAS * math.sqrt(p * (1 - p) / 5000) + 1 / 5001
    # (1 + k) / (B + 1) with k an integer
    k = res.p_value * 5001 - 1
    assert k == pytest.approx(round(k), abs=1e-6)
    assert fisher_exact(case["table"], simulate=True, n_draws=5000, seed=11).p_value == res.p_value


def test_fisher_falls_back_to_monte_carlo_when_enumeration_is_too_long():
    t = [[300, 200], [150, 140], [120, 90], [50, 60], [40, 80]]
    res = fisher_exact(t, max_states=1000)
    assert res.simulated and res.n_draws == 2000
    with pytest.raises(InputError, match="max_states"):
        fisher_exact(t, simulate=False, max_states=1000)
    exact = fisher_exact(t)
    assert not exact.simulated
    p = exact.p_value
    assert abs(res.p_value - p) <= MC_SIGMAS * math.sqrt(p * (1 - p) / 2000) + 1 / 2001


def test_fisher_large_r_by_2_is_exact_and_fast():
    """n = 100,000 in a 3 x 2 table: one pass over one cell's values."""
    t = np.array([[30000, 20000], [15000, 10000], [12000, 8000]])  # exactly proportional: p = 1
    assert fisher_exact(t).p_value == pytest.approx(1.0, abs=1e-9)


def test_fisher_empty_rows_and_columns():
    assert fisher_exact([[0, 0, 0], [1, 2, 7]]).p_value == 1.0
    case = next(c for c in REF["fisher_rxc"] if c["name"] == "zero_row_3x2")
    assert_p(fisher_exact(case["table"]).p_value, case["p"])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([[1, 2, 3]], "at least 2 rows"),
        ([[1, -1], [2, 3]], "non-negative whole counts"),
        ([[1.5, 1], [2, 3]], "non-negative whole counts"),
        ([[1, np.nan], [2, 3]], "non-negative whole counts"),
        ([["a", "b"], ["c", "d"]], "counts"),
    ],
)
def test_fisher_bad_tables(table, message):
    with pytest.raises(InputError, match=message):
        fisher_exact(table)


def test_fisher_bad_options():
    with pytest.raises(InputError, match="conf_level"):
        fisher_exact([[1, 2], [3, 4]], conf_level=95)
    with pytest.raises(InputError, match="simulate"):
        fisher_exact([[1, 2, 3], [3, 4, 5]], simulate="yes")
    with pytest.raises(InputError, match="n_draws"):
        fisher_exact([[1, 2, 3], [3, 4, 5]], n_draws=0)


# --------------------------------------------------------------------------------------------
# chi-squared and Kruskal-Wallis
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", REF["chisq"], ids=lambda c: c["name"])
def test_chisq_as_r(case):
    res = chisq_test(case["table"])
    assert_estimates([res.statistic, res.df], [case["statistic"], case["df"]])
    assert_p(res.p_value, case["p"])


@pytest.mark.parametrize("case", REF["kruskal"], ids=lambda c: c["name"])
def test_kruskal_as_r(case):
    df = _frame(REF["kruskal_data"][case["name"]])
    res = kruskal_wallis(df, "value", "group")
    assert_estimates([res.statistic, res.df], [case["statistic"], case["df"]])
    assert_p(res.p_value, case["p"])
    assert res.n == case["n"]
    assert res.n + res.n_missing == len(df)


def test_kruskal_hand_worked_without_ties():
    """H = 12 / (N (N + 1)) sum R_g^2 / n_g - 3 (N + 1) on ranks 1..6."""
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "g": ["a", "a", "b", "b", "c", "c"]})
    h = 12 / (6 * 7) * (3**2 / 2 + 7**2 / 2 + 11**2 / 2) - 3 * 7
    assert kruskal_wallis(df, "x", "g").statistic == pytest.approx(h, rel=1e-12)


def test_kruskal_constant_values_give_nan_as_r():
    df = pd.DataFrame({"x": [1.0] * 6, "g": list("aabbcc")})
    res = kruskal_wallis(df, "x", "g")
    assert math.isnan(res.statistic) and math.isnan(res.p_value) and res.df == 2


def test_kruskal_bad_input():
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "g": ["a", "a", "a"], "t": ["1", "x", "3"]})
    with pytest.raises(InputError, match="at least 2"):
        kruskal_wallis(df, "x", "g")
    with pytest.raises(InputError, match="'t' holds values that are not numbers"):
        kruskal_wallis(df, "t", "g")
    with pytest.raises(InputError, match="'nope' not found"):
        kruskal_wallis(df, "nope", "g")
    df2 = pd.DataFrame({"x": [1.0, np.inf, 3.0], "g": ["a", "b", "b"]})
    with pytest.raises(InputError, match="infinite values at row 1"):
        kruskal_wallis(df2, "x", "g")


# --------------------------------------------------------------------------------------------
# format_p
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.6429, ".64"),
        (0.265, ".27"),  # binary 0.265 is 0.26500000000000001: rounds up
        (0.05, ".05"),
        (0.0296, ".03"),
        (0.0101, ".01"),
        (0.00996, ".01"),  # three decimals would print .010
        (0.0028, ".003"),
        (0.001, ".001"),
        (0.00099, "<.001"),
        (0.9991, ">.99"),
        (float("nan"), ""),
    ],
)
def test_format_p(p, text):
    assert format_p(p) == text


def test_format_p_options():
    assert format_p(0.6429, leading_zero=True) == "0.64"
    assert format_p(0.012, digits=3) == ".012"
    assert format_p(0.03, threshold=0.05) == "<.05"
    assert format_p(1e-5, threshold=0.0001, leading_zero=True) == "<0.0001"


# --------------------------------------------------------------------------------------------
# table_one
# --------------------------------------------------------------------------------------------


def _t1_data() -> pd.DataFrame:
    return _frame(REF["table_one_data"])


@pytest.fixture(scope="module")
def tables():
    df = _t1_data()
    variables = ["age", "crp", "sex", "stage", "ldh_high", "lines"]
    return {g: table_one(df, g, variables) for g in ("group", "arm")}


@pytest.mark.parametrize("item", REF["table_one"], ids=lambda c: f"{c['group']}-{c['variable']}")
def test_table_one_numbers_as_r(tables, item):
    t = tables[item["group"]]
    st = t.stats[t.stats["variable"] == item["variable"]]
    rows = t.summary[t.summary["variable"] == item["variable"]]
    assert_p(rows["p_value"].iloc[0], item["p"], what="p")
    if item["kind"] == "continuous":
        assert rows["test"].iloc[0] == "Kruskal-Wallis rank sum test"
        for cell in item["cells"]:
            s = st[(st["group"] == cell["group"]) & st["level"].isna()].iloc[0]
            assert_estimates([s["q1"], s["median"], s["q3"]], [cell["q1"], cell["median"], cell["q3"]])
            assert (s["n"], s["missing"]) == (cell["n"], cell["missing"])
        return
    assert rows["test"].iloc[0] == "Fisher's exact test"
    counts = np.array(item["counts"])
    levels = item["levels"] if isinstance(item["levels"], list) else [item["levels"]]
    shown = 0
    for j, g in enumerate(item["groups"]):
        for i, level in enumerate(levels):
            match = st[(st["group"] == g) & (st["level"].map(_key) == _key(level))]
            if len(match):  # the 0 row of a 0/1 variable is not shown
                shown += 1
                assert match["n"].iloc[0] == counts[i, j]
                assert match["denominator"].iloc[0] == counts[:, j].sum()
        miss = st[(st["group"] == g) & (st["level"] == "missing")]
        assert (miss["n"].iloc[0] if len(miss) else 0) == item["missing"][j]
    assert shown == len(item["groups"]) * (1 if item["variable"] == "ldh_high" else len(levels))


def test_table_one_cells_and_total(tables):
    t = tables["group"]
    s = t.summary.set_index(["variable", t.summary["level"].astype(str)])
    ldh = s.loc[("ldh_high", "1")]  # a 0/1 variable's levels are 0 and 1, whatever its dtype
    # 0/1 variable: one row (level 1), % over the non-missing values
    st = t.stats[(t.stats["variable"] == "ldh_high") & (t.stats["level"] == 1)].set_index("group")
    for col in ["High", "Low", "total"]:
        n, d = st.loc[col, "n"], st.loc[col, "denominator"]
        assert ldh[col] == f"{n} ({100 * n / d:.0f}%)"
    assert ("ldh_high", "0") not in s.index
    assert s.loc[("ldh_high", "missing"), "total"] == str(int(_t1_data()["ldh_high"].isna().sum()))
    assert t.n.to_dict() == {"High": 38, "Low": 42, "total": 80}
    # totals are sums of the groups
    for var in ["sex", "stage", "lines"]:
        sub = t.stats[(t.stats["variable"] == var) & (t.stats["level"] != "missing")]
        wide = sub.pivot(index="level", columns="group", values="n")
        assert (wide["High"] + wide["Low"] == wide["total"]).all()


def test_table_one_rendering(tables):
    t = tables["group"]
    md = t.to_markdown()
    assert md.splitlines()[0] == "| Characteristic | High (N = 38) | Low (N = 42) | Total (N = 80) | p |"
    age = t.summary[t.summary["variable"] == "age"].iloc[0]
    assert f"| age | {age['High']} | {age['Low']} | {age['total']} | {format_p(age['p_value'])} |" in md
    assert "| - Unknown | 2 | 1 | 3 |  |" in md  # age: missing counted apart
    assert "| stage |  |  |  | .91 |" in md and "| - III | 15 (39%) | 15 (36%) | 30 (38%) |  |" in md
    assert "p-values: Kruskal-Wallis rank sum test; Fisher's exact test." in md
    parsed = html_rows(t.to_html())
    assert t.to_html().startswith('<div class="table-one">')
    assert parsed.rows == t.to_frame().to_numpy().tolist()  # every row and cell, as displayed
    iii = next(i for i, r in enumerate(parsed.rows) if r[:2] == ["III", "15 (39%)"])
    assert "gt_indent" in parsed.classes[iii] and "gt_indent" not in parsed.classes[0]  # levels indented
    assert parsed.notes[0] == "Median (IQR); n (%)."


def test_table_one_options():
    df = _t1_data()
    t = table_one(
        df,
        "group",
        ["age", "sex", "stage"],
        tests={"stage": "chisq", "age": "none"},
        levels={"sex": ["female"]},
        labels={"sex": "Sex"},
        group_order=["Low", "High"],
        total=False,
        missing="never",
        digits={"age": 1},
    )
    s = t.summary
    assert list(s.columns) == ["variable", "level", "Low", "High", "p_value", "test"]
    assert s["level"].astype(str).tolist() == ["None", "female", "I", "II", "III", "IV"]
    assert math.isnan(s["p_value"].iloc[0]) and s["test"].iloc[0] == ""
    chisq = next(c for c in REF["table_one"] if c["variable"] == "stage" and c["group"] == "group")
    assert_p(s["p_value"].iloc[2], chisq["chisq_p"])
    assert s["test"].iloc[2] == "Pearson's chi-squared test"
    assert s["Low"].iloc[0].split(" ")[0].count(".") == 1  # one decimal
    assert "| Sex (female) |" in t.to_markdown()


def test_table_one_categorical_override_and_3_groups():
    df = _t1_data()
    t = table_one(df, "arm", ["ldh_high"], categorical=["ldh_high"], levels={"ldh_high": [0.0, 1.0]})
    item = next(c for c in REF["table_one"] if c["variable"] == "ldh_high" and c["group"] == "arm")
    assert_p(t.summary["p_value"].iloc[0], item["p"])
    assert t.summary["level"].tolist() == [0.0, 1.0, "missing"]
    t2 = table_one(df, "arm", ["ldh_high"], continuous=["ldh_high"])
    assert t2.summary["test"].iloc[0] == "Kruskal-Wallis rank sum test"


def test_table_one_missing_group_rows_are_left_out():
    df = _t1_data()
    df.loc[[0, 1, 2], "group"] = None
    t = table_one(df, "group", ["crp"])
    assert t.n_missing_group == 3 and t.n["total"] == 77


def test_table_one_bad_input():
    df = _t1_data()
    with pytest.raises(InputError, match="'nope' not found"):
        table_one(df, "group", ["nope"])
    with pytest.raises(InputError, match="does not apply to the categorical variable 'sex'"):
        table_one(df, "group", ["sex"], tests={"sex": "kruskal"})
    with pytest.raises(InputError, match="not among the variables"):
        table_one(df, "group", ["sex"], tests={"age": "kruskal"})
    with pytest.raises(InputError, match="unknown test"):
        table_one(df, "group", ["sex"], tests="anova")
    with pytest.raises(InputError, match="levels"):
        table_one(df, "group", ["sex"], levels={"sex": ["other"]})
    with pytest.raises(InputError, match="'sex' holds values that are not numbers"):
        table_one(df, "group", ["sex"], continuous=["sex"])
    with pytest.raises(InputError, match="missing must be"):
        table_one(df, "group", ["sex"], missing="yes")
    with pytest.raises(InputError, match="group_order leaves out"):
        table_one(df, "group", ["sex"], group_order=["Low"])
    with pytest.raises(InputError, match="cannot also be a variable"):
        table_one(df, "group", ["group"])
    bad = df.assign(group=df["group"].replace({"Low": "total"}))
    with pytest.raises(InputError, match="clash"):
        table_one(bad, "group", ["sex"])
