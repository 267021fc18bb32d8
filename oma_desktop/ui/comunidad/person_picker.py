"""Choosing the registered persons who took part in an event: the person search of Atención
(``PersonSearchPanel``, through ``services.search``) in a dialog that stays open, so the
persons on an attendance sheet are added one after another: search, ↓, Enter adds the person
and the search box is ready for the next name; «Listo» (or Esc) closes it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import _
from oma_desktop.services.context import AppContext
from oma_desktop.services.search import hit_for_person
from oma_desktop.ui.widgets.person_search import PersonSearchPanel


class AttendeePickerDialog(QDialog):
    """``person_picked(person_id, name)`` for each person added."""

    person_picked = Signal(str, str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.added: list[str] = []
        self.setWindowTitle(_("Add registered persons to the event"))
        self.panel = PersonSearchPanel(ctx, self, limit=30, picking=True)
        self.panel.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.panel.person_chosen.connect(self.add)
        self.panel.current_person_changed.connect(self._on_current)
        hint = QLabel(_("Search the person, choose them with ↓ and press Enter to add them; "
                        "then search the next one."))
        hint.setWordWrap(True)
        self.added_label = QLabel()
        self.added_label.setWordWrap(True)
        self.add_button = QPushButton(_("Add"))
        self.add_button.setAutoDefault(False)
        self.add_button.setEnabled(False)
        self.add_button.clicked.connect(lambda: self.add(self.panel.current_person_id() or ""))
        done = QPushButton(_("Done ({key})").format(key="Esc"))
        done.setAutoDefault(False)
        done.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.added_label, 1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(done)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.panel, 1)
        layout.addLayout(buttons)
        self.resize(860, 460)
        self.panel.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_current(self, person_id: Any) -> None:
        self.add_button.setEnabled(bool(person_id))

    def add(self, person_id: str) -> bool:
        """Add the person (their name as the search shows it) and get ready for the next."""
        if not person_id:
            return False
        hit = hit_for_person(self.ctx.session, person_id)
        if hit is None:
            return False
        self.person_picked.emit(person_id, hit.full_name)
        self.added.append(person_id)
        self.added_label.setText(_("Added: {name}").format(name=hit.full_name))
        self.panel.set_text("", search=True)
        self.panel.focus_search()
        return True

    def reject(self) -> None:
        """Esc closes the dialog: the persons added stay added."""
        self.accept()
