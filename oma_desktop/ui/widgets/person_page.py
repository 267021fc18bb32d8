"""What the Atención and Personas pages share: the search panel, the person's summary,
the action buttons and the dialogs they open.

Dialogs are opened with ``open()`` (window-modal, never a nested event loop); the page
keeps the one on screen in :attr:`PersonPageBase.active_dialog`. The person and
consultation forms are imported when first needed, so the pages start fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import _
from oma_desktop.services.context import AppContext
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.widgets.person_search import (
    KEY_FIND,
    KEY_NEW_CONSULTATION,
    KEY_NEW_PERSON,
    WARN_STYLE,
    PersonSearchPanel,
    key_text,
)
from oma_desktop.ui.widgets.person_summary import PersonSummary

OK_STYLE = "color: #1b5e20;"
KEY_REFER = "Ctrl+D"

DialogFactory = Callable[..., QDialog]


def person_dialog_class() -> DialogFactory:
    """The person form (imported only when first needed)."""
    from oma_desktop.ui.personas.person_form import PersonDialog

    return PersonDialog


def consultation_dialog_class() -> DialogFactory:
    """The consultation form (imported only when first needed)."""
    from oma_desktop.ui.atencion.consultation_form import ConsultationDialog

    return ConsultationDialog


class DialogHost:
    """Opens one window-modal dialog at a time and calls back when it is accepted."""

    def __init__(self, owner: QWidget) -> None:
        self.owner = owner
        self.dialog: QDialog | None = None

    def open(self, dialog: QDialog, on_accepted: Callable[[QDialog], None]) -> QDialog:
        self.dialog = dialog

        def finished(result: int) -> None:
            if self.dialog is dialog:
                self.dialog = None
            self.owner.window().activateWindow()  # the page's shortcuts work again at once
            try:
                if result == QDialog.DialogCode.Accepted:
                    on_accepted(dialog)
            finally:
                dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        return dialog


def shortcut(owner: QWidget, sequence: str, slot: Callable[[], Any]) -> QShortcut:
    """A shortcut active while ``owner`` is visible in the active window."""
    sc = QShortcut(QKeySequence(sequence), owner)
    sc.setContext(Qt.ShortcutContext.WindowShortcut)
    sc.activated.connect(slot)
    return sc


def action_button(text: str, sequence: str | None = None, primary: bool = False) -> QPushButton:
    label = _("{action} ({key})").format(action=text, key=key_text(sequence)) if sequence else text
    button = QPushButton(label)
    button.setAutoDefault(True)  # Enter on the focused button presses it
    if sequence:
        button.setToolTip(label)
    if primary:
        button.setFont(scaled(button.font(), 1.1, bold=True))
        button.setMinimumHeight(QFontMetrics(button.font()).height() + 16)
    return button


# --------------------------------------------------------------------------- the pages


class PersonPageBase(QWidget):
    """What Atención and Personas share: search panel, summary, and their dialogs.

    ``person_dialog_factory`` / ``consultation_dialog_factory`` replace the dialog
    classes (tests, or another form); they are called like the classes.
    """

    person_requested = Signal(str)  # open the person's record in Personas

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, extended: bool = False) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_dialog_factory: DialogFactory | None = None
        self.consultation_dialog_factory: DialogFactory | None = None
        self._host = DialogHost(self)

        self.panel = PersonSearchPanel(ctx)
        self.search_edit = self.panel.search_edit
        self.table = self.panel.table
        self.model = self.panel.model
        self.count_label = self.panel.count_label

        self.summary = PersonSummary(ctx, extended=extended)
        self.summary.person_activated.connect(self.show_person)
        self.summary.consultation_activated.connect(self.edit_consultation)

        self.new_person_button = action_button(_("New person"), KEY_NEW_PERSON)
        self.new_person_button.clicked.connect(self.new_person)
        self.new_consultation_button = action_button(_("New consultation"), KEY_NEW_CONSULTATION, True)
        self.new_consultation_button.clicked.connect(self.new_consultation)

        self.refer_button = action_button(_("Refer…"), KEY_REFER)  # issue #8
        self.refer_button.clicked.connect(self.refer_person)

        self.message_label = QLabel()
        self.message_label.setObjectName("pageMessage")
        self.message_label.setWordWrap(True)

        self.panel.current_person_changed.connect(self._on_current_person)
        self.panel.person_chosen.connect(self._on_person_chosen)
        self.search_edit.textEdited.connect(lambda _text: self.message_label.clear())
        self.shortcuts = {
            KEY_FIND: shortcut(self, KEY_FIND, self.focus_search),
            KEY_NEW_CONSULTATION: shortcut(self, KEY_NEW_CONSULTATION, self.new_consultation),
            KEY_NEW_PERSON: shortcut(self, KEY_NEW_PERSON, self.new_person),
            KEY_REFER: shortcut(self, KEY_REFER, self.refer_person),
        }
        self.setFocusProxy(self.search_edit)

    def _top_button(self, button: QPushButton) -> None:
        button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        button.setMinimumHeight(self.search_edit.minimumHeight())
        self.panel.top_layout.addWidget(button)

    def _layout(self, right: QWidget) -> None:
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.panel, 1)
        body.addWidget(right)
        self._top_button(self.refer_button)  # after the page's own buttons
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(body, 1)
        layout.addWidget(self.message_label)
        self._update_buttons()

    # --- state ----------------------------------------------------------------------

    @property
    def active_dialog(self) -> QDialog | None:
        """The dialog this page has open, if any."""
        return self._host.dialog

    def selected_person_id(self) -> str | None:
        return self.panel.current_person_id()

    def focus_search(self) -> None:
        self.panel.focus_search()

    def show_person(self, person_id: str) -> bool:
        """Search for ``person_id``, select them and show their summary."""
        found = self.panel.show_person(person_id)
        if found:
            self.summary.show_person(person_id)
        else:
            self._say(_("That person is not in the database (it may have been deleted)."), ok=False)
        self._update_buttons()
        return found

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not event.spontaneous() and self._host.dialog is None:
            # coming to the page (Ctrl+1, Ctrl+2, a click): ready to type a name
            QTimer.singleShot(0, self._focus_search_if_shown)

    def _focus_search_if_shown(self) -> None:
        if self.isVisible() and self._host.dialog is None:
            self.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_current_person(self, person_id: str | None) -> None:
        if person_id:
            if person_id != self.summary.person_id():
                self.summary.show_person(person_id)
        else:
            self.summary.clear()
        self._update_buttons()

    def _on_person_chosen(self, person_id: str) -> None:
        self.summary.show_person(person_id)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.new_consultation_button.setEnabled(self.selected_person_id() is not None)
        self.refer_button.setEnabled(self.selected_person_id() is not None)

    def _say(self, message: str, ok: bool = True) -> None:
        self.message_label.setStyleSheet(OK_STYLE if ok else WARN_STYLE)
        self.message_label.setText(message)

    # --- dialogs --------------------------------------------------------------------

    def _person_dialog(self, **kwargs: Any) -> QDialog | None:
        factory = self.person_dialog_factory
        if factory is None:
            try:
                factory = person_dialog_class()
            except ImportError:
                self._say(_("The person form is not available in this version."), ok=False)
                return None
        return factory(self.ctx, self, **kwargs)

    def _consultation_dialog(self, **kwargs: Any) -> QDialog:
        factory = self.consultation_dialog_factory or consultation_dialog_class()
        return factory(self.ctx, self, **kwargs)

    def new_person(self) -> QDialog | None:
        """Ctrl+N: register a person, starting from what is typed in the search box."""
        if self._host.dialog is not None:
            return None
        dialog = self._person_dialog(initial_text=self.panel.text().strip())
        if dialog is None:
            return None
        return self._host.open(dialog, self._person_saved)

    def _person_saved(self, dialog: QDialog) -> None:
        person_id = getattr(dialog, "result_person_id", None)
        if not person_id or not self.show_person(person_id):
            return
        outcome = getattr(dialog, "outcome_message", "")  # what the form did, said exactly
        self._say(f"{outcome} " + _("Press {key} to record their consultation.").format(
            key=key_text(KEY_NEW_CONSULTATION)) if outcome else
            _("Person saved. Press {key} to record their consultation.").format(
            key=key_text(KEY_NEW_CONSULTATION)))
        self.new_consultation_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def new_consultation(self) -> QDialog | None:
        """F2: a new consultation for the selected person."""
        if self._host.dialog is not None:
            return None
        person_id = self.selected_person_id()
        if person_id is None:
            self._say(_("First choose a person from the list (↓ and Enter), or press {key} to "
                        "register them.").format(key=key_text(KEY_NEW_PERSON)), ok=False)
            return None
        return self._host.open(self._consultation_dialog(person_id=person_id), self._consultation_saved)

    def refer_person(self) -> QDialog | None:
        """Ctrl+D: refer the selected person to a service (ui/derivaciones)."""
        from oma_desktop.ui.derivaciones.referral_dialog import open_referral

        person_id = self.selected_person_id()
        if self._host.dialog is not None or person_id is None:
            return None

        def saved(_referral_id: str) -> None:
            self.summary.show_person(person_id)

        dialog = open_referral(self, self.ctx, person_id, on_saved=saved)
        self._host.dialog = dialog
        dialog.finished.connect(lambda _r: setattr(self._host, "dialog", None))
        return dialog

    def edit_consultation(self, consultation_id: str) -> QDialog | None:
        """Open a consultation of the timeline for editing."""
        if self._host.dialog is not None:
            return None
        return self._host.open(
            self._consultation_dialog(consultation_id=consultation_id), self._consultation_saved
        )

    def _consultation_saved(self, dialog: QDialog) -> None:
        person_id = getattr(dialog, "person_id", None)
        if person_id:
            self.panel.refresh()
            if self.selected_person_id() == person_id:
                self.summary.show_person(person_id)
            else:
                self.show_person(person_id)
            self._say(_("Consultation saved."))
        else:
            self._say(_("Quick consultation saved (no personal data)."))
        self._update_buttons()
        self.panel.focus_search()
