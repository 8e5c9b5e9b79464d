"""Calibration of a simulation model to published targets by simulation-based estimation.

:func:`fit` chooses the parameters of a simulator so that the means of its estimates over a fixed set
of seeds come as close as possible to target values, each distance standardised by the simulation's
standard deviation -- the simulated method of moments (McFadden 1989; Pakes and Pollard 1989), with
an identity-like diagonal weight (Gourieroux and Monfort 1996, ch. 2). The optimiser is
derivative-free -- SciPy's Nelder-Mead or Powell, or a trust-region Gauss-Newton on the vector of
weighted z (``method="least-squares"``, SciPy's ``least_squares``) whose Jacobian is taken by forward
differences one parameter step wide -- because the simulated estimates are step functions of the
parameters (a patient's event crosses a threshold): no analytic gradient exists, and a
finite-difference one is only meaningful over steps wide enough to average many patients' events.
The Gauss-Newton pays one evaluation per parameter for each Jacobian, and with ten or more
parameters reaches a minimum in a fraction of the simplex's evaluations (Dennis and Schnabel 1996,
ch. 10).

**Common random numbers.** Every evaluation simulates the same seeds, so two parameter values are
compared on the same random draws: the difference between their objectives is the effect of the
parameters, not of the draws (Glasserman 2004, sec. 4.2), and the objective is a deterministic
function the optimiser can search. The price is that the fit is to these seeds: an independent set
of seeds (``benchmarks/calibrate_synthetic.py``) is the honest check of the result.

**The objective.** With ``m_k(theta)`` the mean of estimate ``k`` over the seeds where it is estimable,
``t_k`` its target and ``s_k`` its standard deviation over the seeds *at the starting point*,

    Q(theta) = sum_k w_k ((m_k(theta) - t_k) / s_k)^2.

``s_k`` is held fixed through the fit: were it recomputed at each ``theta``, the optimiser could lower
``Q`` by inflating the simulation's variance instead of moving its mean. Targets whose ``s_k`` is zero
or undefined (a count fixed by construction, an estimate with fewer than two estimable seeds at the
start) carry no information on the scale of the simulation and are left out of ``Q``, with the reason.
A seed where an estimate is missing or not finite (not estimable: separation, an empty group, a
median not reached) is left out of that estimate's mean and counted (``n_excluded``); a target with no
estimable seed at some ``theta`` adds ``missing_penalty`` to ``Q`` there.

This module is general: it knows nothing of CART-SIE (:mod:`cartsie.study.fit` applies it to the
built-in synthetic cohort).

References
----------
McFadden D (1989). A method of simulated moments for estimation of discrete response models without
numerical integration. Econometrica 57:995-1026.
Pakes A, Pollard D (1989). Simulation and the asymptotics of optimization estimators. Econometrica
57:1027-1057.
Gourieroux C, Monfort A (1996). Simulation-Based Econometric Methods. Oxford University Press.
Glasserman P (2004). Monte Carlo Methods in Financial Engineering. Springer (common random numbers).
Nelder JA, Mead R (1965). A simplex method for function minimization. Comput J 7:308-313.
Dennis JE, Schnabel RB (1996). Numerical Methods for Unconstrained Optimization and Nonlinear
Equations. SIAM.
Powell MJD (1964). An efficient method for finding the minimum of a function of several variables
without calculating derivatives. Comput J 7:155-162.
"""

from __future__ import annotations

from cartsie.calibration._fit import METHODS, fit
from cartsie.calibration._result import TABLE_COLUMNS, FitResult
from cartsie.calibration._seeds import simulate_seeds, summarise_seeds

__all__ = ["METHODS", "TABLE_COLUMNS", "FitResult", "fit", "simulate_seeds", "summarise_seeds"]
