"""CART-SIE's definitions: its analysis populations, risk groups, adjustment set, Table-1 variables and
the words its reports use for them.

"Among the 746 infused patients, 628 had LBCL, and the HT score [...] was calculable in 389 patients";
the simplified score, which needs platelets and CRP only, in 560. (CART-SIE, Results.)

Populations, each a subset of the previous: ``infused`` (infused and evaluable), ``lbcl`` (infused
LBCL patients, 628 in the paper), ``simple_ht`` (LBCL with an evaluable simpleHT, 560: also the paper's
"global" cohort for rates, response and survival) and ``ht`` (LBCL with an evaluable HT score, 389).
Percentages are in percent, times in months (days / 30.4375), one-year estimates at 12 months, two-year
at 24.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: display names of the analysis populations
POPULATIONS = {"ht": "HT-evaluable", "simple_ht": "simpleHT-evaluable", "lbcl": "LBCL", "infused": "infused"}
#: the two scores: key of the ids -> (population, 0/1 column, group column, display name)
SCORES = {
    "ht": ("ht", "ht_high", "ht_group", "HT"),
    "simpleht": ("simple_ht", "simple_ht_high", "simple_ht_group", "simpleHT"),
}
#: the group column ("low"/"high") of each 0/1 risk-group column
FLAG_GROUPS = {flag: group for _population, flag, group, _name in SCORES.values()}
#: levels of the 0/1 risk groups, as the ids and the group columns name them
LEVELS = ((0, "low"), (1, "high"))
#: display names of 0/1 risk groups
RISK_GROUPS = {"ht_high": "HT", "simple_ht_high": "simpleHT"}
#: the labels of the group columns in figures
GROUP_LABELS = {
    "ht_group": {"low": "HT low", "high": "HT high"},
    "simple_ht_group": {"low": "simpleHT low", "high": "simpleHT high"},
}
#: CART-SIE's adjustment covariates: "stage, bulky disease, histology, disease status, IPI, and
#: bridging therapy" (Methods)
ADJUST_FOR = ("stage_advanced", "bulky", "histology", "refractory", "ipi_ge3", "bridging")
#: reference levels of the categorical adjustment covariates
REFERENCE = {"histology": "DLBCL"}

#: what an outcome or event column counts, for labels, reasons and notes
OUTCOMES = {
    "early_icaht": "early ICAHT",
    "late_icaht": "late ICAHT",
    "late_icaht_severe": "late ICAHT grade >= 3",
    "severe_thrombocytopenia": "severe thrombocytopenia",
    "severe_anemia": "severe anemia",
    "crs_any": "CRS",
    "crs_severe": "CRS grade >= 3",
    "icans_any": "ICANS",
    "icans_severe": "ICANS grade >= 3",
    "orr_day90": "response at day 90",
    "crr_day90": "complete response at day 90",
    "os_event": "death",
    "pfs_event": "progression or death",
    "dor_event": "progression or death after response",
    "nrm_event": "non-relapse death",
    "spm_event": "second primary malignancy",
    "spm_myeloid_event": "myeloid second primary malignancy",
}
#: endpoint stems, as the paper names them
ENDPOINTS = {"os": "OS", "pfs": "PFS", "dor": "DOR", "nrm": "NRM", "spm": "SPM"}
#: endpoint names in full, for figure axes and captions
ENDPOINT_NAMES = {
    "os": "Overall survival",
    "pfs": "Progression-free survival",
    "dor": "Duration of response",
    "nrm": "Non-relapse mortality",
    "spm": "Second primary malignancies",
}
#: display names of covariates in the models and tables
COVARIATES = {
    "ht_high": "HT score high",
    "simple_ht_high": "simpleHT high",
    "stage_advanced": "Ann Arbor stage III-IV",
    "bulky": "Bulky disease",
    "histology": "Histology",
    "refractory": "Refractory disease",
    "ipi_ge3": "IPI >= 3",
    "bridging": "Bridging therapy",
    "age": "Age, per year",
    "bone_marrow_involvement": "Bone marrow involvement",
    "severe_thrombocytopenia": "Severe thrombocytopenia",
}
#: derived columns and the input column they come from (a reason names the input column)
SOURCES = {
    "stage_advanced": "stage",
    "ipi_ge3": "ipi",
    "bridging_failure": "bridging_response",
    "vein_to_vein_months": "vein_to_vein_days",
    "prior_lines_cat": "prior_lines",
    "crs_any": "crs_grade",
    "crs_severe": "crs_grade",
    "icans_any": "icans_grade",
    "icans_severe": "icans_grade",
    "ht_high": "the HT labs",
    "simple_ht_high": "plt and crp",
    "spm_myeloid_event": "spm_type",
}
#: columns graded from the labs table (or given as precomputed grades in the patients table)
GRADED = {
    "early_icaht": "ICAHT",
    "late_icaht": "ICAHT",
    "late_icaht_severe": "ICAHT",
    "icaht_early_grade": "ICAHT",
    "icaht_late_grade": "ICAHT",
    "severe_thrombocytopenia": "severe cytopenias",
    "severe_anemia": "severe cytopenias",
}

#: Table 1 rows: published id stem -> (variable, level shown; None for a median)
TABLE1_ROWS = {
    "age_median": ("age", None),
    "sex_female": ("sex", "F"),
    "histology_DLBCL": ("histology", "DLBCL"),
    "histology_HGBL": ("histology", "HGBL"),
    "histology_PMBCL": ("histology", "PMBCL"),
    "refractory": ("refractory", "1"),
    "stage_advanced": ("stage_advanced", "1"),
    "ipi_ge3": ("ipi_ge3", "1"),
    "bulky": ("bulky", "1"),
    "ldh_gt_uln": ("ldh_above_uln", "1"),
    "product_axicel": ("product", "axi-cel"),
    "product_tisacel": ("product", "tisa-cel"),
    "vein_to_vein_months_median": ("vein_to_vein_months", None),
    "previous_lines_1": ("prior_lines_cat", "1"),
    "previous_lines_2": ("prior_lines_cat", "2"),
    "previous_lines_ge3": ("prior_lines_cat", ">=3"),
    "previous_asct": ("prior_asct", "1"),
    "bridging": ("bridging", "1"),
    "bridging_failure": ("bridging_failure", "1"),
}
#: Table 1's variable labels
TABLE1_LABELS = {
    "age": "Age, years",
    "sex": "Sex",
    "histology": "Histology",
    "refractory": "Refractory disease",
    "stage_advanced": "Ann Arbor stage III-IV",
    "ipi_ge3": "IPI >= 3",
    "bulky": "Bulky disease",
    "ldh_above_uln": "LDH > ULN",
    "product": "Product",
    "vein_to_vein_months": "Vein-to-vein time, months",
    "prior_lines_cat": "Previous lines",
    "prior_asct": "Previous ASCT",
    "bridging": "Bridging therapy",
    "bridging_failure": "Bridging failure",
}
#: Table 1's labels of coded values
TABLE1_VALUES = {
    "sex": {"F": "Female", "M": "Male"},
    "prior_lines_cat": {"1": "1", "2": "2", ">=3": ">= 3"},
}
#: Table 1 by score: name in ids -> (population, group column)
TABLE1_SCORES = {"simpleHT": ("simple_ht", "simple_ht_group"), "HT": ("ht", "ht_group")}
#: Table 1's continuous variables (median, Kruskal-Wallis); the others are categorical (Fisher)
TABLE1_CONTINUOUS = ("age", "vein_to_vein_months")


def outcome(column: str) -> str:
    """What ``column`` counts ("second primary malignancy" for spm_event), or its name."""
    return OUTCOMES.get(column, column)


def group_name(column: str, level) -> str:
    """ "HT high", "simpleHT low", or "stage_advanced = 1"."""
    if column in RISK_GROUPS:
        return f"{RISK_GROUPS[column]} {'high' if level == 1 else 'low'}"
    return f"{column} = {level:g}" if isinstance(level, int | float) else f"{column} = {level}"


def risk_groups(flag: pd.Series) -> pd.Series:
    """A 0/1 risk flag as the groups "low" and "high", in that order (for curves and legends).

    Parameters
    ----------
    flag : Series
        0/1 (missing stays missing).

    Returns
    -------
    Series
        Categorical with categories ``["low", "high"]``.
    """
    return pd.Series(
        pd.Categorical(flag.map({0: "low", 1: "high"}), categories=["low", "high"]), index=flag.index
    )


def _masks(t: pd.DataFrame) -> dict[str, pd.Series]:
    return {
        "infused": t["infused"] == 1,
        "lbcl": t["lbcl"],
        "simple_ht": t["lbcl"] & t["simple_ht_high"].notna(),
        "ht": t["lbcl"] & t["ht_high"].notna(),
    }


@dataclass
class Study:
    """A cohort seen through CART-SIE's definitions: its populations, each selected once.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort
        The loaded (or simulated) cohort.
    note : str, optional
        The footnote of its figures (the built-in cohort's "synthetic data" note).
    """

    cohort: Any
    note: str | None = None
    _populations: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, init=False)
    _cache: dict[Hashable, tuple[bool, Any]] = field(default_factory=dict, repr=False, init=False)

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per ``key`` for every estimate, table and figure that needs it (a fit
        used by an estimate and by a supplementary table is fitted once); a failure is raised again
        to each caller, so that each reports its own not-estimable row or skipped output.

        Parameters
        ----------
        key : hashable
            What is computed (e.g. ``("km", "ht", "os")``).
        compute : callable
            Computes it, without arguments.

        Returns
        -------
        object
            What ``compute()`` returned, the first time.
        """
        if key not in self._cache:
            try:
                self._cache[key] = (True, compute())
            except Exception as exc:  # re-raised to every caller, each handles it
                self._cache[key] = (False, exc)
        ok, value = self._cache[key]
        if not ok:
            raise value
        return value

    def population(self, which: str) -> pd.DataFrame:
        """Select the rows of the cohort's analysis table in population ``which`` (see
        :data:`POPULATIONS`).

        Parameters
        ----------
        which : {"infused", "lbcl", "simple_ht", "ht"}
            The population.

        Returns
        -------
        DataFrame
            Its rows of ``cohort.table`` (selected once, then reused).
        """
        if which not in POPULATIONS:
            raise ValueError(f"population {which!r} is not one of {sorted(POPULATIONS)}.")
        if which not in self._populations:
            t = self.cohort.table
            self._populations[which] = t.loc[_masks(t)[which].fillna(False).to_numpy(bool)]
        return self._populations[which]


def study(cohort, note: str | None = None) -> Study:
    """``cohort`` as a :class:`Study` (a Study is returned as it is).

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or Study
        The cohort.
    note : str, optional
        The footnote of its figures (the built-in cohort's "synthetic data" note).

    Returns
    -------
    Study
        The cohort with its populations and fits cached.
    """
    return cohort if isinstance(cohort, Study) else Study(cohort, note)


def population(cohort, which: str) -> pd.DataFrame:
    """Select the rows of ``cohort.table`` in CART-SIE's analysis population ``which``.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort or Study
        The cohort.
    which : {"infused", "lbcl", "simple_ht", "ht"}
        The population (see :data:`POPULATIONS`).

    Returns
    -------
    DataFrame
        Its rows of the analysis table.
    """
    return study(cohort).population(which)


# -- score performance (beyond the paper) ------------------------------------------------------------
#: the scores whose performance is measured: id key -> (population, score column, name in labels)
PERF_SCORES = {"ht": ("ht", "ht_score", "HT score"), "simpleht": ("simple_ht", "simple_ht_high", "simpleHT")}
#: the endpoints: id stem -> (name, time column, event column)
PERF_ENDPOINTS = {"os": ("OS", "os_months", "os_event"), "pfs": ("PFS", "pfs_months", "pfs_event")}
#: the options of cartsie.prognostic.validate_score: AUC(t), Brier and IPA at 12 and 24 months;
#: calibration and net benefit at 12 months; net benefits reported at threshold risks of 25% and 50%
PERF_OPTIONS: dict[str, Any] = {
    "times": (12.0, 24.0),
    "at": 12.0,
    "summary_thresholds": (0.25, 0.5),
    "thresholds": tuple(round(k / 100, 2) for k in range(1, 81)),  # the decision curves' grid
}
#: the measures as estimates: (measure of validate_score, id stem, label, at which times)
PERF_MEASURES = (
    ("harrell_c", "harrell_c", "Harrell's C", ()),
    ("uno_c", "uno_c", "Uno's C", ()),
    ("auc", "auc", "AUC(t)", PERF_OPTIONS["times"]),
    ("brier", "brier", "Brier score", PERF_OPTIONS["times"]),
    ("ipa", "ipa", "Index of prediction accuracy", PERF_OPTIONS["times"]),
    ("oe_ratio", "oe", "Observed / expected risk", (PERF_OPTIONS["at"],)),
    ("calibration_slope", "slope", "Calibration slope", (PERF_OPTIONS["at"],)),
)
#: the note of the estimates that rest on the predicted risk, and of those of the score itself
PERF_NOTES = {
    "risk": "apparent (in-sample): risk from a Cox model of the score on the same patients",
    "score": "discrimination of the score itself",
}


def perf_endpoints() -> dict[str, tuple[str, str]]:
    """The endpoints of :func:`cartsie.prognostic.validate_score`: name -> (time, event) columns."""
    return {name: (t, e) for name, t, e in PERF_ENDPOINTS.values()}


def perf_ids(key: str, endpoint: str) -> list[tuple[str, str, float, float, str]]:
    """(id, measure, time, threshold, label) of every performance estimate of one score and endpoint.

    Parameters
    ----------
    key : {"ht", "simpleht"}
        The score (:data:`PERF_SCORES`).
    endpoint : {"os", "pfs"}
        The endpoint (:data:`PERF_ENDPOINTS`).

    Returns
    -------
    list of tuple
        ``perf.ht.os.harrell_c``, ``perf.ht.os.auc.12m``, ..., ``perf.ht.os.nb.12m.pt25``, with the
        measure, time (NaN: the whole follow-up) and threshold (NaN but for net benefit) of
        :func:`cartsie.prognostic.validate_score`'s summary, and the label.
    """
    nan = float("nan")
    name, ep, at = PERF_SCORES[key][2], PERF_ENDPOINTS[endpoint][0], PERF_OPTIONS["at"]
    out = []
    for measure, stem, label, times in PERF_MEASURES:
        if not times:
            out.append((f"perf.{key}.{endpoint}.{stem}", measure, nan, nan, f"{label}, {name}, {ep}"))
        for t in times:
            out.append(
                (
                    f"perf.{key}.{endpoint}.{stem}.{t:g}m",
                    measure,
                    t,
                    nan,
                    f"{label} at {t:g} months, {name}, {ep}",
                )
            )
    for pt in PERF_OPTIONS["summary_thresholds"]:
        for measure, stem, label in (
            ("net_benefit", "nb", "Net benefit"),
            ("net_benefit_all", "nb_all", "Net benefit of treating all"),
        ):
            what = f"{label} at {at:g} months, threshold {pt:.0%}, {name}, {ep}"
            out.append((f"perf.{key}.{endpoint}.{stem}.{at:g}m.pt{pt * 100:.0f}", measure, at, pt, what))
    return out


def perf_blocks() -> list[tuple[str, list]]:
    """The blocks of the score-performance table: (heading, :func:`perf_ids`) per score and endpoint."""
    return [
        (f"{PERF_SCORES[k][2]} ({POPULATIONS[PERF_SCORES[k][0]]}): {PERF_ENDPOINTS[e][0]}", perf_ids(k, e))
        for k in PERF_SCORES
        for e in PERF_ENDPOINTS
    ]
