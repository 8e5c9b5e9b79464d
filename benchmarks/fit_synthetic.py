"""Fit the synthetic cohort's model to the published numbers (simulation-based estimation, issue 15).

Run: python benchmarks/fit_synthetic.py [--seeds 30] [--first-seed 1] [--maxfev 200]
     [--parameters cure_cr,resp_s,...] [--method least-squares] [--headline-weight 1] [--jobs -1]
     [--scheduler tcp://HOST:8786] [--label "full fit"] [--out benchmarks/calibration]
     [--start benchmarks/calibration/fit.json]   # continue from a committed fit
     [--holdout 40]            # then check the fit on 40 seeds it did not see
     python benchmarks/fit_synthetic.py --check-only --holdout 40   # check the committed fit.json

Writes fit.json (fitted parameters with the run's provenance), fit.md and fit.csv (each target's z
before and after; aggregates of synthetic data only) and prints the seconds per evaluation, the
objective before and after and the headline targets' z.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from cartsie.study import fit as study_fit
from cartsie.study.calibration import HEADLINE_IDS


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--maxfev", type=int, default=200, help="evaluations (each simulates every seed)")
    parser.add_argument(
        "--parameters",
        help="comma-separated Model parameters, or 'short' (default: study.fit.default_parameters())",
    )
    parser.add_argument(
        "--method", default="least-squares", choices=["Nelder-Mead", "Powell", "least-squares"]
    )
    parser.add_argument(
        "--headline-weight", type=float, default=1.0, help="weight of the headline targets (others 1)"
    )
    parser.add_argument("--jobs", type=int, default=-1, help="joblib workers (-1: all cores)")
    parser.add_argument("--scheduler", help="Dask scheduler address (joblib's dask backend)")
    parser.add_argument("--label", default="fit", help="what this fit is, written in fit.json and fit.md")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "calibration")
    parser.add_argument("--start", type=Path, help="a fit.json to start from (default: the model's defaults)")
    parser.add_argument("--holdout", type=int, default=0, help="check on this many other seeds")
    parser.add_argument("--check-only", action="store_true", help="no fit: check the fit.json in --out")
    args = parser.parse_args()
    if not args.check_only:
        _fit(args)
    if args.holdout:
        _holdout(args)


def _holdout(args) -> None:
    path = args.out / "fit.json"
    seeds = json.loads(path.read_text(encoding="utf-8"))["provenance"]["seeds"]
    first = max(seeds) + 1
    start = time.perf_counter()
    start_model = study_fit.fitted_model(path=args.start) if args.start else study_fit.DEFAULT_MODEL
    table = study_fit.holdout(
        study_fit.fitted_model(path=path),
        range(first, first + args.holdout),
        start=start_model,
        jobs=args.jobs,
    )
    study_fit.write_holdout(table, args.out)
    a = table.attrs
    print(
        f"check on {args.holdout} other seeds ({first}-{first + args.holdout - 1}) in "
        f"{time.perf_counter() - start:.0f} s: objective {a['objective_start']:.2f} (start) -> "
        f"{a['objective_fit']:.2f} (fit)"
    )
    head = table[table["headline"]]
    print(head[["id", "target", "mean_start", "z_start", "mean_fit", "z_fit"]].to_string(index=False))


def _fit(args) -> None:
    names = None
    if args.parameters == "short":
        names = study_fit.SHORT_PARAMETERS
    elif args.parameters:
        names = tuple(args.parameters.split(","))
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    commit = _commit()  # the code that runs the fit (HEAD when it starts)
    start = time.perf_counter()
    model = study_fit.fitted_model(path=args.start) if args.start else study_fit.DEFAULT_MODEL
    result = study_fit.fit_synthetic(
        names,
        seeds,
        model=model,
        method=args.method,
        maxfev=args.maxfev,
        headline_weight=args.headline_weight,
        jobs=args.jobs,
        scheduler=args.scheduler,
    )
    elapsed = time.perf_counter() - start
    extra = {
        "command": shlex.join(["python", "benchmarks/fit_synthetic.py", *sys.argv[1:]]),
        "commit": commit,
        "jobs": args.jobs,
        "scheduler": "dask" if args.scheduler else "joblib",
        "seconds_per_evaluation": round(elapsed / result.evaluations, 2),
    }
    study_fit.write_fit(result, args.out, label=args.label, extra=extra)
    print(
        f"{result.evaluations} evaluations x {len(result.seeds)} seeds in {elapsed:.0f} s "
        f"({elapsed / result.evaluations:.1f} s per evaluation, "
        f"{elapsed / (result.evaluations * len(result.seeds)):.2f} s per seed); "
        f"objective {result.objective_before:.2f} -> {result.objective_after:.2f} ({result.message})"
    )
    print(result.parameter_table().to_string(index=False))
    head = result.table[result.table["id"].isin(HEADLINE_IDS)]
    print(
        head[["id", "target", "mean_before", "z_before", "mean_after", "z_after", "n_excluded"]].to_string(
            index=False
        )
    )


if __name__ == "__main__":
    main()
