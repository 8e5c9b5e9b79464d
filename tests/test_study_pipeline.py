"""cartsie reproduce: every item's outputs, aggregates only, deterministic."""

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cartsie import cohort, study, synthetic
from cartsie.cli import main
from cartsie.datasets import example_path
from cartsie.study import estimate as _estimate
from cartsie.study import pipeline, published, registry
from cartsie.study.estimate import NotEstimable


@pytest.fixture(scope="module")
def example():
    return cohort.load(example_path("example_patients.csv"), example_path("example_labs.csv"))


@pytest.fixture(scope="module")
def run(example, tmp_path_factory):
    out = tmp_path_factory.mktemp("repro")
    return out, pipeline.reproduce(example, out, source="example")


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory):
    """A run on a small built-in cohort, where every model can be fitted and every figure drawn."""
    out = tmp_path_factory.mktemp("synthetic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = synthetic.cartsie_like(seed=2024, n_enrolled=500)
        return out, pipeline.reproduce(c, out, source="synthetic")


def test_every_item_writes_its_files(synthetic_run):
    out, result = synthetic_run
    assert not [n for n in result.notes if "skipped" in n], result.notes
    names = {p.relative_to(out).as_posix() for p in result.files}
    assert {"estimates.csv", "comparison.csv", "report.md", "report.html", "manifest.json"} <= names
    tables = ["table1_ht", "table1_simpleht", *(f"supp_table{k}" for k in range(2, 7)), "score_performance"]
    expected = {f"tables/{t}.{ext}" for t in tables for ext in pipeline.TABLE_FORMATS}
    figures = [
        "supp_figure1_flow",
        "figure1a_os_ht",
        "figure1b_pfs_ht",
        "figure1c_os_simpleht",
        "figure1d_pfs_simpleht",
        "supp_figure2_os",
        "supp_figure2_pfs",
        "supp_figure2_dor",
        "figure_roc_ht_late_icaht",
        "supp_table4_forest",
        "supp_table6_forest",
        "nrm_simpleht",
        "spm_cif",
        "spm_cif_ht",
        "perf_calibration_os",
    ]
    expected |= {f"figures/{f}.{ext}" for f in figures for ext in pipeline.FIGURE_FORMATS}
    assert expected <= names, sorted(expected - names)
    assert all(p.stat().st_size > 0 for p in result.files)


def test_score_performance_is_beyond_the_paper(synthetic_run):
    """The perf.* estimates are written, never compared with the paper, and their section says so."""
    out, result = synthetic_run
    est = pd.read_csv(out / "estimates.csv")
    perf = est[est["id"].str.startswith("perf.")]
    assert len(perf) == 56 and perf["estimable"].all(), perf[~perf["estimable"]]
    assert {"perf.ht.os.harrell_c", "perf.simpleht.pfs.auc.24m", "perf.ht.os.nb.12m.pt25"} <= set(perf["id"])
    assert not pd.read_csv(out / "comparison.csv")["id"].str.startswith("perf.").any()
    assert not published.published()["id"].str.startswith("perf.").any()
    assert not registry.item("performance").published
    harrell = perf.set_index("id").loc["perf.ht.os.harrell_c"]
    assert 0.5 < harrell["value"] < 1 and harrell["ci_lower"] < harrell["value"] < harrell["ci_upper"]
    md = (out / "report.md").read_text(encoding="utf-8")
    section = md.split("### Score performance (beyond the paper)", 1)[1]
    assert section.lstrip().startswith("*Beyond the paper:")
    assert "figures/perf_calibration_os.png" in section and "Harrell's C" in section
    assert "Score performance (beyond the paper): " in md.split("## Results")[0]  # its Methods paragraph
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "class='note beyond'" in html and "table-score_performance" in html
    assert result.timings["performance: estimates"] > 0


def test_estimates_file_is_paper_estimates(run, example):
    out, _ = run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = study.estimates(example)
    got = pd.read_csv(out / "estimates.csv", keep_default_na=False, na_values=[""])
    got[["reason", "note"]] = got[["reason", "note"]].fillna("")
    cols = ["label", "value", "ci_lower", "ci_upper", "interval", "p_value", "n", "estimable", "reason"]
    pd.testing.assert_frame_equal(
        got.set_index("id").sort_index()[cols], expected.set_index("id").sort_index()[cols], check_dtype=False
    )


def test_outputs_hold_no_patient_rows(run):
    out, _ = run
    for name in ("estimates.csv", "comparison.csv", "report.md", "report.html", "manifest.json"):
        text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", (out / name).read_text(encoding="utf-8"))
        assert "EX0" not in text and "EX1" not in text, name


def test_manifest_stamps_version_and_input_checksum(run, example):
    out, _ = run
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["input_sha256"] == pipeline.checksum(example.patients, example.labs)
    assert manifest["cartsie_version"] and manifest["items"] == [it.name for it in registry.ITEMS]


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
        registry.item("table9")


def test_cli_reproduce_on_the_example(tmp_path):
    result = CliRunner().invoke(
        main, ["reproduce", "--example", "--out", str(tmp_path), "--item", "survival"]
    )
    assert result.exit_code == 0, result.stderr
    assert "report.html" in result.stdout
    assert (tmp_path / "figures" / "figure1c_os_simpleht.png").exists()


def test_not_estimable_rows_and_summary_line(run):
    out, result = run
    est = result.estimates
    expected = est.loc[~est["estimable"], ["id", "label", "reason"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(result.not_estimable, expected)
    # 25 of the paper's items, 30 of the score performance (a monotone likelihood on 12 patients)
    perf = expected["id"].str.startswith("perf.")
    assert len(expected) == 55 and perf.sum() == 30 and (expected["reason"] != "").all()
    assert expected.loc[perf, "reason"].str.contains("coefficient is infinite").all()
    assert not expected["reason"].str.startswith(_estimate.UNEXPECTED).any()  # no broad fallback
    line = pipeline.summary_line(result)
    assert line.startswith(
        "55 estimates not estimable on this cohort: tox.late_icaht_ge3.ht.or (OR infinite: no late ICAHT "
        "grade >= 3 in the HT low group), tox.early_icaht.ht.or (early ICAHT in every HT-evaluable patient "
        "with early_icaht known), "
    )
    assert line.endswith(" and 52 more (see report.md)") and "\n" not in line
    written = pd.read_csv(out / "estimates.csv", keep_default_na=False, na_values=[""])
    assert list(written.columns) == list(study.COLUMNS)
    assert written["estimable"].tolist() == est["estimable"].tolist()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## Not estimable on this cohort" in md
    assert (
        "| spm.fg.ht | sHR of SPM, HT score high (Fine-Gray) | "
        "sHR 0: no second primary malignancy in the HT high group |" in md
    )
    comparison = pd.read_csv(out / "comparison.csv").set_index("id")
    assert comparison.loc["spm.fg.ht", "agreement"] == "not estimable"
    assert comparison.loc["spm.fg.ht", "reproduced"] == 0 and np.isnan(
        comparison.loc["spm.fg.ht", "ci_lower"]
    )


def _cannot():
    raise NotEstimable("nobody HT high")


def _bug():
    raise ValueError("a bug")


class _Broken:
    """An item whose tables and figures cannot be made."""

    name, title, prefix = "flow", "Flow", "flow"

    def analyse(self, cohort, note=None):
        from cartsie.study._item import ItemResult, Output
        from cartsie.study.items import flow

        rows = flow.analyse(cohort).estimates
        figs = (Output("empty", "Empty", _cannot), Output("broken", "Broken", _bug))
        return ItemResult("flow", rows, tables=(Output("none", "None", _cannot),), figures=figs)


def test_figures_that_cannot_be_drawn_are_skipped_with_a_note(example, tmp_path):
    result = pipeline.run(example, tmp_path, (_Broken(),), None, {"notes": []})
    assert result.notes == (
        "table none skipped: nobody HT high",
        "figure empty skipped: nobody HT high",
        "figure broken skipped: unexpected error (ValueError: a bug)",
    )
    assert not list((tmp_path / "figures").iterdir())
    assert "> figure empty skipped: nobody HT high" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert pipeline.summary_line(result) == ""
    assert set(result.timings) == {"flow: estimates", "flow: tables", "flow: figures", "report"}


def test_estimates_are_typed_labelled_and_cover_every_published_id(run):
    out, _result = run
    est = pd.read_csv(out / "estimates.csv", keep_default_na=False, na_values=[""])
    assert set(published.published()["id"]) <= set(est["id"]) and est["id"].is_unique
    assert est["label"].notna().all() and (est["label"].str.len() > 3).all()
    assert len(set(est["label"])) == len(est), "labels tell the rows apart"
    for column in ("value", "ci_lower", "ci_upper", "p_value", "n"):
        assert pd.api.types.is_float_dtype(est[column]) or pd.api.types.is_integer_dtype(est[column]), column
    assert set(est["interval"]) <= set(_estimate.INTERVALS)
    # medians are given with their CI (their IQR or range is in the note), counts with none
    by_id = est.set_index("id")
    assert by_id.loc["table1.HT.age_median.total", "interval"] in {"ci", "iqr"}
    assert by_id.loc["spm.time_to_dx.median", "interval"] in {"ci", "none"}  # not its range
    assert by_id.loc["surv.os.1y.global", "interval"] == "ci"
    assert by_id.loc["flow.enrolled", "interval"] == "none"
    # a row with bounds always names them; a row without has none
    bounded = est["ci_lower"].notna() | est["ci_upper"].notna()
    assert (est.loc[bounded, "interval"] != "none").all()
    assert (est.loc[~bounded, "interval"] == "none").all()


def test_two_processes_write_what_one_writes(tmp_path):
    """The survival item runs in a forked process beside the others: same files, same bytes, same
    notes, every estimate in the paper's order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = synthetic.cartsie_like(seed=11, n_enrolled=400)
        one = pipeline.run(c, tmp_path / "one", note="n", meta={"notes": []}, jobs=1)
        two = pipeline.run(c, tmp_path / "two", note="n", meta={"notes": []}, jobs=2)
    names = sorted(p.relative_to(tmp_path / "one").as_posix() for p in one.files)
    assert names == sorted(p.relative_to(tmp_path / "two").as_posix() for p in two.files)
    for name in names:
        if name.endswith((".docx", ".xlsx")):  # zip archives stamp their members' times
            continue
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    pd.testing.assert_frame_equal(one.estimates, two.estimates)
    assert one.notes == two.notes and list(one.timings) == list(two.timings)


def test_the_report_says_what_reading_the_input_did(tmp_path):
    """A unit in a header is converted on reading; the report of the user's data says so (with the
    column renamed), as `cartsie validate` does: nothing converted silently."""
    patients = pd.read_csv(example_path("example_patients.csv"))
    patients = patients.rename(columns={"crp": "crp (mg/L)"})
    patients["crp (mg/L)"] = patients["crp (mg/L)"] * 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = cohort.load(patients, example_path("example_labs.csv"))
        pipeline.reproduce(c, tmp_path, items=("flow",), source="mine.csv")
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "> input: patients table: columns read as {'crp (mg/L)': 'crp'}" in md
    assert "> input: patients table: 'crp' converted from mg/L to mg/dL" in md
    assert "converted from mg/L to mg/dL" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_checksum_in_blocks_of_rows_is_the_whole_tables_hash(example, monkeypatch):
    """The checksum hashes a long table in blocks; the digest is the one of the whole table at once,
    and any changed value changes it."""
    import hashlib

    def whole(*frames):
        h = hashlib.sha256()
        for frame in frames:
            if frame is not None:
                h.update("\x1f".join(map(str, frame.columns)).encode())
                h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        return h.hexdigest()

    monkeypatch.setattr(pipeline, "CHECKSUM_ROWS", 7)
    assert pipeline.checksum(example.patients, example.labs) == whole(example.patients, example.labs)
    changed = example.labs.copy()
    changed.loc[changed.index[-1], "anc"] = changed["anc"].iloc[-1] + 0.1
    assert pipeline.checksum(example.patients, changed) != pipeline.checksum(example.patients, example.labs)


def test_cli_reproduce_stamps_the_checksum_of_the_labs_it_lets_go(example, tmp_path):
    """`cartsie reproduce --data --labs` drops the lab rows after the checksum (the grades are derived
    at load): the manifest's checksum is still the one of both input tables, and the numbers are those
    of the cohort with its labs."""
    out = tmp_path / "cli"
    args = ["reproduce", "--data", str(example_path("example_patients.csv"))]
    args += ["--labs", str(example_path("example_labs.csv")), "--out", str(out)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["input_sha256"] == pipeline.checksum(example.patients, example.labs)
    assert pipeline.checksum(example.patients, None) != manifest["input_sha256"]
    cli = pd.read_csv(out / "estimates.csv")
    direct = study.estimates(example)
    pd.testing.assert_series_equal(cli["value"], direct["value"].astype(float), check_names=False)


def test_run_leaves_no_object_frozen_out_of_garbage_collection(example, tmp_path):
    """The run freezes the objects made before it out of the collections while its items run, and
    unfreezes them after: the caller's objects are collected as before."""
    import gc

    before = gc.get_freeze_count()
    pipeline.run(example, tmp_path / "gc", items=[registry.item("flow")], jobs=2)
    assert gc.get_freeze_count() == before
    # a caller's own freeze is left in place (unfreezing would empty it)
    gc.freeze()
    try:
        pipeline.run(example, tmp_path / "gc2", items=[registry.item("flow")], jobs=2)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
