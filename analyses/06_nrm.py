"""CART-SIE: non-relapse mortality (Results).

"A trend indicating higher nonrelapse mortality in patients with a SimpleHT-HIGH score was identified
but did not reach statistical significance (1-year NRM: SimpleHT-HIGH 11%, 95% CI = 4-21% versus
SimpleHT-LOW = 3%, 95% CI = 1.3-5.4%)." (CART-SIE, Results.)

NRM is death without prior progression, with progression as the competing event: its cumulative
incidence by Aalen-Johansen with cmprsk's ``cuminc`` variance and CI, and Gray's test between the
risk groups; "1-year" at 12 months.

Run: python analyses/06_nrm.py [--data PATIENTS --labs LABS | --example] [--out DIR] [--seed N]

Without --data the built-in synthetic cohort is analysed. Outputs: estimates.csv (nrm.*),
figures/nrm_simpleht.{png,pdf}.
"""

from cartsie import figures, study
from cartsie.study import script
from cartsie.study.definitions import (
    GROUP_LABELS,
    LEVELS,
    SCORES,
)

cohort, out = script.setup("nrm", __doc__)
est = script.Estimates()
cr = script.CompetingRisks(cohort)  # cumulative_incidence and gray_test, each fit once
NRM = ("nrm_months", "nrm_event")  # event: 1 death without progression, 2 progression (competing)


# -- One-year NRM: the HT-evaluable patients, and by each score with Gray's test ---------------------
with est("nrm.1y.global", "1-year NRM, % (HT-evaluable patients)") as e:
    cr.incidence_at(e, "ht", *NRM, 12.0)
for key, (population, flag, _group, label) in SCORES.items():
    for level, name in LEVELS:
        with est(f"nrm.1y.{key}.{name}", f"1-year NRM, {label} {name}, %") as e:
            cr.incidence_at(e, population, *NRM, 12.0, flag, level)
    with est(f"nrm.gray.{key}", f"Gray's test of NRM by {label}") as e:
        test = cr.gray(population, *NRM, flag)
        e.set(float("nan"), p=test.p_value, n=test.n, note=f"chi-square {test.statistic:.2f}")


# -- Non-relapse deaths, and those from infection (HT-evaluable patients) ---------------------------
def deaths(pop):
    return pop["nrm_event"] == 1


def infection_deaths(pop):
    return deaths(pop) & (pop["death_cause"] == "infection").fillna(False).astype(bool)


with est("nrm.deaths", "Non-relapse deaths (HT-evaluable patients)") as e:
    ht = script.need(study.population(cohort, "ht"), "nrm_event", population="ht")
    e.set(int(deaths(ht).sum()), n=len(ht))
with est("nrm.deaths_infection", "Non-relapse deaths from infection") as e:
    ht = script.need(study.population(cohort, "ht"), "nrm_event", "death_cause", population="ht")
    e.set(int(infection_deaths(ht).sum()), n=int(deaths(ht).sum()))
with est("nrm.infectious_mortality.ht", "Infectious non-relapse mortality, % (HT-evaluable)") as e:
    ht = script.need(study.population(cohort, "ht"), "nrm_event", "death_cause", population="ht")
    pct, n, ci = script.percent(infection_deaths(ht).astype(int), "NRM")
    e.set(pct, ci, n=n, note="infection deaths without prior progression, both HT groups")

# -- The cumulative incidence of NRM by simpleHT, with Gray's test ----------------------------------
with out.figure("nrm_simpleht") as save:
    data = cr.followed("simple_ht", *NRM, "simple_ht_high")
    script.both_groups(data, "simple_ht_high")
    script.events(data, "nrm_event", "simple_ht")
    save(
        figures.cif_plot(
            cr.cif("simple_ht", *NRM, "simple_ht_high"),
            df=cr.with_groups(data, "simple_ht_high"),  # the patients of the curves, for the numbers at risk
            cause=1,
            labels=GROUP_LABELS["simple_ht_group"],
            p_value=cr.gray("simple_ht", *NRM, "simple_ht_high").p_value,
            landmark=12.0,
            xlabel="Months since infusion",
            note=out.note,
        )
    )

est.write(out)
