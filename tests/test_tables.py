"""Regression tables (cartsie.tables) and the writers shared with Table 1 (cartsie._display)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie.adjust import lp_adjusted
from cartsie.binary import logistic
from cartsie.competing import fine_gray
from cartsie.descriptive import table_one
from cartsie.errors import InputError, MissingValuesWarning, MonotoneLikelihoodWarning, SeparationWarning
from cartsie.format import format_p
from cartsie.survival import cox
from cartsie.tables import RegressionTable, regression_table
from tests._readback import docx_paragraphs, docx_rows, html_rows, xlsx_rows

COVARIATES = ["ht_high", "age", "stage"]


def _data(seed: int = 11, n: int = 160) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(
        {
            "age": rng.normal(60, 10, n).round(),
            "stage": rng.choice(["I-II", "III", "IV"], n),
            "ht_high": rng.integers(0, 2, n),
        }
    )
    lp = 0.03 * (d["age"] - 60) + 0.6 * d["ht_high"] + 0.7 * (d["stage"] == "IV")
    t = rng.exponential(20 * np.exp(-lp))
    c = rng.uniform(5, 40, n)
    d["time"] = np.minimum(t, c).round(2)
    d["event"] = (t <= c).astype(int)
    d["cause"] = np.where(d["event"] == 1, rng.choice([1, 2], n, p=[0.6, 0.4]), 0)
    d["response"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-(lp - 0.5)))).astype(int)
    return d


@pytest.fixture(scope="module")
def fits():
    d = _data()
    return {
        "cox": cox(d, "time", "event", COVARIATES),
        "logistic": logistic(d, "response", COVARIATES, reference={"stage": "III"}),
        "fine_gray": fine_gray(d, "time", "cause", COVARIATES),
        "adjusted": lp_adjusted(d, "ht_high", ["age", "stage"], time="time", event="event", model="cox"),
    }


@pytest.fixture(scope="module")
def table(fits):
    return regression_table(
        fits["cox"], fits["logistic"], fits["fine_gray"], fits["adjusted"], labels={"ht_high": "HT high"}
    )


@pytest.fixture(scope="module")
def infinite():
    """A Cox model with a level without events (monotone likelihood) and a separated logistic model."""
    d = _data(seed=3)
    d["group"] = np.where(np.arange(len(d)) % 3 == 0, "C", np.where(np.arange(len(d)) % 3 == 1, "A", "B"))
    d.loc[d["group"] == "C", "event"] = 0
    d["perfect"] = d["response"]
    with pytest.warns(MonotoneLikelihoodWarning):
        c = cox(d, "time", "event", ["group", "age"])
    with pytest.warns(SeparationWarning):
        lg = logistic(d, "response", ["perfect"])
    return c, lg, regression_table(c, lg, titles=["OS", "Response"])


def _row(frame: pd.DataFrame, label: str, occurrence: int = 0) -> pd.Series:
    rows = frame[frame[("", "Characteristic")] == label]
    return rows.iloc[occurrence]


def _expected(summary: pd.DataFrame, term: str, digits: int = 2) -> list[str]:
    s = summary.loc[term]
    ratio, lo, hi = np.exp(s["coef"]), s["ci_lower"], s["ci_upper"]
    return [f"{ratio:.{digits}f}", f"{lo:.{digits}f}-{hi:.{digits}f}", format_p(s["p_value"])]


# -- cells -----------------------------------------------------------------------------------------


def test_ratio_ci_and_p_cells_are_the_fits(table, fits):
    f = table.to_frame()
    blocks = {
        "Cox model": ("cox", "HR"),
        "Logistic model": ("logistic", "OR"),
        "Fine-Gray model": ("fine_gray", "sHR"),
    }
    for title, (key, ratio) in blocks.items():
        s = fits[key].summary
        for label, term in [("HT high", "ht_high"), ("age", "age"), ("IV", "stage[IV]")]:
            row = _row(f, label)
            got = [row[(title, ratio)], row[(title, "95% CI")], row[(title, "p")]]
            assert got == _expected(s, term), (title, term)
    # the hazard ratio is exp(coef), its CI the fit's, as the numbers behind the cells say
    st = table.stats.set_index(["model", "term"])
    cox_s = fits["cox"].summary
    np.testing.assert_allclose(
        st.loc[("Cox model", "age"), "ratio"], np.exp(cox_s.loc["age", "coef"]), rtol=1e-14
    )
    assert st.loc[("Cox model", "age"), "ci_lower"] == cox_s.loc["age", "ci_lower"]
    assert st.loc[("Cox model", "age"), "ci_upper"] == cox_s.loc["age", "ci_upper"]


def test_lp_adjusted_block_shows_the_score_only(table, fits):
    f = table.to_frame()
    adj = fits["adjusted"]
    assert [_row(f, "HT high")[("Cox model, adjusted", c)] for c in ("HR", "95% CI", "p")] == _expected(
        adj.summary, "ht_high"
    )
    for label in ("age", "I-II", "III", "IV"):
        assert (_row(f, label)["Cox model, adjusted"] == "").all()
    assert "linear predictor of a model on age, stage" in table.footnotes[4]


def test_reference_rows_for_categorical_covariates(table, fits):
    f = table.to_frame()
    labels = f[("", "Characteristic")].tolist()
    i = labels.index("stage")
    assert labels[i : i + 4] == ["stage", "I-II", "III", "IV"]
    assert table.layout.indent[i : i + 4] == (0, 1, 1, 1)
    assert (f.iloc[i, 1:] == "").all()  # the variable's header row is blank
    # Cox: first level is the reference; logistic was given reference III
    assert list(_row(f, "I-II")["Cox model"]) == ["Reference", "", ""]
    assert list(_row(f, "III")["Logistic model"]) == ["Reference", "", ""]
    assert list(_row(f, "I-II")["Logistic model"]) == _expected(fits["logistic"].summary, "stage[I-II]")
    ref = table.stats[table.stats["reference"]]
    assert set(zip(ref["model"], ref["level"], strict=True)) == {
        ("Cox model", "I-II"),
        ("Logistic model", "III"),
        ("Fine-Gray model", "I-II"),
    }
    assert (ref["ratio"] == 1).all()
    # numeric covariates (0/1 and continuous) have one row; the intercept none
    assert "(Intercept)" not in labels and labels.count("HT high") == 1


def test_n_and_events_per_model(table, fits):
    f = table.to_frame()
    n, events = _row(f, "N"), _row(f, "Events")
    assert f[("", "Characteristic")].tolist()[-2:] == ["N", "Events"]
    for title, key, ratio in [
        ("Cox model", "cox", "HR"),
        ("Logistic model", "logistic", "OR"),
        ("Fine-Gray model", "fine_gray", "sHR"),
    ]:
        assert n[(title, ratio)] == str(fits[key].n)
        assert events[(title, ratio)] == str(fits[key].n_events)
    d = _data()
    assert events[("Logistic model", "OR")] == str(int(d["response"].sum()))
    assert events[("Fine-Gray model", "sHR")] == str(int((d["cause"] == 1).sum()))
    assert n[("Cox model, adjusted", "HR")] == str(fits["adjusted"].n)
    assert table.models["n"].tolist() == [160] * 4
    assert table.models["ratio"].tolist() == ["HR", "OR", "sHR", "HR"]


def test_footnotes_name_abbreviations_models_and_cis(table):
    notes = table.footnotes
    assert (
        notes[0]
        == "HR = hazard ratio; OR = odds ratio; sHR = subdistribution hazard ratio; CI = confidence interval."
    )
    assert notes[1] == "Cox model: Cox proportional-hazards model (Efron ties); 95% Wald CIs."
    assert notes[2] == "Logistic model: logistic regression; 95% Wald CIs."
    assert notes[3].startswith("Fine-Gray model: Fine-Gray subdistribution hazards model (cause 1, ")
    assert not any("missing values" in n for n in notes)  # nothing left out


def test_rows_left_out_are_footnoted():
    d = _data()
    d.loc[:5, "age"] = np.nan
    d.loc[10, "stage"] = None
    with pytest.warns(MissingValuesWarning):
        c = cox(d, "time", "event", COVARIATES)
    lg = logistic(d, "response", ["ht_high"])  # complete: no row left out, no footnote
    t = regression_table(c, lg)
    assert c.n_missing == 7
    assert "Cox model: 7 of 160 rows left out for missing values (complete cases)." in t.footnotes
    assert not any(n.startswith("Logistic model: ") and "left out" in n for n in t.footnotes)
    assert _row(t.to_frame(), "N")[("Cox model", "HR")] == "153"


def test_profile_and_robust_cis_are_named():
    d = _data()
    t = regression_table(
        logistic(d, "response", ["ht_high"], ci="profile", method="firth"),
        cox(d, "time", "event", ["ht_high"], robust=True),
    )
    assert t.footnotes[1] == (
        "Logistic model: logistic regression (Firth's penalised likelihood); "
        "95% profile penalised-likelihood CIs."
    )
    assert (
        t.footnotes[2]
        == "Cox model: Cox proportional-hazards model (Efron ties); 95% Wald CIs (robust variance)."
    )


# -- infinite estimates ----------------------------------------------------------------------------


def test_infinite_ratios_print_infinity_zero_and_not_estimable(infinite):
    c, lg, t = infinite
    f = t.to_frame()
    assert c.infinite_terms == ("group[C]",) and lg.infinite_terms
    assert list(_row(f, "C")["OS"]) == ["0", "not estimable", ""]
    assert list(_row(f, "perfect")["Response"]) == ["∞", "not estimable", ""]
    assert list(_row(f, "B")["OS"]) == _expected(c.summary, "group[B]")  # finite terms as usual
    st = t.stats.set_index(["model", "term"])
    assert not st.loc[("OS", "group[C]"), "estimable"] and st.loc[("OS", "group[B]"), "estimable"]
    assert st.loc[("Response", "perfect"), "ratio"] == np.inf
    notes = [n for n in t.footnotes if "infinite" in n]
    assert notes[0].startswith("OS: infinite estimate (monotone likelihood) for group: C;")
    assert notes[1].startswith("Response: infinite estimate (complete separation) for perfect;")
    assert "(Intercept)" not in notes[1]
    # every writer shows them
    assert "| - C | 0 | not estimable |  |" in t.to_markdown()
    assert "∞" in html_rows(t.to_html()).rows[f[("", "Characteristic")].tolist().index("perfect")]
    latex = t.to_latex()
    assert r"perfect &  &  &  & $\infty$ & not estimable &  \\" in latex and "∞" not in latex


# -- options and errors ----------------------------------------------------------------------------


def test_labels_titles_include_digits_and_combined_ci(fits):
    d = _data()
    c90 = cox(d, "time", "event", COVARIATES, conf_level=0.9)
    t = regression_table(
        fits["cox"],
        c90,
        labels={"stage": "Ann Arbor stage", "stage[IV]": "Stage IV", "age": "Age (years)"},
        titles=["95%", "90%"],
        include=["stage", "age"],
        digits=3,
        combine_ci=True,
        title="Table 2",
    )
    f = t.to_frame()
    assert f[("", "Characteristic")].tolist() == [
        "Ann Arbor stage",
        "I-II",
        "III",
        "Stage IV",
        "Age (years)",
        "N",
        "Events",
    ]
    assert f.columns.tolist() == [("", "Characteristic"), ("95%", "HR (95% CI)"), ("90%", "HR (90% CI)")]
    s = c90.summary.loc["age"]
    assert _row(f, "Age (years)")[("90%", "HR (90% CI)")] == (
        f"{np.exp(s['coef']):.3f} ({s['ci_lower']:.3f}-{s['ci_upper']:.3f})"
    )
    assert _row(f, "I-II")[("95%", "HR (95% CI)")] == "Reference"
    assert t.layout.title == "Table 2" and t.to_markdown().startswith("**Table 2**\n")
    # default titles are numbered when repeated; reference label and p format can be changed
    t2 = regression_table(fits["cox"], fits["cox"], reference_label="—", p_format=lambda p: f"{p:.4f}")
    assert t2.models["title"].tolist() == ["Cox model (1)", "Cox model (2)"]
    row = _row(t2.to_frame(), "I-II")
    assert row[("Cox model (1)", "HR")] == "—"
    assert (
        _row(t2.to_frame(), "age")[("Cox model (2)", "p")]
        == f"{fits['cox'].summary.loc['age', 'p_value']:.4f}"
    )


def test_bad_input(fits):
    with pytest.raises(InputError, match="at least one fitted model"):
        regression_table()
    with pytest.raises(InputError, match="cannot tabulate a DataFrame"):
        regression_table(fits["cox"].summary)
    with pytest.raises(InputError, match="1 titles given for 2 models"):
        regression_table(fits["cox"], fits["logistic"], titles=["only one"])
    with pytest.raises(InputError, match=r"include names \['ldh'\]"):
        regression_table(fits["cox"], include=["ldh"])
    with pytest.raises(InputError, match="digits must be"):
        regression_table(fits["cox"], digits=-1)


# -- writers ---------------------------------------------------------------------------------------


def _cells(t) -> list[list[str]]:
    return t.to_frame().to_numpy().tolist()


def test_html_parses_and_holds_every_cell(table):
    text = table.to_html()
    parsed = html_rows(text)
    assert parsed.rows == _cells(table)
    assert parsed.notes == list(table.footnotes)
    level = [i for i, k in enumerate(table.layout.indent) if k]
    assert all("gt_indent" in parsed.classes[i] for i in level)
    assert "&lt;.001" in text  # escaped
    assert text == table.to_html()  # deterministic: same table, same bytes (no random id)
    assert table._repr_html_() == text


def test_latex_holds_every_cell(table):
    latex = table.to_latex()
    escaped = lambda s: s.replace("%", r"\%").replace("<", r"\textless{}").replace("_", r"\_")  # noqa: E731
    for row in _cells(table):
        assert " & ".join(escaped(c) for c in row) + r" \\" in latex.replace(r"\hspace*{7.5pt}", "")
    assert r"\toprule" in latex and r"\multicolumn{3}{c}{Logistic model}" in latex
    assert r"l|" not in latex.split(r"\toprule")[0]  # no vertical rule after the stub
    for note in table.footnotes:
        assert escaped(note) in latex


def test_markdown_rows(table):
    md = table.to_markdown().splitlines()
    assert md[0].startswith(
        "| Characteristic | Cox model: HR | Cox model: 95% CI | Cox model: p | Logistic model: OR |"
    )
    assert md[1].startswith("| --- | ---: |")
    body = md[2 : 2 + len(table.layout.stub)]
    for line, row, level in zip(body, _cells(table), table.layout.indent, strict=True):
        assert line == "| " + ("- " * level) + " | ".join(row) + " |"
    assert md[-1] == table.footnotes[-1]


def test_docx_written_and_read_back(table, tmp_path):
    path = table.to_docx(tmp_path / "table.docx")
    rows = docx_rows(path)
    assert rows[0] == [""] + [title for title in table.models["title"] for _ in range(3)]  # merged spanners
    assert rows[1] == ["Characteristic", *table.layout.columns]
    assert rows[2:] == _cells(table)
    assert docx_paragraphs(path)[-len(table.footnotes) :] == list(table.footnotes)
    import docx

    cells = docx.Document(str(path)).tables[0].rows
    i = table.layout.indent.index(1)
    assert cells[2 + i].cells[0].paragraphs[0].paragraph_format.left_indent is not None
    assert cells[2].cells[0].paragraphs[0].paragraph_format.left_indent is None


def test_xlsx_written_and_read_back(table, tmp_path):
    path = table.to_excel(tmp_path / "table.xlsx", sheet_name="Table 2")
    rows = xlsx_rows(path)
    width = 1 + len(table.layout.columns)
    assert rows[0] == [""] + [t if k == 0 else "" for t in table.models["title"] for k in range(3)]
    assert rows[1] == ["Characteristic", *table.layout.columns]
    assert rows[2 : 2 + len(table.layout.stub)] == _cells(table)
    notes = [r[0] for r in rows[3 + len(table.layout.stub) :]]
    assert notes == list(table.footnotes) and all(len(r) == width for r in rows)
    import openpyxl

    ws = openpyxl.load_workbook(path)["Table 2"]
    assert "B1:D1" in {str(r) for r in ws.merged_cells.ranges}
    i = table.layout.indent.index(1)
    assert ws.cell(3 + i, 1).alignment.indent > 0


def test_repr_is_short_and_names_the_table(table):
    text = repr(table)
    assert text.startswith("<RegressionTable: 8 rows x 12 columns>") and len(text) < 2000
    assert isinstance(table, RegressionTable)
    assert table.summary.equals(table.to_frame())


# -- Table 1 gets the same writers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def t1():
    d = _data()
    d["group"] = np.where(d["ht_high"] == 1, "High", "Low")
    return table_one(d, "group", ["age", "stage", "response"], labels={"age": "Age"})


def test_table_one_writes_every_format(t1, tmp_path):
    cells = _cells(t1)
    assert t1.to_frame().columns[0] == "Characteristic" and len(cells) == 6
    assert html_rows(t1.to_html()).rows == cells
    assert docx_rows(t1.to_docx(tmp_path / "t1.docx"))[1:] == cells
    assert xlsx_rows(t1.to_excel(tmp_path / "t1.xlsx"))[1 : 1 + len(cells)] == cells
    latex = t1.to_latex()
    for row in cells:
        assert " & ".join(c.replace("%", r"\%") for c in row) + r" \\" in latex.replace(
            r"\hspace*{7.5pt}", ""
        )
    assert t1.to_markdown(p_format=lambda p: "P").count("| P |") == 3  # one p per variable
    assert t1.to_html(table_class="t1").startswith('<div class="t1">')
    assert len(repr(t1)) < 2000 and repr(t1).startswith("<TableOne: 6 rows")


def test_import_cartsie_does_not_import_the_renderers():
    code = (
        "import sys, cartsie, cartsie.tables, cartsie.descriptive; "
        "print(sorted(m for m in ('great_tables', 'docx', 'openpyxl') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_warning_when_nothing_is_left_out(fits):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        regression_table(fits["cox"]).to_html()


def test_print_summary_routes_to_the_writers(table, t1):
    import io

    for t in (table, t1):
        assert t.print_summary("markdown", file=io.StringIO()) == t.to_markdown()
        assert t.print_summary("latex", file=io.StringIO()) == t.to_latex()
        assert t.print_summary("html", file=io.StringIO()) == t.to_html()
        assert "Characteristic" in t.print_summary(file=io.StringIO())
        with pytest.raises(ValueError, match="fmt must be one of"):
            t.print_summary("pdf", file=io.StringIO())


def test_html_is_styled_as_a_three_line_table(table, t1):
    """A heavy rule above the labels and under the body, a light one under the labels, no others."""
    import re

    for t in (table, t1):
        text = t.to_html()

        def rule(css_class: str, text: str = text) -> str:
            found = re.search(r"\." + css_class + r" \{([^}]*)\}", text)
            assert found, css_class
            return found.group(1)

        heads, body, row = rule("gt_col_headings"), rule("gt_table_body"), rule("gt_row")
        assert "border-top-style: solid; border-top-width: 2px; border-top-color: #000000" in heads
        assert "border-bottom-style: solid; border-bottom-width: 1px; border-bottom-color: #000000" in heads
        assert "border-bottom-style: solid; border-bottom-width: 2px; border-bottom-color: #000000" in body
        assert "border-top-style: none" in row and "border-right-style: none" in rule("gt_stub")
        assert "border-top-style: none" in rule("gt_table") and "font-weight: bold" in rule("gt_col_heading")
