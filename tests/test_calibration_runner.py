"""The calibration runner: simulate() serially, in two processes and on a local Dask cluster, and the
edge cases of the calibration table (the bounds of the range, counts, medians, infinite estimates).

Complements tests/test_calibration.py. A cheap stand-in replaces the synthetic cohort: the example
cohort shipped with cartsie, less one patient chosen by the seed, so that seeds give different estimates
and their order can be checked.
"""

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from cartsie import cohort
from cartsie.datasets import example_path
from cartsie.study import calibration, published

PATIENTS = pd.read_csv(example_path("example_patients.csv"))
LABS = pd.read_csv(example_path("example_labs.csv"))


def example_less_one(seed: int):
    """Stand-in generator (top level, so joblib and Dask pickle it by reference): the example cohort
    without patient ``seed % 12``."""
    drop = PATIENTS["patient_id"].iloc[seed % len(PATIENTS)]
    return cohort.load(PATIENTS[PATIENTS["patient_id"] != drop], LABS[LABS["patient_id"] != drop])


def _sims(values: dict[str, list[float]]) -> pd.DataFrame:
    """Long simulation table (seed, id, value, p) from per-id lists of values."""
    frames = [
        pd.DataFrame({"seed": range(1, len(v) + 1), "id": id_, "value": v, "p": np.nan})
        for id_, v in values.items()
    ]
    return pd.concat(frames, ignore_index=True)


def _row(sims: pd.DataFrame, id_: str) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from numpy on infinite values
        return calibration.calibration_table(sims).set_index("id").loc[id_]


def test_table_keeps_every_published_row_and_the_headline_ids():
    pub = published.published()
    table = calibration.calibration_table(_sims({"surv.os.1y.ht.low": [70.0, 80.0]}))
    assert table["id"].tolist() == pub["id"].tolist()
    assert table["published"].tolist() == pub["value"].tolist()
    assert table["statistic"].tolist() == pub["statistic"].tolist()
    assert set(calibration.HEADLINE_IDS) <= set(pub["id"])
    assert table["headline"].sum() == len(calibration.HEADLINE_IDS) == 16


@pytest.mark.parametrize(
    ("values", "inside"),
    [
        # 41 seeds: numpy's 2.5th/97.5th percentiles are exactly the 2nd smallest and 2nd largest values
        ([70.0, 71.0, *[75.0] * 37, 85.0, 86.0], True),  # published 78 well inside 71-85
        ([60.0, 61.0, *[65.0] * 37, 70.0, 71.0], False),  # 78 above 61-70
        ([77.0, 78.0, *[80.0] * 37, 90.0, 91.0], True),  # 78 on the lower bound
        ([60.0, 61.0, *[70.0] * 37, 78.0, 99.0], True),  # 78 on the upper bound
        ([60.0, 61.0, *[70.0] * 37, 77.99, 99.0], False),  # just above the upper bound
        ([78.0] * 5, True),  # no spread: inside only when equal
        ([78.5] * 5, False),
    ],
)
def test_inside_at_and_around_the_bounds(values, inside):
    r = _row(_sims({"surv.os.1y.ht.low": values}), "surv.os.1y.ht.low")
    assert r["published_value"] == 78.0
    assert bool(r["inside"]) is inside
    assert r["reason"] == ""


def test_n_percent_cell_is_not_compared_by_its_count():
    id_ = "table1.simpleHT.sex_female.total"  # published "207 (37%)"
    assert not bool(_row(_sims({id_: [200.0, 205.0, 209.0, 214.0]}), id_)["inside"])


def test_medians_with_iqr_by_the_median_and_counts_by_their_value():
    sims = _sims(
        {
            "table1.HT.age_median.total": [57.0, 58.0, 60.0, 61.0],  # published "59 (48-66)"
            "flow.enrolled": [1002.0] * 4,  # fixed by construction
            "flow.ht": [380.0, 385.0, 392.0, 395.0],  # published 389
            "spm.n": [5.0, 8.0, 10.0, 12.0],  # published 22
        }
    )
    table = calibration.calibration_table(sims).set_index("id")
    assert table.loc["table1.HT.age_median.total", "published_value"] == 59.0
    assert table.loc[["table1.HT.age_median.total", "flow.enrolled", "flow.ht"], "inside"].all()
    assert not table.loc["spm.n", "inside"]


def test_a_percentile_between_the_largest_finite_value_and_inf_is_inf():
    # 40 seeds, one +inf: the 97.5th percentile (position 38.025) lies between the largest finite value
    # and +inf, so it is +inf (numpy itself gives inf there), not a huge finite number
    finite = np.linspace(1.0, 5.0, 39)
    r = _row(_sims({"spm.fg.ht": [*finite, np.inf]}), "spm.fg.ht")
    assert r["p97_5"] == np.inf
    assert r["median"] == pytest.approx(np.median([*finite, 99.0]))
    assert r["mean"] == pytest.approx(finite.mean())
    assert r["n_nonfinite"] == 1
    assert bool(r["inside"])  # published 2.82


def test_all_seeds_infinite():
    r = _row(_sims({"spm.fg.ht": [np.inf] * 3}), "spm.fg.ht")
    assert (r["p2_5"], r["median"], r["p97_5"]) == (np.inf, np.inf, np.inf)
    assert np.isnan(r["mean"])
    assert not bool(r["inside"])


@pytest.fixture(scope="module")
def serial():
    return calibration.simulate([3, 4], n_jobs=1, progress=False, generate=example_less_one)


def test_simulate_runs_paper_estimates_once_per_seed(serial):
    assert set(serial.columns) == {"seed", "id", "value", "p", "estimable", "reason"}
    # a row not estimable carries its reason; an estimable one none (or "not reached")
    flagged = serial[~serial["estimable"]]
    assert len(flagged) and (flagged["reason"] != "").all()
    assert set(serial.loc[serial["estimable"], "reason"]) <= {"", "not reached"}
    ids = set(published.published()["id"])
    per_seed = serial.groupby("seed")["id"]
    assert per_seed.nunique().to_dict() == per_seed.size().to_dict(), "one row per estimate and seed"
    assert all(ids <= set(g) for _, g in per_seed), "every published id in every seed"
    a = serial[serial["seed"] == 3].set_index("id")
    b = serial[serial["seed"] == 4].set_index("id")
    assert a.loc["flow.enrolled", "value"] == b.loc["flow.enrolled", "value"] == 11
    # a different patient left out: different estimates; the log-rank rows carry their p-values
    assert not np.allclose(a["value"].fillna(-1), b["value"].fillna(-1))
    assert np.isfinite(a.loc["surv.os.logrank.ht", "p"])


@pytest.mark.slow  # ~10 s: each worker process imports cartsie (~3.5 s, mostly statsmodels.api)
def test_simulate_in_two_processes_equals_serial(serial):
    # seeds given in another order: the table is still sorted by seed
    parallel = calibration.simulate([4, 3], n_jobs=2, progress=False, generate=example_less_one)
    pd.testing.assert_frame_equal(parallel, serial)


@pytest.mark.slow  # ~13 s: cluster start-up and cartsie's import in each worker
def test_simulate_on_a_local_dask_cluster_equals_serial(serial):
    distributed = pytest.importorskip("distributed")
    # Two worker processes: the stand-in travels by pickle as on a real cluster, and each worker has its
    # own warning filters (warnings.catch_warnings, used per seed, is not thread-safe). Ignored: only
    # what dask itself may warn while starting and stopping the cluster in this process.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster)
    try:
        on_dask = calibration.simulate([3, 4], scheduler=client, progress=False, generate=example_less_one)
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            client.close()
            cluster.close()
    pd.testing.assert_frame_equal(on_dask, serial)


def test_a_scheduler_without_distributed_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(ImportError, match=r'pip install "dask\[distributed\]"'):
        calibration.simulate([1], scheduler="tcp://127.0.0.1:1", progress=False, generate=example_less_one)


@pytest.mark.slow  # ~8 s: two seeds of the built-in cohort
def test_a_separated_fine_gray_seed_is_flagged_and_left_out_of_the_mean():
    # seed 2 of the built-in cohort has no SPM in the HT low group: its Fine-Gray fit has no finite
    # maximum (crr would print the last iterate, an sHR near 1e12); seed 3 has a finite sHR
    sims = calibration.simulate([2, 3], n_jobs=1, progress=False)
    fg = sims[sims["id"] == "spm.fg.ht"].set_index("seed")
    assert not fg.loc[2, "estimable"] and fg.loc[2, "value"] == np.inf
    assert fg.loc[2, "reason"] == "sHR infinite: no second primary malignancy in the HT low group"
    assert fg.loc[3, "estimable"] and 1 < fg.loc[3, "value"] < 100
    r = calibration.calibration_table(sims).set_index("id").loc["spm.fg.ht"]
    assert r["mean"] == pytest.approx(fg.loc[3, "value"]) and r["p97_5"] == pytest.approx(fg.loc[3, "value"])
    assert r["n_seeds"] == 1 and r["n_excluded"] == 1
    assert r["excluded_reason"] == f"{fg.loc[2, 'reason']} (1 seed)"
