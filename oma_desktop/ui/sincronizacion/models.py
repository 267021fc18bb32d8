"""The «Sincronización» page's tables as Qt item models (testable without a window): the
files exchanged, the history per casa, the conflicts to review, the persons of two casas
that may be the same, the links made, and the result of an import per file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from oma_desktop.i18n import N_, _, format_date, format_datetime, format_number
from oma_desktop.services.sync import FileImport
from oma_desktop.services.sync_review import (
    Conflict,
    CrossCasaPair,
    InstallationHistory,
    LinkRow,
    PersonBrief,
    SyncFileRow,
)
from oma_desktop.ui.models.table_model import Index, RowsTableModel

_WARN = QColor("#b71c1c")
_DISPLAY = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole)


def local_time(iso: str | None) -> str:
    """``27/11/2026 15:30`` in this PC's time for a stored UTC time stamp ("" for none)."""
    if not iso:
        return ""
    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return format_datetime(when)


def person_text(person: PersonBrief) -> str:
    parts = [person.full_name]
    if person.birth_date:
        parts.append(format_date(person.birth_date))
    parts.extend(person.documents)
    return " · ".join(p for p in parts if p)


class FilesModel(RowsTableModel):
    """The files written or read here (``sync_file``), newest first."""

    headers = (N_("Date and time"), N_("File"), N_("Kind"), N_("Casa"), N_("Operations"),
               N_("Applied"), N_("Gaps"))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row: SyncFileRow | None = self.row_object(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = index.column()
        if role in _DISPLAY:
            if column == 0:
                return local_time(row.at)
            if column == 1:
                return row.file_name
            if column == 2:
                return kind_label(row)
            if column == 3:
                return row.casa_id
            if column == 4:
                return format_number(row.op_count)
            if column == 5:
                return format_number(row.applied) if row.direction == "import" else "—"
            return ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in row.gaps)
        if role == Qt.ItemDataRole.ForegroundRole and column == 6 and row.gaps:
            return QBrush(_WARN)
        return None


def kind_label(row: SyncFileRow) -> str:
    if row.kind == "reference":
        if row.direction == "export":
            return _("Reference data sent")
        return _("Reference data received (version {n})").format(n=row.version or "")
    return _("Sync file sent") if row.direction == "export" else _("Sync file received")


class HistoryModel(RowsTableModel):
    """Headquarters: one line per installation of each casa."""

    headers = (N_("Casa"), N_("PC"), N_("Last file"), N_("Received"), N_("Files"),
               N_("Operations held"), N_("Missing operations"), N_("Conflicts"),
               N_("Warnings"))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row: InstallationHistory | None = (self.row_object(index.row()) if index.isValid()
                                           else None)
        if row is None:
            return None
        column = index.column()
        if role in _DISPLAY:
            if column == 0:
                return row.casa_name
            if column == 1:
                text = row.station or row.installation_id[:8]
                return _("{pc} (revoked)").format(pc=text) if row.revoked_at else text
            if column == 2:
                return row.last_file_name or _("none yet")
            if column == 3:
                return local_time(row.last_file_at)
            if column == 4:
                return format_number(row.files)
            if column == 5:
                return format_number(row.operations)
            if column == 6:
                return row.gaps_text or _("none")
            if column == 7:
                return format_number(row.conflicts_pending)
            return " ".join(row.warnings)
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return _("Key fingerprint: {fingerprint}").format(fingerprint=row.fingerprint)
        if role == Qt.ItemDataRole.ForegroundRole and (
                (column == 6 and row.gaps) or (column == 1 and row.revoked_at)
                or (column == 7 and row.conflicts_pending)):
            return QBrush(_WARN)
        return None


class ConflictsModel(RowsTableModel):
    """Headquarters: the same field changed at two places, both values kept."""

    headers = (N_("Detected"), N_("Record"), N_("Field"), N_("Applied value"), N_("From"),
               N_("Other value"), N_("From"), N_("State"))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row: Conflict | None = self.row_object(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = index.column()
        if role in _DISPLAY:
            return (
                local_time(row.detected_at), row.record_label, row.field_label, row.winner_text,
                row.winner_casa, row.loser_text, row.loser_casa,
                _("pending") if row.status == "pendiente" else _("reviewed"),
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole and row.note:
            return row.note
        return None

    def conflict_at(self, row: int) -> Conflict | None:
        found: Conflict | None = self.row_object(row)
        return found


class PairsModel(RowsTableModel):
    """Headquarters: persons of two casas the matching finds probably the same."""

    headers = (N_("Person"), N_("Casa"), N_("Possibly the same as"), N_("Casa"),
               N_("Score"), N_("Why"))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row: CrossCasaPair | None = self.row_object(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role in _DISPLAY:
            return (person_text(row.first), row.first.casa_id, person_text(row.second),
                    row.second.casa_id, format_number(row.score),
                    "; ".join(row.reasons))[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join([person_text(row.first), person_text(row.second), *row.reasons])
        return None


class LinksModel(RowsTableModel):
    """Headquarters: the «misma persona» links made (active ones)."""

    headers = (N_("Person"), N_("Casa"), N_("Same person as"), N_("Casa"), N_("Linked on"),
               N_("Note"))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row: LinkRow | None = self.row_object(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role in _DISPLAY:
            return (person_text(row.first), row.first.casa_id, person_text(row.second),
                    row.second.casa_id, local_time(row.made_at), row.note)[index.column()]
        return None


class ImportResultsModel(RowsTableModel):
    """Headquarters: what happened to each file of an import."""

    headers = (N_("File"), N_("Result"))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row: FileImport | None = self.row_object(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role in _DISPLAY:
            if index.column() == 0:
                return row.path.name
            lines = row.lines()
            name = row.path.name
            first = lines[0] if lines else ""
            first = first[len(name):].lstrip(": ") if first.startswith(name) else first
            return " ".join([first, *(line.strip() for line in lines[1:])])
        if role == Qt.ItemDataRole.ForegroundRole and not row.ok:
            return QBrush(_WARN)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(row.lines())
        return None
