"""What the ``analyses/`` scripts share, so that each stays the Methods paragraph of its paper item.

A script reads, top to bottom::

    cohort, out = script.setup("survival", __doc__)    # the options of every cartsie command
    est = script.Estimates()
    ht = study.population(cohort, "ht")
    with est("surv.os.hr.ht", "HR of OS, HT high vs low (Cox)") as e:
        e.ratio(cox(ht, "os_months", "os_event", ["ht_high"]), "ht_high", ht, "os_event")
    with out.figure("figure1a_os_ht") as save:
        save(figures.km_plot(...))
    est.write(out)

- :func:`setup` reads the command line with the reading options of every ``cartsie`` command and
  loads the cohort as ``cartsie reproduce`` does: bad input ends in the command line's message and exit
  status 2, never in a traceback;
- :class:`Estimates`: each ``with est(id, label) as e:`` block is one typed row of
  :mod:`cartsie.study.estimate`; a block the cohort cannot give (a check, a cartsie error of a
  statistic) becomes a not-estimable row with its reason and the script goes on -- the guard of
  :func:`cartsie.study.estimate.estimate`, so the rows equal ``cartsie reproduce``'s;
- :meth:`Output.table` and :meth:`Output.figure` guard a table or figure in the same way and write it
  with :func:`cartsie.study.pipeline.write_table` / :func:`~cartsie.study.pipeline.save_figure`;
- the checks of :mod:`cartsie.study.checks` (``need``, ``nobody``, ``both_groups``, ``events``,
  ``outcome_present``, ``adjustment``), re-exported here, raise ``NotEstimable`` with the reasons of
  the study's items; ``percent`` and ``exact_ci`` are the exact binomial percentages of every rate.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd

from cartsie import __version__, cli
from cartsie.errors import CartsieError, InputError, MissingValuesWarning
from cartsie.study import _checks as C
from cartsie.study import estimate as E
from cartsie.study._script_binary import BinaryOutcomes, capital
from cartsie.study._script_competing import CompetingRisks
from cartsie.study.checks import (
    adjustment,
    both_groups,
    events,
    exact_ci,
    left_out,
    need,
    nobody,
    not_reached,
    outcome_present,
    percent,
)
from cartsie.study.estimate import NotEstimable

__all__ = [
    "BinaryOutcomes",
    "CompetingRisks",
    "Estimates",
    "Guard",
    "NotEstimable",
    "Output",
    "adjustment",
    "both_groups",
    "capital",
    "events",
    "exact_ci",
    "left_out",
    "need",
    "nobody",
    "not_reached",
    "outcome_present",
    "percent",
    "performance_table",
    "rates_table",
    "setup",
]

#: seed and size of the built-in cohort, as ``cartsie reproduce``'s
DEFAULT_SEED, DEFAULT_ENROLLED = 2024, 1002
#: how the ratios are named in reasons ("OR infinite: ...")
RATIOS = {"odds_ratio": "OR", "hr": "HR", "shr": "sHR"}


# -- the outputs ------------------------------------------------------------------------------------


@dataclass
class Output:
    """The output folder of a script: where its files go, what its figures say, what was skipped.

    Parameters
    ----------
    path : Path
        The folder (``tables/`` and ``figures/`` are made in it).
    item : str
        The paper item (``"survival"``).
    note : str or None
        The footnote of the figures (:data:`cartsie.figures.SYNTHETIC_NOTE` for the built-in cohort).
    manifest : dict
        What ``manifest.json`` says of the input (data, seed, input_sha256).
    files : list of Path
        The files written so far.
    skipped : list of str
        The tables and figures the cohort could not give, each with its reason.
    """

    path: Path
    item: str
    note: str | None = None
    manifest: dict = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @contextmanager
    def table(self, name: str) -> Iterator[Callable[[Any], list[Path]]]:
        """Guard one table: ``with out.table("supp_table2") as save: save(regression_table(...))``.

        Parameters
        ----------
        name : str
            File stem under ``tables/`` (csv, md, html, docx, xlsx, tex).

        Yields
        ------
        callable
            ``save(table)`` writes the table. A failure inside the block skips the table with its
            reason (printed, and kept in :attr:`skipped`), and the script goes on.
        """
        with self._guard("table", name) as save:
            yield save

    @contextmanager
    def figure(self, name: str) -> Iterator[Callable[[Any], list[Path]]]:
        """Guard one figure: ``with out.figure("figure1a_os_ht") as save: save(figures.km_plot(...))``.

        Parameters
        ----------
        name : str
            File stem under ``figures/`` (PNG at 300 dpi, PDF).

        Yields
        ------
        callable
            ``save(fig)`` writes and closes the figure. A failure inside the block skips it with its
            reason, and the script goes on.
        """
        with self._guard("figure", name) as save:
            yield save

    @contextmanager
    def _guard(self, kind: str, name: str) -> Iterator[Callable[[Any], list[Path]]]:
        with warnings.catch_warnings():
            # a table's footnotes say who its models left out, as in cartsie reproduce's tables
            warnings.simplefilter("ignore", MissingValuesWarning)
            try:
                yield lambda obj: self._save(kind, name, obj)
            except CartsieError as exc:
                self._skip(f"{kind} {name} skipped: {E.reason(exc)}")
            except Exception as exc:  # a bug: kept to this output, named in the message
                self._skip(f"{kind} {name} skipped: {E.UNEXPECTED} ({type(exc).__name__}: {exc})")

    def _save(self, kind: str, name: str, obj) -> list[Path]:
        from cartsie.study import pipeline

        stem = self.path / f"{kind}s" / name
        stem.parent.mkdir(parents=True, exist_ok=True)
        if kind == "table":
            paths = pipeline.write_table(obj, stem)
        else:
            import matplotlib.pyplot as plt

            try:
                paths = pipeline.save_figure(obj, stem)
            finally:
                plt.close(obj)  # a script draws many figures: free each once written
        self.files += [Path(p) for p in paths]
        return paths

    def _skip(self, message: str) -> None:
        self.skipped.append(message)
        click.echo(f"note: {message}", err=True)


# -- the command line -------------------------------------------------------------------------------


def _command(item: str, doc: str | None, found: dict) -> click.Command:
    """``cartsie reproduce``'s options for one item, with the reading options of every command."""

    @click.command(help=doc, context_settings={"help_option_names": ["-h", "--help"]})
    @click.option(
        "--data",
        "patients",
        type=click.Path(path_type=Path),
        help="Your patients table (default: the built-in synthetic cohort).",
    )
    @click.option("--labs", type=click.Path(path_type=Path), help="Your long labs table (with --data).")
    @click.option(
        "--out",
        "-o",
        type=click.Path(path_type=Path),
        default=Path("cartsie-output") / item,
        show_default=True,
        help="Folder for the estimates, tables and figures.",
    )
    @click.option(
        "--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of the built-in cohort."
    )
    @click.option(
        "--n-enrolled",
        type=int,
        help=f"Enrolled patients of the built-in cohort (default {DEFAULT_ENROLLED}; the flow is scaled).",
    )
    @click.option("--example", is_flag=True, help="Run on the 12-patient example shipped with cartsie.")
    @cli.input_options
    @cli._friendly
    def command(patients, labs, out, seed, n_enrolled, example, **opts) -> None:
        found["cohort"], found["out"] = _load(item, patients, labs, out, seed, n_enrolled, example, opts)

    return command


def _load(item, patients, labs, out, seed, n_enrolled, example, opts) -> tuple[Any, Output]:
    """The cohort as ``cartsie reproduce`` reads it (same options, same messages), and its Output."""
    from cartsie.datasets import example_path
    from cartsie.figures import SYNTHETIC_NOTE
    from cartsie.study.pipeline import checksum

    if example and (patients is not None or labs is not None):
        raise InputError("give either --data (and --labs) or --example, not both.")
    if example:
        patients, labs = example_path("example_patients.csv"), example_path("example_labs.csv")
    if patients is None and labs is not None:
        raise InputError("--labs needs --data (the patients table).")
    if patients is not None and n_enrolled is not None:
        raise InputError("--n-enrolled is for the built-in cohort; it cannot be used with --data.")
    if patients is None:
        from cartsie import synthetic

        try:
            cohort = synthetic.cartsie_like(seed=seed, n_enrolled=n_enrolled or DEFAULT_ENROLLED)
        except ValueError as exc:  # too few enrolled for the flow: the user's input, not a bug
            raise InputError(str(exc)) from exc
        data, note = "built-in synthetic cohort (not patient data)", SYNTHETIC_NOTE
    else:
        cohort = cli._quiet_load(patients, labs, **cli._load_kwargs(opts))
        cli._print_warnings(cohort)
        data, note = Path(patients).name, None
    manifest = {
        "data": data,
        "seed": seed if note else None,
        "input_sha256": checksum(cohort.patients, cohort.labs),
    }
    return cohort, Output(Path(out), item, note, manifest)


def _excepthook(kind, exc, tb) -> None:
    """After setup, an error outside every guard still ends in a message, not a traceback."""
    if os.environ.get("CARTSIE_DEBUG") or not issubclass(kind, Exception):
        traceback.print_exception(kind, exc, tb)
    elif issubclass(kind, CartsieError):
        click.echo(f"error: {exc}", err=True)
    else:
        click.echo(
            f"error: the script failed unexpectedly ({kind.__name__}: {exc}). This is a bug in cartsie "
            "or in the script, not in your data: please report it (CARTSIE_DEBUG=1 shows the traceback).",
            err=True,
        )


def _showwarning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"warning: {message}", err=True)  # as every cartsie command prints them


def setup(item: str, doc: str | None = None, argv: Sequence[str] | None = None) -> tuple[Any, Output]:
    """Read a script's command line and load its cohort, as ``cartsie reproduce --item ITEM`` would.

    ``python analyses/NN_ITEM.py [--data PATIENTS [--labs LABS] | --example] [--out DIR] [--seed N]
    [--n-enrolled N] [reading options]``: without ``--data``, the built-in synthetic cohort
    (:func:`cartsie.synthetic.cartsie_like`); with it, the files read by :func:`cartsie.cohort.load`
    with the reading options of every ``cartsie`` command (``--unit``, ``--columns``, ``--na``...).

    Parameters
    ----------
    item : str
        The paper item (:data:`cartsie.study.registry.NAMES`); outputs go to ``cartsie-output/ITEM``
        unless ``--out`` is given.
    doc : str, optional
        The script's docstring, printed by ``--help``.
    argv : sequence of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    cohort : cartsie.cohort.Cohort
        The loaded (or simulated) cohort.
    out : Output
        The output folder (created), with the figures' footnote.

    Notes
    -----
    Unusable input ends the process with the command line's message (the column, the patient id(s),
    the fix) and exit status 2; ``--help`` exits 0. Afterwards warnings print as ``warning: ...``
    lines, and an error outside the guards as a message (``CARTSIE_DEBUG=1``: the traceback).
    """
    from cartsie.study.registry import item as find

    it = find(item)  # a KeyError naming the items: the script's bug, not the user's
    found: dict = {}
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        status = _command(it.name, doc, found).main(
            args=args, prog_name=f"analyses/{it.script}", standalone_mode=False
        )
    except click.ClickException as exc:  # a usage error: click's message and exit status
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    if "cohort" not in found:  # --help was printed
        sys.exit(status or 0)
    sys.excepthook = _excepthook
    warnings.showwarning = _showwarning
    found["out"].path.mkdir(parents=True, exist_ok=True)
    return found["cohort"], found["out"]


# -- the estimates ----------------------------------------------------------------------------------


@dataclass
class Guard:
    """One estimate, computed in a ``with est(id, label) as e:`` block.

    Parameters
    ----------
    id : str
        The estimate's id (``surv.os.1y.ht.low``).
    label : str
        What it is, in the paper's words.
    """

    id: str
    label: str
    _row: dict | None = field(default=None, init=False, repr=False)

    def set(self, value, ci=(np.nan, np.nan), *, interval=None, p=np.nan, n=np.nan, note: str = "") -> None:
        """Record the estimate (:func:`cartsie.study.estimate.row`).

        Parameters
        ----------
        value : float
            The estimate.
        ci : tuple of float
            The interval beside it (NaN, NaN: none).
        interval : {"ci", "iqr", "range", "none"}, optional
            What that interval is (default "ci" when one is given, else "none").
        p : float
            The p-value of the test or model behind it.
        n : float
            The number of patients it rests on.
        note : str
            What a reader should know about it.
        """
        self._row = E.row(value, ci, interval=interval, p=p, n=n, note=note)

    def not_estimable(self, reason: str, value=np.nan, n=np.nan, note: str = "") -> None:
        """Record that the cohort cannot give the estimate (an infinite ratio keeps its 0 or inf).

        Parameters
        ----------
        reason : str
            Why, in the paper's words.
        value : float
            The infinite ratio, else NaN.
        n : float
            The patients of the model.
        note : str
            What a reader should know about it.
        """
        self._row = E.not_estimable(reason, value=value, n=n, note=note)

    def ratio(self, fit, term: str, data: pd.DataFrame, outcome: str, note: str = "") -> None:
        """Record the odds, hazard or subdistribution hazard ratio of ``term`` in ``fit``.

        Parameters
        ----------
        fit : cartsie.binary.Logistic, cartsie.survival.Cox, cartsie.competing.FineGray or LpAdjusted
            The fitted model.
        term : str
            The covariate whose ratio is reported.
        data : DataFrame
            The patients of the model, to name the group without events of an infinite ratio.
        outcome : str
            The model's outcome or event column.
        note : str
            What a reader should know (who the model left out).

        Notes
        -----
        A ratio whose maximum-likelihood estimate is infinite (separation, monotone likelihood) keeps
        its value 0 or inf without CI and p and is marked not estimable, the reason naming the group
        without events: "OR infinite: no late ICAHT grade >= 3 in the HT low group".
        """
        r = fit.summary.loc[term]
        column = next(c for c in RATIOS if c in r.index)
        model = getattr(fit, "model", fit)  # an lp_adjusted result: its second-stage model
        if term in model.infinite_terms:
            reason = C.infinite_reason(RATIOS[column], r["coef"], data, term, data[outcome] == 1)
            self.not_estimable(reason, value=r[column], n=fit.n, note=note)
        else:
            self.set(r[column], (r["ci_lower"], r["ci_upper"]), p=r["p_value"], n=fit.n, note=note)


class Estimates:
    """The estimates of a script, one typed row per id (:data:`cartsie.study.estimate.COLUMNS`).

    ``with est(id, label) as e:`` computes one estimate, ``e.set(value, (lo, hi), p=..., n=...)``
    records it. A :class:`~cartsie.study.estimate.NotEstimable` check or a cartsie error of a
    statistic in the block becomes a not-estimable row with its reason, and the script goes on; any
    other exception (a bug) too, its reason starting with "unexpected error". Warnings are handled as
    by :func:`cartsie.study.estimate.estimate`: missing-value warnings dropped (the note says who was
    left out), the others printed with the estimate's id in front.

    Examples
    --------
    >>> est = Estimates()
    >>> with est("x.rate", "A rate, %") as e:
    ...     raise NotEstimable("nobody HT high")
    >>> with est("x.count", "A count") as e:
    ...     e.set(3)
    >>> est.frame()[["id", "value", "estimable", "reason"]].values.tolist()
    [['x.rate', nan, False, 'nobody HT high'], ['x.count', 3.0, True, '']]
    """

    def __init__(self) -> None:
        self.rows: list[dict] = []

    @contextmanager
    def __call__(self, id_: str, label: str) -> Iterator[Guard]:
        """Compute the estimate ``id_`` in the block (see the class docstring).

        Parameters
        ----------
        id_ : str
            The estimate's id, unique in the script.
        label : str
            What it is, in the paper's words.

        Yields
        ------
        Guard
            Its ``set``, ``not_estimable`` and ``ratio`` record the row.
        """
        if any(r["id"] == id_ for r in self.rows):
            raise ValueError(f"estimate {id_!r} computed twice")  # the script's bug
        guard = Guard(id_, label)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield guard
            except CartsieError as exc:
                guard._row = E.not_estimable(E.reason(exc))
            except Exception as exc:  # a bug: kept to this row, named in its reason
                guard._row = E.not_estimable(f"{E.UNEXPECTED} ({type(exc).__name__}: {exc})")
        row = guard._row
        if row is None:  # the block neither recorded a value nor failed: the script's bug
            row = E.not_estimable(f"{E.UNEXPECTED} (the script recorded no value for {id_})")
        E._reemit(caught, id_, row)
        self.rows.append({"id": id_, "label": label, **row})

    def frame(self) -> pd.DataFrame:
        """Return the estimates as a table.

        Returns
        -------
        DataFrame
            One row per estimate, columns :data:`cartsie.study.estimate.COLUMNS`.
        """
        return E.frame(self.rows)

    def write(self, out: Output) -> pd.DataFrame:
        """Write ``estimates.csv``, ``comparison.csv`` (published versus reproduced) and
        ``manifest.json`` (cartsie version, input checksum) to ``out``, and say what was written.

        Parameters
        ----------
        out : Output
            The script's output folder.

        Returns
        -------
        DataFrame
            The estimates written.
        """
        from cartsie.study.compare import compare

        estimates = self.frame()
        comparison = compare(estimates)
        comparison = comparison[comparison["id"].isin(estimates["id"])].reset_index(drop=True)
        manifest = out.manifest | {
            "cartsie_version": __version__,
            "items": [out.item],
            "skipped": out.skipped,
        }
        out.path.mkdir(parents=True, exist_ok=True)
        for name, text in (
            ("estimates.csv", estimates.to_csv(index=False)),
            ("comparison.csv", comparison.to_csv(index=False)),
            ("manifest.json", json.dumps(manifest, indent=2, sort_keys=True)),
        ):
            (out.path / name).write_text(text, encoding="utf-8")
            out.files.append(out.path / name)
        click.echo(f"wrote {len(out.files)} files to {out.path}/ ({len(estimates)} estimates)")
        ne = estimates[~estimates["estimable"]]
        if len(ne):
            head = ", ".join(f"{i} ({r})" for i, r in zip(ne["id"][:3], ne["reason"][:3], strict=True))
            more = f" and {len(ne) - 3} more (see estimates.csv)" if len(ne) > 3 else ""
            click.echo(f"{len(ne)} estimate(s) not estimable on this cohort: {head}{more}")
        return estimates


def rates_table(
    est: Estimates, layout: Sequence[tuple[str, str, str, str, str]], title: str, notes: Sequence[str]
):
    """Make a table of rates by risk group, with the odds ratio of high versus low, from estimates.

    Parameters
    ----------
    est : Estimates
        The script's estimates; the cells are formatted from their rows.
    layout : sequence of tuple of str
        One ``(label, overall id, low id, high id, OR id)`` per row.
    title : str
        The title.
    notes : sequence of str
        The footnotes.

    Returns
    -------
    StudyTable
        The table, with the writers of every cartsie table; ``stats`` holds the estimate rows.
    """
    from cartsie.study._supplementary import rates_table as make

    return make({r["id"]: r for r in est.rows}, layout, title, notes)


def performance_table(est: Estimates):
    """Make the score-performance table (beyond the paper) from the ``perf.*`` estimates.

    Parameters
    ----------
    est : Estimates
        The script's estimates; the cells are formatted from their rows.

    Returns
    -------
    StudyTable
        One block per score and endpoint (:func:`cartsie.study.definitions.perf_blocks`), one row per
        measure, a column for the whole follow-up and one per time.
    """
    from cartsie.study._supplementary import performance_table as make
    from cartsie.study.definitions import PERF_OPTIONS, perf_blocks

    return make({r["id"]: r for r in est.rows}, perf_blocks(), PERF_OPTIONS["times"])
