"""Every quantity the CART-SIE paper reports, computed from a cohort with cartsie's own functions.

:func:`estimates` returns one row per published quantity, keyed by the same ``id`` as the paper's
published-estimates table, so that the comparison report (:mod:`cartsie.report`) and the calibration of
the synthetic cohort can set each published number beside the reproduced one. This module never reads
the published numbers.

Populations (CART-SIE): "HT" = LBCL patients with an evaluable HT score (389 in the paper); "simpleHT"
= LBCL patients with an evaluable simpleHT (560), also the paper's "global" cohort for rates, response
and survival; "LBCL" = infused LBCL patients (628). Percentages are in percent, times in months (days /
30.4375), one-year estimates at 12 months, two-year at 24.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from cartsie.adjust import lp_adjusted
from cartsie.binary import logistic
from cartsie.competing import cumulative_incidence, fine_gray
from cartsie.descriptive import table_one
from cartsie.discrimination import auc, diagnostic_metrics
from cartsie.errors import CartsieError
from cartsie.survival import kaplan_meier, logrank, median_followup

COLUMNS = ("id", "value", "ci_low", "ci_high", "p", "n", "note")
GROUPS = {"ht": ("ht", "ht_high"), "simpleht": ("simple_ht", "simple_ht_high")}


def _row(id_: str, value, ci=(np.nan, np.nan), p=np.nan, n=np.nan, note: str = "") -> dict:
    return {
        "id": id_,
        "value": float(value) if value is not None else np.nan,
        "ci_low": float(ci[0]),
        "ci_high": float(ci[1]),
        "p": float(p),
        "n": float(n),
        "note": note,
    }


def _percent(flag: pd.Series) -> tuple[float, int, tuple[float, float]]:
    """Percentage of 1s among the known values, n known, and the exact (Clopper-Pearson) 95% CI in
    percent, as R's ``binom.test``."""
    known = flag.dropna()
    if not len(known):
        return np.nan, 0, (np.nan, np.nan)
    k = int((known == 1).sum())
    ci = stats.binomtest(k, len(known)).proportion_ci(confidence_level=0.95, method="exact")
    return 100.0 * k / len(known), len(known), (100.0 * ci.low, 100.0 * ci.high)


def flow_estimates(cohort) -> list[dict]:
    """Patient-flow counts (Results; Supplementary Figure 1)."""
    n = dict(zip(cohort.flow["step"], cohort.flow["n"], strict=True))
    rows = [
        _row("flow.enrolled", n["enrolled"]),
        _row("flow.infused", n["infused"]),
        _row("flow.lbcl", n["LBCL"]),
        _row("flow.simpleht", n["simpleHT evaluable"]),
        _row("flow.ht", n["HT evaluable"]),
        _row("flow.ht_missing", n["LBCL"] - n["HT evaluable"]),
    ]
    return rows


def _group_rates(pop: pd.DataFrame, flag: str, group: str, prefix: str) -> list[dict]:
    rows = []
    for level, name in ((0, "low"), (1, "high")):
        pct, n, ci = _percent(pop.loc[pop[group] == level, flag])
        rows.append(_row(f"{prefix}.{name}", pct, ci, n=n))
    return rows


def toxicity_rates(cohort) -> list[dict]:
    """Rates of late ICAHT, severe cytopenias, CRS and ICANS (Results)."""
    glob = cohort.population("simple_ht")
    ht = cohort.population("ht")
    late_any, n_late, ci_late = _percent(glob["late_icaht"])
    cases = glob[glob["late_icaht"] == 1]
    share, n_cases, ci_share = _percent(cases["late_icaht_severe"])
    rows = [
        _row("tox.late_icaht_any.rate", late_any, ci_late, n=n_late),
        _row(
            "tox.late_icaht_ge3.share",
            share,
            ci_share,
            n=n_cases,
            note="share of late-ICAHT cases with grade >= 3",
        ),
    ]
    for id_, col in (
        ("tox.severe_thrombocytopenia.rate", "severe_thrombocytopenia"),
        ("tox.severe_anemia.rate", "severe_anemia"),
        ("tox.crs_any.rate", "crs_any"),
        ("tox.crs_ge3.rate", "crs_severe"),
        ("tox.icans_any.rate", "icans_any"),
        ("tox.icans_ge3.rate", "icans_severe"),
    ):
        pct, n, ci = _percent(glob[col])
        rows.append(_row(id_, pct, ci, n=n))
    rows += _group_rates(ht, "early_icaht", "ht_high", "tox.early_icaht.ht")
    rows += _group_rates(ht, "severe_thrombocytopenia", "ht_high", "tox.severe_thrombo.ht")
    rows += _group_rates(ht, "crs_any", "ht_high", "tox.crs_any.ht")
    rows += _group_rates(
        cohort.population("simple_ht"), "late_icaht_severe", "simple_ht_high", "tox.late_icaht_ge3.simpleht"
    )
    return rows


def response_rates(cohort) -> list[dict]:
    """ORR and CRR at day 90, overall and by group (Results; Supplementary Table 3)."""
    glob = cohort.population("simple_ht")
    rows = []
    for name, col in (("orr", "orr_day90"), ("crr", "crr_day90")):
        pct, n, ci = _percent(glob[col])
        rows.append(_row(f"resp.{name}.global", pct, ci, n=n))
        for key, (pop, group) in GROUPS.items():
            rows += _group_rates(cohort.population(pop), col, group, f"resp.{name}90.{key}")
    return rows


def _km_at(pop: pd.DataFrame, endpoint: str, group: str | None, at: float) -> pd.DataFrame:
    km = kaplan_meier(pop, f"{endpoint}_months", f"{endpoint}_event", group=group)
    return km.at([at]).set_index("group")


def survival_estimates(cohort) -> list[dict]:
    """Follow-up, one-year OS/PFS/DOR, medians, and log-rank tests by HT and simpleHT (Figure 1)."""
    glob = cohort.population("simple_ht")
    fu = median_followup(glob, "os_months", "os_event")
    rows = [_row("surv.followup.median", fu.median, (fu.ci_lower, fu.ci_upper), n=len(glob))]
    for endpoint in ("os", "pfs", "dor"):
        pop = glob[glob[f"{endpoint}_months"].notna()]
        km = kaplan_meier(pop, f"{endpoint}_months", f"{endpoint}_event")
        at = km.at([12.0]).iloc[0]
        rows.append(
            _row(
                f"surv.{endpoint}.1y.global",
                100 * at["survival"],
                (100 * at["ci_lower"], 100 * at["ci_upper"]),
                n=km.n,
            )
        )
        med = km.median().iloc[0]
        rows.append(
            _row(
                f"surv.{endpoint}.median.global",
                med["median"],
                (med["ci_lower"], med["ci_upper"]),
                n=km.n,
                note="" if np.isfinite(med["median"]) else "not reached",
            )
        )
    for key, (pop_name, group) in GROUPS.items():
        pop = cohort.population(pop_name)
        pop = pop.assign(_group=pop[group].map({0: "low", 1: "high"}))
        for endpoint in ("os", "pfs"):
            at = _km_at(pop, endpoint, "_group", 12.0)
            for level in ("low", "high"):
                r = at.loc[level]
                rows.append(
                    _row(
                        f"surv.{endpoint}.1y.{key}.{level}",
                        100 * r["survival"],
                        (100 * r["ci_lower"], 100 * r["ci_upper"]),
                        n=int((pop["_group"] == level).sum()),
                    )
                )
            test = logrank(pop, f"{endpoint}_months", f"{endpoint}_event", "_group")
            rows.append(
                _row(
                    f"surv.{endpoint}.logrank.{key}",
                    np.nan,
                    p=test.p_value,
                    n=test.n,
                    note=f"chi-square {test.statistic:.2f}",
                )
            )
    return rows


def _cif_at(pop: pd.DataFrame, time: str, event: str, at: float, group: str | None = None) -> pd.DataFrame:
    ci = cumulative_incidence(pop, time, event, group=group)
    return ci.at([at], cause=1).set_index("group")


def nrm_estimates(cohort) -> list[dict]:
    """Non-relapse mortality: one-year cumulative incidence (progression competing), deaths, causes."""
    ht = cohort.population("ht")
    rows = []
    overall = _cif_at(ht, "nrm_months", "nrm_event", 12.0).iloc[0]
    rows.append(
        _row(
            "nrm.1y.global",
            100 * overall["estimate"],
            (100 * overall["ci_lower"], 100 * overall["ci_upper"]),
            n=len(ht),
        )
    )
    for key, (pop_name, group) in GROUPS.items():
        pop = cohort.population(pop_name)
        pop = pop.assign(_group=pop[group].map({0: "low", 1: "high"}))
        by = _cif_at(pop, "nrm_months", "nrm_event", 12.0, "_group")
        for level in ("low", "high"):
            r = by.loc[level]
            rows.append(
                _row(
                    f"nrm.1y.{key}.{level}",
                    100 * r["estimate"],
                    (100 * r["ci_lower"], 100 * r["ci_upper"]),
                    n=int((pop["_group"] == level).sum()),
                )
            )
    nrm_deaths = ht["nrm_event"] == 1
    infection = nrm_deaths & (ht.get("death_cause") == "infection")
    rows.append(_row("nrm.deaths", int(nrm_deaths.sum()), n=len(ht)))
    rows.append(_row("nrm.deaths_infection", int(infection.sum()), n=int(nrm_deaths.sum())))
    pct, n, ci = _percent(infection.astype(int))
    rows.append(
        _row(
            "nrm.infectious_mortality.ht",
            pct,
            ci,
            n=n,
            note="infection deaths without prior progression, both HT groups",
        )
    )
    return rows


def spm_estimates(cohort) -> list[dict]:
    """Second primary malignancies: counts, timing, two-year incidence and univariable Fine-Gray models."""
    ht = cohort.population("ht")
    spm = ht["spm_event"] == 1
    myeloid = ht["spm_myeloid_event"] == 1
    pct, n, ci = _percent(spm.astype(int))
    rows = [
        _row("spm.n", int(spm.sum()), n=len(ht)),
        _row("spm.rate", pct, ci, n=n),
        _row("spm.myeloid.n", int(myeloid.sum()), n=int(spm.sum())),
    ]
    t = ht.loc[spm, "spm_months"]
    rows.append(_row("spm.time_to_dx.median", t.median(), (t.min(), t.max()), n=len(t), note="range"))
    age = ht.loc[spm, "age"] if "age" in ht.columns else pd.Series(dtype=float)
    rows.append(_row("spm.age.median", age.median(), (age.min(), age.max()), n=len(age), note="range"))
    for id_, event in (("spm.cif.2y", "spm_event"), ("spm.myeloid.cif.2y", "spm_myeloid_event")):
        r = _cif_at(ht, "spm_months", event, 24.0).iloc[0]
        rows.append(_row(id_, 100 * r["estimate"], (100 * r["ci_lower"], 100 * r["ci_upper"]), n=len(ht)))
    models = (
        ("spm.fg.ht", "spm_event", "ht_high"),
        ("spm.fg.age", "spm_event", "age"),
        ("spm.fg.stage", "spm_event", "stage_advanced"),
        ("spm.fg.bm_involvement", "spm_event", "bone_marrow_involvement"),
        ("spm.fg.severe_thrombo", "spm_event", "severe_thrombocytopenia"),
        ("spm.myeloid.fg.ht", "spm_myeloid_event", "ht_high"),
    )
    for id_, event, covariate in models:
        if covariate not in ht.columns:
            continue
        data = ht[["spm_months", event, covariate]].astype(float)
        fit = fine_gray(data, "spm_months", event, [covariate])
        s = fit.summary.iloc[0]
        rows.append(_row(id_, s["shr"], (s["ci_lower"], s["ci_upper"]), p=s["p"], n=fit.n))
    return rows


#: CART-SIE's adjustment covariates: stage, bulky disease, histology, disease status, IPI, bridging
ADJUST_FOR = ("stage_advanced", "bulky", "histology", "refractory", "ipi_ge3", "bridging")

#: Table 1 rows: published id stem -> (variable, level shown; None for a median with IQR)
TABLE1_ROWS = {
    "age_median": ("age", None),
    "sex_female": ("sex", "F"),
    "histology_DLBCL": ("histology", "DLBCL"),
    "histology_HGBL": ("histology", "HGBL"),
    "histology_PMBCL": ("histology", "PMBCL"),
    "refractory": ("refractory", "1"),
    "stage_advanced": ("stage_advanced", "1"),
    "ipi_ge3": ("ipi_ge3", "1"),
    "bulky": ("bulky", "1"),
    "ldh_gt_uln": ("ldh_above_uln", "1"),
    "product_axicel": ("product", "axi-cel"),
    "product_tisacel": ("product", "tisa-cel"),
    "vein_to_vein_months_median": ("vein_to_vein_months", None),
    "previous_lines_1": ("prior_lines_cat", "1"),
    "previous_lines_2": ("prior_lines_cat", "2"),
    "previous_lines_ge3": ("prior_lines_cat", ">=3"),
    "previous_asct": ("prior_asct", "1"),
    "bridging": ("bridging", "1"),
    "bridging_failure": ("bridging_failure", "1"),
}
TABLE1_LABELS = {
    "age": "Age, years",
    "sex": "Sex",
    "histology": "Histology",
    "refractory": "Refractory disease",
    "stage_advanced": "Ann Arbor stage III-IV",
    "ipi_ge3": "IPI >= 3",
    "bulky": "Bulky disease",
    "ldh_above_uln": "LDH > ULN",
    "product": "Product",
    "vein_to_vein_months": "Vein-to-vein time, months",
    "prior_lines_cat": "Previous lines",
    "prior_asct": "Previous ASCT",
    "bridging": "Bridging therapy",
    "bridging_failure": "Bridging failure",
}
TABLE1_SCORES = {"simpleHT": ("simple_ht", "simple_ht_group"), "HT": ("ht", "ht_group")}


def table1(cohort, score: str = "HT"):
    """Table 1 by ``score`` ("HT" or "simpleHT"): :func:`cartsie.descriptive.table_one` on the paper's
    variables (Kruskal-Wallis for continuous, Fisher's exact test for categorical ones)."""
    population, group = TABLE1_SCORES[score]
    pop = cohort.population(population)
    variables = list(dict.fromkeys(v for v, _ in TABLE1_ROWS.values() if v in pop.columns))
    binary = [v for v in variables if v not in ("age", "vein_to_vein_months", "sex", "histology", "product")]
    return table_one(pop, group, variables, labels=TABLE1_LABELS, categorical=binary)


def table1_estimates(cohort) -> list[dict]:
    """Table 1 by simpleHT and by HT: n, medians (IQR), percentages with exact CIs, p-values."""
    rows = []
    for score in TABLE1_SCORES:
        t1 = table1(cohort, score)
        cells = t1.stats
        p_by_var = t1.summary.drop_duplicates("variable").set_index("variable")["p"]
        for group in ("total", "low", "high"):
            rows.append(_row(f"table1.{score}.n.{group}", int(t1.n[group]), n=int(t1.n[group]), note="n"))
        for stem, (variable, level) in TABLE1_ROWS.items():
            if variable not in p_by_var.index:
                continue
            for group in ("total", "low", "high"):
                p = p_by_var[variable] if group == "total" else np.nan
                rows.append(_table1_cell(cells, f"table1.{score}.{stem}.{group}", variable, level, group, p))
        ldh = cells[(cells["variable"] == "ldh_above_uln") & (cells["level"].astype(str) == "1")]
        for group in ("total", "low", "high") if len(ldh) else ():
            missing = int(ldh.loc[ldh["group"] == group, "missing"].iloc[0])
            rows.append(_row(f"table1.{score}.ldh_missing.{group}", missing, n=missing, note="n"))
    return rows


def _table1_cell(cells: pd.DataFrame, id_: str, variable: str, level, group: str, p: float) -> dict:
    cell = cells[(cells["variable"] == variable) & (cells["group"] == group)]
    if level is None:
        r = cell.iloc[0]
        return _row(id_, r["median"], (r["q1"], r["q3"]), p=p, n=r["n"], note="median (IQR)")
    cell = cell[cell["level"].astype(str) == level]
    if cell.empty:
        return _row(id_, np.nan, p=p, n=0, note="count")
    r = cell.iloc[0]
    k, denominator = int(r["n"]), int(r["denominator"])
    ci = stats.binomtest(k, denominator).proportion_ci(method="exact")
    return _row(id_, r["percent"], (100 * ci.low, 100 * ci.high), p=p, n=k, note="count")


def _estimable(id_: str, compute: Callable[[], dict]) -> dict:
    """``compute()``, or a row saying why the quantity cannot be estimated on this cohort (a model with
    collinear covariates, no events...): a real cohort may lack what the paper's had."""
    try:
        return compute()
    except CartsieError as exc:
        return _row(id_, np.nan, note=f"not estimable: {str(exc).splitlines()[-1].strip()}")


def _odds_ratio(pop: pd.DataFrame, outcome: str, group: str, id_: str) -> dict:
    data = pop[[outcome, group]].astype(float)
    fit = logistic(data, outcome, [group])
    s = fit.summary.loc[group]
    return _row(id_, s["odds_ratio"], (s["ci_lower"], s["ci_upper"]), p=s["p"], n=fit.n)


def _adjust_for(pop: pd.DataFrame) -> list[str]:
    return [c for c in ADJUST_FOR if c in pop.columns]


def _adjusted(id_: str, pop: pd.DataFrame, score: str, ratio: str, **model) -> dict:
    """The score's effect adjusted by the linear predictor of :data:`ADJUST_FOR` (CART-SIE)."""
    adjust = _adjust_for(pop)

    def compute() -> dict:
        fit = lp_adjusted(pop, score, adjust, **model)
        s = fit.summary.iloc[0]
        return _row(
            id_,
            s[ratio],
            (s["ci_lower"], s["ci_upper"]),
            p=s["p"],
            n=fit.n,
            note="adjusted by the linear predictor of " + ", ".join(adjust),
        )

    return _estimable(id_, compute)


def _odds_ratios(specs) -> list[dict]:
    return [_estimable(spec[-1], lambda spec=spec: _odds_ratio(*spec)) for spec in specs]


def toxicity_models(cohort) -> list[dict]:
    """Odds ratios of toxicity by HT and simpleHT (logistic, Wald CIs as R's glm), the adjusted OR of
    severe late ICAHT, and how well HT high discriminates it (sensitivity, specificity, LRs, AUC)."""
    ht, simple = cohort.population("ht"), cohort.population("simple_ht")
    rows = _odds_ratios(
        [
            (ht, "late_icaht_severe", "ht_high", "tox.late_icaht_ge3.ht.or"),
            (ht, "early_icaht", "ht_high", "tox.early_icaht.ht.or"),
            (ht, "severe_thrombocytopenia", "ht_high", "tox.severe_thrombo.ht.or"),
            (ht, "crs_any", "ht_high", "tox.crs_any.ht.or"),
            (simple, "late_icaht_severe", "simple_ht_high", "tox.late_icaht_ge3.simpleht.or"),
        ]
    )
    rows.append(
        _adjusted(
            "tox.late_icaht_ge3.ht.or_adjusted",
            ht,
            "ht_high",
            "odds_ratio",
            outcome="late_icaht_severe",
            model="logistic",
        )
    )
    metrics = diagnostic_metrics(ht["late_icaht_severe"], ht["ht_high"]).summary
    for stat, scale in (("sensitivity", 100), ("specificity", 100), ("lr_pos", 1), ("lr_neg", 1)):
        r = metrics.loc[stat]
        rows.append(
            _row(
                f"tox.late_icaht_ge3.ht.{stat}",
                scale * r["estimate"],
                (scale * r["ci_lower"], scale * r["ci_upper"]),
            )
        )
    a = auc(ht["late_icaht_severe"], ht["ht_high"])
    rows.append(
        _row(
            "tox.late_icaht_ge3.ht.auc",
            100 * a.auc,
            (100 * a.ci_lower, 100 * a.ci_upper),
            n=a.n_cases + a.n_controls,
            note="AUC x 100 of HT high (0/1), DeLong CI",
        )
    )
    return rows


def response_models(cohort) -> list[dict]:
    """Odds ratios of CR and of response at day 90 by HT and simpleHT."""
    ht, simple = cohort.population("ht"), cohort.population("simple_ht")
    return _odds_ratios(
        [
            (ht, "crr_day90", "ht_high", "resp.crr90.ht.or"),
            (simple, "crr_day90", "simple_ht_high", "resp.crr90.simpleht.or"),
            (ht, "orr_day90", "ht_high", "resp.orr90.ht.or"),
            (simple, "orr_day90", "simple_ht_high", "resp.orr90.simpleht.or"),
        ]
    )


def survival_models(cohort) -> list[dict]:
    """Hazard ratio of OS by HT and simpleHT adjusted by the linear predictor (Supplementary Tables 4, 6)."""
    return [
        _adjusted(
            f"surv.os.cox_adjusted.{key}",
            cohort.population(pop),
            score,
            "hr",
            time="os_months",
            event="os_event",
            model="cox",
        )
        for key, (pop, score) in GROUPS.items()
    ]


SECTIONS: tuple[Callable, ...] = (
    flow_estimates,
    table1_estimates,
    toxicity_rates,
    response_rates,
    toxicity_models,
    response_models,
    survival_estimates,
    survival_models,
    nrm_estimates,
    spm_estimates,
)


def estimates(cohort) -> pd.DataFrame:
    """All reproduced quantities of the paper: columns id, value, ci_low, ci_high, p, n, note."""
    rows = [row for section in SECTIONS for row in section(cohort)]
    return pd.DataFrame(rows, columns=list(COLUMNS))
