"""Speed of cartsie.prognostic.concordance (Harrell's C with its standard error, and Uno's C).

Run: ``python benchmarks/bench_prognostic.py [n ...]`` (default 10,000, 100,000 and 1,000,000 rows).
Run it against the installed package (from a worktree: ``PYTHONPATH=src``).

Targets (issue 12):
- ``concordance`` (Harrell's C, ``timewt="n"``, standard error included) at 1,000,000 rows <= 2 s;
- O(n log n): the time per row grows slowly (1e5 -> 1e6 rows: at most ~15x the time);
- reported beside a baseline measured in the same run on the same rows: lifelines'
  ``concordance_index`` (Harrell's C without a standard error; lifelines counts with a balanced tree
  too), skipped above 1e6 rows; and, when ``Rscript`` is on PATH, R's ``survival::concordance``
  (timed inside R with ``system.time``, data reading excluded).

Data (seeded): a normal score, exponential event times depending on it, uniform censoring (~35%),
times rounded to 2 decimals (many ties on time); the score is continuous (no ties on it).
Each cartsie step is the best of 3 runs (wall clock; the CPU seconds of one run are printed
beside it, as a busy machine inflates wall time); lifelines and R run once.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from cartsie.prognostic import concordance

TARGET_SECONDS_1M = 2.0
SIZES = (10_000, 100_000, 1_000_000)


def make_data(n: int, seed: int = 20241203) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.normal(size=n)
    t = rng.exponential(20 * np.exp(-0.6 * score))
    c = rng.uniform(0, 60, n)
    return pd.DataFrame(
        {"time": np.round(np.minimum(t, c), 2), "event": (t <= c).astype(int), "score": score}
    )


def best_of(func: Callable[[], object], repeats: int = 3) -> tuple[float, object]:
    """Best wall-clock seconds of ``repeats`` runs, and the result."""
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def cpu_of(func: Callable[[], object]) -> float:
    """CPU seconds of this process for one run (what a busy machine does not inflate as much)."""
    t0 = time.process_time()
    func()
    return time.process_time() - t0


def lifelines_c(df: pd.DataFrame) -> float:
    from lifelines.utils import concordance_index

    # lifelines expects a predicted survival time: a higher risk score is the other way round
    return float(concordance_index(df["time"], -df["score"], df["event"]))


R_SCRIPT = """
suppressPackageStartupMessages(library(survival))
d <- read.csv("{csv}")
el <- system.time(f <- concordance(Surv(time, event) ~ score, data = d, reverse = TRUE))[["elapsed"]]
eu <- system.time(u <- concordance(Surv(time, event) ~ score, data = d, reverse = TRUE,
                                   timewt = "n/G2"))[["elapsed"]]
cat(sprintf("%.17g", c(el, f$concordance, sqrt(f$var), eu, u$concordance, sqrt(u$var))), "\\n")
"""


def run_r(df: pd.DataFrame) -> np.ndarray | None:
    """R's seconds, C and SE for Harrell's and Uno's C (None without Rscript)."""
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        df.to_csv(csv, index=False, float_format="%.17g")
        script = Path(tmp) / "conc.R"
        script.write_text(R_SCRIPT.format(csv=csv.as_posix()))
        done = subprocess.run(
            ["Rscript", str(script)], capture_output=True, text=True, check=True, timeout=3600
        )
    return np.array(done.stdout.split(), dtype=float)


def main(sizes: list[int]) -> int:
    print("cartsie.prognostic.concordance (standard error included; best of 3 runs)\n")
    head = f"{'rows':>9} {'Harrell s':>10} {'(cpu s)':>8} {'Uno s':>8} {'lifelines s':>12} {'ratio':>7}"
    print(head + f" {'R s':>7} {'R Uno s':>8} {'ratio R':>8}  largest difference vs R")
    ok = True
    times: dict[int, float] = {}
    for n in sizes:
        df = make_data(n)
        t_h, harrell = best_of(lambda df=df: concordance(df, "time", "event", "score"))
        cpu = cpu_of(lambda df=df: concordance(df, "time", "event", "score"))
        t_u, uno = best_of(lambda df=df: concordance(df, "time", "event", "score", timewt="n/G2"))
        times[n] = t_h
        if n <= 1_000_000:
            t0 = time.perf_counter()
            c_ll = lifelines_c(df)
            t_ll = time.perf_counter() - t0
            assert abs(c_ll - harrell.estimate) < 1e-9, (c_ll, harrell.estimate)
            ll = f"{t_ll:>12.3f} {t_h / t_ll:>7.2f}"
        else:
            ll = f"{'-':>12} {'-':>7}"
        r = run_r(df)
        if r is None:
            rr = f"{'-':>7} {'-':>8} {'-':>8}  Rscript not on PATH"
        else:
            ours = np.array([harrell.estimate, harrell.std_error, uno.estimate, uno.std_error])
            theirs = r[[1, 2, 4, 5]]
            diff = float(np.max(np.abs(ours - theirs) / np.abs(theirs)))
            rr = f"{r[0]:>7.3f} {r[3]:>8.3f} {t_h / r[0]:>8.2f}  {diff:.1e}"
        print(f"{n:>9} {t_h:>10.3f} {cpu:>8.3f} {t_u:>8.3f} {ll} {rr}")
        if n == 1_000_000:
            ok &= t_h <= TARGET_SECONDS_1M
    if 100_000 in times and 1_000_000 in times:
        growth = times[1_000_000] / times[100_000]
        print(f"\n1e5 -> 1e6 rows: {growth:.1f}x the time (O(n log n): ~12x expected)")
        ok &= growth <= 15
    if 1_000_000 in times:
        print(f"Harrell's C at 1,000,000 rows: {times[1_000_000]:.3f} s (target <= {TARGET_SECONDS_1M} s)")
    print("ratio = cartsie / baseline (below 1: cartsie faster)")
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]] or list(SIZES)
    raise SystemExit(main(args))
