"""Cox models vs R's coxph / summary.coxph / cox.zph, plus identities and the model contract."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie.errors import (
    ConvergenceWarning,
    InputError,
    MissingValuesWarning,
    MonotoneLikelihoodWarning,
    SeparationWarning,
)
from cartsie.survival import cox
from tests._survival_ref import fixture, frame, matrix, none_if_empty
from tests.reference.tolerances import assert_estimates, assert_p

CASES = fixture()["cox"]
CASE = {c["name"]: c for c in CASES}


def _data(case: dict) -> tuple[pd.DataFrame, dict | None]:
    """The case's data; R factors with a given level order become pandas Categoricals, except the
    lung_ref1 case, which uses ``reference=`` to reach R's relevel."""
    df = frame(case["data"])
    factors = none_if_empty(case["factors"]) or {}
    reference = None
    for col, levels in factors.items():
        if case["name"] == "lung_ref1":
            reference = {col: levels[0]}
        else:
            df[col] = pd.Categorical(df[col], categories=levels)
    return df, reference


def _fit(case: dict, **kw):
    df, reference = _data(case)
    # R's "observations deleted due to missingness" is our MissingValuesWarning, with the same count
    expect = (
        pytest.warns(MissingValuesWarning, match=rf"cox\(\): {case['n_missing']} of {len(df)} rows left out")
        if case["n_missing"]
        else warnings.catch_warnings()
    )
    with expect:
        return cox(
            df,
            "time",
            "status",
            case["covariates"] if isinstance(case["covariates"], list) else [case["covariates"]],
            ties=case["ties"],
            cluster=none_if_empty(case["cluster"]),
            strata=none_if_empty(case["strata"]),
            robust=True if case["name"] == "lung_robust" else None,
            reference=reference,
            **kw,
        )


@pytest.fixture(scope="module", params=CASES, ids=[c["name"] for c in CASES])
def fitted(request):
    return request.param, _fit(request.param)


def test_coefficients_and_table(fitted):
    case, fit = fitted
    s = fit.summary
    assert len(s) == len(case["terms"] if isinstance(case["terms"], list) else [case["terms"]])
    assert_estimates(s["coef"], case["coef"], what="coef")
    assert_estimates(s["se"], case["se"], what="se")
    assert_estimates(s["hr"], np.exp(np.atleast_1d(case["coef"])).tolist(), what="hr")
    assert_estimates(s["ci_lower"], case["lower"], what="lower .95")
    assert_estimates(s["ci_upper"], case["upper"], what="upper .95")
    assert_estimates(s["z"], case["z"], what="z")
    assert_p(s["p_value"], case["p"], what="p")
    assert_estimates(fit.cov.to_numpy().ravel(), matrix(case["var"]).ravel().tolist(), what="var")


def test_likelihood_and_counts(fitted):
    case, fit = fitted
    assert_estimates([fit.loglik_null, fit.loglik], case["loglik"], what="loglik")
    assert fit.iterations == case["iter"]
    assert fit.converged
    assert (fit.n, fit.n_events, fit.n_missing) == (case["n"], case["nevent"], case["n_missing"])


def test_global_tests(fitted):
    case, fit = fitted
    t = fit.tests
    for row, key in [("likelihood_ratio", "logtest"), ("score", "sctest"), ("wald", "wald")]:
        stat, df, p = case[key]
        assert_estimates(t.loc[row, "statistic"], stat, what=row)
        assert t.loc[row, "df"] == df
        assert_p(t.loc[row, "p_value"], p, what=row)


def test_robust_variance(fitted):
    case, fit = fitted
    assert fit.robust == case["robust"]
    if not case["robust"]:
        assert "se_naive" not in fit.summary
        assert "robust_score" not in fit.tests.index
        return
    naive = matrix(case["naive_var"])
    assert_estimates(fit.naive_cov.to_numpy().ravel(), naive.ravel().tolist(), what="naive var")
    assert_estimates(fit.summary["se_naive"], np.sqrt(np.diag(naive)).tolist(), what="naive se")
    stat, _, p = case["robscore"]
    assert_estimates(fit.tests.loc["robust_score", "statistic"], stat, what="robust score")
    assert_p(fit.tests.loc["robust_score", "p_value"], p)


@pytest.mark.parametrize("transform", ["km", "rank", "identity", "log"])
def test_cox_zph(fitted, transform):
    case, fit = fitted
    ref = next(z for z in case["zph"] if z["transform"] == transform)
    got = fit.check_ph(transform)
    assert got.transform == transform
    assert list(got.summary.index) == list(np.atleast_1d(ref["terms"]))
    assert_estimates(got.summary["statistic"], ref["chisq"], what=f"zph {transform} chisq")
    assert_estimates(got.summary["df"], ref["df"])
    assert_p(got.summary["p_value"], ref["p"], what=f"zph {transform} p")


# --- encoding, contract, identities ------------------------------------------------------------


def test_term_names_and_reference_levels():
    fit = _fit(CASE["lung_ref1"])
    assert list(fit.params.index) == ["age", "ecog3[0]", "ecog3[2+]"]
    assert fit.reference == {"ecog3": "1"}
    fit = _fit(CASE["vet_efron"])
    assert list(fit.params.index) == [
        "karno",
        "celltype[smallcell]",
        "celltype[adeno]",
        "celltype[large]",
        "trt",
    ]
    assert fit.reference == {"celltype": "squamous"}


def test_linear_predictor_contract():
    case = CASE["lung_efron"]
    fit = _fit(case)
    df, _ = _data(case)
    lp = fit.linear_predictor(df)
    assert lp.index.equals(df.index)
    assert np.isnan(lp[df["ecog3"].isna()]).all()
    b = dict(zip(fit.params.index, case["coef"], strict=True))
    by_hand = (
        b["age"] * df["age"]
        + b["sex[male]"] * (df["sex"] == "male")
        + b["ecog3[1]"] * (df["ecog3"] == "1")
        + b["ecog3[2+]"] * (df["ecog3"] == "2+")
    )
    ok = df["ecog3"].notna()
    np.testing.assert_allclose(lp[ok], by_hand[ok], rtol=1e-6)
    assert fit.cov.shape == (4, 4)
    assert list(fit.cov.index) == list(fit.params.index)


def test_refit_on_linear_predictor_gives_unit_coefficient():
    case = CASE["sim_efron"]
    fit = _fit(case)
    df, _ = _data(case)
    df["lp"] = fit.linear_predictor(df)
    refit = cox(df, "time", "status", ["lp"])
    assert refit.params["lp"] == pytest.approx(1.0, abs=1e-8)
    assert refit.loglik == pytest.approx(fit.loglik, rel=1e-12)


def test_statsmodels_phreg_agrees():
    from statsmodels.duration.hazard_regression import PHReg

    df = frame("sim")
    x = df[["x1", "x2"]].to_numpy()
    for ties in ("efron", "breslow"):
        ref = PHReg(df["time"].to_numpy(), x, status=df["status"].to_numpy(), ties=ties).fit()
        fit = cox(df, "time", "status", ["x1", "x2"], ties=ties)
        np.testing.assert_allclose(fit.params, ref.params, rtol=1e-6)
        np.testing.assert_allclose(fit.summary["se"], ref.bse, rtol=1e-6)


def test_same_ties_result_with_efron_and_breslow_when_untied():
    rng = np.random.default_rng(5)
    df = pd.DataFrame(
        {"t": rng.exponential(size=150), "e": rng.integers(0, 2, 150), "x": rng.normal(size=150)}
    )
    a, b = cox(df, "t", "e", "x"), cox(df, "t", "e", "x", ties="breslow")
    assert a.params["x"] == pytest.approx(b.params["x"], rel=1e-12)


def test_row_order_does_not_matter():
    case = CASE["sim_strata_cluster"]
    df, _ = _data(case)
    shuffled = df.sample(frac=1, random_state=1)
    a = cox(df, "time", "status", ["x1", "x2", "x3"], strata="stratum", cluster="center")
    b = cox(shuffled, "time", "status", ["x1", "x2", "x3"], strata="stratum", cluster="center")
    np.testing.assert_allclose(a.summary.to_numpy(), b.summary.to_numpy(), rtol=1e-10)


def test_conf_level():
    fit = _fit(CASE["lung_efron"], conf_level=0.9)
    s = fit.summary
    np.testing.assert_allclose(s["ci_lower"], np.exp(s["coef"] - 1.6448536269514722 * s["se"]), rtol=1e-12)


# --- warnings and bad input ----------------------------------------------------------------------


def test_infinite_coefficient_warns_and_matches_r_last_iterate():
    ref = fixture()["cox_infinite"]
    df = frame("noevents")  # group C has no events: its coefficient runs to -infinity
    with pytest.warns(MonotoneLikelihoodWarning, match=r"'group\[C\]' are infinite"):
        fit = cox(df, "time", "status", ["group"])
    assert fit.infinite_terms == ("group[C]",)
    s = fit.summary
    assert s.loc["group[C]", "coef"] == -np.inf and s.loc["group[C]", "hr"] == 0
    assert s.loc["group[C]", ["se", "ci_lower", "ci_upper", "z", "p_value"]].isna().all()
    assert np.isnan(fit.cov.loc["group[C]"]).all() and fit.params["group[C]"] == -np.inf
    # the finite term and the last iterate are R's
    assert fit.iterations == ref["iter"]
    assert_estimates(fit.last_iterate["coef"], ref["coef"])
    assert_estimates(fit.last_iterate["se"], ref["se"])
    assert_estimates(
        s.loc["group[B]", ["coef", "se", "z", "p_value"]], [ref[k][0] for k in ("coef", "se", "z", "p")]
    )
    assert_estimates(fit.loglik, ref["loglik"][1])
    lp = fit.linear_predictor(df)
    assert np.all(np.isfinite(lp)) and lp[df["group"] == "C"].iloc[0] == pytest.approx(ref["coef"][1])


def test_monotone_warning_is_a_separation_warning():
    assert issubclass(MonotoneLikelihoodWarning, SeparationWarning)


def test_non_convergence_warns():
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        fit = cox(frame("sim"), "time", "status", ["x1", "x2"], iter_max=2, eps=1e-300)
    assert not fit.converged


def test_an_infinite_coefficient_warns_monotone_likelihood_only():
    """Newton-Raphson runs towards the infinite coefficient by construction: one warning, as R's
    "Loglik converged before variable" (not a second "did not converge")."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = cox(frame("noevents"), "time", "status", ["group"], iter_max=3)
    assert [w.category for w in caught] == [MonotoneLikelihoodWarning]
    assert not fit.converged and fit.summary.loc["group[C]", "coef"] == -np.inf


def test_collinear_terms_rejected():
    df = frame("sim")
    df["x1_copy"] = 2 * df["x1"]
    with pytest.raises(InputError, match="'x1', 'x1_copy' are constant or linear combinations"):
        cox(df, "time", "status", ["x1", "x1_copy"])


def test_constant_covariate_rejected():
    df = frame("sim")
    df["k"] = 1.0
    with pytest.raises(InputError, match="'k'"):
        cox(df, "time", "status", ["x1", "k"])


def test_covariate_constant_within_strata_rejected():
    df = frame("sim")
    df["by_stratum"] = (df["stratum"] == "s2").astype(float)
    with pytest.raises(InputError, match="'by_stratum' are constant within strata"):
        cox(df, "time", "status", ["x1", "by_stratum"], strata="stratum")


def test_bad_ties():
    with pytest.raises(InputError, match="ties must be"):
        cox(frame("sim"), "time", "status", ["x1"], ties="exact")


def test_cluster_without_robust_rejected():
    with pytest.raises(InputError, match="cluster"):
        cox(frame("sim"), "time", "status", ["x1"], cluster="center", robust=False)


def test_no_events_rejected():
    df = frame("sim")
    df["status"] = 0
    with pytest.raises(InputError, match="no events"):
        cox(df, "time", "status", ["x1"])


def test_bad_zph_transform():
    fit = _fit(CASE["sim_efron"])
    with pytest.raises(InputError, match="transform must be one of"):
        fit.check_ph("spline")


def test_no_warning_on_ordinary_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _fit(CASE["vet_efron"])
