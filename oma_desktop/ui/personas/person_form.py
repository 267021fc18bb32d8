"""The person record: register someone new or edit their record (issue #3, items 2, 3, 8, 9).

``PersonDialog(ctx, parent, person_id=None, initial_text="")`` is opened with ``open()``
or ``exec()`` by the Atención and Personas pages. When it is accepted,
``result_person_id`` is the saved person, or the existing person the clerk recognised in
the duplicates check (``chose_existing`` is then True and nothing new was written).

The person field table (``core.fields.PERSON_FIELDS``) drives the form: which widget
each field gets, its caption and required mark, the tab and box it sits in, the Tab
order, loading, reading, the dirty check and where each error is shown; the history tab
reads ``services.history``. This module lays the boxes out and adds what ties fields
together (the approximate age instead of the birth date, WhatsApp same as the phone, the
issuing country a document type implies).

Keyboard first: Tab follows the visual order, every label has a mnemonic (Alt+letter)
for its field, Alt+1…Alt+6 switch tabs, Ctrl+S saves; Enter never saves (in a one-line
field it moves to the next field; on a button it presses it); Esc closes, and with unsaved
changes warns first and closes on the second Esc (``ui.widgets.discard``, the same as the
consultation form). Household members typed in the Hogar tab are saved with the person by
the same Save, so Cancel saves nothing (the one exception, a member's own record, is
confirmed and named). Invalid input is marked beside its field with the service's Spanish
message, the form switches to the tab of the first error and keeps everything typed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
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
    QStyle,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.core.fields import (
    DOCUMENT_FIELDS,
    GROUPS,
    MAX_AGE,
    NO_DOCUMENT,
    PERSON_FIELDS,
    PERSON_TABS,
    field_label,
    on_tab,
    read,
    write,
)
from oma_desktop.core.names import name_groups, nice_case, split_full_name
from oma_desktop.core.text import normalize_phone
from oma_desktop.i18n import _, format_datetime, ngettext
from oma_desktop.logs import log_exception
from oma_desktop.services.consent import METHODS as CONSENT_METHODS
from oma_desktop.services.context import AppContext
from oma_desktop.services.duplicates import Candidate, find_duplicates
from oma_desktop.services.history import person_history
from oma_desktop.services.permissions import reserved_text
from oma_desktop.services.persons import (
    DocumentInput,
    PersonInput,
    age_on,
    load_person,
    register_person,
    update_person,
    validate_person,
)
from oma_desktop.services.search import parse_query
from oma_desktop.ui.personas.duplicates_dialog import OTHER, SAME, DuplicatesDialog
from oma_desktop.ui.personas.household_panel import HouseholdPanel
from oma_desktop.ui.personas.same_person_dialog import SamePersonDialog
from oma_desktop.ui.widgets.discard import DiscardGuard
from oma_desktop.ui.widgets.field_widgets import FieldForm, mnemonic_letter, plain, with_mnemonic
from oma_desktop.ui.widgets.forms import INVALID_STYLE, CodeCombo, DateField, SearchableCombo

log = logging.getLogger(__name__)
DIALOG_SIZE = (1040, 680)
TAB_PERSONAL, TAB_DOCUMENTS, TAB_RESIDENCE, TAB_DISABILITY, TAB_HOUSEHOLD, TAB_HISTORY = range(6)
# documents usually issued by Peru / by Venezuela (the issuing country is filled in for them)
PERUVIAN_DOCUMENTS = frozenset({"DNI", "CE", "PTP", "CPP", "CSR"})
VENEZUELAN_DOCUMENTS = frozenset({"CEDULA_VE"})
DOCUMENT_INPUTS = [s.name for s in on_tab(DOCUMENT_FIELDS, "documents")]
# typed together: a birth date, or "does not know it" and an approximate age
BIRTH = ("birth_date", "birth_date_estimated", "estimated_age")
# fields whose widget attribute has another name (the form's historic API)
ATTRIBUTES = {"district_ubigeo": "district", "birth_date_estimated": "birth_unknown"}
_MOBILE = re.compile(r"9\d{8}")


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
    end holds the surnames), the same rules as the spreadsheet import. A single word is
    taken as the paternal surname (what clerks usually search for). A chunk with digits is
    a document number, or a phone when it is a Peruvian mobile number (9 digits from 9).
    """
    text = text.strip()
    if not text:
        return Prefill()
    chunks = [" " if any(ch.isdigit() for ch in chunk) else chunk for chunk in text.split()]
    names = " ".join(chunks).strip(" ,;")
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


# --- layout helpers --------------------------------------------------------------------------


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

    def add(self, caption: QWidget | None, field: QWidget | QLayout, error: QLabel | None = None) -> None:
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

    def add_full(self, widget: QWidget | QLayout) -> None:
        """Across both columns (a check box, an explanation)."""
        if isinstance(widget, QLayout):
            self.addLayout(widget, self._row, 0, 1, 2)
        else:
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
        self.dialog = dialog
        self.doc_id = doc.id if doc else None
        self.form = FieldForm(DOCUMENT_FIELDS, dialog.ctx.catalogs)
        self.form.build(DOCUMENT_INPUTS)
        self.errors = self.form.errors
        self.error_labels = self.form.error_labels
        self.doc_type = cast(CodeCombo, self.form["doc_type"])
        self.number = cast(QLineEdit, self.form["number"])
        self.issuing_country = cast(SearchableCombo, self.form["issuing_country"])
        self.issue_date = cast(DateField, self.form["issue_date"])
        self.expiry_date = cast(DateField, self.form["expiry_date"])
        self.doc_type.setMinimumContentsLength(37)  # "Carné de Permiso Temporal de Permanencia (CPP)"
        self.issuing_country.setMinimumContentsLength(14)
        for combo in (self.doc_type, self.issuing_country):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.number.setMinimumWidth(dialog.fontMetrics().horizontalAdvance("0" * 14) + 16)
        for date in (self.issue_date, self.expiry_date):
            date.setFixedWidth(dialog.date_width)
        self.remove_button = QPushButton(_("Remove"))
        self.remove_button.setAutoDefault(False)
        if doc is not None:
            self.form.load({name: read(doc, self.form.specs[name]) for name in DOCUMENT_INPUTS})
        self.doc_type.currentIndexChanged.connect(lambda _i: self._type_changed())
        self._type_changed(fill_country=False)

    def inputs(self) -> list[QWidget]:
        return [*self.form.chain(), self.remove_button]

    def all_widgets(self) -> list[QWidget]:
        return [*self.inputs(), *self.error_labels.values()]

    def set_position(self, index: int) -> None:
        n = index + 1
        for name in DOCUMENT_INPUTS:
            self.form[name].setAccessibleName(
                _("{field}, document {n}").format(field=field_label(name, "document"), n=n)
            )
        self.remove_button.setAccessibleName(_("Remove document {n}").format(n=n))

    def _type_changed(self, fill_country: bool = True) -> None:
        code = self.doc_type.value()
        none = code == NO_DOCUMENT
        for widget in (self.number, self.issuing_country, self.issue_date, self.expiry_date):
            widget.setEnabled(not none)
        try:
            pattern = self.dialog.ctx.catalogs.document_type(code).number_pattern
        except KeyError:
            pattern = ""
        digits = re.fullmatch(r"\\d\{(\d+)\}", pattern)
        self.number.setPlaceholderText(_("{n} digits").format(n=digits.group(1)) if digits else "")
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
        typed = [self.number, self.issue_date, self.expiry_date, self.issuing_country.lineEdit()]
        return not self.doc_type.value() and not any(w.text().strip() for w in typed if w)

    def state(self) -> tuple[Any, ...]:
        return (self.doc_id, *self.form.state().values())

    def value(self) -> tuple[DocumentInput, dict[str, str]]:
        """The typed document, and what could not be read (keyed by field name)."""
        doc = DocumentInput(doc_type=self.doc_type.value(), id=self.doc_id)
        if doc.doc_type == NO_DOCUMENT:
            return doc, {}
        values, problems = self.form.read(DOCUMENT_INPUTS[1:])
        for name, value in values.items():
            write(doc, self.form.specs[name], value)
        return doc, problems


# --- the dialog ------------------------------------------------------------------------------


class PersonDialog(QDialog):
    """Register a new person (``person_id`` None) or edit one; see the module docstring."""

    person_saved = Signal(str)
    # widgets built from the field table, under the names callers know them by
    given_names: QLineEdit
    paternal_surname: QLineEdit
    maternal_surname: QLineEdit
    sex: CodeCombo
    gender_identity: QLineEdit
    birth_date: DateField
    birth_unknown: QCheckBox
    estimated_age: QLineEdit
    nationality: SearchableCombo
    phone: QLineEdit
    whatsapp: QLineEdit
    consent_register: QCheckBox
    consent_refer: QCheckBox
    consent_contact: QCheckBox
    notes: QPlainTextEdit
    district: SearchableCombo
    zone: QLineEdit
    address_ref: QLineEdit
    arrival_date: DateField
    migratory_status: CodeCombo
    regularization_stage: CodeCombo

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
        self.outcome_message = ""  # what the save did, in a sentence for the calling page
        self.saved_now: list[str] = []  # written on their own before Save (named on discard)
        self.duplicates_dialog: DuplicatesDialog | None = None
        self.same_person_dialog: SamePersonDialog | None = None
        self._candidates: list[Candidate] = []
        self.document_rows: list[DocumentRow] = []
        self._used_rows: list[DocumentRow] = []
        # the stored person when the form was loaded (PersonInput.loaded): None for a new one
        self._loaded: dict[str, Any] | None = None
        self.date_width = self.fontMetrics().horizontalAdvance("00/00/00000") + 40
        self.save_text = _("&Save")
        self._reserved = {mnemonic_letter(self.save_text)}

        self.form = FieldForm(PERSON_FIELDS, ctx.catalogs)
        self.errors = self.form.errors
        self._build_fields()

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(_("Sections of the record"))
        builders = (self._build_personal, self._build_documents, self._build_residence,
                    self._build_disability)
        for (_key, title), build in zip(PERSON_TABS, builders, strict=True):
            self.tabs.addTab(build(), _(title))
        self.household = HouseholdPanel(ctx, person_id, reserved=set(self._reserved))
        self.household.saved_now.connect(self._saved_on_its_own)
        self.tabs.addTab(self.household, _("Household"))
        self.history_tree: QTreeWidget | None = None
        if person_id is not None:
            self.tabs.addTab(self._build_history(), _("History"))
        for index in range(self.tabs.count()):
            self.tabs.setTabToolTip(index, f"Alt+{index + 1}")
            shortcut = QShortcut(QKeySequence(f"Alt+{index + 1}"), self)
            shortcut.activated.connect(lambda i=index: self.show_tab(i))

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.summary_label.setVisible(False)
        self.summary_label.setAccessibleName(_("Error message"))
        self.save_button = QPushButton(self.save_text)
        self.cancel_button = QPushButton(_("Cancel"))
        for button in (self.save_button, self.cancel_button):
            button.setAutoDefault(False)  # Enter in a field must never save (Ctrl+S does)
        self.discard = DiscardGuard(self._say_warning)
        self.save_button.setToolTip(_("Save (Ctrl+S)"))
        self.cancel_button.setToolTip(_("Close without saving (Esc)"))
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        for button in (self.save_button, self.cancel_button):
            button.setAccessibleName(plain(button.text()))
        self.save_shortcut = QShortcut(QKeySequence("Ctrl+S"), self)
        self.save_shortcut.activated.connect(self.save)

        bottom = QHBoxLayout()
        bottom.addWidget(_hint_label(_("* Required")))
        bottom.addWidget(self.summary_label, 1)
        bottom.addStretch(0)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(bottom)

        if person_id is None:
            self.setWindowTitle(_("Register a person"))
            self._prefill(split_initial_text(initial_text))
        else:
            self.set_values(load_person(ctx.session, person_id))
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

    # --- building -----------------------------------------------------------------------

    def _build_fields(self) -> None:
        """Every person field typed on the form, with the attribute names callers know."""
        typed = [s.name for s in PERSON_FIELDS if s.tab and s.tab != "documents"]
        quiet = {*BIRTH[1:], *(s.name for s in PERSON_FIELDS if s.group == "vulnerability")}
        self.form.build(n for n in typed if n not in quiet)
        self.form.build((n for n in typed if n in quiet), error_lines=False)
        for name, widget in self.form.widgets.items():
            setattr(self, ATTRIBUTES.get(name, name), widget)
        self.wg = {s.name: cast(CodeCombo, self.form[s.name]) for s in PERSON_FIELDS if s.group == "wg"}
        self.vulnerabilities = {
            s.name: cast(QCheckBox, self.form[s.name])
            for s in PERSON_FIELDS if s.group == "vulnerability"
        }
        self.whatsapp_same = QCheckBox()
        # how a consent changed now was given (the consent history keeps it; issue #9.5)
        self.consent_method = CodeCombo([(c, _(t)) for c, t in CONSENT_METHODS],
                                        _("Not stated"))
        self.age_label = QLabel()
        self.age_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("000 años") + 8)
        self.estimated_age.setPlaceholderText(_("years"))
        self.estimated_age.setEnabled(False)
        for name in ("birth_date", "arrival_date"):
            self.form[name].setFixedWidth(self.date_width)
        for name in ("district_ubigeo", "migratory_status", "regularization_stage"):
            self.form[name].setMinimumWidth(300)
        for combo in self.wg.values():
            combo.setMinimumWidth(220)
        self.birth_date.textChanged.connect(lambda _t: self._update_age_label())
        self.birth_unknown.toggled.connect(self._birth_unknown_toggled)
        self.phone.textChanged.connect(self._sync_whatsapp)
        self.whatsapp_same.toggled.connect(self._whatsapp_same_toggled)

    def _grid(
        self, names: Sequence[str], used: set[str],
        custom: dict[str, Callable[[_FormGrid], None]] | None = None, intro: str = "",
    ) -> _FormGrid:
        """The rows of ``names``: caption | field, error underneath; check boxes across.

        ``custom`` lays out some fields itself (by name); ``intro`` is a hint on top."""
        grid = _FormGrid()
        form = self.form
        if intro:
            grid.add_full(_hint_label(intro))
        for name in names:
            if custom and name in custom:
                custom[name](grid)
                continue
            widget = form[name]
            caption = form.caption(name, used)
            error = form.error_labels.get(name)
            if isinstance(widget, QCheckBox):
                grid.add_full(widget)
                hint = form.specs[name].hint
                if hint:
                    grid.add_full(_hint_label(_(hint)))
                if error is not None:
                    grid.add_full(error)
            elif isinstance(widget, QComboBox | DateField) and not isinstance(widget, SearchableCombo):
                grid.add(caption, _row_layout(widget, 1), error)
            else:
                grid.add(caption, widget, error)
        return grid

    def _group(
        self, tab: str, group: str, used: set[str], intro: str = "",
        **custom: Callable[[_FormGrid], None],
    ) -> QGroupBox:
        """A box of the field table's group ``group`` (see :meth:`_grid`)."""
        names = [s.name for s in on_tab(PERSON_FIELDS, tab, group)]
        box = QGroupBox(_(GROUPS[group]))
        box.setLayout(self._grid(names, used, custom, intro))
        return box

    def _build_personal(self) -> QWidget:
        used = set(self._reserved)
        form = self.form

        def birth(grid: _FormGrid) -> None:
            caption = form.caption("birth_date", used)
            grid.add(caption, _row_layout(self.birth_date, self.age_label, 1),
                     form.error_labels["birth_date"])
            form.caption("birth_date_estimated", used)
            age_caption = form.caption("estimated_age", used)
            grid.add(None, _row_layout(self.birth_unknown, 1, age_caption, self.estimated_age))

        def whatsapp(grid: _FormGrid) -> None:
            grid.add(form.caption("whatsapp", used), self.whatsapp, form.error_labels["whatsapp"])
            self.whatsapp_same.setText(with_mnemonic(_("Same number as the phone"), used))
            self.whatsapp_same.setAccessibleName(plain(self.whatsapp_same.text()))
            grid.add(None, self.whatsapp_same)

        identity = self._group("personal", "identity", used, birth_date=birth,
                               birth_date_estimated=lambda _g: None, estimated_age=lambda _g: None)
        contact = self._group("personal", "contact", used, whatsapp=whatsapp)
        def contact_consent(grid: _FormGrid) -> None:
            form.caption("consent_contact", used)  # the check box's own text
            grid.add_full(form["consent_contact"])
            method = QLabel(with_mnemonic(_("How consent was given"), used))
            method.setBuddy(self.consent_method)
            self.consent_method.setAccessibleName(plain(method.text()))
            grid.add(method, _row_layout(self.consent_method, 1))

        consent = self._group("personal", "consent", used, consent_contact=contact_consent)
        right = QVBoxLayout()
        right.addWidget(contact)
        right.addWidget(consent)
        right.addWidget(form.caption("notes", used))
        right.addWidget(self.notes, 1)
        right.addWidget(form.error_labels["notes"])
        left = QVBoxLayout()
        left.addWidget(identity)
        left.addStretch(1)
        page = QWidget()
        columns = QHBoxLayout(page)
        columns.addLayout(left, 11)
        columns.addLayout(right, 9)
        return _scrolling(page)

    def _build_documents(self) -> QWidget:
        intro = _hint_label(_(
            "One row per document the person shows. Empty rows are not saved. "
            "If the person has no document, choose “No document”."
        ))
        self.documents_grid = QGridLayout()
        self.documents_grid.setHorizontalSpacing(8)
        self.documents_grid.setVerticalSpacing(2)
        for column, name in enumerate(DOCUMENT_INPUTS):
            self.documents_grid.addWidget(QLabel(f"<b>{field_label(name, 'document')}</b>"), 0, column)
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
        page = QWidget()
        page.setMaximumWidth(760)
        layout = QVBoxLayout(page)
        layout.addWidget(self._group("residence", "residence", used))
        layout.addWidget(self._group("residence", "migration", used))
        layout.addStretch(1)
        wrapper = QWidget()
        outer = QHBoxLayout(wrapper)
        outer.addWidget(page, 1)
        outer.addStretch(0)
        return _scrolling(wrapper)

    def _build_disability(self) -> QWidget:
        used = set(self._reserved)
        wg_box = self._group("disability", "wg", used, intro=_(
            "Ask: “Do you have difficulty…?” and choose the answer. Leave “Not asked” "
            "when the question was not asked."
        ))

        vuln_box = QGroupBox(_(GROUPS["vulnerability"]))
        vuln_grid = QGridLayout(vuln_box)
        boxes = list(self.vulnerabilities)
        half = (len(boxes) + 1) // 2
        for i, name in enumerate(boxes):
            self.form.caption(name, used)
            vuln_grid.addWidget(self.vulnerabilities[name], i % half, i // half)
        first = self.vulnerabilities[boxes[0]]
        vuln_grid.addWidget(self.errors.make_label("vulnerabilities", first), half, 0, 1, 2)
        vuln_grid.setColumnStretch(2, 1)

        # shown when the role may not see these answers (PersonInput.withheld)
        self.reserved_note = QLabel(_(
            "Reserved: your role does not see these answers; they are kept as recorded."))
        self.reserved_note.setObjectName("reservedNote")
        self.reserved_note.setWordWrap(True)
        self.reserved_note.setVisible(False)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.reserved_note)
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
        header.resizeSection(0, tree.fontMetrics().horizontalAdvance("00/00/0000 00:00") + 48)
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
        self.form.load({"given_names": prefill.given_names, "paternal_surname": prefill.paternal_surname,
                        "maternal_surname": prefill.maternal_surname, "phone": prefill.phone})
        if prefill.document_number:
            self.add_document_row(DocumentInput(number=prefill.document_number), focus=False)

    def set_values(self, data: PersonInput) -> None:
        """Show ``data`` in the form (edit mode)."""
        self.form.load({
            name: read(data, spec) for name, spec in self.form.specs.items()
            if name in self.form.widgets and name not in BIRTH
        })
        self.whatsapp_same.setChecked(
            bool(data.whatsapp) and normalize_phone(data.whatsapp) == normalize_phone(data.phone)
        )
        if data.birth_date is None and data.estimated_age is not None:
            self.estimated_age.setText(str(data.estimated_age))
            self.birth_unknown.setChecked(True)
        else:
            self.birth_date.set_value(data.birth_date)
        for doc in data.documents:
            self.add_document_row(doc, focus=False)
        self._loaded = data.loaded  # the save writes only what was changed since loading
        for name in data.withheld & set(self.form.widgets):
            # the role may not see it (services.permissions): «Reservado», kept on save
            widget = self.form[name]
            widget.setEnabled(False)
            widget.setToolTip(reserved_text())
            if isinstance(widget, (QLineEdit, QPlainTextEdit)):
                widget.setPlaceholderText(reserved_text())
        self.reserved_note.setVisible(bool(data.withheld))

    def gather(self) -> tuple[PersonInput, dict[str, str]]:
        """The typed person, and the problems found before the service validates it
        (text that is not a date, a country or district not in the list)."""
        names = [n for n in self.form.widgets if n not in BIRTH]
        values, errors = self.form.read(names)
        data = PersonInput()
        for name, value in values.items():
            write(data, self.form.specs[name], value)
        if self.whatsapp_same.isChecked():
            data.whatsapp = data.phone
        data.consent_method = self.consent_method.value()
        if self.birth_unknown.isChecked():  # an age only when the clerk typed one
            age, problem = self.form.read(["estimated_age"])
            data.estimated_age = age["estimated_age"]
            errors.update(problem)
            if data.estimated_age is None:
                errors["birth_date"] = _("Write the approximate age, or untick “{label}”.").format(
                    label=_("Does not know the exact date"))
        else:
            birth, problem = self.form.read(["birth_date"])
            data.birth_date = birth["birth_date"]
            errors.update(problem)
        self._used_rows = []
        for row in self.document_rows:
            if row.is_blank():
                continue
            doc, problems = row.value()
            key = f"documents.{len(data.documents)}"
            errors.update({f"{key}.{name}": message for name, message in problems.items()})
            data.documents.append(doc)
            self._used_rows.append(row)
        data.loaded = self._loaded
        return data, errors

    def state(self) -> tuple[Any, ...]:
        """Everything typed, to tell whether the form was modified."""
        typed = self.form.state()
        if not self.birth_unknown.isChecked():
            typed.pop("estimated_age")  # only read when the birth date is not known
        return (
            typed,
            self.whatsapp_same.isChecked(),
            self.consent_method.value(),
            tuple(row.state() for row in self.document_rows if row.doc_id or not row.is_blank()),
            self.household.state(),
        )

    def is_modified(self) -> bool:
        return self.state() != self._initial_state

    # --- reactions ----------------------------------------------------------------------

    def _typed_age(self) -> int | None:
        try:
            birth = self.birth_date.value()
        except ValueError:
            return None
        return age_on(birth, dt.date.today()) if birth else None

    def _update_age_label(self) -> None:
        age = self._typed_age()
        self.age_label.setText(
            "" if age is None or age < 0 else ngettext("{n} year", "{n} years", age).format(n=age)
        )

    def _birth_unknown_toggled(self, checked: bool) -> None:
        self.birth_date.setEnabled(not checked)
        self.estimated_age.setEnabled(checked)
        self.age_label.setVisible(not checked)
        age = self._typed_age()
        if checked and age is not None and 0 <= age <= MAX_AGE and not self.estimated_age.text():
            self.estimated_age.setText(str(age))

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
        """Every input in visual order (the Tab order): the field table's order, tab by tab."""
        chain: list[QWidget] = []
        for key, _title in PERSON_TABS:
            if key == "documents":
                for row in self.document_rows:
                    chain += row.inputs()
                chain.append(self.add_document_button)
                continue
            for name in (s.name for s in on_tab(PERSON_FIELDS, key)):
                chain += self.form.chain([name])
                if name == "whatsapp":
                    chain.append(self.whatsapp_same)
        chain += self.household.focus_chain()
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
        if self.duplicates_dialog is not None or self.same_person_dialog is not None:
            return
        if not self.household.entry_is_blank() and not self.household.add_inline():
            self.tabs.setCurrentIndex(TAB_HOUSEHOLD)  # a member typed but not valid: say so there
            self._say_warning(_("Check the household member you typed, or clear it."))
            return
        data, errors = self.gather()
        used_rows = list(self._used_rows)
        errors = {**validate_person(data, self.ctx.catalogs), **errors}
        if errors:
            self.show_errors(errors, used_rows)
            return
        self.clear_errors()
        if self.person_id is None:
            candidates = find_duplicates(self.ctx.session, data)
            if candidates:
                self._ask_about_duplicates(data, candidates, used_rows)
                return
        self._write(data, used_rows)

    def _ask_about_duplicates(
        self, data: PersonInput, candidates: Sequence[Candidate], used_rows: list[DocumentRow]
    ) -> None:
        dialog = DuplicatesDialog(self.ctx, candidates, data, self)
        self._candidates = list(candidates)
        self.duplicates_dialog = dialog
        dialog.finished.connect(lambda _code: self._duplicates_answered(dialog, data, used_rows))
        dialog.open()

    def _duplicates_answered(
        self, dialog: DuplicatesDialog, data: PersonInput, used_rows: list[DocumentRow]
    ) -> None:
        self.duplicates_dialog = None
        dialog.deleteLater()
        if dialog.choice == SAME and dialog.chosen_person_id:
            self._offer_typed_values(dialog.chosen_person_id, data)
        elif dialog.choice == OTHER:
            self._write(data, used_rows)
        else:
            self.given_names.setFocus()

    def _offer_typed_values(self, person_id: str, data: PersonInput) -> None:
        """The existing record, with what was typed offered as changes to accept."""
        name = next((c.full_name for c in self._candidates if c.person_id == person_id), "")
        dialog = SamePersonDialog(self.ctx, person_id, name, data, self.household.changes(), self)
        self.same_person_dialog = dialog
        dialog.finished.connect(lambda _code: self._same_person_answered(dialog, name))
        dialog.open()

    def _same_person_answered(self, dialog: SamePersonDialog, name: str) -> None:
        self.same_person_dialog = None
        dialog.deleteLater()
        if dialog.saved is None:  # back to the form, everything typed kept
            self.given_names.setFocus()
            return
        if dialog.saved:
            self.outcome_message = ngettext(
                "The registered record of {name} was used and {n} change was saved in it.",
                "The registered record of {name} was used and {n} changes were saved in it.",
                dialog.saved,
            ).format(name=name, n=dialog.saved)
        else:
            self.outcome_message = _(
                "The registered record of {name} was used; nothing was saved."
            ).format(name=name)
        self.result_person_id = dialog.person_id
        self.chose_existing = True
        self.accept()

    def _write(self, data: PersonInput, used_rows: list[DocumentRow]) -> None:
        """One service call, one transaction: the new person, or the fields that changed."""
        try:
            household = self.household.changes()
            if self.person_id is None:
                person_id = register_person(self.ctx.session, data, household=household)
            else:
                update_person(self.ctx.session, self.person_id, data, household=household)
                person_id = self.person_id
        except ValidationError as exc:
            self.show_errors(exc.fields, used_rows)
            return
        except OmaError as exc:
            log_exception(log, "the person could not be saved", exc)
            QMessageBox.warning(self, _("The person could not be saved"), str(exc))
            return
        self.result_person_id = person_id
        self.chose_existing = False
        added = len(household.inline) + len(household.persons)
        self.outcome_message = (
            ngettext("Person saved, with {n} household member.",
                     "Person saved, with {n} household members.", added).format(n=added)
            if added else _("Person saved.")
        )
        self._initial_state = self.state()
        self.person_saved.emit(person_id)
        self.accept()

    def reject(self) -> None:
        """Esc, Cancelar or the window's close button: with unsaved changes, warn first and
        discard on the second request (``ui.widgets.discard``, as the consultation form)."""
        if self.is_modified() and not self.discard.confirm(self.state(), self.saved_now):
            return
        super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter never saves: on a button it presses it, in a field it moves to the next."""
        plain_enter = not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and plain_enter:
            widget = QApplication.focusWidget()
            if isinstance(widget, QPushButton) and widget.isEnabled():
                widget.click()
            else:
                self.focusNextChild()
            event.accept()
            return
        super().keyPressEvent(event)

    def _say_warning(self, text: str) -> None:
        self.summary_label.setStyleSheet("color: #8a5300; font-weight: bold;")
        self.summary_label.setText(text)
        self.summary_label.setVisible(bool(text))

    def _saved_on_its_own(self, what: str) -> None:
        """Something the household tab wrote at once (after asking): say it, keep it listed."""
        self.saved_now.append(what)
        self.summary_label.setStyleSheet("color: #1b5e20; font-weight: bold;")
        self.summary_label.setText(_("Saved now: {what}.").format(what=what))
        self.summary_label.setVisible(True)
        self.refresh_history()

    # --- errors -------------------------------------------------------------------------

    def clear_errors(self) -> None:
        self.summary_label.setStyleSheet("color: #b71c1c; font-weight: bold;")
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
        invalid: list[QWidget] = [w for k, w in self.form.widgets.items() if k in person_errors]
        if "vulnerabilities" in person_errors:
            invalid.append(next(iter(self.vulnerabilities.values())))
        claimed: set[str] = set(person_errors)
        for index, row in enumerate(used_rows):
            prefix = f"documents.{index}."
            mine = {k[len(prefix):]: v for k, v in errors.items() if k.startswith(prefix)}
            claimed |= {prefix + k for k in mine}
            unbound += [mine[k] for k in row.errors.show(mine)]
            invalid += [row.form[k] for k in DOCUMENT_INPUTS if k in mine]
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
            areas = page.findChildren(QScrollArea) if page is not None else []
            if isinstance(page, QScrollArea):
                areas = [page]
            for area in areas:
                if area.isAncestorOf(widget):
                    area.ensureWidgetVisible(widget)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- history ------------------------------------------------------------------------

    def refresh_history(self) -> None:
        """The person's history (``services.history``): one line per change, its fields below."""
        tree = self.history_tree
        if tree is None or self.person_id is None:
            return
        tree.clear()
        for entry in person_history(self.ctx.session, self.person_id):
            change = entry.change
            summary = entry.subject
            if change.kind == "create" and change.entity == "person":
                n = len(entry.fields)
                summary = ngettext("{n} field", "{n} fields", n).format(n=n)
            top = QTreeWidgetItem([format_datetime(change.when), change.user, entry.title, summary])
            top.setToolTip(3, summary)
            for field in entry.fields:
                child = QTreeWidgetItem(top, ["", "", field.label, field.text])
                child.setToolTip(3, field.text)
            tree.addTopLevelItem(top)
            top.setExpanded(True)

