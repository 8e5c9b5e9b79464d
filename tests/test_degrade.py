"""Analyses degrade instead of aborting: an estimate a cohort cannot give is a row marked not estimable,
with its reason, and everything else is still computed, written and reported (issue 11, point 7)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartsie import cohort, study, synthetic
from cartsie.adjust import lp_adjusted
from cartsie.competing import fine_gray
from cartsie.descriptive import table_one
from cartsie.errors import ConvergenceWarning, MonotoneLikelihoodWarning
from cartsie.study import estimate as _estimate
from cartsie.study import pipeline, published, registry, report
from cartsie.survival import cox, kaplan_meier

VALUES = ["value", "ci_lower", "ci_upper", "p_value", "n"]
SPM_FG = ["spm.fg.ht", "spm.fg.age", "spm.fg.stage", "spm.fg.bm_involvement", "spm.fg.severe_thrombo"]
ICAHT = {
    "tox.late_icaht_any.rate",
    "tox.late_icaht_ge3.share",
    "tox.early_icaht.ht.low",
    "tox.early_icaht.ht.high",
    "tox.late_icaht_ge3.simpleht.low",
    "tox.late_icaht_ge3.simpleht.high",
    "tox.late_icaht_ge3.ht.or",
    "tox.early_icaht.ht.or",
    "tox.late_icaht_ge3.simpleht.or",
    "tox.late_icaht_ge3.ht.or_adjusted",
    "tox.late_icaht_ge3.ht.sensitivity",
    "tox.late_icaht_ge3.ht.specificity",
    "tox.late_icaht_ge3.ht.lr_pos",
    "tox.late_icaht_ge3.ht.lr_neg",
    "tox.late_icaht_ge3.ht.auc",
}
CYTOPENIAS = {
    "tox.severe_thrombocytopenia.rate",
    "tox.severe_anemia.rate",
    "tox.severe_thrombo.ht.low",
    "tox.severe_thrombo.ht.high",
    "tox.severe_thrombo.ht.or",
    "spm.fg.severe_thrombo",
}


def load(patients: pd.DataFrame, labs: pd.DataFrame | None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # what the input layer finds doubtful is not tested here
        return cohort.load(patients, labs)


def estimates(c) -> pd.DataFrame:
    """study.estimates, asserting that a degraded cohort raises no warning either."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = study.estimates(c)
    assert [str(w.message) for w in caught] == []
    return est.set_index("id")


def reproduce(c, out) -> pipeline.Run:
    run = pipeline.reproduce(c, out, source="degraded")
    assert not [n for n in run.notes if _estimate.UNEXPECTED in n]
    return run


def assert_no_fallback(est: pd.DataFrame) -> None:
    """No estimate failed with an exception cartsie does not anticipate (the broad fallback)."""
    fallback = est[est["reason"].str.startswith(_estimate.UNEXPECTED)]
    assert fallback.empty, fallback["reason"].to_dict()


def assert_same_rows(a: pd.DataFrame, b: pd.DataFrame, ids) -> None:
    ids = sorted(ids)
    pd.testing.assert_frame_equal(a.loc[ids, VALUES], b.loc[ids, VALUES])
    assert a.loc[ids, "estimable"].all() and b.loc[ids, "estimable"].all()


@pytest.fixture(scope="module")
def tables():
    return synthetic.tables(seed=2024)


@pytest.fixture(scope="module")
def base(tables):
    return load(tables.patients, tables.labs)


@pytest.fixture(scope="module")
def base_est(base):
    return estimates(base)


@pytest.fixture(scope="module")
def base_run(base, tmp_path_factory):
    out = tmp_path_factory.mktemp("base")
    return out, reproduce(base, out)


# --- the good cohorts --------------------------------------------------------------------------


def test_builtin_cohort_every_published_estimate_is_estimable(base_est, base_run):
    assert set(published.published()["id"]) <= set(base_est.index) and base_est.index.is_unique
    assert base_est["estimable"].all() and (base_est["reason"] == "").all()
    out, run = base_run
    assert run.not_estimable.empty and list(run.not_estimable.columns) == ["id", "label", "reason"]
    assert pipeline.summary_line(run) == ""
    pd.testing.assert_frame_equal(run.estimates.set_index("id").loc[base_est.index, VALUES], base_est[VALUES])
    assert "not estimable" not in set(run.comparison["agreement"])
    assert "## Not estimable on this cohort" not in (out / "report.md").read_text()


def test_good_cohorts_never_use_the_broad_fallback(base_est):
    assert_no_fallback(base_est)
    data = Path(__file__).parent / "data"
    good = load(pd.read_csv(data / "good_patients.csv"), pd.read_csv(data / "good_labs.csv"))
    est = estimates(good)
    assert_no_fallback(est)
    assert len(est) == len(base_est)
    assert est.loc["flow.enrolled", "value"] == len(good.table) == 5


def test_models_say_how_many_patients_they_left_out(base, base_est, base_run):
    ht = study.population(base, "ht")
    k = int(ht["late_icaht_severe"].isna().sum())
    assert k > 0
    note = base_est.loc["tox.late_icaht_ge3.ht.or", "note"]
    model = "logistic model of late ICAHT grade >= 3 by HT"
    assert note == f"{k} patients without late_icaht_severe left out of the {model}"
    assert base_est.loc["tox.late_icaht_ge3.ht.or", "n"] == len(ht) - k
    adjusted = base_est.loc["tox.late_icaht_ge3.ht.or_adjusted", "note"]
    assert adjusted.startswith("adjusted by the linear predictor of " + ", ".join(study.ADJUST_FOR))
    assert f"{k} patients without late_icaht_severe left out of the adjusted logistic model" in adjusted
    out, run = base_run
    md = (out / "report.md").read_text()
    assert "## Patients left out of models" in md and note in md
    assert list(report.left_out(run.estimates)["id"]).count("tox.late_icaht_ge3.ht.or") == 1


# --- no second primary malignancy --------------------------------------------------------------


def test_cohort_without_spm(tables, base_est, tmp_path):
    c = load(tables.patients.assign(spm_date=None, spm_type=None), tables.labs)
    run = reproduce(c, tmp_path)
    est = run.estimates.set_index("id")
    assert_no_fallback(est)
    for id_ in [*SPM_FG, "spm.myeloid.fg.ht", "spm.time_to_dx.median", "spm.age.median"]:
        assert not est.loc[id_, "estimable"], id_
        assert math.isnan(est.loc[id_, "value"]) and math.isnan(est.loc[id_, "p_value"])
    assert est.loc["spm.fg.ht", "reason"] == "no second primary malignancy in the HT-evaluable population"
    assert est.loc["spm.myeloid.fg.ht", "reason"] == (
        "no myeloid second primary malignancy in the HT-evaluable population"
    )
    # counts and the incidence are still given: 0 of 389, incidence 0 without CI
    assert est.loc["spm.n", ["value", "n"]].tolist() == [0, 389]
    assert est.loc["spm.rate", "value"] == 0 and est.loc["spm.rate", "ci_upper"] == pytest.approx(
        100 * (1 - 0.025 ** (1 / 389))
    )
    assert est.loc["spm.cif.2y", "value"] == 0 and est.loc["spm.cif.2y", "estimable"]
    # every other row is the one of the cohort with its SPMs, and the one computed item by item
    others = [i for i in est.index if not i.startswith("spm.")]
    assert_same_rows(est, base_est, others)
    for it in registry.ITEMS:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            alone = _estimate.frame(it.analyse(c).estimates).set_index("id")
        pd.testing.assert_frame_equal(alone[VALUES], est.loc[alone.index, VALUES])
    assert len(run.not_estimable) == 9
    assert pipeline.summary_line(run).startswith(
        "9 estimates not estimable on this cohort: spm.time_to_dx.median (no second primary malignancy in "
        "the HT-evaluable population), spm.age.median ("
    )
    assert pipeline.summary_line(run).endswith("and 6 more (see report.md)")
    comparison = pd.read_csv(tmp_path / "comparison.csv", keep_default_na=False, na_values=[""]).set_index(
        "id"
    )
    assert comparison.loc["spm.fg.ht", "agreement"] == "not estimable"
    assert math.isnan(comparison.loc["spm.fg.ht", "reproduced"])
    assert comparison.loc["spm.fg.ht", "reason"] == est.loc["spm.fg.ht", "reason"]
    assert (comparison["agreement"] == "not estimable").sum() == 8
    md = (tmp_path / "report.md").read_text()
    assert (
        "| spm.fg.ht | sHR of SPM, HT score high (Fine-Gray) | no second primary malignancy in the "
        "HT-evaluable population |" in md
    )
    assert "figure spm_cif skipped: no second primary malignancy in the HT-evaluable population" in md
    assert not (tmp_path / "figures" / "spm_cif.png").exists()
    assert (tmp_path / "figures" / "figure1a_os_ht.png").exists()
    html = (tmp_path / "report.html").read_text()
    assert "<h2>Not estimable on this cohort</h2>" in html and "<td class='id'>spm.fg.ht</td>" in html


# --- nobody followed to an event -----------------------------------------------------------------


def test_all_censored_cohort(tables, tmp_path):
    no_event = {"progression_date": None, "death_date": None, "death_cause": None, "spm_date": None}
    c = load(tables.patients.assign(**no_event, spm_type=None), tables.labs)
    run = reproduce(c, tmp_path)
    est = run.estimates.set_index("id")
    assert_no_fallback(est)
    reasons = {
        "surv.os.logrank.ht": "no death in the HT-evaluable population",
        "surv.pfs.logrank.simpleht": "no progression or death in the simpleHT-evaluable population",
        "surv.os.cox_adjusted.ht": "no death in the HT-evaluable population",
        "surv.os.cox_adjusted.simpleht": "no death in the simpleHT-evaluable population",
        "spm.fg.age": "no second primary malignancy in the HT-evaluable population",
    }
    for id_, reason in reasons.items():
        assert (est.loc[id_, "estimable"], est.loc[id_, "reason"]) == (False, reason)
    # Kaplan-Meier at one year: 100% (CI 100-100), medians not reached, NRM incidence 0
    for id_ in ("surv.os.1y.global", "surv.pfs.1y.ht.high", "surv.os.1y.simpleht.low"):
        assert est.loc[id_, ["value", "ci_lower", "ci_upper"]].tolist() == [100, 100, 100]
    assert math.isnan(est.loc["surv.os.median.global", "value"])
    assert est.loc["surv.os.median.global", "note"] == "not reached"
    assert est.loc["nrm.1y.global", "value"] == 0 and est.loc["nrm.deaths", "value"] == 0
    # 23 of the paper's items, and every one of the 56 score-performance estimates: no event
    perf = run.not_estimable[run.not_estimable["id"].str.startswith("perf.")]
    assert len(run.not_estimable) == 23 + 56 and len(perf) == 56
    assert perf["reason"].str.startswith("no event in column").all()
    assert any(n.startswith("figure perf_calibration_os skipped: HT score: no event") for n in run.notes)
    assert (
        "figure nrm_simpleht skipped: no non-relapse death in the simpleHT-evaluable population" in run.notes
    )


# --- too few patients ----------------------------------------------------------------------------


def test_three_patient_cohort(tables, tmp_path):
    p = tables.patients
    ids = p.loc[(p["infused"] == 1) & (p["histology"] == "DLBCL"), "patient_id"].iloc[:3]
    c = load(p[p["patient_id"].isin(ids)], tables.labs[tables.labs["patient_id"].isin(ids)])
    run = reproduce(c, tmp_path)
    est = run.estimates.set_index("id")
    assert_no_fallback(est)
    assert set(published.published()["id"]) <= set(est.index) and est.index.is_unique
    flow = est.loc[["flow.enrolled", "flow.lbcl", "flow.simpleht", "flow.ht"], "value"].tolist()
    assert flow == [3, 3, 3, int(study.population(c, "ht").shape[0])] and flow[-1] == 1
    glob = study.population(c, "simple_ht")
    crs = glob["crs_any"].dropna()
    assert est.loc["tox.crs_any.rate", ["value", "n"]].tolist() == pytest.approx([100 * crs.mean(), len(crs)])
    assert est.loc["table1.simpleHT.n.total", "value"] == 3
    assert est.loc["table1.simpleHT.age_median.total", "value"] == glob["age"].median()
    # the one HT-evaluable patient is HT low: every HT-high estimate says so
    high = [i for i in est.index if i.startswith("table1.HT.") and i.endswith(".high") and "ldh" not in i]
    high.remove("table1.HT.n.high")
    assert len(high) == 18 and (est.loc[high, "reason"] == "nobody HT high").all()
    for id_ in ("table1.HT.n.high", "table1.HT.ldh_missing.high"):
        assert est.loc[id_, "value"] == 0 and est.loc[id_, "estimable"]
    assert est.loc["table1.HT.ldh_missing.total", "value"] == 1  # LDH unknown for the one patient
    assert est.loc["table1.HT.ldh_gt_uln.total", "reason"] == (
        "ldh_above_uln unknown for every patient of the HT-evaluable population"
    )
    assert est.loc["surv.os.logrank.ht", "reason"] == "nobody HT high"
    last = kaplan_meier(glob, "os_months", "os_event").curves["time"].max()
    assert est.loc["surv.os.1y.global", "reason"] == (
        f"no OS follow-up to 12 months (the last is at {last:.1f} months)"
    )
    assert est.loc["tox.late_icaht_ge3.ht.auc", "reason"] == (
        "no late ICAHT grade >= 3 among the HT-evaluable patients"
    )
    assert pipeline.summary_line(run).startswith(f"{len(run.not_estimable)} estimates not estimable")
    assert "figure figure1a_os_ht skipped: nobody HT high" in run.notes
    assert (tmp_path / "tables" / "table1_ht.md").exists()


# --- an empty risk group -------------------------------------------------------------------------


def test_nobody_ht_high(tables, base, tmp_path):
    normal = {"anc": 5.0, "hb": 14.0, "plt": 300.0, "crp": 0.1, "ferritin": 100.0}
    p = tables.patients.copy()
    evaluable = p[list(normal)].notna()  # keep who is evaluable: only the values change
    for col, v in normal.items():
        p[col] = p[col].where(~evaluable[col], v)
    c = load(p, tables.labs)
    assert (study.population(c, "ht")["ht_high"] == 0).all()
    assert len(study.population(c, "ht")) == len(study.population(base, "ht"))
    run = reproduce(c, tmp_path)
    est = run.estimates.set_index("id")
    assert_no_fallback(est)
    high = [i for i in est.index if ".ht." in i and i.endswith(".high")]
    assert len(high) >= 8 and (est.loc[high, "reason"] == "nobody HT high").all()
    for id_ in ("surv.os.logrank.ht", "surv.os.cox_adjusted.ht", "tox.crs_any.ht.or", "spm.fg.ht"):
        assert est.loc[id_, "reason"] == "nobody HT high", id_
    assert est.loc["tox.late_icaht_ge3.ht.lr_pos", "reason"] == "nobody HT high"
    # the low group is the whole HT population: its one-year OS is the overall Kaplan-Meier's
    ht = study.population(c, "ht")
    at = kaplan_meier(ht, "os_months", "os_event").at([12.0]).iloc[0]
    assert est.loc["surv.os.1y.ht.low", "value"] == pytest.approx(100 * at["survival"], rel=1e-12)
    assert est.loc["surv.os.1y.ht.low", "n"] == len(ht)
    assert est.loc["tox.late_icaht_ge3.ht.sensitivity", "value"] == 0
    assert est.loc["tox.late_icaht_ge3.ht.specificity", "value"] == 100
    assert "figure figure1a_os_ht skipped: nobody HT high" in run.notes
    assert not (tmp_path / "figures" / "figure1a_os_ht.png").exists()


# --- no labs table -------------------------------------------------------------------------------


def test_no_labs_table(tables, base_est, tmp_path):
    c = load(tables.patients, None)
    run = reproduce(c, tmp_path)  # used to stop with KeyError: 'late_icaht'
    est = run.estimates.set_index("id")
    assert_no_fallback(est)
    not_estimable = set(run.not_estimable["id"])
    assert not_estimable == ICAHT | CYTOPENIAS
    assert (est.loc[sorted(ICAHT), "reason"] == "no labs table: ICAHT not graded").all()
    assert (est.loc[sorted(CYTOPENIAS), "reason"] == "no labs table: severe cytopenias not graded").all()
    assert_same_rows(est, base_est, set(est.index) - not_estimable)


# --- an absent covariate -------------------------------------------------------------------------


def test_absent_covariates_are_named(tables, base_est, tmp_path):
    c = load(tables.patients.drop(columns=["bone_marrow_involvement", "bridging"]), tables.labs)
    run = reproduce(c, tmp_path)
    est = run.estimates.set_index("id")
    assert_no_fallback(est)
    r = est.loc["spm.fg.bm_involvement"]
    assert (r["estimable"], r["reason"]) == (False, "column 'bone_marrow_involvement' absent from the data")
    assert not est.loc[[f"table1.HT.bridging.{g}" for g in ("total", "low", "high")], "estimable"].any()
    note = est.loc["surv.os.cox_adjusted.ht", "note"]
    kept = [a for a in study.ADJUST_FOR if a != "bridging"]
    assert note.startswith("adjusted by the linear predictor of " + ", ".join(kept) + "; ")
    assert "not adjusted for bridging (absent from the data)" in note
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = lp_adjusted(
            study.population(c, "ht"), "ht_high", kept, time="os_months", event="os_event", model="cox"
        )
    s = fit.summary.iloc[0]
    assert est.loc[
        "surv.os.cox_adjusted.ht", ["value", "ci_lower", "ci_upper", "p_value"]
    ].tolist() == pytest.approx([s["hr"], s["ci_lower"], s["ci_upper"], s["p_value"]], rel=1e-12)
    assert "not adjusted for bridging (absent from the data)" in (tmp_path / "report.md").read_text()
    unaffected = [
        i
        for i in est.index
        if i.startswith(("surv.os.1y", "flow.", "nrm.", "resp.orr")) and "adjusted" not in i
    ]
    assert_same_rows(est, base_est, unaffected)


# --- a group without events: Cox and Fine-Gray with an infinite ratio ---------------------------


@pytest.fixture(scope="module")
def no_death_in_ht_low(tables, base):
    ht = study.population(base, "ht")
    p = tables.patients.copy()
    low = p["patient_id"].isin(ht.index[ht["ht_high"] == 0])
    p.loc[low, ["death_date", "death_cause"]] = None
    return load(p, tables.labs)


def test_cox_with_a_group_without_events(no_death_in_ht_low):
    ht = study.population(no_death_in_ht_low, "ht")
    assert ht.loc[ht["ht_high"] == 0, "os_event"].sum() == 0
    with pytest.warns(MonotoneLikelihoodWarning, match="'ht_high' are infinite"):
        fit = cox(
            ht[["os_months", "os_event", "ht_high"]].astype(float), "os_months", "os_event", ["ht_high"]
        )
    s = fit.summary.loc["ht_high"]
    assert s["coef"] == np.inf and s["hr"] == np.inf
    assert np.isnan(s[["se", "ci_lower", "ci_upper", "z", "p_value"]].astype(float)).all()
    assert fit.infinite_terms == ("ht_high",) and fit.last_iterate.loc["ht_high", "coef"] > 5
    est = estimates(no_death_in_ht_low)
    r = est.loc["surv.os.cox_adjusted.ht"]
    assert r["value"] == np.inf and np.isnan(r[["ci_lower", "ci_upper", "p_value"]].astype(float)).all()
    assert (r["estimable"], r["reason"]) == (False, "HR infinite: no death in the HT low group")
    assert est.loc["surv.os.1y.ht.low", ["value", "ci_lower", "ci_upper"]].tolist() == [100, 100, 100]
    assert est.loc["surv.os.cox_adjusted.simpleht", "estimable"]


def test_fine_gray_with_a_group_without_events(tables, base):
    ht = study.population(base, "ht")
    p = tables.patients.copy()
    p.loc[p["patient_id"].isin(ht.index[ht["ht_high"] == 1]), ["spm_date", "spm_type"]] = None
    c = load(p, tables.labs)
    pop = study.population(c, "ht")[["spm_months", "spm_event", "ht_high"]].astype(float)
    with pytest.warns(MonotoneLikelihoodWarning, match="'ht_high' are infinite"):
        fit = fine_gray(pop, "spm_months", "spm_event", ["ht_high"])
    s = fit.summary.loc["ht_high"]
    assert s["coef"] == -np.inf and s["shr"] == 0
    assert np.isnan(s[["se", "ci_lower", "ci_upper", "z", "p_value"]].astype(float)).all()
    # crr would print the last iterate: a tiny sHR with a tiny CI and p = 0, as if precise
    assert fit.last_iterate.loc["ht_high", "coef"] < -10
    est = estimates(c)
    r = est.loc["spm.fg.ht"]
    assert r["value"] == 0 and np.isnan(r[["ci_lower", "ci_upper", "p_value"]].astype(float)).all()
    assert (r["estimable"], r["reason"]) == (
        False,
        "sHR 0: no second primary malignancy in the HT high group",
    )
    assert est.loc["spm.fg.age", "estimable"]


# --- the guard itself ------------------------------------------------------------------------------


def test_guard_keeps_a_failure_to_its_row_and_passes_other_warnings_on():
    def failing():
        raise ZeroDivisionError("division by zero")

    r = _estimate.estimate("x.y", "X", failing)
    assert (r["estimable"], r["reason"]) == (False, "unexpected error (ZeroDivisionError: division by zero)")
    assert list(r) == list(study.COLUMNS)

    def noisy():
        warnings.warn("stopped early", ConvergenceWarning, stacklevel=2)
        return _estimate.row(1.5)

    with pytest.warns(ConvergenceWarning, match=r"^x\.z: stopped early$"):
        r = _estimate.estimate("x.z", "Z", noisy)
    assert r["estimable"] and r["value"] == 1.5

    def cannot():
        raise _estimate.NotEstimable("nobody HT high")

    assert _estimate.estimate("x.w", "W", cannot)["reason"] == "nobody HT high"


def test_shared_computation_fails_for_each_estimate():
    calls = []

    def fit():
        calls.append(1)
        return table_one(pd.DataFrame({"g": ["a"], "v": [1.0]}), "g", ["nope"])

    s = study.Study(None)
    rows = [_estimate.estimate(i, "T", lambda: _estimate.row(s.cached("fit", fit))) for i in ("t.1", "t.2")]
    assert len(calls) == 1
    assert [r["estimable"] for r in rows] == [False, False]
    assert rows[0]["reason"] == rows[1]["reason"] and "'nope' not found" in rows[0]["reason"]


def test_no_ferritin_column_leaves_the_ht_population_empty_and_the_run_completes(tmp_path):
    """Without ferritin nobody is HT evaluable: Table 1 by HT is written (empty), its rows are not
    estimable, and the simpleHT analyses are untouched."""
    import warnings as _w

    from cartsie import cohort as _cohort
    from cartsie.study import pipeline as _pipeline

    data = Path(__file__).parent / "data"
    with _w.catch_warnings():
        _w.simplefilter("ignore")
        c = _cohort.load(
            pd.read_csv(data / "good12_patients.csv").drop(columns="ferritin"), data / "good12_labs.csv"
        )
        run = _pipeline.reproduce(c, tmp_path, items=("table1",))
    assert c.flow.set_index("step").loc["HT evaluable", "n"] == 0
    est = run.estimates.set_index("id")
    assert not est.loc["table1.HT.n.total", "value"] or est.loc["table1.HT.n.total", "value"] == 0
    assert (
        est.loc["table1.simpleHT.n.total", "value"] == c.flow.set_index("step").loc["simpleHT evaluable", "n"]
    )
    assert (tmp_path / "tables" / "table1_ht.md").is_file()
    reason = run.not_estimable.set_index("id").loc["table1.HT.age_median.total", "reason"]
    assert reason == "no patient in the HT-evaluable population"
