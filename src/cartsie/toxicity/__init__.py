"""Hematotoxicity from raw blood-count series: EHA/EBMT ICAHT grades (early and late), severe
thrombocytopenia and anemia, the recovery phenotype, and survey-based cytopenia gradings.
:mod:`cartsie.toxicity.core` holds the public functions (definitions in their docstrings);
``_series`` the vectorised series building blocks.
"""

from cartsie.toxicity.core import (
    EARLY_END,
    LATE_THRESHOLDS,
    SEVERE_HB,
    SEVERE_PLT,
    SURVEY_2023,
    CytopeniaScheme,
    grade_cytopenia,
    grade_icaht,
    recovery_phenotype,
)

__all__ = [
    "EARLY_END",
    "LATE_THRESHOLDS",
    "SEVERE_HB",
    "SEVERE_PLT",
    "SURVEY_2023",
    "CytopeniaScheme",
    "grade_cytopenia",
    "grade_icaht",
    "recovery_phenotype",
]
