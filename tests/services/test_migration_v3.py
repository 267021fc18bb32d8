"""A real schema-2 database (made by the previous release, tests/data/legacy-v2.sqlite3:
a 30-person demo, casa CV2 renamed, one household made through the old service) is backed
up and migrated to the sync-ready contract without losing anything."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from oma_desktop.core.migrations import latest_version
from oma_desktop.core.schema import ENTITY_TABLES
from oma_desktop.core.seed import SEED_INSTALLATION, seed_id
from oma_desktop.core.store import open_store
from oma_desktop.services.context import open_context
from oma_desktop.services.households import household_of
from oma_desktop.services.integrity import run_checks

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy-v2.sqlite3"


def _legacy(tmp_path: Path) -> Path:
    folder = tmp_path / "datos"
    folder.mkdir()
    shutil.copy(LEGACY, folder / "oma.sqlite3")
    return folder


def test_a_schema_2_database_is_backed_up_and_migrated(tmp_path: Path) -> None:
    folder = _legacy(tmp_path)
    raw = sqlite3.connect(folder / "oma.sqlite3")
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
    households_before = dict(raw.execute(
        "SELECT id, household_id FROM person WHERE household_id IS NOT NULL"))
    legacy_tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
    counts_before = {t: raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                     for t in ENTITY_TABLES if t in legacy_tables}
    raw.close()
    assert households_before

    ctx = open_context(folder)
    store = ctx.session.store
    try:
        assert store.schema_version == latest_version()
        assert list((folder / "backups").glob("oma-v2-*.sqlite3"))
        assert [r for r in run_checks(store) if not r.ok] == []
        # nothing lost, households now read from household_member only
        for table, count in counts_before.items():
            # the seeded reception accounts; headquarters' own casa record (migration 11)
            extra = {"app_user": 6, "casa": 1}.get(table, 0)
            assert store.scalar(f"SELECT count(*) FROM {table}") == count + extra, table
        assert "household_id" not in store.columns("person")
        for person_id, household_id in households_before.items():
            assert household_of(ctx.session, person_id) == household_id
        assert not store.scalar(
            "SELECT count(*) FROM change_log WHERE entity = 'person'"
            " AND json_type(fields, '$.household_id') IS NOT NULL")
        # the rename survives on top of the seeded casa, and records its base
        assert store.get("casa", "CV2")["name"] == "Casa Vecinal Cercado Norte"
        create, rename = store.operations("CV2")
        assert create.installation == SEED_INSTALLATION
        assert create.op_id == seed_id("op", "casa", "CV2", "1")
        assert rename.base_op_id == create.op_id and rename.schema_version == 2
        updates = [op for op in store.operations() if op.kind != "create"]
        assert updates and all(op.base_op_id for op in updates)
        assert store.get("installation", store.installation_id)["casa_id"] == store.casa_id
        ops = store.operations()
        tables = {t: store.rows(f"SELECT * FROM {t} ORDER BY id") for t in ENTITY_TABLES}
    finally:
        ctx.close()

    # the migrated change log alone rebuilds every table
    fresh = open_store(tmp_path / "nueva.sqlite3")
    try:
        fresh.apply(ops)
        for table in ENTITY_TABLES:
            assert fresh.rows(f"SELECT * FROM {table} ORDER BY id") == tables[table], table
    finally:
        fresh.close()


def test_a_legacy_operation_keeps_its_values(tmp_path: Path) -> None:
    folder = _legacy(tmp_path)
    raw = sqlite3.connect(folder / "oma.sqlite3")
    op_id, fields = raw.execute(
        "SELECT op_id, fields FROM change_log WHERE entity = 'consultation' LIMIT 1").fetchone()
    raw.close()
    store = open_store(folder / "oma.sqlite3")
    try:
        assert json.loads(store.scalar("SELECT fields FROM change_log WHERE op_id = ?",
                                        [op_id])) == json.loads(fields)
    finally:
        store.close()
