"""Monotone likelihood of Cox and Fine-Gray models, detected exactly by linear programming.

A (pseudo-)partial likelihood ``l(b) = sum_events [x_i' b - log sum_{j in R_i} v_ij exp(x_j' b)]``
(positive weights ``v``, Cox's or Fine-Gray's risk sets ``R_i``, any treatment of ties) has no finite
maximum exactly when a direction ``d != 0`` exists along which every event's term is non-decreasing
(Bryson & Johnson 1981; Heinze & Schemper 2001): the event has the largest ``x' d`` of its risk set,

    x_i' d >= x_j' d   for every event i and every j in R_i,

with at least one strict inequality (otherwise ``d`` leaves the likelihood unchanged: a singular
design, rejected before). Then ``l(b + s d)`` increases towards its supremum as ``s -> inf`` and the
coefficients that are non-zero in such a direction are infinite; the others have finite limits. With
tied events the condition forces their ``x' d`` to be equal (Breslow's and Efron's terms alike).

The pairwise condition has one inequality per (event, member of its risk set) pair. Because the risk
sets of one stratum are nested (``R_1 >= R_2 >= ...`` over the event times), one variable per risk set
``m_k`` (the largest ``x' d`` in it) turns it into O(n) inequalities:

    x_j' d <= m_{k(j)}      each row j in some risk set, k(j) the last risk set holding j;
    m_{k+1} <= m_k          consecutive risk sets of a stratum;
    m_k <= x_i' d           each event i of risk set k.

:func:`directions` first maximises the total slack of these inequalities (positive exactly when the
likelihood is monotone), and then, only in that case, the smallest and largest ``d_j`` of each term
in the box ``|d| <= 1``, as the separation check of :func:`cartsie.binary.logistic` (Konis 2007).

On large data sets (rows + events above ``RELAXATION_FROM`` per program) a smaller problem is tried
first (:func:`_certified_finite`): the same inequalities for a few thousand rows and events only.
Leaving inequalities out can only enlarge the cone of directions ``d``, so when even that relaxation
admits no ``d != 0`` (every ``d_j`` is 0 at its smallest and largest in the box) neither does the full
problem, and the likelihood has a finite maximum. Otherwise -- a monotone likelihood, or a relaxation
too loose -- the full problem decides. With one covariate no program is needed
(:func:`_one_covariate`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

# scipy.optimize and scipy.sparse are imported by the functions below, on first use (~0.4 s)


def _solve(c: np.ndarray, a_ub: sparse.csr_matrix, bounds: list) -> np.ndarray | None:
    from scipy import optimize

    res = optimize.linprog(c, A_ub=a_ub, b_ub=np.zeros(a_ub.shape[0]), bounds=bounds, method="highs")
    return res.x if res.status == 0 else None


def _constraints(
    x: np.ndarray, last_set: np.ndarray, events: np.ndarray, event_set: np.ndarray, block_start: np.ndarray
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Inequalities ``A z <= 0`` in ``z = (d, m)`` and the objective (total slack) to maximise."""
    from scipy import sparse

    p = x.shape[1]
    k = len(block_start)
    rows = np.flatnonzero(last_set >= 0)
    ident = sparse.identity(k, format="csr")
    # x_j' d - m_{k(j)} <= 0
    a_rows = sparse.hstack([sparse.csr_matrix(x[rows]), -ident[last_set[rows]]])
    # m_{k+1} - m_k <= 0 within a stratum
    nxt = np.flatnonzero(~block_start[1:]) + 1
    a_chain = sparse.hstack([sparse.csr_matrix((len(nxt), p)), ident[nxt] - ident[nxt - 1]])
    # m_k - x_i' d <= 0
    a_events = sparse.hstack([sparse.csr_matrix(-x[events]), ident[event_set]])
    a_ub = sparse.vstack([a_rows, a_chain, a_events]).tocsr()
    slack = -np.asarray(a_rows.sum(axis=0)).ravel() - np.asarray(a_chain.sum(axis=0)).ravel()
    return a_ub, slack


#: rows and events (each) at most in the relaxation tried first by :func:`_certified_finite`
RELAXATION_SIZE = 300

#: the relaxation's p + 1 small programs are tried only when rows + events exceed this many per
#: program: below it the one full program is faster (HiGHS, measured: ~15 us a row for the full
#: program against ~8 ms a relaxed program; with 7 covariates the full program wins up to ~3,000 rows)
RELAXATION_FROM = 500


def _spread(idx: np.ndarray, size: int) -> np.ndarray:
    """At most ``size`` entries of ``idx``, evenly spaced (deterministic)."""
    if len(idx) <= size:
        return idx
    return idx[np.unique(np.linspace(0, len(idx) - 1, size).round().astype(np.int64))]


def _witnesses(x: np.ndarray, order_key: np.ndarray, pool: np.ndarray, latest: bool) -> np.ndarray:
    """For each column, the members of ``pool`` at its smallest and largest value (the one with the
    largest ``order_key`` when ``latest``, else the smallest): they bound the axis directions."""
    out = []
    key = order_key[pool] if latest else -order_key[pool]
    for j in range(x.shape[1]):
        col = x[pool, j]
        for value in (col.min(), col.max()):
            at = np.flatnonzero(col == value)
            out.append(pool[at[np.argmax(key[at])]])
    return np.array(out, dtype=np.int64)


def _certified_finite(
    x: np.ndarray,
    last_set: np.ndarray,
    events: np.ndarray,
    event_set: np.ndarray,
    block_start: np.ndarray,
    tol: float,
) -> bool:
    """True when a relaxation with at most ``RELAXATION_SIZE`` rows and events admits no direction.

    The events kept are evenly spaced plus those at each column's extremes (earliest risk set); the
    rows kept likewise (those in the most risk sets). A row's inequality is attached to the last kept
    risk set of its stratum not after its own, which the chain ``m_{k+1} <= m_k`` implies; so every
    inequality of the relaxation holds in the full problem.
    """
    rows_all = np.flatnonzero(last_set >= 0)
    pick = np.arange(len(events))
    pick = np.union1d(_spread(pick, RELAXATION_SIZE), _witnesses(x[events], event_set, pick, latest=False))
    sets = np.unique(event_set[pick])
    rows = _spread(rows_all, RELAXATION_SIZE)
    rows = np.union1d(rows, _witnesses(x, last_set, rows_all, latest=True))
    stratum = np.cumsum(block_start) - 1
    at = np.searchsorted(sets, last_set[rows], side="right") - 1
    ok = (at >= 0) & (stratum[sets[np.maximum(at, 0)]] == stratum[last_set[rows]])
    rows, at = rows[ok], at[ok]
    first = np.r_[True, stratum[sets[1:]] != stratum[sets[:-1]]]
    sub_x = np.vstack([x[rows], x[events[pick]]])
    sub_last = np.r_[at, np.full(len(pick), -1)]
    sub_events = len(rows) + np.arange(len(pick))
    a_ub, _ = _constraints(sub_x, sub_last, sub_events, np.searchsorted(sets, event_set[pick]), first)
    p = x.shape[1]
    bounds = [(-1.0, 1.0)] * p + [(None, None)] * len(sets)
    # d = 0 is the only direction when none has d_j > 0 for some j, nor sum_j d_j < 0 (p + 1 programs)
    for j in range(p + 1):
        c = np.zeros(p + len(sets))
        if j < p:
            c[j] = -1.0
        else:
            c[:p] = 1.0
        z = _solve(c, a_ub, bounds)
        if z is None or -(c @ z) > tol:
            return False
    return True


def _one_covariate(
    x: np.ndarray,
    last_set: np.ndarray,
    events: np.ndarray,
    event_set: np.ndarray,
    block_start: np.ndarray,
    tol: float,
) -> np.ndarray:
    """:func:`directions` for one covariate, without a program.

    The only directions are ``d = +1`` and ``d = -1`` (the cone is a half-line). ``d = +1`` satisfies
    the inequalities exactly when every event has the largest ``x`` of its risk set; then ``m_k`` is
    that largest value (risk set ``k`` holds the rows of its stratum whose last set is ``k`` or later:
    a suffix maximum over the sets of the stratum) and the total slack the program would maximise is
    ``sum_j (m_{k(j)} - x_j) + sum_k (m_k - m_{k+1})``, compared with the same bound ``tol * n``.
    ``d = -1`` likewise with ``-x``. Both cannot hold with a positive slack.
    """
    k = len(block_start)
    held = np.flatnonzero(last_set >= 0)
    starts = np.flatnonzero(block_start)
    ends = np.r_[starts[1:], k]
    out = 0.0
    for sign in (1.0, -1.0):
        v = sign * x
        top = np.full(k, -np.inf)
        np.maximum.at(top, last_set[held], v[held])
        for lo, hi in zip(starts, ends, strict=True):
            top[lo:hi] = np.maximum.accumulate(top[lo:hi][::-1])[::-1]
        if np.all(v[events] >= top[event_set] - tol):
            slack = np.sum(top[last_set[held]] - v[held]) + np.sum(top[starts] - top[ends - 1])
            if slack > tol * len(x):
                out = sign
    return np.array([out])


def directions(
    x: np.ndarray,
    last_set: np.ndarray,
    events: np.ndarray,
    event_set: np.ndarray,
    block_start: np.ndarray,
    tol: float = 1e-7,
) -> np.ndarray:
    """Sign of each coefficient's divergence: 0 (finite), +1, -1, or NaN (either sign possible).

    Parameters
    ----------
    x : (n, p) array
        Covariates of every row.
    last_set : (n,) int array
        Index of the last (smallest) risk set holding each row, -1 for a row in none; a row belongs to
        every risk set of its stratum from the stratum's first up to this one.
    events, event_set : int arrays
        Rows with an event and the index of the risk set at their time.
    block_start : (K,) bool array
        True where a risk set is the first of its stratum (risk sets are numbered stratum by stratum,
        in time order within each).
    tol : float
        Slack, in units of the covariates scaled to a maximum absolute value of 1, below which the
        likelihood is taken as having a finite maximum.
    """
    p = x.shape[1]
    if len(events) == 0 or p == 0:
        return np.zeros(p)
    scale = np.max(np.abs(x), axis=0)
    scale[scale == 0] = 1.0
    x = x / scale
    if p == 1:
        return _one_covariate(x[:, 0], last_set, events, event_set, block_start, tol)
    return _by_programs(x, last_set, events, event_set, block_start, tol)


def _by_programs(
    x: np.ndarray,
    last_set: np.ndarray,
    events: np.ndarray,
    event_set: np.ndarray,
    block_start: np.ndarray,
    tol: float,
) -> np.ndarray:
    """:func:`directions` by linear programs, on covariates scaled to a largest absolute value of 1."""
    p = x.shape[1]
    if len(events) + len(x) > max(2 * RELAXATION_SIZE, RELAXATION_FROM * (p + 1)) and _certified_finite(
        x, last_set, events, event_set, block_start, tol
    ):
        return np.zeros(p)
    a_ub, slack = _constraints(x, last_set, events, event_set, block_start)
    k = len(block_start)
    bounds = [(-1.0, 1.0)] * p + [(None, None)] * k
    z = _solve(-slack, a_ub, bounds)
    if z is None or slack @ z <= tol * len(x):
        return np.zeros(p)
    out = np.zeros(p)
    for j in range(p):
        e = np.zeros(p + k)
        e[j] = 1.0
        hi, lo = _solve(-e, a_ub, bounds), _solve(e, a_ub, bounds)
        up = hi is not None and hi[j] > tol
        down = lo is not None and lo[j] < -tol
        out[j] = np.nan if (up and down) else (1.0 if up else (-1.0 if down else 0.0))
    return out
