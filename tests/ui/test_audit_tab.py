"""«Registro de accesos» and «Incidentes de seguridad» in Administración (issue #9.4): the
models without a window, the tabs driven with the keyboard and the mouse."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from oma_desktop.core.actor import Actor
from oma_desktop.services import incidents
from oma_desktop.services.audit import AuditRow
from oma_desktop.services.cards import person_card
from oma_desktop.services.context import AppContext
from oma_desktop.services.incidents import Incident, IncidentInput
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.services.session import Session
from oma_desktop.ui.administracion import audit_tab as audit_tab_module
from oma_desktop.ui.administracion import incidents_tab as incidents_tab_module
from oma_desktop.ui.administracion.audit_tab import AuditTab
from oma_desktop.ui.administracion.incidents_tab import IncidentDialog, IncidentsTab, NotifyDialog
from oma_desktop.ui.administracion.log_models import (
    OVERDUE_ROLE,
    AuditLogModel,
    IncidentsModel,
)
from oma_desktop.ui.administracion.page import AdministrationPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")  # offscreen top-level windows

TODAY = dt.date.today()
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _as(ctx: AppContext, role: str) -> AppContext:
    """The context's own account gets ``role`` (logged) and the context acts with it."""
    actor = Actor(ctx.actor.user_id, role, "CV1", "Ana Administradora")
    with ctx.session.transaction() as tx:
        tx.update("app_user", actor.user_id, {"role": role, "display_name": actor.display_name})
    ctx.actor = actor
    ctx.session.actor = actor
    return ctx


def _clerk(ctx: AppContext) -> Session:
    with ctx.session.store.transaction("system") as tx:
        uid = tx.create("app_user", {"username": "rquispe", "display_name": "Rosa Quispe",
                                     "role": "coordinacion", "casa_id": "CV1"})
    return Session(store=ctx.session.store, catalogs=ctx.catalogs,
                   actor=Actor(uid, "coordinacion", "CV1", "Rosa Quispe"))


def _person(session: Session, given: str, number: str) -> str:
    return register_person(session, PersonInput(
        given_names=given, paternal_surname="Pérez", sex="F", nationality="VE",
        birth_date=dt.date(1990, 1, 2), consent_register=True,
        documents=[DocumentInput(doc_type="PASAPORTE", number=number)]), TODAY)


@pytest.fixture
def admin_ctx(ctx: AppContext) -> AppContext:
    return _as(ctx, "admin_casa")


def _row(when: dt.datetime, n: int) -> AuditRow:
    return AuditRow(when=when, user_id="u", user="Rosa", action="view", action_text="Vio",
                    entity="person", entity_text="Persona", entity_id=f"p{n}", person_id=f"p{n}",
                    person_name=f"Persona {n}", detail="", source="audit")


# --- models ---------------------------------------------------------------------------------


def test_the_audit_model_fetches_a_page_at_a_time(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    rows = [_row(dt.datetime(2026, 12, 1, 9, 0), n) for n in range(450)]
    asked: list[tuple[int, int]] = []

    def fetch(offset: int, limit: int) -> list[AuditRow]:
        asked.append((offset, limit))
        return rows[offset:offset + limit]

    model = AuditLogModel(page=200)
    model.set_fetch(fetch)
    assert (model.rowCount(), model.canFetchMore(QModelIndex())) == (200, True)
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert (model.rowCount(), model.canFetchMore(QModelIndex())) == (450, False)
    assert asked == [(0, 200), (200, 200), (400, 200)]
    assert [model.data(model.index(449, c)) for c in range(6)] == [
        "01/12/2026 09:00", "Rosa", "Vio", "Persona", "Persona 449", ""]
    assert model.data(model.index(0, 3), Qt.ItemDataRole.ToolTipRole) == "Id. del registro: p0"
    qtmodeltester.check(model)


def _incident(title: str, detected: dt.datetime, status: str = "abierto") -> Incident:
    return Incident(id=title, casa_id="CV1", detected_at=detected, reported_by="u",
                    reported_by_name="Ana", title=title, description="", data_affected="",
                    persons_affected=None, measures="", notified_at=None, notified_to="",
                    status=status, closed_at=None)


def test_the_incidents_model_marks_the_overdue(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime(2026, 12, 2, 9, 0)
    model = IncidentsModel()
    model.set_rows([_incident("USB perdido", now - dt.timedelta(hours=49)),
                    _incident("Clave anotada", now - dt.timedelta(hours=2)),
                    _incident("Correo", now - dt.timedelta(hours=90), "cerrado")], now)
    assert [model.data(model.index(r, 1)) for r in range(3)] == [
        "02/12/2026 08:00 (vencido)", "04/12/2026 07:00", "—"]
    assert [model.data(model.index(r, 0), OVERDUE_ROLE) for r in range(3)] == [
        True, False, False]
    assert model.data(model.index(0, 4)) == "no se sabe"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(1, 0), Qt.ItemDataRole.BackgroundRole) is None
    qtmodeltester.check(model)
    late = dataclasses.replace(_incident("Laptop", now - dt.timedelta(hours=80), "notificado"),
                               notified_at=now - dt.timedelta(hours=20), notified_to="ANPD")
    in_time = dataclasses.replace(late, notified_at=now - dt.timedelta(hours=60))
    model.set_rows([late, in_time], now)
    assert [model.data(model.index(r, 5)) for r in range(2)] == [
        "ANPD, 01/12/2026 13:00 (fuera de plazo)", "ANPD, 29/11/2026 21:00"]


# --- the audit tab --------------------------------------------------------------------------


def _shown(tab: AuditTab) -> list[tuple[str, str, str]]:
    model = tab.model
    return [(model.data(model.index(r, 2)), model.data(model.index(r, 3)),
             model.data(model.index(r, 4))) for r in range(model.rowCount())
            if model.data(model.index(r, 3)) != "Consentimiento"]


def test_the_filters_narrow_the_log(qtbot: QtBot, admin_ctx: AppContext, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    clerk = _clerk(admin_ctx)
    ana = _person(clerk, "Ana", "111111111")
    _person(clerk, "Luis", "222222222")
    person_card(clerk, ana)
    tab = AuditTab(admin_ctx)
    qtbot.addWidget(tab)
    tab.resize(1200, 700)
    tab.show()
    qtbot.waitExposed(tab)
    everything = _shown(tab)
    assert everything[0] == ("Vio", "Persona", "Ana Pérez")
    assert ("Creó", "Persona", "Luis Pérez") in everything

    # a person found by name with the desk's search, Enter picks the first match
    qtbot.keyClicks(tab.person_edit, "ana perez")
    qtbot.keyClick(tab.person_edit, Qt.Key.Key_Return)
    assert tab.person_combo.currentText() == "Ana Pérez — Pasaporte 111111111"
    assert {p for _a, _k, p in _shown(tab)} == {"Ana Pérez"}
    # the action: only views
    tab.action_combo.setCurrentIndex(tab.action_combo.findData("view"))
    assert _shown(tab) == [("Vio", "Persona", "Ana Pérez")]
    # clearing brings everything back; the kind of record keeps only documents
    qtbot.mouseClick(tab.clear_button, Qt.MouseButton.LeftButton)
    assert _shown(tab) == everything
    tab.kind_combo.setCurrentIndex(tab.kind_combo.findData("document"))
    assert sorted(_shown(tab)) == [("Creó", "Documento", "Ana Pérez"),
                                   ("Creó", "Documento", "Luis Pérez")]
    # the user: the admin did none of it
    tab.kind_combo.setCurrentIndex(0)
    tab.user_combo.setCurrentIndex(tab.user_combo.findData(admin_ctx.actor.user_id))
    assert _shown(tab) == []
    assert tab.status.text() == "No hay entradas con estos filtros."
    # the dates: nothing before today
    tab.user_combo.setCurrentIndex(0)
    tab.until_edit.setDate(tab.until_edit.date().addDays(-1))
    assert _shown(tab) == []
    # someone nobody matches says so
    tab.until_edit.setDate(tab.until_edit.date().addDays(1))
    tab.person_edit.clear()
    qtbot.keyClicks(tab.person_edit, "Zacarias")
    qtbot.keyClick(tab.person_edit, Qt.Key.Key_Return)
    assert tab.status.text() == "Nadie coincide con «Zacarias»."
    assert _shown(tab) == everything


def test_export_writes_the_filtered_log(qtbot: QtBot, admin_ctx: AppContext, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    clerk = _clerk(admin_ctx)
    ana = _person(clerk, "Ana", "111111111")
    person_card(clerk, ana)
    target = tmp_path / "registro.csv"
    monkeypatch.setattr(audit_tab_module, "ask_csv_path", lambda _parent, _suggested: target)
    tab = AuditTab(admin_ctx)
    qtbot.addWidget(tab)
    tab.show()
    tab.action_combo.setCurrentIndex(tab.action_combo.findData("view"))
    qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.handle is None and target.exists())
    with target.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert [line[1:4] + line[5:6] for line in lines[2:]] == [
        ["Rosa Quispe", "Vio", "Persona", "Ana Pérez"]]
    assert tab.status.text() == f"Registro de accesos guardado en {target}."
    # the export itself is in the log
    tab.action_combo.setCurrentIndex(tab.action_combo.findData("export"))
    assert _shown(tab) == [("Exportó", "—", "—")]


def test_only_administrators_see_the_tabs(qtbot: QtBot, ctx: AppContext) -> None:
    page = AdministrationPage(ctx)  # the seeded account: recepción
    qtbot.addWidget(page)
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == ["Datos de la casa"]
    _as(ctx, "admin_casa")
    page = AdministrationPage(ctx)
    qtbot.addWidget(page)
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())][:3] == [
        "Datos de la casa", "Registro de accesos", "Incidentes de seguridad"]  # others follow


def test_a_tab_opened_by_another_role_says_why_it_is_empty(qtbot: QtBot, ctx: AppContext) -> None:
    tab = AuditTab(ctx)
    qtbot.addWidget(tab)
    tab.show()
    assert not tab.table.isEnabled() and tab.model.rowCount() == 0
    assert tab.status.text().startswith("Su rol (Recepción) no le permite ver el registro")


# --- the incidents tab ----------------------------------------------------------------------


def test_register_notify_and_close_an_incident(
    qtbot: QtBot, admin_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = dt.datetime.now().replace(second=0, microsecond=0)
    old = incidents.register_incident(admin_ctx.session, IncidentInput(
        title="USB perdido", detected_at=now - dt.timedelta(hours=50)), now)
    tab = IncidentsTab(admin_ctx)
    tab.now = now
    qtbot.addWidget(tab)
    tab.resize(1200, 700)
    tab.show()
    qtbot.waitExposed(tab)
    assert tab.model.rowCount() == 1 and tab.model.data(tab.model.index(0, 0), OVERDUE_ROLE)

    qtbot.mouseClick(tab.register_button, Qt.MouseButton.LeftButton)
    dialog = tab.findChild(IncidentDialog)
    assert dialog is not None
    qtbot.keyClicks(dialog.persons_edit, "-3")
    assert not dialog.save()  # no title, negative persons: said beside the fields
    assert dialog.isVisible()
    assert "negativo" in dialog.errors._fields["persons_affected"][1].text()
    assert dialog.errors._fields["title"][1].text().startswith("Escriba un título")
    qtbot.keyClicks(dialog.title_edit, "Clave anotada en un papel")
    dialog.persons_edit.clear()
    qtbot.keyClicks(dialog.persons_edit, "0")
    qtbot.keyClicks(dialog.description_edit, "En el mostrador")
    assert dialog.save()
    new = dialog.incident_id
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2)
    titles = [tab.model.data(tab.model.index(r, 3)) for r in range(2)]
    assert titles == ["USB perdido", "Clave anotada en un papel"]  # overdue first

    # mark the overdue one notified
    tab.table.selectRow(0)
    assert tab.notify_button.isEnabled()
    qtbot.mouseClick(tab.notify_button, Qt.MouseButton.LeftButton)
    notify = tab.findChild(NotifyDialog)
    assert notify is not None and notify.incident.id == old
    assert notify.save()
    found = incidents.get_incident(admin_ctx.session, old)
    assert (found.status, found.notified_to) == (
        "notificado", "Autoridad Nacional de Protección de Datos Personales (ANPD)")
    qtbot.waitUntil(lambda: tab.model.data(tab.model.index(tab.model.row_of(old), 2))
                    == "Notificado")

    # close the new one after confirming
    asked: list[str] = []
    monkeypatch.setattr(incidents_tab_module, "confirm",
                        lambda _parent, text: asked.append(text) or True)
    tab.table.selectRow(tab.model.row_of(new))
    qtbot.mouseClick(tab.close_button, Qt.MouseButton.LeftButton)
    assert asked and asked[0].startswith("¿Cerrar el incidente «Clave anotada")
    assert "No se notificó" in asked[0]
    assert [i.status for i in incidents.list_incidents(admin_ctx.session, now)] == [
        "notificado", "cerrado"]
    assert tab.current().id == new and not tab.close_button.isEnabled()  # type: ignore[union-attr]


def test_screens_at_1366x768(qtbot: QtBot, admin_ctx: AppContext) -> None:
    """Both tabs (and the register form) rendered for a look (build/screenshots)."""
    clerk = _clerk(admin_ctx)
    person_card(clerk, _person(clerk, "Ana", "111111111"))
    now = dt.datetime.now().replace(second=0, microsecond=0)
    incidents.register_incident(admin_ctx.session, IncidentInput(
        title="USB con la lista de llamadas extraviado", detected_at=now - dt.timedelta(hours=60),
        description="Se perdió en el bus", persons_affected=85), now)
    page = AdministrationPage(admin_ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    qtbot.waitExposed(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for index, name in ((1, "admin-registro-accesos"), (2, "admin-incidentes")):
        page.tabs.setCurrentIndex(index)
        qtbot.wait(10)
        assert page.grab().save(str(SHOTS / f"{name}.png"))
    incidents_tab = page.tabs.widget(2)
    assert isinstance(incidents_tab, IncidentsTab)
    dialog = incidents_tab.register()
    qtbot.waitExposed(dialog)
    assert dialog.grab().save(str(SHOTS / "admin-incidente-registrar.png"))
    dialog.reject()


def test_printing_a_list_is_recorded(qtbot: QtBot, ctx: AppContext,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QWidget

    from oma_desktop.printing.sheets import PrintDocument, PrintSection
    from oma_desktop.ui.widgets import sheet_export

    opened: list[Path] = []
    monkeypatch.setattr(sheet_export, "open_file", lambda path: opened.append(path) or True)
    document = PrintDocument(title="Hoja del día", subtitle="Casa Vecinal 1", sections=[
        PrintSection("Atenciones", ["Persona"], [["Ana Pérez"]])])
    host = QWidget()
    qtbot.addWidget(host)
    actions = sheet_export.SheetActions(host, ctx, lambda: (lambda _s: ([], document)),
                                        lambda: "hoja-del-dia")
    with qtbot.waitSignal(actions.done, timeout=10000):
        actions.print_sheet()
    assert [p.name for p in opened] == ["hoja-del-dia.pdf"]
    [entry] = ctx.session.store.rows("SELECT * FROM audit_entry")
    assert (entry["action"], entry["user_id"], entry["detail"]) == (
        "print", ctx.session.user_id, "Hoja del día (hoja-del-dia.pdf)")


def test_opening_a_consultation_is_recorded_once(qtbot: QtBot, ctx: AppContext) -> None:
    from oma_desktop.services.consultations import ConsultationInput, record_consultation
    from oma_desktop.ui.atencion.consultation_form import ConsultationDialog

    pid = _person(ctx.session, "Ana", "111111111")
    cid = record_consultation(ctx.session, ConsultationInput(
        person_id=pid, occurred_at=dt.datetime(2026, 11, 27, 10, 30), topics=["SALUD_SIS"],
        summary="SIS"), dt.datetime(2026, 11, 27, 10, 30))
    for _ in range(2):  # opened, closed and opened again at once: one opening
        dialog = ConsultationDialog(ctx, None, consultation_id=cid)
        qtbot.addWidget(dialog)
        dialog.reject()
    rows = ctx.session.store.rows("SELECT * FROM audit_entry")
    assert [(r["action"], r["entity"], r["entity_id"], r["person_id"], r["user_id"])
            for r in rows] == [("view", "consultation", cid, pid, ctx.session.user_id)]
