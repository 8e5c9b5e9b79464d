"""Calibration table: published values against their simulated distribution, on hand-made sims."""

import numpy as np
import pandas as pd
import pytest

from cartsie.study import calibration


def _sims(values: dict[str, list[float]]) -> pd.DataFrame:
    rows = [
        {"seed": s, "id": id_, "value": v, "p": np.nan}
        for id_, vs in values.items()
        for s, v in enumerate(vs)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def table():
    sims = _sims(
        {
            "resp.orr.global": list(np.linspace(50, 60, 41)),  # published 55: inside
            "resp.crr.global": list(np.linspace(30, 40, 41)),  # published 47: outside
            "table1.simpleHT.sex_female.total": list(np.linspace(36, 38, 41)),  # "207 (37%)": by percent
            "tox.severe_thrombo.ht.or": [2.0, 3.0, 4.0, np.inf],  # separation in one seed
            "surv.os.logrank.ht": [np.nan, np.nan],  # published as a p-value only
            "surv.os.median.global": [20.0, 30.0],  # published "NR"
        }
    )
    return calibration.calibration_table(sims).set_index("id")


def test_percentiles_and_inside_as_numpy(table):
    v = np.linspace(50, 60, 41)
    r = table.loc["resp.orr.global"]
    lo, med, hi = np.percentile(v, [2.5, 50, 97.5])
    assert (r["p2_5"], r["median"], r["p97_5"]) == pytest.approx((lo, med, hi), rel=1e-12)
    assert r["mean"] == pytest.approx(v.mean()) and r["sd"] == pytest.approx(v.std(ddof=1))
    assert bool(r["inside"]) and r["n_seeds"] == 41
    assert not bool(table.loc["resp.crr.global", "inside"])


def test_count_percent_cells_compare_by_percent(table):
    r = table.loc["table1.simpleHT.sex_female.total"]
    assert r["published_value"] == 37.0 and bool(r["inside"])


def test_infinite_estimates_rank_above_finite_ones(table):
    r = table.loc["tox.severe_thrombo.ht.or"]
    # numpy's interpolation would give NaN for the top percentile; published 6.02 < inf is inside
    assert r["p97_5"] == np.inf and r["n_nonfinite"] == 1
    assert r["mean"] == pytest.approx(3.0)
    assert bool(r["inside"])


def test_rows_not_compared_say_why(table):
    assert pd.isna(table.loc["surv.os.logrank.ht", "inside"])
    assert "p-value" in table.loc["surv.os.logrank.ht", "reason"]
    assert "not reached" in table.loc["surv.os.median.global", "reason"]
    assert table.loc["surv.followup.median", "reason"] == "not reproduced"


def test_summary_counts(table):
    s = calibration.summarise(table.reset_index())
    assert s["compared"] == 4 and s["inside"] == 3
    assert s["share_inside"] == pytest.approx(0.75)
    assert s["headline_total"] == len(calibration.HEADLINE_IDS) and not s["all_headline_inside"]


def test_write_files(table, tmp_path):
    paths = calibration.write(table.reset_index(), tmp_path)
    names = {p.name for p in paths}
    assert names == {"calibration.csv", "calibration.md", "calibration.png"}
    md = (tmp_path / "calibration.md").read_text()
    assert "synthetic data" in md and "3 of 4 compared" in md


def _flagged(id_: str, values, reasons) -> pd.DataFrame:
    """Seeds of one estimate with their estimable flags: a reason marks a seed not estimable."""
    return pd.DataFrame(
        {
            "seed": range(len(values)),
            "id": id_,
            "value": values,
            "p": np.nan,
            "estimable": [not r for r in reasons],
            "reason": reasons,
        }
    )


def test_separated_fine_gray_seeds_are_excluded_from_mean_and_range():
    # three seeds of spm.fg.ht where the sHR is finite; two separated seeds (no SPM in the HT low
    # group), whose rows say not estimable -- one with the last Newton iterate 8.6e12 as crr would give
    no = "sHR infinite: no second primary malignancy in the HT low group"
    sims = _flagged("spm.fg.ht", [2.0, 3.0, 4.0, 8.6e12, np.inf], ["", "", "", no, no])
    r = calibration.calibration_table(sims).set_index("id").loc["spm.fg.ht"]
    assert r["mean"] == pytest.approx(3.0) and r["sd"] == pytest.approx(1.0)
    lo, med, hi = np.percentile([2.0, 3.0, 4.0], [2.5, 50, 97.5])
    assert (r["p2_5"], r["median"], r["p97_5"]) == pytest.approx((lo, med, hi))
    assert r["n_seeds"] == 3 and r["n_excluded"] == 2 and r["n_nonfinite"] == 0
    assert r["excluded_reason"] == f"{no} (2 seeds)"
    assert r["p97_5"] == pytest.approx(3.95)  # not the inf the separated seeds would rank at
    assert bool(r["inside"])  # published 2.82


def test_excluded_reasons_are_counted_most_frequent_first():
    a, b = "HR infinite: no progression or death in the HT low group", "nobody HT high"
    sims = _flagged("surv.os.cox_adjusted.ht", [1.5, np.inf, np.nan, np.inf, 2.5], ["", a, b, a, ""])
    r = calibration.calibration_table(sims).set_index("id").loc["surv.os.cox_adjusted.ht"]
    assert r["n_excluded"] == 3 and r["mean"] == pytest.approx(2.0)
    assert r["excluded_reason"] == f"{a} (2 seeds); {b} (1 seed)"


def test_medians_not_reached_are_excluded_and_p_value_rows_are_not():
    sims = pd.concat(
        [
            _flagged("surv.dor.median.global", [20.0, np.nan, 30.0], ["", "", ""]).assign(
                reason=["", "not reached", ""]
            ),
            _flagged("surv.os.logrank.ht", [np.nan, np.nan], ["", ""]),
        ]
    )
    t = calibration.calibration_table(sims).set_index("id")
    r = t.loc["surv.dor.median.global"]
    assert r["mean"] == pytest.approx(25.0) and r["n_excluded"] == 1
    assert r["excluded_reason"] == "not reached (1 seed)"
    assert t.loc["surv.os.logrank.ht", "n_excluded"] == 0


def test_markdown_says_which_seeds_were_excluded(tmp_path):
    no = "sHR infinite: no second primary malignancy in the HT low group"
    sims = _flagged("spm.fg.ht", [2.0, 3.0, 4.0, np.inf], ["", "", "", no])
    calibration.write(calibration.calibration_table(sims), tmp_path)
    md = (tmp_path / "calibration.md").read_text()
    assert "Separation is a flag, not a number" in md
    line = next(x for x in md.splitlines() if x.startswith("| spm.fg.ht |"))
    assert f"| 1: {no} (1 seed) |" in line and "| 3 |" in line  # the mean of 2, 3, 4


def test_z_is_the_bias_in_simulated_sds_and_summarised(table):
    v = np.linspace(50, 60, 41)
    assert table.loc["resp.orr.global", "z"] == pytest.approx((v.mean() - 55) / v.std(ddof=1))
    w = np.linspace(30, 40, 41)
    assert table.loc["resp.crr.global", "z"] == pytest.approx((w.mean() - 47) / w.std(ddof=1))
    sex = np.linspace(36, 38, 41)
    assert table.loc["table1.simpleHT.sex_female.total", "z"] == pytest.approx(
        (sex.mean() - 37) / sex.std(ddof=1)
    )
    assert table.loc["tox.severe_thrombo.ht.or", "z"] == pytest.approx((3.0 - 6.02) / 1.0)  # finite seeds
    assert pd.isna(table.loc["surv.os.logrank.ht", "z"]) and pd.isna(table.loc["surv.os.median.global", "z"])
    s = calibration.summarise(table.reset_index())
    # z: orr 0, crr -4.1, sex 0, thrombo -3.02
    assert s["comparable"] == 4 and s["within_half_sd"] == 2 and s["within_one_sd"] == 2
    assert sorted(s["beyond_two_sd"]) == ["resp.crr.global", "tox.severe_thrombo.ht.or"]
    assert s["headline_comparable"] == 0
    text = calibration._z_summary(s)
    assert "|z| <= 1 for 2 (50.0%)" in text and "resp.crr.global" in text
