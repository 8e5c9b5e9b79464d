"""Example data shipped with cartsie (a 12-patient cohort in the input schema, with its labs)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported by the readers below, not by example_path (the CLI's)
    import pandas as pd


def example_path(name: str) -> Path:
    """Path of an example file shipped with cartsie (``example_patients.csv``, ``example_labs.csv``).

    Parameters
    ----------
    name : str
        File name inside the package's ``data`` folder, e.g. ``"example_patients.csv"``.

    Returns
    -------
    Path
        Where the installed file is (read with :func:`importlib.resources`; the file is not opened,
        so a wrong name gives a path that does not exist).
    """
    return Path(str(resources.files("cartsie") / "data" / name))


def example_patients() -> pd.DataFrame:
    """The example patients table, as written (12 patients).

    Returns
    -------
    DataFrame
        One row per patient in cartsie's input schema (:mod:`cartsie.cohort.schema`): ids, baseline
        characteristics and labs in canonical units, dates of infusion, response and events; read
        with ``pd.read_csv`` and nothing converted (load it with :func:`cartsie.cohort.load`).
    """
    import pandas as pd

    return pd.read_csv(example_path("example_patients.csv"))


def example_labs() -> pd.DataFrame:
    """The example labs table (long: one row per blood draw).

    Returns
    -------
    DataFrame
        ``patient_id``, ``day`` (days since infusion), ``anc`` and ``plt`` (10^9/L), ``hb`` (g/dL),
        one row per draw of the patients of :func:`example_patients`.
    """
    import pandas as pd

    return pd.read_csv(example_path("example_labs.csv"))
