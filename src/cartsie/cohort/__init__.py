"""Cohorts from registry exports: one input layer for every command of cartsie.

The stages, in the order the data flow, one module each:

=================  ====================================================================================
``read``           the file (its kind checked against its first bytes), a title block skipped, text kept
``columns``        headers to cartsie's names (column map, synonyms, units in headers); none dropped silently
``values``         every cell to its type: ids, yes/no, codes, numbers (decimal marks, missing codes,
                   impossible values), dates (order, serials, cut-off)
``measures``       units per table, converted as declared; implausible medians refused
``consistency``    event days and their order; labs against patients (unknown ids, same-day duplicates,
                   draws after death)
``derive``         baseline, scores, ICAHT grades, recodes, endpoints (:mod:`~cartsie.cohort.endpoints`)
``flow``           every patient accounted for from enrolment to the HT-evaluable population
=================  ====================================================================================

:func:`load` runs them all and returns a :class:`Cohort`; every problem of both tables is raised at once
in a :class:`cartsie.CohortError`. The schema of both tables is :mod:`cartsie.cohort.schema`.
"""

from cartsie.cohort.columns import suggest_map
from cartsie.cohort.core import BASELINE_LABS, GRADE_COLUMNS, Cohort, load
from cartsie.cohort.flow import patient_flow
from cartsie.cohort.options import Options, make_options
from cartsie.cohort.problems import Report
from cartsie.cohort.read import READERS, read_file

__all__ = [
    "BASELINE_LABS",
    "GRADE_COLUMNS",
    "READERS",
    "Cohort",
    "Options",
    "Report",
    "load",
    "make_options",
    "patient_flow",
    "read_file",
    "suggest_map",
]
