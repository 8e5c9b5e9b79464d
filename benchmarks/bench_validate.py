"""Validating a large registry export: 100,000 patients with 2.3 million lab rows, as CSV files.

Run: python benchmarks/bench_validate.py [--patients N] [--labs-per-patient K]

Times `cartsie validate` as a user runs it -- cartsie.cohort.load of the two CSV files (read, columns,
values, units, consistency, scores, ICAHT grades, flow) -- and its peak memory, each in a fresh
process, beside a baseline measured in the same run: pandas.read_csv of the same two files and nothing
else. Aim (issue 11): at most 4 s and 500 MB peak.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_cohort import make_tables

CHILD = """
import sys, time, warnings
import pandas as pd
from cartsie import cohort
t0 = time.perf_counter()
if sys.argv[1] == "cartsie":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = cohort.load(sys.argv[2], sys.argv[3])
else:
    pd.read_csv(sys.argv[2]), pd.read_csv(sys.argv[3])
seconds = time.perf_counter() - t0
# VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(seconds, int(hwm.split()[1]) / 1024)
"""


def measure(what: str, patients: Path, labs: Path) -> tuple[float, float]:
    """(seconds, peak resident MB) of one run in a fresh interpreter (imports not timed)."""
    run = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(patients), str(labs)], capture_output=True, text=True
    )
    if run.returncode:
        raise SystemExit(f"{what} failed:\n{run.stderr[-3000:]}")
    out = run.stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--labs-per-patient", type=int, default=23)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is shown")
    args = parser.parse_args()
    patients, labs = make_tables(args.patients, args.labs_per_patient, np.random.default_rng(7))
    with tempfile.TemporaryDirectory() as tmp:
        p_path, l_path = Path(tmp) / "patients.csv", Path(tmp) / "labs.csv"
        # dated 2016-2024, so that nothing falls after today's data cut-off
        shift = pd.Timedelta(days=1200)
        dates = {c: (patients[c] - shift).dt.strftime("%Y-%m-%d") for c in patients if c.endswith("_date")}
        patients.assign(**dates).to_csv(p_path, index=False)
        labs.round(2).to_csv(l_path, index=False)
        base = min(measure("pandas", p_path, l_path) for _ in range(args.repeat))
        ours = min(measure("cartsie", p_path, l_path) for _ in range(args.repeat))
    print(
        f"validate {len(patients):,} patients, {len(labs):,} lab rows (CSV): {ours[0]:.2f} s, "
        f"peak {ours[1]:.0f} MB "
        f"(aim <= 4 s, <= 500 MB); pandas.read_csv alone {base[0]:.2f} s, peak {base[1]:.0f} MB; "
        f"ratio {ours[0] / base[0]:.1f}x time, {ours[1] / base[1]:.1f}x memory"
    )


if __name__ == "__main__":
    main()
