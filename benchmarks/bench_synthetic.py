"""Speed of the built-in synthetic cohort: simulate the default cohort's raw tables, and load them.

Run: python benchmarks/bench_synthetic.py
Aim: generating the default cohort (1002 patients and their lab series) in under 2 seconds. The
baseline measured in the same run is cartsie.cohort.load of the same tables (what every real cohort
costs), so the ratio says what simulation adds to reading a cohort.
"""

from __future__ import annotations

from _timing import best_of  # benchmarks/_timing.py, beside this script
from cartsie import cohort, synthetic


def main() -> None:
    t = synthetic.tables(seed=2024)
    gen = best_of(lambda: synthetic.tables(seed=2024))
    load = best_of(lambda: cohort.load(t.patients, t.labs))
    print(f"default cohort: {len(t.patients)} patients, {len(t.labs)} lab rows")
    print(f"generate tables: {gen:.3f} s (aim < 2 s: {'met' if gen < 2 else 'NOT met'})")
    print(f"cohort.load of them (baseline): {load:.3f} s; generate / load = {gen / load:.2f}")
    print(f"cartsie_like (generate + load): {gen + load:.3f} s")


if __name__ == "__main__":
    main()
