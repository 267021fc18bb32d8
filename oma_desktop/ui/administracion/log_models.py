"""Qt item models of the «Registro de accesos» and «Incidentes de seguridad» tabs.

:class:`AuditLogModel` reads the audit log a page at a time through a ``fetch(offset,
limit)`` function (the tab passes one over ``services.audit.audit_log`` with its filters):
the view asks for more rows as it scrolls (``canFetchMore``/``fetchMore``), so a log of a
million lines opens as fast as one of ten. :class:`IncidentsModel` shows the register with
the notice deadline; overdue incidents get the soft red of the other lists. Both only read
attributes of what the services return, so they are tested without a window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from oma_desktop.i18n import N_, _, format_datetime, format_number
from oma_desktop.services.audit import HEADERS, AuditRow
from oma_desktop.services.incidents import Incident
from oma_desktop.ui.models.table_model import RowsTableModel

Index = QModelIndex | QPersistentModelIndex
Fetch = Callable[[int, int], Sequence[AuditRow]]

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
OVERDUE_ROLE = Qt.ItemDataRole.UserRole + 3
OVERDUE_COLOR = QColor("#fbe3e1")
PAGE = 200

# the audit table's columns: HEADERS without the record id (shown as a tooltip)
AUDIT_COLUMNS = (0, 1, 2, 3, 5, 6)
COL_WHEN, COL_USER, COL_ACTION, COL_KIND, COL_PERSON, COL_DETAIL = range(6)


_Table = RowsTableModel  # the shared list-of-rows table (ui/models/table_model.py)


class AuditLogModel(_Table):
    """The audit log, newest first, fetched ``page`` rows at a time."""

    headers = tuple(HEADERS[i] for i in AUDIT_COLUMNS)

    def __init__(self, fetch: Fetch | None = None, page: int = PAGE, parent: Any = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._page = page
        self._more = fetch is not None

    def set_fetch(self, fetch: Fetch | None) -> None:
        """Start again with ``fetch`` (new filters): the first page is read now."""
        self.beginResetModel()
        self._fetch, self._rows, self._more = fetch, [], fetch is not None
        self.endResetModel()
        if self._more:
            self.fetchMore(QModelIndex())

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index) -> None:
        if parent.isValid() or not self._more or self._fetch is None:
            return
        rows = list(self._fetch(len(self._rows), self._page))
        self._more = len(rows) == self._page
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def has_more(self) -> bool:
        return self._more

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row: AuditRow = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells()[AUDIT_COLUMNS[index.column()]]
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == COL_KIND and row.entity_id:
                return _("Record id: {id}").format(id=row.entity_id)
            return row.cells()[AUDIT_COLUMNS[index.column()]]
        if role == ROW_ROLE:
            return row
        if role == ID_ROLE:
            return row.entity_id
        return None


def deadline_text(incident: Incident, now: dt.datetime) -> str:
    """The notice deadline, and «vencido» when it passed without a notice."""
    when = format_datetime(incident.deadline)
    if incident.overdue(now):
        return _("{when} (overdue)").format(when=when)
    return when


class IncidentsModel(_Table):
    """The register: detected, deadline, state, title, persons affected, notified to."""

    headers = (N_("Detected"), N_("Notice due"), N_("State"), N_("Incident"),
               N_("Persons affected"), N_("Notified to"))

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.now = dt.datetime.now()

    def set_rows(self, rows: Sequence[Incident], now: dt.datetime | None = None) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.now = now or dt.datetime.now()
        self.endResetModel()

    def cell(self, row: Incident, column: int) -> str:
        if column == 0:
            return format_datetime(row.detected_at)
        if column == 1:
            return deadline_text(row, self.now) if row.status == "abierto" else "—"
        if column == 2:
            return row.status_text
        if column == 3:
            return row.title
        if column == 4:
            return _("not known") if row.persons_affected is None else format_number(
                row.persons_affected)
        if column == 5:
            if row.notified_at is None:
                return "—"
            text = _("{whom}, {when}").format(whom=row.notified_to,
                                              when=format_datetime(row.notified_at))
            if row.notified_at > row.deadline:  # a late notice must give its reasons
                text = _("{notice} (late)").format(notice=text)
            return text
        return ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row: Incident = self._rows[index.row()]
        overdue = row.overdue(self.now)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(row, index.column())
        if role == ROW_ROLE:
            return row
        if role == ID_ROLE:
            return row.id
        if role == OVERDUE_ROLE:
            return overdue
        if role == Qt.ItemDataRole.BackgroundRole and overdue:
            return QBrush(OVERDUE_COLOR)
        if role == Qt.ItemDataRole.ForegroundRole and overdue:
            return QBrush(QColor("#1f1f1f"))
        return None

    def row_of(self, incident_id: str) -> int:
        for number, row in enumerate(self._rows):
            if row.id == incident_id:
                return number
        return -1
