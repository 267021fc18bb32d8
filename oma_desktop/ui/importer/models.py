"""Table models of the import dialog: the column mapping, the row problems, the preview."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from oma_desktop import i18n
from oma_desktop.i18n import N_, _
from oma_desktop.services.importer import TARGET_FIELDS, PreviewRow, RowIssue, Table, target_label

_Index = QModelIndex | QPersistentModelIndex

NOT_IMPORTED = ""
SAMPLE_COUNT = 3
SAMPLE_SEPARATOR = " · "

TARGET_ROLE = Qt.ItemDataRole.UserRole + 1
SEVERITY_ROLE = Qt.ItemDataRole.UserRole + 2
ROW_NUMBER_ROLE = Qt.ItemDataRole.UserRole + 3
STATUS_ROLE = Qt.ItemDataRole.UserRole + 4

ERROR_COLOR = QColor("#fbe3e1")
WARNING_COLOR = QColor("#fff2cc")
TEXT_COLOR = QColor("#1f1f1f")

_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def column_letter(index: int) -> str:
    """``A``, ``B`` … ``Z``, ``AA`` …: the column as the spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_title(headers: Sequence[str], index: int) -> str:
    header = headers[index] if 0 <= index < len(headers) else ""
    return header or _("column {number}").format(number=index + 1)


def not_imported_label() -> str:
    return _("— do not import —")


def target_text(key: str) -> str:
    return target_label(key) if key else not_imported_label()


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")


def sample_text(value: str) -> str:
    """A cell as the clerk saw it in Excel: dates read from a workbook as ``27/11/2026``."""
    try:
        if _ISO_DATE.fullmatch(value):
            return i18n.format_date(value)
        if _ISO_DATETIME.fullmatch(value):
            return i18n.format_datetime(value)
    except ValueError:
        pass
    return value


def column_samples(table: Table, index: int, count: int = SAMPLE_COUNT) -> list[str]:
    """The first ``count`` different non-empty values of column ``index``, as shown."""
    found: list[str] = []
    for row in table.rows:
        value = sample_text(row[index].strip()) if index < len(row) else ""
        if value and value not in found:
            found.append(value)
            if len(found) >= count:
                break
    return found


# --------------------------------------------------------------------------- mapping

MAP_COL_HEADER = 0
MAP_COL_SAMPLES = 1
MAP_COL_TARGET = 2
_MAP_HEADERS = (N_("Column in the list"), N_("Examples"), N_("Import as"))


class MappingModel(QAbstractTableModel):
    """One row per spreadsheet column: its header, sample values and target field.

    The target column is editable (EditRole / :data:`TARGET_ROLE` hold the target key,
    '' for "do not import"); ``mapping()`` is what :func:`plan_import` expects.
    """

    mapping_changed = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._headers: list[str] = []
        self._samples: list[list[str]] = []
        self._targets: list[str] = []

    def set_table(self, table: Table, mapping: dict[int, str]) -> None:
        self.beginResetModel()
        self._headers = list(table.headers)
        self._samples = [column_samples(table, i) for i in range(len(table.headers))]
        self._targets = [mapping.get(i, NOT_IMPORTED) for i in range(len(table.headers))]
        self.endResetModel()
        self.mapping_changed.emit()

    def headers(self) -> list[str]:
        return list(self._headers)

    def mapping(self) -> dict[int, str]:
        return {i: target for i, target in enumerate(self._targets) if target}

    def target(self, row: int) -> str:
        return self._targets[row]

    def set_target(self, row: int, key: str) -> bool:
        return self.setData(self.index(row, MAP_COL_TARGET), key, Qt.ItemDataRole.EditRole)

    def row_of_header(self, header: str) -> int:
        return self._headers.index(header)

    # --- Qt model -------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_MAP_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return _(_MAP_HEADERS[section]) if 0 <= section < len(_MAP_HEADERS) else None
        return column_letter(section) if 0 <= section < len(self._headers) else None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row, column = index.row(), index.column()
        if not 0 <= row < len(self._headers):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == MAP_COL_HEADER:
                return column_title(self._headers, row)
            if column == MAP_COL_SAMPLES:
                return SAMPLE_SEPARATOR.join(self._samples[row]) or _("(empty)")
            if column == MAP_COL_TARGET:
                return target_text(self._targets[row])
        if role == Qt.ItemDataRole.ToolTipRole and column == MAP_COL_SAMPLES:
            return "\n".join(self._samples[row]) or None
        if role in (Qt.ItemDataRole.EditRole, TARGET_ROLE) and column == MAP_COL_TARGET:
            return self._targets[row]
        if role == Qt.ItemDataRole.ForegroundRole and column == MAP_COL_SAMPLES:
            return QBrush(QColor("#5f6368"))
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (
            not index.isValid()
            or index.column() != MAP_COL_TARGET
            or role not in (Qt.ItemDataRole.EditRole, TARGET_ROLE)
        ):
            return False
        key = str(value or "")
        if key and key not in {t.key for t in TARGET_FIELDS}:
            return False
        if self._targets[index.row()] == key:
            return True
        self._targets[index.row()] = key
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole])
        self.mapping_changed.emit()
        return True

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if index.column() == MAP_COL_TARGET:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags


# --------------------------------------------------------------------------- issues

ISSUE_COL_KIND = 0
ISSUE_COL_MESSAGE = 1  # the message names the row ("Fila 7: …")
_ISSUE_HEADERS = (N_("Kind"), N_("What to correct"))


class IssuesModel(QAbstractTableModel):
    """The problems found in the rows: errors (red) block the import, warnings (amber) do not."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._issues: list[RowIssue] = []

    def set_issues(self, issues: Sequence[RowIssue]) -> None:
        self.beginResetModel()
        # errors first, then by row: what blocks the import is read first
        self._issues = sorted(issues, key=lambda i: (i.severity != "error", i.row_number))
        self.endResetModel()

    def issues(self) -> list[RowIssue]:
        return list(self._issues)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._issues)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_ISSUE_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(_ISSUE_HEADERS)):
            return _(_ISSUE_HEADERS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        if not 0 <= index.row() < len(self._issues):
            return None
        issue = self._issues[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == ISSUE_COL_KIND:
                return _("Error") if issue.severity == "error" else _("Warning")
            if column == ISSUE_COL_MESSAGE:
                return issue.message
        if role == Qt.ItemDataRole.ToolTipRole and column == ISSUE_COL_MESSAGE:
            return issue.message
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(ERROR_COLOR if issue.severity == "error" else WARNING_COLOR)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(TEXT_COLOR)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _LEFT
        if role == SEVERITY_ROLE:
            return issue.severity
        if role == ROW_NUMBER_ROLE:
            return issue.row_number
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


# --------------------------------------------------------------------------- preview

PREVIEW_COL_ROW = 0
PREVIEW_COL_STATUS = 1
PREVIEW_COL_NAME = 2
PREVIEW_COL_BIRTH = 3
PREVIEW_COL_DOCUMENT = 4
PREVIEW_COL_NATIONALITY = 5
PREVIEW_COL_DISTRICT = 6
PREVIEW_COL_CONSULTATION = 7
_PREVIEW_HEADERS = (
    N_("Row"), N_("Result"), N_("Name"), N_("Birth date or age"), N_("Document"),
    N_("Nationality"), N_("District"), N_("Consultation"),
)


class PreviewModel(QAbstractTableModel):
    """The first rows as they will be imported (from ``ImportPlan.preview()``)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[PreviewRow] = []

    def set_rows(self, rows: Sequence[PreviewRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[PreviewRow]:
        return list(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_PREVIEW_HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(_PREVIEW_HEADERS)):
            return _(_PREVIEW_HEADERS[section])
        return None

    def _text(self, row: PreviewRow, column: int) -> str:
        values = (
            str(row.row_number), row.status_label, row.name, row.birth_date, row.document,
            row.nationality, row.district, row.consultation,
        )
        return values[column] if 0 <= column < len(values) else ""

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        if not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(row.messages) or None
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.status == "error":
                return QBrush(ERROR_COLOR)
            if row.messages:
                return QBrush(WARNING_COLOR)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(TEXT_COLOR) if row.status == "error" or row.messages else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if index.column() == PREVIEW_COL_ROW else _LEFT
        if role == STATUS_ROLE:
            return row.status
        if role == ROW_NUMBER_ROLE:
            return row.row_number
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
