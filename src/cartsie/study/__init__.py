"""CART-SIE: everything specific to the study, on top of the general library (which never imports it).

- :mod:`~cartsie.study.definitions` -- populations, risk groups, adjustment set, Table-1 variables,
  labels (:class:`~cartsie.study.definitions.Study`: a cohort with its populations and fits cached);
- :mod:`~cartsie.study.estimate` -- the typed estimate row and its not-estimable guard;
- :mod:`~cartsie.study.registry` -- the one registry of paper items;
- :mod:`cartsie.study.items` -- one module per item (``flow, table1, toxicity, response, survival,
  nrm, spm``), each ``analyse(cohort)`` returning its estimates, tables and figures;
- :mod:`~cartsie.study.published`, :mod:`~cartsie.study.compare`, :mod:`~cartsie.study.report` --
  the published numbers (read only there), their comparison with the reproduced ones, the report;
- :mod:`~cartsie.study.pipeline` -- ``cartsie reproduce``.

>>> from cartsie import study, synthetic                           # doctest: +SKIP
>>> est = study.estimates(synthetic.cartsie_like())                # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from cartsie.study.definitions import ADJUST_FOR, Study, population
from cartsie.study.estimate import COLUMNS, frame
from cartsie.study.registry import ITEMS, item

__all__ = ["ADJUST_FOR", "COLUMNS", "ITEMS", "Study", "estimates", "item", "population", "table1"]


def estimates(cohort, items: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every estimate of the paper (or of the items named) on ``cohort``, one typed row per id.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort
        The cohort.
    items : tuple of str
        Item names (default all, in the paper's order).

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`; always the same ids. A row the cohort cannot give has ``estimable =
        False`` and its reason, and NaN value (or 0/inf for an infinite ratio), CI and p.
    """
    s = Study(cohort)
    chosen = [item(n) for n in items] if items else ITEMS
    return frame([r for it in chosen for r in it.analyse(s).estimates])


def table1(cohort, score: str = "HT"):
    """Table 1 by ``score``; see :func:`cartsie.study.items.table1.table1`.

    Parameters
    ----------
    cohort : cartsie.cohort.Cohort
        The cohort.
    score : {"HT", "simpleHT"}
        The grouping score.

    Returns
    -------
    cartsie.descriptive.TableOne
        The table.
    """
    from cartsie.study.items.table1 import table1 as make

    return make(cohort, score)
