"""Numerical core of :func:`cartsie.binary.logistic` (our own code where no library gives R's answer).

* R's ``glm.fit`` (IRLS) for the maximum likelihood fit, as glm iterates and stops (:func:`glm_fit`).
* Newton-Raphson for the logistic log-likelihood or Firth's penalised log-likelihood
  ``l*(b) = l(b) + 1/2 log det I(b)``, with some coefficients held fixed (for profiles) and step
  halving; Firth's modified score is ``X' (y - p + h (1/2 - p))``, ``h`` the hat diagonal of
  ``W^1/2 X I^-1 X' W^1/2`` (Firth 1993; Heinze & Schemper 2002), which is the exact gradient of
  ``l*`` for the logit link.
* Exact profile-likelihood limits: roots of ``2 (l(b_hat) - max_{b_-j} l(b_j, b_-j)) = chi2_1(level)``
  bracketed by steps from the estimate and solved by Brent's method to 1e-12.
* Separation (Albert & Anderson 1984) by linear programming (Konis 2007): a direction ``d != 0``
  with ``(2 y_i - 1) x_i' d >= 0`` for every row exists exactly when the maximum likelihood
  estimate is not finite; the coefficients that are non-zero in some such direction are infinite.
  By Gordan's alternative, weights ``|y - p(b)| > 0`` whose weighted rows nearly cancel (the score at
  a finite fit) prove that no such direction exists, which settles the usual case without the LP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from cartsie._dist import chi2_ppf

# scipy.optimize (profile limits, separation LP) is imported on first use: ~0.4 s

#: R's logit link (``binomial()$linkinv``, ``$mu.eta`` in C): beyond +-30 the linear predictor is
#: clamped and the derivative is machine epsilon
_THRESH = 30.0
_EPS = float(np.finfo(float).eps)


def _linkinv(eta: np.ndarray) -> np.ndarray:
    tmp = np.where(
        eta < -_THRESH, _EPS, np.where(eta > _THRESH, 1 / _EPS, np.exp(np.clip(eta, -_THRESH, _THRESH)))
    )
    return tmp / (1 + tmp)


def _mu_eta(eta: np.ndarray) -> np.ndarray:
    e = np.exp(np.clip(eta, -_THRESH, _THRESH))
    return np.where(np.abs(eta) > _THRESH, _EPS, e / ((1 + e) * (1 + e)))


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """``sum(binomial()$dev.resids(y, mu, 1))`` for y in {0, 1}: 2 (y log(y/mu) + (1-y) log((1-y)/(1-mu)))."""
    return float(2 * np.sum(np.where(y != 0, np.log(1 / mu), np.log(1 / (1 - mu)))))


def glm_fit(x: np.ndarray, y: np.ndarray, maxit: int = 25, epsilon: float = 1e-8):
    """R's ``glm.fit`` for ``binomial(link = "logit")`` with unit weights: IRLS from ``mustart = (y +
    0.5) / 2``, stopping when ``|dev - dev_old| / (|dev| + 0.1) < epsilon`` or after ``maxit``
    iterations (``glm.control``'s defaults).

    Returns ``(beta, cov, converged, iterations)``: the last iterate, and as ``summary.glm`` the
    inverse of ``X' W X`` with the weights of the last iteration (those of the iterate before it,
    which the last weighted least-squares step used).
    """
    mu = (y + 0.5) / 2
    eta = np.log(mu / (1 - mu))
    devold = _deviance(y, mu)
    beta = np.zeros(x.shape[1])
    converged, iterations, wx = False, 0, x
    for iterations in range(1, maxit + 1):  # noqa: B007 (the count after the loop is glm's iter)
        mu_eta = _mu_eta(eta)
        z = eta + (y - mu) / mu_eta
        w = np.sqrt(mu_eta * mu_eta / (mu * (1 - mu)))
        wx = x * w[:, None]
        beta = np.linalg.lstsq(wx, z * w, rcond=None)[0]
        eta = x @ beta
        mu = _linkinv(eta)
        dev = _deviance(y, mu)
        if abs(dev - devold) / (abs(dev) + 0.1) < epsilon:
            converged = True
            break
        devold = dev
    pinv = np.linalg.pinv(wx)
    return beta, pinv @ pinv.T, converged, iterations


@dataclass
class Fit:
    beta: np.ndarray
    objective: float  # log-likelihood, or penalised log-likelihood for Firth
    converged: bool
    iterations: int


def _parts(x: np.ndarray, beta: np.ndarray):
    eta = x @ beta
    p = special.expit(eta)
    w = p * (1 - p)
    return eta, p, w


def loglik(x: np.ndarray, y: np.ndarray, beta: np.ndarray) -> float:
    eta = x @ beta
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def objective(x: np.ndarray, y: np.ndarray, beta: np.ndarray, firth: bool) -> float:
    value = loglik(x, y, beta)
    if firth:
        _, _, w = _parts(x, beta)
        sign, logdet = np.linalg.slogdet((x * w[:, None]).T @ x)
        value = value + 0.5 * logdet if sign > 0 else -np.inf
    return value


def information(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    _, _, w = _parts(x, beta)
    return (x * w[:, None]).T @ x


def _score(x, y, beta, firth: bool):
    _, p, w = _parts(x, beta)
    info = (x * w[:, None]).T @ x
    resid = y - p
    if firth:
        h = w * np.einsum("ij,ij->i", x @ np.linalg.inv(info), x)
        resid = resid + h * (0.5 - p)
    return x.T @ resid, info


def newton(
    x: np.ndarray,
    y: np.ndarray,
    start: np.ndarray,
    firth: bool,
    fixed: int | None = None,
    tol: float = 1e-11,
    max_iter: int = 200,
) -> Fit:
    """Maximise the (penalised) log-likelihood over the coefficients other than ``fixed``."""
    beta = np.array(start, dtype=float)
    free = np.array([j for j in range(x.shape[1]) if j != fixed], dtype=int)
    value = objective(x, y, beta, firth)
    for it in range(1, max_iter + 1):
        score, info = _score(x, y, beta, firth)
        try:
            step = np.linalg.solve(info[np.ix_(free, free)], score[free])
        except np.linalg.LinAlgError:
            return Fit(beta, value, False, it)
        t = 1.0
        while True:
            trial = beta.copy()
            trial[free] += t * step
            new = objective(x, y, trial, firth)
            if (np.isfinite(new) and new >= value - 1e-12 * max(1.0, abs(value))) or t < 1e-10:
                break
            t /= 2
        beta, value = trial, new
        if np.max(np.abs(t * step)) <= tol * max(1.0, float(np.max(np.abs(beta[free])))):
            return Fit(beta, value, True, it)
    return Fit(beta, value, False, max_iter)


def _side_root(f, b0: float, step: float, max_steps: int = 400) -> float:
    """Root of ``f`` (negative at ``b0``) on the side of ``step``; +-inf if none within reach."""
    from scipy import optimize

    prev = b0
    for k in range(1, max_steps + 1):
        b = b0 + k * step
        if f(b) >= 0:
            return float(
                optimize.brentq(f, min(prev, b), max(prev, b), xtol=1e-12, rtol=4 * np.finfo(float).eps)
            )
        prev = b
    return float(np.copysign(np.inf, step))


def profile_limits(
    x: np.ndarray, y: np.ndarray, beta_hat: np.ndarray, se: np.ndarray, conf_level: float, firth: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Exact profile (penalised) likelihood confidence limits of every coefficient."""
    best = objective(x, y, beta_hat, firth)
    q = chi2_ppf(conf_level, 1)
    p = x.shape[1]
    lower, upper = np.full(p, np.nan), np.full(p, np.nan)
    for j in range(p):
        for sign, out in ((-1.0, lower), (1.0, upper)):
            warm = [beta_hat.copy()]

            def f(bj, j=j, warm=warm):
                start = warm[0].copy()
                start[j] = bj
                fit = newton(x, y, start, firth, fixed=j)
                warm[0] = fit.beta
                return 2 * (best - fit.objective) - q

            out[j] = _side_root(f, float(beta_hat[j]), sign * se[j] / (2 if firth else 1))
    return lower, upper


@dataclass(frozen=True)
class Separation:
    kind: str  # "none", "complete" or "quasi-complete"
    direction: np.ndarray  # sign of each coefficient's divergence: +1, -1, 0 (finite) or nan (either)


def _lp(c, a_ub, b_ub, bounds):
    from scipy import optimize

    res = optimize.linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    return res.x if res.status == 0 else None


def _overlap_certified(a: np.ndarray, x: np.ndarray, y: np.ndarray, beta, bound: float) -> bool:
    """True when a fit ``beta`` proves the LP below would find no separating direction.

    Gordan's alternative: for any ``d`` with ``a @ d >= 0`` and weights ``lam > 0``,
    ``sum(a @ d) <= (lam @ a) @ d / min(lam) <= ||a' lam||_1 max|d_j| / min(lam)``. With
    ``lam = |y - p(beta)|``, ``a' lam`` is the score of the (scaled) design at ``beta``, nearly zero at
    a finite maximum; so when ``||a' lam||_1 / min(lam) <= bound`` the LP's optimum over the box
    ``|d_j| <= 1`` is at most ``bound``: no separation, without solving an LP with one row per patient.
    Any ``beta`` gives valid weights; one Newton step from glm's fit (which stops on the deviance)
    brings the score nearer zero when the fit alone does not certify.
    """
    if beta is None or not len(y):
        return False
    for _ in range(2):
        if not np.all(np.isfinite(beta)):
            return False
        p = special.expit(x @ beta)
        lam = np.abs(y - p)
        smallest = float(lam.min())
        if smallest > 0 and float(np.abs(lam @ a).sum()) <= bound * smallest:
            return True
        try:
            beta = beta + np.linalg.solve((x * (p * (1 - p))[:, None]).T @ x, x.T @ (y - p))
        except np.linalg.LinAlgError:
            return False
    return False


def separation(x: np.ndarray, y: np.ndarray, tol: float = 1e-7, beta=None) -> Separation:
    """Detect complete / quasi-complete separation and which coefficients are infinite.

    ``beta``, a maximum likelihood fit (glm's), lets the usual case -- no separation -- be certified
    in O(n p) instead of by linear programming (:func:`_overlap_certified`); the answer is the same.
    """
    scale = np.max(np.abs(x), axis=0)
    scale[scale == 0] = 1.0
    a = (2 * y - 1)[:, None] * (x / scale)  # rows must satisfy a @ d >= 0
    p = x.shape[1]
    # a tenth of the LP's own threshold below: a margin for the solver's tolerances
    if _overlap_certified(a, x, y, beta, 0.1 * tol * len(y)):
        return Separation("none", np.zeros(p))
    box = [(-1.0, 1.0)] * p
    d = _lp(-a.sum(axis=0), -a, np.zeros(len(y)), box)
    if d is None or -(-a.sum(axis=0) @ d) <= tol * len(y):
        return Separation("none", np.zeros(p))
    # complete separation: a @ d >= t > 0 for every row
    ext = np.hstack([-a, np.ones((len(y), 1))])
    dt = _lp(np.r_[np.zeros(p), -1.0], ext, np.zeros(len(y)), [*box, (0.0, 1.0)])
    kind = "complete" if dt is not None and dt[-1] > tol else "quasi-complete"
    direction = np.zeros(p)
    for j in range(p):
        e = np.zeros(p)
        e[j] = 1.0
        hi = _lp(-e, -a, np.zeros(len(y)), box)
        lo = _lp(e, -a, np.zeros(len(y)), box)
        up = hi is not None and hi[j] > tol
        down = lo is not None and lo[j] < -tol
        direction[j] = np.nan if (up and down) else (1.0 if up else (-1.0 if down else 0.0))
    return Separation(kind, direction)
