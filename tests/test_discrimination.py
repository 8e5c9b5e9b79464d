"""diagnostic_metrics vs epiR::epi.tests; auc / delong_test vs pROC (tests/reference/discrimination.R)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cartsie.discrimination import METRICS, auc, delong_test, diagnostic_metrics
from cartsie.errors import InputError
from tests.reference.tolerances import assert_estimates, assert_p, load, r_array

REF = load("discrimination")
DATA = REF["data"]


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
    assert ref["statistic"] == ["se", "sp", "pv.pos", "pv.neg", "lr.pos", "lr.neg"]
    assert list(res.summary.index) == list(METRICS)
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
