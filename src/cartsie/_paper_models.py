"""The models of :mod:`cartsie.paper`: odds ratios, the linear-predictor-adjusted OR and HRs,
discrimination of severe late ICAHT by HT, and the univariable Fine-Gray models of SPM.

Each model's row says in its ``note`` how many patients it left out for missing values ("82 patients
without ldh_above_uln left out of the adjusted Cox model for OS") and, for the adjusted models, which
covariates of :data:`ADJUST_FOR` the data lack. A ratio whose maximum-likelihood estimate is infinite
(separation, monotone likelihood) keeps its value 0 or inf with NaN CI and p and is marked not
estimable, the reason naming the group without events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie import _paper_common as C
from cartsie._estimate import NotEstimable, estimate, not_estimable, row
from cartsie.adjust import lp_adjusted
from cartsie.binary import logistic
from cartsie.competing import fine_gray
from cartsie.discrimination import auc, diagnostic_metrics

#: CART-SIE's adjustment covariates: stage, bulky disease, histology, disease status, IPI, bridging
ADJUST_FOR = ("stage_advanced", "bulky", "histology", "refractory", "ipi_ge3", "bridging")
#: how the ratios are named in reasons
RATIO_NAMES = {"odds_ratio": "OR", "hr": "HR", "shr": "sHR"}


def _outcome_present(used: pd.DataFrame, outcome: str, population: str) -> None:
    """A logistic model needs patients with and without the outcome."""
    hit = used[outcome] == 1
    who = f"{C.POPULATIONS[population]} patient"
    if not hit.any():
        raise NotEstimable(f"no {C.outcome(outcome)} among the {who}s with {outcome} known")
    if hit.all():
        raise NotEstimable(f"{C.outcome(outcome)} in every {who} with {outcome} known")


def _odds_ratio(id_: str, cohort, population: str, outcome: str, group: str) -> dict:
    pop = cohort.population(population)
    C.need(pop, [outcome, group], cohort)
    C.need_patients(pop, population)
    data = pop[[outcome, group]].astype(float)
    used = data.dropna()
    model = f"logistic model of {C.outcome(outcome)} by {C.RISK_GROUPS.get(group, group)}"
    note = C.left_out(pop, [outcome, group], model)
    C.both_groups(used, group)
    _outcome_present(used, outcome, population)
    fit = logistic(data, outcome, [group])
    s = fit.summary.loc[group]
    if group in fit.infinite_terms:
        reason = C.infinite_reason("OR", s["coef"], used, group, used[outcome] == 1)
        return not_estimable(id_, reason, value=s["odds_ratio"], n=fit.n, note=note)
    return row(id_, s["odds_ratio"], (s["ci_lower"], s["ci_upper"]), p=s["p_value"], n=fit.n, note=note)


def _odds_ratios(cohort, specs) -> list[dict]:
    return [estimate(spec[-1], lambda s=spec: _odds_ratio(s[-1], cohort, *s[:-1])) for spec in specs]


def adjustment_set(pop: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The covariates of :data:`ADJUST_FOR` the data hold (some value known), and those they lack."""
    present = [c for c in ADJUST_FOR if c in pop.columns and pop[c].notna().any()]
    return present, [c for c in ADJUST_FOR if c not in present]


def _adjusted(id_: str, cohort, population: str, score: str, ratio: str, label: str, **model) -> dict:
    """The score's effect adjusted by the linear predictor of :data:`ADJUST_FOR` (CART-SIE)."""
    pop = cohort.population(population)
    response = [model["outcome"]] if model["model"] == "logistic" else [model["time"], model["event"]]
    C.need(pop, [score, *response], cohort)
    C.need_patients(pop, population)
    adjust, lacking = adjustment_set(pop)
    if not adjust:
        raise NotEstimable(f"none of the adjustment covariates ({', '.join(ADJUST_FOR)}) in the data")
    columns = [score, *adjust, *response]
    used = pop[columns].dropna()
    C.both_groups(pop, score)
    if not len(used):
        raise NotEstimable(f"no patient has {score}, every adjustment covariate and the outcome known")
    for level in (0, 1):
        if not (used[score] == level).any():
            raise NotEstimable(
                f"nobody {C.group_name(score, level)} among the {len(used)} patients with every "
                "adjustment covariate known"
            )
    if model["model"] == "logistic":
        _outcome_present(used, model["outcome"], population)
    else:
        C.events(used, model["event"], population)
    note = C.join(
        "adjusted by the linear predictor of " + ", ".join(adjust),
        f"not adjusted for {', '.join(lacking)} (absent from the data)" if lacking else "",
        C.left_out(pop, columns, label),
    )
    fit = lp_adjusted(pop, score, adjust, **model)
    s = fit.summary.iloc[0]
    if score in fit.model.infinite_terms:
        hit = used[response[-1]] == 1
        reason = C.infinite_reason(RATIO_NAMES[ratio], s["coef"], used, score, hit)
        return not_estimable(id_, reason, value=s[ratio], n=fit.n, note=note)
    return row(id_, s[ratio], (s["ci_lower"], s["ci_upper"]), p=s["p_value"], n=fit.n, note=note)


def _metric_reason(stat: str, value: float, counts: dict[str, int]) -> str:
    if stat == "sensitivity" or (np.isnan(value) and not counts["cases"]):
        return "no late ICAHT grade >= 3 among the HT-evaluable patients"
    if stat == "specificity" or (np.isnan(value) and not counts["controls"]):
        return "late ICAHT grade >= 3 in every HT-evaluable patient"
    if np.isnan(value) and not counts["high"]:
        return "nobody HT high"
    if np.isnan(value) and not counts["low"]:
        return "nobody HT low"
    if np.isinf(value):
        return f"{stat} infinite (specificity {'100' if stat == 'lr_pos' else '0'}%)"
    return f"{stat} undefined ({value})"


def _discrimination(cohort) -> tuple[pd.Series, pd.Series, dict[str, int]]:
    ht = cohort.population("ht")
    C.need(ht, ["late_icaht_severe", "ht_high"], cohort)
    C.need_patients(ht, "ht")
    y, x = ht["late_icaht_severe"], ht["ht_high"]
    both = y.notna() & x.notna()
    counts = {
        "cases": int((y[both] == 1).sum()),
        "controls": int((y[both] == 0).sum()),
        "high": int((x[both] == 1).sum()),
        "low": int((x[both] == 0).sum()),
    }
    return y, x, counts


def _metric(id_: str, cohort, stat: str, scale: float) -> dict:
    y, x, counts = _discrimination(cohort)
    needed = {"sensitivity": ("cases",), "specificity": ("controls",)}.get(stat, ("cases", "controls"))
    if not all(counts[k] for k in needed):
        raise NotEstimable(_metric_reason(stat, np.nan, counts))
    r = diagnostic_metrics(y, x).summary.loc[stat]
    if not np.isfinite(r["estimate"]):
        raise NotEstimable(_metric_reason(stat, r["estimate"], counts))
    return row(id_, scale * r["estimate"], (scale * r["ci_lower"], scale * r["ci_upper"]))


def _auc(id_: str, cohort) -> dict:
    y, x, counts = _discrimination(cohort)
    if not (counts["cases"] and counts["controls"]):
        raise NotEstimable(_metric_reason("auc", np.nan, counts))
    a = auc(y, x)
    return row(
        id_,
        100 * a.auc,
        (100 * a.ci_lower, 100 * a.ci_upper),
        n=a.n_cases + a.n_controls,
        note="AUC x 100 of HT high (0/1), DeLong CI",
    )


def toxicity_models(cohort) -> list[dict]:
    """Odds ratios of toxicity by HT and simpleHT (logistic, Wald CIs as R's glm), the adjusted OR of
    severe late ICAHT, and how well HT high discriminates it (sensitivity, specificity, LRs, AUC)."""
    rows = _odds_ratios(
        cohort,
        [
            ("ht", "late_icaht_severe", "ht_high", "tox.late_icaht_ge3.ht.or"),
            ("ht", "early_icaht", "ht_high", "tox.early_icaht.ht.or"),
            ("ht", "severe_thrombocytopenia", "ht_high", "tox.severe_thrombo.ht.or"),
            ("ht", "crs_any", "ht_high", "tox.crs_any.ht.or"),
            ("simple_ht", "late_icaht_severe", "simple_ht_high", "tox.late_icaht_ge3.simpleht.or"),
        ],
    )
    id_ = "tox.late_icaht_ge3.ht.or_adjusted"
    rows.append(
        estimate(
            id_,
            lambda: _adjusted(
                id_,
                cohort,
                "ht",
                "ht_high",
                "odds_ratio",
                "adjusted logistic model of late ICAHT grade >= 3",
                outcome="late_icaht_severe",
                model="logistic",
            ),
        )
    )
    for stat, scale in (("sensitivity", 100), ("specificity", 100), ("lr_pos", 1), ("lr_neg", 1)):
        i = f"tox.late_icaht_ge3.ht.{stat}"
        rows.append(estimate(i, lambda i=i, stat=stat, scale=scale: _metric(i, cohort, stat, scale)))
    rows.append(estimate("tox.late_icaht_ge3.ht.auc", lambda: _auc("tox.late_icaht_ge3.ht.auc", cohort)))
    return rows


def response_models(cohort) -> list[dict]:
    """Odds ratios of CR and of response at day 90 by HT and simpleHT."""
    return _odds_ratios(
        cohort,
        [
            ("ht", "crr_day90", "ht_high", "resp.crr90.ht.or"),
            ("simple_ht", "crr_day90", "simple_ht_high", "resp.crr90.simpleht.or"),
            ("ht", "orr_day90", "ht_high", "resp.orr90.ht.or"),
            ("simple_ht", "orr_day90", "simple_ht_high", "resp.orr90.simpleht.or"),
        ],
    )


def survival_models(cohort) -> list[dict]:
    """Hazard ratio of OS by HT and simpleHT adjusted by the linear predictor (Supplementary Tables 4, 6)."""
    groups = {"ht": ("ht", "ht_high"), "simpleht": ("simple_ht", "simple_ht_high")}
    rows = []
    for key, (population, score) in groups.items():
        id_ = f"surv.os.cox_adjusted.{key}"
        rows.append(
            estimate(
                id_,
                lambda i=id_, p=population, s=score: _adjusted(
                    i,
                    cohort,
                    p,
                    s,
                    "hr",
                    "adjusted Cox model for OS",
                    time="os_months",
                    event="os_event",
                    model="cox",
                ),
            )
        )
    return rows


def _fine_gray(id_: str, cohort, event: str, covariate: str) -> dict:
    pop = cohort.population("ht")
    columns = ["spm_months", event, covariate]
    C.need(pop, columns, cohort)
    C.need_patients(pop, "ht")
    data = pop[columns].astype(float)
    used = data.dropna()
    C.events(used, event, "ht")
    if covariate in C.RISK_GROUPS:
        C.both_groups(used, covariate)
    elif used[covariate].nunique() < 2:
        raise NotEstimable(f"{covariate} is the same for every HT-evaluable patient with known SPM follow-up")
    note = C.left_out(pop, columns, f"Fine-Gray model of {C.outcome(event)} on {covariate}")
    fit = fine_gray(data, "spm_months", event, [covariate])
    s = fit.summary.iloc[0]
    if covariate in fit.infinite_terms:
        reason = C.infinite_reason("sHR", s["coef"], used, covariate, used[event] == 1)
        return not_estimable(id_, reason, value=s["shr"], n=fit.n, note=note)
    return row(id_, s["shr"], (s["ci_lower"], s["ci_upper"]), p=s["p_value"], n=fit.n, note=note)


def spm_models(cohort) -> list[dict]:
    """Univariable Fine-Gray models of SPM (death without SPM competing) in the HT population."""
    models = (
        ("spm.fg.ht", "spm_event", "ht_high"),
        ("spm.fg.age", "spm_event", "age"),
        ("spm.fg.stage", "spm_event", "stage_advanced"),
        ("spm.fg.bm_involvement", "spm_event", "bone_marrow_involvement"),
        ("spm.fg.severe_thrombo", "spm_event", "severe_thrombocytopenia"),
        ("spm.myeloid.fg.ht", "spm_myeloid_event", "ht_high"),
    )
    return [estimate(i, lambda i=i, e=e, c=c: _fine_gray(i, cohort, e, c)) for i, e, c in models]
