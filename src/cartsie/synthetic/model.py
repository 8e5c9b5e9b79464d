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
    HT score (0-7), ``sh`` simpleHT high (0/1), ``B``, ``M``, ``I`` the latents.
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

    Attributes
    ----------
    patients : DataFrame
        One row per simulated patient: the patients-table columns of :mod:`cartsie.schema` with dates,
        and ``synthetic = 1``.
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
    """The published patient flow scaled to ``n_enrolled`` (exactly the published one for 1002)."""
    if n_enrolled < 50:
        raise ValueError(f"n_enrolled must be at least 50 (got {n_enrolled}).")
    f = n_enrolled / PUBLISHED_FLOW["enrolled"]
    counts = {k: round(v * f) for k, v in PUBLISHED_FLOW.items()}
    counts["enrolled"] = n_enrolled
    return counts
