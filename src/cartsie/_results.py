"""Result containers shared across modules."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class TestResult:
    """A single hypothesis test: ``statistic``, ``df``, ``p_value`` and the method's name."""

    statistic: float
    df: float
    p_value: float
    method: str
    n: int | None = None

    __test__ = False  # not a pytest test class

    @property
    def summary(self) -> pd.DataFrame:
        """One-row DataFrame with the columns statistic, df, p_value, method."""
        return pd.DataFrame(
            {
                "statistic": [self.statistic],
                "df": [self.df],
                "p_value": [self.p_value],
                "method": [self.method],
            }
        )
