"""One module per paper item; each ``analyse(cohort, note)`` returns an
:class:`~cartsie.study._item.ItemResult` (see :mod:`cartsie.study.registry`)."""
