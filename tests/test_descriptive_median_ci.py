"""median_ci: the median's exact (binomial) CI vs DescTools' definition (tests/reference/median_ci.R)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cartsie.descriptive import MedianCI, median_ci
from cartsie.errors import InputError
from tests.reference.tolerances import assert_estimates, load, r_array

REF = load("median_ci")
SAMPLES = {name: r_array(values) for name, values in REF["samples"].items()}


@pytest.mark.parametrize("case", REF["cases"], ids=lambda c: f"{c['sample']}-{c['conf_level']}")
def test_median_ci_as_desctools(case):
    res = median_ci(SAMPLES[case["sample"]], conf_level=case["conf_level"])
    assert_estimates(
        [res.median, res.ci_lower, res.ci_upper, res.coverage],
        [case["median"], case["lower"], case["upper"], case["coverage"]],
        what=f"{case['sample']} at {case['conf_level']}",
    )
    assert (res.n, res.k, res.n_missing) == (case["n"], case["k"], case["n_missing"])
    assert res.conf_level == case["conf_level"]


def test_fixture_covers_the_cases_asked_for():
    cases = REF["cases"]
    assert {c["n"] for c in cases} >= {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
    assert {c["conf_level"] for c in cases} >= {0.9, 0.95, 0.99}
    assert any(c["n_missing"] for c in cases) and any(c["k"] == 0 for c in cases)
    assert any(len(set(SAMPLES[c["sample"]])) < c["n"] for c in cases)  # ties


@pytest.mark.parametrize("n", [9, 10, 25, 100, 389, 1001])
@pytest.mark.parametrize("conf", [0.8, 0.9, 0.95, 0.99])
def test_limits_are_order_statistics_with_the_binomial_coverage(n, conf):
    x = np.random.default_rng(n).normal(size=n)
    res = median_ci(x, conf)
    xs = np.sort(x)
    k = res.k
    assert 1 <= k <= n // 2 and res.ci_lower == xs[k - 1] and res.ci_upper == xs[n - k]
    # k is the smallest rank with P(X <= k) >= (1 - conf) / 2: the next narrower interval falls short
    assert stats.binom.cdf(k, n, 0.5) >= (1 - conf) / 2 > stats.binom.cdf(k - 1, n, 0.5)
    assert res.coverage >= conf > 1 - 2 * stats.binom.cdf(k, n, 0.5)
    assert res.median == np.median(x) and res.ci_lower <= res.median <= res.ci_upper


def test_small_samples_whole_range_then_infinite():
    x = [5.0, 1.0, 4.0, 2.0, 3.0, 9.0]  # n = 6 at 95%: k = 1, the whole range
    res = median_ci(x)
    assert (res.k, res.ci_lower, res.ci_upper) == (1, 1.0, 9.0)
    assert res.coverage == pytest.approx(1 - 2 / 64)
    five = median_ci(x[:5])  # n = 5 at 95%: no interval inside the sample reaches 95%
    assert five.k == 0 and (five.ci_lower, five.ci_upper) == (-math.inf, math.inf) and five.coverage == 1
    one = median_ci([7.0])
    assert (one.median, one.n, one.ci_lower, one.ci_upper) == (7.0, 1, -math.inf, math.inf)


def test_missing_values_are_dropped_and_counted():
    x = pd.Series([3.0, None, 1.0, np.nan, 2.0, 8.0, 5.0, 6.0, 4.0, 7.0, 9.0])
    res = median_ci(x)
    full = median_ci(x.dropna().to_numpy())
    assert (res.n, res.n_missing) == (9, 2)
    assert (res.median, res.ci_lower, res.ci_upper) == (full.median, full.ci_lower, full.ci_upper)
    ints = median_ci(pd.Series([4, pd.NA, 1, 3, 2, 9, 8, 7, 6, 5], dtype="Int64"))
    assert (ints.n, ints.n_missing, ints.median) == (9, 1, 5.0)
    assert median_ci([1, None, 3]).n_missing == 1


def test_result_protocol():
    res = median_ci(np.arange(1.0, 21.0), conf_level=0.9)
    assert isinstance(res, MedianCI)
    assert list(res.summary.columns) == ["median", "ci_lower", "ci_upper", "n", "conf_level", "coverage"]
    tidy = res.tidy()
    assert tidy.loc[0, ["term", "estimate", "ci_lower", "ci_upper"]].tolist() == [
        "median",
        10.5,
        res.ci_lower,
        res.ci_upper,
    ]
    assert res.glance().loc[0, "n"] == 20 and "Median" in repr(res) and len(repr(res)) < 2000


@pytest.mark.parametrize(
    ("x", "kwargs", "message"),
    [
        ([], {}, "no value to take the median of"),
        ([np.nan, None], {}, r"no value to take the median of \(2 missing"),
        (["a", 1.0], {}, "x must hold numbers"),
        ([1.0, np.inf], {}, "infinite"),
        ([[1.0, 2.0], [3.0, 4.0]], {}, "one sample"),
        (pd.DataFrame({"a": [1.0]}), {}, "not a DataFrame"),
        ([1.0, 2.0], {"conf_level": 95}, "conf_level must be a number between 0 and 1"),
        ([1.0, 2.0], {"conf_level": 1.0}, "conf_level"),
    ],
)
def test_bad_input(x, kwargs, message):
    with pytest.raises(InputError, match=message):
        median_ci(x, **kwargs)


def test_docstring_example_runs():
    import doctest

    from cartsie.descriptive import _median_ci

    result = doctest.testmod(_median_ci, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
