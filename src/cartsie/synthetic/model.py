"""The parameters of the generative model of the built-in synthetic cohort, and the published flow
it reproduces exactly (see :mod:`cartsie.synthetic`)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

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
    age_mean : float
        Mean of the normal distribution of age (years; sd 12.5, rounded and cut to 18-84; 15 years
        less for primary mediastinal lymphoma).
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
    cure_cr, cure_pr, cure_b, cure_sh, cure_s : float
        Logit of the cured (never progressing) fraction: ``cure_cr`` after CR or ``cure_pr`` after
        PR, plus ``cure_b B + cure_sh sh + cure_s s`` (``cure_s``: the HT score's own effect on a
        response's durability, beside the latents').
    ttp_cr_log, ttp_pr_log, ttp_sd_log, ttp_sd : float
        Time to progression after day 90 of the not cured, by day-90 response (CR, PR, SD):
        ``log days = ttp_*_log + ttp_sd e`` (PD progresses between days 20 and 88).
    sd_durable : float
        Probability that stable disease never progresses.
    lost, lost_b : float
        Logit of P(an early response, lost by day 90) among the day-90 PD patients whose progression
        (or death) comes before day 90 and at least a week after the first assessment (days 26-35):
        ``lost + lost_b B``. Would-be responders who die in that window (NE at day 90) have their
        response as best response; CART-SIE's DOR is of these best-response responders.
    lost_cr : float
        Probability that such a lost early response was complete (else partial).
    sd_pr : float
        Probability that stable disease at day 90 (without progression before) followed an early
        partial response.
    post_prog_log, post_prog_sd, post_prog_b, post_prog_i, post_prog_s, post_prog_sh : float
        Days from progression to death: ``log days = post_prog_log - post_prog_b B - post_prog_i I +
        post_prog_s s + post_prog_sh sh + post_prog_sd e``.
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
    age_mean: float = 60.3572
    stage_b: float = 1.25
    bulky: float = -0.65
    bulky_b: float = 0.55
    ldh: float = -0.3222
    ldh_b: float = 1.1
    ldh_missing: float = 0.2146
    ecog2: float = -1.7
    ecog2_b: float = 0.4893
    extranodal: float = -0.3
    extranodal_b: float = 0.8534
    bridging: float = 1.65
    bridging_b: float = 0.6
    bridging_pd: float = -0.3744
    bridging_pd_i: float = 0.5333
    bridging_pd_b: float = 0.2212
    marrow: float = -2.0
    marrow_m: float = 0.8
    marrow_b: float = 0.5
    refractory: float = 1.0541
    refractory_b: float = 0.0292
    # CRS / ICANS: ordinal logistic latent
    crs_i: float = 0.45
    crs_b: float = 0.2
    crs_s: float = 0.1
    crs_cuts: tuple[float, float, float, float] = (-1.4533, 1.45, 2.718, 4.6)
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
    late_log: float = 0.8056
    late_s: float = -0.1311
    late_m: float = -0.15
    late_long_early: float = -0.3
    late_sd: float = 0.7668
    recovered_log: float = 0.95
    # platelets after day 30: log-ratio to baseline; hemoglobin after day 30
    plt_late: float = 0.33
    plt_late_m: float = -0.2
    plt_late_sd: float = 0.65
    hb_late: float = 11.6
    hb_late_sd: float = 1.3
    # day-90 response: ordinal logistic latent and cut-offs (PD | SD | PR | CR)
    resp: float = 0.5
    resp_b: float = -0.2321
    resp_i: float = -0.2
    resp_s: float = -0.1025
    resp_sh: float = -0.25
    resp_bridging_pd: float = -0.5
    resp_cuts: tuple[float, float, float] = (-0.45, -0.15, 0.15)
    # progression: cured fraction by response, and time to progression (days, log-normal)
    cure_cr: float = 1.2367
    cure_pr: float = -0.9746
    cure_b: float = 0.8905
    cure_sh: float = -1.0574
    cure_s: float = 0.4174
    ttp_cr_log: float = 5.4625
    ttp_pr_log: float = 3.8251
    ttp_sd_log: float = 3.7
    ttp_sd: float = 0.7
    sd_durable: float = 0.12
    # best overall response: early responses lost by day 90 (CART-SIE's DOR is of best responses)
    lost: float = 0.2357
    lost_b: float = -0.2785
    lost_cr: float = 0.35
    sd_pr: float = 0.4
    # death after progression (log-normal days), and non-relapse mortality
    post_prog_log: float = 5.5113
    post_prog_sd: float = 1.1
    post_prog_b: float = 0.1
    post_prog_i: float = 0.4
    post_prog_s: float = 0.0611
    post_prog_sh: float = -0.2239
    nrm: float = -3.2752
    nrm_sh: float = 1.6902
    nrm_i: float = 0.2
    nrm_age: float = 0.03
    nrm_late: float = 0.8
    nrm_log: float = 5.0
    nrm_sd: float = 1.0
    nrm_infection: float = 0.44
    # second primary malignancies: P(SPM), time (log-normal days), myeloid share, death after SPM
    spm: float = -3.8911
    spm_ht: float = 0.5868
    spm_age: float = 0.03
    spm_stage: float = 1.5
    spm_marrow: float = 2.2
    spm_thrombo: float = 1.7
    spm_log: float = 6.2
    spm_sd: float = 0.6
    spm_myeloid: float = 0.4766
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

    def digest(self) -> str:
        """A short fingerprint of every parameter's value: two models with the same digest simulate
        the same cohorts (a committed calibration records the digest of the model it measured).

        Returns
        -------
        str
            The first 16 hex digits of the SHA-256 of the parameters as JSON (sorted names, floats
            by ``repr``).
        """
        import hashlib
        import json

        values = {f.name: getattr(self, f.name) for f in fields(self)}
        text = json.dumps({k: repr(v) for k, v in sorted(values.items())})
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


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
