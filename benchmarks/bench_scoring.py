"""Speed of the scoring core: HT/simpleHT on 1,000,000 patients and ICAHT grading in lab rows/s.

Run: python benchmarks/bench_scoring.py [--patients N] [--lab-patients N]

Each timing is the best of three, printed beside a baseline measured in the same run:
* scores: the same cut-offs as bare NumPy arithmetic (no validation, no nullable output);
* grading: one pandas groupby-min over (patient, day) of the same rows, the least work any grader of
  these rows must do.
Aims (issue 2): HT + simpleHT on 1,000,000 patients well under 1 s; grading >= 1,000,000 rows/s.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from _timing import best_of  # benchmarks/_timing.py, beside this script
from cartsie.scores import hematotox, simple_ht
from cartsie.toxicity import grade_icaht

SCHEDULE = np.array([-3, *range(0, 15), 17, 21, 24, 28, 35, 42, 49, 60, 75, 90, 120, 150, 180, 270, 365])


def baseline_scores(df: pd.DataFrame) -> np.ndarray:
    a, h, p, c, f = (df[k].to_numpy() for k in ("anc", "hb", "plt", "crp", "ferritin"))
    return (
        (a < 1.2) + (h < 9) + (p <= 175) + (p < 75) + (c >= 3) + (f >= 650) + (f > 2000),
        (p <= 175) & (c >= 3),
    )


def bench_scores(n: int, rng: np.random.Generator) -> None:
    df = pd.DataFrame(
        {
            "anc": rng.gamma(2, 1, n),
            "hb": rng.normal(11, 2, n).clip(4),
            "plt": rng.gamma(3, 50, n),
            "crp": rng.gamma(1, 2, n),
            "ferritin": rng.gamma(1, 800, n),
        }
    )
    df.loc[::7, "ferritin"] = np.nan
    t_cartsie = best_of(lambda: (hematotox(df), simple_ht(df)))
    t_checks = best_of(lambda: (hematotox(df, check_units=False), simple_ht(df, check_units=False)))
    t_base = best_of(lambda: baseline_scores(df))
    print(
        f"HT + simpleHT, {n:,} patients: {t_cartsie:.3f} s with unit checks, {t_checks:.3f} s without;"
        f" bare NumPy {t_base:.3f} s (ratio {t_cartsie / t_base:.1f}x)"
    )


def lab_table(n_patients: int, rng: np.random.Generator) -> pd.DataFrame:
    n_days = len(SCHEDULE)
    nadir = rng.uniform(0.0, 1.2, n_patients)
    recovery = rng.integers(5, 40, n_patients)
    pid = np.repeat(np.arange(n_patients), n_days)
    day = np.tile(SCHEDULE, n_patients)
    shape = np.where(day[:, None] < recovery[pid][:, None], nadir[pid][:, None], 2.0)[:, 0]
    anc = shape * np.exp(rng.normal(0, 0.3, len(pid)))
    plt = rng.gamma(3, 40, len(pid))
    keep = rng.random(len(pid)) > 0.1  # missed visits
    return pd.DataFrame({"patient_id": pid[keep], "day": day[keep], "anc": anc[keep], "plt": plt[keep]})


def bench_grading(n_patients: int, rng: np.random.Generator) -> None:
    labs = lab_table(n_patients, rng)
    rows = len(labs)
    shuffled = labs.sample(frac=1, random_state=1)
    for name, table in (("sorted", labs), ("shuffled", shuffled)):
        t_cartsie = best_of(lambda t=table: grade_icaht(t, check_units=False))
        t_base = best_of(lambda t=table: t.groupby(["patient_id", "day"])["anc"].min())
        print(
            f"grade_icaht, {n_patients:,} patients / {rows:,} lab rows ({name}): {t_cartsie:.3f} s = "
            f"{rows / t_cartsie:,.0f} rows/s; groupby-min baseline {t_base:.3f} s "
            f"(ratio {t_cartsie / t_base:.1f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--lab-patients", type=int, default=50_000)
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    bench_scores(args.patients, rng)
    bench_grading(args.lab_patients, rng)


if __name__ == "__main__":
    main()
