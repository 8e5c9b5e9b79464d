"""Examples in the public docstrings run and print what they claim."""

import doctest
import importlib

import pytest

MODULES = [
    "cartsie.units",
    "cartsie.format",
    "cartsie.scores",
    "cartsie.toxicity.core",
    "cartsie.survival.core",
    "cartsie.survival._rmst",
    "cartsie.competing.core",
    "cartsie.descriptive.core",
    "cartsie.binary.core",
    "cartsie.discrimination",
    "cartsie.prognostic.core",
    "cartsie.prognostic._calibration",
    "cartsie.prognostic._net_benefit",
    "cartsie.prognostic.timedep",
    "cartsie.prognostic._power",
    "cartsie.prognostic._validate",
    "cartsie.adjust",
    "cartsie.synthetic.core",
    "cartsie.tables",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
