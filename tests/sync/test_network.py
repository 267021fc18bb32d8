"""End to end on raw stores: six casas and headquarters over several rounds, with edits
on both sides, acknowledgements, a lost stick and a truly missing range of operations.

Every store reads the same story clock (``open_store(wall=...)``), which the test moves
forward between steps, so which edit is "later" is what the story says.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from oma_desktop.core.store import Store, open_store
from oma_desktop.services.integrity import run_checks
from oma_desktop.sync import exchange as ex
from oma_desktop.sync.container import SyncFileError
from oma_desktop.sync.keys import PublicKeys

CASAS = tuple(f"CV{n}" for n in range(1, 7))
STATIONS = dict(zip(CASAS, ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF"), strict=True))


class StoryClock:
    """The wall clock every store reads (ms); the test moves it."""

    def __init__(self) -> None:
        self.ms = 1_796_000_000_000  # 2026-12-01

    def __call__(self) -> int:
        return self.ms

    def tick(self, minutes: int = 1) -> None:
        self.ms += minutes * 60_000


@dataclass
class Network:
    folder: Path
    clock: StoryClock
    hq: Store
    casas: dict[str, Store] = field(default_factory=dict)

    def open(self, path: Path) -> Store:
        return open_store(path, wall=self.clock)

    def export(self, casa: str) -> ex.ExportFile:
        """The casa's next file, noted as written (as the service does once it is safe)."""
        store = self.casas[casa]
        export = ex.build_export(store, STATIONS[casa])
        ex.record_export(store, export, f"{casa}.omasync", "coordinacion")
        return export

    def send_references(self) -> dict[str, ex.ReferenceReport]:
        return {casa: ex.import_reference(store, ex.build_reference(self.hq, casa).data)
                for casa, store in self.casas.items()}

    def close(self) -> None:
        for store in (self.hq, *self.casas.values()):
            store.close()


def _configure(store: Store, casa: str, installation: str, mode: str) -> Store:
    store.set_meta("installation_id", installation)
    store.set_meta("casa_id", casa)
    store.set_meta("mode", mode)
    return store


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Headquarters and six enrolled, registered casas, before any work (copied per test)."""
    folder = tmp_path_factory.mktemp("sync-network")
    hq = _configure(open_store(folder / "hq.sqlite3"), "CV1", "inst-hq", "hq")
    ex.ensure_own_keys(hq)
    hq_file = ex.own_public_keys(hq, "").to_file(ex.own_keys(hq)).decode()
    for casa in CASAS:
        store = _configure(open_store(folder / f"{casa}.sqlite3"), casa, f"inst-{casa}", "casa")
        secret = ex.ensure_own_keys(store)
        store.set_meta(ex.HQ_KEYS_META, hq_file)
        ex.register_peer(hq, PublicKeys.from_file(
            ex.own_public_keys(store, STATIONS[casa]).to_file(secret)))
        store.close()
    hq.close()
    return folder


@pytest.fixture
def network(enrolled: Path, tmp_path: Path) -> Iterator[Network]:
    folder = tmp_path / "red"
    shutil.copytree(enrolled, folder)
    clock = StoryClock()
    net = Network(folder, clock, open_store(folder / "hq.sqlite3", wall=clock))
    net.casas = {c: open_store(folder / f"{c}.sqlite3", wall=clock) for c in CASAS}
    yield net
    net.close()


def _register(store: Store, casa: str, name: str) -> str:
    with store.transaction("recepcion") as tx:
        return tx.create("person", {"given_names": name, "sex": "F", "casa_id": casa,
                                    "created_at": "2026-12-01"})


def _edit(store: Store, entity: str, entity_id: str, **changes: object) -> None:
    with store.transaction("coordinacion") as tx:
        tx.update(entity, entity_id, changes)


def _persons(store: Store, casa: str) -> list[tuple]:
    return [tuple(r.values()) for r in store.rows(
        "SELECT * FROM person WHERE casa_id = ? ORDER BY id", [casa])]


def _own_ops(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM change_log WHERE installation = ?",
                            [store.installation_id]))


def _conflicts(hq: Store) -> set[tuple[str, str, str]]:
    """(field, winner's installation, loser's installation) of each conflict to review."""
    rows = hq.rows(
        "SELECT k.field, w.installation AS winner, l.installation AS loser"
        " FROM sync_conflict k JOIN change_log w ON w.op_id = k.winner_op_id"
        " JOIN change_log l ON l.op_id = k.loser_op_id WHERE k.status = 'pendiente'")
    return {(r["field"], r["winner"], r["loser"]) for r in rows}


def _failed_checks(store: Store) -> dict[str, str]:
    return {r.key: r.detail for r in run_checks(store) if not r.ok}


def test_six_casas_and_headquarters_over_several_rounds(network: Network) -> None:
    hq, casas, clock = network.hq, network.casas, network.clock
    service, other_service = [r["id"] for r in hq.rows(
        "SELECT id FROM service WHERE deleted = 0 ORDER BY id LIMIT 2")]
    seeded = hq.get("service", service)
    assert seeded is not None

    # ---- round 1: every casa registers and edits; CV2 edits the directory
    people: dict[str, list[str]] = {}
    for casa, store in casas.items():
        people[casa] = [_register(store, casa, f"{casa} uno"), _register(store, casa, f"{casa} dos")]
        _edit(store, "person", people[casa][0], phone="987000111", zone=f"Zona {casa}")
    clock.tick()
    _edit(casas["CV2"], "service", service, hours="CV2: sábados", description="Según CV2")
    clock.tick()
    # headquarters edits the same service (same seeded base) later than CV2
    _edit(hq, "service", service, hours="Sede: L-V 8:00-16:00", phone="01 315 1500")
    clock.tick()
    # CV4 edits the same field later still, before any reference file reaches it
    _edit(casas["CV4"], "service", service, hours="CV4: domingos")
    clock.tick()
    files1 = {casa: network.export(casa) for casa in CASAS}
    for casa in reversed(CASAS):
        report = ex.import_export(hq, files1[casa].data, f"{casa}-1.omasync")
        assert (report.casa_id, report.applied, report.gaps, report.already_imported) == (
            casa, files1[casa].op_count, [], False)
    assert ex.import_export(hq, files1["CV3"].data).already_imported
    # the same field from the same base at three installations: the latest wins, all kept
    assert hq.get("service", service)["hours"] == "CV4: domingos"
    assert hq.get("service", service)["description"] == "Según CV2"  # other fields: applied
    assert hq.get("service", service)["phone"] == "01 315 1500"
    assert _conflicts(hq) == {("hours", "inst-hq", "inst-CV2"),
                              ("hours", "inst-CV4", "inst-hq"),
                              ("hours", "inst-CV4", "inst-CV2")}

    # ---- headquarters edits another directory entry, then sends reference files
    clock.tick()
    _edit(hq, "service", other_service, name="Servicio renombrado por la sede")
    refs = network.send_references()
    # one counter at headquarters for every file it writes: 1..6, one per casa
    versions = [refs[c].version for c in CASAS]
    assert versions == sorted(set(versions))  # each file's version above the one before
    for casa, store in casas.items():
        assert refs[casa].acked_seq == files1[casa].manifest["to_seq"] == _own_ops(store)
        assert store.get("service", other_service)["name"] == "Servicio renombrado por la sede"
        assert store.get("service", service)["phone"] == "01 315 1500"
    # headquarters' later edit wins at CV2; CV4's later local edit wins at CV4; a field only
    # a casa changed (after the seed) keeps the casa's value
    assert casas["CV2"].get("service", service)["hours"] == "Sede: L-V 8:00-16:00"
    assert casas["CV2"].get("service", service)["description"] == "Según CV2"
    assert casas["CV4"].get("service", service)["hours"] == "CV4: domingos"
    assert casas["CV1"].get("service", service)["hours"] == "Sede: L-V 8:00-16:00"
    assert casas["CV1"].get("service", service)["description"] == seeded["description"]

    # ---- round 2: acknowledged files shrink to what is new
    assert all(ex.build_export(store, STATIONS[c]).op_count == 0 for c, store in casas.items())
    clock.tick()
    for casa, store in casas.items():
        people[casa].append(_register(store, casa, f"{casa} tres"))
        _edit(store, "person", people[casa][1], address_ref="Frente al parque")
    files2 = {casa: network.export(casa) for casa in CASAS}
    for casa in CASAS:
        assert files2[casa].op_count == 2
        assert files2[casa].manifest["from_seq"] == files1[casa].manifest["to_seq"] + 1
        # chained to the file written before it
        assert files2[casa].manifest["previous_sha256"] == hashlib.sha256(
            files1[casa].data).hexdigest()
    for casa in (*CASAS[3:], *CASAS[:3]):
        report = ex.import_export(hq, files2[casa].data)
        assert (report.applied, report.skipped, report.gaps) == (2, 0, [])
    # ---- round 3: headquarters edits again; one more exchange both ways
    clock.tick()
    _edit(hq, "service", service, hours="Sede: L-S 8:00-13:00")
    refs = network.send_references()
    later = [refs[c].version for c in CASAS]
    assert later == sorted(set(later)) and later[0] > versions[-1]
    for casa, store in casas.items():
        assert refs[casa].acked_seq == _own_ops(store)
        assert store.get("service", service)["hours"] == "Sede: L-S 8:00-13:00"
    clock.tick()
    _edit(casas["CV6"], "person", people["CV6"][2], phone="955123456")
    last = network.export("CV6")
    assert last.op_count == 1
    assert ex.import_export(hq, last.data).applied == 1

    # headquarters holds every casa's records exactly as the casa does; all checks pass
    for casa, store in casas.items():
        assert _persons(hq, casa) == _persons(store, casa)
        assert len(_persons(store, casa)) == 3
        assert _failed_checks(store) == {}, casa
    assert _failed_checks(hq) == {}
    assert hq.scalar("SELECT count(*) FROM sync_file WHERE direction = 'import'") == 13


def test_a_lost_stick_costs_nothing_and_a_truly_missing_range_is_reported_not_blocking(
    network: Network,
) -> None:
    hq, cv3, clock = network.hq, network.casas["CV3"], network.clock
    first = _register(cv3, "CV3", "Perdida")
    lost = network.export("CV3")  # this stick never reaches headquarters
    clock.tick()
    _edit(cv3, "person", first, phone="911222333")
    carried = network.export("CV3")
    # nothing was acknowledged: the next file repeats everything, so nothing is missing
    assert carried.manifest["from_seq"] == lost.manifest["from_seq"] == 1
    report = ex.import_export(hq, carried.data)
    assert (report.gaps, report.applied) == ([], carried.op_count)
    assert hq.get("person", first)["phone"] == "911222333"
    assert ex.import_export(hq, lost.data).applied == 0  # arriving late: nothing new
    held = carried.manifest["to_seq"]
    assert ex.import_reference(cv3, ex.build_reference(hq, "CV3").data).acked_seq == held

    # headquarters' disk is restored from this copy; the casa's next file reaches the
    # headquarters that is then lost, and is acknowledged
    hq.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    backup = network.folder / "hq-backup.sqlite3"
    shutil.copyfile(hq.path, backup)
    clock.tick()
    second = _register(cv3, "CV3", "Solo en la sede perdida")
    _edit(cv3, "person", second, zone="Zona 9")
    gone = network.export("CV3")
    assert ex.import_export(hq, gone.data).applied == 2
    assert ex.import_reference(cv3, ex.build_reference(hq, "CV3").data).acked_seq == held + 2
    hq.close()
    shutil.copyfile(backup, hq.path)
    network.hq = hq = network.open(hq.path)

    # the restored headquarters gets the casa's next file: the range it lost is reported,
    # the file is applied all the same
    clock.tick()
    third = _register(cv3, "CV3", "Después del arreglo")
    _edit(cv3, "person", second, phone="944555666")  # its create is in the missing range
    after = network.export("CV3")
    assert after.manifest["from_seq"] == held + 3
    report = ex.import_export(hq, after.data, "cv3-4.omasync")
    assert report.gaps == [(held + 1, held + 2)]
    assert report.applied == after.op_count == 2
    assert hq.get("person", third)["given_names"] == "Después del arreglo"
    assert hq.get("person", second) is None  # waits in the log for its create
    row = hq.one("SELECT gaps, status FROM sync_file WHERE file_name = 'cv3-4.omasync'")
    assert row is not None and (row["gaps"], row["status"]) == (f"[[{held + 1}, {held + 2}]]", "ok")
    assert ex.contiguous_seq(hq, "inst-CV3") == held
    assert set(_failed_checks(hq)) == {"sequence"}  # `oma-desktop check` says it too
    assert (f"CV3 (instalación inst-CV3): faltan 2 de {held + 4} operaciones, la primera es"
            f" la n.º {held + 1}") in _failed_checks(hq)["sequence"]


def test_a_reference_file_written_after_headquarters_is_restored_is_accepted(
    network: Network,
) -> None:
    hq, cv5 = network.hq, network.casas["CV5"]
    first = ex.import_reference(cv5, ex.build_reference(hq, "CV5").data).version
    hq.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    backup = network.folder / "hq-backup.sqlite3"
    shutil.copyfile(hq.path, backup)
    assert ex.import_reference(cv5, ex.build_reference(hq, "CV5").data).version > first
    hq.close()
    shutil.copyfile(backup, hq.path)
    network.hq = hq = network.open(hq.path)
    try:
        ex.import_reference(cv5, ex.build_reference(hq, "CV5").data)
    except SyncFileError as exc:
        pytest.fail(str(exc))
