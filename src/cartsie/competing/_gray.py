"""Gray's K-sample test for cumulative incidence (Gray 1988, Ann Stat 16:1141-54), computed as
``cmprsk::cuminc`` (Fortran ``crstm``) does, vectorised over the distinct event times.

Within one stratum, at each distinct time with an event, for group ``i`` with ``Y_i`` at risk, left
Kaplan-Meier ``S_i-`` and left cumulative incidence ``F_i-`` of the cause, and ``d1``/``d2`` events of
the cause/other causes (pooled ``nd1``/``nd2``):

- ``h_i = Y_i / S_i-``, ``tr = sum h_i``, ``tq = sum h_i (1 - F_i-)``; the pooled incidence
  ``F = F- + nd1 / tr``; weight ``W = (1 - F-)^rho``;
- score ``s_i += W (d1_i - nd1 h_i (1 - F_i-) / tq)`` for the first ``G - 1`` groups;
- ``a = W (diag(h) - h h' / tr)`` and ``c += a nd1 / (tr (1 - F-))`` (kept where ``a != 0``, as
  cmprsk 2.2-12);
- variance terms: for the cause, per group ``k`` with ``Y_k > 0``: ``t4 = 1 - (1 - F) / S_k``,
  ``t3 = t5 S_k- nd1 / (tr Y_k)`` with ``t5 = 1 - (nd1 - 1) / (tr S_k- - 1)`` for ties, then
  ``V_ij += t3 (a_ik - t4 c_ik)(a_jk - t4 c_jk)``, ``v2_ik += t3 t4 (a_ik - t4 c_ik)``,
  ``v3_k += t3 t4^2``; for the other causes, per group with ``d2_k > 0`` and ``S_k > 0``:
  ``t4 = (1 - F) / S_k``, ``t3 = t5 S_k-^2 d2_k / Y_k^2`` (``t5 = 1 - (d2_k - 1) / (Y_k - 1)``),
  ``V_ij += t3 t4^2 c_ik c_jk``, ``v2_ik -= t3 t4^2 c_ik``, ``v3_k += t3 t4^2``;
- at the end ``V_ij += sum_k (c_ik c_jk v3_k + c_ik v2_jk + c_jk v2_ik)`` with the final ``c``.

Scores and variances add over strata; the statistic is ``s' V^-1 s`` on ``G - 1`` df.
"""

from __future__ import annotations

import numpy as np

#: times processed at once in the variance, so that the (times, G, G) arrays stay ~16 MB each
CHUNK_ELEMENTS = 2_000_000


def _prefix(x: np.ndarray, first: float) -> np.ndarray:
    """Values just before each row: ``first`` then ``x`` shifted down one row."""
    return np.concatenate([np.full((1, *x.shape[1:]), first), x[:-1]], axis=0)


def _weighted_gram(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum_t sum_k w_tk x_tik x_tjk`` for x of shape (T, G, G) and w of shape (T, G)."""
    flat = x.transpose(1, 0, 2).reshape(x.shape[1], -1)
    return (flat * w.ravel()) @ flat.T


def stratum_score(at_risk: np.ndarray, d1: np.ndarray, d2: np.ndarray, rho: float):
    """Score (length G - 1) and its variance (G - 1 x G - 1) within one stratum.

    Arrays of shape (times, G), times ascending: the number at risk (time >= t) per group, events of
    the cause and events of other causes. Times without an event may be included: they change
    nothing (censorings enter only through the numbers at risk).
    """
    ng = at_risk.shape[1]
    keep = (d1 + d2).sum(axis=1) > 0
    if not keep.any():  # a stratum without events adds nothing
        return np.zeros(ng - 1), np.zeros((ng - 1, ng - 1))
    at_risk, d1, d2 = at_risk[keep], d1[keep], d2[keep]
    risk = at_risk > 0
    safe_y = np.where(risk, at_risk, 1.0)
    step = np.where(risk, (at_risk - d1 - d2) / safe_y, 1.0)
    skm = np.cumprod(step, axis=0)
    skmm = _prefix(skm, 1.0)
    f1 = np.cumsum(np.where(risk, skmm * d1 / safe_y, 0.0), axis=0)
    f1m = _prefix(f1, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(risk, at_risk / skmm, 0.0)
    tr = h.sum(axis=1)
    tq = (h * (1.0 - f1m)).sum(axis=1)
    nd1 = d1.sum(axis=1)
    f = np.cumsum(nd1 / tr)
    fm = np.r_[0.0, f[:-1]]
    wgt = (1.0 - fm) ** rho

    score = (wgt[:, None] * np.where(risk, d1 - nd1[:, None] * h * (1.0 - f1m) / tq[:, None], 0.0)).sum(
        axis=0
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        # events of the cause
        t4 = np.where(skm > 0, 1.0 - (1.0 - f)[:, None] / skm, 1.0)
        t5 = np.where(nd1[:, None] > 1, 1.0 - (nd1[:, None] - 1.0) / (tr[:, None] * skmm - 1.0), 1.0)
        t3 = np.where(risk & (nd1[:, None] > 0), t5 * skmm * nd1[:, None] / (tr[:, None] * safe_y), 0.0)
        # events of other causes
        u4 = np.where(skm > 0, (1.0 - f)[:, None] / skm, 0.0)
        u5 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (safe_y - 1.0), 1.0)
        u3 = np.where((d2 > 0) & (skm > 0), u5 * skmm**2 * d2 / safe_y**2, 0.0)
        c_step = nd1 / (tr * (1.0 - fm))
    v3 = (t3 * t4**2 + u3 * u4**2).sum(axis=0)
    v = np.zeros((ng, ng))
    v2 = np.zeros((ng, ng))
    c_end = np.zeros((ng, ng))
    chunk = max(1, CHUNK_ELEMENTS // (ng * ng))
    for lo in range(0, len(tr), chunk):
        sl = slice(lo, lo + chunk)
        a = wgt[sl, None, None] * (
            h[sl, :, None] * np.eye(ng) - h[sl, :, None] * h[sl, None, :] / tr[sl, None, None]
        )
        with np.errstate(invalid="ignore"):
            inc = np.where(a != 0, a * c_step[sl, None, None], 0.0)
        c = c_end + np.cumsum(inc, axis=0)
        c_end = c[-1]
        t1 = a - t4[sl, None, :] * c  # (time, i, k)
        u1 = u4[sl, None, :] * c
        v += _weighted_gram(t1, t3[sl]) + _weighted_gram(u1, u3[sl])
        v2 += np.einsum("tk,tik->ik", t3[sl] * t4[sl], t1) - np.einsum("tk,tik->ik", u3[sl] * u4[sl], u1)
    v = v + (c_end * v3) @ c_end.T + c_end @ v2.T + v2 @ c_end.T
    return score[: ng - 1], v[: ng - 1, : ng - 1]


def statistic(score: np.ndarray, var: np.ndarray) -> float:
    """``s' V^-1 s``; NaN when V is singular (R's cuminc reports -1 then), judged as R's ``qr``
    (rank from the pivoted QR with tolerance 1e-7)."""
    from scipy.linalg import qr

    if var.size == 0:
        return float("nan")
    r = qr(var, mode="r", pivoting=True)[0]
    diag = np.abs(np.diag(r))
    if diag[0] == 0 or np.any(diag < 1e-7 * diag[0]):
        return float("nan")
    return float(score @ np.linalg.solve(var, score))
