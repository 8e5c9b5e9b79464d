"""diagnostic_metrics vs epiR::epi.tests; auc / delong_test vs pROC (tests/reference/discrimination.R)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cartsie.discrimination import METRICS, auc, delong_test, diagnostic_metrics
from cartsie.errors import DirectionWarning, InputError
from tests.reference.tolerances import assert_estimates, assert_p, load, r_array

REF = load("discrimination")
DATA = REF["data"]
#: epiR's names of the rows of diagnostic_metrics().summary, in the same order
EPI_NAMES = ("se", "sp", "pv.pos", "pv.neg", "lr.pos", "lr.neg", "tp", "diag.ac", "youden", "diag.or")


def vectors(case: dict) -> tuple[list[int], list[int]]:
    """Patients reproducing the 2 x 2 table (tp, fp, fn, tn)."""
    y = [1] * case["tp"] + [0] * case["fp"] + [1] * case["fn"] + [0] * case["tn"]
    test = [1] * (case["tp"] + case["fp"]) + [0] * (case["fn"] + case["tn"])
    return y, test


@pytest.mark.parametrize("case", REF["epi_tests"], ids=lambda c: c["name"])
@pytest.mark.parametrize(("key", "level"), [("ci95", 0.95), ("ci90", 0.90)])
def test_diagnostic_metrics_as_epi_tests(case, key, level):
    y, test = vectors(case)
    res = diagnostic_metrics(y, test, conf_level=level)
    ref = case[key]
    assert ref["statistic"] == list(EPI_NAMES)
    assert list(res.summary.index) == list(METRICS)
    assert [EPI_NAMES[METRICS.index(m)] for m in METRICS] == ref["statistic"]
    assert_estimates(res.summary["estimate"], ref["est"], what="estimate")
    assert_estimates(res.summary["ci_lower"], ref["lower"], what="lower")
    assert_estimates(res.summary["ci_upper"], ref["upper"], what="upper")
    assert (res.tp, res.fp, res.fn, res.tn, res.n) == (case["tp"], case["fp"], case["fn"], case["tn"], len(y))
    assert res.counts.to_numpy().tolist() == [[case["tp"], case["fp"]], [case["fn"], case["tn"]]]


def test_paper_likelihood_ratios():
    """The paper's 'sensitivity = 86%, specificity = 39%, LR 1.41:0.36' is near this table."""
    res = diagnostic_metrics(*vectors(next(c for c in REF["epi_tests"] if c["name"] == "paper_like")))
    est = res.summary["estimate"]
    assert round(est["sensitivity"], 2) == 0.86 and round(est["specificity"], 2) == 0.39
    assert est["lr_pos"] == pytest.approx(est["sensitivity"] / (1 - est["specificity"]), rel=1e-12)
    assert est["lr_neg"] == pytest.approx((1 - est["sensitivity"]) / est["specificity"], rel=1e-12)


def test_clopper_pearson_bounds_are_exact_binomial_tails():
    """Lower limit L: P(X >= k | L) = alpha / 2; upper U: P(X <= k | U) = alpha / 2."""
    from scipy import stats

    res = diagnostic_metrics([1] * 10 + [0] * 5, [1] * 7 + [0] * 3 + [1] * 5)  # sensitivity 7 / 10
    lo, hi = res.summary.loc["sensitivity", ["ci_lower", "ci_upper"]]
    assert stats.binom.sf(6, 10, lo) == pytest.approx(0.025, rel=1e-9)
    assert stats.binom.cdf(7, 10, hi) == pytest.approx(0.025, rel=1e-9)


def test_diagnostic_metrics_missing_and_booleans():
    y = pd.Series([True, False, None, True, False], index=["p1", "p2", "p3", "p4", "p5"])
    t = pd.Series([1, 1, 0, np.nan, 0], index=y.index)
    res = diagnostic_metrics(y, t)
    assert (res.n, res.n_missing, res.tp, res.fp, res.fn, res.tn) == (3, 2, 1, 1, 0, 1)


def test_diagnostic_metrics_bad_input():
    with pytest.raises(InputError, match=r"y_pred must be 0/1.*\[2.0\] at positions 1"):
        diagnostic_metrics([1, 0, 1], [1, 2, 0])
    with pytest.raises(InputError, match="3 values but the others have 2"):
        diagnostic_metrics([1, 0], [1, 0, 1])
    with pytest.raises(InputError, match="not numbers at positions p2"):
        diagnostic_metrics(pd.Series(["1", "x"], index=["p1", "p2"]), pd.Series([1, 0], index=["p1", "p2"]))
    with pytest.raises(InputError, match="conf_level"):
        diagnostic_metrics([1, 0], [1, 0], conf_level=0)


# --------------------------------------------------------------------------------------------
# AUC and DeLong
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", REF["auc"], ids=lambda c: c["name"])
@pytest.mark.parametrize("which", ["a", "b"])
def test_auc_and_delong_ci_as_proc(case, which):
    d = DATA[case["name"]]
    ref = case[which]
    res = auc(r_array(d["y"]), r_array(d[which]))
    assert_estimates([res.auc, res.ci_lower, res.ci_upper], [ref["auc"], ref["lower"], ref["upper"]])
    assert_estimates(res.variance, ref["var"], what="DeLong variance")
    assert (res.n_cases, res.n_controls) == (ref["n_cases"], ref["n_controls"])
    assert res.n_cases + res.n_controls + res.n_missing == len(d["y"])


@pytest.mark.parametrize("case", REF["delong"], ids=lambda c: c["name"])
def test_paired_delong_as_roc_test(case):
    d = DATA[case["name"]]
    res = delong_test(r_array(d["y"]), r_array(d["a"]), r_array(d["b"]))
    assert_estimates([res.auc_a, res.auc_b], [case["auc_a"], case["auc_b"]])
    assert_estimates(res.z, case["z"], what="z")
    assert_p(res.p_value, case["p"], what="p")
    assert_estimates([res.ci_lower, res.ci_upper], [case["lower"], case["upper"]])
    assert res.n == case["n"] and res.statistic == res.z


def test_auc_equals_mann_whitney_and_sklearn():
    from scipy import stats
    from sklearn.metrics import roc_auc_score

    d = DATA["tied"]
    y, s = r_array(d["y"]), r_array(d["a"])
    u = stats.mannwhitneyu(s[y == 1], s[y == 0]).statistic
    res = auc(y, s)
    assert res.auc == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()), rel=1e-12)
    assert res.auc == pytest.approx(roc_auc_score(y, s), rel=1e-12)


def test_delong_variance_equals_quadratic_placements():
    """The O(n log n) placements equal the O(n^2) definition (psi = 1, 1/2, 0)."""
    d = DATA["tied"]
    y, s = r_array(d["y"]), r_array(d["b"])
    cases, controls = s[y == 1], s[y == 0]
    psi = (cases[:, None] > controls[None, :]) + 0.5 * (cases[:, None] == controls[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    var = v10.var(ddof=1) / len(cases) + v01.var(ddof=1) / len(controls)
    assert auc(y, s).variance == pytest.approx(var, rel=1e-12)


def test_direction_is_fixed():
    """A higher score is the positive class: reversing the score gives 1 - AUC, never flipped."""
    d = DATA["below"]
    y, s = r_array(d["y"]), r_array(d["a"])
    low, high = auc(y, s), auc(y, -s)
    assert low.auc < 0.5 and high.auc == pytest.approx(1 - low.auc, rel=1e-12)


def test_perfect_separation_auc_one():
    d = DATA["perfect"]
    res = auc(r_array(d["y"]), r_array(d["a"]))
    assert res.auc == 1 and res.ci_lower == 1 and res.ci_upper == 1 and res.variance == 0


def test_single_case_has_no_ci():
    d = DATA["one_case"]
    res = auc(r_array(d["y"]), r_array(d["a"]))
    assert res.auc == 0.75 and math.isnan(res.ci_lower) and math.isnan(res.se)
    with pytest.raises(InputError, match="at least 2 cases and 2 controls"):
        delong_test(r_array(d["y"]), r_array(d["a"]), r_array(d["b"]))


def test_auc_bad_input():
    with pytest.raises(InputError, match=r"no cases \(y_true = 1\)"):
        auc([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(InputError, match=r"no controls"):
        auc([1, 1], [0.1, 0.2])
    with pytest.raises(InputError, match="infinite values at positions 1"):
        auc([0, 1, 1], [0.1, np.inf, 0.3])
    with pytest.raises(InputError, match="y_true must be 0/1"):
        auc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(InputError, match="score_b has 2 values"):
        delong_test([0, 1, 1], [0.1, 0.2, 0.3], [0.1, 0.2])


def test_summaries():
    d = DATA["small"]
    a = auc(r_array(d["y"]), r_array(d["a"]))
    assert a.summary.loc[0, ["auc", "ci_lower", "ci_upper"]].tolist() == [a.auc, a.ci_lower, a.ci_upper]
    t = delong_test(r_array(d["y"]), r_array(d["a"]), r_array(d["b"]))
    assert t.summary.loc[0, "p_value"] == t.p_value and t.difference == t.auc_a - t.auc_b


# --------------------------------------------------------------------------------------------
# prevalence, accuracy, Youden's index and the diagnostic odds ratio (epiR's definitions)
# --------------------------------------------------------------------------------------------


def test_new_rows_by_hand():
    y, test = vectors(next(c for c in REF["epi_tests"] if c["name"] == "moderate"))  # 45, 20, 15, 80
    s = diagnostic_metrics(y, test).summary
    assert s.loc["prevalence", "estimate"] == pytest.approx(60 / 160, rel=1e-14)
    assert s.loc["accuracy", "estimate"] == pytest.approx(125 / 160, rel=1e-14)
    assert s.loc["youden", "estimate"] == pytest.approx(45 / 60 + 80 / 100 - 1, rel=1e-14)
    assert s.loc["dor", "estimate"] == pytest.approx(45 * 80 / (20 * 15), rel=1e-14)
    half = 1.959963984540054 * math.sqrt(1 / 45 + 1 / 20 + 1 / 15 + 1 / 80)
    assert math.log(s.loc["dor", "ci_upper"]) == pytest.approx(math.log(12) + half, rel=1e-12)
    se_lo, se_hi = s.loc["sensitivity", ["ci_lower", "ci_upper"]]
    sp_lo, sp_hi = s.loc["specificity", ["ci_lower", "ci_upper"]]
    assert s.loc["youden", "ci_lower"] == pytest.approx(se_lo + sp_lo - 1, rel=1e-14)
    assert s.loc["youden", "ci_upper"] == pytest.approx(se_hi + sp_hi - 1, rel=1e-14)
    # the diagnostic odds ratio is LR+ / LR-
    assert s.loc["dor", "estimate"] == pytest.approx(
        s.loc["lr_pos", "estimate"] / s.loc["lr_neg", "estimate"], rel=1e-12
    )


# --------------------------------------------------------------------------------------------
# direction: "<", ">" and "auto" as pROC
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", REF["auc_directions"], ids=lambda c: c["name"])
@pytest.mark.parametrize(
    ("key", "which", "direction", "level"),
    [
        ("a_greater", "a", ">", 0.95),
        ("b_greater", "b", ">", 0.95),
        ("a_auto", "a", "auto", 0.95),
        ("b_auto", "b", "auto", 0.95),
        ("a_auto90", "a", "auto", 0.90),
    ],
)
def test_auc_direction_as_proc(case, key, which, direction, level):
    d = DATA[case["name"]]
    ref = case[key]
    res = auc(r_array(d["y"]), r_array(d[which]), conf_level=level, direction=direction)
    assert res.direction == ref["direction"]
    assert_estimates([res.auc, res.ci_lower, res.ci_upper], [ref["auc"], ref["lower"], ref["upper"]])
    assert_estimates(res.variance, ref["var"], what="DeLong variance")
    assert res.summary.loc[0, "direction"] == ref["direction"]


def test_auto_chooses_by_medians():
    """'auto' is '>' exactly when the controls' median exceeds the cases'; a tie of medians is '<'."""
    d = DATA["below"]
    y, s = r_array(d["y"]), r_array(d["a"])
    assert np.median(s[y == 0]) > np.median(s[y == 1])
    res = auc(y, s, direction="auto")
    assert res.direction == ">" and res.auc == pytest.approx(1 - auc(y, s).auc, rel=1e-12)
    assert auc(y, -s, direction="auto").direction == "<"
    tied = auc([0, 0, 1, 1], [1.0, 2.0, 0.5, 2.5], direction="auto")  # medians 1.5 and 1.5
    assert tied.direction == "<" and tied.auc == 0.5


def test_greater_is_the_score_negated():
    d = DATA["tied"]
    y, s = r_array(d["y"]), r_array(d["a"])
    g, neg = auc(y, s, direction=">"), auc(y, -s)
    assert (g.auc, g.ci_lower, g.ci_upper, g.variance) == (neg.auc, neg.ci_lower, neg.ci_upper, neg.variance)
    assert g.direction == ">" and neg.direction == "<"


@pytest.mark.parametrize("case", REF["delong_directions"], ids=lambda c: c["name"])
@pytest.mark.parametrize("direction", [">", "auto"])
def test_paired_delong_direction_as_roc_test(case, direction):
    d = DATA[case["name"]]
    ref = case["greater" if direction == ">" else "auto"]
    args = (r_array(d["y"]), r_array(d["a"]), r_array(d["b"]))
    if ref["warned_direction"]:
        with pytest.warns(DirectionWarning, match="different directions"):
            res = delong_test(*args, direction=direction)
    else:
        res = delong_test(*args, direction=direction)
    assert (res.direction_a, res.direction_b) == (ref["direction_a"], ref["direction_b"])
    assert_estimates([res.auc_a, res.auc_b], [ref["auc_a"], ref["auc_b"]])
    assert_estimates(res.z, ref["z"], what="z")
    assert_p(res.p_value, ref["p"], what="p")
    assert_estimates([res.ci_lower, res.ci_upper], [ref["lower"], ref["upper"]])


def test_delong_direction_pair_and_bad_direction():
    d = DATA["below"]
    y, a, b = r_array(d["y"]), r_array(d["a"]), r_array(d["b"])
    same = delong_test(y, a, b, direction=(">", ">"))
    assert same.z == delong_test(y, a, b, direction=">").z
    with pytest.raises(InputError, match="direction must be"):
        auc(y, a, direction="<=")
    with pytest.raises(InputError, match="direction must be"):
        delong_test(y, a, b, direction=("<", "up"))
