"""Cox proportional-hazards engine: partial likelihood, Newton-Raphson as R's ``coxph``, residuals.

Written from the formulas (Therneau & Grambsch 2000, ch. 3) in vectorised numpy: rows are sorted
once by stratum and time; risk-set sums are reversed cumulative sums; tied events are handled with
Efron's approximation (or Breslow's) by giving each of the d tied deaths of a time one term with
weight fraction f_j = j / d (Breslow: f_j = 0):

    denominator_j = R(t) - f_j D(t),   mean_j = (A(t) - f_j A_D(t)) / denominator_j,

with R, A the sums of r_i = exp(x_i'b) and r_i x_i over the risk set, and D, A_D over the deaths at
t. The log partial likelihood is sum_deaths x_i'b - sum_terms log(denominator_j); the score and the
information follow. Sums of r x x' over risk sets are never formed per time: with W_i the sum of
the per-time weights over event times <= t_i, sum_t w_t C(t) = X' diag(r W) X.

The iteration reproduces ``survival:::coxfit6`` (survival 3.5): start at 0, full Newton steps,
step-halving when the log-likelihood decreases, convergence when |1 - l_old / l_new| <= eps
(1e-9) within ``iter.max`` (20) iterations, and the estimate reported is the last point evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from cartsie import _monotone


@dataclass(frozen=True)
class Stratum:
    """Index structure of one stratum (rows contiguous in the sorted order)."""

    rows: slice
    risk_start: np.ndarray  # per event time k: first local row with time >= t_k
    dead: np.ndarray  # local rows of the deaths, by time
    dead_k: np.ndarray  # event-time index of each death
    dead_starts: np.ndarray  # start of each event time's deaths within ``dead``
    n_dead: np.ndarray  # deaths per event time
    frac: np.ndarray  # Efron fraction j / d of each death's term (0 for Breslow)
    row_k: np.ndarray  # per local row: index of the last event time <= its time (-1 if none)
    event_times: np.ndarray


@dataclass(frozen=True)
class CoxData:
    """Sorted, centred design and the stratum structures (built once per fit)."""

    time: np.ndarray
    status: np.ndarray
    x: np.ndarray  # centred
    means: np.ndarray
    order: np.ndarray  # sorted position -> original row position
    strata: tuple[Stratum, ...]

    @property
    def n_events(self) -> int:
        return int(self.status.sum())


def prepare(
    time: np.ndarray, status: np.ndarray, x: np.ndarray, strata: np.ndarray | None, efron: bool
) -> CoxData:
    """Sort by (stratum, time) and index the risk sets and tied deaths."""
    if strata is None:
        order = np.argsort(time, kind="stable")
        bounds = np.array([0, len(time)])
    else:
        order = np.lexsort((time, strata))
        s = strata[order]
        bounds = np.concatenate([[0], np.flatnonzero(np.diff(s)) + 1, [len(time)]])
    t, d = time[order], status[order]
    means = x.mean(axis=0)
    xs = x[order] - means
    parts = [_stratum(t[a:b], d[a:b], slice(a, b), efron) for a, b in pairwise(bounds)]
    return CoxData(t, d, xs, means, order, tuple(parts))


def _stratum(t: np.ndarray, d: np.ndarray, rows: slice, efron: bool) -> Stratum:
    dead = np.flatnonzero(d == 1)
    event_times, first_dead, n_dead = np.unique(t[dead], return_index=True, return_counts=True)
    dead_k = np.repeat(np.arange(len(event_times)), n_dead)
    position = np.arange(len(dead)) - first_dead[dead_k]  # 0..d-1 within each tied time
    frac = position / n_dead[dead_k] if efron else np.zeros(len(dead))
    return Stratum(
        rows=rows,
        risk_start=np.searchsorted(t, event_times, side="left"),
        dead=dead,
        dead_k=dead_k,
        dead_starts=first_dead,
        n_dead=n_dead,
        frac=frac,
        row_k=np.searchsorted(event_times, t, side="right") - 1,
        event_times=event_times,
    )


@dataclass
class _Sums:
    """Per-stratum risk-set sums at each event time, for one value of beta."""

    r: np.ndarray
    x: np.ndarray
    rx: np.ndarray
    a: np.ndarray  # A(t_k): sum of r x over the risk set
    ad: np.ndarray  # A_D(t_k): sum of r x over the deaths
    den: np.ndarray  # per death term
    w1: np.ndarray  # sum_j 1 / den_j per event time
    w2: np.ndarray  # sum_j f_j / den_j
    s0: np.ndarray  # sum_j 1 / den_j^2
    s1: np.ndarray  # sum_j f_j / den_j^2
    s2: np.ndarray  # sum_j f_j^2 / den_j^2


def _sums(st: Stratum, r: np.ndarray, x: np.ndarray) -> _Sums:
    rx = r[:, None] * x
    rc_r = np.cumsum(r[::-1])[::-1]
    rc_rx = np.cumsum(rx[::-1], axis=0)[::-1]
    n_k = len(st.n_dead)
    if n_k == 0:
        empty = np.zeros(0)
        return _Sums(r, x, rx, np.zeros((0, x.shape[1])), np.zeros((0, x.shape[1])), empty, *[empty] * 5)
    big_r = rc_r[st.risk_start]
    a = rc_rx[st.risk_start]
    d_sum = np.add.reduceat(r[st.dead], st.dead_starts)
    ad = np.add.reduceat(rx[st.dead], st.dead_starts, axis=0)
    den = big_r[st.dead_k] - st.frac * d_sum[st.dead_k]
    inv = 1.0 / den
    inv2 = inv * inv
    f = st.frac

    def per_k(w: np.ndarray) -> np.ndarray:
        return np.bincount(st.dead_k, weights=w, minlength=n_k)

    return _Sums(
        r, x, rx, a, ad, den, per_k(inv), per_k(f * inv), per_k(inv2), per_k(f * inv2), per_k(f * f * inv2)
    )


def _score(st: Stratum, s: _Sums, wk: np.ndarray | None = None) -> np.ndarray:
    """sum_k wk_k [sum_{deaths at t_k} x_i - sum_j mean_j]."""
    if len(st.dead) == 0:
        return np.zeros(s.x.shape[1])
    wk = np.ones(len(st.n_dead)) if wk is None else wk
    observed = (s.x[st.dead] * wk[st.dead_k][:, None]).sum(axis=0)
    return observed - (wk * s.w1) @ s.a + (wk * s.w2) @ s.ad


def _information(st: Stratum, s: _Sums, wk: np.ndarray | None = None) -> np.ndarray:
    """sum_k wk_k sum_j [C_j / den_j - a_j a_j' / den_j^2] (a_j = A - f_j A_D, C_j likewise)."""
    p = s.x.shape[1]
    if len(st.dead) == 0:
        return np.zeros((p, p))
    wk = np.ones(len(st.n_dead)) if wk is None else wk
    cum_w1 = np.concatenate([[0.0], np.cumsum(wk * s.w1)])[st.row_k + 1]
    second = s.x.T @ (s.x * (s.r * cum_w1)[:, None])
    xd = s.x[st.dead]
    second -= xd.T @ (xd * (s.r[st.dead] * (wk * s.w2)[st.dead_k])[:, None])
    a_s0 = s.a * (wk * s.s0)[:, None]
    a_s1 = s.a * (wk * s.s1)[:, None]
    cross = s.a.T @ a_s0 - s.ad.T @ a_s1 - a_s1.T @ s.ad + s.ad.T @ (s.ad * (wk * s.s2)[:, None])
    return second - cross


def loglik_score_info(data: CoxData, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Log partial likelihood, score and information at ``beta`` (centred covariates).

    Overflow (a wild Newton step) gives non-finite values, which :func:`newton` answers by
    step-halving, as R.
    """
    p = len(beta)
    loglik, u, info = 0.0, np.zeros(p), np.zeros((p, p))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        eta = data.x @ beta
        r = np.exp(eta)
        for st in data.strata:
            s = _sums(st, r[st.rows], data.x[st.rows])
            loglik += float(eta[st.rows][st.dead].sum() - np.log(s.den).sum())
            u += _score(st, s)
            info += _information(st, s)
    return loglik, u, info


class SingularDesign(Exception):
    """The information matrix at beta = 0 is singular; ``columns`` are the terms involved."""

    def __init__(self, columns: list[int]):
        super().__init__(columns)
        self.columns = columns


def singular_columns(info: np.ndarray, tol: float = 1e-10) -> list[int]:
    """Columns of a (near-)singular information matrix: zero information (a covariate constant
    within every risk set) or a linear dependence (smallest eigenvalue of the correlation-scaled
    matrix below ``tol``; the columns loading on its eigenvector)."""
    diag = np.diag(info)
    scale = diag.max() if len(diag) else 0.0
    zero = [j for j in range(len(diag)) if not diag[j] > 1e-14 * scale]
    if zero or scale <= 0:
        return zero or list(range(len(diag)))
    d = 1 / np.sqrt(diag)
    values, vectors = np.linalg.eigh(info * np.outer(d, d))
    if values[0] >= tol:
        return []
    return [j for j in range(len(diag)) if abs(vectors[j, 0]) > 0.05]


def _solve(info: np.ndarray, b: np.ndarray) -> np.ndarray:
    from scipy import linalg  # on first use: scipy.linalg costs ~0.2 s to import

    try:
        return linalg.cho_solve(linalg.cho_factor(info), b)
    except linalg.LinAlgError:
        return np.linalg.pinv(info) @ b


def _inverse(info: np.ndarray) -> np.ndarray:
    return _solve(info, np.eye(len(info)))


@dataclass(frozen=True)
class Fit:
    """Result of :func:`newton`."""

    beta: np.ndarray
    var: np.ndarray
    u: np.ndarray
    loglik_null: float
    loglik: float
    score_test: float
    iterations: int
    converged: bool


def newton(data: CoxData, eps: float = 1e-9, iter_max: int = 20) -> Fit:
    """Maximise the partial likelihood exactly as ``survival:::coxfit6`` iterates (see module doc).

    Raises :class:`SingularDesign` when the information at 0 is singular (R would set the
    coefficients involved to NA).
    """
    p = data.x.shape[1]
    beta = np.zeros(p)
    lk0, u, info = loglik_score_info(data, beta)
    bad = singular_columns(info)
    if bad:
        raise SingularDesign(bad)
    step = _solve(info, u)
    score_test = float(u @ step)
    best = lk0
    newbeta = beta + step
    halving = 0
    for it in range(1, iter_max + 1):
        newlk, u, info = loglik_score_info(data, newbeta)
        finite = np.isfinite(newlk) and np.all(np.isfinite(u)) and np.all(np.isfinite(info))
        if finite and abs(1 - best / newlk) <= eps:
            return Fit(newbeta, _inverse(info), u, lk0, newlk, score_test, it, True)
        if not finite or newlk < best:
            halving += 1
            newbeta = (newbeta + halving * beta) / (halving + 1.0)
        else:
            halving = 0
            best = newlk
            step = _solve(info, u)
            beta, newbeta = newbeta, newbeta + step
    lk, u, info = loglik_score_info(data, beta)
    return Fit(beta, _inverse(info), u, lk0, lk, score_test, iter_max, False)


def score_residuals(data: CoxData, beta: np.ndarray) -> np.ndarray:
    """Score residuals (n, p) in the sorted order, as ``residuals(fit, type = "score")``.

    L_i = delta_i (x_i - mean of the tied means) - r_i sum_{t_k <= t_i} sum_j h_j c_ij (x_i - mean_j)
    with h_j = 1 / den_j and c_ij = 1 - f_j for a death at t_k (Efron), 1 otherwise.
    """
    r = np.exp(data.x @ beta)
    out = np.zeros_like(data.x)
    for st in data.strata:
        if len(st.dead) == 0:
            continue
        s = _sums(st, r[st.rows], data.x[st.rows])
        h = 1.0 / s.den
        m = (s.a[st.dead_k] - st.frac[:, None] * s.ad[st.dead_k]) * h[:, None]
        h2 = h * (1 - st.frac)
        n_k = len(st.n_dead)
        h1_k = np.bincount(st.dead_k, weights=h, minlength=n_k)
        h2_k = np.bincount(st.dead_k, weights=h2, minlength=n_k)
        hm1_k = np.add.reduceat(m * h[:, None], st.dead_starts, axis=0)
        hm2_k = np.add.reduceat(m * h2[:, None], st.dead_starts, axis=0)
        mbar_k = np.add.reduceat(m, st.dead_starts, axis=0) / st.n_dead[:, None]
        idx = st.row_k + 1
        ch1 = np.concatenate([[0.0], np.cumsum(h1_k)])[idx]
        chm1 = np.concatenate([np.zeros((1, m.shape[1])), np.cumsum(hm1_k, axis=0)])[idx]
        res = -s.r[:, None] * (s.x * ch1[:, None] - chm1)
        k = st.dead_k
        xd = s.x[st.dead]
        own = (xd * h1_k[k][:, None] - hm1_k[k]) - (xd * h2_k[k][:, None] - hm2_k[k])
        res[st.dead] += xd - mbar_k[k] + s.r[st.dead][:, None] * own
        out[st.rows] = res
    return out


def collapse(resid: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum rows of ``resid`` within clusters (R's ``rowsum``)."""
    return np.column_stack(
        [np.bincount(cluster, weights=resid[:, j], minlength=n_clusters) for j in range(resid.shape[1])]
    )


def robust_variance(
    data: CoxData, fit: Fit, cluster: np.ndarray, n_clusters: int
) -> tuple[np.ndarray, float]:
    """Sandwich variance D'D (D = cluster sums of dfbeta = score residuals x naive variance), as
    ``coxph(robust = TRUE)``, and the robust score test at beta = 0 (``summary(fit)$robscore``)."""
    dfbeta = collapse(score_residuals(data, fit.beta) @ fit.var, cluster, n_clusters)
    var = dfbeta.T @ dfbeta
    resid0 = collapse(score_residuals(data, np.zeros_like(fit.beta)), cluster, n_clusters)
    u0 = resid0.sum(axis=0)
    rscore = float(u0 @ _solve(resid0.T @ resid0, u0))
    return var, rscore


def zph_pieces(data: CoxData, beta: np.ndarray, g_by_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Time-weighted score and the full 2p x 2p information of ``cox.zph`` (survival >= 3.0).

    ``g_by_row`` is the centred transformed time of each sorted row; each event time takes the
    value of its rows. Returns ``(u_time, imat)`` with u_time = sum_k g_k U_k at the fitted beta.
    """
    r = np.exp(data.x @ beta)
    p = data.x.shape[1]
    u2 = np.zeros(p)
    imat = np.zeros((2 * p, 2 * p))
    for st in data.strata:
        if len(st.dead) == 0:
            continue
        s = _sums(st, r[st.rows], data.x[st.rows])
        g = g_by_row[st.rows][st.dead][st.dead_starts]
        u2 += _score(st, s, g)
        i11, i12, i22 = (_information(st, s, w) for w in (None, g, g * g))
        imat[:p, :p] += i11
        imat[:p, p:] += i12
        imat[p:, :p] += i12.T
        imat[p:, p:] += i22
    return u2, imat


def monotone_directions(data: CoxData) -> np.ndarray:
    """Sign of divergence of each coefficient (0 finite, +-1, NaN either) by the exact LP check of
    :mod:`cartsie._monotone`; the risk sets are those of each stratum at its event times."""
    n = data.x.shape[0]
    last_set = np.full(n, -1, dtype=np.int64)
    events, event_set, block_start = [], [], []
    offset = 0
    for st in data.strata:
        rows = np.arange(n)[st.rows]
        k = len(st.event_times)
        last_set[rows] = np.where(st.row_k >= 0, st.row_k + offset, -1)
        events.append(rows[st.dead])
        event_set.append(st.dead_k + offset)
        block_start.append(np.arange(k) == 0)
        offset += k
    return _monotone.directions(
        data.x,
        last_set,
        np.concatenate(events),
        np.concatenate(event_set),
        np.concatenate(block_start) if block_start else np.zeros(0, dtype=bool),
    )
