"""Raw stores for the synchronisation tests: a database file opened as one installation of a
small network (headquarters or a casa), without a data folder, accounts or a session."""

from __future__ import annotations

from pathlib import Path

from oma_desktop.core.store import Store, open_store


def open_raw(path: Path, casa: str, installation: str, mode: str = "casa") -> Store:
    """The store at ``path`` as installation ``installation`` of casa ``casa`` in ``mode``
    (``casa`` or ``hq``)."""
    store = open_store(path)
    store.set_meta("installation_id", installation)
    store.set_meta("casa_id", casa)
    store.set_meta("mode", mode)
    return store
