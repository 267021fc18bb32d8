"""Mark a call-list item done: the result of the call, a note and, when nobody answered,
the day to try again.

Keyboard (Spanish mnemonics): Alt+C / Alt+N / Alt+E / Alt+R choose the result, Alt+T the
note, Alt+V the new date, Enter
(or Ctrl+S) saves, Esc cancels. The date is only asked for "No contesta" (empty: the
item stays due as it is).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import ValidationError
from oma_desktop.i18n import _
from oma_desktop.services.context import AppContext
from oma_desktop.services.followup import (
    RESULT_CONTACTED,
    RESULT_NO_ANSWER,
    RESULT_RESOLVED,
    RESULT_WRONG_NUMBER,
    QueueItem,
    RecordedCall,
    record_call,
)
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.widgets.field_widgets import bad_date_message
from oma_desktop.ui.widgets.forms import DateField

_ERROR_STYLE = "color: #b71c1c; font-weight: bold;"


class CallDialog(QDialog):
    """Record one call on ``item``; :attr:`recorded` is set once saved."""

    def __init__(self, ctx: AppContext, item: QueueItem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.item = item
        self.recorded: RecordedCall | None = None
        self.setObjectName("callDialog")
        self.setWindowTitle(_("Mark as done"))

        who = QLabel(item.person_name)
        who.setFont(scaled(self.font(), 1.2, bold=True))
        who.setWordWrap(True)
        facts = QLabel(" · ".join(f for f in (item.phone, item.detail if item.kind != "follow_up"
                                              else "") if f))

        self.result_buttons: dict[str, QRadioButton] = {}
        self.result_group = QButtonGroup(self)
        results = QGridLayout()
        texts = (
            (RESULT_CONTACTED, _("&Contacted"), _("Spoke with the person: the item closes.")),
            (RESULT_NO_ANSWER, _("&No answer"), _("The item stays on the list, on the date "
                                                  "below if you give one.")),
            (RESULT_WRONG_NUMBER, _("Wrong &number"), _("The item closes and the phone is "
                                                       "marked as wrong until it is corrected.")),
            (RESULT_RESOLVED, _("&Resolved"), _("The matter is settled: the item closes.")),
        )
        for row, (code, text, hint) in enumerate(texts):
            button = QRadioButton(text)
            button.setObjectName(f"result_{code}")
            button.setToolTip(hint)
            self.result_group.addButton(button)
            self.result_buttons[code] = button
            button.toggled.connect(self._result_changed)
            results.addWidget(button, row // 2, row % 2)

        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("callNote")
        self.note_edit.setMaxLength(500)
        self.note_edit.setPlaceholderText(_("What was said, what is pending"))
        note_caption = QLabel(_("N&ote:"))
        note_caption.setBuddy(self.note_edit)
        self.next_edit = DateField()
        self.next_edit.setObjectName("callNextDate")
        self.next_caption = QLabel(_("Call &again on:"))
        self.next_caption.setBuddy(self.next_edit)
        self.next_hint = QLabel(_("optional"))
        self.error_label = QLabel()
        self.error_label.setObjectName("callError")
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.setWordWrap(True)
        # room for a message from the start: the window never grows while shown
        self.error_label.setMinimumHeight(self.fontMetrics().lineSpacing() * 2)
        self.error_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

        fields = QGridLayout()
        fields.addWidget(note_caption, 0, 0)
        fields.addWidget(self.note_edit, 0, 1, 1, 2)
        fields.addWidget(self.next_caption, 1, 0)
        fields.addWidget(self.next_edit, 1, 1)
        fields.addWidget(self.next_hint, 1, 2)
        fields.setColumnStretch(2, 1)

        self.cancel_button = QPushButton(_("Cancel ({key})").format(key="Esc"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton(_("Save ({key})").format(key="Enter"))
        self.save_button.setObjectName("saveCall")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(self.save)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(who)
        if facts.text():
            layout.addWidget(facts)
        layout.addWidget(QLabel(_("Result of the call:")))
        layout.addLayout(results)
        layout.addLayout(fields)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self._result_changed()
        layout.activate()
        self.setMinimumSize(self.minimumSizeHint())
        self.resize(max(560, self.minimumWidth()), self.minimumHeight())
        self.result_buttons[RESULT_CONTACTED].setFocus(Qt.FocusReason.OtherFocusReason)

    def chosen_result(self) -> str:
        return next((code for code, b in self.result_buttons.items() if b.isChecked()), "")

    def _result_changed(self, *_args: object) -> None:
        on = self.chosen_result() == RESULT_NO_ANSWER
        for widget in (self.next_edit, self.next_caption, self.next_hint):
            widget.setEnabled(on)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)

    def save(self) -> bool:
        result = self.chosen_result()
        if not result:
            self._show_error(_("Choose the result of the call."))
            self.result_buttons[RESULT_CONTACTED].setFocus(Qt.FocusReason.OtherFocusReason)
            return False
        next_date: dt.date | None = None
        if result == RESULT_NO_ANSWER:
            try:
                next_date = self.next_edit.value()
            except ValueError:
                self._show_error(bad_date_message())
                self.next_edit.setFocus(Qt.FocusReason.OtherFocusReason)
                return False
        try:
            self.recorded = record_call(self.ctx.session, self.item, result,
                                        self.note_edit.text(), next_date)
        except ValidationError as exc:
            self._show_error(" ".join(exc.fields.values()))
            return False
        self.accept()
        return True
