"""The store: opening rules, schema versions, migrations and the change-log guarantee."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from oma_desktop.core import driver
from oma_desktop.core.errors import (
    MissingRelatedRecordError,
    SchemaTooNewError,
    StoreError,
    UnloggedWriteError,
)
from oma_desktop.core.migrations import MIGRATIONS, Migration
from oma_desktop.core.schema import ENTITY_TABLES, LOCAL_TABLES
from oma_desktop.core.store import Origin, Store, open_store, split_sql


def _person(store: Store, **fields: object) -> str:
    base = {"given_names": "José", "paternal_surname": "Pérez", "created_at": "2026-01-01"}
    base.update(fields)
    with store.transaction("u1") as tx:
        return tx.create("person", base)


def test_open_sets_pragmas(store: Store) -> None:
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA foreign_keys") == 1
    assert store.scalar("PRAGMA synchronous") == 2  # FULL
    assert store.scalar("PRAGMA busy_timeout") >= 5000
    assert store.schema_version == MIGRATIONS[-1].version


def test_newer_schema_is_refused_in_spanish_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "nuevo.sqlite3"
    open_store(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 999")
    raw.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNewError) as err:
        open_store(path)
    assert "versión más reciente" in str(err.value)
    assert "999" in str(err.value)
    assert path.read_bytes() == before


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "oma.sqlite3"
    path.write_bytes(b"esto no es una base de datos" * 100)
    with pytest.raises(StoreError) as err:
        open_store(path)
    assert "no es una base de datos" in str(err.value)


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "otra.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE cosas (x)")
    raw.close()
    with pytest.raises(StoreError):
        open_store(path)


def test_an_encrypted_store_is_migrated_and_backed_up_encrypted(tmp_path: Path) -> None:
    key = bytes(range(32))
    path = tmp_path / "c.sqlite3"
    s = open_store(path, key=key, migrations=MIGRATIONS[:1])
    s.close()
    s = open_store(path, key=key, backup_dir=tmp_path / "backups")
    try:
        assert s.schema_version == MIGRATIONS[-1].version and s.key == key
    finally:
        s.close()
    (backup,) = (tmp_path / "backups").glob("c-v1-*.sqlite3")
    assert driver.is_encrypted_file(path) and driver.is_encrypted_file(backup)
    with pytest.raises(StoreError):
        open_store(backup)  # not without the key
    old = open_store(backup, key=key, migrations=MIGRATIONS[:1])
    assert old.schema_version == 1
    old.close()


def _v2(conn: sqlite3.Connection) -> None:
    conn.executescript("ALTER TABLE person ADD COLUMN nickname TEXT; CREATE TABLE extra (x);")


def _v3_broken(conn: sqlite3.Connection) -> None:
    conn.executescript("CREATE TABLE half_done (x);")
    raise RuntimeError("boom")


def test_older_database_is_backed_up_then_migrated_step_by_step(tmp_path: Path) -> None:
    path = tmp_path / "oma.sqlite3"
    v1 = (MIGRATIONS[0],)
    s = open_store(path, migrations=v1)
    # what a schema-1 writer logged
    s.conn.execute(
        "INSERT INTO change_log (op_id, casa, installation, seq, hlc, user_id, entity,"
        " entity_id, kind, fields) VALUES ('op-1', 'CV1', 'i', 1, 1, 'u1', 'casa', 'CV1',"
        " 'create', '{\"name\":\"Casa Vecinal 1\"}')"
    )
    s.conn.execute("INSERT INTO casa (id, name, last_op_id) VALUES ('CV1', 'Casa Vecinal 1', 'op-1')")
    s.close()

    v2 = (*v1, Migration(2, "nickname", _v2))
    s = open_store(path, migrations=v2)
    assert s.schema_version == 2
    assert "nickname" in s.columns("person")
    assert s.get("casa", "CV1") is not None
    s.close()
    backups = list((tmp_path / "backups").glob("oma-v1-*.sqlite3"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    old.close()

    v3 = (*v2, Migration(3, "broken", _v3_broken))
    with pytest.raises(RuntimeError):
        open_store(path, migrations=v3)
    s = open_store(path, migrations=v2)
    assert s.schema_version == 2
    assert "half_done" not in s.db.table_names()
    s.close()


def test_split_sql_keeps_trigger_bodies_whole() -> None:
    script = "CREATE TABLE a (x);\nCREATE TRIGGER t BEFORE DELETE ON a BEGIN SELECT 1; SELECT 2; END;"
    parts = split_sql(script)
    assert len(parts) == 2
    assert parts[1].endswith("END;")


# --- the change log -------------------------------------------------------------------


def test_create_update_tombstone_are_logged(store: Store) -> None:
    pid = _person(store, casa_id="CV1")
    with store.transaction("u2") as tx:
        changed = tx.update("person", pid, {"given_names": "José Luis", "paternal_surname": "Pérez"})
    assert changed == {"given_names": "José Luis"}
    with store.transaction("u2") as tx:
        tx.tombstone("person", pid)
    ops = store.rows("SELECT * FROM change_log WHERE entity_id = ? ORDER BY seq", [pid])
    assert [o["kind"] for o in ops] == ["create", "update", "tombstone"]
    assert json.loads(ops[0]["fields"])["given_names"] == "José"
    assert json.loads(ops[1]["fields"]) == {"given_names": "José Luis"}
    assert {o["user_id"] for o in ops[1:]} == {"u2"}
    assert all(o["casa"] == "CV1" and o["installation"] == "inst-test" for o in ops)
    seqs = [o["seq"] for o in store.rows(
        "SELECT seq FROM change_log WHERE installation = 'inst-test' ORDER BY rowid")]
    assert seqs == list(range(1, len(seqs) + 1))
    hlcs = [o["hlc"] for o in ops]
    assert hlcs == sorted(hlcs) and len(set(hlcs)) == 3
    row = store.get("person", pid)
    assert row is not None and row["deleted"] == 1 and row["last_op_id"] == ops[-1]["op_id"]


def test_update_without_change_writes_nothing(store: Store) -> None:
    pid = _person(store)
    before = store.scalar("SELECT count(*) FROM change_log")
    with store.transaction("u") as tx:
        assert tx.update("person", pid, {"given_names": "José"}) == {}
    assert store.scalar("SELECT count(*) FROM change_log") == before


def test_failed_transaction_leaves_no_trace(store: Store) -> None:
    before = store.scalar("SELECT count(*) FROM change_log")
    with pytest.raises(ZeroDivisionError), store.transaction("u") as tx:
        tx.create("person", {"given_names": "Ana", "created_at": "2026-01-01"})
        1 / 0  # noqa: B018
    assert store.scalar("SELECT count(*) FROM person") == 0
    assert store.scalar("SELECT count(*) FROM change_log") == before


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(MissingRelatedRecordError, match="no existe"), store.transaction("u") as tx:
        tx.create("document", {"person_id": "no-such-person", "doc_type": "DNI"})
    assert store.scalar("SELECT count(*) FROM document") == 0


def test_system_and_unknown_columns_are_rejected(store: Store) -> None:
    with pytest.raises(ValueError), store.transaction("u") as tx:
        tx.create("person", {"last_op_id": "x", "created_at": "2026-01-01"})
    with pytest.raises(ValueError), store.transaction("u") as tx:
        tx.create("person", {"no_such_column": 1, "created_at": "2026-01-01"})
    with pytest.raises(ValueError), store.transaction("u") as tx:
        tx.create("not_an_entity", {})


def test_derived_columns_are_computed_not_logged(store: Store) -> None:
    pid = _person(store)
    with store.transaction("u") as tx:
        did = tx.create("document", {"person_id": pid, "doc_type": "CE", "number": "001-234.567"})
    assert store.get("document", did)["number_norm"] == "001234567"  # type: ignore[index]
    op = store.one("SELECT fields FROM change_log WHERE entity_id = ?", [did])
    assert op is not None and "number_norm" not in json.loads(op["fields"])
    with store.transaction("u") as tx:
        tx.update("document", did, {"number": "99 88"})
    assert store.get("document", did)["number_norm"] == "9988"  # type: ignore[index]


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO person (id, created_at) VALUES ('p-raw', '2026-01-01')",
        "INSERT INTO person (id, created_at, last_op_id) VALUES ('p-raw', '2026-01-01', 'made-up')",
        "UPDATE person SET given_names = 'Hackeado'",
        "DELETE FROM person",
        "UPDATE change_log SET user_id = 'otro'",
        "DELETE FROM change_log",
    ],
)
def test_raw_sql_cannot_bypass_the_log(store: Store, sql: str) -> None:
    _person(store)
    with pytest.raises(driver.IntegrityError, match="oma:"):
        store.conn.execute(sql)


def test_sqlite_utils_writes_cannot_bypass_the_log(store: Store) -> None:
    pid = _person(store)
    db = sqlite_utils.Database(store.conn)
    with pytest.raises(driver.IntegrityError):
        db["person"].insert({"id": "x", "created_at": "2026-01-01"})
    with pytest.raises(driver.IntegrityError):
        db["person"].update(pid, {"given_names": "Otro"})
    with pytest.raises(driver.IntegrityError):
        db["person"].delete(pid)


def test_reusing_an_op_id_of_another_record_is_refused(store: Store) -> None:
    a = _person(store)
    op_a = store.get("person", a)["last_op_id"]  # type: ignore[index]
    with pytest.raises(driver.IntegrityError):
        store.conn.execute(
            "INSERT INTO person (id, created_at, last_op_id) VALUES ('b', '2026', ?)", [op_a]
        )


def test_guard_errors_inside_transactions_are_reported(store: Store) -> None:
    pid = _person(store)
    with pytest.raises(UnloggedWriteError), store.transaction("u"):
        store.conn.execute("UPDATE person SET notes = 'x' WHERE id = ?", [pid])


def test_every_table_is_either_guarded_or_internal(store: Store) -> None:
    """A new table added without the change-log guard makes this fail."""
    internal = {"change_log", *LOCAL_TABLES}
    triggers = {r["name"] for r in store.rows("SELECT name FROM sqlite_master WHERE type='trigger'")}
    for table in store.db.table_names():
        if table in internal or table.startswith("sqlite_") or "_fts" in table:
            continue
        assert table in ENTITY_TABLES, f"table {table} is not declared as an entity"
        for kind in ("insert", "update", "delete"):
            assert f"{table}_guard_{kind}" in triggers, f"{table} lacks its {kind} guard"


def test_no_code_writes_sql_outside_the_store() -> None:
    """Only the store (and migrations) may write the synchronised tables; the local
    bookkeeping tables (settings, the sync's history) are written by their owners."""
    root = Path(__file__).resolve().parents[2] / "oma_desktop"
    allowed = {root / "core" / name for name in ("store.py", "migrations.py", "schema.py", "oplog.py")}
    pattern = re.compile(
        r"INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)|UPDATE\s+(\w+)\s+SET|DELETE\s+FROM\s+(\w+)"
        r"|REPLACE\s+INTO\s+(\w+)"
        r"|\]\.(?:insert|insert_all|upsert|upsert_all|update|delete|delete_where)\(",
        re.IGNORECASE,
    )
    local = {name.lower() for name in LOCAL_TABLES}
    offenders = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in root.rglob("*.py") if path not in allowed
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
        if next((t for t in match.groups() if t), "").lower() not in local
    ]
    assert offenders == []


def test_origin_override_keeps_its_own_sequence(store: Store) -> None:
    other = Origin(casa="CV2", installation="inst-cv2")
    with store.transaction("u", origin=other) as tx:
        tx.create("person", {"created_at": "2026"})
        tx.create("person", {"created_at": "2026"})
    _person(store)
    rows = store.rows("SELECT installation, seq FROM change_log WHERE entity = 'person' ORDER BY rowid")
    assert [(r["installation"], r["seq"]) for r in rows] == [
        ("inst-cv2", 1),
        ("inst-cv2", 2),
        ("inst-test", 1),
    ]


def test_clock_never_runs_backwards_across_restarts(tmp_path: Path) -> None:
    now = [2_000_000_000_000]
    path = tmp_path / "oma.sqlite3"
    s = open_store(path, wall=lambda: now[0])
    s.set_meta("installation_id", "i")
    s.set_meta("casa_id", "CV1")
    _person(s)
    first = s.scalar("SELECT max(hlc) FROM change_log")
    s.close()
    now[0] -= 3_600_000  # the PC clock is set back one hour
    s = open_store(path, wall=lambda: now[0])
    _person(s)
    _person(s)
    hlcs = [r["hlc"] for r in s.rows("SELECT hlc FROM change_log ORDER BY rowid")]
    assert hlcs == sorted(hlcs) and len(set(hlcs)) == len(hlcs)
    assert hlcs[-1] > first
    s.close()


def test_nested_transactions_are_a_bug(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction("u"), store.transaction("u"):
        pass


def test_v1_database_with_people_gains_search_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "oma.sqlite3"
    s = open_store(path, migrations=MIGRATIONS[:1])
    pid = "p-1"
    fields = {"given_names": "José", "paternal_surname": "Pérez", "maternal_surname": "Quispe",
              "phone": "+51 987 654 321", "created_at": "2026-01-01"}
    s.conn.execute(  # what a schema-1 writer logged
        "INSERT INTO change_log (op_id, casa, installation, seq, hlc, user_id, entity,"
        " entity_id, kind, fields) VALUES ('op-1', 'CV1', 'i', 1, 1, 'u1', 'person', ?,"
        " 'create', ?)", [pid, json.dumps(fields)])
    s.conn.execute(
        f"INSERT INTO person (id, last_op_id, {', '.join(fields)}) VALUES (?, 'op-1',"
        f" {', '.join('?' for _ in fields)})", [pid, *fields.values()])
    s.close()
    s = open_store(path)
    row = s.get("person", pid)
    assert row is not None
    assert row["search_name"] == "José Pérez Quispe"
    assert row["search_phones"] == "987654321"
    hits = s.rows(
        "SELECT rowid FROM person_fts WHERE person_fts MATCH ?", ['"jose"* AND "perez"*']
    )
    assert len(hits) == 1
    s.set_meta("installation_id", "i")
    s.set_meta("casa_id", "CV1")
    with s.transaction("u") as tx:  # the guards are back after the backfill
        tx.update("person", pid, {"given_names": "Josefina"})
    with pytest.raises(driver.IntegrityError):
        s.conn.execute("UPDATE person SET notes = 'x'")
    assert s.rows("SELECT rowid FROM person_fts WHERE person_fts MATCH 'josefina'")
    assert not s.rows("SELECT rowid FROM person_fts WHERE person_fts MATCH 'jose'")
    s.close()


def test_only_the_driver_imports_the_sqlite_binding() -> None:
    """Switching to SQLCipher (issue #9) must touch core/driver.py only."""
    root = Path(__file__).resolve().parents[2] / "oma_desktop"
    pattern = re.compile(r"^\s*(import sqlite3|from sqlite3\b)", re.MULTILINE)
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path != root / "core" / "driver.py" and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_an_empty_file_is_never_replaced_by_a_new_installation(tmp_path: Path) -> None:
    path = tmp_path / "oma.sqlite3"
    path.write_bytes(b"")
    with pytest.raises(StoreError, match="está vacío"):
        open_store(path)
    assert path.read_bytes() == b""
    assert not path.with_name("oma.sqlite3-wal").exists()
