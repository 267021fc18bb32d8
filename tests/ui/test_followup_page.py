"""Seguimiento: the queue model and the page (filters, Enter opens, mark as done)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from kbd import focused, press, type_text, wait_active
from pypdf import PdfReader
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush
from pytestqt.qtbot import QtBot

from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.followup import (
    ALL_CASAS,
    DUE_ALL,
    DUE_OVERDUE,
    DUE_WEEK,
    QueueItem,
    calls_for_person,
    follow_ups_due,
)
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.ui.seguimiento.call_dialog import CallDialog
from oma_desktop.ui.seguimiento.model import (
    COL_CALLS,
    COL_DAYS,
    COL_DETAIL,
    COL_DUE,
    COL_KIND,
    COL_PERSON,
    COL_PHONE,
    OVERDUE_COLOR,
    PERSON_ID_ROLE,
    SOON_COLOR,
    URGENCY_OVERDUE,
    URGENCY_ROLE,
    URGENCY_SOON,
    FollowUpModel,
    days_text,
)
from oma_desktop.ui.seguimiento.page import (
    FILTER_ALL,
    FILTER_DOCUMENTS_30,
    FILTER_DOCUMENTS_60,
    FILTER_FOLLOW_UPS,
    FollowUpPage,
    load_queue,
)
from oma_desktop.ui.widgets import sheet_export

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 12, 0)


def _person(ctx: AppContext, given: str, phone: str = "", docs: list[DocumentInput] | None = None) -> str:
    return register_person(
        ctx.session, PersonInput(given_names=given, paternal_surname="Rojas", sex="F", nationality="VE",
                    phone=phone, consent_register=True, documents=docs or []),
        TODAY,
    )


def _consult(ctx: AppContext, pid: str, follow: dt.date, topics: list[str] | None = None) -> str:
    return record_consultation(
        ctx.session, ConsultationInput(person_id=pid, occurred_at=dt.datetime(2026, 11, 10, 10),
                          topics=topics or ["SALUD_SIS"], follow_up_date=follow), NOW,
    )


def _days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def people(ctx: AppContext) -> dict[str, str]:
    """Ana: follow-up 2 days late; Bea: follow-up in 3 days; Cira: CPP expiring in 20 days;
    Dina: PTP expiring in 45 days; Eva: CE expired 5 days ago; Flor: follow-up far ahead."""
    ids = {
        "ana": _person(ctx, "Ana", "987654321"),
        "bea": _person(ctx, "Bea", "912345678"),
        "cira": _person(ctx, "Cira", docs=[DocumentInput("CPP", "12345", expiry_date=_days(20))]),
        "dina": _person(ctx, "Dina", docs=[DocumentInput("PTP", "P-77", expiry_date=_days(45))]),
        "eva": _person(ctx, "Eva", docs=[DocumentInput("CE", "001122", expiry_date=_days(-5))]),
        "flor": _person(ctx, "Flor"),
    }
    ids["ana_fu"] = _consult(ctx, ids["ana"], _days(-2))
    ids["bea_fu"] = _consult(ctx, ids["bea"], _days(3), ["SALUD_SIS"])
    ids["flor_fu"] = _consult(ctx, ids["flor"], _days(40))
    return ids


@pytest.fixture
def page(qtbot: QtBot, ctx: AppContext, people: dict[str, str]) -> FollowUpPage:
    widget = FollowUpPage(ctx, today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.resize(1180, 640)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _column(page: FollowUpPage, column: int) -> list[str]:
    proxy = page.proxy
    return [proxy.index(row, column).data() for row in range(proxy.rowCount())]


def _row_of(page: FollowUpPage, name: str) -> int:
    return _column(page, COL_PERSON).index(name)


# --- model ---------------------------------------------------------------------------


def _items() -> list[QueueItem]:
    return [
        QueueItem("follow_up", _days(-3), "p1", "Ana Rojas", "987654321", "c1", '["SALUD_SIS"]'),
        QueueItem("follow_up", TODAY, "p2", "Bea Rojas", "", "c2", '["SALUD_SIS"]'),
        QueueItem("document", _days(5), "p3", "Cira Rojas", "", "d1", "CPP 12345"),
        QueueItem("document", _days(-1), "p4", "Dina Rojas", "", "d2", "CE 001122"),
        QueueItem("document", _days(40), "p5", "Eva Rojas", "", "d3", "PTP P-77"),
    ]


def test_model_passes_the_model_tester(qtmodeltester, ctx: AppContext) -> None:
    model = FollowUpModel(ctx.catalogs)
    qtmodeltester.check(model)
    model.set_items(_items(), TODAY)
    qtmodeltester.check(model)
    model.set_items([], TODAY)
    qtmodeltester.check(model)


def test_model_texts_in_spanish(ctx: AppContext) -> None:
    model = FollowUpModel(ctx.catalogs)
    model.set_items(_items(), TODAY)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Fecha", "Días", "Tipo", "Persona", "Teléfono", "Detalle", "Llamadas"]

    def cell(row: int, column: int) -> str:
        return model.index(row, column).data()

    assert cell(0, COL_DUE) == "24/11/2026"
    assert [cell(r, COL_DAYS) for r in range(5)] == ["hace 3 días", "hoy", "en 5 días", "ayer",
                                                      "en 40 días"]
    assert [cell(r, COL_KIND) for r in range(5)] == [
        "Seguimiento", "Seguimiento", "Documento por vencer", "Documento vencido",
        "Documento por vencer"]
    assert cell(0, COL_PERSON) == "Ana Rojas" and cell(0, COL_PHONE) == "987654321"
    assert cell(0, COL_DETAIL) == "Salud y afiliación al SIS"
    assert cell(2, COL_DETAIL) == "CPP 12345"
    assert model.index(2, 0).data(Qt.ItemDataRole.ToolTipRole).splitlines()[1] == (
        "CPP 12345 vence el 02/12/2026 (en 5 días).")
    assert model.index(0, COL_PERSON).data(PERSON_ID_ROLE) == "p1"


def test_days_text_plurals() -> None:
    assert days_text(-1) == "ayer" and days_text(-2) == "hace 2 días"
    assert days_text(1) == "mañana" and days_text(2) == "en 2 días"


def test_urgency_colours_come_from_roles(ctx: AppContext) -> None:
    model = FollowUpModel(ctx.catalogs)
    model.set_items(_items(), TODAY)
    urgencies = [model.index(r, 0).data(URGENCY_ROLE) for r in range(5)]
    assert urgencies == [URGENCY_OVERDUE, URGENCY_SOON, URGENCY_SOON, URGENCY_OVERDUE, ""]
    background = model.index(0, COL_DETAIL).data(Qt.ItemDataRole.BackgroundRole)
    assert isinstance(background, QBrush) and background.color() == OVERDUE_COLOR
    assert model.index(2, COL_PERSON).data(Qt.ItemDataRole.BackgroundRole).color() == SOON_COLOR
    assert model.index(4, COL_PERSON).data(Qt.ItemDataRole.BackgroundRole) is None


# --- page ----------------------------------------------------------------------------


def test_page_lists_everything_soonest_first(page: FollowUpPage) -> None:
    assert page.filter_key == FILTER_ALL
    assert _column(page, COL_PERSON) == [
        "Eva Rojas", "Ana Rojas", "Bea Rojas", "Cira Rojas", "Dina Rojas"]
    assert _column(page, COL_DAYS) == ["hace 5 días", "hace 2 días", "en 3 días", "en 20 días",
                                       "en 45 días"]
    assert page.count_label.text() == (
        "2 seguimientos (1 atrasado) · 3 documentos por vencer (1 ya vencido)")
    assert page.title_label.text() == "Seguimiento"


@pytest.mark.parametrize(
    ("key", "names", "count"),
    [
        (FILTER_FOLLOW_UPS, ["Ana Rojas", "Bea Rojas"], "2 seguimientos (1 atrasado)"),
        (FILTER_DOCUMENTS_30, ["Eva Rojas", "Cira Rojas"],
         "2 documentos por vencer (1 ya vencido)"),
        (FILTER_DOCUMENTS_60, ["Eva Rojas", "Cira Rojas", "Dina Rojas"],
         "3 documentos por vencer (1 ya vencido)"),
    ],
)
def test_filters(qtbot: QtBot, page: FollowUpPage, key: str, names: list[str], count: str) -> None:
    button = page.filter_buttons[key]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert page.filter_key == key
    assert _column(page, COL_PERSON) == names
    assert page.count_label.text() == count


def test_filter_labels_in_spanish(page: FollowUpPage) -> None:
    texts = [b.text() for b in page.filter_buttons.values()]
    assert texts == ["&Todo", "Seguimientos &pendientes", "Documentos que vencen en &30 días",
                     "Documentos que vencen en &60 días"]


def test_enter_emits_person_requested(qtbot: QtBot, page: FollowUpPage,
                                      people: dict[str, str]) -> None:
    page.table.setFocus()
    page.select_row(_row_of(page, "Cira Rojas"))
    with qtbot.waitSignal(page.person_requested, timeout=2000) as blocker:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert blocker.args == [people["cira"]]


def test_double_click_emits_person_requested(qtbot: QtBot, page: FollowUpPage,
                                             people: dict[str, str]) -> None:
    row = _row_of(page, "Ana Rojas")
    rect = page.table.visualRect(page.proxy.index(row, COL_PERSON))
    with qtbot.waitSignal(page.person_requested, timeout=2000) as blocker:
        qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [people["ana"]]


def _call_dialog(qtbot: QtBot, page: FollowUpPage) -> CallDialog:
    """Alt+M on the list opens the call dialog, active and ready for the keyboard."""
    page.activateWindow()
    qtbot.waitUntil(lambda: page.isActiveWindow())
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: isinstance(page.active_dialog, CallDialog))
    dialog = page.active_dialog
    assert isinstance(dialog, CallDialog)
    wait_active(qtbot, dialog)
    return dialog


def test_no_answer_with_a_note_keeps_the_row_all_by_keyboard(
    qtbot: QtBot, page: FollowUpPage, ctx: AppContext, people: dict[str, str]
) -> None:
    page.select_row(_row_of(page, "Ana Rojas"))
    assert page.done_button.text() == "&Marcar como hecho…"
    dialog = _call_dialog(qtbot, page)
    assert dialog.windowTitle() == "Marcar como hecho"
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # &No contesta
    qtbot.waitUntil(dialog.result_buttons["no_contesta"].isChecked)  # a mnemonic animates
    press(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)  # No&ta
    assert focused() is dialog.note_edit
    type_text(qtbot, "Buzón de voz")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    assert "Ana Rojas" in _column(page, COL_PERSON)  # still to call
    assert _column(page, COL_CALLS)[_row_of(page, "Ana Rojas")] == "No contesta"
    assert page.status_label.text() == "Llamada a Ana Rojas registrada: No contesta."
    calls = calls_for_person(ctx.session, people["ana"])
    assert [(c.result, c.note) for c in calls] == [("no_contesta", "Buzón de voz")]
    tip = page.proxy.index(_row_of(page, "Ana Rojas"), 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "1 llamada sin respuesta" in tip and "No contesta: Buzón de voz" in tip


def test_contacted_closes_the_row_and_undo_brings_it_back(
    qtbot: QtBot, page: FollowUpPage, ctx: AppContext, people: dict[str, str]
) -> None:
    page.select_row(_row_of(page, "Ana Rojas"))
    dialog = _call_dialog(qtbot, page)
    press(qtbot, Qt.Key.Key_Return)  # no result chosen yet: refused, said in Spanish
    assert dialog.isVisible() and dialog.error_label.text() == "Elija el resultado de la llamada."
    press(qtbot, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(dialog.result_buttons["contactado"].isChecked)
    press(qtbot, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    type_text(qtbot, "Ya tiene su cita")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Ana Rojas" not in _column(page, COL_PERSON))
    assert [i.ref_id for i in follow_ups_due(ctx.session, TODAY)] == [people["bea_fu"]]
    assert page.current_item() is not None
    # undo puts it back, without the call
    assert page.undo_button.isVisible()
    qtbot.waitUntil(page.isActiveWindow)
    qtbot.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "Ana Rojas" in _column(page, COL_PERSON)
    assert page.current_item().person_name == "Ana Rojas"
    assert calls_for_person(ctx.session, people["ana"]) == []
    assert not page.undo_button.isVisible()


def test_a_document_is_marked_done_too(qtbot: QtBot, page: FollowUpPage) -> None:
    page.select_row(_row_of(page, "Cira Rojas"))
    assert page.done_button.isEnabled()
    dialog = _call_dialog(qtbot, page)
    press(qtbot, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # &Resuelto
    qtbot.waitUntil(dialog.result_buttons["resuelto"].isChecked)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Cira Rojas" not in _column(page, COL_PERSON))


def test_wrong_number_strikes_the_phone_out(
    qtbot: QtBot, page: FollowUpPage, ctx: AppContext, people: dict[str, str]
) -> None:
    _consult(ctx, people["ana"], _days(1))  # a second follow-up for Ana
    page.refresh()
    page.select_row(_row_of(page, "Ana Rojas"))
    dialog = _call_dialog(qtbot, page)
    press(qtbot, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)  # Número &equivocado
    qtbot.waitUntil(dialog.result_buttons["numero_equivocado"].isChecked)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _column(page, COL_PERSON).count("Ana Rojas") == 1)
    index = page.proxy.index(_row_of(page, "Ana Rojas"), COL_PHONE)
    assert index.data(Qt.ItemDataRole.FontRole).strikeOut()
    assert "número equivocado" in index.data(Qt.ItemDataRole.ToolTipRole)


def test_casa_staff_and_date_choices(qtbot: QtBot, page: FollowUpPage, ctx: AppContext,
                                     people: dict[str, str]) -> None:
    assert page.casa_combo.currentText() == "Esta casa (Casa Vecinal 1)"
    other = _person(ctx, "Otra")
    record_consultation(ctx.session, ConsultationInput(
        person_id=other, occurred_at=dt.datetime(2026, 11, 10, 10), topics=["SALUD_SIS"],
        follow_up_date=TODAY, casa_id="CV2"), NOW)
    qtbot.waitUntil(lambda: page.proxy.rowCount() == 5)  # refreshed by the change hub
    assert "Otra Rojas" not in _column(page, COL_PERSON)
    page.set_choices(casa_id=ALL_CASAS)
    assert "Otra Rojas" in _column(page, COL_PERSON)
    page.set_choices(casa_id="", due=DUE_OVERDUE)
    assert _column(page, COL_PERSON) == ["Eva Rojas", "Ana Rojas"]
    page.set_choices(due=DUE_WEEK)
    assert _column(page, COL_PERSON) == ["Eva Rojas", "Ana Rojas", "Bea Rojas"]
    page.set_choices(due=DUE_ALL, staff_user_id=ctx.user_id)
    assert _column(page, COL_PERSON) == ["Ana Rojas", "Bea Rojas"]  # no documents
    assert page.due_combo.itemText(1) == "Para hoy (y atrasados)"


def test_anonymous_follow_up_opens_the_attention_to_link_it(
    qtbot: QtBot, page: FollowUpPage, ctx: AppContext
) -> None:
    cid = record_consultation(ctx.session, ConsultationInput(
        occurred_at=dt.datetime(2026, 11, 20, 9), topics=["SALUD_SIS"], anon_sex="F",
        anon_age=30, follow_up_date=_days(-1)), NOW)
    page.refresh()
    row = _row_of(page, "Atención anónima (mujer, 30 años)")
    page.select_row(row)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.active_dialog is not None)
    dialog = page.active_dialog
    assert dialog.consultation_id == cid and dialog.link_button.isVisible()
    dialog.reject()
    qtbot.waitUntil(lambda: page.active_dialog is None)


@pytest.mark.usefixtures("coordinator")
def test_export_and_print_the_call_list(qtbot: QtBot, page: FollowUpPage, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "llamadas.xlsx"
    monkeypatch.setattr(sheet_export, "ask_save_path", lambda _parent, _suggested: target)
    opened: list[Path] = []
    monkeypatch.setattr(sheet_export, "open_file", lambda path: opened.append(path) or True)
    page.activateWindow()
    qtbot.waitUntil(lambda: page.isActiveWindow())
    page.table.setFocus()
    with qtbot.waitSignal(page.sheet_actions.done, timeout=10000):
        qtbot.keyClick(page.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    names = [row[2] for row in load_workbook(target).active.iter_rows(values_only=True)][4:]
    assert names == ["Eva Rojas", "Ana Rojas", "Bea Rojas", "Cira Rojas", "Dina Rojas"]
    with qtbot.waitSignal(page.sheet_actions.done, timeout=10000):
        qtbot.keyClick(page.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert len(opened) == 1 and opened[0].suffix == ".pdf"
    assert "Eva Rojas" in PdfReader(opened[0]).pages[0].extract_text()
    assert page.status_label.text() == f"Guardado en {opened[0]}"


def test_refreshes_when_shown(qtbot: QtBot, page: FollowUpPage, ctx: AppContext) -> None:
    gaby = _person(ctx, "Gaby")
    _consult(ctx, gaby, _days(1))
    assert "Gaby Rojas" not in _column(page, COL_PERSON)
    page.hide()
    page.show()
    assert "Gaby Rojas" in _column(page, COL_PERSON)
    assert _column(page, COL_DAYS)[_row_of(page, "Gaby Rojas")] == "mañana"


def test_empty_queue_says_so(qtbot: QtBot, ctx: AppContext) -> None:
    widget = FollowUpPage(ctx, today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.proxy.rowCount() == 0
    assert widget.count_label.text() == "No hay nada pendiente con este filtro."
    assert not widget.done_button.isEnabled() and not widget.open_button.isEnabled()


def test_at_most_limit_rows(ctx: AppContext, people: dict[str, str]) -> None:
    items, more = load_queue(ctx.session, TODAY, FILTER_ALL, limit=3)
    assert len(items) == 3 and more
    items, more = load_queue(ctx.session, TODAY, FILTER_ALL, limit=5)
    assert len(items) == 5 and not more


def test_sorting_by_person(page: FollowUpPage) -> None:
    page.table.sortByColumn(COL_PERSON, Qt.SortOrder.DescendingOrder)
    assert _column(page, COL_PERSON)[0] == "Eva Rojas"
    assert _column(page, COL_PERSON)[-1] == "Ana Rojas"
    assert page.table.currentIndex() == page.table.currentIndex()  # no crash after sorting
    assert isinstance(page.table.currentIndex(), QModelIndex)


def test_alt_3_chooses_documents_within_30_days(qtbot: QtBot, page: FollowUpPage) -> None:
    page.activateWindow()
    qtbot.waitUntil(lambda: page.isActiveWindow())
    qtbot.keyClick(page, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: page.filter_key == FILTER_DOCUMENTS_30)
    assert _column(page, COL_PERSON) == ["Eva Rojas", "Cira Rojas"]


def test_main_window_opens_the_person(qtbot: QtBot, ctx: AppContext, people: dict[str, str]) -> None:
    from oma_desktop.ui.main_window import MainWindow

    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    followup = window.show_page("follow_up")
    assert isinstance(followup, FollowUpPage)
    assert followup.proxy.rowCount() > 0  # read when shown
    followup.select_row(0)
    item = followup.current_item()
    assert item is not None
    qtbot.keyClick(followup.table, Qt.Key.Key_Return)
    assert window.current_key() == "people"
    window.close()


def test_a_referral_waiting_for_an_answer_is_in_the_call_list(
        qtbot: QtBot, ctx: AppContext, people: dict[str, str]) -> None:
    from oma_desktop.core.seed import service_id
    from oma_desktop.services.persons import load_person, update_person
    from oma_desktop.services.referrals import ReferralInput, create_referral

    data = load_person(ctx.session, people["bea"])
    data.consent_refer = True
    update_person(ctx.session, people["bea"], data, TODAY)
    create_referral(ctx.session, ReferralInput(people["bea"], service_id("SIS"),
                                               reason="Afiliación al SIS", priority="urgente"),
                    now=dt.datetime(2026, 11, 20, 10, 0))  # due three days later: overdue
    widget = FollowUpPage(ctx, today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.resize(1180, 640)
    widget.show()
    qtbot.waitExposed(widget)
    kinds = [widget.model.item(row).kind for row in range(widget.model.rowCount())]
    assert "referral" in kinds
    assert "derivaciones en espera de respuesta: 1" in widget.count_label.text()
