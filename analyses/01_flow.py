"""CART-SIE: patient flow (Results; Supplementary Figure 1).

"Since 2019 to July 2024, a total of 1,002 patients were enrolled in the CART-SIE study, of whom 746
were infused and evaluable. Among the 746 infused patients, 628 had LBCL, and the HT score [...] could
not be calculated in 239 patients" (CART-SIE, Results).

The counts are the steps of the cohort's flow (``cohort.flow``, made by ``cartsie.cohort.load``),
each with its exclusions and their reasons (``cohort.exclusions``).

Run: python analyses/01_flow.py [--data PATIENTS --labs LABS | --example] [--out DIR] [--seed N]

Without --data the built-in synthetic cohort is analysed. Outputs: estimates.csv (flow.*),
figures/supp_figure1_flow.{png,pdf}.
"""

from cartsie import figures
from cartsie.study import script

cohort, out = script.setup("flow", __doc__)
est = script.Estimates()

# The patient flow: each step's number of patients.
n = dict(zip(cohort.flow["step"], cohort.flow["n"], strict=True))


def count(step: str) -> int:
    """Patients at ``step`` of the flow."""
    if step not in n:
        raise script.NotEstimable(f"the patient flow has no step {step!r}")
    return n[step]


STEPS = {  # estimate id -> (flow step, label)
    "flow.enrolled": ("enrolled", "Patients enrolled"),
    "flow.infused": ("infused", "Patients infused and evaluable"),
    "flow.lbcl": ("LBCL", "Infused patients with LBCL"),
    "flow.simpleht": ("simpleHT evaluable", "LBCL patients with simpleHT calculable"),
    "flow.ht": ("HT evaluable", "LBCL patients with the HT score calculable"),
}
for id_, (step, label) in STEPS.items():
    with est(id_, label) as e:
        e.set(count(step))

# "the HT score could not be calculated in 239 patients"
with est("flow.ht_missing", "LBCL patients without the HT score") as e:
    e.set(count("LBCL") - count("HT evaluable"))

# Supplementary Figure 1: the flow diagram with the reasons of exclusion.
with out.figure("supp_figure1_flow") as save:
    save(figures.flow_diagram(cohort.flow, cohort.exclusions, note=out.note))

est.write(out)
