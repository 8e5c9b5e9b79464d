"""The published-vs-reproduced comparison: parsing printed numbers, agreement rules, rendering."""

import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie import cohort, paper, report
from cartsie.datasets import example_path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6.3", (6.3, np.nan, np.nan, np.nan)),
        ("59 (48-66)", (59.0, 48.0, 66.0, np.nan)),
        ("207 (37%)", (207.0, np.nan, np.nan, 37.0)),
        ("NR", (np.nan,) * 4),
    ],
)
def test_parse_value(text, expected):
    np.testing.assert_array_equal(report.parse_value(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"), [(".04", (0.04, "=")), ("<.001", (0.001, "<")), ("", (np.nan, ""))]
)
def test_parse_p(text, expected):
    value, rel = report.parse_p(text)
    assert rel == expected[1]
    assert (np.isnan(value) and np.isnan(expected[0])) or value == expected[0]


def _published(rows):
    cols = [
        "id",
        "source",
        "population",
        "analysis",
        "endpoint",
        "comparison",
        "statistic",
        "value",
        "ci_low",
        "ci_high",
        "p",
        "note",
    ]
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows])


def test_agreement_rules():
    pub = _published(
        [
            ("flow.ht", "R", "LBCL", "flow", "", "", "n", "389", "", "", "", ""),
            ("surv.os.1y.ht.low", "R", "HT", "km", "", "", "percent_at_12m", "78", "", "", "", ""),
            ("spm.fg.ht", "R", "HT", "fine_gray", "", "", "sHR", "2.82", "1.03", "7.76", ".04", ""),
            ("surv.os.logrank.ht", "R", "HT", "logrank", "", "", "p", "", "", "", ".0002", ""),
            ("surv.os.median.global", "R", "HT", "km", "", "", "median_months", "NR", "", "", "", ""),
            ("nrm.deaths", "R", "HT", "count", "", "", "n", "23", "", "", "", ""),
        ]
    )
    rep = pd.DataFrame(
        [
            {
                "id": "flow.ht",
                "value": 389.0,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "p": np.nan,
                "n": 389,
                "note": "",
            },
            {
                "id": "surv.os.1y.ht.low",
                "value": 75.0,
                "ci_low": 70.0,
                "ci_high": 80.0,
                "p": np.nan,
                "n": 1,
                "note": "",
            },
            {"id": "spm.fg.ht", "value": 1.5, "ci_low": 0.8, "ci_high": 2.7, "p": 0.2, "n": 1, "note": ""},
            {
                "id": "surv.os.logrank.ht",
                "value": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "p": 0.01,
                "n": 1,
                "note": "",
            },
            {
                "id": "surv.os.median.global",
                "value": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "p": np.nan,
                "n": 1,
                "note": "not reached",
            },
        ]
    )
    out = report.compare(rep, pub).set_index("id")["agreement"]
    assert out.to_dict() == {
        "flow.ht": "same",
        "surv.os.1y.ht.low": "inside CI",
        "spm.fg.ht": "outside CI",
        "surv.os.logrank.ht": "same conclusion",
        "surv.os.median.global": "same",
        "nrm.deaths": "not reproduced",
    }


def test_reports_on_the_example_hold_no_patient_rows():
    c = cohort.load(example_path("example_patients.csv"), example_path("example_labs.csv"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comparison = report.compare(paper.estimates(c))
    assert len(comparison) == len(report.published())
    md = report.render_markdown(comparison, "Example", ["Synthetic"])
    page = report.render_html(comparison, "Example", ["Synthetic"], {"Flow": "flow.png"})
    for text in (md, page):
        assert "EX0" not in text and "EX1" not in text, "no patient id in a report"
        assert "Patient flow" in text and "| flow.ht |" in md
    assert "<img src='flow.png'" in page


def test_not_estimable_rows_in_the_comparison_and_the_report():
    pub = _published(
        [
            ("spm.fg.ht", "R", "HT", "fine_gray", "", "", "sHR", "2.82", "1.03", "7.76", ".04", ""),
            ("flow.ht", "R", "LBCL", "flow", "", "", "n", "389", "", "", "", ""),
        ]
    )
    reason = "sHR 0: no second primary malignancy in the HT high group"
    rep = pd.DataFrame(
        [
            paper_row("spm.fg.ht", 0.0, estimable=False, reason=reason, note="3 patients without x left out"),
            paper_row("flow.ht", 389.0, n=389),
        ]
    )
    out = report.compare(rep, pub).set_index("id")
    assert out.loc[
        "spm.fg.ht", ["reproduced", "reproduced_ci", "reproduced_p", "agreement", "reason"]
    ].tolist() == [
        "not estimable",
        "",
        "",
        "not estimable",
        reason,
    ]
    assert out.loc["flow.ht", ["agreement", "reason"]].tolist() == ["same", ""]
    comparison = out.reset_index()
    md = report.render_markdown(comparison, "T", estimates=rep)
    assert f"## Not estimable on this cohort\n\n| id | reason |\n|---|---|\n| spm.fg.ht | {reason} |" in md
    assert "## Patients left out of models" in md and "| spm.fg.ht | 3 patients without x left out |" in md
    assert "| spm.fg.ht | sHR | 2.82 | 1.03-7.76 | .04 | not estimable |  |  | not estimable |" in md
    # without the estimates, the not-estimable rows of the comparison are listed
    assert f"| spm.fg.ht | {reason} |" in report.render_markdown(comparison, "T")
    page = report.render_html(comparison, "T", estimates=rep)
    assert "<h2>Not estimable on this cohort</h2>" in page and f"<td>{reason}</td>" in page


def paper_row(id_, value, n=1.0, estimable=True, reason="", note=""):
    return {
        "id": id_,
        "value": value,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p": np.nan,
        "n": n,
        "note": note,
        "estimable": estimable,
        "reason": reason,
    }
