"""The fast paths of the competing-risk engines against the direct computations they replace: the
table of counts (one hash of the times) against counting row by row, the radix-sorted time order
against a stable sort, and the small linear program that certifies a finite pseudo-likelihood
maximum against the full one of :mod:`cartsie._monotone`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartsie import _monotone
from cartsie.competing import _finegray, fine_gray
from cartsie.competing._prep import event_table
from cartsie.errors import MonotoneLikelihoodWarning
from tests._competing_ref import frame


def _random_rows(n: int, seed: int, decimals: int):
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(4.0, n), decimals)
    t[:3] = 0.0
    return t, rng.integers(0, 4, n), rng.integers(0, 3, n), rng.integers(0, 2, n)


@pytest.mark.parametrize(("decimals", "stratified"), [(0, False), (1, True), (6, True)])
def test_event_table_counts_and_risk_sets_row_by_row(decimals, stratified):
    t, code, group, stratum = _random_rows(300, decimals, decimals)
    table = event_table(t, code, 4, group, 3, stratum if stratified else None)
    strata = np.unique(stratum) if stratified else [None]
    assert len(table.stratum_start) == len(strata) + 1
    at_risk = table.at_risk
    for s, lo, hi in zip(strata, table.stratum_start[:-1], table.stratum_start[1:], strict=True):
        rows = np.ones(len(t), bool) if s is None else stratum == s
        times = table.times[lo:hi]
        np.testing.assert_array_equal(times, np.unique(t[rows]))
        for k, u in enumerate(times):
            for g in range(3):
                here = rows & (group == g)
                counts = [np.sum(here & (t == u) & (code == c)) for c in range(4)]
                np.testing.assert_array_equal(table.counts[lo + k, g], counts)
                assert at_risk[lo + k, g] == np.sum(here & (t >= u))


@pytest.mark.parametrize("n_distinct", [7, 70_000])
def test_time_order_is_the_stable_sort(n_distinct):
    """Fewer than 2**16 distinct times: radix sort of the ranks; the order is a stable sort's."""
    rng = np.random.default_rng(n_distinct)
    values = rng.normal(size=n_distinct)
    t = values[rng.integers(0, n_distinct, 90_000)]
    order, block = _finegray.time_order(t)
    np.testing.assert_array_equal(order, np.argsort(t, kind="stable"))
    np.testing.assert_array_equal(block, np.unique(t, return_inverse=True)[1][order])


def _monotone_problem(df: pd.DataFrame, covariates: list[str]):
    status = np.where(df["event"] == 0, 0, np.where(df["event"] == 1, 1, 2))
    x = df[covariates].to_numpy(dtype=float)
    data = _finegray.prepare(df["time"].to_numpy(dtype=float), status, x)
    return data


def _full_lp(data) -> np.ndarray:
    size = _monotone.RELAXATION_SIZE
    try:
        _monotone.RELAXATION_SIZE = 10**9  # never tries the relaxation
        return _finegray.monotone_directions(data)
    finally:
        _monotone.RELAXATION_SIZE = size


@pytest.mark.parametrize("size", [5, 40])
def test_relaxation_certifies_finite_fits_as_the_full_program(monkeypatch, size):
    """With a relaxation of a few rows the answer is the full program's: finite here."""
    data = _monotone_problem(frame("heavy"), ["x1", "x3"])
    monkeypatch.setattr(_monotone, "RELAXATION_SIZE", size)
    monkeypatch.setattr(_monotone, "RELAXATION_FROM", 0)  # the relaxation even on these few rows
    np.testing.assert_array_equal(_finegray.monotone_directions(data), np.zeros(2))
    np.testing.assert_array_equal(_full_lp(data), np.zeros(2))


def test_relaxation_never_hides_a_monotone_likelihood(monkeypatch):
    """A level without events of the cause: the relaxation cannot certify, the full program finds the
    direction (x3 to -inf)."""
    df = frame("heavy")
    df = df.assign(event=np.where((df["x3"] == 1) & (df["event"] == 1), 2, df["event"]))
    data = _monotone_problem(df, ["x1", "x3"])
    monkeypatch.setattr(_monotone, "RELAXATION_SIZE", 5)
    monkeypatch.setattr(_monotone, "RELAXATION_FROM", 0)
    np.testing.assert_array_equal(_finegray.monotone_directions(data), [0.0, -1.0])
    np.testing.assert_array_equal(_full_lp(data), [0.0, -1.0])


def test_large_monotone_fit_still_warns():
    """6,000 rows, where the relaxation is tried first: it cannot certify, the full program decides."""
    df = pd.concat([frame("heavy")] * 20, ignore_index=True)
    df = df.assign(event=np.where((df["x3"] == 1) & (df["event"] == 1), 2, df["event"]))
    with pytest.warns(MonotoneLikelihoodWarning, match="'x3' are infinite"):
        fit = fine_gray(df, "time", "event", ["x1", "x3"])
    assert fit.infinite_terms == ("x3",)


def test_large_finite_fit_is_certified_by_the_relaxation(monkeypatch):
    df = pd.concat([frame("heavy")] * 20, ignore_index=True)
    called = []
    full = _monotone._solve

    def spy(c, a_ub, bounds):
        called.append(a_ub.shape[0])
        return full(c, a_ub, bounds)

    monkeypatch.setattr(_monotone, "_solve", spy)
    fit = fine_gray(df, "time", "event", ["x1", "x3"])
    assert not fit.infinite_terms
    assert len(called) == 3 and max(called) < 3 * _monotone.RELAXATION_SIZE  # p + 1 small programs


def test_mid_size_fit_is_decided_by_the_one_full_program(monkeypatch):
    """Below ``RELAXATION_FROM`` rows + events per program the relaxation's p + 1 programs would cost
    more than the full one: a finite fit is decided by one program."""
    df = frame("heavy")
    called = []
    full = _monotone._solve

    def spy(c, a_ub, bounds):
        called.append(a_ub.shape[0])
        return full(c, a_ub, bounds)

    monkeypatch.setattr(_monotone, "RELAXATION_SIZE", 5)  # rows + events exceed 2 * size
    monkeypatch.setattr(_monotone, "_solve", spy)
    assert len(df) < _monotone.RELAXATION_FROM * 3
    fit = fine_gray(df, "time", "event", ["x1", "x3"])
    assert not fit.infinite_terms
    assert len(called) == 1 and called[0] > len(df)  # the full program: a row of every patient


def _one_covariate_case(seed: int) -> float:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 40))
    x = rng.integers(0, 3, size=n).astype(float) if seed % 2 else rng.normal(size=n).round(1)
    time_ = rng.integers(1, 12, size=n).astype(float)
    event = (rng.random(n) < 0.6).astype(int)
    if seed % 3 == 0:  # make it monotone: events only among the largest (or smallest) x of their time
        event = np.where(x >= np.quantile(x, 0.5), event, 0) if seed % 2 else event * (x <= np.median(x))
    df = pd.DataFrame({"t": time_, "e": event, "x": x, "s": rng.integers(0, 2, size=n)})
    if event.sum() == 0:
        event[0] = 1
    from cartsie.survival import _cox

    strata = df["s"].to_numpy() if seed % 4 == 1 else None
    data = _cox.prepare(df["t"].to_numpy(), df["e"].to_numpy(), df[["x"]].to_numpy(), strata, True)
    captured = []
    real = _monotone.directions
    _monotone.directions = lambda *a, **k: captured.append(a) or real(*a, **k)
    try:
        closed = _cox.monotone_directions(data)
    finally:
        _monotone.directions = real
    x, *rest = captured[0]
    programs = _monotone._by_programs(x / max(np.max(np.abs(x)), 1e-300), *rest, tol=1e-7)
    np.testing.assert_array_equal(closed, programs, err_msg=f"seed {seed}")
    return float(closed[0])


def test_one_covariate_without_a_program_is_the_programs_answer():
    """One covariate: the closed form of :func:`cartsie._monotone._one_covariate` gives what the
    linear programs give, on small random problems with ties and strata that are monotone (+1 or -1)
    or finite -- all three occur."""
    assert {_one_covariate_case(seed) for seed in range(60)} == {-1.0, 0.0, 1.0}
