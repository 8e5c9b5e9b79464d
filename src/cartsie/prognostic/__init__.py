"""Prognostic performance of a score for a time-to-event outcome: the concordance index (Harrell's
C, Uno's C and R's other time weights) as R's ``survival::concordance``. :mod:`cartsie.prognostic.core`
holds the public functions; the counting engine is shared with the Cox model's ``concordance``
(``cartsie._concordance``). :mod:`cartsie.prognostic.timedep` holds the time-dependent AUC(t) and the
Brier score with inverse probability of censoring weights, as ``riskRegression::Score``.
"""

from cartsie.prognostic.core import Concordance, concordance
from cartsie.prognostic.timedep import Brier, TimeAUC, brier, time_auc

__all__ = ["Brier", "Concordance", "TimeAUC", "brier", "concordance", "time_auc"]
