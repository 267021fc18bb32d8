"""Editing one entry of the service directory (coordinators): the institution's contact,
what to bring, the topics it serves. Saved with one call to ``directory.save_service``
(one logged update of the fields that changed)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import _
from oma_desktop.services import directory
from oma_desktop.services.context import AppContext
from oma_desktop.ui.widgets.field_widgets import catalog_choices
from oma_desktop.ui.widgets.forms import FieldErrors, SaveBar, SearchableCombo, submit
from oma_desktop.ui.widgets.topic_picker import TopicPicker

_LINES = ("name", "acronym", "kind", "sector", "address", "phone", "hours", "languages",
          "source")
_TEXTS = ("requirements", "description", "notes")


class ServiceDialog(QDialog):
    """New (``service_id`` None) or existing directory entry; ``result_id`` after saving."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 service_id: str | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service_id = service_id
        self.result_id: str | None = None
        self.setWindowTitle(_("Edit service") if service_id else _("New service"))
        self.errors = FieldErrors()
        labels = {
            "name": _("&Name *"), "acronym": _("Acronym"), "kind": _("Type"),
            "sector": _("R4V sector"), "address": _("Address"), "phone": _("Phone"),
            "hours": _("Hours"), "languages": _("Languages"), "source": _("Source"),
            "requirements": _("Requirements to bring"), "description": _("Services offered"),
            "notes": _("Notes"),
        }
        self.edits: dict[str, QLineEdit] = {k: QLineEdit() for k in _LINES}
        self.texts: dict[str, QPlainTextEdit] = {}
        for key in _TEXTS:
            text = QPlainTextEdit()
            text.setTabChangesFocus(True)
            text.setFixedHeight(56)
            self.texts[key] = text
        self.district = SearchableCombo(catalog_choices(ctx.catalogs, "districts"))
        self.topics = TopicPicker(ctx.catalogs)
        self.active = QCheckBox(_("Active (offered in new referrals)"))
        self.active.setChecked(True)

        form = QFormLayout()
        for key in ("name", "acronym", "kind", "sector", "address"):
            form.addRow(labels[key], self.errors.with_label(key, self.edits[key]))
        form.addRow(_("District"), self.errors.with_label("district_ubigeo", self.district))
        for key in ("phone", "hours", "languages", "source"):
            form.addRow(labels[key], self.edits[key])
        for key in _TEXTS:
            form.addRow(labels[key], self.texts[key])
        form.addRow("", self.active)
        right = QVBoxLayout()
        right.addWidget(QLabel(_("Topics served")))
        right.addWidget(self.topics, 1)
        right.addWidget(self.errors.make_label("topics", self.topics))
        body = QHBoxLayout()
        body.addLayout(form, 3)
        body.addLayout(right, 2)

        buttons = SaveBar(self, self.save)
        self.message, self.save_button = buttons.message, buttons.save_button
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)
        self.resize(980, 600)
        if service_id:
            self._load(directory.get_service(ctx.session, service_id))

    def _load(self, row: directory.ServiceRow) -> None:
        data = directory.service_input(row)
        for key, edit in self.edits.items():
            edit.setText(str(getattr(data, key)))
        for key, text in self.texts.items():
            text.setPlainText(str(getattr(data, key)))
        self.district.set_value(data.district_ubigeo)
        self.topics.set_codes(list(data.topics))
        self.active.setChecked(data.active)

    def collect(self) -> directory.ServiceInput:
        values = {key: edit.text() for key, edit in self.edits.items()}
        values.update({key: text.toPlainText() for key, text in self.texts.items()})
        return directory.ServiceInput(
            **values, district_ubigeo=self.district.value() or None,
            topics=self.topics.codes(), active=self.active.isChecked())

    def save(self) -> bool:
        data = self.collect()

        def write() -> None:
            self.result_id = directory.save_service(self.ctx.session, self.service_id, data)

        if not submit(write, self.errors, self.message.setText):
            return False
        self.accept()
        return True
