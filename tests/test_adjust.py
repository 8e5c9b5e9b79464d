"""lp_adjusted() vs the two-stage fits in R (tests/reference/adjust.R): glm, coxph and crr."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartsie.adjust import lp_adjusted
from cartsie.binary import logistic
from cartsie.errors import InputError, MissingValuesWarning
from tests.reference.tolerances import MASS_PROFILE_SE_FRACTION, assert_estimates, assert_p, load, r_array

REF = load("adjust")
ADJUST = REF["adjust_for"]
RESPONSE = {
    "logistic": {"outcome": "y"},
    "cox": {"time": "os_time", "event": "os_event"},
    "fine_gray": {"time": "spm_time", "event": "spm_event"},
}
RATIO = {"logistic": "odds_ratio", "cox": "hr", "fine_gray": "shr"}

#: the fixture has incomplete rows: lp_adjusted says how many it leaves out (checked in `adjusted`)
pytestmark = pytest.mark.filterwarnings(
    r"ignore:lp_adjusted\(\). \d+ of \d+ rows left out:cartsie._missing.MissingValuesWarning"
)


def _column(values: list) -> pd.Series:
    try:
        return pd.Series(r_array(values))
    except KeyError:
        return pd.Series([None if v == "NA" else v for v in values], dtype=object)


def data() -> pd.DataFrame:
    df = pd.DataFrame({k: _column(v) for k, v in REF["data"].items()})
    df["risk"] = pd.Categorical(df["risk"], categories=["low", "mid", "high"])  # R's factor levels
    return df


def r_terms(case) -> list[str]:
    terms = case["terms"] if isinstance(case["terms"], list) else [case["terms"]]
    return [t.replace("risk", "risk[") + "]" if t.startswith("risk") else t for t in terms]


@pytest.fixture(scope="module", params=REF["cases"], ids=lambda c: f"{c['model']}-{c['score']}")
def adjusted(request):
    case = request.param
    df = data()
    with pytest.warns(MissingValuesWarning) as caught:
        res = lp_adjusted(df, case["score"], ADJUST, model=case["model"], **RESPONSE[case["model"]])
    # R's complete.cases count, named by the model, with the columns responsible
    (message,) = [str(w.message) for w in caught]
    assert message.startswith(f"lp_adjusted(): {case['n_missing']} of {len(df)} rows left out")
    assert "bulky: 3, ipi: 1" in message
    return case, res


def test_score_rows_as_r(adjusted):
    case, res = adjusted
    s = res.summary
    assert list(s.index) == r_terms(case)
    assert_estimates(s["coef"], case["coef"], what="coef")
    assert_estimates(s["se"], case["se"], what="se")
    assert_estimates(s["z"], case["z"], what="z")
    assert_p(s["p_value"], case["p"], what="p")
    assert_estimates(np.log(s["ci_lower"]), case["lower"], what="lower")
    assert_estimates(np.log(s["ci_upper"]), case["upper"], what="upper")
    assert_estimates(s[RATIO[case["model"]]], np.exp(r_array(case["coef"])).tolist())
    # the coefficient of the linear predictor itself
    assert_estimates(res.model.params[res.lp_column], case["lp_coef"], what="lp coef")


def test_rows_and_first_stage(adjusted):
    case, res = adjusted
    assert (res.n, res.n_missing) == (case["n"], case["n_missing"])
    assert res.n + res.n_missing == len(data())
    assert res.model.n == res.first_stage.n == res.n  # both stages on the same rows
    first = res.first_stage.params
    assert [t.replace("[", "").replace("]", "") for t in first.index] == case["first_terms"]
    assert_estimates(first, case["first_coef"], what="first stage")
    assert res.model_type == case["model"] and res.adjust_for == tuple(ADJUST)


@pytest.mark.parametrize(
    "case", [c for c in REF["cases"] if c["model"] == "logistic"], ids=lambda c: c["score"]
)
def test_logistic_profile_cis(case):
    res = lp_adjusted(data(), case["score"], ADJUST, outcome="y", ci="profile")
    s = res.summary
    assert_estimates(np.log(s["ci_lower"]), case["profile_lower"])
    assert_estimates(np.log(s["ci_upper"]), case["profile_upper"])
    for ours, key in [(s["ci_lower"], "mass_lower"), (s["ci_upper"], "mass_upper")]:
        diff = np.abs(np.log(ours.to_numpy()) - r_array(case[key]))
        assert np.all(diff <= MASS_PROFILE_SE_FRACTION * s["se"].to_numpy()), key


def test_logistic_linear_predictor_is_glm_predict():
    case = next(c for c in REF["cases"] if c["model"] == "logistic" and c["score"] == "ht_high")
    df = data()
    res = lp_adjusted(df, "ht_high", ADJUST, outcome="y")
    used = df[["ht_high", *ADJUST, "y"]].notna().all(axis=1)
    lp = res.first_stage.linear_predictor(df.loc[used])
    assert_estimates(lp.iloc[:10], case["lp_head"])


def test_same_as_two_explicit_stages():
    df = data()
    used = df.dropna(subset=["risk", *ADJUST, "y"])
    first = logistic(used, "y", ADJUST)
    manual = logistic(used.assign(lp=first.linear_predictor(used)), "y", ["risk", "lp"])
    res = lp_adjusted(df, "risk", ADJUST, outcome="y")
    pd.testing.assert_frame_equal(res.summary, manual.summary.loc[["risk[mid]", "risk[high]"]])


def test_lp_column_name_does_not_clash():
    df = data().assign(lp=1.0)
    res = lp_adjusted(df, "ht_high", ADJUST, outcome="y")
    assert res.lp_column == "lp_" and "lp_" in res.model.params.index
    case = next(c for c in REF["cases"] if c["model"] == "logistic" and c["score"] == "ht_high")
    assert_estimates(res.summary["coef"], case["coef"])


def test_reference_for_score_and_covariates():
    df = data()
    df["risk"] = df["risk"].astype(object)
    res = lp_adjusted(df, "risk", ADJUST, outcome="y", reference={"risk": "low", "histology": "HGBL"})
    case = next(c for c in REF["cases"] if c["model"] == "logistic" and c["score"] == "risk")
    assert_estimates(res.summary.loc[["risk[mid]", "risk[high]"], "coef"], case["coef"])
    assert res.first_stage.reference["histology"] == "HGBL"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "poisson", "outcome": "y"}, "model must be one of"),
        ({"model": "logistic"}, "needs outcome="),
        ({"model": "cox", "time": "os_time"}, "needs time= and event="),
        ({"model": "cox", "time": "os_time", "event": "os_event", "ci": "profile"}, "model=.logistic. only"),
        ({"outcome": "y", "ci": "boot"}, "ci must be"),
        ({"outcome": "nope"}, "'nope' not found"),
        ({"outcome": "y", "reference": {"age": 1}}, "not covariates"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(InputError, match=message):
        lp_adjusted(data(), "ht_high", ADJUST, **kwargs)


def test_bad_covariate_lists():
    df = data()
    with pytest.raises(InputError, match="cannot also be in adjust_for"):
        lp_adjusted(df, "ht_high", ["ht_high", "ipi"], outcome="y")
    with pytest.raises(InputError, match="at least one covariate"):
        lp_adjusted(df, "ht_high", [], outcome="y")
    with pytest.raises(InputError, match="no row"):
        lp_adjusted(df.assign(ipi=np.nan), "ht_high", ADJUST, outcome="y")
