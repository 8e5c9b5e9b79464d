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

from cartsie import figures, study
from cartsie.competing import fine_gray
from cartsie.descriptive import median_ci
from cartsie.study import script
from cartsie.study.definitions import (
    COVARIATES,
    GROUP_LABELS,
    RISK_GROUPS,
    outcome,
)

cohort, out = script.setup("spm", __doc__)
est = script.Estimates()
cr = script.CompetingRisks(cohort)  # cumulative_incidence and gray_test, each fit once
SPM = ("spm_months", "spm_event")  # event: 1 second primary malignancy, 2 death without (competing)
ht = study.population(cohort, "ht")


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
    cr.incidence_at(e, "ht", *SPM, 24.0)
with est("spm.myeloid.cif.2y", "2-year cumulative incidence of myeloid SPM, %") as e:
    cr.incidence_at(e, "ht", "spm_months", "spm_myeloid_event", 24.0)
with est("spm.gray.ht", "Gray's test of SPM by HT") as e:
    test = cr.gray("ht", *SPM, "ht_high")
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
    data = cr.followed("ht", *SPM)
    script.events(data, "spm_event", "ht")
    save(
        figures.cif_plot(
            cr.cif("ht", *SPM),
            df=data,  # the patients of the curve, for the numbers at risk
            cause=1,
            landmark=24.0,
            xlabel="Months since infusion",
            note=out.note,
        )
    )
with out.figure("spm_cif_ht") as save:
    data = cr.followed("ht", *SPM, "ht_high")
    script.both_groups(data, "ht_high")
    script.events(data, "spm_event", "ht")
    save(
        figures.cif_plot(
            cr.cif("ht", *SPM, "ht_high"),
            df=cr.with_groups(data, "ht_high"),
            cause=1,
            labels=GROUP_LABELS["ht_group"],
            p_value=cr.gray("ht", *SPM, "ht_high").p_value,
            landmark=24.0,
            xlabel="Months since infusion",
            note=out.note,
        )
    )

est.write(out)
