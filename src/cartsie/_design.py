"""Design matrices for the regression functions (logistic, Cox, Fine-Gray).

One encoder for every model so that terms are named the same way everywhere: a numeric or boolean
covariate keeps its column name; a categorical one (object, string or pandas ``Categorical``) becomes
one indicator per non-reference level, named ``name[level]`` (R's treatment contrasts). The reference
level is the first level -- the first category of a pandas ``Categorical``, otherwise the smallest
value in sorted order, as R's ``factor()`` -- unless the caller names one in ``reference``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cartsie._checks import numeric, require_columns
from cartsie.errors import InputError


def _is_categorical(s: pd.Series) -> bool:
    return (
        isinstance(s.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(s.dtype)
        or pd.api.types.is_string_dtype(s.dtype)
    )


@dataclass(frozen=True)
class Design:
    """How covariates map to model terms; applies the same encoding to new data."""

    covariates: tuple[str, ...]
    levels: Mapping[str, tuple] = field(default_factory=dict)
    terms: tuple[str, ...] = ()

    def reference(self, covariate: str):
        """The reference level of a categorical covariate."""
        return self.levels[covariate][0]

    def transform(self, df: pd.DataFrame, func: str = "transform") -> pd.DataFrame:
        """Float design matrix for ``df`` (rows with missing covariates give NaN rows)."""
        require_columns(df, self.covariates, func)
        parts: dict[str, pd.Series] = {}
        for cov in self.covariates:
            if cov in self.levels:
                col = df[cov]
                lv = self.levels[cov]
                unknown = col.notna() & ~col.isin(lv)
                if unknown.any():
                    raise InputError(
                        f"{func}(): column {cov!r} has level(s) "
                        f"{sorted(map(str, col[unknown].unique()))} not seen when the model was "
                        f"fitted (levels: {list(map(str, lv))})."
                    )
                for level in lv[1:]:
                    ind = (col == level).astype(float)
                    ind[col.isna()] = np.nan
                    parts[f"{cov}[{level}]"] = ind
            else:
                parts[cov] = numeric(df, cov, func)
        return pd.DataFrame(parts, index=df.index)[list(self.terms)]


def build_design(
    df: pd.DataFrame,
    covariates: Sequence[str],
    reference: Mapping[str, object] | None = None,
    func: str = "model",
) -> Design:
    """Inspect ``df`` and decide the encoding of ``covariates`` (see the module docstring)."""
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = tuple(covariates)
    if not covariates:
        raise InputError(f"{func}(): give at least one covariate.")
    require_columns(df, covariates, func)
    reference = dict(reference or {})
    unknown_ref = set(reference) - set(covariates)
    if unknown_ref:
        raise InputError(
            f"{func}(): reference levels given for {sorted(unknown_ref)}, which are not covariates."
        )
    levels: dict[str, tuple] = {}
    terms: list[str] = []
    for cov in covariates:
        col = df[cov]
        if _is_categorical(col):
            if isinstance(col.dtype, pd.CategoricalDtype):
                lv = [c for c in col.cat.categories if (col == c).any()]
            else:
                lv = sorted(col.dropna().unique(), key=str)
            if cov in reference:
                ref = reference[cov]
                if ref not in lv:
                    raise InputError(
                        f"{func}(): reference level {ref!r} of {cov!r} does not occur in the data "
                        f"(levels: {list(map(str, lv))})."
                    )
                lv = [ref, *[x for x in lv if x != ref]]
            levels[cov] = tuple(lv)
            terms.extend(f"{cov}[{level}]" for level in lv[1:])
        else:
            if cov in reference:
                raise InputError(
                    f"{func}(): {cov!r} is numeric; a reference level applies only to categorical "
                    "covariates (convert it with df[col].astype('category') first)."
                )
            terms.append(cov)
    return Design(covariates=covariates, levels=levels, terms=tuple(terms))
