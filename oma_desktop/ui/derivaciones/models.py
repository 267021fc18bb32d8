"""Qt item models of the Derivaciones page: the referrals list and the service directory.

Rows are whatever the services return (``ReferralView``, ``ServiceRow``); the models only
read attributes, so they are tested with plain objects. Overdue referrals (still waiting
for an outcome after their due date) get a soft red background, as in Seguimiento.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from oma_desktop.i18n import N_, _
from oma_desktop.printing.letterhead import known
from oma_desktop.ui.derivaciones.labels import priority_label, status_label
from oma_desktop.ui.models.table_model import Index as _Index
from oma_desktop.ui.models.table_model import RowsTableModel

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
OVERDUE_ROLE = Qt.ItemDataRole.UserRole + 3

OVERDUE_COLOR = QColor("#fbe3e1")
OPEN_STATUSES = ("emitida", "entregada")


def attr(obj: Any, *names: str, default: Any = "") -> Any:
    """The first of ``names`` that ``obj`` has (an attribute or a mapping key)."""
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def date_text(value: Any) -> str:
    day = as_date(value)
    return day.strftime("%d/%m/%Y") if day else ""


def is_overdue(row: Any, today: dt.date) -> bool:
    due = as_date(attr(row, "due_date"))
    return bool(attr(row, "status") in OPEN_STATUSES and due is not None and due < today)


class _TableModel(RowsTableModel):
    """Display text from :meth:`cell`; the row and its id through roles."""

    def cell(self, row: Any, column: int) -> str:
        raise NotImplementedError

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(row, index.column())
        if role == ROW_ROLE:
            return row
        if role == ID_ROLE:
            return str(attr(row, "id"))
        return self.extra(row, index, role)

    def extra(self, row: Any, index: _Index, role: int) -> Any:
        return None


class ReferralsModel(_TableModel):
    """One row per referral: code, person, destination, priority, due date, state."""

    headers = (N_("Code"), N_("Person"), N_("Destination"), N_("Priority"), N_("Due"),
               N_("State"))

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.today = dt.date.today()

    def cell(self, row: Any, column: int) -> str:
        if column == 0:
            return str(attr(row, "code"))
        if column == 1:
            return str(attr(row, "person_name", "person"))
        if column == 2:
            return str(attr(row, "service_name", "destination", "service"))
        if column == 3:
            return priority_label(str(attr(row, "priority")))
        if column == 4:
            return date_text(attr(row, "due_date"))
        if column == 5:
            text = status_label(str(attr(row, "status")))
            return _("{state} (overdue)").format(state=text) if is_overdue(row, self.today) \
                else text
        return ""

    def extra(self, row: Any, index: _Index, role: int) -> Any:
        overdue = is_overdue(row, self.today)
        if role == OVERDUE_ROLE:
            return overdue
        if role == Qt.ItemDataRole.BackgroundRole and overdue:
            return QBrush(OVERDUE_COLOR)
        if role == Qt.ItemDataRole.ForegroundRole and overdue:
            return QBrush(QColor("#1f1f1f"))
        return None

    def row_of(self, code: str) -> int:
        for number, row in enumerate(self._rows):
            if attr(row, "code") == code:
                return number
        return -1


def topic_codes(value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            return [value]
    return [str(v) for v in value or ()]


class ServicesModel(_TableModel):
    """The service directory: name, kind, topics, district, phone, hours."""

    headers = (N_("Service"), N_("Type"), N_("Topics"), N_("District"), N_("Phone"),
               N_("Hours"))

    def __init__(self, topic_names: dict[str, str] | None = None,
                 district_names: dict[str, str] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.topic_names = topic_names or {}
        self.district_names = district_names or {}

    def cell(self, row: Any, column: int) -> str:
        if column == 0:
            name = str(attr(row, "name"))
            acronym = known(str(attr(row, "acronym")))
            return f"{acronym} — {name}" if acronym and acronym not in name else name
        if column == 1:
            return str(attr(row, "kind"))
        if column == 2:
            return ", ".join(self.topic_names.get(c, c) for c in topic_codes(attr(row, "topics")))
        if column == 3:
            label = attr(row, "district_name", default="")
            if label:
                return str(label)
            ubigeo = str(attr(row, "district_ubigeo", "district", default="") or "")
            return self.district_names.get(ubigeo, ubigeo)
        if column == 4:
            return known(str(attr(row, "phone")))  # no "not found" or "-" in the list
        if column == 5:
            return known(str(attr(row, "hours")))
        return ""

    def extra(self, row: Any, index: _Index, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and not attr(row, "active", default=True):
            return QBrush(QColor("#6b6b6b"))
        return None
