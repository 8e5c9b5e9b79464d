"""The built-in synthetic cohort: CART-SIE-like data simulated from a calibrated generative model.

**Every table made here is synthetic: simulated patients, not patient data.** Each row carries
``synthetic = 1``, the files written by :func:`write` are named ``synthetic_*.csv``, and every figure
and report made from them says so.

The CART-SIE patient data are not public. This module simulates raw input tables -- patients with
dates, and long blood counts -- in cartsie's input schema, which :func:`cartsie_like` then reads
through :func:`cartsie.cohort.load` exactly like a real registry export. The parameters
(:class:`Model`) were tuned so that analysing the output with cartsie's own functions gives the
paper's published aggregates within sampling error; ``benchmarks/calibrate_synthetic.py`` shows it
over hundreds of seeds. Nothing here reads the published numbers.

The model, in the order it is simulated:

1. **Latent factors.** Each patient has three correlated standard-normal latents: disease burden
   ``B``, marrow impairment ``M`` and inflammation ``I`` (correlations B-M 0.2, B-I 0.5, M-I 0.3).
2. **Baseline.** Stage, IPI (counted from its five factors), bulky disease, LDH, bridging and its
   failure, bone-marrow involvement and refractoriness depend on the latents; age, sex, histology,
   product, vein-to-vein time and prior therapy do not (the paper finds no group difference there).
   Baseline ANC, hemoglobin, platelets, CRP and ferritin are log-normal (hemoglobin normal) around
   linear functions of the latents.
3. **Risk groups and the patient flow.** The HT score and simpleHT are computed from those labs by
   :func:`cartsie.scores.score_all` -- never assigned. The published flow (1002 enrolled, 746 infused,
   628 LBCL, 560 simpleHT evaluable, 389 HT evaluable, 251 HT high, 95 simpleHT high; scaled for
   another ``n_enrolled``) is met exactly by drawing LBCL patients from a larger pool of simulated
   patients and keeping, in random order, the first ones that fall in each (simpleHT, HT) cell:
   a sample from the model *conditional* on the published group sizes. Labs that make a score not
   evaluable are then removed (mostly ferritin for HT, CRP for simpleHT).
4. **Toxicity.** CRS and ICANS grades are ordinal (logistic) in the latents and the HT score. Daily
   ANC, platelet and hemoglobin curves from day 0 -- a nadir episode whose depth and length grow with
   marrow impairment and the HT score, recovery, and a late dip after day 30 -- are observed on a
   realistic visit schedule (daily to day 14, then twice weekly, weekly to day 90, monthly to day
   365, every two months to day 730, some visits missed). ICAHT grades and severe cytopenias come
   out of :func:`cartsie.toxicity.grade_icaht` on those counts.
5. **Response and events.** Day-90 response (CR, PR, SD, PD) is ordinal in the latents, the HT score
   and simpleHT; progression follows from it (PD before day 90, SD soon after, PR and CR with a
   cured fraction). Death follows progression (lymphoma), or comes without it (non-relapse mortality,
   with a cause: infection, toxicity, other, unknown), its risk rising with simpleHT, inflammation
   and severe late neutropenia. Second primary malignancies (myeloid or other) arise with a risk
   rising with the HT group, age, stage, marrow involvement and late marrow failure; death competes.
6. **Follow-up.** Infusions are staggered over 2019-2024 (more in later years), follow-up ends at a
   data cut-off or at loss to follow-up; events after it are not observed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from cartsie.cohort import schema
from cartsie.scores import score_all

#: The published patient flow of CART-SIE (Results; Supplementary Figure 1).
PUBLISHED_FLOW = {
    "enrolled": 1002,
    "infused": 746,
    "lbcl": 628,
    "simple_ht": 560,
    "ht": 389,
    "ht_high": 251,
    "simple_ht_high": 95,
}

#: Non-LBCL histologies of infused patients excluded from the analyses (kept as histology details)
OTHER_HISTOLOGIES = ("FL", "MCL", "CLL", "Burkitt lymphoma")

_LABS = ("anc", "hb", "plt", "crp", "ferritin")
_LATENT_CORR = np.array([[1.0, 0.2, 0.5], [0.2, 1.0, 0.3], [0.5, 0.3, 1.0]])  # B, M, I
_START = np.datetime64("2019-01-01")
_LAST_INFUSION = np.datetime64("2024-01-31")
_CUTOFF = np.datetime64("2024-04-30")
#: missing value of the text columns, as np.where's argument (numpy's stubs refuse a bare None)
_NONE = np.array(None, dtype=object)


@dataclass(frozen=True)
class Model:
    """Parameters of the generative model (see the module docstring); the defaults are calibrated.

    Coefficients act on the linear predictor of a logistic or log-normal model as named; ``s`` is the
    HT score (0-7), ``sh`` simpleHT high (0/1), ``B``, ``M``, ``I`` the latents. Names ending in
    ``_b``, ``_m``, ``_i``, ``_s``, ``_sh`` are the loadings of B, M, I, s and sh; ``_log`` a centre on
    the log scale, ``_sd`` a residual standard deviation; ``e`` in the formulas is a standard-normal
    draw. Times are in days (from infusion unless said otherwise), labs in canonical units. Change
    parameters with :meth:`with_`.

    Parameters
    ----------
    plt_log, plt_m, plt_b, plt_sd : float
        Baseline platelets (10^9/L): ``log plt = plt_log + plt_m M + plt_b B + plt_sd e``.
    anc_log, anc_m, anc_sd : float
        Baseline ANC (10^9/L): ``log anc = anc_log + anc_m M + anc_sd e``.
    hb_mean, hb_m, hb_i, hb_sd : float
        Baseline hemoglobin (g/dL, normal, cut to 5-17): ``hb_mean + hb_m M + hb_i I + hb_sd e``.
    crp_log, crp_i, crp_b, crp_sd : float
        Baseline CRP (mg/dL): ``log crp = crp_log + crp_i I + crp_b B + crp_sd e``.
    ferritin_log, ferritin_i, ferritin_m, ferritin_b, ferritin_sd : float
        Baseline ferritin (ng/mL): ``log ferritin = ferritin_log + ferritin_i I + ferritin_m M +
        ferritin_b B + ferritin_sd e``.
    stage_b : float
        Loading of B on the ordinal logistic latent of the Ann Arbor stage (1-4; fixed cut-offs).
    bulky, bulky_b : float
        Logit of P(bulky disease): ``bulky + bulky_b B``.
    ldh, ldh_b : float
        Logit of P(LDH above the upper limit of normal): ``ldh + ldh_b B``.
    ldh_missing : float
        Probability that the LDH value is not recorded.
    ecog2, ecog2_b : float
        Logit of P(ECOG performance status >= 2), an IPI factor: ``ecog2 + ecog2_b B``.
    extranodal, extranodal_b : float
        Logit of P(extranodal involvement counted by the IPI): ``extranodal + extranodal_b B``.
    bridging, bridging_b : float
        Logit of P(bridging therapy): ``bridging + bridging_b B``.
    bridging_pd, bridging_pd_i, bridging_pd_b : float
        Logit of P(progression on bridging therapy) among the bridged: ``bridging_pd +
        bridging_pd_i I + bridging_pd_b B``.
    marrow, marrow_m, marrow_b : float
        Logit of P(bone-marrow involvement): ``marrow + marrow_m M + marrow_b B``.
    refractory, refractory_b : float
        Logit of P(refractory disease): ``refractory + refractory_b B``.
    crs_i, crs_b, crs_s : float
        Loadings of I, B and s on the ordinal logistic latent of the CRS grade.
    crs_cuts : tuple of 4 float
        Its cut-offs between grades 0 | 1 | 2 | 3 | 4.
    icans_i, icans_crs, icans_axicel : float
        Loadings of I, the CRS grade and axi-cel (vs tisa-cel) on the latent of the ICANS grade.
    icans_cuts : tuple of 4 float
        Its cut-offs between grades 0 | 1 | 2 | 3 | 4.
    early, early_s, early_m : float
        Logit of P(severe early neutropenia, ANC <= 0.5): ``early + early_s s + early_m M``.
    early_days_log, early_days_m, early_days_s, early_days_sd : float
        Length of that episode (days, cut to 1-40): ``log days = early_days_log + early_days_m M +
        early_days_s s + early_days_sd e``.
    profound : float
        Intercept of the logit of P(profound neutropenia, ANC < 0.1) during a severe episode (plus
        0.3 M + log(days / 7)).
    late_log, late_s, late_m, late_long_early, late_sd : float
        ANC nadir of the dip after day 30 (10^9/L): ``log nadir = late_log + late_s s + late_m M +
        late_long_early [severe early episode of >= 7 days] + late_sd e``.
    recovered_log : float
        Log of the recovered ANC level after day 30 (10^9/L; between-patient sd 0.3).
    plt_late, plt_late_m, plt_late_sd : float
        Platelets after day 30 as a log-ratio to baseline: ``plt_late + plt_late_m M + plt_late_sd e``.
    hb_late, hb_late_sd : float
        Hemoglobin after day 30 (g/dL): ``hb_late + 0.35 (baseline hb - 11) + 0.8 hb_late_sd e``.
    resp, resp_b, resp_i, resp_s, resp_sh, resp_bridging_pd : float
        Ordinal logistic latent of the day-90 response: intercept and loadings of B, I, s, sh and of
        progression on bridging therapy.
    resp_cuts : tuple of 3 float
        Its cut-offs PD | SD | PR | CR.
    cure_cr, cure_pr, cure_b, cure_sh : float
        Logit of the cured (never progressing) fraction: ``cure_cr`` after CR or ``cure_pr`` after
        PR, plus ``cure_b B + cure_sh sh``.
    ttp_cr_log, ttp_pr_log, ttp_sd_log, ttp_sd : float
        Time to progression after day 90 of the not cured, by day-90 response (CR, PR, SD):
        ``log days = ttp_*_log + ttp_sd e`` (PD progresses between days 20 and 88).
    sd_durable : float
        Probability that stable disease never progresses.
    post_prog_log, post_prog_sd, post_prog_b, post_prog_i : float
        Days from progression to death: ``log days = post_prog_log - post_prog_b B - post_prog_i I +
        post_prog_sd e``.
    nrm, nrm_sh, nrm_i, nrm_age, nrm_late : float
        Logit of P(non-relapse death): intercept and loadings of sh, I, age (per year above 59) and
        severe late neutropenia (late nadir <= 0.5).
    nrm_log, nrm_sd : float
        Day of a non-relapse death: ``log day = nrm_log + nrm_sd e`` (at least day 3).
    nrm_infection : float
        Probability that a non-relapse death is from infection (toxicity 0.2, other 0.24 and unknown
        0.12 are fixed, so the default 0.44 makes them sum to 1).
    spm, spm_ht, spm_age, spm_stage, spm_marrow, spm_thrombo : float
        Logit of P(second primary malignancy): intercept and loadings of HT high, age (per year
        above 59), stage >= 3, bone-marrow involvement and late platelets < 55.
    spm_log, spm_sd : float
        Day of the malignancy: ``log day = spm_log + spm_sd e``.
    spm_myeloid : float
        Intercept of the logit of P(myeloid malignancy) (plus 0.5 for marrow involvement and 0.5
        for late thrombocytopenia).
    spm_death_log : float
        Days from the malignancy to death: ``log days = spm_death_log + e``.
    entry_shape : float
        Shape ``a`` of the Beta(a, 1) distribution of infusion dates over 2019-01-01 to 2024-01-31
        (above 1: more infusions in later years).
    loss_per_year : float
        Rate of loss to follow-up per year (exponential); follow-up otherwise ends at the data
        cut-off, 2024-04-30.
    """

    # baseline labs: log-scale centre, latent loadings, residual sd
    plt_log: float = 5.2
    plt_m: float = -0.42
    plt_b: float = -0.3
    plt_sd: float = 0.42
    anc_log: float = 1.0
    anc_m: float = -0.38
    anc_sd: float = 0.5
    hb_mean: float = 11.2
    hb_m: float = -0.55
    hb_i: float = -0.45
    hb_sd: float = 1.35
    crp_log: float = 0.15
    crp_i: float = 1.05
    crp_b: float = 0.25
    crp_sd: float = 0.75
    ferritin_log: float = 6.45
    ferritin_i: float = 0.6
    ferritin_m: float = 0.35
    ferritin_b: float = 0.35
    ferritin_sd: float = 0.75
    # baseline characteristics (logistic intercepts and slopes)
    stage_b: float = 1.25
    bulky: float = -0.65
    bulky_b: float = 0.55
    ldh: float = -0.2
    ldh_b: float = 1.1
    ldh_missing: float = 0.23
    ecog2: float = -1.7
    ecog2_b: float = 0.6
    extranodal: float = -0.3
    extranodal_b: float = 0.9
    bridging: float = 1.65
    bridging_b: float = 0.6
    bridging_pd: float = -0.35
    bridging_pd_i: float = 0.55
    bridging_pd_b: float = 0.2
    marrow: float = -2.0
    marrow_m: float = 0.8
    marrow_b: float = 0.5
    refractory: float = 1.05
    refractory_b: float = 0.15
    # CRS / ICANS: ordinal logistic latent
    crs_i: float = 0.45
    crs_b: float = 0.2
    crs_s: float = 0.1
    crs_cuts: tuple[float, float, float, float] = (-1.35, 1.45, 2.9, 4.6)
    icans_i: float = 0.35
    icans_crs: float = 0.55
    icans_axicel: float = 0.6
    icans_cuts: tuple[float, float, float, float] = (2.25, 3.2, 3.75, 5.2)
    # early neutropenia: P(nadir <= 0.5) and its length (log-normal days)
    early: float = -0.55
    early_s: float = 0.19
    early_m: float = 0.25
    early_days_log: float = 1.55
    early_days_m: float = 0.2
    early_days_s: float = 0.08
    early_days_sd: float = 0.65
    profound: float = 0.25
    # late neutropenia nadir (log-normal, 10^9/L), recovered level
    late_log: float = 0.68
    late_s: float = -0.14
    late_m: float = -0.15
    late_long_early: float = -0.3
    late_sd: float = 0.68
    recovered_log: float = 0.95
    # platelets after day 30: log-ratio to baseline; hemoglobin after day 30
    plt_late: float = 0.33
    plt_late_m: float = -0.2
    plt_late_sd: float = 0.65
    hb_late: float = 11.6
    hb_late_sd: float = 1.3
    # day-90 response: ordinal logistic latent and cut-offs (PD | SD | PR | CR)
    resp: float = 0.5
    resp_b: float = -0.35
    resp_i: float = -0.2
    resp_s: float = -0.08
    resp_sh: float = -0.25
    resp_bridging_pd: float = -0.5
    resp_cuts: tuple[float, float, float] = (-0.45, -0.15, 0.15)
    # progression: cured fraction by response, and time to progression (days, log-normal)
    cure_cr: float = 1.6
    cure_pr: float = -0.6
    cure_b: float = 0.0
    cure_sh: float = -0.4
    ttp_cr_log: float = 5.6
    ttp_pr_log: float = 4.6
    ttp_sd_log: float = 3.7
    ttp_sd: float = 0.7
    sd_durable: float = 0.12
    # death after progression (log-normal days), and non-relapse mortality
    post_prog_log: float = 5.7
    post_prog_sd: float = 1.1
    post_prog_b: float = 0.1
    post_prog_i: float = 0.4
    nrm: float = -3.2
    nrm_sh: float = 1.9
    nrm_i: float = 0.2
    nrm_age: float = 0.03
    nrm_late: float = 0.8
    nrm_log: float = 5.0
    nrm_sd: float = 1.0
    nrm_infection: float = 0.44
    # second primary malignancies: P(SPM), time (log-normal days), myeloid share, death after SPM
    spm: float = -4.5
    spm_ht: float = 1.2
    spm_age: float = 0.03
    spm_stage: float = 1.5
    spm_marrow: float = 2.2
    spm_thrombo: float = 1.7
    spm_log: float = 6.2
    spm_sd: float = 0.6
    spm_myeloid: float = 0.45
    spm_death_log: float = 6.2
    # entry and follow-up
    entry_shape: float = 2.3
    loss_per_year: float = 0.03

    def with_(self, **changes) -> Model:
        """A copy with some parameters changed (a frozen dataclass: the defaults stay as they are)."""
        names = {f.name for f in fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown model parameter(s) {sorted(unknown)}")
        return replace(self, **changes)


DEFAULT_MODEL = Model()


@dataclass(frozen=True)
class SyntheticTables:
    """Raw synthetic input tables (in cartsie's input schema), before :func:`cartsie.cohort.load`.

    Made by :func:`tables`; each parameter is an attribute.

    Parameters
    ----------
    patients : DataFrame
        One row per simulated patient: the patients-table columns of :mod:`cartsie.cohort.schema` with
        dates, and ``synthetic = 1``.
    labs : DataFrame
        Long blood counts of the infused patients: ``patient_id``, ``day``, ``anc``, ``plt``, ``hb``,
        ``synthetic``.
    seed : int
        The seed they were simulated with.
    """

    patients: pd.DataFrame
    labs: pd.DataFrame
    seed: int


def flow_counts(n_enrolled: int = 1002) -> dict[str, int]:
    """The published patient flow scaled to ``n_enrolled`` (exactly the published one for 1002).

    Parameters
    ----------
    n_enrolled : int, default 1002
        Enrolled patients (at least 50).

    Returns
    -------
    dict of str to int
        Patients at each step of :data:`PUBLISHED_FLOW` (enrolled, infused, lbcl, simple_ht, ht,
        ht_high, simple_ht_high), each published count times ``n_enrolled / 1002``, rounded.

    Raises
    ------
    ValueError
        When ``n_enrolled`` is below 50.
    """
    if n_enrolled < 50:
        raise ValueError(f"n_enrolled must be at least 50 (got {n_enrolled}).")
    f = n_enrolled / PUBLISHED_FLOW["enrolled"]
    counts = {k: round(v * f) for k, v in PUBLISHED_FLOW.items()}
    counts["enrolled"] = n_enrolled
    return counts


def _logistic(rng: np.random.Generator, lp: np.ndarray) -> np.ndarray:
    return rng.random(len(lp)) < 1.0 / (1.0 + np.exp(-lp))


def _ordinal(rng: np.random.Generator, lp: np.ndarray, cuts) -> np.ndarray:
    """Ordinal logistic draw: the number of cut-offs that ``lp`` + logistic noise exceeds."""
    z = lp + rng.logistic(size=len(lp))
    return (z[:, None] > np.asarray(cuts)[None, :]).sum(axis=1)


def _baseline(rng: np.random.Generator, n: int, m: Model) -> pd.DataFrame:
    """Latents, baseline characteristics and true baseline labs of ``n`` simulated patients."""
    B, M, I = (rng.standard_normal((n, 3)) @ np.linalg.cholesky(_LATENT_CORR).T).T  # noqa: E741 (the model's names)
    age = np.clip(np.round(rng.normal(59.5, 12.5, n)), 18, 84)
    hist = rng.choice(["DLBCL", "HGBL", "PMBCL"], n, p=[0.68, 0.19, 0.13])
    age = np.where(hist == "PMBCL", np.clip(age - 15, 18, 84), age)
    stage = 1 + _ordinal(rng, m.stage_b * B, [-1.9, -0.95, -0.1])
    ldh = _logistic(rng, m.ldh + m.ldh_b * B)
    ecog2 = _logistic(rng, m.ecog2 + m.ecog2_b * B)
    extranodal = _logistic(rng, m.extranodal + m.extranodal_b * B)
    ipi = (age > 60).astype(int) + (stage >= 3) + ldh + ecog2 + extranodal
    bridging = _logistic(rng, m.bridging + m.bridging_b * B)
    bridging_pd = _logistic(rng, m.bridging_pd + m.bridging_pd_i * I + m.bridging_pd_b * B)
    other_resp = rng.choice(["CR", "PR", "SD"], n, p=[0.2, 0.45, 0.35])
    bridging_response = np.where(bridging, np.where(bridging_pd, "PD", other_resp), _NONE)
    lines = rng.choice([1, 2, 3, 4, 5], n, p=[0.025, 0.625, 0.22, 0.09, 0.04])
    return pd.DataFrame(
        {
            "B": B,
            "M": M,
            "I": I,
            "age": age,
            "sex": np.where(rng.random(n) < 0.36, "F", "M"),
            "histology": hist,
            "stage": stage,
            "ipi": ipi,
            "bulky": _logistic(rng, m.bulky + m.bulky_b * B).astype(int),
            "refractory": _logistic(rng, m.refractory + m.refractory_b * B).astype(int),
            "ldh_above_uln": ldh.astype(float),
            "product": np.where(rng.random(n) < 0.57, "axi-cel", "tisa-cel"),
            "vein_to_vein_days": np.round(np.exp(rng.normal(np.log(49), 0.3, n))),
            "prior_lines": lines,
            "prior_asct": (rng.random(n) < 0.27).astype(int),
            "bridging": bridging.astype(int),
            "bridging_response": bridging_response,
            "bone_marrow_involvement": _logistic(rng, m.marrow + m.marrow_m * M + m.marrow_b * B).astype(int),
            "anc": np.round(np.exp(m.anc_log + m.anc_m * M + m.anc_sd * rng.standard_normal(n)), 2),
            "hb": np.round(
                np.clip(m.hb_mean + m.hb_m * M + m.hb_i * I + m.hb_sd * rng.standard_normal(n), 5, 17), 1
            ),
            "plt": np.round(
                np.exp(m.plt_log + m.plt_m * M + m.plt_b * B + m.plt_sd * rng.standard_normal(n))
            ),
            "crp": np.round(
                np.exp(m.crp_log + m.crp_i * I + m.crp_b * B + m.crp_sd * rng.standard_normal(n)), 2
            ),
            "ferritin": np.round(
                np.exp(
                    m.ferritin_log
                    + m.ferritin_i * I
                    + m.ferritin_m * M
                    + m.ferritin_b * B
                    + m.ferritin_sd * rng.standard_normal(n)
                )
            ),
        }
    )


def _select_lbcl(rng: np.random.Generator, counts: dict[str, int], m: Model) -> pd.DataFrame:
    """LBCL patients meeting the published group sizes exactly: a sample of the model conditional on
    the (simpleHT, HT) cell counts, the scores computed from the simulated labs."""
    n_simple, n_ht = counts["simple_ht"], counts["ht"]
    n_sh, n_hh = counts["simple_ht_high"], counts["ht_high"]
    # simpleHT-high patients among the HT evaluable: as if HT labs were missing at random
    k = int(rng.hypergeometric(n_sh, n_simple - n_sh, n_ht))
    k = max(0, min(k, n_hh))
    cells = {  # (HT evaluable, simpleHT high, HT high) -> count
        ("ht", 1, 1): k,
        ("ht", 0, 1): n_hh - k,
        ("ht", 0, 0): n_ht - n_hh,
        ("simple", 1, None): n_sh - k,
        ("simple", 0, None): n_simple - n_ht - (n_sh - k),
        ("none", None, None): counts["lbcl"] - n_simple,
    }
    chosen, pool_size = [], 4 * counts["lbcl"]
    need = dict(cells)
    while any(v > 0 for v in need.values()):
        pool = _baseline(rng, pool_size, m)
        sc = score_all(pool, check_units=False)
        sh = sc["simple_ht_high"].to_numpy(int)
        hh = sc["ht_high"].to_numpy(int)
        taken = np.zeros(len(pool), bool)
        for (where, s, h), n in need.items():
            match = ~taken
            if s is not None:
                match &= sh == s
            if h is not None:
                match &= hh == h
            idx = np.flatnonzero(match)[:n]
            taken[idx] = True
            chosen.append(pool.iloc[idx].assign(_cell=where))
            need[(where, s, h)] = n - len(idx)
    out = _keep_true_labs(pd.concat(chosen, ignore_index=True))
    return _mask_labs(rng, out)


def _keep_true_labs(df: pd.DataFrame) -> pd.DataFrame:
    # Labs removed later keep their simulated value for the outcome model: a registry loses the
    # record, not the patient's biology.
    return df.assign(**{f"{lab}_true": df[lab] for lab in _LABS})


def _mask_labs(rng: np.random.Generator, df: pd.DataFrame) -> pd.DataFrame:
    """Remove the baseline labs that make a score not evaluable, as registries lack them."""
    df = df.copy()
    n = len(df)
    u = rng.random(n)
    simple_only = (df["_cell"] == "simple").to_numpy()
    none = (df["_cell"] == "none").to_numpy()
    # HT not evaluable: ferritin missing (most), else ANC or hemoglobin
    df.loc[simple_only, "ferritin"] = np.where(u[simple_only] < 0.88, np.nan, df.loc[simple_only, "ferritin"])
    anc_gone = simple_only & (u >= 0.88) & (u < 0.94)
    hb_gone = simple_only & (u >= 0.94)
    df.loc[anc_gone, "anc"] = np.nan
    df.loc[hb_gone, "hb"] = np.nan
    # simpleHT not evaluable: CRP missing (most), platelets, or both; ferritin often too
    df.loc[none & (u < 0.8), "crp"] = np.nan
    df.loc[none & (u >= 0.7), "plt"] = np.nan
    df.loc[none & (rng.random(n) < 0.6), "ferritin"] = np.nan
    return df.drop(columns="_cell")


def _others(rng: np.random.Generator, n: int, m: Model, infused: bool) -> pd.DataFrame:
    """Patients outside the analysis: non-LBCL infused, or enrolled but never infused."""
    df = _keep_true_labs(_baseline(rng, n, m))
    if infused:
        df["histology"] = rng.choice(OTHER_HISTOLOGIES, n, p=[0.45, 0.3, 0.15, 0.1])
    for lab, p in (("ferritin", 0.35), ("crp", 0.1), ("anc", 0.05)):
        df.loc[rng.random(n) < p, lab] = np.nan
    return df


# ---------------------------------------------------------------------------------------------------
# outcomes


def _true_scores(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HT score, HT high and simpleHT high from the patient's true labs (before any were removed)."""
    true = df[[f"{lab}_true" for lab in _LABS]].set_axis(list(_LABS), axis=1)
    sc = score_all(true, check_units=False)
    return (
        sc["ht_score"].to_numpy(float),
        sc["ht_high"].to_numpy(float),
        sc["simple_ht_high"].to_numpy(float),
    )


def _toxicity(rng: np.random.Generator, df: pd.DataFrame, s: np.ndarray, m: Model) -> dict:
    B, M, I = (df[c].to_numpy() for c in "BMI")  # noqa: E741 (the model's names)
    n = len(df)
    crs = _ordinal(rng, m.crs_i * I + m.crs_b * B + m.crs_s * s, m.crs_cuts)
    axicel = (df["product"] == "axi-cel").to_numpy()
    icans = _ordinal(rng, m.icans_i * I + m.icans_crs * crs + m.icans_axicel * axicel, m.icans_cuts)
    severe = _logistic(rng, m.early + m.early_s * s + m.early_m * M)
    days = np.exp(
        m.early_days_log + m.early_days_m * M + m.early_days_s * s + m.early_days_sd * rng.standard_normal(n)
    )
    early_days = np.where(severe, np.clip(np.round(days), 1, 40), rng.integers(2, 6, n))
    profound = severe & _logistic(rng, m.profound + 0.3 * M + np.log(early_days / 7))
    late = np.exp(
        m.late_log
        + m.late_s * s
        + m.late_m * M
        + m.late_long_early * (early_days >= 7) * severe
        + m.late_sd * rng.standard_normal(n)
    )
    plt_late = df["plt_true"].to_numpy() * np.exp(
        m.plt_late + m.plt_late_m * M + m.plt_late_sd * rng.standard_normal(n)
    )
    return {
        "crs_grade": crs,
        "icans_grade": icans,
        "severe": severe,
        "early_days": early_days,
        "profound": profound,
        "late_nadir": late,
        "plt_late": plt_late,
        "hb_late": m.hb_late
        + 0.35 * (df["hb_true"].to_numpy() - 11)
        + m.hb_late_sd * rng.standard_normal(n) * 0.8,
    }


def _events(rng: np.random.Generator, df: pd.DataFrame, s, hh, sh, tox: dict, m: Model) -> dict:
    """Day-90 response and event days (NaN = does not happen before follow-up ends)."""
    n = len(df)
    B, I = df["B"].to_numpy(), df["I"].to_numpy()  # noqa: E741 (the model's names)
    bridging_pd = (df["bridging_response"] == "PD").to_numpy()
    lp = (
        m.resp
        + m.resp_b * B
        + m.resp_i * I
        + m.resp_s * s
        + m.resp_sh * sh
        + m.resp_bridging_pd * bridging_pd
    )
    level = _ordinal(rng, lp, m.resp_cuts)  # 0 PD, 1 SD, 2 PR, 3 CR
    response = np.array(["PD", "SD", "PR", "CR"])[level]

    cure_lp = np.where(level == 3, m.cure_cr, m.cure_pr) + m.cure_b * B + m.cure_sh * sh
    cured = (level >= 2) & _logistic(rng, cure_lp)
    cured |= (level == 1) & (rng.random(n) < m.sd_durable)
    ttp_log = np.select([level == 3, level == 2], [m.ttp_cr_log, m.ttp_pr_log], m.ttp_sd_log)
    prog = np.where(
        level == 0, rng.uniform(20, 88, n), 90 + np.exp(ttp_log + m.ttp_sd * rng.standard_normal(n))
    )
    prog = np.where(cured, np.inf, prog)
    post = np.exp(
        m.post_prog_log - m.post_prog_b * B - m.post_prog_i * I + m.post_prog_sd * rng.standard_normal(n)
    )
    death_prog = prog + post

    late_severe = tox["late_nadir"] <= 0.5
    nrm_lp = (
        m.nrm
        + m.nrm_sh * sh
        + m.nrm_i * I
        + m.nrm_age * (df["age"].to_numpy() - 59)
        + m.nrm_late * late_severe
    )
    nrm_day = np.where(_logistic(rng, nrm_lp), np.exp(m.nrm_log + m.nrm_sd * rng.standard_normal(n)), np.inf)
    background = rng.exponential(365.25 / 0.015, n)
    nrm_day = np.fmin(np.maximum(nrm_day, 3), background)

    thrombo = tox["plt_late"] < 55
    marrow = df["bone_marrow_involvement"].to_numpy()
    spm_lp = (
        m.spm
        + m.spm_ht * hh
        + m.spm_age * (df["age"].to_numpy() - 59)
        + m.spm_stage * (df["stage"].to_numpy() >= 3)
        + m.spm_marrow * marrow
        + m.spm_thrombo * thrombo
    )
    spm_day = np.where(_logistic(rng, spm_lp), np.exp(m.spm_log + m.spm_sd * rng.standard_normal(n)), np.inf)
    myeloid = _logistic(rng, np.full(n, m.spm_myeloid) + 0.5 * marrow + 0.5 * thrombo)
    spm_death = spm_day + np.exp(m.spm_death_log + rng.standard_normal(n))

    progressed_first = prog < nrm_day
    death = np.where(progressed_first, np.fmin(death_prog, background), nrm_day)
    nrm_cause = rng.choice(
        ["infection", "toxicity", "other", "unknown"], n, p=[m.nrm_infection, 0.2, 0.24, 0.12]
    )
    cause = np.where(progressed_first & (death_prog <= background), "lymphoma", nrm_cause)
    by_spm = spm_death < death
    death = np.where(by_spm, spm_death, death)
    cause = np.where(by_spm, "spm", cause)
    spm_day = np.where(spm_day < death, spm_day, np.inf)

    # entry and follow-up
    span = (_LAST_INFUSION - _START).astype(int)
    entry = np.round(span * rng.beta(m.entry_shape, 1.0, n)).astype(int)
    admin = (_CUTOFF - _START).astype(int) - entry
    loss = rng.exponential(365.25 / m.loss_per_year, n)
    end = np.minimum(admin, np.round(loss) + 1).astype(float)

    def seen(day):
        day = np.round(day)
        return np.where(day <= end, day, np.nan)

    prog_d, death_d, spm_d = seen(prog), seen(death), seen(spm_day)
    prog_d = np.where(~np.isnan(death_d) & (prog_d > death_d), np.nan, prog_d)
    # death before day 90 without a day-90 assessment: not evaluable
    early_fail = np.fmin(prog_d, death_d) < 90
    response = np.where(early_fail & (level >= 1), "NE", response)
    response = np.where(end < 90, _NONE, response)
    responder = np.isin(response, ["CR", "PR"])
    response_day = np.where(responder, np.where(rng.random(n) < 0.8, rng.integers(26, 36, n), 90), np.nan)
    progression = prog_d
    last_fu = np.where(np.isnan(death_d), end, death_d)
    next_therapy = np.where(
        ~np.isnan(progression) & (progression + 20 <= last_fu), progression + rng.integers(5, 21, n), np.nan
    )
    return {
        "response_day90": response,
        "response_day": response_day,
        "progression_day": progression,
        "death_day": death_d,
        "death_cause": np.where(np.isnan(death_d), _NONE, cause),
        "spm_day": spm_d,
        "spm_type": np.where(np.isnan(spm_d), _NONE, np.where(myeloid, "myeloid", "other")),
        "next_therapy_day": next_therapy,
        "last_followup_day": last_fu,
        "infusion_date": _START + entry.astype("timedelta64[D]"),
    }


# ---------------------------------------------------------------------------------------------------
# blood counts


_VISITS = np.array(
    [
        *range(15),
        17,
        21,
        24,
        28,
        35,
        42,
        49,
        56,
        63,
        70,
        77,
        84,
        90,
        120,
        150,
        180,
        210,
        240,
        270,
        300,
        330,
        365,
        425,
        485,
        545,
        605,
        665,
        730,
    ]
)


def _labs(rng: np.random.Generator, df: pd.DataFrame, tox: dict, events: dict, m: Model) -> pd.DataFrame:
    """Long ANC, platelet and hemoglobin series from day 0 on the visit schedule."""
    n, v = len(df), len(_VISITS)
    jitter = np.where(_VISITS > 14, rng.integers(-1, 2, (n, v)), 0)
    jitter = np.where(_VISITS > 90, rng.integers(-4, 5, (n, v)), jitter)
    day = np.maximum(_VISITS[None, :] + jitter, 0)
    last = np.fmin(events["last_followup_day"], 730)[:, None]
    present = (day <= last) & ((rng.random((n, v)) > 0.12) | (_VISITS[None, :] == 0))
    present &= (rng.random((n, 1)) > 0.02) | (_VISITS[None, :] <= 14)  # a few stop after discharge

    anc0 = df["anc_true"].to_numpy()[:, None]
    start = rng.integers(2, 5, n)[:, None]
    length = tox["early_days"][:, None]
    severe = tox["severe"][:, None]
    episode = (day >= start) & (day < start + length)
    ep_low = np.where(severe, float(np.log(0.12)), float(np.log(0.6)))
    ep_high = np.where(severe, float(np.log(0.48)), float(np.log(1.4)))
    ep_value = np.exp(ep_low + (ep_high - ep_low) * rng.random((n, v)))
    middle = np.abs(day - (start + length / 2)) < np.maximum(length / 2 - 3, 0)
    ep_value = np.where(tox["profound"][:, None] & middle, rng.uniform(0.02, 0.095, (n, v)), ep_value)
    recovered = np.exp(np.log(2.6) + 0.35 * rng.standard_normal((n, 1)) + 0.2 * rng.standard_normal((n, v)))
    before = np.clip(anc0 * 0.7, 0.55, None) + (0.6 - np.clip(anc0 * 0.7, 0.55, None)) * day / start
    ramp = np.where(day == start + length, 0.7, 1.1)
    early = np.select(
        [day == 0, day < start, episode, day < start + length + 2],
        [np.clip(anc0 * 0.7, 0.55, None), before, ep_value, ramp],
        recovered,
    )
    late_level = np.exp(m.recovered_log + 0.3 * rng.standard_normal((n, 1)))
    late = late_level * np.exp(0.22 * rng.standard_normal((n, v)))
    late_idx = np.flatnonzero(_VISITS > 30)
    dip_start = late_idx[0] + rng.integers(0, 9, n)[:, None]
    dip_len = 2 + rng.geometric(0.5, n)[:, None]
    col = np.arange(v)[None, :]
    dip = (col >= dip_start) & (col < dip_start + dip_len) & (day > 30)
    nadir = tox["late_nadir"][:, None] * np.exp(0.06 * rng.standard_normal((n, v)))
    late = np.where(dip, np.minimum(nadir, late), late)
    anc = np.where(day <= 30, early, late)

    plt0 = df["plt_true"].to_numpy()[:, None]
    plt_late = tox["plt_late"][:, None]
    plt_nadir = plt0 * np.exp(-0.9 + 0.35 * rng.standard_normal((n, 1)))
    frac = np.clip((day - 10) / 20, 0, 1)
    plt_early = np.where(
        day < 10, plt0 + (plt_nadir - plt0) * day / 10, plt_nadir + (plt_late - plt_nadir) * frac
    )
    plt_series = np.where(day <= 30, plt_early, plt_late * np.where(dip, 0.75, 1.0))
    plt_series = plt_series * np.exp(0.12 * rng.standard_normal((n, v)))

    hb0 = df["hb_true"].to_numpy()[:, None]
    hb_late = tox["hb_late"][:, None]
    hb = np.where(day <= 30, hb0 - 1.0 * np.minimum(day, 10) / 10, hb_late) + 0.3 * rng.standard_normal(
        (n, v)
    )

    rows, cols = np.nonzero(present)
    return pd.DataFrame(
        {
            "patient_id": df["patient_id"].to_numpy()[rows],
            "day": day[rows, cols],
            "anc": np.round(anc[rows, cols], 2),
            "plt": np.round(np.maximum(plt_series[rows, cols], 3)),
            "hb": np.round(np.clip(hb[rows, cols], 5.0, 17.5), 1),
        }
    )


# ---------------------------------------------------------------------------------------------------
# assembly


def _dates(start: np.ndarray, days: np.ndarray) -> pd.Series:
    out = pd.Series(start + np.nan_to_num(days).astype(int).astype("timedelta64[D]"))
    return out.dt.strftime("%Y-%m-%d").where(~np.isnan(days), None)


def tables(seed: int = 2024, n_enrolled: int = 1002, model: Model = DEFAULT_MODEL) -> SyntheticTables:
    """Simulate the raw CART-SIE-like input tables. **Synthetic data, not patient data.**

    Parameters
    ----------
    seed : int
        Seed of the random generator (NumPy PCG64): the same seed gives the same tables.
    n_enrolled : int
        Enrolled patients; the published flow (1002 -> 746 infused -> 628 LBCL -> 560 simpleHT
        evaluable -> 389 HT evaluable, 251 HT high, 95 simpleHT high) is scaled to it.
    model : Model
        The generative model's parameters (default: the calibrated ones).

    Returns
    -------
    SyntheticTables
        ``patients`` and ``labs`` in cartsie's input schema (dates, canonical units), each row with
        ``synthetic = 1``.

    Examples
    --------
    >>> t = tables(seed=1)
    >>> len(t.patients), int(t.patients["infused"].sum()), bool(t.patients["synthetic"].eq(1).all())
    (1002, 746, True)
    """
    rng = np.random.default_rng(seed)
    counts = flow_counts(n_enrolled)
    lbcl = _select_lbcl(rng, counts, model)
    other = _others(rng, counts["infused"] - counts["lbcl"], model, infused=True)
    never = _others(rng, counts["enrolled"] - counts["infused"], model, infused=False)
    infused = pd.concat([lbcl, other], ignore_index=True)

    order = rng.permutation(counts["enrolled"])
    ids = np.array([f"SYN{i + 1:04d}" for i in range(counts["enrolled"])])
    infused["patient_id"] = ids[order[: len(infused)]]
    never["patient_id"] = ids[order[len(infused) :]]

    s, hh, sh = _true_scores(infused)
    tox = _toxicity(rng, infused, s, model)
    events = _events(rng, infused, s, hh, sh, tox, model)
    labs = _labs(rng, infused, tox, events, model)

    start = events.pop("infusion_date")
    infused = infused.assign(
        infused=1,
        crs_grade=tox["crs_grade"],
        icans_grade=tox["icans_grade"],
        response_day90=events.pop("response_day90"),
        death_cause=events.pop("death_cause"),
        spm_type=events.pop("spm_type"),
        infusion_date=pd.Series(start).dt.strftime("%Y-%m-%d"),
    )
    for event, days in events.items():
        infused[event.replace("_day", "_date")] = _dates(start, days).to_numpy()
    never = never.assign(infused=0)
    patients = pd.concat([infused, never], ignore_index=True)
    patients["ldh_above_uln"] = patients["ldh_above_uln"].where(
        rng.random(len(patients)) >= model.ldh_missing
    )
    patients["center"] = np.char.mod("C%02d", rng.integers(1, 25, len(patients)))
    patients["synthetic"] = 1
    # the schema's columns in its order; the latents and true labs stay inside the simulation
    keep = [c for c in schema.PATIENTS if c in patients.columns]
    patients = _as_recorded(patients[keep].sort_values("patient_id", ignore_index=True), schema.PATIENTS)
    labs = _as_recorded(labs.sort_values(["patient_id", "day"], ignore_index=True), schema.LABS)
    return SyntheticTables(patients=patients, labs=labs.assign(synthetic=1), seed=seed)


#: Upper limits of what a laboratory reports (canonical units), inside the plausibility ranges of
#: :mod:`cartsie.cohort.schema`: the log-normal tails of the model reach beyond them.
_REPORTED_MAX = {"anc": 60.0, "plt": 1500.0, "crp": 60.0, "ferritin": 150000.0}


def _as_recorded(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Lab values as a laboratory records them: capped at what it reports, and never equal to a code
    registries use for "not done" (999 is written 1000). Every score and grade threshold lies far below
    the caps and away from the codes, so no score or grade changes."""
    from cartsie.cohort.values import NOT_DONE

    out = frame.copy()
    for col, cap in _REPORTED_MAX.items():
        if col in out.columns and columns[col].maximum is not None:
            values = out[col].clip(upper=min(cap, columns[col].maximum))
            out[col] = values.where(~values.isin(NOT_DONE), values + 1)
    return out


def cartsie_like(seed: int = 2024, n_enrolled: int = 1002, model: Model = DEFAULT_MODEL):
    """The built-in synthetic CART-SIE-like cohort, read through :func:`cartsie.cohort.load`.

    **Synthetic data, not patient data** (every row has ``synthetic = 1``). See the module docstring
    for the model and :func:`tables` for the parameters.

    Parameters
    ----------
    seed : int, default 2024
        Seed of the random generator: the same seed gives the same cohort.
    n_enrolled : int, default 1002
        Enrolled patients; the published flow is scaled to it (:func:`flow_counts`).
    model : Model
        The generative model's parameters (default: the calibrated ones).

    Returns
    -------
    cartsie.cohort.Cohort
        The validated cohort: patients, labs, endpoints, scores, ICAHT grades and the patient flow.
    """
    from cartsie import cohort

    t = tables(seed, n_enrolled, model)
    return cohort.load(t.patients, t.labs)


def write(out_dir: str | Path, seed: int = 2024, n_enrolled: int = 1002) -> list[Path]:
    """Write ``synthetic_patients.csv`` and ``synthetic_labs.csv`` (seed in the name) to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write to (created if needed; files there with the same names are replaced).
    seed : int, default 2024
        Seed of the random generator, as for :func:`tables`.
    n_enrolled : int, default 1002
        Enrolled patients, as for :func:`tables`.

    Returns
    -------
    list of Path
        The two files written: ``synthetic_patients_seed{seed}.csv`` and
        ``synthetic_labs_seed{seed}.csv``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = tables(seed, n_enrolled)
    paths = [out / f"synthetic_patients_seed{seed}.csv", out / f"synthetic_labs_seed{seed}.csv"]
    t.patients.to_csv(paths[0], index=False)
    t.labs.to_csv(paths[1], index=False)
    return paths
