"""A read-only list of records, one line a row (:func:`read_only_rows`), and
:class:`RowTable`, such a list that Enter opens.

Whole rows are selected one at a time, nothing is edited in place, there are no row numbers,
Tab leaves the table (it does not walk the cells) and long text is cut with «…». Enter (or
the keypad's) on the current row emits ``chosen`` — a bare QTableView would do nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QFontMetrics, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

PLAIN_ENTER = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)


def read_only_rows(table: QTableView, accessible_name: str) -> QTableView:
    """``table`` as a list of records: whole rows selected one at a time, nothing edited in
    place, no row numbers, one line a row with long text cut with «…»."""
    table.setAccessibleName(accessible_name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.verticalHeader().setVisible(False)
    return table


class RowTable(QTableView):
    """``name`` is the object name, ``accessible_name`` what a screen reader says;
    ``row_padding`` pixels are added to the font's height for each row."""

    chosen = Signal(QModelIndex)

    def __init__(self, name: str, accessible_name: str, row_padding: int = 10,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        read_only_rows(self, accessible_name)
        self.setTabKeyNavigation(False)
        self.verticalHeader().setDefaultSectionSize(
            QFontMetrics(self.font()).height() + row_padding)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() in PLAIN_ENTER):
            index = self.currentIndex()
            if index.isValid():
                self.chosen.emit(index)
            event.accept()
            return
        super().keyPressEvent(event)
