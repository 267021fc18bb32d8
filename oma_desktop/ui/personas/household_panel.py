"""The "Hogar" tab of the person form: who lives with the person, and their relationship.

Members are typed inline (names, relationship, sex, birth date or an approximate age,
without a record of their own: a child recorded under the adult's consent) or found among
the registered persons. Every change waits in the tab and is written with the person by
the form's one Save (``services.persons`` with a ``HouseholdChanges``), so Cancel saves
nothing. The one exception is "Crear ficha propia" for a member already saved: it asks
first, says that it is saved at once, and the form lists it among what was saved.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.fields import MAX_AGE, field_label
from oma_desktop.core.vocab import RELATIONSHIPS, SEX, label
from oma_desktop.i18n import _, ngettext
from oma_desktop.services.context import AppContext
from oma_desktop.services.households import (
    HEAD,
    HouseholdChanges,
    Member,
    MemberInput,
    household_name,
    household_of,
    members,
    promote_member,
    validate_member,
)
from oma_desktop.services.persons import age_on, birth_date_from_age
from oma_desktop.services.search import search_persons
from oma_desktop.ui.models.person_search_model import document_text
from oma_desktop.ui.widgets.field_widgets import plain, with_mnemonic
from oma_desktop.ui.widgets.forms import INVALID_STYLE, CodeCombo, DateField, FieldErrors

SEARCH_DELAY_MS = 200
MIN_SEARCH_CHARS = 2


NO_AGE = -1  # the approximate-age box's "nothing typed"


def age_text(birth_date: str | dt.date | None, estimated: bool = False) -> str:
    """``34 años`` (``~34 años`` when the age is an estimate), empty when unknown."""
    age = age_on(birth_date, dt.date.today())
    if age is None:
        return ""
    text = ngettext("{n} year", "{n} years", age).format(n=age)
    return f"~{text}" if estimated else text


def plain_text(text: str) -> str:
    """Button or label text without mnemonic marks and ellipsis (for accessible names)."""
    return text.replace("&", "").removesuffix("…").strip()


def _read_only_table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return table


def _item(text: str, data: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    return item


class AddMemberDialog(QDialog):
    """Find an already registered person and say how they relate to the head of household."""

    def __init__(
        self, ctx: AppContext, exclude: set[str] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.exclude = set(exclude or ())
        self.person_id: str | None = None
        self.relationship = ""
        self._households: dict[str, str] = {}
        self.setWindowTitle(_("Add a household member"))

        intro = QLabel(_(
            "Search for the person by name or document number. Someone who is not "
            "registered can be added without their own record in the Household tab."
        ))
        intro.setWordWrap(True)

        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(_("Names, surnames or document number"))
        self.search_edit.setClearButtonEnabled(True)
        search_label = QLabel(_("&Search for the person"))
        search_label.setBuddy(self.search_edit)
        self.search_edit.setAccessibleName(_("Search for the person"))

        self.results = _read_only_table(
            [_("Name"), _("Document"), _("Age"), _("Current household")]
        )
        self.results.setAccessibleName(_("People found"))
        self.results.itemSelectionChanged.connect(self._selection_changed)
        self.empty_label = QLabel()
        self.empty_label.setVisible(False)
        self.move_label = QLabel()
        self.move_label.setWordWrap(True)
        self.move_label.setVisible(False)

        self.relationship_combo = CodeCombo(
            [(code, _(text)) for code, text in RELATIONSHIPS], empty_label=_("Choose…")
        )
        relationship_label = QLabel(_("&Relationship to the head of household"))
        relationship_label.setBuddy(self.relationship_combo)
        self.results.itemDoubleClicked.connect(lambda _item: self.relationship_combo.setFocus())
        self.relationship_combo.setAccessibleName(_("Relationship to the head of household"))

        self.errors = FieldErrors()
        person_error = self.errors.make_label("person", self.results)
        relationship_error = self.errors.make_label("relationship", self.relationship_combo)

        self.buttons = QDialogButtonBox()
        self.add_button = self.buttons.addButton(_("&Add"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(
            _("Cancel"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.add_button.setDefault(True)
        self.buttons.accepted.connect(self._try_accept)
        self.buttons.rejected.connect(self.reject)

        relationship_row = QHBoxLayout()
        relationship_row.addWidget(relationship_label)
        relationship_row.addWidget(self.relationship_combo, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(search_label)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.empty_label)
        layout.addWidget(person_error)
        layout.addWidget(self.move_label)
        layout.addLayout(relationship_row)
        layout.addWidget(relationship_error)
        layout.addWidget(self.buttons)
        # a minimum of its own: the layout must not resize the window when messages appear
        self.setMinimumSize(560, 360)
        self.resize(720, 460)
        self.setStyleSheet(INVALID_STYLE)
        self.ensurePolished()
        layout.activate()

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run_search)
        self.search_edit.textChanged.connect(lambda _text: self._timer.start())

    def run_search(self) -> None:
        self._timer.stop()
        text = self.search_edit.text().strip()
        hits = search_persons(self.ctx.session, text) if len(text) >= MIN_SEARCH_CHARS else []
        hits = [h for h in hits if h.id not in self.exclude]
        self.results.setRowCount(0)
        self._households.clear()
        for hit in hits:
            household = self._household_name(hit.id)
            row = self.results.rowCount()
            self.results.insertRow(row)
            self.results.setItem(row, 0, _item(hit.full_name, hit.id))
            document = document_text(hit, self.ctx.catalogs)  # "Cédula VE V-12.345.678", "CE …"
            self.results.setItem(row, 1, _item(document))
            age = "" if hit.age is None else ngettext("{n} year", "{n} years", hit.age).format(n=hit.age)
            self.results.setItem(row, 2, _item(age))
            self.results.setItem(row, 3, _item(household))
        self.empty_label.setText(_("Nobody found with “{text}”.").format(text=text))
        self.empty_label.setVisible(len(text) >= MIN_SEARCH_CHARS and not hits)
        if hits:
            self.results.selectRow(0)
        else:
            self._selection_changed()

    def _household_name(self, person_id: str) -> str:
        household_id = household_of(self.ctx.session, person_id)
        if not household_id:
            return ""
        name = household_name(self.ctx.session, household_id)
        self._households[person_id] = name
        return name

    def selected_person_id(self) -> str | None:
        rows = self.results.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.results.item(rows[0].row(), 0)
        return str(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def _selection_changed(self) -> None:
        person_id = self.selected_person_id()
        other = self._households.get(person_id or "", "")
        self.move_label.setText(_(
            "This person is in another household ({household}); adding them here "
            "takes them out of it."
        ).format(household=other))
        self.move_label.setVisible(bool(other))

    def _try_accept(self) -> None:
        errors = {}
        person_id = self.selected_person_id()
        if person_id is None:
            errors["person"] = _("Search for the person and select them in the list.")
        relationship = self.relationship_combo.value()
        if not relationship:
            errors["relationship"] = _("Choose the relationship from the list.")
        self.errors.show(errors)
        if errors:
            widget = self.errors.first_invalid(errors)
            if widget is not None:
                widget.setFocus()
            return
        self.person_id, self.relationship = person_id, relationship
        self.accept()


@dataclass(frozen=True)
class Row:
    """One line of the members table: a saved member or a pending addition."""

    key: str  # "m:<member id>", "p:<person id>" (pending) or "i:<n>" (pending inline n)
    name: str
    relationship: str
    age: str
    sex: str
    record: str
    member: Member | None = None


class HouseholdPanel(QWidget):
    """Members of the person's household; additions and removals wait for the form's Save."""

    changed = Signal()  # the pending changes changed
    saved_now = Signal(str)  # something was written at once (a member's own record)

    def __init__(
        self, ctx: AppContext, person_id: str | None = None, parent: QWidget | None = None,
        reserved: set[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_id = person_id
        self.household_id: str | None = None
        self.add_dialog: AddMemberDialog | None = None
        self.pending = HouseholdChanges()
        self._pending_names: dict[str, str] = {}  # person id -> name, for pending persons
        self._stored: list[Member] = []
        self.rows: list[Row] = []
        used = set(reserved or ())
        self.title_label = QLabel()
        self.title_label.setWordWrap(True)

        self.table: QTableWidget = _read_only_table(
            [_("Name"), field_label("relationship"), _("Age"), field_label("sex"), _("Record")]
        )
        self.table.setAccessibleName(_("Household members"))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.find_button = QPushButton(with_mnemonic(_("Add a registered person…"), used))
        self.find_button.clicked.connect(self.add_member_clicked)
        self.add_button = self.find_button  # the historic name
        self.remove_button = QPushButton(with_mnemonic(_("Remove from household"), used))
        self.remove_button.clicked.connect(self.remove_selected)
        self.promote_button = QPushButton(with_mnemonic(_("Create their own record…"), used))
        self.promote_button.setToolTip(_(
            "Registers this member as a person, with the household's details. Saved at once."
        ))
        self.promote_button.clicked.connect(self.promote_selected)
        self.promote_button.setVisible(person_id is not None)
        buttons = QHBoxLayout()
        for button in (self.find_button, self.remove_button, self.promote_button):
            button.setAutoDefault(False)
            button.setAccessibleName(plain_text(button.text()))
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.entry = self._build_entry(used)
        self.pending_label = QLabel()
        self.pending_label.setWordWrap(True)
        self.pending_label.setStyleSheet("color: #555555;")

        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.entry)
        layout.addWidget(self.pending_label)
        self.refresh()

    # --- the inline entry ---------------------------------------------------------------

    def _build_entry(self, used: set[str]) -> QGroupBox:
        box = QGroupBox(_("Add a member without their own record (e.g. a child)"))
        self.errors = FieldErrors()
        self.given_names = QLineEdit()
        self.paternal_surname = QLineEdit()
        self.maternal_surname = QLineEdit()
        for edit in (self.given_names, self.paternal_surname, self.maternal_surname):
            edit.setMaxLength(80)
        choices = [(c, _(t)) for c, t in RELATIONSHIPS if c != HEAD]
        self.relationship = CodeCombo(choices, empty_label=_("Choose…"))
        self.sex = CodeCombo([(c, _(t)) for c, t in SEX], empty_label=_("Choose…"))
        self.birth_date = DateField()
        self.birth_date.setFixedWidth(self.fontMetrics().horizontalAdvance("00/00/00000") + 40)
        self.birth_unknown = QCheckBox(with_mnemonic(_("Does not know the exact date"), used))
        self.estimated_age = QSpinBox()
        # -1 shows empty: no age is assumed until the clerk types one (0 is a baby)
        self.estimated_age.setRange(NO_AGE, MAX_AGE)
        self.estimated_age.setSpecialValueText(" ")
        self.estimated_age.setValue(NO_AGE)
        self.estimated_age.setSuffix(" " + _("years"))
        self.estimated_age.setEnabled(False)
        self.birth_unknown.toggled.connect(self._birth_unknown_toggled)
        self.add_inline_button = QPushButton(with_mnemonic(_("Add to the household"), used))
        self.add_inline_button.setAutoDefault(False)
        self.add_inline_button.clicked.connect(self.add_inline)
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        cells = [
            ("given_names", _("Given names"), self.given_names, 0, 0),
            ("paternal_surname", _("Paternal surname"), self.paternal_surname, 0, 2),
            ("maternal_surname", _("Maternal surname"), self.maternal_surname, 0, 4),
            ("relationship", _("Relationship"), self.relationship, 2, 0),
            ("sex", _("Sex"), self.sex, 2, 2),
            ("birth_date", _("Birth date"), self.birth_date, 2, 4),
        ]
        for name, text, widget, row, column in cells:
            caption = QLabel(with_mnemonic(text, used))
            caption.setBuddy(widget)
            widget.setAccessibleName(text)  # the box's title says whose
            grid.addWidget(caption, row, column)
            grid.addWidget(widget, row, column + 1)
            grid.addWidget(self.errors.make_label(name, widget), row + 1, column + 1)
        age_caption = QLabel(with_mnemonic(_("Approximate age"), used))
        age_caption.setBuddy(self.estimated_age)
        self.estimated_age.setAccessibleName(plain(age_caption.text()))
        self.birth_unknown.setAccessibleName(plain(self.birth_unknown.text()))
        self.add_inline_button.setAccessibleName(plain(self.add_inline_button.text()))
        age_row = QHBoxLayout()
        age_row.addWidget(self.birth_unknown)
        age_row.addStretch(1)
        age_row.addWidget(age_caption)
        age_row.addSpacing(6)
        age_row.addWidget(self.estimated_age)
        age_row.addSpacing(16)
        age_row.addWidget(self.add_inline_button)
        grid.addLayout(age_row, 4, 0, 1, 6)
        hint = QLabel(_("Recorded under this person's consent, without a record of their own: "
                        "they are not found by the search and not counted as persons."))
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555555;")
        grid.addWidget(hint, 5, 0, 1, 6)
        for column in (1, 3, 5):
            grid.setColumnStretch(column, 1)
        return box

    def entry_widgets(self) -> list[QWidget]:
        return [self.given_names, self.paternal_surname, self.maternal_surname,
                self.relationship, self.sex, self.birth_date, self.birth_unknown,
                self.estimated_age, self.add_inline_button]

    def focus_chain(self) -> list[QWidget]:
        return [self.table, self.find_button, self.remove_button, self.promote_button,
                *self.entry_widgets()]

    def _birth_unknown_toggled(self, checked: bool) -> None:
        self.birth_date.setEnabled(not checked)
        self.estimated_age.setEnabled(checked)

    def entry_is_blank(self) -> bool:
        typed = (self.given_names, self.paternal_surname, self.maternal_surname, self.birth_date)
        return (not any(w.text().strip() for w in typed) and not self.relationship.value()
                and not self.sex.value() and not self.birth_unknown.isChecked())

    def entry_value(self) -> tuple[MemberInput, dict[str, str]]:
        data = MemberInput(
            given_names=self.given_names.text().strip(),
            paternal_surname=self.paternal_surname.text().strip(),
            maternal_surname=self.maternal_surname.text().strip(),
            relationship=self.relationship.value(), sex=self.sex.value(),
        )
        problems: dict[str, str] = {}
        if self.birth_unknown.isChecked():
            if self.estimated_age.value() == NO_AGE:
                problems["birth_date"] = _(
                    "Write the approximate age, or untick “{label}”.").format(
                    label=_("Does not know the exact date"))
            else:
                data.estimated_age = self.estimated_age.value()
        else:
            try:
                data.birth_date = self.birth_date.value()
            except ValueError as exc:
                problems["birth_date"] = str(exc)
        return data, {**validate_member(data), **problems}

    def add_inline(self) -> bool:
        """Check the typed member and add them to the pending list; False if they are wrong."""
        data, errors = self.entry_value()
        self.errors.show(errors)
        if errors:
            widget = self.errors.first_invalid(errors)
            if widget is not None:
                widget.setFocus()
            return False
        self.pending.inline.append(data)
        for edit in (self.given_names, self.maternal_surname, self.birth_date):
            edit.clear()  # the paternal surname is often shared by the next child
        self.relationship.set_value("")
        self.sex.set_value("")
        self.birth_unknown.setChecked(False)
        self.estimated_age.setValue(NO_AGE)
        self._refill()
        self.given_names.setFocus()
        self.changed.emit()
        return True

    # --- reading ----------------------------------------------------------------------

    def member_ids(self) -> list[str]:
        """Person ids listed (saved and pending), in order."""
        ids = [r.member.person_id for r in self.rows if r.member and r.member.person_id]
        return [*ids, *(p for p, _rel in self.pending.persons)]

    def changes(self) -> HouseholdChanges:
        return self.pending

    def state(self) -> tuple[object, ...]:
        entry = tuple(w.text() for w in (self.given_names, self.paternal_surname,
                                         self.maternal_surname, self.birth_date))
        return (repr(self.pending), entry, self.relationship.value(), self.sex.value(),
                self.birth_unknown.isChecked() and self.estimated_age.value())

    def describe_pending(self) -> str:
        """The pending changes in one Spanish sentence ('' when there are none)."""
        added = len(self.pending.inline) + len(self.pending.persons)
        removed = len(self.pending.removed)
        parts = []
        if added:
            parts.append(ngettext("{n} member to add", "{n} members to add", added).format(n=added))
        if removed:
            parts.append(ngettext("{n} member to remove", "{n} members to remove",
                                  removed).format(n=removed))
        if not parts:
            return ""
        return _("Household changes waiting for Save: {changes}.").format(changes=", ".join(parts))

    def refresh(self) -> None:
        """Read the saved members again (the pending changes stay)."""
        self.household_id = household_of(self.ctx.session, self.person_id) if self.person_id else None
        self._stored = members(self.ctx.session, self.household_id) if self.household_id else []
        if self.household_id:
            name = html.escape(household_name(self.ctx.session, self.household_id))
            self.title_label.setText(f"<b>{name}</b>")
        elif self.person_id:
            self.title_label.setText(_(
                "This person has no household recorded. Adding a member creates it, with this "
                "person as head of household."
            ))
        else:
            self.title_label.setText(_(
                "Who lives with the person? Members added here are saved with the person, as "
                "their household, when you press Save."
            ))
        self._refill()

    def _refill(self) -> None:
        today = dt.date.today()
        rows: list[Row] = []
        for m in self._stored:
            if m.member_id in self.pending.removed:
                continue
            name = m.full_name
            if m.person_id is not None and m.person_id == self.person_id:
                name = _("{name} (this person)").format(name=name)
            record = _("Own record") if m.person_id else _("No own record")
            rows.append(Row(f"m:{m.member_id}", name, label(RELATIONSHIPS, m.relationship),
                            age_text(m.birth_date, m.birth_date_estimated),
                            label(SEX, m.sex), record, m))
        for person_id, relationship in self.pending.persons:
            rows.append(Row(f"p:{person_id}", self._pending_names.get(person_id, person_id),
                            label(RELATIONSHIPS, relationship), "", "", _("To be saved")))
        for index, data in enumerate(self.pending.inline):
            birth = data.birth_date
            if birth is None and data.estimated_age is not None:
                birth = birth_date_from_age(data.estimated_age, today)
            rows.append(Row(f"i:{index}", data.full_name, label(RELATIONSHIPS, data.relationship),
                            age_text(birth, data.birth_date is None), label(SEX, data.sex),
                            _("To be saved")))
        self.rows = rows
        self.table.setRowCount(0)
        for row in rows:
            line = self.table.rowCount()
            self.table.insertRow(line)
            for column, text in enumerate((row.name, row.relationship, row.age, row.sex, row.record)):
                self.table.setItem(line, column, _item(text, row.key if column == 0 else None))
        self.pending_label.setText(self.describe_pending())
        self.pending_label.setVisible(bool(self.pending))
        self._update_buttons()

    def selected_row(self) -> Row | None:
        selected = self.table.selectionModel().selectedRows()
        return self.rows[selected[0].row()] if selected else None

    def select_key(self, key: str) -> None:
        for line, row in enumerate(self.rows):
            if row.key == key:
                self.table.selectRow(line)

    def _update_buttons(self) -> None:
        row = self.selected_row()
        mine = row is not None and row.member is not None and row.member.person_id == self.person_id
        self.remove_button.setEnabled(row is not None and not (mine and row.member is not None))
        self.promote_button.setEnabled(
            row is not None and row.member is not None and row.member.inline
        )

    # --- changes ----------------------------------------------------------------------

    def add_member_clicked(self) -> None:
        """Open the search dialog (non-blocking); the member is added when it is accepted."""
        exclude = {*self.member_ids(), *(p for p in [self.person_id] if p)}
        dialog = AddMemberDialog(self.ctx, exclude, self)
        self.add_dialog = dialog
        dialog.accepted.connect(lambda: self._add_chosen(dialog))
        dialog.finished.connect(lambda _code: self._dialog_closed(dialog))
        dialog.open()

    def _dialog_closed(self, dialog: AddMemberDialog) -> None:
        if self.add_dialog is dialog:
            self.add_dialog = None
        dialog.deleteLater()

    def _add_chosen(self, dialog: AddMemberDialog) -> None:
        if dialog.person_id is None:
            return
        name = dialog.results.item(dialog.results.currentRow(), 0)
        self._pending_names[dialog.person_id] = name.text() if name else dialog.person_id
        self.pending.persons.append((dialog.person_id, dialog.relationship))
        self._refill()
        self.select_key(f"p:{dialog.person_id}")
        self.changed.emit()

    def remove_selected(self) -> None:
        """Take the selected member out (a pending one is just dropped); saved with the form."""
        row = self.selected_row()
        if row is None:
            return
        kind, _sep, value = row.key.partition(":")
        if kind == "m":
            self.pending.removed.append(value)
        elif kind == "p":
            self.pending.persons = [p for p in self.pending.persons if p[0] != value]
        else:
            del self.pending.inline[int(value)]
        self._refill()
        self.changed.emit()

    def promote_selected(self) -> None:
        """A saved inline member becomes a person of their own, after a Spanish confirmation."""
        row = self.selected_row()
        if row is None or row.member is None or not row.member.inline:
            return
        answer = QMessageBox.question(
            self,
            _("Create their own record"),
            _("Create a record of their own for {name}? They are registered as a person with "
              "the details recorded here and the nationality and address of the household, "
              "under the consent already given. This is saved now, even if you then cancel "
              "the form.").format(name=row.name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            promote_member(self.ctx.session, row.member.member_id)
        except ValidationError as exc:
            QMessageBox.warning(self, _("Create their own record"), str(exc))
            return
        self.refresh()
        self.select_key(row.key)
        self.saved_now.emit(_("the record of {name}").format(name=row.name))
