"""The built-in synthetic cohort fitted to the paper's published numbers (issue 15, part 2).

:func:`fit_synthetic` applies :func:`cartsie.calibration.fit` -- simulation-based estimation with common
random numbers, the simulated method of moments (McFadden 1989) -- to CART-SIE: the targets are the
published numeric values (:func:`targets`, read as :mod:`cartsie.study.calibration` reads them), one
simulation is :func:`cartsie.synthetic.cartsie_like` with a :class:`~cartsie.synthetic.Model` made
from the parameters, analysed by :func:`cartsie.study.estimates` restricted to the items whose
estimates are fitted (:data:`FIT_ITEMS`: Table 1 and the flow, which no fitted parameter moves, are
not computed), and an estimate not estimable in a seed (separation, an empty group, a median not
reached) is missing there, out of that target's mean. :func:`write_fit` commits the fitted parameters
with the run that made them (``benchmarks/calibration/fit.json``, ``fit.md``, ``fit.csv``);
:func:`fitted_model` reads them back. Like :mod:`cartsie.study.compare`, and unlike the analysis
code, this module reads the published numbers. Everything written holds aggregates only, of
synthetic data.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cartsie.study.registry import item_of
from cartsie.synthetic.model import DEFAULT_MODEL, Model

#: the items computed in each simulated seed (their estimates are the targets)
FIT_ITEMS = ("toxicity", "response", "survival", "nrm", "spm")

#: parameters fitted by default: those behind the headline biases of ``calibration.md`` -- the cured
#: fractions and time to progression (1-year PFS/OS by HT and simpleHT, median PFS), the HT score's
#: effect on response (ORR/CRR odds ratios, PFS by HT), simpleHT's on cure, survival after
#: progression (OS), the SPM intercept and HT loading (2-year incidence, sHR), the HT score's effect
#: on late neutropenia (late ICAHT odds ratio); and the early-response parameters of the DOR where the
#: model has them (:data:`DOR_PARAMETERS`)
DEFAULT_PARAMETERS = (
    "cure_cr",
    "cure_pr",
    "cure_sh",
    "ttp_cr_log",
    "ttp_pr_log",
    "resp_s",
    "post_prog_log",
    "late_log",
    "late_s",
    "spm",
    "spm_ht",
)
#: the DOR's parameters (best response: early responses lost by day 90), fitted when the model has them
DOR_PARAMETERS = ("lost", "lost_b")
#: the parameters of the first, short fit committed (``benchmarks/calibration/fit.json``): those behind
#: the largest z at the start (median PFS, 1-year OS and PFS by group, late ICAHT)
SHORT_PARAMETERS = ("cure_cr", "ttp_pr_log", "resp_s", "post_prog_log", "late_log")

_PROBABILITIES = ("ldh_missing", "sd_durable", "nrm_infection", "lost_cr", "sd_pr")
_POSITIVE = ("entry_shape", "loss_per_year")

FIT_DIR = Path("benchmarks") / "calibration"


def model_fields() -> tuple[str, ...]:
    """The names of the parameters of :class:`cartsie.synthetic.Model`.

    Returns
    -------
    tuple of str
        Field names, in the model's order.
    """
    return tuple(f.name for f in fields(Model))


def default_parameters() -> tuple[str, ...]:
    """:data:`DEFAULT_PARAMETERS`, with :data:`DOR_PARAMETERS` where the model has them.

    Returns
    -------
    tuple of str
        The parameters fitted by default.
    """
    names = set(model_fields())
    return DEFAULT_PARAMETERS + tuple(p for p in DOR_PARAMETERS if p in names)


def start_params(model: Model = DEFAULT_MODEL) -> dict:
    """Every parameter of ``model`` by name (the start of a fit).

    Parameters
    ----------
    model : Model
        The model (default: the calibrated defaults).

    Returns
    -------
    dict
        Field name to value (tuples for the cut-offs).
    """
    return {k: getattr(model, k) for k in model_fields()}


def default_bounds(parameters: Iterable[str]) -> dict[str, tuple[float | None, float | None]]:
    """Bounds of the parameters: probabilities in (0, 1), SDs and rates positive, others free.

    Parameters
    ----------
    parameters : iterable of str
        Model parameter names.

    Returns
    -------
    dict
        ``name -> (low, high)`` for the bounded ones.
    """
    out: dict[str, tuple[float | None, float | None]] = {}
    for p in parameters:
        if p in _PROBABILITIES:
            out[p] = (1e-3, 1 - 1e-3)
        elif p.endswith("_sd") or p in _POSITIVE:
            out[p] = (1e-3, None)
    return out


def default_steps(parameters: Iterable[str], model: Model = DEFAULT_MODEL) -> dict[str, float]:
    """The optimiser's scale of each parameter: 0.05 for a loading on the HT score (``*_s``, the score
    runs 0-7), 0.1 for a centre on the log scale (``*_log``: about 10% in days), else
    ``max(0.1, 0.1 |value|)``.

    Parameters
    ----------
    parameters : iterable of str
        Model parameter names.
    model : Model
        The start.

    Returns
    -------
    dict
        ``name -> step``.
    """
    out = {}
    for p in parameters:
        value = float(getattr(model, p))
        out[p] = 0.05 if p.endswith("_s") else 0.1 if p.endswith("_log") else max(0.1, 0.1 * abs(value))
    return out


def targets(ids: Sequence[str] | None = None, items: Sequence[str] = FIT_ITEMS) -> pd.Series:
    """The published numeric values the fit aims at, by id.

    Parameters
    ----------
    ids : sequence of str, optional
        The ids (default: every published id with a numeric value in ``items``; the DOR's only when
        the model has :data:`DOR_PARAMETERS`, whose absence makes them unreachable).
    items : sequence of str
        Paper items (:data:`FIT_ITEMS`).

    Returns
    -------
    Series
        Published value by id (an "n (%)" cell by its percentage, as :mod:`cartsie.study.calibration`).
    """
    from cartsie.study.calibration import _published_values

    pub = _published_values()
    pub = pub[(pub["reason"] == "") & np.isfinite(pub["published_value"].astype(float))]
    values = pd.Series(pub["published_value"].astype(float).to_numpy(), index=pub["id"].to_numpy())
    if ids is not None:
        return values.reindex(list(ids))
    keep = [i for i in values.index if (it := item_of(i)) is not None and it.name in items]
    if not set(DOR_PARAMETERS) <= set(model_fields()):
        keep = [i for i in keep if not i.startswith("surv.dor.")]
    return values[keep]


def simulate(
    params: Mapping, seed: int, items: Sequence[str] = FIT_ITEMS, n_enrolled: int = 1002
) -> pd.Series:
    """One seed of the synthetic cohort under ``params``, analysed: the estimates by id.

    Parameters
    ----------
    params : mapping
        Every parameter of :class:`~cartsie.synthetic.Model` (or some: the rest default).
    seed : int
        The seed of :func:`cartsie.synthetic.cartsie_like`.
    items : sequence of str
        The paper items computed (:func:`cartsie.study.estimates`).
    n_enrolled : int
        Enrolled patients (1002 as published; fewer for a quick check).

    Returns
    -------
    Series
        Value by estimate id; NaN where the estimate is not estimable in this seed.
    """
    from cartsie import study
    from cartsie.synthetic import cartsie_like

    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    model = Model(**values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separation, sparse data: measured over seeds, not raised
        est = study.estimates(cartsie_like(seed, n_enrolled, model), items=tuple(items))
    value = est["value"].where(est["estimable"]).astype(float)
    return pd.Series(value.to_numpy(), index=est["id"].to_numpy())


def fit_synthetic(
    parameters: Sequence[str] | None = None,
    seeds: Iterable[int] = range(1, 31),
    *,
    model: Model = DEFAULT_MODEL,
    ids: Sequence[str] | None = None,
    items: Sequence[str] = FIT_ITEMS,
    n_enrolled: int = 1002,
    **kwargs,
):
    """Fit parameters of the synthetic cohort's model to the published numbers.

    Parameters
    ----------
    parameters : sequence of str, optional
        Model parameters to fit (default :func:`default_parameters`); the others stay at ``model``'s.
    seeds : iterable of int
        The seeds (common random numbers).
    model : Model
        The start (default: the current defaults).
    ids : sequence of str, optional
        Target ids (default :func:`targets`).
    items : sequence of str
        Items computed in each seed.
    n_enrolled : int
        Enrolled patients per simulated cohort.
    **kwargs
        Passed to :func:`cartsie.calibration.fit` (``method``, ``maxfev``, ``jobs``, ``scheduler``,
        ``progress``, ``bounds``, ``steps``, ``weights``).

    Returns
    -------
    cartsie.calibration.FitResult
        The fit; :func:`fitted_model` turns it into a :class:`~cartsie.synthetic.Model`.
    """
    from cartsie import calibration

    names = tuple(parameters) if parameters else default_parameters()
    kwargs.setdefault("bounds", default_bounds(names))
    kwargs.setdefault("steps", default_steps(names, model))
    return calibration.fit(
        targets(ids, items),
        partial(simulate, items=tuple(items), n_enrolled=n_enrolled),
        start_params(model),
        parameters=names,
        seeds=seeds,
        **kwargs,
    )


def fitted_model(fit=None, path: str | Path | None = None, model: Model = DEFAULT_MODEL) -> Model:
    """The model with fitted parameters, from a fit or from a committed ``fit.json``.

    Parameters
    ----------
    fit : cartsie.calibration.FitResult, optional
        A fit of :func:`fit_synthetic`.
    path : str or Path, optional
        A ``fit.json`` of :func:`write_fit` (used when ``fit`` is not given).
    model : Model
        The model whose other parameters are kept.

    Returns
    -------
    Model
        ``model`` with the fitted parameters.
    """
    if fit is not None:
        changes = fit.fitted
    else:
        if path is None:
            raise ValueError("give a fit or the path of a fit.json")
        changes = json.loads(Path(path).read_text(encoding="utf-8"))["parameters"]
    return model.with_(**{k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()})


def write_fit(
    fit, out_dir: str | Path = FIT_DIR, label: str = "", extra: Mapping | None = None
) -> list[Path]:
    """Write ``fit.json`` (the fitted parameters with the run's provenance), ``fit.md`` and ``fit.csv``.

    Parameters
    ----------
    fit : cartsie.calibration.FitResult
        A fit of :func:`fit_synthetic`.
    out_dir : str or Path
        Folder (``benchmarks/calibration`` by default).
    label : str
        What this fit is ("first short fit", "full fit"...), in the JSON and at the top of the markdown.
    extra : mapping, optional
        More provenance (the command line, the commit...).

    Returns
    -------
    list of Path
        The files written.
    """
    import cartsie
    from cartsie.study.calibration import HEADLINE_IDS

    meta = {
        "label": label,
        "data": "synthetic (cartsie built-in cohort), not patient data",
        "model": "cartsie.synthetic.Model: parameters not listed keep the defaults of this cartsie version",
        "cartsie_version": cartsie.__version__,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        **dict(extra or {}),
    }
    table = fit.table
    fit_headline = type(fit)(
        **{**_fields(fit), "table": table.assign(headline=table["id"].isin(HEADLINE_IDS))}
    )
    note = (
        (f"**{label}.** " if label else "")
        + "Synthetic data (cartsie built-in cohort), not patient data; aggregates only. "
        + _headline_note(table)
    )
    return fit_headline.write(out_dir, name="fit", metadata=meta, note=note)


def _fields(fit) -> dict:
    return {f.name: getattr(fit, f.name) for f in fields(fit)}


def _headline_note(table: pd.DataFrame) -> str:
    from cartsie.study.calibration import HEADLINE_IDS

    head = table[table["id"].isin(HEADLINE_IDS) & table["used"]]
    if not len(head):
        return ""
    b, a = head["z_before"].abs(), head["z_after"].abs()
    return (
        f"Headline targets (seeds of the fit): |z| <= 0.5 for {int((b <= 0.5).sum())} of {len(head)} before, "
        f"{int((a <= 0.5).sum())} after; largest |z| {b.max():.2f} -> {a.max():.2f}."
    )
