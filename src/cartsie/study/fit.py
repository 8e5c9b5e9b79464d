"""The built-in synthetic cohort fitted to the paper's published numbers (issue 15, part 2).

:func:`fit_synthetic` applies :func:`cartsie.calibration.fit` -- simulation-based estimation with common
random numbers, the simulated method of moments (McFadden 1989) -- to CART-SIE: the targets are the
published numeric values (:func:`targets`, read as :mod:`cartsie.study.calibration` reads them), one
simulation is :func:`cartsie.synthetic.cartsie_like` with a :class:`~cartsie.synthetic.Model` made
from the parameters, analysed by :func:`cartsie.study.estimates` restricted to the items whose
estimates are fitted (:data:`FIT_ITEMS`: the flow, which the model reproduces exactly, is not
computed), and an estimate not estimable in a seed (separation, an empty group, a median not
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
FIT_ITEMS = ("table1", "toxicity", "response", "survival", "nrm", "spm")

#: parameters fitted by default: those behind the headline biases of ``calibration.md`` -- the cured
#: fractions and time to progression (1-year PFS/OS by HT and simpleHT, median PFS), the HT score's
#: effect on response (ORR/CRR odds ratios, PFS by HT), disease burden's on response and cure (the gap
#: between the HT groups' PFS and OS, which runs through the latents), simpleHT's on cure, the HT score's
#: own on cure and on survival after progression (``cure_s``, ``post_prog_s``: without them the HT
#: groups' gap in PFS and OS is tied to their gap in response, wider than published), simpleHT's on
#: survival after progression (``post_prog_sh``: the simpleHT-high group's OS is far below what its
#: PFS would give), survival after progression (OS), the SPM intercept and HT loading (2-year
#: incidence, sHR), the HT score's effect on late neutropenia (late ICAHT odds ratio); and the
#: early-response parameters of the DOR where the model has them (:data:`DOR_PARAMETERS`)
DEFAULT_PARAMETERS = (
    "cure_cr",
    "cure_pr",
    "cure_sh",
    "cure_b",
    "cure_s",
    "ttp_cr_log",
    "ttp_pr_log",
    "resp_s",
    "resp_b",
    "post_prog_log",
    "post_prog_s",
    "post_prog_sh",
    "late_log",
    "late_s",
    "spm",
    "spm_ht",
)
#: the DOR's parameters (best response: early responses lost by day 90), fitted when the model has them
DOR_PARAMETERS = ("lost", "lost_b")
#: baseline parameters behind Table 1's largest z (age, LDH and its missing share, the IPI's and
#: refractoriness's and bridging failure's ties to disease burden and inflammation -- the gaps between the
#: HT groups), fitted when the model has them
BASELINE_PARAMETERS = (
    "age_mean",
    "ldh",
    "ldh_missing",
    "ecog2_b",
    "extranodal_b",
    "bridging_pd",
    "bridging_pd_i",
    "bridging_pd_b",
    "refractory",
    "refractory_b",
)
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
    """:data:`DEFAULT_PARAMETERS`, with :data:`DOR_PARAMETERS` and :data:`BASELINE_PARAMETERS` where
    the model has them.

    Returns
    -------
    tuple of str
        The parameters fitted by default.
    """
    names = set(model_fields())
    return DEFAULT_PARAMETERS + tuple(p for p in DOR_PARAMETERS + BASELINE_PARAMETERS if p in names)


def start_params(model: Model = DEFAULT_MODEL) -> dict[str, float]:
    """Every parameter of ``model`` by name, a tuple's entries as ``name[i]`` (the start of a fit).

    Parameters
    ----------
    model : Model
        The model (default: the calibrated defaults).

    Returns
    -------
    dict
        Parameter name to value: ``crs_cuts[0]``, ``crs_cuts[1]``... for the cut-offs, so that one
        cut-off can be fitted.
    """
    out: dict[str, float] = {}
    for k in model_fields():
        v = getattr(model, k)
        if isinstance(v, tuple | list):
            out.update({f"{k}[{i}]": float(x) for i, x in enumerate(v)})
        else:
            out[k] = float(v)
    return out


def parameter_names() -> tuple[str, ...]:
    """The names a fit can use: the model's fields, a tuple's entries as ``name[i]``.

    Returns
    -------
    tuple of str
        The keys of :func:`start_params`.
    """
    return tuple(start_params())


def make_model(params: Mapping, model: Model = DEFAULT_MODEL) -> Model:
    """``model`` with the parameters given (flat names, as :func:`start_params`), the rest kept.

    Parameters
    ----------
    params : mapping
        Parameter name to value; ``name[i]`` sets one entry of a tuple.
    model : Model
        The model whose other parameters are kept.

    Returns
    -------
    Model
        The model.
    """
    changes: dict[str, Any] = {}
    for key, value in params.items():
        name, _, index = str(key).partition("[")
        if index:
            current = list(changes.get(name, getattr(model, name)))
            current[int(index.rstrip("]"))] = float(value)
            changes[name] = tuple(current)
        else:
            changes[name] = tuple(value) if isinstance(value, list | tuple) else value
    return model.with_(**changes)


def default_bounds(
    parameters: Iterable[str], model: Model = DEFAULT_MODEL
) -> dict[str, tuple[float | None, float | None]]:
    """Bounds of the parameters: probabilities in (0, 1), SDs and rates positive, a cut-off between its
    neighbours at the start (the cut-offs stay ordered), others free.

    Parameters
    ----------
    parameters : iterable of str
        Parameter names (:func:`parameter_names`).
    model : Model
        The start.

    Returns
    -------
    dict
        ``name -> (low, high)`` for the bounded ones.
    """
    start = start_params(model)
    out: dict[str, tuple[float | None, float | None]] = {}
    for p in parameters:
        name, _, index = p.partition("[")
        if index:
            i = int(index.rstrip("]"))
            low, high = start.get(f"{name}[{i - 1}]"), start.get(f"{name}[{i + 1}]")
            out[p] = (None if low is None else low + 1e-3, None if high is None else high - 1e-3)
        elif p in _PROBABILITIES:
            out[p] = (1e-3, 1 - 1e-3)
        elif p.endswith("_sd") or p in _POSITIVE:
            out[p] = (1e-3, None)
    return out


def default_steps(parameters: Iterable[str], model: Model = DEFAULT_MODEL) -> dict[str, float]:
    """The optimiser's scale of each parameter: 0.05 for a loading on the HT score (``*_s``, the score
    runs 0-7) and for a probability, 0.1 for a centre on the log scale (``*_log``: about 10% in days),
    a year for the mean age, else ``max(0.1, 0.1 |value|)``.

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
    start = start_params(model)
    out = {}
    for p in parameters:
        value = start[p]
        if p.endswith("_s") or p in _PROBABILITIES:
            out[p] = 0.05
        elif p == "age_mean":
            out[p] = 1.0
        else:
            out[p] = 0.1 if p.endswith("_log") else max(0.1, 0.1 * abs(value))
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
        Parameters of :class:`~cartsie.synthetic.Model` (flat names, as :func:`start_params`; the
        rest default).
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

    model = make_model(params)
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
    headline_weight: float = 1.0,
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
    headline_weight : float
        Weight of the headline targets (:data:`cartsie.study.calibration.HEADLINE_IDS`) in the
        objective, the others 1 (unless ``weights`` is given): the done-when of issue 15 asks more
        of them (within 0.5 SD) than of the rest (within 1 SD).
    **kwargs
        Passed to :func:`cartsie.calibration.fit` (``method``, ``maxfev``, ``jobs``, ``scheduler``,
        ``progress``, ``bounds``, ``steps``, ``weights``).

    Returns
    -------
    cartsie.calibration.FitResult
        The fit; :func:`fitted_model` turns it into a :class:`~cartsie.synthetic.Model`.
    """
    from cartsie import calibration
    from cartsie.study.calibration import HEADLINE_IDS

    names = tuple(parameters) if parameters else default_parameters()
    goal = targets(ids, items)
    kwargs.setdefault("bounds", default_bounds(names, model))
    kwargs.setdefault("steps", default_steps(names, model))
    if headline_weight != 1.0:
        kwargs.setdefault(
            "weights", pd.Series(np.where(goal.index.isin(HEADLINE_IDS), headline_weight, 1.0), goal.index)
        )
    return calibration.fit(
        goal,
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
        A ``fit.json`` of :func:`write_fit` (used when ``fit`` is not given): its ``parameters`` and,
        for a fit that started from another one, the ``base_parameters`` it started from.
    model : Model
        The model whose other parameters are kept.

    Returns
    -------
    Model
        ``model`` with the fitted parameters.
    """
    if fit is not None:
        current = start_params(model)
        changes = {k: v for k, v in fit.params.items() if current.get(k) != v}
    else:
        if path is None:
            raise ValueError("give a fit or the path of a fit.json")
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        # a fit that started from another fit: that fit's parameters first, then this one's
        changes = {**payload.get("base_parameters", {}), **payload["parameters"]}
    return make_model(changes, model)


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

    defaults = start_params(DEFAULT_MODEL)
    base = {k: float(v) for k, v in fit.start.items() if k not in fit.parameters and defaults.get(k) != v}
    meta = {
        "label": label,
        "data": "synthetic (cartsie built-in cohort), not patient data",
        "model": "cartsie.synthetic.Model: parameters not listed keep the defaults of this cartsie version",
        **({"base_parameters": base} if base else {}),
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


def holdout(
    fitted: Model,
    seeds: Iterable[int],
    *,
    start: Model = DEFAULT_MODEL,
    ids: Sequence[str] | None = None,
    items: Sequence[str] = FIT_ITEMS,
    n_enrolled: int = 1002,
    jobs: int = 1,
) -> pd.DataFrame:
    """The fit checked on seeds it did not see: each target's z under the start and the fitted model.

    Both models are simulated on the same seeds (common random numbers), and both z use the SD over
    these seeds under the start, as the fit's objective does.

    Parameters
    ----------
    fitted : Model
        The fitted model (:func:`fitted_model`).
    seeds : iterable of int
        Seeds other than the fit's.
    start : Model
        The model the fit started from.
    ids : sequence of str, optional
        Target ids (default :func:`targets`).
    items : sequence of str
        Items computed in each seed.
    n_enrolled : int
        Enrolled patients per simulated cohort.
    jobs : int
        joblib processes (1: in this process).

    Returns
    -------
    DataFrame
        id, target, sd_start, mean_start, z_start, mean_fit, z_fit, n_excluded_fit, used (a finite
        SD), headline; ``attrs`` holds ``seeds``, ``objective_start`` and ``objective_fit`` (sums of
        squared z over the used targets).
    """
    from contextlib import ExitStack

    from cartsie.calibration import simulate_seeds, summarise_seeds
    from cartsie.study.calibration import HEADLINE_IDS

    goal = targets(ids, items)
    seeds = [int(s) for s in seeds]
    sim = partial(simulate, items=tuple(items), n_enrolled=n_enrolled)
    with ExitStack() as stack:
        parallel = None
        if jobs != 1:
            from joblib import Parallel

            parallel = stack.enter_context(Parallel(n_jobs=jobs))
        a = summarise_seeds(simulate_seeds(sim, start_params(start), seeds, list(goal.index), parallel))
        b = summarise_seeds(simulate_seeds(sim, start_params(fitted), seeds, list(goal.index), parallel))
    sd = a["sd"].where(a["sd"] > 0)
    out = pd.DataFrame(
        {
            "id": goal.index,
            "target": goal.to_numpy(),
            "sd_start": sd.to_numpy(),
            "mean_start": a["mean"].to_numpy(),
            "z_start": ((a["mean"] - goal) / sd).to_numpy(),
            "mean_fit": b["mean"].to_numpy(),
            "z_fit": ((b["mean"] - goal) / sd).to_numpy(),
            "n_excluded_fit": b["n_excluded"].to_numpy(),
        }
    )
    out["used"] = out["z_start"].notna() & out["z_fit"].notna()
    out["headline"] = out["id"].isin(HEADLINE_IDS)
    used = out[out["used"]]
    out.attrs = {
        "seeds": seeds,
        "objective_start": float((used["z_start"] ** 2).sum()),
        "objective_fit": float((used["z_fit"] ** 2).sum()),
    }
    return out


def write_holdout(table: pd.DataFrame, out_dir: str | Path = FIT_DIR) -> list[Path]:
    """Add a check on other seeds (:func:`holdout`) to a written fit.

    Writes ``fit_holdout.csv``, sets ``holdout`` in ``fit.json`` (seeds, objectives, headline |z|) and
    replaces the section "Check on other seeds" of ``fit.md``.

    Parameters
    ----------
    table : DataFrame
        :func:`holdout`'s table.
    out_dir : str or Path
        The folder of ``fit.json`` and ``fit.md``.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    csv = out / "fit_holdout.csv"
    table.to_csv(csv, index=False)
    a = table.attrs
    head = table[table["headline"] & table["used"]]
    summary = {
        "seeds": [int(s) for s in a["seeds"]],
        "objective_start": round(a["objective_start"], 3),
        "objective_fit": round(a["objective_fit"], 3),
        "n_targets": int(table["used"].sum()),
        "headline_abs_z_le_0.5_start": int((head["z_start"].abs() <= 0.5).sum()),
        "headline_abs_z_le_0.5_fit": int((head["z_fit"].abs() <= 0.5).sum()),
        "headline_n": len(head),
    }
    path = out / "fit.json"
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["holdout"] = summary
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    md = out / "fit.md"
    text = md.read_text(encoding="utf-8").split("\n## Check on other seeds")[0].rstrip("\n")
    seeds = a["seeds"]
    cols = ["id", "target", "sd_start", "mean_start", "z_start", "mean_fit", "z_fit", "n_excluded_fit"]
    from cartsie.study.calibration import _markdown

    k0, k1 = summary["headline_abs_z_le_0.5_start"], summary["headline_abs_z_le_0.5_fit"]
    section = (
        f"\n\n## Check on other seeds\n\n{len(seeds)} seeds not used by the fit ({seeds[0]}-{seeds[-1]}), "
        "the start and the fitted model on the same seeds, z with the start's SD over these seeds: "
        f"objective over {summary['n_targets']} targets {summary['objective_start']:.2f} (start) -> "
        f"{summary['objective_fit']:.2f} (fit); headline |z| <= 0.5: {k0} -> {k1} of {summary['headline_n']}."
        "\n\n"
        f"{_markdown(head[cols])}\n"
    )
    md.write_text(text + section, encoding="utf-8")
    return [csv, path, md]
