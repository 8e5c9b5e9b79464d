"""What the ``analyses/`` scripts share, so that each stays the Methods paragraph of its paper item.

A script reads, top to bottom::

    cohort, out = script.setup("survival", __doc__)   # --data/--labs/--out/--seed, as every command
    est = script.Estimates()
    ht = study.population(cohort, "ht")
    with est("surv.os.hr.ht", "HR of OS, HT high vs low (Cox)") as e:
        fit = cox(ht, "os_months", "os_event", ["ht_high"])
        e.ratio(fit, "ht_high", ht, "os_event")
    with out.figure("figure1a_os_ht") as f:
        f.save(figures.km_plot(...))
    est.write(out)

- :func:`setup` parses the command line with the reading options of every ``cartsie`` command
  (:func:`cartsie.cli.input_options`) and loads the cohort as ``cartsie reproduce`` does; bad input
  ends in the command line's one-paragraph message and exit status 2, never in a traceback;
- :class:`Estimates` collects the typed rows of :mod:`cartsie.study.estimate`: each ``with est(id,
  label) as e:`` block is one estimate, and a block the cohort cannot give (a
  :class:`~cartsie.study.estimate.NotEstimable` check, a cartsie error of a statistic) becomes a
  not-estimable row with its reason while the script goes on -- the same guard as
  :func:`cartsie.study.estimate.estimate`, so the rows equal ``cartsie reproduce``'s;
- :meth:`Output.table` and :meth:`Output.figure` guard the tables and figures in the same way and
  write them with :func:`cartsie.study.pipeline.write_table` and
  :func:`~cartsie.study.pipeline.save_figure`;
- the checks (:func:`need`, :func:`both_groups`, :func:`events`, :func:`adjustment`...) raise
  ``NotEstimable`` with the reasons the study's items give, in the paper's words; :func:`percent` is
  the exact binomial percentage of every rate.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import warnings
from collections.abc import Iterator, Sequence
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
from cartsie.study._models import RATIO_NAMES, adjustment_set
from cartsie.study.definitions import ADJUST_FOR, POPULATIONS, REFERENCE, group_name, outcome
from cartsie.study.estimate import NotEstimable

__all__ = [
    "Estimates",
    "Guard",
    "NotEstimable",
    "Output",
    "Saver",
    "adjustment",
    "both_groups",
    "events",
    "left_out",
    "need",
    "nobody",
    "not_reached",
    "outcome_present",
    "percent",
    "rates_table",
    "setup",
]

#: the seed of the built-in cohort, as ``cartsie reproduce``'s default
DEFAULT_SEED = 2024
DEFAULT_ENROLLED = 1002


# -- the command line -------------------------------------------------------------------------------


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
        What ``manifest.json`` records about the input (data, seed, input_sha256).
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
    def table(self, name: str) -> Iterator[Saver]:
        """Guard one table: ``with out.table("supp_table2") as t: t.save(regression_table(...))``.

        Parameters
        ----------
        name : str
            File stem under ``tables/`` (every format of :data:`cartsie.study.pipeline.TABLE_FORMATS`).

        Yields
        ------
        Saver
            Its ``save(table)`` writes the table; a failure inside the block skips the table with its
            reason (printed, and kept in :attr:`skipped`) and the script goes on.
        """
        with self._guard("table", name) as saver:
            yield saver

    @contextmanager
    def figure(self, name: str) -> Iterator[Saver]:
        """Guard one figure: ``with out.figure("figure1a_os_ht") as f: f.save(figures.km_plot(...))``.

        Parameters
        ----------
        name : str
            File stem under ``figures/`` (PNG at 300 dpi and PDF).

        Yields
        ------
        Saver
            Its ``save(fig)`` writes and closes the figure; a failure inside the block skips the
            figure with its reason and the script goes on.
        """
        with self._guard("figure", name) as saver:
            yield saver

    @contextmanager
    def _guard(self, kind: str, name: str) -> Iterator[Saver]:
        saver = Saver(self, kind, name)
        with warnings.catch_warnings():
            # the tables' footnotes say who each model left out (as cartsie reproduce's tables)
            warnings.simplefilter("ignore", MissingValuesWarning)
            try:
                yield saver
            except CartsieError as exc:
                self._skip(f"{kind} {name} skipped: {E.reason(exc)}")
            except Exception as exc:  # a bug: kept to this output, named in the message
                self._skip(f"{kind} {name} skipped: {E.UNEXPECTED} ({type(exc).__name__}: {exc})")

    def _skip(self, message: str) -> None:
        self.skipped.append(message)
        click.echo(f"note: {message}", err=True)


@dataclass
class Saver:
    """Writes the one table or figure of an :meth:`Output.table` / :meth:`Output.figure` block.

    Parameters
    ----------
    out : Output
        The output folder.
    kind : {"table", "figure"}
        What is written.
    name : str
        Its file stem.
    """

    out: Output
    kind: str
    name: str

    def save(self, obj) -> list[Path]:
        """Write ``obj`` (a table, or a matplotlib figure, closed once written).

        Parameters
        ----------
        obj : table or matplotlib.figure.Figure
            A table with the writers of every cartsie table (Table 1, a regression table, a study
            table), or a figure.

        Returns
        -------
        list of Path
            The files written.
        """
        from cartsie.study import pipeline

        folder = self.out.path / f"{self.kind}s"
        folder.mkdir(parents=True, exist_ok=True)
        if self.kind == "table":
            paths = pipeline.write_table(obj, folder / self.name)
        else:
            import matplotlib.pyplot as plt

            try:
                paths = pipeline.save_figure(obj, folder / self.name)
            finally:
                plt.close(obj)
        self.out.files += [Path(p) for p in paths]
        return paths


def _command(item: str, doc: str | None, found: dict) -> click.Command:
    """The script's command: ``cartsie reproduce``'s options for one item, and the reading options."""

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
        default=None,
        help=f"Enrolled patients of the built-in cohort (default {DEFAULT_ENROLLED}; the flow is scaled).",
    )
    @click.option("--example", is_flag=True, help="Run on the 12-patient example shipped with cartsie.")
    @cli.input_options
    @cli._friendly
    def command(
        patients: Path | None,
        labs: Path | None,
        out: Path,
        seed: int,
        n_enrolled: int | None,
        example: bool,
        **opts,
    ) -> None:
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
        except ValueError as exc:  # n_enrolled too small for the flow: an input error
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
        return
    if isinstance(exc, CartsieError):
        click.echo(f"error: {exc}", err=True)
        return
    click.echo(
        f"error: the script failed unexpectedly ({kind.__name__}: {exc}). This is a bug in cartsie or in "
        "the script, not in your data: please report it (CARTSIE_DEBUG=1 shows the traceback).",
        err=True,
    )


def _showwarning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"warning: {message}", err=True)


def setup(item: str, doc: str | None = None, argv: Sequence[str] | None = None) -> tuple[Any, Output]:
    """Parse a script's command line and load its cohort, as ``cartsie reproduce --item ITEM`` would.

    ``python analyses/05_survival.py [--data PATIENTS [--labs LABS] | --example] [--out DIR]
    [--seed N] [--n-enrolled N] [reading options]``: without ``--data`` the built-in synthetic cohort
    (:func:`cartsie.synthetic.cartsie_like`) is analysed; with it, the files are read by
    :func:`cartsie.cohort.load` with every reading option of the ``cartsie`` commands (``--unit``,
    ``--columns``, ``--decimal``, ``--na``...).

    Parameters
    ----------
    item : str
        The paper item (a name of :data:`cartsie.study.registry.NAMES`); the outputs go to
        ``cartsie-output/ITEM`` unless ``--out`` is given.
    doc : str, optional
        The script's docstring, shown by ``--help``.
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
    Unusable input ends the process with the command line's message (naming the column, the patient
    id(s) and the fix) and exit status 2; ``--help`` prints the script's docstring and the options and
    exits 0. After setup, warnings are printed as ``warning: ...`` lines, as by every command.
    """
    from cartsie.study.registry import item as find

    name = find(item).name  # a KeyError names the items: a script's bug, not the user's
    found: dict = {}
    command = _command(name, doc, found)
    args = list(sys.argv[1:] if argv is None else argv)
    prog = f"analyses/{find(item).script}"
    try:
        status = command.main(args=args, prog_name=prog, standalone_mode=False)
    except click.ClickException as exc:  # a usage error: click's message, its exit status
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    if "cohort" not in found:  # --help, printed
        sys.exit(status or 0)
    sys.excepthook = _excepthook
    warnings.showwarning = _showwarning
    out = found["out"]
    out.path.mkdir(parents=True, exist_ok=True)
    return found["cohort"], out


# -- the estimates ----------------------------------------------------------------------------------


@dataclass
class Guard:
    """One estimate being computed in an ``with est(id, label) as e:`` block.

    Parameters
    ----------
    id : str
        The estimate's id (``surv.os.1y.ht.low``).
    label : str
        What it is, in the paper's words.
    """

    id: str
    label: str
    _row: dict | None = field(default=None, repr=False)

    def set(self, value, ci=(np.nan, np.nan), *, interval=None, p=np.nan, n=np.nan, note: str = "") -> None:
        """Record the estimate (see :func:`cartsie.study.estimate.row`).

        Parameters
        ----------
        value : float
            The estimate.
        ci : tuple of float
            The interval beside it (NaN, NaN: none).
        interval : {"ci", "iqr", "range", "none"}, optional
            What that interval is (default ``"ci"`` when one is given, else ``"none"``).
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
            The number of patients of the model.
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
            The patients of the model, to name the group without events when the ratio is infinite.
        outcome : str
            The outcome or event column of the model.
        note : str
            What a reader should know (who the model left out).

        Notes
        -----
        A ratio whose maximum-likelihood estimate is infinite (separation, monotone likelihood) keeps
        its value 0 or inf with no CI and p, and is marked not estimable, the reason naming the group
        without events: "OR infinite: no late ICAHT grade >= 3 in the HT low group".
        """
        r = fit.summary.loc[term]
        column = next(c for c in RATIO_NAMES if c in r.index)
        infinite = getattr(fit, "infinite_terms", None)
        if infinite is None:  # an lp_adjusted result: the second-stage model's
            infinite = fit.model.infinite_terms
        if term in infinite:
            hit = data[outcome] == 1
            reason = C.infinite_reason(RATIO_NAMES[column], r["coef"], data, term, hit)
            self.not_estimable(reason, value=r[column], n=fit.n, note=note)
        else:
            self.set(r[column], (r["ci_lower"], r["ci_upper"]), p=r["p_value"], n=fit.n, note=note)


class Estimates:
    """The estimates of a script, one typed row per id (:data:`cartsie.study.estimate.COLUMNS`).

    ``with est(id, label) as e:`` computes one estimate; inside, ``e.set(value, (lo, hi), p=, n=)``
    records it. A :class:`~cartsie.study.estimate.NotEstimable` check or a cartsie error of a
    statistic inside the block becomes a not-estimable row with its reason, and the script goes on;
    any other exception (a bug) too, its reason starting with "unexpected error". Warnings are handled
    as by :func:`cartsie.study.estimate.estimate`: missing-value warnings dropped (the note says who
    was left out), the others printed with the estimate's id in front.

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
        """Compute the estimate ``id_`` in the block; see the class docstring.

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
            raise ValueError(f"estimate {id_!r} computed twice")  # a script's bug
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
        if row is None:  # a block that neither set a value nor failed: the script's bug
            row = E.not_estimable(f"{E.UNEXPECTED} (the script set no value for {id_})")
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
        """Write ``estimates.csv``, ``comparison.csv`` and ``manifest.json`` to ``out`` and say so.

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
        line = _not_estimable_line(estimates)
        if line:
            click.echo(line)
        return estimates


def _not_estimable_line(estimates: pd.DataFrame, shown: int = 3) -> str:
    ne = estimates[~estimates["estimable"]]
    if not len(ne):
        return ""
    head = ", ".join(f"{i} ({r})" for i, r in zip(ne["id"][:shown], ne["reason"][:shown], strict=True))
    more = f" and {len(ne) - shown} more (see estimates.csv)" if len(ne) > shown else ""
    return f"{len(ne)} estimate{'s' if len(ne) != 1 else ''} not estimable on this cohort: {head}{more}"


# -- the checks -------------------------------------------------------------------------------------


def need(pop: pd.DataFrame, *columns: str, population: str | None = None) -> pd.DataFrame:
    """Check that ``pop`` has ``columns`` (and, with ``population``, at least one patient).

    Parameters
    ----------
    pop : DataFrame
        Patients of an analysis population.
    *columns : str
        The columns the estimate needs.
    population : str, optional
        The population's name (:data:`cartsie.study.definitions.POPULATIONS`), to check that it is
        not empty.

    Returns
    -------
    DataFrame
        ``pop``, unchanged.

    Raises
    ------
    NotEstimable
        "no labs table: ICAHT not graded", "column 'spm_type' absent from the data", "no patient in
        the HT-evaluable population".
    """
    # A graded column is absent only when there is no labs table (with one, every grade is made), so
    # the reason is told from the column alone, as the items tell it from the cohort.
    C.need(pop, columns, None)
    if population is not None:
        C.need_patients(pop, population)
    return pop


def nobody(pop: pd.DataFrame, group: str, level: int) -> None:
    """Check that some patient of ``pop`` has ``group == level``.

    Parameters
    ----------
    pop : DataFrame
        The patients.
    group : str
        A 0/1 column (``ht_high``).
    level : int
        The level (0 low, 1 high).

    Raises
    ------
    NotEstimable
        "nobody HT high".
    """
    C.nobody(pop, group, level)


def both_groups(pop: pd.DataFrame, group: str) -> None:
    """Check that ``pop`` has patients in both levels of the 0/1 ``group``.

    Parameters
    ----------
    pop : DataFrame
        The patients.
    group : str
        A 0/1 column.

    Raises
    ------
    NotEstimable
        Naming the empty level ("nobody simpleHT high").
    """
    C.both_groups(pop, group)


def events(pop: pd.DataFrame, event: str, population: str, code: int = 1) -> int:
    """Count the events ``code`` of ``event`` in ``pop``, which must have one.

    Parameters
    ----------
    pop : DataFrame
        The patients.
    event : str
        The event column.
    population : str
        The population's name, for the reason.
    code : int
        The event code (1; 2 for a competing event).

    Returns
    -------
    int
        The number of events.

    Raises
    ------
    NotEstimable
        "no death in the HT-evaluable population".
    """
    return C.events(pop, event, population, code)


def percent(flag: pd.Series, what: str) -> tuple[float, int, tuple[float, float]]:
    """Percentage of 1s among the known values of ``flag``, with its exact 95% CI.

    Parameters
    ----------
    flag : Series
        A 0/1 column (missing values left out).
    what : str
        What it counts, for the reason when no value is known ("late ICAHT").

    Returns
    -------
    percent : float
        100 k / n.
    n : int
        The known values.
    ci : tuple of float
        The exact (Clopper-Pearson) 95% CI, in percent.

    Raises
    ------
    NotEstimable
        "no patient with known late ICAHT".

    Notes
    -----
    R: ``binom.test(k, n)$conf.int`` (``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``).
    """
    return C.percent(flag, what)


def left_out(pop: pd.DataFrame, columns: Sequence[str], model: str) -> str:
    """Say who a model leaves out for missing values.

    Parameters
    ----------
    pop : DataFrame
        The population the model is fitted on.
    columns : sequence of str
        The model's columns.
    model : str
        The model's name ("logistic model of CRS by HT").

    Returns
    -------
    str
        "82 patients without ldh_above_uln left out of the adjusted Cox model for OS", or "".
    """
    return C.left_out(pop, columns, model)


def not_reached(value: float) -> str:
    """Return the note of a median: "not reached" when it is infinite or NaN, else "".

    Parameters
    ----------
    value : float
        The median.

    Returns
    -------
    str
        The note.
    """
    return "" if np.isfinite(value) else "not reached"


def adjustment(
    pop: pd.DataFrame, population: str, score: str, response: Sequence[str], label: str
) -> tuple[list[str], dict | None, str]:
    """Check that the score's effect can be adjusted, and say by what: CART-SIE's linear predictor.

    "Its effect on each outcome was adjusted by a linear predictor resulting from a model which
    included stage, bulky disease, histology, disease status, IPI, and bridging therapy" (Methods):
    the covariates of :data:`~cartsie.study.definitions.ADJUST_FOR` that the data hold.

    Parameters
    ----------
    pop : DataFrame
        The population.
    population : str
        Its name.
    score : str
        The 0/1 score column (``ht_high``).
    response : sequence of str
        ``[outcome]`` of a logistic model, or ``[time, event]`` of a Cox model.
    label : str
        The model's name in the note ("adjusted Cox model for OS").

    Returns
    -------
    adjust_for : list of str
        The adjustment covariates present in the data.
    reference : dict or None
        The reference levels of the categorical ones (histology: DLBCL), when some patient has them.
    note : str
        The covariates adjusted for, those the data lack, and who the model leaves out.

    Raises
    ------
    NotEstimable
        When no adjustment covariate is in the data, a group is empty among the patients with every
        covariate known, or the outcome (events) is absent.
    """
    need(pop, score, *response, population=population)
    adjust, lacking = adjustment_set(pop)
    if not adjust:
        raise NotEstimable(f"none of the adjustment covariates ({', '.join(ADJUST_FOR)}) in the data")
    columns = [score, *adjust, *response]
    used = pop[columns].dropna()
    both_groups(pop, score)
    if not len(used):
        raise NotEstimable(f"no patient has {score}, every adjustment covariate and the outcome known")
    for level in (0, 1):
        if not (used[score] == level).any():
            raise NotEstimable(
                f"nobody {group_name(score, level)} among the {len(used)} patients with every "
                "adjustment covariate known"
            )
    if len(response) == 1:
        outcome_present(used, response[0], population)
    else:
        events(used, response[1], population)
    note = C.join(
        "adjusted by the linear predictor of " + ", ".join(adjust),
        f"not adjusted for {', '.join(lacking)} (absent from the data)" if lacking else "",
        left_out(pop, columns, label),
    )
    reference = {k: v for k, v in REFERENCE.items() if k in adjust and (used[k] == v).any()}
    return adjust, reference or None, note


def outcome_present(used: pd.DataFrame, column: str, population: str) -> None:
    """Check that a logistic model has patients with and without the outcome.

    Parameters
    ----------
    used : DataFrame
        The patients of the model (every column known).
    column : str
        The 0/1 outcome.
    population : str
        The population's name, for the reason.

    Raises
    ------
    NotEstimable
        "no CRS among the HT-evaluable patients with crs_any known".
    """
    hit = used[column] == 1
    who = f"{POPULATIONS[population]} patient"
    if not hit.any():
        raise NotEstimable(f"no {outcome(column)} among the {who}s with {column} known")
    if hit.all():
        raise NotEstimable(f"{outcome(column)} in every {who} with {column} known")


def rates_table(
    est: Estimates, layout: Sequence[tuple[str, str, str, str, str]], title: str, notes: Sequence[str]
):
    """A table of rates by risk group with the odds ratio of high versus low, from the estimates.

    Parameters
    ----------
    est : Estimates
        The script's estimates (the cells are formatted from their rows).
    layout : sequence of tuple of str
        One ``(label, overall id, low id, high id, OR id)`` per row of the table.
    title : str
        The table's title.
    notes : sequence of str
        Its footnotes.

    Returns
    -------
    StudyTable
        The table, with the writers of every cartsie table; its ``stats`` are the estimate rows.
    """
    from cartsie.study._supplementary import rates_table as make

    return make({r["id"]: r for r in est.rows}, layout, title, notes)
