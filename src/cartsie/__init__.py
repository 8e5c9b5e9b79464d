"""cartsie: the CART-SIE statistics (CAR-HEMATOTOX score, ICAHT grading, survival and competing
risks) for clinical biostatisticians, each statistic checked against R.

Submodules are imported on first use, so ``import cartsie`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from cartsie.errors import (
    BeyondFollowupWarning,
    CartsieError,
    CohortError,
    CohortWarning,
    ConvergenceWarning,
    DirectionWarning,
    InputError,
    MissingValuesWarning,
    MonotoneLikelihoodWarning,
    SeparationWarning,
    SimulationWarning,
)

__version__ = "0.1.0"

_SUBMODULES = (
    "adjust",
    "binary",
    "calibration",
    "cohort",
    "datasets",
    "competing",
    "descriptive",
    "discrimination",
    "figures",
    "format",
    "prognostic",
    "study",
    "scores",
    "survival",
    "synthetic",
    "tables",
    "toxicity",
    "units",
)

__all__ = [
    "BeyondFollowupWarning",
    "CartsieError",
    "CohortError",
    "CohortWarning",
    "ConvergenceWarning",
    "DirectionWarning",
    "InputError",
    "MissingValuesWarning",
    "MonotoneLikelihoodWarning",
    "SeparationWarning",
    "SimulationWarning",
    "__version__",
    *_SUBMODULES,
]

if TYPE_CHECKING:  # pragma: no cover
    from cartsie import scores, toxicity, units  # noqa: F401


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"cartsie.{name}")
    raise AttributeError(f"module 'cartsie' has no attribute {name!r}")
