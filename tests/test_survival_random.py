"""Many small random data sets (tests/reference/survival_random.R): KM quantiles, print.survfit's
table, summary.survfit(times, extend = TRUE) and survdiff, each against R."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartsie.survival import kaplan_meier, logrank
from tests.reference.tolerances import assert_estimates, assert_p, load

REF = load("survival_random")
CASES = REF["cases"]


def _frame(case: dict) -> pd.DataFrame:
    return pd.DataFrame(case["data"])


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
@pytest.mark.parametrize("i", range(len(CASES)))
def test_km_random(i, conf_type):
    ref = CASES[i]["km"][conf_type]
    km = kaplan_meier(_frame(CASES[i]), "time", "status", conf_type=conf_type)
    q = km.quantile([0.25, 0.5, 0.75])
    assert_estimates(q["quantile"], ref["quantile"], what="quantile")
    assert_estimates(q["ci_lower"], ref["lower"], what="quantile lower")
    assert_estimates(q["ci_upper"], ref["upper"], what="quantile upper")
    tb = km.table(rmean="common")
    assert_estimates(tb["median"], ref["table_median"], what="print median")
    assert_estimates(tb["ci_lower"], ref["table_lcl"], what="print LCL")
    assert_estimates(tb["ci_upper"], ref["table_ucl"], what="print UCL")
    assert_estimates(tb["rmean"], ref["rmean"], what="rmean")
    assert_estimates(tb["se_rmean"], ref["se_rmean"], what="se(rmean)")
    at = km.at(REF["times"])
    assert_estimates(at["survival"], ref["at_surv"], what="surv")
    assert_estimates(at["std_err"], ref["at_std_err"], what="std.err")
    assert_estimates(at["ci_lower"], ref["at_lower"], what="lower")
    assert_estimates(at["ci_upper"], ref["at_upper"], what="upper")
    assert_estimates(at["n_risk"], ref["at_n_risk"], what="n.risk")


@pytest.mark.parametrize("i", [i for i, c in enumerate(CASES) if c["logrank"] not in (None, {})])
def test_logrank_random(i):
    ref = CASES[i]["logrank"]
    res = logrank(_frame(CASES[i]), "time", "status", "group")
    assert_estimates(res.statistic, ref["chisq"])
    assert res.df == ref["df"]
    assert_p(res.p_value, ref["p"])
    assert_estimates(res.summary["expected"], np.atleast_1d(ref["expected"]).tolist())
