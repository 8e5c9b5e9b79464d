"""cartsie.calibration.fit (simulation-based estimation, issue 15) and its CART-SIE glue."""

import ast
import json
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartsie import calibration

ROOT = Path(__file__).resolve().parents[1]
SEEDS = range(1, 9)


def toy(params: dict, seed: int, n: int = 200) -> pd.Series:
    """Normal draws with means mu_a, mu_b; 'c' not estimable in every third seed; 'k' a constant."""
    z = np.random.default_rng(seed).standard_normal((2, n))
    out = {
        "a": params["mu_a"] + z[0].mean(),
        "b": params["mu_b"] + params["scale"] * z[1].mean(),
        "c": np.nan if seed % 3 == 0 else params["mu_a"] + z[1].mean(),
        "k": 7.0,
    }
    return pd.Series(out)


START = {"mu_a": 0.0, "mu_b": 0.5, "scale": 1.0}
TARGETS = pd.Series({"a": 1.0, "b": -0.5, "c": 1.0, "k": 7.0})


def _draw_means(seeds=SEEDS, n=200):
    z = np.array([np.random.default_rng(s).standard_normal((2, n)).mean(axis=1) for s in seeds])
    return z


def test_fit_recovers_the_known_solution_within_mc_error():
    r = calibration.fit(
        TARGETS[["a", "b"]],
        toy,
        START,
        parameters=["mu_a", "mu_b"],
        seeds=SEEDS,
        jobs=1,
        maxfev=150,
        progress=False,
    )
    z = _draw_means()
    # with common random numbers the exact minimiser is the target minus the seeds' mean draw
    assert r.params["mu_a"] == pytest.approx(1.0 - z[:, 0].mean(), abs=0.01)
    assert r.params["mu_b"] == pytest.approx(-0.5 - z[:, 1].mean(), abs=0.01)
    assert r.params["scale"] == 1.0  # fixed
    assert r.objective_after < 1e-2 < r.objective_before
    assert r.evaluations <= 150
    assert list(r.table.columns) == list(calibration.TABLE_COLUMNS)
    assert r.table["z_after"].abs().max() < 0.1


def test_common_random_numbers_give_the_same_objective():
    kw = dict(parameters=["mu_a"], seeds=SEEDS, jobs=1, maxfev=1, progress=False)
    one = calibration.fit(TARGETS, toy, START, **kw)
    two = calibration.fit(TARGETS, toy, START, **kw)
    assert one.objective_before == two.objective_before
    assert one.evaluations == 1 and one.objective_after == one.objective_before
    other = calibration.fit(TARGETS, toy, START, **{**kw, "seeds": range(20, 28)})
    assert other.objective_before != one.objective_before


def test_not_estimable_seeds_excluded_and_counted_sd0_targets_left_out():
    r = calibration.fit(
        TARGETS, toy, START, parameters=["mu_a"], seeds=SEEDS, jobs=1, maxfev=1, progress=False
    )
    t = r.table.set_index("id")
    assert t.loc["c", "n_excluded_before"] == 2  # seeds 3 and 6
    kept = [s for s in SEEDS if s % 3]
    z = _draw_means(kept)
    assert t.loc["c", "mean_before"] == pytest.approx(z[:, 1].mean())
    assert not t.loc["k", "used"] and "sd 0" in t.loc["k", "reason"]
    assert t.loc[["a", "b", "c"], "used"].all()
    assert r.glance()["n_targets"].item() == 3
    # the objective is the sum of squared z of the used targets at the start
    assert r.objective_before == pytest.approx((t.loc[["a", "b", "c"], "z_before"] ** 2).sum())


def spread(params: dict, seed: int) -> pd.Series:
    """Mean exactly mu over seeds 1-8 whatever 'noise' is; the SD over the seeds grows with it."""
    return pd.Series({"x": params["mu"] + params["noise"] * (seed - 4.5)})


def test_the_scale_is_the_sd_at_the_start():
    # were the SD recomputed at each point, inflating 'noise' would lower the objective to ~0
    r = calibration.fit(
        pd.Series({"x": 1.0}),
        spread,
        {"mu": 0.0, "noise": 0.1},
        parameters=["noise"],
        seeds=SEEDS,
        jobs=1,
        maxfev=30,
        progress=False,
        bounds={"noise": (0.01, 100.0)},
    )
    assert r.objective_after == pytest.approx(r.objective_before)
    assert r.history["objective"].nunique() == 1
    free = calibration.fit(
        pd.Series({"x": 1.0}),
        spread,
        {"mu": 0.0, "noise": 0.1},
        parameters=["mu", "noise"],
        seeds=SEEDS,
        jobs=1,
        maxfev=80,
        progress=False,
    )
    assert free.params["mu"] == pytest.approx(1.0, abs=0.01) and free.objective_after < 1e-3


def test_powell_bounds_and_errors():
    r = calibration.fit(
        TARGETS[["a"]],
        toy,
        START,
        parameters=["mu_a"],
        seeds=SEEDS,
        jobs=1,
        maxfev=60,
        progress=False,
        method="Powell",
        bounds={"mu_a": (-1.0, 0.5)},
    )
    assert r.params["mu_a"] == pytest.approx(0.5, abs=1e-3)  # the solution (near 1) lies beyond the bound
    with pytest.raises(ValueError, match="method"):
        calibration.fit(TARGETS, toy, START, parameters=["mu_a"], seeds=SEEDS, method="BFGS")
    with pytest.raises(ValueError, match="unknown"):
        calibration.fit(TARGETS, toy, START, parameters=["nope"], seeds=SEEDS)
    with pytest.raises(ValueError, match="no target"):
        calibration.fit(TARGETS[["k"]], toy, START, parameters=["mu_a"], seeds=SEEDS, jobs=1, progress=False)


def test_targets_as_a_frame():
    frame = pd.DataFrame({"id": TARGETS.index, "target": TARGETS.to_numpy()})
    kw = dict(parameters=["mu_a"], seeds=SEEDS, jobs=1, maxfev=1, progress=False)
    a = calibration.fit(frame, toy, START, **kw)
    b = calibration.fit(TARGETS, toy, START, **kw)
    assert a.objective_before == b.objective_before
    with pytest.raises(ValueError, match="duplicated"):
        calibration.fit(pd.concat([frame, frame]), toy, START, **kw)


def test_writers(tmp_path):
    r = calibration.fit(
        TARGETS, toy, START, parameters=["mu_a", "mu_b"], seeds=SEEDS, jobs=1, maxfev=10, progress=False
    )
    paths = r.write(tmp_path, metadata={"label": "toy"})
    payload = json.loads(paths[0].read_text())
    assert payload["label"] == "toy" and set(payload["parameters"]) == {"mu_a", "mu_b"}
    assert payload["provenance"]["seeds"] == list(SEEDS)
    assert "z_before" in paths[2].read_text() and len(pd.read_csv(paths[1])) == 4
    assert "objective_after" in r.glance().columns and len(r.tidy()) == 2
    assert "Simulation-based calibration" in repr(r)


def test_dask_backend_equals_joblib():
    distributed = pytest.importorskip("distributed")
    kw = dict(parameters=["mu_a", "mu_b"], seeds=SEEDS, maxfev=12, progress=False)
    local = calibration.fit(TARGETS, toy, START, jobs=1, **kw)
    cluster = distributed.LocalCluster(processes=False, n_workers=1, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        remote = calibration.fit(TARGETS, toy, START, scheduler=client, **kw)
    assert remote.params == local.params
    pd.testing.assert_frame_equal(remote.table, local.table)
    assert remote.objective_after == local.objective_after


def test_progress_bar_on_request_quiet_when_piped(monkeypatch):
    from cartsie.calibration import _fit

    r = calibration.fit(
        TARGETS, toy, START, parameters=["mu_a"], seeds=SEEDS, jobs=1, maxfev=4, progress=True
    )
    assert r.evaluations == 4
    monkeypatch.setenv("CI", "1")
    assert not _fit._show_progress(None)
    assert _fit._show_progress(True)


def test_the_docstring_example_runs():
    import doctest

    from cartsie.calibration import _fit

    result = doctest.testmod(_fit, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_the_general_library_never_imports_the_study():
    for path in (ROOT / "src" / "cartsie" / "calibration").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                )
                assert not any(n.startswith("cartsie.study") for n in names), path


def test_a_joblib_pool_gives_the_same_fit():
    kw = dict(parameters=["mu_a"], seeds=SEEDS, maxfev=6, progress=False)
    one = calibration.fit(TARGETS, toy, START, jobs=1, **kw)
    two = calibration.fit(TARGETS, partial(toy, n=200), START, jobs=2, **kw)
    assert two.params == one.params and two.objective_after == one.objective_after


# ---------------------------------------------------------------------------------------------------
# the CART-SIE glue (cartsie.study.fit)

study_fit = pytest.importorskip("cartsie.study.fit")


def test_study_simulate_returns_the_published_ids():
    targets = study_fit.targets()
    assert len(targets) > 50 and targets.notna().all()
    assert not any(i.startswith("flow.") for i in targets.index)  # reproduced exactly by construction
    assert any(i.startswith("table1.") for i in targets.index)
    values = study_fit.simulate(study_fit.start_params(), seed=3, n_enrolled=200)
    assert set(targets.index) <= set(values.index)
    assert values.reindex(targets.index).notna().mean() > 0.8
    assert set(study_fit.default_parameters()) <= set(study_fit.model_fields())
    assert study_fit.default_bounds(["nrm_infection", "ttp_sd", "spm"]) == {
        "nrm_infection": (1e-3, 1 - 1e-3),
        "ttp_sd": (1e-3, None),
    }
    with pytest.raises(ValueError, match=r"fit\.json"):
        study_fit.fitted_model()


def test_study_fit_runs_on_a_tiny_cohort(tmp_path):
    from cartsie.synthetic import DEFAULT_MODEL

    start = DEFAULT_MODEL.with_(cure_cr=1.5)  # a fit that continues another: its start is kept
    r = study_fit.fit_synthetic(
        ("spm",), seeds=[1, 2], model=start, n_enrolled=200, maxfev=1, jobs=1, progress=False
    )
    assert set(r.table["id"]) == set(study_fit.targets().index)
    assert r.evaluations == 1 and r.objective_after == r.objective_before
    paths = study_fit.write_fit(r, tmp_path, label="test")
    payload = json.loads(paths[0].read_text())
    assert payload["label"] == "test" and payload["provenance"]["seeds"] == [1, 2]
    assert payload["base_parameters"] == {"cure_cr": 1.5}
    assert (
        study_fit.fitted_model(path=paths[0]) == study_fit.fitted_model(r) == study_fit.make_model(r.params)
    )
    assert (tmp_path / "fit_history.csv").exists()
    assert "headline" in pd.read_csv(paths[1]).columns
    fitted = study_fit.fitted_model(path=paths[0]).with_(spm=-4.0)
    check = study_fit.holdout(fitted, [5, 6], n_enrolled=200)
    assert set(check["id"]) == set(r.table["id"]) and check.attrs["seeds"] == [5, 6]
    assert check["z_start"].notna().sum() > 30
    study_fit.write_holdout(check, tmp_path)
    assert json.loads(paths[0].read_text())["holdout"]["seeds"] == [5, 6]
    assert paths[2].read_text().count("## Check on other seeds") == 1
    study_fit.write_holdout(check, tmp_path)  # replaces the section
    assert paths[2].read_text().count("## Check on other seeds") == 1


def test_study_tuple_entries_are_parameters():
    start = study_fit.start_params()
    cuts = study_fit.DEFAULT_MODEL.crs_cuts
    assert start["crs_cuts[1]"] == cuts[1] and "crs_cuts" not in start
    model = study_fit.make_model({"crs_cuts[1]": 1.5, "spm": -4.0})
    assert model.crs_cuts == (cuts[0], 1.5, cuts[2], cuts[3]) and model.spm == -4.0
    assert study_fit.default_bounds(["crs_cuts[1]"]) == {"crs_cuts[1]": (cuts[0] + 1e-3, cuts[2] - 1e-3)}
    assert study_fit.default_steps(["resp_s", "ttp_pr_log", "cure_cr"]) == {
        "resp_s": 0.05,
        "ttp_pr_log": 0.1,
        "cure_cr": pytest.approx(max(0.1, 0.1 * abs(study_fit.DEFAULT_MODEL.cure_cr))),
    }


def test_the_committed_fit_is_valid():
    path = ROOT / "benchmarks" / "calibration" / "fit.json"
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert set(payload["parameters"]) <= set(study_fit.parameter_names())
    assert set(payload["start"]) == set(payload["parameters"])
    p = payload["provenance"]
    assert p["objective_after"] <= p["objective_before"]
    assert p["evaluations"] >= 1 and len(p["seeds"]) >= 1
    assert payload["label"] and payload["cartsie_version"] and payload["date"]
    model = study_fit.fitted_model(path=path)
    fitted = study_fit.start_params(model)
    for k, v in payload["parameters"].items():
        assert fitted[k] == pytest.approx(v)
    assert (ROOT / "benchmarks" / "calibration" / "fit.md").exists()


def test_least_squares_recovers_the_solution_in_few_evaluations():
    kw = dict(parameters=["mu_a", "mu_b"], seeds=SEEDS, jobs=1, progress=False)
    r = calibration.fit(TARGETS[["a", "b"]], toy, START, method="least-squares", maxfev=40, **kw)
    z = _draw_means()
    # the problem is linear in the parameters: the first Gauss-Newton step (3 evaluations) solves it,
    # the rest is the check of convergence
    assert r.params["mu_a"] == pytest.approx(1.0 - z[:, 0].mean(), abs=1e-6)
    assert r.params["mu_b"] == pytest.approx(-0.5 - z[:, 1].mean(), abs=1e-6)
    assert r.objective_after < 1e-10 < r.objective_before
    assert r.evaluations <= 20
    nm = calibration.fit(TARGETS[["a", "b"]], toy, START, maxfev=150, **kw)
    assert r.evaluations < nm.evaluations / 2
    # a bound is respected; the Jacobian steps backwards at it
    b = calibration.fit(
        TARGETS[["a"]],
        toy,
        START,
        method="least-squares",
        maxfev=40,
        bounds={"mu_a": (-1.0, 0.5)},
        **{**kw, "parameters": ["mu_a"]},
    )
    assert b.params["mu_a"] == pytest.approx(0.5, abs=1e-6)
    with pytest.raises(ValueError, match="fd_step"):
        calibration.fit(TARGETS, toy, START, method="least-squares", fd_step=0, **kw)


def test_adopt_fit_rewrites_the_defaults(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("adopt_fit", ROOT / "benchmarks" / "adopt_fit.py")
    adopt_fit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(adopt_fit)
    model_py = tmp_path / "model.py"
    model_py.write_text((ROOT / "src" / "cartsie" / "synthetic" / "model.py").read_text(encoding="utf-8"))
    fit_json = tmp_path / "fit.json"
    fit_json.write_text(
        json.dumps(
            {"base_parameters": {"spm": -4.25}, "parameters": {"cure_cr": 1.234567, "crs_cuts[1]": 1.5}}
        )
    )
    written = adopt_fit.adopt(fit_json, model_py)
    assert written == {"spm": -4.25, "cure_cr": 1.2346, "crs_cuts[1]": 1.5}
    text = model_py.read_text()
    assert "    cure_cr: float = 1.2346\n" in text and "    spm: float = -4.25\n" in text
    cuts = study_fit.start_params()
    assert f"({cuts['crs_cuts[0]']!r}, 1.5, {cuts['crs_cuts[2]']!r}, {cuts['crs_cuts[3]']!r})" in text
    fit_json.write_text(json.dumps({"parameters": {"nope": 1.0}}))
    with pytest.raises(SystemExit, match="nope"):
        adopt_fit.adopt(fit_json, model_py)


def test_the_model_defaults_are_the_committed_fit():
    # the built-in cohort is the fitted model: every parameter of the committed fit (and of the fits it
    # continued) is a default of cartsie.synthetic.Model, to the 4 decimals benchmarks/adopt_fit.py writes
    payload = json.loads((ROOT / "benchmarks" / "calibration" / "fit.json").read_text(encoding="utf-8"))
    values = {**payload.get("base_parameters", {}), **payload["parameters"]}
    defaults = study_fit.start_params()
    assert {k: defaults[k] for k in values} == pytest.approx(values, abs=5e-5)


def test_the_committed_calibration_is_of_the_current_model_and_reproducible():
    from cartsie.study import calibration as study_calibration
    from cartsie.synthetic import DEFAULT_MODEL

    out = ROOT / "benchmarks" / "calibration"
    payload = json.loads((out / "calibration.json").read_text(encoding="utf-8"))
    assert payload["model_digest"] == DEFAULT_MODEL.digest()
    assert len(payload["seeds"]) >= 200 and payload["summary"]["seeds"] == len(payload["seeds"])
    committed = pd.read_csv(out / "calibration_seeds.csv.gz")
    seed = payload["seeds"][0]
    mine = study_calibration._one_seed(seed, None)
    merged = committed[committed["seed"] == seed].merge(mine, on="id", suffixes=("_committed", ""))
    assert len(merged) == (committed["seed"] == seed).sum() > 200
    np.testing.assert_allclose(merged["value"], merged["value_committed"], rtol=1e-9, equal_nan=True)


def test_model_digest():
    from cartsie.synthetic import DEFAULT_MODEL

    assert DEFAULT_MODEL.digest() == DEFAULT_MODEL.with_().digest()
    assert DEFAULT_MODEL.with_(spm=DEFAULT_MODEL.spm + 1e-9).digest() != DEFAULT_MODEL.digest()
    assert len(DEFAULT_MODEL.digest()) == 16
