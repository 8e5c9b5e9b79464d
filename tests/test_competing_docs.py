"""The numbers the module's docstring example prints are R's (tests/test_docstrings.py runs it)."""

from __future__ import annotations

import pandas as pd

from cartsie.competing import cumulative_incidence, fine_gray, gray_test
from tests._competing_ref import fixture
from tests.reference.tolerances import assert_estimates, assert_p


def test_docstring_numbers_are_rs():
    ref = fixture()["doc"]
    df = pd.DataFrame(
        {
            "t": [1, 2, 2, 3, 4, 5, 6, 7, 8, 9],
            "e": [1, 2, 0, 1, 1, 0, 2, 1, 0, 1],
            "g": list("aabbabbaab"),
            "x": [0, 1, 0, 1, 1, 0, 1, 0, 1, 0],
        }
    )
    assert_estimates(cumulative_incidence(df, "t", "e").at(3)["estimate"], [ref["est_at_3"]])
    assert_p([gray_test(df, "t", "e", "g").p_value], [ref["gray_p"]])
    fit = fine_gray(df, "t", "e", ["x"])
    assert_estimates(fit.params, [ref["coef"]])
    assert fit.converged is ref["converged"]
