"""USB sync through the services and the CLI (issue #10) on real, encrypted data folders:
enrolment, registration, export, import, reference data and its acknowledgement; atomic
writes (a full stick or one pulled out leaves nothing and records nothing); every CLI
refusal with its exit code and Spanish reason; the demo network."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from oma_desktop import cli
from oma_desktop.core.errors import PermissionDeniedError, ValidationError
from oma_desktop.services import sync
from oma_desktop.services.accounts import PASSWORD_ENV, Credentials
from oma_desktop.services.casas import casa_choices
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.installation import change_casa
from oma_desktop.sync import exchange
from oma_desktop.sync.container import SyncFileError
from oma_desktop.sync.keys import SyncKeyError


def _login(folder: Path, **kwargs: object) -> AppContext:
    return open_context(folder, credentials=Credentials("admin", os.environ[PASSWORD_ENV]),
                        **kwargs)  # type: ignore[arg-type]


def _person(ctx: AppContext, name: str) -> str:
    with ctx.session.transaction() as tx:
        return tx.create("person", {"given_names": name, "sex": "F", "casa_id": ctx.session.casa_id,
                                    "consent_register": 1, "created_at": "2026-12-01T09:00"})


def _files(folder: Path, pattern: str = "*") -> list[str]:
    return sorted(p.name for p in folder.glob(pattern))


def _audit(ctx: AppContext, action: str) -> list[str]:
    return [r["detail"] for r in ctx.session.store.rows(
        "SELECT detail FROM audit_entry WHERE action = ? ORDER BY at", [action])]


@dataclass
class Network:
    hq: AppContext
    casas: dict[str, AppContext]
    stick: Path
    enrol: Path


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Network]:
    """Headquarters and two enrolled, registered casas, open as their administrators."""
    stick = tmp_path / "usb"
    stick.mkdir()
    hq = _login(tmp_path / "sede", mode="hq")
    casas: dict[str, AppContext] = {}
    try:
        enrol = sync.setup_hq(hq.session, stick)
        assert enrol.path == stick / "oma-sede-central.omakey"
        for code in ("CV1", "CV2"):
            ctx = casas[code] = _login(tmp_path / code, casa=code)
            result = sync.setup_casa(ctx.session, enrol.path, stick, vault=ctx.vault)
            assert result.hq_fingerprint == enrol.fingerprint
            assert result.path.name == f"oma-{code}-{sync.station(ctx.session)}.omakey"
            peer = sync.register_casa(hq.session, result.path)
            assert (peer.casa_id, peer.fingerprint) == (code, result.fingerprint)
        yield Network(hq, casas, stick, enrol.path)
    finally:
        for ctx in casas.values():
            ctx.close()
        hq.close()


def test_enrol_export_import_reference_and_acknowledgement(network: Network) -> None:
    hq, cv1 = network.hq, network.casas["CV1"]
    # the casa's database key can be recovered by headquarters, and by its key only
    assert cv1.vault is not None and cv1.vault.keyring.recovery_labels() == ["sede-central"]
    hq_secret = exchange.own_keys(hq.session.store)
    assert cv1.vault.keyring.recover(hq_secret.age_identity) == cv1.vault.key
    pid = _person(cv1, "Yusmary")
    out = network.stick / "envios"
    first = sync.export_to(cv1.session, out)
    assert first.path.parent == out and first.path.name.startswith(
        f"oma-CV1-{sync.station(cv1.session)}-") and first.path.suffix == ".omasync"
    assert _files(out) == [first.path.name]  # no temporary file left
    assert cv1.session.store.scalar(
        "SELECT count(*) FROM sync_file WHERE direction = 'export'") == 1
    assert _audit(cv1, "export") == [
        f"archivo de sincronización para la sede central: {first.op_count} operaciones"
        f" ({first.path.name})"]
    assert first.warning and "aún no recibió datos de referencia" in first.warning

    [item] = sync.import_files(hq.session, [first.path])
    assert item.ok and item.report is not None
    assert (item.report.casa_id, item.report.applied) == ("CV1", first.op_count)
    assert hq.session.store.get("person", pid)["given_names"] == "Yusmary"
    assert item.lines()[0] == (f"{first.path.name} (casa CV1): {first.op_count} operaciones"
                               " aplicadas, 0 ya estaban (omitidas).")
    backups = list((hq.paths.backups).glob("*antes-de-importar*.sqlite3"))
    assert len(backups) == 1  # made before the file that changed something

    [again] = sync.import_files(hq.session, [first.path])
    assert again.report is not None and again.report.already_imported
    assert again.lines() == [f"{first.path.name} (casa CV1): ya importado; no se cambió nada."]
    assert len(list(hq.paths.backups.glob("*antes-de-importar*.sqlite3"))) == 1
    assert len(_audit(hq, "import")) == 1

    # nothing acknowledged yet: the next file repeats everything (a lost stick costs nothing)
    second = sync.export_to(cv1.session, out)
    assert (second.from_seq, second.op_count > first.op_count) == (first.from_seq, True)

    ref = sync.export_reference(hq.session, "CV1", network.stick)
    assert ref.path.name.startswith(f"oma-sede-central-CV1-v{ref.version}-")
    report = sync.import_reference(cv1.session, ref.path)
    assert report.acked_seq == first.to_seq and report.version == ref.version
    assert sync.reference_warning(cv1.session) is None
    third = sync.export_to(cv1.session, out)
    assert third.from_seq == first.to_seq + 1  # only what headquarters has not confirmed
    with pytest.raises(SyncFileError, match="más antiguo"):
        sync.import_reference(cv1.session, ref.path)
    with pytest.raises(SyncFileError, match="otra casa"):
        sync.import_reference(network.casas["CV2"].session, ref.path)


def _hq_fair(hq: AppContext) -> str:
    import datetime as dt

    from oma_desktop.services import events as ev

    return ev.create_event(hq.session, ev.EventInput(
        kind=ev.FAIR, title="Feria de la sede", started_on=dt.date(2026, 11, 7), place="Sede",
        organisers="Sede central", topics=["ORIENTACION"], attendance_total=30,
        attendance_women=15, attendance_men=15, attendance_migrants=20, hours=4),
        today=dt.date(2026, 11, 7))


def test_headquarters_files_its_records_under_its_own_code(network: Network) -> None:
    hq, cv1 = network.hq, network.casas["CV1"]
    assert (hq.session.casa_id, hq.session.store.get("installation", hq.session.store.
            installation_id)["casa_id"]) == ("HQ", "HQ")
    assert hq.session.store.get("app_user", hq.user_id)["casa_id"] == "HQ"
    fair = _hq_fair(hq)
    assert hq.session.store.get("event", fair)["casa_id"] == "HQ"
    with pytest.raises(ValidationError, match="sede central"):
        change_casa(hq.session, "CV2", "mudanza")
    # the casa gets headquarters' account (filed under HQ, which it holds from the seed) and
    # never headquarters' own event
    sync.import_reference(cv1.session, sync.export_reference(hq.session, "CV1", network.stick).path)
    store = cv1.session.store
    assert store.get("app_user", hq.user_id)["casa_id"] == "HQ"
    assert store.get("casa", "HQ")["name"] == "Sede central"
    assert store.get("event", fair) is None
    assert "HQ" not in dict(casa_choices(cv1.session))
    assert dict(casa_choices(hq.session))["HQ"] == "Sede central"


def test_a_headquarters_still_under_the_first_casas_code_keeps_its_records(
    network: Network,
) -> None:
    # a headquarters folder made before migration 11 wrote its operations under CV1: the
    # reference file for CV1 must still leave them out
    hq, cv1 = network.hq, network.casas["CV1"]
    hq.session.store.set_meta("casa_id", "CV1")
    fair = _hq_fair(hq)
    assert hq.session.store.scalar(
        "SELECT casa FROM change_log WHERE entity_id = ?", [fair]) == "CV1"
    sync.import_reference(cv1.session, sync.export_reference(hq.session, "CV1", network.stick).path)
    assert cv1.session.store.get("event", fair) is None


def test_files_refused_one_by_one_the_others_imported(network: Network, tmp_path: Path) -> None:
    hq, cv1, cv2 = network.hq, network.casas["CV1"], network.casas["CV2"]
    _person(cv1, "Uno")
    _person(cv2, "Dos")
    good1 = sync.export_to(cv1.session, network.stick).path
    good2 = sync.export_to(cv2.session, network.stick).path
    garbage = tmp_path / "basura.omasync"
    garbage.write_bytes(b"esto no es un archivo")
    cut = tmp_path / "cortado.omasync"
    cut.write_bytes(good2.read_bytes()[:-10])
    results = sync.import_files(hq.session, [garbage, good1, cut, tmp_path / "no.omasync", good2])
    assert [r.ok for r in results] == [False, True, False, False, True]
    assert "no es un archivo de sincronización de OMA" in (results[0].error or "")
    assert "longitud" in (results[2].error or "")
    assert "no existe" in (results[3].error or "")
    assert results[0].lines()[0].startswith("basura.omasync: RECHAZADO. Se rechazó el archivo")
    assert hq.session.store.scalar("SELECT count(*) FROM person WHERE given_names IN"
                                   " ('Uno', 'Dos')") == 2


def test_a_defect_while_importing_one_file_does_not_stop_the_others(
    network: Network, monkeypatch
) -> None:
    hq = network.hq
    first = sync.export_to(network.casas["CV1"].session, network.stick).path
    second = sync.export_to(network.casas["CV2"].session, network.stick).path
    real = exchange.import_export

    def broken_for_cv1(store, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        if data == first.read_bytes():
            raise RuntimeError("a defect")
        return real(store, data, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(exchange, "import_export", broken_for_cv1)
        results = sync.import_files(hq.session, [first, second])
    assert [r.ok for r in results] == [False, True]
    assert (results[0].error or "").startswith("No se pudo importar por un error interno")
    assert hq.session.store.rows("SELECT casa_id FROM sync_file") == [{"casa_id": "CV2"}]


def test_the_report_of_a_file_names_gaps_conflicts_and_quarantine() -> None:
    report = exchange.ImportReport("0" * 64, casa_id="CV4", applied=1200, skipped=3,
                                   gaps=[(5, 9), (12, 12)], conflicts=2, quarantined=1)
    assert sync.FileImport(Path("f.omasync"), report).lines() == [
        "f.omasync (casa CV4): 1,200 operaciones aplicadas, 3 ya estaban (omitidas).",
        "  Operaciones faltantes: 5–9, 12. Conflictos por revisar: 2. En cuarentena: 1.",
        "  Faltantes: aún no llegaron las operaciones 5–9, 12 de esta PC (falta un archivo"
        " anterior); llegarán en su próximo archivo.",
    ]
    clean = exchange.ImportReport("0" * 64, casa_id="CV4", applied=3)
    assert sync.FileImport(Path("g.omasync"), clean).lines()[1] == (
        "  Operaciones faltantes: ninguna. Conflictos por revisar: 0. En cuarentena: 0.")


def test_an_oversized_file_is_refused_before_it_is_read(network: Network, monkeypatch) -> None:
    path = sync.export_to(network.casas["CV1"].session, network.stick).path
    monkeypatch.setattr(sync, "MAX_FILE_BYTES", path.stat().st_size - 1)
    opened: list[str] = []
    real_open = open

    def spy(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr("builtins.open", spy)
        [item] = sync.import_files(network.hq.session, [path])
    assert not item.ok and "más grande de lo que puede ser" in (item.error or "")
    assert str(path) not in opened
    assert network.hq.session.store.scalar("SELECT count(*) FROM sync_file") == 0


def _full(*_args: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _pulled(*_args: object) -> None:
    raise OSError(errno.EIO, "Input/output error")


@pytest.mark.parametrize("failure", ["replace", "fsync", "missing_folder"])
def test_a_full_or_pulled_stick_leaves_no_file_and_records_nothing(
    network: Network, monkeypatch, failure: str, tmp_path: Path
) -> None:
    cv1 = network.casas["CV1"]
    store = cv1.session.store
    _person(cv1, "Antes")
    out = network.stick / "casa"
    out.mkdir()
    own = store.installation_id
    pending = store.one("SELECT min(seq) AS first, max(seq) AS last, count(*) AS n"
                        " FROM change_log WHERE installation = ?", [own])
    ops_before = store.scalar("SELECT count(*) FROM change_log")
    expected = {"replace": "está lleno", "fsync": "se retiró la memoria USB",
                "missing_folder": "no existe"}[failure]
    if failure == "missing_folder":
        out = tmp_path / "memoria-retirada" / "carpeta"
    with monkeypatch.context() as patch:
        if failure == "replace":
            patch.setattr(os, "replace", _full)
        elif failure == "fsync":
            patch.setattr(os, "fsync", _pulled)
        with pytest.raises(sync.SyncWriteError, match=expected) as caught:
            sync.export_to(cv1.session, out)
    assert "Aquí no se registró nada; el próximo intento llevará los mismos datos." in str(
        caught.value)
    if out.exists():
        assert _files(out) == []  # neither the final name nor a temporary file
    assert store.scalar("SELECT count(*) FROM sync_file") == 0
    assert store.meta(exchange.LAST_EXPORT_META) is None
    assert _audit(cv1, "export") == []
    assert store.scalar("SELECT count(*) FROM change_log") == ops_before
    # the next export carries exactly the same operations
    out.mkdir(parents=True, exist_ok=True)
    done = sync.export_to(cv1.session, out)
    assert (done.from_seq, done.to_seq, done.op_count) == (
        pending["first"], pending["last"], pending["n"])
    assert _files(out) == [done.path.name]


def test_a_file_damaged_on_the_stick_before_read_back_is_removed(network: Network,
                                                                  monkeypatch) -> None:
    cv1 = network.casas["CV1"]
    real_replace = os.replace

    def corrupting(src: str, dst: str) -> None:
        """The stick's controller garbles the last byte."""
        real_replace(src, dst)
        with open(dst, "r+b") as handle:
            handle.seek(-1, 2)
            last = handle.read(1)
            handle.seek(-1, 2)
            handle.write(bytes([last[0] ^ 1]))

    with monkeypatch.context() as patch, pytest.raises(sync.SyncWriteError):
        patch.setattr(os, "replace", corrupting)
        sync.export_to(cv1.session, network.stick)
    assert _files(network.stick, "*.omasync") == []
    assert cv1.session.store.scalar("SELECT count(*) FROM sync_file") == 0


def test_a_file_from_another_network_is_refused(network: Network, tmp_path: Path) -> None:
    """A casa enrolled with another headquarters: its file is refused here even if its key
    was registered (it is encrypted to the other headquarters); the other headquarters'
    reference file is refused at our casa."""
    stick = tmp_path / "otra-usb"
    other_hq = _login(tmp_path / "otra-sede", mode="hq")
    stray = _login(tmp_path / "otra-CV3", casa="CV3")
    try:
        other_enrol = sync.setup_hq(other_hq.session, stick).path
        key = sync.setup_casa(stray.session, other_enrol, stick).path
        sync.register_casa(other_hq.session, key)
        sync.register_casa(network.hq.session, key)
        data = sync.export_to(stray.session, stick).path
        [item] = sync.import_files(network.hq.session, [data])
        assert not item.ok and "no se puede descifrar" in (item.error or "")
        with pytest.raises(SyncKeyError, match="otra sede central"):
            sync.setup_casa(stray.session, network.enrol, stick)
        ref = sync.export_reference(other_hq.session, "CV3", stick).path
        cv1 = network.casas["CV1"]
        with pytest.raises(SyncFileError, match="no lo escribió la sede central"):
            sync.import_reference(cv1.session, ref)
    finally:
        stray.close()
        other_hq.close()


def test_revoked_installation_is_refused_and_told_to_the_casas(network: Network) -> None:
    hq, cv2 = network.hq, network.casas["CV2"]
    data = sync.export_to(cv2.session, network.stick).path
    installation = cv2.session.store.installation_id
    with pytest.raises(Exception, match="Escriba por qué"):
        sync.revoke(hq.session, installation, "  ")
    peer = sync.revoke(hq.session, installation, "PC robada")
    assert peer.revoked_at
    assert "PC robada" in _audit(hq, "sync_revoke")[0]
    [item] = sync.import_files(hq.session, [data])
    assert not item.ok and "revocada" in (item.error or "")
    report = sync.import_reference(network.casas["CV1"].session,
                                   sync.export_reference(hq.session, "CV1", network.stick).path)
    assert report.revoked == [installation]
    assert "La clave de 1 instalación está revocada." in sync.reference_lines(report)


def test_roles_and_modes(network: Network, tmp_path: Path) -> None:
    from acting import act_as

    hq, cv1 = network.hq, network.casas["CV1"]
    with pytest.raises(sync.SyncError, match="se hace en una casa"):
        sync.export_to(hq.session, tmp_path)
    with pytest.raises(sync.SyncError, match="se hace en la sede central"):
        sync.import_files(cv1.session, [])
    with pytest.raises(sync.SyncError, match="no puede ser la sede central"):
        sync.setup_hq(cv1.session, tmp_path)
    with pytest.raises(SyncKeyError, match="no el de la sede central"):
        sync.setup_casa(cv1.session, next(network.stick.glob("oma-CV2-*.omakey")), tmp_path)
    with pytest.raises(SyncKeyError, match="sede central, no el de una casa"):
        sync.register_casa(hq.session, network.enrol)
    act_as(cv1, "recepcion")
    with pytest.raises(PermissionDeniedError, match="sincronizar con la sede central"):
        sync.export_to(cv1.session, tmp_path)
    assert _files(tmp_path, "*.omasync") == []


def test_stale_reference_warning(network: Network) -> None:
    import datetime as dt

    cv1 = network.casas["CV1"]
    assert "aún no recibió" in (sync.reference_warning(cv1.session) or "")
    sync.import_reference(cv1.session, sync.export_reference(
        network.hq.session, "CV1", network.stick).path)
    today = dt.date.today()
    assert sync.reference_warning(cv1.session, today + dt.timedelta(days=30)) is None
    warning = sync.reference_warning(cv1.session, today + dt.timedelta(days=31))
    assert warning == ("Los datos de referencia de la sede central tienen 31 días de"
                       " antigüedad: pida a la sede central un archivo de referencia nuevo.")
    assert sync.reference_warning(network.hq.session) is None


# --- the CLI ---------------------------------------------------------------------------------


def _run(capsys, *argv: object) -> tuple[int, str, str]:
    """``oma-desktop argv`` in this process; the logging it sets up is undone afterwards
    (the app's logger level too, so later tests' caplog sees what it saw before)."""
    import logging

    from oma_desktop.logs import shutdown_logging

    app_logger = logging.getLogger("oma_desktop")
    level = app_logger.level
    try:
        code = cli.main([str(a) for a in argv])
    finally:
        shutdown_logging()
        app_logger.setLevel(level)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_end_to_end_and_every_refusal(tmp_path: Path, capsys) -> None:
    hq, cv1, usb = tmp_path / "sede", tmp_path / "cv1", tmp_path / "usb"
    usb.mkdir()
    code, out, err = _run(capsys, "--data-dir", hq, "setup", "hq", "--out", usb)
    assert code == 0, err
    assert "Huella de la sede central: " in out
    enrol = usb / "oma-sede-central.omakey"
    # a casa that already worked keeps its data: it just gets keys
    code, out, err = _run(capsys, "--data-dir", cv1, "--casa", "CV1", "demo", "--persons", "6",
                          "--seed", "3")
    assert code == 0, err
    code, out, err = _run(capsys, "--data-dir", cv1, "setup", "casa", "--casa", "CV1",
                          "--enrol", enrol, "--out", usb)
    assert code == 0, err
    assert "Huella de esta casa: " in out and "copia de recuperación" in out
    key = next(usb.glob("oma-CV1-*.omakey"))
    code, out, err = _run(capsys, "--data-dir", hq, "register-casa", key)
    assert code == 0 and "casa CV1" in out and "registrada" in out, err
    code, out, err = _run(capsys, "--data-dir", cv1, "export", "--out", usb)
    assert code == 0, err
    assert "Archivo escrito y verificado" in out
    [data] = usb.glob("*.omasync")
    code, out, err = _run(capsys, "--data-dir", hq, "import", data)
    assert code == 0, err
    assert "(casa CV1):" in out and "operaciones aplicadas" in out
    code, out, err = _run(capsys, "--data-dir", hq, "import", data)
    assert code == 0 and "ya importado" in out
    code, out, err = _run(capsys, "--data-dir", hq, "export-reference", "--casa", "CV1",
                          "--out", usb)
    assert code == 0 and "versión 1" in out, err
    [ref] = usb.glob("*.omaref")
    code, out, err = _run(capsys, "--data-dir", cv1, "import-reference", ref)
    assert code == 0 and "versión 1 importados" in out, err

    refusals = [
        # the same reference file again: older than what the casa holds
        ((cv1, "import-reference", ref), 2, "más antiguo"),
        ((hq, "import", ref), 1, "no es un archivo de sincronización de una casa"),
        ((hq, "register-casa", enrol), 1, "sede central, no el de una casa"),
        ((hq, "export", "--out", usb), 2, "se hace en una casa"),
        ((cv1, "import", data), 2, "se hace en la sede central"),
        ((cv1, "setup", "hq", "--out", usb), 2, "no puede ser la sede central"),
        ((hq, "setup", "casa", "--enrol", enrol, "--out", usb), 2,
         "se hace en una casa, y esta instalación es la sede central"),
        ((tmp_path / "nueva", "setup", "casa", "--enrol", enrol, "--out", usb), 1,
         "Indique a qué casa pertenece"),
        ((cv1, "setup", "casa", "--enrol", tmp_path / "falta.omakey", "--out", usb), 2,
         "no existe"),
        ((hq, "export-reference", "--casa", "CV4", "--out", usb), 2,
         "Ninguna instalación de la casa CV4"),
        ((hq, "export-reference", "--casa", "CV9", "--out", usb), 2, "No existe la casa"),
        ((cv1, "export", "--out", tmp_path / "sin-memoria" / "x"), 2, "no existe"),
        ((cv1, "--user", "recepcion.cv1", "export", "--out", usb), 2, "sincronizar"),
    ]
    for (folder, *argv), expected_code, reason in refusals:
        code, out, err = _run(capsys, "--data-dir", folder, *argv)
        assert (code, reason in err) == (expected_code, True), (argv, code, err)
        assert err.startswith("Error: "), err
    assert sorted(p.suffix for p in usb.iterdir()) == [
        ".omakey", ".omakey", ".omaref", ".omasync"]


def test_cli_demo_of_one_casa_builds_only_its_records(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "cv3"
    code, _out, err = _run(capsys, "--data-dir", folder, "--casa", "CV3", "demo",
                           "--persons", "12", "--seed", "2")
    assert code == 0, err
    ctx = _login(folder)
    try:
        store = ctx.session.store
        assert store.rows("SELECT DISTINCT casa_id FROM person") == [{"casa_id": "CV3"}]
        assert store.scalar("SELECT count(*) FROM person") == 12
        assert {r["casa_id"] for r in store.rows("SELECT casa_id FROM consultation")} == {"CV3"}
        # all of it is this PC's own work, so it travels in its sync file
        installations = {r["installation"] for r in store.rows(
            "SELECT DISTINCT installation FROM change_log WHERE entity IN"
            " ('person', 'consultation', 'referral')")}
        assert installations == {store.installation_id}
        station = sync.station(ctx.session)
        assert {r["code"].rsplit("-", 1)[1] for r in store.rows("SELECT code FROM referral")} \
            == {station}
    finally:
        ctx.close()


def test_cli_demo_network(tmp_path: Path, capsys) -> None:
    root = tmp_path / "red"
    code, _out, err = _run(capsys, "demo-network", root, "--persons", "30")
    assert code == 0, err
    assert sorted(p.name for p in root.iterdir()) == [
        "CV1", "CV2", "CV3", "CV4", "CV5", "CV6", "sede-central"]
    hq = _login(root / "sede-central")
    try:
        assert hq.session.store.mode == "hq"
        held = {r["casa_id"]: r["n"] for r in hq.session.store.rows(
            "SELECT casa_id, count(*) AS n FROM person GROUP BY casa_id")}
        assert sorted(held) == ["CV1", "CV2", "CV3", "CV4", "CV5", "CV6"]
        assert hq.session.store.scalar(
            "SELECT count(*) FROM sync_file WHERE direction = 'import'") == 18  # 6 casas x 3
        for casa in held:
            ctx = _login(root / casa)
            try:
                store = ctx.session.store
                assert store.scalar("SELECT count(*) FROM person") == held[casa]
                assert held[casa] == 30 + 2 * 2  # its demo, then two more in rounds 2 and 3
                # headquarters confirmed everything but the casa's last bookkeeping
                assert int(store.meta(exchange.ACKED_META) or 0) > 0
                assert store.scalar("SELECT count(*) FROM sync_file WHERE direction = 'import'"
                                    " AND kind = 'reference'") == 3
                assert "actualizado, ronda 3" in str(store.scalar(
                    "SELECT hours FROM service ORDER BY id LIMIT 1"))
            finally:
                ctx.close()
    finally:
        hq.close()
    code, _out, err = _run(capsys, "demo-network", root, "--persons", "5")
    assert code == 2 and "no está vacía" in err
