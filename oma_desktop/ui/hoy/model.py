"""The day's attentions as a table (one row per consultation) and the counts beside it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from oma_desktop import i18n
from oma_desktop.i18n import N_
from oma_desktop.services.today import DayRow
from oma_desktop.ui.models.table_model import Index as _Index
from oma_desktop.ui.models.table_model import RowsTableModel

COL_TIME = 0
COL_PERSON = 1
COL_TOPICS = 2
COL_STAFF = 3
COL_CHANNEL = 4
COL_FOLLOW_UP = 5
_HEADERS = (N_("Time"), N_("Person"), N_("Topics"), N_("Staff"), N_("Channel"), N_("Follow-up"))

CONSULTATION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 2


class DayModel(RowsTableModel):
    """Read-only rows of :class:`DayRow`; anonymous walk-ins in italics."""

    headers = _HEADERS

    def row(self, number: int) -> DayRow | None:
        row: DayRow | None = self.row_object(number)
        return row

    def row_of(self, consultation_id: str) -> int:
        return next((n for n, r in enumerate(self._rows) if r.consultation_id == consultation_id), -1)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row = self.row(index.row())
        if row is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() in (COL_PERSON, COL_TOPICS,
                                                                      COL_STAFF):
            return self._text(row, index.column())
        if role == Qt.ItemDataRole.FontRole and row.anonymous and index.column() == COL_PERSON:
            font = QFont()
            font.setItalic(True)
            return font
        if role == CONSULTATION_ID_ROLE:
            return row.consultation_id
        if role == PERSON_ID_ROLE:
            return row.person_id
        return None

    @staticmethod
    def _text(row: DayRow, column: int) -> str:
        if column == COL_TIME:
            return row.time_text
        if column == COL_PERSON:
            return row.person_name
        if column == COL_TOPICS:
            return row.topics
        if column == COL_STAFF:
            return row.staff_name
        if column == COL_CHANNEL:
            return row.channel
        if column == COL_FOLLOW_UP:
            return i18n.format_date(row.follow_up_date) if row.follow_up_date else ""
        return ""


class CountModel(RowsTableModel):
    """(name, count) pairs: the attentions by topic or by staff member."""

    def __init__(self, heading: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = (heading, N_("Attentions"))  # msgids

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        name, count = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return name if index.column() == 0 else str(count)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return name
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
