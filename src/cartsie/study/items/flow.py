"""Patient flow (Results; Supplementary Figure 1).

"Since 2019 to July 2024, a total of 1,002 patients were enrolled in the CART-SIE study, of whom 746
were infused and evaluable. Among the 746 infused patients, 628 had LBCL, and the HT score [...] could
not be calculated in 239 patients" (CART-SIE, Results). The counts are the steps of the cohort's flow
(:attr:`cartsie.cohort.Cohort.flow`), each with its exclusions and reasons.
"""

from __future__ import annotations

from cartsie import figures
from cartsie.study._item import ItemResult, Output
from cartsie.study.definitions import study
from cartsie.study.estimate import NotEstimable, estimate, row

TITLE = "Patient flow (Supplementary Figure 1)"

#: published id -> (flow step, label)
STEPS = {
    "flow.enrolled": ("enrolled", "Patients enrolled"),
    "flow.infused": ("infused", "Patients infused and evaluable"),
    "flow.lbcl": ("LBCL", "Infused patients with LBCL"),
    "flow.simpleht": ("simpleHT evaluable", "LBCL patients with simpleHT calculable"),
    "flow.ht": ("HT evaluable", "LBCL patients with the HT score calculable"),
}


def analyse(cohort, note: str | None = None) -> ItemResult:
    """The flow counts and the flow diagram.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or cartsie.study.definitions.Study
        The cohort.
    note : str, optional
        Footnote of the figure.

    Returns
    -------
    ItemResult
        Estimates ``flow.*`` and the figure ``supp_figure1_flow``.
    """
    s = study(cohort, note)
    n = dict(zip(s.cohort.flow["step"], s.cohort.flow["n"], strict=True))

    def count(step: str) -> int:
        if step not in n:
            raise NotEstimable(f"the patient flow has no step {step!r}")
        return n[step]

    rows = [estimate(id_, label, lambda st=step: row(count(st))) for id_, (step, label) in STEPS.items()]
    rows.append(
        estimate(
            "flow.ht_missing",
            "LBCL patients without the HT score",
            lambda: row(count("LBCL") - count("HT evaluable")),
        )
    )
    flow = Output(
        "supp_figure1_flow",
        "Supplementary Figure 1. Patient flow: enrolled, infused, LBCL and score-evaluable patients, "
        "with the reasons of exclusion.",
        lambda: figures.flow_diagram(s.cohort.flow, s.cohort.exclusions, note=s.note),
    )
    return ItemResult("flow", rows, figures=(flow,))
