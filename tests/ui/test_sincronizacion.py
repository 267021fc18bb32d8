"""«Sincronización» (issue #10): a casa enrols with a real headquarters key file (the
fingerprint shown, confirmed, the casa's key file written), exports to a folder from the
button, headquarters imports that file and sees it in the history per casa; a conflict is
settled from its table; two casas' same person is linked and unlinked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from acting import act_as
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from oma_desktop.core.actor import Actor
from oma_desktop.services import sync, sync_review
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.sync import exchange as ex
from oma_desktop.ui.sincronizacion import page as page_module
from oma_desktop.ui.sincronizacion.page import SyncPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")
TODAY = dt.date(2026, 12, 1)


def hq_context(folder: Path) -> AppContext:
    """A headquarters folder acting as its administrator (its own account)."""
    context = open_context(folder, mode="hq")
    with context.session.transaction() as tx:
        user = tx.create("app_user", {"username": "sede", "display_name": "Sede central",
                                      "role": "admin_hq", "casa_id": "CV1"})
    context.actor = context.session.actor = Actor(user, "admin_hq", "CV1", "Sede central")
    return context


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[AppContext]:
    context = hq_context(tmp_path / "sede")
    yield context
    context.close()


@pytest.fixture
def hq_key(hq: AppContext, tmp_path: Path) -> Path:
    """Headquarters' key file, written by the sync core on a 'stick'."""
    stick = tmp_path / "usb-sede"
    stick.mkdir()
    return sync.setup_hq(hq.session, stick).path


def casa_context(folder: Path, casa: str) -> AppContext:
    return act_as(open_context(folder, casa=casa), "coordinacion")


def enrol(casa: AppContext, hq: AppContext, hq_key: Path, usb: Path) -> None:
    usb.mkdir(exist_ok=True)
    result = sync.setup_casa(casa.session, hq_key, usb)
    sync.register_casa(hq.session, result.path)


def person(casa: AppContext, given: str, surname: str, document: str = "") -> str:
    return register_person(casa.session, PersonInput(
        given_names=given, paternal_surname=surname, maternal_surname="Pérez", sex="F",
        birth_date=dt.date(1990, 3, 4), nationality="VEN", consent_register=True,
        documents=[DocumentInput("CE", document)] if document else []), TODAY)


def show(qtbot: QtBot, ctx: AppContext) -> SyncPage:
    page = SyncPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366 - 200, 700)
    page.show()
    qtbot.waitExposed(page)
    return page


def wait_task(qtbot: QtBot, page: SyncPage) -> None:
    qtbot.waitUntil(lambda: page.task is None, timeout=20000)


def test_a_casa_enrols_with_headquarters_key_file_after_checking_its_fingerprint(
    qtbot: QtBot, coordinator: AppContext, hq: AppContext, hq_key: Path, tmp_path: Path,
) -> None:
    page = show(qtbot, coordinator)
    assert "todavía no está inscrita" in page.state_label.text()
    assert not page.export_button.isEnabled()
    qtbot.mouseClick(page.enrol_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.ok_button.isEnabled()
    # a casa's key file instead of headquarters' is refused, in Spanish
    other = casa_context(tmp_path / "otra", "CV2")
    usb_other = tmp_path / "usb-otra"
    enrol(other, hq, hq_key, usb_other)
    other.close()
    assert not dialog.choose_key(next(usb_other.glob("*.omakey")))
    assert "no el de la sede central" in dialog.error_label.text()
    assert dialog.choose_key(hq_key)
    hq_fingerprint = sync.own_fingerprint(hq.session)
    assert dialog.fingerprint_label.text() == hq_fingerprint
    assert dialog.who_label.text() == "Sede central"
    assert not dialog.ok_button.isEnabled()  # the fingerprint is not confirmed yet
    qtbot.mouseClick(dialog.confirm_check, Qt.MouseButton.LeftButton)
    assert dialog.confirm_check.isChecked() and not dialog.ok_button.isEnabled()
    usb = tmp_path / "usb-casa"
    usb.mkdir()
    dialog.choose_folder(usb)
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_task(qtbot, page)
    [written] = usb.glob("oma-CV1-*.omakey")
    own = sync.own_fingerprint(coordinator.session)
    assert page.hq_fp_label.text() == hq_fingerprint
    assert page.own_fp_label.text() == own
    assert written.name in page.message.text() and own in page.message.text()
    assert "está inscrita" in page.state_label.text() and page.export_button.isEnabled()
    # headquarters can register what the casa wrote
    assert sync.register_casa(hq.session, written).fingerprint == own


def test_export_button_writes_a_file_that_headquarters_imports_into_its_history(
    qtbot: QtBot, coordinator: AppContext, hq: AppContext, hq_key: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    usb = tmp_path / "usb"
    enrol(coordinator, hq, hq_key, usb)
    person(coordinator, "Yusmary", "Rondón")
    page = show(qtbot, coordinator)
    assert page.last_export_label.text() == "Última exportación: nunca"
    assert "aún no recibió datos de referencia" in page.stale_label.text()
    assert page.stale_label.isVisible()
    monkeypatch.setattr(page_module.QFileDialog, "getExistingDirectory",
                        lambda *_a, **_k: str(usb))
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    wait_task(qtbot, page)
    [exported] = usb.glob("*.omasync")
    assert exported.name in page.message.text()
    assert "no se pierde nada" in page.message.text()
    assert page.last_export_label.text() != "Última exportación: nunca"
    # the status bar's «Última sincronización» comes from the files exchanged
    from oma_desktop.services.status import installation_facts

    assert installation_facts(coordinator.session).last_sync is not None
    assert page.files_model.rowCount() == 1
    assert page.files_model.index(0, 1).data() == exported.name

    hq_page = show(qtbot, hq)
    assert hq_page.history_model.rowCount() == 1
    assert hq_page.history_model.row_object(0).files == 0
    monkeypatch.setattr(page_module.QFileDialog, "getOpenFileNames",
                        lambda *_a, **_k: ([str(exported)], ""))
    qtbot.mouseClick(hq_page.import_button, Qt.MouseButton.LeftButton)
    wait_task(qtbot, hq_page)
    assert hq_page.tabs.currentIndex() == 3
    assert hq_page.results_model.rowCount() == 1 and hq_page.results_model.row_object(0).ok
    line = hq_page.history_model.row_object(0)
    assert (line.casa_id, line.files, line.last_file_name, line.gaps) == (
        "CV1", 1, exported.name, [])
    assert hq_page.history_model.index(0, 0).data() == "Casa Vecinal 1"
    assert hq_page.history_model.index(0, 2).data() == exported.name
    # the same file again: «ya importado», nothing changes
    hq_page.import_files([exported])
    wait_task(qtbot, hq_page)
    assert "ya importado" in hq_page.results_model.index(0, 1).data()
    assert hq_page.history_model.row_object(0).files == 1
    # headquarters answers with the reference data; the casa imports it: no more warning
    back = tmp_path / "usb-vuelta"
    back.mkdir()
    hq_page.export_reference("CV1", back)
    wait_task(qtbot, hq_page)
    [reference] = back.glob("*.omaref")
    assert reference.name in hq_page.message.text()
    page.import_reference(reference)
    wait_task(qtbot, page)
    assert "versión 1" in page.message.text()
    assert page.last_reference_label.text().startswith("Últimos datos de referencia: versión 1")
    assert not page.stale_label.isVisible()
    # headquarters confirmed the whole file: left are only the audit entries written after
    # it (the export's and the reference import's)
    assert page.pending_label.text() == (
        "2 operaciones de esta PC aún no confirmadas por la sede central.")


def _with_conflict(hq: AppContext, hq_key: Path, tmp_path: Path) -> str:
    """Two casas changed the phone of the same person from the same base."""
    cv1, cv2 = casa_context(tmp_path / "cv1", "CV1"), casa_context(tmp_path / "cv2", "CV2")
    try:
        for casa in (cv1, cv2):
            enrol(casa, hq, hq_key, tmp_path / f"usb-{casa.session.casa_id}")
        pid = person(cv1, "Yusmary", "Rondón")
        hq_store = hq.session.store

        def send(casa: AppContext) -> ex.ImportReport:
            data = ex.build_export(casa.session.store, sync.station(casa.session)).data
            return ex.import_export(hq_store, data)

        send(cv1)
        cv2.session.store.apply(cv1.session.store.operations(pid))
        with cv1.session.store.transaction("u") as tx:
            tx.update("person", pid, {"phone": "911111111"})
        with cv2.session.store.transaction("u") as tx:
            tx.update("person", pid, {"phone": "922222222"})
        send(cv1)
        assert send(cv2).conflicts == 1
    finally:
        cv1.close()
        cv2.close()
    return pid


def test_a_conflict_is_settled_from_its_table_keeping_the_other_value(
    qtbot: QtBot, hq: AppContext, hq_key: Path, tmp_path: Path,
) -> None:
    pid = _with_conflict(hq, hq_key, tmp_path)
    page = show(qtbot, hq)
    page.tabs.setCurrentIndex(1)
    assert page.tabs.tabText(1) == "Conflictos por revisar (1)"
    model = page.conflicts_model
    conflict = model.conflict_at(0)
    assert model.index(0, 1).data() == "Yusmary Rondón Pérez"
    assert model.index(0, 2).data() == "Teléfono"
    assert {model.index(0, 3).data(), model.index(0, 5).data()} == {"911111111", "922222222"}
    assert not page.keep_loser_button.isEnabled()
    rect = page.conflicts_view.visualRect(model.index(0, 1))
    qtbot.mouseClick(page.conflicts_view.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.center())
    assert page.keep_loser_button.isEnabled()
    qtbot.keyClicks(page.note_edit, "Confirmado con la persona")
    qtbot.mouseClick(page.keep_loser_button, Qt.MouseButton.LeftButton)
    assert model.rowCount() == 0 and page.tabs.tabText(1) == "Conflictos por revisar (0)"
    assert hq.session.store.get("person", pid)["phone"] == conflict.loser_value
    assert f"queda «{conflict.loser_value}»" in page.message.text()
    [done] = sync_review.conflicts(hq.session, sync_review.REVIEWED)
    assert done.note == "Confirmado con la persona"


def test_the_same_person_at_two_casas_is_linked_and_unlinked(
    qtbot: QtBot, hq: AppContext, hq_key: Path, tmp_path: Path,
) -> None:
    cv1, cv2 = casa_context(tmp_path / "cv1", "CV1"), casa_context(tmp_path / "cv2", "CV2")
    try:
        for casa in (cv1, cv2):
            enrol(casa, hq, hq_key, tmp_path / f"usb-{casa.session.casa_id}")
            person(casa, "María José", "Gonzales", "001234567")
            data = ex.build_export(casa.session.store, sync.station(casa.session)).data
            ex.import_export(hq.session.store, data)
    finally:
        cv1.close()
        cv2.close()
    page = show(qtbot, hq)
    page.tabs.setCurrentIndex(2)  # the search starts when the tab is first shown
    qtbot.waitUntil(lambda: page.pairs_model.rowCount() == 1, timeout=20000)
    assert page.pairs_model.index(0, 1).data() == "CV1"
    assert page.pairs_model.index(0, 3).data() == "CV2"
    assert "Mismo número de documento" in page.pairs_model.index(0, 5).data()
    assert not page.same_button.isEnabled()
    page.pairs_view.selectRow(0)
    qtbot.keyClicks(page.link_note_edit, "Mismo carnet")
    qtbot.mouseClick(page.same_button, Qt.MouseButton.LeftButton)
    assert page.links_model.rowCount() == 1
    assert page.links_model.index(0, 5).data() == "Mismo carnet"
    qtbot.waitUntil(lambda: page.pairs_model.rowCount() == 0, timeout=20000)
    page.links_view.selectRow(0)
    qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
    assert page.links_model.rowCount() == 0
    assert "vuelven a ser dos personas" in page.message.text()
    qtbot.waitUntil(lambda: page.pairs_model.rowCount() == 1, timeout=20000)
    [link] = sync_review.all_links(hq.session, include_undone=True)
    assert not link.active and link.undone_at


def test_a_persons_page_lists_the_link_at_headquarters_and_at_the_casa(
    qtbot: QtBot, hq: AppContext, hq_key: Path, tmp_path: Path,
) -> None:
    from oma_desktop.ui.widgets.person_summary import PersonSummary

    cv1, cv2 = casa_context(tmp_path / "cv1", "CV1"), casa_context(tmp_path / "cv2", "CV2")
    try:
        ids = []
        for casa in (cv1, cv2):
            enrol(casa, hq, hq_key, tmp_path / f"usb-{casa.session.casa_id}")
            ids.append(person(casa, "María José", "Gonzales", "001234567"))
            data = ex.build_export(casa.session.store, sync.station(casa.session)).data
            ex.import_export(hq.session.store, data)
        summary = PersonSummary(hq)
        qtbot.addWidget(summary)
        summary.show()
        summary.show_person(ids[0])
        assert not summary.links_label.isVisible()  # no link yet: no row
        sync_review.merge(hq.session, ids[0], ids[1])
        summary.show_person(ids[0])
        assert summary.links_label.isVisible()
        text = summary.links_label.text()
        assert f"person:{ids[1]}" in text and "(Casa Vecinal 2)" in text
        assert "vinculada por la sede central el" in text
        # the casa receives the link with the reference data; the other record is not held
        ex.import_reference(cv1.session.store, ex.build_reference(hq.session.store, "CV1").data)
        at_casa = PersonSummary(cv1)
        qtbot.addWidget(at_casa)
        at_casa.show()
        at_casa.show_person(ids[0])
        assert at_casa.links_label.isVisible()
        assert "una ficha de otra casa" in at_casa.links_label.text()
    finally:
        cv1.close()
        cv2.close()
