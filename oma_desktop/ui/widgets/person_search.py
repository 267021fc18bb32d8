"""The person search panel shared by Atención, Personas and the pickers of other screens.

A big search box over a results table, searching as the clerk types (names in any order,
document numbers, phones): Down or Enter go into the results, Enter chooses a row, Up on
the first row or typing go back to the box, Esc clears it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QHideEvent, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.vocab import document_short_label
from oma_desktop.i18n import _, ngettext
from oma_desktop.services.casas import casa_names
from oma_desktop.services.context import AppContext
from oma_desktop.services.search import hit_for_person, search_persons
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.models.person_search_model import (
    COL_AGE,
    COL_CASA,
    COL_DOCUMENT,
    COL_LAST_VISIT,
    COL_NAME,
    COL_NATIONALITY,
    COL_PHONE,
    PersonSearchModel,
)

SEARCH_DEBOUNCE_MS = 150
SEARCH_LIMIT = 50
MIN_NAME_WIDTH = 180
# columns given up first when the table is narrow (the name and the document always stay)
HIDE_ORDER = (COL_CASA, COL_LAST_VISIT, COL_PHONE, COL_NATIONALITY, COL_AGE)



def side_width(page_width: int, share: float, low: int, high: int) -> int:
    """Width of a page's right-hand column: ``share`` of the page, kept within [low, high],
    so the search box and the results keep their room on a small screen."""
    return max(low, min(high, int(page_width * share)))


def document_samples() -> tuple[str, ...]:
    """The widest documents a row shows: a Venezuelan cédula and a passport with their dots."""
    return (f"{document_short_label('CEDULA_VE')} V-12.345.678",
            f"{document_short_label('PASAPORTE')} AB1234567", "CSR 123456789")


KEY_NEW_CONSULTATION = "F2"
KEY_NEW_PERSON = "Ctrl+N"
KEY_FIND = "Ctrl+F"

WARN_STYLE = "color: #8a5a00; font-weight: bold;"


def key_text(sequence: str) -> str:
    """The shortcut as printed on buttons: ``Ctrl+Shift+N`` (short, as on the keyboard)."""
    return QKeySequence(sequence).toString(QKeySequence.SequenceFormat.PortableText)


def is_printable(event: QKeyEvent) -> bool:
    mods = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier & ~Qt.KeyboardModifier.KeypadModifier
    text = event.text()
    return bool(text) and text.isprintable() and not text.isspace() and mods == Qt.KeyboardModifier.NoModifier


class SearchField(QLineEdit):
    """The big search box: Down or Enter go to the results, Esc clears."""

    go_down = Signal()
    enter_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if key == Qt.Key.Key_Down and plain:
            self.go_down.emit()
            event.accept()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain:
            self.enter_pressed.emit()
            event.accept()
            return
        if key == Qt.Key.Key_Escape and plain and self.text():
            self.clear()
            event.accept()
            return
        super().keyPressEvent(event)


class ResultsTable(QTableView):
    """Enter chooses the row; Up on the first row, or typing, go back to the search box."""

    chosen = Signal(int)
    back_to_search = Signal(str)
    resized = Signal()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        row = self.currentIndex().row()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if row >= 0:
                self.chosen.emit(row)
            event.accept()
            return
        if key == Qt.Key.Key_Up and row <= 0:
            self.back_to_search.emit("")
            event.accept()
            return
        if key == Qt.Key.Key_Backspace or is_printable(event):
            self.back_to_search.emit("\b" if key == Qt.Key.Key_Backspace else event.text())
            event.accept()
            return
        super().keyPressEvent(event)


class PersonSearchPanel(QWidget):
    """Search box, result count and results table, searching as the clerk types."""

    current_person_changed = Signal(object)  # person id or None
    person_chosen = Signal(str)  # Enter or double-click on a row
    searched = Signal(int)  # number of rows shown

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        debounce_ms: int = SEARCH_DEBOUNCE_MS,
        limit: int = SEARCH_LIMIT,
        picking: bool = False,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.limit = limit
        self.picking = picking  # only choosing a person: no F2 / Ctrl+N hints
        self._casa_loaded = False
        self._more = False
        self._last_text: str | None = None

        self.search_edit = SearchField()
        self.search_edit.setObjectName("personSearch")
        self.search_edit.setPlaceholderText(_("Search by given names, surnames, document or phone"))
        self.search_edit.setAccessibleName(_("Search for a person"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setFont(scaled(self.search_edit.font(), 1.3))
        self.search_edit.setMinimumHeight(QFontMetrics(self.search_edit.font()).height() + 16)
        self.search_edit.textChanged.connect(self._on_text_changed)
        self.search_edit.go_down.connect(self._go_down)
        self.search_edit.enter_pressed.connect(self._go_down)

        self.search_edit.setMinimumWidth(QFontMetrics(self.search_edit.font()).horizontalAdvance("0" * 22))

        self.count_label = QLabel()
        self.count_label.setObjectName("resultCount")
        self.count_label.setWordWrap(True)
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        # the search box has a row of its own (its hint is never cut); the count and the
        # pages' buttons (added to top_layout) share the row under it
        self.top_layout = QHBoxLayout()
        self.top_layout.setContentsMargins(0, 0, 0, 0)
        self.top_layout.addWidget(self.count_label, 1)

        self.model = PersonSearchModel(ctx.catalogs, parent=self)
        self.table = ResultsTable()
        self.table.setObjectName("personResults")
        self.table.setAccessibleName(_("People found"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setTabKeyNavigation(False)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(QFontMetrics(self.table.font()).height() + 12)
        self._set_column_widths()
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.table.chosen.connect(self._choose_row)
        self.table.doubleClicked.connect(lambda index: self._choose_row(index.row()))
        self.table.back_to_search.connect(self._back_to_search)
        self.table.resized.connect(self._fit_columns)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self.search_now)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.search_edit)
        layout.addLayout(self.top_layout)
        layout.addWidget(self.table, 1)
        self.setFocusProxy(self.search_edit)
        self._update_count()

    def _set_column_widths(self) -> None:
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setMinimumSectionSize(36)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        fm = QFontMetrics(self.table.font())
        hfm = QFontMetrics(header.font())
        pad = 14

        def width(title: str, *samples: str) -> int:
            return max(hfm.horizontalAdvance(title), *(fm.horizontalAdvance(s) for s in samples)) + pad

        self._widths = {
            COL_AGE: width(_("Age"), "≈100"),
            COL_NATIONALITY: width(_("Nationality"), "Venezuela"),
            COL_DOCUMENT: width(_("Document"), *document_samples()),
            COL_CASA: width(_("Casa"), "Casa Vecinal 6"),
            COL_LAST_VISIT: width(_("Last attention"), "30/12/2026"),
            COL_PHONE: width(_("Phone"), "987654321"),
        }
        for column, value in self._widths.items():
            self.table.setColumnWidth(column, value)

    def _fit_columns(self) -> None:
        """Give the name at least MIN_NAME_WIDTH, hiding the less needed columns if short of room."""
        available = self.table.viewport().width()
        hidden: set[int] = set()
        for column in HIDE_ORDER:
            shown = sum(w for c, w in self._widths.items() if c not in hidden)
            if available - shown >= MIN_NAME_WIDTH:
                break
            hidden.add(column)
        for column in self._widths:
            self.table.setColumnHidden(column, column in hidden)

    # --- searching ------------------------------------------------------------------

    def text(self) -> str:
        return self.search_edit.text()

    def set_text(self, text: str, search: bool = True) -> None:
        """Put ``text`` in the search box; search at once (no debounce) unless told not to."""
        self.search_edit.blockSignals(True)
        self.search_edit.setText(text)
        self.search_edit.blockSignals(False)
        self._timer.stop()
        if search:
            self.search_now()

    def _on_text_changed(self, _text: str) -> None:
        self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        """A hidden panel does not search (its window may be closing with its database)."""
        self._timer.stop()
        super().hideEvent(event)

    def showEvent(self, event: QShowEvent) -> None:
        """What was typed before the panel was hidden is searched when it shows again."""
        super().showEvent(event)
        if self.text() != (self._last_text or ""):
            self._timer.start()

    def _load_casa_names(self) -> None:
        if not self._casa_loaded:
            self._casa_loaded = True
            self.model.set_casa_names(casa_names(self.ctx.session))

    def search_now(self) -> None:
        """Search for what is typed now (the debounce timer calls this)."""
        self._timer.stop()
        if self.ctx.session.closed:
            return
        text = self.text()
        self._last_text = text
        self._load_casa_names()
        hits = search_persons(self.ctx.session, text, limit=self.limit + 1) if text.strip() else []
        self._more = len(hits) > self.limit
        self._set_hits(hits[: self.limit])

    def _set_hits(self, hits: list[Any], keep: str | None = None) -> None:
        keep = keep or self.current_person_id()
        self.model.set_hits(hits)
        row = self.model.row_of(keep) if keep else -1
        if row < 0 and len(hits) == 1:
            row = 0
        if row >= 0:
            self._select_row(row)
        else:
            self.current_person_changed.emit(None)
        self._update_count()
        self.searched.emit(len(hits))

    def refresh(self) -> None:
        """Search again for the same text, keeping the selected person (e.g. after a save)."""
        keep = self.current_person_id()
        if self._last_text is None:
            return
        text = self._last_text
        hits = search_persons(self.ctx.session, text, limit=self.limit + 1) if text.strip() else []
        self._more = len(hits) > self.limit
        hits = hits[: self.limit]
        if keep and all(h.id != keep for h in hits):
            hit = hit_for_person(self.ctx.session, keep)
            if hit is not None:
                hits.insert(0, hit)
        self._set_hits(hits, keep)

    def is_search_pending(self) -> bool:
        return self._timer.isActive()

    def _update_count(self) -> None:
        text = self.text().strip()
        n = self.model.rowCount()
        self.count_label.setStyleSheet("")
        if not text:
            message = "" if self.picking else _(
                "Type to search. ↓ goes to the list, Enter shows the person, F2 records a "
                "consultation."
            )
        elif n == 0:
            message = _("Nobody found.") if self.picking else _(
                "Nobody found. Press {key} to register “{text}”."
            ).format(key=key_text(KEY_NEW_PERSON), text=text)
            self.count_label.setStyleSheet(WARN_STYLE)
        elif self._more:
            message = _(
                "More than {n} people found; the first {n} are shown. Type more to narrow the search."
            ).format(n=n)
        else:
            message = ngettext("{n} person found", "{n} people found", n).format(n=n)
        self.count_label.setText(message)

    # --- selection ------------------------------------------------------------------

    def current_person_id(self) -> str | None:
        index = self.table.currentIndex()
        return self.model.person_id(index.row()) if index.isValid() else None

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, COL_NAME)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        self.current_person_changed.emit(self.model.person_id(row))

    def select_person(self, person_id: str) -> bool:
        row = self.model.row_of(person_id)
        if row < 0:
            return False
        self._select_row(row)
        return True

    def show_person(self, person_id: str) -> bool:
        """Put ``person_id`` in the results (searching their name) and select them."""
        hit = hit_for_person(self.ctx.session, person_id)
        if hit is None:
            return False
        self.set_text(hit.full_name, search=False)
        self._last_text = hit.full_name
        self._load_casa_names()
        found = search_persons(self.ctx.session, hit.full_name, limit=self.limit)
        hits = [h for h in found if h.id != hit.id]
        self._more = False
        self._set_hits([hit, *hits[: self.limit - 1]], keep=hit.id)
        return True

    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_person_changed.emit(self.model.person_id(current.row()) if current.isValid() else None)

    def _choose_row(self, row: int) -> None:
        person_id = self.model.person_id(row)
        if person_id:
            self.person_chosen.emit(person_id)

    # --- focus ----------------------------------------------------------------------

    def focus_search(self, select_all: bool = True) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if select_all:
            self.search_edit.selectAll()

    def focus_results(self) -> bool:
        if self.model.rowCount() == 0:
            return False
        if self.current_person_id() is None:
            self._select_row(0)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def _go_down(self) -> None:
        if self.is_search_pending() or self._last_text != self.text():
            self.search_now()
        self.focus_results()

    def _back_to_search(self, text: str) -> None:
        self.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.search_edit.deselect()
        if text == "\b":
            self.search_edit.backspace()
        elif text:
            self.search_edit.end(False)
            self.search_edit.insert(text)
