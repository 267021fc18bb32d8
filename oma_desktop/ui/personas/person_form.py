"""The person record: register someone new or edit their record (issue #3, items 2, 3, 8, 9).

``PersonDialog(ctx, parent, person_id=None, initial_text="")`` is opened with ``exec()``
by the Atención and Personas pages. When it is accepted, ``result_person_id`` is the
saved person, or the existing person the clerk recognised in the duplicates check
(``chose_existing`` is then True and nothing new was written).

Keyboard first: Tab follows the visual order, every label has a mnemonic (Alt+letter)
for its field, Alt+1…Alt+6 switch tabs, Ctrl+S saves, Esc closes (asking before
discarding changes). Invalid input is marked beside its field with the service's Spanish
message, the form switches to the tab of the first error and keeps everything typed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStyle,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.core.names import name_groups, nice_case, split_full_name
from oma_desktop.core.text import fold, normalize_phone
from oma_desktop.core.vocab import (
    MIGRATORY_STATUS,
    REGULARIZATION_STAGE,
    RELATIONSHIPS,
    SEX,
    VULNERABILITIES,
    WG_DOMAINS,
    WG_LEVELS,
    field_label,
    label,
)
from oma_desktop.i18n import (
    _,
    countries,
    country_name,
    current_language,
    format_date,
    format_datetime,
    ngettext,
)
from oma_desktop.services.consultations import Change, history
from oma_desktop.services.context import AppContext
from oma_desktop.services.duplicates import Candidate, find_duplicates
from oma_desktop.services.persons import (
    MAX_AGE,
    DocumentInput,
    PersonInput,
    age_on,
    load_person,
    register_person,
    update_person,
    validate_person,
)
from oma_desktop.services.search import parse_query
from oma_desktop.ui.personas.duplicates_dialog import (
    OTHER,
    SAME,
    DuplicatesDialog,
    document_text,
)
from oma_desktop.ui.personas.household_panel import HouseholdPanel
from oma_desktop.ui.widgets.forms import (
    INVALID_STYLE,
    CodeCombo,
    DateField,
    FieldErrors,
    SearchableCombo,
)

DEFAULT_NATIONALITY = "VE"
DEFAULT_DISTRICT = "150101"  # Cercado de Lima
STATELESS = "XX"
NO_DOCUMENT = "NINGUNO"
DIALOG_SIZE = (1040, 680)
# documents usually issued by Peru / by Venezuela (the issuing country is filled in for them)
PERUVIAN_DOCUMENTS = frozenset({"DNI", "CE", "PTP", "CPP", "CSR"})
VENEZUELAN_DOCUMENTS = frozenset({"CEDULA_VE"})
DOCUMENT_FIELDS = ("doc_type", "number", "issuing_country", "issue_date", "expiry_date")

TAB_PERSONAL, TAB_DOCUMENTS, TAB_RESIDENCE, TAB_DISABILITY, TAB_HOUSEHOLD, TAB_HISTORY = range(6)

# change-log fields that mean nothing to a clerk reading the history
HIDDEN_HISTORY_FIELDS = frozenset(
    {"created_at", "casa_id", "consent_date", "consent_recorded_by", "person_id"}
)
# history rows follow the order of the form
_FIELD_ORDER = {name: i for i, name in enumerate((
    "given_names", "paternal_surname", "maternal_surname", "sex", "gender_identity", "birth_date",
    "birth_date_estimated", "nationality", "phone", "whatsapp", "consent_register", "consent_refer",
    "consent_contact", "notes", "doc_type", "number", "issuing_country", "issue_date", "expiry_date",
    "district_ubigeo", "zone", "address_ref", "arrival_date", "migratory_status",
    "regularization_stage", *(code for code, _text in WG_DOMAINS),
    *(code for code, _text in VULNERABILITIES), "household_id", "deleted",
))}
_DATE_FIELDS = frozenset({"birth_date", "arrival_date", "issue_date", "expiry_date", "consent_date"})
_FLAG_FIELDS = frozenset(
    {"consent_register", "consent_refer", "consent_contact", "birth_date_estimated", "deleted"}
    | {code for code, _text in VULNERABILITIES}
)
_MOBILE = re.compile(r"9\d{8}")


@dataclass(frozen=True)
class HistoryEntry:
    change: Change
    title: str  # "Datos modificados", "Documento agregado"...
    subject: str  # the document it is about, or ""


def bad_date_message() -> str:
    return _("Write a valid date (day/month/year).")


# --- initial text from the search box -------------------------------------------------------


@dataclass(frozen=True)
class Prefill:
    """What the search text says about the person to register."""

    given_names: str = ""
    paternal_surname: str = ""
    maternal_surname: str = ""
    document_number: str = ""
    phone: str = ""


def split_initial_text(text: str) -> Prefill:
    """Read the text typed in a search box as a name and/or a document number or phone.

    Names are read by :func:`oma_desktop.core.names.split_full_name` (``Pérez Quispe,
    José Luis``; ``José Luis Pérez Quispe``; capitals or a frequent given name mark which
    end holds the surnames), the same rules as the spreadsheet import. A single word is taken as the
    paternal surname (what clerks usually search for). A chunk with digits is a document
    number, or a phone when it is a Peruvian mobile number (9 digits starting with 9).
    """
    text = text.strip()
    if not text:
        return Prefill()
    name_chunks = []
    for chunk in text.split():
        if any(ch.isdigit() for ch in chunk):
            name_chunks.append(" ")
        else:
            name_chunks.append(chunk)
    names = " ".join(name_chunks).strip(" ,;")
    document = phone = ""
    for number in parse_query(text).numbers:
        digits = normalize_phone(number) if number.isdigit() else ""
        if not phone and _MOBILE.fullmatch(digits):
            phone = digits
        elif not document:
            document = number
    names = names.replace(";", " ")
    if len(name_groups(names.replace(",", " "))) == 1:
        given, paternal, maternal = "", names.strip(" ,"), ""  # one word: what clerks search by
    else:
        given, paternal, maternal = split_full_name(names)
    return Prefill(
        given_names=nice_case(" ".join(given.split())),
        paternal_surname=nice_case(paternal),
        maternal_surname=nice_case(maternal, first_capital=False),
        document_number=document,
        phone=phone,
    )


# --- small helpers ---------------------------------------------------------------------------


def with_mnemonic(text: str, used: set[str]) -> str:
    """``text`` with ``&`` before a letter not in ``used`` (word starts first), marking it used."""
    if "&" in text:
        return text
    starts = [i for i, ch in enumerate(text) if ch.isalpha() and (i == 0 or not text[i - 1].isalnum())]
    others = [i for i, ch in enumerate(text) if ch.isalpha() and i not in starts]
    for i in starts + others:
        ch = text[i].lower()
        if ch.isascii() and ch not in used:
            used.add(ch)
            return f"{text[:i]}&{text[i:]}"
    return text


def mnemonic_letter(text: str) -> str:
    index = text.find("&")
    return text[index + 1].lower() if 0 <= index < len(text) - 1 else ""


def plain(text: str) -> str:
    """Label text without mnemonic marks or the required-field asterisk."""
    return text.replace("&", "").removesuffix(" *").strip()


def _translated(vocabulary: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(code, _(text)) for code, text in vocabulary]


def _hint_label(text: str) -> QLabel:
    hint = QLabel(text)
    hint.setWordWrap(True)
    hint.setStyleSheet("color: #555555;")
    return hint


class _FormGrid(QGridLayout):
    """Label | field rows, each followed by its (hidden until needed) error line."""

    def __init__(self) -> None:
        super().__init__()
        self.setColumnStretch(1, 1)
        self.setVerticalSpacing(6)
        self.setHorizontalSpacing(10)
        self._row = 0

    def add(self, caption: QLabel | None, field: QWidget | QLayout, error: QLabel | None = None) -> None:
        if caption is not None:
            self.addWidget(caption, self._row, 0)
        if isinstance(field, QLayout):
            self.addLayout(field, self._row, 1)
        else:
            self.addWidget(field, self._row, 1)
        self._row += 1
        if error is not None:
            self.addWidget(error, self._row, 1)
            self._row += 1

    def add_full(self, widget: QWidget) -> None:
        """A widget across both columns (an explanation above the fields)."""
        self.addWidget(widget, self._row, 0, 1, 2)
        self._row += 1


def _row_layout(*items: QWidget | int) -> QHBoxLayout:
    """A horizontal row; an int is a stretch factor."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(8)
    for item in items:
        if isinstance(item, int):
            row.addStretch(item)
        else:
            row.addWidget(item)
    return row


def _scrolling(content: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(content)
    return area


# --- documents ---------------------------------------------------------------------------------


class DocumentRow:
    """The widgets of one document in the documents grid (inputs, then their errors)."""

    def __init__(self, dialog: PersonDialog, doc: DocumentInput | None = None) -> None:
        catalogs = dialog.ctx.catalogs
        lang = current_language()
        self.dialog = dialog
        self.doc_id = doc.id if doc else None
        self.doc_type = CodeCombo(
            [(d.code, d.label(lang)) for d in catalogs.document_types], empty_label=_("Choose…")
        )
        self.doc_type.setMinimumContentsLength(26)
        self.doc_type.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.number = QLineEdit()
        self.number.setMaxLength(20)
        self.number.setMinimumWidth(dialog.fontMetrics().horizontalAdvance("0" * 14) + 16)
        self.issuing_country = SearchableCombo(dialog.country_items)
        self.issuing_country.setMinimumContentsLength(14)
        self.issuing_country.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.issue_date = DateField()
        self.expiry_date = DateField()
        for date in (self.issue_date, self.expiry_date):
            date.setFixedWidth(dialog.date_width)
        self.remove_button = QPushButton(_("Remove"))
        self.remove_button.setAutoDefault(False)
        self.errors = FieldErrors()
        self.error_labels = {key: self.errors.make_label(key, self.widget(key)) for key in DOCUMENT_FIELDS}
        if doc is not None:
            self.doc_type.set_value(doc.doc_type)
            self.number.setText(doc.number)
            self.issuing_country.set_value(doc.issuing_country or None)
            self.issue_date.set_value(doc.issue_date)
            self.expiry_date.set_value(doc.expiry_date)
        self.doc_type.currentIndexChanged.connect(lambda _i: self._type_changed())
        self._type_changed(fill_country=False)

    def widget(self, key: str) -> QWidget:
        return {
            "doc_type": self.doc_type,
            "number": self.number,
            "issuing_country": self.issuing_country,
            "issue_date": self.issue_date,
            "expiry_date": self.expiry_date,
        }[key]

    def inputs(self) -> list[QWidget]:
        return [*(self.widget(k) for k in DOCUMENT_FIELDS), self.remove_button]

    def all_widgets(self) -> list[QWidget]:
        return [*self.inputs(), *self.error_labels.values()]

    def set_position(self, index: int) -> None:
        n = index + 1
        for key in DOCUMENT_FIELDS:
            self.widget(key).setAccessibleName(
                _("{field}, document {n}").format(field=field_label(key), n=n)
            )
        self.remove_button.setAccessibleName(_("Remove document {n}").format(n=n))

    def _type_changed(self, fill_country: bool = True) -> None:
        code = self.doc_type.value()
        none = code == NO_DOCUMENT
        for widget in (self.number, self.issuing_country, self.issue_date, self.expiry_date):
            widget.setEnabled(not none)
        placeholder = ""
        try:
            pattern = self.dialog.ctx.catalogs.document_type(code).number_pattern
        except KeyError:
            pattern = ""
        match = re.fullmatch(r"\\d\{(\d+)\}", pattern)
        if match:
            placeholder = _("{n} digits").format(n=match.group(1))
        self.number.setPlaceholderText(placeholder)
        if fill_country and not none and not self.issuing_country.currentText().strip():
            country = ""
            if code in PERUVIAN_DOCUMENTS:
                country = "PE"
            elif code in VENEZUELAN_DOCUMENTS:
                country = "VE"
            elif code == "PASAPORTE":
                country = self.dialog.nationality.value()
            if country:
                self.issuing_country.set_value(country)

    def is_blank(self) -> bool:
        return not (
            self.doc_type.value()
            or self.number.text().strip()
            or self.issuing_country.currentText().strip()
            or self.issue_date.text().strip()
            or self.expiry_date.text().strip()
        )

    def state(self) -> tuple[Any, ...]:
        return (
            self.doc_id,
            self.doc_type.value(),
            self.number.text(),
            self.issuing_country.currentText(),
            self.issue_date.text(),
            self.expiry_date.text(),
        )


# --- the dialog ------------------------------------------------------------------------------


class PersonDialog(QDialog):
    """Register a new person (``person_id`` None) or edit one; see the module docstring."""

    person_saved = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        person_id: str | None = None,
        initial_text: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_id = person_id
        self.result_person_id: str | None = None
        self.chose_existing = False
        self.duplicates_dialog: DuplicatesDialog | None = None
        self.errors = FieldErrors()
        self.document_rows: list[DocumentRow] = []
        self._fields: dict[str, QWidget] = {}  # bound person fields, in visual order
        self._used_rows: list[DocumentRow] = []
        self._loaded: PersonInput | None = None
        self.country_items = [*countries(), (STATELESS, _("Stateless"))]
        self.date_width = self.fontMetrics().horizontalAdvance("00/00/00000") + 40

        self.save_text = _("&Save")
        self._reserved = {mnemonic_letter(self.save_text)}

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(_("Sections of the record"))
        self.tabs.addTab(self._build_personal(), _("Personal details"))
        self.tabs.addTab(self._build_documents(), _("Documents"))
        self.tabs.addTab(self._build_residence(), _("Residence and migratory situation"))
        self.tabs.addTab(self._build_disability(), _("Disability and vulnerability"))
        self.household = HouseholdPanel(ctx, person_id)
        self.tabs.addTab(self.household, field_label("household_id"))
        self.history_tree: QTreeWidget | None = None
        if person_id is not None:
            self.tabs.addTab(self._build_history(), _("History"))
            self.household.changed.connect(self.refresh_history)
        for index in range(self.tabs.count()):
            self.tabs.setTabToolTip(index, f"Alt+{index + 1}")
            shortcut = QShortcut(QKeySequence(f"Alt+{index + 1}"), self)
            shortcut.activated.connect(lambda i=index: self.show_tab(i))

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.summary_label.setVisible(False)
        self.summary_label.setAccessibleName(_("Error message"))
        required = _hint_label(_("* Required"))

        self.save_button = QPushButton(self.save_text)
        self.cancel_button = QPushButton(_("Cancel"))
        self.save_button.setDefault(True)
        self.save_button.setToolTip(_("Save (Ctrl+S)"))
        self.cancel_button.setToolTip(_("Close without saving (Esc)"))
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        for button in (self.save_button, self.cancel_button):
            button.setAccessibleName(plain(button.text()))
        self.save_shortcut = QShortcut(QKeySequence("Ctrl+S"), self)
        self.save_shortcut.activated.connect(self.save)

        bottom = QHBoxLayout()
        bottom.addWidget(required)
        bottom.addWidget(self.summary_label, 1)
        bottom.addStretch(0)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)

        if person_id is None:
            self.setWindowTitle(_("Register a person"))
            self.nationality.set_value(DEFAULT_NATIONALITY)
            self.district.set_value(DEFAULT_DISTRICT)
            self._prefill(split_initial_text(initial_text))
        else:
            self._loaded = load_person(ctx.session, person_id)
            self.set_values(self._loaded)
            self.setWindowTitle(_("Person record: {name}").format(name=self._full_name()))
        if not self.document_rows:
            self.add_document_row(focus=False)
        self.apply_tab_order()
        self.setSizeGripEnabled(True)
        self.setMinimumSize(820, 560)
        self.setStyleSheet(INVALID_STYLE)
        self.ensurePolished()
        layout.activate()
        self.resize(*DIALOG_SIZE)
        self.tabs.setCurrentIndex(TAB_PERSONAL)
        self.given_names.setFocus()
        self._initial_state = self.state()

    # --- building ---------------------------------------------------------------------

    def _caption(self, text: str, buddy: QWidget, used: set[str], required: bool = False) -> QLabel:
        """A label with a mnemonic for ``buddy``, whose accessible name becomes ``text``."""
        caption = QLabel(with_mnemonic(text, used) + (" *" if required else ""))
        caption.setBuddy(buddy)
        buddy.setAccessibleName(text)
        return caption

    def _field(
        self,
        grid: _FormGrid,
        used: set[str],
        key: str,
        widget: QWidget,
        field: QWidget | QLayout | None = None,
        text: str | None = None,
        required: bool = False,
    ) -> None:
        caption = self._caption(text or field_label(key), widget, used, required)
        error = self.errors.make_label(key, widget)
        self._fields[key] = widget
        grid.add(caption, field if field is not None else widget, error)

    def _checkbox(self, text: str, used: set[str]) -> QCheckBox:
        box = QCheckBox(with_mnemonic(text, used))
        box.setAccessibleName(text)
        return box

    def _build_personal(self) -> QWidget:
        used = set(self._reserved)
        self.given_names = QLineEdit()
        self.paternal_surname = QLineEdit()
        self.maternal_surname = QLineEdit()
        for edit in (self.given_names, self.paternal_surname, self.maternal_surname):
            edit.setMaxLength(80)
        self.sex = CodeCombo(_translated(SEX), empty_label=_("Choose…"))
        self.gender_identity = QLineEdit()
        self.gender_identity.setPlaceholderText(_("Only if the person states it"))
        self.birth_date = DateField()
        self.birth_date.setFixedWidth(self.date_width)
        self.age_label = QLabel()
        self.age_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("000 años") + 8)
        self.birth_unknown = QCheckBox()
        self.estimated_age = QSpinBox()
        self.estimated_age.setRange(0, MAX_AGE)
        self.estimated_age.setSuffix(" " + _("years"))
        self.estimated_age.setValue(30)
        self.estimated_age.setEnabled(False)
        self.nationality = SearchableCombo(self.country_items)

        identity = QGroupBox(_("Identity"))
        grid = _FormGrid()
        self._field(grid, used, "given_names", self.given_names, required=True)
        self._field(grid, used, "paternal_surname", self.paternal_surname, required=True)
        self._field(grid, used, "maternal_surname", self.maternal_surname)
        self._field(grid, used, "sex", self.sex, _row_layout(self.sex, 1), required=True)
        self._field(grid, used, "gender_identity", self.gender_identity)
        self._field(
            grid, used, "birth_date", self.birth_date,
            _row_layout(self.birth_date, self.age_label, 1),
        )
        self.birth_unknown.setText(with_mnemonic(_("Does not know the exact date"), used))
        self.birth_unknown.setAccessibleName(plain(self.birth_unknown.text()))
        age_caption = self._caption(_("Approximate age"), self.estimated_age, used)
        grid.add(None, _row_layout(self.birth_unknown, 1, age_caption, self.estimated_age))
        self._field(grid, used, "nationality", self.nationality, required=True)
        identity.setLayout(grid)

        self.phone = QLineEdit()
        self.phone.setPlaceholderText(_("Mobile: 9 digits"))
        self.whatsapp = QLineEdit()
        self.whatsapp_same = QCheckBox()
        for edit in (self.phone, self.whatsapp):
            edit.setMaxLength(20)
        contact = QGroupBox(_("Contact"))
        grid = _FormGrid()
        self._field(grid, used, "phone", self.phone)
        self._field(grid, used, "whatsapp", self.whatsapp)
        self.whatsapp_same.setText(with_mnemonic(_("Same number as the phone"), used))
        self.whatsapp_same.setAccessibleName(plain(self.whatsapp_same.text()))
        grid.add(None, self.whatsapp_same)
        contact.setLayout(grid)

        consent = QGroupBox(_("Consent"))
        box = QVBoxLayout(consent)
        self.consent_register = self._checkbox(
            _("The person agrees to have their data registered") + " *", used
        )
        self.consent_register.setAccessibleName(_("The person agrees to have their data registered"))
        box.addWidget(self.consent_register)
        box.addWidget(_hint_label(_("Required. Without it, record only an anonymous consultation.")))
        consent_error = self.errors.make_label("consent_register", self.consent_register)
        self._fields["consent_register"] = self.consent_register
        box.addWidget(consent_error)
        self.consent_refer = self._checkbox(_("Agrees to be referred to other institutions"), used)
        self.consent_contact = self._checkbox(_("Agrees to be contacted by phone or WhatsApp"), used)
        box.addWidget(self.consent_refer)
        box.addWidget(self.consent_contact)

        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setMinimumHeight(60)
        notes_caption = self._caption(field_label("notes"), self.notes, used)
        self._fields["notes"] = self.notes
        notes_error = self.errors.make_label("notes", self.notes)

        right = QVBoxLayout()
        right.addWidget(contact)
        right.addWidget(consent)
        right.addWidget(notes_caption)
        right.addWidget(self.notes, 1)
        right.addWidget(notes_error)

        page = QWidget()
        columns = QHBoxLayout(page)
        left = QVBoxLayout()
        left.addWidget(identity)
        left.addStretch(1)
        columns.addLayout(left, 11)
        columns.addLayout(right, 9)

        self.birth_date.textChanged.connect(lambda _t: self._update_age_label())
        self.birth_unknown.toggled.connect(self._birth_unknown_toggled)
        self.phone.textChanged.connect(self._sync_whatsapp)
        self.whatsapp_same.toggled.connect(self._whatsapp_same_toggled)
        return _scrolling(page)

    def _build_documents(self) -> QWidget:
        intro = _hint_label(_(
            "One row per document the person shows. Empty rows are not saved. "
            "If the person has no document, choose “No document”."
        ))
        self.documents_grid = QGridLayout()
        self.documents_grid.setHorizontalSpacing(8)
        self.documents_grid.setVerticalSpacing(2)
        headers = [field_label(k) for k in DOCUMENT_FIELDS]
        for column, text in enumerate(headers):
            header = QLabel(f"<b>{text}</b>")
            self.documents_grid.addWidget(header, 0, column)
        for column, stretch in enumerate((5, 2, 2, 0, 0, 0)):
            self.documents_grid.setColumnStretch(column, stretch)
        content = QWidget()
        box = QVBoxLayout(content)
        box.addLayout(self.documents_grid)
        box.addStretch(1)
        self.documents_area = _scrolling(content)
        self.documents_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.add_document_button = QPushButton(_("&Add document"))
        self.add_document_button.setAutoDefault(False)
        self.add_document_button.setAccessibleName(plain(self.add_document_button.text()))
        self.add_document_button.clicked.connect(lambda: self.add_document_row(focus=True))

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(self.documents_area, 1)
        layout.addLayout(_row_layout(self.add_document_button, 1))
        return page

    def _build_residence(self) -> QWidget:
        used = set(self._reserved)
        districts = sorted(
            self.ctx.catalogs.districts,
            key=lambda d: fold(d.label(current_language())),
        )
        items = [
            (d.ubigeo, d.label() if d.province != "Callao" or d.name == "Callao" else f"{d.name} (Callao)")
            for d in districts
        ]
        self.district = SearchableCombo(items)
        self.zone = QLineEdit()
        self.zone.setPlaceholderText(_("E.g. human settlement, urbanisation or sector"))
        self.address_ref = QLineEdit()
        self.address_ref.setPlaceholderText(_("E.g. behind the market, blue door"))
        self.arrival_date = DateField()
        self.arrival_date.setFixedWidth(self.date_width)
        self.migratory_status = CodeCombo(_translated(MIGRATORY_STATUS), empty_label=_("Not recorded"))
        self.regularization_stage = CodeCombo(
            _translated(REGULARIZATION_STAGE), empty_label=_("Not recorded")
        )

        residence = QGroupBox(_("Residence"))
        grid = _FormGrid()
        self._field(grid, used, "district_ubigeo", self.district, _row_layout(self.district, 1))
        self._field(grid, used, "zone", self.zone)
        self._field(grid, used, "address_ref", self.address_ref)
        residence.setLayout(grid)

        migration = QGroupBox(field_label("migratory_status"))
        grid = _FormGrid()
        self._field(grid, used, "arrival_date", self.arrival_date, _row_layout(self.arrival_date, 1))
        self._field(
            grid, used, "migratory_status", self.migratory_status,
            _row_layout(self.migratory_status, 1),
        )
        self._field(
            grid, used, "regularization_stage", self.regularization_stage,
            _row_layout(self.regularization_stage, 1),
        )
        migration.setLayout(grid)
        for combo in (self.district, self.migratory_status, self.regularization_stage):
            combo.setMinimumWidth(300)

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(residence)
        layout.addWidget(migration)
        layout.addStretch(1)
        wrapper = QWidget()
        outer = QHBoxLayout(wrapper)
        page.setMaximumWidth(760)
        outer.addWidget(page, 1)
        outer.addStretch(0)
        return _scrolling(wrapper)

    def _build_disability(self) -> QWidget:
        used = set(self._reserved)
        wg_box = QGroupBox(_("Washington Group questions (disability)"))
        grid = _FormGrid()
        grid.add_full(_hint_label(_(
            "Ask: “Do you have difficulty…?” and choose the answer. Leave “Not asked” "
            "when the question was not asked."
        )))
        self.wg: dict[str, CodeCombo] = {}
        for code, text in WG_DOMAINS:
            combo = CodeCombo(_translated(WG_LEVELS), empty_label=_("Not asked"))
            combo.setMinimumWidth(220)
            self.wg[code] = combo
            self._field(grid, used, code, combo, _row_layout(combo, 1), text=_(text))
        wg_box.setLayout(grid)

        vuln_box = QGroupBox(_("Vulnerability situations"))
        vuln_grid = QGridLayout(vuln_box)
        self.vulnerabilities: dict[str, QCheckBox] = {}
        half = (len(VULNERABILITIES) + 1) // 2
        for i, (code, text) in enumerate(VULNERABILITIES):
            box = self._checkbox(_(text), used)
            self.vulnerabilities[code] = box
            vuln_grid.addWidget(box, i % half, i // half)
        first = next(iter(self.vulnerabilities.values()))
        self._fields["vulnerabilities"] = first
        vuln_grid.addWidget(self.errors.make_label("vulnerabilities", first), half, 0, 1, 2)
        vuln_grid.setColumnStretch(2, 1)

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(wg_box)
        layout.addWidget(vuln_box)
        layout.addStretch(1)
        return _scrolling(page)

    def _build_history(self) -> QWidget:
        tree = QTreeWidget()
        tree.setColumnCount(4)
        tree.setHeaderLabels([_("Date and time"), _("User"), _("What changed"), _("New value")])
        tree.setAccessibleName(_("History of changes"))
        tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        tree.setAlternatingRowColors(True)
        tree.setUniformRowHeights(True)
        header = tree.header()
        metrics = tree.fontMetrics()
        header.resizeSection(0, metrics.horizontalAdvance("00/00/0000 00:00") + 48)
        header.resizeSection(1, 150)
        header.resizeSection(2, 400)
        header.setStretchLastSection(True)
        self.history_tree = tree
        self.refresh_history()
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(_hint_label(_("Who changed what and when, newest first.")))
        layout.addWidget(tree, 1)
        return page

    # --- documents ----------------------------------------------------------------------

    def add_document_row(self, doc: DocumentInput | None = None, focus: bool = True) -> DocumentRow:
        row = DocumentRow(self, doc)
        row.remove_button.clicked.connect(lambda: self.remove_document_row(row))
        self.document_rows.append(row)
        self._layout_documents()
        for widget in row.inputs():
            widget.show()  # now, not when the layout gets round to it: it may take the focus
        if focus:
            self.tabs.setCurrentIndex(TAB_DOCUMENTS)
            row.doc_type.setFocus()
            self.documents_area.ensureWidgetVisible(row.doc_type)
        return row

    def remove_document_row(self, row: DocumentRow) -> None:
        index = self.document_rows.index(row)
        self.document_rows.remove(row)
        for widget in row.all_widgets():
            self.documents_grid.removeWidget(widget)
            widget.hide()
            widget.deleteLater()
        self._layout_documents()
        if self.document_rows:
            self.document_rows[min(index, len(self.document_rows) - 1)].doc_type.setFocus()
        else:
            self.add_document_button.setFocus()

    def _layout_documents(self) -> None:
        grid = self.documents_grid
        for row in self.document_rows:
            for widget in row.all_widgets():
                grid.removeWidget(widget)
        spans = {"doc_type": (0, 1), "number": (1, 2), "issuing_country": (2, 1),
                 "issue_date": (3, 1), "expiry_date": (4, 2)}
        for index, row in enumerate(self.document_rows):
            line = 1 + 2 * index
            for column, widget in enumerate(row.inputs()):
                grid.addWidget(widget, line, column)
            for key, label_widget in row.error_labels.items():
                column, span = spans[key]
                grid.addWidget(label_widget, line + 1, column, 1, span)
            row.set_position(index)
        self.apply_tab_order()

    # --- values -----------------------------------------------------------------------

    def _full_name(self) -> str:
        parts = (self.given_names.text(), self.paternal_surname.text(), self.maternal_surname.text())
        return " ".join(p.strip() for p in parts if p.strip())

    def _prefill(self, prefill: Prefill) -> None:
        self.given_names.setText(prefill.given_names)
        self.paternal_surname.setText(prefill.paternal_surname)
        self.maternal_surname.setText(prefill.maternal_surname)
        self.phone.setText(prefill.phone)
        if prefill.document_number:
            self.add_document_row(DocumentInput(number=prefill.document_number), focus=False)

    def set_values(self, data: PersonInput) -> None:
        """Show ``data`` in the form (edit mode)."""
        for name in ("given_names", "paternal_surname", "maternal_surname", "gender_identity",
                     "phone", "zone", "address_ref"):
            getattr(self, name).setText(getattr(data, name))
        same = bool(data.whatsapp) and normalize_phone(data.whatsapp) == normalize_phone(data.phone)
        self.whatsapp.setText(data.whatsapp)
        self.whatsapp_same.setChecked(same)
        self.sex.set_value(data.sex)
        if data.birth_date is None and data.estimated_age is not None:
            self.estimated_age.setValue(data.estimated_age)
            self.birth_unknown.setChecked(True)
        else:
            self.birth_date.set_value(data.birth_date)
        self.nationality.set_value(data.nationality or None)
        self.consent_register.setChecked(data.consent_register)
        self.consent_refer.setChecked(data.consent_refer)
        self.consent_contact.setChecked(data.consent_contact)
        self.notes.setPlainText(data.notes)
        self.district.set_value(data.district_ubigeo or None)
        self.arrival_date.set_value(data.arrival_date)
        self.migratory_status.set_value(data.migratory_status)
        self.regularization_stage.set_value(data.regularization_stage)
        for code, combo in self.wg.items():
            level = data.wg.get(code)
            combo.set_value("" if level is None else str(level))
        for code, box in self.vulnerabilities.items():
            box.setChecked(code in data.vulnerabilities)
        for doc in data.documents:
            self.add_document_row(doc, focus=False)

    def gather(self) -> tuple[PersonInput, dict[str, str]]:
        """The typed person, and the problems found before the service validates it
        (text that is not a date, a country or district not in the list)."""
        errors: dict[str, str] = {}

        def date_of(widget: DateField, key: str) -> dt.date | None:
            try:
                return widget.value()
            except ValueError:
                errors[key] = bad_date_message()
                return None

        data = PersonInput(
            given_names=self.given_names.text(),
            paternal_surname=self.paternal_surname.text(),
            maternal_surname=self.maternal_surname.text(),
            sex=self.sex.value(),
            gender_identity=self.gender_identity.text(),
            nationality=self.nationality.value(),
            phone=self.phone.text(),
            whatsapp=self.phone.text() if self.whatsapp_same.isChecked() else self.whatsapp.text(),
            district_ubigeo=self.district.value(),
            zone=self.zone.text(),
            address_ref=self.address_ref.text(),
            migratory_status=self.migratory_status.value(),
            regularization_stage=self.regularization_stage.value(),
            consent_register=self.consent_register.isChecked(),
            consent_refer=self.consent_refer.isChecked(),
            consent_contact=self.consent_contact.isChecked(),
            notes=self.notes.toPlainText(),
        )
        if self.birth_unknown.isChecked():
            data.estimated_age = self.estimated_age.value()
        else:
            data.birth_date = date_of(self.birth_date, "birth_date")
        data.arrival_date = date_of(self.arrival_date, "arrival_date")
        if self.district.currentText().strip() and not data.district_ubigeo:
            errors["district_ubigeo"] = _("Choose a district from the list.")
        data.wg = {code: int(combo.value()) for code, combo in self.wg.items() if combo.value()}
        data.vulnerabilities = {code for code, box in self.vulnerabilities.items() if box.isChecked()}
        self._used_rows = []
        for row in self.document_rows:
            if row.is_blank():
                continue
            key = f"documents.{len(data.documents)}"
            doc_type = row.doc_type.value()
            none = doc_type == NO_DOCUMENT
            doc = DocumentInput(doc_type=doc_type, id=row.doc_id)
            if not none:
                doc.number = row.number.text()
                doc.issuing_country = row.issuing_country.value()
                if row.issuing_country.currentText().strip() and not doc.issuing_country:
                    errors[f"{key}.issuing_country"] = _("Choose a country from the list.")
                doc.issue_date = date_of(row.issue_date, f"{key}.issue_date")
                doc.expiry_date = date_of(row.expiry_date, f"{key}.expiry_date")
            data.documents.append(doc)
            self._used_rows.append(row)
        return data, errors

    def state(self) -> tuple[Any, ...]:
        """Everything typed, to tell whether the form was modified."""
        texts = (
            self.given_names, self.paternal_surname, self.maternal_surname, self.gender_identity,
            self.birth_date, self.phone, self.whatsapp, self.zone, self.address_ref,
            self.arrival_date,
        )
        combos = (
            self.sex, self.nationality, self.district, self.migratory_status,
            self.regularization_stage, *self.wg.values(),
        )
        checks = (
            self.birth_unknown, self.whatsapp_same, self.consent_register, self.consent_refer,
            self.consent_contact, *self.vulnerabilities.values(),
        )
        return (
            tuple(w.text() for w in texts),
            tuple(w.currentText() for w in combos),
            tuple(w.isChecked() for w in checks),
            self.estimated_age.value() if self.birth_unknown.isChecked() else None,
            self.notes.toPlainText(),
            tuple(row.state() for row in self.document_rows if row.doc_id or not row.is_blank()),
        )

    def is_modified(self) -> bool:
        return self.state() != self._initial_state

    # --- reactions ----------------------------------------------------------------------

    def _update_age_label(self) -> None:
        try:
            birth = self.birth_date.value()
        except ValueError:
            birth = None
        age = age_on(birth, dt.date.today()) if birth else None
        self.age_label.setText(
            "" if age is None or age < 0 else ngettext("{n} year", "{n} years", age).format(n=age)
        )

    def _birth_unknown_toggled(self, checked: bool) -> None:
        self.birth_date.setEnabled(not checked)
        self.estimated_age.setEnabled(checked)
        self.age_label.setVisible(not checked)
        if checked:
            try:
                birth = self.birth_date.value()
            except ValueError:
                birth = None
            age = age_on(birth, dt.date.today()) if birth else None
            if age is not None and 0 <= age <= MAX_AGE:
                self.estimated_age.setValue(age)

    def _sync_whatsapp(self, text: str) -> None:
        if self.whatsapp_same.isChecked():
            self.whatsapp.setText(text)

    def _whatsapp_same_toggled(self, checked: bool) -> None:
        self.whatsapp.setEnabled(not checked)
        if checked:
            self.whatsapp.setText(self.phone.text())

    def show_tab(self, index: int) -> None:
        """Switch to tab ``index`` and focus its first input."""
        if not 0 <= index < self.tabs.count():
            return
        self.tabs.setCurrentIndex(index)
        for widget in self.focus_chain():
            if self.tab_of(widget) == index and widget.isEnabled():
                widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return

    def focus_chain(self) -> list[QWidget]:
        """Every input in visual order (the Tab order)."""
        chain: list[QWidget] = [
            self.given_names, self.paternal_surname, self.maternal_surname, self.sex,
            self.gender_identity, self.birth_date, self.birth_unknown, self.estimated_age,
            self.nationality, self.phone, self.whatsapp, self.whatsapp_same,
            self.consent_register, self.consent_refer, self.consent_contact, self.notes,
        ]
        for row in self.document_rows:
            chain += row.inputs()
        chain.append(self.add_document_button)
        chain += [self.district, self.zone, self.address_ref, self.arrival_date,
                  self.migratory_status, self.regularization_stage]
        chain += list(self.wg.values())
        chain += list(self.vulnerabilities.values())
        if self.household.table is not None:
            chain += [self.household.table, self.household.add_button, self.household.remove_button]
        if self.history_tree is not None:
            chain.append(self.history_tree)
        return chain

    def apply_tab_order(self) -> None:
        chain = [self.tabs.tabBar(), *self.focus_chain(), self.save_button, self.cancel_button]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    # --- saving -------------------------------------------------------------------------

    def save(self) -> None:
        """Validate; on errors mark them and stay. New persons go through the duplicates check."""
        if self.duplicates_dialog is not None:
            return
        data, errors = self.gather()
        used_rows = list(self._used_rows)
        service_errors = validate_person(data, self.ctx.catalogs)
        errors = {**service_errors, **errors}
        if errors:
            self.show_errors(errors, used_rows)
            return
        self.clear_errors()
        if self.person_id is None:
            candidates = find_duplicates(self.ctx.session, data)
            if candidates:
                self._ask_about_duplicates(data, candidates, used_rows)
                return
            self._register(data, used_rows)
        else:
            self._update(data, used_rows)

    def _ask_about_duplicates(
        self, data: PersonInput, candidates: Sequence[Candidate], used_rows: list[DocumentRow]
    ) -> None:
        dialog = DuplicatesDialog(self.ctx, candidates, data, self)
        self.duplicates_dialog = dialog
        dialog.finished.connect(lambda _code: self._duplicates_answered(dialog, data, used_rows))
        dialog.open()

    def _duplicates_answered(
        self, dialog: DuplicatesDialog, data: PersonInput, used_rows: list[DocumentRow]
    ) -> None:
        self.duplicates_dialog = None
        dialog.deleteLater()
        if dialog.choice == SAME and dialog.chosen_person_id:
            self.result_person_id = dialog.chosen_person_id
            self.chose_existing = True
            self.accept()
        elif dialog.choice == OTHER:
            self._register(data, used_rows)
        else:
            self.given_names.setFocus()

    def _register(self, data: PersonInput, used_rows: list[DocumentRow]) -> None:
        try:
            person_id = register_person(self.ctx.session, data)
        except ValidationError as exc:
            self.show_errors(exc.fields, used_rows)
            return
        except OmaError as exc:
            QMessageBox.warning(self, _("The person could not be saved"), str(exc))
            return
        self._saved(person_id)

    def _update(self, data: PersonInput, used_rows: list[DocumentRow]) -> None:
        assert self.person_id is not None
        try:
            update_person(self.ctx.session, self.person_id, data)
        except ValidationError as exc:
            self.show_errors(exc.fields, used_rows)
            return
        except OmaError as exc:
            QMessageBox.warning(self, _("The person could not be saved"), str(exc))
            return
        self._saved(self.person_id)

    def _saved(self, person_id: str) -> None:
        self.result_person_id = person_id
        self.chose_existing = False
        self._initial_state = self.state()
        self.person_saved.emit(person_id)
        self.accept()

    def reject(self) -> None:
        """Esc, Cancelar or the window's close button: ask before discarding changes."""
        if self.is_modified() and not self.confirm_discard():
            return
        super().reject()

    def confirm_discard(self) -> bool:
        answer = QMessageBox.question(
            self,
            _("Unsaved changes"),
            _("Discard the changes?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    # --- errors -------------------------------------------------------------------------

    def clear_errors(self) -> None:
        self.errors.clear()
        for row in self.document_rows:
            row.errors.clear()
        for index in range(self.tabs.count()):
            self.tabs.setTabIcon(index, QIcon())
        self.summary_label.setVisible(False)
        self.summary_label.clear()

    def show_errors(self, errors: dict[str, str], used_rows: Sequence[DocumentRow] | None = None) -> None:
        """Mark every error beside its field, show the first one's tab and focus it."""
        used_rows = list(self._used_rows if used_rows is None else used_rows)
        self.clear_errors()
        person_errors = {k: v for k, v in errors.items() if not k.startswith("documents.")}
        unbound = [person_errors[k] for k in self.errors.show(person_errors)]
        invalid: list[QWidget] = [w for k, w in self._fields.items() if k in person_errors]
        claimed: set[str] = set(person_errors)
        for index, row in enumerate(used_rows):
            prefix = f"documents.{index}."
            mine = {k[len(prefix):]: v for k, v in errors.items() if k.startswith(prefix)}
            claimed |= {prefix + k for k in mine}
            unbound += [mine[k] for k in row.errors.show(mine)]
            invalid += [row.widget(k) for k in DOCUMENT_FIELDS if k in mine]
        unbound += [v for k, v in errors.items() if k not in claimed]
        tabs_with_errors = sorted({self.tab_of(w) for w in invalid} - {-1})
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for index in tabs_with_errors:
            self.tabs.setTabIcon(index, warning)
        names = ", ".join(self.tabs.tabText(i) for i in tabs_with_errors)
        text = _("Check the marked fields in: {tabs}.").format(tabs=names) if names else ""
        self.summary_label.setText(" ".join([text, *unbound]).strip())
        self.summary_label.setVisible(bool(self.summary_label.text()))
        invalid.sort(key=self.tab_of)  # stable: keeps the visual order inside a tab
        if invalid:
            self.focus_field(invalid[0])

    def tab_of(self, widget: QWidget) -> int:
        for index in range(self.tabs.count()):
            page = self.tabs.widget(index)
            if page is not None and (page is widget or page.isAncestorOf(widget)):
                return index
        return -1

    def focus_field(self, widget: QWidget) -> None:
        index = self.tab_of(widget)
        if index >= 0:
            self.tabs.setCurrentIndex(index)
            page = self.tabs.widget(index)
            areas: list[QScrollArea] = []
            if isinstance(page, QScrollArea):
                areas = [page]
            elif page is not None:
                areas = page.findChildren(QScrollArea)
            for area in areas:
                if area.isAncestorOf(widget):
                    area.ensureWidgetVisible(widget)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- history ------------------------------------------------------------------------

    def describe_value(self, name: str, value: Any) -> str:
        """A logged value as a clerk reads it: labels instead of codes, dates as dd/mm/aaaa."""
        if value is None or value == "":
            return _("(empty)")
        if name in _FLAG_FIELDS:
            return _("Yes") if value else _("No")
        if name in _DATE_FIELDS:
            try:
                return format_date(str(value))
            except ValueError:
                return str(value)
        if name in ("nationality", "issuing_country", "anon_nationality"):
            return country_name(str(value))
        if name == "district_ubigeo":
            try:
                return self.ctx.catalogs.district(str(value)).label()
            except KeyError:
                return str(value)
        if name == "household_id":
            row = self.ctx.session.store.get("household", str(value))
            return str(row["name"]) if row else str(value)
        if name == "doc_type":
            return document_text(self.ctx.catalogs, str(value), None)
        vocabularies = {"sex": SEX, "migratory_status": MIGRATORY_STATUS,
                        "regularization_stage": REGULARIZATION_STAGE, "relationship": RELATIONSHIPS}
        if name in vocabularies:
            return label(vocabularies[name], str(value))
        if name.startswith("wg_"):
            return label(WG_LEVELS, str(value))
        return str(value)

    def history_entries(self) -> list[HistoryEntry]:
        """The logged writes to the person and their documents, newest first."""
        if self.person_id is None:
            return []
        titles = {"create": _("Registered"), "update": _("Details changed"), "tombstone": _("Deleted")}
        entries = [
            HistoryEntry(c, titles.get(c.kind, c.kind), "")
            for c in history(self.ctx.session, self.person_id)
        ]
        doc_titles = {"create": _("Document added"), "update": _("Document changed"),
                      "tombstone": _("Document removed")}
        for doc in self.ctx.session.store.rows(
            "SELECT id, doc_type, number FROM document WHERE person_id = ?", [self.person_id]
        ):
            name = document_text(self.ctx.catalogs, doc["doc_type"], doc["number"])
            entries += [
                HistoryEntry(c, doc_titles.get(c.kind, c.kind), name)
                for c in history(self.ctx.session, doc["id"])
            ]
        # newest first; the registration goes below the documents written with it
        entries.sort(
            key=lambda e: (e.change.when, not (e.change.kind == "create" and not e.subject)),
            reverse=True,
        )
        return entries

    @staticmethod
    def history_fields(change: Change) -> list[tuple[str, Any]]:
        """The fields of a change worth showing, in the order of the form."""
        fields = [
            (name, value) for name, value in change.fields.items()
            if name not in HIDDEN_HISTORY_FIELDS
            and not (change.kind == "create" and value in (None, "", 0))
            and not (change.kind == "tombstone" and name == "deleted")
        ]
        return sorted(fields, key=lambda f: _FIELD_ORDER.get(f[0], len(_FIELD_ORDER)))

    def refresh_history(self) -> None:
        tree = self.history_tree
        if tree is None:
            return
        tree.clear()
        for entry in self.history_entries():
            change = entry.change
            fields = self.history_fields(change)
            if change.kind == "update" and not fields:
                continue  # only bookkeeping fields changed
            summary = entry.subject
            if change.kind == "create" and not entry.subject:
                summary = ngettext("{n} field", "{n} fields", len(fields)).format(n=len(fields))
            top = QTreeWidgetItem([format_datetime(change.when), change.user, entry.title, summary])
            top.setToolTip(3, summary)
            for name, value in fields:
                text = self.describe_value(name, value)
                child = QTreeWidgetItem(top, ["", "", field_label(name), text])
                child.setToolTip(3, text)
            tree.addTopLevelItem(top)
            top.setExpanded(True)
