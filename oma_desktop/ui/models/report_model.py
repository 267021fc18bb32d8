"""A report table (``services.report_model.Table``) as a Qt item model (issue #11).

One row per table row, then the totals row (bold) when the table has one. Values are shown
as the column's kind says: counts and numbers with the locale's grouping, percentages with
one decimal and «%», days with one decimal; text as it is. A suppressed cell of a partner
view («<5») and anything else that is not a number is shown as it is. Numbers are aligned
right. ``Qt.UserRole`` gives the raw value.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from oma_desktop.i18n import _, format_number, format_percent
from oma_desktop.services.report_model import Column, Table

Index = QModelIndex | QPersistentModelIndex
RAW_ROLE = Qt.ItemDataRole.UserRole
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def cell_text(column: Column, value: Any) -> str:
    """How a value of ``column`` is shown (the PDF and the screen agree on this)."""
    if value is None:
        return ""
    if column.kind == "text" or isinstance(value, str | bool):
        return str(value)
    if column.kind == "percent":
        return format_percent(float(value) / 100.0, 1)
    if column.kind == "days":
        return format_number(round(float(value), 1))
    if isinstance(value, float) and value.is_integer() and column.kind == "count":
        value = int(value)
    return format_number(value)


class ReportTableModel(QAbstractTableModel):
    """Read-only; :meth:`set_table` replaces what is shown."""

    def __init__(self, table: Table | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._table: Table | None = table

    def set_table(self, table: Table | None) -> None:
        self.beginResetModel()
        self._table = table
        self.endResetModel()

    @property
    def table(self) -> Table | None:
        return self._table

    def has_total(self) -> bool:
        return self._table is not None and self._table.total is not None

    def is_total_row(self, row: int) -> bool:
        return self._table is not None and self.has_total() and row == len(self._table.rows)

    def row_values(self, row: int) -> list[Any]:
        assert self._table is not None
        if self.is_total_row(row):
            assert self._table.total is not None
            return list(self._table.total)
        return list(self._table.rows[row])

    # --- Qt ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._table is None:
            return 0
        return len(self._table.rows) + (1 if self.has_total() else 0)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() or self._table is None:
            return 0
        return len(self._table.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self._table is None or orientation != Qt.Orientation.Horizontal:
            return None
        if not 0 <= section < len(self._table.columns):
            return None
        column = self._table.columns[section]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return column.label
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return LEFT if column.kind == "text" else RIGHT
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self._table is None:
            return None
        column = self._table.columns[index.column()]
        values = self.row_values(index.row())
        value = values[index.column()] if index.column() < len(values) else None
        if role == Qt.ItemDataRole.DisplayRole:
            if self.is_total_row(index.row()) and index.column() == 0 and value in (None, ""):
                return _("Total")
            return cell_text(column, value)
        if role == RAW_ROLE:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole:
            numeric = column.kind != "text" or isinstance(value, int | float)
            return int((RIGHT if numeric else LEFT).value)
        if role == Qt.ItemDataRole.FontRole and self.is_total_row(index.row()):
            font = QFont()
            font.setBold(True)
            return font
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemNeverHasChildren)
