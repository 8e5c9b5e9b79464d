"""Table 1 as journals print it: group headers, value labels, 0/1 rows, "<1%", footnotes, writers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartsie.descriptive import table_one
from cartsie.descriptive._table_one import format_count_bounded
from cartsie.errors import InputError
from cartsie.format import format_count
from tests._readback import docx_paragraphs, docx_rows, html_rows, xlsx_rows

N_LOW, N_HIGH = 138, 251


def _ones(k_low: int, k_high: int) -> np.ndarray:
    """A 0/1 column: the first k_low of the low group and the first k_high of the high group are 1."""
    return np.r_[np.arange(N_LOW) < k_low, np.arange(N_HIGH) < k_high].astype(int)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = N_LOW + N_HIGH
    return pd.DataFrame(
        {
            "ht_group": pd.Categorical(["low"] * N_LOW + ["high"] * N_HIGH, categories=["low", "high"]),
            "age": rng.integers(25, 80, n),
            "sex": rng.choice(["F", "M"], n),
            "one": _ones(0, 1),  # 1 of 251: "<1%"
            "two": _ones(0, 2),  # 2 of 251: "1%"
            "all_but_one": _ones(N_LOW, N_HIGH - 1),  # 250 of 251: ">99%"; 138 of 138: "100%"
            "all_but_two": _ones(N_LOW, N_HIGH - 2),  # 249 of 251: "99%"
            "nobody": np.zeros(n, dtype=int),
            "flag": rng.random(n) < 0.3,
        }
    )


VARIABLES = ["age", "sex", "one", "two", "all_but_one", "all_but_two", "nobody", "flag"]
LABELS = {"age": "Age, years", "sex": "Sex", "one": "One", "nobody": "Nobody", "flag": "Flag"}


@pytest.fixture(scope="module")
def t1(data):
    return table_one(
        data,
        "ht_group",
        VARIABLES,
        labels=LABELS,
        group_label="HT score",
        value_labels={"sex": {"F": "Female", "M": "Male"}},
    )


def _row(frame: pd.DataFrame, label: str) -> list[str]:
    return frame[frame["Characteristic"] == label].iloc[0].tolist()[1:]


def test_headers_name_the_grouping(t1):
    assert list(t1.to_frame().columns) == [
        "Characteristic",
        "HT score low (N = 138)",
        "HT score high (N = 251)",
        "Total (N = 389)",
        "p",
    ]
    # without group_label the level alone; the group's value labels relabel the headers
    d = pd.DataFrame({"g": ["a", "b", "a", "b"], "x": [1.0, 2.0, 3.0, 4.0]})
    assert table_one(d, "g", ["x"]).to_frame().columns[1] == "a (N = 2)"
    relabelled = table_one(d, "g", ["x"], group_label="Arm", value_labels={"g": {"b": "B"}})
    assert list(relabelled.to_frame().columns[1:3]) == ["Arm a (N = 2)", "Arm B (N = 2)"]


@pytest.mark.parametrize(
    ("k", "denominator", "text"),
    [
        (1, 251, "1 (<1%)"),
        (2, 251, "2 (1%)"),
        (250, 251, "250 (>99%)"),
        (249, 251, "249 (99%)"),
        (0, 251, "0 (0%)"),
        (251, 251, "251 (100%)"),
        (1, 200, "1 (<1%)"),  # 0.5% rounds (half-even) to 0: not 0, so "<1%"
        (3, 200, "3 (2%)"),  # 1.5% rounds to 2, as format_count
        (199, 200, "199 (>99%)"),  # 99.5% rounds to 100
        (0, 0, "0 (-)"),
    ],
)
def test_percentages_that_round_to_0_or_100(k, denominator, text):
    assert format_count_bounded(k, denominator) == text
    if "<" not in text and ">" not in text:
        assert format_count_bounded(k, denominator) == format_count(k, denominator)


def test_boundary_cells_in_the_table(t1):
    f = t1.to_frame()
    assert _row(f, "One")[:3] == ["0 (0%)", "1 (<1%)", "1 (<1%)"]
    assert _row(f, "two")[:3] == ["0 (0%)", "2 (1%)", "2 (1%)"]  # 2 of 389 is 0.51%: "1%"
    assert _row(f, "all_but_one")[:3] == ["138 (100%)", "250 (>99%)", "388 (>99%)"]
    assert _row(f, "all_but_two")[:3] == ["138 (100%)", "249 (99%)", "387 (99%)"]
    # the numbers behind stay exact
    st = t1.stats[(t1.stats["variable"] == "one") & (t1.stats["group"] == "high")].iloc[0]
    assert (st["n"], st["denominator"], st["percent"]) == (1, 251, 100 / 251)


def test_value_labels_and_binary_rows(t1, data):
    f = t1.to_frame()
    labels = f["Characteristic"].tolist()
    i = labels.index("Sex")
    assert labels[i : i + 3] == ["Sex", "Female", "Male"] and t1.to_frame().iloc[i, 1:4].eq("").all()
    assert t1._display().indent[i : i + 3] == (0, 1, 1)
    females = int(((data["sex"] == "F") & (data["ht_group"] == "low")).sum())
    assert _row(f, "Female")[0] == format_count_bounded(females, N_LOW)
    # summary and stats keep the levels themselves
    assert set(t1.summary.loc[t1.summary["variable"] == "sex", "level"]) == {"F", "M"}
    # 0/1 and boolean variables: one row (their 1 / True level), on the variable's line
    for label, var in [("One", "one"), ("Flag", "flag"), ("Nobody", "nobody")]:
        assert labels.count(label) == 1
        levels = t1.summary.loc[t1.summary["variable"] == var, "level"].tolist()
        assert levels in ([1], [True])
    # nobody has the 1: still its row, 0 (0%), and R's fisher.test of a table with a zero row: p = 1
    assert _row(f, "Nobody") == ["0 (0%)", "0 (0%)", "0 (0%)", ">.99"]
    assert t1.summary.set_index("variable").loc["nobody", "p_value"] == 1.0


def test_footnotes_name_statistics_and_tests(t1):
    notes = t1.footnotes
    assert notes[0] == "Median (IQR); n (%)."
    assert notes[1] == "p-values: Kruskal-Wallis rank sum test; Fisher's exact test."
    assert notes[2].startswith("IQR = interquartile range, first to third quartile; percentages are of")
    assert t1._display().notes == notes
    # two tests for categorical variables: each names its variables
    d = pd.DataFrame({"g": list("ababababab"), "x": list("xyxxyyxyxy"), "y": list("uuvvuvuvvu"),
                      "z": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10], "w": [np.nan, 1] * 5})  # fmt: skip
    t = table_one(d, "g", ["x", "y", "z", "w"], tests={"y": "chisq"}, labels={"x": "Ex"})
    assert t.footnotes[1] == (
        "p-values: Fisher's exact test (Ex; w); Pearson's chi-squared test with Yates' continuity "
        "correction (y); Kruskal-Wallis rank sum test."
    )
    assert "Unknown: patients without the value" in t.footnotes[2]
    only_counts = table_one(d, "g", ["x"], tests="none")
    assert only_counts.footnotes == ("n (%).", "Percentages are of the patients with a known value.")


def _latex(text: str) -> str:
    """great-tables' escaping of the characters our cells use."""
    for char, escaped in {"%": r"\%", "<": r"\textless{}", ">": r"\textgreater{}", "_": r"\_"}.items():
        text = text.replace(char, escaped)
    return text


def test_every_writer_carries_headers_labels_and_footnotes(t1, tmp_path):
    frame = t1.to_frame()
    head = list(frame.columns)
    cells = frame.to_numpy().tolist()
    notes = list(t1.footnotes)
    md = t1.to_markdown()
    assert md.splitlines()[0] == "| " + " | ".join(head) + " |"
    assert "| - Female |" in md and all(note in md for note in notes)
    parsed = html_rows(t1.to_html())
    assert parsed.rows == cells and parsed.notes == notes
    assert all(h in t1.to_html() for h in head[1:])
    latex = t1.to_latex()
    for h in head[1:]:
        assert h in latex
    for row in cells:
        assert " & ".join(map(_latex, row)) + r" \\" in latex.replace(r"\hspace*{7.5pt}", "")
    assert all(_latex(note) in latex for note in notes)
    docx = t1.to_docx(tmp_path / "t1.docx")
    assert docx_rows(docx) == [head, *cells]
    assert docx_paragraphs(docx)[-len(notes) :] == notes
    xlsx = t1.to_excel(tmp_path / "t1.xlsx")
    rows = xlsx_rows(xlsx)
    assert rows[0] == head and rows[1 : 1 + len(cells)] == cells
    assert [r[0] for r in rows[2 + len(cells) :]] == notes


def test_missing_label_and_rows(data):
    d = data.assign(age=data["age"].astype(float))
    d.loc[[0, 5, 300], "age"] = np.nan
    t = table_one(d, "ht_group", ["age"], missing_label="Missing")
    f = t.to_frame()
    assert f["Characteristic"].tolist() == ["age", "Missing"]
    assert f.iloc[1, 1:4].tolist() == ["2", "1", "3"]
    assert "Missing: patients without the value" in t.footnotes[-1]


def test_bad_labels(data):
    with pytest.raises(InputError, match=r"value_labels names \['stage'\]"):
        table_one(data, "ht_group", ["sex"], value_labels={"stage": {"I": "1"}})
    with pytest.raises(InputError, match="value_labels must map a column"):
        table_one(data, "ht_group", ["sex"], value_labels={"sex": "Female"})
    with pytest.raises(InputError, match="group_label must be a string"):
        table_one(data, "ht_group", ["sex"], group_label=1)
