"""At 1366×768 nothing a clerk reads is cut, and at the window's minimum size the search
box stays usable: measured on the real widgets (offscreen, the fonts of the test machine)."""

from __future__ import annotations

import pytest
from kbd import keys, wait_active
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QStyle, QStyleOptionFrame, QTableView
from pytestqt.qtbot import QtBot

from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.ui.atencion.consultation_form import ConsultationDialog
from oma_desktop.ui.main_window import MINIMUM_SIZE, MainWindow
from oma_desktop.ui.models.person_search_model import COL_DOCUMENT, COL_NAME, COL_PHONE
from oma_desktop.ui.personas import PersonDialog
from oma_desktop.ui.widgets.person_page import PersonPageBase
from oma_desktop.ui.widgets.person_search import MIN_NAME_WIDTH

SCREEN_HEIGHT = 728  # 768 less a taskbar


def _register(ctx: AppContext) -> None:
    for given, surname, kind, number in (
        ("María de los Ángeles", "Villanueva", "CEDULA_VE", "V-18.178.698"),
        ("Yusleidy Carolina", "Rojas", "PASAPORTE", "AB1234567"),
        ("José", "Quispe", "CSR", "123456789"),
    ):
        register_person(ctx.session, PersonInput(
            given_names=given, paternal_surname=surname, maternal_surname="Pérez", sex="F",
            nationality="VE", phone="987654321", consent_register=True,
            documents=[DocumentInput(kind, number)]))


def _placeholder_room(edit: QLineEdit) -> int:
    """The width the line edit gives its text (frame, margins and clear button taken off)."""
    option = QStyleOptionFrame()
    edit.initStyleOption(option)
    contents = edit.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, edit)
    margins = edit.textMargins()
    clear = edit.height() if edit.isClearButtonEnabled() else 0  # the clear button is square
    return contents.width() - margins.left() - margins.right() - clear


def _search(qtbot: QtBot, page: PersonPageBase, text: str, rows: int) -> QTableView:
    page.panel.set_text(text)
    qtbot.waitUntil(lambda: page.panel.model.rowCount() == rows)
    return page.panel.table


def _assert_cells_fit(table: QTableView, columns: tuple[int, ...]) -> None:
    fm = table.fontMetrics()
    header = table.horizontalHeader()
    for column in columns:
        assert not table.isColumnHidden(column), column
        title = str(table.model().headerData(column, header.orientation()))
        assert header.fontMetrics().horizontalAdvance(title) + 8 <= table.columnWidth(column), title
        for row in range(table.model().rowCount()):
            text = str(table.model().index(row, column).data())
            assert fm.horizontalAdvance(text) + 8 <= table.columnWidth(column), text


def test_atencion_at_1366x768_shows_the_whole_hint_and_every_column(
    qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    _register(ctx)
    page = window.show_page("attention")
    assert isinstance(page, PersonPageBase)
    edit = page.panel.search_edit
    qtbot.waitUntil(lambda: edit.width() > 0)
    hint = edit.placeholderText()
    assert hint == "Nombres, apellidos, documento o teléfono"
    assert edit.fontMetrics().horizontalAdvance(hint) <= _placeholder_room(edit)
    table = _search(qtbot, page, "perez", 3)
    assert not any(table.isColumnHidden(c) for c in range(table.model().columnCount()))
    _assert_cells_fit(table, (COL_DOCUMENT, COL_PHONE))
    assert "Cédula VE V-18.178.698" in {table.model().index(r, COL_DOCUMENT).data() for r in range(3)}
    assert table.columnWidth(COL_NAME) >= MIN_NAME_WIDTH


def test_personas_at_1366x768_keeps_document_and_phone_whole(
    qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    _register(ctx)
    page = window.show_page("people")
    assert isinstance(page, PersonPageBase)
    edit = page.panel.search_edit
    assert edit.fontMetrics().horizontalAdvance(edit.placeholderText()) <= _placeholder_room(edit)
    table = _search(qtbot, page, "perez", 3)
    _assert_cells_fit(table, (COL_DOCUMENT, COL_PHONE))


def test_at_the_minimum_window_size_the_search_stays_usable(
    qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    _register(ctx)
    assert window.minimumSize() == MINIMUM_SIZE
    window.resize(MINIMUM_SIZE)
    qtbot.waitUntil(lambda: window.size() == MINIMUM_SIZE)
    for key in ("attention", "people"):
        page = window.show_page(key)
        assert isinstance(page, PersonPageBase)
        edit = page.panel.search_edit
        need = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
        # a page built at this size settles its columns once laid out
        qtbot.waitUntil(lambda e=edit, n=need: e.isVisible() and n <= _placeholder_room(e))
        table = _search(qtbot, page, "perez", 3)
        assert table.columnWidth(COL_NAME) >= MIN_NAME_WIDTH, key
        _assert_cells_fit(table, (COL_DOCUMENT,))


def test_the_whole_topic_list_shows_in_both_consultation_forms(
    qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    _register(ctx)
    page = window.show_page("attention")
    assert isinstance(page, PersonPageBase)
    _search(qtbot, page, "quispe", 1)
    for anonymous in (False, True):
        dialog = page.quick_consultation() if anonymous else page.new_consultation()  # type: ignore[attr-defined]
        assert isinstance(dialog, ConsultationDialog)
        wait_active(qtbot, dialog)
        assert dialog.height() <= SCREEN_HEIGHT
        view = dialog.topics.view
        qtbot.waitUntil(lambda v=view: v.viewport().height() > 100)
        assert view.verticalScrollBar().maximum() == 0, "anonymous" if anonymous else "person"
        assert len(dialog.topics.visible_codes()) == len(ctx.catalogs.topics)
        dialog.hide()
        dialog.finished.emit(0)
        qtbot.waitUntil(lambda: page.active_dialog is None)


@pytest.mark.parametrize(
    ("typed", "given", "paternal", "maternal"),
    [
        ("maria de los angeles de la cruz", "Maria de los Angeles", "De la Cruz", ""),
        ("carlos del castillo rojas", "Carlos", "Del Castillo", "Rojas"),
        ("José María de la Cruz Pérez", "José María", "de la Cruz", "Pérez"),
    ],
)
def test_ctrl_n_prefills_compound_names_from_the_search(
    qtbot: QtBot, window: MainWindow, typed: str, given: str, paternal: str, maternal: str
) -> None:
    page = window.show_page("attention")
    assert isinstance(page, PersonPageBase)
    page.panel.focus_search()
    keys(qtbot, page.panel.search_edit, typed)
    qtbot.waitUntil(lambda: not page.panel.is_search_pending())  # as a clerk sees the list first
    qtbot.keyClick(page.panel.search_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(page.active_dialog, PersonDialog))
    dialog = page.active_dialog
    assert isinstance(dialog, PersonDialog)
    assert (dialog.given_names.text(), dialog.paternal_surname.text(),
            dialog.maternal_surname.text()) == (given, paternal, maternal)
    dialog.hide()


def test_a_search_typed_as_the_window_closes_reads_nothing_afterwards(
    qtbot: QtBot, window: MainWindow
) -> None:
    """The debounce timer must not query a database that closed meanwhile."""
    page = window.show_page("attention")
    assert isinstance(page, PersonPageBase)
    qtbot.keyClicks(page.panel.search_edit, "Quispe")
    assert page.panel.is_search_pending()
    window.ctx.session.close()  # the app is closing with a search pending
    page.panel.search_now()  # what the timer would do: nothing, and no error
    window.close()
    assert not page.panel.is_search_pending()
