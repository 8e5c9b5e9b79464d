"""Survival analysis as R's survival package: Kaplan-Meier (``survfit``), the log-rank test
(``survdiff``), Cox regression (``coxph``, Efron ties) with its proportional-hazards test
(``cox.zph``) and concordance, the restricted mean survival time (``survfit``'s ``rmean``, with
survRM2's differences), and the median follow-up (reverse Kaplan-Meier). The engines are the private
modules of this package; :mod:`cartsie.survival.core` holds the public functions.
"""

from cartsie.survival._rmst import RMST, rmst
from cartsie.survival.core import (
    Cox,
    CoxZph,
    KaplanMeier,
    LogRank,
    MedianFollowup,
    cox,
    dor_among_responders,
    kaplan_meier,
    logrank,
    median_followup,
    survival_at,
)

__all__ = [
    "RMST",
    "Cox",
    "CoxZph",
    "KaplanMeier",
    "LogRank",
    "MedianFollowup",
    "cox",
    "dor_among_responders",
    "kaplan_meier",
    "logrank",
    "median_followup",
    "rmst",
    "survival_at",
]
