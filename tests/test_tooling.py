"""The tooling run by the README's test command: numpydoc validation of the public API, and mypy.

The public API is ``cartsie`` itself and every module it advertises in ``cartsie.__all__`` (units,
scores, toxicity, cohort, survival, competing, descriptive, binary, adjust, discrimination, format,
datasets, synthetic, figures, report, tables), plus the helpers of ``cartsie.cli``. A module's public
names are its ``__all__``, or else the functions and classes it defines itself (never names it
imports).
"""

from __future__ import annotations

import importlib
import inspect
import time
from pathlib import Path

import pytest
from mypy import api as mypy_api
from numpydoc.docscrape import get_doc_object
from numpydoc.validate import validate

import cartsie

ROOT = Path(__file__).resolve().parents[1]

#: The numpydoc checks every public function and class passes:
#:   GL08  the object has a docstring;
#:   PR01  every parameter is documented (for a dataclass: every field, its constructor's parameters);
#:   PR02  no documented parameter that does not exist;
#:   PR07  every documented parameter has a description;
#:   RT01  a function that returns something has a Returns section;
#:   SS05  a function's summary starts with an infinitive ("Return", not "Returns"; numpydoc's
#:         heuristic, which also reads "Gray's test ..." as third person).
#: Left out, not required of every object: SA01 (See Also), EX01 (Examples: the modules' examples are
#: run by test_docstrings.py and test_readme.py) and ES01 (extended summary: a one-line summary is
#: enough for a small helper). Also left out: numpydoc's layout checks (SS03 final period, SS06
#: one-line summary, GL02 closing quotes, PR04 parameter type, PR08 capital letter, RT02-RT04), which
#: do not make a docstring wrong.
CHECKS = frozenset({"GL08", "PR01", "PR02", "PR07", "RT01", "SS05"})


def _public_modules() -> list[str]:
    advertised = [n for n in cartsie.__all__ if inspect.ismodule(getattr(cartsie, n))]
    return ["cartsie", *(f"cartsie.{n}" for n in advertised), "cartsie.cli"]


def _public_objects() -> list[tuple[str, object]]:
    """(qualified name, object) of every public function and class, each object once."""
    out, seen = [], set()
    for name in _public_modules():
        module = importlib.import_module(name)
        if hasattr(module, "__all__"):
            names = list(module.__all__)
        else:
            names = [
                n
                for n, obj in vars(module).items()
                if not n.startswith("_") and getattr(obj, "__module__", None) == module.__name__
            ]
        for n in names:
            obj = getattr(module, n)
            # functions and classes only: constants have no docstring of their own, and the click
            # commands of cartsie.cli (Command objects) document themselves in --help
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and id(obj) not in seen:
                seen.add(id(obj))
                out.append((f"{name}.{n}", obj))
    return out


PUBLIC = _public_objects()


def test_public_api_is_found():
    """Every public module gives at least one object to validate (nothing is skipped silently)."""
    found = {name.rsplit(".", 1)[0] for name, _ in PUBLIC}
    expected = {
        "cartsie.units",
        "cartsie.scores",
        "cartsie.toxicity",
        "cartsie.cohort",
        "cartsie.survival",
        "cartsie.competing",
        "cartsie.descriptive",
        "cartsie.binary",
        "cartsie.adjust",
        "cartsie.discrimination",
        "cartsie.format",
        "cartsie.datasets",
        "cartsie.synthetic",
        "cartsie.figures",
        "cartsie.study",
        "cartsie.tables",
        "cartsie.cli",
    }
    assert expected <= found, sorted(expected - found)


@pytest.mark.parametrize(("name", "obj"), PUBLIC, ids=[name for name, _ in PUBLIC])
def test_numpydoc(name, obj):
    errors = [(code, msg) for code, msg in validate(get_doc_object(obj))["errors"] if code in CHECKS]
    assert not errors, f"{name}:\n" + "\n".join(f"  {code} {msg}" for code, msg in errors)


def test_mypy():
    """``mypy src/cartsie`` with the settings of pyproject's ``[tool.mypy]`` reports no error."""
    start = time.perf_counter()
    stdout, stderr, status = mypy_api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(ROOT / "src" / "cartsie"),
        ]
    )
    report = f"{stdout}{stderr}mypy took {time.perf_counter() - start:.1f} s"
    assert status == 0, report


def test_ruff():
    """``ruff check`` and ``ruff format --check`` pass on the package, tests, benchmarks and analyses."""
    import shutil
    import subprocess
    import sys

    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    paths = [str(ROOT / p) for p in ("src", "tests", "benchmarks", "analyses")]
    for args in (["check", *paths], ["format", "--check", *paths]):
        done = subprocess.run([ruff, *args], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, f"ruff {args[0]}:\n{done.stdout}{done.stderr}"
