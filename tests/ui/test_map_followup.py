"""«Mapeo y seguimiento» on the Mapa page: the rows against an independent count, the
district choice, sorting, opening a person, the export and its refusal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from acting import act_as
from openpyxl import load_workbook
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QHeaderView, QMessageBox
from pytestqt.qtbot import QtBot

from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.ui.main_window import MainWindow
from oma_desktop.ui.mapa.followup_tab import (
    COL_DISTRICT,
    COL_NAME,
    COL_NEXT,
    COL_STATE,
    PERSON_ID_ROLE,
    FollowupTab,
)
from oma_desktop.ui.mapa.page import MapPage
from oma_desktop.ui.widgets import sheet_export

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

TODAY = dt.date.today()
SJL, LIMA, COMAS = "150132", "150101", "150110"
# name, district, days since the consultation (None: registered, never attended),
# follow-up date (days from today)
PEOPLE = [
    ("Ana", LIMA, 3, -2), ("Bea", LIMA, 10, None), ("Carla", SJL, 5, 4),
    ("Dora", COMAS, 20, None), ("Elsa", SJL, None, None),
    ("Flor", COMAS, 500, None),  # attended long ago, registered today: listed (registered)
]


def _dataset(ctx: AppContext) -> dict[str, str]:
    ids = {}
    for name, district, days_ago, follow_up in PEOPLE:
        pid = register_person(ctx.session, PersonInput(
            given_names=name, paternal_surname="Rojas", sex="F", nationality="VE",
            district_ubigeo=district, phone="987654321", consent_register=True), TODAY)
        ids[name] = pid
        if days_ago is not None:
            record_consultation(ctx.session, ConsultationInput(
                person_id=pid, topics=["ORIENTACION"], summary="x",
                occurred_at=dt.datetime.combine(TODAY - dt.timedelta(days=days_ago),
                                                dt.time(10, 0)),
                follow_up_date=None if follow_up is None
                else TODAY + dt.timedelta(days=follow_up)))
    return ids


def _page(qtbot: QtBot, ctx: AppContext) -> MapPage:
    page = MapPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.filter_bar.casa_combo.set_value(None)
    with qtbot.waitSignal(page.refreshed, timeout=20000):
        page.show()
    return page


def _open_list(qtbot: QtBot, page: MapPage) -> FollowupTab:
    tab = page.followup
    assert tab is not None
    with qtbot.waitSignal(tab.loaded, timeout=20000):
        page.tabs.setCurrentWidget(tab)
    return tab


def _names(tab: FollowupTab) -> list[str]:
    proxy = tab.proxy
    return [proxy.index(r, COL_NAME).data() for r in range(proxy.rowCount())]


@pytest.fixture
def people(ctx: AppContext, coordinator: AppContext) -> dict[str, str]:
    return _dataset(ctx)


def test_the_list_has_the_persons_of_the_filters(qtbot: QtBot, ctx: AppContext,
                                                  people: dict[str, str]) -> None:
    page = _page(qtbot, ctx)
    tab = _open_list(qtbot, page)
    # within the last twelve months: attended, or registered (today: all of them)
    assert sorted(_names(tab)) == sorted(f"{n} Rojas" for n, *_r in PEOPLE)
    row = next(r for r in range(tab.proxy.rowCount())
               if tab.proxy.index(r, COL_NAME).data() == "Ana Rojas")
    assert tab.proxy.index(row, COL_STATE).data() == "Seguimiento vencido"
    assert tab.proxy.index(row, COL_DISTRICT).data() == "Cercado de Lima"
    assert tab.proxy.index(row, COL_NEXT).data() == \
        (TODAY - dt.timedelta(days=2)).strftime("%d/%m/%Y")
    assert tab.summary_label.text() == (
        "6 personas · 1 con seguimiento vencido · 1 con seguimiento programado")

    qtbot.mouseClick(tab.pending_check, Qt.MouseButton.LeftButton)
    assert sorted(_names(tab)) == ["Ana Rojas", "Carla Rojas"]  # follow-ups overdue, due
    qtbot.mouseClick(tab.pending_check, Qt.MouseButton.LeftButton)
    assert len(_names(tab)) == len(PEOPLE)

    with qtbot.waitSignal(tab.loaded, timeout=20000):
        tab.district_combo.setCurrentIndex(tab.district_combo.findData(SJL))
    assert sorted(_names(tab)) == ["Carla Rojas", "Elsa Rojas"]
    with qtbot.waitSignal(tab.loaded, timeout=20000):  # the filter bar applies too
        page.filter_bar.zone_combo.set_value("Lima Norte")
    assert tab.district() is None  # San Juan de Lurigancho is not in Lima Norte
    assert sorted(_names(tab)) == ["Dora Rojas", "Flor Rojas"]


def test_the_table_sorts_by_a_column(qtbot: QtBot, ctx: AppContext,
                                     people: dict[str, str]) -> None:
    tab = _open_list(qtbot, _page(qtbot, ctx))
    header = tab.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=_section_point(header, COL_NEXT))
    shown = [tab.proxy.index(r, COL_NEXT).data() for r in range(tab.proxy.rowCount())]
    dated = [(TODAY + dt.timedelta(days=d)).strftime("%d/%m/%Y")
             for d in sorted(f for *_r, f in PEOPLE if f is not None)]
    assert shown[:len(dated)] == dated and set(shown[len(dated):]) == {""}


def _section_point(header: QHeaderView, column: int) -> QPoint:
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    return QPoint(x, header.height() // 2)


def test_double_click_opens_the_person(qtbot: QtBot, ctx: AppContext,
                                       people: dict[str, str]) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    page = window.show_page("map")
    assert isinstance(page, MapPage)
    page.filter_bar.casa_combo.set_value(None)
    tab = _open_list(qtbot, page)
    row = _names(tab).index("Carla Rojas")
    index = tab.proxy.index(row, COL_NAME)
    assert index.data(PERSON_ID_ROLE) == people["Carla"]
    rect = tab.table.visualRect(index)
    with qtbot.waitSignal(page.person_requested, timeout=2000) as blocker:
        qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [people["Carla"]]
    assert window.current_key() == "people"


def test_the_map_leads_to_the_persons_of_a_district(qtbot: QtBot, ctx: AppContext,
                                                    people: dict[str, str]) -> None:
    page = _page(qtbot, ctx)
    page.select_district(page.items[COMAS])
    assert page.persons_button.isVisible()
    assert page.followup is not None
    with qtbot.waitSignal(page.followup.loaded, timeout=20000):
        qtbot.mouseClick(page.persons_button, Qt.MouseButton.LeftButton)
    assert page.tabs.currentWidget() is page.followup
    assert sorted(_names(page.followup)) == ["Dora Rojas", "Flor Rojas"]


def test_the_export_writes_what_the_list_shows(qtbot: QtBot, ctx: AppContext,
                                               people: dict[str, str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    tab = _open_list(qtbot, _page(qtbot, ctx))
    out = tmp_path / "lista.xlsx"
    monkeypatch.setattr(sheet_export, "ask_save_path", lambda _parent, _suggested: out)
    assert tab.export_button.isVisible()
    with qtbot.waitSignal(tab.exported, timeout=20000):
        qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    book = load_workbook(out)
    rows = [row for ws in book.worksheets for row in ws.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row and row[0] == "Persona")
    assert sorted(r[0] for r in rows[header + 1:] if r and r[0]) == sorted(_names(tab))

    tab.pending_check.setChecked(True)  # the file holds what the list shows
    with qtbot.waitSignal(tab.exported, timeout=20000):
        qtbot.mouseClick(tab.export_button, Qt.MouseButton.LeftButton)
    rows = [row for ws in load_workbook(out).worksheets
            for row in ws.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(rows) if row and row[0] == "Persona")
    assert sorted(r[0] for r in rows[header + 1:] if r and r[0]) == sorted(_names(tab)) == [
        "Ana Rojas", "Carla Rojas"]


def test_a_role_that_may_not_export_is_refused_in_spanish(
        qtbot: QtBot, ctx: AppContext, people: dict[str, str], tmp_path: Path) -> None:
    act_as(ctx, "admin_casa")  # sees persons, may not export personal data
    tab = _open_list(qtbot, _page(qtbot, ctx))
    assert not tab.export_button.isVisible()
    handle = tab.export(tmp_path / "lista.xlsx")
    assert handle is not None
    qtbot.waitUntil(lambda: any(isinstance(w, QMessageBox) and w.isVisible()
                                for w in QApplication.topLevelWidgets()), timeout=20000)
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)
               and w.isVisible())
    assert "no le permite exportar datos personales" in box.text()
    assert not (tmp_path / "lista.xlsx").exists()
    box.close()
