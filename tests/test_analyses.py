"""The ``analyses/`` scripts: each runs alone and gives ``cartsie reproduce``'s numbers.

Every script is run as a user runs it (``python analyses/NN_item.py --data P --labs L --out DIR``, a
subprocess) on a small synthetic cohort written once: its ``estimates.csv`` must hold the item's ids
with the values, CIs, p-values, n, estimability, labels, reasons and notes of
:func:`cartsie.study.pipeline.reproduce` on the same files, and it must write the same tables and
figures. The subprocesses run in parallel while reproduce runs here. The scripts also run in this
process (faster; tables and figures made but not written) on the 12-patient example (``--example``,
where many estimates are not estimable, for many reasons) and on degraded copies of the synthetic
cohort, against :func:`cartsie.study.estimates` (the rows reproduce writes).
"""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpydoc.docscrape import get_doc_object
from numpydoc.validate import validate

import cartsie
from cartsie import cohort, figures, study, synthetic
from cartsie.binary import logistic
from cartsie.datasets import example_path
from cartsie.errors import CohortWarning, MissingValuesWarning
from cartsie.study import checks, pipeline, registry, script
from cartsie.study.estimate import COLUMNS, UNEXPECTED

ROOT = Path(__file__).resolve().parents[1]
ANALYSES = ROOT / "analyses"
#: the synthetic cohort: 200 enrolled give 78 HT-evaluable patients -- every statistic runs, a few
#: ratios are infinite (not estimable), and each script takes a few seconds, most of it imports
SEED, N_ENROLLED = 11, 200
NUMBERS = ["value", "ci_lower", "ci_upper", "p_value", "n"]
TEXTS = ["label", "interval", "reason", "note"]
#: the numpydoc checks of tests/test_tooling.py
CHECKS = frozenset({"GL08", "PR01", "PR02", "PR07", "RT01", "SS05"})
#: the files compared byte for byte with reproduce's (PDF and Office files carry their own stamps)
SAME_BYTES = (".csv", ".md", ".tex", ".png")


def _env() -> dict:
    """The subprocess imports the cartsie under test (the source tree or the installed package)."""
    src = str(Path(cartsie.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "MPLBACKEND": "Agg"}


def run_script(name: str, *args) -> subprocess.CompletedProcess:
    """``python analyses/NAME ARGS``, as a user runs it."""
    return subprocess.run(
        [sys.executable, str(ANALYSES / name), *map(str, args)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=300,
    )


def run_here(name: str, *args, files: bool = True) -> subprocess.CompletedProcess:
    """The script run in this process (``runpy``, as ``python`` runs it), for speed: its status and
    output as :func:`run_script` gives them; what setup changes (excepthook, warnings) is put back.
    With ``files=False`` its tables and figures are made but not written (rendering is most of their
    cost)."""
    out, err, status = io.StringIO(), io.StringIO(), 0
    with (
        pytest.MonkeyPatch.context() as mp,
        warnings.catch_warnings(),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        warnings.simplefilter("ignore")  # the suite's "error" filter would stop the script's warnings
        mp.setattr(sys, "argv", [name, *map(str, args)])
        mp.setattr(sys, "excepthook", sys.excepthook)
        if not files:
            mp.setattr(pipeline, "write_table", lambda table, stem: [])
            mp.setattr(pipeline, "save_figure", lambda fig, stem: [])
        try:
            runpy.run_path(str(ANALYSES / name), run_name="__main__")
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
    return subprocess.CompletedProcess([name, *args], status, out.getvalue(), err.getvalue())


def read_estimates(path: Path) -> pd.DataFrame:
    got = pd.read_csv(path, keep_default_na=False, na_values=[""])
    got[TEXTS] = got[TEXTS].fillna("")
    return got


def _reproduced(paths, out: Path) -> pd.DataFrame:
    # one process: reproduce's forked worker is unsafe here, beside the threads running the scripts
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as mp:
        warnings.simplefilter("ignore")
        mp.setenv("CARTSIE_JOBS", "1")
        pipeline.reproduce(cohort.load(*paths), out, source="test")
    return read_estimates(out / "estimates.csv")


def _estimates(*paths, items: tuple[str, ...] = ()) -> pd.DataFrame:
    """The rows reproduce writes (:func:`cartsie.study.estimates`), without writing them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return study.estimates(cohort.load(*paths), items)


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """Every script on the synthetic cohort (subprocesses) with reproduce on it, and every script on
    the example (here)."""
    base = tmp_path_factory.mktemp("analyses")
    data = synthetic.write(base / "data", seed=SEED, n_enrolled=N_ENROLLED)
    example = [example_path("example_patients.csv"), example_path("example_labs.csv")]
    results = {}
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        done = {
            ("synthetic", it.name): pool.submit(
                run_script,
                it.script,
                "--data",
                data[0],
                "--labs",
                data[1],
                "--out",
                base / "synthetic" / it.name,
            )
            for it in registry.ITEMS
        }
        # meanwhile, in this process: reproduce on the synthetic cohort, the scripts on the example
        expected = {
            "synthetic": _reproduced(data, base / "synthetic" / "reproduce"),
            "example": _estimates(*example),
        }
        for it in registry.ITEMS:
            results["example", it.name] = run_here(
                it.script, "--example", "--out", base / "example" / it.name, files=False
            )
        results |= {key: future.result() for key, future in done.items()}
    return {"base": base, "data": data, "expected": expected, "results": results}


ITEM_NAMES = [it.name for it in registry.ITEMS]
WHICH = ["synthetic", "example"]


def test_every_item_has_its_script():
    scripts = sorted(p.name for p in ANALYSES.glob("[0-9][0-9]_*.py"))
    assert scripts == sorted(it.script for it in registry.ITEMS)
    for it in registry.ITEMS:
        text = (ANALYSES / it.script).read_text(encoding="utf-8")
        assert f'script.setup("{it.name}", __doc__)' in text, it.script
        assert "run_item" not in text and "reproduce(" not in text, f"{it.script} must compute, not delegate"


@pytest.mark.parametrize("which", WHICH)
@pytest.mark.parametrize("name", ITEM_NAMES)
def test_script_gives_reproduce_numbers(runs, name, which):
    done = runs["results"][which, name]
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    prefix = registry.item(name).prefix
    expected = runs["expected"][which]
    expected = expected[expected["id"].str.split(".").str[0] == prefix].set_index("id").sort_index()
    got = read_estimates(runs["base"] / which / name / "estimates.csv")
    assert list(got.columns) == list(COLUMNS)
    assert not got["reason"].str.startswith(UNEXPECTED).any(), got.loc[
        got["reason"].str.startswith(UNEXPECTED)
    ]
    assert not got["id"].duplicated().any()
    got = got.set_index("id").sort_index()
    assert list(got.index) == list(expected.index), sorted(set(got.index) ^ set(expected.index))
    for column in NUMBERS:
        np.testing.assert_allclose(
            got[column].to_numpy(float), expected[column].to_numpy(float), rtol=1e-10, atol=0, err_msg=column
        )
    assert got["estimable"].tolist() == expected["estimable"].tolist()
    pd.testing.assert_frame_equal(got[TEXTS], expected[TEXTS])


@cache
def _outputs(name: str) -> tuple[list[str], list[str]]:
    """The item's tables and figures, by file stem (the same on every cohort; made on demand)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        example = cohort.load(example_path("example_patients.csv"), example_path("example_labs.csv"))
        result = registry.item(name).analyse(example)
    return [t.name for t in result.tables], [f.name for f in result.figures]


def _written(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix() for sub in ("tables", "figures") for p in (folder / sub).glob("*")
    }


@pytest.mark.parametrize("name", ITEM_NAMES)
def test_script_writes_reproduce_files(runs, name):
    """The tables and figures reproduce writes for the item, and no other, the same byte for byte."""
    which = "synthetic"
    tables, figs = _outputs(name)
    mine = {f"tables/{t}" for t in tables} | {f"figures/{f}" for f in figs}
    expected = {f for f in _written(runs["base"] / which / "reproduce") if f.rsplit(".", 1)[0] in mine}
    got = _written(runs["base"] / which / name)
    assert got == expected, (sorted(expected - got), sorted(got - expected))
    for f in sorted(got):
        if f.endswith(SAME_BYTES):
            mine, theirs = runs["base"] / which / name / f, runs["base"] / which / "reproduce" / f
            assert mine.read_bytes() == theirs.read_bytes(), f"{f} differs from reproduce's"
    folder = runs["base"] / which / name
    assert {"estimates.csv", "comparison.csv", "manifest.json"} <= {p.name for p in folder.iterdir()}


@pytest.mark.parametrize("name", ITEM_NAMES)
def test_tables_written(runs, name):
    """On the synthetic cohort every table of the item is written, in every format."""
    tables, _figs = _outputs(name)
    folder = runs["base"] / "synthetic" / name / "tables"
    for t in tables:
        for ext in pipeline.TABLE_FORMATS:
            path = folder / f"{t}.{ext}"
            assert path.exists() and path.stat().st_size > 0, path.name


@pytest.mark.parametrize("name", ITEM_NAMES)
def test_figures_written(runs, name):
    """On the synthetic cohort every figure of the item is written, as PNG and PDF."""
    _tables, figs = _outputs(name)
    folder = runs["base"] / "synthetic" / name / "figures"
    for f in figs:
        for ext in pipeline.FIGURE_FORMATS:
            path = folder / f"{f}.{ext}"
            assert path.exists() and path.stat().st_size > 0, path.name


# -- the guard --------------------------------------------------------------------------------------


def test_guard_turns_each_failure_into_a_row_and_goes_on():
    est = script.Estimates()
    with est("a.check", "A check") as e:
        raise script.NotEstimable("nobody HT high")
    with est("b.statistic", "A statistic that fails") as e:
        constant = pd.DataFrame({"y": [0, 1, 0, 1], "x": [1.0, 1.0, 1.0, 1.0]})
        e.set(logistic(constant, "y", ["x"]).summary.loc["x", "odds_ratio"])
    with est("c.bug", "A bug") as e:
        raise ZeroDivisionError("division by zero")
    with est("d.forgotten", "Nothing recorded"):
        pass
    with est("e.fine", "A count") as e:
        e.set(3, n=3)
    rows = est.frame().set_index("id")
    assert rows.loc["a.check", "reason"] == "nobody HT high"
    assert (
        not rows.loc["b.statistic", "estimable"] and "linearly dependent" in rows.loc["b.statistic", "reason"]
    )
    assert rows.loc["c.bug", "reason"] == f"{UNEXPECTED} (ZeroDivisionError: division by zero)"
    assert rows.loc["d.forgotten", "reason"].startswith(UNEXPECTED)
    assert rows.loc["e.fine", "estimable"] and rows.loc["e.fine", "value"] == 3
    assert rows.loc[["a.check", "b.statistic", "c.bug"], "value"].isna().all()
    with pytest.raises(ValueError, match="computed twice"), est("e.fine", "again"):
        pass


def loud(est: script.Estimates) -> None:
    with est("b.loud", "Warned") as e:
        warnings.warn("look at this", CohortWarning, stacklevel=1)
        e.set(2.0)


def test_guard_drops_missing_value_warnings_and_names_the_others():
    est = script.Estimates()
    with est("a.quiet", "Missing values left out") as e:
        warnings.warn("3 rows dropped", MissingValuesWarning, stacklevel=1)
        e.set(1.0)
    with pytest.warns(CohortWarning, match=r"^b\.loud: look at this"):
        loud(est)
    assert est.frame()["estimable"].all()


def test_infinite_ratio_is_not_estimable_with_its_value():
    data = pd.DataFrame({"y": [0, 0, 0, 1, 1, 0, 1, 1], "g": [0, 0, 0, 0, 1, 1, 1, 1]})
    data.loc[data["g"] == 0, "y"] = 0  # no event in group 0: separation
    est = script.Estimates()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with est("x.or", "OR") as e:
            e.ratio(logistic(data, "y", ["g"]), "g", data, "y")
    r = est.frame().iloc[0]
    assert not r["estimable"] and np.isinf(r["value"]) and r["reason"].startswith("OR infinite: no y in")


def test_script_continues_past_what_the_data_lack(runs, tmp_path):
    """No bone-marrow column and no labs table: those rows say why, the rest is computed, and the
    rows still equal reproduce's on the same file."""
    patients = pd.read_csv(runs["data"][0]).drop(columns="bone_marrow_involvement")
    path = tmp_path / "patients.csv"
    patients.to_csv(path, index=False)
    expected = {k: _estimates(path, items=(k,)).set_index("id").sort_index() for k in ("spm", "toxicity")}
    done, got = {}, {}
    for k, name in (("spm", "07_spm.py"), ("toxicity", "03_toxicity.py")):
        done[k] = run_here(name, "--data", path, "--out", tmp_path / k, files=False)
        assert done[k].returncode == 0, done[k].stderr
        got[k] = read_estimates(tmp_path / k / "estimates.csv").set_index("id").sort_index()
        pd.testing.assert_frame_equal(got[k][TEXTS], expected[k][TEXTS])
        np.testing.assert_allclose(
            got[k][NUMBERS].to_numpy(float), expected[k][NUMBERS].to_numpy(float), rtol=1e-10, atol=0
        )
    spm, tox = got["spm"], got["toxicity"]
    assert (
        spm.loc["spm.fg.bm_involvement", "reason"] == "column 'bone_marrow_involvement' absent from the data"
    )
    assert spm.loc["spm.fg.age", "estimable"]
    assert tox.loc["tox.late_icaht_any.rate", "reason"] == "no labs table: ICAHT not graded"
    assert tox.loc["tox.crs_any.rate", "estimable"]
    skipped = "note: figure figure_roc_ht_late_icaht skipped: no labs table: ICAHT not graded"
    assert skipped in done["toxicity"].stderr


# -- bad input ends in a message, never a traceback -------------------------------------------------


def test_bad_file_ends_in_the_command_line_message(tmp_path):
    """As a user sees it: a message, exit status 2, no traceback, nothing written."""
    done = run_script("01_flow.py", "--data", tmp_path / "missing.csv", "--out", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and "missing.csv" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_error_after_setup_is_a_message_not_a_traceback(capsys, monkeypatch):
    """A failure outside every guard (a script's bug) is printed as a message by the hook setup puts
    in place (the process then exits with status 1); CARTSIE_DEBUG=1 shows the traceback."""
    monkeypatch.delenv("CARTSIE_DEBUG", raising=False)
    script._excepthook(KeyError, KeyError("no_such_column"), None)
    err = capsys.readouterr().err
    assert "error: the script failed unexpectedly (KeyError: 'no_such_column')" in err
    assert "Traceback" not in err
    script._excepthook(cartsie.InputError, cartsie.InputError("column 'os_days' is empty"), None)
    assert capsys.readouterr().err == "error: column 'os_days' is empty\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", "{tmp}/nonsense.csv"], "error: "),
        (["--labs", "labs.csv"], "--labs needs --data"),
        (["--example", "--data", "p.csv"], "not both"),
        (["--n-enrolled", "10"], "n_enrolled"),
        (["--seed", "abc"], "'abc' is not a valid integer"),
        (["--lab-duplicates", "sometimes"], "'sometimes' is not one of"),
    ],
)
def test_bad_arguments_end_in_a_message(argv, message, tmp_path, capsys):
    (tmp_path / "nonsense.csv").write_text("who,what\n1,2\n", encoding="utf-8")
    argv = [a.format(tmp=tmp_path) for a in argv]
    with pytest.raises(SystemExit) as exit_:
        script.setup("survival", "Survival.", [*argv, "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_help_shows_the_script_docstring_and_the_reading_options():
    done = run_here("05_survival.py", "--help")
    assert done.returncode == 0, done.stderr
    for text in (
        "Kaplan-Meier curves and Cox models",
        "--data",
        "--labs",
        "--out",
        "--seed",
        "--unit",
        "--na",
    ):
        assert text in done.stdout, text


def test_setup_reads_as_reproduce_does(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
    c, out = script.setup("nrm", None, ["--example", "--out", str(tmp_path / "o")])
    assert out.path == tmp_path / "o" and out.path.is_dir() and out.item == "nrm" and out.note is None
    assert out.manifest["input_sha256"] == pipeline.checksum(c.patients, c.labs)
    assert len(c.patients) == 12
    argv = ["--n-enrolled", "200", "--seed", "11", "--out", str(tmp_path / "b")]
    built_in, out = script.setup("nrm", None, argv)
    assert out.note == figures.SYNTHETIC_NOTE and out.manifest["seed"] == 11
    assert built_in.flow["n"].iloc[0] == 200


# -- documentation ----------------------------------------------------------------------------------


def test_readme_maps_every_item_to_its_script_and_outputs():
    readme = (ANALYSES / "README.md").read_text(encoding="utf-8")
    for it in registry.ITEMS:
        assert f"`{it.script}`" in readme, it.script
        assert f"`{it.prefix}.*`" in readme, it.prefix
        tables, figs = _outputs(it.name)
        for stem in (*tables, *figs):
            assert stem in readme, stem


@pytest.mark.parametrize("module", [script, checks], ids=["script", "checks"])
def test_public_functions_have_numpydoc(module):
    errors = []
    for name in module.__all__:
        obj = getattr(module, name)
        if obj is script.NotEstimable:  # the study's exception, documented in cartsie.study.estimate
            continue
        members = (
            [obj] + [m for m in vars(obj).values() if callable(m) and not m.__name__.startswith("_")]
            if isinstance(obj, type)
            else [obj]
        )
        for member in members:
            found = validate(get_doc_object(member))["errors"]
            errors += [f"{name}.{member.__name__}: {code} {msg}" for code, msg in found if code in CHECKS]
    assert not errors, "\n".join(errors)


def test_docstring_example_runs():
    import doctest

    result = doctest.testmod(script, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
