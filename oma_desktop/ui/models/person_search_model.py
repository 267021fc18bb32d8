"""The people found by a search, one row each, as the clerk reads them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from oma_desktop import i18n
from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.vocab import document_short_label
from oma_desktop.i18n import N_, _
from oma_desktop.services.search import PersonHit

PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 1
HIT_ROLE = Qt.ItemDataRole.UserRole + 2

COL_NAME = 0
COL_AGE = 1
COL_NATIONALITY = 2
COL_DOCUMENT = 3
COL_CASA = 4
COL_LAST_VISIT = 5
COL_PHONE = 6

_HEADERS = (
    N_("Name"),
    N_("Age"),
    N_("Nationality"),
    N_("Document"),
    N_("Casa"),
    N_("Last attention"),
    N_("Phone"),
)

ESTIMATED = "≈"

_Index = QModelIndex | QPersistentModelIndex


def format_age(age: int | None, estimated: bool) -> str:
    if age is None:
        return ""
    return f"{ESTIMATED}{age}" if estimated else str(age)


def document_text(hit: PersonHit, catalogs: Catalogs | None = None) -> str:
    if hit.document_type in (None, "", "NINGUNO") and not hit.document_number:
        return ""
    kind = document_short_label(hit.document_type, catalogs)
    return f"{kind} {hit.document_number or ''}".strip()


class PersonSearchModel(QAbstractTableModel):
    """Rows are :class:`PersonHit`; ``PERSON_ID_ROLE`` gives the person id of any cell."""

    COL_NAME = COL_NAME
    COL_AGE = COL_AGE
    COL_NATIONALITY = COL_NATIONALITY
    COL_DOCUMENT = COL_DOCUMENT
    COL_CASA = COL_CASA
    COL_LAST_VISIT = COL_LAST_VISIT
    COL_PHONE = COL_PHONE
    COLUMN_COUNT = len(_HEADERS)

    def __init__(
        self,
        catalogs: Catalogs | None = None,
        casa_names: Mapping[str, str] | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._catalogs = catalogs
        self._casa_names = dict(casa_names or {})
        self._hits: list[PersonHit] = []

    # --- content ------------------------------------------------------------------

    def set_hits(self, hits: Sequence[PersonHit]) -> None:
        self.beginResetModel()
        self._hits = list(hits)
        self.endResetModel()

    def set_casa_names(self, names: Mapping[str, str]) -> None:
        self._casa_names = dict(names)
        if self._hits:
            self.dataChanged.emit(
                self.index(0, COL_CASA), self.index(len(self._hits) - 1, COL_CASA)
            )

    def hits(self) -> list[PersonHit]:
        return list(self._hits)

    def hit(self, row: int) -> PersonHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def person_id(self, row: int) -> str | None:
        hit = self.hit(row)
        return hit.id if hit else None

    def row_of(self, person_id: str) -> int:
        """The row showing ``person_id``, or -1."""
        for row, hit in enumerate(self._hits):
            if hit.id == person_id:
                return row
        return -1

    # --- QAbstractTableModel ------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMN_COUNT

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < self.COLUMN_COUNT:
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                return _(_HEADERS[section])
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        hit = self.hit(index.row())
        if hit is None or not 0 <= index.column() < self.COLUMN_COUNT:
            return None
        column = index.column()
        if role == PERSON_ID_ROLE:
            return hit.id
        if role == HIT_ROLE:
            return hit
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(hit, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_AGE and hit.age_estimated and hit.age is not None:
                return _("Approximate age")
            return self._text(hit, column) or None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = self._text(hit, column)
            if column == COL_AGE and hit.age_estimated and hit.age is not None:
                return _("about {age}").format(age=hit.age)
            return text
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_AGE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, hit: PersonHit, column: int) -> str:
        if column == COL_NAME:
            return hit.full_name
        if column == COL_AGE:
            return format_age(hit.age, hit.age_estimated)
        if column == COL_NATIONALITY:
            return i18n.country_name(hit.nationality)
        if column == COL_DOCUMENT:
            return document_text(hit, self._catalogs)
        if column == COL_CASA:
            return self._casa_names.get(hit.casa_id or "", hit.casa_id or "")
        if column == COL_LAST_VISIT:
            return i18n.format_date(hit.last_visit) if hit.last_visit else ""
        if column == COL_PHONE:
            return hit.phone or ""
        return ""

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
