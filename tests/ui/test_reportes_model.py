"""The report table model and the chart data, without a window (charts need the
application object, not a window)."""

from __future__ import annotations

from PySide6.QtCharts import QBarSeries, QHorizontalBarSeries, QPieSeries
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from oma_desktop.services.report_model import SUPPRESSED, Column, Table, count_rows
from oma_desktop.ui.models.report_model import RAW_ROLE, ReportTableModel
from oma_desktop.ui.reportes.charts import MAX_PIE_SLICES, axis_labels, build_chart, chart_data

DISPLAY = Qt.ItemDataRole.DisplayRole
ALIGN = Qt.ItemDataRole.TextAlignmentRole
RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
LEFT = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)


def _table(chart: str | None = "bar") -> Table:
    rows, total = count_rows([("a", "Lima Norte"), ("b", "Lima Sur"), ("c", "Callao")],
                             {"a": 1234, "b": 3, "c": 0})
    return Table("by_zone", "Personas por zona",
                 [Column("zone", "Zona", "text"), Column("n", "Personas"),
                  Column("pct", "%", "percent")], rows, total, chart=chart)


def _show(model: ReportTableModel, row: int, column: int, role: int = DISPLAY) -> object:
    return model.data(model.index(row, column), role)


def test_counts_percentages_and_the_totals_row() -> None:
    table = _table()
    model = ReportTableModel(table)
    assert (model.rowCount(), model.columnCount()) == (4, 3)
    assert [model.headerData(i, Qt.Orientation.Horizontal) for i in range(3)] == [
        "Zona", "Personas", "%"]
    whole = 1234 + 3
    assert [_show(model, 0, c) for c in range(3)] == [
        "Lima Norte", "1,234", f"{100 * 1234 / whole:.1f}%"]
    assert _show(model, 1, 2) == f"{100 * 3 / whole:.1f}%"
    assert _show(model, 2, 1) == "0" and _show(model, 2, 2) == "0.0%"
    # the totals row: «Total», bold, 100 %
    assert [_show(model, 3, c) for c in range(3)] == ["Total", "1,237", "100.0%"]
    font = _show(model, 3, 1, Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()
    assert _show(model, 0, 1, Qt.ItemDataRole.FontRole) is None
    # numbers to the right, text to the left; the raw value for whoever needs it
    assert (_show(model, 0, 0, ALIGN), _show(model, 0, 1, ALIGN), _show(model, 0, 2, ALIGN)) == (
        LEFT, RIGHT, RIGHT)
    assert _show(model, 0, 1, RAW_ROLE) == 1234
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable


def test_a_suppressed_cell_is_shown_as_it_is_and_aligned_with_the_numbers() -> None:
    table = _table()
    table.rows[1][1] = SUPPRESSED
    table.rows[1][2] = None  # a partner view blanks the percentage of a suppressed cell
    table.columns.append(Column("days", "Mediana de días", "days"))
    for row in (*table.rows, table.total):
        assert row is not None
        row.append(2.25)
    model = ReportTableModel(table)
    assert (_show(model, 1, 1), _show(model, 1, 2)) == ("<5", "")
    assert _show(model, 1, 1, ALIGN) == RIGHT
    assert _show(model, 0, 3) == "2.2"  # days with one decimal


def test_a_table_without_totals_and_no_table() -> None:
    table = _table()
    table.total = None
    assert ReportTableModel(table).rowCount() == 3
    empty = ReportTableModel()
    assert (empty.rowCount(), empty.columnCount()) == (0, 0)


def test_chart_data_categories_and_series(qapp: QApplication) -> None:
    table = _table("hbar")
    data = chart_data(table)
    assert data is not None
    assert data.categories == ["Lima Norte", "Lima Sur", "Callao"]
    assert data.series == [("Personas", [1234.0, 3.0, 0.0])]  # not the totals row
    chart = build_chart(table)
    assert chart is not None
    (series,) = chart.series()
    assert isinstance(series, QHorizontalBarSeries)
    # drawn from the bottom, so the table's first row is the top bar
    assert [series.barSets()[0].at(i) for i in range(3)] == [0.0, 3.0, 1234.0]
    assert chart_data(_table(None)) is None and build_chart(_table(None)) is None


def test_long_names_turn_bars_horizontal_and_suppressed_cells_draw_as_zero(
        qapp: QApplication) -> None:
    table = _table("bar")
    assert isinstance(build_chart(table).series()[0], QBarSeries)  # type: ignore[union-attr]
    table.rows[0][0] = "Gestión de la migración en situaciones de crisis"
    table.rows[1][1] = SUPPRESSED
    data = chart_data(table)
    assert data is not None and data.kind == "hbar"
    assert data.series[0][1] == [1234.0, 0.0, 0.0]


def test_a_pie_keeps_the_largest_slices_and_groups_the_rest(qapp: QApplication) -> None:
    labels = [(str(i), f"Nacionalidad {i}") for i in range(12)]
    counts = {str(i): 100 - i for i in range(12)}
    rows, total = count_rows(labels, counts)
    table = Table("by_nationality", "Por nacionalidad",
                  [Column("label", "Nacionalidad", "text"), Column("n", "Personas"),
                   Column("pct", "%", "percent")], rows, total, chart="pie")
    chart = build_chart(table)
    assert chart is not None
    (series,) = chart.series()
    assert isinstance(series, QPieSeries)
    slices = series.slices()
    assert len(slices) == MAX_PIE_SLICES
    assert [s.value() for s in slices[:-1]] == [float(100 - i) for i in range(MAX_PIE_SLICES - 1)]
    assert slices[-1].value() == sum(100 - i for i in range(MAX_PIE_SLICES - 1, 12))
    assert slices[-1].label().startswith("Otros")


def test_axis_names_are_shortened_but_never_repeated() -> None:
    names = ["Gestión de la migración en situaciones de crisis",
             "Gestión de la migración en situaciones de emergencia",
             "Orientación general", "Orientación general"]
    assert axis_labels(names, shorten=True) == [
        names[0], names[1], "Orientación general", "Orientación general (2)"]
    assert axis_labels(["Regularización: carné de extranjería"], shorten=True) == [
        "Regularización: carné de…"]
    assert axis_labels(names[:1], shorten=False) == names[:1]
