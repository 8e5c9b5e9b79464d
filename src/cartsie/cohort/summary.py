"""What ``cartsie validate`` prints of a loaded cohort: counts, warnings, notes, the flow and the
endpoints available (aggregates only, no patient rows)."""

from __future__ import annotations


def validation_report(c) -> str:
    """Plain-text validation report of a loaded cohort (aggregates only, no patient rows).

    Parameters
    ----------
    c : cartsie.cohort.Cohort
        The cohort, as :func:`cartsie.cohort.load` returns it.

    Returns
    -------
    str
        What ``cartsie validate`` prints: the counts of patients and lab rows, every warning and
        note, the patient flow with its exclusions, and per endpoint the LBCL patients evaluable and
        their events (competing events for NRM and SPM; responders for ORR and CRR at day 90).
    """
    doubts = f"; {len(c.warnings)} warning(s) to check below" if c.warnings else ""
    lines = [f"cartsie validate: no problems found{doubts}.", ""]
    n_labs = 0 if c.labs is None else len(c.labs)
    lines.append(f"patients: {len(c.patients)}; lab rows: {n_labs}")
    lines += [f"  WARNING  {w}" for w in c.warnings]
    lines += [f"  note     {n}" for n in c.notes]
    lines += ["", "patient flow:"]
    width = max(len(s) for s in c.flow["step"])
    for row in c.flow.itertuples():
        excluded = f"  excluded {row.excluded}: {row.reason}" if row.excluded else ""
        lines.append(f"  {row.step:<{width}}  {row.n:>6}{excluded}")
    lbcl = c.table[c.table["lbcl"]]
    lines += ["", "endpoints available among LBCL patients:"]
    for name in ("os", "pfs", "dor", "nrm", "spm"):
        ev = lbcl[f"{name}_event"]
        lines.append(
            f"  {name.upper():<4} {int(ev.notna().sum()):>6} patients, "
            f"{int((ev == 1).sum())} events"
            + (f", {int((ev == 2).sum())} competing" if name in ("nrm", "spm") else "")
        )
    for name in ("orr_day90", "crr_day90"):
        v = lbcl[name]
        lines.append(
            f"  {name.upper():<9} {int(v.notna().sum()):>6} assessed, {int((v == 1).sum())} responders"
        )
    return "\n".join(lines)
