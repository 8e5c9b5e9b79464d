"""The study's DOR says whom it is measured in: best-response responders (CART-SIE), or day-90
responders when the data have no best_response -- in the DOR rows' note, the figure caption and the
report's Methods."""

import numpy as np
import pandas as pd
import pytest

from cartsie import cohort, datasets
from cartsie.study._report_methods import methods
from cartsie.study.items import survival

FALLBACK = "DOR among day-90 responders: best_response not given"
BEST = "DOR among best-response responders (CR or PR at any time), from the first response"
M = 30.4375


def _with_best_response() -> pd.DataFrame:
    # EX02: PR on day 30 (2021-07-15), progression on 2021-08-30, PD at day 90 -- lost by day 90
    p = datasets.example_patients()
    p["best_response"] = p["response_day90"]
    ex02 = p["patient_id"] == "EX02"
    p.loc[ex02, "best_response"] = "PR"
    p.loc[ex02, "response_date"] = "2021-07-15"
    return p


@pytest.fixture(scope="module")
def runs():
    labs = datasets.example_labs()
    out = {}
    for name, patients in (("fallback", datasets.example_patients()), ("best", _with_best_response())):
        est = pd.DataFrame(survival.analyse(cohort.load(patients, labs)).estimates).set_index("id")
        out[name] = est
    return out


def test_dor_rows_say_whom_they_measure(runs):
    for name, text in (("fallback", FALLBACK), ("best", BEST)):
        for id_ in ("surv.dor.1y.global", "surv.dor.median.global"):
            assert text in runs[name].loc[id_, "note"], (name, id_)
    assert "not reached" in runs["fallback"].loc["surv.dor.median.global", "note"]
    assert not any("DOR among" in n for n in runs["best"].filter(like="surv.os", axis=0)["note"])


def test_the_early_response_lost_by_day90_joins_the_dor(runs):
    fb, best = runs["fallback"].loc["surv.dor.1y.global"], runs["best"].loc["surv.dor.1y.global"]
    assert best["n"] == fb["n"] + 1
    # EX02's response lasted 46 days and ended in progression: one more early event, so the 1-year
    # DOR of the best-response responders is the fallback's times (n - 1) / n
    n = best["n"]
    assert best["value"] == pytest.approx(fb["value"] * (n - 1) / n)
    assert np.isfinite(fb["value"])


def test_methods_and_caption_name_the_dor_population(runs):
    for name, text in (("fallback", FALLBACK), ("best", BEST)):
        est = runs[name].reset_index()
        sections = dict(methods((), {"data": "example"}, est, {}))
        dor = [line for line in sections["Endpoints"] if line.startswith("Duration of response")]
        assert dor and dor[0].endswith(f"{text}.")
    c = cohort.load(datasets.example_patients(), datasets.example_labs())
    caption = {f.name: f.caption for f in survival.analyse(c).figures}["supp_figure2_dor"]
    assert FALLBACK in caption
