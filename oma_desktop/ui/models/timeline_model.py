"""A person's timeline (newest first) as a list: date, what happened, detail, who."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from oma_desktop import i18n
from oma_desktop.services.timeline import TimelineEntry

WHEN_ROLE = Qt.ItemDataRole.UserRole + 1
TITLE_ROLE = Qt.ItemDataRole.UserRole + 2
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 3
USER_ROLE = Qt.ItemDataRole.UserRole + 4
KIND_ROLE = Qt.ItemDataRole.UserRole + 5
REF_ID_ROLE = Qt.ItemDataRole.UserRole + 6
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 7
DATE_TEXT_ROLE = Qt.ItemDataRole.UserRole + 8

_Index = QModelIndex | QPersistentModelIndex


class TimelineModel(QAbstractListModel):
    """One row per :class:`TimelineEntry`; DisplayRole is a short three-line text."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[TimelineEntry] = []

    def set_entries(self, entries: Sequence[TimelineEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entries(self) -> list[TimelineEntry]:
        return list(self._entries)

    def entry(self, row: int) -> TimelineEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid() or index.column() != 0:
            return None
        entry = self.entry(index.row())
        if entry is None:
            return None
        when = i18n.format_datetime(entry.when)
        if role == Qt.ItemDataRole.DisplayRole:
            lines = [f"{when} · {entry.title}"]
            if entry.detail:
                lines.append(entry.detail)
            if entry.user:
                lines.append(entry.user)
            return "\n".join(lines)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return " — ".join(x for x in (when, entry.title, entry.detail, entry.user) if x)
        if role == WHEN_ROLE:
            return entry.when
        if role == DATE_TEXT_ROLE:
            return when
        if role == TITLE_ROLE:
            return entry.title
        if role == DETAIL_ROLE:
            return entry.detail
        if role == USER_ROLE:
            return entry.user
        if role == KIND_ROLE:
            return entry.kind
        if role == REF_ID_ROLE:
            return entry.ref_id
        if role == ENTRY_ROLE:
            return entry
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
