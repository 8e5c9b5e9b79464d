"""Calibration of the built-in synthetic cohort against the paper's published numbers.

:func:`simulate` analyses many seeds of :func:`cartsie.synthetic.cartsie_like` with
:func:`cartsie.study.estimates` (cartsie's own functions, exactly as ``cartsie reproduce`` does), in
parallel with joblib -- all cores by default, or a Dask cluster through joblib's dask backend.
:func:`calibration_table` sets each published value beside the distribution of its reproduction over
the seeds: mean, median, 2.5 and 97.5 percentiles, and whether the published value lies inside that
95% range. Like :mod:`cartsie.study.compare`, and unlike the analysis code, this module reads the published
numbers. Tables hold aggregates only.

Which published rows are compared: every row with a numeric point value (counts, percentages, medians,
odds, hazard and likelihood ratios, AUC). A printed "n (%)" cell is compared by its percentage, as
:mod:`cartsie.study.compare` does; "median (IQR)" by the median. Rows published only as a p-value (log-rank
tests) and "not reached" medians are kept with ``inside`` missing and the reason given. Flow counts
are fixed by construction (the same in every seed) and are compared as equal or not.

Separation is a flag, not a number: a seed where an estimate is not estimable -- a Cox, Fine-Gray or
logistic model whose likelihood has no finite maximum (no event in one group), an empty group, a
median not reached -- is counted in ``n_excluded`` with its reasons in ``excluded_reason`` and left
out of that estimate's mean, sd, median and range. Were such seeds kept, the last Newton iterate of a
separated Fine-Gray model (an sHR near 1e12) would make the mean over seeds meaningless.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from cartsie.study import published

#: The estimates the synthetic cohort must reproduce within its simulated 95% range.
HEADLINE_IDS = (
    "surv.os.1y.ht.low",
    "surv.os.1y.ht.high",
    "surv.pfs.1y.ht.low",
    "surv.pfs.1y.ht.high",
    "surv.os.1y.simpleht.low",
    "surv.os.1y.simpleht.high",
    "surv.pfs.1y.simpleht.low",
    "surv.pfs.1y.simpleht.high",
    "resp.crr90.ht.or",
    "resp.orr90.ht.or",
    "resp.crr90.simpleht.or",
    "resp.orr90.simpleht.or",
    "tox.late_icaht_ge3.ht.or",
    "spm.fg.ht",
    "spm.cif.2y",
    "surv.followup.median",
)


def _one_seed(seed: int, generate: Callable | None) -> pd.DataFrame:
    # imported in the worker process that runs this seed (joblib/dask), not by the parent at import
    from cartsie import study
    from cartsie.study.registry import ITEMS

    if generate is None:
        from cartsie.synthetic import cartsie_like

        generate = cartsie_like
    with warnings.catch_warnings():
        # separation and sparse-data warnings are part of what is being measured over seeds
        warnings.simplefilter("ignore")
        # the sections with published numbers only: the others have nothing to calibrate against
        est = study.estimates(generate(seed), tuple(it.name for it in ITEMS if it.published))
    out = est[["id", "value", "p_value", "estimable", "reason", "note"]].rename(columns={"p_value": "p"})
    # why a seed gives no value: the reason of a row not estimable, or "not reached" for a median
    empty = out["estimable"] & out["value"].isna()
    not_reached = empty & out["note"].str.contains("not reached", regex=False)
    why = np.select([~out["estimable"], not_reached], [out["reason"], "not reached"], "")
    return out.drop(columns=["reason", "note"]).assign(reason=why.astype(str), seed=seed)


def simulate(
    seeds: Iterable[int],
    *,
    n_jobs: int = -1,
    scheduler=None,
    progress: bool | None = None,
    generate: Callable | None = None,
) -> pd.DataFrame:
    """Reproduce the paper's estimates on many synthetic cohorts.

    Parameters
    ----------
    seeds : iterable of int
        Seeds of :func:`cartsie.synthetic.cartsie_like` (or of ``generate``).
    n_jobs : int
        joblib workers; -1 = all cores.
    scheduler : str or distributed.Client, optional
        Address of a Dask scheduler (``"tcp://host:8786"``) or a client: run through joblib's dask
        backend instead of local processes (needs ``pip install "dask[distributed]"``).
    progress : bool, optional
        Show a progress bar (rich); by default (None) only on a terminal, never when piped or under
        continuous integration.
    generate : callable, optional
        ``seed -> Cohort``; default :func:`cartsie.synthetic.cartsie_like`.

    Returns
    -------
    DataFrame
        Long table: seed, id, value, p, estimable, reason (one row per seed and estimate; ``reason``
        says why a row is not estimable, or why an estimable one has no value, e.g. "not reached").
    """
    from cartsie._parallel import run_tasks

    seeds = list(seeds)
    frames = run_tasks(
        functools.partial(_one_seed, generate=generate),
        seeds,
        n_jobs=n_jobs,
        scheduler=scheduler,
        progress=progress,
        label="synthetic seeds",
    )
    return pd.concat(frames, ignore_index=True).sort_values(["seed", "id"], ignore_index=True)


def _published_values() -> pd.DataFrame:
    pub = published.published()
    values, reasons = [], []
    for _, row in pub.iterrows():
        text = str(row["value"]).strip() if pd.notna(row["value"]) else ""
        if text == "NR":
            values.append(np.nan)
            reasons.append("published as not reached")
            continue
        if not text or text == "nan":
            values.append(np.nan)
            reasons.append("published as a p-value only")
            continue
        parsed = published.parse_value(text)
        # published.parse_value: (value, low, high, percent); an n (%) cell compares by its percent
        values.append(parsed[3] if np.isfinite(parsed[3]) else parsed[0])
        reasons.append("")
    return pub.assign(published_value=values, reason=reasons)


def calibration_table(sims: pd.DataFrame) -> pd.DataFrame:
    """Published value versus its distribution over the simulated seeds, one row per published id.

    Parameters
    ----------
    sims : DataFrame
        :func:`simulate`'s long table: ``seed``, ``id``, ``value`` and, optionally, ``estimable`` and
        ``reason`` (without them every row counts as estimable).

    Returns
    -------
    DataFrame
        One row per published id: ``published``, ``published_value``, ``mean``, ``sd``, ``median``,
        ``p2_5``, ``p97_5``, ``n_seeds`` (seeds with a value), ``n_nonfinite``, ``n_excluded``,
        ``excluded_reason``, ``inside``, ``z``, ``headline``, ``reason``.

    Notes
    -----
    ``inside`` is True when the published value lies within the 2.5-97.5 percentile range of the
    simulated estimates (bounds included; percentiles by linear interpolation, numpy's default);
    missing when the row is not compared (``reason`` says why). A seed where the estimate is not
    estimable (``estimable`` False: a model whose likelihood has no finite maximum, an empty group) or
    has no value (a median not reached) is left out of the mean, sd, median and range, and counted in
    ``n_excluded``, its reasons with their counts in ``excluded_reason``. An infinite estimate still
    marked estimable counts in ``n_nonfinite`` and stays out of the mean and sd; the percentiles rank
    it above every finite value. ``z = (mean - published_value) / sd``, the bias in simulated SDs, for
    a compared row with ``sd > 0`` (missing otherwise: a count fixed by construction).
    """
    pub = _published_values()
    sims = _flagged(sims)
    kept = sims[sims["estimable"] & sims["value"].notna()]
    g = kept.groupby("id")["value"]
    dropped = sims[~sims.index.isin(kept.index)].groupby("id")["reason"]
    rows = []
    for _, r in pub.iterrows():
        v = g.get_group(r["id"]).to_numpy(float) if r["id"] in g.groups else np.array([])
        excluded = dropped.get_group(r["id"]) if r["id"] in dropped.groups else pd.Series([], dtype=str)
        if r["reason"] == "published as a p-value only":  # no value in any seed by design
            excluded = excluded[excluded != "no value"]
        finite = v[np.isfinite(v)]
        lo, med, hi = _percentiles(v)
        reason = r["reason"] or ("" if len(v) else "not reproduced")
        pv = r["published_value"]
        inside = pd.NA if reason else bool(lo <= pv <= hi)
        rows.append(
            {
                "id": r["id"],
                "analysis": r["analysis"],
                "statistic": r["statistic"],
                "published": r["value"],
                "published_value": pv,
                "mean": finite.mean() if len(finite) else np.nan,
                "sd": finite.std(ddof=1) if len(finite) > 1 else np.nan,
                "median": med,
                "p2_5": lo,
                "p97_5": hi,
                "n_seeds": len(v),
                "n_nonfinite": len(v) - len(finite),
                "n_excluded": len(excluded),
                "excluded_reason": _reasons(excluded),
                "inside": inside,
                "z": _z(reason, finite, pv),
                "headline": r["id"] in HEADLINE_IDS,
                "reason": reason,
            }
        )
    out = pd.DataFrame(rows)
    out["inside"] = out["inside"].astype("boolean")
    return out


def _z(reason: str, finite: np.ndarray, published_value: float) -> float:
    if reason or len(finite) < 2:
        return np.nan
    sd = finite.std(ddof=1)
    return float((finite.mean() - published_value) / sd) if sd > 0 else np.nan


def _flagged(sims: pd.DataFrame) -> pd.DataFrame:
    """``sims`` with ``estimable`` (bool) and ``reason`` (str), defaults when a table lacks them."""
    out = sims.reset_index(drop=True)
    estimable = out["estimable"] if "estimable" in out.columns else pd.Series(True, index=out.index)
    reason = out["reason"] if "reason" in out.columns else pd.Series("", index=out.index)
    reason = reason.fillna("").astype(str)
    no_value = estimable.astype(bool) & out["value"].isna() & reason.eq("")
    return out.assign(estimable=estimable.astype(bool), reason=reason.where(~no_value, "no value"))


def _reasons(reasons: pd.Series) -> str:
    """ "reason (k seeds); other reason (j seeds)", the most frequent first (ties alphabetically)."""
    if not len(reasons):
        return ""
    counts = reasons.replace("", "no value").value_counts()
    order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return "; ".join(f"{text} ({n} seed{'s' if n != 1 else ''})" for text, n in order)


def _percentiles(v: np.ndarray) -> tuple[float, float, float]:
    """2.5, 50 and 97.5 percentiles (linear interpolation) where +/-inf rank beyond every finite value:
    numpy would interpolate inf - inf into NaN."""
    if not len(v):
        return (np.nan,) * 3
    big = np.finfo(float).max / 4
    q = np.percentile(np.clip(v, -big, big), [2.5, 50, 97.5])
    finite = v[np.isfinite(v)]
    top, bottom = (finite.max(), finite.min()) if len(finite) else (0.0, 0.0)
    # interpolated between the largest finite value and +inf: +inf
    lo, mid, hi = (np.inf if x > top else -np.inf if x < bottom else float(x) for x in q)
    return lo, mid, hi


def summarise(table: pd.DataFrame) -> dict:
    """Share of compared estimates whose published value is inside the simulated 95% range, and the
    bias in simulated SDs (``z``): how many comparable estimates (a finite ``z``) lie within 0.5 and 1
    SD of the published value, which lie beyond 2, and how many headline estimates within 0.5 -- the
    done-when of issue 15."""
    compared = table[table["inside"].notna()]
    head = table[table["headline"]]
    z = table["z"] if "z" in table.columns else pd.Series(np.nan, index=table.index)
    comparable = z.notna()
    hz = z[table["headline"] & comparable].abs()
    z_stats = {
        "comparable": int(comparable.sum()),
        "within_half_sd": int((z[comparable].abs() <= 0.5).sum()),
        "within_one_sd": int((z[comparable].abs() <= 1).sum()),
        "share_within_one_sd": float((z[comparable].abs() <= 1).mean()) if comparable.any() else np.nan,
        "beyond_two_sd": [str(i) for i in table.loc[comparable & (z.abs() > 2), "id"]],
        "headline_within_half_sd": int((hz <= 0.5).sum()),
        "headline_comparable": len(hz),
    }
    return z_stats | {
        "compared": len(compared),
        "inside": int(compared["inside"].sum()),
        "share_inside": float(compared["inside"].mean()) if len(compared) else np.nan,
        "headline_inside": int(head["inside"].fillna(False).sum()),
        "headline_total": len(head),
        "all_headline_inside": bool(head["inside"].fillna(False).all()),
        "seeds": int(table["n_seeds"].max()) if len(table) else 0,
    }


def plot_calibration(table: pd.DataFrame, path: str | Path) -> Path:
    """Each compared estimate's simulated 95% range (bar) and the published value (dot), standardised
    by the simulated mean and sd; headline estimates in red. Aggregates only."""
    from matplotlib.figure import Figure  # lazy: plotting is the only use of matplotlib here

    t = table[table["inside"].notna() & (table["sd"] > 0)].reset_index(drop=True)
    z = lambda x: (x - t["mean"]) / t["sd"]  # noqa: E731
    fig = Figure(figsize=(7, max(4, 0.16 * len(t))))
    ax = fig.subplots()
    y = np.arange(len(t))
    colour = np.where(t["headline"], "tab:red", "tab:blue")
    ax.hlines(y, z(t["p2_5"]).clip(-6, 6), z(t["p97_5"]).clip(-6, 6), color="0.7", lw=3)
    ax.scatter(z(t["published_value"]).clip(-6, 6), y, c=colour, s=12, zorder=3)
    ax.set_yticks(y, t["id"], fontsize=5)
    ax.invert_yaxis()
    ax.axvline(0, color="0.5", lw=0.5)
    ax.set_xlabel("(published - simulated mean) / simulated sd; bar: simulated 2.5-97.5%")
    s = summarise(table)
    ax.set_title(
        f"Synthetic cohort calibration: {s['inside']}/{s['compared']} inside, "
        f"headline {s['headline_inside']}/{s['headline_total']} ({s['seeds']} seeds)",
        fontsize=8,
    )
    fig.text(0.01, 0.005, "Synthetic data (cartsie built-in cohort), not patient data", fontsize=6)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=130)
    return path


def write(
    table: pd.DataFrame,
    out_dir: str | Path,
    sims: pd.DataFrame | None = None,
    provenance: dict | None = None,
) -> list[Path]:
    """``calibration.csv``, ``calibration.md`` (summary on top), ``calibration.png`` and, given the
    simulations, ``calibration_seeds.csv.gz`` (each seed's estimates: aggregates only) in ``out_dir``;
    given ``provenance`` (the model's digest, the command...), ``calibration.json`` with it and the
    summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    s = summarise(table)
    csv = out / "calibration.csv"
    table.to_csv(csv, index=False)
    paths = [csv]
    if provenance is not None:
        import json

        paths.append(out / "calibration.json")
        paths[-1].write_text(json.dumps({**provenance, "summary": s}, indent=2) + "\n", encoding="utf-8")
    if sims is not None:
        paths.append(out / "calibration_seeds.csv.gz")
        sims.to_csv(paths[-1], index=False)
    md = out / "calibration.md"
    cols = ["id", "published", "mean", "median", "p2_5", "p97_5", "inside", "z", "headline", "reason"]
    shown = table.assign(excluded=[_excluded_cell(r) for _, r in table.iterrows()])
    body = _markdown(shown[[*cols[:6], "excluded", *cols[6:]]])
    md.write_text(
        "# Calibration of the synthetic cohort (synthetic data, not patient data)\n\n"
        f"{s['seeds']} seeds; published value inside the simulated 95% range for {s['inside']} of "
        f"{s['compared']} compared estimates ({100 * s['share_inside']:.1f}%); headline estimates inside: "
        f"{s['headline_inside']} of {s['headline_total']}.\n\n{_z_summary(s)}\n\n"
        f"{EXCLUDED_NOTE}{_excluded_summary(table)}\n\n{body}\n",
        encoding="utf-8",
    )
    return [*paths, md, plot_calibration(table, out / "calibration.png")]


def _z_summary(s: dict) -> str:
    n = s["comparable"]
    if not n:
        return ""
    beyond = ", ".join(s["beyond_two_sd"]) or "none"
    return (
        "Bias in simulated SDs, z = (simulated mean - published) / simulated SD, over the "
        f"{n} comparable estimates: |z| <= 0.5 for {s['within_half_sd']}, |z| <= 1 for "
        f"{s['within_one_sd']} ({100 * s['share_within_one_sd']:.1f}%); |z| > 2: {beyond}. Headline "
        f"estimates with |z| <= 0.5: {s['headline_within_half_sd']} of {s['headline_comparable']}."
    )


#: what the markdown says about the seeds left out of an estimate
EXCLUDED_NOTE = (
    "Separation is a flag, not a number: a seed where an estimate is not estimable (a Cox, Fine-Gray or "
    "logistic model whose likelihood has no finite maximum, e.g. no event in one group; an empty group) "
    "or has no value (a median not reached) is left out of that estimate's mean, median and range; "
    "`excluded` counts those seeds and says why."
)


def _excluded_cell(r: pd.Series) -> str:
    n = int(r.get("n_excluded", 0) or 0)
    return f"{n}: {r['excluded_reason']}" if n else ""


def _excluded_summary(table: pd.DataFrame) -> str:
    if "n_excluded" not in table.columns:
        return ""
    hit = table[table["n_excluded"] > 0]
    if not len(hit):
        return " No seed was excluded from any estimate."
    return f" Estimates with seeds excluded: {len(hit)} of {len(table)}."


def _markdown(df: pd.DataFrame) -> str:
    def cell(v):
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:.3g}"
        return "" if v is pd.NA else str(v)

    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)
