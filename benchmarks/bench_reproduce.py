"""`cartsie reproduce`, stage by stage: start-up, the built-in cohort, a 100,000-patient cohort.

Run: python benchmarks/bench_reproduce.py [--large] [--n-enrolled N] [--repeat K] [--cache DIR]

Times, each in a fresh interpreter (imports cartsie as installed; from a worktree ``PYTHONPATH=src``):

(a) start-up: ``import cartsie.cli`` and ``cartsie --help``, and the import of everything
    ``cartsie reproduce`` uses, beside the bare interpreter and ``import pandas`` (baselines);
(b) the built-in cohort's simulation (``synthetic.cartsie_like``), beside ``cohort.load`` of the same
    tables;
(c) with ``--large``: ``cohort.load`` of the large cohort's CSV files (time and peak memory), beside
    ``pandas.read_csv`` of the same files;
(d) the analysis of each paper section, and (e) figures, tables, the report and the input
    checksum, on the built-in cohort (and with ``--large`` on the large one);
and the whole ``cartsie reproduce`` (wall time from the shell, peak resident memory) on the built-in
cohort and, with ``--large``, on ``--data/--labs`` of the large cohort, against the targets:
built-in <= 4 s; 100,000 patients <= 12 s and <= 600 MB.

The large cohort is ``cartsie synth --n-enrolled N`` (default 100,000 enrolled = 100,000 patients,
2.3 million lab rows), written once to ``--cache`` (default: a folder in the system's temp dir) and
reused by later runs. Wall times are the best of ``--repeat`` runs (``--large-repeat`` for the large
cohort; a busy machine inflates them); peak memory is the process's VmHWM, the largest of the runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_BUILTIN_S = 4.0
TARGET_LARGE_S = 12.0
TARGET_LARGE_MB = 600.0

# -- the analysis API of cartsie (the only part that knows cartsie.study) ----------------------------

#: what `cartsie reproduce` imports before it runs (start-up of the command itself)
REPRODUCE_MODULE = "cartsie.study.pipeline"


def analysis_stages(cohort, out: Path, note: str | None) -> dict[str, float]:
    """Seconds of (d) each paper item's estimates and (e) its tables and figures, the report and the
    checksum of ``cohort`` written to ``out``, as ``cartsie reproduce`` runs them but in one process
    (``jobs=1``), so that each stage is timed alone."""
    import warnings

    from cartsie.study import pipeline

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        pipeline.checksum(cohort.patients, cohort.labs)
        checksum = time.perf_counter() - start
        run = pipeline.run(cohort, out, note=note, meta={"notes": []}, jobs=1)
    times: dict[str, float] = {}
    for stage, seconds in run.timings.items():
        item, _, what = stage.partition(": ")
        if what == "estimates":
            times[f"(d) {item}"] = seconds
        elif what:
            times[f"(e) {what}"] = times.get(f"(e) {what}", 0.0) + seconds
    times["(e) report"] = run.timings["report"]
    times["(e) input checksum"] = checksum
    return times


# -- children: each measurement in a fresh interpreter ---------------------------------------------


def _peak_mb() -> float:
    # VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec.
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _child(what: str, args: list[str]) -> dict:
    """Run in the child interpreter: one measurement, returned as a dict (printed as JSON)."""
    import warnings

    if what == "cli":  # `cartsie ARGS` exactly as the shell runs it, then the peak memory
        import runpy

        sys.argv = ["cartsie", *args]
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            try:
                runpy.run_module("cartsie.cli", run_name="__main__")
            except SystemExit as exc:
                if exc.code:
                    raise
        return {"peak_mb": _peak_mb()}
    if what == "simulate":
        from cartsie import cohort, synthetic

        start = time.perf_counter()
        t = synthetic.tables(seed=2024)
        simulate = time.perf_counter() - start
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cohort.load(t.patients, t.labs)
        return {"simulate": simulate, "load": time.perf_counter() - start}
    if what in ("load", "read_csv"):
        import pandas as pd

        from cartsie import cohort

        start = time.perf_counter()
        if what == "load":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cohort.load(args[0], args[1])
        else:
            pd.read_csv(args[0]), pd.read_csv(args[1])
        return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb()}
    if what == "stages":
        from cartsie import cohort, figures, synthetic

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if args[0] == "builtin":
                c, note = synthetic.cartsie_like(seed=2024), figures.SYNTHETIC_NOTE
            else:
                c, note = cohort.load(args[0], args[1]), None
        with tempfile.TemporaryDirectory() as tmp:
            times = analysis_stages(c, Path(tmp), note)
        return {**times, "peak_mb": _peak_mb()}
    raise SystemExit(f"unknown child {what!r}")


def run_child(what: str, *args: str) -> tuple[float, dict]:
    """(wall seconds including interpreter start-up, the child's JSON) of one fresh interpreter."""
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, __file__, "--child", what, *args], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    if run.returncode:
        raise SystemExit(f"{what} {' '.join(args)} failed:\n{run.stderr[-3000:]}")
    return wall, json.loads(run.stdout.strip().splitlines()[-1])


def best(runs: list[tuple[float, dict]], key: str | None = None) -> tuple[float, dict]:
    """The run with the least wall time (or the least ``key``), and the largest peak of all runs."""
    pick = min(runs, key=lambda r: r[0] if key is None else r[1][key])
    peak = max(r[1].get("peak_mb", 0.0) for r in runs)
    return pick[0], {**pick[1], "peak_mb": peak}


def wall_of(code: str, repeat: int) -> float:
    """Best wall seconds of ``python -c code`` in a fresh interpreter."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


# -- the report -------------------------------------------------------------------------------------


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, stage: str, value: str, baseline: str = "", verdict: str = "") -> None:
        self.rows.append((stage, value, baseline, verdict))

    def print(self) -> None:
        head = ("stage", "cartsie", "baseline (same run)", "ratio / target")
        widths = [max(len(r[i]) for r in [head, *self.rows]) for i in range(4)]
        for r in [head, tuple("-" * w for w in widths), *self.rows]:
            print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


def _s(x: float) -> str:
    return f"{x:.2f} s"


def _target(value: float, target: float, unit: str) -> str:
    return f"target <= {target:g} {unit}: {'met' if value <= target else 'NOT met'}"


def large_files(cache: Path, n_enrolled: int) -> tuple[Path, Path]:
    """The large cohort's CSV files, written by `cartsie synth` once per size and seed."""
    folder = cache / f"n{n_enrolled}"
    paths = folder / "synthetic_patients_seed2024.csv", folder / "synthetic_labs_seed2024.csv"
    if not all(p.exists() for p in paths):
        print(f"writing the {n_enrolled:,}-patient cohort to {folder} (once) ...", file=sys.stderr)
        run_child("cli", "synth", "--n-enrolled", str(n_enrolled), "--out", str(folder))
    return paths


def main() -> None:
    if sys.argv[1:2] == ["--child"]:  # a measurement (run_child), not the benchmark
        print(json.dumps(_child(sys.argv[2], sys.argv[3:])))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--large", action="store_true", help="also the large cohort (2-3 minutes more)")
    parser.add_argument("--n-enrolled", type=int, default=100_000, help="size of the large cohort")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing; the best is shown")
    parser.add_argument("--large-repeat", type=int, default=1, help="runs of each large-cohort timing")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "cartsie-bench-reproduce",
        help="folder keeping the large cohort's CSV files between runs",
    )
    args = parser.parse_args()
    k, kl = max(1, args.repeat), max(1, args.large_repeat)
    table = Table()

    bare = wall_of("pass", k + 2)
    pandas = wall_of("import pandas", k + 2)
    cli = wall_of("import cartsie.cli", k + 2)
    helps = min(run_child("cli", "--help")[0] for _ in range(k + 2))
    everything = wall_of(f"import {REPRODUCE_MODULE}", k)
    table.add("(a) python -c 'import cartsie.cli'", _s(cli), f"bare python {_s(bare)}", f"{cli / bare:.1f}x")
    table.add("(a) cartsie --help", _s(helps), f"bare python {_s(bare)}", f"{helps / bare:.1f}x")
    table.add(
        f"(a) import {REPRODUCE_MODULE} (reproduce's imports)",
        _s(everything),
        f"import pandas {_s(pandas)}",
        f"{everything / pandas:.1f}x",
    )

    sim = best([run_child("simulate") for _ in range(k)], key="simulate")[1]
    table.add(
        "(b) built-in cohort: simulate its tables",
        _s(sim["simulate"]),
        f"cohort.load of them {_s(sim['load'])}",
        f"{sim['simulate'] / sim['load']:.1f}x",
    )

    cohorts: list[tuple[str, list[str]]] = [("built-in", ["builtin"])]
    if args.large:
        patients, labs = large_files(args.cache, args.n_enrolled)
        base = best([run_child("read_csv", str(patients), str(labs)) for _ in range(kl)], key="seconds")[1]
        ours = best([run_child("load", str(patients), str(labs)) for _ in range(kl)], key="seconds")[1]
        table.add(
            f"(c) cohort.load, {args.n_enrolled:,} patients (CSV)",
            f"{_s(ours['seconds'])}, peak {ours['peak_mb']:.0f} MB",
            f"pandas.read_csv {_s(base['seconds'])}, peak {base['peak_mb']:.0f} MB",
            f"{ours['seconds'] / base['seconds']:.1f}x time, {ours['peak_mb'] / base['peak_mb']:.1f}x memory",
        )
        cohorts.append((f"{args.n_enrolled:,}", [str(patients), str(labs)]))

    for label, source in cohorts:
        runs = [run_child("stages", *source)[1] for _ in range(k if label == "built-in" else kl)]
        stages = {key: min(r[key] for r in runs) for key in runs[0]}  # each stage's best run
        total = sum(v for key, v in stages.items() if key.startswith("("))
        for key, value in stages.items():
            if key.startswith("("):
                table.add(f"{key} [{label}]", _s(value), "", f"{100 * value / total:.0f}% of (d)+(e)")

    with tempfile.TemporaryDirectory() as tmp:
        runs = [run_child("cli", "reproduce", "--out", f"{tmp}/builtin") for _ in range(k)]
        wall, child = best(runs)
        table.add(
            "cartsie reproduce [built-in], from the shell",
            f"{_s(wall)}, peak {child['peak_mb']:.0f} MB",
            f"import cartsie.cli {_s(cli)}",
            _target(wall, TARGET_BUILTIN_S, "s"),
        )
        if args.large:
            data = ["--data", str(patients), "--labs", str(labs)]
            runs = [run_child("cli", "reproduce", *data, "--out", f"{tmp}/large") for _ in range(kl)]
            wall, child = best(runs)
            table.add(
                f"cartsie reproduce [{args.n_enrolled:,}], from the shell",
                f"{_s(wall)}, peak {child['peak_mb']:.0f} MB",
                f"cohort.load {_s(ours['seconds'])}",
                f"{_target(wall, TARGET_LARGE_S, 's')}; {_target(child['peak_mb'], TARGET_LARGE_MB, 'MB')}",
            )
    print(f"cartsie reproduce, stage by stage (best of {k}; {os.cpu_count()} cores)")
    table.print()


if __name__ == "__main__":
    main()
