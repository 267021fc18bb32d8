"""Reportes: Ctrl+Enter builds the report off the GUI thread, the tables show a demo's figures
(checked against counts made here from its rows), charts for the tables that ask for one,
exports to PDF, Excel and CSV (also for partners), and a folder that cannot be written."""

from __future__ import annotations

import csv
import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from acting import act_as
from kbd import wait_active
from PySide6.QtCharts import QHorizontalBarSeries
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot
from reporting_helpers import DEMO_TODAY

from oma_desktop.i18n import format_percent
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.permissions import MATRIX, Permission
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.report_model import ReportDocument, Table
from oma_desktop.services.reports import build_report
from oma_desktop.services.session import Session
from oma_desktop.ui import reportes
from oma_desktop.ui.main_window import MainWindow
from oma_desktop.ui.reportes import page as page_module
from oma_desktop.ui.reportes.page import ITEM_ROLE, ReportsPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

TODAY = DEMO_TODAY  # the demo fixture's (tests/conftest.py)
START, END = dt.date(2026, 6, 1), dt.date(2026, 8, 31)
assert reportes  # the package is importable on its own


@pytest.fixture
def desk(demo: Path) -> Iterator[AppContext]:
    context = act_as(open_context(demo), "coordinacion")
    yield context
    context.close()


def _page(qtbot: QtBot, ctx: AppContext, **kwargs: object) -> ReportsPage:
    page = ReportsPage(ctx, today=lambda: TODAY, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(page)
    page.resize(1366 - 200, 700)
    page.show()
    wait_active(qtbot, page)
    return page


@pytest.fixture
def page(qtbot: QtBot, desk: AppContext) -> ReportsPage:
    return _page(qtbot, desk)


def _topic_counts(ctx: AppContext, casa: str | None = None) -> Counter[str]:
    """Consultations by topic in START..END, from the rows (JSON parsed here)."""
    counts: Counter[str] = Counter()
    for row in ctx.session.store.rows("SELECT * FROM consultation WHERE deleted = 0"):
        if (START.isoformat() <= row["occurred_at"][:10] <= END.isoformat()
                and (casa is None or row["casa_id"] == casa)):
            counts.update(json.loads(row["topics"]))
    return counts


def _generate(qtbot: QtBot, page: ReportsPage, flt: ReportFilter) -> ReportDocument:
    page.filter_bar.set_filter(flt)
    page.filter_bar.topic_combo.setFocus()
    qtbot.keyClick(page.filter_bar.topic_combo, Qt.Key.Key_Return,
                   Qt.KeyboardModifier.ControlModifier)
    assert page.generating is not None
    qtbot.waitUntil(lambda: page.generating is None, timeout=60_000)
    assert page.document is not None
    return page.document


def _item(page: ReportsPage, key: str) -> QTreeWidgetItem:
    tree = page.contents
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        assert top is not None
        for j in range(top.childCount()):
            child = top.child(j)
            what = child.data(0, ITEM_ROLE)
            if isinstance(what, Table) and what.key == key:
                return child
    raise AssertionError(f"no table {key}")


def _choose_table(qtbot: QtBot, page: ReportsPage, key: str) -> None:
    item = _item(page, key)
    page.contents.scrollToItem(item)
    rect = page.contents.visualItemRect(item)
    qtbot.mouseClick(page.contents.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    shown = page.current_table()
    assert shown is not None and shown.key == key


def _shown_rows(page: ReportsPage) -> list[list[str]]:
    model = page.model
    return [[str(model.data(model.index(r, c))) for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def test_ctrl_enter_generates_and_the_table_shows_the_demos_figures(
        qtbot: QtBot, page: ReportsPage, desk: AppContext) -> None:
    assert page.stack.currentWidget() is page.empty_label
    assert not any(b.isEnabled() for b in page.export_buttons.values())
    doc = _generate(qtbot, page, ReportFilter(START, END))
    assert (doc.kind, doc.period_from, doc.period_to) == ("general", START, END)
    assert page.generate_button.isEnabled() and all(
        b.isEnabled() for b in page.export_buttons.values())
    _choose_table(qtbot, page, "by_topic")
    expected = _topic_counts(desk)
    labels = {t.label(): t.code for t in desk.catalogs.topics}
    rows = _shown_rows(page)
    body, total = rows[:-1], rows[-1]
    whole = sum(expected.values())
    assert whole > 0
    assert {labels[label]: int(n.replace(",", "")) for label, n, _pct in body} == {
        code: n for code, n in expected.items() if n}
    for label, _n, pct in body:
        assert pct == format_percent(round(expected[labels[label]] / whole, 3), 1)
    assert total == ["Total", f"{whole:,}", "100.0%"]
    assert page.model.data(page.model.index(len(rows) - 1, 1), Qt.ItemDataRole.FontRole).bold()
    assert page.table_title.text() == "Atenciones por tema"


def test_a_chart_hinted_table_gets_its_chart(qtbot: QtBot, page: ReportsPage,
                                             desk: AppContext) -> None:
    _generate(qtbot, page, ReportFilter(START, END, casa_id="CV2"))
    _choose_table(qtbot, page, "by_topic")
    assert page.chart_view.isVisible()
    chart = page.chart_view.chart()
    (series,) = chart.series()
    assert isinstance(series, QHorizontalBarSeries)
    table = page.current_table()
    assert table is not None
    expected = _topic_counts(desk, "CV2")
    labels = {t.label(): t.code for t in desk.catalogs.topics}
    bars = series.barSets()[0]
    # horizontal bars are drawn from the bottom: the first row is the last value
    drawn = [bars.at(i) for i in reversed(range(bars.count()))]
    assert drawn == [float(expected[labels[row[0]]]) for row in table.rows]
    _choose_table(qtbot, page, "summary")  # no chart hint: no chart
    assert not page.chart_view.isVisible()
    page.contents.setCurrentItem(page.contents.topLevelItem(page.contents.topLevelItemCount() - 1))
    assert page.stack.currentWidget() is page.notes_view
    assert "Notas y fuentes" in page.notes_view.toPlainText()


def test_the_button_waits_while_the_report_is_built(qtbot: QtBot, desk: AppContext) -> None:
    release = threading.Event()
    threads: list[threading.Thread] = []

    def slow(session: Session, kind: str, flt: ReportFilter) -> ReportDocument:
        threads.append(threading.current_thread())
        assert release.wait(60)
        return build_report(session, kind, flt)

    page = _page(qtbot, desk, builder=slow)
    page.kind_combo.setCurrentIndex(page.kind_combo.findData("laboral"))
    page.filter_bar.set_filter(ReportFilter(START, END))
    page.generate_button.setFocus()
    qtbot.keyClick(page.generate_button, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier)
    first = page.generating
    assert first is not None
    assert not page.generate_button.isEnabled() and page.busy_bar.isVisible()
    assert page.state_label.text() == "Generando el informe…"
    assert page.generate() is None  # a second press while it runs does nothing
    release.set()
    qtbot.waitUntil(lambda: page.generating is None, timeout=60_000)
    assert threads and threads[0] is not threading.main_thread()
    assert page.generate_button.isEnabled() and not page.busy_bar.isVisible()
    assert page.document is not None and page.document.kind == "laboral"


def test_changing_the_filters_says_the_report_is_the_previous_one(
        qtbot: QtBot, page: ReportsPage) -> None:
    doc = _generate(qtbot, page, ReportFilter(START, END))
    page.filter_bar.sex_combo.setCurrentIndex(1)
    assert "Los filtros cambiaron" in page.state_label.text()
    assert page.document is doc  # still shown, still exportable
    assert all(b.isEnabled() for b in page.export_buttons.values())


def _export(qtbot: QtBot, page: ReportsPage, fmt: str) -> None:
    qtbot.mouseClick(page.export_buttons[fmt], Qt.MouseButton.LeftButton)
    assert page.exporting is not None
    qtbot.waitUntil(lambda: page.exporting is None, timeout=60_000)


def test_export_buttons_write_pdf_excel_and_csv_and_remember_the_folder(
        qtbot: QtBot, page: ReportsPage, desk: AppContext, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Path] = []

    def ask(_parent: object, _fmt: str, suggested: Path) -> Path:
        asked.append(suggested)
        return tmp_path / suggested.name

    monkeypatch.setattr(page_module, "ask_save_path", ask)
    _generate(qtbot, page, ReportFilter(START, END))
    expected = _topic_counts(desk)
    written = {}
    for fmt in ("pdf", "xlsx", "csv"):
        _export(qtbot, page, fmt)
        assert page.last_export is not None and page.last_export.parent == tmp_path
        assert page.last_export.suffix == f".{fmt}"
        assert page.last_export.name in page.export_label.text()
        written[fmt] = page.last_export
    assert written["pdf"].read_bytes().startswith(b"%PDF")
    assert asked[0].name == "reporte-general-de-atencion-2026-06-01-al-2026-08-31.pdf"
    # the folder is remembered: the next file is suggested there, also by a new page
    assert asked[1].parent == tmp_path and page.export_folder() == tmp_path
    assert _page(qtbot, desk).export_folder() == tmp_path

    book = openpyxl.load_workbook(written["xlsx"], read_only=True)
    labels = {t.label(): t.code for t in desk.catalogs.topics}
    found: Counter[str] = Counter()
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if any(r and str(r[0] or "").endswith("Atenciones por tema") for r in rows):
            for r in rows:
                if r and r[0] in labels and isinstance(r[1], int):
                    found[labels[r[0]]] = r[1]
    assert found == +expected

    with written["csv"].open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))  # long format: one figure per line
    by_topic = {(r["Fila"], r["Columna"]): r["Valor"] for r in lines
                if r["Clave del cuadro"] == "by_topic"}
    assert {labels[row]: int(v) for (row, column), v in by_topic.items()
            if column == "Atenciones" and row in labels} == +expected


def test_the_partner_version_suppresses_small_counts(
        qtbot: QtBot, page: ReportsPage, desk: AppContext, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page_module, "ask_save_path",
                        lambda _p, _f, suggested: tmp_path / f"socios-{suggested.name}")
    _generate(qtbot, page, ReportFilter(START, END, casa_id="CV2"))
    expected = _topic_counts(desk, "CV2")
    small = {code for code, n in expected.items() if 1 <= n < 5}
    assert small  # the demo has topics with 1 to 4 consultations in the period
    qtbot.mouseClick(page.partners_check, Qt.MouseButton.LeftButton)
    assert page.partners_check.isChecked()
    _export(qtbot, page, "csv")
    assert page.last_export is not None
    with page.last_export.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    labels = {t.label(): t.code for t in desk.catalogs.topics}
    shown = {labels[r["Fila"]]: r["Valor"] for r in lines
             if r["Clave del cuadro"] == "by_topic" and r["Columna"] == "Atenciones"
             and r["Fila"] in labels}
    assert {code for code, v in shown.items() if v == "<5"} >= small
    # the screen keeps the real figures
    _choose_table(qtbot, page, "by_topic")
    assert "<5" not in {cell for row in _shown_rows(page) for cell in row}


def test_a_folder_that_cannot_be_written_is_explained_and_the_report_stays(
        qtbot: QtBot, page: ReportsPage, read_only_folder: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page_module, "ask_save_path",
                        lambda _p, _f, suggested: read_only_folder / suggested.name)
    doc = _generate(qtbot, page, ReportFilter(START, END))
    _choose_table(qtbot, page, "by_topic")
    before = _shown_rows(page)
    _export(qtbot, page, "xlsx")
    message = page.export_label.text()
    assert message.startswith("No se pudo guardar reporte-general-de-atencion-")
    assert "elija otra carpeta" in message
    assert page.export_label.isVisible()
    assert page.document is doc and _shown_rows(page) == before
    assert all(b.isEnabled() for b in page.export_buttons.values())
    assert list(read_only_folder.iterdir()) == []


def test_a_role_that_may_not_export_sees_why(qtbot: QtBot, desk: AppContext,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # no role of today's matrix sees reports without exporting them; the page must not
    # depend on that
    monkeypatch.setitem(MATRIX, Permission.EXPORT_AGGREGATE, frozenset())  # type: ignore[index]
    page = _page(qtbot, desk)
    _generate(qtbot, page, ReportFilter(START, END))
    for button in page.export_buttons.values():
        assert not button.isEnabled()
        assert button.toolTip() == "Su rol no puede exportar estadísticas."
    assert page.export(fmt="csv") is None


def _in_window(qtbot: QtBot, desk: AppContext) -> tuple[MainWindow, ReportsPage]:
    """The main window at 1366×768 showing Reportes."""
    window = MainWindow(desk)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    wait_active(qtbot, window)
    page = window.show_page("reports")
    assert isinstance(page, ReportsPage)
    return window, page


def test_the_page_in_the_window_at_1366x768(qtbot: QtBot, desk: AppContext) -> None:
    window, page = _in_window(qtbot, desk)
    assert window.width() == 1366 and window.height() == 768
    assert page.minimumSizeHint().width() <= page.width()
    assert page.minimumSizeHint().height() <= page.height()
    bar = page.filter_bar
    for combo in bar.combos.values():
        assert combo.width() >= combo.minimumSizeHint().width()
    window.close()


def test_ctrl_m_opens_the_map_with_the_reports_filter(qtbot: QtBot, desk: AppContext) -> None:
    """From a report, Ctrl+M shows Mapa with the same period, casa and filters."""
    window, page = _in_window(qtbot, desk)
    assert not page.map_button.isEnabled()  # nothing to show before a report
    flt = ReportFilter(START, END, casa_id="CV2", sex="F")
    _generate(qtbot, page, flt)
    assert page.map_button.isEnabled()
    qtbot.keyClick(page, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert window.current_key() == "map"
    assert window.page("map").filter_bar.report_filter() == flt  # type: ignore[union-attr]
    window.close()
