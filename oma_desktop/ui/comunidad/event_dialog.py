"""The event form of «Comunidad»: what the event was, its attendance counts, the staff of
each gerencia trained (for a training of municipal staff) and the registered persons who
took part. Saved with one call to ``services.events`` (``create_event``/``update_event``);
what the service refuses is marked beside its field and everything typed stays.

A role that may only read (the headquarters analyst) sees the same form without the save
button and without the persons' names.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import N_, _
from oma_desktop.services import events
from oma_desktop.services.casas import casa_choices
from oma_desktop.services.context import AppContext
from oma_desktop.services.events import Attendee, EventInput
from oma_desktop.services.organisations import organisation_choices
from oma_desktop.services.permissions import Permission
from oma_desktop.ui.comunidad.models import AttendeesModel, StaffModel
from oma_desktop.ui.widgets.field_widgets import bad_date_message, catalog_choices
from oma_desktop.ui.widgets.forms import (
    CodeCombo,
    DateField,
    FieldErrors,
    SaveBar,
    SearchableCombo,
    submit,
)
from oma_desktop.ui.widgets.row_table import read_only_rows
from oma_desktop.ui.widgets.topic_picker import TopicPicker

MAX_SPIN = events.MAX_COUNT
COUNTS = (("attendance_total", N_("&Total *")), ("attendance_women", N_("&Women")),
          ("attendance_men", N_("M&en")), ("attendance_minors", N_("Mi&nors (under 18)")),
          ("attendance_migrants", N_("Mi&grants")))


def _spin(name: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(0, MAX_SPIN)
    spin.setGroupSeparatorShown(True)
    spin.setAccessibleName(name)
    spin.setMinimumWidth(spin.fontMetrics().horizontalAdvance("0" * 9) + 30)
    return spin


def _table(model: object, name: str, rows: int) -> QTableView:
    table = read_only_rows(QTableView(), name)
    table.setModel(model)  # type: ignore[arg-type]
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    table.setFixedHeight(table.verticalHeader().defaultSectionSize() * rows
                         + table.horizontalHeader().sizeHint().height() + 4)
    return table


class EventDialog(QDialog):
    """New (``event_id`` None) or existing event; ``result_id`` after saving."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 event_id: str | None = None, today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.event_id = event_id
        self.today = today
        self.result_id: str | None = None
        session = ctx.session
        self.may_edit = session.can(Permission.MANAGE_EVENTS)
        self.sees_persons = session.can(Permission.VIEW_PERSONS)
        if not self.may_edit:
            self.setWindowTitle(_("Event"))
        else:
            self.setWindowTitle(_("Edit event") if event_id else _("New event"))
        self.errors = FieldErrors()

        # --- what the event was (left) -------------------------------------------------
        self.kind_combo = CodeCombo([(c, _(label)) for c, label in events.KINDS],
                                    empty_label=_("Choose…"))
        self.kind_combo.setAccessibleName(_("Kind of event"))
        self.title_edit = QLineEdit()
        self.title_edit.setAccessibleName(_("Name of the event"))
        self.title_edit.setPlaceholderText(_("e.g. Migratón de verano en el Cercado"))
        self.title_edit.setMaxLength(events.MAX_TITLE)
        self.started_edit = DateField()
        self.started_edit.setAccessibleName(_("Date"))
        self.ended_edit = DateField()
        self.ended_edit.setAccessibleName(_("Until"))
        self.ended_edit.setToolTip(_("Only for an event of several days"))
        dates = QHBoxLayout()
        dates.setContentsMargins(0, 0, 0, 0)
        dates.addWidget(self.errors.with_label("started_on", self.started_edit), 1)
        until = QLabel(_("&until"))
        until.setBuddy(self.ended_edit)
        dates.addWidget(until, 0, Qt.AlignmentFlag.AlignTop)
        dates.addWidget(self.errors.with_label("ended_on", self.ended_edit), 1)
        dates_box = QWidget()
        dates_box.setLayout(dates)
        self.place_edit = QLineEdit()
        self.place_edit.setAccessibleName(_("Place"))
        self.place_edit.setPlaceholderText(_("e.g. Plaza Dos de Mayo"))
        self.district_combo = SearchableCombo(catalog_choices(ctx.catalogs, "districts"))
        self.district_combo.setAccessibleName(_("District"))
        self.organisers_edit = QLineEdit()
        self.organisers_edit.setAccessibleName(_("Organised by"))
        self.organisers_edit.setPlaceholderText(_("e.g. Casa Vecinal 1 with ACNUR"))
        self.casa_combo: CodeCombo | None = None
        if session.at_hq:
            self.casa_combo = CodeCombo(casa_choices(session))
            self.casa_combo.set_value(session.casa_id)
            self.casa_combo.setAccessibleName(_("Casa"))
        self.topics = TopicPicker(ctx.catalogs)
        self.topics.setFixedHeight(150)
        self.organisations = QListWidget()
        self.organisations.setAccessibleName(_("Organisations that took part"))
        self.organisations.setFixedHeight(76)
        self._organisation_names: dict[str, str] = {}
        for org_id, name in organisation_choices(session):
            self._add_organisation(org_id, name)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setAccessibleName(_("Notes"))
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setFixedHeight(self.notes_edit.fontMetrics().lineSpacing() * 2 + 14)

        form = QFormLayout()
        form.addRow(_("K&ind of event *"), self.errors.with_label("kind", self.kind_combo))
        form.addRow(_("Na&me *"), self.errors.with_label("title", self.title_edit))
        form.addRow(_("&Date *"), dates_box)
        form.addRow(_("&Place"), self.errors.with_label("place", self.place_edit))
        form.addRow(_("Dis&trict"), self.errors.with_label("district_ubigeo",
                                                           self.district_combo))
        form.addRow(_("&Organised by"), self.errors.with_label("organisers",
                                                              self.organisers_edit))
        if self.casa_combo is not None:
            form.addRow(_("Casa"), self.casa_combo)
        form.addRow(_("Topics"), self.errors.with_label("topics", self.topics))
        form.addRow(_("Organisations"), self.errors.with_label("organisation_ids",
                                                               self.organisations))
        form.addRow(_("Notes"), self.errors.with_label("notes", self.notes_edit))

        # --- attendance (right) ----------------------------------------------------------
        self.counts: dict[str, QSpinBox] = {}
        grid = QGridLayout()
        for row, (key, label) in enumerate(COUNTS):
            spin = _spin(_(label).replace("&", "").rstrip(" *"))
            self.counts[key] = spin
            caption = QLabel(_(label))
            caption.setBuddy(spin)
            grid.addWidget(caption, row, 0)
            grid.addWidget(self.errors.with_label(key, spin), row, 1)
        self.hours_spin = QDoubleSpinBox()
        self.hours_spin.setRange(0, events.MAX_HOURS)
        self.hours_spin.setDecimals(1)
        self.hours_spin.setSingleStep(0.5)
        self.hours_spin.setAccessibleName(_("Duration in hours"))
        hours_caption = QLabel(_("Duration (&hours)"))
        hours_caption.setBuddy(self.hours_spin)
        grid.addWidget(hours_caption, len(COUNTS), 0)
        grid.addWidget(self.errors.with_label("hours", self.hours_spin), len(COUNTS), 1)
        grid.setColumnStretch(2, 1)
        attendance = QGroupBox(_("Attendance (from the attendance sheet)"))
        attendance.setLayout(grid)

        # the staff of each gerencia, for a training of municipal staff
        self.gerencia_combo = QComboBox()
        self.gerencia_combo.setEditable(True)
        self.gerencia_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.gerencia_combo.addItems(events.gerencia_names())
        self.gerencia_combo.setCurrentIndex(-1)
        self.gerencia_combo.setAccessibleName(_("Gerencia"))
        line = self.gerencia_combo.lineEdit()
        assert line is not None
        line.setPlaceholderText(_("Choose or type the gerencia"))
        self.gerencia_combo.setMinimumContentsLength(24)
        self.gerencia_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.staff_spin = _spin(_("Participants"))
        self.staff_spin.setMinimum(1)
        self.add_staff_button = QPushButton(_("&Add"))
        self.add_staff_button.setAutoDefault(False)
        self.add_staff_button.clicked.connect(lambda: self.add_staff())
        self.staff_model = StaffModel(self)
        self.staff_table = _table(self.staff_model, _("Staff trained by gerencia"), 3)
        self.staff_table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents)
        self.remove_staff_button = QPushButton(_("Remove"))
        self.remove_staff_button.setAutoDefault(False)
        self.remove_staff_button.clicked.connect(lambda: self.remove_staff())
        staff_row = QHBoxLayout()
        staff_row.addWidget(self.gerencia_combo, 1)
        staff_row.addWidget(self.staff_spin)
        staff_row.addWidget(self.add_staff_button)
        staff_layout = QVBoxLayout()
        staff_layout.addLayout(staff_row)
        staff_layout.addWidget(self.staff_table)
        staff_bottom = QHBoxLayout()
        staff_bottom.addWidget(self.errors.make_label("staff_by_gerencia", self.staff_table), 1)
        staff_bottom.addStretch(1)
        staff_bottom.addWidget(self.remove_staff_button, 0, Qt.AlignmentFlag.AlignTop)
        staff_layout.addLayout(staff_bottom)
        self.staff_box = QGroupBox(_("Municipal staff trained, by gerencia"))
        self.staff_box.setLayout(staff_layout)

        # the registered persons who took part
        self.attendees_model = AttendeesModel(self)
        self.attendees_table = _table(self.attendees_model, _("Registered persons who took "
                                                               "part"), 4)
        self.attendees_table.horizontalHeader().setVisible(False)
        self.add_person_button = QPushButton(_("Add &person…"))
        self.add_person_button.setAutoDefault(False)
        self.add_person_button.clicked.connect(lambda: self.pick_person())
        self.remove_person_button = QPushButton(_("Remove person"))
        self.remove_person_button.setAutoDefault(False)
        self.remove_person_button.clicked.connect(lambda: self.remove_person())
        self.attendees_count = QLabel()
        person_buttons = QHBoxLayout()
        person_buttons.addWidget(self.attendees_count, 1)
        person_buttons.addWidget(self.add_person_button)
        person_buttons.addWidget(self.remove_person_button)
        attendees_layout = QVBoxLayout()
        attendees_layout.addWidget(self.attendees_table)
        attendees_layout.addWidget(self.errors.make_label("attendee_ids", self.attendees_table))
        attendees_layout.addLayout(person_buttons)
        self.attendees_box = QGroupBox(_("Registered persons who took part (optional)"))
        self.attendees_box.setLayout(attendees_layout)

        right = QVBoxLayout()
        right.addWidget(attendance)
        right.addWidget(self.staff_box)
        right.addWidget(self.attendees_box)
        right.addStretch(1)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addStretch(1)
        body = QHBoxLayout()
        body.addLayout(left, 5)
        body.addLayout(right, 4)

        buttons = SaveBar(self, self.save, read_only=not self.may_edit)
        self.message, self.save_button = buttons.message, buttons.save_button
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self.attendees_table.selectionModel().currentRowChanged.connect(
            lambda *_a: self._update_buttons())
        self.staff_table.selectionModel().currentRowChanged.connect(
            lambda *_a: self._update_buttons())
        if event_id:
            self._load(events.get_event(session, event_id))
        self._kind_changed()
        self._update_buttons()
        if not self.may_edit:
            self._read_only()
        self.attendees_box.setVisible(self.sees_persons)
        self.resize(1080, 660)

    # --- loading -----------------------------------------------------------------------

    def _add_organisation(self, org_id: str, name: str, checked: bool = False) -> None:
        item = QListWidgetItem(name)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setData(Qt.ItemDataRole.UserRole, org_id)
        self.organisations.addItem(item)
        self._organisation_names[org_id] = name

    def _load(self, view: events.EventView) -> None:
        data = view.data
        self.kind_combo.set_value(data.kind)
        self.title_edit.setText(data.title)
        self.started_edit.set_value(data.started_on)
        self.ended_edit.set_value(data.ended_on)
        self.place_edit.setText(data.place)
        self.district_combo.set_value(data.district_ubigeo)
        self.organisers_edit.setText(data.organisers)
        if self.casa_combo is not None and data.casa_id:
            self.casa_combo.set_value(data.casa_id)
        self.topics.set_codes(list(data.topics))
        for org_id in data.organisation_ids:
            if org_id not in self._organisation_names:  # an inactive one stays listed
                self._add_organisation(org_id, org_id)
        for row in range(self.organisations.count()):
            item = self.organisations.item(row)
            if item.data(Qt.ItemDataRole.UserRole) in data.organisation_ids:
                item.setCheckState(Qt.CheckState.Checked)
        for key, spin in self.counts.items():
            spin.setValue(int(getattr(data, key)))
        self.hours_spin.setValue(float(data.hours))
        self.staff_model.set_rows(sorted(data.staff_by_gerencia.items()))
        self.notes_edit.setPlainText(data.notes)
        self.attendees_model.set_rows(view.attendees)

    def _read_only(self) -> None:
        for widget in (self.kind_combo, self.title_edit, self.started_edit, self.ended_edit,
                       self.place_edit, self.district_combo, self.organisers_edit,
                       self.topics, self.organisations, self.notes_edit, self.hours_spin,
                       self.gerencia_combo, self.staff_spin, self.add_staff_button,
                       self.remove_staff_button, self.add_person_button,
                       self.remove_person_button, *self.counts.values()):
            widget.setEnabled(False)
        if self.casa_combo is not None:
            self.casa_combo.setEnabled(False)

    def _kind_changed(self) -> None:
        self.staff_box.setVisible(self.kind_combo.value() == events.STAFF_TRAINING)

    def _update_buttons(self) -> None:
        if not self.may_edit:
            return
        self.remove_person_button.setEnabled(self.attendees_table.currentIndex().isValid())
        self.remove_staff_button.setEnabled(self.staff_table.currentIndex().isValid())
        n = self.attendees_model.rowCount()
        self.attendees_count.setText(
            _("{n} linked").format(n=n) if n else _("None linked"))

    # --- staff by gerencia --------------------------------------------------------------

    def add_staff(self, name: str | None = None, participants: int | None = None) -> bool:
        """Add a gerencia and its participants (or add to those it already has)."""
        typed = " ".join((self.gerencia_combo.currentText() if name is None else name).split())
        count = self.staff_spin.value() if participants is None else participants
        if not typed:
            self.errors.show({"staff_by_gerencia": _("Choose or type the gerencia first.")})
            self.gerencia_combo.setFocus()
            return False
        name = events.canonical_gerencia(typed)
        rows = dict(self.staff_model.rows())
        rows[name] = rows.get(name, 0) + count
        self.staff_model.set_rows(sorted(rows.items()))
        self.gerencia_combo.setCurrentIndex(-1)
        self.gerencia_combo.setEditText("")
        self.staff_spin.setValue(1)
        self.errors.show({})
        self._update_buttons()
        return True

    def remove_staff(self) -> None:
        index = self.staff_table.currentIndex()
        if not index.isValid():
            return
        rows = self.staff_model.rows()
        del rows[index.row()]
        self.staff_model.set_rows(rows)
        self._update_buttons()

    # --- persons ------------------------------------------------------------------------

    def pick_person(self) -> QDialog | None:
        from oma_desktop.ui.comunidad.person_picker import AttendeePickerDialog

        dialog = AttendeePickerDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.person_picked.connect(self.add_person)
        dialog.open()
        return dialog

    def add_person(self, person_id: str, name: str) -> bool:
        if self.attendees_model.row_of(person_id) >= 0:
            self.errors.show({"attendee_ids": _("{name} is already in the list.").format(
                name=name)})
            return False
        rows = [*self.attendees_model.rows(), Attendee(person_id, name)]
        self.attendees_model.set_rows(rows)
        total = self.counts["attendance_total"]
        if total.value() < len(rows):  # the total counts the persons linked
            total.setValue(len(rows))
        self.errors.show({})
        self._update_buttons()
        return True

    def remove_person(self) -> None:
        index = self.attendees_table.currentIndex()
        if not index.isValid():
            return
        rows = self.attendees_model.rows()
        del rows[index.row()]
        self.attendees_model.set_rows(rows)
        self._update_buttons()

    # --- saving -------------------------------------------------------------------------

    def collect(self) -> EventInput | None:
        """What is typed, or None (the dates marked) when a date is not a date."""
        errors: dict[str, str] = {}
        dates: dict[str, dt.date | None] = {}
        for key, edit in (("started_on", self.started_edit), ("ended_on", self.ended_edit)):
            try:
                dates[key] = edit.value()
            except ValueError:
                errors[key] = bad_date_message()
        if errors:
            self.errors.show(errors)
            return None
        organisations = [str(self.organisations.item(i).data(Qt.ItemDataRole.UserRole))
                         for i in range(self.organisations.count())
                         if self.organisations.item(i).checkState() == Qt.CheckState.Checked]
        kind = self.kind_combo.value()
        return EventInput(
            kind=kind, title=self.title_edit.text(), started_on=dates["started_on"],
            ended_on=dates["ended_on"], place=self.place_edit.text(),
            district_ubigeo=self.district_combo.value() or None,
            organisers=self.organisers_edit.text(), topics=self.topics.codes(),
            **{key: spin.value() for key, spin in self.counts.items()},
            hours=self.hours_spin.value(),
            staff_by_gerencia=(self.staff_model.as_dict() if kind == events.STAFF_TRAINING
                               else {}),
            organisation_ids=organisations, notes=self.notes_edit.toPlainText(),
            attendee_ids=self.attendees_model.ids() if self.sees_persons else None,
            casa_id=self.casa_combo.value() if self.casa_combo is not None else None)

    def save(self) -> bool:
        if not self.may_edit:
            return False
        data = self.collect()
        if data is None:
            self.message.setText(_("Check the marked fields."))
            return False

        def write() -> None:
            if self.event_id:
                events.update_event(self.ctx.session, self.event_id, data, self.today)
                self.result_id = self.event_id
            else:
                self.result_id = events.create_event(self.ctx.session, data, self.today)

        if not submit(write, self.errors, self.message.setText):
            return False
        self.accept()
        return True
