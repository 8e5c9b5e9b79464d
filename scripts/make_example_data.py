"""Write the made-up example cohort shipped with cartsie (src/cartsie/data/example_*.csv).

Twelve invented patients chosen to exercise every branch a newcomer meets: HT low and high, simpleHT
high, missing ferritin (HT not evaluable), a patient never infused, a non-LBCL histology, the three
neutrophil recovery phenotypes, late ICAHT, severe thrombocytopenia, progression, death and a second
primary malignancy. The data are fictitious (no real patient). Run: python scripts/make_example_data.py
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "src" / "cartsie" / "data"

# One row per patient; the last column is the neutrophil recovery phenotype its labs follow.
PATIENTS_CSV = """\
patient_id,infused,histology,infusion_date,age,sex,stage,ipi,bulky,refractory,ldh_above_uln,product,vein_to_vein_days,prior_lines,prior_asct,bridging,bridging_response,bone_marrow_involvement,anc,hb,plt,crp,ferritin,crs_grade,icans_grade,response_day90,response_date,last_followup_date,progression_date,death_date,death_cause,spm_date,spm_type,phenotype
EX01,1,DLBCL,2021-03-02,54,M,2,1,0,0,0,axi-cel,45,2,1,1,PR,0,2.8,12.1,210,0.4,310,1,0,CR,2021-04-01,2023-05-10,,,,,,quick
EX02,1,DLBCL,2021-06-15,67,F,4,3,1,1,1,tisa-cel,52,3,0,1,PD,1,0.9,8.6,68,5.2,2450,2,1,PD,,2021-11-20,2021-08-30,2021-11-20,lymphoma,,,aplastic
EX03,1,HGBL,2021-09-01,61,M,3,2,0,1,1,axi-cel,41,2,0,1,SD,0,1.6,10.2,150,3.4,820,1,0,CR,2021-10-01,2024-01-15,,,,,,intermittent
EX04,1,PMBCL,2022-01-20,33,F,2,1,1,1,0,axi-cel,38,2,0,0,,0,3.1,11.5,260,1.1,150,2,0,CR,2022-02-18,2024-06-01,,,,,,quick
EX05,1,DLBCL,2022-03-08,71,M,4,4,0,1,1,tisa-cel,60,4,1,1,PD,1,1.1,8.9,70,6.8,3100,3,2,PD,,2022-10-02,2022-05-20,2022-10-02,lymphoma,,,aplastic
EX06,1,tFL,2022-05-17,58,F,3,2,0,0,0,axi-cel,47,3,1,1,PR,0,2.2,10.8,180,0.9,,1,0,PR,2022-06-14,2024-03-30,2023-02-10,,,,,quick
EX07,1,DLBCL,2022-07-04,65,M,4,3,1,1,1,axi-cel,55,2,0,1,SD,0,1.4,9.4,120,4.1,1400,2,3,CR,2022-08-02,2023-12-12,,2023-12-12,infection,,,intermittent
EX08,1,DLBCL,2022-10-11,49,F,1,0,0,0,0,tisa-cel,40,2,1,0,,0,4.0,13.0,240,0.2,90,0,0,CR,2022-11-08,2024-09-01,,,,2024-02-01,myeloid,quick
EX09,1,HGBL,2023-02-14,69,M,4,3,0,1,1,axi-cel,50,3,0,1,PD,0,1.0,8.1,95,3.0,1900,2,1,PR,2023-03-15,2024-02-20,2023-09-05,2024-02-20,lymphoma,,,intermittent
EX10,1,DLBCL,2023-06-06,56,F,2,1,0,0,0,axi-cel,43,2,0,1,CR,0,2.5,11.9,176,2.9,640,1,0,CR,2023-07-05,2024-10-15,,,,,,quick
EX11,0,DLBCL,,62,M,4,3,1,1,1,,,2,0,1,PD,0,,,,,,,,,,2023-04-01,,2023-04-01,lymphoma,,,
EX12,1,MCL,2023-09-19,64,M,4,3,0,1,1,brexu-cel,48,3,1,1,SD,1,1.8,10.5,140,1.5,700,1,0,CR,2023-10-18,2024-11-01,,,,,,quick
"""

# ANC knots (day, 10^9/L) per recovery phenotype; platelets and hemoglobin follow a matching shape.
ANC_SHAPES = {
    "quick": [(-1, 1.5), (2, 0.6), (5, 0.2), (8, 0.3), (11, 1.4), (14, 2.2), (28, 2.5), (400, 3.0)],
    "intermittent": [
        (-1, 1.2),
        (3, 0.4),
        (6, 0.08),
        (10, 0.6),
        (13, 1.3),
        (20, 1.1),
        (28, 0.7),
        (42, 0.45),
        (60, 0.9),
        (90, 1.6),
        (400, 2.2),
    ],
    "aplastic": [
        (-1, 0.8),
        (2, 0.2),
        (5, 0.05),
        (24, 0.06),
        (32, 0.3),
        (45, 0.4),
        (60, 0.8),
        (120, 1.4),
        (400, 1.8),
    ],
}
SCHEDULE = [-1, *range(0, 15), 17, 21, 24, 28, 35, 42, 49, 60, 75, 90, 120, 150, 180, 270, 365]


def _labs(row: dict, rng: np.random.Generator) -> pd.DataFrame:
    start = pd.Timestamp(row["infusion_date"])
    end = pd.Timestamp(row["death_date"] if isinstance(row["death_date"], str) else row["last_followup_date"])
    days = [d for d in SCHEDULE if d <= (end - start).days]
    knots = np.array(ANC_SHAPES[row["phenotype"]])
    anc = np.interp(days, knots[:, 0], knots[:, 1]) * np.exp(rng.normal(0, 0.08, len(days)))
    plt_base = row["plt"]
    depth = 0.25 if row["phenotype"] == "aplastic" else 0.6
    plt = plt_base * np.interp(days, [-1, 7, 30, 120, 400], [1.0, depth, depth + 0.1, 0.9, 1.0])
    hb = row["hb"] + np.interp(days, [-1, 10, 60, 400], [0.0, -1.2, -0.4, 0.5])
    return pd.DataFrame(
        {
            "patient_id": row["patient_id"],
            "day": days,
            "anc": np.round(anc, 2),
            "plt": np.round(plt * np.exp(rng.normal(0, 0.05, len(days)))).astype(int),
            "hb": np.round(hb, 1),
        }
    )


def main() -> None:
    rng = np.random.default_rng(20240917)
    patients = pd.read_csv(io.StringIO(PATIENTS_CSV))
    labs = pd.concat(
        [_labs(r, rng) for r in patients.to_dict("records") if r["infused"] == 1], ignore_index=True
    )
    patients = patients.drop(columns="phenotype")
    for col in ("vein_to_vein_days", "crs_grade", "icans_grade"):
        patients[col] = patients[col].astype("Int64")
    patients.insert(
        1, "center", ["C01", "C01", "C02", "C03", "C02", "C01", "C03", "C02", "C01", "C03", "C02", "C01"]
    )
    OUT.mkdir(parents=True, exist_ok=True)
    patients.to_csv(OUT / "example_patients.csv", index=False)
    labs.to_csv(OUT / "example_labs.csv", index=False)
    print(f"wrote {len(patients)} patients and {len(labs)} lab rows to {OUT}")


if __name__ == "__main__":
    main()
