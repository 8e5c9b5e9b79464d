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

import matplotlib.pyplot as plt
import pandas as pd

from cartsie import __version__, figures, paper
from cartsie.competing import cumulative_incidence
from cartsie.descriptive import format_p
from cartsie.survival import kaplan_meier

GROUP_LABELS = {
    "ht_group": {"low": "HT low", "high": "HT high"},
    "simple_ht_group": {"low": "simpleHT low", "high": "simpleHT high"},
}


@dataclass(frozen=True)
class Item:
    """One paper item: its estimates, figures and tables from a cohort."""

    name: str
    title: str
    estimates: Callable
    figures: Callable = field(default=lambda cohort, note: {})
    tables: Callable = field(default=lambda cohort: {})


def _flow_figures(cohort, note):
    return {"supp_figure1_flow": figures.flow_diagram(cohort.flow, cohort.exclusions, note=note)}


def _survival_figures(cohort, note):
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
    est = paper.survival_estimates(cohort)
    p_values = {r["id"]: r["p"] for r in est}
    for name, population, group, endpoint, title in panels:
        pop = cohort.population(population)
        km = kaplan_meier(pop, f"{endpoint}_months", f"{endpoint}_event", group=group)
        key = "ht" if population == "ht" else "simpleht"
        p = p_values[f"surv.{endpoint}.logrank.{key}"]
        out[name] = figures.km_plot(
            km,
            labels=GROUP_LABELS[group],
            title=title,
            annotation=f"log-rank p {_relation(format_p(p))}",
            note=note,
        )
    glob = cohort.population("simple_ht")
    for endpoint, title in (
        ("os", "Overall survival"),
        ("pfs", "Progression-free survival"),
        ("dor", "Duration of response"),
    ):
        pop = glob[glob[f"{endpoint}_months"].notna()]
        km = kaplan_meier(pop, f"{endpoint}_months", f"{endpoint}_event")
        out[f"supp_figure2_{endpoint}"] = figures.km_plot(
            km, labels={"all": "all patients"}, title=title, note=note
        )
    return out


def _relation(p_text: str) -> str:
    """'= .03', or '<.001' as it stands (not '= <.001')."""
    return p_text if p_text[:1] in "<>" else f"= {p_text}"


def _cif_figure(pop, time, event, group, title, note, labels=None):
    ci = cumulative_incidence(pop, time, event, group=group)
    curves = ci.curves[ci.curves["cause"] == 1]
    return figures.cif_plot(curves, labels=labels, title=title, note=note)


def _nrm_figures(cohort, note):
    pop = cohort.population("simple_ht")
    return {
        "nrm_simpleht": _cif_figure(
            pop,
            "nrm_months",
            "nrm_event",
            "simple_ht_group",
            "Non-relapse mortality by simpleHT",
            note,
            GROUP_LABELS["simple_ht_group"],
        )
    }


def _spm_figures(cohort, note):
    pop = cohort.population("ht")
    return {
        "spm_cif": _cif_figure(pop, "spm_months", "spm_event", None, "Second primary malignancies", note),
        "spm_cif_ht": _cif_figure(
            pop,
            "spm_months",
            "spm_event",
            "ht_group",
            "Second primary malignancies by HT",
            note,
            GROUP_LABELS["ht_group"],
        ),
    }


def _both(*sections: Callable) -> Callable:
    return lambda cohort: [row for section in sections for row in section(cohort)]


def _table1_tables(cohort):
    out = {}
    for score in paper.TABLE1_SCORES:
        t1 = paper.table1(cohort, score)
        out[f"table1_{score.lower()}"] = t1
    return out


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
    """What a run wrote: estimates, the comparison with the paper, and the files."""

    estimates: pd.DataFrame
    comparison: pd.DataFrame
    files: tuple[Path, ...]


def run_items(cohort, out: Path, items: tuple[Item, ...], note: str | None, meta: dict) -> Run:
    """Run ``items`` on ``cohort`` and write their outputs under ``out``."""
    from cartsie import report

    out = Path(out)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    rows = []
    figure_paths = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for it in items:
            rows += it.estimates(cohort)
            for name, fig in it.figures(cohort, note).items():
                path = out / "figures" / f"{name}.png"
                fig.savefig(
                    path, dpi=150, bbox_inches="tight", metadata={"Software": f"cartsie {__version__}"}
                )
                plt.close(fig)
                files.append(path)
                figure_paths[fig.axes[0].get_title(loc="left") or name] = f"figures/{name}.png"
            for name, table in it.tables(cohort).items():
                (out / "tables").mkdir(exist_ok=True)
                written_tables = {
                    f"{name}.csv": table.summary.to_csv(index=False),
                    f"{name}.md": table.to_markdown(),
                    f"{name}.html": table.to_html(),
                }
                for file_name, text in written_tables.items():
                    (out / "tables" / file_name).write_text(text, encoding="utf-8")
                    files.append(out / "tables" / file_name)
    estimates = pd.DataFrame(rows, columns=list(paper.COLUMNS))
    comparison = report.compare(estimates)
    comparison = comparison[comparison["id"].isin(estimates["id"])] if len(items) < len(ITEMS) else comparison
    notes = [*meta.get("notes", []), *sorted({f"warning: {w.message}" for w in caught})]
    title = meta.get("title", "CART-SIE: published versus reproduced")
    written = {
        "estimates.csv": estimates.to_csv(index=False),
        "comparison.csv": comparison.to_csv(index=False),
        "report.md": report.render_markdown(comparison, title, notes),
        "report.html": report.render_html(comparison, title, notes, figure_paths),
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
    return Run(estimates, comparison, tuple(files))


def builtin_cohort(seed: int):
    """The built-in synthetic CART-SIE-like cohort."""
    from cartsie import synthetic

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


def script_main(name: str, argv: list[str] | None = None) -> Run:
    """Entry point of the ``analyses/`` scripts: run one paper item from the command line.

    ``python analyses/05_survival.py [--data PATIENTS [--labs LABS]] [--out DIR] [--seed N]``
    """
    import argparse

    from cartsie import cohort as cohort_module

    it = item(name)
    parser = argparse.ArgumentParser(description=f"CART-SIE: {it.title}")
    parser.add_argument("--data", help="patients table (default: the built-in synthetic cohort)")
    parser.add_argument("--labs", help="long labs table")
    parser.add_argument("--out", default=f"cartsie-output/{name}", help="output folder")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the built-in synthetic cohort")
    args = parser.parse_args(argv)
    data = cohort_module.load(args.data, args.labs) if args.data else None
    result = reproduce(
        data, args.out, seed=args.seed, items=(name,), source=Path(args.data).name if args.data else None
    )
    print(f"{it.title}: wrote {len(result.files)} files to {args.out}/")
    return result
