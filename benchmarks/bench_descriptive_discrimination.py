"""Speed of table_one (100,000 patients) and of auc / delong_test (1,000,000 scores).

Run: ``python benchmarks/bench_descriptive_discrimination.py [n_patients] [n_scores]``.

Baselines measured in the same run:

* table_one against the bare computation with pandas + scipy (groupby quartiles, crosstabs,
  scipy's Kruskal-Wallis and chi-squared tests): what cartsie adds is the exact Fisher tests (R's
  fisher.test, exact enumeration for r x 2 tables, Monte Carlo where R's FEXACT would fail), the
  missing-value rows and the formatting;
* auc (AUC + DeLong variance and CI) and delong_test (two AUCs + covariance) against scikit-learn's
  ``roc_auc_score`` (the AUC alone, no variance).

Targets: table_one on 100,000 patients and auc + DeLong on 1,000,000 scores in seconds (under 10 s
each); ratios printed for information. Times are the best of 3 runs.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score

from _timing import best_of  # benchmarks/_timing.py, beside this script
from cartsie.descriptive import table_one
from cartsie.discrimination import auc, delong_test

TARGET_SECONDS = 10.0
VARIABLES = ["age", "crp", "sex", "histology", "stage", "ldh_high", "lines", "bridging"]


def patients(n: int, seed: int = 20240501) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    high = rng.random(n) < 0.35
    df = pd.DataFrame(
        {
            "ht": np.where(high, "high", "low"),
            "age": np.round(rng.normal(59, 11, n)),
            "crp": np.round(rng.lognormal(1 + 0.4 * high, 1.0), 1),
            "sex": rng.choice(["female", "male"], n, p=[0.37, 0.63]),
            "histology": rng.choice(["DLBCL", "HGBL", "PMBCL"], n, p=[0.68, 0.2, 0.12]),
            "stage": rng.choice(["I", "II", "III", "IV"], n, p=[0.1, 0.2, 0.3, 0.4]),
            "ldh_high": (rng.random(n) < 0.4 + 0.15 * high).astype(float),
            "lines": rng.choice(["1", "2", ">=3"], n, p=[0.03, 0.62, 0.35]),
            "bridging": (rng.random(n) < 0.8 + 0.08 * high).astype(int),
        }
    )
    df.loc[rng.random(n) < 0.2, "ldh_high"] = np.nan
    df.loc[rng.random(n) < 0.01, "age"] = np.nan
    return df


def pandas_scipy_table(df: pd.DataFrame) -> list:
    """The same summaries and tests with pandas + scipy only (chi-squared instead of Fisher)."""
    out = []
    g = df["ht"]
    for v in VARIABLES:
        s = df[v]
        if pd.api.types.is_float_dtype(s) and s.dropna().nunique() > 2:
            out.append(s.groupby(g).quantile([0.25, 0.5, 0.75]))
            ok = s.notna()
            out.append(stats.kruskal(*[s[ok & (g == k)] for k in ("low", "high")]))
        else:
            tab = pd.crosstab(s, g)
            out.append(tab / tab.sum())
            out.append(stats.chi2_contingency(tab.to_numpy()))
    return out


def scores(n: int, seed: int = 20240502) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(float)
    a = np.round(rng.normal(0.8 * y, 1.0), 3)  # rounded: many ties
    b = np.round(rng.normal(0.5 * y, 1.0), 3)
    return y, a, b


def main(n_patients: int, n_scores: int) -> int:
    df = patients(n_patients)
    t1 = table_one(df, "ht", VARIABLES)
    print(t1.summary[["variable", "level", "low", "high", "p", "test"]].to_string(index=False), "\n")
    y, a, b = scores(n_scores)
    rows = [
        (
            f"table_one, {n_patients:,} patients, {len(VARIABLES)} variables",
            lambda: table_one(df, "ht", VARIABLES),
            "pandas + scipy",
            lambda: pandas_scipy_table(df),
        ),
        (
            f"auc + DeLong CI, {n_scores:,} scores",
            lambda: auc(y, a),
            "sklearn roc_auc_score",
            lambda: roc_auc_score(y, a),
        ),
        (
            f"delong_test (paired), {n_scores:,} scores",
            lambda: delong_test(y, a, b),
            "2 x sklearn roc_auc_score",
            lambda: (roc_auc_score(y, a), roc_auc_score(y, b)),
        ),
    ]
    print(f"{'step':<48} {'cartsie s':>10} {'baseline':<26} {'baseline s':>10} {'ratio':>7}")
    worst = 0.0
    for name, ours, base_name, base in rows:
        t_ours, t_base = best_of(ours), best_of(base)
        worst = max(worst, t_ours)
        flag = "" if t_ours <= TARGET_SECONDS else "  <-- above target"
        print(f"{name:<48} {t_ours:>10.3f} {base_name:<26} {t_base:>10.3f} {t_ours / t_base:>7.2f}{flag}")
    print(f"\nslowest step {worst:.2f} s (target <= {TARGET_SECONDS:.0f} s)")
    return 0


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    raise SystemExit(main(args[0] if args else 100_000, args[1] if len(args) > 1 else 1_000_000))
