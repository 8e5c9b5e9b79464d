"""cartsie.prognostic.power: the simulated power of a validation, checked for its Monte-Carlo error
against cases with an exact or a closed-form answer (issue 16, part 6)."""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cartsie import figures
from cartsie._parallel import want_progress
from cartsie.errors import InputError, SimulationWarning
from cartsie.prognostic import Power, power
from cartsie.prognostic._power import SUMMARY_COLUMNS
from cartsie.prognostic._power_sim import builtin_pool
from tests._figures_util import by_gid, clipped, texts

Z = stats.norm.ppf(0.975)


def exponential(hr: float):
    """Exponential survival, rate ``hr`` in the high group (every other patient), no censoring."""

    def simulate(n, rng):
        high = np.arange(n) % 2
        return pd.DataFrame({"t": rng.exponential(1 / np.where(high, hr, 1.0)), "e": 1, "high": high})

    return simulate


def one_time(p_high: float, p_low: float):
    """Every patient followed to time 1, an event there with probability p_high or p_low."""

    def simulate(n, rng):
        high = np.arange(n) % 2
        event = (rng.random(n) < np.where(high, p_high, p_low)).astype(int)
        return pd.DataFrame({"t": 1.0, "e": event, "high": high})

    return simulate


def mixture(q: float):
    """With probability q (the generator's first draw), the high group dies first, all of it before
    the low group (log-rank p < 0.001; Cox: monotone likelihood); otherwise the two groups die in
    pairs at the same times (log-rank statistic exactly 0, p = 1)."""

    def simulate(n, rng):
        high = np.arange(n) % 2
        if rng.random() < q:
            t = np.where(high == 1, np.arange(n), n + np.arange(n)).astype(float)
        else:
            t = (np.arange(n) // 2 + 1).astype(float)
        return pd.DataFrame({"t": t, "e": 1, "high": high})

    return simulate


def separated_share(seeds, q: float) -> float:
    return float(np.mean([np.random.default_rng(s).random() < q for s in seeds]))


def run(simulate, n, **kw):
    kw = {"time": "t", "event": "e", "score": "high", "jobs": 1, "progress": False, **kw}
    return power(simulate, n, **kw)


# ---------------------------------------------------------------------------------------------------
# exact answers


def exact_one_time_power(m: int, p_high: float, p_low: float, alpha: float = 0.05) -> float:
    """Exact power of the log-rank test with one event time: the Mantel-Haenszel chi-squared test of
    the 2 x 2 table (x_high ~ Bin(m, p_high), x_low ~ Bin(m, p_low)), samples with no events or all
    events (no variance) left out, as power() leaves them out."""
    crit = stats.chi2.ppf(1 - alpha, 1)
    big_n = 2 * m
    x1, x0 = np.meshgrid(np.arange(m + 1), np.arange(m + 1), indexing="ij")
    prob = stats.binom.pmf(x1, m, p_high) * stats.binom.pmf(x0, m, p_low)
    d = x1 + x0
    ok = (d > 0) & (d < big_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = d * (big_n - d) / (big_n * (big_n - 1)) * m * m / big_n
        stat = (x1 - d * m / big_n) ** 2 / var
    return float(prob[ok & (stat > crit)].sum() / prob[ok].sum())


def test_log_rank_power_with_one_event_time_matches_the_exact_binomial_answer():
    p = run(one_time(0.65, 0.35), [20, 40], effect="logrank", seeds=1500)
    s = p.summary.set_index("n")
    for n in (20, 40):
        exact = exact_one_time_power(n // 2, 0.65, 0.35)
        assert abs(s.loc[n, "power"] - exact) < 3 * math.sqrt(exact * (1 - exact) / s.loc[n, "seeds"])
    assert 0.2 < s.loc[20, "power"] < s.loc[40, "power"] < 0.8


def test_a_mixture_with_known_rejection_gives_exactly_that_share():
    seeds = list(range(300))
    share = separated_share(seeds, 0.3)
    p = run(mixture(0.3), [20, 30], effect="logrank", seeds=seeds)
    s = p.summary
    assert (s["power"] == share).all() and (s["not_estimable"] == 0).all()
    k = round(share * 300)
    ci = stats.binomtest(k, 300).proportion_ci(0.95, method="exact")
    np.testing.assert_allclose(s[["ci_lower", "ci_upper"]].to_numpy(), [[ci.low, ci.high]] * 2, rtol=1e-12)
    np.testing.assert_allclose(s["mc_se"], math.sqrt(share * (1 - share) / 300), rtol=1e-12)


def test_not_estimable_samples_are_counted_left_out_and_said():
    """The Cox model of the separated samples has no finite maximum: each is not estimable."""
    seeds = list(range(200))
    share = separated_share(seeds, 0.3)
    with pytest.warns(SimulationWarning, match=r"not estimable.*monotone likelihood"):
        p = run(mixture(0.3), 20, effect="hr", seeds=seeds)
    row = p.summary.iloc[0]
    assert row["not_estimable"] == round(share * 200) and row["seeds"] == 200 - row["not_estimable"]
    assert row["power"] == 0.0  # every estimable sample has beta = 0 exactly, p = 1
    assert set(p.runs.loc[~p.runs["estimable"], "reason"]) == {"monotone likelihood (infinite hazard ratio)"}


def test_the_monte_carlo_standard_error_is_the_spread_over_seed_sets():
    q, size, sets = 0.3, 100, 20
    powers = [
        run(mixture(q), 20, effect="logrank", seeds=range(k * size, (k + 1) * size)).summary["power"].iloc[0]
        for k in range(sets)
    ]
    expected = math.sqrt(q * (1 - q) / size)
    assert 0.6 * expected < np.std(powers, ddof=1) < 1.4 * expected
    assert abs(np.mean(powers) - q) < 3 * expected / math.sqrt(sets)


# ---------------------------------------------------------------------------------------------------
# closed form


def schoenfeld(hr: float, d: int, share: float = 0.5, alpha: float = 0.05) -> float:
    return float(stats.norm.cdf(abs(math.log(hr)) * math.sqrt(d * share * (1 - share)) - Z))


@pytest.mark.parametrize(("effect", "sizes", "seeds"), [("logrank", [100, 200], 1000), ("hr", [150], 500)])
def test_power_for_a_hazard_ratio_agrees_with_schoenfeld(effect, sizes, seeds):
    p = run(exponential(1.5), sizes, effect=effect, seeds=seeds)
    for row in p.summary.itertuples():
        assert row.events == row.n  # no censoring: d = n
        assert abs(row.power - schoenfeld(1.5, row.n)) < 3 * row.mc_se, row
    if effect == "hr":
        assert p.summary["hr"].iloc[0] == pytest.approx(1.5, rel=0.05)


def test_c_width_is_the_share_of_samples_with_a_narrow_enough_ci():
    p = run(exponential(2.0), [40, 160], effect="c_width", width=0.2, seeds=60)
    s = p.summary.set_index("n")
    r = p.runs
    assert s.loc[40, "width"] > s.loc[160, "width"]  # about 1 / sqrt(n)
    assert s.loc[160, "width"] / s.loc[40, "width"] == pytest.approx(0.5, abs=0.08)
    for n in (40, 160):
        w = r.loc[r["n"] == n, "statistic"]
        assert s.loc[n, "power"] == pytest.approx(float((w <= 0.2).mean()))
    assert 0.55 < s.loc[160, "c"] < 0.75


# ---------------------------------------------------------------------------------------------------
# common random numbers, determinism, parallel runs


def test_each_seed_gives_the_same_sample_at_each_size_and_runs_repeat_exactly():
    sim = exponential(2.0)
    curve = run(sim, [60, 30], seeds=20)
    alone = run(sim, 30, seeds=20)
    pd.testing.assert_frame_equal(
        curve.runs[curve.runs["n"] == 30].reset_index(drop=True), alone.runs.reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(curve.summary, run(sim, [30, 60], seeds=20).summary)
    assert curve.summary["n"].tolist() == [30, 60]


def test_the_built_in_model_samples_are_nested_and_start_with_the_default_cohort():
    from cartsie.synthetic import cartsie_like

    cols = ["os_months", "os_event", "ht_high"]
    pool = builtin_pool(__import__("cartsie").synthetic.DEFAULT_MODEL, 3, 400, cols)
    assert len(pool) == 400 and pool.notna().all().all()
    t = cartsie_like(3).table
    ht = t[t["lbcl"].fillna(False).astype(bool) & t["ht_high"].notna()]
    assert len(ht) == 389
    # the first 389 patients are the default cohort's HT-evaluable population, shuffled
    first = pool.iloc[:389].sort_values(cols, ignore_index=True)
    pd.testing.assert_frame_equal(first, ht[cols].sort_values(cols, ignore_index=True), check_dtype=False)


def test_power_from_the_built_in_model():
    p = power("cartsie", [60, 120], seeds=[0, 1], jobs=1, progress=False)
    s = p.summary
    assert (
        tuple(s.columns[:7])
        == SUMMARY_COLUMNS
        == ("n", "power", "mc_se", "ci_lower", "ci_upper", "seeds", "not_estimable")
    )
    assert s["events"].iloc[1] > s["events"].iloc[0] > 10
    assert np.isfinite(s["hr"]).all() and "built-in synthetic" in repr(p)
    assert len(p.runs) == 4
    from cartsie.synthetic import DEFAULT_MODEL

    same = power(DEFAULT_MODEL, [60, 120], seeds=[0, 1], jobs=1, progress=False)
    pd.testing.assert_frame_equal(p.runs, same.runs)
    changed = power(DEFAULT_MODEL.with_(resp_s=0.0), 60, seeds=[0], jobs=1, progress=False)
    assert "(modified)" in changed.model


def test_a_local_dask_cluster_gives_the_numbers_of_joblib():
    distributed = pytest.importorskip("distributed")
    sim = exponential(2.0)
    local = run(sim, [20, 40], seeds=8)
    with (
        warnings.catch_warnings(),
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cl,
        distributed.Client(cl) as client,
    ):
        warnings.simplefilter("ignore")  # dask's own start-up/shut-down notices
        on_dask = run(sim, [20, 40], seeds=8, jobs=None, scheduler=client)
        by_address = run(sim, [20, 40], seeds=8, jobs=None, scheduler=cl.scheduler_address)
    pd.testing.assert_frame_equal(local.runs, on_dask.runs)
    pd.testing.assert_frame_equal(local.summary, on_dask.summary)
    pd.testing.assert_frame_equal(local.runs, by_address.runs)


def test_progress_is_quiet_when_piped_or_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert want_progress(None) is False
    assert want_progress(True) is True
    monkeypatch.delenv("CI")
    for v in ("GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "BUILDKITE", "TF_BUILD"):
        monkeypatch.delenv(v, raising=False)
    assert want_progress(None) is False  # pytest captures stderr: not a terminal
    assert run(exponential(2.0), 20, seeds=3, progress=True).summary["seeds"].iloc[0] == 3


# ---------------------------------------------------------------------------------------------------
# result protocol and figure


def test_result_protocol():
    p = run(exponential(2.0), [20, 40], seeds=10)
    assert isinstance(p, Power)
    tidy = p.tidy()
    assert tidy["term"].tolist() == ["n=20", "n=40"]
    np.testing.assert_allclose(tidy["estimate"], p.summary["power"])
    assert p.glance().iloc[0].to_dict() == {"effect": "hr", "seeds": 10, "alpha": 0.05}
    assert "Cox Wald test" in p.print_summary(fmt="markdown", file=io.StringIO())
    assert len(repr(p)) < 2000 and "<div>" in p._repr_html_()


def test_power_curve_draws_the_power_its_band_and_the_80_percent_line(tmp_path):
    p = run(exponential(2.0), [20, 40, 80, 120], seeds=40)
    fig = figures.power_curve(p, label="HR 2", note=figures.SYNTHETIC_NOTE)
    line = by_gid(fig, "power")[0]
    np.testing.assert_allclose(line.get_ydata(), p.summary["power"])
    assert by_gid(fig, "mc_band") and by_gid(fig, "target")[0].get_ydata()[0] == 0.8
    shown = texts(fig, "annotation")
    assert shown[0] == "HR 2" and shown[1].startswith("40 seeds per n; 95% Monte-Carlo CI")
    reached = p.summary.loc[p.summary["power"] >= 0.8, "n"]
    assert shown[2] == (f"80% power from n = {reached.min()}" if len(reached) else "Below 80% up to n = 120")
    assert clipped(fig) == []
    paths = figures.save(fig, tmp_path / "power")
    assert all(path.stat().st_size > 0 for path in paths)
    with pytest.raises(InputError, match="power result"):
        figures.power_curve(p.summary)


# ---------------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 1}, "at least 2"),
        ({"n": [10, 1]}, "at least 2"),
        ({"n": 2.5}, "integers"),
        ({"n": []}, "integers"),
        ({"seeds": 0}, "at least 1"),
        ({"seeds": [1, 1]}, "distinct"),
        ({"seeds": "many"}, "integer seeds"),
        ({"effect": "auc"}, "effect must be one of 'hr', 'logrank', 'c_width'"),
        ({"effect": "c_width"}, "needs the target CI width"),
        ({"effect": "hr", "width": 0.1}, "c_width' only"),
        ({"alpha": 1.5}, "alpha"),
        ({"conf_level": 0}, "conf_level"),
        ({"score": None}, "name its score column"),
        ({"time": "months"}, "no column 'months'"),
    ],
)
def test_bad_input_is_refused_clearly(kwargs, message):
    kw = {"n": 20, "seeds": 2, **kwargs}
    with pytest.raises(InputError, match=message):
        run(exponential(2.0), **kw)


def test_a_model_that_is_neither_built_in_nor_a_function_is_refused():
    with pytest.raises(InputError, match="model must be 'cartsie'"):
        power("other", 20, seeds=2)
    with pytest.raises(InputError, match="must return a pandas DataFrame"):
        power(lambda n, rng: rng.random(n), 20, seeds=2, score="s", jobs=1)


# ---------------------------------------------------------------------------------------------------
# command line


def test_cli_power_prints_the_table_and_writes_the_curve(tmp_path):
    from click.testing import CliRunner

    from cartsie.cli import main

    args = ["power", "--n", "40", "--n", "80", "--seeds", "2", "--jobs", "1", "-o", str(tmp_path)]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert "Simulated power" in done.output and "Synthetic data" in done.output
    table = pd.read_csv(tmp_path / "power.csv")
    assert table["n"].tolist() == [40, 80] and table["seeds"].tolist() == [2, 2]
    assert (tmp_path / "power_curve.png").stat().st_size > 0


def test_cli_power_refuses_bad_input_with_a_message():
    from click.testing import CliRunner

    from cartsie.cli import main

    done = CliRunner().invoke(main, ["power", "--n", "1", "--seeds", "2", "--jobs", "1"])
    assert done.exit_code == 2 and "at least 2" in done.output
