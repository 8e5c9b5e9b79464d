"""regression_table(first_stage=True): the paper's supplementary tables of lp_adjusted models, and tidy()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartsie.adjust import lp_adjusted
from cartsie.errors import InputError, SeparationWarning
from cartsie.format import format_ci, format_p, format_ratio
from cartsie.survival import cox
from cartsie.tables import TIDY_COLUMNS, regression_table
from tests._readback import docx_rows, xlsx_rows

ADJUST = ["stage", "bulky", "histology"]
LABELS = {
    "ht_high": "HT score high",
    "stage": "Stage",
    "bulky": "Bulky disease",
    "histology": "Histology",
    "stage[III-IV]": "III-IV",
}
OUTCOMES = {"late_icaht3": "Late ICAHT >= 3", "cr_d90": "CR at day 90", "orr_d90": "Response at day 90"}


def _cohort(seed: int = 4, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(
        {
            "ht_high": rng.integers(0, 2, n),
            "stage": rng.choice(["I-II", "III-IV"], n, p=[0.35, 0.65]),
            "bulky": rng.integers(0, 2, n),
            "histology": rng.choice(["DLBCL", "HGBL", "PMBCL"], n, p=[0.6, 0.25, 0.15]),
        }
    )
    burden = 0.5 * (d["stage"] == "III-IV") + 0.4 * d["bulky"] + 0.3 * (d["histology"] == "HGBL")
    for k, (name, shift) in enumerate([("late_icaht3", -1.2), ("cr_d90", 0.3), ("orr_d90", 0.8)]):
        lp = shift + (-1) ** k * (0.9 * d["ht_high"] + burden)
        d[name] = (rng.uniform(size=n) < 1 / (1 + np.exp(-lp))).astype(int)
    t = rng.exponential(20 * np.exp(-(0.7 * d["ht_high"] + burden)))
    c = rng.uniform(6, 40, n)
    d["os_months"], d["os_event"] = np.minimum(t, c), (t <= c).astype(int)
    return d


@pytest.fixture(scope="module")
def fits():
    d = _cohort()
    return {y: lp_adjusted(d, "ht_high", ADJUST, outcome=y) for y in OUTCOMES}


@pytest.fixture(scope="module")
def supp(fits):
    return regression_table(*fits.values(), first_stage=True, titles=list(OUTCOMES.values()), labels=LABELS)


def _source(fit, stage: str) -> pd.DataFrame:
    return {"second": fit.summary, "first": fit.first_stage.summary}[stage]


def test_rows_align_across_the_outcomes(supp):
    f = supp.to_frame()
    assert f[("", "Characteristic")].tolist() == [
        "HT score high",
        "Stage",
        "I-II",
        "III-IV",
        "Bulky disease",
        "Histology",
        "DLBCL",
        "HGBL",
        "PMBCL",
        "N",
        "Events",
    ]
    assert supp.layout.indent == (0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0)
    assert [s[0] for s in supp.layout.spanners] == list(OUTCOMES.values())
    # every block fills every row: the same covariates, the same levels
    for title in OUTCOMES.values():
        block = f[title]
        assert (block.loc[[0, 3, 4, 7, 8], "OR"] != "").all()
        assert (block.loc[[2, 6], "OR"] == "Reference").all()


def test_every_number_is_the_fits(supp, fits):
    st = supp.stats
    assert len(st) == 3 * 7  # per outcome: the score, then stage (2 levels), bulky, histology (3 levels)
    for (y, title), fit in zip(OUTCOMES.items(), fits.values(), strict=True):
        mine = st[(st["model"] == title) & ~st["reference"]]
        assert mine["stage"].tolist() == ["second", "first", "first", "first", "first"]
        assert mine["term"].tolist() == [
            "ht_high",
            "stage[III-IV]",
            "bulky",
            "histology[HGBL]",
            "histology[PMBCL]",
        ]
        for _, row in mine.iterrows():
            src = _source(fit, row["stage"]).loc[row["term"]]
            assert row["ratio"] == src["odds_ratio"], (y, row["term"])
            assert (row["ci_lower"], row["ci_upper"]) == (src["ci_lower"], src["ci_upper"])
            assert row["p_value"] == src["p_value"]
            assert (row["n"], row["events"]) == (fit.n, fit.model.n_events)
        # the score's row is lp_adjusted's summary; the other rows the linear-predictor model's
        assert mine.iloc[0]["ratio"] == fit.summary.loc["ht_high", "odds_ratio"]
        assert set(mine["term"][1:]) == set(fit.first_stage.summary.index) - {"(Intercept)"}
        ref = st[(st["model"] == title) & st["reference"]]
        assert ref["term"].tolist() == ["stage[I-II]", "histology[DLBCL]"]
        assert (ref["stage"] == "first").all() and (ref["ratio"] == 1).all()
        assert ref["label"].tolist() == ["Stage: I-II", "Histology: DLBCL"]


def test_printed_cells_are_their_formatting(supp):
    f = supp.to_frame()
    stub = f[("", "Characteristic")].tolist()
    header = ""
    for i, name in enumerate(stub[:-2]):
        if supp.layout.indent[i] == 0:
            header = name
        for title in OUTCOMES.values():
            cells = f.loc[i, title].tolist()
            label = name if supp.layout.indent[i] == 0 else f"{header}: {name}"
            rows = supp.stats[(supp.stats["model"] == title) & (supp.stats["label"] == label)]
            if rows.empty:  # a categorical covariate's header row
                assert cells == ["", "", ""]
                continue
            r = rows.iloc[0]
            if r["reference"]:
                assert cells == ["Reference", "", ""]
            else:
                assert cells == [
                    format_ratio(r["ratio"], 2),
                    format_ci(r["ci_lower"], r["ci_upper"], 2, parentheses=False),
                    format_p(r["p_value"]),
                ]


def test_n_events_and_the_footnote(supp, fits):
    f = supp.to_frame()
    for title, fit in zip(OUTCOMES.values(), fits.values(), strict=True):
        assert f.loc[9, (title, "OR")] == str(fit.n) and f.loc[10, (title, "OR")] == str(fit.model.n_events)
    assert supp.footnotes[0] == "OR = odds ratio; CI = confidence interval."
    assert supp.footnotes[1] == (
        "Late ICAHT >= 3, CR at day 90 and Response at day 90: logistic regression; 95% Wald CIs. "
        "HT score high: adjusted by the linear predictor of a logistic model on Stage, Bulky disease, "
        "Histology (lp_adjusted's second stage: outcome ~ HT score high + linear predictor); other rows: "
        "that linear-predictor model (the first stage, on the same patients)."
    )
    assert supp.models["first_stage"].all() and len(supp.footnotes) == 2


def test_tidy_is_the_numbers_behind_the_cells(supp):
    tidy = supp.tidy()
    assert list(tidy.columns) == TIDY_COLUMNS
    assert len(tidy) == len(supp.stats)
    np.testing.assert_array_equal(tidy["estimate"], supp.stats["ratio"])
    for col in ("model", "term", "label", "ci_lower", "ci_upper", "p_value", "n", "events", "reference"):
        pd.testing.assert_series_equal(tidy[col], supp.stats[col], check_names=False)
    assert set(tidy["measure"]) == {"OR"}
    # written as CSV and read back without parsing any text cell
    back = pd.read_csv(pd.io.common.StringIO(tidy.to_csv(index=False)))
    np.testing.assert_allclose(back["estimate"], tidy["estimate"], rtol=1e-15)


def test_without_first_stage_only_the_score(fits):
    t = regression_table(*fits.values(), labels=LABELS)
    assert t.to_frame()[("", "Characteristic")].tolist() == ["HT score high", "N", "Events"]
    assert t.stats["stage"].tolist() == ["second"] * 3
    assert "linear predictor of a model on Stage, Bulky disease, Histology" in t.footnotes[1]


def test_cox_first_stage_and_a_plain_model_beside_it():
    d = _cohort(seed=9)
    adj = lp_adjusted(d, "ht_high", ADJUST, time="os_months", event="os_event", model="cox")
    plain = cox(d, "os_months", "os_event", ["ht_high", *ADJUST])
    t = regression_table(plain, adj, first_stage=True, titles=["Multivariable", "LP-adjusted"], labels=LABELS)
    st = t.stats[~t.stats["reference"]]
    lp_rows = st[st["model"] == "LP-adjusted"]
    for _, row in lp_rows.iterrows():
        assert row["ratio"] == _source(adj, row["stage"]).loc[row["term"], "hr"]
    multi = st[st["model"] == "Multivariable"]
    assert (multi["stage"] == "model").all()
    for _, row in multi.iterrows():
        assert row["ratio"] == plain.summary.loc[row["term"], "hr"]
    # the same rows for both blocks
    assert t.to_frame()[("", "Characteristic")].tolist()[:3] == ["HT score high", "Stage", "I-II"]
    assert "Multivariable: Cox proportional-hazards model (Efron ties); 95% Wald CIs." in t.footnotes


def test_infinite_first_stage_terms():
    d = _cohort(seed=5)
    d.loc[d["histology"] == "PMBCL", "cr_d90"] = 0  # no response among PMBCL: separation in stage one
    with pytest.warns(SeparationWarning):
        fit = lp_adjusted(d, "ht_high", ADJUST, outcome="cr_d90")
    assert "histology[PMBCL]" in fit.first_stage.infinite_terms
    t = regression_table(fit, first_stage=True, labels=LABELS, titles=["CR"])
    f = t.to_frame()
    pmbcl = f[f[("", "Characteristic")] == "PMBCL"].iloc[0]
    assert pmbcl[("CR", "OR")] == "0" and pmbcl[("CR", "95% CI")] == "not estimable"
    row = t.stats.set_index("term").loc["histology[PMBCL]"]
    assert not row["estimable"] and row["stage"] == "first" and row["ratio"] == 0
    assert any(n.startswith("CR: infinite estimate (") and "Histology: PMBCL" in n for n in t.footnotes)


def test_writers_hold_the_same_cells(supp, tmp_path):
    cells = supp.to_frame().to_numpy().tolist()
    assert docx_rows(supp.to_docx(tmp_path / "s.docx"))[2:] == cells
    assert xlsx_rows(supp.to_excel(tmp_path / "s.xlsx"))[2 : 2 + len(cells)] == cells


def test_first_stage_needs_an_lp_adjusted_result():
    d = _cohort()
    with pytest.raises(InputError, match="first_stage=True shows the first-stage rows"):
        regression_table(cox(d, "os_months", "os_event", ["ht_high"]), first_stage=True)


def test_categorical_score_keeps_its_reference_row():
    d = _cohort(seed=6)
    other = np.where(np.arange(len(d)) % 2, "low", "intermediate")
    d["ht_group"] = np.where(d["ht_high"] == 1, "high", other)
    fit = lp_adjusted(d, "ht_group", ADJUST, outcome="cr_d90", reference={"ht_group": "low"})
    t = regression_table(fit, first_stage=True, titles=["CR"], labels=LABELS)
    stub = t.to_frame()[("", "Characteristic")].tolist()
    assert stub[:5] == ["ht_group", "low", "high", "intermediate", "Stage"]  # the reference first
    score = t.stats[t.stats["variable"] == "ht_group"]
    assert (score["stage"] == "second").all() and score["reference"].sum() == 1
    assert score.loc[score["reference"], "level"].item() == "low"
    for _, row in score[~score["reference"]].iterrows():
        assert row["ratio"] == fit.summary.loc[row["term"], "odds_ratio"]
