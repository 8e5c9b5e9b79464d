"""The ``cartsie`` command line.

Every command reads the usual registry exports (CSV, Excel, Parquet, SAS, Stata) and exits with
status 2 and a one-paragraph message -- naming the column, the patient id(s) and the fix -- when the
input is unusable, never with a traceback.
"""

from __future__ import annotations

import functools
import sys
import warnings
from pathlib import Path

import click
import pandas as pd

from cartsie import __version__
from cartsie._io import clean_columns, coerce_numeric, example_path, read_table
from cartsie.errors import CartsieError
from cartsie.units import CANONICAL, convert

EXIT_BAD_INPUT = 2


def _friendly(func):
    """Turn cartsie's input errors into exit status 2, and warnings into stderr lines."""

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
        _flush(caught)
        return result

    return wrapper


def _flush(caught) -> None:
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)


def _parse_units(pairs: tuple[str, ...]) -> dict[str, str]:
    units = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r}: write COLUMN=UNIT, e.g. crp=mg/L", param_hint="--unit")
        col, unit = pair.split("=", 1)
        units[col.strip().lower()] = unit.strip()
    return units


def _apply_units(df: pd.DataFrame, units: dict[str, str]) -> pd.DataFrame:
    out = df.copy()
    for col, unit in units.items():
        if col not in out.columns:
            raise CartsieError(f"--unit names column {col!r}, which the file does not have.")
        out[col] = convert(out[col], col, unit)
    return out


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


@main.command()
@click.argument("patients", required=False, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Write CSV here (default: stdout).")
@click.option("--unit", "units", multiple=True, metavar="COLUMN=UNIT", help=_UNIT_HELP)
@click.option("--example", is_flag=True, help="Score the example patients shipped with cartsie.")
@_friendly
def score(patients: Path | None, out: Path | None, units: tuple[str, ...], example: bool) -> None:
    """Score the CAR-HEMATOTOX (HT) score and simpleHT of each patient.

    PATIENTS is a CSV, Excel, Parquet, SAS or Stata file with one row per patient: patient_id and the
    baseline labs anc (10^9/L), hb (g/dL), plt (10^9/L), crp (mg/dL), ferritin (ng/mL). Writes one row
    per patient: the points of each lab, ht_score (0-7), ht_high (score >= 2) and simple_ht_high
    (platelets <= 175 and CRP >= 3). A score with a missing lab is left blank.
    """
    from cartsie.scores import HT_LABS, score_all

    df = _load(patients, example, "example_patients.csv", "patients")
    df = _apply_units(coerce_numeric(df, HT_LABS, "patients table"), _parse_units(units))
    result = score_all(df.set_index("patient_id") if "patient_id" in df.columns else df)
    _write(result, out)


@main.command()
@click.argument("labs", required=False, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Write CSV here (default: stdout).")
@click.option("--unit", "units", multiple=True, metavar="COLUMN=UNIT", help=_UNIT_HELP)
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
@_friendly
def grade(
    labs: Path | None,
    out: Path | None,
    units: tuple[str, ...],
    duration: str,
    late_rule: str,
    late_end: int | None,
    no_interpolation: bool,
    max_gap: int,
    example: bool,
) -> None:
    """Grade ICAHT (EHA/EBMT), severe thrombocytopenia/anemia and the recovery phenotype.

    LABS is a long table (CSV, Excel, Parquet, SAS, Stata): patient_id, day (days since infusion,
    day 0 = infusion), anc (10^9/L) and optionally plt (10^9/L) and hb (g/dL), one row per draw.
    Writes one row per patient: icaht_early_grade (days 0-30), icaht_late_grade (after day 30), the
    durations behind them, severe_thrombocytopenia, severe_anemia and recovery_phenotype. A grade
    with no measurement in its window is left blank.
    """
    from cartsie.toxicity import grade_icaht

    df = _load(labs, example, "example_labs.csv", "labs")
    df = _apply_units(coerce_numeric(df, ("day", "anc", "plt", "hb"), "labs table"), _parse_units(units))
    result = grade_icaht(
        df,
        duration=duration,
        late_rule=late_rule,
        late_end=late_end,
        interpolation="none" if no_interpolation else "linear",
        max_gap=max_gap,
    )
    _write(result, out)


@main.command()
@click.argument("patients", required=False, type=click.Path(path_type=Path))
@click.option(
    "--labs", type=click.Path(path_type=Path), help="Long labs table (patient_id, day or date, anc...)."
)
@click.option("--unit", "units", multiple=True, metavar="COLUMN=UNIT", help=_UNIT_HELP)
@click.option(
    "--dayfirst/--monthfirst",
    default=None,
    help="How to read dates like 02/03/2021 (default: decided from the data; ISO dates need neither).",
)
@click.option(
    "--decimal",
    type=click.Choice([".", ","]),
    default=".",
    show_default=True,
    help="Decimal mark of numbers written as text.",
)
@click.option("--strict", is_flag=True, help="Treat doubtful values (units that look wrong) as errors.")
@click.option("--example", is_flag=True, help="Validate the example cohort shipped with cartsie.")
def validate(
    patients: Path | None,
    labs: Path | None,
    units: tuple[str, ...],
    dayfirst: bool | None,
    decimal: str,
    strict: bool,
    example: bool,
) -> None:
    """Check a cohort and print a validation report: problems, warnings, the patient flow.

    PATIENTS is the patients table (one row per patient; see cartsie.schema.describe()) as CSV,
    Excel, Parquet, SAS, Stata or SPSS. Exits 0 when the cohort can be analysed, 2 when it cannot
    (each problem names the column, the patient id(s) and the fix).
    """
    import warnings as _warnings

    from cartsie import cohort

    try:
        if example == (patients is not None):
            raise CartsieError("give either a patients file or --example (not both, not neither).")
        if example:
            patients, labs = example_path("example_patients.csv"), example_path("example_labs.csv")
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")  # the report lists them
            c = cohort.load(
                patients, labs, _parse_units(units), strict=strict, dayfirst=dayfirst, decimal=decimal
            )
    except CartsieError as exc:
        problems = getattr(exc, "problems", None) or (str(exc),)
        click.echo(f"cartsie validate: {len(problems)} problem(s); the cohort cannot be analysed.\n")
        for p in problems:
            click.echo(f"  PROBLEM  {p}")
        sys.exit(EXIT_BAD_INPUT)
    click.echo(validation_report(c))


@main.command()
@click.option(
    "--data",
    "patients",
    type=click.Path(path_type=Path),
    help="Your patients table (default: the built-in synthetic cohort).",
)
@click.option("--labs", type=click.Path(path_type=Path), help="Your long labs table (with --data).")
@click.option("--unit", "units", multiple=True, metavar="COLUMN=UNIT", help=_UNIT_HELP)
@click.option("--dayfirst/--monthfirst", default=None, help="How to read dates like 02/03/2021.")
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
    help="Run only these paper items (repeatable): flow, toxicity, response, survival, nrm, spm.",
)
@click.option("--example", is_flag=True, help="Run on the 12-patient example shipped with cartsie.")
@_friendly
def reproduce(
    patients: Path | None,
    labs: Path | None,
    units: tuple[str, ...],
    dayfirst: bool | None,
    out: Path,
    seed: int,
    items: tuple[str, ...],
    example: bool,
) -> None:
    """Run the CART-SIE analysis and write tables, figures and a published-vs-reproduced report.

    Without --data the built-in synthetic cohort (calibrated to the paper's published aggregates) is
    analysed, so the report shows how close a reproduction on CART-SIE-like data comes to every
    published number. With --data (and --labs) your own cohort is analysed the same way. Outputs hold
    aggregates only: report.html, report.md, estimates.csv, comparison.csv, figures/, manifest.json.
    """
    from cartsie import cohort, pipeline

    if example:
        patients, labs = example_path("example_patients.csv"), example_path("example_labs.csv")
    data = None
    if patients is not None:
        data = cohort.load(patients, labs, _parse_units(units), dayfirst=dayfirst)
    elif labs is not None:
        raise CartsieError("--labs needs --data (the patients table).")
    source = None if patients is None else Path(patients).name
    result = pipeline.reproduce(data, out, seed=seed, items=items, source=source)
    counts = result.comparison["agreement"].value_counts()
    click.echo(f"wrote {len(result.files)} files to {out}/ (open {out}/report.html)")
    click.echo("published vs reproduced: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


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


def validation_report(c) -> str:
    """Plain-text validation report of a loaded cohort (aggregates only, no patient rows)."""
    lines = ["cartsie validate: no problems found.", ""]
    n_labs = 0 if c.labs is None else len(c.labs)
    lines.append(f"patients: {len(c.patients)}; lab rows: {n_labs}")
    lines += [f"  WARNING  {w}" for w in c.warnings]
    lines += [f"  note     {n}" for n in c.notes]
    lines += ["", "patient flow:"]
    width = max(len(s) for s in c.flow["step"])
    for row in c.flow.itertuples():
        excluded = f"  excluded {row.excluded}: {row.reason}" if row.excluded else ""
        lines.append(f"  {row.step:<{width}}  {row.n:>6}{excluded}")
    lbcl = c.table[c.table["lbcl"]]
    lines += ["", "endpoints available among LBCL patients:"]
    for name in ("os", "pfs", "dor", "nrm", "spm"):
        ev = lbcl[f"{name}_event"]
        lines.append(
            f"  {name.upper():<4} {int(ev.notna().sum()):>6} patients, "
            f"{int((ev == 1).sum())} events"
            + (f", {int((ev == 2).sum())} competing" if name in ("nrm", "spm") else "")
        )
    for name in ("orr_day90", "crr_day90"):
        v = lbcl[name]
        lines.append(
            f"  {name.upper():<9} {int(v.notna().sum()):>6} assessed, {int((v == 1).sum())} responders"
        )
    return "\n".join(lines)


def _load(path: Path | None, example: bool, example_name: str, what: str) -> pd.DataFrame:
    if example == (path is not None):
        raise CartsieError(f"give either a {what} file or --example (not both, not neither).")
    return clean_columns(read_table(example_path(example_name) if example else path))


if __name__ == "__main__":  # pragma: no cover
    main()
