"""Prognostic performance of a score for a time-to-event outcome: the concordance index (Harrell's
C, Uno's C and R's other time weights) as R's ``survival::concordance``; the time-dependent AUC(t)
and the Brier score with inverse probability of censoring weights, as ``riskRegression::Score``;
calibration of predicted risks at a time horizon (observed versus predicted by risk group, O/E,
calibration slope); net benefit for decision curves (Vickers & Elkin 2006, as ``dcurves::dca``);
and the power of a validation study by simulation (:func:`power`).

:mod:`cartsie.prognostic.core` holds the concordance (its counting engine is shared with the Cox
model's ``concordance``, ``cartsie._concordance``), :mod:`cartsie.prognostic.timedep` AUC(t) and
the Brier score; ``_calibration``, ``_net_benefit``, ``_power`` and ``_power_sim`` the others;
``_validate`` gives all of the performance measures for a score and its endpoints in one call
(:func:`validate_score`).
"""

from cartsie.prognostic._calibration import Calibration, calibration
from cartsie.prognostic._net_benefit import NetBenefit, net_benefit
from cartsie.prognostic._power import Power, power
from cartsie.prognostic._validate import ScorePerformance, validate_score
from cartsie.prognostic.core import Concordance, concordance
from cartsie.prognostic.timedep import Brier, TimeAUC, brier, time_auc

__all__ = [
    "Brier",
    "Calibration",
    "Concordance",
    "NetBenefit",
    "Power",
    "ScorePerformance",
    "TimeAUC",
    "brier",
    "calibration",
    "concordance",
    "net_benefit",
    "power",
    "time_auc",
    "validate_score",
]
