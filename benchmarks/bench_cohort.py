"""Loading a large cohort from Parquet: 100,000 patients with 5,000,000 lab rows.

Run: python benchmarks/bench_cohort.py [--patients N] [--labs-per-patient K]

Prints the time of cartsie.cohort.load (read, validate, convert, derive days and endpoints, score,
grade ICAHT, count the flow) beside a baseline measured in the same run: pandas reading the same two
Parquet files and nothing else. Aim (issue 3): seconds, not minutes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cartsie import cohort

SCHEDULE = np.array([-3, *range(0, 15), 17, 21, 24, 28, 35, 42, 49, 60, 75, 90, 120, 150, 180, 270, 365])


def make_tables(n: int, per_patient: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = np.array([f"P{i:06d}" for i in range(n)])
    infusion = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), unit="D")
    fu = rng.integers(100, 1500, n)
    death = np.where(rng.random(n) < 0.3, fu, np.nan)
    prog = np.where(rng.random(n) < 0.4, np.floor(fu * rng.random(n)), np.nan)
    prog = np.where(np.isnan(death) | (prog <= np.nan_to_num(death, nan=np.inf)), prog, np.nan)
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "histology": rng.choice(["DLBCL", "HGBL", "PMBCL", "tFL", "MCL"], n),
            "infusion_date": infusion,
            "age": rng.integers(20, 85, n),
            "stage": rng.integers(1, 5, n),
            "anc": rng.gamma(2, 1, n),
            "hb": rng.normal(11, 1.5, n).clip(5),
            "plt": rng.gamma(3, 50, n),
            "crp": rng.gamma(1, 2, n),
            "ferritin": np.where(rng.random(n) < 0.3, np.nan, rng.gamma(1, 800, n)),
            "crs_grade": rng.integers(0, 4, n),
            "response_day90": rng.choice(["CR", "PR", "SD", "PD"], n),
            "last_followup_date": infusion + pd.to_timedelta(fu, unit="D"),
            "progression_date": infusion + pd.to_timedelta(prog, unit="D"),
            "death_date": infusion + pd.to_timedelta(death, unit="D"),
        }
    )
    days = (
        np.resize(SCHEDULE, per_patient)
        + np.repeat(np.arange(per_patient // len(SCHEDULE) + 1), len(SCHEDULE))[:per_patient] * 400
    )
    pid = np.repeat(ids, per_patient)
    labs = pd.DataFrame(
        {
            "patient_id": pid,
            "day": np.tile(days, n),
            "anc": rng.gamma(2, 0.7, n * per_patient),
            "plt": rng.gamma(3, 40, n * per_patient),
            "hb": rng.normal(10, 1.5, n * per_patient).clip(4),
        }
    )
    return patients, labs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--labs-per-patient", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    patients, labs = make_tables(args.patients, args.labs_per_patient, rng)
    with tempfile.TemporaryDirectory() as tmp:
        p_path, l_path = Path(tmp) / "patients.parquet", Path(tmp) / "labs.parquet"
        patients.to_parquet(p_path)
        labs.to_parquet(l_path)
        t0 = time.perf_counter()
        pd.read_parquet(p_path), pd.read_parquet(l_path)
        t_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        c = cohort.load(p_path, l_path)
        t_load = time.perf_counter() - t0
    print(
        f"cohort.load: {len(patients):,} patients, {len(labs):,} lab rows from Parquet: {t_load:.2f} s "
        f"(pandas read alone {t_read:.2f} s, ratio {t_load / t_read:.1f}x); "
        f"HT evaluable {int(c.flow['n'].iloc[-1]):,}"
    )


if __name__ == "__main__":
    main()
