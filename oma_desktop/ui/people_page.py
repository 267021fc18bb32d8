"""Personas: find a person, see their whole record and timeline, edit their details.

Same keyboard as Atención: Ctrl+F search, Down/Enter in the results, F2 new
consultation, Ctrl+N new person, Ctrl+E edit the selected person's details. Double-click
(or Enter) on a consultation in the timeline opens it for editing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QVBoxLayout, QWidget

from oma_desktop.i18n import _
from oma_desktop.services.context import AppContext
from oma_desktop.ui.changes import PERSON_ENTITIES, subscribe
from oma_desktop.ui.personas.duplicate_review import review_button
from oma_desktop.ui.widgets.person_page import PersonPageBase, action_button, shortcut
from oma_desktop.ui.widgets.person_search import side_width

KEY_EDIT_PERSON = "Ctrl+E"
DETAIL_WIDTH = 500  # at most: on a small screen the search keeps its room
DETAIL_MIN_WIDTH = 340
DETAIL_SHARE = 0.42


class PeoplePage(PersonPageBase):
    """Search on the left; the selected person's record and timeline on the right."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent, extended=True)
        self._top_button(self.new_person_button)
        self.review_button = review_button(ctx, self)
        self._top_button(self.review_button)
        self.edit_button = action_button(_("Edit details"), KEY_EDIT_PERSON)
        self.edit_button.clicked.connect(self.edit_person)
        self.consent_form_button = action_button(_("Consent form"))  # issue #9.5
        self.consent_form_button.clicked.connect(lambda: self.print_consent_form())

        right = QWidget()
        right.setObjectName("detailColumn")
        right.setFixedWidth(DETAIL_WIDTH)
        self.side_column = right
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(12, 0, 0, 0)
        right_layout.addWidget(self.summary, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.new_consultation_button, 1)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.consent_form_button, 0, Qt.AlignmentFlag.AlignLeft)
        self._layout(right)
        self.shortcuts[KEY_EDIT_PERSON] = shortcut(self, KEY_EDIT_PERSON, self.edit_person)
        subscribe(self, ctx.session, PERSON_ENTITIES, self.reload)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.side_column.setFixedWidth(
            side_width(self.width(), DETAIL_SHARE, DETAIL_MIN_WIDTH, DETAIL_WIDTH))

    def reload(self, _changed: frozenset[str] = frozenset()) -> None:
        """Records changed (a background import, another page): show them as they are now."""
        self.panel.refresh()
        self.summary.refresh()
        self._update_buttons()

    def _update_buttons(self) -> None:
        super()._update_buttons()
        if hasattr(self, "edit_button"):
            self.edit_button.setEnabled(self.selected_person_id() is not None)
        if hasattr(self, "consent_form_button"):
            self.consent_form_button.setEnabled(self.selected_person_id() is not None)

    def edit_person(self) -> QDialog | None:
        """Ctrl+E: the person form for the selected person."""
        if self.active_dialog is not None:
            return None
        person_id = self.selected_person_id()
        if person_id is None:
            self._say(_("First choose a person from the list (↓ and Enter)."), ok=False)
            return None
        dialog = self._person_dialog(person_id=person_id)
        if dialog is None:
            return None
        return self._host.open(dialog, self._person_edited)

    def print_consent_form(self) -> None:
        """Write the selected person's consent form (A4) into the exports folder off the
        GUI thread, then open it to print."""
        from oma_desktop.services.consent import write_consent_form
        from oma_desktop.ui.tasks import run_job
        from oma_desktop.ui.widgets import sheet_export

        person_id = self.selected_person_id()
        if person_id is None:
            return
        path = self.ctx.paths.exports / f"consentimiento-{person_id[:13]}.pdf"

        def done(written: Path) -> None:
            self.consent_form_path = written
            self._say(_("Consent form saved in {path}.").format(path=written))
            sheet_export.open_file(written)

        run_job(self, self.ctx,
                lambda session, _progress: write_consent_form(session, person_id, path), done)

    def _person_edited(self, dialog: QDialog) -> None:
        person_id = getattr(dialog, "result_person_id", None) or self.selected_person_id()
        if person_id:
            self.panel.refresh()
            self.show_person(person_id)
            self._say(_("Details saved."))
            self.table.setFocus(Qt.FocusReason.OtherFocusReason)
