"""Casa → headquarters → casa on real stores: export, import (idempotent, any order,
conflicts kept, quarantine), reference data with acknowledgements and versions."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from raw_stores import open_raw

from oma_desktop.core.store import Store, open_store
from oma_desktop.sync import exchange as ex
from oma_desktop.sync.container import SyncFileError
from oma_desktop.sync.keys import PublicKeys


@pytest.fixture
def network(tmp_path: Path):
    hq = open_raw(tmp_path / "hq.sqlite3", "CV1", "inst-hq", "hq")
    ex.ensure_own_keys(hq)
    hq_file = ex.own_public_keys(hq, "").to_file(ex.own_keys(hq))
    casas = {}
    for casa in ("CV1", "CV2"):
        store = open_raw(tmp_path / f"{casa}.sqlite3", casa, f"inst-{casa}")
        secret = ex.ensure_own_keys(store)
        store.set_meta(ex.HQ_KEYS_META, hq_file.decode())
        ex.register_peer(hq, PublicKeys.from_file(
            ex.own_public_keys(store, "AAA" if casa == "CV1" else "BBB").to_file(secret)))
        casas[casa] = store
    yield hq, casas
    for s in (hq, *casas.values()):
        s.close()


def _person(store: Store, name: str) -> str:
    with store.transaction("u") as tx:
        return tx.create("person", {"given_names": name, "sex": "F", "created_at": "2026-12-01"})


def _state(store: Store) -> list[tuple]:
    return [tuple(r) for r in store.rows(
        "SELECT id, given_names, phone, last_op_id FROM person ORDER BY id")]


def test_export_import_is_idempotent_and_acknowledged(network) -> None:
    hq, casas = network
    cv1 = casas["CV1"]
    pid = _person(cv1, "Yusmary")
    first = ex.build_export(cv1, "AAA")
    report = ex.import_export(hq, first.data, "a.omasync")
    assert (report.applied, report.already_imported, report.gaps) == (first.op_count, False, [])
    assert hq.get("person", pid)["given_names"] == "Yusmary"
    again = ex.import_export(hq, first.data)
    assert again.already_imported and again.applied == 0
    # nothing acknowledged yet: the next export repeats everything (a lost stick costs nothing)
    with cv1.transaction("u") as tx:
        tx.update("person", pid, {"phone": "987654321"})
    second = ex.build_export(cv1, "AAA")
    assert second.manifest["from_seq"] == first.manifest["from_seq"]
    assert ex.import_export(hq, second.data).applied == 1
    # headquarters acknowledges: the casa's next file carries only what is new
    ref = ex.build_reference(hq, "CV1")
    got = ex.import_reference(cv1, ref.data)
    assert got.acked_seq == second.manifest["to_seq"]
    assert got.version == ref.manifest["version"] == 1
    assert ex.build_export(cv1, "AAA").op_count == 0
    with pytest.raises(SyncFileError, match="más antiguo"):
        ex.import_reference(cv1, ref.data)  # the same version again
    with pytest.raises(SyncFileError, match="otra casa"):
        ex.import_reference(casas["CV2"], ref.data)


def test_files_of_two_casas_in_any_order_give_the_same_headquarters(network, tmp_path) -> None:
    hq, casas = network
    files = []
    for round_ in range(2):
        for casa, store in casas.items():
            pid = _person(store, f"{casa}-{round_}")
            with store.transaction("u") as tx:
                tx.update("person", pid, {"phone": f"9{round_}0000000"})
            files.append(ex.build_export(store, "AAA" if casa == "CV1" else "BBB").data)
    states = set()
    for n, order in enumerate(itertools.islice(itertools.permutations(files), 0, 24, 5)):
        target = open_raw(tmp_path / f"hq{n}.sqlite3", "CV1", "inst-hq", "hq")
        target.set_meta(ex.SECRET_META, hq.meta(ex.SECRET_META))
        for row in hq.rows("SELECT * FROM sync_peer"):
            target.conn.execute("INSERT INTO sync_peer VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                list(row.values()))
        for data in (*order, order[0]):
            ex.import_export(target, data)
        states.add(tuple(_state(target)))
        target.close()
    assert len(states) == 1


def test_the_same_field_changed_at_two_installations_is_a_conflict_kept_for_review(
    network,
) -> None:
    hq, casas = network
    cv1 = casas["CV1"]
    pid = _person(cv1, "Compartida")
    ex.import_export(hq, ex.build_export(cv1, "AAA").data)
    # a second PC of CV1 holds the same person (as a restored copy would) and edits it
    create_ops = cv1.operations(pid)
    twin = casas["CV2"]
    twin.apply(create_ops)
    with cv1.transaction("u") as tx:
        tx.update("person", pid, {"phone": "911111111", "zone": "Zona 1"})
    with twin.transaction("u") as tx:
        tx.update("person", pid, {"phone": "922222222", "address_ref": "Puerta azul"})
    ex.import_export(hq, ex.build_export(cv1, "AAA").data)
    twin_ops = [op for op in twin.operations() if op.installation == "inst-CV2"]
    report = ex.import_export(hq, _file_of(twin, twin_ops))
    assert report.conflicts == 1
    row = hq.get("person", pid)
    assert (row["zone"], row["address_ref"]) == ("Zona 1", "Puerta azul")  # both applied
    conflict = hq.one("SELECT * FROM sync_conflict")
    assert conflict["field"] == "phone" and conflict["status"] == "pendiente"
    winner = hq.one("SELECT fields FROM change_log WHERE op_id = ?", [conflict["winner_op_id"]])
    assert row["phone"] in winner["fields"]
    assert {conflict["winner_value"], conflict["loser_value"]} == {'"911111111"', '"922222222"'}


def _file_of(store: Store, ops) -> bytes:
    """A CV2 export holding ``ops`` (what its next file would carry)."""
    return ex.build_export(store, "BBB").data


def test_an_operation_id_held_with_other_content_is_quarantined(network) -> None:
    hq, casas = network
    cv1 = casas["CV1"]
    pid = _person(cv1, "Original")
    ex.import_export(hq, ex.build_export(cv1, "AAA").data)
    op = cv1.operations(pid)[0]
    forged = op.__class__(**{**op.__dict__, "fields": op.fields.replace("Original", "Forjada")})
    with hq.transaction("x"):
        pass
    from oma_desktop.core.oplog import apply_operations

    hq.conn.execute("BEGIN")
    result = apply_operations(hq.conn, [forged], hq.schema_version, quarantine=True)
    hq.conn.execute("ROLLBACK")
    assert [o.op_id for o, _r in result.quarantined] == [op.op_id]
    assert hq.get("person", pid)["given_names"] == "Original"


def test_a_file_from_an_unregistered_or_revoked_installation_is_refused(network) -> None:
    hq, casas = network
    data = ex.build_export(casas["CV2"], "BBB").data
    ex.revoke_peer(hq, "inst-CV2", "PC robada")
    with pytest.raises(SyncFileError, match="revocada"):
        ex.import_export(hq, data)
    hq.conn.execute("DELETE FROM sync_peer WHERE installation_id = 'inst-CV2'")
    with pytest.raises(SyncFileError, match="no está registrada"):
        ex.import_export(hq, data)
    assert hq.scalar("SELECT count(*) FROM sync_file") == 0


def test_a_record_referring_to_another_casas_record_arrives_in_any_order(network) -> None:
    """CV2 attends a person CV1 registered (a copy reached CV2): headquarters takes CV2's
    file first, and the consultation waits for the person without refusing the file."""
    hq, casas = network
    cv1, cv2 = casas["CV1"], casas["CV2"]
    pid = _person(cv1, "Itinerante")
    cv2.apply(cv1.operations(pid))
    with cv2.transaction("u") as tx:
        cid = tx.create("consultation", {"person_id": pid, "casa_id": "CV2",
                                         "occurred_at": "2026-12-01T10:00", "channel": "presencial"})
    report = ex.import_export(hq, ex.build_export(cv2, "BBB").data)
    assert report.applied >= 1 and hq.get("consultation", cid) is not None
    assert hq.get("person", pid) is None  # waits for CV1's file
    ex.import_export(hq, ex.build_export(cv1, "AAA").data)
    assert hq.get("person", pid)["given_names"] == "Itinerante"
    assert hq.rows("PRAGMA foreign_key_check") == []


def test_after_headquarters_is_restored_the_casa_sends_again_what_it_lost(
    network, tmp_path,
) -> None:
    import shutil

    hq, casas = network
    cv1 = casas["CV1"]
    early = _person(cv1, "Antes")
    ex.import_export(hq, ex.build_export(cv1, "AAA").data)
    hq.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(hq.path, tmp_path / "hq-copy.sqlite3")  # headquarters' backup
    late = _person(cv1, "Después")
    ex.import_export(hq, ex.build_export(cv1, "AAA").data)
    ex.import_reference(cv1, ex.build_reference(hq, "CV1").data)
    assert ex.build_export(cv1, "AAA").op_count == 0  # all acknowledged
    path = hq.path
    hq.close()
    shutil.copyfile(tmp_path / "hq-copy.sqlite3", path)  # the disk failed: restored
    for side in ("-wal", "-shm"):
        path.with_name(path.name + side).unlink(missing_ok=True)
    restored = open_store(path)
    try:
        assert restored.get("person", late) is None and restored.get("person", early)
        ex.import_reference(cv1, ex.build_reference(restored, "CV1").data)
        again = ex.build_export(cv1, "AAA")
        assert again.op_count > 0  # what headquarters lost goes again
        ex.import_export(restored, again.data)
        assert restored.get("person", late)["given_names"] == "Después"
    finally:
        restored.close()
