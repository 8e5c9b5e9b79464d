"""Unit conversions, wrong-unit detection and censored lab text."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cartsie import units
from cartsie.errors import CohortWarning, InputError


@pytest.mark.parametrize(
    ("analyte", "unit", "value", "expected", "why"),
    [
        ("crp", "mg/L", 45.0, 4.5, "10 mg/L = 1 mg/dL"),
        ("crp", "mg/dL", 4.5, 4.5, "canonical"),
        ("crp", "nmol/L", 95.24, 1.0, "CRP 1 mg/dL = 95.24 nmol/L"),
        ("plt", "/µL", 150_000, 150.0, "per microlitre is 1000x 10^9/L"),
        ("plt", "cells/mm3", 150_000, 150.0, "mm3 = microlitre"),
        ("plt", "x10^9/L", 150, 150.0, "written with x"),
        ("plt", "G/L", 150, 150.0, "giga per litre"),
        ("plt", "K/uL", 150, 150.0, "thousands per microlitre"),
        ("anc", "10^3/µL", 1.2, 1.2, "thousands per microlitre = 10^9/L"),
        ("anc", "cells/mcL", 1200, 1.2, "mcL = microlitre"),
        ("hb", "g/L", 95.0, 9.5, "10 g/L = 1 g/dL"),
        ("hb", "mmol/L", 6.0, 6.0 * 1.611, "1 mmol/L (Fe) = 1.611 g/dL"),
        ("ferritin", "µg/L", 650.0, 650.0, "µg/L = ng/mL"),
        ("ferritin", "pmol/L", 2.247 * 650, 650.0, "1 ng/mL = 2.247 pmol/L"),
    ],
)
def test_convert_to_canonical(analyte, unit, value, expected, why):
    assert units.convert(value, analyte, unit) == pytest.approx(expected, rel=1e-12), why


def test_convert_keeps_series_index():
    s = pd.Series([10.0, 20.0], index=["a", "b"])
    out = units.convert(s, "crp", "mg/L")
    assert out.index.tolist() == ["a", "b"]
    assert out.tolist() == [1.0, 2.0]


def test_unknown_unit_and_percent_anc_are_errors():
    with pytest.raises(InputError, match="not one cartsie converts"):
        units.convert(1.0, "crp", "mg/kg")
    with pytest.raises(InputError, match="anc_from_percent"):
        units.convert(55.0, "anc", "%")
    with pytest.raises(InputError, match="unknown analyte"):
        units.convert(1.0, "ldh", "U/L")


def test_anc_from_percent():
    assert units.anc_from_percent(60.0, 5.0) == pytest.approx(3.0)


@given(
    st.sampled_from(sorted((a, u) for a, table in units.FACTORS.items() for u in table)),
    st.floats(min_value=1e-6, max_value=1e7, allow_nan=False),
)
def test_conversion_round_trip(analyte_unit, value):
    analyte, unit = analyte_unit
    canonical = units.convert(value, analyte, unit)
    back = units.convert(canonical, analyte, units.CANONICAL[analyte], unit)
    assert back == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    ("column", "values", "suspect"),
    [
        ("crp", [12.0, 35.0, 60.0], "mg/L"),
        ("plt", [150_000, 90_000, 210_000], "cells/µL"),
        ("anc", [2500, 800, 4000], "cells/µL"),
        ("anc", [55.0, 70.0, 40.0], "% of white cells"),
        ("hb", [95.0, 110.0, 120.0], "g/L"),
        ("hb", [5.5, 6.2, 4.9], "mmol/L"),
    ],
)
def test_check_magnitude_flags_wrong_units(column, values, suspect):
    (finding,) = units.check_magnitude(pd.DataFrame({column: values}))
    assert finding.suspect == suspect
    assert finding.median == pytest.approx(float(np.median(values)))
    assert column in finding.message


def test_check_magnitude_passes_plausible_values():
    df = pd.DataFrame(
        {
            "crp": [0.5, 3.2, 12.0],
            "plt": [40, 150, 300],
            "anc": [0.3, 1.5, 4.0],
            "hb": [8.0, 10.5, 13.0],
            "ferritin": [200, 900, 3000],
        }
    )
    assert units.check_magnitude(df) == []


def test_warn_magnitude_issues_cohort_warning():
    with pytest.warns(CohortWarning, match="look like mg/L"):
        units.warn_magnitude(pd.DataFrame({"crp": [40.0, 50.0]}))


def test_parse_censored_lies_beyond_the_limit():
    values, censored = units.parse_censored(pd.Series(["<0.1", ">2000", "1.5", None, "<= 3", "abc"]))
    assert values[0] < 0.1 and values[0] == pytest.approx(0.1)
    assert values[1] > 2000 and values[1] == pytest.approx(2000)
    assert values[2] == 1.5 and np.isnan(values[3]) and values[4] == 3.0 and np.isnan(values[5])
    assert censored.tolist() == [True, True, False, False, True, False]
