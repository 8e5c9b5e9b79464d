"""The one registry of the paper's items: their names, titles, id prefixes, modules and scripts.

Every other place that lists the items -- ``cartsie reproduce --item``, the report's sections, the
``analyses/`` scripts, the calibration -- reads this tuple.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from cartsie.study._item import ItemResult


@dataclass(frozen=True)
class Item:
    """A paper item: ``name`` (``cartsie reproduce --item NAME``), ``title`` (the report's section),
    ``prefix`` (of its estimate ids: ``surv.os.1y.ht.low``), ``script`` (in ``analyses/``), whether
    the paper publishes its numbers (``published``: False for a section beyond the paper, whose ids
    have no published value and are never compared) and the module whose ``analyse(cohort, note)``
    computes it."""

    name: str
    title: str
    prefix: str
    script: str
    published: bool = True

    @property
    def module(self) -> str:
        """The module of the item (``cartsie.study.items.NAME``)."""
        return f"cartsie.study.items.{self.name}"

    def analyse(self, cohort, note: str | None = None) -> ItemResult:
        """The item's estimates, tables and figures on ``cohort``.

        Parameters
        ----------
        cohort : cartsie.cohort.Cohort or cartsie.study.definitions.Study
            The cohort (a Study shares its fits across items).
        note : str, optional
            Footnote of the figures.

        Returns
        -------
        ItemResult
            The item's estimate rows, tables and figures (made on demand).
        """
        return import_module(self.module).analyse(cohort, note)


ITEMS: tuple[Item, ...] = (
    Item("flow", "Patient flow (Supplementary Figure 1)", "flow", "01_flow.py"),
    Item("table1", "Patient characteristics (Table 1)", "table1", "02_table1.py"),
    Item("toxicity", "Hematotoxicity, CRS and ICANS (Supplementary Table 2)", "tox", "03_toxicity.py"),
    Item("response", "Response at day 90 (Supplementary Tables 3 and 5)", "resp", "04_response.py"),
    Item(
        "survival",
        "Survival (Figure 1, Supplementary Figure 2, Supplementary Tables 4 and 6)",
        "surv",
        "05_survival.py",
    ),
    Item("nrm", "Non-relapse mortality", "nrm", "06_nrm.py"),
    Item("spm", "Second primary malignancies", "spm", "07_spm.py"),
    Item("performance", "Score performance (beyond the paper)", "perf", "08_performance.py", published=False),
)
NAMES = tuple(it.name for it in ITEMS)


def item(name: str) -> Item:
    """The item called ``name``.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.

    Returns
    -------
    Item
        The item.
    """
    for it in ITEMS:
        if it.name == name:
            return it
    raise KeyError(f"no paper item {name!r}; items are {list(NAMES)}")


def item_of(id_: str) -> Item | None:
    """The item an estimate id belongs to (by its prefix), or None.

    Parameters
    ----------
    id_ : str
        An estimate id (``surv.os.1y.ht.low``).

    Returns
    -------
    Item or None
        Its item.
    """
    prefix = id_.split(".", 1)[0]
    return next((it for it in ITEMS if it.prefix == prefix), None)
