"""A read-only list of records, one line a row, that Enter opens.

Whole rows are selected one at a time, nothing is edited in place, there are no row numbers,
Tab leaves the table (it does not walk the cells) and long text is cut with «…». Enter (or
the keypad's) on the current row emits ``chosen`` — a bare QTableView would do nothing.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QFontMetrics, QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QTableView, QWidget

PLAIN_ENTER = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)


class RowTable(QTableView):
    """``name`` is the object name, ``accessible_name`` what a screen reader says;
    ``row_padding`` pixels are added to the font's height for each row."""

    chosen = Signal(QModelIndex)

    def __init__(self, name: str, accessible_name: str, row_padding: int = 10,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible_name)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().setVisible(False)
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
