"""Prognostic performance of a score for a time-to-event outcome: the concordance index (Harrell's
C, Uno's C and R's other time weights) as R's ``survival::concordance``. :mod:`cartsie.prognostic.core`
holds the public functions; the counting engine is shared with the Cox model's ``concordance``
(``cartsie._concordance``).
"""

from cartsie.prognostic.core import Concordance, concordance

__all__ = ["Concordance", "concordance"]
