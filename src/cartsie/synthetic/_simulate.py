"""The simulation steps of the built-in synthetic cohort: latents and baseline, the LBCL sample
conditional on the published flow, toxicity, response and events, and the blood-count series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartsie.scores import score_all
from cartsie.synthetic.model import (
    _CUTOFF,
    _LABS,
    _LAST_INFUSION,
    _LATENT_CORR,
    _START,
    OTHER_HISTOLOGIES,
    Model,
)

#: missing value of the text columns, as np.where's argument (numpy's stubs refuse a bare None)
_NONE = np.array(None, dtype=object)


def _logistic(rng: np.random.Generator, lp: np.ndarray) -> np.ndarray:
    return rng.random(len(lp)) < 1.0 / (1.0 + np.exp(-lp))


def _ordinal(rng: np.random.Generator, lp: np.ndarray, cuts) -> np.ndarray:
    """Ordinal logistic draw: the number of cut-offs that ``lp`` + logistic noise exceeds."""
    z = lp + rng.logistic(size=len(lp))
    return (z[:, None] > np.asarray(cuts)[None, :]).sum(axis=1)


def _baseline(rng: np.random.Generator, n: int, m: Model) -> pd.DataFrame:
    """Latents, baseline characteristics and true baseline labs of ``n`` simulated patients."""
    B, M, I = (rng.standard_normal((n, 3)) @ np.linalg.cholesky(_LATENT_CORR).T).T  # noqa: E741 (the model's names)
    age = np.clip(np.round(rng.normal(m.age_mean, 12.5, n)), 18, 84)
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

    cure_lp = np.where(level == 3, m.cure_cr, m.cure_pr) + m.cure_b * B + m.cure_sh * sh + m.cure_s * s
    cured = (level >= 2) & _logistic(rng, cure_lp)
    cured |= (level == 1) & (rng.random(n) < m.sd_durable)
    ttp_log = np.select([level == 3, level == 2], [m.ttp_cr_log, m.ttp_pr_log], m.ttp_sd_log)
    prog = np.where(
        level == 0, rng.uniform(20, 88, n), 90 + np.exp(ttp_log + m.ttp_sd * rng.standard_normal(n))
    )
    prog = np.where(cured, np.inf, prog)
    post = np.exp(
        m.post_prog_log
        - m.post_prog_b * B
        - m.post_prog_i * I
        + m.post_prog_s * s
        + m.post_prog_sh * sh
        + m.post_prog_sd * rng.standard_normal(n)
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
    # drawn from a child generator: every draw above and after (the labs) is what it was before
    # best responses were simulated, so a seed gives the same cohort apart from the new columns
    best, response_day = _best_response(
        rng.spawn(1)[0], level, response, response_day, np.fmin(prog_d, death_d), B, m
    )
    progression = prog_d
    last_fu = np.where(np.isnan(death_d), end, death_d)
    next_therapy = np.where(
        ~np.isnan(progression) & (progression + 20 <= last_fu), progression + rng.integers(5, 21, n), np.nan
    )
    return {
        "response_day90": response,
        "best_response": best,
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


def _best_response(rng, level, response, response_day, failure, B, m: Model):
    """Best overall response and the day of first response: the day-90 response of day-90 responders
    (from their response day), and early responses at the first assessment (days 26-35) that were lost
    by day 90 -- progression or death before day 90, at least a week after that assessment (day-90 PD,
    or NE for would-be responders who died), or stable disease at day 90 after a partial response."""
    n = len(level)
    first = rng.integers(26, 36, n).astype(float)
    u, cr = rng.random(n), rng.random(n) < m.lost_cr
    in_window = (failure < 90) & (failure >= first + 7)  # NaN (no failure) compares False
    lost_pd = (response == "PD") & in_window & (u < 1.0 / (1.0 + np.exp(-(m.lost + m.lost_b * B))))
    lost_ne = (response == "NE") & (level >= 2) & in_window
    lost_sd = (response == "SD") & ~(failure < 90) & (u < m.sd_pr)
    best = np.where(lost_pd, np.where(cr, "CR", "PR"), response)
    best = np.where(lost_ne, np.array(["PD", "SD", "PR", "CR"])[level], best)
    best = np.where(lost_sd, "PR", best)
    early = lost_pd | lost_ne | lost_sd
    return best, np.where(early, first, response_day)


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
