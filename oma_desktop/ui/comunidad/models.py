"""Qt item models of the Comunidad page: the events list, the organisations registry, and the
two small lists of the event form (persons linked, staff by gerencia).

The rows are what the services return (``EventRow``, ``OrganisationRow``, ``Attendee``) or
plain pairs; the models only read them, so they are tested without a window. Counts are
right-aligned; inactive organisations are shown in grey.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from oma_desktop.i18n import N_, _, format_number
from oma_desktop.services.events import EventRow
from oma_desktop.services.organisations import OrganisationRow
from oma_desktop.ui.models.table_model import Index, RowsTableModel

ID_ROLE = Qt.ItemDataRole.UserRole + 1
INACTIVE_COLOR = QColor("#757575")
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class _Model(RowsTableModel):
    """Display text from :meth:`cell`; the columns in ``numeric`` right-aligned."""

    numeric: frozenset[int] = frozenset()

    def cell(self, row: Any, column: int) -> str:
        raise NotImplementedError

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(row, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.numeric:
            return _RIGHT
        if role == ID_ROLE:
            return str(getattr(row, "id", ""))
        return self.extra(row, role)

    def extra(self, row: Any, role: int) -> Any:
        return None

    def row_of(self, row_id: str) -> int:
        """The row showing the record ``row_id``; -1 if not listed."""
        for number, row in enumerate(self._rows):
            if getattr(row, "id", None) == row_id:
                return number
        return -1


class EventsModel(_Model):
    """The events list: the place, the persons linked and the rest are in the details under
    it (the title keeps its room on a 1366-pixel screen)."""

    headers = (N_("Date"), N_("Kind of event"), N_("Event"), N_("Attendance"), N_("Women"),
               N_("Men"), N_("Under 18"), N_("Migrants"), N_("Casa"))
    numeric = frozenset({3, 4, 5, 6, 7})
    COL_DATE, COL_KIND, COL_TITLE, COL_TOTAL = range(4)
    COL_CASA = 8

    def __init__(self, casa_name: Callable[[str], str] | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._casa_name = casa_name or (lambda code: code)

    def cell(self, row: EventRow, column: int) -> str:
        if column == 0:
            return row.dates_text
        if column == 1:
            return row.kind_label
        if column == 2:
            return row.title
        if 3 <= column <= 7:
            value = (row.attendance_total, row.attendance_women, row.attendance_men,
                     row.attendance_minors, row.attendance_migrants)[column - 3]
            return format_number(value)
        if column == 8:
            return self._casa_name(row.casa_id)
        return ""


class OrganisationsModel(_Model):
    """The registry: the kind, the e-mail and the rest are in the details under it."""

    headers = (N_("Organisation"), N_("District"), N_("Members"), N_("Recognition"),
               N_("Part. budget"), N_("Contact"), N_("Phone"))
    numeric = frozenset({2})

    def __init__(self, district_name: Callable[[str], str] | None = None,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self._district_name = district_name or (lambda code: code)

    def cell(self, row: OrganisationRow, column: int) -> str:
        if column == 0:
            return row.shown_name + ("" if row.active else " — " + _("inactive"))
        if column == 1:
            return self._district_name(row.district_ubigeo) if row.district_ubigeo else ""
        if column == 2:
            return "" if row.members is None else format_number(row.members)
        if column == 3:
            return row.recognition_label
        if column == 4:
            if not row.participatory_budget:
                return _("No")
            return row.budget_years or _("Yes")
        if column == 5:
            return row.contact_name
        if column == 6:
            return row.contact_phone
        return ""

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole
                and section == 4):
            return _("Takes part in the participatory budget (years)")
        return super().headerData(section, orientation, role)

    def extra(self, row: OrganisationRow, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and not row.active:
            return QBrush(INACTIVE_COLOR)
        return None


class AttendeesModel(_Model):
    """The registered persons linked to the event being edited (``Attendee`` rows)."""

    headers = (N_("Name"),)

    def cell(self, row: Any, column: int) -> str:
        return str(row.name)

    def ids(self) -> list[str]:
        return [str(r.person_id) for r in self._rows]

    def row_of(self, row_id: str) -> int:
        for number, row in enumerate(self._rows):
            if row.person_id == row_id:
                return number
        return -1


class StaffModel(_Model):
    """The staff of each gerencia who took part in a training: (gerencia, participants)."""

    headers = (N_("Gerencia"), N_("Participants"))
    numeric = frozenset({1})

    def cell(self, row: tuple[str, int], column: int) -> str:
        return row[0] if column == 0 else format_number(row[1])

    def as_dict(self) -> dict[str, int]:
        return {name: n for name, n in self._rows}

    def total(self) -> int:
        return sum(n for _name, n in self._rows)
