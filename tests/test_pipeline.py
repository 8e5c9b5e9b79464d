"""cartsie reproduce: every item's outputs, aggregates only, deterministic."""

import json
import warnings

import pandas as pd
import pytest
from click.testing import CliRunner

from cartsie import cohort, paper, pipeline
from cartsie.datasets import example_path
from cartsie.cli import main


@pytest.fixture(scope="module")
def example():
    return cohort.load(example_path("example_patients.csv"), example_path("example_labs.csv"))


@pytest.fixture(scope="module")
def run(example, tmp_path_factory):
    out = tmp_path_factory.mktemp("repro")
    return out, pipeline.reproduce(example, out, source="example")


def test_every_item_writes_its_files(run):
    out, result = run
    names = {p.relative_to(out).as_posix() for p in result.files}
    assert {"estimates.csv", "comparison.csv", "report.md", "report.html", "manifest.json"} <= names
    assert {
        "figures/supp_figure1_flow.png",
        "figures/figure1a_os_ht.png",
        "figures/spm_cif.png",
        "tables/table1_ht.md",
        "tables/table1_simpleht.html",
        "tables/table1_ht.csv",
    } <= names
    assert all(p.stat().st_size > 0 for p in result.files)


def test_estimates_file_is_paper_estimates(run, example):
    out, _ = run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = paper.estimates(example)
    got = pd.read_csv(out / "estimates.csv", keep_default_na=False, na_values=[""])
    cols = ["value", "ci_low", "ci_high", "p", "n"]
    pd.testing.assert_frame_equal(
        got.set_index("id").sort_index()[cols], expected.set_index("id").sort_index()[cols], check_dtype=False
    )


def test_outputs_hold_no_patient_rows(run):
    out, _ = run
    for name in ("estimates.csv", "comparison.csv", "report.md", "report.html", "manifest.json"):
        text = (out / name).read_text(encoding="utf-8")
        assert "EX0" not in text and "EX1" not in text, name


def test_manifest_stamps_version_and_input_checksum(run, example):
    out, _ = run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["input_sha256"] == pipeline.checksum(example.patients, example.labs)
    assert manifest["cartsie_version"] and manifest["items"] == [it.name for it in pipeline.ITEMS]


def test_two_runs_are_byte_identical(example, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    pipeline.reproduce(example, a, source="example")
    pipeline.reproduce(example, b, source="example")
    for name in (
        "estimates.csv",
        "comparison.csv",
        "report.md",
        "report.html",
        "manifest.json",
        "figures/figure1a_os_ht.png",
    ):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_one_item(example, tmp_path):
    result = pipeline.reproduce(example, tmp_path, items=("flow",))
    assert set(result.estimates["id"]) == {
        "flow.enrolled",
        "flow.infused",
        "flow.lbcl",
        "flow.simpleht",
        "flow.ht",
        "flow.ht_missing",
    }
    with pytest.raises(KeyError, match="no paper item 'table9'"):
        pipeline.item("table9")


def test_cli_reproduce_on_the_example(tmp_path):
    result = CliRunner().invoke(
        main, ["reproduce", "--example", "--out", str(tmp_path), "--item", "survival"]
    )
    assert result.exit_code == 0, result.stderr
    assert "report.html" in result.stdout
    assert (tmp_path / "figures" / "figure1c_os_simpleht.png").exists()
