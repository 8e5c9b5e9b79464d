"""Calibration of the built-in synthetic cohort: many seeds, each analysed like `cartsie reproduce`.

Run: python benchmarks/calibrate_synthetic.py [--seeds 200] [--first-seed 1] [--jobs -1]
     [--scheduler tcp://HOST:8786] [--out benchmarks/calibration]
     [--model benchmarks/calibration/fit.json]   # the model of a fit (fit_synthetic.py), not the defaults

Writes calibration.csv / .md / .png (aggregates only) and prints the share of published estimates
inside the simulated 95% range, the headline ones, and seeds per second.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from cartsie.study import calibration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    parser.add_argument("--scheduler", help="Dask scheduler address (joblib's dask backend)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "calibration")
    parser.add_argument("--model", type=Path, help="fit.json of fit_synthetic.py: simulate its model")
    args = parser.parse_args()
    from cartsie.synthetic import DEFAULT_MODEL

    generate, model = None, DEFAULT_MODEL
    if args.model:
        from functools import partial

        from cartsie.study.fit import fitted_model
        from cartsie.synthetic import cartsie_like

        model = fitted_model(path=args.model)
        generate = partial(cartsie_like, model=model)
    start = time.perf_counter()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    sims = calibration.simulate(seeds, n_jobs=args.jobs, scheduler=args.scheduler, generate=generate)
    elapsed = time.perf_counter() - start
    table = calibration.calibration_table(sims)
    provenance = {
        "data": "synthetic (cartsie built-in cohort), not patient data",
        "model_digest": model.digest(),
        "model": str(args.model) if args.model else "cartsie.synthetic.DEFAULT_MODEL",
        "seeds": [int(x) for x in seeds],
        "command": shlex.join(["python", "benchmarks/calibrate_synthetic.py", *sys.argv[1:]]),
    }
    calibration.write(table, args.out, sims, provenance)
    s = calibration.summarise(table)
    print(
        f"{s['seeds']} seeds in {elapsed:.1f} s ({s['seeds'] / elapsed:.2f} seeds/s); "
        f"inside the simulated 95% range: {s['inside']}/{s['compared']} ({100 * s['share_inside']:.1f}%); "
        f"headline: {s['headline_inside']}/{s['headline_total']}"
    )
    print(calibration._z_summary(s))
    outside = table[table["inside"].eq(False)]
    for _, r in outside.iterrows():
        print(f"  outside: {r['id']}: published {r['published']}, simulated {r['p2_5']:.3g}-{r['p97_5']:.3g}")


if __name__ == "__main__":
    main()
