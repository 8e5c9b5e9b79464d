"""Fine-Gray subdistribution hazard regression, numerically as ``cmprsk::crr`` (Gray, 2.2), in
O(n p^2) per Newton step and for the variance, after one sort.

Notation (subjects sorted by time; ``u_k`` the distinct times; ``f`` runs over the distinct times
with an event of the cause, ``d_f`` of them at ``u_f``; ``w_j = exp(x_j' b)``):

- ``G(t-)``: Kaplan-Meier of the censoring distribution (events of any cause count as censored for
  it), taken just before ``t`` exactly as crr does: ``survfit`` evaluated by constant interpolation at
  ``t (1 - 100 eps)``.
- Risk set at ``u_f`` (crr's convention): subjects with ``T_j >= u_f`` with weight 1, and subjects
  with a competing event before ``u_f`` with weight ``G(u_f-) / G(T_j-)``. Ties: Breslow.
- ``S_r(u_f) = sum_{T_j >= u_f} w_j x_j^r + G(u_f-) sum_{T_j < u_f, competing} w_j x_j^r / G(T_j-)``:
  a reverse running sum plus a forward running sum, read at the start of each block of tied times.
- log pseudo-likelihood ``l(b) = sum_events x_i' b - sum_f d_f log S_0(u_f)``; score and information
  as Cox's with these sums (Fine & Gray 1999, JASA 94:496-509).
- Variance (crr's ``crrvv``): ``I^-1 (sum_i (eta_i + psi_i)(eta_i + psi_i)') I^-1``, where ``eta_i``
  is subject i's score residual, ``dN_i`` part ``x_i - xbar(T_i)`` for an event of the cause and
  ``d Lambda`` part ``-w_i sum_f (d_f / S_0(u_f)) v_i(u_f) (x_i - xbar(u_f))`` with ``v_i`` its risk-set
  weight, and ``psi_i = int q(u) / Y(u) dM^c_i(u)`` is the term for estimating ``G``:
  ``q(u) = sum_{u_f >= u} (d_f G(u_f-) / S_0(u_f)) sum_{T_j < u, competing} (w_j / G(T_j-))
  (x_j - xbar(u_f))``, ``Y(u)`` the number with ``T >= u``, and ``dM^c_i`` the censoring martingale
  increment (``dN^c_i(u) - 1(T_i >= u) c(u) / Y(u)`` with ``c(u)`` the censorings at ``u``). Each sum
  splits into running sums over the sorted data (Kawaguchi, Shen, Suchard et al., "Scalable
  algorithms for large competing risks data", R Journal 2021), so no loop runs over pairs.

Covariates are centred before fitting (the model is invariant to it), and ``w`` is scaled by
``exp(-max x'b)``; reported baseline jumps are converted back to R's uncentred scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cartsie import _monotone
from cartsie.competing._aalen_johansen import blocks

EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class FGData:
    """Sorted data and the quantities that do not depend on the coefficients."""

    x: np.ndarray  # (n, p) centred covariates, sorted by time
    center: np.ndarray  # (p,) the means removed
    fail: np.ndarray  # bool, event of the cause
    comp: np.ndarray  # bool, competing event
    cens: np.ndarray  # bool, censored
    block: np.ndarray  # (n,) index of each subject's distinct time
    start: np.ndarray  # (K,) first row of each distinct time
    at_risk: np.ndarray  # (K,) number with T >= u_k
    g_minus: np.ndarray  # (n,) G(T_i-) as crr
    fblock: np.ndarray  # (F,) block index of each distinct event time of the cause
    d: np.ndarray  # (F,) events of the cause there
    g_f: np.ndarray  # (F,) G(u_f-)
    time_f: np.ndarray  # (F,) the distinct event times of the cause
    inv_g_comp: np.ndarray  # (n,) 1 / G(T_i-) for competing events, else 0
    triu: tuple[np.ndarray, np.ndarray]  # upper-triangle indices for the second moments


def censoring_km_minus(t: np.ndarray, cens: np.ndarray, start: np.ndarray, at_risk: np.ndarray) -> np.ndarray:
    """``G(t-)`` for each sorted time as crr: ``approx(c(min(0, times) - 10 eps, times, ...), c(1, surv,
    ...), xout = t (1 - 100 eps), method = "constant", f = 0, rule = 2)``."""
    c = np.add.reduceat(cens.astype(float), start)
    g = np.cumprod(1.0 - c / at_risk)
    u = t[start]
    idx = np.searchsorted(u, t * (1.0 - 100.0 * EPS), side="right") - 1
    return np.where(idx >= 0, g[np.maximum(idx, 0)], 1.0)


def prepare(t: np.ndarray, status: np.ndarray, x: np.ndarray) -> FGData:
    """Sort once (stable, as R's ``order``) and precompute; ``status`` 0 censored, 1 cause, 2 other."""
    order = np.argsort(t, kind="stable")
    t, status, x = t[order], status[order], x[order]
    center = x.mean(axis=0)
    x = x - center
    fail, comp, cens = status == 1, status == 2, status == 0
    start, at_risk = blocks(t)
    block = np.repeat(np.arange(len(start)), np.diff(np.r_[start, len(t)]))
    g_minus = censoring_km_minus(t, cens, start, at_risk)
    d_all = np.add.reduceat(fail.astype(float), start)
    fblock = np.flatnonzero(d_all > 0)
    p = x.shape[1]
    return FGData(
        x=x,
        center=center,
        fail=fail,
        comp=comp,
        cens=cens,
        block=block,
        start=start,
        at_risk=at_risk.astype(float),
        g_minus=g_minus,
        fblock=fblock,
        d=d_all[fblock],
        g_f=g_minus[start[fblock]],
        time_f=t[start[fblock]],
        inv_g_comp=np.where(comp, 1.0 / g_minus, 0.0),
        triu=np.triu_indices(p),
    )


@dataclass(frozen=True)
class Sums:
    """Risk-set sums at the distinct event times of the cause, for one coefficient vector."""

    shift: float  # max x'b (w = exp(x'b - shift))
    w: np.ndarray  # (n,)
    s0: np.ndarray  # (F,)
    s1: np.ndarray  # (F, p)
    s2: np.ndarray | None  # (F, p, p)


def _at_blocks(data: FGData, cols: np.ndarray) -> np.ndarray:
    """``sum_{T_j >= u_f} cols_j + G(u_f-) sum_{T_j < u_f} cols_j / G(T_j-) [competing]`` per f."""
    starts = data.start[data.fblock]
    after = np.cumsum(cols[::-1], axis=0)[::-1][starts]
    weighted = cols * data.inv_g_comp[:, None]
    before = np.cumsum(weighted, axis=0)
    before = np.where((starts > 0)[:, None], before[np.maximum(starts - 1, 0)], 0.0)
    return after + data.g_f[:, None] * before


def risk_sums(data: FGData, beta: np.ndarray, second: bool = True) -> Sums:
    """S_0, S_1 (and S_2 when ``second``) at each distinct event time of the cause."""
    eta = data.x @ beta
    shift = float(eta.max()) if len(eta) else 0.0
    w = np.exp(eta - shift)
    cols = [w[:, None], w[:, None] * data.x]
    if second:
        i, j = data.triu
        cols.append(w[:, None] * data.x[:, i] * data.x[:, j])
    sums = _at_blocks(data, np.hstack(cols))
    p = data.x.shape[1]
    s0, s1 = sums[:, 0], sums[:, 1 : 1 + p]
    s2 = None
    if second:
        i, j = data.triu
        s2 = np.empty((len(s0), p, p))
        s2[:, i, j] = sums[:, 1 + p :]
        s2[:, j, i] = sums[:, 1 + p :]
    return Sums(shift, w, s0, s1, s2)


def neg_loglik(data: FGData, beta: np.ndarray, sums: Sums | None = None) -> float:
    """crr's objective: minus the log pseudo-likelihood."""
    if sums is None:
        sums = risk_sums(data, beta, second=False)
    eta_events = float((data.x[data.fail] @ beta).sum())
    log_s0 = np.log(sums.s0) + sums.shift
    # undo the centring so the value equals crr's loglik on the raw covariates
    offset = float(data.center @ beta)
    return -(eta_events + offset * data.fail.sum()) + float(data.d @ (log_s0 + offset))


def gradient_hessian(data: FGData, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, Sums]:
    """Objective (minus log pseudo-likelihood), its gradient and Hessian (the information)."""
    sums = risk_sums(data, beta, second=True)
    assert sums.s2 is not None  # second=True
    xbar = sums.s1 / sums.s0[:, None]
    grad = -data.x[data.fail].sum(axis=0) + data.d @ xbar
    wt = data.d / sums.s0
    hess = np.einsum("f,fij->ij", wt, sums.s2) - np.einsum("f,fi,fj->ij", data.d, xbar, xbar)
    return neg_loglik(data, beta, sums), grad, hess, sums


def _spread(data: FGData, values: np.ndarray) -> np.ndarray:
    """Put per-event-time values (F, ...) on the grid of all distinct times (K, ...), zero elsewhere."""
    out = np.zeros((len(data.start), *values.shape[1:]))
    out[data.fblock] = values
    return out


def sandwich_meat(data: FGData, sums: Sums) -> np.ndarray:
    """``sum_i (eta_i + psi_i)(eta_i + psi_i)'`` of crr's variance, by running sums."""
    x, w, blk = data.x, sums.w, data.block
    xbar = sums.s1 / sums.s0[:, None]
    lam = data.d / sums.s0  # jumps of the baseline (scaled)
    # eta: dN part
    eta = np.where(
        data.fail[:, None], x - xbar[np.searchsorted(data.fblock, blk).clip(max=len(xbar) - 1)], 0.0
    )
    # d Lambda part, times u_f <= T_i (weight 1)
    a_cum = np.cumsum(_spread(data, lam))
    b_cum = np.cumsum(_spread(data, lam[:, None] * xbar), axis=0)
    eta -= w[:, None] * (x * a_cum[blk][:, None] - b_cum[blk])
    # d Lambda part, times u_f > T_i for competing events (weight G(u_f-) / G(T_i-))
    lam_g = lam * data.g_f
    c_incl = np.cumsum(_spread(data, lam_g)[::-1])[::-1]  # sum over u_f >= u_k
    d_incl = np.cumsum(_spread(data, lam_g[:, None] * xbar)[::-1], axis=0)[::-1]
    c_after = np.r_[c_incl[1:], 0.0]
    d_after = np.vstack([d_incl[1:], np.zeros((1, x.shape[1]))])
    wc = (w * data.inv_g_comp)[:, None]
    eta -= wc * (x * c_after[blk][:, None] - d_after[blk])
    # psi: q(u) at each distinct time from the competing sums strictly before u
    e_cols = np.cumsum(np.hstack([wc, wc * x]), axis=0)
    starts = data.start
    e_before = np.where((starts > 0)[:, None], e_cols[np.maximum(starts - 1, 0)], 0.0)
    q = e_before[:, 1:] * c_incl[:, None] - e_before[:, :1] * d_incl
    n_cens = np.add.reduceat(data.cens.astype(float), starts)
    y = data.at_risk
    psi_cum = -np.cumsum(q * (n_cens / y**2)[:, None], axis=0)
    psi = psi_cum[blk] + np.where(data.cens[:, None], (q / y[:, None])[blk], 0.0)
    r = eta + psi
    return r.T @ r


def baseline_jumps(data: FGData, beta: np.ndarray, sums: Sums) -> np.ndarray:
    """crr's ``bfitj``: ``d_f / S_0(u_f)`` on the raw (uncentred, unscaled) covariate scale."""
    log_scale = sums.shift + float(data.center @ beta)
    return np.exp(np.log(data.d) - np.log(sums.s0) - log_scale)


def monotone_directions(data: FGData) -> np.ndarray:
    """Sign of divergence of each coefficient (0 finite, +-1, NaN either) by the exact LP check of
    :mod:`cartsie._monotone`. The risk set at ``u_f`` holds the subjects with ``T_j >= u_f`` and every
    subject with a competing event before ``u_f`` (positive weight ``G(u_f-) / G(T_j-)``), so a
    competing-event subject belongs to every risk set."""
    n_f = len(data.fblock)
    last_set = np.searchsorted(data.fblock, data.block, side="right") - 1
    last_set = np.where(data.comp, n_f - 1, last_set)
    events = np.flatnonzero(data.fail)
    event_set = np.searchsorted(data.fblock, data.block[events])
    return _monotone.directions(data.x, last_set, events, event_set, np.arange(n_f) == 0)


@dataclass(frozen=True)
class Fit:
    beta: np.ndarray
    neg_loglik: float
    neg_loglik_null: float
    info: np.ndarray
    meat: np.ndarray
    jumps: np.ndarray
    converged: bool
    iterations: int


def _converged(obj: float, grad: np.ndarray, beta: np.ndarray, tol: float) -> bool:
    """crr's criterion: ``max(|score| * max(|b|, 1)) < max(|objective|, 1) * gtol``."""
    return float(np.max(np.abs(grad) * np.maximum(np.abs(beta), 1.0))) < max(abs(obj), 1.0) * tol


class SingularInformation(ValueError):
    """The information matrix is singular; ``columns`` are the terms without information."""

    def __init__(self, columns: list[int]):
        super().__init__(f"singular information (columns {columns})")
        self.columns = columns


def check_information(data: FGData, hess: np.ndarray) -> None:
    """Raise :class:`SingularInformation` when a term carries (almost) no information relative to
    ``events x variance of the covariate``, or the information is rank deficient (checked at the
    start, b = 0, where a singular information is structural rather than a drift to infinity)."""
    ref = data.d.sum() * data.x.var(axis=0)
    empty = np.flatnonzero(np.diag(hess) <= 1e-10 * ref)
    if len(empty):
        raise SingularInformation([int(j) for j in empty])
    scale = np.sqrt(np.diag(hess))
    if np.linalg.matrix_rank(hess / np.outer(scale, scale)) < len(scale):
        raise SingularInformation([])


def newton(data: FGData, beta: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, bool, int]:
    """Newton-Raphson with backtracking (halve the step until an Armijo decrease, at most 20 times)."""
    for it in range(max_iter + 1):
        obj, grad, hess, _ = gradient_hessian(data, beta)
        if it == 0:
            check_information(data, hess)
        if not np.all(np.isfinite(grad)) or not np.isfinite(obj):
            return beta, False, it
        if _converged(obj, grad, beta, tol):
            return beta, True, it
        if it == max_iter:
            return beta, False, it
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return beta, False, it
        new = beta + step
        for _ in range(21):
            val = neg_loglik(data, new)
            # Armijo decrease, with slack for rounding in the objective near the optimum (where
            # crr's own line search can fail and stop unconverged)
            slack = 64 * EPS * max(abs(obj), 1.0)
            if np.isfinite(val) and val <= obj + 1e-4 * float(step @ grad) + slack:
                break
            step = step * 0.5
            new = beta + step
        else:
            return beta, False, it
        beta = new
    return beta, False, max_iter


def fit(data: FGData, tol: float, max_iter: int, init: np.ndarray | None = None) -> Fit:
    """Fit the model and compute crr's sandwich pieces at the estimate."""
    p = data.x.shape[1]
    start = np.zeros(p) if init is None else np.asarray(init, dtype=float)
    beta, ok, iterations = newton(data, start, tol, max_iter)
    obj, _, hess, sums = gradient_hessian(data, beta)
    return Fit(
        beta=beta,
        neg_loglik=obj,
        neg_loglik_null=neg_loglik(data, np.zeros(p)),
        info=hess,
        meat=sandwich_meat(data, sums),
        jumps=baseline_jumps(data, beta, sums),
        converged=ok,
        iterations=iterations,
    )
