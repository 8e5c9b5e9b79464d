"""Speed of cartsie.prognostic.time_auc (AUC(t) with influence-function standard errors) and brier.

Run: ``python benchmarks/bench_time_auc.py [n ...]`` (default 10,000, 100,000 and 1,000,000 rows).
Run it against the installed package (from a worktree: ``PYTHONPATH=src``).

Targets (issue 16):
- ``time_auc`` at 100,000 rows with 10 time points and standard errors <= 2 s;
- O(n log n): the time grows about linearly with n (1e5 -> 1e6 rows: at most ~15x the time).

Baseline, when ``Rscript`` is on PATH: ``riskRegression::Score(list(score), Hist(time, event) ~ 1,
metrics = "auc", times = <the same 10>, se.fit = TRUE, null.model = FALSE)``, timed inside R with
``system.time`` (data reading excluded), run once, on the first ``R_ROWS`` rows (default 20,000;
``--r-rows N``) and on 100,000 rows; the largest relative differences of AUC(t) and of its SE vs R
are printed as a check. With the marginal Kaplan-Meier censoring model Score is itself
O(n log n) (seconds, not minutes, at 100,000 rows), but above 46,340 rows its standard errors
are wrong (``OVERFLOW_ROWS``), so the SE check is meaningful at ``R_ROWS`` only.

Data (seeded, as ``bench_prognostic``): a normal score, exponential event times depending on it,
uniform censoring (~35%), times rounded to 2 decimals (ties on time); a continuous score (no ties)
and a 0-7 integer score (many ties). Times: 10 quantiles of the follow-up times (5% to 80%).
Each cartsie step is the best of 3 runs (wall clock; CPU seconds of one run beside it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from bench_prognostic import best_of, cpu_of, make_data
from cartsie.prognostic import brier, time_auc

TARGET_SECONDS_100K = 2.0
SIZES = (10_000, 100_000, 1_000_000)
R_ROWS = 20_000
#: riskRegression 2022.11.28's getIC0AUC / getInfluenceFunctionAUCKMCensoringTerm compute ``n * n``
#: in a C++ int: above 46,340 rows (46,341^2 > 2^31 - 1) it overflows and its standard errors are
#: wrong (measured: equal to ours to 1e-12 at 46,000 rows, 6% off at 47,000, 6x at 100,000).
OVERFLOW_ROWS = 46_340


def data(n: int) -> tuple[pd.DataFrame, list[float]]:
    df = make_data(n)
    df["ht"] = np.clip(np.round(1.5 * df["score"] + 3), 0, 7)
    df["risk"] = 1 / (1 + np.exp(-df["score"]))
    times = np.quantile(df["time"], np.linspace(0.05, 0.8, 10)).round(2).tolist()
    return df, times


R_SCRIPT = """
suppressPackageStartupMessages({{library(survival); library(prodlim); library(riskRegression)}})
d <- read.csv("{csv}")
times <- c({times})
el <- system.time(s <- Score(list(score = d$score), formula = Hist(time, event) ~ 1, data = d,
                             metrics = "auc", times = times, se.fit = TRUE, null.model = FALSE,
                             conf.int = 0.95))[["elapsed"]]
sc <- s$AUC$score
cat(sprintf("%.17g", c(el, sc$AUC, sc$se)), "\\n")
"""


def run_r(df: pd.DataFrame, times: list[float]) -> np.ndarray | None:
    """R's seconds, then AUC(t) and SE at each time (None without Rscript)."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        df[["time", "event", "score"]].to_csv(csv, index=False, float_format="%.17g")
        script = Path(tmp) / "auc.R"
        script.write_text(R_SCRIPT.format(csv=csv.as_posix(), times=", ".join(f"{t!r}" for t in times)))
        done = subprocess.run(
            ["Rscript", str(script)], capture_output=True, text=True, check=True, timeout=7200
        )
    return np.array(done.stdout.split(), dtype=float)


def main(sizes: list[int], r_rows: int) -> int:
    print("cartsie.prognostic.time_auc (10 time points, standard errors; best of 3 runs)\n")
    print(f"{'rows':>9} {'continuous s':>13} {'(cpu s)':>8} {'0-7 score s':>12} {'brier s':>8}")
    ok = True
    times_of: dict[int, float] = {}
    for n in sizes:
        df, times = data(n)
        t_c, _ = best_of(lambda df=df, times=times: time_auc(df, "time", "event", "score", times))
        cpu = cpu_of(lambda df=df, times=times: time_auc(df, "time", "event", "score", times))
        t_d, _ = best_of(lambda df=df, times=times: time_auc(df, "time", "event", "ht", times))
        t_b, _ = best_of(lambda df=df, times=times: brier(df, "time", "event", "risk", times))
        times_of[n] = t_c
        print(f"{n:>9} {t_c:>13.3f} {cpu:>8.3f} {t_d:>12.3f} {t_b:>8.3f}")
        if n == 100_000:
            ok &= t_c <= TARGET_SECONDS_100K and t_d <= TARGET_SECONDS_100K
    if 100_000 in times_of and 1_000_000 in times_of:
        growth = times_of[1_000_000] / times_of[100_000]
        print(f"\n1e5 -> 1e6 rows: {growth:.1f}x the time (O(n log n): ~10-12x expected)")
        ok &= growth <= 15
    if 100_000 in times_of:
        print(f"time_auc at 100,000 rows: {times_of[100_000]:.3f} s (target <= {TARGET_SECONDS_100K} s)")

    if shutil.which("Rscript") is None:
        print("\nR: Rscript not on PATH, no baseline")
    for rows in sorted({r_rows, 100_000}):
        df, times = data(max(rows, max(sizes)))
        small = df.iloc[:rows].reset_index(drop=True)
        r = run_r(small, times)
        if r is None:
            break
        t_ours, res = best_of(
            lambda small=small, times=times: time_auc(small, "time", "event", "score", times)
        )
        k = len(times)
        d_auc = float(np.nanmax(np.abs(res.table["auc"].to_numpy() / r[1 : 1 + k] - 1)))
        d_se = float(np.nanmax(np.abs(res.table["std_error"].to_numpy() / r[1 + k : 1 + 2 * k] - 1)))
        print(
            f"\nR riskRegression::Score, {rows:,} rows: R {r[0]:.3f} s, cartsie {t_ours:.4f} s, "
            f"ratio cartsie / R {t_ours / r[0]:.2g}"
        )
        print(f"  largest relative difference vs R: AUC(t) {d_auc:.1e}, SE {d_se:.1e}")
        if rows > OVERFLOW_ROWS:
            print(
                f"  (riskRegression 2022.11.28's SE is wrong above {OVERFLOW_ROWS:,} rows: its C++ computes "
                "n * n in a 32-bit int, which overflows)"
            )
    print("ratio = cartsie / baseline (below 1: cartsie faster)")
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    rows = R_ROWS
    if "--r-rows" in args:
        i = args.index("--r-rows")
        rows = int(args[i + 1])
        del args[i : i + 2]
    raise SystemExit(main([int(a) for a in args] or list(SIZES), rows))
