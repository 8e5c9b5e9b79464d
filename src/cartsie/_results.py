"""The one result protocol every public result of cartsie follows.

A result is a frozen dataclass that inherits :class:`Result` and defines its ``summary`` (a property
returning a DataFrame) and, where they mean something, ``_tidy()`` and ``_glance()``. It then has:

* ``.summary`` -- the result as R prints it (model tables indexed by term);
* ``.tidy(exponentiate=False)`` -- broom's columns ``term, estimate, std_error, statistic, p_value,
  ci_lower, ci_upper`` (``exponentiate=True`` gives ratios and their CIs for models on a log scale,
  as ``broom::tidy(exponentiate = TRUE)``; the std_error stays on the model's scale, as broom's);
* ``.glance()`` -- one row: n, events, log-likelihood... where they exist;
* ``conf_level`` and ``p_value`` (never ``p``);
* a short ``__repr__`` (under 2,000 characters), ``_repr_html_`` for notebooks and
  ``print_summary(fmt="text" | "markdown" | "html" | "latex")``, as lifelines' ``print_summary``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

TIDY_COLUMNS = ("term", "estimate", "std_error", "statistic", "p_value", "ci_lower", "ci_upper")
_MAX_REPR_ROWS = 12
FORMATS = ("text", "markdown", "html", "latex")


class Result:
    """Mixin of the result protocol (see the module docstring)."""

    #: the model's name in reprs and messages ("Cox model", "Fine-Gray model"...)
    _title: str = ""

    # -- what a result defines ---------------------------------------------------------------------
    @property
    def summary(self) -> pd.DataFrame:  # pragma: no cover - every result overrides it
        raise NotImplementedError

    def _tidy(self) -> pd.DataFrame:
        """broom's columns on the model's own scale; the default reads them from ``summary``."""
        return tidy_from(self.summary)

    def _glance(self) -> dict:
        return {k: getattr(self, k) for k in ("n", "events", "n_missing") if hasattr(self, k)}

    #: True for models on a log scale (their tidy(exponentiate=True) gives ratios)
    _log_scale: bool = False

    # -- the protocol --------------------------------------------------------------------------------
    def tidy(self, exponentiate: bool = False) -> pd.DataFrame:
        """One row per term with ``term, estimate, std_error, statistic, p_value, ci_lower, ci_upper``
        (broom's tidy); ``exponentiate=True`` gives ratios for models on a log scale."""
        out = self._tidy().reindex(columns=list(TIDY_COLUMNS)).reset_index(drop=True)
        if exponentiate:
            if not self._log_scale:
                raise ValueError(f"{type(self).__name__}: exponentiate=True is for models on a log scale.")
            for col in ("estimate", "ci_lower", "ci_upper"):
                out[col] = np.exp(out[col].astype(float))
        return out

    def glance(self) -> pd.DataFrame:
        """One row of model-level statistics (n, events, log-likelihood... where they exist)."""
        return pd.DataFrame([self._glance()])

    def _result_header(self) -> str:
        title = self._title or type(self).__name__
        facts = ", ".join(f"{k} = {_short(v)}" for k, v in self._glance().items() if _scalar(v))
        return f"{title}" + (f" ({facts})" if facts else "")

    def print_summary(self, fmt: str = "text", decimals: int = 3, file=None) -> str:
        """The summary as text, markdown, HTML or LaTeX (printed to ``file``, default stdout; returned).

        Parameters
        ----------
        fmt : {"text", "markdown", "html", "latex"}
        decimals : int
            Decimals of the numbers shown (p-values keep theirs up to ``<0.001`` style).
        """
        if fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}.")
        table = _rounded(self.summary, decimals)
        header = self._result_header()
        if fmt == "text":
            out = f"{header}\n{table.to_string()}"
        elif fmt == "markdown":
            out = f"**{header}**\n\n{_markdown(table)}"
        elif fmt == "html":
            out = self._html(table, header)
        else:
            out = table.to_latex(caption=header, escape=True)
        print(out, file=file)
        return out

    def __repr__(self) -> str:
        table = _rounded(self.summary, 4)
        if len(table) > _MAX_REPR_ROWS:
            shown = table.head(_MAX_REPR_ROWS).to_string() + f"\n... ({len(table)} rows)"
        else:
            shown = table.to_string()
        text = f"<{self._result_header()}>\n{shown}"
        return text if len(text) < 2000 else text[:1990] + " ...>"

    def _html(self, table: pd.DataFrame, header: str) -> str:
        body = table.head(200).to_html(border=0, classes="cartsie-result", na_rep="")
        return f"<div><p><strong>{html.escape(header)}</strong></p>{body}</div>"

    def _repr_html_(self) -> str:
        return self._html(_rounded(self.summary, 4), self._result_header())


class TableResult(Result):
    """A result whose ``summary`` is its ``table`` field (a copy), as R prints it."""

    table: pd.DataFrame

    @property
    def summary(self) -> pd.DataFrame:
        """The result table (a copy of ``table``), as R prints it."""
        return self.table.copy()


def tidy_from(summary: pd.DataFrame) -> pd.DataFrame:
    """broom's columns from a model table indexed by term with coef/se/z/p_value and CI columns."""
    s = summary
    out = pd.DataFrame({"term": s.index.astype(str)})
    pick = {
        "estimate": ("coef", "estimate"),
        "std_error": ("se", "std_error"),
        "statistic": ("z", "statistic"),
        "p_value": ("p_value",),
    }
    for target, sources in pick.items():
        source = next((c for c in sources if c in s.columns), None)
        out[target] = s[source].to_numpy() if source else np.nan
    if "coef" in s.columns and {"ci_lower", "ci_upper"} <= set(s.columns):
        # model tables print the CI of the ratio; tidy keeps the model's scale
        with np.errstate(divide="ignore"):
            out["ci_lower"] = np.log(s["ci_lower"].to_numpy(dtype=float))
            out["ci_upper"] = np.log(s["ci_upper"].to_numpy(dtype=float))
    elif {"ci_lower", "ci_upper"} <= set(s.columns):
        out["ci_lower"], out["ci_upper"] = s["ci_lower"].to_numpy(), s["ci_upper"].to_numpy()
    return out


def _scalar(v) -> bool:
    return isinstance(v, int | float | np.integer | np.floating | str) and not isinstance(v, bool)


def _short(v) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:.4g}"
    return str(v)


def _rounded(table: pd.DataFrame, decimals: int) -> pd.DataFrame:
    out = table.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            if "p_value" in str(col):
                out[col] = out[col].map(
                    lambda p: "" if pd.isna(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")
                )
            else:
                out[col] = out[col].round(decimals)
    return out


def _markdown(table: pd.DataFrame) -> str:
    cells = table.reset_index()
    head = "| " + " | ".join(map(str, cells.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in cells.columns) + " |"
    rows = [
        "| " + " | ".join("" if pd.isna(v) else str(v) for v in r) + " |"
        for r in cells.itertuples(index=False)
    ]
    return "\n".join([head, rule, *rows])


@dataclass(frozen=True, repr=False)
class TestResult(Result):
    """A single hypothesis test: ``statistic``, ``df``, ``p_value`` and the method's name."""

    statistic: float
    df: float
    p_value: float
    method: str
    n: int | None = None

    __test__ = False  # not a pytest test class

    @property
    def _title(self) -> str:  # type: ignore[override]
        return self.method

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

    def _tidy(self) -> pd.DataFrame:
        return pd.DataFrame({"term": [self.method], "statistic": [self.statistic], "p_value": [self.p_value]})

    def _glance(self) -> dict:
        return {"statistic": self.statistic, "df": self.df, "p_value": self.p_value, "n": self.n}
