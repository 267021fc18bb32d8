"""The operation contract: seeded shared records, base versions, applying remote operations
in any order, and guards without a bypass."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oma_desktop.core.catalogs import load_catalogs
from oma_desktop.core.errors import MissingRelatedRecordError
from oma_desktop.core.oplog import Operation, OperationError, fold
from oma_desktop.core.schema import ENTITY_TABLES
from oma_desktop.core.seed import (
    SEED_INSTALLATION,
    every_seed_operation,
    hq_casa_operation,
    reception_user_id,
    seed_operations,
)
from oma_desktop.core.store import Origin, Store, open_store

T0 = 1_800_000_000_000  # a fixed wall clock, in ms


class Wall:
    """A settable wall clock for a store."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def _open(path: Path, casa: str, installation: str, wall: Callable[[], int]) -> Store:
    store = open_store(path, wall=wall)
    store.set_meta("installation_id", installation)
    store.set_meta("casa_id", casa)
    return store


def _tables(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every entity table, every column, ordered by id."""
    return {t: [tuple(r) for r in store.conn.execute(f"SELECT * FROM {t} ORDER BY id")]
            for t in ENTITY_TABLES}


def _log(store: Store) -> set[Operation]:
    return set(store.operations())


def _fts_ids(store: Store, query: str) -> list[str]:
    return [r[0] for r in store.conn.execute(
        "SELECT p.id FROM person p JOIN person_fts f ON f.rowid = p.rowid"
        " WHERE person_fts MATCH ? ORDER BY p.id", [query])]


# --- 1. shared records -------------------------------------------------------------------


def test_every_installation_holds_the_same_seed_operations(tmp_path: Path) -> None:
    a = open_store(tmp_path / "a.sqlite3")
    b = open_store(tmp_path / "b.sqlite3")
    seed = set(every_seed_operation(load_catalogs().institutions))
    assert _log(a) == _log(b) == seed
    assert {op.installation for op in seed} == {SEED_INSTALLATION}
    assert max(op.hlc for op in seed) < 10_000  # the lowest clocks
    assert sorted(op.seq for op in seed) == list(range(1, len(seed) + 1))
    assert [r["id"] for r in a.rows("SELECT id FROM casa ORDER BY id")] == [
        *(f"CV{n}" for n in range(1, 7)), "HQ"]
    assert a.get("casa", "HQ")["name"] == "Sede central"
    assert a.get("app_user", reception_user_id("CV3"))["casa_id"] == "CV3"
    a.close()
    b.close()


def test_a_casa_installed_later_does_not_revert_a_rename(tmp_path: Path) -> None:
    wall = Wall(T0)
    early = _open(tmp_path / "cv1.sqlite3", "CV1", "inst-cv1", wall)
    with early.transaction("u1") as tx:
        tx.update("casa", "CV2", {"name": "Casa Vecinal Cercado Norte"})
    wall.ms += 86_400_000  # the second PC is installed a day later
    late = _open(tmp_path / "cv2.sqlite3", "CV2", "inst-cv2", wall)
    late.apply(early.operations())
    early.apply(late.operations())
    for store in (early, late):
        assert store.get("casa", "CV2")["name"] == "Casa Vecinal Cercado Norte"
    assert _tables(early)["casa"] == _tables(late)["casa"]
    early.close()
    late.close()


def test_the_seed_matches_the_casa_catalog() -> None:
    from oma_desktop.core.catalogs import load_catalogs

    names = {op.entity_id: json.loads(op.fields)["name"]
             for op in seed_operations() if op.entity == "casa"}
    assert names == {c.code: c.name for c in load_catalogs().casas}


def test_seed_operations_are_frozen() -> None:
    """Editing a seed operation would fork every installation: add a revision instead."""
    import hashlib

    digest = hashlib.sha256(
        "\n".join(repr(op.as_row()) for op in seed_operations()).encode()).hexdigest()
    assert digest == SEED_DIGEST


def test_the_hq_casa_operation_is_frozen() -> None:
    op = hq_casa_operation()
    assert (op.op_id, op.seq, op.hlc, op.fields) == (
        HQ_CASA_OP_ID, HQ_CASA_SEQ, 9_000, '{"address":"","name":"Sede central"}')


HQ_CASA_OP_ID, HQ_CASA_SEQ = "037f99c6-0191-5b01-b735-77be26c59cc1", 69
SEED_DIGEST = "71ecf3bc8a83490bf30b0001730b670204a16ccc69e84c8744abcd55ec729ff0"


# --- 2. base versions and schema versions ---------------------------------------------------


def test_updates_record_the_version_they_started_from(store: Store) -> None:
    with store.transaction("u") as tx:
        pid = tx.create("person", {"given_names": "Ana", "created_at": "2026-01-01"})
    with store.transaction("u") as tx:
        tx.update("person", pid, {"given_names": "Ana María"})
    with store.transaction("u") as tx:
        tx.tombstone("person", pid)
    create, update, tomb = store.operations(pid)
    assert create.base_op_id is None
    assert update.base_op_id == create.op_id
    assert tomb.base_op_id == update.op_id
    assert {op.schema_version for op in (create, update, tomb)} == {store.schema_version}
    assert store.schema_version >= 3


# --- 3. applying operations from another installation ----------------------------------------


def _busy_source(tmp_path: Path) -> Store:
    """A database written by two casas, with creates, updates, links and tombstones."""
    wall = Wall(T0)
    src = _open(tmp_path / "src.sqlite3", "CV1", "inst-cv1", wall)
    other = Origin("CV3", "inst-cv3")
    rng = random.Random(7)
    persons: list[str] = []
    for n in range(12):
        wall.ms += rng.randint(0, 3)  # same millisecond now and then: counters decide
        origin = other if n % 3 == 0 else None
        with src.transaction("u1", origin=origin) as tx:
            pid = tx.create("person", {
                "given_names": f"Nombre{n}", "paternal_surname": rng.choice(["Pérez", "Quispe"]),
                "phone": f"+51 98765{n:04d}", "created_at": "2026-01-01", "casa_id": "CV1"})
            tx.create("document", {"person_id": pid, "doc_type": "CE",
                                   "number": f"00{n}12.345-6"})
            tx.create("consultation", {"person_id": pid, "casa_id": "CV1",
                                       "occurred_at": "2026-02-01T10:00", "channel": "presencial",
                                       "topics": ["cpp"]})
        persons.append(pid)
    with src.transaction("u1") as tx:
        hh = tx.create("household", {"casa_id": "CV1", "name": "Hogar"})
        tx.create("household_member", {"household_id": hh, "person_id": persons[0],
                                        "relationship": "jefe_hogar"})
        tx.create("household_member", {"household_id": hh, "person_id": persons[1],
                                        "relationship": "hijo"})
    for _round in range(30):
        pid = rng.choice(persons)
        origin = rng.choice([None, other])
        wall.ms += rng.randint(0, 2)
        with src.transaction("u2", origin=origin) as tx:
            field = rng.choice(["given_names", "phone", "notes", "zone"])
            tx.update("person", pid, {field: f"{field}-{rng.randint(0, 99)}"})
    with src.transaction("u1") as tx:
        tx.tombstone("person", persons[-1])
        tx.update("casa", "CV1", {"name": "Casa Vecinal Uno"})
    return src


def _rebuild(tmp_path: Path, name: str, batches: list[list[Operation]]) -> Store:
    target = _open(tmp_path / f"{name}.sqlite3", "CV2", f"inst-{name}", Wall(T0 - 10_000))
    for batch in batches:
        target.apply(batch)
    return target


def test_rebuild_from_the_change_log_alone_in_any_order(tmp_path: Path) -> None:
    src = _busy_source(tmp_path)
    ops = src.operations()
    shuffled = ops[:]
    random.Random(3).shuffle(shuffled)
    twice = ops * 2
    random.Random(5).shuffle(twice)
    chunks = [ops[i:i + 7] for i in range(0, len(ops), 7)]
    builds = {
        "clock_order": [ops],
        "shuffled": [shuffled],
        "twice": [twice, shuffled],
        "chunks": chunks,
    }
    expected = _tables(src)
    for name, batches in builds.items():
        target = _rebuild(tmp_path, name, batches)
        assert _tables(target) == expected, name
        assert _log(target) == _log(src), name
        assert _fts_ids(target, '"perez"*') == _fts_ids(src, '"perez"*'), name
        assert target.clock.last > max(op.hlc for op in ops), name
        target.close()
    src.close()


def test_a_local_write_after_applying_wins_and_records_its_base(tmp_path: Path) -> None:
    src = _busy_source(tmp_path)
    target = _rebuild(tmp_path, "t", [src.operations()])  # its wall clock is behind
    pid = src.scalar("SELECT id FROM person WHERE deleted = 0 ORDER BY id LIMIT 1")
    before = target.get("person", pid)["last_op_id"]
    with target.transaction("u9") as tx:
        tx.update("person", pid, {"notes": "llamar el lunes"})
    op = target.operations(pid)[-1]
    assert op.base_op_id == before and op.installation == "inst-t"
    assert target.get("person", pid)["notes"] == "llamar el lunes"
    assert target.get("person", pid)["last_op_id"] == op.op_id
    src.close()
    target.close()


def test_applying_is_all_or_nothing(tmp_path: Path) -> None:
    src = _busy_source(tmp_path)
    ops = src.operations()
    target = _open(tmp_path / "t.sqlite3", "CV2", "inst-t", Wall(T0))
    before = _tables(target)
    orphan = [op for op in ops if op.entity == "consultation"][:1]  # its person is missing
    with pytest.raises(MissingRelatedRecordError):
        target.apply(orphan)
    forged = ops[-1].__class__(**{**ops[-1].__dict__, "fields": '{"name":"Otra"}'})
    target.apply(ops)
    with pytest.raises(OperationError):
        target.apply([forged])
    newer = Operation(**{**ops[0].__dict__, "op_id": "x", "seq": 999,
                         "schema_version": target.schema_version + 1})
    with pytest.raises(OperationError):
        target.apply([newer])
    assert _tables(target) == _tables(src)
    assert before != _tables(target)
    src.close()
    target.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["CV1", "CV2", "CV3"]),
                          st.sampled_from(["a", "b", "c"]), st.integers(0, 3)),
                min_size=1, max_size=12),
       st.randoms())
def test_fold_does_not_depend_on_arrival_order(
        writes: list[tuple[int, str, str, int]], rnd: random.Random) -> None:
    ops = [Operation(f"op-{i:02d}", casa, "inst", i + 1, hlc, "u", "person", "p",
                     "update", json.dumps({field: value}))
           for i, (hlc, casa, field, value) in enumerate(writes)]
    shuffled = ops[:]
    rnd.shuffle(shuffled)
    a, b = fold(ops), fold(shuffled)
    assert a.values == b.values and a.last_op_id == b.last_op_id
    for field, value in a.values.items():
        winner = max((o for o in ops if field in o.values()), key=lambda o: o.key)
        assert winner.values()[field] == value


# --- 4. guards without a bypass ----------------------------------------------------------


@pytest.fixture
def person(store: Store) -> str:
    with store.transaction("u") as tx:
        pid = tx.create("person", {"given_names": "Ana", "paternal_surname": "Rojas",
                                   "created_at": "2026-01-01"})
    with store.transaction("u") as tx:
        tx.update("person", pid, {"phone": "987654321"})
    return pid


def _raw(store: Store) -> sqlite3.Connection:
    """Another connection with the app's functions, outside any redaction (a connection
    without ``oma_redacting()`` cannot update the log at all: see test_redaction.py)."""
    conn = sqlite3.connect(store.path)
    conn.create_function("oma_redacting", 0, lambda: 0)
    return conn


BYPASSES = {
    "insert_or_replace": "INSERT OR REPLACE INTO person (id, given_names, created_at, last_op_id)"
                         " VALUES (:id, 'Eva', '2026-01-01', :create)",
    "replace": "REPLACE INTO person (id, given_names, created_at, last_op_id)"
               " VALUES (:id, 'Eva', '2026-01-01', :create)",
    "upsert": "INSERT INTO person (id, given_names, created_at, last_op_id)"
              " VALUES (:id, 'Eva', '2026-01-01', :create)"
              " ON CONFLICT (id) DO UPDATE SET given_names = 'Eva'",
    "update_reusing_older_op": "UPDATE person SET given_names = 'Eva', last_op_id = :create"
                               " WHERE id = :id",
    "update_keeping_op": "UPDATE person SET given_names = 'Eva' WHERE id = :id",
    "update_to_an_older_value": "UPDATE person SET phone = '' WHERE id = :id",
    "change_id": "UPDATE person SET id = 'otra' WHERE id = :id",
    "delete": "DELETE FROM person WHERE id = :id",
    "log_replace": "INSERT OR REPLACE INTO change_log (op_id, casa, installation, seq, hlc,"
                   " user_id, entity, entity_id, kind, fields) SELECT op_id, casa, installation,"
                   " seq, hlc, user_id, entity, entity_id, kind, '{\"given_names\":\"Eva\"}'"
                   " FROM change_log WHERE op_id = :create",
    "log_update": "UPDATE change_log SET fields = '{}' WHERE op_id = :create",
    "log_delete": "DELETE FROM change_log WHERE op_id = :create",
}


@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_no_bypass_changes_data_unlogged(store: Store, person: str, name: str) -> None:
    create = store.operations(person)[0].op_id
    before_row, before_log = store.get("person", person), _log(store)
    raw = _raw(store)
    with pytest.raises(sqlite3.IntegrityError, match="oma: "):
        raw.execute(BYPASSES[name], {"id": person, "create": create})
    raw.close()
    assert store.get("person", person) == before_row
    assert _log(store) == before_log


def test_a_forged_log_row_cannot_carry_other_values(store: Store, person: str) -> None:
    raw = _raw(store)
    raw.execute(  # a well-formed operation that does not say what the update writes
        "INSERT INTO change_log (op_id, casa, installation, seq, hlc, user_id, entity,"
        " entity_id, kind, fields) VALUES ('forged', 'CV1', 'x', 1, 9e15, 'u', 'person', ?,"
        " 'update', '{\"notes\":\"nada\"}')", [person])
    with pytest.raises(sqlite3.IntegrityError, match="without change log"):
        raw.execute("UPDATE person SET given_names = 'Eva', last_op_id = 'forged' WHERE id = ?",
                    [person])
    with pytest.raises(sqlite3.IntegrityError, match="without change log"):
        raw.execute("INSERT INTO person (id, given_names, created_at, last_op_id)"
                    " VALUES ('nueva', 'Eva', '2026-01-01', 'forged')")
    raw.close()
    assert store.get("person", person)["given_names"] == "Ana"


def test_an_insert_must_hold_exactly_what_its_create_logged(store: Store) -> None:
    raw = _raw(store)
    raw.execute(
        "INSERT INTO change_log (op_id, casa, installation, seq, hlc, user_id, entity,"
        " entity_id, kind, fields) VALUES ('c1', 'CV1', 'x', 1, 9e15, 'u', 'person', 'p1',"
        " 'create', '{\"given_names\":\"Eva\",\"created_at\":\"2026\"}')")
    with pytest.raises(sqlite3.IntegrityError, match="without change log"):  # an extra value
        raw.execute("INSERT INTO person (id, given_names, created_at, notes, last_op_id)"
                    " VALUES ('p1', 'Eva', '2026', 'oculto', 'c1')")
    with pytest.raises(sqlite3.IntegrityError, match="without change log"):  # another value
        raw.execute("INSERT INTO person (id, given_names, created_at, last_op_id)"
                    " VALUES ('p1', 'Ana', '2026', 'c1')")
    raw.execute("INSERT INTO person (id, given_names, created_at, last_op_id)"
                " VALUES ('p1', 'Eva', '2026', 'c1')")  # exactly the logged values: allowed
    raw.commit()
    raw.close()
    assert store.get("person", "p1")["given_names"] == "Eva"
