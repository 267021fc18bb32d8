"""The Personas page, MainWindow.open_person and the Archivo → Importar personas… entry."""

from __future__ import annotations

import datetime as dt
import sys
import types
from typing import Any

import pytest
from kbd import keys, press, wait_active
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from oma_desktop.services.consultations import (
    ConsultationInput,
    load_consultation,
    record_consultation,
)
from oma_desktop.services.context import AppContext
from oma_desktop.services.households import add_member, ensure_household
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.ui.atencion.consultation_form import ConsultationDialog
from oma_desktop.ui.main_window import MainWindow
from oma_desktop.ui.pages import PAGES, PageSpec
from oma_desktop.ui.people_page import PeoplePage

CTRL = Qt.KeyboardModifier.ControlModifier


def _person(ctx: AppContext, given: str, surname: str, **extra: Any) -> str:
    values: dict[str, Any] = dict(given_names=given, paternal_surname=surname, sex="F",
                                  nationality="VE", consent_register=True)
    values.update(extra)
    return register_person(ctx.session, PersonInput(**values))


@pytest.fixture
def rojas(ctx: AppContext) -> dict[str, str]:
    """A household with a consultation history."""
    today = dt.date.today()
    mother = _person(
        ctx, "Génesis", "Rojas", maternal_surname="Pérez", birth_date=dt.date(1990, 4, 12),
        phone="912345678", whatsapp="912345678", district_ubigeo="150132",
        migratory_status="en_tramite", regularization_stage="cita", vulnerabilities={"vuln_pregnant"},
        documents=[DocumentInput(doc_type="CE", number="001234567",
                                 expiry_date=today - dt.timedelta(days=3)),
                   DocumentInput(doc_type="PASAPORTE", number="123456789",
                                 expiry_date=today + dt.timedelta(days=900))],
    )
    son = _person(ctx, "Mateo", "Rojas", sex="M", birth_date=dt.date(2016, 1, 5))
    household = ensure_household(ctx.session, mother)
    add_member(ctx.session, household, son, "hijo")
    first = record_consultation(
        ctx.session, ConsultationInput(person_id=mother, topics=["SALUD_SIS"], summary="Afiliación al SIS",
                          occurred_at=dt.datetime(2026, 1, 10, 9, 30)),
    )
    second = record_consultation(
        ctx.session,
        ConsultationInput(person_id=mother, topics=["EDUCACION_VACANTE"], summary="Vacante escolar",
                          occurred_at=dt.datetime(2026, 2, 3, 11, 0)),
    )
    return {"mother": mother, "son": son, "first": first, "second": second}


def _people(window: MainWindow) -> PeoplePage:
    page = window.page("people")
    assert isinstance(page, PeoplePage)
    return page


@pytest.mark.usefixtures("coordinator")
def test_open_person_shows_the_record_and_timeline(
    qtbot: QtBot, window: MainWindow, rojas: dict[str, str]
) -> None:
    page = window.open_person(rojas["mother"])
    assert isinstance(page, PeoplePage)
    assert window.current_key() == "people"
    assert page.selected_person_id() == rojas["mother"]
    assert page.search_edit.text() == "Génesis Rojas Pérez"
    summary = page.summary
    assert summary.name_label.text() == "Génesis Rojas Pérez"
    assert "Mujer" in summary.facts_label.text() and "Venezuela" in summary.facts_label.text()
    documents = summary.documents_label.text()
    assert "CE 001234567" in documents and "venció el" in documents  # expired, in red
    assert "Pasaporte 123456789" in documents and "vence el" in documents
    assert "912345678" in summary.contact_label.text()
    assert "también WhatsApp" in summary.contact_label.text()
    assert "San Juan de Lurigancho" in summary.district_label.text()
    assert "Mateo Rojas" in summary.household_label.text()
    assert "Regularización en trámite" in summary.situation_label.text()
    assert "Con cita en Migraciones" in summary.situation_label.text()
    assert "Gestante" in summary.needs_label.text()
    entries = summary.timeline_model.entries()
    consultations = [e for e in entries if e.kind == "consultation"]
    assert [e.ref_id for e in consultations] == [rojas["second"], rojas["first"]]  # newest first
    assert "Vacante escolar" in consultations[0].detail
    assert {"registered", "document", "household"} <= {e.kind for e in entries}
    assert page.edit_button.isEnabled() and page.new_consultation_button.isEnabled()
    assert page.edit_button.text() == "Editar datos (Ctrl+E)"
    assert page.new_person_button.text() == "Nueva persona (Ctrl+N)"


def test_show_person_unknown(window: MainWindow) -> None:
    page = window.show_page("people")
    assert isinstance(page, PeoplePage)
    assert not page.show_person("no-such-person")
    assert page.message_label.text() == (
        "Esa persona no está en la base de datos (quizá fue eliminada)."
    )


def test_search_and_household_link(qtbot: QtBot, window: MainWindow, rojas: dict[str, str]) -> None:
    page = window.show_page("people")
    assert isinstance(page, PeoplePage)
    qtbot.waitUntil(lambda: page.search_edit.hasFocus())
    keys(qtbot, page.search_edit, "rojas")
    press(qtbot, Qt.Key.Key_Down)
    assert page.model.rowCount() == 2
    assert page.summary.person_id() == page.selected_person_id()
    page.summary.household_label.linkActivated.emit(f"person:{rojas['son']}")
    assert page.selected_person_id() == rojas["son"]
    assert page.summary.name_label.text() == "Mateo Rojas"


@pytest.mark.usefixtures("coordinator")
def test_double_click_on_a_consultation_edits_it(
    qtbot: QtBot, ctx: AppContext, window: MainWindow, rojas: dict[str, str]
) -> None:
    page = window.open_person(rojas["mother"])
    assert isinstance(page, PeoplePage)
    view = page.summary.timeline_view
    model = page.summary.timeline_model
    row = next(r for r, e in enumerate(model.entries()) if e.ref_id == rojas["first"])
    index = model.index(row, 0)
    view.scrollTo(index)
    rect = view.visualRect(index)
    # a real double click: press, release, then the second press arriving as a double click
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.active_dialog is None  # a single click opens nothing
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = page.active_dialog
    assert isinstance(dialog, ConsultationDialog)
    assert dialog.consultation_id == rojas["first"]
    wait_active(qtbot, dialog)
    assert dialog.summary_edit.toPlainText() == "Afiliación al SIS"
    dialog.summary_edit.selectAll()
    keys(qtbot, dialog.summary_edit, "Afiliación al SIS (pendiente de DNI del hijo)")
    press(qtbot, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    assert load_consultation(ctx.session, rojas["first"]).summary == (
        "Afiliación al SIS (pendiente de DNI del hijo)"
    )
    assert ctx.session.store.scalar("SELECT count(*) FROM consultation") == 2
    detail = next(e.detail for e in page.summary.timeline_model.entries() if e.ref_id == rojas["first"])
    assert "pendiente de DNI" in detail
    assert page.selected_person_id() == rojas["mother"]


def test_timeline_entries_other_than_consultations_open_nothing(
    qtbot: QtBot, window: MainWindow, rojas: dict[str, str]
) -> None:
    page = window.open_person(rojas["mother"])
    assert isinstance(page, PeoplePage)
    model = page.summary.timeline_model
    row = next(r for r, e in enumerate(model.entries()) if e.kind == "registered")
    page.summary.timeline_view.activated.emit(model.index(row, 0))
    assert page.active_dialog is None


def test_ctrl_e_edits_the_person(
    qtbot: QtBot, ctx: AppContext, window: MainWindow, rojas: dict[str, str]
) -> None:
    from oma_desktop.ui.personas.person_form import PersonDialog

    page = window.open_person(rojas["mother"])
    assert isinstance(page, PeoplePage)
    page.table.setFocus()
    press(qtbot, Qt.Key.Key_E, CTRL)
    dialog = page.active_dialog
    assert isinstance(dialog, PersonDialog)
    assert dialog.person_id == rojas["mother"]
    wait_active(qtbot, dialog)
    dialog.phone.selectAll()
    keys(qtbot, dialog.phone, "987654321")
    press(qtbot, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    row = ctx.session.store.get("person", rojas["mother"])
    assert row is not None and row["phone"] == "987654321"
    assert "987654321" in page.summary.contact_label.text()
    assert page.message_label.text() == "Datos guardados."
    assert page.model.data(page.model.index(0, page.model.COL_PHONE)) == "987654321"


def test_f2_and_ctrl_n_on_the_people_page(
    qtbot: QtBot, ctx: AppContext, window: MainWindow, rojas: dict[str, str]
) -> None:
    page = window.open_person(rojas["son"])
    assert isinstance(page, PeoplePage)
    page.table.setFocus()
    press(qtbot, Qt.Key.Key_F2)
    dialog = page.active_dialog
    assert isinstance(dialog, ConsultationDialog) and dialog.person_id == rojas["son"]
    dialog.reject()
    qtbot.waitUntil(lambda: page.active_dialog is None)
    wait_active(qtbot, window)

    opened: list[dict[str, Any]] = []

    class StandIn(QDialog):
        def __init__(self, ctx: AppContext, parent: QWidget | None = None, **kwargs: Any) -> None:
            super().__init__(parent)
            opened.append(kwargs)
            self.result_person_id: str | None = None

    page.person_dialog_factory = StandIn
    page.search_edit.setFocus()
    page.search_edit.selectAll()
    keys(qtbot, page.search_edit, "Nuevo Vecino")
    press(qtbot, Qt.Key.Key_N, CTRL)
    assert opened == [{"initial_text": "Nuevo Vecino"}]
    stand_in = page.active_dialog
    assert stand_in is not None
    stand_in.result_person_id = _person(ctx, "Nuevo", "Vecino")  # type: ignore[attr-defined]
    stand_in.accept()
    qtbot.waitUntil(lambda: page.active_dialog is None)
    assert page.summary.name_label.text() == "Nuevo Vecino"


class _Requester(QWidget):
    person_requested = Signal(str)

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()


def test_any_page_can_ask_for_a_person(qtbot: QtBot, ctx: AppContext, rojas: dict[str, str]) -> None:
    people = next(spec for spec in PAGES if spec.key == "people")
    pages = (PageSpec("follow_up", "Follow-up", PAGES[0].icon, "Ctrl+1", _Requester), people)
    win = MainWindow(ctx, pages)
    qtbot.addWidget(win)
    win.show()
    requester = win.page("follow_up")
    assert isinstance(requester, _Requester)
    requester.person_requested.emit(rojas["son"])
    assert win.current_key() == "people"
    assert _people(win).selected_person_id() == rojas["son"]
    win.close()


# QMessageBox fits its size after it is shown, which the headless test platform reports
@pytest.mark.qt_log_ignore("does not support propagateSizeHints")
def test_import_menu_when_the_importer_is_missing(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "oma_desktop.ui.importer.dialog", None)  # import fails
    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions()]
    assert texts[0] == "&Importar personas…"
    assert "&Salir" in texts
    window.import_action.trigger()
    box = window.findChild(QMessageBox)
    assert box is not None
    qtbot.waitExposed(box)
    assert box.windowTitle() == "Importar personas"
    assert "no está disponible" in box.text()
    box.accept()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox) is None)


def test_import_menu_opens_the_importer(
    window: MainWindow, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[object, object]] = []
    fake = types.ModuleType("oma_desktop.ui.importer.dialog")
    fake.open_import_dialog = lambda c, parent: calls.append((c, parent))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "oma_desktop.ui.importer.dialog", fake)
    package = "oma_desktop.ui.importer"
    if package not in sys.modules:
        monkeypatch.setitem(sys.modules, package, types.ModuleType(package))
    window.import_action.trigger()
    assert calls == [(ctx, window)]


def test_import_menu_opens_the_real_import_wizard(qtbot: QtBot, window: MainWindow) -> None:
    from oma_desktop.ui.importer.dialog import ImportWizard

    window.import_action.trigger()
    wizard = window.findChild(ImportWizard)
    assert wizard is not None
    qtbot.waitExposed(wizard)
    assert wizard.isModal() or wizard.windowModality() != Qt.WindowModality.NonModal
    wizard.reject()
    qtbot.waitUntil(lambda: window.findChild(ImportWizard) is None)
