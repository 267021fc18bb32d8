"""Cambiar estado: the next state of one referral (only the moves the lifecycle allows)
and the institution's feedback, saved with ``referrals.change_status``."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import PermissionDeniedError, ValidationError
from oma_desktop.i18n import _
from oma_desktop.services import referrals
from oma_desktop.services.context import AppContext
from oma_desktop.ui.derivaciones.labels import next_statuses, status_label
from oma_desktop.ui.widgets.forms import CodeCombo


class StatusDialog(QDialog):
    def __init__(self, ctx: AppContext, referral_id: str, code: str, current: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.referral_id = referral_id
        self.new_status = ""  # once saved
        self.setWindowTitle(_("Change state of {code}").format(code=code))
        self.status_combo = CodeCombo([(c, status_label(c)) for c in next_statuses(current)])
        self.status_combo.setAccessibleName(_("New state"))
        self.feedback = QLineEdit()
        self.feedback.setAccessibleName(_("Institution's feedback"))
        self.feedback.setPlaceholderText(_("What the institution answered (optional)"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b71c1c;")
        form = QFormLayout()
        form.addRow(_("Current state"), QLabel(status_label(current)))
        form.addRow(_("&New state"), self.status_combo)
        form.addRow(_("&Feedback"), self.feedback)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        self.status_combo.setFocus(Qt.FocusReason.OtherFocusReason)

    def save(self) -> bool:
        status = self.status_combo.value()
        if not status:
            self.message.setText(_("This referral is closed: its state cannot change."))
            return False
        try:
            referrals.change_status(self.ctx.session, self.referral_id, status,
                                    self.feedback.text().strip())
        except PermissionDeniedError as exc:
            self.message.setText(str(exc))
            return False
        except ValidationError as exc:
            self.message.setText(" ".join(exc.fields.values()) or str(exc))
            return False
        self.new_status = status
        self.accept()
        return True
