"""Descriptive statistics and tests of Table 1 as R: Fisher's exact test (``fisher.test``, exact
r x c), the chi-squared test, Kruskal-Wallis, ``table_one`` and the median's exact CI
(``median_ci``, as ``DescTools::MedianCI``). :mod:`cartsie.descriptive.core` holds the tests and
Table 1; the Fisher engine, the Table 1 builder and ``median_ci`` are private modules here.
"""

from cartsie.descriptive._median_ci import MedianCI, median_ci
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
    "MedianCI",
    "TableOne",
    "chisq_test",
    "fisher_exact",
    "kruskal_wallis",
    "median_ci",
    "table_one",
]
