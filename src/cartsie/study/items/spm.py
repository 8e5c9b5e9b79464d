"""Second primary malignancies (Results).

"The incidence of secondary neoplasms was analysed in the context of competing events using cumulative
incidence estimates and univariable Fine and Gray models, with death as the competing event."
(CART-SIE, Methods.)

In the HT-evaluable population: counts, the time to diagnosis and age at diagnosis (median and range),
the two-year cumulative incidence (Aalen-Johansen, cmprsk's ``cuminc`` CI) of any and of myeloid SPM,
and univariable Fine-Gray models (``cmprsk::crr``, sandwich variance) on HT high, age, advanced stage,
bone-marrow involvement and severe thrombocytopenia.
"""

from __future__ import annotations

import pandas as pd

from cartsie.descriptive import median_ci
from cartsie.study import _checks as C
from cartsie.study import _models as M
from cartsie.study._item import ItemResult, Output
from cartsie.study.definitions import COVARIATES, Study, study
from cartsie.study.estimate import NotEstimable, estimate, row
from cartsie.study.items.nrm import cif_figure, gray, incidence_at

TITLE = "Second primary malignancies"
SPM = ("spm_months", "spm_event")

#: univariable Fine-Gray models: id -> (event column, covariate)
FINE_GRAY = {
    "spm.fg.ht": ("spm_event", "ht_high"),
    "spm.fg.age": ("spm_event", "age"),
    "spm.fg.stage": ("spm_event", "stage_advanced"),
    "spm.fg.bm_involvement": ("spm_event", "bone_marrow_involvement"),
    "spm.fg.severe_thrombo": ("spm_event", "severe_thrombocytopenia"),
    "spm.myeloid.fg.ht": ("spm_myeloid_event", "ht_high"),
}


def _needed(s: Study, columns: list[str]) -> pd.DataFrame:
    pop = s.population("ht")
    C.need(pop, columns, s)
    C.need_patients(pop, "ht")
    return pop


def _spm(pop: pd.DataFrame) -> pd.Series:
    return pop["spm_event"] == 1


def _summary(s: Study, column: str) -> dict:
    """Median of ``column`` among the patients with an SPM, with its exact 95% CI (the range, which
    the paper prints, in the note)."""
    pop = _needed(s, ["spm_event", "spm_months", column])
    if not _spm(pop).any():
        raise NotEstimable("no second primary malignancy in the HT-evaluable population")
    x = pop.loc[_spm(pop), column]
    m = median_ci(x)
    note = f"range {x.min():.4g}-{x.max():.4g}; exact 95% CI of the median"
    return row(m.median, (m.ci_lower, m.ci_upper), n=len(x), note=note)


def _count(s: Study, flag, denominator, columns: list[str]) -> dict:
    pop = _needed(s, columns)
    return row(int(flag(pop).sum()), n=denominator(pop))


def analyse(cohort, note: str | None = None) -> ItemResult:
    """SPM counts, timing, two-year incidence and univariable Fine-Gray models; the cumulative
    incidence figures, overall and by HT with Gray's test.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or cartsie.study.definitions.Study
        The cohort.
    note : str, optional
        Footnote of the figures.

    Returns
    -------
    ItemResult
        Estimates ``spm.*`` and the figures ``spm_cif`` and ``spm_cif_ht``.
    """
    s = study(cohort, note)

    def rate() -> dict:
        pct, n, ci = C.percent(_spm(_needed(s, ["spm_event"])).astype(int), "SPM")
        return row(pct, ci, n=n)

    rows = [
        estimate(
            "spm.n", "Patients with a second primary malignancy", lambda: _count(s, _spm, len, ["spm_event"])
        ),
        estimate("spm.rate", "Second primary malignancies, %", rate),
        estimate(
            "spm.myeloid.n",
            "Myeloid second primary malignancies",
            lambda: _count(
                s,
                lambda pop: pop["spm_myeloid_event"] == 1,
                lambda pop: int(_spm(pop).sum()),
                ["spm_event", "spm_myeloid_event"],
            ),
        ),
        estimate(
            "spm.time_to_dx.median",
            "Time to SPM diagnosis, median months (range)",
            lambda: _summary(s, "spm_months"),
        ),
        estimate("spm.age.median", "Age at SPM diagnosis, median years (range)", lambda: _summary(s, "age")),
        estimate(
            "spm.cif.2y", "2-year cumulative incidence of SPM, %", lambda: incidence_at(s, "ht", *SPM, 24.0)
        ),
        estimate(
            "spm.myeloid.cif.2y",
            "2-year cumulative incidence of myeloid SPM, %",
            lambda: incidence_at(s, "ht", "spm_months", "spm_myeloid_event", 24.0),
        ),
        estimate(
            "spm.gray.ht",
            "Gray's test of SPM by HT",
            lambda: (lambda t: row(float("nan"), p=t.p_value, n=t.n, note=f"chi-square {t.statistic:.2f}"))(
                gray(s, "ht", *SPM, "ht_high")
            ),
        ),
    ]
    for id_, (event, covariate) in FINE_GRAY.items():
        what = "myeloid SPM" if event == "spm_myeloid_event" else "SPM"
        label = f"sHR of {what}, {COVARIATES.get(covariate, covariate)} (Fine-Gray)"
        rows.append(estimate(id_, label, lambda e=event, c=covariate: M.fine_gray_row(s, e, c)))
    figs = (
        Output(
            "spm_cif",
            "Cumulative incidence of second primary malignancies (death competing) in the HT-evaluable "
            "patients, with 95% CI and numbers at risk.",
            lambda: cif_figure(s, "ht", *SPM, None, landmark=24.0),
        ),
        Output(
            "spm_cif_ht",
            "Cumulative incidence of second primary malignancies by HT score, with 95% CIs, numbers at "
            "risk and Gray's test.",
            lambda: cif_figure(s, "ht", *SPM, "ht_high", landmark=24.0),
        ),
    )
    return ItemResult("spm", rows, figures=figs)
