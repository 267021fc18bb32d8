"""The list of backups as a Qt table model: date and time, reason, size, state."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from oma_desktop.i18n import _, format_datetime, format_number
from oma_desktop.services.backup import BackupInfo

Index = QModelIndex | QPersistentModelIndex
_COLUMNS = ("date", "reason", "size", "state")
_DAMAGED = QColor("#b71c1c")


def format_size(size: int) -> str:
    """«12.3 MB», «85 KB» (decimal units, as the file explorer of Windows shows)."""
    if size >= 100_000:
        return _("{n} MB").format(n=format_number(round(size / 1_000_000, 1)))
    return _("{n} KB").format(n=format_number(max(1, round(size / 1000))))


def state_label(info: BackupInfo) -> str:
    if info.verified is True:
        return _("Verified")
    if info.verified is False:
        return _("Damaged: do not use")
    return _("Not verified (checked when restored)")


class BackupListModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.backups: list[BackupInfo] = []

    def set_backups(self, backups: list[BackupInfo]) -> None:
        self.beginResetModel()
        self.backups = list(backups)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.backups)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if not 0 <= section < len(_COLUMNS):
            return None
        return {"date": _("Date and time"), "reason": _("Reason"), "size": _("Size"),
                "state": _("State")}[_COLUMNS[section]]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.backups):
            return None
        info = self.backups[index.row()]
        column = _COLUMNS[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == "date":
                return format_datetime(info.created)
            if column == "reason":
                return info.reason.label.capitalize()
            if column == "size":
                return format_size(info.size)
            return state_label(info)
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(info.path)
        if role == Qt.ItemDataRole.ForegroundRole and info.verified is False:
            return QBrush(_DAMAGED)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "size":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def backup_at(self, row: int) -> BackupInfo | None:
        return self.backups[row] if 0 <= row < len(self.backups) else None


def backup_table(object_name: str) -> tuple[BackupListModel, QTableView]:
    """The list of backups as both the assistant and the panel show it: a read-only table,
    one backup per row, selected whole."""
    model = BackupListModel()
    table = QTableView()
    table.setObjectName(object_name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setAccessibleName(_("Backups"))
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return model, table
