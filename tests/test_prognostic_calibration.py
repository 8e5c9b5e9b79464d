"""calibration and net_benefit vs tests/reference/score_calibration.R (survfit, cmprsk, Hmisc::cut2,
coxph/crr, riskRegression's calibration data, dcurves' net-benefit definitions written out), the
figures drawn from the results, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie import figures
from cartsie.errors import InputError, MissingValuesWarning
from cartsie.prognostic import Calibration, NetBenefit, calibration, net_benefit
from cartsie.prognostic._calibration import risk_groups
from tests._figures_util import by_gid, clipped, one, texts
from tests.reference.tolerances import assert_estimates, assert_p, load, r_array

REF = load("score_calibration")
GROUP_COLUMNS = ["n", "events", "n_risk", "mean_predicted", "observed", "std_error", "ci_lower", "ci_upper"]


def frame(name: str) -> pd.DataFrame:
    return pd.DataFrame({k: r_array(v) for k, v in REF["data"][name].items()})


def _fit(case: dict) -> Calibration:
    kwargs = {"cause": case["cause"]} if "cause" in case else {}
    return calibration(
        frame(case["data"]), "time", "status", "risk", at=case["at"], groups=case["groups_asked"], **kwargs
    )


CASES = list(REF["calibration"])


@pytest.mark.parametrize("name", CASES)
def test_risk_groups_as_cut2(name):
    case = REF["calibration"][name]
    groups = risk_groups(frame(case["data"])["risk"].to_numpy(), case["groups_asked"])
    np.testing.assert_array_equal(groups, case["group_of_row"])


@pytest.mark.parametrize("name", CASES)
def test_observed_by_group_as_r(name):
    case = REF["calibration"][name]
    res = _fit(case)
    expected_method = "kaplan-meier" if case["event"] == "km" else "aalen-johansen"
    assert res.method == expected_method
    s = res.summary
    assert s["group"].tolist() == r_array(case["groups"]["group"]).astype(int).tolist()
    for col in GROUP_COLUMNS:
        assert_estimates(s[col].to_numpy(), case["groups"][col], what=f"{name} {col}")
    assert res.n == len(frame(case["data"])) and res.n_missing == 0
    assert res.events == s["events"].sum()


@pytest.mark.parametrize("name", CASES)
def test_in_the_large_and_slope_as_r(name):
    case = REF["calibration"][name]
    res = _fit(case)
    itl, sl = case["in_the_large"], case["slope"]
    assert_estimates(
        [
            res.observed,
            res.observed_se,
            res.expected,
            res.oe_ratio,
            res.oe_ci_lower,
            res.oe_ci_upper,
            res.difference,
        ],
        [
            itl[k]
            for k in ("observed", "observed_se", "expected", "oe_ratio", "oe_lower", "oe_upper", "difference")
        ],
        what=f"{name} in the large",
    )
    assert_estimates(
        [res.slope, res.slope_se, res.slope_ci_lower, res.slope_ci_upper, res.slope_z],
        [sl[k] for k in ("slope", "se", "ci_lower", "ci_upper", "z")],
        what=f"{name} slope",
    )
    assert_p(res.slope_p_value, sl["p_value"], what=f"{name} slope p")
    g = res.glance().iloc[0]
    assert g["oe_ratio"] == res.oe_ratio and g["slope"] == res.slope and g["n"] == res.n
    tidy = res.tidy().set_index("term")
    assert tidy.loc["calibration_slope", "estimate"] == res.slope


def test_discrete_score_one_group_per_value():
    res = _fit(REF["calibration"]["km_discrete_12"])
    s = res.summary
    assert len(s) == 4 and (s["min_predicted"] == s["max_predicted"]).all()
    assert s["mean_predicted"].tolist() == [0.1, 0.25, 0.4, 0.6]


@pytest.mark.parametrize("name", ["surv", "cr"])
def test_given_groups_as_riskregression(name):
    """riskRegression::Score(plots = "calibration") + plotCalibration(method = "quantile"): its
    groups given as a column, its predicted (group means) and observed risks."""
    case = REF["riskregression_check"][name]
    df = frame(name).assign(rr_group=np.asarray(case["group_of_row"], dtype=int))
    res = calibration(df, "time", "status", "risk", at=case["at"], groups="rr_group")
    assert_estimates(res.summary["mean_predicted"].to_numpy(), case["predicted"], what="Pred")
    assert_estimates(res.summary["observed"].to_numpy(), case["observed"], what="Obs")
    assert_estimates(
        res.summary["observed"].to_numpy(), case["observed_by_definition"], what="survfit/cuminc"
    )


# --------------------------------------------------------------------------------------------
# net benefit
# --------------------------------------------------------------------------------------------


def _nb(name: str) -> NetBenefit:
    case = REF["net_benefit"][name]
    df = frame(case["data"])
    if name == "binary":
        return net_benefit(df["y"].to_numpy(), df["risk"].to_numpy(), case["thresholds"])
    return net_benefit(
        df=df, time="time", event="status", risk="risk", at=case["at"], thresholds=case["thresholds"]
    )


@pytest.mark.parametrize("name", list(REF["net_benefit"]))
def test_net_benefit_as_dcurves(name):
    case = REF["net_benefit"][name]
    res = _nb(name)
    ref = pd.DataFrame(case["rows"]).sort_values(["threshold", "strategy"], kind="stable")
    got = res.summary.sort_values(["threshold", "strategy"], kind="stable")
    assert got["strategy"].tolist() == ref["strategy"].tolist()
    for col in ref.columns.drop("strategy"):
        assert_estimates(got[col].to_numpy(), ref[col].tolist(), what=f"{name} {col}")
    assert_estimates(res.prevalence, case["prevalence"], what="prevalence")
    assert res.n == case["n"]


def test_net_benefit_nobody_treated_and_treat_all():
    res = _nb("surv_12")
    top = res.summary[res.summary["threshold"] == res.summary["threshold"].max()].set_index("strategy")
    assert top.loc["model", "treated"] == 0 and top.loc["model", "net_benefit"] == 0
    pt = top.index.size and float(res.summary["threshold"].max())
    assert top.loc["all", "net_benefit"] == pytest.approx(
        res.prevalence - pt / (1 - pt) * (1 - res.prevalence)
    )
    wide = _nb("binary").wide()
    assert (
        list(wide.columns) == ["net_benefit", "treat_all", "treat_none"] and (wide["treat_none"] == 0).all()
    )


def test_net_benefit_from_columns_equals_arrays():
    df = frame("binary")
    a = net_benefit(df["y"], df["risk"], [0.1, 0.3])
    b = net_benefit("y", "risk", [0.1, 0.3], df=df)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert b.label == "risk"


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------


def test_risk_outside_unit_interval_names_the_column():
    df = frame("surv")
    df.loc[3, "risk"] = 1.4
    with pytest.raises(InputError, match=r"column 'risk' holds values outside \[0, 1\] \(1.4\) at row 3"):
        calibration(df, "time", "status", "risk", at=12)
    with pytest.raises(InputError, match="column 'risk' holds values outside"):
        net_benefit(df=df, time="time", event="status", risk="risk", at=12, thresholds=[0.2])
    with pytest.raises(InputError, match="'risk' holds values outside"):
        net_benefit([0, 1], [0.2, -0.1], [0.2])


def test_missing_values_counted_and_said():
    df = frame("surv")
    df.loc[[0, 5, 9], "risk"] = np.nan
    with pytest.warns(MissingValuesWarning, match=r"calibration\(\): 3 of 300 rows left out .*risk: 3"):
        res = calibration(df, "time", "status", "risk", at=12)
    assert res.n_missing == 3 and res.n == 297
    with pytest.warns(MissingValuesWarning, match=r"net_benefit\(\): 3 of 300 rows"):
        nb = net_benefit(df=df, time="time", event="status", risk="risk", at=12, thresholds=[0.2])
    assert nb.n_missing == 3


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.2, [0.1, 0.0]])
def test_threshold_outside_open_interval(bad):
    with pytest.raises(InputError, match="thresholds must lie strictly between 0 and 1"):
        net_benefit([0, 1, 1], [0.2, 0.5, 0.7], bad)


def test_other_bad_input():
    df = frame("surv")
    with pytest.raises(InputError, match="column\\(s\\) 'riskx' not found"):
        calibration(df, "time", "status", "riskx", at=12)
    with pytest.raises(InputError, match="at must be one positive time"):
        calibration(df, "time", "status", "risk", at=-1)
    with pytest.raises(InputError, match="groups must be a number of risk groups"):
        calibration(df, "time", "status", "risk", at=12, groups=0)
    with pytest.raises(InputError, match="outcome 'y_true' must be 0/1"):
        net_benefit([0, 2], [0.2, 0.4], [0.3])
    with pytest.raises(InputError, match=r"ends at .* before at = 100"):
        net_benefit(df=df, time="time", event="status", risk="risk", at=100, thresholds=[0.2])


def test_risk_of_exactly_one_gives_no_slope():
    df = frame("surv")
    df.loc[0, "risk"] = 1.0
    with pytest.warns(UserWarning, match="exactly 0 or 1 at row 0"):
        res = calibration(df, "time", "status", "risk", at=12)
    assert np.isnan(res.slope) and np.isfinite(res.oe_ratio)


# --------------------------------------------------------------------------------------------
# figures: drawn from the results' numbers, aggregates only
# --------------------------------------------------------------------------------------------


def test_calibration_plot_draws_the_result():
    res = _fit(REF["calibration"]["km_surv_12"])
    fig = figures.calibration_plot(res, label="Model", note=figures.SYNTHETIC_NOTE)
    x, y = one(fig, "observed").get_data()
    np.testing.assert_array_equal(x, res.summary["mean_predicted"].to_numpy())
    np.testing.assert_array_equal(y, res.summary["observed"].to_numpy())
    bars = one(fig, "ci").get_segments()
    np.testing.assert_array_equal([b[0][1] for b in bars], res.summary["ci_lower"].to_numpy())
    np.testing.assert_array_equal([b[1][1] for b in bars], res.summary["ci_upper"].to_numpy())
    assert one(fig, "ideal") is not None
    bars = by_gid(fig, "histogram")
    hist = res.risk_histogram[res.risk_histogram["lower"] < 0.9999]  # the axes end at 1
    np.testing.assert_allclose([b.get_x() for b in bars], hist["lower"].to_numpy())
    heights = np.array([b.get_height() for b in bars])
    np.testing.assert_allclose(heights / heights.max(), hist["count"] / hist["count"].max())
    shown = " ".join(texts(fig, "annotation"))
    assert "O/E 1.17 (95% CI 1.05-1.31)" in shown and "slope 1.34 (95% CI 1.05-1.62)" in shown
    assert clipped(fig) == []


def test_decision_curve_draws_the_result():
    res = _nb("surv_12")
    fig = figures.decision_curve(res, label="Score")
    s = res.summary
    for gid, strategy in (("model", "model"), ("treat_all", "all"), ("treat_none", "none")):
        x, y = one(fig, gid).get_data()
        rows = s[s["strategy"] == strategy]
        np.testing.assert_array_equal(x, rows["threshold"].to_numpy())
        np.testing.assert_array_equal(y, rows["net_benefit"].to_numpy())
    assert texts(fig, "legend") == ["Score", "Treat all", "Treat none"]
    assert clipped(fig) == []


def test_figures_reject_other_results():
    with pytest.raises(InputError):
        figures.calibration_plot(_nb("binary"))  # type: ignore[arg-type]
    with pytest.raises(InputError):
        figures.decision_curve(_fit(REF["calibration"]["km_surv_12"]))  # type: ignore[arg-type]


def test_no_warning_on_clean_data():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _fit(REF["calibration"]["aj_cr_12"])
        _nb("cr_12")


# --------------------------------------------------------------------------------------------
# identities
# --------------------------------------------------------------------------------------------


def test_one_group_is_the_overall_risk():
    res = calibration(frame("cr"), "time", "status", "risk", at=12, groups=1)
    assert len(res.summary) == 1
    assert res.summary["observed"].iloc[0] == pytest.approx(res.observed, rel=1e-14)
    assert res.summary["mean_predicted"].iloc[0] == pytest.approx(res.expected, rel=1e-14)


def test_survival_net_benefit_without_censoring_is_the_binary_one():
    """Without censoring the Kaplan-Meier risk among the treated is the fraction with an event by
    ``at``: the time-to-event net benefit equals the binary one of ``y = event by at``."""
    rng = np.random.default_rng(7)
    risk = rng.uniform(0.05, 0.9, 200)
    time = rng.exponential(12 / -np.log(1 - risk))
    df = pd.DataFrame({"time": time, "status": 1, "risk": risk})
    pts = [0.1, 0.3, 0.5, 0.95]
    surv = net_benefit(df=df, time="time", event="status", risk="risk", at=12, thresholds=pts)
    binary = net_benefit((time <= 12).astype(int), risk, pts)
    np.testing.assert_allclose(surv.wide().to_numpy(), binary.wide().to_numpy(), rtol=1e-12, atol=1e-15)


def test_model_treating_everybody_is_treat_all():
    res = _nb("discrete_12")  # every risk is >= 0.1, the first threshold
    first = res.summary[res.summary["threshold"] == 0.1].set_index("strategy")
    assert first.loc["model", "treated"] == 1
    assert first.loc["model", "net_benefit"] == pytest.approx(first.loc["all", "net_benefit"], rel=1e-14)
