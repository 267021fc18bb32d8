"""The form of one migrant organisation of «Comunidad»: name, kind, members, a contact, the
district, whether the municipality recognises it, and its participation in the participatory
budget. Saved with ``services.organisations``; what it refuses is marked beside its field
and everything typed stays. Read-only for a role that may only read."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import _
from oma_desktop.services import organisations
from oma_desktop.services.context import AppContext
from oma_desktop.services.organisations import OrganisationInput
from oma_desktop.services.permissions import Permission
from oma_desktop.ui.widgets.field_widgets import catalog_choices
from oma_desktop.ui.widgets.forms import CodeCombo, FieldErrors, SaveBar, SearchableCombo, submit

_LINES = ("name", "acronym", "members", "contact_name", "contact_phone", "contact_email",
          "recognition_reference", "budget_years")


class OrganisationDialog(QDialog):
    """New (``organisation_id`` None) or existing organisation; ``result_id`` after saving."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 organisation_id: str | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.organisation_id = organisation_id
        self.result_id: str | None = None
        self.may_edit = ctx.session.can(Permission.MANAGE_EVENTS)
        if not self.may_edit:
            self.setWindowTitle(_("Migrant organisation"))
        else:
            self.setWindowTitle(_("Edit organisation") if organisation_id
                                else _("New migrant organisation"))
        self.errors = FieldErrors()
        self.edits = {key: QLineEdit() for key in _LINES}
        names = {
            "name": _("Name"), "acronym": _("Acronym"), "members": _("Members"),
            "contact_name": _("Contact person"), "contact_phone": _("Contact phone"),
            "contact_email": _("Contact email"),
            "recognition_reference": _("Resolution or registry number"),
            "budget_years": _("Years in the participatory budget"),
        }
        for key, edit in self.edits.items():
            edit.setAccessibleName(names[key])
        self.edits["name"].setMaxLength(organisations.MAX_NAME)
        self.edits["members"].setPlaceholderText(_("empty if not known"))
        self.edits["members"].setMaximumWidth(160)
        self.edits["contact_phone"].setPlaceholderText(_("e.g. 987654321"))
        self.edits["contact_email"].setPlaceholderText(_("e.g. asociacion@correo.org"))
        self.edits["recognition_reference"].setPlaceholderText(
            _("e.g. the resolution that recognises it"))
        self.edits["budget_years"].setPlaceholderText(_("e.g. 2025, 2026"))
        self.kind_combo = CodeCombo([(c, _(label)) for c, label in organisations.KINDS])
        self.kind_combo.setAccessibleName(_("Type"))
        self.district_combo = SearchableCombo(catalog_choices(ctx.catalogs, "districts"))
        self.district_combo.setAccessibleName(_("District"))
        self.status_combo = CodeCombo([(c, _(label)) for c, label in organisations.RECOGNITION])
        self.status_combo.setAccessibleName(_("Recognition by the municipality"))
        self.budget_check = QCheckBox(_("Takes part in the &participatory budget"))
        self.active_check = QCheckBox(_("Active (offered in the event form)"))
        self.active_check.setChecked(True)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setAccessibleName(_("Notes"))
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(self.notes_edit.fontMetrics().lineSpacing() * 3 + 14)

        form = QFormLayout()
        form.addRow(_("&Name *"), self.errors.with_label("name", self.edits["name"]))
        form.addRow(_("&Acronym"), self.errors.with_label("acronym", self.edits["acronym"]))
        form.addRow(_("&Type"), self.errors.with_label("kind", self.kind_combo))
        form.addRow(_("&Members"), self.errors.with_label("members", self.edits["members"]))
        form.addRow(_("Dis&trict"), self.errors.with_label("district_ubigeo",
                                                           self.district_combo))
        form.addRow(_("&Contact person"), self.errors.with_label("contact_name",
                                                                self.edits["contact_name"]))
        form.addRow(_("Contact p&hone"), self.errors.with_label("contact_phone",
                                                               self.edits["contact_phone"]))
        form.addRow(_("Contact e&mail"), self.errors.with_label("contact_email",
                                                               self.edits["contact_email"]))
        form.addRow(_("&Recognition"), self.errors.with_label("recognition_status",
                                                             self.status_combo))
        form.addRow(_("Resolution or re&gistry no."), self.errors.with_label(
            "recognition_reference", self.edits["recognition_reference"]))
        form.addRow("", self.errors.with_label("participatory_budget", self.budget_check))
        form.addRow(_("&Years"), self.errors.with_label("budget_years",
                                                       self.edits["budget_years"]))
        form.addRow(_("N&otes"), self.errors.with_label("notes", self.notes_edit))
        form.addRow("", self.active_check)

        buttons = SaveBar(self, self.save, read_only=not self.may_edit)
        self.message, self.save_button = buttons.message, buttons.save_button
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addLayout(buttons)
        if organisation_id:
            self._load(organisations.get_organisation(ctx.session, organisation_id))
        if not self.may_edit:
            for widget in (*self.edits.values(), self.kind_combo, self.district_combo,
                           self.status_combo, self.budget_check, self.active_check,
                           self.notes_edit):
                widget.setEnabled(False)
        self.resize(640, self.sizeHint().height())

    def _load(self, row: organisations.OrganisationRow) -> None:
        data = row.as_input()
        for key, edit in self.edits.items():
            value = getattr(data, key)
            edit.setText("" if value is None else str(value))
        self.kind_combo.set_value(data.kind)
        self.district_combo.set_value(data.district_ubigeo)
        self.status_combo.set_value(data.recognition_status)
        self.budget_check.setChecked(data.participatory_budget)
        self.active_check.setChecked(data.active)
        self.notes_edit.setPlainText(data.notes)

    def collect(self) -> OrganisationInput | None:
        text = self.edits["members"].text().strip().replace(" ", "").replace(",", "")
        text = text.replace(".", "")
        members: int | None = None
        if text:
            try:
                members = int(text)
            except ValueError:
                self.errors.show({"members": _(
                    "Write the number of members as digits, or leave it empty.")})
                return None
        values = {key: self.edits[key].text() for key in _LINES if key != "members"}
        return OrganisationInput(
            **values, members=members, kind=self.kind_combo.value(),
            district_ubigeo=self.district_combo.value() or None,
            recognition_status=self.status_combo.value(),
            participatory_budget=self.budget_check.isChecked(),
            notes=self.notes_edit.toPlainText(), active=self.active_check.isChecked())

    def save(self) -> bool:
        if not self.may_edit:
            return False
        data = self.collect()
        if data is None:
            self.message.setText(_("Check the marked fields."))
            self._fit_messages()
            return False
        session = self.ctx.session

        def write() -> None:
            if self.organisation_id:
                organisations.update_organisation(session, self.organisation_id, data)
                self.result_id = self.organisation_id
            else:
                self.result_id = organisations.create_organisation(session, data)

        if not submit(write, self.errors, self.message.setText):
            self._fit_messages()
            return False
        self.accept()
        return True

    def _fit_messages(self) -> None:
        """Grow to show the messages under the fields whole (a phone's takes two lines)."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))
