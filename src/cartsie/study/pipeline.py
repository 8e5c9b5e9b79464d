"""``cartsie reproduce``: every paper item on one cohort, and the files a statistician opens.

:func:`reproduce` runs the items of :mod:`cartsie.study.registry` on one cohort (their fits shared
through one :class:`~cartsie.study.definitions.Study`) and writes under ``out``:

- ``estimates.csv`` -- every estimate, typed (:data:`cartsie.study.estimate.COLUMNS`);
- ``comparison.csv`` -- published versus reproduced (:mod:`cartsie.study.compare`);
- ``tables/NAME.{csv,md,html,docx,xlsx,tex}`` -- Table 1 by HT and simpleHT, Supplementary Tables 2-6;
- ``figures/NAME.{png,pdf}`` -- Figure 1, Supplementary Figures 1-2, ROC, forest plots, cumulative
  incidence (PNG at 300 dpi);
- ``report.md``, ``report.html``, ``manifest.json`` (cartsie version, input checksum, seed, items).

Outputs hold aggregates only. An estimate the cohort cannot give is a not-estimable row, a table or
figure it cannot give is skipped with a note; nothing in the data stops the run.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import importlib
import json
import os
import pickle
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cartsie import __version__
from cartsie.errors import CartsieError
from cartsie.study import estimate as E
from cartsie.study import report
from cartsie.study.compare import compare
from cartsie.study.definitions import Study
from cartsie.study.registry import ITEMS, item

TABLE_FORMATS = ("csv", "md", "html", "docx", "xlsx", "tex")
FIGURE_FORMATS = ("png", "pdf")


def checksum(*frames: pd.DataFrame | None) -> str:
    """SHA-256 of the input tables, stamped on every output.

    Parameters
    ----------
    *frames : DataFrame or None
        The input tables (None: absent).

    Returns
    -------
    str
        The hex digest of the tables' column names and row hashes (``pd.util.hash_pandas_object``, a
        64-bit hash per row of every value, with the index), so that any changed value changes it.
    """
    h = hashlib.sha256()
    for frame in frames:
        if frame is not None:
            h.update("\x1f".join(map(str, frame.columns)).encode())
            # row by row the same hashes in blocks of rows: a 2-million-row labs table is not hashed
            # whole at once (that took some 80 MB more at the peak of a 100,000-patient run)
            for start in range(0, len(frame), CHECKSUM_ROWS):
                block = frame.iloc[start : start + CHECKSUM_ROWS]
                h.update(pd.util.hash_pandas_object(block, index=True).to_numpy().tobytes())
    return h.hexdigest()


#: rows hashed at once by :func:`checksum`
CHECKSUM_ROWS = 200_000


def without_labs(cohort):
    """``cohort`` without its lab rows, and the checksum of its input tables (labs included).

    The analyses read the grades derived from the labs when the cohort was loaded, not the labs, so a
    command that owns the cohort lets the lab rows -- most of a large registry's memory -- go before
    the run, and stamps the outputs with the checksum of what it read.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or None
        The loaded cohort (None: the built-in one will be simulated).

    Returns
    -------
    tuple
        The cohort without ``labs`` (or None) and :func:`checksum` of its patients and labs (or None).
    """
    if cohort is None:
        return None, None
    return dataclasses.replace(cohort, labs=None), checksum(cohort.patients, cohort.labs)


@dataclass(frozen=True)
class Run:
    """What a run computed and wrote.

    ``estimates`` (typed rows), ``comparison`` (published versus reproduced), ``files`` (paths
    written), ``not_estimable`` (id, label, reason of each estimate the cohort could not give),
    ``notes`` (the report's notes: outputs skipped, warnings), ``timings`` (seconds per stage).
    """

    estimates: pd.DataFrame
    comparison: pd.DataFrame
    files: tuple[Path, ...]
    not_estimable: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["id", "label", "reason"])
    )
    notes: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)


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
        notes.append(f"{what} skipped: {E.reason(exc)}")
    except Exception as exc:  # a bug: kept to this figure or table, named in the report
        notes.append(f"{what} skipped: {E.UNEXPECTED} ({type(exc).__name__}: {exc})")
    return None


def save_figure(fig, stem: Path) -> list[Path]:
    """Write ``fig`` as ``stem.png`` (300 dpi) and ``stem.pdf``; the paths written."""
    from cartsie import figures

    return figures.save(fig, stem, formats=FIGURE_FORMATS, dpi=300)


def write_table(table, stem: Path) -> list[Path]:
    """Write ``table`` (Table 1, a regression table, a study table) in every format of
    :data:`TABLE_FORMATS`; the paths written."""
    frame = table.to_frame()
    if isinstance(frame.columns, pd.MultiIndex):  # spanners: "OS: HR"
        frame.columns = [": ".join(str(x) for x in c if str(x)) for c in frame.columns]
    texts = {
        "csv": frame.to_csv(index=False),
        "md": table.to_markdown(),
        "html": table.to_html(),
        "tex": table.to_latex(),
    }
    paths = []
    for ext, text in texts.items():
        path = stem.with_suffix(f".{ext}")
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    paths.append(table.to_docx(stem.with_suffix(".docx")))
    paths.append(table.to_excel(stem.with_suffix(".xlsx"), sheet_name=stem.name[:31]))
    return paths


@dataclass
class _Part:
    """What one process computed and wrote for its items (picklable, sent back by a worker)."""

    rows: dict[str, list[dict]] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    shown: dict[str, list[report.Shown]] = field(default_factory=dict)  # item -> its tables and figures
    skipped: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (item, message)
    timings: dict[str, float] = field(default_factory=dict)


def _run_items(s: Study, items: Sequence, out: Path, note: str | None) -> _Part:
    part = _Part()
    for it in items:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            result = it.analyse(s, note)
            part.rows[it.name] = result.estimates
            skipped: list[str] = []
            shown = part.shown.setdefault(it.name, [])
            t1 = time.perf_counter()
            for output in result.tables:
                table = _attempt(f"table {output.name}", output.make, skipped)
                if table is not None:
                    part.files += write_table(table, out / "tables" / output.name)
                    stem = out / "tables" / output.name
                    html, md = (stem.with_suffix(x).read_text(encoding="utf-8") for x in (".html", ".md"))
                    shown.append(report.Shown(it.name, output.name, output.caption, html=html, markdown=md))
            t2 = time.perf_counter()
            for output in result.figures:
                fig = _attempt(f"figure {output.name}", output.make, skipped)
                if fig is not None:
                    part.files += save_figure(fig, out / "figures" / output.name)
                    png = (out / "figures" / f"{output.name}.png").read_bytes()
                    shown.append(report.Shown(it.name, output.name, output.caption, png=png))
            t3 = time.perf_counter()
            part.skipped[it.name] = skipped
            part.timings |= {
                f"{it.name}: estimates": t1 - t0,
                f"{it.name}: tables": t2 - t1,
                f"{it.name}: figures": t3 - t2,
            }
        part.warnings += [(it.name, str(w.message)) for w in caught]
    return part


#: the items run by the second process when two run, chosen so the two halves take about the same
#: time (measured, seconds of each process): built-in cohort, survival 1.9 against 2.2 for the other
#: seven with the report, so response (0.2) moves here; 100,000 patients, survival + response 6.1
#: against 6.9 (survival alone 4.6-4.9 against 5.7-6.8)
SECOND = ("response", "survival")


def jobs_default() -> int:
    """Processes :func:`run` uses by default: 2 where ``os.fork`` exists and two cores are free
    (``CARTSIE_JOBS`` overrides), else 1."""
    env = os.environ.get("CARTSIE_JOBS", "")
    if env.isdigit() and int(env) >= 1:
        return min(int(env), 2)
    return 2 if hasattr(os, "fork") and (os.cpu_count() or 1) >= 2 else 1


#: what both processes use: imported once, before the fork, instead of once in each
_SHARED_IMPORTS = (
    "cartsie.figures",
    "cartsie.tables",
    "cartsie.study.items.flow",
    "cartsie.study.items.table1",
    "cartsie.study.items.toxicity",
    "cartsie.study.items.response",
    "cartsie.study.items.survival",
    "cartsie.study.items.nrm",
    "cartsie.study.items.spm",
    "cartsie.study.items.performance",
    "great_tables",
    "docx",
    "openpyxl",
)


def _forked(s: Study, items: Sequence, out: Path, note: str | None):
    """Run ``items`` in a forked child (which shares the parent's data and imports, copy-on-write);
    returns a function that waits for the child and gives its :class:`_Part`."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without running the parent's exit handlers
        code = 0
        try:
            payload = pickle.dumps(("ok", _run_items(s, items, out, note)))
        except BaseException as exc:
            payload, code = pickle.dumps(("error", f"{type(exc).__name__}: {exc}")), 1
        with os.fdopen(write, "wb") as fh:
            fh.write(payload)
        os._exit(code)
    os.close(write)

    def wait() -> _Part:
        with os.fdopen(read, "rb") as fh:
            data = fh.read()
        os.waitpid(pid, 0)
        status, value = pickle.loads(data) if data else ("error", "the worker process ended without a result")
        if status != "ok":
            raise RuntimeError(f"cartsie reproduce: a worker process failed ({value})")
        assert isinstance(value, _Part)
        return value

    return wait


def run(
    cohort,
    out: str | Path,
    items: Sequence = ITEMS,
    note: str | None = None,
    meta: dict | None = None,
    jobs: int | None = None,
) -> Run:
    """Run ``items`` on ``cohort`` and write their outputs under ``out``.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort
        The cohort.
    out : path
        The output folder (created).
    items : sequence of Item
        The items (default all, in the paper's order).
    note : str, optional
        Footnote of the figures (the built-in cohort's "synthetic data").
    meta : dict, optional
        What the manifest records (data, seed, input_sha256, title) and ``notes`` for the report.
    jobs : int, optional
        1 or 2 processes (default :func:`jobs_default`). With 2 the items of :data:`SECOND` run in a
        forked process beside the others; the outputs are the same byte for byte.

    Returns
    -------
    Run
        Estimates, comparison, files written, not-estimable rows, notes and stage timings.
    """
    meta = dict(meta or {})
    out = Path(out)
    for sub in ("figures", "tables"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    s = Study(cohort, note)
    jobs = jobs_default() if jobs is None else jobs
    second = [it for it in items if it.name in SECOND] if jobs > 1 else []
    first = [it for it in items if it not in second]
    forking = bool(second and first)
    if forking:
        for name in _SHARED_IMPORTS:
            importlib.import_module(name)
    # the objects made so far (modules, the cohort) are left out of the garbage collections while
    # the items run and the report is written -- a full collection scanned them again and again
    # (~0.1 s a process; unfrozen before the report, the first collection took 0.15 s of its 0.3 s) --
    # and, in the forked child, their pages are not copied by the collector touching them; after the
    # run the caller's objects are collected as before
    # (only when the caller has frozen nothing itself: gc.unfreeze() cannot tell the two apart)
    freezing = gc.get_freeze_count() == 0
    if freezing:
        gc.freeze()
    try:
        wait = _forked(s, second, out, note) if forking else None
        parts = [_run_items(s, first if wait else items, out, note)]
        # the audit of the published numbers needs no result: made while the child still works
        audited = _audit() if meta.get("compare", True) else None
        if wait is not None:
            parts.append(wait())
        return _finish(s, items, parts, out, meta, audited)
    finally:
        if freezing:
            gc.unfreeze()


def _finish(
    s: Study, items: Sequence, parts: list[_Part], out: Path, meta: dict, audited: pd.DataFrame | None
) -> Run:
    """Gather the parts' rows and files in the items' order; write the estimates, the comparison, the
    report and the manifest."""
    rows: list[dict] = []
    files: list[Path] = []
    shown: list[report.Shown] = []
    skipped: list[str] = []
    timings: dict[str, float] = {}
    caught = [w for part in parts for w in part.warnings]
    by_item = {name: part for part in parts for name in part.rows}
    for it in items:
        part = by_item[it.name]
        rows += part.rows[it.name]
        skipped += part.skipped[it.name]
        timings |= {k: v for k, v in part.timings.items() if k.startswith(f"{it.name}: ")}
        shown += part.shown[it.name]
    for part in parts:
        files += part.files
    t0 = time.perf_counter()
    estimates = E.frame(rows)
    comparison = compare(estimates)
    if len(items) < len(ITEMS):
        comparison = comparison[comparison["id"].isin(estimates["id"])].reset_index(drop=True)
    intro = list(meta.pop("notes", []))
    notes = [*intro, *skipped, *sorted({f"warning: {w}" for _, w in caught})]
    shown_comparison = bool(meta.pop("compare", True))
    meta["published_comparison"] = shown_comparison
    content = report.Content(
        title=meta.get("title", "CART-SIE: published versus reproduced"),
        estimates=estimates,
        comparison=comparison if shown_comparison else None,
        outputs=tuple(shown),
        notes=tuple(intro),
        skipped=tuple(skipped),
        warnings=tuple(dict.fromkeys(caught)),
        methods=report.methods(items, meta, estimates, _populations(s)),
        audit=audited if shown_comparison else None,
    )
    written = {
        "estimates.csv": estimates.to_csv(index=False),
        "comparison.csv": comparison.to_csv(index=False),
        "report.md": report.render_markdown(content),
        "report.html": report.render_html(content),
        "manifest.json": json.dumps(
            meta | {"cartsie_version": __version__, "items": [it.name for it in items]},
            indent=2,
            sort_keys=True,
        ),
    }
    for name, text in written.items():
        (out / name).write_text(text, encoding="utf-8")
        files.append(out / name)
    timings["report"] = time.perf_counter() - t0
    return Run(estimates, comparison, tuple(files), report.not_estimable(estimates), tuple(notes), timings)


def _populations(s: Study) -> dict[str, int | None]:
    """The size of each analysis population (None when the cohort cannot give it)."""
    from cartsie.study.definitions import POPULATIONS

    sizes: dict[str, int | None] = {}
    for key in ("infused", "lbcl", "simple_ht", "ht"):
        name = POPULATIONS[key]
        try:
            sizes[name] = len(s.population(key))
        except CartsieError:
            sizes[name] = None
    return sizes


def _audit() -> pd.DataFrame | None:
    """The audit of the published numbers (:mod:`cartsie.study.audit`), or None if it fails."""
    from cartsie.study import audit

    try:
        return audit.audit()
    except CartsieError:
        return None


def builtin_cohort(seed: int = 2024):
    """The built-in synthetic CART-SIE-like cohort (:func:`cartsie.synthetic.cartsie_like`).

    Parameters
    ----------
    seed : int
        Seed of the generator.

    Returns
    -------
    cartsie.cohort.Cohort
        The cohort.
    """
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
    title: str | None = None,
    compare_published: bool | None = None,
) -> Run:
    """Run every paper item (or those named) on ``cohort`` (default: the built-in synthetic cohort).

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort, optional
        The cohort (default: :func:`builtin_cohort` of ``seed``).
    out : path
        The output folder.
    seed : int
        Seed of the built-in cohort.
    items : tuple of str
        Item names (default all).
    input_checksum : str, optional
        The input's checksum (default: :func:`checksum` of the cohort's tables).
    source : str, optional
        The input's name, for the report.
    title : str, optional
        The report's title (default "CART-SIE: built-in synthetic cohort", or ``source`` for a
        cohort given).
    compare_published : bool, optional
        Show the published-versus-reproduced comparison and the audit of the published numbers in the
        report (default: on the built-in cohort only). ``comparison.csv`` is written either way.

    Returns
    -------
    Run
        What was computed and written; ``timings`` includes the simulation of the built-in cohort.
    """
    synthetic = cohort is None
    timings = {}
    if synthetic:
        t0 = time.perf_counter()
        cohort = builtin_cohort(seed)
        timings["simulate the built-in cohort"] = time.perf_counter() - t0
    chosen = tuple(item(n) for n in items) if items else ITEMS
    t0 = time.perf_counter()
    meta = {
        "data": "built-in synthetic cohort (not patient data)" if synthetic else (source or "user data"),
        "seed": seed if synthetic else None,
        "input_sha256": input_checksum or checksum(cohort.patients, cohort.labs),
        "notes": ["Synthetic data: every number below comes from simulated patients, not from CART-SIE."]
        if synthetic
        else [
            f"Data: {source or 'user data'}",
            # what reading the input did (columns renamed, units converted, rows left out) and what
            # it doubted, as `cartsie validate` prints it: never a silent change
            *(f"input warning: {w}" for w in cohort.warnings),
            *(f"input: {n}" for n in cohort.notes),
        ],
        "title": title or ("CART-SIE: built-in synthetic cohort" if synthetic else (source or "User cohort")),
        "compare": synthetic if compare_published is None else compare_published,
    }
    timings["checksum"] = time.perf_counter() - t0
    from cartsie.figures import SYNTHETIC_NOTE

    result = run(cohort, Path(out), chosen, SYNTHETIC_NOTE if synthetic else None, meta)
    return Run(**{**result.__dict__, "timings": timings | result.timings})
