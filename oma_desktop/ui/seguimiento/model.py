"""The Seguimiento call list as a table: one row per follow-up due or document about to
expire, with the calls made so far (last result, unanswered attempts) and a phone reported
wrong shown struck through.

Urgency is given through roles (background, foreground, :data:`URGENCY_ROLE`), never by
styling widgets: overdue rows (and documents already expired) in a soft red, rows due
within :data:`SOON_DAYS` days in amber.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from oma_desktop import i18n
from oma_desktop.core.catalogs import Catalogs
from oma_desktop.i18n import N_, _, ngettext
from oma_desktop.services.followup import QueueItem, kind_text, result_label
from oma_desktop.services.timeline import topic_labels
from oma_desktop.ui.models.table_model import Index as _Index
from oma_desktop.ui.models.table_model import RowsTableModel

COL_DUE = 0
COL_DAYS = 1
COL_KIND = 2
COL_PERSON = 3
COL_PHONE = 4
COL_DETAIL = 5
COL_CALLS = 6

_HEADERS = (N_("Date"), N_("Days"), N_("Type"), N_("Person"), N_("Phone"), N_("Detail"),
            N_("Calls"))

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 2
KIND_ROLE = Qt.ItemDataRole.UserRole + 3
REF_ID_ROLE = Qt.ItemDataRole.UserRole + 4
URGENCY_ROLE = Qt.ItemDataRole.UserRole + 5
SORT_ROLE = Qt.ItemDataRole.UserRole + 6

KIND_FOLLOW_UP = "follow_up"
KIND_DOCUMENT = "document"

URGENCY_OVERDUE = "overdue"
URGENCY_SOON = "soon"
URGENCY_NONE = ""
SOON_DAYS = 7

# soft backgrounds that keep dark text readable (contrast > 12:1)
OVERDUE_COLOR = QColor("#fbe3e1")
SOON_COLOR = QColor("#fff2cc")
URGENT_TEXT_COLOR = QColor("#1f1f1f")


def days_text(days: int) -> str:
    """``hace 3 días``, ``ayer``, ``hoy``, ``mañana``, ``en 5 días``."""
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    if days == -1:
        return _("yesterday")
    if days < 0:
        return ngettext("{n} day ago", "{n} days ago", -days).format(n=-days)
    return ngettext("in {n} day", "in {n} days", days).format(n=days)


def urgency(days: int) -> str:
    if days < 0:
        return URGENCY_OVERDUE
    if days <= SOON_DAYS:
        return URGENCY_SOON
    return URGENCY_NONE


def calls_text(item: QueueItem) -> str:
    """``No contesta ×2``: the last call's result and the unanswered attempts."""
    if not item.last_result:
        return ""
    result = result_label(item.last_result)
    return f"{result} ×{item.attempts}" if item.attempts > 1 else result


class FollowUpModel(RowsTableModel):
    """Read-only rows of :class:`QueueItem`; ``set_items`` replaces them all."""

    headers = _HEADERS

    def __init__(self, catalogs: Catalogs | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self._catalogs = catalogs
        self._today = dt.date.today()
        self._details: list[str] = []

    # --- contents -------------------------------------------------------------------

    def set_items(self, items: Sequence[QueueItem], today: dt.date | None = None) -> None:
        rows = list(items)
        self._today = today or dt.date.today()
        self._details = [self._detail(item) for item in rows]
        self.set_rows(rows)

    def items(self) -> list[QueueItem]:
        return self.rows()

    def item(self, row: int) -> QueueItem | None:
        item: QueueItem | None = self.row_object(row)
        return item

    @property
    def today(self) -> dt.date:
        return self._today

    def row_of(self, ref_id: str) -> int:
        """The row showing the follow-up or document ``ref_id``; -1 if none."""
        for row, item in enumerate(self._rows):
            if item.ref_id == ref_id:
                return row
        return -1

    def _detail(self, item: QueueItem) -> str:
        if item.kind == KIND_FOLLOW_UP:
            if self._catalogs is None:
                return item.detail
            try:
                return topic_labels(self._catalogs, item.detail)
            except ValueError:  # not JSON: show what was stored
                return item.detail
        return item.detail

    # --- Qt model -------------------------------------------------------------------

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        item = self.item(index.row())
        if item is None:
            return None
        column = index.column()
        days = item.days_left(self._today)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(item, column, days, index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item, days, index.row())
        if role == Qt.ItemDataRole.BackgroundRole:
            level = urgency(days)
            if level == URGENCY_OVERDUE:
                return QBrush(OVERDUE_COLOR)
            if level == URGENCY_SOON:
                return QBrush(SOON_COLOR)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(URGENT_TEXT_COLOR) if urgency(days) else None
        if role == Qt.ItemDataRole.FontRole:
            if column == COL_PHONE and item.wrong_phone:
                font = QFont()
                font.setStrikeOut(True)
                return font
            if column == COL_PERSON and item.anonymous:
                font = QFont()
                font.setItalic(True)
                return font
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (COL_DUE, COL_DAYS):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == SORT_ROLE:
            if column in (COL_DUE, COL_DAYS):
                return days
            return self._text(item, column, days, index.row()).casefold()
        if role == ITEM_ROLE:
            return item
        if role == PERSON_ID_ROLE:
            return item.person_id
        if role == KIND_ROLE:
            return item.kind
        if role == REF_ID_ROLE:
            return item.ref_id
        if role == URGENCY_ROLE:
            return urgency(days)
        return None

    def _text(self, item: QueueItem, column: int, days: int, row: int) -> str:
        if column == COL_DUE:
            return i18n.format_date(item.due)
        if column == COL_DAYS:
            return days_text(days)
        if column == COL_KIND:
            return kind_text(item, self._today)
        if column == COL_PERSON:
            return item.person_name
        if column == COL_PHONE:
            return item.phone or ""
        if column == COL_DETAIL:
            return self._details[row]
        if column == COL_CALLS:
            return calls_text(item)
        return ""

    def _tooltip(self, item: QueueItem, days: int, row: int) -> str:
        date = i18n.format_date(item.due)
        if item.kind == KIND_FOLLOW_UP:
            when = _("Follow-up planned for {date} ({days}).").format(date=date, days=days_text(days))
        elif days < 0:
            when = _("{document} expired on {date} ({days}).").format(
                document=item.detail, date=date, days=days_text(days))
        else:
            when = _("{document} expires on {date} ({days}).").format(
                document=item.detail, date=date, days=days_text(days))
        lines = [item.person_name, when]
        if item.kind == KIND_FOLLOW_UP and self._details[row]:
            lines.append(self._details[row])
        if item.wrong_phone:
            lines.append(_("The phone {phone} was reported as a wrong number.").format(
                phone=item.phone))
        if item.last_call:
            lines.append(_("Last call: {call}").format(call=item.last_call))
        if item.attempts:
            lines.append(ngettext("{n} call without answer", "{n} calls without answer",
                                  item.attempts).format(n=item.attempts))
        return "\n".join(lines)
