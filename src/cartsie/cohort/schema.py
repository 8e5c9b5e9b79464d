"""The input schema: every column cartsie reads, its type, allowed values and accepted aliases.

Two tables:

* **patients**, one row per patient (:data:`PATIENT_COLUMNS`);
* **labs**, long, one row per blood draw (:data:`LAB_COLUMNS`).

Event times may come as dates (``*_date``) or as whole days since infusion (``*_day``); the loader
derives one from the other. Binary columns take 1/0 (also yes/no, true/false, y/n). Categorical columns
take the codes listed; common spellings (``aliases``) are mapped to them. Column names are matched
after lower-casing and turning spaces and hyphens into underscores, then through
:data:`COLUMN_ALIASES`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column of the input schema."""

    name: str
    kind: str  # "id", "binary", "category", "integer", "number", "date", "day", "text"
    description: str
    codes: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    unit: str | None = None


LBCL_HISTOLOGIES = ("DLBCL", "HGBL", "PMBCL", "tFL")

#: Event columns that may come as a date or as days since infusion.
EVENTS = ("response", "last_followup", "progression", "death", "spm", "next_therapy")
#: how the schema names an event where its column name is not enough
_EVENT_NAMES = {"response": "first response (CR or PR; the start of the duration of response)"}

_BIN = "binary"

#: Lugano response codes (CR, PR, SD, PD from best to worst; NE not evaluable)
RESPONSE_CODES = ("CR", "PR", "SD", "PD", "NE")
_RESPONSE_ALIASES = {
    "complete response": "CR",
    "partial response": "PR",
    "stable disease": "SD",
    "progressive disease": "PD",
    "cmr": "CR",
    "pmr": "PR",
    "not evaluable": "NE",
}

PATIENT_COLUMNS: tuple[Column, ...] = (
    Column("patient_id", "id", "unique patient identifier"),
    Column("center", "text", "treating center"),
    Column("infused", _BIN, "1 when CAR T-cells were infused (default: every patient)"),
    Column(
        "histology",
        "category",
        "lymphoma histology; LBCL = DLBCL, HGBL, PMBCL, tFL",
        codes=(*LBCL_HISTOLOGIES, "other"),
        aliases={
            "dlbcl nos": "DLBCL",
            "dlbcl, nos": "DLBCL",
            "hgbcl": "HGBL",
            "high-grade": "HGBL",
            "pmbl": "PMBCL",
            "transformed fl": "tFL",
            "tfl": "tFL",
            "trfl": "tFL",
        },
    ),
    Column("infusion_date", "date", "date of CAR T-cell infusion (day 0)"),
    Column("age", "number", "age at infusion", minimum=0, maximum=120, unit="years"),
    Column(
        "sex",
        "category",
        "sex",
        codes=("F", "M"),
        aliases={"female": "F", "male": "M", "f": "F", "m": "M", "w": "F", "donna": "F", "uomo": "M"},
    ),
    Column("stage", "integer", "Ann Arbor stage (I-IV written as 1-4 or I-IV)", minimum=1, maximum=4),
    Column("ipi", "integer", "International Prognostic Index", minimum=0, maximum=5),
    Column("bulky", _BIN, "bulky disease (longest diameter > 5 cm)"),
    Column("refractory", _BIN, "refractory (1) versus relapsed (0) disease"),
    Column("ldh_above_uln", _BIN, "LDH above the upper limit of normal"),
    Column(
        "product",
        "category",
        "CAR T-cell product",
        codes=("axi-cel", "tisa-cel", "liso-cel", "brexu-cel", "other"),
        aliases={
            "yescarta": "axi-cel",
            "axicabtagene ciloleucel": "axi-cel",
            "axicel": "axi-cel",
            "kymriah": "tisa-cel",
            "tisagenlecleucel": "tisa-cel",
            "tisacel": "tisa-cel",
            "breyanzi": "liso-cel",
            "lisocabtagene maraleucel": "liso-cel",
            "lisocel": "liso-cel",
            "tecartus": "brexu-cel",
            "brexucabtagene autoleucel": "brexu-cel",
        },
    ),
    Column(
        "vein_to_vein_days", "number", "days from apheresis to infusion", minimum=0, maximum=730, unit="days"
    ),
    Column("prior_lines", "integer", "number of prior lines of therapy", minimum=0, maximum=20),
    Column("prior_asct", _BIN, "prior autologous stem-cell transplant"),
    Column("bridging", _BIN, "bridging therapy given"),
    Column(
        "bridging_response",
        "category",
        "response to bridging",
        codes=("CR", "PR", "SD", "PD"),
        aliases={"progression": "PD", "progressive disease": "PD", "stable": "SD"},
    ),
    Column("bone_marrow_involvement", _BIN, "lymphoma in the bone marrow at baseline"),
    Column("anc", "number", "baseline absolute neutrophil count", minimum=0, maximum=100, unit="10^9/L"),
    Column("hb", "number", "baseline hemoglobin", minimum=1, maximum=25, unit="g/dL"),
    Column("plt", "number", "baseline platelet count", minimum=0, maximum=2000, unit="10^9/L"),
    Column("crp", "number", "baseline C-reactive protein", minimum=0, maximum=100, unit="mg/dL"),
    Column("ferritin", "number", "baseline ferritin", minimum=0, maximum=200000, unit="ng/mL"),
    Column("crs_grade", "integer", "cytokine release syndrome, ASTCT grade", minimum=0, maximum=5),
    Column("icans_grade", "integer", "ICANS, ASTCT grade", minimum=0, maximum=5),
    Column(
        "icaht_early_grade",
        "integer",
        "precomputed early ICAHT grade (when no labs table)",
        minimum=0,
        maximum=4,
    ),
    Column(
        "icaht_late_grade",
        "integer",
        "precomputed late ICAHT grade (when no labs table)",
        minimum=0,
        maximum=4,
    ),
    Column("severe_thrombocytopenia", _BIN, "precomputed severe thrombocytopenia (when no labs)"),
    Column("severe_anemia", _BIN, "precomputed severe anemia (when no labs)"),
    Column(
        "response_day90",
        "category",
        "Lugano response at day 90",
        codes=RESPONSE_CODES,
        aliases=_RESPONSE_ALIASES,
    ),
    Column(
        "best_response",
        "category",
        "best overall response at any time after infusion (Lugano); its responders (CR, PR) are the "
        "duration-of-response population, from response_date",
        codes=RESPONSE_CODES,
        aliases=_RESPONSE_ALIASES,
    ),
    *(Column(f"{e}_date", "date", f"date of {_EVENT_NAMES.get(e, e.replace('_', ' '))}") for e in EVENTS),
    *(
        Column(
            f"{e}_day",
            "day",
            f"days from infusion to {_EVENT_NAMES.get(e, e.replace('_', ' '))}",
            minimum=-3650,
            maximum=36500,
        )
        for e in EVENTS
    ),
    Column(
        "death_cause",
        "category",
        "cause of death",
        codes=("lymphoma", "infection", "toxicity", "spm", "other", "unknown"),
        aliases={
            "progression": "lymphoma",
            "disease": "lymphoma",
            "pd": "lymphoma",
            "infectious": "infection",
            "sepsis": "infection",
            "covid-19": "infection",
            "covid": "infection",
            "crs": "toxicity",
            "icans": "toxicity",
            "hematotoxicity": "toxicity",
            "second malignancy": "spm",
        },
    ),
    Column(
        "spm_type",
        "category",
        "second primary malignancy type",
        codes=("myeloid", "other"),
        aliases={
            "mds": "myeloid",
            "aml": "myeloid",
            "t-mn": "myeloid",
            "tmn": "myeloid",
            "cmml": "myeloid",
            "solid": "other",
            "lymphoid": "other",
            "skin": "other",
        },
    ),
    Column("synthetic", _BIN, "1 when the row is simulated (cartsie's built-in cohort)"),
)

LAB_COLUMNS: tuple[Column, ...] = (
    Column("patient_id", "id", "patient identifier, as in the patients table"),
    Column("day", "day", "days since infusion (day 0 = infusion)", minimum=-3650, maximum=36500),
    Column("date", "date", "date of the blood draw (converted to day with the infusion date)"),
    Column("anc", "number", "absolute neutrophil count", minimum=0, maximum=100, unit="10^9/L"),
    Column("plt", "number", "platelet count", minimum=0, maximum=2000, unit="10^9/L"),
    Column("hb", "number", "hemoglobin", minimum=1, maximum=25, unit="g/dL"),
    Column("gcsf", _BIN, "G-CSF given that day"),
    Column("synthetic", _BIN, "1 when the row is simulated (cartsie's built-in cohort)"),
)

#: Common column spellings in registry exports -> canonical names (after lower-casing and _).
COLUMN_ALIASES: dict[str, str] = {
    "id": "patient_id",
    "patient": "patient_id",
    "patientid": "patient_id",
    "subject_id": "patient_id",
    "pt_id": "patient_id",
    "upn": "patient_id",
    "record_id": "patient_id",
    "centre": "center",
    "site": "center",
    "histotype": "histology",
    "diagnosis": "histology",
    "cart_date": "infusion_date",
    "infusion": "infusion_date",
    "date_of_infusion": "infusion_date",
    "car_t_date": "infusion_date",
    "day0": "infusion_date",
    "age_at_infusion": "age",
    "gender": "sex",
    "ann_arbor_stage": "stage",
    "ann_arbor": "stage",
    "ipi_score": "ipi",
    "bulky_disease": "bulky",
    "disease_status_refractory": "refractory",
    "refractory_disease": "refractory",
    "ldh_uln": "ldh_above_uln",
    "ldh_elevated": "ldh_above_uln",
    "ldh_high": "ldh_above_uln",
    "car_t_product": "product",
    "car_product": "product",
    "vein_to_vein": "vein_to_vein_days",
    "v2v_days": "vein_to_vein_days",
    "previous_lines": "prior_lines",
    "lines_of_therapy": "prior_lines",
    "n_prior_lines": "prior_lines",
    "previous_asct": "prior_asct",
    "prior_auto": "prior_asct",
    "bridge": "bridging",
    "bridging_therapy": "bridging",
    "bm_involvement": "bone_marrow_involvement",
    "bmi_lymphoma": "bone_marrow_involvement",
    "neutrophils": "anc",
    "abs_neutrophils": "anc",
    "neu": "anc",
    "hemoglobin": "hb",
    "haemoglobin": "hb",
    "hgb": "hb",
    "platelets": "plt",
    "platelet": "plt",
    "plts": "plt",
    "c_reactive_protein": "crp",
    "ferritina": "ferritin",
    "crs": "crs_grade",
    "icans": "icans_grade",
    "response_d90": "response_day90",
    "day90_response": "response_day90",
    "best_response_d90": "response_day90",
    "best_overall_response": "best_response",
    "bor": "best_response",
    "best_response_overall": "best_response",
    "best_resp": "best_response",
    "best_ever_response": "best_response",
    "migliore_risposta": "best_response",
    "risposta_migliore": "best_response",
    "date_of_response": "response_date",
    "first_response_date": "response_date",
    "last_follow_up_date": "last_followup_date",
    "date_last_followup": "last_followup_date",
    "last_contact_date": "last_followup_date",
    "date_last_contact": "last_followup_date",
    "last_fu_date": "last_followup_date",
    "pd_date": "progression_date",
    "relapse_date": "progression_date",
    "date_of_progression": "progression_date",
    "dod": "death_date",
    "date_of_death": "death_date",
    "cause_of_death": "death_cause",
    "second_malignancy_date": "spm_date",
    "spm_diagnosis_date": "spm_date",
    "spm_histology": "spm_type",
    "lab_date": "date",
    "sample_date": "date",
    "days_from_infusion": "day",
    "day_post_infusion": "day",
    "g_csf": "gcsf",
    "gcsf_given": "gcsf",
    "filgrastim": "gcsf",
    "response_at_day_90": "response_day90",
    "response_day_90": "response_day90",
    "day_90_response": "response_day90",
    "d90_response": "response_day90",
    "response_90": "response_day90",
    "date_of_last_contact": "last_followup_date",
    "date_of_last_follow_up": "last_followup_date",
    "date_of_last_followup": "last_followup_date",
    "date_of_relapse": "progression_date",
    "date_of_first_response": "response_date",
    "date_of_spm": "spm_date",
    "cart_infusion_date": "infusion_date",
    "car_t_infusion_date": "infusion_date",
    "lbcl_histology": "histology",
    "platelet_count": "plt",
    "neutrophil_count": "anc",
    "absolute_neutrophil_count": "anc",
    "ferritin_level": "ferritin",
    "crs_grade_astct": "crs_grade",
    "icans_grade_astct": "icans_grade",
    "bone_marrow_infiltration": "bone_marrow_involvement",
    "days_since_infusion": "day",
    "draw_date": "date",
    "blood_draw_date": "date",
    # Italian exports (CART-SIE is an Italian registry study)
    "id_paziente": "patient_id",
    "codice_paziente": "patient_id",
    "centro": "center",
    "istologia": "histology",
    "data_infusione": "infusion_date",
    "eta": "age",
    "sesso": "sex",
    "stadio": "stage",
    "prodotto": "product",
    "linee_precedenti": "prior_lines",
    "neutrofili": "anc",
    "emoglobina": "hb",
    "piastrine": "plt",
    "pcr": "crp",
    "data_risposta": "response_date",
    "data_ultimo_follow_up": "last_followup_date",
    "data_ultimo_contatto": "last_followup_date",
    "data_progressione": "progression_date",
    "data_recidiva": "progression_date",
    "data_decesso": "death_date",
    "data_morte": "death_date",
    "causa_decesso": "death_cause",
    "causa_morte": "death_cause",
    "data_spm": "spm_date",
    "data_prelievo": "date",
    "giorno": "day",
}

PATIENTS = {c.name: c for c in PATIENT_COLUMNS}
LABS = {c.name: c for c in LAB_COLUMNS}

#: Binary spellings accepted for 1/0.
TRUE_WORDS = frozenset({"1", "yes", "y", "true", "t", "si", "sì", "ja", "oui"})
FALSE_WORDS = frozenset({"0", "no", "n", "false", "f", "nein", "non"})

#: Roman numerals accepted for stage.
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def closest(name: str, table: str | None = None) -> str | None:
    """The cartsie column a misspelt ``name`` most likely means (difflib ratio >= 0.75), or None."""
    tables = (PATIENTS, LABS) if table is None else ((PATIENTS if table == "patients" else LABS),)
    names = {c: c for t in tables for c in t}
    names.update({a: c for a, c in COLUMN_ALIASES.items() if any(c in t for t in tables)})
    match = difflib.get_close_matches(name, list(names), n=1, cutoff=0.75)
    return names[match[0]] if match else None


def describe(table: str = "patients") -> str:
    """The schema of ``table`` ("patients" or "labs") as a markdown table, for docs and ``--help``."""
    columns = PATIENT_COLUMNS if table == "patients" else LAB_COLUMNS
    lines = ["| column | type | meaning | values |", "| --- | --- | --- | --- |"]
    for c in columns:
        values = ", ".join(c.codes) if c.codes else (c.unit or "")
        if c.minimum is not None and c.maximum is not None:
            values = f"{values} {c.minimum:g}-{c.maximum:g}".strip()
        lines.append(f"| `{c.name}` | {c.kind} | {c.description} | {values} |")
    return "\n".join(lines)
