"""The models of the study: odds ratios, the linear-predictor-adjusted OR and HRs, discrimination of
severe late ICAHT by HT, and univariable Fine-Gray models; each fitted once per cohort
(:meth:`cartsie.study.definitions.Study.cached`) for the estimates, tables and figures that use it.

Each model's row says in its ``note`` how many patients it left out for missing values ("82 patients
without ldh_above_uln left out of the adjusted Cox model for OS") and, for the adjusted models, which
covariates of :data:`~cartsie.study.definitions.ADJUST_FOR` the data lack. A ratio whose
maximum-likelihood estimate is infinite (separation, monotone likelihood) keeps its value 0 or inf with
NaN CI and p and is marked not estimable, the reason naming the group without events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie.adjust import LpAdjusted, lp_adjusted
from cartsie.binary import logistic
from cartsie.competing import fine_gray
from cartsie.discrimination import auc, diagnostic_metrics
from cartsie.study import _checks as C
from cartsie.study.definitions import (
    RISK_GROUPS,
    Study,
    outcome,
)
from cartsie.study.estimate import NotEstimable, not_estimable, row

#: how the ratios are named in reasons
RATIO_NAMES = {"odds_ratio": "OR", "hr": "HR", "shr": "sHR"}


def odds_ratio(s: Study, population: str, column: str, group: str) -> dict:
    """Univariable logistic model of ``column`` on the 0/1 ``group`` (Wald CI, as R's glm)."""
    pop = s.population(population)
    C.need(pop, [column, group], s)
    C.need_patients(pop, population)
    data = pop[[column, group]].astype(float)
    used = data.dropna()
    model = f"logistic model of {outcome(column)} by {RISK_GROUPS.get(group, group)}"
    note = C.left_out(pop, [column, group], model)
    C.both_groups(used, group)
    C.outcome_present(used, column, population)
    fit = s.cached(("logistic", population, column, group), lambda: logistic(data, column, [group]))
    r = fit.summary.loc[group]
    if group in fit.infinite_terms:
        reason = C.infinite_reason("OR", r["coef"], used, group, used[column] == 1)
        return not_estimable(reason, value=r["odds_ratio"], n=fit.n, note=note)
    return row(r["odds_ratio"], (r["ci_lower"], r["ci_upper"]), p=r["p_value"], n=fit.n, note=note)


def adjusted_fit(s: Study, population: str, score: str, label: str, **model) -> tuple[LpAdjusted, str]:
    """The score's effect adjusted by the linear predictor of :data:`ADJUST_FOR`, and its note.

    ``model`` holds :func:`cartsie.adjust.lp_adjusted`'s ``model`` and ``outcome`` or ``time`` and
    ``event``; ``label`` names the model in the note ("adjusted Cox model for OS").
    """
    pop = s.population(population)
    response = [model["outcome"]] if model["model"] == "logistic" else [model["time"], model["event"]]
    adjust, reference, note = C.adjustment(pop, population, score, response, label, s)
    key = ("lp_adjusted", population, score, *response)
    fit = s.cached(key, lambda: lp_adjusted(pop, score, adjust, reference=reference, **model))
    return fit, note


def adjusted(s: Study, population: str, score: str, ratio: str, label: str, **model) -> dict:
    """The row of :func:`adjusted_fit`'s score effect."""
    fit, note = adjusted_fit(s, population, score, label, **model)
    r = fit.summary.iloc[0]
    if score in fit.model.infinite_terms:
        pop = s.population(population)
        response = model.get("outcome") or model["event"]
        used = pop[[score, response]].dropna()
        reason = C.infinite_reason(RATIO_NAMES[ratio], r["coef"], used, score, used[response] == 1)
        return not_estimable(reason, value=r[ratio], n=fit.n, note=note)
    return row(r[ratio], (r["ci_lower"], r["ci_upper"]), p=r["p_value"], n=fit.n, note=note)


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


def discrimination_data(s: Study) -> tuple[pd.Series, pd.Series, dict[str, int]]:
    """Severe late ICAHT and HT high in the HT population, and the counts of cases, controls, groups."""
    ht = s.population("ht")
    C.need(ht, ["late_icaht_severe", "ht_high"], s)
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


def metric(s: Study, stat: str, scale: float) -> dict:
    """Sensitivity, specificity or a likelihood ratio of HT high for severe late ICAHT (epiR's CIs)."""
    y, x, counts = discrimination_data(s)
    needed = {"sensitivity": ("cases",), "specificity": ("controls",)}.get(stat, ("cases", "controls"))
    if not all(counts[k] for k in needed):
        raise NotEstimable(_metric_reason(stat, np.nan, counts))
    r = s.cached("diagnostic_metrics", lambda: diagnostic_metrics(y, x)).summary.loc[stat]
    if not np.isfinite(r["estimate"]):
        raise NotEstimable(_metric_reason(stat, r["estimate"], counts))
    return row(scale * r["estimate"], (scale * r["ci_lower"], scale * r["ci_upper"]))


def auc_fit(s: Study):
    """AUC of HT high (0/1) for severe late ICAHT, with its DeLong CI."""
    y, x, counts = discrimination_data(s)
    if not (counts["cases"] and counts["controls"]):
        raise NotEstimable(_metric_reason("auc", np.nan, counts))
    return s.cached("auc", lambda: auc(y, x))


def auc_row(s: Study) -> dict:
    """The AUC x 100, as the paper prints it ("AUC 62.5")."""
    a = auc_fit(s)
    return row(
        100 * a.auc,
        (100 * a.ci_lower, 100 * a.ci_upper),
        n=a.n_cases + a.n_controls,
        note="AUC x 100 of HT high (0/1), DeLong CI",
    )


def fine_gray_row(s: Study, event: str, covariate: str) -> dict:
    """Univariable Fine-Gray model of ``event`` (death competing) on ``covariate``, HT population."""
    pop = s.population("ht")
    columns = ["spm_months", event, covariate]
    C.need(pop, columns, s)
    C.need_patients(pop, "ht")
    data = pop[columns].astype(float)
    used = data.dropna()
    C.events(used, event, "ht")
    if covariate in RISK_GROUPS:
        C.both_groups(used, covariate)
    elif used[covariate].nunique() < 2:
        raise NotEstimable(f"{covariate} is the same for every HT-evaluable patient with known SPM follow-up")
    note = C.left_out(pop, columns, f"Fine-Gray model of {outcome(event)} on {covariate}")
    fit = s.cached(("fine_gray", event, covariate), lambda: fine_gray(data, "spm_months", event, [covariate]))
    r = fit.summary.iloc[0]
    if covariate in fit.infinite_terms:
        reason = C.infinite_reason("sHR", r["coef"], used, covariate, used[event] == 1)
        return not_estimable(reason, value=r["shr"], n=fit.n, note=note)
    return row(r["shr"], (r["ci_lower"], r["ci_upper"]), p=r["p_value"], n=fit.n, note=note)
