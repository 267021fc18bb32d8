"""Posibles duplicados por revisar: the coordinator decides what an import could not.

A thin screen over two item models: the import rows waiting for a decision, and the
registered persons the selected row may be. "Misma persona" records the row's
consultations for the chosen person (``services.duplicate_review.resolve_same``) and then
offers what the row typed as changes to that record (the same-person dialog); "Otra
persona" registers the row as a new person (``resolve_different``). Opened from the
Personas page and from Archivo → Posibles duplicados por revisar….
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import N_, _, format_date, ngettext
from oma_desktop.services.context import AppContext
from oma_desktop.services.duplicate_review import (
    ReviewEntry,
    pending_reviews,
    resolve_different,
    resolve_same,
)
from oma_desktop.services.permissions import Permission
from oma_desktop.services.search import PersonHit, hit_for_person
from oma_desktop.ui.personas.same_person_dialog import SamePersonDialog
from oma_desktop.ui.widgets.field_widgets import plain

_Index = QModelIndex | QPersistentModelIndex


class _Table(QAbstractTableModel):
    """Rows of strings with headers; subclasses say how an item becomes its cells."""

    headers: tuple[str, ...] = ()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cells: list[list[str]] = []

    def _set(self, cells: list[list[str]]) -> None:
        self.beginResetModel()
        self._cells = cells
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._cells)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole,
                                               Qt.ItemDataRole.ToolTipRole):
            return None
        return self._cells[index.row()][index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(self.headers[section])
        return None


class ReviewModel(_Table):
    """The import rows waiting for a coordinator."""

    headers = (N_("From"), N_("Name"), N_("Birth date"), N_("Document"), N_("Phone"),
               N_("Consultations"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[ReviewEntry] = []

    def set_entries(self, entries: Sequence[ReviewEntry]) -> None:
        self.entries = list(entries)
        self._set([[e.origin_text, e.full_name, e.birth_text, e.document_text, e.person.phone,
                    str(len(e.consultations))] for e in self.entries])


class CandidateModel(_Table):
    """The registered persons the selected row may be."""

    headers = (N_("Name"), N_("Age"), N_("Document"), N_("Phone"), N_("Last visit"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hits: list[PersonHit] = []

    def set_hits(self, hits: Sequence[PersonHit]) -> None:
        self.hits = list(hits)
        cells = []
        for hit in self.hits:
            age = _("{age} years").format(age=hit.age) if hit.age is not None else ""
            document = " ".join(x for x in (hit.document_type, hit.document_number) if x)
            last = format_date(hit.last_visit[:10]) if hit.last_visit else ""
            cells.append([hit.full_name, age, document, hit.phone, last])
        self._set(cells)


def _table(model: QAbstractTableModel, name: str) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTabKeyNavigation(False)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class DuplicateReviewDialog(QDialog):
    """Posibles duplicados por revisar: misma persona / otra persona, one row at a time."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.same_person_dialog: SamePersonDialog | None = None
        self.setWindowTitle(_("Possible duplicates to review"))
        self.reviews = ReviewModel(self)
        self.candidates = CandidateModel(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.review_view = _table(self.reviews, _("Rows to review"))
        self.candidate_label = QLabel(_("It may be one of these registered persons:"))
        self.candidate_view = _table(self.candidates, _("Registered persons it may be"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("reviewMessage")

        self.same_button = QPushButton(_("&Same person"))
        self.same_button.setToolTip(_("The row is the chosen registered person: its consultations "
                                      "are recorded for that person, and what it typed is offered "
                                      "as changes to the record."))
        self.other_button = QPushButton(_("&Another person"))
        self.other_button.setToolTip(_("The row is someone else: it is registered as a new "
                                       "person with its consultations."))
        self.close_button = QPushButton(_("&Close"))
        for button in (self.same_button, self.other_button, self.close_button):
            button.setAccessibleName(plain(button.text()))
            button.setAutoDefault(False)
        self.same_button.clicked.connect(self.same_person)
        self.other_button.clicked.connect(self.other_person)
        self.close_button.clicked.connect(self.accept)

        buttons = QHBoxLayout()
        buttons.addWidget(self.same_button)
        buttons.addWidget(self.other_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.review_view, 3)
        layout.addWidget(self.candidate_label)
        layout.addWidget(self.candidate_view, 2)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.review_view.selectionModel().currentRowChanged.connect(self._show_candidates)
        self.candidate_view.selectionModel().currentRowChanged.connect(self._update_buttons)
        self.setMinimumSize(720, 420)
        self.resize(1000, 560)
        self.reload()

    # --- what is shown ------------------------------------------------------------------

    def reload(self) -> None:
        """Read the pending rows again and select the first one."""
        self.reviews.set_entries(pending_reviews(self.ctx.session))
        n = len(self.reviews.entries)
        if n:
            self.intro.setText(ngettext(
                "{n} row of an import may be a person already registered. Choose the row, then "
                "the registered person it is («Same person»), or «Another person».",
                "{n} rows of imports may be persons already registered. Choose a row, then the "
                "registered person it is («Same person»), or «Another person».", n).format(n=n))
            self.review_view.selectRow(0)
            self.review_view.setFocus()
        else:
            self.intro.setText(_("There are no possible duplicates to review."))
            self.candidates.set_hits([])
            self.close_button.setFocus()
        self._show_candidates()

    def current_entry(self) -> ReviewEntry | None:
        row = self.review_view.currentIndex().row()
        return self.reviews.entries[row] if 0 <= row < len(self.reviews.entries) else None

    def current_candidate(self) -> PersonHit | None:
        row = self.candidate_view.currentIndex().row()
        return self.candidates.hits[row] if 0 <= row < len(self.candidates.hits) else None

    def _show_candidates(self, *_args: object) -> None:
        entry = self.current_entry()
        hits = []
        if entry is not None:
            hits = [h for h in (hit_for_person(self.ctx.session, pid) for pid in entry.candidates)
                    if h is not None]
        self.candidates.set_hits(hits)
        if hits:
            self.candidate_view.selectRow(0)
        self._update_buttons()

    def _update_buttons(self, *_args: object) -> None:
        entry = self.current_entry()
        # deciding is for the roles that import (the services refuse the others anyway)
        decide = self.ctx.session.can(Permission.IMPORT)
        self.same_button.setEnabled(
            decide and entry is not None and self.current_candidate() is not None)
        self.other_button.setEnabled(decide and entry is not None)

    def _say(self, text: str, ok: bool = True) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("" if ok else "color: #b71c1c;")

    # --- decisions ----------------------------------------------------------------------

    def same_person(self) -> None:
        entry, hit = self.current_entry(), self.current_candidate()
        if entry is None or hit is None:
            return
        try:
            written = resolve_same(self.ctx.session, entry.id, hit.id)
        except OmaError as exc:
            self._say(str(exc), ok=False)
            self.reload()
            return
        self._say(ngettext(
            "{name}: {n} consultation recorded for {person}.",
            "{name}: {n} consultations recorded for {person}.", written).format(
                name=entry.full_name, n=written, person=hit.full_name))
        dialog = SamePersonDialog(self.ctx, hit.id, hit.full_name, entry.person, parent=self)
        self.same_person_dialog = dialog
        dialog.finished.connect(lambda _code: self._changes_answered(dialog, hit.full_name))
        dialog.open()

    def _changes_answered(self, dialog: SamePersonDialog, name: str) -> None:
        self.same_person_dialog = None
        dialog.deleteLater()
        if dialog.saved:
            self._say(ngettext("{name}: {n} change saved in the record.",
                               "{name}: {n} changes saved in the record.",
                               dialog.saved).format(name=name, n=dialog.saved))
        self.reload()

    def other_person(self) -> None:
        entry = self.current_entry()
        if entry is None:
            return
        try:
            resolve_different(self.ctx.session, entry.id)
        except OmaError as exc:
            self._say(str(exc), ok=False)
        else:
            self._say(_("{name} was registered as a new person.").format(name=entry.full_name))
        self.reload()


def open_duplicate_review(ctx: AppContext, parent: QWidget | None = None) -> DuplicateReviewDialog:
    """Open the review list (non-blocking); returns the dialog."""
    dialog = DuplicateReviewDialog(ctx, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def review_button(ctx: AppContext, parent: QWidget) -> QPushButton:
    """"Posibles duplicados (N)" for the Personas page: shown only while some wait, kept up
    to date as imports and decisions change the list."""
    from oma_desktop.services.duplicate_review import pending_count
    from oma_desktop.ui.changes import subscribe

    button = QPushButton(parent)
    button.setToolTip(_("Import rows that may be persons already registered, for a "
                        "coordinator to decide."))

    def refresh(_changed: frozenset[str] = frozenset()) -> None:
        n = pending_count(ctx.session)
        button.setText(_("Possible duplicates ({n})").format(n=n))
        button.setAccessibleName(button.text())
        button.setVisible(n > 0)

    button.clicked.connect(lambda: open_duplicate_review(ctx, parent))
    subscribe(button, ctx.session, frozenset({"duplicate_review", "person"}), refresh)
    refresh()
    return button
