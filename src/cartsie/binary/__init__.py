"""Logistic regression as R's ``glm`` (Wald CIs), with profile-likelihood CIs (``MASS``/``confint``)
and Firth's penalised likelihood (``brglm2``/``logistf``). :mod:`cartsie.binary.core` holds the
public function; the Newton engine and separation detection are in ``_logit``.
"""

from cartsie.binary.core import (
    Logistic,
    logistic,
)

__all__ = [
    "Logistic",
    "logistic",
]
