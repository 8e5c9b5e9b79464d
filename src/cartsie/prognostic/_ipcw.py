"""Engine of the IPCW time-dependent AUC and Brier score, as ``riskRegression::Score`` computes them.

Everything works on integer codes of the distinct follow-up times (``group``, ascending) and of the
distinct score values (``rank``, ascending), so one time point costs O(n) after an O(n log n)
preparation shared by all time points: no sort, no n x n matrix per time point.

Censoring weights (``cens.model = "km"``): prodlim's reverse Kaplan-Meier, whose risk set for
censoring at a time leaves out the events at that time (events come first at ties)::

    G(u) = prod_{u_k <= u} (1 - c_k / (Y_k - d_k))

with ``Y_k`` at risk at ``u_k``, ``d_k`` events (any cause) and ``c_k`` censorings there. Cases and
competing events by t are weighted ``1 / G(T_i-)`` (prodlim's ``predictSurvIndividual(lag = 1)``),
patients still followed after t ``1 / G(t)``, patients censored by t get 0.

Influence function of the censoring (riskRegression's "KaplanMeier" term, Ohlendorff's fast
algorithm): the Nelson-Aalen influence function of the censoring hazard with the usual risk set
(``Y_k``, events included), ``f_i(s) = 1{C_i, T_i <= s} n / Y(T_i) - sum_{u_k <= min(s, T_i)} n c_k /
Y_k^2``, is combined with the weights it perturbs: ``1/G(T_j-)`` moves by ``f_i(T_j-)`` and ``1/G(t)``
by ``f_i(t)``. Sums over j of ``x_j f_i(T_j-)`` split into the patients j after i's time (``f_i`` at
its final value) and those at or before (``-MC(T_j-)``, a cumulative sum over the time groups).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: case / competing-event / censored codes used inside the engine
CASE, COMPETING, CENSORED = 1, 2, 0


@dataclass(frozen=True)
class Prepared:
    """The data coded once for every time point."""

    group: np.ndarray  # index of each patient's time among ``times`` (ascending distinct)
    times: np.ndarray  # distinct follow-up times
    code: np.ndarray  # CASE, COMPETING or CENSORED
    g_minus: np.ndarray  # G(T_i-) per patient (prodlim's reverse Kaplan-Meier)
    g_at: np.ndarray  # G(u_k) at the distinct times
    mc: np.ndarray  # MC_k = sum_{l <= k} n c_l / Y_l^2
    at_risk: np.ndarray  # Y_k
    surv: np.ndarray  # all-cause Kaplan-Meier S(u_k)
    cif: np.ndarray  # Aalen-Johansen cumulative incidence of the cause at u_k

    @property
    def n(self) -> int:
        return len(self.code)


def prepare(time: np.ndarray, code: np.ndarray) -> Prepared:
    """Code the times once: the reverse Kaplan-Meier of prodlim, the Nelson-Aalen influence pieces,
    and the marginal (null model) risk of the cause."""
    times, group = np.unique(time, return_inverse=True)
    k = len(times)
    n = len(time)
    leave = np.bincount(group, minlength=k)
    cens = np.bincount(group, weights=(code == CENSORED), minlength=k)
    cases = np.bincount(group, weights=(code == CASE), minlength=k)
    events = leave - cens
    at_risk = n - np.concatenate([[0], np.cumsum(leave)[:-1]]).astype(float)
    # prodlim's reverse Kaplan-Meier: events leave the risk set first at tied times
    free = at_risk - events
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(cens > 0, 1 - cens / free, 1.0)
    g_at = np.cumprod(factor)
    g_before = np.concatenate([[1.0], g_at[:-1]])
    mc = np.cumsum(n * cens / at_risk**2)
    # all-cause Kaplan-Meier and the Aalen-Johansen incidence of the cause (the null model)
    surv = np.cumprod(1 - events / at_risk)
    surv_before = np.concatenate([[1.0], surv[:-1]])
    cif = np.cumsum(surv_before * cases / at_risk)
    return Prepared(group, times, code, g_before[group], g_at, mc, at_risk, surv, cif)


def last_group(p: Prepared, t: float) -> int:
    """Index of the last distinct time <= t (-1 when t is before every time)."""
    return int(np.searchsorted(p.times, t, side="right")) - 1


def g_of(p: Prepared, kt: int) -> np.float64:
    """G(t) from the index of the last distinct time <= t (a numpy float: 1 / 0 gives inf)."""
    return np.float64(1.0 if kt < 0 else p.g_at[kt])


def censoring_if(p: Prepared, t: float, kt: int) -> np.ndarray:
    """``f_i(t)``: each patient's influence on the censoring cumulative hazard up to t
    (riskRegression's ``fihattau``)."""
    g = p.group
    own = np.where(p.code == CENSORED, p.n / p.at_risk[g], 0.0) - p.mc[g]
    after = 0.0 if kt < 0 else -p.mc[kt]
    return np.where(g <= kt, own, after)


def _before_after(p: Prepared, x: np.ndarray, f: np.ndarray) -> np.ndarray:
    """``sum_j x_j f_i(T_j-)`` for every i, where x lives on events by t.

    Patients j at a later time than i see ``f_i`` at its final value ``f`` (= f_i(t) for i after
    t); those at i's time or before see ``-MC`` at the distinct time before their own.
    """
    k = len(p.times)
    by_group = np.bincount(p.group, weights=x, minlength=k)
    mc_before = np.concatenate([[0.0], p.mc[:-1]])
    upto = np.cumsum(by_group)
    weighted = np.cumsum(by_group * mc_before)
    g = p.group
    return -weighted[g] + f * (upto[-1] - upto[g])


@dataclass(frozen=True)
class AUCAt:
    """AUC(t) of one score at one time, with its influence function (NaN when not estimable)."""

    auc: float
    influence: np.ndarray | None
    cases: int
    controls: int
    reason: str


def auc_at(p: Prepared, rank: np.ndarray, n_rank: int, t: float) -> AUCAt:
    """Cumulative/dynamic AUC(t) and its influence function (riskRegression's IF.AUC)."""
    n = p.n
    kt = last_group(p, t)
    before = p.group <= kt
    case = before & (p.code == CASE)
    comp = before & (p.code == COMPETING)
    after = ~before
    control = comp | after
    g_t = g_of(p, kt)
    with np.errstate(divide="ignore"):
        w = np.where(case | comp, 1.0 / p.g_minus, np.where(after, 1.0 / g_t, 0.0))
    n_case, n_control = int(case.sum()), int(control.sum())
    if n_case == 0 or n_control == 0:
        what = (
            "no cases (events of the cause by t)" if n_case == 0 else "no controls (patients event-free at t)"
        )
        return AUCAt(np.nan, None, n_case, n_control, what)
    w_case, w_control = np.where(case, w, 0.0), np.where(control, w, 0.0)
    mu_case, mu_control = w_case.sum(), w_control.sum()
    # weighted placements, ties on the score counting one half
    by_control = np.bincount(rank, weights=w_control, minlength=n_rank)
    by_case = np.bincount(rank, weights=w_case, minlength=n_rank)
    below = np.cumsum(by_control) - 0.5 * by_control  # controls scored lower (+ half the ties)
    above = by_case.sum() - np.cumsum(by_case) + 0.5 * by_case  # cases scored higher (+ half)
    place_case = below[rank]
    place_control = above[rank]
    denom = mu_case * mu_control
    auc = float(np.dot(w_case, place_case) / denom)
    ic0 = (
        np.where(
            case,
            n * w * (place_case - auc * mu_control),
            np.where(control, n * w * (place_control - auc * mu_case), 0.0),
        )
        / denom
    )
    f = censoring_if(p, t, kt)
    a_case = np.where(case, w * place_case, 0.0)
    a_comp = np.where(comp, w * place_control, 0.0)
    w_comp = np.where(comp, w, 0.0)
    n_after = int(after.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        after_num = np.sum(np.where(after, place_control, 0.0)) / g_t
        after_den = n_after / g_t
    num = _before_after(p, a_case, f) + _before_after(p, a_comp, f) + f * after_num
    den = _before_after(p, w_case, f) * mu_control + (_before_after(p, w_comp, f) + f * after_den) * mu_case
    # the censoring part of d(num / den) = (d num - auc d den) / den
    influence = ic0 + (num - auc * den) / denom
    return AUCAt(auc, influence, n_case, n_control, "")


@dataclass(frozen=True)
class BrierAt:
    """IPCW Brier score of one risk at one time, with its influence function."""

    brier: float
    influence: np.ndarray


def brier_at(p: Prepared, risk: np.ndarray, t: float) -> BrierAt:
    """IPCW Brier score at t and its influence function (riskRegression's IF.Brier)."""
    n = p.n
    kt = last_group(p, t)
    before = p.group <= kt
    event = before & (p.code != CENSORED)
    after = ~before
    g_t = g_of(p, kt)
    target = (p.code == CASE).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        resid = np.where(event, (target - risk) ** 2 / p.g_minus, np.where(after, risk**2 / g_t, 0.0))
    brier = float(resid.sum() / n)
    f = censoring_if(p, t, kt)
    term = _before_after(p, np.where(event, resid, 0.0), f) / n + f * (np.sum(resid[after]) / n)
    return BrierAt(brier, resid - resid.mean() + term)


def null_risk(p: Prepared, t: float) -> float:
    """Marginal risk of the cause by t: 1 - Kaplan-Meier, or the Aalen-Johansen incidence."""
    kt = last_group(p, t)
    return 0.0 if kt < 0 else float(p.cif[kt])


def std_error(influence: np.ndarray) -> np.float64:
    """riskRegression's ``sd(IF) / sqrt(N)`` (``sd`` with the n - 1 denominator)."""
    return np.float64(np.std(influence, ddof=1) / np.sqrt(len(influence)))
