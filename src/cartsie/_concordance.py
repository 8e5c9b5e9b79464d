"""Concordance of a score with right-censored survival: the engine and the result object.

Shared by :func:`cartsie.prognostic.concordance` and the ``concordance`` of a Cox model
(:class:`cartsie.survival.Cox`), so neither subpackage imports the other. Written from the
definitions of R's ``survival::concordancefit`` (survival 3.5; Therneau's "Concordance" vignette).

Pairs. A death at time t is compared with every subject still at risk after it: followed longer
than t, or censored at t (a censoring at the time of a death counts as after it). With R's
orientation (``reverse = FALSE``) the pair is concordant when the death has the smaller score,
discordant when it has the larger, tied on the score when equal; two deaths at the same time are
tied on time (``tied.y``), and those that share the score too are ``tied.xy``. Each pair is weighted
by ``w(t)`` of its death time (``timewt``): "n" 1 (Harrell), "S" ``N S(t-) / n(t)``, "S/G"
``N S(t-) / (G(t-) n(t))``, "n/G2" ``1 / G(t-)^2`` (Uno), "I" ``1 / n(t)``, with S the Kaplan-Meier
of the deaths, G that of the censorings (deaths before censorings at a tied time), both just
before t, n(t) the number at risk and N the number of subjects (all per stratum; "n" when a stratum
has fewer than 2 deaths, as R). The counts are the weighted sums; C = (concordant + tied.x / 2) /
(concordant + discordant + tied.x).

Variance: the infinitesimal jackknife of ``concordancefit``. With ``c_i, d_i, t_i`` the weighted
concordant, discordant and tied.x pairs subject i belongs to (as the death or as the comparator),
npair the total weight and ``somers = (C - D) / npair``, the influence is
``dfbeta_i = (c_i - d_i) / npair - somers (c_i + d_i + t_i) / npair`` and ``var = sum dfbeta^2 / 4``
(summed within clusters first when clustered).

Counting in O(n log n). R walks the subjects from the last time to the first, adding each to a
balanced binary tree over the ranks of the score and asking the tree, at each death, for the
weight above and below its rank. Here the same sums come from a vectorised equivalent: the walk is
laid out as one sequence (per time, from the last: the censorings, then the deaths by ascending
score, so that the deaths of its own time before a death in the walk never have a larger score),
and the sums "earlier in the sequence, with a larger rank" (and "later, with a larger rank",
weighted by the deaths' ``w(t)``) are accumulated bit by bit of the rank -- a wavelet tree: at each
bit, within the groups of items that share the higher bits, an item whose bit is 0 sees every item
of its group whose bit is 1 as larger. Each of the log2(#ranks) levels costs a few O(n) array
passes. Ties on the score and the deaths of the same time are then settled by group counts, and the
"smaller" and "equal" sums follow from the totals. The counts equal the pairwise definition
exactly (``tests/test_prognostic.py``); 1,000,000 rows take about a second
(``benchmarks/bench_prognostic.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartsie._dist import norm_ppf
from cartsie._results import Result

TIMEWTS = ("n", "S", "S/G", "n/G2", "I")
HIGHER = ("risk", "survival")
COUNT_NAMES = ("concordant", "discordant", "tied_score", "tied_time", "tied_both")


@dataclass(frozen=True, repr=False)
class Concordance(Result):
    """Concordance of a score with survival; see :func:`cartsie.prognostic.concordance`.

    ``estimate`` is the concordance (Harrell's C for ``timewt="n"``), ``std_error`` its
    infinitesimal-jackknife standard error (R's ``sqrt(var)``), ``ci_lower``/``ci_upper`` the
    Wald interval cut to [0, 1], ``counts`` the weighted pair counts (concordant, discordant,
    tied_score, tied_time, tied_both), oriented by ``higher``.

    Parameters
    ----------
    estimate : float
        The concordance (Harrell's C for ``timewt="n"``).
    std_error : float
        Its infinitesimal-jackknife standard error, as R's ``sqrt(var)``.
    ci_lower, ci_upper : float
        The Wald interval, cut to [0, 1].
    counts : Series
        Weighted pair counts: concordant, discordant, tied_score, tied_time, tied_both.
    variance : float
        The variance of ``estimate``.
    n, events : int
        Patients and events used.
    n_missing : int
        Rows dropped for a missing time, event or score.
    higher : str
        ``"risk"`` (a higher score means earlier events, R's ``reverse = TRUE``) or ``"survival"``.
    timewt : str
        The time weighting: "n" (Harrell), "S", "S/G", "n/G2" (Uno) or "I", as R's ``timewt``.
    conf_level : float
        Level of the CI.
    tau : float or None
        Pairs are compared up to this time (R's ``ymax``); None for all.
    method : str
        What is estimated, shown in reprs.
    """

    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    counts: pd.Series
    variance: float
    n: int
    events: int
    n_missing: int
    higher: str
    timewt: str
    conf_level: float = 0.95
    tau: float | None = None
    method: str = "concordance (survival::concordancefit)"

    _title = "Concordance"

    @property
    def summary(self) -> pd.DataFrame:
        """One row (``concordance``): estimate, std_error, ci_lower, ci_upper and the counts."""
        row = {
            "estimate": self.estimate,
            "std_error": self.std_error,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
            **{k: float(v) for k, v in self.counts.items()},
        }
        return pd.DataFrame([row], index=pd.Index(["concordance"], name="term"))

    def _tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": ["concordance"],
                "estimate": [self.estimate],
                "std_error": [self.std_error],
                "ci_lower": [self.ci_lower],
                "ci_upper": [self.ci_upper],
            }
        )

    def _glance(self) -> dict:
        return {
            "n": self.n,
            "events": self.events,
            "n_missing": self.n_missing,
            "higher": self.higher,
            "timewt": self.timewt,
        }


# ------------------------------------------------------------------------------------------------
# time weights
# ------------------------------------------------------------------------------------------------


def time_weights(code: np.ndarray, event: np.ndarray, n_times: int, timewt: str) -> np.ndarray:
    """The weight ``w(t)`` of each time code (0..n_times-1, ascending times), as ``concordancefit``.

    S(t-), G(t-) and n(t) as survival's ``fastkm1``: S the Kaplan-Meier of the deaths, G that of the
    censorings with the deaths at a tied time removed from its risk set first, both just before t.
    Only the weights of the death times are used.
    """
    n_at = np.bincount(code, minlength=n_times).astype(float)
    d_at = np.bincount(code, weights=event, minlength=n_times)
    if timewt == "n" or d_at.sum() < 2:
        return np.ones(n_times)
    c_at = n_at - d_at
    n_risk = np.cumsum(n_at[::-1])[::-1]
    is_event = d_at > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        s_step = np.where(is_event, (n_risk - d_at) / n_risk, 1.0)
        g_step = np.where(c_at > 0, (n_risk - d_at - c_at) / (n_risk - d_at), 1.0)
        s_before = np.concatenate([[1.0], np.cumprod(s_step)[:-1]])
        g_before = np.concatenate([[1.0], np.cumprod(g_step)[:-1]])
        total = float(len(code))
        if timewt == "S":
            return total * s_before / n_risk
        if timewt == "S/G":
            return total * s_before / (g_before * n_risk)
        if timewt == "n/G2":
            return 1 / g_before**2
        return 1 / n_risk  # "I"


# ------------------------------------------------------------------------------------------------
# counting: weight earlier / later in the walk with a larger rank, bit by bit of the rank
# ------------------------------------------------------------------------------------------------


def _greater_sums(rank: np.ndarray, late: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the items of a sequence with integer ``rank`` (>= 0):

    ``earlier[i] = #{j < i : rank_j > rank_i}`` and ``later[i] = sum_{j > i} late_j [rank_j >
    rank_i]``, and the order of the items sorted by (rank, position) -- a wavelet tree.

    Top bit first, the items are kept grouped by the bits of their rank above the current one
    (in sequence order within a group); an item whose current bit is 0 counts the earlier items of
    its group whose bit is 1 (and the later ones' weight), then each group is split stably, bit 0
    first. Every level is a few O(n) passes: O(n log(#ranks)) in all. To move fewer arrays at each
    split, the rank, the running count ``earlier`` and the item number share one int64
    (``rank | earlier | item``), and 0/1 weights share one with ``later``, when they fit.
    """
    n = len(rank)
    small = np.int32 if n < 2**31 - 1 else np.int64
    shift = max(int(n - 1).bit_length(), 1)  # bits of an item number, and of a count
    top = max(int(rank.max()).bit_length(), 1)
    packed = 2 * shift + top <= 62
    low = 2 * shift if packed else shift
    key = (rank.astype(np.int64) << low) | np.arange(n, dtype=np.int64)  # rank | (earlier) | item
    binary = bool(np.all((late == 0) | (late == 1)))
    if binary:  # later << 1 | weight
        heavy = late.astype(np.int64)
        later = None
    else:
        heavy = late.astype(np.float64)
        later = np.zeros(n)
    earlier = None if packed else np.zeros(n, dtype=small)
    pos = np.arange(n, dtype=small)
    new_group = np.empty(n, dtype=bool)
    new_group[0] = True
    for b in range(top - 1, -1, -1):
        bit = ((key >> (low + b)) & 1).astype(small)
        prefix = key >> (low + b + 1)
        np.not_equal(prefix[1:], prefix[:-1], out=new_group[1:])
        starts = np.flatnonzero(new_group)
        sizes = np.diff(np.append(starts, n))
        ends = starts + sizes - 1
        zero = 1 - bit
        ones = np.cumsum(bit, dtype=small)
        ones_excl = ones - bit
        ones_before = ones_excl - np.repeat(ones_excl[starts], sizes)  # earlier in group, bit 1
        moved_left = ones_before * zero
        if packed:
            key += moved_left.astype(np.int64) << shift
        else:
            earlier += moved_left
        w = (heavy & 1) if binary else heavy
        c = np.cumsum(w * bit)
        after = (np.repeat(c[ends], sizes) - c) * zero  # later in group, bit 1
        if binary:
            heavy += after << 1
        else:
            later += after
        # stable split of every group, bit 0 first: a 0 moves left past the 1s before it, a 1
        # moves right past the 0s after it
        zeros = np.cumsum(zero, dtype=small)
        zeros_after = np.repeat(zeros[ends], sizes) - zeros
        new_pos = pos + bit * zeros_after - moved_left
        key, heavy = _scatter(key, new_pos), _scatter(heavy, new_pos)
        if not binary:
            later = _scatter(later, new_pos)
        if not packed:
            earlier = _scatter(earlier, new_pos)
    mask = (1 << shift) - 1
    item = key & mask
    earlier = (key >> shift) & mask if packed else earlier
    later = (heavy >> 1) if binary else later
    return _scatter(earlier, item), _scatter(later, item), item


def _scatter(values: np.ndarray, positions: np.ndarray) -> np.ndarray:
    out = np.empty_like(values)
    out[positions] = values
    return out


def _exclusive_group_cumsum(values: np.ndarray, group_start: np.ndarray) -> np.ndarray:
    """Exclusive cumulative sums of ``values`` restarting at each group (contiguous groups)."""
    c = np.cumsum(values)
    c = c - values
    return c - c[group_start]


def _dense(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense ranks 0..k-1 of ``values`` (ties share one) and k."""
    order = np.argsort(values)
    v = values[order]
    step = np.empty(len(v), dtype=np.int64)
    step[0] = 0
    np.not_equal(v[1:], v[:-1], out=step[1:])
    out = np.empty(len(v), dtype=np.int64)
    out[order] = np.cumsum(step)
    return out, int(out.max()) + 1 if len(out) else 0


def _group_bounds(change: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last position of the contiguous group of each position (``change``: a group
    starts here)."""
    pos = np.arange(len(change))
    first = np.maximum.accumulate(np.where(change, pos, 0))
    last_mark = np.r_[change[1:], True]
    last = np.minimum.accumulate(np.where(last_mark, pos, len(change))[::-1])[::-1]
    return first, last


def _count_stratum(
    code: np.ndarray, event: np.ndarray, rank: np.ndarray, timewt: str, tau_code: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``concordancefit``'s counts (concordant, discordant, tied.x, tied.y, tied.xy) for one
    stratum, in R's orientation (concordant when the death has the smaller score), and of its
    influence matrix ``imat`` what the variance needs: ``concordant - discordant`` and
    ``concordant + discordant + tied.x`` per subject, in the order of the walk (returned last).
    ``code``: dense codes of the times; ``rank``: dense ranks of the score."""
    n = len(code)
    n_times, n_ranks = int(code.max()) + 1, int(rank.max()) + 1
    wt = time_weights(code, event, n_times, timewt)
    if tau_code is not None:  # R's ymax: no weight for the deaths after tau
        wt[tau_code:] = 0.0
    # the walk, from the last time: censorings, then the deaths by ascending score (the deaths of
    # a time before a death in the walk never have a larger score)
    walk = np.argsort((n_times - 1 - code) * (2 * n_ranks) + event * n_ranks + rank)
    r, d, tc = rank[walk], event[walk], code[walk]
    dead = d == 1
    w = dead.astype(float) if timewt == "n" and tau_code is None else np.where(dead, wt[tc], 0.0)
    earlier_gt, later_gt, by_rank = _greater_sums(r, w)

    pos = np.arange(n)
    # deaths of a time (contiguous, by ascending rank) and, among them, those of the same rank
    block = np.r_[True, (tc[1:] != tc[:-1]) | (d[1:] != d[:-1])]
    block_first, block_last = _group_bounds(block)
    xy_first, xy_last = _group_bounds(block | np.r_[True, r[1:] != r[:-1]])
    # the same rank, in the walk sorted by (rank, position)
    rk, ws = r[by_rank], w[by_rank]
    same_first, same_last = _group_bounds(np.r_[True, rk[1:] != rk[:-1]])
    cw = np.cumsum(ws)
    eq_before = _scatter((pos - same_first).astype(float), by_rank)  # earlier, same rank
    w_eq_after = _scatter(cw[same_last] - cw, by_rank)  # later death weight, same rank

    # as the death: compared with the subjects before its time's deaths in the walk
    comparators = block_first.astype(float)
    conc = earlier_gt.astype(float)  # the comparator has the larger score
    tied_x = eq_before - (pos - xy_first)
    disc = comparators - conc - tied_x
    # as a comparator: the deaths after it in the walk, less the others of its own time
    l_all = (w.sum() - np.cumsum(w)) - w * (block_last - pos)
    l_gt = later_gt - w * (block_last - xy_last)
    l_eq = w_eq_after - w * (xy_last - pos)
    l_lt = l_all - l_gt - l_eq  # a later death with a smaller score: concordant
    k_y = (block_last - block_first)[dead].astype(float)  # other deaths at its time
    k_xy = (xy_last - xy_first)[dead].astype(float)
    wd = w[dead]
    tied_xy = float(np.sum(wd * k_xy) / 2)
    tied_y = float(np.sum(wd * k_y) / 2) - tied_xy
    count = np.array([np.sum(w * conc), np.sum(w * disc), np.sum(w * tied_x), tied_y, tied_xy])
    difference = l_lt - l_gt + w * (conc - disc)
    total = l_all + w * comparators
    return count, difference, total, walk


def concordance_arrays(
    time: np.ndarray,
    event: np.ndarray,
    score: np.ndarray,
    *,
    higher: str = "risk",
    timewt: str = "n",
    conf_level: float = 0.95,
    strata: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
    tau: float | None = None,
    n_missing: int = 0,
    time_code: np.ndarray | None = None,
) -> Concordance:
    """:class:`Concordance` from validated arrays (times after timefix, 0/1 events, finite scores).

    ``higher="risk"`` is R's ``reverse = TRUE``: the pair is concordant when the death has the
    higher score. ``time_code`` (optional): dense codes of ``time`` in ascending order, when known.
    """
    n = len(time)
    event = np.asarray(event, dtype=np.int64)
    code = _dense(np.asarray(time, dtype=float))[0] if time_code is None else np.asarray(time_code)
    if tau is not None:
        times = np.empty(int(code.max()) + 1 if n else 0)
        times[code] = time
    rank, _ = _dense(np.asarray(score, dtype=float))
    if strata is None:
        parts = [None]
    else:
        s_codes = pd.factorize(strata, sort=True)[0]
        order = np.argsort(s_codes, kind="stable")
        parts = np.split(order, np.flatnonzero(np.diff(s_codes[order])) + 1)
    count = np.zeros(5)
    differences, totals, rows = [], [], []
    for part in parts:
        c, e, rk = (code, event, rank) if part is None else (code[part], event[part], rank[part])
        if e.sum() == 0:  # no deaths: no pairs, no influence
            continue
        local_code, _ = _dense(c) if part is not None else (c, 0)
        local_rank, _ = _dense(rk) if part is not None else (rk, 0)
        tau_code = None
        if tau is not None:  # first local time code after tau
            local_times = times if part is None else times[np.unique(c)]
            tau_code = int(np.searchsorted(local_times, tau, side="right"))
        cnt, difference, total, walk = _count_stratum(local_code, e, local_rank, timewt, tau_code)
        count += cnt
        differences.append(difference)
        totals.append(total)
        rows.append(walk if part is None else part[walk])
    npair = count[:3].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        somers = (count[0] - count[1]) / npair
        dfbeta = np.concatenate([np.zeros(0), *differences]) / npair
        dfbeta -= somers / npair * np.concatenate([np.zeros(0), *totals])
    if cluster is not None and len(dfbeta):
        subjects = np.concatenate(rows)
        dfbeta = np.bincount(pd.factorize(np.asarray(cluster)[subjects])[0], weights=dfbeta)
    variance = float(np.sum(dfbeta**2) / 4) if npair > 0 else math.nan
    estimate = float((somers + 1) / 2)
    if higher == "risk":  # R's reverse = TRUE
        estimate = 1 - estimate
        count = count[[1, 0, 2, 3, 4]]
    se = math.sqrt(variance) if np.isfinite(variance) else math.nan
    z = float(norm_ppf(1 - (1 - conf_level) / 2))
    if math.isnan(estimate) or math.isnan(se):
        lower = upper = math.nan
    else:
        lower, upper = min(1.0, max(0.0, estimate - z * se)), min(1.0, max(0.0, estimate + z * se))
    return Concordance(
        estimate=estimate,
        std_error=se,
        ci_lower=lower,
        ci_upper=upper,
        counts=pd.Series(count, index=pd.Index(COUNT_NAMES, name="pairs"), name="counts"),
        variance=variance,
        n=n,
        events=int(event.sum()),
        n_missing=n_missing,
        higher=higher,
        timewt=timewt,
        conf_level=float(conf_level),
        tau=tau,
    )
