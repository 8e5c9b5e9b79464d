"""Every quantity the CART-SIE paper reports, computed from a cohort with cartsie's own functions.

:func:`estimates` returns one row per published quantity, keyed by the same ``id`` as the paper's
published-estimates table, so that the comparison report (:mod:`cartsie.report`) and the calibration of
the synthetic cohort can set each published number beside the reproduced one. This module never reads
the published numbers.

Populations (CART-SIE): "HT" = LBCL patients with an evaluable HT score (389 in the paper); "simpleHT"
= LBCL patients with an evaluable simpleHT (560), also the paper's "global" cohort for rates, response
and survival; "LBCL" = infused LBCL patients (628). Percentages are in percent, times in months (days /
30.4375), one-year estimates at 12 months, two-year at 24.

Every id is always present. An estimate this cohort cannot give -- a column the data lack, no labs
table, an empty population or risk group, no event of the cause, too short a follow-up, a model that
cannot be fitted -- is a row with ``estimable = False`` and its ``reason`` (see
:mod:`cartsie._estimate`), and everything else is still computed. Ratios that are infinite
(separation, monotone likelihood: e.g. no event in one group) keep their value, 0 or inf, with NaN CI
and p, ``estimable = False`` and a reason naming the group ("sHR 0: no second primary malignancy in
the HT high group"). A cumulative incidence without any event of the cause is 0, without CI.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

from cartsie import _paper_common as C
from cartsie._estimate import COLUMNS, NotEstimable, estimate, frame, row, shared
from cartsie._paper_models import ADJUST_FOR, response_models, spm_models, survival_models, toxicity_models
from cartsie.competing import cumulative_incidence
from cartsie.descriptive import table_one
from cartsie.survival import kaplan_meier, logrank, median_followup

__all__ = [
    "ADJUST_FOR",
    "COLUMNS",
    "GROUPS",
    "SECTIONS",
    "estimates",
    "flow_estimates",
    "nrm_estimates",
    "response_models",
    "response_rates",
    "spm_estimates",
    "survival_estimates",
    "survival_models",
    "table1",
    "table1_estimates",
    "toxicity_models",
    "toxicity_rates",
]

GROUPS = {"ht": ("ht", "ht_high"), "simpleht": ("simple_ht", "simple_ht_high")}
LEVELS = ((0, "low"), (1, "high"))


def flow_estimates(cohort) -> list[dict]:
    """Patient-flow counts (Results; Supplementary Figure 1)."""
    n = shared(lambda: dict(zip(cohort.flow["step"], cohort.flow["n"], strict=True)))

    def count(step: str) -> int:
        if step not in n():
            raise NotEstimable(f"the patient flow has no step {step!r}")
        return n()[step]

    steps = {
        "flow.enrolled": "enrolled",
        "flow.infused": "infused",
        "flow.lbcl": "LBCL",
        "flow.simpleht": "simpleHT evaluable",
        "flow.ht": "HT evaluable",
    }
    rows = [estimate(id_, lambda id_=id_, s=s: row(id_, count(s))) for id_, s in steps.items()]
    rows.append(
        estimate("flow.ht_missing", lambda: row("flow.ht_missing", count("LBCL") - count("HT evaluable")))
    )
    return rows


def _rate(id_: str, cohort, population: str, flag: str) -> dict:
    pop = cohort.population(population)
    C.need(pop, [flag], cohort)
    C.need_patients(pop, population)
    pct, n, ci = C.percent(pop[flag], C.outcome(flag))
    return row(id_, pct, ci, n=n)


def _group_rates(cohort, population: str, flag: str, group: str, prefix: str) -> list[dict]:
    def compute(id_: str, level: int) -> dict:
        pop = cohort.population(population)
        C.need(pop, [group, flag], cohort)
        C.need_patients(pop, population)
        C.nobody(pop, group, level)
        what = f"{C.outcome(flag)} in the {C.group_name(group, level)} group"
        pct, n, ci = C.percent(pop.loc[pop[group] == level, flag], what)
        return row(id_, pct, ci, n=n)

    return [
        estimate(f"{prefix}.{name}", lambda id_=f"{prefix}.{name}", lv=level: compute(id_, lv))
        for level, name in LEVELS
    ]


def _late_share(cohort) -> dict:
    """Share of late-ICAHT cases (simpleHT population) with grade >= 3."""
    pop = cohort.population("simple_ht")
    C.need(pop, ["late_icaht", "late_icaht_severe"], cohort)
    C.need_patients(pop, "simple_ht")
    cases = pop[pop["late_icaht"] == 1]
    if not len(cases):
        raise NotEstimable("no late ICAHT in the simpleHT-evaluable population")
    pct, n, ci = C.percent(cases["late_icaht_severe"], "late ICAHT grade")
    return row("tox.late_icaht_ge3.share", pct, ci, n=n, note="share of late-ICAHT cases with grade >= 3")


def toxicity_rates(cohort) -> list[dict]:
    """Rates of late ICAHT, severe cytopenias, CRS and ICANS (Results)."""
    rows = [
        estimate(
            "tox.late_icaht_any.rate",
            lambda: _rate("tox.late_icaht_any.rate", cohort, "simple_ht", "late_icaht"),
        ),
        estimate("tox.late_icaht_ge3.share", lambda: _late_share(cohort)),
    ]
    for id_, col in (
        ("tox.severe_thrombocytopenia.rate", "severe_thrombocytopenia"),
        ("tox.severe_anemia.rate", "severe_anemia"),
        ("tox.crs_any.rate", "crs_any"),
        ("tox.crs_ge3.rate", "crs_severe"),
        ("tox.icans_any.rate", "icans_any"),
        ("tox.icans_ge3.rate", "icans_severe"),
    ):
        rows.append(estimate(id_, lambda id_=id_, col=col: _rate(id_, cohort, "simple_ht", col)))
    rows += _group_rates(cohort, "ht", "early_icaht", "ht_high", "tox.early_icaht.ht")
    rows += _group_rates(cohort, "ht", "severe_thrombocytopenia", "ht_high", "tox.severe_thrombo.ht")
    rows += _group_rates(cohort, "ht", "crs_any", "ht_high", "tox.crs_any.ht")
    rows += _group_rates(
        cohort, "simple_ht", "late_icaht_severe", "simple_ht_high", "tox.late_icaht_ge3.simpleht"
    )
    return rows


def response_rates(cohort) -> list[dict]:
    """ORR and CRR at day 90, overall and by group (Results; Supplementary Table 3)."""
    rows = []
    for name, col in (("orr", "orr_day90"), ("crr", "crr_day90")):
        id_ = f"resp.{name}.global"
        rows.append(estimate(id_, lambda id_=id_, col=col: _rate(id_, cohort, "simple_ht", col)))
        for key, (pop, group) in GROUPS.items():
            rows += _group_rates(cohort, pop, col, group, f"resp.{name}90.{key}")
    return rows


def _known(pop: pd.DataFrame, endpoint: str, population: str, cohort) -> pd.DataFrame:
    """Rows of ``pop`` with the endpoint known; NotEstimable when there is none."""
    C.need(pop, [f"{endpoint}_months", f"{endpoint}_event"], cohort)
    C.need_patients(pop, population)
    known = pop[pop[f"{endpoint}_months"].notna() & pop[f"{endpoint}_event"].notna()]
    if not len(known):
        where = f"the {C.POPULATIONS[population]} population"
        if endpoint == "dor":
            raise NotEstimable(f"no responder in {where}, so no duration of response")
        raise NotEstimable(f"no patient with known {C.ENDPOINTS[endpoint]} in {where}")
    return known


def _landmark(id_: str, km, label: str, at: float, n: int, endpoint: str) -> dict:
    r = km.at([at]).set_index("group").loc[label]
    curve = km.curves[km.curves["group"] == label]
    last = float(curve["time"].max())
    if last < at and r["survival"] > 0:
        raise NotEstimable(
            f"no {C.ENDPOINTS[endpoint]} follow-up to {at:g} months (the last is at {last:.1f} months)"
        )
    return row(id_, 100 * r["survival"], (100 * r["ci_lower"], 100 * r["ci_upper"]), n=n)


def _median(id_: str, km) -> dict:
    med = km.median().iloc[0]
    note = "" if np.isfinite(med["median"]) else "not reached"
    return row(id_, med["median"], (med["ci_lower"], med["ci_upper"]), n=km.n, note=note)


def _followup(cohort) -> dict:
    glob = _known(cohort.population("simple_ht"), "os", "simple_ht", cohort)
    fu = median_followup(glob, "os_months", "os_event")
    note = "" if np.isfinite(fu.median) else "not reached"
    n = len(cohort.population("simple_ht"))
    return row("surv.followup.median", fu.median, (fu.ci_lower, fu.ci_upper), n=n, note=note)


def _by_group(cohort, population: str, group: str) -> pd.DataFrame:
    pop = cohort.population(population)
    C.need(pop, [group], cohort)
    return pop.assign(_group=pop[group].map({0: "low", 1: "high"}))


def _group_landmark(id_: str, cohort, population: str, group: str, endpoint: str, level: int, km) -> dict:
    pop = _by_group(cohort, population, group)
    C.need_patients(pop, population)
    C.nobody(pop, group, level)
    name = dict(LEVELS)[level]
    fit = km()
    if name not in fit.groups:
        raise NotEstimable(f"no {C.group_name(group, level)} patient with known {C.ENDPOINTS[endpoint]}")
    return _landmark(id_, fit, name, 12.0, int((pop["_group"] == name).sum()), endpoint)


def _logrank(id_: str, cohort, population: str, group: str, endpoint: str) -> dict:
    pop = _by_group(cohort, population, group)
    known = _known(pop, endpoint, population, cohort)
    C.both_groups(known, group)
    C.events(known, f"{endpoint}_event", population)
    test = logrank(pop, f"{endpoint}_months", f"{endpoint}_event", "_group")
    return row(id_, np.nan, p=test.p_value, n=test.n, note=f"chi-square {test.statistic:.2f}")


def survival_estimates(cohort) -> list[dict]:
    """Follow-up, one-year OS/PFS/DOR, medians, and log-rank tests by HT and simpleHT (Figure 1)."""
    rows = [estimate("surv.followup.median", lambda: _followup(cohort))]
    for endpoint in ("os", "pfs", "dor"):
        km = shared(
            lambda e=endpoint: kaplan_meier(
                _known(cohort.population("simple_ht"), e, "simple_ht", cohort), f"{e}_months", f"{e}_event"
            )
        )
        one, med = f"surv.{endpoint}.1y.global", f"surv.{endpoint}.median.global"
        rows.append(
            estimate(one, lambda i=one, km=km, e=endpoint: _landmark(i, km(), "all", 12.0, km().n, e))
        )
        rows.append(estimate(med, lambda i=med, km=km: _median(i, km())))
    for key, (population, group) in GROUPS.items():
        for endpoint in ("os", "pfs"):
            km = shared(
                lambda p=population, g=group, e=endpoint: kaplan_meier(
                    _by_group(cohort, p, g), f"{e}_months", f"{e}_event", group="_group"
                )
            )
            for level, name in LEVELS:
                id_ = f"surv.{endpoint}.1y.{key}.{name}"
                rows.append(
                    estimate(
                        id_,
                        lambda i=id_, p=population, g=group, e=endpoint, lv=level, km=km: _group_landmark(
                            i, cohort, p, g, e, lv, km
                        ),
                    )
                )
            id_ = f"surv.{endpoint}.logrank.{key}"
            rows.append(
                estimate(id_, lambda i=id_, p=population, g=group, e=endpoint: _logrank(i, cohort, p, g, e))
            )
    return rows


def cumulative_incidence_at(
    pop: pd.DataFrame, time: str, event: str, at: float, population: str, cohort, group=None, level=None
) -> tuple[float, float, float, str]:
    """Cumulative incidence of code 1 at ``at`` (overall, or in ``group == level``): estimate, CI and
    a note. 0 without CI when no event of the cause occurred; NotEstimable when nobody is followed to
    ``at`` in the group asked for."""
    C.need(pop, [time, event, *([group] if group else [])], cohort)
    C.need_patients(pop, population)
    known = pop[pop[time].notna() & pop[event].notna()]
    if group is not None:
        C.nobody(pop, group, level)
        known = known[known[group] == level]
    where = C.group_name(group, level) + " group" if group else f"{C.POPULATIONS[population]} population"
    if not len(known):
        raise NotEstimable(f"no patient of the {where} with known {C.outcome(event)} follow-up")
    last = float(known[time].max())
    if last < at:
        raise NotEstimable(f"no follow-up to {at:g} months in the {where} (the last is at {last:.1f} months)")
    if not (pop[event] == 1).any():
        return 0.0, np.nan, np.nan, f"no {C.outcome(event)} in the {where}: incidence 0, no CI"
    data = pop if group is None else pop.assign(_group=pop[group].map({0: "low", 1: "high"}))
    ci = cumulative_incidence(data, time, event, group=None if group is None else "_group")
    r = ci.at([at], cause=1).set_index("group").loc["all" if group is None else dict(LEVELS)[level]]
    return r["estimate"], r["ci_lower"], r["ci_upper"], ""


def _cif_row(id_: str, cohort, population: str, time: str, event: str, at: float, group=None, level=None):
    pop = cohort.population(population)
    est, lo, hi, note = cumulative_incidence_at(pop, time, event, at, population, cohort, group, level)
    n = len(pop) if group is None else int((pop[group] == level).sum())
    return row(id_, 100 * est, (100 * lo, 100 * hi), n=n, note=note)


def _count(id_: str, cohort, population: str, flag: Callable[[pd.DataFrame], pd.Series], n, needs, note=""):
    pop = cohort.population(population)
    C.need(pop, needs, cohort)
    C.need_patients(pop, population)
    return row(id_, int(flag(pop).sum()), n=n(pop), note=note)


def _nrm_deaths(pop: pd.DataFrame) -> pd.Series:
    return pop["nrm_event"] == 1


def _infection(pop: pd.DataFrame) -> pd.Series:
    return _nrm_deaths(pop) & (pop["death_cause"] == "infection").fillna(False).astype(bool)


def nrm_estimates(cohort) -> list[dict]:
    """Non-relapse mortality: one-year cumulative incidence (progression competing), deaths, causes."""
    nrm = ("nrm_months", "nrm_event")
    rows = [estimate("nrm.1y.global", lambda: _cif_row("nrm.1y.global", cohort, "ht", *nrm, 12.0))]
    for key, (population, group) in GROUPS.items():
        for level, name in LEVELS:
            id_ = f"nrm.1y.{key}.{name}"
            rows.append(
                estimate(
                    id_,
                    lambda i=id_, p=population, g=group, lv=level: _cif_row(i, cohort, p, *nrm, 12.0, g, lv),
                )
            )

    def infectious(pop: pd.DataFrame) -> dict:
        pct, n, ci = C.percent(_infection(pop).astype(int), "NRM")
        note = "infection deaths without prior progression, both HT groups"
        return row("nrm.infectious_mortality.ht", pct, ci, n=n, note=note)

    rows += [
        estimate("nrm.deaths", lambda: _count("nrm.deaths", cohort, "ht", _nrm_deaths, len, ["nrm_event"])),
        estimate(
            "nrm.deaths_infection",
            lambda: _count(
                "nrm.deaths_infection",
                cohort,
                "ht",
                _infection,
                lambda pop: int(_nrm_deaths(pop).sum()),
                ["nrm_event", "death_cause"],
            ),
        ),
        estimate(
            "nrm.infectious_mortality.ht",
            lambda: infectious(_needed(cohort, "ht", ["nrm_event", "death_cause"])),
        ),
    ]
    return rows


def _needed(cohort, population: str, columns: list[str]) -> pd.DataFrame:
    pop = cohort.population(population)
    C.need(pop, columns, cohort)
    C.need_patients(pop, population)
    return pop


def _spm_summary(id_: str, cohort, column: str) -> dict:
    pop = _needed(cohort, "ht", ["spm_event", "spm_months", column])
    spm = pop["spm_event"] == 1
    if not spm.any():
        raise NotEstimable("no second primary malignancy in the HT-evaluable population")
    x = pop.loc[spm, column]
    return row(id_, x.median(), (x.min(), x.max()), n=len(x), note="range")


def spm_estimates(cohort) -> list[dict]:
    """Second primary malignancies: counts, timing, two-year incidence and univariable Fine-Gray models."""

    def spm(pop: pd.DataFrame) -> pd.Series:
        return pop["spm_event"] == 1

    def rate() -> dict:
        pct, n, ci = C.percent(spm(_needed(cohort, "ht", ["spm_event"])).astype(int), "SPM")
        return row("spm.rate", pct, ci, n=n)

    rows = [
        estimate("spm.n", lambda: _count("spm.n", cohort, "ht", spm, len, ["spm_event"])),
        estimate("spm.rate", rate),
        estimate(
            "spm.myeloid.n",
            lambda: _count(
                "spm.myeloid.n",
                cohort,
                "ht",
                lambda pop: pop["spm_myeloid_event"] == 1,
                lambda pop: int(spm(pop).sum()),
                ["spm_event", "spm_myeloid_event"],
            ),
        ),
        estimate(
            "spm.time_to_dx.median", lambda: _spm_summary("spm.time_to_dx.median", cohort, "spm_months")
        ),
        estimate("spm.age.median", lambda: _spm_summary("spm.age.median", cohort, "age")),
    ]
    for id_, event in (("spm.cif.2y", "spm_event"), ("spm.myeloid.cif.2y", "spm_myeloid_event")):
        rows.append(estimate(id_, lambda i=id_, e=event: _cif_row(i, cohort, "ht", "spm_months", e, 24.0)))
    return rows + spm_models(cohort)


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
_SCORE_OF = {"simple_ht": "simpleHT", "ht": "HT"}
_CONTINUOUS = ("age", "vein_to_vein_months")


def _testable(pop: pd.DataFrame, variable: str, group: str) -> bool:
    """A test of ``variable`` across the groups needs two groups and two distinct values."""
    grouped = pop.loc[pop[group].notna(), [variable, group]].dropna()
    return grouped[variable].nunique() >= 2 and grouped[group].nunique() >= 2


def table1(cohort, score: str = "HT"):
    """Table 1 by ``score`` ("HT" or "simpleHT"): :func:`cartsie.descriptive.table_one` on the paper's
    variables present in the data (Kruskal-Wallis for continuous, Fisher's exact test for categorical
    ones; no test for a variable with a single value or when a group is empty), both groups shown even
    when one is empty."""
    population, group = TABLE1_SCORES[score]
    pop = cohort.population(population)
    variables = [
        v
        for v in dict.fromkeys(v for v, _ in TABLE1_ROWS.values())
        if v in pop.columns and pop[v].notna().any()
    ]
    binary = [v for v in variables if v not in (*_CONTINUOUS, "sex", "histology", "product")]
    tests = {v: "none" for v in variables if not _testable(pop, v, group)}
    return table_one(
        pop,
        group,
        variables,
        labels=TABLE1_LABELS,
        categorical=binary,
        tests=tests or None,
        group_order=["low", "high"],
    )


def table1_estimates(cohort) -> list[dict]:
    """Table 1 by simpleHT and by HT: n, medians (IQR), percentages with exact CIs, p-values."""
    rows = []
    for score, (population, _group) in TABLE1_SCORES.items():
        t1 = shared(lambda s=score: table1(cohort, s))
        for part in ("total", "low", "high"):
            id_ = f"table1.{score}.n.{part}"
            rows.append(estimate(id_, lambda i=id_, t1=t1, g=part: _table1_n(i, t1(), g)))
        for stem, (variable, level) in TABLE1_ROWS.items():
            for part in ("total", "low", "high"):
                id_ = f"table1.{score}.{stem}.{part}"
                rows.append(
                    estimate(
                        id_,
                        lambda i=id_, t1=t1, v=variable, lv=level, g=part, p=population: _table1_cell(
                            i, cohort, t1(), p, v, lv, g
                        ),
                    )
                )
        for part in ("total", "low", "high"):
            id_ = f"table1.{score}.ldh_missing.{part}"
            rows.append(estimate(id_, lambda i=id_, g=part, p=population: _ldh_missing(i, cohort, p, g)))
    return rows


def _table1_n(id_: str, t1, group: str) -> dict:
    return row(id_, int(t1.n[group]), n=int(t1.n[group]), note="n")


def _ldh_missing(id_: str, cohort, population: str, group: str) -> dict:
    """Patients of the group (or in total) without LDH, as Table 1's "missing" row."""
    pop = cohort.population(population)
    C.need(pop, ["ldh_above_uln"], cohort)
    column = TABLE1_SCORES[_SCORE_OF[population]][1]
    in_group = pop[column].notna() if group == "total" else (pop[column] == group)
    missing = int((pop["ldh_above_uln"].isna() & in_group).sum())
    return row(id_, missing, n=missing, note="n")


def _check_variable(cohort, population: str, variable: str) -> None:
    pop = cohort.population(population)
    C.need(pop, [variable], cohort)
    C.need_patients(pop, population)
    if not pop[variable].notna().any():
        raise NotEstimable(
            f"{variable} unknown for every patient of the {C.POPULATIONS[population]} population"
        )


def _table1_cell(id_: str, cohort, t1, population: str, variable: str, level, group: str) -> dict:
    _check_variable(cohort, population, variable)
    score = _SCORE_OF[population]
    if group != "total" and not t1.n[group]:
        raise NotEstimable(f"nobody {score} {group}")
    unknown = NotEstimable(
        f"{variable} unknown for every "
        + (
            f"{score} {group} patient"
            if group != "total"
            else f"patient of the {C.POPULATIONS[population]} population"
        )
    )
    p_by_var = t1.summary.drop_duplicates("variable").set_index("variable")["p_value"]
    p = p_by_var[variable] if group == "total" else np.nan
    stats_ = t1.stats
    cell = stats_[(stats_["variable"] == variable) & (stats_["group"] == group)]
    if level is None:
        r = cell.iloc[0]
        if not r["n"]:
            raise unknown
        return row(id_, r["median"], (r["q1"], r["q3"]), p=p, n=r["n"], note="median (IQR)")
    cell = cell[cell["level"].astype(str) == level]
    if cell.empty:  # a level nobody has: 0 of the known values
        pop = cohort.population(population)
        grp = TABLE1_SCORES[score][1]
        known = pop[variable].notna() & (pop[grp].notna() if group == "total" else pop[grp] == group)
        k, denominator = 0, int(known.sum())
    else:
        k, denominator = int(cell.iloc[0]["n"]), int(cell.iloc[0]["denominator"])
    if not denominator:
        raise unknown
    ci = stats.binomtest(k, denominator).proportion_ci(method="exact")
    return row(id_, 100 * k / denominator, (100 * ci.low, 100 * ci.high), p=p, n=k, note="count")


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
    """All reproduced quantities of the paper, one row per id (always the same ids).

    Columns: id, value, ci_low, ci_high, p, n, note, estimable, reason (:data:`COLUMNS`); a row the
    cohort cannot give has ``estimable = False`` and its reason, and NaN value (or 0/inf for an
    infinite ratio), CI and p.
    """
    return frame([r for section in SECTIONS for r in section(cohort)])
