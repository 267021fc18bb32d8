"""Schema 11: headquarters' own casa record «Sede central» (code HQ), seeded the same at
every installation; a headquarters folder made before it files its records under HQ from
then on, and a casa's folder keeps its casa."""

from __future__ import annotations

from pathlib import Path

import pytest

from oma_desktop.core.migrations import MIGRATIONS
from oma_desktop.core.seed import hq_casa_operation
from oma_desktop.core.store import open_store


@pytest.mark.parametrize("mode, casa, after", [("hq", "CV1", "HQ"), ("casa", "CV3", "CV3")])
def test_schema_10_folder_gets_the_hq_casa(
    tmp_path: Path, mode: str, casa: str, after: str
) -> None:
    path = tmp_path / "oma.sqlite3"
    old = open_store(path, migrations=MIGRATIONS[:10])
    old.set_meta("installation_id", "inst-test")
    old.set_meta("casa_id", casa)
    old.set_meta("mode", mode)
    try:
        with old.transaction("u") as tx:
            earlier = tx.create("organisation", {"name": "Asociación Venezolanos en Lima",
                                                 "casa_id": casa})
        assert old.get("casa", "HQ") is None
    finally:
        old.close()
    store = open_store(path, backup_dir=tmp_path / "backups")
    try:
        assert store.schema_version == MIGRATIONS[-1].version >= 11
        assert (store.casa_id, store.mode) == (after, mode)
        assert store.get("casa", "HQ")["name"] == "Sede central"
        [op] = store.operations("HQ")
        assert op == hq_casa_operation()
        # what was recorded before keeps the code it was recorded with
        assert store.get("organisation", earlier)["casa_id"] == casa
        with store.transaction("u") as tx:
            later = tx.create("organisation", {"name": "Colectivo Migrante",
                                               "casa_id": store.casa_id})
        assert store.scalar("SELECT casa FROM change_log WHERE entity_id = ?", [later]) == after
        assert list((tmp_path / "backups").iterdir())  # backed up before migrating
    finally:
        store.close()
