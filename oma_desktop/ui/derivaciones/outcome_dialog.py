"""Registrar contrarreferencia: the returned stub's code, its outcome and the feedback.

Keyboard first: the code box has the focus; a barcode scanner types the code and
presses Enter, which moves to the outcome (1, 2, 3 or the arrows choose), Enter again
to the feedback, and Ctrl+Enter (or Enter in the outcome once the feedback is typed)
records it with ``referrals.record_outcome``. The dialog stays open for the next stub.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import PermissionDeniedError, ValidationError
from oma_desktop.i18n import _
from oma_desktop.services import referrals
from oma_desktop.services.context import AppContext
from oma_desktop.ui.derivaciones.labels import status_label

OK_STYLE = "color: #1b5e20;"
ERROR_STYLE = "color: #b71c1c;"


class OutcomeDialog(QDialog):
    """Records outcomes one stub after another; ``recorded`` lists the codes saved."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.recorded: list[str] = []
        self.setWindowTitle(_("Record counter-referral"))
        self.code_edit = QLineEdit()
        self.code_edit.setPlaceholderText(_("Type or scan the code, e.g. CV3-2026-000123-7KQ"))
        self.code_edit.setAccessibleName(_("Referral code"))
        self.code_edit.returnPressed.connect(self._code_entered)
        self.outcome = QComboBox()
        for number, code in enumerate(referrals.OUTCOMES, start=1):
            self.outcome.addItem(f"{number}  {status_label(code)}", code)
        self.outcome.setAccessibleName(_("Outcome"))
        self.outcome.installEventFilter(self)
        self.feedback = QLineEdit()
        self.feedback.setPlaceholderText(_("What the institution wrote on the stub (optional)"))
        self.feedback.setAccessibleName(_("Institution's feedback"))
        self.feedback.returnPressed.connect(self.record)
        form = QFormLayout()
        form.addRow(_("&Code"), self.code_edit)
        form.addRow(_("&Outcome"), self.outcome)
        form.addRow(_("&Feedback"), self.feedback)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("outcomeMessage")
        self.record_button = QPushButton(_("Record ({key})").format(key="Ctrl+Enter"))
        self.record_button.setAutoDefault(False)
        self.record_button.clicked.connect(self.record)
        close = QPushButton(_("Close ({key})").format(key="Esc"))
        close.setAutoDefault(False)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        buttons.addWidget(self.record_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("Scan the code of the stub the person brought back, choose "
                                  "the outcome and press Enter.")))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        for sequence in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(sequence), self).activated.connect(self.record)
        self.setMinimumWidth(560)
        self.code_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Enter in the outcome list goes on to the feedback (1, 2, 3 pick an outcome:
        the combo's own keyboard search finds the numbered items)."""
        if (watched is self.outcome and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            self.feedback.setFocus(Qt.FocusReason.TabFocusReason)
            return True
        return super().eventFilter(watched, event)

    def _code_entered(self) -> None:
        if self.code_edit.text().strip():
            self.outcome.setFocus(Qt.FocusReason.TabFocusReason)

    def _say(self, text: str, ok: bool) -> None:
        self.message.setStyleSheet(OK_STYLE if ok else ERROR_STYLE)
        self.message.setText(text)

    def record(self) -> bool:
        code = referrals.normalize_code(self.code_edit.text())
        if not code:
            self._say(_("Type or scan the referral code first."), ok=False)
            self.code_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return False
        status = str(self.outcome.currentData())
        try:
            referrals.record_outcome(self.ctx.session, code, status, self.feedback.text().strip())
        except PermissionDeniedError as exc:
            self._say(str(exc), ok=False)
            return False
        except ValidationError as exc:
            self._say(" ".join(exc.fields.values()) or str(exc), ok=False)
            self.code_edit.selectAll()
            self.code_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return False
        self.recorded.append(code)
        self._say(_("{code}: recorded as «{state}». Scan the next stub.").format(
            code=code, state=status_label(status)), ok=True)
        self.code_edit.clear()
        self.feedback.clear()
        self.outcome.setCurrentIndex(0)
        self.code_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        return True
