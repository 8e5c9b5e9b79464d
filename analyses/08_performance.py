"""CART-SIE: prognostic performance of the HT score and simpleHT (beyond the paper).

CART-SIE compares OS and PFS between the low and high groups of each score; it does not report how
well the scores predict. This script does, on the same patients; none of its numbers has a
published counterpart (they are never compared with the paper).

For the HT score (0-7, HT-evaluable patients) and simpleHT (high vs low, simpleHT-evaluable
patients), ``cartsie.prognostic.validate_score`` on OS and PFS: Harrell's and Uno's C
(``survival::concordance``), AUC(t) at 12 and 24 months (``riskRegression::Score``), the Brier
score and IPA at 12 and 24 months, and at 12 months the calibration (O/E, calibration slope) and
the net benefit at threshold risks of 25% and 50% (``dcurves::dca``). The predicted risk is that of
a Cox model of the score fitted on the same patients (Efron baseline hazard): apparent, in-sample
performance, optimistic for new patients.

Run: python analyses/08_performance.py [--data PATIENTS --labs LABS | --example] [--out DIR] [--seed N]

Without --data the built-in synthetic cohort is analysed. Outputs: estimates.csv (perf.*),
tables/score_performance.* and figures/perf_calibration_os.{png,pdf}.
"""

import math

from cartsie import figures, study
from cartsie.prognostic import validate_score
from cartsie.study import script
from cartsie.study.definitions import (
    PERF_ENDPOINTS,
    PERF_NOTES,
    PERF_OPTIONS,
    PERF_SCORES,
    POPULATIONS,
    perf_endpoints,
    perf_ids,
)

cohort, out = script.setup("performance", __doc__)
est = script.Estimates()
fits = {}


def performance(key):
    """validate_score of one score in its population, on OS and PFS (fitted once)."""
    if key not in fits:
        population, column, _name = PERF_SCORES[key]
        pop = script.need(study.population(cohort, population), column, population=population)
        # times=(12, 24), at=12, summary_thresholds=(0.25, 0.5), the decision curves' thresholds
        fits[key] = validate_score(pop, column, perf_endpoints(), **PERF_OPTIONS)
    return fits[key]


def summary_row(key, endpoint, measure, t, pt):
    """The row of validate_score's summary for one measure (at time t and threshold pt)."""
    tab = performance(key).summary
    pick = (tab["endpoint"] == PERF_ENDPOINTS[endpoint][0]) & (tab["measure"] == measure)
    pick &= tab["time"].isna() if math.isnan(t) else (tab["time"] - t).abs().lt(1e-9)
    pick &= tab["threshold"].isna() if math.isnan(pt) else (tab["threshold"] - pt).abs().lt(1e-9)
    return tab[pick].iloc[0]


# -- Every measure of each score and endpoint: C, AUC(t), Brier, IPA, O/E, slope, net benefit --------
for key in PERF_SCORES:
    for endpoint in PERF_ENDPOINTS:
        for id_, measure, t, pt, label in perf_ids(key, endpoint):
            with est(id_, label) as e:
                r = summary_row(key, endpoint, measure, t, pt)
                if r["reason"]:  # a measure the data cannot support (no event by t, one score value...)
                    raise script.NotEstimable(r["reason"])
                note = PERF_NOTES["score" if measure in ("harrell_c", "uno_c", "auc") else "risk"]
                e.set(r["estimate"], (r["ci_lower"], r["ci_upper"]), n=r["n"], note=note)

# -- The table --------------------------------------------------------------------------------------
with out.table("score_performance") as save:
    save(script.performance_table(est))

# -- Calibration of both scores for OS at 12 months, side by side -----------------------------------
with out.figure("perf_calibration_os") as save:
    cals, titles, labels = [], [], []
    for letter, (key, (population, _column, name)) in zip("AB", PERF_SCORES.items(), strict=False):
        res = performance(key)
        cal = res.calibration.get("OS", {}).get(PERF_OPTIONS["at"])
        if cal is None:
            reason = res.summary.query("endpoint == 'OS' and measure == 'oe_ratio'")["reason"].iloc[0]
            raise script.NotEstimable(f"{name}: {reason or 'calibration not estimable'}")
        cals.append(cal)
        titles.append(f"{letter}. {name} ({POPULATIONS[population]})")
        labels.append(f"{name}, apparent")
    save(figures.calibration_plot(cals, label=labels, title=titles, unit="months", note=out.note))

est.write(out)
