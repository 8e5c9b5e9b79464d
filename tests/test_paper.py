"""study.estimates computes each published quantity with the same call a statistician would write."""

import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie import cohort, study
from cartsie.competing import cumulative_incidence
from cartsie.datasets import example_path
from cartsie.descriptive import median_ci
from cartsie.survival import kaplan_meier, logrank


@pytest.fixture(scope="module")
def example():
    return cohort.load(example_path("example_patients.csv"), example_path("example_labs.csv"))


@pytest.fixture(scope="module")
def est(example):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a dozen patients: the Fine-Gray fits warn of separation
        return study.estimates(example).set_index("id")


def test_ids_are_unique_and_named_like_the_paper(est):
    assert est.index.is_unique
    assert {"flow.ht", "surv.os.1y.ht.low", "nrm.1y.global", "spm.fg.ht"} <= set(est.index)
    assert list(est.reset_index().columns) == list(study.COLUMNS)
    assert est["estimable"].dtype == bool
    assert (est.loc[est["estimable"], "reason"] == "").all()
    assert (est.loc[~est["estimable"], "reason"] != "").all()


def test_flow_counts(est):
    assert est.loc[
        ["flow.enrolled", "flow.infused", "flow.lbcl", "flow.simpleht", "flow.ht"], "value"
    ].tolist() == [12, 11, 10, 10, 9]
    assert est.loc["flow.ht_missing", "value"] == 1


def test_rates_are_percentages_of_the_known(example, est):
    glob = study.population(example, "simple_ht")
    crs = glob["crs_any"].dropna()
    assert est.loc["tox.crs_any.rate", "value"] == pytest.approx(100 * crs.mean())
    assert est.loc["tox.crs_any.rate", "n"] == len(crs)
    ht = study.population(example, "ht")
    high = ht.loc[ht["ht_high"] == 1, "early_icaht"]
    assert est.loc["tox.early_icaht.ht.high", "value"] == pytest.approx(100 * high.mean())


def test_one_year_survival_and_logrank_by_group(example, est):
    pop = study.population(example, "simple_ht")
    km = kaplan_meier(pop, "os_months", "os_event", group="simple_ht_group").at([12.0]).set_index("group")
    assert est.loc["surv.os.1y.simpleht.high", "value"] == pytest.approx(100 * km.loc["high", "survival"])
    assert est.loc["surv.os.1y.simpleht.high", "ci_lower"] == pytest.approx(100 * km.loc["high", "ci_lower"])
    p = logrank(pop, "os_months", "os_event", "simple_ht_group").p_value
    assert est.loc["surv.os.logrank.simpleht", "p_value"] == pytest.approx(p)


def test_nrm_cumulative_incidence(example, est):
    ht = study.population(example, "ht")
    at = cumulative_incidence(ht, "nrm_months", "nrm_event").at([12.0], cause=1).iloc[0]
    assert est.loc["nrm.1y.global", "value"] == pytest.approx(100 * at["estimate"])
    assert est.loc["nrm.deaths", "value"] == int((ht["nrm_event"] == 1).sum()) == 1


def test_spm_counts_and_timing(example, est):
    ht = study.population(example, "ht")
    assert est.loc["spm.n", "value"] == 1 and est.loc["spm.myeloid.n", "value"] == 1
    t = ht.loc[ht["spm_event"] == 1, "spm_months"].iloc[0]
    # one value: its exact CI is unbounded (DescTools::MedianCI gives -Inf, Inf); the range is in the note
    assert est.loc["spm.time_to_dx.median", ["value", "ci_lower", "ci_upper"]].tolist() == [
        t,
        -np.inf,
        np.inf,
    ]
    assert est.loc["spm.time_to_dx.median", "note"].startswith(f"range {t:.4g}-{t:.4g}")
    # the one SPM is in the HT low group: the sHR of HT high is 0, not a tiny number with a tiny CI
    fg = est.loc["spm.fg.ht"]
    assert fg["value"] == 0 and np.isnan(fg[["ci_lower", "ci_upper", "p_value"]].astype(float)).all()
    assert not fg["estimable"] and fg["reason"] == "sHR 0: no second primary malignancy in the HT high group"
    assert isinstance(est, pd.DataFrame)


def test_table1_cells_are_table_one(example, est):
    t1 = study.table1(example, "HT")
    cells = t1.stats
    age = cells[(cells["variable"] == "age") & (cells["group"] == "high")].iloc[0]
    ht = study.population(example, "ht")
    m = median_ci(ht.loc[ht["ht_group"] == "high", "age"])
    assert est.loc["table1.HT.age_median.high", ["value", "ci_lower", "ci_upper", "interval"]].tolist() == [
        age["median"],
        m.ci_lower,
        m.ci_upper,
        "ci",
    ]
    assert est.loc["table1.HT.age_median.high", "note"].startswith(f"IQR {age['q1']:.4g}-{age['q3']:.4g}")
    female = cells[(cells["variable"] == "sex") & (cells["level"] == "F") & (cells["group"] == "total")].iloc[
        0
    ]
    assert est.loc["table1.HT.sex_female.total", "value"] == pytest.approx(female["percent"])
    assert est.loc["table1.HT.sex_female.total", "n"] == female["n"]
    p = t1.summary.set_index("variable").loc["sex", "p_value"]
    assert est.loc["table1.HT.sex_female.total", "p_value"] == pytest.approx(float(np.atleast_1d(p)[0]))
    assert est.loc[["table1.HT.n.total", "table1.HT.n.low", "table1.HT.n.high"], "value"].tolist() == [
        9,
        4,
        5,
    ]


def test_odds_ratios_and_discrimination(example, est):
    from cartsie.binary import logistic
    from cartsie.discrimination import auc, diagnostic_metrics

    simple = study.population(example, "simple_ht")
    fit = logistic(simple[["crr_day90", "simple_ht_high"]].astype(float), "crr_day90", ["simple_ht_high"])
    row = fit.summary.loc["simple_ht_high"]
    assert est.loc[
        "resp.crr90.simpleht.or", ["value", "ci_lower", "ci_upper", "p_value"]
    ].tolist() == pytest.approx([row["odds_ratio"], row["ci_lower"], row["ci_upper"], row["p_value"]])
    ht = study.population(example, "ht")
    sens = diagnostic_metrics(ht["late_icaht_severe"], ht["ht_high"]).summary.loc["sensitivity", "estimate"]
    assert est.loc["tox.late_icaht_ge3.ht.sensitivity", "value"] == pytest.approx(100 * sens)
    assert est.loc["tox.late_icaht_ge3.ht.auc", "value"] == pytest.approx(
        100 * auc(ht["late_icaht_severe"], ht["ht_high"]).auc
    )


def test_models_that_cannot_be_fitted_say_why(est):
    # a dozen patients: the adjustment covariates are collinear, as R's NA coefficients would show
    r = est.loc["surv.os.cox_adjusted.ht"]
    assert np.isnan(r["value"]) and not r["estimable"]
    assert r["reason"].startswith("cox(): term(s) 'stage_advanced', 'histology[PMBCL]', 'refractory'")


def test_separated_odds_ratios_keep_their_direction(est):
    # no severe late ICAHT among the HT-low patients of the example: OR infinite, no CI, no p
    r = est.loc["tox.late_icaht_ge3.ht.or"]
    assert r["value"] == np.inf and np.isnan(r[["ci_lower", "ci_upper", "p_value"]].astype(float)).all()
    assert not r["estimable"] and r["reason"] == "OR infinite: no late ICAHT grade >= 3 in the HT low group"
