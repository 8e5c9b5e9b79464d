"""The built-in synthetic cohort: CART-SIE-like data simulated from a calibrated generative model.

**Every table made here is synthetic: simulated patients, not patient data.** Each row carries
``synthetic = 1``, the files written by :func:`write` are named ``synthetic_*.csv``, and every figure
and report made from them says so.

The CART-SIE patient data are not public. This module simulates raw input tables -- patients with
dates, and long blood counts -- in cartsie's input schema, which :func:`cartsie_like` then reads
through :func:`cartsie.cohort.load` exactly like a real registry export. The parameters
(:class:`Model`) were tuned so that analysing the output with cartsie's own functions gives the
paper's published aggregates within sampling error; ``benchmarks/calibrate_synthetic.py`` shows it
over hundreds of seeds. Nothing here reads the published numbers.

The model, in the order it is simulated:

1. **Latent factors.** Each patient has three correlated standard-normal latents: disease burden
   ``B``, marrow impairment ``M`` and inflammation ``I`` (correlations B-M 0.2, B-I 0.5, M-I 0.3).
2. **Baseline.** Stage, IPI (counted from its five factors), bulky disease, LDH, bridging and its
   failure, bone-marrow involvement and refractoriness depend on the latents; age, sex, histology,
   product, vein-to-vein time and prior therapy do not (the paper finds no group difference there).
   Baseline ANC, hemoglobin, platelets, CRP and ferritin are log-normal (hemoglobin normal) around
   linear functions of the latents.
3. **Risk groups and the patient flow.** The HT score and simpleHT are computed from those labs by
   :func:`cartsie.scores.score_all` -- never assigned. The published flow (1002 enrolled, 746 infused,
   628 LBCL, 560 simpleHT evaluable, 389 HT evaluable, 251 HT high, 95 simpleHT high; scaled for
   another ``n_enrolled``) is met exactly by drawing LBCL patients from a larger pool of simulated
   patients and keeping, in random order, the first ones that fall in each (simpleHT, HT) cell:
   a sample from the model *conditional* on the published group sizes. Labs that make a score not
   evaluable are then removed (mostly ferritin for HT, CRP for simpleHT).
4. **Toxicity.** CRS and ICANS grades are ordinal (logistic) in the latents and the HT score. Daily
   ANC, platelet and hemoglobin curves from day 0 -- a nadir episode whose depth and length grow with
   marrow impairment and the HT score, recovery, and a late dip after day 30 -- are observed on a
   realistic visit schedule (daily to day 14, then twice weekly, weekly to day 90, monthly to day
   365, every two months to day 730, some visits missed). ICAHT grades and severe cytopenias come
   out of :func:`cartsie.toxicity.grade_icaht` on those counts.
5. **Response and events.** Day-90 response (CR, PR, SD, PD) is ordinal in the latents, the HT score
   and simpleHT; progression follows from it (PD before day 90, SD soon after, PR and CR with a cured
   fraction). The best overall response adds the early responses lost by day 90: a response at the
   first assessment (days 26-35) in most day-90 PD patients who progress at least a week later, in
   would-be responders who die before day 90, and a partial response before some day-90 stable disease;
   its responders, from that first response, are CART-SIE's DOR population (1-year DOR 58%, median 24
   months, while 1-year PFS is 44%). Death follows progression (lymphoma), or comes without it
   (non-relapse mortality, with a cause: infection, toxicity, other, unknown), its risk rising with
   simpleHT, inflammation and severe late neutropenia. Second primary malignancies (myeloid or other)
   arise with a risk rising with the HT group, age, stage, marrow involvement and late marrow failure;
   death competes.
6. **Follow-up.** Infusions are staggered over 2019-2024 (more in later years), follow-up ends at a
   data cut-off or at loss to follow-up; events after it are not observed.
"""

from cartsie.synthetic.core import cartsie_like, tables, write
from cartsie.synthetic.model import (
    DEFAULT_MODEL,
    OTHER_HISTOLOGIES,
    PUBLISHED_FLOW,
    Model,
    SyntheticTables,
    flow_counts,
)

__all__ = [
    "DEFAULT_MODEL",
    "OTHER_HISTOLOGIES",
    "PUBLISHED_FLOW",
    "Model",
    "SyntheticTables",
    "cartsie_like",
    "flow_counts",
    "tables",
    "write",
]
