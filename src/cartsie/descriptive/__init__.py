"""Descriptive statistics and tests of Table 1 as R: Fisher's exact test (``fisher.test``, exact
r x c), the chi-squared test, Kruskal-Wallis, and ``table_one``. :mod:`cartsie.descriptive.core` holds
the public functions; the Fisher engine and the Table 1 builder are private modules here.
"""

from cartsie.descriptive.core import (
    FisherResult,
    GroupTest,
    TableOne,
    chisq_test,
    fisher_exact,
    kruskal_wallis,
    table_one,
)

__all__ = [
    "FisherResult",
    "GroupTest",
    "TableOne",
    "chisq_test",
    "fisher_exact",
    "kruskal_wallis",
    "table_one",
]
