"""Atención: find the person at the desk, see who they are, record what they asked.

Everything works from the keyboard: the search field has the focus, Down moves into
the results, Enter shows the person, F2 opens a new consultation, Ctrl+N registers the
person typed when nobody is found, Ctrl+Shift+N records an anonymous quick
consultation and Esc clears the search.

Dialogs are opened with ``open()`` (window-modal, never a nested event loop); the
page keeps the one on screen in :attr:`AttentionPage.active_dialog`.
"""

from __future__ import annotations

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QVBoxLayout, QWidget

from oma_desktop.i18n import _
from oma_desktop.services.context import AppContext
from oma_desktop.ui.changes import PERSON_ENTITIES, subscribe
from oma_desktop.ui.widgets.person_page import PersonPageBase, action_button, shortcut
from oma_desktop.ui.widgets.person_search import key_text, side_width

SUMMARY_WIDTH = 380  # at most; a third of the page at 1366×768 leaves every result column
SUMMARY_MIN_WIDTH = 320
SUMMARY_SHARE = 0.30
KEY_QUICK_CONSULTATION = "Ctrl+Shift+N"


class AttentionPage(PersonPageBase):
    """The front desk's default page."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.quick_button = action_button(_("Quick consultation"), KEY_QUICK_CONSULTATION)
        self.quick_button.setToolTip(
            _("Record an anonymous consultation, without personal data ({key}).").format(
                key=key_text(KEY_QUICK_CONSULTATION)
            )
        )
        self.quick_button.clicked.connect(self.quick_consultation)
        self._top_button(self.new_person_button)
        self._top_button(self.quick_button)

        self.open_record_button = action_button(_("Open in People"))
        self.open_record_button.setToolTip(_("See and edit all the details of the person."))
        self.open_record_button.clicked.connect(self._request_record)

        right = QWidget()
        right.setObjectName("summaryColumn")
        right.setFixedWidth(SUMMARY_WIDTH)
        self.side_column = right
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(12, 0, 0, 0)
        right_layout.addWidget(self.summary, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_consultation_button, 1)
        buttons.addWidget(self.open_record_button)
        right_layout.addLayout(buttons)
        self._layout(right)
        self.shortcuts[KEY_QUICK_CONSULTATION] = shortcut(
            self, KEY_QUICK_CONSULTATION, self.quick_consultation
        )
        subscribe(self, ctx.session, PERSON_ENTITIES, self.reload)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.side_column.setFixedWidth(
            side_width(self.width(), SUMMARY_SHARE, SUMMARY_MIN_WIDTH, SUMMARY_WIDTH))

    def reload(self, _changed: frozenset[str] = frozenset()) -> None:
        """Records changed (a background import, another page): show them as they are now."""
        self.panel.refresh()
        self.summary.refresh()
        self._update_buttons()

    def _update_buttons(self) -> None:
        super()._update_buttons()
        if hasattr(self, "open_record_button"):
            self.open_record_button.setEnabled(self.selected_person_id() is not None)

    def _request_record(self) -> None:
        person_id = self.selected_person_id()
        if person_id:
            self.person_requested.emit(person_id)

    def quick_consultation(self) -> QDialog | None:
        """Ctrl+Shift+N: an anonymous consultation."""
        if self._host.dialog is not None:
            return None
        return self._host.open(self._consultation_dialog(anonymous=True), self._consultation_saved)
