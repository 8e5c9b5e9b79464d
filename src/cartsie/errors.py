"""Exceptions and warnings raised by cartsie.

Every error a user can trigger with bad input is a ``ValueError`` subclass whose message names the
column, the offending patient id(s) or value(s), and the fix.
"""

from __future__ import annotations


class CartsieError(ValueError):
    """Base class of cartsie's input errors (a ``ValueError``)."""


class CohortError(CartsieError):
    """A cohort (patients or labs table) failed validation.

    The message lists every problem found, one per line, each naming the column, the patient id(s) and
    the fix. ``problems`` holds the same lines as a tuple.

    Parameters
    ----------
    problems : list of str, tuple of str or str
        The problems, one message each (a single string is one problem).
    """

    def __init__(self, problems: list[str] | tuple[str, ...] | str):
        if isinstance(problems, str):
            problems = [problems]
        self.problems = tuple(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found in the input:"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class InputError(CartsieError):
    """Arguments or data given to a statistical function are unusable (missing column, bad codes...)."""


class CohortWarning(UserWarning):
    """A value is possible but doubtful (for example a unit that looks wrong); see the message."""


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped before meeting its convergence criterion."""


class SeparationWarning(UserWarning):
    """A model's likelihood has no finite maximum (complete or quasi-complete separation)."""


class MonotoneLikelihoodWarning(SeparationWarning):
    """A Cox or Fine-Gray (pseudo-)likelihood has no finite maximum (monotone likelihood): some
    coefficients are infinite, e.g. a group without events."""


class MissingValuesWarning(UserWarning):
    """A model left out rows with a missing value in a column it uses; the message names the model,
    the number of rows and the columns (R's "observations deleted due to missingness")."""


class DirectionWarning(UserWarning):
    """Two ROC curves compared with DeLong's test have different directions (pROC warns the same)."""


class BeyondFollowupWarning(UserWarning):
    """An estimate reaches past the last follow-up time of a group (e.g. a restricted mean up to a
    ``tau`` later than the group's last observation), so it rests on a curve carried forward."""


class SimulationWarning(UserWarning):
    """Some simulated samples could not be analysed (no events, a group without deaths...): they are
    counted and left out of a simulated estimate such as :func:`cartsie.prognostic.power`."""
