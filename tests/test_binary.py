"""logistic() vs R's glm / confint / MASS / brglm2 (tests/reference/binary.R), plus identities."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie.binary import logistic
from cartsie.errors import InputError, MissingValuesWarning, SeparationWarning
from tests.reference.tolerances import MASS_PROFILE_SE_FRACTION, assert_estimates, assert_p, load, r_array

REF = load("binary")
CASES = REF["cases"]
CASE = {c["name"]: c for c in CASES}
SEPARATED = ["complete_sep", "quasi_sep", "rare_sep", "zero_events"]
REGULAR = [c for c in CASES if c["name"] not in SEPARATED]


def _column(values: list) -> pd.Series:
    try:
        return pd.Series(r_array(values))
    except KeyError:
        return pd.Series([None if v == "NA" else v for v in values], dtype=object)


def frame(case: dict) -> pd.DataFrame:
    df = pd.DataFrame({k: _column(v) for k, v in REF["data"][case["data"]].items()})
    for col, levels in (case["factors"] or {}).items():
        df[col] = pd.Categorical(df[col], categories=levels)
    return df


def covariates(case: dict) -> list[str]:
    cov = case["covariates"]
    return cov if isinstance(cov, list) else [cov]


def r_term(term: str) -> str:
    """Our ``name[level]`` as R's ``namelevel``."""
    return term.replace("[", "").replace("]", "")


#: the main fixture has incomplete rows; logistic says how many it leaves out (checked below)
pytestmark = pytest.mark.filterwarnings(
    r"ignore:logistic\(\). \d+ of \d+ rows left out:cartsie._missing.MissingValuesWarning"
)


def fit(case: dict, **kw):
    with warnings.catch_warnings():
        if case["name"] in SEPARATED and kw.get("method", "ml") == "ml":
            warnings.simplefilter("ignore", SeparationWarning)
        return logistic(frame(case), "y", covariates(case), **kw)


@pytest.fixture(scope="module", params=REGULAR, ids=lambda c: c["name"])
def wald(request):
    return request.param, fit(request.param)


def test_glm_table(wald):
    case, res = wald
    s = res.summary
    assert [r_term(t) for t in s.index] == case["terms"]
    assert_estimates(s["coef"], case["coef"], what="coef")
    assert_estimates(s["se"], case["se"], what="se")
    assert_estimates(s["z"], case["z"], what="z")
    assert_p(s["p_value"], case["p"], what="p")
    assert_estimates(s["odds_ratio"], np.exp(r_array(case["coef"])).tolist(), what="OR")
    assert_estimates(np.log(s["ci_lower"]), case["wald_lower"], what="Wald lower")
    assert_estimates(np.log(s["ci_upper"]), case["wald_upper"], what="Wald upper")
    assert_estimates(
        res.cov.to_numpy().ravel(), np.array(case["vcov"], dtype=float).ravel().tolist(), what="vcov"
    )


def test_glm_fit_statistics(wald):
    case, res = wald
    assert_estimates(
        [res.deviance, res.null_deviance, res.aic, res.loglik],
        [case["deviance"], case["null_deviance"], case["aic"], case["loglik"]],
    )
    assert (res.n, res.n_missing, res.n_events, res.df_residual) == (
        case["n"],
        case["n_missing"],
        case["n_events"],
        case["df_residual"],
    )
    assert res.iterations == case["iter"] and res.converged
    assert res.separation == "none" and res.infinite_terms == ()


def test_wald_90(wald):
    case, _ = wald
    res = fit(case, conf_level=0.90)
    assert_estimates(np.log(res.summary["ci_lower"]), case["wald90_lower"])
    assert_estimates(np.log(res.summary["ci_upper"]), case["wald90_upper"])


@pytest.mark.parametrize("case", REGULAR, ids=lambda c: c["name"])
def test_profile_likelihood_limits(case):
    res = fit(case, ci="profile")
    s = res.summary
    # exact roots of the profile deviance (uniroot, tol 1e-12, in binary.R)
    assert_estimates(np.log(s["ci_lower"]), case["profile_lower"], what="profile lower")
    assert_estimates(np.log(s["ci_upper"]), case["profile_upper"], what="profile upper")
    # MASS::confint interpolates: within a small fraction of a standard error
    for ours, key in [(s["ci_lower"], "mass_lower"), (s["ci_upper"], "mass_upper")]:
        diff = np.abs(np.log(ours.to_numpy()) - r_array(case[key]))
        assert np.all(diff <= MASS_PROFILE_SE_FRACTION * s["se"].to_numpy()), key
    # estimates and p do not depend on the CI type
    assert_estimates(s["coef"], case["coef"])
    assert_p(s["p_value"], case["p"])
    res90 = fit(case, ci="profile", conf_level=0.90)
    assert_estimates(np.log(res90.summary["ci_lower"]), case["profile90_lower"])
    assert_estimates(np.log(res90.summary["ci_upper"]), case["profile90_upper"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
@pytest.mark.parametrize("ci", ["wald", "profile"])
def test_firth_as_brglm2(case, ci):
    res = fit(case, method="firth", ci=ci)
    ref = case["firth"]
    s = res.summary
    assert_estimates(s["coef"], ref["coef"], what="coef")
    assert_estimates(s["se"], ref["se"], what="se")
    assert_estimates(s["z"], ref["z"], what="z")
    assert_p(s["p_value"], ref["p"], what="p")
    assert res.penalized_loglik == pytest.approx(ref["pen_loglik"], rel=1e-9)
    lower, upper = (
        (ref["wald_lower"], ref["wald_upper"])
        if ci == "wald"
        else (ref["profile_lower"], ref["profile_upper"])
    )
    assert_estimates(np.log(s["ci_lower"]), lower, what=f"{ci} lower")
    assert_estimates(np.log(s["ci_upper"]), upper, what=f"{ci} upper")
    assert res.separation == "none" and np.all(np.isfinite(s["coef"]))


EXPECTED_INFINITE = {
    "complete_sep": ("complete", {"(Intercept)": -np.inf, "x": np.inf}),
    "quasi_sep": ("quasi-complete", {"g": np.inf}),
    "rare_sep": ("quasi-complete", {"(Intercept)": -np.inf, "ht_high": np.inf}),
    "zero_events": ("complete", {"(Intercept)": -np.inf, "x": np.nan}),
}


@pytest.mark.parametrize("name", SEPARATED)
def test_separation_warned_and_flagged(name):
    case = CASE[name]
    with pytest.warns(SeparationWarning, match="separation") as record:
        res = logistic(frame(case), "y", covariates(case))
    kind, infinite = EXPECTED_INFINITE[name]
    assert res.separation == kind
    assert set(res.infinite_terms) == set(infinite)
    for term in infinite:
        assert f"'{term}'" in str(record[0].message)
    s = res.summary
    for term, value in infinite.items():
        assert s.loc[term, "coef"] == value or (math.isnan(value) and math.isnan(s.loc[term, "coef"]))
        assert s.loc[term, ["se", "ci_lower", "ci_upper", "z", "p_value"]].isna().all()
    # R's glm: a huge coefficient; on quasi-separated data glm does not even warn
    r_coef = r_array(case["coef"])
    big = [j for j, t in enumerate(case["terms"]) if t in {r_term(x) for x in infinite}]
    assert np.all(np.abs(r_coef[big]) > 15) or name == "zero_events"
    if name in ("quasi_sep", "rare_sep", "zero_events"):
        assert case["glm_warnings"] == []
    # the finite terms are glm's (same last iterate)
    finite = [j for j, t in enumerate(s.index) if t not in infinite]
    assert_estimates(s["coef"].iloc[finite], r_coef[finite].tolist())
    assert_estimates(s["se"].iloc[finite], r_array(case["se"])[finite].tolist())
    assert_p(s["p_value"].iloc[finite], r_array(case["p"])[finite].tolist())
    assert res.iterations == case["iter"] and res.converged == case["converged"]


def test_separation_profile_cis_are_not_computed():
    case = CASE["quasi_sep"]
    with pytest.warns(SeparationWarning):
        res = logistic(frame(case), "y", covariates(case), ci="profile")
    assert res.summary[["ci_lower", "ci_upper"]].isna().all().all()


def test_linear_predictor_is_glms_even_after_separation():
    """linear_predictor uses glm's (last) coefficients: R's predict(type = "link")."""
    for name in ["main", "rare_sep"]:
        case = CASE[name]
        df = frame(case)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SeparationWarning)
            res = logistic(df, "y", covariates(case))
        lp = res.linear_predictor(df)
        x = res.design.transform(df).to_numpy()
        expected = r_array(case["coef"])[0] + x @ r_array(case["coef"])[1:]
        np.testing.assert_allclose(lp.to_numpy(), expected, rtol=1e-6, equal_nan=True)
        assert lp.index.equals(df.index)
        missing = df[covariates(case)].isna().any(axis=1).to_numpy()
        assert np.isnan(lp.to_numpy()[missing]).all() and np.isfinite(lp.to_numpy()[~missing]).all()
        p = res.predict(df).to_numpy()[~missing]
        np.testing.assert_allclose(p, 1 / (1 + np.exp(-lp.to_numpy()[~missing])), rtol=1e-12)


def test_two_by_two_identities():
    """One binary covariate: OR = cross-product ratio, se = sqrt(1/a + 1/b + 1/c + 1/d)."""
    res = logistic(frame(CASE["sparse"]), "y", ["ht_high"])
    a, b, c, d = 20, 231, 3, 135
    assert res.summary.loc["ht_high", "odds_ratio"] == pytest.approx((a / b) / (c / d), rel=1e-8)
    # glm's SE uses the weights of its second-to-last iterate (as ours, to match R): close, not exact
    assert res.summary.loc["ht_high", "se"] == pytest.approx(
        math.sqrt(1 / a + 1 / b + 1 / c + 1 / d), rel=1e-4
    )
    assert res.summary.loc["(Intercept)", "odds_ratio"] == pytest.approx(c / d, rel=1e-8)


def test_reference_argument_equals_factor_level_order():
    case = CASE["main_relevel"]
    df = frame(case)
    df["histology"] = df["histology"].astype(str).where(df["histology"].notna(), None)
    res = logistic(df, "y", covariates(case), reference={"histology": "HGBL"})
    assert [r_term(t) for t in res.summary.index] == case["terms"]
    assert_estimates(res.summary["coef"], case["coef"])
    assert res.reference == {"histology": "HGBL"}


def test_boolean_outcome_and_single_covariate_string():
    case = CASE["small"]
    df = frame(case).assign(y=lambda d: d["y"] == 1)
    res = logistic(df, "y", "x")
    ref = logistic(frame(case), "y", ["x"])
    assert res.summary.equals(ref.summary)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ci": "exact"}, "ci must be"),
        ({"method": "bayes"}, "method must be"),
        ({"conf_level": 1.5}, "conf_level"),
    ],
)
def test_bad_options(kwargs, message):
    with pytest.raises(InputError, match=message):
        logistic(frame(CASE["small"]), "y", ["x"], **kwargs)


def test_bad_data():
    df = frame(CASE["small"])
    with pytest.raises(InputError, match="'nope' not found"):
        logistic(df, "y", ["nope"])
    with pytest.raises(InputError, match=r"coded 0/1 \(or True/False\); found \['2.0'\] at row 1, 3"):
        logistic(df.assign(y=df["y"].replace({1.0: 2.0})), "y", ["x"])
    with pytest.raises(InputError, match=r"\['x2'\] are linearly dependent"):
        logistic(df.assign(x2=2 * df["x"]), "y", ["x", "x2"])
    with pytest.raises(InputError, match="cannot also be a covariate"):
        logistic(df, "y", ["y"])
    with pytest.raises(InputError, match="no row"):
        logistic(df.assign(x=np.nan), "y", ["x"])
    with pytest.raises(InputError, match=r"\['x'\] have a single level"):
        logistic(df.assign(x="a"), "y", ["x", "g"])


def test_missing_rows_dropped_and_counted():
    case = CASE["main"]
    df = frame(case)
    with pytest.warns(MissingValuesWarning, match=r"^logistic\(\): 4 of \d+ rows left out") as caught:
        res = logistic(df, "y", covariates(case))
    complete = df[["y", *covariates(case)]].notna().all(axis=1)
    assert res.n == complete.sum() and res.n_missing == (~complete).sum() == 4
    assert "(y: 1, age: 3" in str(caught[0].message)


@pytest.mark.parametrize("seed", range(6))
def test_glm_fit_agrees_with_statsmodels_glm(seed):
    """The IRLS engine (R's glm.fit) reaches the maximum statsmodels' GLM reaches, with the same
    covariance (the inverse information of the last step), on designs with and without ties."""
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM

    from cartsie.binary import _logit

    rng = np.random.default_rng(seed)
    n = 60 + 400 * seed
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n), rng.integers(0, 4, n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(x @ np.array([-0.5, 0.8, -0.6, 0.3]))))).astype(float)
    beta, cov, converged, iterations = _logit.glm_fit(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = GLM(y, x, family=Binomial()).fit(maxiter=25, tol=1e-9, rtol=1e-8)
    assert converged and ref.converged and 3 <= iterations <= 8
    np.testing.assert_allclose(beta, ref.params, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(cov, ref.cov_params(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_separation_certificate_agrees_with_the_lp(seed):
    """separation() given the fit certifies 'none' only where the linear program finds none; on
    separated data it falls back to the program."""
    from cartsie.binary import _logit

    rng = np.random.default_rng(seed)
    n = 30 + 20 * seed
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    y = (rng.random(n) < 0.4).astype(float)
    if seed % 2:  # quasi-complete (odd seeds) or complete (seed 7) separation on the binary covariate
        y[x[:, 2] == 1] = 1.0
        if seed == 7:
            y = (x[:, 1] > 0).astype(float)
    beta = _logit.glm_fit(x, y)[0]
    with_fit, lp_only = _logit.separation(x, y, beta=beta), _logit.separation(x, y)
    assert with_fit.kind == lp_only.kind
    np.testing.assert_array_equal(with_fit.direction, lp_only.direction)
    assert (lp_only.kind == "none") == (seed % 2 == 0)
