"""The ``cartsie`` command line.

Every command reads the usual registry exports (CSV, Excel, Parquet, SAS, Stata) and exits with
status 2 and a one-paragraph message -- naming the column, the patient id(s) and the fix -- when the
input is unusable, never with a traceback. Each command imports the modules it needs when it runs
(lazy imports, deliberately), so that ``cartsie --help`` and the light commands start fast.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from cartsie import __version__
from cartsie._cli_power import register as _register_power
from cartsie.datasets import example_path
from cartsie.errors import CartsieError, InputError
from cartsie.units import CANONICAL

if TYPE_CHECKING:  # pandas comes with the commands that need it, so `cartsie --help` starts fast
    import pandas as pd

EXIT_BAD_INPUT = 2


def _friendly(func):
    """Turn every failure into a message and exit status 2 (never a traceback), warnings into stderr lines.

    cartsie's own input errors carry the column, the patient id(s) and the fix. Anything else is a bug
    of cartsie's, reported as such (``CARTSIE_DEBUG=1`` shows its traceback).
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = func(*args, **kwargs)
            except CartsieError as exc:
                _flush(caught)
                click.echo(f"error: {exc}", err=True)
                sys.exit(EXIT_BAD_INPUT)
            except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
                _flush(caught)
                raise
            except Exception as exc:  # the promise is no traceback on any input
                _flush(caught)
                if os.environ.get("CARTSIE_DEBUG"):
                    raise
                click.echo(
                    f"error: cartsie failed unexpectedly ({type(exc).__name__}: {exc}). This is a bug in "
                    "cartsie, not in your data: please report it (CARTSIE_DEBUG=1 shows the traceback).",
                    err=True,
                )
                sys.exit(EXIT_BAD_INPUT)
        _flush(caught)
        return result

    return wrapper


def _flush(caught) -> None:
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)


def _parse_units(pairs: tuple[str, ...]) -> dict[str, str]:
    """``("patients.crp=mg/L", "hb=g/L")`` -> ``{"patients.crp": "mg/L", "hb": "g/L"}`` (load checks keys)."""
    units = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(
                f"{pair!r}: write TABLE.COLUMN=UNIT, e.g. patients.crp=mg/L", param_hint="--unit"
            )
        col, unit = pair.split("=", 1)
        units[col.strip().lower()] = unit.strip()
    return units


def _per_table(values: tuple[str, ...], flag: str, convert=lambda v: v):
    """``("x",)`` -> "x" for both tables; ``("patients=x", "labs=y")`` -> per table; () -> None."""
    if not values:
        return None
    out: dict = {}
    for value in values:
        table, sep, rest = value.partition("=")
        if sep and table.strip().lower() in ("patients", "labs"):
            out[table.strip().lower()] = convert(rest.strip())
        elif len(values) == 1:
            return convert(value)
        else:
            raise click.BadParameter(f"{value!r}: with several values write TABLE=VALUE", param_hint=flag)
    return out


def _sheet(name: str):
    return int(name) if name.isdigit() else name


_UNIT_HELP = (
    "Declare a column's unit, per table, so it is converted: --unit patients.crp=mg/L --unit labs.hb=g/L "
    f"(canonical: {', '.join(f'{k} {v}' for k, v in CANONICAL.items())}). A bare COLUMN=UNIT is for the "
    "one table that has the column. Repeatable."
)


def input_options(func):
    """The reading options every command shares (the same reading everywhere: cartsie.cohort.load).

    Parameters
    ----------
    func : callable
        A click command function; it receives the options as keyword arguments (``units``,
        ``column_map``, ``sheet``, ``decimal``, ``thousands``, ``dayfirst``, ``encoding``, ``na``,
        ``strict``, ``cutoff``, ``lab_duplicates``).

    Returns
    -------
    callable
        ``func`` with the options ``--unit``, ``--columns``, ``--sheet``, ``--decimal``,
        ``--thousands``, ``--dayfirst/--monthfirst``, ``--encoding``, ``--na``, ``--strict``,
        ``--cutoff`` and ``--lab-duplicates`` added, in that order in ``--help``.
    """
    decorators = [
        click.option("--unit", "units", multiple=True, metavar="TABLE.COLUMN=UNIT", help=_UNIT_HELP),
        click.option(
            "--columns",
            "column_map",
            type=click.Path(path_type=Path),
            help="Column map CSV (source,cartsie[,unit][,table]): your headers -> cartsie's names.",
        ),
        click.option(
            "--sheet",
            multiple=True,
            help="Excel sheet: NAME or index, or per table patients=NAME / labs=NAME "
            "(default: the sheet named after the table, else the one that looks like it).",
        ),
        click.option(
            "--decimal",
            multiple=True,
            metavar="MARK",
            help="Decimal mark ('.' or ','), or per table patients=, (default: told from the values).",
        ),
        click.option(
            "--thousands",
            multiple=True,
            metavar="SEP",
            help="Thousands separator (',' '.' ' ' \"'\"), or per table labs=. "
            "(default: none; '3,770' is refused).",
        ),
        click.option(
            "--dayfirst/--monthfirst",
            default=None,
            help="How to read dates like 02/03/2021 "
            "(default: decided from the data; ISO dates need neither).",
        ),
        click.option("--encoding", help="Text encoding of CSV files (default UTF-8), e.g. cp1252, latin-1."),
        click.option(
            "--na",
            "na",
            multiple=True,
            metavar="VALUE",
            help="A value meaning missing, e.g. 999 or ND. Repeatable.",
        ),
        click.option(
            "--strict",
            is_flag=True,
            help="Doubtful values (unrecognised columns, units, censored values) are errors, not warnings.",
        ),
        click.option(
            "--cutoff",
            metavar="DATE",
            help="Data cut-off, YYYY-MM-DD (default today): later dates are refused.",
        ),
        click.option(
            "--lab-duplicates",
            type=click.Choice(["error", "worst", "mean"]),
            default="error",
            show_default=True,
            help="Two different draws on one day: refuse, keep the lowest count, or average.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _load_kwargs(opts: dict) -> dict:
    """cohort.load's keyword arguments from the shared command-line options."""
    return {
        "units": _parse_units(opts["units"]),
        "columns": opts["column_map"],
        "sheet": _per_table(opts["sheet"], "--sheet", _sheet),
        "decimal": _per_table(opts["decimal"], "--decimal"),
        "thousands": _per_table(opts["thousands"], "--thousands"),
        "dayfirst": opts["dayfirst"],
        "encoding": opts["encoding"],
        "na": opts["na"],
        "strict": opts["strict"],
        "cutoff": opts["cutoff"],
        "lab_duplicates": opts["lab_duplicates"],
    }


def _quiet_load(*args, **kwargs):
    """cohort.load with its warnings kept in the Cohort (the commands print them once)."""
    from cartsie import cohort

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cohort.load(*args, **kwargs)


def _print_warnings(c) -> None:
    for w in c.warnings:
        click.echo(f"warning: {w}", err=True)


def _write(df: pd.DataFrame, out: Path | None) -> None:
    if out is None:
        click.echo(df.to_csv(), nl=False)
    else:
        df.to_csv(out)
        click.echo(f"wrote {len(df)} rows to {out}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cartsie")
def main() -> None:
    """cartsie: the CART-SIE statistics for CAR T-cell cohorts (CAR-HEMATOTOX score, ICAHT grading,
    survival and competing risks), each checked against R.

    Run `cartsie COMMAND --help` for one command's options.
    """


_UNIT_HELP = (
    "Declare a column's unit so it is converted, e.g. --unit crp=mg/L --unit plt=/uL "
    f"(canonical: {', '.join(f'{k} {v}' for k, v in CANONICAL.items())}). Repeatable."
)


def _sources(path, example: bool, what: str, example_name: str):
    if example == (path is not None):
        raise InputError(f"give either a {what} file or --example (not both, not neither).")
    return example_path(example_name) if example else path


@main.command()
@click.argument("patients", required=False, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Write CSV here (default: stdout).")
@click.option("--example", is_flag=True, help="Score the example patients shipped with cartsie.")
@input_options
@_friendly
def score(patients: Path | None, out: Path | None, example: bool, **opts) -> None:
    """Score the CAR-HEMATOTOX (HT) score and simpleHT of each patient.

    PATIENTS is a CSV, Excel, Parquet, SAS or Stata file with one row per patient: patient_id and the
    baseline labs anc (10^9/L), hb (g/dL), plt (10^9/L), crp (mg/dL), ferritin (ng/mL) -- read exactly
    as `cartsie validate` reads it. Writes one row per patient: the points of each lab, ht_score (0-7),
    ht_high (score >= 2) and simple_ht_high (platelets <= 175 and CRP >= 3). A score with a missing
    lab is left blank.
    """
    from cartsie.scores import score_all

    c = _quiet_load(_sources(patients, example, "patients", "example_patients.csv"), **_load_kwargs(opts))
    _print_warnings(c)
    present = [col for col in ("anc", "hb", "plt", "crp", "ferritin") if col in c.patients.columns]
    scored = score_all(c.patients.assign(**{col: c.patients[col] for col in present}), check_units=False)
    _write(scored, out)


@main.command()
@click.argument("labs", required=False, type=click.Path(path_type=Path))
@click.option(
    "--patients",
    type=click.Path(path_type=Path),
    help="Patients table: infusion dates for dated draws, and deaths/follow-up to leave later draws out.",
)
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Write CSV here (default: stdout).")
@click.option(
    "--duration",
    type=click.Choice(["longest", "total"]),
    default="longest",
    show_default=True,
    help="Early ICAHT duration: the longest episode or the total days at or below threshold.",
)
@click.option(
    "--late-rule",
    type=click.Choice(["consecutive", "any_two"]),
    default="consecutive",
    show_default=True,
    help="Late cytopenia is non-transient on two consecutive or any two measurements.",
)
@click.option("--late-end", type=int, default=None, help="Last day of the late window (default: last lab).")
@click.option("--no-interpolation", is_flag=True, help="Use measured days only (no linear interpolation).")
@click.option(
    "--max-gap",
    type=int,
    default=7,
    show_default=True,
    help="Longest gap in days bridged between two measurements.",
)
@click.option("--example", is_flag=True, help="Grade the example labs shipped with cartsie.")
@input_options
@_friendly
def grade(
    labs: Path | None,
    patients: Path | None,
    out: Path | None,
    duration: Literal["longest", "total"],
    late_rule: Literal["consecutive", "any_two"],
    late_end: int | None,
    no_interpolation: bool,
    max_gap: int,
    example: bool,
    **opts,
) -> None:
    """Grade ICAHT (EHA/EBMT), severe thrombocytopenia/anemia and the recovery phenotype.

    LABS is a long table (CSV, Excel, Parquet, SAS, Stata): patient_id, day (days since infusion,
    day 0 = infusion) or date (then give --patients for the infusion dates), anc (10^9/L) and
    optionally plt (10^9/L) and hb (g/dL), one row per draw -- read exactly as `cartsie validate`
    reads it. Writes one row per patient: icaht_early_grade (days 0-30), icaht_late_grade (after day
    30), the durations behind them, severe_thrombocytopenia, severe_anemia and recovery_phenotype. A
    grade with no measurement in its window is left blank.
    """
    from cartsie.toxicity import grade_icaht

    labs = _sources(labs, example, "labs", "example_labs.csv")
    c = _quiet_load(patients, labs, **_load_kwargs(opts))
    _print_warnings(c)
    result = grade_icaht(
        c.labs,
        duration=duration,
        late_rule=late_rule,
        late_end=late_end,
        interpolation="none" if no_interpolation else "linear",
        max_gap=max_gap,
        check_units=False,
    )
    _write(result, out)


@main.command()
@click.argument("patients", required=False, type=click.Path(path_type=Path))
@click.option(
    "--labs", type=click.Path(path_type=Path), help="Long labs table (patient_id, day or date, anc...)."
)
@click.option(
    "--suggest-map",
    is_flag=True,
    help="Print a starter column map (CSV) for the file(s): each header and the cartsie name it is read as.",
)
@click.option("--example", is_flag=True, help="Validate the example cohort shipped with cartsie.")
@input_options
def validate(patients: Path | None, labs: Path | None, suggest_map: bool, example: bool, **opts) -> None:
    """Check a cohort and print a validation report: problems, warnings, the patient flow.

    PATIENTS is the patients table (one row per patient; see cartsie.cohort.schema.describe()) as CSV,
    Excel, Parquet, SAS, Stata or SPSS. Exits 0 when the cohort can be analysed, 2 when it cannot.
    Every problem of both tables is listed at once, one line per kind, naming the column, the
    patient id(s) and the fix.
    """
    try:
        if example:
            patients, labs = (
                _sources(patients, example, "patients", "example_patients.csv"),
                example_path("example_labs.csv"),
            )
        elif patients is None and labs is None:
            raise InputError("give a patients file (and --labs), or --example.")
        if suggest_map:
            click.echo(_suggested_map(patients, labs, _load_kwargs(opts)).to_csv(index=False), nl=False)
            return
        c = _quiet_load(patients, labs, **_load_kwargs(opts))
    except CartsieError as exc:
        problems = getattr(exc, "problems", None) or (str(exc),)
        click.echo(f"cartsie validate: {len(problems)} problem(s); the cohort cannot be analysed.\n")
        for p in problems:
            click.echo(f"  PROBLEM  {p}")
        sys.exit(EXIT_BAD_INPUT)
    except Exception as exc:  # the promise is no traceback on any input
        if os.environ.get("CARTSIE_DEBUG"):
            raise
        click.echo(
            f"cartsie validate: failed unexpectedly ({type(exc).__name__}: {exc}). This is a bug in "
            "cartsie, not in your data: please report it (CARTSIE_DEBUG=1 shows the traceback)."
        )
        sys.exit(EXIT_BAD_INPUT)
    from cartsie.cohort.summary import validation_report

    click.echo(validation_report(c))


def _suggested_map(patients, labs, kwargs: dict) -> pd.DataFrame:
    import pandas as pd

    from cartsie.cohort import Report, make_options, read_file, suggest_map

    options = make_options(
        **{k: v for k, v in kwargs.items() if k not in ("units",)}, has_labs=labs is not None
    )
    maps = []
    for table, path in (("patients", patients), ("labs", labs)):
        if path is not None:
            maps.append(suggest_map(read_file(path, table, options, Report()), table, options))
    return pd.concat(maps, ignore_index=True)


@main.command()
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
    default=Path("cartsie-output"),
    show_default=True,
    help="Folder for tables, figures and the report.",
)
@click.option(
    "--seed", type=int, default=2024, show_default=True, help="Seed of the built-in synthetic cohort."
)
@click.option(
    "--item",
    "items",
    multiple=True,
    help="Run only these paper items (repeatable): flow, table1, toxicity, response, survival, nrm, spm.",
)
@click.option("--example", is_flag=True, help="Run on the 12-patient example shipped with cartsie.")
@click.option(
    "--title",
    help="The report's title (default: 'CART-SIE: built-in synthetic cohort', or the --data file's name).",
)
@click.option(
    "--compare-published",
    is_flag=True,
    default=None,
    help="Show the published-versus-reproduced comparison in the report of your --data (always shown "
    "on the built-in cohort).",
)
@input_options
@_friendly
def reproduce(
    patients: Path | None,
    labs: Path | None,
    out: Path,
    seed: int,
    items: tuple[str, ...],
    example: bool,
    title: str | None,
    compare_published: bool | None,
    **opts,
) -> None:
    """Run the CART-SIE analysis and write tables, figures and a published-vs-reproduced report.

    Without --data the built-in synthetic cohort (calibrated to the paper's published aggregates) is
    analysed, so the report shows how close a reproduction on CART-SIE-like data comes to every
    published number. With --data (and --labs) your own cohort is analysed the same way, read exactly
    as `cartsie validate` reads it. An estimate your cohort cannot give (no events, an empty group...)
    is reported as not estimable with its reason; the rest is written. The report of your data is
    titled --title (default: the file's name) and shows the published comparison only with
    --compare-published. Outputs hold aggregates only:
    report.html, report.md, estimates.csv, comparison.csv, figures/, tables/, manifest.json.
    """
    from cartsie.study import pipeline, registry

    if example:
        patients, labs = example_path("example_patients.csv"), example_path("example_labs.csv")
    data = None
    if patients is not None:
        data = _quiet_load(patients, labs, **_load_kwargs(opts))
        _print_warnings(data)
    elif labs is not None:
        raise InputError("--labs needs --data (the patients table).")
    if items:
        unknown = [i for i in items if i not in registry.NAMES]
        if unknown:
            raise InputError(
                f"--item {unknown[0]!r} is not a paper item; items are {', '.join(registry.NAMES)}."
            )
    source = None if patients is None else Path(patients).name
    compared = (patients is None) or bool(compare_published)
    data, stamp = pipeline.without_labs(data)
    result = pipeline.reproduce(
        data,
        out,
        seed=seed,
        items=items,
        source=source,
        title=title,
        compare_published=compared,
        input_checksum=stamp,
    )
    click.echo(f"wrote {len(result.files)} files to {out}/ (open {out}/report.html)")
    if compared:
        counts = result.comparison["agreement"].value_counts()
        click.echo("published vs reproduced: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    line = pipeline.summary_line(result)
    if line:
        click.echo(line)


@main.command()
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("cartsie-synthetic"),
    show_default=True,
    help="Folder for the two CSV files.",
)
@click.option("--seed", type=int, default=2024, show_default=True, help="Seed of the random generator.")
@click.option(
    "--n-enrolled", type=int, default=1002, show_default=True, help="Enrolled patients (the flow is scaled)."
)
@_friendly
def synth(out: Path, seed: int, n_enrolled: int) -> None:
    """Write the built-in SYNTHETIC CART-SIE-like cohort as CSV files (simulated, not patient data).

    Writes synthetic_patients_seed<SEED>.csv and synthetic_labs_seed<SEED>.csv in cartsie's input
    schema, ready for `cartsie validate` or `cartsie reproduce --data ... --labs ...`. Every row has
    synthetic = 1. The same seed always gives the same files.
    """
    from cartsie import synthetic

    try:
        paths = synthetic.write(out, seed=seed, n_enrolled=n_enrolled)
    except ValueError as exc:
        raise CartsieError(str(exc)) from exc
    for path in paths:
        click.echo(f"wrote {path} (synthetic data)")


@main.command("audit")
@click.argument("published_csv", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("cartsie-audit"),
    show_default=True,
    help="Folder for audit.csv, audit.md and audit.html.",
)
@_friendly
def audit_command(published_csv: Path | None, out: Path) -> None:
    """Audit published numbers against each other, from the published table alone.

    PUBLISHED_CSV is a table of published numbers in the format of cartsie's
    data/published_estimates.csv (id, population, analysis, endpoint, comparison, statistic, value,
    ci_low, ci_high, p, note); default: the CART-SIE paper's, shipped with cartsie. Recomputes what
    the printed numbers determine -- the p-value each ratio's CI implies (Wald) and the CI's symmetry,
    Table 1's percentages, sums and p-values (Fisher's exact test, chi-square with and without
    continuity correction), odds ratios from the rates they compare, likelihood ratios from
    sensitivity and specificity -- allowing for the rounding of every printed number. Writes
    audit.csv (id, check, published, recomputed, consistent, detail), audit.md and audit.html.
    Reads no patient data.
    """
    from cartsie.study import audit as audit_module

    table = None if published_csv is None else audit_module.read_published(published_csv)
    result = audit_module.audit(table)
    audit_module.write(result, out, audit_module.source_line(published_csv))
    total = audit_module.summary(result).iloc[-1]
    click.echo(f"wrote audit.csv, audit.md, audit.html to {out}/ (open {out}/audit.html)")
    click.echo(
        f"{int(total['total'])} checks: {int(total['consistent'])} consistent, "
        f"{int(total['inconsistent'])} inconsistent, {int(total['not checkable'])} not checkable"
    )


_register_power(main, _friendly)  # `cartsie power` (cartsie._cli_power)
if __name__ == "__main__":  # pragma: no cover
    main()
