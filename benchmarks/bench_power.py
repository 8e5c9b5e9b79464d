"""Speed of cartsie.prognostic.power: seeds per second from the built-in model, in one process.

Run: python benchmarks/bench_power.py [--seeds 50]
The baseline measured in the same run is the built-in cohort itself (cartsie_like, what every seed
simulates), so the ratio says what the analysis of a power curve (Cox Wald tests at six sizes) adds
to simulating the samples. Time per 1000 seeds is extrapolated from the run (one core; divide by the
number of cores for jobs=-1).
"""

from __future__ import annotations

import argparse
import time

from cartsie.prognostic import power
from cartsie.synthetic import cartsie_like

SIZES = [100, 150, 200, 250, 300, 389]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=50)
    seeds = ap.parse_args().seeds
    start = time.perf_counter()
    for s in range(seeds):
        cartsie_like(s)
    base = (time.perf_counter() - start) / seeds
    start = time.perf_counter()
    p = power("cartsie", SIZES, seeds=seeds, jobs=1, progress=False)
    per_seed = (time.perf_counter() - start) / seeds
    print(p.summary.to_string(index=False))
    print(f"cartsie_like (baseline): {base:.3f} s per seed")
    print(
        f"power at {len(SIZES)} sizes: {per_seed:.3f} s per seed (x{per_seed / base:.2f} the baseline); "
        f"{1000 * per_seed / 60:.1f} min per 1000 seeds on one core"
    )


if __name__ == "__main__":
    main()
