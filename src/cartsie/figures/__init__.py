"""Publication figures: Kaplan-Meier and cumulative incidence curves with a number-at-risk table,
ROC curves, calibration plots and decision curves, power curves, forest plots and the patient flow
diagram, in one journal style, and :func:`save`.

Every function draws aggregates only (curves, counts at risk, estimates): no patient-level row ever
appears in a figure. Functions return a matplotlib ``Figure`` and never show it; :func:`save` writes
it as PNG (300 dpi) and PDF, the same bytes at every run. Figures are made without pyplot, so
importing cartsie never changes the user's matplotlib backend and no figure is left open; a notebook
displays the returned ``Figure``.

The style (:mod:`cartsie.figures._style`): sans-serif 8 pt labels and 7.5 pt tick labels, 0.8 pt
axes with the left and bottom spines only, 1.3 pt curves, the Okabe-Ito :data:`PALETTE`, every time
axis ticked every 6 months, titles above the axes (none by default: captions belong to the report),
legends and annotations never over the curves. Figures are sized for print (5 inches wide for the
curves) and laid out in inches, so nothing is clipped.
"""

from __future__ import annotations

from cartsie.figures._calibration import calibration_plot, decision_curve
from cartsie.figures._flow import flow_diagram
from cartsie.figures._forest import forest_plot
from cartsie.figures._power import power_curve
from cartsie.figures._roc import roc_plot
from cartsie.figures._save import save
from cartsie.figures._style import PALETTE, SYNTHETIC_NOTE
from cartsie.figures._survival import cif_plot, km_plot
from cartsie.figures._timeplot import step_curve

__all__ = [
    "PALETTE",
    "SYNTHETIC_NOTE",
    "calibration_plot",
    "cif_plot",
    "decision_curve",
    "flow_diagram",
    "forest_plot",
    "km_plot",
    "power_curve",
    "roc_plot",
    "save",
    "step_curve",
]
