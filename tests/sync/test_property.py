"""Property (hypothesis): whatever the casas did, any permutation and duplication of their
files imported at a fresh headquarters gives the same headquarters.

Three casas, over one to three rounds, create persons and edit random fields of their own
persons and of shared directory entries (one created at headquarters and received through
a reference file, two from the seed), from a small set of values so that edits collide;
each round some casas export a file and headquarters may acknowledge (so later files
carry only what is new). Then two fresh copies of headquarters (as it was before any
import) import the files in the order written and in a drawn permutation with drawn
duplicates. Both must hold the same rows in every synchronised table, the same change log
(as a set), the same conflicts to review (field, winner, loser, both values) and the same
file history; and each casa's persons exactly as the casa holds them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from oma_desktop.core.oplog import OP_COLUMNS
from oma_desktop.core.schema import ENTITY_TABLES
from oma_desktop.core.store import Store, open_store
from oma_desktop.sync import exchange as ex
from oma_desktop.sync.keys import PublicKeys

CASAS = ("CV1", "CV2", "CV3")
STATIONS = {"CV1": "AAA", "CV2": "BBB", "CV3": "CCC"}
PERSON_FIELDS = ("phone", "zone", "address_ref", "notes")
SERVICE_FIELDS = ("hours", "phone", "notes")
VALUES = st.sampled_from(("", "a", "b", "c"))
NEW_SERVICE = "0b3c6a5e-7d7e-4d8e-9a51-5a4f0d1c2b99"


class Clock:
    def __init__(self) -> None:
        self.ms = 1_796_000_000_000

    def __call__(self) -> int:
        self.ms += 1
        return self.ms


def _configure(store: Store, casa: str, installation: str, mode: str) -> Store:
    store.set_meta("installation_id", installation)
    store.set_meta("casa_id", casa)
    store.set_meta("mode", mode)
    return store


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    """Headquarters (with its own directory edits, nothing imported) and three enrolled,
    registered casas; in memory (tmpfs) when the machine has one, for speed."""
    shm = Path("/dev/shm")
    root = Path(tempfile.mkdtemp(prefix="oma-sync-prop-", dir=shm if (
        shm.is_dir() and os.access(shm, os.W_OK)) else None))
    hq = _configure(open_store(root / "hq.sqlite3"), "CV1", "inst-hq", "hq")
    ex.ensure_own_keys(hq)
    hq_file = ex.own_public_keys(hq, "").to_file(ex.own_keys(hq)).decode()
    seeded = [r["id"] for r in hq.rows("SELECT id FROM service ORDER BY id LIMIT 2")]
    with hq.transaction("analista") as tx:
        tx.create("service", {"name": "Nuevo servicio de la sede", "hours": "L-V"},
                  entity_id=NEW_SERVICE)
        tx.update("service", seeded[0], {"notes": "revisado por la sede"})
    for casa in CASAS:
        store = _configure(open_store(root / f"{casa}.sqlite3"), casa, f"inst-{casa}", "casa")
        secret = ex.ensure_own_keys(store)
        store.set_meta(ex.HQ_KEYS_META, hq_file)
        ex.register_peer(hq, PublicKeys.from_file(
            ex.own_public_keys(store, STATIONS[casa]).to_file(secret)))
        store.close()
    hq.close()
    yield root
    shutil.rmtree(root, ignore_errors=True)


# one action: (kind, casa index, target index, field, value)
ACTIONS = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 2), st.just(0), st.just(""), VALUES),
    st.tuples(st.just("person"), st.integers(0, 2), st.integers(0, 7),
              st.sampled_from(PERSON_FIELDS), VALUES),
    st.tuples(st.just("service"), st.integers(0, 2), st.integers(0, 2),
              st.sampled_from(SERVICE_FIELDS), VALUES),
    st.tuples(st.just("service"), st.integers(0, 2), st.just(0), st.just("hours"), VALUES),
)
ROUNDS = st.lists(
    st.tuples(st.lists(ACTIONS, min_size=1, max_size=8),
              st.tuples(st.booleans(), st.booleans(), st.booleans()),  # who exports
              st.booleans()),  # headquarters acknowledges after the round
    min_size=1, max_size=3)


def _state(store: Store) -> dict[str, Any]:
    state: dict[str, Any] = {
        table: [tuple(r) for r in store.conn.execute(f"SELECT * FROM {table} ORDER BY id")]
        for table in ENTITY_TABLES
    }
    state["change_log"] = set(store.conn.execute(
        f"SELECT {', '.join(OP_COLUMNS)} FROM change_log").fetchall())
    state["sync_conflict"] = set(store.conn.execute(
        "SELECT entity, entity_id, field, base_op_id, winner_op_id, loser_op_id,"
        " winner_value, loser_value, status FROM sync_conflict").fetchall())
    state["sync_file"] = set(store.conn.execute(
        "SELECT sha256, direction, casa_id, op_count, status FROM sync_file").fetchall())
    state["sync_quarantine"] = store.scalar("SELECT count(*) FROM sync_quarantine")
    return state


def _persons(store: Store, casa: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in store.conn.execute(
        "SELECT * FROM person WHERE casa_id = ? ORDER BY id", [casa])]


def _headquarters(template: Path, work: Path, name: str, files: list[bytes]) -> Store:
    path = work / f"{name}.sqlite3"
    shutil.copyfile(template / "hq.sqlite3", path)
    hq = open_store(path, wall=Clock())
    for data in files:
        ex.import_export(hq, data)
    return hq


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rounds=ROUNDS, data=st.data())
def test_any_permutation_and_duplication_of_the_files_gives_the_same_headquarters(
    template: Path, rounds: list[Any], data: st.DataObject,
) -> None:
    work = Path(tempfile.mkdtemp(prefix="ex-", dir=template))
    clock = Clock()
    stores: dict[str, Store] = {}
    opened: list[Store] = []
    try:
        for casa in CASAS:
            shutil.copyfile(template / f"{casa}.sqlite3", work / f"{casa}.sqlite3")
            stores[casa] = open_store(work / f"{casa}.sqlite3", wall=clock)
        shutil.copyfile(template / "hq.sqlite3", work / "source-hq.sqlite3")
        source = open_store(work / "source-hq.sqlite3", wall=clock)  # acknowledges
        opened += [*stores.values(), source]
        for casa, store in stores.items():  # the casas receive headquarters' directory
            ex.import_reference(store, ex.build_reference(source, casa).data)
        services = [NEW_SERVICE, *[r["id"] for r in source.rows(
            "SELECT id FROM service WHERE id <> ? ORDER BY id LIMIT 2", [NEW_SERVICE])]]
        persons: dict[str, list[str]] = {casa: [] for casa in CASAS}
        files: list[bytes] = []
        pending: list[bytes] = []
        for actions, exports, acknowledge in rounds:
            for kind, who, target, field, value in actions:
                casa = CASAS[who]
                store = stores[casa]
                with store.transaction("u") as tx:
                    if kind == "create":
                        persons[casa].append(tx.create("person", {
                            "given_names": f"{casa}-{len(persons[casa])}", "sex": "F",
                            "casa_id": casa, "created_at": "2026-12-01", "zone": value}))
                    elif kind == "person" and persons[casa]:
                        tx.update("person", persons[casa][target % len(persons[casa])],
                                  {field: value})
                    elif kind == "service":
                        tx.update("service", services[target], {field: value})
            for casa, exports_now in zip(CASAS, exports, strict=True):
                if exports_now:
                    export = ex.build_export(stores[casa], STATIONS[casa])
                    ex.record_export(stores[casa], export, "f.omasync", "u")
                    files.append(export.data)
                    pending.append(export.data)
            if acknowledge:
                for file in pending:
                    ex.import_export(source, file)
                pending = []
                for casa, store in stores.items():
                    ex.import_reference(store, ex.build_reference(source, casa).data)
        for casa, store in stores.items():  # whatever is still unacknowledged
            export = ex.build_export(store, STATIONS[casa])
            if export.op_count:
                ex.record_export(store, export, "f.omasync", "u")
                files.append(export.data)

        order = data.draw(st.permutations(files), label="order")
        extra = data.draw(st.lists(st.sampled_from(files), max_size=3), label="duplicates") \
            if files else []
        shuffled = list(order)
        for n, copy in enumerate(extra):
            shuffled.insert(data.draw(st.integers(0, len(shuffled)), label=f"at{n}"), copy)
        first = _headquarters(template, work, "hq-a", files)
        opened.append(first)
        second = _headquarters(template, work, "hq-b", shuffled)
        opened.append(second)
        state = _state(first)
        event(f"files: {len(files)}, duplicated: {bool(extra)}")
        event(f"conflicts: {min(len(state['sync_conflict']), 3)}")
        assert _state(second) == state
        assert state["sync_quarantine"] == 0
        for casa, store in stores.items():
            assert _persons(first, casa) == _persons(store, casa)
    finally:
        for store in opened:
            store.close()
        shutil.rmtree(work, ignore_errors=True)
