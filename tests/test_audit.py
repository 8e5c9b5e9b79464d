"""cartsie.study.audit: each check on hand-made published tables with known answers (one consistent,
one per kind of inconsistency), R's p-values of the paper's Table-1 count tables
(tests/reference/audit.R), known findings on the paper, the reports and the command."""

from __future__ import annotations

import ast
import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from numpydoc.docscrape import get_doc_object
from numpydoc.validate import validate

import cartsie
from cartsie.cli import main
from cartsie.errors import InputError
from cartsie.study import _audit_numbers as nums
from cartsie.study import _audit_rules as rules
from cartsie.study import _audit_table1 as t1
from cartsie.study import audit as audit_module
from cartsie.study._audit_ratios import odds_ratio, wald_p
from cartsie.study.audit import CHECKS, COLUMNS, audit, render_html, render_markdown, summary
from cartsie.study.published import published
from tests.reference.tolerances import assert_p, load, r_array

REF = load("audit")
ROOT = Path(__file__).resolve().parents[1]
HEADER = ["id", "source", "population", "analysis", "endpoint", "comparison", "statistic", "value"]
HEADER += ["ci_low", "ci_high", "p", "note"]


def row(id_: str, statistic: str, value: str, **kw: str) -> dict[str, str]:
    """One published row; Table-1 cells take their comparison from the id's last part."""
    out = dict.fromkeys(HEADER, "")
    out.update(id=id_, source="toy", population="toy", statistic=statistic, value=value)
    if id_.startswith("table1."):
        out.update(comparison=id_.rsplit(".", 1)[1], analysis="descriptive")
    out.update(kw)
    return out


def cells(variable: str, a: str, b: str, total: str, p: str = "") -> list[dict[str, str]]:
    """A Table-1 variable of the toy paper: groups a (N = 40), b (N = 60), total (N = 100)."""
    return [
        row(f"table1.toy.{variable}.total", "summary", total, p=p),
        row(f"table1.toy.{variable}.a", "summary", a),
        row(f"table1.toy.{variable}.b", "summary", b),
    ]


def toy_rows() -> list[dict[str, str]]:
    """A published table whose every number is consistent with the others."""
    table1 = [
        *cells("n", "40", "60", "100"),
        *cells("age_median", "58 (49-68)", "61 (52-71)", "60 (50-70)", p=".40"),
        *cells("female", "12 (30%)", "10 (17%)", "22 (22%)", p=".14"),  # Fisher .142 (R)
        *cells("stage_I", "6 (15%)", "24 (40%)", "30 (30%)", p=".025"),  # Fisher .0253 (R)
        *cells("stage_II", "20 (50%)", "21 (35%)", "41 (41%)", p=".025"),
        *cells("stage_III", "14 (35%)", "15 (25%)", "29 (29%)", p=".025"),
        *cells("ldh_high", "10 (33%)", "30 (60%)", "40 (50%)", p=".037"),  # of 30, 50, 80: Fisher .0368
        *cells("ldh_missing", "10", "10", "20"),
    ]
    ratios = [
        # HR 2 with CI 1-4: se = log(4) / (2 z), z = log(2) / se = 1.96: p = .05 exactly
        row("toy.death.hr", "HR", "2.00", ci_low="1.00", ci_high="4.00", p=".05", comparison="grp b vs a"),
        row("toy.resp.grp.b", "percent", "60", comparison="grp b", analysis="rate"),
        row("toy.resp.grp.a", "percent", "40", comparison="grp a", analysis="rate"),
        # (0.6 / 0.4) / (0.4 / 0.6) = 2.25; CI 2.25 exp(+/- 1.96 x 0.4); Wald p .042
        row("toy.resp.grp.or", "OR", "2.25", ci_low="1.03", ci_high="4.92", p=".04", comparison="grp b vs a"),
        row(
            "toy.resp.grp.or_adjusted",
            "OR",
            "2.0",
            ci_low="1.0",
            ci_high="4.0",
            p=".05",
            comparison="grp b vs a",
            analysis="logistic_adjusted",
        ),
        row("toy.tox.grp.sensitivity", "percent", "80", comparison="grp b"),
        row("toy.tox.grp.specificity", "percent", "60", comparison="grp b"),
        row("toy.tox.grp.lr_pos", "LR+", "2.0", comparison="grp b"),  # 0.8 / 0.4
        row("toy.tox.grp.lr_neg", "LR-", "0.33", comparison="grp b"),  # 0.2 / 0.6
        row("toy.tox.grp.auc", "AUC_percent", "70", comparison="grp b"),  # (80 + 60) / 2
        row("toy.cif.2y", "percent_at_24m", "10", ci_low="6.1", ci_high="16"),
    ]
    return table1 + ratios


def toy(**changes: dict[str, str]) -> pd.DataFrame:
    """The toy table with some rows changed: ``toy(**{"toy.death.hr": {"p": ".01"}})``."""
    rows = toy_rows()
    for r in rows:
        r.update(changes.get(r["id"], {}))
    return pd.DataFrame(rows, columns=HEADER)


def findings(table: pd.DataFrame) -> pd.DataFrame:
    return audit(table).set_index(["id", "check"])


def flag(found: pd.DataFrame, id_: str, check: str):
    value = found.loc[(id_, check), "consistent"]
    return None if pd.isna(value) else bool(value)


# --- a consistent table --------------------------------------------------------------------------


def test_consistent_toy_paper_every_check_consistent():
    found = audit(toy())
    assert list(found.columns) == list(COLUMNS)
    assert str(found["consistent"].dtype) == "boolean"
    assert not found["consistent"].eq(False).any(), found[found["consistent"].eq(False)].to_string()
    # every kind of check ran; only the Kruskal-Wallis p is not checkable
    assert set(found["check"]) == set(CHECKS)
    unchecked = found[found["consistent"].isna()]
    assert unchecked[["id", "check"]].values.tolist() == [["table1.toy.age_median.total", "table1_p"]]
    assert "Kruskal-Wallis" in unchecked["detail"].iloc[0]
    # an adjusted OR is never compared with crude rates; a Table-1 row is no ratio
    assert ("toy.resp.grp.or_adjusted", "or_from_rates") not in findings(toy()).index


def test_known_answers_of_the_toy_paper():
    found = findings(toy())
    assert wald_p(2.0, 1.0, 4.0) == pytest.approx(0.05, abs=1e-12)
    assert found.loc[("toy.death.hr", "ratio_p"), "recomputed"].startswith("0.05 ")
    assert odds_ratio(0.6, 0.4) == pytest.approx(2.25, rel=1e-12)
    assert found.loc[("toy.resp.grp.or", "or_from_rates"), "recomputed"].startswith("2.25 ")
    assert found.loc[("toy.tox.grp.lr_pos", "likelihood_ratio"), "recomputed"].startswith("2 ")
    assert found.loc[("toy.tox.grp.lr_neg", "likelihood_ratio"), "recomputed"].startswith("0.333 ")
    assert found.loc[("toy.tox.grp.auc", "auc_from_sens_spec"), "recomputed"].startswith("70 ")
    detail = found.loc[("table1.toy.female.total", "table1_p"), "detail"]
    assert "Fisher's exact test (the paper's) reproduces it" in detail and "so does" not in detail
    # the printed missing values leave the denominators 30, 50 and 80
    assert "N 40 minus 10 missing: 10/30" in found.loc[("table1.toy.ldh_high.a", "count_percent"), "detail"]
    assert found.loc[("table1.toy.stage_I.total", "table1_p"), "recomputed"] == "Fisher 0.0253"


@pytest.mark.parametrize("case", REF["toy"], ids=lambda c: c["name"])
def test_table1_tests_equal_r(case):
    table = np.array(case["table"])
    got = t1.test_p_values(table)
    for key in ("fisher", "chisq", "chisq_yates"):
        if isinstance(case.get(key), float | int):
            assert_p(got[key], case[key], what=f"{case['name']} {key}")
        else:
            assert key not in got  # R applies Yates' correction to 2 x 2 tables only


def test_toy_count_tables_are_the_ones_r_was_given():
    tables = t1.count_tables(toy_rows())
    expected = {c["name"]: np.array(c["table"]) for c in REF["toy"]}
    np.testing.assert_array_equal(tables[("toy", "female")][0], expected["female"])
    np.testing.assert_array_equal(tables[("toy", "stage_I")][0], expected["stage"])
    np.testing.assert_array_equal(tables[("toy", "ldh_high")][0], expected["ldh_high"])


# --- one table per kind of inconsistency ---------------------------------------------------------

INCONSISTENT = [
    # (what, changes, id, check, words of the detail)
    ("ratio p", {"toy.death.hr": {"p": ".01"}}, "toy.death.hr", "ratio_p", "not the p of a Wald test"),
    (
        "estimate at a CI limit",
        {"toy.death.hr": {"value": "1.50", "ci_low": "1.50", "ci_high": "3.00", "p": "<.001"}},
        "toy.death.hr",
        "ratio_ci_symmetry",
        "equal to its lower limit, which no Wald interval gives",
    ),
    (
        "p of chi-square without correction",
        {"table1.toy.female.total": {"p": ".115"}},
        "table1.toy.female.total",
        "table1_p",
        "reproduced by chi-square without continuity correction",
    ),
    (
        "p of chi-square with correction",
        {"table1.toy.female.total": {"p": ".18"}},
        "table1.toy.female.total",
        "table1_p",
        "reproduced by chi-square with continuity correction",
    ),
    (
        "p of no test",
        {"table1.toy.female.total": {"p": ".50"}},
        "table1.toy.female.total",
        "table1_p",
        "no test reproduces it",
    ),
    (
        "percentage needing unprinted missing values",
        {"table1.toy.female.a": {"value": "12 (35%)"}},
        "table1.toy.female.a",
        "count_percent",
        "only a denominator of 34 gives 35%: 6 value(s) missing",
    ),
    (
        "percentage no denominator gives",
        {"table1.toy.female.b": {"value": "10 (15%)"}},
        "table1.toy.female.b",
        "count_percent",
        "no denominator up to 60 gives 15%",
    ),
    (
        "percentage of a level when none is missing",
        {"table1.toy.stage_I.a": {"value": "6 (16%)"}},
        "table1.toy.stage_I.a",
        "count_percent",
        "add up to 40, so no value is missing",
    ),
    (
        "counts not adding up",
        {"table1.toy.female.total": {"value": "23 (23%)"}},
        "table1.toy.female.total",
        "count_sum",
        "12 + 10 = 22, printed total 23",
    ),
    (
        "levels not adding up",
        {"table1.toy.stage_III.a": {"value": "13 (33%)"}},
        "table1.toy.stage_I.a",
        "levels_sum",
        "1 patient(s) in no printed level",
    ),
    ("odds ratio", {"toy.resp.grp.or": {"value": "3.10"}}, "toy.resp.grp.or", "or_from_rates", "60% vs"),
    ("LR+", {"toy.tox.grp.lr_pos": {"value": "2.5"}}, "toy.tox.grp.lr_pos", "likelihood_ratio", "LR+ ="),
    ("AUC", {"toy.tox.grp.auc": {"value": "75"}}, "toy.tox.grp.auc", "auc_from_sens_spec", "(sens + spec)"),
    (
        "estimate outside its CI",
        {"toy.cif.2y": {"ci_low": "12"}},
        "toy.cif.2y",
        "estimate_in_interval",
        "is not inside 12-16",
    ),
    (
        "median outside its IQR",
        {"table1.toy.age_median.a": {"value": "58 (60-68)"}},
        "table1.toy.age_median.a",
        "estimate_in_interval",
        "",
    ),
    (
        "pooled median outside the groups'",
        {"table1.toy.age_median.total": {"value": "50 (45-70)"}},
        "table1.toy.age_median.total",
        "pooled_median",
        "does not",
    ),
]


@pytest.mark.parametrize(
    ("what", "changes", "id_", "check", "words"), INCONSISTENT, ids=[c[0] for c in INCONSISTENT]
)
def test_each_kind_of_inconsistency_is_found(what, changes, id_, check, words):
    assert flag(findings(toy()), id_, check) is True, "consistent before the change"
    found = findings(toy(**changes))
    assert flag(found, id_, check) is False, what
    assert words in found.loc[(id_, check), "detail"]


def test_unprinted_missing_values_give_denominators_for_the_p():
    """30 (79%) of 40 is 75%: only 38 gives 79%; 45 (80%) of 60 needs 56, 75 (80%) of 100 needs 94."""
    rows = [*toy_rows(), *cells("refractory", "30 (79%)", "45 (80%)", "75 (80%)", p=">.99")]
    found = findings(pd.DataFrame(rows, columns=HEADER))
    assert flag(found, "table1.toy.refractory.a", "count_percent") is False
    assert "2 value(s) missing" in found.loc[("table1.toy.refractory.a", "count_percent"), "detail"]
    assert flag(found, "table1.toy.refractory.total", "count_sum") is True  # 38 + 56 = 94
    assert flag(found, "table1.toy.refractory.total", "table1_p") is True
    (table,) = t1.count_tables(rows)[("toy", "refractory")]
    expected = next(c for c in REF["toy"] if c["name"] == "refractory")
    np.testing.assert_array_equal(table, np.array(expected["table"]))
    assert_p(t1.test_p_values(table)["fisher"], expected["fisher"])


# --- the paper -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paper() -> pd.DataFrame:
    return findings(published())


def test_fixture_is_of_the_shipped_table():
    data = (ROOT / "src" / "cartsie" / "data" / "published_estimates.csv").read_bytes()
    assert REF["provenance"]["input_md5"] == hashlib.md5(data).hexdigest(), "regenerate audit.json"


@pytest.mark.parametrize("case", REF["paper"], ids=lambda c: f"{c['population']}.{c['variable']}")
def test_paper_count_tables_and_p_values_equal_r(case):
    ours = t1.count_tables(published().to_dict(orient="records"))[(case["population"], case["variable"])]
    theirs = [np.array(t) for t in case["tables"]]

    def key(t):
        return t.tolist()

    assert sorted(map(key, ours)) == sorted(map(key, theirs)), "the tables the printed cells allow"
    order = sorted(range(len(theirs)), key=lambda k: key(theirs[k]))
    ours = sorted(ours, key=key)
    for name in ("fisher", "chisq", "chisq_yates"):
        if not isinstance(case[name], float | int | list):
            continue
        expected = r_array(case[name])[order]
        assert_p([t1.test_p_values(t)[name] for t in ours], expected.tolist(), what=name)
    for dropped in case["dropped_level"]:
        k = list(r_array_levels(case)).index(dropped["level"])
        assert_p(t1._fisher(np.delete(ours[0], k, axis=0)), dropped["fisher"], what=dropped["level"])


def r_array_levels(case) -> list[str]:
    return case["levels"] if isinstance(case["levels"], list) else [case["levels"]]


def test_paper_simpleht_adjusted_hr_ci_flagged(paper):
    i = ("surv.os.cox_adjusted.simpleht", "ratio_ci_symmetry")
    assert flag(paper, *i) is False
    detail = paper.loc[i, "detail"]
    assert "equal to its lower limit, which no Wald interval gives" in detail
    assert "the estimate would be 2.58" in detail and "(p = 7.1e-09, as printed)" in detail
    assert "the lower limit would be 0.985 (p = 0.056, not as printed)" in detail
    # its printed p is still that of its printed estimate and CI
    assert flag(paper, "surv.os.cox_adjusted.simpleht", "ratio_p") is True


def test_paper_adjusted_late_icaht_or_is_not_a_wald_interval(paper):
    i = "tox.late_icaht_ge3.ht.or_adjusted"
    assert flag(paper, i, "ratio_ci_symmetry") is False
    assert flag(paper, i, "ratio_p") is False
    assert paper.loc[(i, "ratio_p"), "recomputed"] == "0.071 [0.062, 0.08]"


def test_paper_table1_p_values(paper):
    reproduced = ["table1.HT.sex_female.total", "table1.simpleHT.histology_DLBCL.total"]
    for i in reproduced:
        assert flag(paper, i, "table1_p") is True, i
        assert "Fisher's exact test (the paper's) reproduces it" in paper.loc[(i, "table1_p"), "detail"]
    assert paper.loc[("table1.HT.histology_DLBCL.total", "table1_p"), "recomputed"] == "Fisher 0.347"
    # previous lines: the printed p is Fisher's on 2 versus >= 3 lines (the level "1" left out)
    for i in ("table1.simpleHT.previous_lines_1.total", "table1.HT.previous_lines_1.total"):
        assert flag(paper, i, "table1_p") is False
        assert (
            "reproduced by Fisher's exact test without the level '1'" in paper.loc[(i, "table1_p"), "detail"]
        )
    detail = paper.loc[("table1.HT.bridging_failure.total", "table1_p"), "detail"]
    assert "no test reproduces it" in detail and "refractory" in detail  # the same .62 as refractory
    kw = paper.xs("table1_p", level="check")
    assert kw["consistent"].isna().sum() == 4  # age and vein-to-vein time: Kruskal-Wallis


def test_paper_percentages(paper):
    assert flag(paper, "table1.HT.sex_female.total", "count_percent") is True  # 133/389 = 34.2%
    assert (
        "no value is missing"
        in paper.loc[("table1.simpleHT.previous_lines_ge3.high", "count_percent"), "detail"]
    )
    refractory = paper.loc[("table1.simpleHT.refractory.total", "count_percent"), "detail"]
    assert "only a denominator of 543-549 gives 74%: 11-17 value(s) missing" in refractory
    assert flag(paper, "table1.simpleHT.refractory.total", "count_sum") is True


def test_paper_rates_and_accuracy(paper):
    for i in ("resp.crr90.ht.or", "resp.orr90.ht.or", "tox.early_icaht.ht.or", "tox.crs_any.ht.or"):
        assert flag(paper, i, "or_from_rates") is True, i
    assert paper.loc[("resp.crr90.ht.or", "or_from_rates"), "recomputed"] == "0.426 [0.408, 0.444]"
    assert flag(paper, "tox.late_icaht_ge3.ht.or", "or_from_rates") is None  # no rates printed
    for i, check in [
        ("lr_pos", "likelihood_ratio"),
        ("lr_neg", "likelihood_ratio"),
        ("auc", "auc_from_sens_spec"),
    ]:
        assert flag(paper, f"tox.late_icaht_ge3.ht.{i}", check) is True


def test_every_audited_id_is_published(paper):
    assert set(paper.index.get_level_values("id")) <= set(published()["id"])


def test_the_audit_reads_nothing_but_the_published_table():
    """The audit's modules import no estimate, comparison, cohort or pipeline code."""
    allowed = ("cartsie.descriptive", "cartsie.errors", "cartsie.study._audit_", "cartsie.study.published")
    allowed += ("cartsie._dist",)  # normal quantiles and tails
    folder = ROOT / "src" / "cartsie" / "study"
    for path in [folder / "audit.py", *folder.glob("_audit_*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cartsie"):
                names = [a.name for a in node.names]
                text = f"{node.module} import {' '.join(names)}"
                ok = (
                    node.module.startswith(allowed)
                    or (
                        node.module == "cartsie.study"
                        and all(n.startswith("_audit_") or n == "published" for n in names)
                    )
                    or (node.module == "cartsie" and names == ["__version__"])
                )
                assert ok, f"{path.name}: from {text}"


def test_audit_of_a_given_table_never_reads_the_shipped_one(monkeypatch):
    def boom():
        raise AssertionError("read the shipped table")

    monkeypatch.setattr(audit_module._published, "published", boom)
    assert len(audit(toy())) > 0


# --- rules, rounding, input ----------------------------------------------------------------------


def ends(span: nums.Span) -> tuple[float, float]:
    return span.lo, span.hi


def approx(lo: float, hi: float):
    """Ends equal up to the audit's 1e-9 widening of every printed number's interval."""
    return pytest.approx((lo, hi), rel=1e-8, abs=1e-12)


def test_rounding_intervals():
    assert ends(nums.number("1.87")[1]) == approx(1.865, 1.875)
    assert ends(nums.number("14")[1]) == approx(13.5, 14.5)
    assert ends(nums.p_value(".04")[1]) == approx(0.035, 0.045)
    assert ends(nums.p_value("<.001")[1]) == approx(0.0, 0.001)
    assert ends(nums.p_value(">.99")[1]) == approx(0.99, 1.0)
    assert ends(nums.p_value("P = 0.2")[1]) == approx(0.15, 0.25)
    assert nums.p_value("") is None and nums.p_value("NS") is None and nums.number("NR") is None
    c = nums.cell("3 (<1%)", integer_is_count=True)
    assert c.count == 3 and ends(c.percent) == approx(0.0, 1.0)
    c = nums.cell("59 (48-66)", integer_is_count=True)
    assert (c.median.lo, c.q1.hi, c.q3.lo) == pytest.approx((58.5, 48.5, 65.5))
    assert nums.cell("127", integer_is_count=True).count == 127
    assert ends(nums.cell("1.6", integer_is_count=False).median) == approx(1.55, 1.65)
    # 133 (34%): the denominators that give 34%
    assert t1.implied_denominators(133, nums.cell("133 (34%)", True).percent, 389) == [386, 387, 388, 389]


def test_corners_of_a_monotone_function():
    span = nums.corners(odds_ratio, nums.Span(0.375, 0.385), nums.Span(0.585, 0.595))
    assert span.lo == pytest.approx(odds_ratio(0.375, 0.595)) and span.hi == pytest.approx(
        odds_ratio(0.385, 0.585)
    )


def test_pairing_rules():
    assert rules.compared_groups("HT high vs low") == ("HT high", "HT low")
    assert rules.compared_groups("treated vs. control arm") == ("treated", "control arm")
    assert rules.compared_groups("age per year") is None
    pairs = {r["id"]: (a and a["id"], b and b["id"]) for r, a, b in rules.rate_pairs(toy_rows())}
    assert pairs == {"toy.resp.grp.or": ("toy.resp.grp.b", "toy.resp.grp.a")}
    (t,) = rules.descriptive_tables(toy_rows())
    assert t.groups == ["a", "b"] and t.columns == ["total", "a", "b"]
    groups = [[v.name for v in g] for g in t.level_groups()]
    assert ["stage_I", "stage_II", "stage_III"] in groups and ["ldh_high"] in groups
    assert t.missing_for(t.variables["ldh_high"]).name == "ldh_missing"


def test_unusable_tables_are_refused_with_the_fix():
    with pytest.raises(InputError, match=r"missing column.*statistic"):
        audit(toy().drop(columns="statistic"))
    with pytest.raises(InputError, match=r"repeated: toy\.cif\.2y"):
        audit(pd.concat([toy(), toy().tail(1)]))
    with pytest.raises(InputError, match="must be a DataFrame"):
        audit([1, 2])  # type: ignore[arg-type]
    unreadable = findings(toy(**{"toy.death.hr": {"ci_low": "n/a"}}))
    assert flag(unreadable, "toy.death.hr", "ratio_ci_symmetry") is None


# --- reports and command -------------------------------------------------------------------------


def test_reports_summary_legend_and_order(paper):
    found = audit()
    s = summary(found)
    assert s.iloc[-1]["check"] == "all" and s.iloc[-1]["total"] == len(found)
    assert (s[["consistent", "inconsistent", "not checkable"]].sum(axis=1) == s["total"]).all()
    md = render_markdown(found, "the paper")
    assert "| all | " in md and "`ratio_ci_symmetry`:" in md and "Audited: the paper" in md
    body = md.split("## Rows (inconsistent first)")[1].splitlines()[3:]
    states = ["**no**" in line for line in body if line.startswith("| `")]
    assert states == sorted(states, reverse=True) and any(states)  # inconsistent ones first
    page = render_html(found, "the <paper>")
    for external in ("src=", "href", "url(", "<link", "<script", "http"):
        assert external not in page
    assert "the &lt;paper&gt;" in page and '<tr class="inconsistent">' in page
    assert page.index('class="inconsistent"') < page.index('class="ok"')


def test_write_is_deterministic(tmp_path):
    found = audit()
    first = audit_module.write(found, tmp_path / "one", "x")
    second = audit_module.write(audit(), tmp_path / "two", "x")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    back = pd.read_csv(first[0], dtype=str, keep_default_na=False)
    assert list(back.columns) == list(COLUMNS) and set(back["consistent"]) <= {"True", "False", ""}


def test_command_on_the_paper_and_on_another_table(tmp_path):
    result = CliRunner().invoke(main, ["audit", "--out", str(tmp_path / "paper")])
    assert result.exit_code == 0, result.output
    assert "inconsistent" in result.output
    assert {p.name for p in (tmp_path / "paper").iterdir()} == {"audit.csv", "audit.md", "audit.html"}
    assert "sha256" in (tmp_path / "paper" / "audit.md").read_text(encoding="utf-8")
    csv = tmp_path / "toy.csv"
    toy(**{"toy.death.hr": {"p": ".01"}}).to_csv(csv, index=False)
    result = CliRunner().invoke(main, ["audit", str(csv), "-o", str(tmp_path / "toy")])
    assert result.exit_code == 0, result.output
    assert ", 1 inconsistent," in result.output
    toy().drop(columns="p").to_csv(csv, index=False)
    result = CliRunner().invoke(main, ["audit", str(csv), "-o", str(tmp_path / "bad")])
    assert result.exit_code == 2 and "missing column(s) p" in result.output


@pytest.mark.parametrize("name", audit_module.__all__)
def test_numpydoc_of_the_public_api(name):
    obj = getattr(audit_module, name)
    if not callable(obj) or (isinstance(obj, type) and issubclass(obj, dict | tuple)):
        return
    checks = {"GL08", "PR01", "PR02", "PR07", "RT01", "SS05"}
    errors = [(c, m) for c, m in validate(get_doc_object(obj))["errors"] if c in checks]
    assert not errors, errors


def test_version_in_the_reports():
    assert f"cartsie {cartsie.__version__}" in render_markdown(audit(toy()))
    assert not math.isnan(audit(toy())["consistent"].astype(float).mean())


def test_module_example_runs():
    import doctest

    result = doctest.testmod(audit_module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
