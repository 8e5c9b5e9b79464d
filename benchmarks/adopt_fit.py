"""Make a committed fit the built-in cohort's model: write its parameters as the defaults of
``cartsie.synthetic.Model`` (``src/cartsie/synthetic/model.py``), each rounded to 4 decimals.

Run: python benchmarks/adopt_fit.py [benchmarks/calibration/fit.json]

The parameters written are the fit's ``parameters`` and, for a fit that continued another, its
``base_parameters``; every other default is left as it is. The suite's test of the committed fit
checks that the defaults equal them (to the rounding). Changing the defaults changes the built-in
cohort (seed 2024) and every number ``cartsie reproduce`` gives on it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "src" / "cartsie" / "synthetic" / "model.py"


def adopt(fit_json: Path, model_py: Path = MODEL) -> dict[str, float]:
    """Rewrite the defaults in ``model_py``; returns the values written by name."""
    payload = json.loads(fit_json.read_text(encoding="utf-8"))
    values = {**payload.get("base_parameters", {}), **payload["parameters"]}
    text = model_py.read_text(encoding="utf-8")
    written: dict[str, float] = {}
    for key, value in values.items():
        name, _, index = key.partition("[")
        pattern = re.compile(rf"^(    {re.escape(name)}: [^=]+= )(.+)$", re.MULTILINE)
        match = pattern.search(text)
        if match is None:
            raise SystemExit(f"adopt_fit: no default for {name!r} in {model_py}")
        new = round(float(value), 4)
        if index:  # one entry of a tuple default
            entries = [x.strip() for x in match.group(2).strip("()").split(",")]
            entries[int(index.rstrip("]"))] = repr(new)
            replacement = "(" + ", ".join(entries) + ")"
        else:
            replacement = repr(new)
        text = text[: match.start(2)] + replacement + text[match.end(2) :]
        written[key] = new
    model_py.write_text(text, encoding="utf-8")
    return written


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "benchmarks" / "calibration" / "fit.json"
    for key, value in adopt(path).items():
        print(f"{key} = {value}")


if __name__ == "__main__":
    main()
