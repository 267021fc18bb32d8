"""Derivar: refer a person (from a consultation or from their page) to a service.

Destination (searchable, accents ignored), reason, priority and what the slip may show.
The person's consent to be referred is shown at the top; without it the dialog says so
and offers the coordinator's override, which needs a written reason (the service records
it). Once saved, the dialog offers to print the slip (Ctrl+P) before closing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import PermissionDeniedError, ValidationError
from oma_desktop.i18n import _
from oma_desktop.printing.letterhead import known
from oma_desktop.services import directory, referrals
from oma_desktop.services.cards import person_card
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission
from oma_desktop.services.search import hit_for_person
from oma_desktop.ui.derivaciones.labels import priority_label, shared_fields
from oma_desktop.ui.widgets.forms import CodeCombo, FieldErrors, SearchableCombo

CONSENT_OK_STYLE = "color: #1b5e20; font-weight: bold;"
CONSENT_NO_STYLE = "color: #b71c1c; font-weight: bold;"


class ReferralDialog(QDialog):
    """``result_id`` holds the saved referral's id; ``print_requested`` asks for its slip."""

    print_requested = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, person_id: str,
                 consultation_id: str | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_id = person_id
        self.consultation_id = consultation_id
        self.result_id: str | None = None
        self.result_code = ""
        session = ctx.session
        self.setWindowTitle(_("Refer to a service"))
        hit = hit_for_person(session, person_id)
        card = person_card(session, person_id, with_timeline=False)
        self.consent = bool(card and card.fields.get("consent_refer"))
        self.may_override = session.can(Permission.OVERRIDE_CONSENT)
        self.errors = FieldErrors()
        self._errors_shown: dict[str, str] = {}  # cleared field by field as they are corrected

        self.person_label = QLabel(hit.full_name if hit else person_id)
        font = self.person_label.font()
        font.setBold(True)
        self.person_label.setFont(font)
        self.consent_label = QLabel()
        self.consent_label.setWordWrap(True)
        self.consent_label.setObjectName("consentState")
        if self.consent:
            self.consent_label.setText(_("The person agreed to be referred to other institutions."))
            self.consent_label.setStyleSheet(CONSENT_OK_STYLE)
        elif self.may_override:
            self.consent_label.setText(_(
                "The person has NOT agreed to be referred to other institutions. Record their "
                "consent in their record, or, if the referral is needed anyway, tick the "
                "override and write why."))
            self.consent_label.setStyleSheet(CONSENT_NO_STYLE)
        else:
            self.consent_label.setText(_(
                "The person has NOT agreed to be referred to other institutions. Record their "
                "consent in their record (Ctrl+E on their page) and refer them then; if the "
                "referral is needed without it, a coordinator must make it."))
            self.consent_label.setStyleSheet(CONSENT_NO_STYLE)

        services = directory.search_services(session)
        self.service_combo = SearchableCombo([(s.id, s.label) for s in services])
        self.service_combo.setAccessibleName(_("Destination service"))
        self.service_combo.setMinimumWidth(520)
        line = self.service_combo.lineEdit()
        if line is not None:
            line.setPlaceholderText(_("Type part of the name: sis, migraciones, demuna…"))
        self.service_details = QLabel()
        self.service_details.setWordWrap(True)
        self.service_details.setStyleSheet("color: #444;")
        self._services = {s.id: s for s in services}
        # a name typed out in full, or picked from the list, shows the place at once
        self.service_combo.value_changed.connect(self._show_service)
        if line is not None:
            line.textChanged.connect(lambda _t: self._show_service(self.service_combo.value()))

        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setFixedHeight(72)
        self.reason_edit.setAccessibleName(_("Reason"))
        self.reason_edit.textChanged.connect(
            lambda: self._corrected("reason", bool(self.reason_edit.toPlainText().strip())))
        self.priority_combo = CodeCombo(
            [(code, priority_label(code)) for code, _label, _days in referrals.PRIORITIES])
        self.priority_combo.set_value("normal")
        self.priority_combo.setAccessibleName(_("Priority"))

        self.shared_box = QGroupBox(_("Information the slip shows"))
        shared_layout = QHBoxLayout(self.shared_box)
        self.shared_checks: dict[str, QCheckBox] = {}
        for code, label in shared_fields():
            check = QCheckBox(label)
            check.setChecked(code in referrals.DEFAULT_SHARED)
            shared_layout.addWidget(check)
            self.shared_checks[code] = check
        shared_layout.addStretch(1)

        self.override_check = QCheckBox(_("Refer anyway (coordinator) — write the reason:"))
        self.override_edit = QLineEdit()
        self.override_edit.setAccessibleName(_("Reason for referring without consent"))
        self.override_edit.setEnabled(False)
        self.override_edit.textChanged.connect(
            lambda text: self._corrected("consent_override", bool(text.strip())))
        self.override_check.toggled.connect(self._toggle_override)
        override_row = QHBoxLayout()
        override_row.addWidget(self.override_check)
        override_row.addWidget(self.override_edit, 1)
        self.override_widget = QWidget()
        self.override_widget.setLayout(override_row)
        override_row.setContentsMargins(0, 0, 0, 0)

        form = QFormLayout()
        form.addRow(_("&Destination *"), self.errors.with_label("service_id", self.service_combo))
        form.addRow("", self.service_details)
        form.setRowVisible(self.service_details, False)  # until a service is chosen
        self.form = form
        form.addRow(_("&Reason *"), self.errors.with_label("reason", self.reason_edit))
        form.addRow(_("&Priority"), self.errors.with_label("priority", self.priority_combo))

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("referralMessage")
        self.cancel_button = QPushButton(_("Cancel ({key})").format(key="Esc"))
        self.save_button = QPushButton(_("Save referral ({key})").format(key="Ctrl+S"))
        self.print_button = QPushButton(_("Print slip ({key})").format(key="Ctrl+P"))
        self.close_button = QPushButton(_("Close"))
        for button in (self.cancel_button, self.save_button, self.print_button,
                       self.close_button):
            button.setAutoDefault(False)
        self.print_button.setVisible(False)
        self.close_button.setVisible(False)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button.clicked.connect(self.save)
        self.print_button.clicked.connect(self.request_print)
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        for button in (self.cancel_button, self.save_button, self.close_button,
                       self.print_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.person_label)
        layout.addWidget(self.consent_label)
        layout.addWidget(self.override_widget)
        layout.addWidget(self.errors.make_label("consent_override", self.override_edit))
        layout.addLayout(form)
        layout.addWidget(self.shared_box)
        layout.addWidget(self.errors.make_label("shared", self.shared_box))
        layout.addLayout(buttons)
        # hidden once in the layout (shown before, a widget without a parent is a window)
        self.override_widget.setVisible(not self.consent and self.may_override)
        QShortcut(QKeySequence("Ctrl+S"), self).activated.connect(self.save)
        QShortcut(QKeySequence("Ctrl+P"), self).activated.connect(self.request_print)
        self.setMinimumWidth(820)
        self.service_combo.setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.result_id is None and not event.spontaneous():
            self.service_combo.setFocus(Qt.FocusReason.OtherFocusReason)  # ready to type

    def _toggle_override(self, on: bool) -> None:
        self.override_edit.setEnabled(on)
        if on:
            self.override_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_service(self, service_id: str) -> None:
        row = self._services.get(service_id)
        self._corrected("service_id", row is not None)
        if row is None:
            self.service_details.clear()
            self.form.setRowVisible(self.service_details, False)
            return
        lines = [" · ".join(p for p in (known(row.address), known(row.phone), known(row.hours))
                            if p)]
        if known(row.requirements):
            lines.append(_("Bring: {requirements}").format(requirements=row.requirements))
        text = "\n".join(line for line in lines if line)
        self.service_details.setText(text or _(
            "The directory has no address, phone or hours for this service: tell the person "
            "how to get there, or complete it in the Service directory tab."))
        self.form.setRowVisible(self.service_details, True)

    def _show_errors(self, errors: dict[str, str]) -> None:
        self._errors_shown = dict(errors)
        self.errors.show(errors)

    def _corrected(self, key: str, ok: bool) -> None:
        """The red line under a field goes as soon as the field is filled in."""
        if ok and key in self._errors_shown:
            del self._errors_shown[key]
            self.errors.show(self._errors_shown)
            if not self._errors_shown:
                self.message.clear()

    # --- saving ---------------------------------------------------------------------

    def collect(self) -> referrals.ReferralInput:
        override = self.override_edit.text().strip() if self.override_check.isChecked() else ""
        return referrals.ReferralInput(
            person_id=self.person_id, service_id=self.service_combo.value(),
            reason=self.reason_edit.toPlainText().strip(),
            priority=self.priority_combo.value() or "normal",
            shared=[code for code, check in self.shared_checks.items() if check.isChecked()],
            consultation_id=self.consultation_id, consent_override=override)

    def save(self) -> bool:
        if self.result_id is not None:
            return True
        data = self.collect()
        if not self.consent and self.override_check.isChecked() and not data.consent_override:
            self._show_errors({"consent_override": _(
                "Write why the person is referred without their consent.")})
            self.override_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return False
        try:
            referral_id = referrals.create_referral(self.ctx.session, data)
        except PermissionDeniedError as exc:
            self.message.setStyleSheet("color: #b71c1c;")
            self.message.setText(str(exc))
            return False
        except ValidationError as exc:
            self._show_errors(exc.fields)
            self.message.setStyleSheet("color: #b71c1c;")
            self.message.setText(_("Check the marked fields."))
            first = self.errors.first_invalid(exc.fields)
            if first is not None:
                first.setFocus(Qt.FocusReason.OtherFocusReason)
            return False
        self._show_errors({})
        self.result_id = referral_id
        self.result_code = referrals.get_referral(self.ctx.session, referral_id).code
        self.message.setStyleSheet("color: #1b5e20;")
        self.message.setText(_("Referral {code} saved. Print the slip for the person to "
                               "carry?").format(code=self.result_code))
        for widget in (self.service_combo, self.reason_edit, self.priority_combo,
                       self.shared_box, self.override_widget):
            widget.setEnabled(False)
        self.cancel_button.setVisible(False)
        self.save_button.setVisible(False)
        self.close_button.setVisible(True)
        self.print_button.setVisible(True)
        self.print_button.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def request_print(self) -> None:
        """Close and ask the owner to preview and print the slip."""
        if self.result_id is None:
            return
        self.print_requested.emit(self.result_id)
        self.accept()

    def reject(self) -> None:
        if self.result_id is not None:
            self.accept()  # saved already: Esc just closes
        else:
            super().reject()


def open_referral(owner: QWidget, ctx: AppContext, person_id: str,
                  consultation_id: str | None = None,
                  on_saved: Callable[[str], None] | None = None) -> ReferralDialog:
    """Open the referral dialog window-modal over ``owner`` (the consultation form, the
    person's page); if the clerk asks to print, the slip preview opens next."""
    dialog = ReferralDialog(ctx, owner, person_id=person_id, consultation_id=consultation_id)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)

    def show_slip(referral_id: str) -> None:
        from oma_desktop.ui.derivaciones.slip_preview import SlipPreviewDialog

        preview = SlipPreviewDialog(ctx, [referral_id], [dialog.result_code], owner)
        preview.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        preview.setWindowModality(Qt.WindowModality.WindowModal)
        preview.open()

    def finished(_result: int) -> None:
        if dialog.result_id is not None and on_saved is not None:
            on_saved(dialog.result_id)

    dialog.print_requested.connect(show_slip)
    dialog.finished.connect(finished)
    dialog.open()
    return dialog
