"""The published-vs-reproduced comparison: parsing printed numbers, agreement rules, rendering."""

import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie import cohort, study
from cartsie.datasets import example_path
from cartsie.study import compare, published, report
from cartsie.study import estimate as _estimate


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
    np.testing.assert_array_equal(published.parse_value(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"), [(".04", (0.04, "=")), ("<.001", (0.001, "<")), ("", (np.nan, ""))]
)
def test_parse_p(text, expected):
    value, rel = published.parse_p(text)
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


def typed(id_, value, ci=(np.nan, np.nan), interval=None, p=np.nan, n=1.0, note="", **flags):
    """A typed estimate row as the study's items make it."""
    r = {"id": id_, "label": f"label of {id_}", **_estimate.row(value, ci, interval, p, n, note)}
    return r | flags


def test_published_numbers_are_parsed_with_their_interval_kind():
    pub = _published(
        [
            (
                "table1.HT.age_median.total",
                "T1",
                "HT",
                "d",
                "",
                "",
                "summary",
                "59 (48-66)",
                "",
                "",
                ".41",
                "",
            ),
            (
                "table1.HT.sex_female.total",
                "T1",
                "HT",
                "d",
                "",
                "",
                "summary",
                "133 (34%)",
                "",
                "",
                ".27",
                "",
            ),
            (
                "spm.time_to_dx.median",
                "R",
                "HT",
                "d",
                "",
                "",
                "median_months",
                "11.7",
                "4.8",
                "19.1",
                "",
                "range, not CI",
            ),
            ("spm.fg.ht", "R", "HT", "fg", "", "", "sHR", "2.82", "1.03", "7.76", "<.001", ""),
        ]
    )
    got = published.numbers(pub).set_index("id")
    cols = ["published", "published_n", "published_ci_lower", "published_ci_upper", "published_interval"]
    assert got.loc["table1.HT.age_median.total", cols].tolist()[2:] == [48.0, 66.0, "iqr"]
    assert got.loc["table1.HT.sex_female.total", ["published", "published_n"]].tolist() == [34.0, 133.0]
    assert got.loc["spm.time_to_dx.median", "published_interval"] == "range"
    assert got.loc["spm.fg.ht", ["published_p", "published_p_text", "published_p_relation"]].tolist() == [
        0.001,
        "<.001",
        "<",
    ]


def test_agreement_rules():
    pub = _published(
        [
            ("flow.ht", "R", "LBCL", "flow", "", "", "n", "389", "", "", "", ""),
            ("table1.HT.n.low", "T1", "HT", "d", "", "", "summary", "138", "", "", "", ""),
            ("surv.os.1y.ht.low", "R", "HT", "km", "", "", "percent_at_12m", "78", "", "", "", ""),
            ("spm.fg.ht", "R", "HT", "fine_gray", "", "", "sHR", "2.82", "1.03", "7.76", ".04", ""),
            ("surv.os.logrank.ht", "R", "HT", "logrank", "", "", "p", "", "", "", ".0002", ""),
            ("surv.os.median.global", "R", "HT", "km", "", "", "median_months", "NR", "", "", "", ""),
            ("surv.dor.median.global", "R", "HT", "km", "", "", "median_months", "24", "", "", "", ""),
            ("table1.HT.age_median.low", "T1", "HT", "d", "", "", "summary", "57 (46-66)", "", "", "", ""),
            ("table1.HT.age_median.high", "T1", "HT", "d", "", "", "summary", "60 (49-66)", "", "", "", ""),
            ("nrm.deaths", "R", "HT", "count", "", "", "n", "23", "", "", "", ""),
        ]
    )
    rep = pd.DataFrame(
        [
            typed("flow.ht", 389.0, n=389),
            typed("table1.HT.n.low", 139.0, n=139),
            typed("surv.os.1y.ht.low", 75.0, (70.0, 80.0)),
            typed("spm.fg.ht", 1.5, (0.8, 2.7), p=0.2),
            typed("surv.os.logrank.ht", np.nan, p=0.01),
            typed("surv.os.median.global", np.nan, note="not reached"),
            typed("surv.dor.median.global", np.nan, note="not reached"),
            # a median is "inside" only the CI of the reproduced median, never its IQR
            typed("table1.HT.age_median.low", 58.0, (50.0, 56.0), interval="iqr"),
            typed("table1.HT.age_median.high", 58.0, (55.0, 61.0)),
        ]
    )
    out = compare.compare(rep, pub).set_index("id")["agreement"]
    assert out.to_dict() == {
        "flow.ht": "same",
        "table1.HT.n.low": "differs",
        "surv.os.1y.ht.low": "inside CI",
        "spm.fg.ht": "outside CI",
        "surv.os.logrank.ht": "same conclusion",
        "surv.os.median.global": "same",
        "surv.dor.median.global": "differs",
        "table1.HT.age_median.low": "no CI",
        "table1.HT.age_median.high": "inside CI",
        "nrm.deaths": "not reproduced",
    }
    assert set(out) <= set(compare.AGREEMENT)


def test_comparison_columns_are_typed():
    c = cohort.load(example_path("example_patients.csv"), example_path("example_labs.csv"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comparison = compare.compare(study.estimates(c))
    assert list(comparison.columns) == list(compare.COLUMNS)
    numeric = ["published", "published_ci_lower", "published_ci_upper", "published_p", "reproduced"]
    numeric += ["ci_lower", "ci_upper", "p_value"]
    for column in numeric:
        assert pd.api.types.is_float_dtype(comparison[column]), column
    assert set(comparison["interval"]) <= {"ci", "iqr", "range", "none"}
    assert comparison["label"].str.len().gt(0).all(), "every row has a human label"
    # "<.001" printed: the bound as a number, the text kept
    row = comparison.set_index("id").loc["surv.os.cox_adjusted.ht"]
    assert row["published_p"] == 0.001 and row["published_p_text"] == "<.001"


def test_reports_on_the_example_hold_no_patient_rows():
    c = cohort.load(example_path("example_patients.csv"), example_path("example_labs.csv"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = study.estimates(c)
        comparison = compare.compare(est)
    assert len(comparison) == len(published.published())
    flow = report.Shown("flow", "supp_figure1_flow", "Flow", png=b"\x89PNG fake")
    content = report.Content("Example", est, comparison, outputs=(flow,), notes=("Synthetic",))
    md = report.render_markdown(content)
    page = report.render_html(content)
    for text in (md, page):
        assert "EX0" not in text and "EX1" not in text, "no patient id in a report"
        assert "Patient flow" in text
    assert "| LBCL patients with the HT score calculable | 389 |" in md
    assert "src='data:image/png;base64," in page and "<title>Example</title>" in page
    assert "<h1>Example</h1>" in page


def test_not_estimable_rows_in_the_comparison_and_the_report():
    pub = _published(
        [
            ("spm.fg.ht", "R", "HT", "fine_gray", "", "", "sHR", "2.82", "1.03", "7.76", ".04", ""),
            ("flow.ht", "R", "LBCL", "flow", "", "", "n", "389", "", "", "", ""),
        ]
    )
    reason = "sHR 0: no second primary malignancy in the HT high group"
    ne = {
        "id": "spm.fg.ht",
        "label": "sHR of SPM, HT",
        **_estimate.not_estimable(reason, 0.0, note="3 patients without x left out"),
    }
    rep = _estimate.frame([ne, typed("flow.ht", 389.0, n=389)])
    out = compare.compare(rep, pub).set_index("id")
    assert out.loc["spm.fg.ht", ["agreement", "reason"]].tolist() == ["not estimable", reason]
    assert out.loc["flow.ht", ["agreement", "reason"]].tolist() == ["same", ""]
    comparison = out.reset_index()
    md = report.render_markdown(report.Content("T", rep, comparison))
    assert (
        "## Not estimable on this cohort\n\n| id | label | reason |\n|---|---|---|\n"
        f"| spm.fg.ht | sHR of SPM, HT | {reason} |" in md
    )
    assert (
        "## Patients left out of models" in md
        and "| spm.fg.ht | sHR of SPM, HT | 3 patients without x left out |" in md
    )
    assert "| sHR of SPM, HT | 2.82 | 1.03-7.76 | .04 | not estimable |  |  | not estimable |" in md
    page = report.render_html(report.Content("T", rep, comparison))
    assert "<h2>Not estimable on this cohort</h2>" in page and f"<td>{reason}</td>" in page
