"""The consultation form: what the person asked, what was done, and the follow-up.

The fields, their widgets, captions, errors, Tab order and dirty check come from the
consultation field table (``core.fields.CONSULTATION_FIELDS``) through
:class:`~oma_desktop.ui.widgets.field_widgets.FieldForm`; this module lays them out.

New consultations open with the date, casa, staff member and channel already filled in,
and the focus in the topic filter: type part of a topic ("cpp", "salud"), Enter ticks
the first match, Tab goes on to "Qué consultó". Ctrl+S saves, Esc cancels (twice when
something was typed). Errors appear beside their fields and nothing typed is lost.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeySequence, QPalette, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateTimeEdit,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop import i18n
from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.core.fields import CONSULTATION_FIELDS, on_tab, read, write
from oma_desktop.i18n import _
from oma_desktop.logs import log_exception
from oma_desktop.services import audit
from oma_desktop.services.casas import casa_choices
from oma_desktop.services.consultations import (
    ConsultationInput,
    link_to_person,
    load_consultation,
    record_consultation,
    update_consultation,
    validate_consultation,
)
from oma_desktop.services.context import AppContext
from oma_desktop.services.history import consultation_history, history_line
from oma_desktop.services.permissions import SENSITIVE_CONSULTATION_FIELDS, reserved_text
from oma_desktop.services.search import hit_for_person
from oma_desktop.services.staff import staff_choices
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.models.person_search_model import document_text
from oma_desktop.ui.widgets.discard import DiscardGuard
from oma_desktop.ui.widgets.field_widgets import FieldForm
from oma_desktop.ui.widgets.forms import INVALID_STYLE, CodeCombo, DateField, SearchableCombo
from oma_desktop.ui.widgets.person_search import PersonSearchPanel
from oma_desktop.ui.widgets.person_summary import age_text
from oma_desktop.ui.widgets.topic_picker import TopicPicker

log = logging.getLogger(__name__)
ANONYMOUS = [s.name for s in on_tab(CONSULTATION_FIELDS, "anonymous")]
WHAT = [s.name for s in on_tab(CONSULTATION_FIELDS, "what")]
DETAILS = [s.name for s in on_tab(CONSULTATION_FIELDS, "details")]
_NOTE_STYLE = (
    "QLabel { background: #e8f0fe; color: #0b3a82; border: 1px solid #aac4f2;"
    " border-radius: 4px; padding: 6px 10px; }"
)
_WARNING_STYLE = (
    "QLabel { background: #fff4ce; color: #5c4400; border: 1px solid #e3c66b;"
    " border-radius: 4px; padding: 6px 10px; }"
)
_ERROR_STYLE = "color: #b71c1c; font-weight: bold;"


def fix_minimum_size(dialog: QDialog) -> None:
    """Freeze the dialog's minimum size at what its layout needs now.

    Messages shown later (errors, warnings) then never resize the window's limits,
    which some platforms (and the headless test platform) cannot follow.
    """
    layout = dialog.layout()
    if layout is not None:
        layout.activate()
    size = dialog.minimumSizeHint().expandedTo(dialog.minimumSize())
    dialog.setMinimumSize(0, 0)  # Qt marks a minimum as explicit only when it changes
    dialog.setMinimumSize(size)


class ConsultationDialog(QDialog):
    """Record a new consultation, or edit one (with its history)."""

    saved = Signal(str)  # consultation id
    linked = Signal(str)  # person id an anonymous consultation was linked to

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        person_id: str | None = None,
        consultation_id: str | None = None,
        anonymous: bool = False,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.consultation_id = consultation_id
        self.result_consultation_id: str | None = None
        self.discard = DiscardGuard(lambda text: self._show_message(text, warning=True))
        self._loaded: ConsultationInput | None = None
        if consultation_id is not None:
            self._loaded = load_consultation(ctx.session, consultation_id)
            audit.viewed(ctx.session, "consultation", consultation_id)  # issue #9.4
            person_id = self._loaded.person_id
        elif anonymous:
            person_id = None
        self.person_id: str | None = person_id
        self.anonymous = person_id is None  # a consultation without a person is anonymous
        self.link_dialog: QDialog | None = None

        self.setObjectName("consultationDialog")
        self.setSizeGripEnabled(True)
        self.setStyleSheet(INVALID_STYLE)
        loaded = self._loaded
        self.form = FieldForm(CONSULTATION_FIELDS, ctx.catalogs, choices={
            "casa_id": casa_choices(ctx.session, loaded.casa_id if loaded else ""),
            "staff_user_id": staff_choices(
                ctx.session, loaded.staff_user_id if loaded else ctx.user_id),
        })
        self.errors = self.form.errors
        self._build()
        self._fill()
        if loaded is not None and loaded.withheld:
            # a sensitive topic the role may not read: «Reservado», kept as stored on save
            for name in ("topics", *(n for n in WHAT if n in SENSITIVE_CONSULTATION_FIELDS)):
                self.form[name].setEnabled(False)
                self.form[name].setToolTip(reserved_text())
            for edit in (self.summary_edit, self.actions_edit, self.outcome_edit):
                edit.setPlaceholderText(reserved_text())
            self.topics.chosen_label.setText(reserved_text())
        self._initial = self.form.state()
        self.form.on_change(self._on_changed)
        fix_minimum_size(self)
        self.resize(1000, 700)  # the whole topic list shows on a 1366×768 screen

    # --- building -------------------------------------------------------------------

    def _title(self) -> str:
        if self.consultation_id is not None:
            return _("Edit consultation")
        return _("Quick consultation") if self.anonymous else _("New consultation")

    def _build(self) -> None:
        form = self.form
        form.build([*ANONYMOUS, "topics", *WHAT, *DETAILS])
        used: set[str] = set()
        # the widgets by the names the rest of the app (and its tests) know them by
        self.anon_sex_combo = cast(CodeCombo, form["anon_sex"])
        self.anon_age_edit = cast(QLineEdit, form["anon_age"])
        self.anon_nationality_combo = cast(SearchableCombo, form["anon_nationality"])
        self.topics = cast(TopicPicker, form["topics"])
        self.topic_filter, self.topic_view = self.topics.filter_edit, self.topics.view
        self.summary_edit = cast(QPlainTextEdit, form["summary"])
        self.actions_edit = cast(QPlainTextEdit, form["actions"])
        self.outcome_edit = cast(QPlainTextEdit, form["outcome"])
        self.follow_up_edit = cast(DateField, form["follow_up_date"])
        self.date_edit = cast(QDateTimeEdit, form["occurred_at"])
        self.channel_combo = cast(CodeCombo, form["channel"])
        self.casa_combo = cast(CodeCombo, form["casa_id"])
        self.staff_combo = cast(CodeCombo, form["staff_user_id"])
        for name, object_name in (("summary", "summary"), ("actions", "actions"),
                                  ("outcome", "outcome"), ("follow_up_date", "followUp"),
                                  ("occurred_at", "occurredAt")):
            form[name].setObjectName(object_name)

        # who
        self.person_label = QLabel()
        self.person_label.setObjectName("consultationPerson")
        self.person_label.setFont(scaled(self.font(), 1.25, bold=True))
        self.person_label.setWordWrap(True)
        self.person_facts_label = QLabel()
        self.person_facts_label.setWordWrap(True)
        self.anonymous_note = QLabel(_("Quick consultation: no personal data is recorded."))
        self.anonymous_note.setObjectName("anonymousNote")
        self.anonymous_note.setStyleSheet(_NOTE_STYLE)
        self.anonymous_note.setWordWrap(True)
        self.anon_nationality_combo.setMinimumWidth(220)
        self.anon_box = QWidget()
        anon = self._columns(self.anon_box, ANONYMOUS, used)
        anon.setContentsMargins(0, 0, 0, 0)
        anon.setColumnStretch(len(ANONYMOUS), 1)

        # topics | what happened
        topics_caption = QLabel(_("Topics (at least one) *"))
        topics_caption.setFont(scaled(self.font(), 1.0, bold=True))
        topics_caption.setBuddy(self.topic_filter)
        left = QVBoxLayout()
        left.addWidget(topics_caption)
        left.addWidget(self.topics, 1)
        left.addWidget(form.error_labels["topics"])

        right = QGridLayout()
        right.setVerticalSpacing(2)
        row = 0
        line = QFontMetrics(self.font()).lineSpacing()
        for name in ("summary", "actions", "outcome"):
            box = form[name]
            box.setMaximumHeight(box.minimumHeight() + line * 2)
            right.addWidget(form.caption(name, used), row, 0)
            right.addWidget(box, row + 1, 0)
            right.addWidget(form.error_labels[name], row + 2, 0)
            row += 3
        self.follow_up_edit.setMaximumWidth(160)
        follow = QHBoxLayout()
        follow.setSpacing(8)
        follow.addWidget(form.caption("follow_up_date", used))
        follow.addWidget(self.follow_up_edit)
        hint = form.specs["follow_up_date"].hint
        follow_hint = QLabel(_(hint))
        follow_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        follow.addWidget(follow_hint, 1)
        right.addLayout(follow, row, 0)
        right.addWidget(form.error_labels["follow_up_date"], row + 1, 0)
        right.setRowStretch(row + 2, 1)

        columns = QHBoxLayout()
        columns.addLayout(left, 4)
        columns.addSpacing(12)
        columns.addLayout(right, 5)

        # when, where, who, how
        details = QGroupBox(_("Consultation details"))
        grid = self._columns(details, DETAILS, used)
        for col in range(len(DETAILS)):
            grid.setColumnStretch(col, 1)

        # history (edit mode) and linking (anonymous, edit mode)
        self.history_box = QGroupBox(_("History"))
        self.history_list = QListWidget()
        self.history_list.setObjectName("consultationHistory")
        self.history_list.setAccessibleName(_("History of changes"))
        self.history_list.setMaximumHeight(line * 4 + 12)
        QVBoxLayout(self.history_box).addWidget(self.history_list)
        self.link_button = QPushButton(_("Link to a person…"))
        self.link_button.setToolTip(
            _("This walk-in turned out to be a registered person: attach the consultation to them.")
        )
        self.link_button.setAutoDefault(False)
        self.link_button.clicked.connect(self.open_link_dialog)

        # bottom line
        self.message_label = QLabel()
        self.message_label.setObjectName("formMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setVisible(False)
        self.cancel_button = QPushButton(_("Cancel ({key})").format(key="Esc"))
        self.save_button = QPushButton(_("Save ({key})").format(key="Ctrl+S"))
        self.save_button.setFont(scaled(self.font(), 1.0, bold=True))
        for button in (self.cancel_button, self.save_button):
            button.setAutoDefault(False)  # Enter in a field must never save by accident
        self.cancel_button.clicked.connect(self.reject)
        self.save_button.clicked.connect(self.save)
        self.refer_button = QPushButton(_("Refer…"))  # issue #8: a referral from here
        self.refer_button.setAutoDefault(False)
        self.refer_button.setVisible(not self.anonymous)
        self.refer_button.clicked.connect(self.open_referral)
        # issue #8: the constancia the person takes away (a saved consultation only)
        self.certificate_path: Path | None = None
        self.certificate_button = QPushButton(_("Certificate…"))
        self.certificate_button.setAutoDefault(False)
        self.certificate_button.setToolTip(
            _("Print the «constancia de atención» the person takes away"))
        self.certificate_button.setVisible(self.consultation_id is not None)
        self.certificate_button.clicked.connect(self.print_certificate)
        buttons = QHBoxLayout()
        buttons.addWidget(self.link_button)
        buttons.addWidget(self.refer_button)
        buttons.addWidget(self.certificate_button)
        buttons.addWidget(self.message_label, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.person_label)
        layout.addWidget(self.person_facts_label)
        layout.addWidget(self.anonymous_note)
        layout.addWidget(self.anon_box)
        layout.addLayout(columns, 1)
        layout.addWidget(details)
        layout.addWidget(self.history_box)
        layout.addLayout(buttons)

        self.save_shortcut = QShortcut(QKeySequence("Ctrl+S"), self)
        self.save_shortcut.activated.connect(self.save)
        order = [*form.chain(), self.history_list, self.link_button, self.cancel_button,
                 self.save_button]
        for first, second in itertools.pairwise(order):
            self.setTabOrder(first, second)

    def _columns(self, parent: QWidget, names: list[str], used: set[str]) -> QGridLayout:
        """Fields side by side: captions above, errors below."""
        grid = QGridLayout(parent)
        for col, name in enumerate(names):
            grid.addWidget(self.form.caption(name, used, mark_required=False), 0, col)
            grid.addWidget(self.form[name], 1, col)
            grid.addWidget(self.form.error_labels[name], 2, col)
        return grid

    def _fill(self) -> None:
        self._show_person()
        data = self._loaded
        editing = data is not None
        self.history_box.setVisible(editing)
        self.link_button.setVisible(editing and self.anonymous)
        if data is None:
            self.form.load({"occurred_at": None, "casa_id": self.ctx.session.casa_id,
                            "staff_user_id": self.ctx.user_id})
        else:
            self.form.load({name: read(data, spec) for name, spec in self.form.specs.items()
                            if name in self.form.widgets})
            self._fill_history()
        first = self.anon_sex_combo if self.anonymous and not editing else self.topic_filter
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_person(self) -> None:
        self.anonymous_note.setVisible(self.anonymous)
        self.anon_box.setVisible(self.anonymous)
        self.person_label.setVisible(not self.anonymous)
        self.person_facts_label.setVisible(not self.anonymous)
        self.setWindowTitle(self._title())
        if self.anonymous or self.person_id is None:
            return
        hit = hit_for_person(self.ctx.session, self.person_id)
        if hit is None:
            self.person_label.setText(_("Person not found"))
            self.person_facts_label.clear()
            return
        self.person_label.setText(_("Consultation of {name}").format(name=hit.full_name))
        facts = [
            age_text(hit.age, hit.age_estimated),
            i18n.country_name(hit.nationality),
            document_text(hit, self.ctx.catalogs),
            hit.phone,
        ]
        self.person_facts_label.setText(" · ".join(f for f in facts if f))

    def _fill_history(self) -> None:
        self.history_list.clear()
        if self.consultation_id is not None:
            for entry in consultation_history(self.ctx.session, self.consultation_id):
                self.history_list.addItem(history_line(entry))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            # the view has its size only now: bring the ticked topics into sight
            QTimer.singleShot(0, self.topics.scroll_to_first_checked)

    # --- values ---------------------------------------------------------------------

    def is_dirty(self) -> bool:
        return self.form.state() != self._initial

    def collect(self) -> tuple[ConsultationInput, dict[str, str]]:
        """The form as a ``ConsultationInput``, plus what could not be read."""
        names = [*(ANONYMOUS if self.anonymous else ()), "topics", *WHAT, *DETAILS]
        values, problems = self.form.read(names)
        data = ConsultationInput(person_id=self.person_id)
        for name, value in values.items():
            write(data, self.form.specs[name], value)  # unreadable ones (None) are in problems
        return data, problems

    # --- saving ---------------------------------------------------------------------

    def save(self) -> bool:
        """Ctrl+S: validate, then record or update; on error mark the fields and keep all."""
        data, errors = self.collect()
        errors = {**validate_consultation(data, self.ctx.catalogs), **errors}
        if self._loaded is not None and self._loaded.withheld:
            errors.pop("topics", None)  # withheld: the service keeps the stored topics
        if not errors:
            try:
                if self.consultation_id is None:
                    self.result_consultation_id = record_consultation(self.ctx.session, data)
                else:
                    update_consultation(self.ctx.session, self.consultation_id, data)
                    self.result_consultation_id = self.consultation_id
            except ValidationError as exc:
                errors = exc.fields
            except OmaError as exc:
                log_exception(log, "the consultation could not be saved", exc)
                self._show_message(str(exc), error=True)
                return False
        if errors:
            self._show_errors(errors)
            return False
        self.errors.clear()
        self._initial = self.form.state()
        assert self.result_consultation_id is not None
        self.saved.emit(self.result_consultation_id)
        self.accept()
        return True

    def _show_errors(self, errors: dict[str, str]) -> None:
        unbound = self.errors.show(errors)
        extra = [errors[k] for k in unbound]
        self._show_message(" ".join([_("Check the marked fields."), *extra]), error=True)
        widget = self.errors.first_invalid(errors)
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_message(self, text: str, error: bool = False, warning: bool = False) -> None:
        self.message_label.setStyleSheet(_ERROR_STYLE if error else _WARNING_STYLE if warning else "")
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    # --- cancelling -----------------------------------------------------------------

    def _on_changed(self, *_args: object) -> None:
        self.discard.disarm()

    def reject(self) -> None:
        """Esc: close at once if nothing changed; otherwise warn first (``DiscardGuard``)."""
        if self.is_dirty() and not self.discard.confirm():
            return
        super().reject()

    # --- linking an anonymous consultation ------------------------------------------

    def open_referral(self) -> QDialog | None:
        """Derivar…: refer this consultation's person (ui/derivaciones)."""
        from oma_desktop.ui.derivaciones.referral_dialog import open_referral

        if self.person_id is None:
            return None
        return open_referral(self, self.ctx, self.person_id, self.consultation_id)

    def print_certificate(self) -> None:
        """Write the constancia into the exports folder off the GUI thread, then open it."""
        from oma_desktop.services.certificates import write_consultation_certificate
        from oma_desktop.ui.tasks import run_job
        from oma_desktop.ui.widgets import sheet_export

        consultation_id = self.consultation_id
        if consultation_id is None:
            return
        path = self.ctx.paths.exports / f"constancia-{consultation_id[:13]}.pdf"

        def done(written: Path) -> None:
            self.certificate_path = written
            self.message_label.setText(_("Certificate saved in {path}.").format(path=written))
            sheet_export.open_file(written)

        run_job(self, self.ctx,
                lambda session, _progress: write_consultation_certificate(
                    session, consultation_id, path), done)

    def open_link_dialog(self) -> QDialog | None:
        if not self.anonymous or self.consultation_id is None:
            return None
        dialog = PersonPickerDialog(self.ctx, self)
        self.link_dialog = dialog

        def done(result: int) -> None:
            self.link_dialog = None
            self.activateWindow()  # back to the form, ready for Ctrl+S
            if result == QDialog.DialogCode.Accepted and dialog.person_id:
                self.link_to(dialog.person_id)
                self.summary_edit.setFocus(Qt.FocusReason.OtherFocusReason)
            dialog.deleteLater()

        dialog.finished.connect(done)
        dialog.open()
        return dialog

    def link_to(self, person_id: str) -> None:
        """Attach this anonymous consultation to ``person_id`` (saved at once)."""
        assert self.consultation_id is not None
        link_to_person(self.ctx.session, self.consultation_id, person_id)
        self.person_id = person_id
        self.anonymous = False
        self.link_button.setVisible(False)
        self.form.load(dict.fromkeys(ANONYMOUS))
        now = self.form.state()  # the cleared walk-in fields are not unsaved changes
        self._initial.update({k: now[k] for k in ANONYMOUS})
        self._show_person()
        self._fill_history()
        self.result_consultation_id = self.consultation_id
        self._show_message(_("Consultation linked to the person."))
        self.linked.emit(person_id)


class PersonPickerDialog(QDialog):
    """Find a registered person; Enter (or "Choose") picks the selected row."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.person_id: str | None = None
        self.setWindowTitle(_("Link to a person"))
        self.panel = PersonSearchPanel(ctx, self, limit=30, picking=True)
        self.search_edit = self.panel.search_edit
        self.panel.person_chosen.connect(self._choose)
        self.panel.current_person_changed.connect(self._on_current)
        hint = QLabel(_("Search the person, choose them with ↓ and press Enter."))
        hint.setWordWrap(True)
        self.choose_button = QPushButton(_("Choose"))
        self.choose_button.setAutoDefault(False)
        self.choose_button.setEnabled(False)
        self.choose_button.clicked.connect(lambda: self._choose(self.panel.current_person_id() or ""))
        cancel = QPushButton(_("Cancel ({key})").format(key="Esc"))
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.choose_button)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.panel, 1)
        layout.addLayout(buttons)
        self.panel.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        fix_minimum_size(self)
        self.resize(860, 460)
        self.search_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_current(self, person_id: Any) -> None:
        self.choose_button.setEnabled(bool(person_id))

    def _choose(self, person_id: str) -> None:
        if person_id:
            self.person_id = person_id
            self.accept()
