"""The day's attentions as a table (one row per consultation) and the counts beside it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from oma_desktop import i18n
from oma_desktop.i18n import N_, _
from oma_desktop.services.today import DayRow

COL_TIME = 0
COL_PERSON = 1
COL_TOPICS = 2
COL_STAFF = 3
COL_CHANNEL = 4
COL_FOLLOW_UP = 5
_HEADERS = (N_("Time"), N_("Person"), N_("Topics"), N_("Staff"), N_("Channel"), N_("Follow-up"))

CONSULTATION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


class DayModel(QAbstractTableModel):
    """Read-only rows of :class:`DayRow`; anonymous walk-ins in italics."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[DayRow] = []

    def set_rows(self, rows: Sequence[DayRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, number: int) -> DayRow | None:
        return self._rows[number] if 0 <= number < len(self._rows) else None

    def row_of(self, consultation_id: str) -> int:
        return next((n for n, r in enumerate(self._rows) if r.consultation_id == consultation_id), -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(_HEADERS)):
            return _(_HEADERS[section])
        return None

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

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemNeverHasChildren)


class CountModel(QAbstractTableModel):
    """(name, count) pairs: the attentions by topic or by staff member."""

    def __init__(self, heading: str, parent: Any = None) -> None:
        super().__init__(parent)
        self._heading = heading  # msgid
        self._rows: list[tuple[str, int]] = []

    def set_rows(self, rows: Sequence[tuple[str, int]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[tuple[str, int]]:
        return list(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(self._heading) if section == 0 else _("Attentions") if section == 1 else None
        return None

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

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemNeverHasChildren)
