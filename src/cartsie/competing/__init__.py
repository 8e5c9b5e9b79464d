"""Competing risks as R's cmprsk: cumulative incidence (Aalen-Johansen with ``cuminc``'s variance),
Gray's test and Fine-Gray regression (``crr``, O(n log n)). :mod:`cartsie.competing.core` holds the
public functions; the engines are the private modules of this package.
"""

from cartsie.competing.core import (
    CumulativeIncidence,
    FineGray,
    cumulative_incidence,
    fine_gray,
    gray_test,
)

__all__ = [
    "CumulativeIncidence",
    "FineGray",
    "cumulative_incidence",
    "fine_gray",
    "gray_test",
]
