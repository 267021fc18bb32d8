"""Schema 6: audit entries and consent records are insert-only; referral codes issued
before stations keep their form; the new tables are guarded like every entity table."""

from __future__ import annotations

from pathlib import Path

import pytest

from oma_desktop.core import driver
from oma_desktop.core.errors import UnloggedWriteError
from oma_desktop.core.migrations import MIGRATIONS
from oma_desktop.core.seed import service_id
from oma_desktop.core.store import Store, open_store


@pytest.mark.parametrize("table, row", [
    ("audit_entry", {"at": "2026-12-02T09:00", "action": "view", "entity": "person"}),
    ("consent_record", None),
])
def test_insert_only_records_refuse_any_later_write(
    store: Store, table: str, row: dict[str, object] | None
) -> None:
    with store.transaction("u") as tx:
        if row is None:
            pid = tx.create("person", {"given_names": "Ana", "created_at": "2026-12-02"})
            row = {"person_id": pid, "purpose": "refer", "granted": 1, "at": "2026-12-02T09:00"}
        rid = tx.create(table, row)
    with pytest.raises(UnloggedWriteError, match="insert-only"), store.transaction("u") as tx:
        tx.update(table, rid, {"deleted": 1})
    with pytest.raises(driver.IntegrityError, match="insert-only"):
        store.conn.execute(f"UPDATE {table} SET deleted = 1")
    with pytest.raises(driver.IntegrityError, match="never deleted"):
        store.conn.execute(f"DELETE FROM {table}")
    assert store.get(table, rid)["deleted"] == 0


def test_a_referral_issued_under_schema_5_keeps_its_code(tmp_path: Path) -> None:
    path = tmp_path / "oma.sqlite3"
    old = open_store(path, migrations=MIGRATIONS[:5])
    old.set_meta("installation_id", "inst-test")
    old.set_meta("casa_id", "CV1")
    try:
        with old.transaction("u") as tx:
            pid = tx.create("person", {"given_names": "Ana", "created_at": "2026-12-02"})
            rid = tx.create("referral", {
                "code": "CV1-2026-000001", "casa_id": "CV1", "year": 2026, "number": 1,
                "person_id": pid, "service_id": service_id("SIS"), "due_date": "2026-12-16",
                "issued_at": "2026-12-02T09:00"})
    finally:
        old.close()
    store = open_store(path, backup_dir=tmp_path / "backups")
    try:
        assert store.schema_version == MIGRATIONS[-1].version
        row = store.get("referral", rid)
        assert (row["code"], row["station"]) == ("CV1-2026-000001", "")
        assert store.get("person", pid)["anonymised_at"] is None
        assert list((tmp_path / "backups").iterdir())  # backed up before migrating
    finally:
        store.close()
