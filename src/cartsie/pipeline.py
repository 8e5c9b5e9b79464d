"""Run the CART-SIE analysis end to end: one item per paper table or figure, and the whole report.

Each :class:`Item` computes its estimates (:mod:`cartsie.paper`), draws its figures
(:mod:`cartsie.figures`) and builds its tables; :func:`reproduce` runs every item on one cohort and
writes ``estimates.csv``, ``comparison.csv``, ``report.md``, ``report.html``, ``figures/*.png``,
``tables/*`` and ``manifest.json`` (cartsie version, input checksum, seed). Outputs hold aggregates only.
The scripts in ``analyses/`` run one item each; ``cartsie reproduce`` runs them all.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cartsie import __version__, _estimate, figures, paper, report, synthetic
from cartsie import _paper_common as C
from cartsie._estimate import NotEstimable
from cartsie.competing import cumulative_incidence
from cartsie.errors import CartsieError
from cartsie.format import format_p
from cartsie.survival import kaplan_meier

GROUP_LABELS = {
    "ht_group": {"low": "HT low", "high": "HT high"},
    "simple_ht_group": {"low": "simpleHT low", "high": "simpleHT high"},
}
#: the 0/1 column behind each group column of the figures
_GROUP_FLAGS = {"ht_group": "ht_high", "simple_ht_group": "simple_ht_high"}


@dataclass(frozen=True)
class Item:
    """One paper item: its estimates, figures and tables from a cohort.

    ``figures(cohort, note, rows)`` and ``tables(cohort)`` return ``{name: make}``, where ``make()``
    draws the figure or builds the table; :func:`run_items` calls each ``make`` on its own, so that a
    figure the cohort cannot give (an empty group, no events) is skipped with a note in the report
    while the others are drawn. ``rows`` are the item's estimates, keyed by id.
    """

    name: str
    title: str
    estimates: Callable
    figures: Callable = field(default=lambda cohort, note, rows: {})
    tables: Callable = field(default=lambda cohort: {})


def _flow_figures(cohort, note, rows):
    return {"supp_figure1_flow": lambda: figures.flow_diagram(cohort.flow, cohort.exclusions, note=note)}


def _drawable(pop, population: str, time: str, event: str, group: str | None, cohort) -> None:
    """NotEstimable when a curve cannot be drawn: no patient, no known follow-up, an empty group."""
    C.need(pop, [time, event, *([_GROUP_FLAGS[group]] if group else [])], cohort)
    C.need_patients(pop, population)
    known = pop[pop[time].notna() & pop[event].notna()]
    if not len(known):
        raise NotEstimable(f"no patient with known {event.split('_')[0].upper()} follow-up")
    if group is not None:
        C.both_groups(known, _GROUP_FLAGS[group])


def _km_figure(cohort, population, group, endpoint, title, note, p_value=None):
    pop = cohort.population(population)
    time, event = f"{endpoint}_months", f"{endpoint}_event"
    if endpoint == "dor":
        pop = pop[pop[time].notna()]
        if not len(pop):
            raise NotEstimable("no responder, so no duration of response")
    _drawable(pop, population, time, event, group, cohort)
    km = kaplan_meier(pop, time, event, group=group)
    annotation = None
    if group is not None:
        p = p_value()
        annotation = (
            f"log-rank p {_relation(format_p(p))}" if np.isfinite(p) else "log-rank test not estimable"
        )
    labels = GROUP_LABELS[group] if group else {"all": "all patients"}
    return figures.km_plot(km, labels=labels, title=title, annotation=annotation, note=note)


def _survival_figures(cohort, note, rows):
    out = {}
    panels = (
        ("figure1a_os_ht", "ht", "ht_group", "os", "Overall survival by HT score"),
        ("figure1b_pfs_ht", "ht", "ht_group", "pfs", "Progression-free survival by HT score"),
        ("figure1c_os_simpleht", "simple_ht", "simple_ht_group", "os", "Overall survival by simpleHT"),
        (
            "figure1d_pfs_simpleht",
            "simple_ht",
            "simple_ht_group",
            "pfs",
            "Progression-free survival by simpleHT",
        ),
    )
    for name, population, group, endpoint, title in panels:
        key = "ht" if population == "ht" else "simpleht"
        logrank_id = f"surv.{endpoint}.logrank.{key}"
        out[name] = lambda p=population, g=group, e=endpoint, t=title, i=logrank_id: _km_figure(
            cohort, p, g, e, t, note, lambda: rows[i]["p"]
        )
    for endpoint, title in (
        ("os", "Overall survival"),
        ("pfs", "Progression-free survival"),
        ("dor", "Duration of response"),
    ):
        out[f"supp_figure2_{endpoint}"] = lambda e=endpoint, t=title: _km_figure(
            cohort, "simple_ht", None, e, t, note
        )
    return out


def _relation(p_text: str) -> str:
    """'= .03', or '<.001' as it stands (not '= <.001')."""
    return p_text if p_text[:1] in "<>" else f"= {p_text}"


def _cif_figure(cohort, population, time, event, group, title, note, labels=None):
    pop = cohort.population(population)
    _drawable(pop, population, time, event, group, cohort)
    C.events(pop, event, population)
    ci = cumulative_incidence(pop, time, event, group=group)
    curves = ci.curves[ci.curves["cause"] == 1]
    return figures.cif_plot(curves, labels=labels, title=title, note=note)


def _nrm_figures(cohort, note, rows):
    return {
        "nrm_simpleht": lambda: _cif_figure(
            cohort,
            "simple_ht",
            "nrm_months",
            "nrm_event",
            "simple_ht_group",
            "Non-relapse mortality by simpleHT",
            note,
            GROUP_LABELS["simple_ht_group"],
        )
    }


def _spm_figures(cohort, note, rows):
    spm = ("spm_months", "spm_event")
    return {
        "spm_cif": lambda: _cif_figure(cohort, "ht", *spm, None, "Second primary malignancies", note),
        "spm_cif_ht": lambda: _cif_figure(
            cohort,
            "ht",
            *spm,
            "ht_group",
            "Second primary malignancies by HT",
            note,
            GROUP_LABELS["ht_group"],
        ),
    }


def _both(*sections: Callable) -> Callable:
    return lambda cohort: [row for section in sections for row in section(cohort)]


def _table1_tables(cohort):
    return {
        f"table1_{score.lower()}": lambda s=score: paper.table1(cohort, s) for score in paper.TABLE1_SCORES
    }


ITEMS: tuple[Item, ...] = (
    Item("flow", "Patient flow (Supplementary Figure 1)", paper.flow_estimates, _flow_figures),
    Item("table1", "Patient characteristics (Table 1)", paper.table1_estimates, tables=_table1_tables),
    Item("toxicity", "Hematotoxicity, CRS and ICANS", _both(paper.toxicity_rates, paper.toxicity_models)),
    Item("response", "Response at day 90", _both(paper.response_rates, paper.response_models)),
    Item(
        "survival",
        "Survival (Figure 1)",
        _both(paper.survival_estimates, paper.survival_models),
        _survival_figures,
    ),
    Item("nrm", "Non-relapse mortality", paper.nrm_estimates, _nrm_figures),
    Item("spm", "Second primary malignancies", paper.spm_estimates, _spm_figures),
)


def item(name: str) -> Item:
    """The item called ``name`` (see :data:`ITEMS`)."""
    for it in ITEMS:
        if it.name == name:
            return it
    raise KeyError(f"no paper item {name!r}; items are {[it.name for it in ITEMS]}")


def checksum(*frames: pd.DataFrame | None) -> str:
    """SHA-256 of the input tables (their CSV text), stamped on every output."""
    h = hashlib.sha256()
    for frame in frames:
        if frame is not None:
            h.update(frame.to_csv().encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Run:
    """What a run wrote: estimates, the comparison with the paper, and the files.

    ``not_estimable`` lists the estimates this cohort could not give (columns id, reason), in the
    order of ``estimates``; ``notes`` are the report's notes (figures and tables skipped, warnings).
    """

    estimates: pd.DataFrame
    comparison: pd.DataFrame
    files: tuple[Path, ...]
    not_estimable: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["id", "reason"]))
    notes: tuple[str, ...] = ()


def summary_line(run: Run, shown: int = 3) -> str:
    """One line for the terminal saying which estimates the cohort could not give.

    Parameters
    ----------
    run : Run
        The result of :func:`reproduce`.
    shown : int
        How many not-estimable estimates to name, with their reasons.

    Returns
    -------
    str
        E.g. "8 estimates not estimable on this cohort: spm.time_to_dx.median (no second primary
        malignancy in the HT-evaluable population), ... and 5 more (see report.md)"; "" when every
        estimate was estimable.
    """
    ne = run.not_estimable
    if not len(ne):
        return ""
    n = len(ne)
    head = ", ".join(f"{i} ({r})" for i, r in zip(ne["id"][:shown], ne["reason"][:shown], strict=True))
    more = f" and {n - shown} more (see report.md)" if n > shown else ""
    return f"{n} estimate{'s' if n != 1 else ''} not estimable on this cohort: {head}{more}"


def _attempt(what: str, make: Callable, notes: list[str]):
    """``make()``, or None with a note saying why ``what`` was skipped (NotEstimable, a cartsie error,
    or -- a bug -- any other exception, named in the note)."""
    try:
        return make()
    except CartsieError as exc:
        notes.append(f"{what} skipped: {_estimate.reason(exc)}")
    except Exception as exc:  # a bug: kept to this figure or table, named in the report
        notes.append(f"{what} skipped: {_estimate.UNEXPECTED} ({type(exc).__name__}: {exc})")
    return None


def _save_figure(out: Path, name: str, fig) -> Path:
    path = out / "figures" / f"{name}.png"
    fig.savefig(path, dpi=150, bbox_inches="tight", metadata={"Software": f"cartsie {__version__}"})
    return path


def _write_tables(out: Path, name: str, table) -> list[Path]:
    (out / "tables").mkdir(exist_ok=True)
    written = {
        f"{name}.csv": table.summary.to_csv(index=False),
        f"{name}.md": table.to_markdown(),
        f"{name}.html": table.to_html(),
    }
    paths = []
    for file_name, text in written.items():
        (out / "tables" / file_name).write_text(text, encoding="utf-8")
        paths.append(out / "tables" / file_name)
    return paths


def run_items(cohort, out: Path, items: tuple[Item, ...], note: str | None, meta: dict) -> Run:
    """Run ``items`` on ``cohort`` and write their outputs under ``out``.

    Nothing in the data stops the run: each estimate that cannot be computed is a not-estimable row
    (:mod:`cartsie.paper`), and each figure or table that cannot be drawn is skipped with a note.
    """

    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    rows: list[dict] = []
    figure_paths = {}
    skipped: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for it in items:
            item_rows = it.estimates(cohort)
            rows += item_rows
            by_id = {r["id"]: r for r in item_rows}
            for name, make in it.figures(cohort, note, by_id).items():
                fig = _attempt(f"figure {name}", make, skipped)
                if fig is not None:
                    files.append(_save_figure(out, name, fig))
                    figure_paths[fig.axes[0].get_title(loc="left") or name] = f"figures/{name}.png"
            for name, make in it.tables(cohort).items():
                table = _attempt(f"table {name}", make, skipped)
                if table is not None:
                    files += _write_tables(out, name, table)
    estimates = _estimate.frame(rows)
    comparison = report.compare(estimates)
    comparison = comparison[comparison["id"].isin(estimates["id"])] if len(items) < len(ITEMS) else comparison
    notes = [
        *meta.get("notes", []),
        *skipped,
        *sorted({f"warning: {w.message}" for w in caught}),
    ]
    title = meta.get("title", "CART-SIE: published versus reproduced")
    written = {
        "estimates.csv": estimates.to_csv(index=False),
        "comparison.csv": comparison.to_csv(index=False),
        "report.md": report.render_markdown(comparison, title, notes, estimates=estimates),
        "report.html": report.render_html(comparison, title, notes, figure_paths, estimates=estimates),
        "manifest.json": json.dumps(
            {k: v for k, v in meta.items() if k != "notes"}
            | {"cartsie_version": __version__, "items": [it.name for it in items]},
            indent=2,
            sort_keys=True,
        ),
    }
    for name, text in written.items():
        (out / name).write_text(text, encoding="utf-8")
        files.append(out / name)
    not_estimable = estimates.loc[~estimates["estimable"], ["id", "reason"]].reset_index(drop=True)
    return Run(estimates, comparison, tuple(files), not_estimable, tuple(notes))


def builtin_cohort(seed: int):
    """The built-in synthetic CART-SIE-like cohort."""

    return synthetic.cartsie_like(seed=seed)


def reproduce(
    cohort=None,
    out: str | Path = "cartsie-output",
    *,
    seed: int = 2024,
    items: tuple[str, ...] = (),
    input_checksum: str | None = None,
    source: str | None = None,
) -> Run:
    """Run every paper item (or those named) on ``cohort`` (default: the built-in synthetic cohort)."""
    synthetic = cohort is None
    if synthetic:
        cohort = builtin_cohort(seed)
    chosen = tuple(item(n) for n in items) if items else ITEMS
    note = figures.SYNTHETIC_NOTE if synthetic else None
    meta = {
        "data": "built-in synthetic cohort (not patient data)" if synthetic else (source or "user data"),
        "seed": seed if synthetic else None,
        "input_sha256": input_checksum or checksum(cohort.patients, cohort.labs),
        "notes": ["Synthetic data: every number below comes from simulated patients, not from CART-SIE."]
        if synthetic
        else [f"Data: {source or 'user data'}"],
    }
    return run_items(cohort, Path(out), chosen, note, meta)
