"""Fine-Gray regression vs R's cmprsk::crr (gtol = 1e-12), predict.crr, a literal O(n^2) reference,
the identity with a Breslow Cox model with robust variance when nothing competes, and the model
contract used by ``cartsie.adjust.lp_adjusted``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartsie.competing import _finegray, fine_gray
from cartsie.errors import (
    ConvergenceWarning,
    InputError,
    MissingValuesWarning,
    MonotoneLikelihoodWarning,
    SeparationWarning,
)
from cartsie.survival import cox
from tests._competing_naive import pieces
from tests._competing_ref import as_list, fixture, frame, matrix, r_term
from tests.reference.tolerances import assert_estimates, assert_p, r_array

CASES = fixture()["crr"]
PREDICT_CASES = [c for c in CASES if "predict" in c]
WALD_CASES = [c for c in CASES if "wald" in c]

#: crr stops this fit with converged = FALSE: at a gradient of 5e-7 its backtracking line search
#: cannot find a decrease of the objective larger than rounding, so it gives up. Our Newton step
#: allows for rounding and converges; R's coefficients are still within 1e-7 relative of ours.
R_LINE_SEARCH_STALL = {("ties", "x1", 1)}


def _id(case: dict) -> str:
    return f"{case['data']}-{'+'.join(as_list(case['covariates']))}-cause{case['failcode']}"


def _fit(case: dict, **kw):
    df = frame(case["data"])
    covariates = as_list(case["covariates"])
    n_missing = int(df[["time", "event", *covariates]].isna().any(axis=1).sum())
    # crr drops incomplete rows silently; fine_gray says so, naming itself and the count
    expect = (
        pytest.warns(MissingValuesWarning, match=rf"fine_gray\(\): {n_missing} of {len(df)} rows left out")
        if n_missing
        else warnings.catch_warnings()
    )
    with expect:
        return fine_gray(
            df, "time", "event", covariates, cause=case["failcode"], censor_code=case["cencode"], **kw
        )


@pytest.fixture(scope="module", params=CASES, ids=[_id(c) for c in CASES])
def fitted(request):
    return request.param, _fit(request.param)


def _terms(case: dict) -> list[str]:
    covariates = as_list(case["covariates"])
    return [r_term(t, covariates) for t in as_list(case["terms"])]


def test_coefficient_table(fitted):
    case, fit = fitted
    s = fit.summary
    assert list(s.index) == _terms(case)
    assert list(s.columns) == ["coef", "se", "shr", "ci_lower", "ci_upper", "z", "p_value"]
    for col, ref in [("coef", "coef"), ("se", "se"), ("shr", "shr"), ("ci_lower", "ci_lower")]:
        assert_estimates(s[col], case[ref], what=col)
    assert_estimates(s["ci_upper"], case["ci_upper"], what="ci_upper")
    assert_estimates(s["z"], case["z"], what="z")
    assert_p(s["p_value"], case["p"], what="p")


def test_variances(fitted):
    case, fit = fitted
    assert_estimates(fit.cov.to_numpy().ravel(), list(matrix(case["var"]).ravel()), what="crr var")
    assert_estimates(fit.naive_cov.to_numpy().ravel(), list(matrix(case["invinf"]).ravel()), what="invinf")
    assert list(fit.cov.index) == list(fit.params.index) == _terms(case)


def test_likelihoods_counts_convergence(fitted):
    case, fit = fitted
    assert_estimates([fit.loglik, fit.loglik_null], [case["loglik"], case["loglik_null"]])
    assert fit.n == case["n"] and fit.n_missing == case["n_missing"]
    assert fit.n + fit.n_missing == len(frame(case["data"]))
    key = (case["data"], "+".join(as_list(case["covariates"])), case["failcode"])
    assert fit.converged
    assert case["converged"] is (key not in R_LINE_SEARCH_STALL)


def test_baseline_jumps(fitted):
    """crr's uftime and bfitj (jumps of the baseline cumulative subdistribution hazard)."""
    case, fit = fitted
    assert_estimates(fit.baseline["time"], case["uftime"], what="uftime")
    assert_estimates(fit.baseline["hazard"], case["bfitj"], what="bfitj")
    np.testing.assert_allclose(
        fit.baseline["cumulative_hazard"], np.cumsum(r_array(case["bfitj"])), rtol=1e-6
    )


@pytest.mark.parametrize("case", PREDICT_CASES, ids=[_id(c) for c in PREDICT_CASES])
def test_predict_matches_predict_crr(case):
    fit = _fit(case)
    profiles = pd.DataFrame(case["profiles"])
    pred = fit.predict(profiles)
    assert_estimates(pred.index, case["uftime"], what="times")
    for j, ref in enumerate(case["predict"]):
        assert_estimates(pred.iloc[:, j], ref, what=f"profile {j}")


@pytest.mark.parametrize("case", WALD_CASES, ids=[_id(c) for c in WALD_CASES])
def test_wald_test(case):
    fit = _fit(case)
    ref = case["wald"]
    names = [r_term(t, as_list(case["covariates"])) for t in as_list(ref["terms"])]
    res = fit.wald_test(names)
    assert_estimates([res.statistic], [ref["stat"]])
    assert_p([res.p_value], [ref["p"]])
    assert res.df == ref["df"]


def test_wald_test_by_covariate_name():
    """A categorical covariate's name selects all its levels."""
    fit = _fit(next(c for c in CASES if c["data"] == "nrm"))
    by_name = fit.wald_test("risk")
    by_terms = fit.wald_test(["risk[intermediate]", "risk[low]"])
    assert by_name.statistic == pytest.approx(by_terms.statistic, rel=1e-12)
    assert by_name.df == 2
    whole = fit.wald_test()
    assert whole.statistic == pytest.approx(by_name.statistic, rel=1e-12)


def test_predict_at_times_is_the_step_function():
    case = next(c for c in CASES if c["data"] == "spm" and "predict" in c)
    fit = _fit(case)
    profiles = pd.DataFrame(case["profiles"])
    uft = r_array(case["uftime"])
    times = np.r_[0.0, uft[0] - 0.01, uft[3], (uft[3] + uft[4]) / 2, fit.last_time + 1]
    pred = fit.predict(profiles, times=times)
    ref = np.array([r_array(p) for p in case["predict"]]).T  # rows uftime
    np.testing.assert_array_equal(pred.iloc[:2].to_numpy(), 0.0)
    assert_estimates(pred.iloc[2], list(ref[3]))
    assert_estimates(pred.iloc[3], list(ref[3]))
    assert pred.iloc[4].isna().all()
    one = fit.predict({"ht_high": 1}, times=[uft[3]])
    assert_estimates(one.iloc[:, 0], [ref[3, 1]])


def test_linear_predictor_contract():
    case = next(c for c in CASES if c["data"] == "ties" and len(as_list(c["covariates"])) == 3)
    fit = _fit(case)
    df = frame("ties")
    assert fit.n_missing == 2
    lp = fit.linear_predictor(df)
    assert lp.index.equals(df.index)
    assert lp.isna().sum() == 2  # the two rows with x1 missing
    row = df.iloc[10]
    by_hand = (
        fit.params["x1"] * row["x1"]
        + fit.params["x3"] * row["x3"]
        + (fit.params[f"grp3[{row['grp3']}]"] if row["grp3"] != "A" else 0.0)
    )
    assert lp.iloc[10] == pytest.approx(by_hand, rel=1e-14)
    assert fit.reference == {"grp3": "A"}


def test_no_competing_events_equals_breslow_cox_with_robust_variance():
    """With nothing competing, weights vanish and psi = 0: crr is coxph(ties = "breslow", robust)."""
    df = frame("heavy")
    df = df.assign(event=(df["event"] == 1).astype(int))
    fg = fine_gray(df, "time", "event", ["x1", "x3", "grp3"])
    cx = cox(df, "time", "event", ["x1", "x3", "grp3"], ties="breslow", robust=True, eps=1e-12, iter_max=50)
    np.testing.assert_allclose(fg.params, cx.params, rtol=1e-9)
    np.testing.assert_allclose(fg.cov, cx.cov, rtol=1e-8)
    np.testing.assert_allclose(fg.naive_cov, cx.naive_cov, rtol=1e-8)
    assert fg.loglik == pytest.approx(cx.loglik, rel=1e-12)


def test_invariant_to_shifting_covariates_and_row_order():
    df = frame("heavy")
    base = fine_gray(df, "time", "event", ["x1", "x3"])
    shifted = fine_gray(df.assign(x1=df["x1"] + 1000.0), "time", "event", ["x1", "x3"])
    shuffled = fine_gray(
        df.sample(frac=1, random_state=np.random.RandomState(3)), "time", "event", ["x1", "x3"]
    )
    for other in (shifted, shuffled):
        np.testing.assert_allclose(other.params, base.params, rtol=1e-9)
        np.testing.assert_allclose(other.summary["se"], base.summary["se"], rtol=1e-8)
    assert shuffled.loglik == pytest.approx(base.loglik, rel=1e-12)


@st.composite
def _data(draw):
    n = draw(st.integers(8, 40))
    t = np.array(draw(st.lists(st.integers(1, 8), min_size=n, max_size=n)), dtype=float)
    status = np.array(draw(st.lists(st.sampled_from([0, 1, 2]), min_size=n, max_size=n)))
    status[0] = 1
    x = np.array(draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=2 * n, max_size=2 * n)))
    beta = np.array(draw(st.lists(st.floats(-1, 1), min_size=2, max_size=2)))
    return t, status, x.reshape(n, 2), beta


@settings(max_examples=60, deadline=None, derandomize=True)
@given(_data())
def test_running_sums_equal_literal_formulas(case):
    """Score, information and crr's sandwich meat by O(n) running sums = the literal O(n^2) sums,
    on tied data (times 1..8) at arbitrary coefficients."""
    t, status, x, beta = case
    data = _finegray.prepare(t, status, x)
    obj, grad, hess, sums = _finegray.gradient_hessian(data, beta)
    ref = pieces(t, status, x, beta)
    scale = 1 + np.abs(ref["info"]).max()
    np.testing.assert_allclose(-obj, ref["loglik"], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(-grad, ref["score"], rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(hess, ref["info"], rtol=1e-9, atol=1e-10 * scale)
    meat = _finegray.sandwich_meat(data, sums)
    np.testing.assert_allclose(meat, ref["meat"], rtol=1e-8, atol=1e-10 * (1 + np.abs(ref["meat"]).max()))


def test_separation_warns():
    """A level with no event of the cause: the coefficient runs off to -infinity (crr says nothing)."""
    df = frame("heavy")
    df = df.assign(event=np.where((df["x3"] == 1) & (df["event"] == 1), 2, df["event"]))
    with pytest.warns(MonotoneLikelihoodWarning, match="'x3' are infinite"):
        fit = fine_gray(df, "time", "event", ["x1", "x3"])
    assert issubclass(MonotoneLikelihoodWarning, SeparationWarning)
    assert fit.infinite_terms == ("x3",) and fit.params["x3"] == -np.inf
    s = fit.summary
    inf_row = s.loc["x3", ["se", "ci_lower", "ci_upper", "z", "p_value"]]
    assert s.loc["x3", "shr"] == 0 and inf_row.isna().all()
    assert np.isfinite(s.loc["x1", ["coef", "se", "ci_lower", "ci_upper", "p_value"]].astype(float)).all()
    assert fit.last_iterate.loc["x3", "coef"] < -10  # what crr prints
    assert np.isfinite(fit.linear_predictor(df)).all()


def test_non_convergence_warns():
    with pytest.warns(ConvergenceWarning, match="stopped after 1 iterations"):
        fit = fine_gray(frame("heavy"), "time", "event", ["x1", "grp3"], max_iter=1)
    assert not fit.converged and fit.iterations == 1


def test_no_warning_on_ordinary_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fine_gray(frame("spm"), "time", "event", ["ht_high", "age"])


def test_reference_level_and_conf_level():
    df = frame("nrm")
    fit = fine_gray(df, "time", "event", "risk", reference={"risk": "low"}, conf_level=0.9)
    assert list(fit.params.index) == ["risk[high]", "risk[intermediate]"]
    base = _fit(next(c for c in CASES if c["data"] == "nrm"))
    # high vs low = -(low vs high)
    assert fit.params["risk[high]"] == pytest.approx(-base.params["risk[low]"], rel=1e-9)
    z = 1.6448536269514722
    s = fit.summary
    np.testing.assert_allclose(s["ci_lower"], np.exp(s["coef"] - z * s["se"]), rtol=1e-12)
    assert fit.conf_level == 0.9


class TestBadInput:
    def test_no_event_of_cause(self):
        df = frame("ties").assign(event=lambda d: d["event"].replace({1: 2}))
        with pytest.raises(InputError, match="no event with code 1"):
            fine_gray(df, "time", "event", ["x3"])

    def test_constant_covariate(self):
        with pytest.raises(InputError, match="'k' are constant"):
            fine_gray(frame("ties").assign(k=1.0), "time", "event", ["x3", "k"])

    def test_collinear_covariates(self):
        df = frame("ties").assign(x4=lambda d: 2 * d["x3"] + 1)
        with pytest.raises(InputError, match="linearly dependent"):
            fine_gray(df, "time", "event", ["x3", "x4"])

    def test_term_without_information(self):
        """Nonzero only for rows censored before any event: no risk set ever sees it vary."""
        df = frame("nrm").query("time >= 1").assign(early=0.0)
        early = pd.DataFrame(
            {"time": [0.5, 0.5], "event": [0, 0], "risk": ["low", "high"], "early": [1.0, 1.0]}
        )
        df = pd.concat([df, early], ignore_index=True)
        with pytest.raises(InputError, match="no information on 'early'"):
            fine_gray(df, "time", "event", ["risk", "early"])

    def test_infinite_covariate(self):
        df = frame("ties").assign(x5=lambda d: np.where(d.index == 4, np.inf, 1.0 * d["x3"]))
        with pytest.raises(InputError, match="infinite values"):
            fine_gray(df, "time", "event", ["x5"])

    def test_text_in_numeric_column(self):
        df = frame("ties").astype({"time": object})
        df.loc[2, "time"] = "three"
        with pytest.raises(InputError, match="not numbers"):
            fine_gray(df, "time", "event", ["x3"])

    def test_all_rows_missing(self):
        with pytest.raises(InputError, match="no row has all"):
            fine_gray(frame("ties").assign(m=np.nan), "time", "event", ["m"])

    def test_max_iter_and_tol(self):
        with pytest.raises(InputError, match="max_iter"):
            fine_gray(frame("ties"), "time", "event", ["x3"], max_iter=-1)
        with pytest.raises(InputError, match="tol"):
            fine_gray(frame("ties"), "time", "event", ["x3"], tol=0)

    def test_predict_unknown_level_and_wald_unknown_term(self):
        fit = _fit(next(c for c in CASES if c["data"] == "nrm"))
        with pytest.raises(InputError, match="not seen when the model was fitted"):
            fit.predict(pd.DataFrame({"risk": ["very high"]}))
        with pytest.raises(InputError, match="not a term"):
            fit.wald_test("age")
        with pytest.raises(InputError, match="DataFrame or a dict"):
            fit.predict([1, 2])
