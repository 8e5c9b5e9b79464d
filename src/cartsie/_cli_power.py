"""The ``cartsie power`` command (registered on :mod:`cartsie.cli`'s group by :func:`register`):
the simulated power of a validation study from the built-in generative model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click


def register(group: click.Group, friendly: Callable) -> None:
    """Add ``power`` to ``group``, its errors turned into messages by ``friendly``.

    Parameters
    ----------
    group : click.Group
        The ``cartsie`` command group.
    friendly : callable
        The decorator of :mod:`cartsie.cli` that turns failures into messages and exit status 2.
    """

    @group.command("power")
    @click.option(
        "--n",
        "sizes",
        type=int,
        multiple=True,
        default=(389,),
        show_default=True,
        help="Sample size (patients with the score evaluable). Repeat for a power curve.",
    )
    @click.option(
        "--effect",
        type=click.Choice(["hr", "logrank", "c_width"]),
        default="hr",
        show_default=True,
        help="Cox Wald test, log-rank test, or width of the CI of C.",
    )
    @click.option("--width", type=float, default=None, help="Target CI width of C (--effect c_width).")
    @click.option("--seeds", type=int, default=1000, show_default=True, help="Simulated samples per n.")
    @click.option("--alpha", type=float, default=0.05, show_default=True, help="Two-sided level.")
    @click.option("--time", "time_col", default="os_months", show_default=True, help="Time column.")
    @click.option("--event", default="os_event", show_default=True, help="Event column (1 event).")
    @click.option("--score", default=None, help="Score column (default ht_high; ht_score for c_width).")
    @click.option("--jobs", type=int, default=None, help="Local workers (default all cores).")
    @click.option("--scheduler", default=None, help="Address of a Dask scheduler (tcp://host:8786).")
    @click.option(
        "--out",
        "-o",
        type=click.Path(path_type=Path),
        default=None,
        help="Folder for power.csv and power_curve.png/.pdf.",
    )
    @friendly
    def power_command(sizes, effect, width, seeds, alpha, time_col, event, score, jobs, scheduler, out):
        """Simulate the power of an external validation of the HT score from the built-in SYNTHETIC
        CART-SIE model: e.g. of detecting its hazard ratio for OS at each --n, with Monte-Carlo
        errors and exact binomial CIs (seeds 0, 1, ...; the same numbers at every run)."""
        from cartsie import figures
        from cartsie.prognostic import power

        result = power(
            "cartsie",
            list(sizes),
            effect=effect,
            seeds=seeds,
            alpha=alpha,
            width=width,
            time=time_col,
            event=event,
            score=score,
            jobs=jobs,
            scheduler=scheduler,
        )
        result.print_summary()
        click.echo(figures.SYNTHETIC_NOTE)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            result.summary.to_csv(out / "power.csv", index=False)
            paths = figures.save(
                figures.power_curve(result, note=figures.SYNTHETIC_NOTE), out / "power_curve"
            )
            for path in [out / "power.csv", *paths]:
                click.echo(f"wrote {path}")
