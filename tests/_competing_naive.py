"""A slow, literal Fine-Gray reference for the tests: the formulas of Fine & Gray (1999) with crr's
conventions, evaluated with explicit weight matrices (O(n^2) memory and time), independently of the
running sums in ``cartsie.competing._finegray``.
"""

from __future__ import annotations

import numpy as np


def censoring_km_before(t: np.ndarray, status: np.ndarray) -> np.ndarray:
    """G(t_i-) for each subject: Kaplan-Meier of the censoring times, strictly before t_i."""
    out = np.empty(len(t))
    times = np.unique(t)
    g_at = {}
    g = 1.0
    for u in times:
        at_risk = np.sum(t >= u)
        censored = np.sum((t == u) & (status == 0))
        g *= 1 - censored / at_risk
        g_at[u] = g
    for i, ti in enumerate(t):
        earlier = times[times < ti]
        out[i] = g_at[earlier[-1]] if len(earlier) else 1.0
    return out


def pieces(t: np.ndarray, status: np.ndarray, x: np.ndarray, beta: np.ndarray) -> dict:
    """Score, information and crr's sandwich meat at ``beta`` (status 0/1/2), literally."""
    n, p = x.shape
    g_minus = censoring_km_before(t, status)
    fail_times = np.unique(t[status == 1])
    w = np.exp(x @ beta)
    # weight of subject j in the risk set at each event time u (rows u, columns j)
    u = fail_times[:, None]
    g_u = np.array([g_minus[np.flatnonzero(t == v)[0]] for v in fail_times])[:, None]
    weight = np.where(t[None, :] >= u, 1.0, 0.0)
    weight += np.where((t[None, :] < u) & (status[None, :] == 2), g_u / g_minus[None, :], 0.0)
    d = np.array([np.sum((t == v) & (status == 1)) for v in fail_times])
    s0 = weight @ w
    s1 = weight @ (w[:, None] * x)
    xbar = s1 / s0[:, None]
    score = x[status == 1].sum(axis=0) - d @ xbar
    info = np.zeros((p, p))
    for f in range(len(fail_times)):
        dev = x - xbar[f]
        info += d[f] * (weight[f] * w * dev.T) @ dev / s0[f]
    loglik = float((x[status == 1] @ beta).sum() - d @ np.log(s0))
    # eta_i: score residual (dN part minus d Lambda part over every event time)
    eta = np.zeros((n, p))
    for i in range(n):
        if status[i] == 1:
            f = np.flatnonzero(fail_times == t[i])[0]
            eta[i] += x[i] - xbar[f]
        eta[i] -= ((d * weight[:, i] * w[i] / s0)[:, None] * (x[i] - xbar)).sum(axis=0)
    # psi_i: censoring martingale integral of q(u) / Y(u)
    psi = np.zeros((n, p))
    for v in np.unique(t[status == 0]):
        y = np.sum(t >= v)
        c = np.sum((t == v) & (status == 0))
        q = np.zeros(p)
        for f, uf in enumerate(fail_times):
            if uf < v:
                continue
            comp = (t < v) & (status == 2)
            q += (d[f] * g_u[f, 0] / s0[f]) * ((w[comp] / g_minus[comp])[:, None] * (x[comp] - xbar[f])).sum(
                axis=0
            )
        dm = np.where((t == v) & (status == 0), 1.0, 0.0) - np.where(t >= v, c / y, 0.0)
        psi += dm[:, None] * q[None, :] / y
    r = eta + psi
    return {"loglik": loglik, "score": score, "info": info, "meat": r.T @ r}
