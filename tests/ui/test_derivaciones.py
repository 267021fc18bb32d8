"""The Derivaciones screens driven like a clerk: the counter-referral typed like a scanner
(code + Enter), the referral dialog with and without consent, the list's filters, the
directory's filters, the slip preview saved and printed, and the item models."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from kbd import focused, keys, press, wait_active
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from pytestqt.qtbot import QtBot
from roles import open_as

from oma_desktop.core.seed import service_id
from oma_desktop.services import directory
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.services.referrals import (
    ReferralInput,
    change_status,
    create_referral,
    get_referral,
    list_referrals,
)
from oma_desktop.ui.changes import watch_session
from oma_desktop.ui.derivaciones.models import ReferralsModel, ServicesModel
from oma_desktop.ui.derivaciones.outcome_dialog import OutcomeDialog
from oma_desktop.ui.derivaciones.page import ReferralsPage
from oma_desktop.ui.derivaciones.referral_dialog import ReferralDialog
from oma_desktop.ui.derivaciones.slip_preview import SlipPreviewDialog

# the offscreen plugin says this when a dialog with wrapped labels adjusts its size
pytestmark = pytest.mark.qt_log_ignore("^This plugin does not support propagateSizeHints")

SIS = service_id("SIS")
LONG_AGO = dt.datetime.now() - dt.timedelta(days=30)


@pytest.fixture
def coordinator(data_dir: Path) -> Iterator[AppContext]:
    """A coordinator: may refer without consent and edit the directory (issue #9)."""
    context = open_as(data_dir, "coordinacion")
    yield context
    context.close()


def _person(ctx: AppContext, consent: bool = True, given: str = "María José") -> str:
    return register_person(
        ctx.session,
        PersonInput(given_names=given, paternal_surname="Pérez", sex="F", nationality="VE",
                    phone="987654321", birth_date=dt.date(1990, 1, 2), consent_register=True,
                    consent_refer=consent,
                    documents=[DocumentInput(doc_type="PASAPORTE", number="123456789")]),
        dt.date.today(),
    )


def _refer(ctx: AppContext, pid: str, when: dt.datetime | None = None, **kw: object) -> str:
    data = ReferralInput(person_id=pid, service_id=SIS, reason="Afiliación al SIS")
    return create_referral(ctx.session, dataclasses.replace(data, **kw), when)  # type: ignore[arg-type]


# --- counter-referral by code ---------------------------------------------------------------


def test_outcome_typed_like_a_scanner(qtbot: QtBot, ctx: AppContext) -> None:
    pid = _person(ctx)
    rid = _refer(ctx, pid)
    code = get_referral(ctx.session, rid).code
    dialog = OutcomeDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    wait_active(qtbot, dialog)
    assert focused() is dialog.code_edit
    keys(qtbot, focused(), code.lower())  # a scanner types the code and presses Enter
    press(qtbot, Qt.Key.Key_Return)
    assert focused() is dialog.outcome
    press(qtbot, Qt.Key.Key_2)  # «2  No atendida»
    press(qtbot, Qt.Key.Key_Return)
    assert focused() is dialog.feedback
    keys(qtbot, focused(), "No había cupos")
    press(qtbot, Qt.Key.Key_Return)
    view = get_referral(ctx.session, rid)
    assert view.status == "no_atendida"
    assert view.events[-1].feedback == "No había cupos"
    assert dialog.recorded == [code]
    assert "No atendida" in dialog.message.text()
    assert dialog.code_edit.text() == "" and focused() is dialog.code_edit  # next stub


def test_outcome_unknown_code_says_so_in_spanish(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = OutcomeDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    wait_active(qtbot, dialog)
    keys(qtbot, dialog.code_edit, "CV1-2026-999999")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "CV1-2026-999999" in dialog.message.text()
    assert "derivación" in dialog.message.text()
    assert dialog.recorded == []


# --- the referral dialog ----------------------------------------------------------------------


def _choose_sis(qtbot: QtBot, dialog: ReferralDialog) -> None:
    line = dialog.service_combo.lineEdit()
    assert line is not None
    keys(qtbot, line, directory.get_service(dialog.ctx.session, SIS).label)
    assert dialog.service_combo.value() == SIS


def test_referral_with_consent(qtbot: QtBot, ctx: AppContext) -> None:
    pid = _person(ctx)
    dialog = ReferralDialog(ctx, person_id=pid)
    qtbot.addWidget(dialog)
    dialog.show()
    wait_active(qtbot, dialog)
    assert "aceptó" in dialog.consent_label.text()
    assert not dialog.override_widget.isVisible()
    _choose_sis(qtbot, dialog)
    keys(qtbot, dialog.reason_edit, "Afiliación al SIS de su hija")
    dialog.priority_combo.set_value("urgente")
    qtbot.mouseClick(dialog.shared_checks["phone"], Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(dialog.print_requested) as printed:
        qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        assert dialog.result_id is not None
        assert dialog.print_button.isVisible()
        qtbot.keyClick(dialog, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert printed.args == [dialog.result_id]
    view = get_referral(ctx.session, dialog.result_id)
    assert (view.priority, view.reason) == ("urgente", "Afiliación al SIS de su hija")
    assert set(view.shared) == {"name", "document", "phone"}
    assert view.consent_override == ""


def test_referral_without_consent_needs_the_override(qtbot: QtBot,
                                                    coordinator: AppContext) -> None:
    ctx = coordinator
    pid = _person(ctx, consent=False)
    dialog = ReferralDialog(ctx, person_id=pid)
    qtbot.addWidget(dialog)
    dialog.show()
    wait_active(qtbot, dialog)
    assert "NO ha aceptado" in dialog.consent_label.text()
    assert dialog.override_widget.isVisible()
    _choose_sis(qtbot, dialog)
    keys(qtbot, dialog.reason_edit, "Violencia en el hogar")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result_id is None
    assert "no ha dado su consentimiento" in dialog.errors.message("consent_override")
    assert list_referrals(ctx.session) == []

    qtbot.mouseClick(dialog.override_check, Qt.MouseButton.LeftButton)
    assert focused() is dialog.override_edit
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result_id is None and "Escriba" in dialog.errors.message("consent_override")
    keys(qtbot, dialog.override_edit, "Riesgo para la persona")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result_id is not None
    assert get_referral(ctx.session, dialog.result_id).consent_override == "Riesgo para la persona"


# --- the page -----------------------------------------------------------------------------------


def test_page_filters_by_state_and_overdue(qtbot: QtBot, ctx: AppContext) -> None:
    pid = _person(ctx)
    late = _refer(ctx, pid, LONG_AGO)
    fresh = _refer(ctx, pid)
    done = _refer(ctx, pid, LONG_AGO)
    change_status(ctx.session, done, "atendida", "Afiliada")
    watch_session(ctx.session)  # what the main window does: writes reach the page
    page = ReferralsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    tab = page.referrals_tab
    assert tab.status_filter.currentText() == "En espera de resultado (emitidas o entregadas)"
    assert {r.id for r in tab.model.rows()} == {late, fresh}
    tab.status_filter.set_value("")  # «Todos los estados»
    assert tab.model.rowCount() == 3
    assert tab.count_label.text() == "3 derivaciones"

    tab.status_filter.setFocus()
    keys(qtbot, tab.status_filter, "At")  # «Atendida»
    assert tab.status_filter.value() == "atendida"
    assert [r.id for r in tab.model.rows()] == [done]

    tab.status_filter.set_value("_open")
    qtbot.mouseClick(tab.overdue_check, Qt.MouseButton.LeftButton)
    assert [r.id for r in tab.model.rows()] == [late]
    assert "vencida" in tab.model.index(0, 5).data()

    # a change made elsewhere refreshes the list (ChangeHub)
    change_status(ctx.session, late, "cancelada")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0)


def test_page_change_state_with_feedback(qtbot: QtBot, ctx: AppContext) -> None:
    pid = _person(ctx)
    rid = _refer(ctx, pid)
    page = ReferralsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    wait_active(qtbot, page)
    tab = page.referrals_tab
    tab.table.selectRow(0)
    qtbot.keyClick(tab.table, Qt.Key.Key_F4)
    dialog = page.active_dialog
    assert dialog is not None
    dialog.status_combo.set_value("entregada")
    keys(qtbot, dialog.feedback, "Entregada en mano")
    assert dialog.save()
    view = get_referral(ctx.session, rid)
    assert view.status == "entregada" and view.events[-1].feedback == "Entregada en mano"


def test_directory_filters(qtbot: QtBot, ctx: AppContext) -> None:
    page = ReferralsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    tab = page.directory_tab
    everything = tab.model.rowCount()
    assert everything > 10
    tab.topic_filter.set_value("SALUD_SIS")
    names = [r.id for r in tab.model.rows()]
    assert SIS in names and len(names) < everything
    tab.topic_filter.set_value("")
    keys(qtbot, tab.search_edit, "demuna")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    assert tab.model.rows()[0].id == service_id("DEMUNA")


def test_slip_preview_save_and_print(qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> None:
    pid = _person(ctx)
    ids = [_refer(ctx, pid), _refer(ctx, pid)]
    codes = [get_referral(ctx.session, i).code for i in ids]
    dialog = SlipPreviewDialog(ctx, ids, codes)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: len(dialog.images) > 0, timeout=20000)
    assert dialog.images[0].width() > 300 and len(dialog.images) >= 2
    # a preview is not a print: nothing counted yet, so the slips are not copies
    assert [get_referral(ctx.session, i).printed_count for i in ids] == [0, 0]
    saved = dialog.save_as(tmp_path / "boletas")
    assert saved == tmp_path / "boletas.pdf"
    assert saved.read_bytes().startswith(b"%PDF")
    assert [get_referral(ctx.session, i).printed_count for i in ids] == [1, 1]
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "impreso.pdf"))
    dialog.print_to(printer)
    qtbot.waitUntil(lambda: "enviada" in dialog.status.text(), timeout=20000)
    assert (tmp_path / "impreso.pdf").stat().st_size > 1000
    assert [get_referral(ctx.session, i).printed_count for i in ids] == [1, 1]  # once


# --- models ---------------------------------------------------------------------------------------


def test_referrals_model(qtmodeltester, ctx: AppContext) -> None:
    pid = _person(ctx)
    _refer(ctx, pid, LONG_AGO, priority="urgente")
    model = ReferralsModel()
    model.set_rows(list_referrals(ctx.session))
    qtmodeltester.check(model)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "Código", "Persona", "Destino", "Prioridad", "Vence", "Estado"]
    assert model.index(0, 3).data() == "Urgente (72 horas)"
    assert model.index(0, 5).data() == "Emitida (vencida)"


@pytest.mark.parametrize("text", ["", "sis"])
def test_services_model(qtmodeltester, ctx: AppContext, text: str) -> None:
    model = ServicesModel({"SALUD_SIS": "Salud"}, {})
    model.set_rows(directory.search_services(ctx.session, text))
    qtmodeltester.check(model)
    assert model.rowCount() >= 1


# --- where referrals start ---------------------------------------------------------------------


def test_ctrl_d_on_the_people_page_refers_the_person(qtbot: QtBot, window, ctx: AppContext) -> None:
    pid = _person(ctx)
    page = window.open_person(pid)
    assert page.refer_button.isEnabled() and page.refer_button.text() == "Derivar… (Ctrl+D)"
    qtbot.keyClick(page.search_edit, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    dialog = page.active_dialog
    assert isinstance(dialog, ReferralDialog) and dialog.person_id == pid
    qtbot.waitUntil(lambda: focused() is dialog.service_combo)
    _choose_sis(qtbot, dialog)
    keys(qtbot, dialog.reason_edit, "Afiliación")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result_id is not None
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # saved already: Esc closes, no slip
    qtbot.waitUntil(lambda: page.active_dialog is None)
    assert [r.person_id for r in list_referrals(ctx.session)] == [pid]


def test_refer_button_of_the_consultation_form(qtbot: QtBot, ctx: AppContext) -> None:
    from oma_desktop.ui.atencion.consultation_form import ConsultationDialog

    pid = _person(ctx)
    form = ConsultationDialog(ctx, None, person_id=pid)
    qtbot.addWidget(form)
    form.show()
    wait_active(qtbot, form)
    assert form.refer_button.isVisible()
    qtbot.mouseClick(form.refer_button, Qt.MouseButton.LeftButton)
    dialog = form.findChild(ReferralDialog)
    assert dialog is not None and dialog.person_id == pid and dialog.consultation_id is None
    dialog.reject()
    anonymous = ConsultationDialog(ctx, None, anonymous=True)
    qtbot.addWidget(anonymous)
    assert anonymous.refer_button.isHidden()


def test_print_several_selected_at_once(qtbot: QtBot, ctx: AppContext) -> None:
    pid = _person(ctx)
    ids = {_refer(ctx, pid), _refer(ctx, pid), _refer(ctx, pid)}
    page = ReferralsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    wait_active(qtbot, page)
    tab = page.referrals_tab
    # shown, the list has the focus and its first referral is ready for F4 or Ctrl+P
    qtbot.waitUntil(lambda: focused() is tab.table and len(tab.selected_rows()) == 1)
    tab.table.selectAll()
    assert tab.print_selected_button.isEnabled()
    qtbot.keyClick(tab.table, Qt.Key.Key_P,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    preview = page.active_dialog
    assert isinstance(preview, SlipPreviewDialog)
    assert set(preview.referral_ids) == ids
    qtbot.waitUntil(lambda: len(preview.images) >= 3, timeout=20000)
    preview.accept()
    qtbot.waitUntil(lambda: page.active_dialog is None)
    assert {r.id for r in list_referrals(ctx.session)} == ids
    assert all(get_referral(ctx.session, i).printed_count == 0 for i in ids)  # a preview
    preview.save_as(Path(ctx.paths.exports) / "tres.pdf")
    assert all(get_referral(ctx.session, i).printed_count == 1 for i in ids)


def test_directory_edit_dialog(qtbot: QtBot, coordinator: AppContext) -> None:
    ctx = coordinator
    watch_session(ctx.session)
    page = ReferralsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    wait_active(qtbot, page)
    page.tabs.setCurrentIndex(1)
    tab = page.directory_tab
    keys(qtbot, tab.search_edit, "demuna")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    qtbot.keyClick(tab.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = page.active_dialog
    assert dialog is not None and dialog.service_id == service_id("DEMUNA")
    wait_active(qtbot, dialog)
    dialog.edits["phone"].clear()
    keys(qtbot, dialog.edits["phone"], "(01) 315-0100")
    dialog.edits["name"].clear()
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result_id is None
    assert "nombre" in dialog.errors.message("name")
    keys(qtbot, dialog.edits["name"], "DEMUNA de Lima")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    saved = directory.get_service(ctx.session, service_id("DEMUNA"))
    assert (saved.name, saved.phone) == ("DEMUNA de Lima", "(01) 315-0100")
    qtbot.waitUntil(lambda: "(01) 315-0100" in tab.details.text())  # the list refreshed


# --- what the desk is told ---------------------------------------------------------------------


def test_reception_without_consent_is_told_who_may_refer(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = ReferralDialog(ctx, person_id=_person(ctx, consent=False))
    qtbot.addWidget(dialog)
    dialog.show()
    wait_active(qtbot, dialog)
    assert not dialog.override_widget.isVisible()  # recepción may not override
    assert "debe hacerla Coordinación" in dialog.consent_label.text()
    _choose_sis(qtbot, dialog)
    keys(qtbot, dialog.reason_edit, "Control prenatal")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result_id is None
    assert "coordinador" in dialog.errors.message("consent_override")
    assert list_referrals(ctx.session) == []


def test_the_place_shows_and_red_lines_go_as_fields_are_filled(qtbot: QtBot,
                                                                ctx: AppContext) -> None:
    dialog = ReferralDialog(ctx, person_id=_person(ctx))
    qtbot.addWidget(dialog)
    dialog.show()
    wait_active(qtbot, dialog)
    assert not dialog.service_details.isVisible()  # no empty row before a service is chosen
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.errors.message("service_id") and dialog.errors.message("reason")
    _choose_sis(qtbot, dialog)  # the whole name typed: no pick from the list
    assert dialog.errors.message("service_id") == ""
    assert dialog.errors.message("reason")  # still missing
    assert dialog.service_details.isVisible()
    assert "Llevar:" in dialog.service_details.text()  # the directory's requirements for SIS
    keys(qtbot, dialog.reason_edit, "Afiliación")
    assert dialog.errors.message("reason") == "" and dialog.message.text() == ""


def test_f4_to_a_closed_state_says_so_and_selects_the_next(qtbot: QtBot, ctx: AppContext) -> None:
    pid = _person(ctx)
    first, second = _refer(ctx, pid, LONG_AGO), _refer(ctx, pid)
    watch_session(ctx.session)
    page = ReferralsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    wait_active(qtbot, page)
    tab = page.referrals_tab
    qtbot.waitUntil(lambda: [r.id for r in tab.selected_rows()] == [first])
    press(qtbot, Qt.Key.Key_F4)
    dialog = page.active_dialog
    assert dialog is not None
    dialog.status_combo.set_value("atendida")
    assert dialog.save()
    code = get_referral(ctx.session, first).code
    qtbot.waitUntil(lambda: [r.id for r in tab.model.rows()] == [second])
    assert tab.message.text() == f"{code}: ahora «Atendida»."
    assert [r.id for r in tab.selected_rows()] == [second]  # ready for the next F4


def test_actions_without_a_choice_and_empty_lists_say_what_to_do(qtbot: QtBot,
                                                                  ctx: AppContext) -> None:
    page = ReferralsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    wait_active(qtbot, page)
    tab = page.referrals_tab
    assert tab.model.rowCount() == 0
    assert "Ctrl+D" in tab.message.text() and "Atención" in tab.message.text()
    tab.status_filter.set_value("rechazada")
    assert "Todos los estados" in tab.message.text()
    press(qtbot, Qt.Key.Key_F4)
    assert page.active_dialog is None
    assert tab.message.text() == "Primero elija una derivación de la lista (con las flechas o un clic)."


def test_ctrl_d_on_derivaciones_goes_where_the_person_is_found(qtbot: QtBot, window) -> None:
    window.show_page("referrals")
    tab = window.page("referrals").referrals_tab
    assert tab.new_button.text() == "Nueva derivación… (Ctrl+D)"
    qtbot.waitUntil(lambda: focused() is tab.table)
    press(qtbot, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "attention"
