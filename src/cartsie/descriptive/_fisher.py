"""Fisher's exact test for r x c tables: exact enumeration and Monte Carlo (our own code).

Under the null of independence and with both margins fixed, a table has the multiple
hypergeometric probability

    P(x) = prod_i r_i! prod_j c_j! / (n! prod_ij x_ij!).

The two-sided p-value (R's ``fisher.test``) is the total probability of the tables that are no
more probable than the observed one: ``sum P(y) over y with P(y) <= P(x) (1 + tol)``.

Exact enumeration, r x 2 tables (2 x c ones transposed). Rows 1..r-2 are enumerated (vectorised
over the partial tables; partial tables leaving the same column totals with the same probability
are merged, and those whose completions are all counted, or none, are settled by bounds); for the
last two rows the 2 x 2 block left is hypergeometric in its corner cell ``y`` given everything
before. The hypergeometric probability is unimodal in ``y``, so the tables of that block with
probability at or below the threshold form the two tails around the mode; a vectorised bisection
finds the tail boundaries and the tails' masses come from the hypergeometric CDF. The work is the
number of partial tables, not of tables: a 3 x 2 table costs one pass over the values of one cell,
even with n = 100,000.

Exact enumeration, r x c tables with r >= c >= 3: meet in the middle. The first rows are
enumerated as above; the completions of the remaining rows are enumerated once per distinct set of
remaining column totals (the rest of the table is symmetric in its columns), sorted by probability
with segmented cumulative sums, and each partial table adds its probability times the mass of its
completions below the threshold, found by one joint sort.

Either way the number of partial tables is capped (``max_states``); above it the caller falls back
to Monte Carlo. (R's FEXACT network algorithm, with bounds on the completions of each node, reaches
larger r x c tables exactly when given a larger workspace.)

Monte Carlo, as R's ``simulate.p.value = TRUE``: ``B`` random tables with the observed margins
(sequential hypergeometric draws, cell by cell), statistic ``-sum log x_ij!`` and
``p = (1 + #{sim <= obs / (1 + 64 eps)}) / (B + 1)``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

# scipy.stats (hypergeometric tails) and scipy.optimize (Brent) are imported on first use (~0.5 s)

#: R's fisher.test for a 2 x 2 table: relErr = 1 + 1e-7 (relative, on the probability)
LOG_TOL_2X2 = float(np.log1p(1e-7))
#: FEXACT (R's fisher.test for larger tables): tol = 3.45254e-7, added to the log probability
LOG_TOL_RXC = 3.45254e-7


class TooManyTables(Exception):
    """The exact enumeration would need more partial tables than allowed."""


def _lfact(x):
    return special.gammaln(np.asarray(x, dtype=float) + 1.0)


def log_prob(table: np.ndarray) -> float:
    """Log hypergeometric probability of ``table`` given its margins."""
    t = np.asarray(table, dtype=float)
    n = t.sum()
    return float(_lfact(t.sum(axis=1)).sum() + _lfact(t.sum(axis=0)).sum() - _lfact(n) - _lfact(t).sum())


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ragged expansion: state index and value for every integer in [lo_s, hi_s] of each state."""
    counts = np.maximum(hi - lo + 1, 0)
    idx = np.repeat(np.arange(len(lo)), counts)
    starts = np.cumsum(counts) - counts
    value = lo[idx] + (np.arange(idx.size) - starts[idx])
    return idx, value


def _check_size(size: int, max_states: int) -> None:
    if size > max_states:
        raise TooManyTables(size)


def _fill_row(cols, w, mult, row_total: int, ncell: int, max_states: int, tag=None):
    """Enumerate the first ``ncell`` cells of a row of total ``row_total`` for every state.

    ``cols`` (states x c) holds the remaining column totals, ``w`` the accumulated ``-sum log x!``,
    ``mult`` how many partial tables each state stands for. Returns the expanded states and the
    remaining row total per state (and ``tag``, an integer label per state, carried along when
    given). When ``ncell == c`` the last cell is forced (row total left).
    """
    tag = np.zeros(len(w), dtype=np.int64) if tag is None else tag
    c = cols.shape[1]
    rem = np.full(len(w), row_total, dtype=np.int64)
    free = min(ncell, c - 1)
    for j in range(free):
        after = cols[:, j + 1 :].sum(axis=1)
        lo = np.maximum(0, rem - after)
        hi = np.minimum(cols[:, j], rem)
        _check_size(int(np.maximum(hi - lo + 1, 0).sum()), max_states)
        idx, v = _expand(lo, hi)
        cols, w, mult, rem, tag = cols[idx].copy(), w[idx] - _lfact(v), mult[idx], rem[idx] - v, tag[idx]
        cols[:, j] -= v
    if ncell == c:  # the last cell takes what is left of the row
        ok = rem <= cols[:, c - 1]
        cols, w, mult, rem, tag = cols[ok], w[ok], mult[ok], rem[ok], tag[ok]
        w = w - _lfact(rem)
        cols[:, c - 1] -= rem
        rem = np.zeros_like(rem)
    return cols, w, mult, rem, tag


def _merge(cols: np.ndarray, w: np.ndarray, mult: np.ndarray):
    """Merge the partial tables whose completions are the same problem: equal remaining column
    totals up to order (the rest of the table is symmetric in its columns) and equal ``w`` (to
    1e-9, e.g. permutations of the same cells); their multiplicities add up."""
    if len(w) == 0:
        return cols, w, mult
    cols = np.sort(cols, axis=1)
    wkey = np.round(w * 1e9).astype(np.int64)
    order = np.lexsort([wkey, *cols.T[::-1]])
    keys = np.column_stack([cols[order], wkey[order]])
    start = np.r_[True, np.any(keys[1:] != keys[:-1], axis=1)]
    first = order[start]
    return cols[first], w[first], np.add.reduceat(mult[order], np.flatnonzero(start))


def _hyper_logpmf(y, good, bad, draws):
    return (
        special.gammaln(good + 1.0)
        - special.gammaln(y + 1.0)
        - special.gammaln(good - y + 1.0)
        + special.gammaln(bad + 1.0)
        - special.gammaln(draws - y + 1.0)
        - special.gammaln(bad - draws + y + 1.0)
        - special.gammaln(good + bad + 1.0)
        + special.gammaln(draws + 1.0)
        + special.gammaln(good + bad - draws + 1.0)
    )


def two_by_two_p(t: np.ndarray, alternative: str = "two-sided") -> float:
    """Fisher's exact p of a 2 x 2 table from the hypergeometric law of ``t[0, 0]`` given the margins.

    As R's ``fisher.test`` (and scipy's ``fisher_exact``): two-sided, the mass of the tables no more
    probable than the observed one, with R's relative tolerance ``1 + 1e-7``; "less" P(X <= x),
    "greater" P(X >= x). Written out because importing scipy.stats costs ~0.5 s.
    """
    x = int(t[0, 0])
    good, bad, draws = int(t[0].sum()), int(t[1].sum()), int(t[:, 0].sum())
    lo, hi = max(0, draws - bad), min(good, draws)
    y = np.arange(lo, hi + 1, dtype=float)
    logd = _hyper_logpmf(y, good, bad, draws)
    d = np.exp(logd - logd.max())
    if alternative == "less":
        p = d[y <= x].sum() / d.sum()
    elif alternative == "greater":
        p = d[y >= x].sum() / d.sum()
    else:
        p = d[d <= d[x - lo] * (1 + 1e-7)].sum() / d.sum()
    return float(min(1.0, p))


def _bisect(lo, hi, good, bad, draws, t, rising: bool):
    """On [lo, hi] where the pmf is monotone (rising or falling), the boundary of {pmf <= t}:
    the largest y with pmf(y) <= t when rising, the smallest when falling (lo - 1 / hi + 1 if none)."""
    lo = lo.astype(float)
    hi = hi.astype(float)
    if rising:
        a, b = lo - 1, hi  # invariant: pmf(a) <= t (a may be lo - 1), pmf(b + 1) > t
        while np.any(b > a):
            mid = np.ceil((a + b) / 2)
            ok = _hyper_logpmf(np.clip(mid, lo, hi), good, bad, draws) <= t
            a = np.where((b > a) & ok, mid, a)
            b = np.where((b > a) & ~ok, mid - 1, b)
        return a
    a, b = lo, hi + 1  # invariant: pmf(a - 1) > t, pmf(b) <= t (b may be hi + 1)
    while np.any(b > a):
        mid = np.floor((a + b) / 2)
        ok = _hyper_logpmf(np.clip(mid, lo, hi), good, bad, draws) <= t
        b = np.where((b > a) & ok, mid, b)
        a = np.where((b > a) & ~ok, mid + 1, a)
    return b


def hypergeom_tail_mass(good, bad, draws, t) -> np.ndarray:
    """Mass of {y : log pmf(y) <= t} for y ~ Hypergeometric(good, bad, draws), vectorised."""
    cdf, sf = _hypergeom_tails()
    good, bad, draws, t = (np.asarray(a, dtype=float) for a in (good, bad, draws, t))
    lo = np.maximum(0, draws - bad)
    hi = np.minimum(good, draws)
    mode = np.floor((draws + 1) * (good + 1) / (good + bad + 2))
    mode = np.clip(mode, lo, hi)
    everything = _hyper_logpmf(mode, good, bad, draws) <= t
    left = _bisect(lo, mode - 1, good, bad, draws, t, rising=True)
    right = _bisect(mode + 1, hi, good, bad, draws, t, rising=False)
    mass = np.where(everything, 1.0, 0.0)
    has_left = ~everything & (left >= lo)
    has_right = ~everything & (right <= hi)
    m = good + bad
    mass[has_left] += cdf(left[has_left], m[has_left], good[has_left], draws[has_left])
    mass[has_right] += sf(right[has_right] - 1, m[has_right], good[has_right], draws[has_right])
    return np.minimum(mass, 1.0)


def _hypergeom_tails():
    """The hypergeometric cdf and sf as ``f(k, M, n, N)`` (k inside the support).

    scipy.stats.hypergeom's ``_cdf``/``_sf`` are Boost's, exposed in ``scipy.special._ufuncs``; they
    are called directly because importing scipy.stats costs ~0.5 s, and scipy.stats is the fallback
    where a scipy version lacks them.
    """
    try:
        from scipy.special._ufuncs import _hypergeom_cdf, _hypergeom_sf
    except ImportError:  # pragma: no cover - other scipy versions
        from scipy import stats

        return stats.hypergeom.cdf, stats.hypergeom.sf
    return (lambda k, M, n, N: _hypergeom_cdf(k, n, N, M)), (lambda k, M, n, N: _hypergeom_sf(k, n, N, M))


def _sum_tails(log_mass, mult, u, v, a, threshold, settled: float, chunk: int = 4096) -> float:
    """``settled + sum exp(log_mass) * tail`` over the partial tables, largest masses first,
    stopping once the mass left (an upper bound of what it could add) is below 1e-15 of the sum."""
    order = np.argsort(-log_mass, kind="stable")
    mass = mult[order] * np.exp(log_mass[order])
    left_after = np.cumsum(mass[::-1])[::-1]  # mass of this partial table and all after it
    total = settled
    for start in range(0, len(order), chunk):
        sel = order[start : start + chunk]
        tail = hypergeom_tail_mass(u[sel], v[sel], a[sel], threshold - log_mass[sel])
        total += float(np.sum(mass[start : start + chunk] * tail))
        end = start + chunk
        if end < len(order) and left_after[end] <= 1e-15 * total:
            break
    return total


def _even_split(total: np.ndarray, parts: int) -> np.ndarray:
    """max of -sum log x_k! over splits of ``total`` into ``parts`` non-negative integers."""
    q, rmd = np.divmod(np.asarray(total, dtype=np.int64), parts)
    return -(rmd * _lfact(q + 1) + (parts - rmd) * _lfact(q))


def _min_completion(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Lower bound of -sum log x! over the completions: a row (or column) total in one cell."""
    return np.maximum(-float(_lfact(rows).sum()), -_lfact(cols).sum(axis=1))


def _max_completion(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Upper bound of -sum log x! over the completions with row totals ``rows`` and remaining
    column totals ``cols`` (states x c): each row (or each column) split evenly on its own."""
    by_rows = float(_even_split(rows, cols.shape[1]).sum())
    by_cols = _even_split(cols, len(rows)).sum(axis=1)
    return np.minimum(by_rows, by_cols)


def _orient(table: np.ndarray) -> np.ndarray:
    """Fewer columns than rows (two columns for r x 2 and 2 x c tables), rows ascending by total."""
    t = table.T if table.shape[1] > table.shape[0] else table
    return t[np.argsort(t.sum(axis=1), kind="stable")]


def _compositions(total, parts: int) -> float:
    """Number of ways to split ``total`` into ``parts`` non-negative integers (an upper bound)."""
    return float(special.comb(np.asarray(total) + parts - 1, parts - 1))


def _split(rows: np.ndarray, c: int) -> int:
    """Rows enumerated before the meeting point: balances the partial tables of the first rows
    against the completions of the last ones (per distinct remaining column totals)."""
    best_k, best = 1, np.inf
    for k in range(1, len(rows)):
        past = float(np.prod([_compositions(ri, c) for ri in rows[:k]]))
        nodes = min(past, _compositions(rows[:k].sum(), c))
        future = nodes * float(np.prod([_compositions(ri, c) for ri in rows[k:-1]]))
        if max(past, future) < best:
            best_k, best = k, max(past, future)
    return best_k


def _segmented_cumsum(x: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at each segment (``start``: index of each element's segment
    start), by doubling steps (Hillis-Steele): no running total carried across segments, so small
    masses are not lost next to the totals of earlier segments."""
    out = x.astype(float).copy()
    pos = np.arange(len(x))
    d = 1
    while d < len(x):
        ok = pos - d >= start
        new = out.copy()
        new[ok] += out[pos[ok] - d]
        out = new
        d *= 2
    return out


def _meet(t: np.ndarray, log_tol: float, max_states: int) -> float:
    """Exact p-value of an r x c table (r >= c >= 3) by meeting in the middle.

    The first k rows are enumerated (partial tables merged when equivalent); the completions of the
    other rows are enumerated once per distinct set of remaining column totals (the node; the rest
    of the table is symmetric in its columns). For each node the completions' ``-sum log x!`` values
    are sorted with the cumulative sum of their probabilities, so that each partial table adds
    ``P(partial) * mass of its node's completions below threshold - w_partial`` by a search.
    """
    r, c = t.shape
    rows = t.sum(axis=1)
    const = float(_lfact(rows).sum() + _lfact(t.sum(axis=0)).sum() - _lfact(t.sum()))
    target = log_prob(t) + log_tol - const  # count a table when w_past + w_future <= target
    k = _split(rows, c)
    cols, w, mult = t.sum(axis=0)[None, :].astype(np.int64), np.zeros(1), np.ones(1)
    for i in range(k):
        cols, w, mult, _, _ = _fill_row(cols, w, mult, int(rows[i]), c, max_states)
        cols, w, mult = _merge(cols, w, mult)
    nodes, node_of = np.unique(cols, axis=0, return_inverse=True)
    fc, fw, fm, ftag = nodes, np.zeros(len(nodes)), np.ones(len(nodes)), np.arange(len(nodes))
    for i in range(k, r):
        fc, fw, fm, _, ftag = _fill_row(fc, fw, fm, int(rows[i]), c, max_states, ftag)
    # per node: completions sorted by w, probabilities relative to the node's most probable one
    top = np.full(len(nodes), -np.inf)
    np.maximum.at(top, ftag, fw)
    mass = fm * np.exp(fw - top[ftag])
    # one sort of completions (kind 0) and queries (kind 1) by node, value, kind: a query at value
    # q sees the completions of its node with w <= q
    node = np.r_[ftag, node_of.ravel()]
    value = np.r_[fw, target - w]
    kind = np.r_[np.zeros(len(fw)), np.ones(len(w))]
    order = np.lexsort([kind, value, node])
    node_sorted = node[order]
    first = np.r_[True, node_sorted[1:] != node_sorted[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
    below = _segmented_cumsum(np.r_[mass, np.zeros(len(w))][order], start)
    is_query = kind[order] == 1
    q = order[is_query] - len(fw)
    nq = node_of.ravel()[q]
    total = np.sum(mult[q] * np.exp(const + w[q] + top[nq]) * below[is_query])
    return float(min(1.0, total))


def exact_p(table: np.ndarray, log_tol: float, max_states: int = 2_000_000) -> float:
    """Two-sided exact p-value of an r x c table (no zero margins, r, c >= 2) by enumeration.

    Raises :class:`TooManyTables` when more than ``max_states`` partial tables would be needed.
    """
    t = _orient(np.asarray(table, dtype=np.int64))
    r, c = t.shape
    if c > 2:
        return _meet(t, log_tol, max_states)
    rows = t.sum(axis=1)
    const = float(_lfact(rows).sum() + _lfact(t.sum(axis=0)).sum() - _lfact(t.sum()))
    threshold = log_prob(t) + log_tol
    cols = t.sum(axis=0)[None, :].astype(np.int64)
    w, mult = np.zeros(1), np.ones(1)
    settled = 0.0  # mass of the partial tables whose completions are all counted
    for i in range(r - 2):
        cols, w, mult, _, _ = _fill_row(cols, w, mult, int(rows[i]), c, max_states)
        rest_rows = rows[i + 1 :]
        done = const + w + _max_completion(rest_rows, cols) <= threshold
        if done.any():
            rest = _lfact(rest_rows.sum()) - _lfact(rest_rows).sum() - _lfact(cols[done]).sum(axis=1)
            settled += float(np.sum(mult[done] * np.exp(const + w[done] + rest)))
        # drop the settled ones and those none of whose completions can be counted
        keep = ~done & (const + w + _min_completion(rest_rows, cols) <= threshold)
        cols, w, mult = _merge(cols[keep], w[keep], mult[keep])
    # row r-1: its first c-2 cells; the 2 x 2 block left is hypergeometric in its corner cell
    cols, w, mult, rem, _ = _fill_row(cols, w, mult, int(rows[r - 2]), c - 2, max_states)
    w = w - _lfact(cols[:, : c - 2]).sum(axis=1)  # row r outside the block: what its columns leave
    u, v = cols[:, c - 2].astype(float), cols[:, c - 1].astype(float)
    a = rem.astype(float)
    # cells of the 2 x 2 block: -sum log x! = log pmf(y) + log C(u + v, a) - log u! - log v!
    block_const = special.gammaln(u + v + 1) - _lfact(a) - _lfact(u + v - a) - _lfact(u) - _lfact(v)
    log_mass = const + w + block_const  # log P(partial table), summed over the block
    return float(min(1.0, _sum_tails(log_mass, mult, u, v, a, threshold, settled)))


def _random_tables(rows: np.ndarray, cols: np.ndarray, n_draws: int, rng: np.random.Generator):
    """``-sum log x!`` of ``n_draws`` random tables with margins ``rows``, ``cols``."""
    r, c = len(rows), len(cols)
    remaining = np.tile(cols.astype(np.int64), (n_draws, 1))
    stat = np.zeros(n_draws)
    for i in range(r):
        left = np.full(n_draws, int(rows[i]), dtype=np.int64)
        for j in range(c):
            if i == r - 1 or j == c - 1:
                x = (remaining[:, j] if i == r - 1 else left).copy()
            else:
                bad = remaining[:, j + 1 :].sum(axis=1)
                x = rng.hypergeometric(remaining[:, j], bad, left)
            remaining[:, j] -= x
            left = left - x
            stat -= _lfact(x)
    return stat


def simulated_p(table: np.ndarray, n_draws: int, seed: int) -> float:
    """Monte Carlo p-value as R's ``fisher.test(simulate.p.value = TRUE, B = n_draws)``."""
    t = np.asarray(table, dtype=np.int64)
    rng = np.random.default_rng(seed)
    sims = _random_tables(t.sum(axis=1), t.sum(axis=0), n_draws, rng)
    observed = -float(_lfact(t).sum())
    almost_one = 1 + 64 * np.finfo(float).eps
    return float((1 + np.sum(sims <= observed / almost_one)) / (n_draws + 1))


def _root(f, increasing: bool) -> float:
    """Root in u of a monotone function, bracketed by doubling from [-1, 1]."""
    from scipy import optimize

    a, b = -1.0, 1.0
    while f(a) > 0 if increasing else f(a) < 0:
        a *= 2
        if a < -1e4:
            return -np.inf
    while f(b) < 0 if increasing else f(b) > 0:
        b *= 2
        if b > 1e4:
            return np.inf
    return float(optimize.brentq(f, a, b, xtol=1e-13, rtol=4 * np.finfo(float).eps))


def conditional_odds_ratio(
    table: np.ndarray, conf_level: float, alternative: str = "two-sided"
) -> tuple[float, float, float]:
    """Conditional maximum-likelihood odds ratio of a 2 x 2 table and its exact CI (R's fisher.test).

    With ``x = table[0, 0]`` non-central hypergeometric given the margins, ``P_psi(x) ~
    dhyper(x) psi^x``: the estimate solves ``E_psi(X) = x``, the limits ``P_psi(X >= x) = alpha/2``
    (lower) and ``P_psi(X <= x) = alpha/2`` (upper); 0 / Inf at the ends of the support. Solved on
    the log scale ``u = log psi`` by Brent's method to 1e-13 (R's uniroot stops at ~1e-4).
    One-sided (``alternative`` "less" / "greater"), as R: the interval is ``[0, upper]`` /
    ``[lower, Inf]`` with the limit at ``alpha = 1 - conf_level``.
    """
    t = np.asarray(table, dtype=float)
    x = t[0, 0]
    m, n, k = t[:, 0].sum(), t[:, 1].sum(), t[0].sum()
    lo, hi = max(0.0, k - n), min(k, m)
    support = np.arange(lo, hi + 1)
    from scipy import stats

    logdc = stats.hypergeom.logpmf(support, m + n, m, k)

    def log_weights(u: float) -> np.ndarray:
        w = logdc + u * support
        return w - special.logsumexp(w)

    def mean_minus_x(u: float) -> float:
        return float(np.sum(support * np.exp(log_weights(u))) - x)

    alpha = (1 - conf_level) / 2 if alternative == "two-sided" else 1 - conf_level
    upper_tail = lambda u: float(special.logsumexp(log_weights(u)[support >= x]) - np.log(alpha))  # noqa: E731
    lower_tail = lambda u: float(special.logsumexp(log_weights(u)[support <= x]) - np.log(alpha))  # noqa: E731
    estimate = 0.0 if x == lo else (np.inf if x == hi else float(np.exp(_root(mean_minus_x, True))))
    lower = 0.0 if x == lo or alternative == "less" else float(np.exp(_root(upper_tail, True)))
    upper = np.inf if x == hi or alternative == "greater" else float(np.exp(_root(lower_tail, False)))
    return estimate, lower, upper
