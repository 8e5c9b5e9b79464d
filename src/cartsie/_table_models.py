"""What :func:`cartsie.tables.regression_table` needs of each fitted model, read from cartsie's Cox,
logistic, Fine-Gray and lp_adjusted results (private: the table's adapters, apart from its layout)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from cartsie.adjust import LpAdjusted
from cartsie.binary import Logistic
from cartsie.competing import FineGray
from cartsie.errors import InputError
from cartsie.survival import Cox

#: the summary column holding each kind's ratio (exp(coef), as the model prints it)
RATIO_COLUMNS = {"HR": "hr", "OR": "odds_ratio", "sHR": "shr"}
#: the first stage of lp_adjusted, named in the footnote
STAGE_MODELS = {"HR": "Cox model", "OR": "logistic model", "sHR": "Fine-Gray model"}


@dataclass(frozen=True)
class TableModel:
    """One block of the table: the rows that may be shown and the facts of its footnote.

    ``stages`` maps a term to the stage of :func:`cartsie.adjust.lp_adjusted` it comes from
    ("second": the score's rows, "first": the linear-predictor model's rows); other terms are the
    model's own ("model"). ``score`` and ``adjust_for`` are lp_adjusted's; ``first_stage`` tells
    whether the first stage's rows are shown.
    """

    kind: str  # the default title
    ratio: str  # HR, OR, sHR
    summary: pd.DataFrame  # rows of the terms that may be shown
    levels: Mapping[str, tuple]  # categorical covariate -> levels, reference first
    covariates: tuple[str, ...]
    n: int
    events: int
    n_missing: int
    conf_level: float
    method: str  # for the footnote
    ci_kind: str  # "Wald", "profile-likelihood"...
    ci_extra: str = ""  # " (robust variance)"...
    infinite: tuple[str, ...] = ()
    infinite_reason: str = ""
    title: str = field(default="", compare=False)
    stages: Mapping[str, str] = field(default_factory=dict)
    score: str = ""
    adjust_for: tuple[str, ...] = ()
    first_stage: bool = False

    def covariate_terms(self, cov: str) -> list[str]:
        """The terms of a covariate: ``name[level]`` per non-reference level, else the name."""
        if cov in self.levels:
            return [f"{cov}[{lv}]" for lv in self.levels[cov][1:]]
        return [cov]

    def shown(self) -> list[str]:
        """Covariates with at least one term in ``summary`` (not the intercept, not lp_adjusted's lp)."""
        index = set(self.summary.index)
        return [c for c in self.covariates if any(t in index for t in self.covariate_terms(c))]

    def stage(self, term: str) -> str:
        """ "first", "second" (lp_adjusted's stages) or "model" (a one-stage model's own term)."""
        return self.stages.get(term, "model")

    def variable_stage(self, cov: str) -> str:
        """The stage of a covariate's terms (the stage its reference row belongs to)."""
        return self.stage(self.covariate_terms(cov)[0]) if self.covariate_terms(cov) else "model"


def _cox(res: Cox) -> dict:
    extra = [f"{res.ties.capitalize()} ties"]
    if res.strata is not None:
        extra.append(f"stratified by {res.strata}")
    ci = ""
    if res.robust:
        ci = " (robust variance" + (f", clustered by {res.cluster})" if res.cluster else ")")
    return {
        "kind": "Cox model",
        "ratio": "HR",
        "method": f"Cox proportional-hazards model ({', '.join(extra)})",
        "ci_kind": "Wald",
        "ci_extra": ci,
        "events": res.n_events,
        "infinite_reason": "monotone likelihood",
    }


def _logistic(res: Logistic) -> dict:
    firth = res.method == "firth"
    ci = {"wald": "Wald", "profile": "profile penalised-likelihood" if firth else "profile-likelihood"}
    return {
        "kind": "Logistic model",
        "ratio": "OR",
        "method": "logistic regression" + (" (Firth's penalised likelihood)" if firth else ""),
        "ci_kind": ci[res.ci],
        "events": res.n_events,
        "infinite_reason": f"{res.separation} separation",
    }


def _fine_gray(res: FineGray) -> dict:
    return {
        "kind": "Fine-Gray model",
        "ratio": "sHR",
        "method": f"Fine-Gray subdistribution hazards model (cause {res.cause}, "
        f"{res.n_competing} competing events)",
        "ci_kind": "Wald",
        "ci_extra": " (sandwich variance, as crr)",
        "events": res.n_events,
        "infinite_reason": "monotone pseudo-likelihood",
    }


_KINDS: tuple[tuple[type, Callable[..., dict]], ...] = (
    (Cox, _cox),
    (Logistic, _logistic),
    (FineGray, _fine_gray),
)


def _fitted(res) -> dict:
    for cls, describe in _KINDS:
        if isinstance(res, cls):
            return describe(res)
    raise InputError(
        f"regression_table(): cannot tabulate a {type(res).__name__}; give results of cartsie's cox, "
        "logistic, fine_gray or lp_adjusted."
    )


def _plain(res) -> TableModel:
    info = _fitted(res)  # first: refuses what is not a model
    design = res.design
    return TableModel(
        summary=res.summary,
        levels=dict(design.levels),
        covariates=tuple(design.covariates),
        n=int(res.n),
        n_missing=int(res.n_missing),
        conf_level=float(res.conf_level),
        infinite=tuple(res.infinite_terms),
        **info,
    )


def _lp_adjusted(res: LpAdjusted, first_stage: bool) -> TableModel:
    """The score's row(s) of the second stage, and with ``first_stage`` the first stage's rows."""
    second, first = res.model, res.first_stage
    info = _fitted(second)
    info["kind"] = f"{info['kind']}, adjusted"
    score_terms = list(res.summary.index)
    summary = res.summary
    levels = {res.score: second.design.levels[res.score]} if res.score in second.design.levels else {}
    covariates: tuple[str, ...] = (res.score,)
    infinite = [t for t in second.infinite_terms if t in score_terms]
    stages = dict.fromkeys(score_terms, "second")
    if first_stage:
        # the first stage's covariate rows (never its intercept), its levels and its infinite terms
        rows = [t for t in first.summary.index if t in first.design.terms]
        summary = pd.concat([summary, first.summary.loc[rows]])
        levels |= dict(first.design.levels)
        covariates += tuple(first.design.covariates)
        infinite += [t for t in first.infinite_terms if t in rows]
        stages |= dict.fromkeys(rows, "first")
    return TableModel(
        summary=summary,
        levels=levels,
        covariates=covariates,
        n=int(res.n),
        n_missing=int(res.n_missing),
        conf_level=float(res.conf_level),
        infinite=tuple(infinite),
        stages=stages,
        score=res.score,
        adjust_for=tuple(res.adjust_for),
        first_stage=first_stage,
        **info,
    )


def table_models(
    results: Sequence[Any], titles: Sequence[str] | str | None, first_stage: bool
) -> list[TableModel]:
    """The blocks of the table, titled (default: their kind, numbered when repeated)."""
    if first_stage and not any(isinstance(r, LpAdjusted) for r in results):
        raise InputError(
            "regression_table(): first_stage=True shows the first-stage rows of lp_adjusted results, "
            "and none of the results is one; drop first_stage or give lp_adjusted fits."
        )
    models = [_lp_adjusted(r, first_stage) if isinstance(r, LpAdjusted) else _plain(r) for r in results]
    if titles is None:
        kinds = [m.kind for m in models]
        names = [f"{k} ({kinds[: i + 1].count(k)})" if kinds.count(k) > 1 else k for i, k in enumerate(kinds)]
    else:
        names = [titles] if isinstance(titles, str) else list(titles)
        if len(names) != len(models):
            raise InputError(
                f"regression_table(): {len(names)} titles given for {len(models)} models; give one per model."
            )
    return [replace(m, title=str(t)) for m, t in zip(models, names, strict=True)]
