"""Examples in the public docstrings run and print what they claim."""

import doctest
import importlib

import pytest

MODULES = [
    "cartsie.units",
    "cartsie.scores",
    "cartsie.toxicity",
    "cartsie.survival",
    "cartsie.competing",
    "cartsie.descriptive",
    "cartsie.binary",
    "cartsie.discrimination",
    "cartsie.adjust",
    "cartsie.synthetic",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
