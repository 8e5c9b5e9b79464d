"""CART-SIE: second primary malignancies (Results).

"The incidence of secondary neoplasms was analysed in the context of competing events using
cumulative incidence estimates and univariable Fine and Gray models, with death as the competing
event." (CART-SIE, Methods.)

In the HT-evaluable population: counts, the time to diagnosis and the age at diagnosis (median with
its exact CI, and the range), the two-year cumulative incidence (Aalen-Johansen, cmprsk's ``cuminc``
CI) of any and of myeloid SPM, Gray's test by HT, and univariable Fine-Gray models (``cmprsk::crr``,
sandwich variance) on HT high, age, advanced stage, bone-marrow involvement and severe
thrombocytopenia.

Run: python analyses/07_spm.py [--data PATIENTS --labs LABS | --example] [--out DIR] [--seed N]

Without --data the built-in synthetic cohort is analysed. Outputs: estimates.csv (spm.*),
figures/spm_cif.{png,pdf} and figures/spm_cif_ht.{png,pdf}.
"""

from functools import cache

from cartsie import figures, study
from cartsie.competing import cumulative_incidence, fine_gray, gray_test
from cartsie.descriptive import median_ci
from cartsie.study import script
from cartsie.study.definitions import (
    COVARIATES,
    GROUP_LABELS,
    LEVELS,
    POPULATIONS,
    RISK_GROUPS,
    group_name,
    outcome,
    risk_groups,
)

cohort, out = script.setup("spm", __doc__)
est = script.Estimates()
SPM = ("spm_months", "spm_event")  # event: 1 second primary malignancy, 2 death without (competing)
ht = study.population(cohort, "ht")


def followed(population: str, time: str, event: str, flag: str | None = None):
    """The patients of ``population`` with the endpoint known."""
    pop = script.need(
        study.population(cohort, population), time, event, *([flag] if flag else []), population=population
    )
    return pop[pop[time].notna() & pop[event].notna()]


def with_groups(data, flag: str | None):
    """``data`` with the risk groups of ``flag`` as a column "risk" ("low" before "high")."""
    return data if flag is None else data.assign(risk=risk_groups(data[flag]))


@cache
def cif(population: str, time: str, event: str, flag: str | None = None):
    """Aalen-Johansen cumulative incidence of ``event`` (overall, or by the 0/1 ``flag``)."""
    data = followed(population, time, event, flag)
    if flag is None:
        return cumulative_incidence(data, time, event)
    return cumulative_incidence(with_groups(data, flag), time, event, group="risk")


@cache
def gray(population: str, time: str, event: str, flag: str):
    """Gray's test of ``event`` (cause 1) between the low and high groups of ``flag``."""
    data = followed(population, time, event, flag)
    script.both_groups(data, flag)
    script.events(data, event, population)
    return gray_test(data, time, event, flag)


def incidence_at(e, population: str, time: str, event: str, at: float, flag=None, level=None) -> None:
    """Cumulative incidence (%) of cause 1 at ``at`` months, overall or in ``flag == level``."""
    pop = study.population(cohort, population)
    data = followed(population, time, event, flag)
    if flag is not None:
        script.nobody(pop, flag, level)
        data = data[data[flag] == level]
    where = f"{group_name(flag, level)} group" if flag else f"{POPULATIONS[population]} population"
    if not len(data):
        raise script.NotEstimable(f"no patient of the {where} with known {outcome(event)} follow-up")
    last = float(data[time].max())
    if last < at:
        raise script.NotEstimable(
            f"no follow-up to {at:g} months in the {where} (the last is at {last:.1f} months)"
        )
    n = len(pop) if flag is None else int((pop[flag] == level).sum())
    if not (pop[event] == 1).any():  # no event of the cause: incidence 0, without a CI
        e.set(0.0, n=n, note=f"no {outcome(event)} in the {where}: incidence 0, no CI")
        return
    r = cif(population, time, event, flag).at([at], cause=1).set_index("group")
    r = r.loc["all" if flag is None else dict(LEVELS)[level]]
    e.set(100 * r["estimate"], (100 * r["ci_lower"], 100 * r["ci_upper"]), n=n)


def spm(pop):
    return pop["spm_event"] == 1


# -- How many, how soon, at what age (HT-evaluable patients) ----------------------------------------
with est("spm.n", "Patients with a second primary malignancy") as e:
    pop = script.need(ht, "spm_event", population="ht")
    e.set(int(spm(pop).sum()), n=len(pop))
with est("spm.rate", "Second primary malignancies, %") as e:
    pct, n, ci = script.percent(spm(script.need(ht, "spm_event", population="ht")).astype(int), "SPM")
    e.set(pct, ci, n=n)
with est("spm.myeloid.n", "Myeloid second primary malignancies") as e:
    pop = script.need(ht, "spm_event", "spm_myeloid_event", population="ht")
    e.set(int((pop["spm_myeloid_event"] == 1).sum()), n=int(spm(pop).sum()))
for id_, column, label in (
    ("spm.time_to_dx.median", "spm_months", "Time to SPM diagnosis, median months (range)"),
    ("spm.age.median", "age", "Age at SPM diagnosis, median years (range)"),
):
    with est(id_, label) as e:
        pop = script.need(ht, "spm_event", "spm_months", column, population="ht")
        if not spm(pop).any():
            raise script.NotEstimable("no second primary malignancy in the HT-evaluable population")
        x = pop.loc[spm(pop), column]
        m = median_ci(x)  # the exact 95% CI of the median; the range, which the paper prints, in the note
        e.set(
            m.median,
            (m.ci_lower, m.ci_upper),
            n=len(x),
            note=f"range {x.min():.4g}-{x.max():.4g}; exact 95% CI of the median",
        )

# -- Two-year cumulative incidence (death competing), and Gray's test by HT -------------------------
with est("spm.cif.2y", "2-year cumulative incidence of SPM, %") as e:
    incidence_at(e, "ht", *SPM, 24.0)
with est("spm.myeloid.cif.2y", "2-year cumulative incidence of myeloid SPM, %") as e:
    incidence_at(e, "ht", "spm_months", "spm_myeloid_event", 24.0)
with est("spm.gray.ht", "Gray's test of SPM by HT") as e:
    test = gray("ht", *SPM, "ht_high")
    e.set(float("nan"), p=test.p_value, n=test.n, note=f"chi-square {test.statistic:.2f}")

# -- Univariable Fine-Gray models (HT-evaluable patients) -------------------------------------------
FINE_GRAY = {  # id -> (event column, covariate)
    "spm.fg.ht": ("spm_event", "ht_high"),
    "spm.fg.age": ("spm_event", "age"),
    "spm.fg.stage": ("spm_event", "stage_advanced"),
    "spm.fg.bm_involvement": ("spm_event", "bone_marrow_involvement"),
    "spm.fg.severe_thrombo": ("spm_event", "severe_thrombocytopenia"),
    "spm.myeloid.fg.ht": ("spm_myeloid_event", "ht_high"),
}
for id_, (event, covariate) in FINE_GRAY.items():
    what = "myeloid SPM" if event == "spm_myeloid_event" else "SPM"
    with est(id_, f"sHR of {what}, {COVARIATES.get(covariate, covariate)} (Fine-Gray)") as e:
        columns = ["spm_months", event, covariate]
        pop = script.need(ht, *columns, population="ht")
        data = pop[columns].astype(float)
        used = data.dropna()
        script.events(used, event, "ht")
        if covariate in RISK_GROUPS:
            script.both_groups(used, covariate)
        elif used[covariate].nunique() < 2:
            raise script.NotEstimable(
                f"{covariate} is the same for every HT-evaluable patient with known SPM follow-up"
            )
        note = script.left_out(pop, columns, f"Fine-Gray model of {outcome(event)} on {covariate}")
        fit = fine_gray(data, "spm_months", event, [covariate])
        e.ratio(fit, covariate, used, event, note=note)

# -- The cumulative incidence of SPM, overall and by HT with Gray's test ----------------------------
with out.figure("spm_cif") as save:
    data = followed("ht", *SPM)
    script.events(data, "spm_event", "ht")
    save(
        figures.cif_plot(
            cif("ht", *SPM),
            df=data,  # the patients of the curve, for the numbers at risk
            cause=1,
            landmark=24.0,
            xlabel="Months since infusion",
            note=out.note,
        )
    )
with out.figure("spm_cif_ht") as save:
    data = followed("ht", *SPM, "ht_high")
    script.both_groups(data, "ht_high")
    script.events(data, "spm_event", "ht")
    save(
        figures.cif_plot(
            cif("ht", *SPM, "ht_high"),
            df=with_groups(data, "ht_high"),
            cause=1,
            labels=GROUP_LABELS["ht_group"],
            p_value=gray("ht", *SPM, "ht_high").p_value,
            landmark=24.0,
            xlabel="Months since infusion",
            note=out.note,
        )
    )

est.write(out)
