"""Speed of cartsie.survival against lifelines' own fitters on the same rows.

Run: ``python benchmarks/bench_survival.py [n ...]`` (default 100000 and 1000000 rows).

Each step is timed as the best of a few runs (one run for lifelines' Cox at 1e6 rows, which takes
tens of seconds); the ratio is cartsie / lifelines. Target: every ratio <= 1.5 (cartsie's R
conventions -- log CIs, timefix, Efron ties run to R's convergence, robust-ready residuals -- must
not cost more than half again lifelines' time).

Data (seeded): exponential event times depending on 3 covariates, uniform censoring, times in
months rounded to 2 decimals (about 3,000 distinct times, many ties), a 2-level and a 3-level group.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test

from _timing import best_of  # benchmarks/_timing.py, beside this script
from cartsie.survival import cox, kaplan_meier, logrank

TARGET = 1.5


def make_data(n: int, seed: int = 20240501) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, n).astype(float)
    x3 = rng.uniform(size=n)
    lp = 0.3 * x1 + 0.5 * x2 - 0.4 * x3
    t = rng.exponential(12 * np.exp(-lp))
    c = rng.uniform(0, 30, n)
    return pd.DataFrame(
        {
            "time": np.round(np.minimum(t, c), 2),
            "event": (t <= c).astype(int),
            "x1": x1,
            "x2": x2,
            "x3": x3,
            "g": rng.integers(0, 2, n),
            "g3": rng.integers(0, 3, n),
        }
    )


def steps(df: pd.DataFrame) -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    t, e = df["time"], df["event"]
    masks2 = [df["g"].to_numpy() == k for k in range(2)]

    def ll_km():
        return [KaplanMeierFitter().fit(t[m], e[m]) for m in masks2]

    def ll_km_extra():
        out = []
        for m in masks2:
            f = KaplanMeierFitter().fit(t[m], e[m])
            out.append((f.survival_function_at_times(12), f.median_survival_time_))
        return out

    def cs_km_extra():
        km = kaplan_meier(df, "time", "event", "g")
        return km.at(12), km.median()

    m0, m1 = masks2
    cols = ["time", "event", "x1", "x2", "x3"]
    return [
        ("Kaplan-Meier, 2 groups", lambda: kaplan_meier(df, "time", "event", "g"), ll_km),
        ("KM + 12-month estimate + median", cs_km_extra, ll_km_extra),
        (
            "log-rank, 2 groups",
            lambda: logrank(df, "time", "event", "g"),
            lambda: logrank_test(t[m0], t[m1], e[m0], e[m1]),
        ),
        (
            "log-rank, 3 groups",
            lambda: logrank(df, "time", "event", "g3"),
            lambda: multivariate_logrank_test(t, df["g3"], e),
        ),
        (
            "Cox, 3 covariates (Efron)",
            lambda: cox(df, "time", "event", ["x1", "x2", "x3"]),
            lambda: CoxPHFitter().fit(df[cols], "time", "event"),
        ),
    ]


def extras(df: pd.DataFrame) -> list[tuple[str, Callable[[], object]]]:
    """Steps lifelines has no R-equivalent fitter for (timed for scale only, no ratio)."""
    covs = ["x1", "x2", "x3"]
    fit = cox(df, "time", "event", covs)
    return [
        ("Cox robust SE, 50 clusters", lambda: cox(df, "time", "event", covs, cluster="center")),
        ("Cox stratified (3 strata)", lambda: cox(df, "time", "event", covs, strata="g3")),
        ("cox.zph (km transform)", lambda: fit.check_ph()),
    ]


def main(sizes: list[int]) -> int:
    warnings.simplefilter("ignore")  # lifelines' own notices are not what is measured
    print(f"{'rows':>9}  {'step':<34} {'cartsie s':>10} {'lifelines s':>12} {'ratio':>7}")
    worst = 0.0
    for n in sizes:
        df = make_data(n)
        for name, ours, theirs in steps(df):
            heavy = name.startswith("Cox") and n >= 500_000
            t_ours = best_of(ours, 3)
            t_theirs = best_of(theirs, 1 if heavy else 3)
            ratio = t_ours / t_theirs
            worst = max(worst, ratio)
            flag = "" if ratio <= TARGET else "  <-- above target"
            print(f"{n:>9}  {name:<34} {t_ours:>10.3f} {t_theirs:>12.3f} {ratio:>7.2f}{flag}")
        df["center"] = np.arange(n) % 50
        for name, ours in extras(df):
            print(f"{n:>9}  {name:<34} {best_of(ours, 3):>10.3f} {'-':>12} {'-':>7}")
    print(f"\nworst ratio {worst:.2f} (target <= {TARGET})")
    return 0


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]
    raise SystemExit(main(args))
