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
from cartsie.competing._prep import distinct_ranks

EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class FGData:
    """Sorted data and the quantities that do not depend on the coefficients.

    Per-subject arrays are stored one row per covariate, ``(p, n)``, so that every pass over the
    subjects reads contiguous memory; sums over subjects are taken per distinct time first
    (``np.add.reduceat``) and the running sums are then over the distinct times only.
    """

    xt: np.ndarray  # (p, n) centred covariates, subjects sorted by time
    center: np.ndarray  # (p,) the means removed
    moments: np.ndarray  # (p + p (p + 1) / 2, n): x_r, then x_r x_s (r <= s, row-major upper triangle)
    fail: np.ndarray  # bool, event of the cause
    comp: np.ndarray  # bool, competing event
    cens: np.ndarray  # bool, censored
    block: np.ndarray  # (n,) index of each subject's distinct time
    start: np.ndarray  # (K,) first row of each distinct time
    at_risk: np.ndarray  # (K,) number with T >= u_k
    n_cens: np.ndarray  # (K,) censorings at u_k
    g_minus: np.ndarray  # (n,) G(T_i-) as crr
    fblock: np.ndarray  # (F,) block index of each distinct event time of the cause
    d: np.ndarray  # (F,) events of the cause there
    g_f: np.ndarray  # (F,) G(u_f-)
    time_f: np.ndarray  # (F,) the distinct event times of the cause
    fail_rows: np.ndarray  # rows with an event of the cause
    fail_f: np.ndarray  # index into the F event times of each of them
    x_fail: np.ndarray  # (p,) sum of x over the events of the cause
    comp_rows: np.ndarray  # rows with a competing event
    comp_inv_g: np.ndarray  # 1 / G(T_i-) of each of them
    comp_moments: np.ndarray  # the columns of ``moments`` of those rows
    work: np.ndarray  # (1 + len(moments), n) scratch for the weighted moments
    comp_work: np.ndarray  # (1 + len(moments), len(comp_rows)) likewise
    comp_start: np.ndarray  # first position (among comp_rows) of each distinct time holding some
    comp_block: np.ndarray  # block index of each such run
    triu: tuple[np.ndarray, np.ndarray]  # upper-triangle indices for the second moments

    @property
    def x(self) -> np.ndarray:
        """(n, p) view of the centred, sorted covariates."""
        return self.xt.T

    @property
    def inv_g_comp(self) -> np.ndarray:
        """(n,) ``1 / G(T_i-)`` for competing events, else 0."""
        out = np.zeros(len(self.block))
        out[self.comp_rows] = self.comp_inv_g
        return out


def censoring_km_minus(u: np.ndarray, n_cens: np.ndarray, at_risk: np.ndarray) -> np.ndarray:
    """``G(u-)`` at each distinct time ``u`` (ascending) as crr: ``approx(c(min(0, times) - 10 eps,
    times, ...), c(1, surv, ...), xout = u (1 - 100 eps), method = "constant", f = 0, rule = 2)``."""
    g = np.cumprod(1.0 - n_cens / at_risk)
    idx = np.searchsorted(u, u * (1.0 - 100.0 * EPS), side="right") - 1
    return np.where(idx >= 0, g[np.maximum(idx, 0)], 1.0)


def time_order(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stable sort order of ``t`` (as R's ``order``) and the distinct-time index of each sorted
    row. With fewer than 65,536 distinct times the rows are ordered by a radix sort of their 16-bit
    ranks (one hash of the times), which gives the same order as a stable sort of ``t``."""
    rank, uniq = distinct_ranks(t)
    if len(uniq) < 2**16:
        order = np.argsort(rank.astype(np.uint16), kind="stable")
    else:
        order = np.argsort(t, kind="stable")
    return order, rank[order]


def prepare(t: np.ndarray, status: np.ndarray, x: np.ndarray) -> FGData:
    """Sort once (stable, as R's ``order``) and precompute; ``status`` 0 censored, 1 cause, 2 other."""
    order, block = time_order(np.asarray(t, dtype=float))
    t, status = t[order], status[order]
    xt = np.take(np.ascontiguousarray(np.asarray(x, dtype=float).T), order, axis=1)  # (p, n) C-order
    center = xt.mean(axis=1)
    xt -= center[:, None]
    fail, comp, cens = status == 1, status == 2, status == 0
    start, at_risk = blocks(t)
    n_cens = np.add.reduceat(cens.astype(float), start)
    g_block = censoring_km_minus(t[start], n_cens, at_risk.astype(float))
    g_minus = g_block[block]
    d_all = np.add.reduceat(fail.astype(float), start)
    fblock = np.flatnonzero(d_all > 0)
    p = xt.shape[0]
    i, j = np.triu_indices(p)
    fail_rows, comp_rows = np.flatnonzero(fail), np.flatnonzero(comp)
    comp_b = block[comp_rows]
    moments = np.empty((p + len(i), xt.shape[1]))
    moments[:p] = xt
    for k, (a, b) in enumerate(zip(i, j, strict=True)):
        np.multiply(xt[a], xt[b], out=moments[p + k])
    comp_start = np.flatnonzero(np.r_[True, comp_b[1:] != comp_b[:-1]]) if len(comp_b) else comp_b
    return FGData(
        xt=xt,
        center=center,
        moments=moments,
        fail=fail,
        comp=comp,
        cens=cens,
        block=block,
        start=start,
        at_risk=at_risk.astype(float),
        n_cens=n_cens,
        g_minus=g_minus,
        fblock=fblock,
        d=d_all[fblock],
        g_f=g_block[fblock],
        time_f=t[start[fblock]],
        fail_rows=fail_rows,
        fail_f=np.searchsorted(fblock, block[fail_rows]),
        x_fail=np.take(xt, fail_rows, axis=1).sum(axis=1),
        comp_rows=comp_rows,
        comp_inv_g=1.0 / g_minus[comp_rows],
        comp_moments=np.take(moments, comp_rows, axis=1),
        work=np.empty((1 + len(moments), len(t))),
        comp_work=np.empty((1 + len(moments), len(comp_rows))),
        comp_start=comp_start,
        comp_block=comp_b[comp_start],
        triu=(i, j),
    )


@dataclass(frozen=True)
class Sums:
    """Risk-set sums at the distinct event times of the cause, for one coefficient vector."""

    shift: float  # max x'b (w = exp(x'b - shift))
    w: np.ndarray  # (n,)
    s0: np.ndarray  # (F,)
    s1: np.ndarray | None  # (F, p)
    s2: np.ndarray | None  # (F, p, p)


def _weighted_rows(w: np.ndarray, moments: np.ndarray, rows: int, work: np.ndarray) -> np.ndarray:
    """``[w, w z_1, ..., w z_rows]`` as a (1 + rows, n) array, written into ``work`` (reused, so that
    no pass allocates fresh memory)."""
    out = work[: 1 + rows]
    out[0] = w
    np.multiply(moments[:rows], w, out=out[1:])
    return out


def _at_blocks(data: FGData, w: np.ndarray, rows: int) -> np.ndarray:
    """``sum_{T_j >= u_f} c_j + G(u_f-) sum_{T_j < u_f, competing} c_j / G(T_j-)`` for each event time
    ``u_f`` of the cause and each ``c = w, w z_1, ..., w z_rows`` (``z`` the moment rows): (1 + rows, F).
    """
    k = len(data.start)
    per_block = np.add.reduceat(_weighted_rows(w, data.moments, rows, data.work), data.start, axis=1)
    after = np.cumsum(per_block[:, ::-1], axis=1)[:, ::-1][:, data.fblock]
    comp = np.zeros((1 + rows, k))
    if len(data.comp_rows):
        wc = w[data.comp_rows] * data.comp_inv_g
        comp[:, data.comp_block] = np.add.reduceat(
            _weighted_rows(wc, data.comp_moments, rows, data.comp_work), data.comp_start, axis=1
        )
    before = np.cumsum(comp, axis=1)
    prev = data.fblock - 1
    before = np.where(prev >= 0, before[:, np.maximum(prev, 0)], 0.0)
    return after + data.g_f * before


def _weights(data: FGData, beta: np.ndarray) -> tuple[float, np.ndarray]:
    eta = beta @ data.xt
    shift = float(eta.max()) if len(eta) else 0.0
    return shift, np.exp(eta - shift)


def risk_sums(data: FGData, beta: np.ndarray, second: bool = True) -> Sums:
    """S_0, S_1 (and S_2 when ``second``) at each distinct event time of the cause."""
    shift, w = _weights(data, beta)
    p = data.xt.shape[0]
    sums = _at_blocks(data, w, len(data.moments) if second else p)
    s0, s1 = sums[0], sums[1 : 1 + p].T
    s2 = None
    if second:
        i, j = data.triu
        s2 = np.empty((len(s0), p, p))
        s2[:, i, j] = sums[1 + p :].T
        s2[:, j, i] = sums[1 + p :].T
    return Sums(shift, w, s0, s1, s2)


def neg_loglik(data: FGData, beta: np.ndarray, sums: Sums | None = None) -> float:
    """crr's objective: minus the log pseudo-likelihood (only S_0 is needed)."""
    if sums is None:
        shift, w = _weights(data, beta)
        sums = Sums(shift, w, _at_blocks(data, w, 0)[0], None, None)
    log_s0 = np.log(sums.s0) + sums.shift
    # undo the centring so the value equals crr's loglik on the raw covariates
    offset = float(data.center @ beta)
    return -(float(data.x_fail @ beta) + offset * len(data.fail_rows)) + float(data.d @ (log_s0 + offset))


def gradient_hessian(data: FGData, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, Sums]:
    """Objective (minus log pseudo-likelihood), its gradient and Hessian (the information)."""
    sums = risk_sums(data, beta, second=True)
    assert sums.s2 is not None  # second=True
    xbar = sums.s1 / sums.s0[:, None]
    grad = -data.x_fail + data.d @ xbar
    wt = data.d / sums.s0
    hess = np.einsum("f,fij->ij", wt, sums.s2) - np.einsum("f,fi,fj->ij", data.d, xbar, xbar)
    return neg_loglik(data, beta, sums), grad, hess, sums


def _spread(data: FGData, values: np.ndarray) -> np.ndarray:
    """Put per-event-time values (..., F) on the grid of all distinct times (..., K), zero elsewhere."""
    out = np.zeros((*values.shape[:-1], len(data.start)))
    out[..., data.fblock] = values
    return out


def _reverse_cumsum(a: np.ndarray) -> np.ndarray:
    return np.cumsum(a[..., ::-1], axis=-1)[..., ::-1]


def sandwich_meat(data: FGData, sums: Sums) -> np.ndarray:
    """``sum_i (eta_i + psi_i)(eta_i + psi_i)'`` of crr's variance, by running sums over the distinct
    times ((p, K) arrays), then one pass over the subjects per covariate."""
    xt, w, blk = data.xt, sums.w, data.block
    p = xt.shape[0]
    xbar = (sums.s1 / sums.s0[:, None]).T  # (p, F)
    lam = data.d / sums.s0  # jumps of the baseline (scaled)
    # d Lambda part of eta, times u_f <= T_i (weight 1)
    a_cum = np.cumsum(_spread(data, lam))
    b_cum = np.cumsum(_spread(data, lam * xbar), axis=1)
    # d Lambda part, times u_f > T_i for competing events (weight G(u_f-) / G(T_i-))
    lam_g = lam * data.g_f
    c_incl = _reverse_cumsum(_spread(data, lam_g))  # sum over u_f >= u_k
    d_incl = _reverse_cumsum(_spread(data, lam_g * xbar))
    c_after = np.r_[c_incl[1:], 0.0]
    d_after = np.hstack([d_incl[:, 1:], np.zeros((p, 1))])
    # psi: q(u) at each distinct time from the competing sums strictly before u
    rows, cb = data.comp_rows, blk[data.comp_rows]
    wc = w[rows] * data.comp_inv_g
    per_block = np.zeros((1 + p, len(data.start)))
    if len(rows):
        per_block[:, data.comp_block] = np.add.reduceat(
            _weighted_rows(wc, data.comp_moments, p, data.comp_work), data.comp_start, axis=1
        )
    e_before = np.cumsum(per_block, axis=1) - per_block
    q = e_before[1:] * c_incl - e_before[:1] * d_incl  # (p, K)
    y = data.at_risk
    psi_cum = -np.cumsum(q * (data.n_cens / y**2), axis=1)
    q_y = q / y
    cens = np.flatnonzero(data.cens)
    a_blk, c_cb, cens_blk = a_cum[blk], c_after[cb], blk[cens]
    r = np.empty_like(xt)
    for k in range(p):
        xk = xt[k]
        rk = psi_cum[k][blk] - w * (xk * a_blk - b_cum[k][blk])
        rk[data.fail_rows] += xk[data.fail_rows] - xbar[k][data.fail_f]
        rk[rows] -= wc * (xk[rows] * c_cb - d_after[k][cb])
        rk[cens] += q_y[k][cens_blk]
        r[k] = rk
    return r @ r.T


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
    is_f = np.zeros(len(data.start), dtype=np.int64)
    is_f[data.fblock] = 1
    last_set = (np.cumsum(is_f) - 1)[data.block]  # the last event time of the cause at or before T_j
    last_set[data.comp] = n_f - 1
    return _monotone.directions(data.x, last_set, data.fail_rows, data.fail_f, np.arange(n_f) == 0)


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
    ref = data.d.sum() * np.einsum("ij,ij->i", data.xt, data.xt) / data.xt.shape[1]  # x is centred
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
