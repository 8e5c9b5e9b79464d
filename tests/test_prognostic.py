"""concordance and Cox(...).concordance vs survival's concordance / coxph (tests/reference/prognostic.R),
plus identities: the AUC without censoring, the O(n^2) definition, orientation and invariances."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cartsie.discrimination import auc
from cartsie.errors import InputError
from cartsie.prognostic import Concordance, concordance
from cartsie.survival import cox
from tests.reference.tolerances import assert_estimates, load, r_array

REF = load("prognostic")


def frame(name: str) -> pd.DataFrame:
    data = REF["data"][name]
    out = {}
    for k, v in data.items():
        try:
            out[k] = r_array(v)
        except KeyError:
            out[k] = v
    return pd.DataFrame(out)


def _opt(case: dict, key: str):
    value = case.get(key)
    return None if value in (None, {}, []) else value


def _case_id(case: dict) -> str:
    extras = [k for k in ("strata", "cluster", "ymax") if _opt(case, k) is not None]
    return f"{case['data']}-{case['score']}-{case['timewt']}-{'rev' if case['reverse'] else 'fwd'}" + "".join(
        f"-{k}" for k in extras
    )


@pytest.mark.parametrize("case", REF["concordance"], ids=_case_id)
def test_concordance_as_survival(case):
    df = frame(case["data"])
    res = concordance(
        df,
        "time",
        "status",
        case["score"],
        higher="risk" if case["reverse"] else "survival",
        timewt=case["timewt"],
        strata=_opt(case, "strata"),
        cluster=_opt(case, "cluster"),
        tau=_opt(case, "ymax"),
    )
    what = _case_id(case)
    assert_estimates(res.estimate, case["concordance"], what=what + " concordance")
    assert_estimates(res.std_error, case["se"], what=what + " se")
    assert_estimates(res.counts.to_numpy(), case["count"], what=what + " counts")
    assert res.n == case["n"] and res.n + res.n_missing == len(df)


def _cox_id(case: dict) -> str:
    return case["name"]


@pytest.mark.parametrize("case", REF["cox"], ids=_cox_id)
def test_cox_concordance_as_coxph(case):
    df = frame(case["data"])
    if "sex" in case["covariates"] or case["name"] == "lung_cluster":
        df["sex"] = df["sex"].astype(float)
    import warnings

    from cartsie.errors import MissingValuesWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingValuesWarning)
        fit = cox(
            df,
            "time",
            "status",
            case["covariates"],
            strata=_opt(case, "strata"),
            cluster=_opt(case, "cluster"),
        )
    c = fit.concordance
    assert isinstance(c, Concordance) and c.higher == "risk" and c.timewt == "n"
    assert_estimates(c.estimate, case["concordance"], what="concordance")
    assert_estimates(c.std_error, case["se"], what="std")
    assert_estimates(c.counts.to_numpy(), case["count"], what="counts")
    assert c.n == case["n"] == fit.n
    assert fit.concordance is c  # computed once


def test_cox_concordance_equals_concordance_of_its_linear_predictor():
    df = frame("lung").dropna(subset=["age", "sex"])
    fit = cox(df, "time", "status", ["age", "sex"])
    df = df.assign(lp=fit.linear_predictor(df))
    direct = concordance(df, "time", "status", "lp")
    assert direct.estimate == pytest.approx(fit.concordance.estimate, rel=1e-12)
    assert direct.std_error == pytest.approx(fit.concordance.std_error, rel=1e-12)
    assert direct.counts.tolist() == fit.concordance.counts.tolist()


# --------------------------------------------------------------------------------------------
# identities
# --------------------------------------------------------------------------------------------


def _brute_force(t, e, x):
    """The definition over all pairs (R's orientation reverse = FALSE, timewt "n"), O(n^2)."""
    conc = disc = tied_x = tied_y = tied_xy = 0
    n = len(t)
    for i in range(n):
        if e[i] != 1:
            continue
        for j in range(n):
            if j == i:
                continue
            if t[j] > t[i] or (t[j] == t[i] and e[j] == 0):
                if x[j] > x[i]:
                    conc += 1
                elif x[j] < x[i]:
                    disc += 1
                else:
                    tied_x += 1
            elif t[j] == t[i] and e[j] == 1 and j > i:
                if x[j] == x[i]:
                    tied_xy += 1
                else:
                    tied_y += 1
    return conc, disc, tied_x, tied_y, tied_xy


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_equal_the_pairwise_definition(seed):
    rng = np.random.default_rng(seed)
    n = 80
    df = pd.DataFrame(
        {"t": rng.integers(1, 9, n).astype(float), "e": rng.integers(0, 2, n), "x": rng.integers(0, 6, n) / 2}
    )
    res = concordance(df, "t", "e", "x", higher="survival")
    expected = _brute_force(df["t"].to_numpy(), df["e"].to_numpy(), df["x"].to_numpy())
    assert res.counts.tolist() == list(map(float, expected))
    c, d, tx = expected[:3]
    assert res.estimate == pytest.approx((c + tx / 2) / (c + d + tx), rel=1e-14)


def test_without_censoring_binary_outcome_is_the_auc():
    """Two distinct times, all events: C is the AUC of the score for 'died first', and the
    variance is DeLong's with 1/m, 1/n in place of 1/(m-1), 1/(n-1)."""
    df = frame("binary")
    c = concordance(df, "time", "status", "score")
    y = (df["time"] == 1).astype(int).to_numpy()
    a = auc(y, df["score"].to_numpy())
    assert c.estimate == pytest.approx(a.auc, rel=1e-12)
    m, k = int(y.sum()), int((1 - y).sum())
    s = df["score"].to_numpy()
    psi = (s[y == 1][:, None] > s[y == 0][None, :]) + 0.5 * (s[y == 1][:, None] == s[y == 0][None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    assert c.variance == pytest.approx(v10.var() / m + v01.var() / k, rel=1e-12)
    assert a.variance == pytest.approx(v10.var(ddof=1) / m + v01.var(ddof=1) / k, rel=1e-12)
    # with two times every time weight gives the same C and variance
    for tw in ("S", "S/G", "n/G2", "I"):
        other = concordance(df, "time", "status", "score", timewt=tw)
        assert other.estimate == pytest.approx(c.estimate, rel=1e-12)
        assert other.variance == pytest.approx(c.variance, rel=1e-10)


def test_orientation_and_invariance():
    df = frame("continuous")
    risk = concordance(df, "time", "status", "score")
    surv = concordance(df, "time", "status", "score", higher="survival")
    assert risk.estimate == pytest.approx(1 - surv.estimate, rel=1e-12)
    assert risk.std_error == pytest.approx(surv.std_error, rel=1e-12)
    assert risk.counts["concordant"] == surv.counts["discordant"]
    # a monotone transformation of the score changes nothing
    moved = concordance(df.assign(score=np.exp(3 * df["score"]) + 7), "time", "status", "score")
    assert moved.estimate == pytest.approx(risk.estimate, rel=1e-12)
    assert moved.std_error == pytest.approx(risk.std_error, rel=1e-12)
    # negating the score is the other orientation
    neg = concordance(df.assign(score=-df["score"]), "time", "status", "score", higher="survival")
    assert neg.estimate == pytest.approx(risk.estimate, rel=1e-12)
    # the order of the rows does not matter
    shuffled = concordance(df.sample(frac=1, random_state=4), "time", "status", "score")
    assert shuffled.estimate == pytest.approx(risk.estimate, rel=1e-12)
    assert shuffled.std_error == pytest.approx(risk.std_error, rel=1e-10)


def test_large_data_matches_the_pairwise_definition_on_a_sample():
    """The packed and unpacked paths of the counting agree (a score with many distinct values)."""
    rng = np.random.default_rng(7)
    n = 3000
    df = pd.DataFrame(
        {"t": rng.exponential(size=n).round(2), "e": rng.integers(0, 2, n), "x": rng.normal(size=n)}
    )
    res = concordance(df, "t", "e", "x", higher="survival")
    sub = df.iloc[:300]
    small = concordance(sub, "t", "e", "x", higher="survival")
    assert small.counts.tolist() == list(
        map(float, _brute_force(*(sub[c].to_numpy() for c in ("t", "e", "x"))))
    )
    assert 0 < res.estimate < 1 and res.counts.sum() > 0


def test_protocol_and_ci():
    df = frame("small")
    c = concordance(df, "time", "status", "score", conf_level=0.90)
    assert c.conf_level == 0.90
    assert c.ci_lower == pytest.approx(c.estimate - 1.6448536269514722 * c.std_error, rel=1e-12)
    assert c.ci_upper == 1.0  # cut to [0, 1]
    assert list(c.summary.index) == ["concordance"]
    tidy = c.tidy()
    assert tidy.loc[0, "term"] == "concordance" and tidy.loc[0, "estimate"] == c.estimate
    assert c.glance().loc[0, "events"] == 4
    assert len(repr(c)) < 2000 and "<table" in c._repr_html_()


def test_missing_rows_and_bad_input():
    df = frame("lung")
    res = concordance(df, "time", "status", "ecog")
    assert res.n_missing == int(df["ecog"].isna().sum()) == 1
    with pytest.raises(InputError, match="higher must be 'risk'"):
        concordance(df, "time", "status", "age", higher="low")
    with pytest.raises(InputError, match="timewt must be one of"):
        concordance(df, "time", "status", "age", timewt="n/G")
    with pytest.raises(InputError, match="no events"):
        concordance(df.assign(status=0), "time", "status", "age")
    with pytest.raises(InputError, match="infinite values"):
        concordance(df.assign(age=np.where(df.index == 3, np.inf, df["age"])), "time", "status", "age")
    with pytest.raises(InputError, match="tau must be a positive number"):
        concordance(df, "time", "status", "age", tau=-1)


def test_no_comparable_pair_gives_nan():
    df = pd.DataFrame({"t": [3.0, 3.0, 1.0], "e": [1, 1, 0], "x": [1.0, 2.0, 3.0]})
    res = concordance(df, "t", "e", "x")
    assert math.isnan(res.estimate) and math.isnan(res.ci_lower)
    assert res.counts["tied_time"] == 1
