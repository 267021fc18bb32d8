"""The "Hogar" tab of the person form: who lives with the person, and their relationship.

Household changes are written at once through ``services.households`` (they are separate
records, not fields of the person), so the tab says so; the form's Cancel does not undo
them. A new person has no tab content yet: the household is set after saving.
"""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.fields import field_label
from oma_desktop.core.vocab import RELATIONSHIPS, SEX, label
from oma_desktop.i18n import _, ngettext
from oma_desktop.services.context import AppContext
from oma_desktop.services.households import (
    add_member,
    ensure_household,
    household_name,
    household_of,
    members,
    remove_member,
)
from oma_desktop.services.persons import age_on
from oma_desktop.services.search import search_persons
from oma_desktop.ui.widgets.forms import INVALID_STYLE, CodeCombo, FieldErrors

SEARCH_DELAY_MS = 200
MIN_SEARCH_CHARS = 2


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
            "Search for the person by name or document number. If they are not registered "
            "yet, register them first from Personas."
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
            document = f"{hit.document_type} {hit.document_number}" if hit.document_number else ""
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


class HouseholdPanel(QWidget):
    """Members of the person's household with "Agregar integrante" and "Quitar"."""

    changed = Signal()

    def __init__(
        self, ctx: AppContext, person_id: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_id = person_id
        self.household_id: str | None = None
        self.add_dialog: AddMemberDialog | None = None
        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        if person_id is None:
            self.title_label.setText(_(
                "The household can be recorded after saving the person: open their record "
                "again and use this tab."
            ))
            self.table = None
            layout.addStretch(1)
            return

        self.table = _read_only_table(
            [_("Name"), field_label("relationship"), _("Age"), field_label("sex")]
        )
        self.table.setAccessibleName(_("Household members"))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.add_button = QPushButton(_("&Add member…"))
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_member_clicked)
        self.add_button.setAccessibleName(plain_text(self.add_button.text()))
        self.remove_button = QPushButton(_("&Remove from household"))
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.remove_selected)
        self.remove_button.setAccessibleName(plain_text(self.remove_button.text()))
        note = QLabel(_("Household changes are saved at once, without pressing Save."))
        note.setWordWrap(True)
        note.setStyleSheet("color: #555555;")

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(note)
        self.refresh()

    # --- reading ----------------------------------------------------------------------

    def member_ids(self) -> list[str]:
        """Person ids listed, in order."""
        if self.table is None:
            return []
        items = (self.table.item(row, 0) for row in range(self.table.rowCount()))
        return [str(item.data(Qt.ItemDataRole.UserRole + 1)) for item in items if item is not None]

    def refresh(self) -> None:
        if self.table is None or self.person_id is None:
            return
        self.household_id = household_of(self.ctx.session, self.person_id)
        self.table.setRowCount(0)
        if not self.household_id:
            self.title_label.setText(_(
                "This person has no household recorded. Adding a member creates it, with this "
                "person as head of household."
            ))
            self._update_buttons()
            return
        name = html.escape(household_name(self.ctx.session, self.household_id))
        self.title_label.setText(f"<b>{name}</b>")
        for member in members(self.ctx.session, self.household_id):
            name = member.full_name
            if member.person_id == self.person_id:
                name = _("{name} (this person)").format(name=name)
            row = self.table.rowCount()
            self.table.insertRow(row)
            first = _item(name, member.member_id)
            first.setData(Qt.ItemDataRole.UserRole + 1, member.person_id)
            self.table.setItem(row, 0, first)
            self.table.setItem(row, 1, _item(label(RELATIONSHIPS, member.relationship)))
            self.table.setItem(row, 2, _item(age_text(member.birth_date)))
            self.table.setItem(row, 3, _item(label(SEX, member.sex)))
        self._update_buttons()

    def _update_buttons(self) -> None:
        if self.table is not None:
            self.remove_button.setEnabled(bool(self.table.selectionModel().selectedRows()))

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
        if self.person_id is None or dialog.person_id is None:
            return
        try:
            household_id = ensure_household(self.ctx.session, self.person_id)
            add_member(
                self.ctx.session, household_id, dialog.person_id,
                dialog.relationship,
            )
        except ValidationError as exc:
            QMessageBox.warning(self, _("Household"), str(exc))
            return
        self.refresh()
        for row, person_id in enumerate(self.member_ids()):
            if person_id == dialog.person_id:
                self.table.selectRow(row)  # type: ignore[union-attr]
        self.changed.emit()

    def remove_selected(self) -> None:
        if self.table is None:
            return
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        item = self.table.item(rows[0].row(), 0)
        if item is None:
            return
        member_id = str(item.data(Qt.ItemDataRole.UserRole))
        answer = QMessageBox.question(
            self,
            _("Remove from household"),
            _("Remove {name} from the household?").format(name=item.text()),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        remove_member(self.ctx.session, member_id)
        self.refresh()
        self.changed.emit()
