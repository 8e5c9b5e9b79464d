"""The result of :func:`cartsie.calibration.fit` and its writers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cartsie._results import TableResult

#: the columns of :attr:`FitResult.table`
TABLE_COLUMNS = (
    "id",
    "target",
    "mean_before",
    "sd_before",
    "z_before",
    "mean_after",
    "sd_after",
    "z_after",
    "n_excluded_before",
    "n_excluded",
    "weight",
    "used",
    "reason",
)


# ---------------------------------------------------------------------------------------------------
# the result


@dataclass(frozen=True, repr=False)
class FitResult(TableResult):
    """The result of :func:`fit`; each parameter is an attribute.

    Parameters
    ----------
    params : dict
        Every parameter at the fitted point (the fitted ones and the fixed ones).
    start : dict
        Every parameter at the start.
    parameters : tuple of str
        The names fitted.
    table : DataFrame
        One row per target (:data:`TABLE_COLUMNS`): ``target``; ``mean_before``, ``sd_before``,
        ``z_before`` at the start and ``mean_after``, ``sd_after``, ``z_after`` at the fit, where
        ``z = (mean - target) / sd`` with each point's own SD (the objective uses ``sd_before``);
        seeds excluded (not estimable) at each point; ``weight``; ``used`` (in the objective) and the
        ``reason`` when not.
    objective_before : float
        The objective at the start.
    objective_after : float
        The objective at the fitted point (the lowest evaluated).
    evaluations : int
        Evaluations of the objective (each one simulates every seed).
    seeds : tuple of int
        The seeds (common random numbers: the same at every evaluation).
    method : str
        The optimiser (``"Nelder-Mead"`` or ``"Powell"``).
    converged : bool
        Whether SciPy reported success (False also when the evaluation budget ran out).
    message : str
        SciPy's message.
    seconds : float
        Wall time of the fit.
    history : DataFrame
        One row per evaluation: ``evaluation``, ``objective`` and each fitted parameter.
    conf_level : float
        Not used (no interval is computed); kept for the result protocol.
    """

    params: dict
    start: dict
    parameters: tuple[str, ...]
    table: pd.DataFrame
    objective_before: float
    objective_after: float
    evaluations: int
    seeds: tuple[int, ...]
    method: str
    converged: bool
    message: str
    seconds: float
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    conf_level: float = 0.95

    _title = "Simulation-based calibration"

    @property
    def p_value(self) -> float:
        """Not defined for a calibration fit (NaN); kept for the result protocol."""
        return float("nan")

    @property
    def fitted(self) -> dict:
        """The fitted parameters only, at the fitted point."""
        return {k: self.params[k] for k in self.parameters}

    def _glance(self) -> dict:
        used = self.table["used"]
        return {
            "objective_before": self.objective_before,
            "objective_after": self.objective_after,
            "evaluations": self.evaluations,
            "n_seeds": len(self.seeds),
            "n_targets": int(used.sum()),
            "n_parameters": len(self.parameters),
        }

    def _tidy(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"term": list(self.parameters), "estimate": [self.params[k] for k in self.parameters]}
        )

    def parameter_table(self) -> pd.DataFrame:
        """The fitted parameters: ``parameter``, ``start``, ``fitted``, ``change``.

        Returns
        -------
        DataFrame
            One row per fitted parameter.
        """
        rows = [
            {
                "parameter": k,
                "start": self.start[k],
                "fitted": self.params[k],
                "change": self.params[k] - self.start[k],
            }
            for k in self.parameters
        ]
        return pd.DataFrame(rows)

    def provenance(self) -> dict:
        """What made the fit: seeds, method, evaluations, objective before and after, time.

        Returns
        -------
        dict
            JSON-ready.
        """
        return {
            "method": self.method,
            "seeds": [int(s) for s in self.seeds],
            "evaluations": int(self.evaluations),
            "objective_before": float(self.objective_before),
            "objective_after": float(self.objective_after),
            "n_targets": int(self.table["used"].sum()),
            "converged": bool(self.converged),
            "message": self.message,
            "seconds": round(float(self.seconds), 1),
        }

    def to_markdown(self, title: str = "Simulation-based calibration", note: str = "") -> str:
        """The fit as markdown: a summary, the parameters, then each target's z before and after.

        Parameters
        ----------
        title : str
            The heading.
        note : str
            A paragraph under the heading.

        Returns
        -------
        str
            The markdown.
        """
        p = self.provenance()
        head = [
            f"# {title}",
            "",
            *([note, ""] if note else []),
            f"{p['method']} over {len(self.seeds)} seeds (common random numbers: seeds "
            f"{_seed_range(self.seeds)}), {p['evaluations']} evaluations in {p['seconds']:.0f} s; "
            f"objective (sum of squared z over {p['n_targets']} targets, z with the SD at the start) "
            f"{self.objective_before:.2f} -> {self.objective_after:.2f}. {p['message']}",
            "",
            "## Parameters",
            "",
            _markdown(self.parameter_table()),
            "",
            "## Targets (z = (simulated mean - target) / simulated SD)",
            "",
            _markdown(self.table),
        ]
        return "\n".join(head) + "\n"

    def write(
        self, out_dir: str | Path, name: str = "fit", metadata: Mapping | None = None, note: str = ""
    ) -> list[Path]:
        """Write ``{name}.json`` (parameters and provenance), ``{name}.csv`` (targets), ``{name}.md`` and
        ``{name}_history.csv`` (the objective and parameters at each evaluation).

        Parameters
        ----------
        out_dir : str or Path
            Folder (created if needed).
        name : str
            Stem of the files.
        metadata : mapping, optional
            More provenance for the JSON (version, date, label...).
        note : str
            A paragraph for the markdown.

        Returns
        -------
        list of Path
            The files written.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        payload = {
            **dict(metadata or {}),
            "parameters": {k: _jsonable(self.params[k]) for k in self.parameters},
            "start": {k: _jsonable(self.start[k]) for k in self.parameters},
            "provenance": self.provenance(),
        }
        paths = [out / f"{name}.json", out / f"{name}.csv", out / f"{name}.md", out / f"{name}_history.csv"]
        paths[0].write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        self.table.to_csv(paths[1], index=False)
        paths[2].write_text(self.to_markdown(note=note), encoding="utf-8")
        self.history.to_csv(paths[3], index=False)
        return paths


def _jsonable(v):
    if isinstance(v, tuple | list):
        return [float(x) for x in v]
    return float(v)


def _seed_range(seeds: Sequence[int]) -> str:
    s = list(seeds)
    if s == list(range(s[0], s[0] + len(s))):
        return f"{s[0]}-{s[-1]}"
    return ", ".join(map(str, s))


def _markdown(df: pd.DataFrame) -> str:
    def cell(v):
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else f"{v:.4g}"
        return str(v)

    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)
