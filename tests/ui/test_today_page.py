"""Hoy: today's attentions at this casa, counts, reopening, printing and exporting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from kbd import wait_active
from pypdf import PdfReader
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.ui.atencion.consultation_form import ConsultationDialog
from oma_desktop.ui.changes import watch_session
from oma_desktop.ui.hoy.model import COL_PERSON, COL_STAFF, COL_TIME, COL_TOPICS, DayModel
from oma_desktop.ui.hoy.page import TodayPage
from oma_desktop.ui.main_window import MainWindow
from oma_desktop.ui.widgets import sheet_export

DAY = dt.date(2026, 11, 27)
LATER = dt.datetime(2026, 11, 30, 12, 0)


def _person(ctx: AppContext, given: str) -> str:
    return register_person(ctx.session, PersonInput(
        given_names=given, paternal_surname="Rojas", sex="F", nationality="VE",
        consent_register=True), DAY)


def _consult(ctx: AppContext, pid: str | None, when: dt.datetime, topics: list[str],
             now: dt.datetime = LATER) -> str:
    return record_consultation(ctx.session, ConsultationInput(
        person_id=pid, occurred_at=when, topics=topics, summary="x",
        anon_sex="M" if pid is None else "", anon_age=40 if pid is None else None), now)


def _column(page: TodayPage, column: int) -> list[str]:
    return [page.model.index(r, column).data() for r in range(page.model.rowCount())]


@pytest.fixture
def day_ids(ctx: AppContext) -> dict[str, str]:
    ana = _person(ctx, "Ana")
    return {
        "ana": ana,
        "walk_in": _consult(ctx, None, dt.datetime(2026, 11, 27, 9, 30), ["SALUD_SIS"]),
        "ana_c": _consult(ctx, ana, dt.datetime(2026, 11, 27, 11, 0),
                          ["SALUD_SIS", "REG_CPP_PTP"]),
        "old": _consult(ctx, ana, dt.datetime(2026, 11, 26, 11, 0), ["SALUD_SIS"]),
    }


@pytest.fixture
def page(qtbot: QtBot, ctx: AppContext, day_ids: dict[str, str]) -> TodayPage:
    watch_session(ctx.session)  # what the main window does: writes reach the page
    widget = TodayPage(ctx, today=lambda: DAY)
    qtbot.addWidget(widget)
    widget.resize(1180, 640)
    widget.show()
    wait_active(qtbot, widget)
    return widget


def test_model_passes_the_model_tester(qtmodeltester, ctx: AppContext,
                                       day_ids: dict[str, str]) -> None:
    from oma_desktop.services.today import day_sheet

    model = DayModel()
    qtmodeltester.check(model)
    model.set_rows(day_sheet(ctx.session, DAY).rows)
    qtmodeltester.check(model)


@pytest.mark.usefixtures("coordinator")
def test_lists_the_day_with_counts(page: TodayPage, ctx: AppContext) -> None:
    assert page.title_label.text() == "Hoy"
    assert page.casa_label.text() == "Casa Vecinal 1"
    assert _column(page, COL_TIME) == ["09:30", "11:00"]
    assert _column(page, COL_PERSON) == ["Atención anónima (hombre, 40 años)", "Ana Rojas"]
    assert _column(page, COL_STAFF) == ["Recepción", "Recepción"]
    sis = ctx.catalogs.topic("SALUD_SIS").label("es")
    assert _column(page, COL_TOPICS)[0] == sis
    assert page.model.index(0, COL_PERSON).data(Qt.ItemDataRole.FontRole).italic()
    assert page.topic_model.rows()[0] == (sis, 2)
    assert page.staff_model.rows() == [("Recepción", 2)]
    assert page.count_label.text() == "2 atenciones (1 anónima)"
    headers = [page.model.headerData(c, Qt.Orientation.Horizontal)
               for c in range(page.model.columnCount())]
    assert headers == ["Hora", "Persona", "Temas", "Personal", "Canal", "Seguimiento"]


def test_another_day_and_back(qtbot: QtBot, page: TodayPage) -> None:
    page.day_edit.setDate(QDate(2026, 11, 26))
    assert page.title_label.text() == "Hoja del día"
    assert _column(page, COL_TIME) == ["11:00"]
    assert page.today_button.isEnabled()
    qtbot.mouseClick(page.today_button, Qt.MouseButton.LeftButton)
    assert page.day == DAY and len(_column(page, COL_TIME)) == 2
    page.day_edit.setDate(QDate(2026, 11, 20))
    assert page.count_label.text() == "No hay atenciones registradas este día."


def test_enter_reopens_the_walk_in_and_linking_it_updates_the_list(
    qtbot: QtBot, page: TodayPage, ctx: AppContext, day_ids: dict[str, str]
) -> None:
    page.select_row(0)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(page.active_dialog, ConsultationDialog))
    dialog = page.active_dialog
    assert isinstance(dialog, ConsultationDialog)
    assert dialog.consultation_id == day_ids["walk_in"] and dialog.link_button.isVisible()
    dialog.link_to(day_ids["ana"])  # what "Vincular a una persona…" does once chosen
    qtbot.waitUntil(lambda: _column(page, COL_PERSON) == ["Ana Rojas", "Ana Rojas"])
    assert page.count_label.text() == "2 atenciones"
    dialog.reject()
    qtbot.waitUntil(lambda: page.active_dialog is None)


def test_a_new_attention_appears_without_reopening_the_page(
    qtbot: QtBot, page: TodayPage, ctx: AppContext, day_ids: dict[str, str]
) -> None:
    _consult(ctx, day_ids["ana"], dt.datetime(2026, 11, 27, 16, 45), ["REG_CPP_PTP"])
    qtbot.waitUntil(lambda: _column(page, COL_TIME) == ["09:30", "11:00", "16:45"])


def test_double_click_reopens(qtbot: QtBot, page: TodayPage, day_ids: dict[str, str]) -> None:
    rect = page.table.visualRect(page.model.index(1, COL_PERSON))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: page.active_dialog is not None)
    assert page.active_dialog.consultation_id == day_ids["ana_c"]  # type: ignore[attr-defined]
    page.active_dialog.reject()


@pytest.mark.usefixtures("coordinator")
def test_print_and_export_the_day_sheet(qtbot: QtBot, page: TodayPage, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import load_workbook

    opened: list[Path] = []
    monkeypatch.setattr(sheet_export, "open_file", lambda path: opened.append(path) or True)
    csv_path = tmp_path / "hoy.csv"
    monkeypatch.setattr(sheet_export, "ask_save_path", lambda _parent, _suggested: csv_path)
    page.table.setFocus()
    with qtbot.waitSignal(page.sheet_actions.done, timeout=10000):
        qtbot.keyClick(page.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert opened[0].name == "hoja-del-dia-CV1-2026-11-27.pdf"
    text = PdfReader(opened[0]).pages[0].extract_text()
    assert "Hoja del día — Casa Vecinal 1 — 27/11/2026" in text and "Ana Rojas" in text
    with qtbot.waitSignal(page.sheet_actions.done, timeout=10000):
        qtbot.keyClick(page.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    lines = csv_path.read_text("utf-8-sig").splitlines()
    assert lines[2] == "Hora,Persona,Temas,Personal,Canal,Seguimiento"
    assert lines[3].startswith('09:30,"Atención anónima (hombre, 40 años)",')
    xlsx = tmp_path / "hoy.xlsx"
    monkeypatch.setattr(sheet_export, "ask_save_path", lambda _parent, _suggested: xlsx)
    with qtbot.waitSignal(page.sheet_actions.done, timeout=10000):
        qtbot.mouseClick(page.sheet_actions.export_button, Qt.MouseButton.LeftButton)
    assert load_workbook(xlsx)["Atenciones"]["B6"].value == "Ana Rojas"
    assert page.status_label.text() == f"Guardado en {xlsx}"


def test_ctrl_9_opens_today_and_enter_reopens(qtbot: QtBot, window: MainWindow,
                                              ctx: AppContext) -> None:
    today = dt.date.today()
    walk_in = _consult(ctx, None, dt.datetime.combine(today, dt.time(0, 0)), ["SALUD_SIS"],
                       now=dt.datetime.now())
    qtbot.keyClick(window, Qt.Key.Key_9, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "today"
    page = window.page("today")
    assert isinstance(page, TodayPage)
    assert window.navigation.currentItem().text() == "Hoy"
    assert _column(page, COL_PERSON) == ["Atención anónima (hombre, 40 años)"]
    qtbot.waitUntil(lambda: page.table.hasFocus())
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.active_dialog is not None)
    assert page.active_dialog.consultation_id == walk_in  # type: ignore[attr-defined]
    page.active_dialog.reject()
    qtbot.waitUntil(lambda: page.active_dialog is None)


def test_ctrl_p_prints_the_page_shown_only(qtbot: QtBot, window: MainWindow,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Hoy and Seguimiento both have Ctrl+P: only the page on screen answers."""
    opened: list[Path] = []
    monkeypatch.setattr(sheet_export, "open_file", lambda path: opened.append(path) or True)
    window.show_page("follow_up")
    page = window.show_page("today")
    assert isinstance(page, TodayPage)
    with qtbot.waitSignal(page.sheet_actions.done, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert [p.name.startswith("hoja-del-dia-") for p in opened] == [True]
