"""The supplementary tables: each cell is the number of the model it comes from, and the published
adjusted effects sit on their score's row."""

import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie import study, synthetic
from cartsie.adjust import lp_adjusted
from cartsie.study.definitions import ADJUST_FOR, Study
from cartsie.study.items import response, survival, toxicity


@pytest.fixture(scope="module")
def s():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Study(synthetic.cartsie_like(seed=2024))


def _outputs(result):
    return {o.name: o for o in (*result.tables, *result.figures)}


def _direct(s, population, score, **model):
    pop = study.population(s, population)
    adjust = [c for c in ADJUST_FOR if c in pop.columns and pop[c].notna().any()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lp_adjusted(pop, score, adjust, reference={"histology": "DLBCL"}, **model)


# (table, item, block title, population, score, lp_adjusted keywords, ratio column, estimate id)
BLOCKS = [
    ("supp_table2", toxicity, "Late ICAHT grade >= 3", "ht", "ht_high",
     {"outcome": "late_icaht_severe", "model": "logistic"}, "odds_ratio",
     "tox.late_icaht_ge3.ht.or_adjusted"),
    ("supp_table2", toxicity, "Complete response at day 90", "ht", "ht_high",
     {"outcome": "crr_day90", "model": "logistic"}, "odds_ratio", "resp.crr90.ht.or_adjusted"),
    ("supp_table2", toxicity, "Response at day 90", "ht", "ht_high",
     {"outcome": "orr_day90", "model": "logistic"}, "odds_ratio", "resp.orr90.ht.or_adjusted"),
    ("supp_table4", survival, "OS", "ht", "ht_high",
     {"time": "os_months", "event": "os_event", "model": "cox"}, "hr", "surv.os.cox_adjusted.ht"),
    ("supp_table4", survival, "PFS", "ht", "ht_high",
     {"time": "pfs_months", "event": "pfs_event", "model": "cox"}, "hr", "surv.pfs.cox_adjusted.ht"),
    ("supp_table5", response, "Complete response at day 90", "simple_ht", "simple_ht_high",
     {"outcome": "crr_day90", "model": "logistic"}, "odds_ratio", "resp.crr90.simpleht.or_adjusted"),
    ("supp_table6", survival, "OS", "simple_ht", "simple_ht_high",
     {"time": "os_months", "event": "os_event", "model": "cox"}, "hr", "surv.os.cox_adjusted.simpleht"),
]  # fmt: skip


@pytest.mark.parametrize(("table", "item", "block", "population", "score", "model", "ratio", "id_"), BLOCKS)
def test_supplementary_tables_hold_the_models_numbers(
    s, table, item, block, population, score, model, ratio, id_
):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = item.analyse(s)
        t = _outputs(result)[table].make()
        est = study.estimates(s.cohort).set_index("id")
    fit = _direct(s, population, score, **model)
    stats = t.stats[(t.stats["model"] == block) & (t.stats["term"] == score)].iloc[0]
    expected = fit.summary.loc[score]
    got = stats[["ratio", "ci_lower", "ci_upper", "p_value"]].to_numpy(float)
    np.testing.assert_allclose(
        got, expected[[ratio, "ci_lower", "ci_upper", "p_value"]].to_numpy(float), rtol=1e-12
    )
    # the published adjusted effect is the score's row of its table
    np.testing.assert_allclose(
        got, est.loc[id_, ["value", "ci_lower", "ci_upper", "p_value"]].to_numpy(float)
    )
    m = t.models.set_index("title").loc[block]
    assert m["n"] == fit.n and m["n_missing"] == fit.n_missing
    # every other row is the linear-predictor model's (the first stage), reference levels marked
    first = t.stats[(t.stats["model"] == block) & (t.stats["stage"] == "first") & ~t.stats["reference"]]
    ref = fit.first_stage.summary.loc[first["term"]]
    np.testing.assert_allclose(first["ratio"].to_numpy(float), ref[ratio].to_numpy(float), rtol=1e-12)
    np.testing.assert_allclose(first["p_value"].to_numpy(float), ref["p_value"].to_numpy(float), rtol=1e-12)
    assert set(first["variable"]) == set(fit.adjust_for)
    assert t.stats[(t.stats["model"] == block) & t.stats["reference"]]["term"].tolist() == [
        "histology[DLBCL]"
    ]
    # n and events are those of the complete cases over the score, the covariates and the outcome
    pop = study.population(s, population)
    adjust = [c for c in ADJUST_FOR if c in pop.columns and pop[c].notna().any()]
    response_columns = [model["outcome"]] if "outcome" in model else [model["time"], model["event"]]
    complete = pop[[score, *adjust, *response_columns]].dropna()
    assert m["n"] == len(complete) and m["events"] == int((complete[response_columns[-1]] == 1).sum())


def test_supplementary_table3_cells_are_the_rate_and_or_estimates(s):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = response.analyse(s)
    rows = {r["id"]: r for r in result.estimates}
    t = _outputs(result)["supp_table3"].make()
    frame = t.to_frame().set_index("Outcome")
    orr_ht = frame.loc["Overall response at day 90 by HT"]
    low, high, ratio = rows["resp.orr90.ht.low"], rows["resp.orr90.ht.high"], rows["resp.orr90.ht.or"]
    assert orr_ht["Low"] == f"{low['value']:.0f}% ({low['ci_lower']:.0f}-{low['ci_upper']:.0f}%)"
    assert orr_ht["High"].startswith(f"{high['value']:.0f}% (")
    assert orr_ht["OR (95% CI)"] == f"{ratio['value']:.2f} ({ratio['ci_lower']:.2f}-{ratio['ci_upper']:.2f})"
    assert set(t.stats["id"]) >= {"resp.orr90.ht.low", "resp.orr90.ht.or", "resp.crr.global"}
    pd.testing.assert_series_equal(
        t.stats.set_index("id")
        .loc["resp.orr90.ht.or", ["value", "ci_lower", "ci_upper", "p_value"]]
        .astype(float),
        pd.Series(
            {k: ratio[k] for k in ["value", "ci_lower", "ci_upper", "p_value"]}, name="resp.orr90.ht.or"
        ),
        check_names=False,
    )
