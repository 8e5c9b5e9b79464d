"""Assembly of the built-in synthetic cohort: the raw input tables, the cohort read through
:func:`cartsie.cohort.load`, and the CSV files (see :mod:`cartsie.synthetic`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cartsie import cohort
from cartsie.cohort import schema
from cartsie.cohort.values import NOT_DONE
from cartsie.synthetic._simulate import _events, _labs, _others, _select_lbcl, _toxicity, _true_scores
from cartsie.synthetic.model import DEFAULT_MODEL, Model, SyntheticTables, flow_counts

# ---------------------------------------------------------------------------------------------------
# assembly


def _dates(start: np.ndarray, days: np.ndarray) -> pd.Series:
    out = pd.Series(start + np.nan_to_num(days).astype(int).astype("timedelta64[D]"))
    return out.dt.strftime("%Y-%m-%d").where(~np.isnan(days), None)


def tables(seed: int = 2024, n_enrolled: int = 1002, model: Model = DEFAULT_MODEL) -> SyntheticTables:
    """Simulate the raw CART-SIE-like input tables. **Synthetic data, not patient data.**

    Parameters
    ----------
    seed : int
        Seed of the random generator (NumPy PCG64): the same seed gives the same tables.
    n_enrolled : int
        Enrolled patients; the published flow (1002 -> 746 infused -> 628 LBCL -> 560 simpleHT
        evaluable -> 389 HT evaluable, 251 HT high, 95 simpleHT high) is scaled to it.
    model : Model
        The generative model's parameters (default: the calibrated ones).

    Returns
    -------
    SyntheticTables
        ``patients`` and ``labs`` in cartsie's input schema (dates, canonical units), each row with
        ``synthetic = 1``.

    Examples
    --------
    >>> t = tables(seed=1)
    >>> len(t.patients), int(t.patients["infused"].sum()), bool(t.patients["synthetic"].eq(1).all())
    (1002, 746, True)
    """
    rng = np.random.default_rng(seed)
    counts = flow_counts(n_enrolled)
    lbcl = _select_lbcl(rng, counts, model)
    other = _others(rng, counts["infused"] - counts["lbcl"], model, infused=True)
    never = _others(rng, counts["enrolled"] - counts["infused"], model, infused=False)
    infused = pd.concat([lbcl, other], ignore_index=True)

    order = rng.permutation(counts["enrolled"])
    ids = np.array([f"SYN{i + 1:04d}" for i in range(counts["enrolled"])])
    infused["patient_id"] = ids[order[: len(infused)]]
    never["patient_id"] = ids[order[len(infused) :]]

    s, hh, sh = _true_scores(infused)
    tox = _toxicity(rng, infused, s, model)
    events = _events(rng, infused, s, hh, sh, tox, model)
    labs = _labs(rng, infused, tox, events, model)

    start = events.pop("infusion_date")
    infused = infused.assign(
        infused=1,
        crs_grade=tox["crs_grade"],
        icans_grade=tox["icans_grade"],
        response_day90=events.pop("response_day90"),
        best_response=events.pop("best_response"),
        death_cause=events.pop("death_cause"),
        spm_type=events.pop("spm_type"),
        infusion_date=pd.Series(start).dt.strftime("%Y-%m-%d"),
    )
    for event, days in events.items():
        infused[event.replace("_day", "_date")] = _dates(start, days).to_numpy()
    never = never.assign(infused=0)
    patients = pd.concat([infused, never], ignore_index=True)
    patients["ldh_above_uln"] = patients["ldh_above_uln"].where(
        rng.random(len(patients)) >= model.ldh_missing
    )
    patients["center"] = np.char.mod("C%02d", rng.integers(1, 25, len(patients)))
    patients["synthetic"] = 1
    # the schema's columns in its order; the latents and true labs stay inside the simulation
    keep = [c for c in schema.PATIENTS if c in patients.columns]
    patients = _as_recorded(patients[keep].sort_values("patient_id", ignore_index=True), schema.PATIENTS)
    labs = _as_recorded(labs.sort_values(["patient_id", "day"], ignore_index=True), schema.LABS)
    return SyntheticTables(patients=patients, labs=labs.assign(synthetic=1), seed=seed)


#: Upper limits of what a laboratory reports (canonical units), inside the plausibility ranges of
#: :mod:`cartsie.cohort.schema`: the log-normal tails of the model reach beyond them.
_REPORTED_MAX = {"anc": 60.0, "plt": 1500.0, "crp": 60.0, "ferritin": 150000.0}


def _as_recorded(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Lab values as a laboratory records them: capped at what it reports, and never equal to a code
    registries use for "not done" (999 is written 1000). Every score and grade threshold lies far below
    the caps and away from the codes, so no score or grade changes."""
    out = frame.copy()
    for col, cap in _REPORTED_MAX.items():
        if col in out.columns and columns[col].maximum is not None:
            values = out[col].clip(upper=min(cap, columns[col].maximum))
            out[col] = values.where(~values.isin(NOT_DONE), values + 1)
    return out


def cartsie_like(seed: int = 2024, n_enrolled: int = 1002, model: Model = DEFAULT_MODEL):
    """The built-in synthetic CART-SIE-like cohort, read through :func:`cartsie.cohort.load`.

    **Synthetic data, not patient data** (every row has ``synthetic = 1``). See the module docstring
    for the model and :func:`tables` for the parameters.

    Parameters
    ----------
    seed : int, default 2024
        Seed of the random generator: the same seed gives the same cohort.
    n_enrolled : int, default 1002
        Enrolled patients; the published flow is scaled to it (:func:`flow_counts`).
    model : Model
        The generative model's parameters (default: the calibrated ones).

    Returns
    -------
    cartsie.cohort.Cohort
        The validated cohort: patients, labs, endpoints, scores, ICAHT grades and the patient flow.
    """

    t = tables(seed, n_enrolled, model)
    return cohort.load(t.patients, t.labs)


def write(out_dir: str | Path, seed: int = 2024, n_enrolled: int = 1002) -> list[Path]:
    """Write ``synthetic_patients.csv`` and ``synthetic_labs.csv`` (seed in the name) to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write to (created if needed; files there with the same names are replaced).
    seed : int, default 2024
        Seed of the random generator, as for :func:`tables`.
    n_enrolled : int, default 1002
        Enrolled patients, as for :func:`tables`.

    Returns
    -------
    list of Path
        The two files written: ``synthetic_patients_seed{seed}.csv`` and
        ``synthetic_labs_seed{seed}.csv``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = tables(seed, n_enrolled)
    paths = [out / f"synthetic_patients_seed{seed}.csv", out / f"synthetic_labs_seed{seed}.csv"]
    t.patients.to_csv(paths[0], index=False)
    t.labs.to_csv(paths[1], index=False)
    return paths
