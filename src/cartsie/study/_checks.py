"""The checks behind the reasons of not-estimable rows of the study.

Each check raises :class:`cartsie.study.estimate.NotEstimable` with a reason a clinician reads without the
code: "no labs table: ICAHT not graded", "nobody HT high", "no second primary malignancy in the
HT-evaluable population", "column 'bone_marrow_involvement' absent from the data".
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cartsie._accuracy import _clopper_pearson
from cartsie.study.definitions import (
    ADJUST_FOR,
    GRADED,
    POPULATIONS,
    REFERENCE,
    SOURCES,
    group_name,
    outcome,
)
from cartsie.study.estimate import NotEstimable


def absent(column: str, cohort) -> str:
    """Why ``column`` is not in the analysis table."""
    cohort = getattr(cohort, "cohort", cohort)  # a Study or its Cohort
    if column in GRADED and getattr(cohort, "labs", None) is None:
        return f"no labs table: {GRADED[column]} not graded"
    source = SOURCES.get(column)
    if column == "spm_myeloid_event" or source is None:
        source = source or column
        return f"column {source!r} absent from the data"
    return f"no {source} in the data, so no {column}"


def need(pop: pd.DataFrame, columns: Sequence[str], cohort) -> None:
    """Raise NotEstimable naming the first of ``columns`` that the data lack."""
    for c in columns:
        if c not in pop.columns or (c == "spm_myeloid_event" and "spm_type" not in pop.columns):
            raise NotEstimable(absent(c, cohort))


def need_patients(pop: pd.DataFrame, population: str) -> None:
    """NotEstimable "no patient in the HT-evaluable population" for an empty population."""
    if len(pop) == 0:
        raise NotEstimable(f"no patient in the {POPULATIONS.get(population, population)} population")


def percent(flag: pd.Series, what: str) -> tuple[float, int, tuple[float, float]]:
    """Percentage of 1s among the known values, n known, and the exact (Clopper-Pearson) 95% CI in
    percent, as R's ``binom.test``; NotEstimable when no value is known (``what`` names them)."""
    known = flag.dropna()
    if not len(known):
        raise NotEstimable(f"no patient with known {what}")
    k = int((known == 1).sum())
    low, high = exact_ci(k, len(known))
    return 100.0 * k / len(known), len(known), (low, high)


def exact_ci(k: int, n: int) -> tuple[float, float]:
    """The exact (Clopper-Pearson) 95% CI of ``k`` of ``n``, in percent: R's ``binom.test``, whose
    limits are the beta quantiles ``qbeta(0.025, k, n - k + 1)`` and ``qbeta(0.975, k + 1, n - k)``."""
    _p, low, high = _clopper_pearson(k, n, 0.95)
    return 100.0 * low, 100.0 * high


def nobody(pop: pd.DataFrame, group: str, level) -> None:
    """NotEstimable "nobody HT high" when no patient of ``pop`` has ``group == level``."""
    if not (pop[group] == level).any():
        raise NotEstimable(f"nobody {group_name(group, level)}")


def both_groups(pop: pd.DataFrame, group: str) -> None:
    """NotEstimable naming the empty level when ``pop`` lacks one of the 0/1 groups."""
    for level in (0, 1):
        nobody(pop, group, level)


def events(pop: pd.DataFrame, event: str, population: str, code: int = 1) -> int:
    """Number of events ``code`` in ``pop``; NotEstimable when there is none."""
    k = int((pop[event] == code).sum())
    if not k:
        raise NotEstimable(f"no {outcome(event)} in the {POPULATIONS.get(population, population)} population")
    return k


def left_out(pop: pd.DataFrame, columns: Sequence[str], model: str) -> str:
    """ "82 patients without ldh_above_uln left out of the adjusted Cox model for OS" (or "" when nobody
    was left out), the columns named by how many patients lack each."""
    cols = list(dict.fromkeys(c for c in columns if c in pop.columns))
    missing = pop[cols].isna()
    n = int(missing.any(axis=1).sum())
    if not n:
        return ""
    counts = missing.sum()
    counts = counts[counts > 0]
    if len(counts) == 1:
        return f"{n} patient{'s' if n != 1 else ''} without {counts.index[0]} left out of the {model}"
    detail = ", ".join(f"{c}: {int(k)}" for c, k in counts.items())
    return f"{n} patients left out of the {model} for missing values ({detail})"


def join(*parts: str) -> str:
    """Parts of a note joined by "; ", empty ones left out."""
    return "; ".join(p for p in parts if p)


def infinite_reason(ratio: str, coef: float, data: pd.DataFrame, covariate: str, hit: pd.Series) -> str:
    """Why a ratio is infinite: "sHR 0: no second primary malignancy in the HT high group".

    ``hit`` marks, in ``data``, the patients with the event (or outcome) of the model. For a 0/1
    covariate the group without events (or with events only, for a logistic model) is named.
    """
    size = "infinite" if coef > 0 else ("0" if coef < 0 else "infinite or 0")
    levels = sorted(data[covariate].dropna().unique().tolist())
    what = outcome(str(hit.name))
    if levels == [0, 1] or levels == [0.0, 1.0]:
        for level in (0, 1):
            in_level = data[covariate] == level
            if not hit[in_level].any():
                return f"{ratio} {size}: no {what} in the {group_name(covariate, level)} group"
        for level in (0, 1):
            in_level = data[covariate] == level
            if hit[in_level].all():
                return f"{ratio} {size}: {what} in every patient of the {group_name(covariate, level)} group"
    return f"{ratio} {size}: the likelihood has no finite maximum in {covariate} (separation)"


def outcome_present(used: pd.DataFrame, column: str, population: str) -> None:
    """A logistic model needs patients with and without the outcome (NotEstimable otherwise)."""
    hit = used[column] == 1
    who = f"{POPULATIONS[population]} patient"
    if not hit.any():
        raise NotEstimable(f"no {outcome(column)} among the {who}s with {column} known")
    if hit.all():
        raise NotEstimable(f"{outcome(column)} in every {who} with {column} known")


def adjustment_set(pop: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The covariates of :data:`ADJUST_FOR` the data hold (some value known), and those they lack."""
    present = [c for c in ADJUST_FOR if c in pop.columns and pop[c].notna().any()]
    return present, [c for c in ADJUST_FOR if c not in present]


def adjustment(
    pop: pd.DataFrame, population: str, score: str, response: Sequence[str], label: str, cohort=None
) -> tuple[list[str], dict | None, str]:
    """Check that the score's effect can be adjusted as CART-SIE did: the covariates of
    :data:`ADJUST_FOR` in the data, the reference levels some patient has (histology: DLBCL), and
    the note saying what the model is adjusted for, what the data lack and who it leaves out.

    ``response`` is ``[outcome]`` of a logistic model or ``[time, event]`` of a Cox model;
    ``label`` names the model in the note. NotEstimable when no covariate is in the data, a group is
    empty among the patients with all of them known, or the outcome (events) is absent.
    """
    need(pop, [score, *response], cohort)
    need_patients(pop, population)
    adjust, lacking = adjustment_set(pop)
    if not adjust:
        raise NotEstimable(f"none of the adjustment covariates ({', '.join(ADJUST_FOR)}) in the data")
    columns = [score, *adjust, *response]
    used = pop[columns].dropna()
    both_groups(pop, score)
    if not len(used):
        raise NotEstimable(f"no patient has {score}, every adjustment covariate and the outcome known")
    for level in (0, 1):
        if not (used[score] == level).any():
            raise NotEstimable(
                f"nobody {group_name(score, level)} among the {len(used)} patients with every "
                "adjustment covariate known"
            )
    if len(response) == 1:
        outcome_present(used, response[0], population)
    else:
        events(used, response[1], population)
    note = join(
        "adjusted by the linear predictor of " + ", ".join(adjust),
        f"not adjusted for {', '.join(lacking)} (absent from the data)" if lacking else "",
        left_out(pop, columns, label),
    )
    reference = {k: v for k, v in REFERENCE.items() if k in adjust and (used[k] == v).any()}
    return adjust, reference or None, note
