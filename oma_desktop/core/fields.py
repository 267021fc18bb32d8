"""The fields a clerk types, declared once: what forms, validation and history read.

Each record kind (person, document, consultation, household member) has a table of
:class:`FieldSpec` in form order. A spec says what the field is called beside its widget
and in the history, which kind of widget edits it, which vocabulary or catalog its codes
come from, the rules it must pass, how private it is, and where it sits on the form. The
forms build their widgets, load, read, compare and mark errors from these tables;
``validate`` applies the single-field rules (services add the rules that tie fields
together); ``services.history`` labels, orders and formats logged values with them. The
accounts issue will hide fields by role through :attr:`FieldSpec.privacy`.

Qt-free: the widget kind is a name the UI maps to a widget.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Any

from oma_desktop.core.text import forbidden_characters, normalize_phone
from oma_desktop.core.vocab import (
    CHANNELS,
    MIGRATORY_STATUS,
    REGULARIZATION_STAGE,
    RELATIONSHIPS,
    SEX,
    VULNERABILITIES,
    WG_DOMAINS,
    WG_LEVELS,
    Vocabulary,
    codes,
)
from oma_desktop.i18n import N_, _

if TYPE_CHECKING:
    from oma_desktop.core.catalogs import Catalogs

MAX_AGE = 110
# a consultation typed a few minutes ahead of the PC's clock is not "in the future"
FUTURE_TOLERANCE = dt.timedelta(minutes=10)
NO_DOCUMENT = "NINGUNO"
STATELESS = "XX"


class Kind(Enum):
    """Which widget edits the field (the UI maps each to a Qt widget)."""

    TEXT = "text"  # one line
    MULTILINE = "multiline"
    DATE = "date"  # a date that may stay empty, typed dd/mm/yyyy
    DATETIME = "datetime"
    CODE = "code"  # one code of a closed vocabulary (a drop-down)
    CATALOG = "catalog"  # one code of a long catalog, searchable (countries, districts)
    CODES = "codes"  # several codes of a catalog (topics)
    BOOL = "bool"
    NUMBER = "number"
    REFERENCE = "reference"  # another record's id (casa, staff member, household, person)


class Privacy(IntEnum):
    """How much protection a field needs; higher values are seen by fewer roles."""

    PUBLIC = 0  # nothing about an identifiable person (channel, casa, date of a visit)
    PERSONAL = 1  # identity, contact, residence, migratory situation, documents, consent
    SENSITIVE = 2  # disability, vulnerability, gender identity, free text about the person
    SPECIAL_CATEGORY = 3  # health detail and the like; no field needs it yet (referrals will)


@dataclass(frozen=True)
class FieldSpec:
    """One field: see the module docstring. Messages and labels are msgids."""

    name: str  # column and change-log key
    label: str  # beside the widget
    kind: Kind
    privacy: Privacy
    tab: str = ""  # form tab; "" = not typed on a form (bookkeeping or set elsewhere)
    group: str = ""  # box inside the tab
    history_label: str = ""  # in histories and lists of changes; defaults to ``label``
    history: bool = True  # False: bookkeeping, never shown in a history
    stored: bool = True  # False: typed on the form but not a column (the approximate age)
    vocabulary: Vocabulary = ()
    integer_codes: bool = False  # the vocabulary's codes are stored as integers
    catalog: str = ""  # countries | districts | document_types | topics | casas | users | ...
    container: str = ""  # the input dataclass keeps it in a dict or set of this name
    default: Any = None  # a new record starts with it
    empty_label: str = ""  # the "nothing chosen" entry of a drop-down
    placeholder: str = ""
    hint: str = ""  # a short explanation beside or under the field
    lines: int = 0  # visible lines of a multi-line box
    required: bool = False
    required_unless: str = ""  # not required when this other field has a value
    max_length: int = 0
    pattern: str = ""  # the value (phones: its digits) must match this whole
    minimum: int | None = None
    maximum: int | None = None
    not_future: bool = False
    required_message: str = ""
    invalid_message: str = ""  # not in the list, wrong format or out of range
    future_message: str = ""

    @property
    def shown_label(self) -> str:
        return _(self.label)

    @property
    def shown_history_label(self) -> str:
        return _(self.history_label or self.label)


def _text(name: str, label: str, group: str, tab: str, **kw: Any) -> FieldSpec:
    kw.setdefault("privacy", Privacy.PERSONAL)
    return FieldSpec(name, label, Kind.TEXT, tab=tab, group=group, **kw)


_PHONE_MESSAGE = N_("Write only the digits of the number (9 for a mobile phone).")
_SEX_MESSAGE = N_("Choose the sex (or “Not stated”).")

# --- person -----------------------------------------------------------------------------------

PERSON_TABS: tuple[tuple[str, str], ...] = (
    ("personal", N_("Personal details")),
    ("documents", N_("Documents")),
    ("residence", N_("Residence and migratory situation")),
    ("disability", N_("Disability and vulnerability")),
)
GROUPS: dict[str, str] = {
    "identity": N_("Identity"),
    "contact": N_("Contact"),
    "consent": N_("Consent"),
    "residence": N_("Residence"),
    "migration": N_("Migratory situation"),
    "wg": N_("Washington Group questions (disability)"),
    "vulnerability": N_("Vulnerability situations"),
}

_P, _R, _D = "personal", "residence", "disability"

PERSON_FIELDS: tuple[FieldSpec, ...] = (
    _text("given_names", N_("Given names"), "identity", _P, required=True, max_length=80,
          required_message=N_("Write the given names.")),
    _text("paternal_surname", N_("Paternal surname"), "identity", _P, max_length=80,
          required=True, required_unless="maternal_surname",
          required_message=N_("Write at least one surname.")),
    _text("maternal_surname", N_("Maternal surname"), "identity", _P, max_length=80),
    FieldSpec("sex", N_("Sex"), Kind.CODE, Privacy.PERSONAL, _P, "identity", vocabulary=SEX,
              empty_label=N_("Choose…"), required=True, required_message=_SEX_MESSAGE,
              invalid_message=_SEX_MESSAGE),
    _text("gender_identity", N_("Gender identity"), "identity", _P, max_length=80,
          privacy=Privacy.SENSITIVE, placeholder=N_("Only if the person states it")),
    FieldSpec("birth_date", N_("Birth date"), Kind.DATE, Privacy.PERSONAL, _P, "identity",
              not_future=True, future_message=N_("The birth date cannot be in the future.")),
    FieldSpec("birth_date_estimated", N_("Does not know the exact date"), Kind.BOOL,
              Privacy.PERSONAL, _P, "identity", history_label=N_("Estimated birth date")),
    FieldSpec("estimated_age", N_("Approximate age"), Kind.NUMBER, Privacy.PERSONAL, _P,
              "identity", stored=False, history=False, minimum=0, maximum=MAX_AGE),  # empty: never assumed
    FieldSpec("nationality", N_("Nationality"), Kind.CATALOG, Privacy.PERSONAL, _P, "identity",
              catalog="countries", default="VE", required=True,
              required_message=N_("Choose the nationality (or “Stateless”)."),
              invalid_message=N_("Choose the nationality (or “Stateless”).")),
    _text("phone", N_("Phone"), "contact", _P, max_length=20, pattern=r"\d{6,15}",
          placeholder=N_("Mobile: 9 digits"), invalid_message=_PHONE_MESSAGE),
    _text("whatsapp", N_("WhatsApp"), "contact", _P, max_length=20, pattern=r"\d{6,15}",
          invalid_message=_PHONE_MESSAGE),
    FieldSpec("consent_register", N_("The person agrees to have their data registered"),
              Kind.BOOL, Privacy.PERSONAL, _P, "consent", history_label=N_("Consent to register"),
              hint=N_("Required. Without it, record only an anonymous consultation."),
              required=True, required_message=N_(
                  "Without consent to register, personal data cannot be saved. "
                  "Record an anonymous quick consultation instead.")),
    FieldSpec("consent_refer", N_("Agrees to be referred to other institutions"), Kind.BOOL,
              Privacy.PERSONAL, _P, "consent", history_label=N_("Consent to refer")),
    FieldSpec("consent_contact", N_("Agrees to be contacted by phone or WhatsApp"), Kind.BOOL,
              Privacy.PERSONAL, _P, "consent", history_label=N_("Consent to be contacted")),
    FieldSpec("notes", N_("Notes"), Kind.MULTILINE, Privacy.SENSITIVE, _P, "notes",
              max_length=4000, lines=3),
    # set by a cancellation request or the retention job (issue #9); never typed
    FieldSpec("anonymised_at", N_("Anonymised on"), Kind.DATETIME, Privacy.PUBLIC),
    FieldSpec("district_ubigeo", N_("District"), Kind.CATALOG, Privacy.PERSONAL, _R, "residence",
              catalog="districts", default="150101",  # Cercado de Lima
              invalid_message=N_("Choose a district from the list.")),
    _text("zone", N_("Sector or zone"), "residence", _R, max_length=120,
          placeholder=N_("E.g. human settlement, urbanisation or sector")),
    _text("address_ref", N_("Address reference"), "residence", _R, max_length=200,
          placeholder=N_("E.g. behind the market, blue door")),
    FieldSpec("arrival_date", N_("Arrival in Peru"), Kind.DATE, Privacy.PERSONAL, _R, "migration",
              not_future=True, future_message=N_("The arrival date cannot be in the future.")),
    FieldSpec("migratory_status", N_("Migratory situation"), Kind.CODE, Privacy.PERSONAL, _R,
              "migration", vocabulary=MIGRATORY_STATUS, empty_label=N_("Not recorded"),
              invalid_message=N_("Choose a migratory situation from the list.")),
    FieldSpec("regularization_stage", N_("Regularisation stage"), Kind.CODE, Privacy.PERSONAL, _R,
              "migration", vocabulary=REGULARIZATION_STAGE, empty_label=N_("Not recorded"),
              invalid_message=N_("Choose a regularisation stage from the list.")),
    *(
        FieldSpec(code, text, Kind.CODE, Privacy.SENSITIVE, _D, "wg", vocabulary=WG_LEVELS,
                  integer_codes=True, container="wg", empty_label=N_("Not asked"),
                  invalid_message=N_("Choose one of the four answers."))
        for code, text in WG_DOMAINS
    ),
    *(
        FieldSpec(code, text, Kind.BOOL, Privacy.SENSITIVE, _D, "vulnerability",
                  container="vulnerabilities")
        for code, text in VULNERABILITIES
    ),
    # not typed on the form
    FieldSpec("consent_date", N_("Consent date"), Kind.DATE, Privacy.PERSONAL, history=False),
    FieldSpec("consent_recorded_by", N_("Consent recorded by"), Kind.REFERENCE, Privacy.PUBLIC,
              catalog="users", history=False),
    FieldSpec("casa_id", N_("Casa vecinal"), Kind.REFERENCE, Privacy.PUBLIC, catalog="casas",
              history=False),
    FieldSpec("created_at", N_("Date and time"), Kind.DATETIME, Privacy.PUBLIC, history=False),
    FieldSpec("deleted", N_("Deleted"), Kind.BOOL, Privacy.PUBLIC),
)

# --- documents (a row each in the person form's "Documents" tab) --------------------------------

DOCUMENT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("doc_type", N_("Document type"), Kind.CATALOG, Privacy.PERSONAL, "documents",
              catalog="document_types", empty_label=N_("Choose…"), required=True,
              required_message=N_("Choose the document type."),
              invalid_message=N_("Choose the document type.")),
    FieldSpec("number", N_("Number"), Kind.TEXT, Privacy.PERSONAL, "documents", max_length=20),
    FieldSpec("issuing_country", N_("Issuing country"), Kind.CATALOG, Privacy.PERSONAL,
              "documents", catalog="countries",
              invalid_message=N_("Choose a country from the list.")),
    FieldSpec("issue_date", N_("Issue date"), Kind.DATE, Privacy.PERSONAL, "documents"),
    FieldSpec("expiry_date", N_("Expiry date"), Kind.DATE, Privacy.PERSONAL, "documents"),
    FieldSpec("person_id", N_("Person"), Kind.REFERENCE, Privacy.PERSONAL, catalog="persons",
              history=False),
    FieldSpec("deleted", N_("Deleted"), Kind.BOOL, Privacy.PUBLIC),
)

# --- consultations -------------------------------------------------------------------------------

CONSULTATION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("anon_sex", N_("Sex"), Kind.CODE, Privacy.PUBLIC, "anonymous", vocabulary=SEX,
              empty_label="—", invalid_message=_SEX_MESSAGE),
    FieldSpec("anon_age", N_("Approximate age"), Kind.NUMBER, Privacy.PUBLIC, "anonymous",
              minimum=0, maximum=MAX_AGE,
              invalid_message=N_("The estimated age must be between 0 and {max}.")),
    FieldSpec("anon_nationality", N_("Nationality"), Kind.CATALOG, Privacy.PUBLIC, "anonymous",
              catalog="countries", invalid_message=N_("Choose a country from the list.")),
    FieldSpec("topics", N_("Topics"), Kind.CODES, Privacy.SENSITIVE, "topics", catalog="topics",
              required=True, required_message=N_("Choose at least one topic."),
              invalid_message=N_("Unknown topic: {codes}.")),
    FieldSpec("summary", N_("What was asked"), Kind.MULTILINE, Privacy.SENSITIVE, "what",
              max_length=4000, lines=3),
    FieldSpec("actions", N_("What was done"), Kind.MULTILINE, Privacy.SENSITIVE, "what",
              max_length=4000, lines=3),
    FieldSpec("outcome", N_("Outcome"), Kind.MULTILINE, Privacy.SENSITIVE, "what",
              max_length=4000, lines=2),
    FieldSpec("follow_up_date", N_("Follow-up date"), Kind.DATE, Privacy.PUBLIC, "what",
              hint=N_("(optional: when to call the person back)")),
    FieldSpec("occurred_at", N_("Date and time"), Kind.DATETIME, Privacy.PUBLIC, "details",
              required=True, not_future=True,
              required_message=N_("Write the date and time of the consultation."),
              future_message=N_("The consultation cannot be in the future.")),
    FieldSpec("channel", N_("Channel"), Kind.CODE, Privacy.PUBLIC, "details", vocabulary=CHANNELS,
              default="presencial", required=True,
              required_message=N_("Choose how the person was attended."),
              invalid_message=N_("Choose how the person was attended.")),
    FieldSpec("casa_id", N_("Casa vecinal"), Kind.REFERENCE, Privacy.PUBLIC, "details",
              catalog="casas"),
    FieldSpec("staff_user_id", N_("Attended by"), Kind.REFERENCE, Privacy.PUBLIC, "details",
              catalog="users"),
    FieldSpec("follow_up_done", N_("Follow-up done"), Kind.BOOL, Privacy.PUBLIC),
    FieldSpec("person_id", N_("Person"), Kind.REFERENCE, Privacy.PERSONAL, catalog="persons",
              history=False),  # a link is told as such
    FieldSpec("deleted", N_("Deleted"), Kind.BOOL, Privacy.PUBLIC),
)

# --- households -----------------------------------------------------------------------------------

HOUSEHOLD_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", N_("Name"), Kind.TEXT, Privacy.PERSONAL),
    FieldSpec("notes", N_("Notes"), Kind.MULTILINE, Privacy.SENSITIVE),
    FieldSpec("casa_id", N_("Casa vecinal"), Kind.REFERENCE, Privacy.PUBLIC, catalog="casas",
              history=False),
    FieldSpec("deleted", N_("Deleted"), Kind.BOOL, Privacy.PUBLIC),
)

HOUSEHOLD_MEMBER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("relationship", N_("Relationship"), Kind.CODE, Privacy.PERSONAL,
              vocabulary=RELATIONSHIPS, required=True,
              required_message=N_("Choose the relationship from the list."),
              invalid_message=N_("Choose the relationship from the list.")),
    # a membership's history is told from the person's side, with the household as subject
    FieldSpec("household_id", N_("Household"), Kind.REFERENCE, Privacy.PERSONAL,
              catalog="households", history=False),
    FieldSpec("person_id", N_("Person"), Kind.REFERENCE, Privacy.PERSONAL, catalog="persons",
              history=False),
    # a member recorded inline, without a person record of their own (person_id empty)
    _text("given_names", N_("Given names"), "", "", max_length=80),
    _text("paternal_surname", N_("Paternal surname"), "", "", max_length=80),
    _text("maternal_surname", N_("Maternal surname"), "", "", max_length=80),
    FieldSpec("sex", N_("Sex"), Kind.CODE, Privacy.PERSONAL, vocabulary=SEX,
              invalid_message=_SEX_MESSAGE),
    FieldSpec("birth_date", N_("Birth date"), Kind.DATE, Privacy.PERSONAL, not_future=True,
              future_message=N_("The birth date cannot be in the future.")),
    FieldSpec("birth_date_estimated", N_("Does not know the exact date"), Kind.BOOL,
              Privacy.PERSONAL, history_label=N_("Estimated birth date")),
    FieldSpec("deleted", N_("Deleted"), Kind.BOOL, Privacy.PUBLIC),
)

TABLES: dict[str, tuple[FieldSpec, ...]] = {
    "person": PERSON_FIELDS,
    "document": DOCUMENT_FIELDS,
    "consultation": CONSULTATION_FIELDS,
    "household": HOUSEHOLD_FIELDS,
    "household_member": HOUSEHOLD_MEMBER_FIELDS,
}
_INDEX: dict[str, dict[str, FieldSpec]] = {
    entity: {spec.name: spec for spec in table} for entity, table in TABLES.items()
}


def spec(entity: str, name: str) -> FieldSpec | None:
    """The declaration of ``entity``'s field ``name``, None for columns no one types."""
    return _INDEX.get(entity, {}).get(name)


def field_label(name: str, entity: str | None = None) -> str:
    """The history label of a field (of ``entity``, or the first table that has it)."""
    entities = [entity] if entity else list(TABLES)
    for kind in entities:
        found = spec(kind, name)
        if found is not None:
            return found.shown_history_label
    return name


def on_tab(table: Iterable[FieldSpec], tab: str, group: str | None = None) -> list[FieldSpec]:
    """The fields of a form tab (and box), in form order."""
    return [s for s in table if s.tab == tab and (group is None or s.group == group)]


def form_order(entity: str) -> dict[str, int]:
    """Field name -> position on the form, for listing changed fields in a familiar order."""
    return {s.name: i for i, s in enumerate(TABLES[entity])}


# --- reading and writing input dataclasses --------------------------------------------------------


def read(record: object, field: FieldSpec) -> Any:
    """The value of ``field`` in an input dataclass (``PersonInput``...)."""
    if field.container:
        box = getattr(record, field.container)
        return field.name in box if isinstance(box, (set, frozenset)) else box.get(field.name)
    return getattr(record, field.name)


def write(record: object, field: FieldSpec, value: Any) -> None:
    """Set ``field`` in an input dataclass; empty values leave dict and set containers."""
    if not field.container:
        setattr(record, field.name, value)
        return
    box = getattr(record, field.container)
    if isinstance(box, set):
        (box.add if value else box.discard)(field.name)
    elif value is None or value == "":
        box.pop(field.name, None)
    else:
        box[field.name] = value


def typed_values(record: object, table: Iterable[FieldSpec]) -> dict[str, Any]:
    """The stored fields typed on a form that an input dataclass carries, by name."""
    return {
        field.name: read(record, field)
        for field in table
        if field.tab and field.stored and (field.container or hasattr(record, field.name))
    }


def code_text(field: FieldSpec, value: Any) -> str:
    """A stored code as the vocabulary writes it (WG levels are stored as integers)."""
    return "" if value is None else str(value)


def code_value(field: FieldSpec, code: str) -> Any:
    """A vocabulary code as it is stored."""
    if field.integer_codes:
        return int(code) if code else None
    return code


# --- validation ------------------------------------------------------------------------------------


def is_empty(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or value is False or (isinstance(value, (list, tuple, set)) and not value)


def _in_catalog(catalogs: Catalogs, catalog: str, code: str) -> bool:
    lookups = {
        "districts": catalogs.district,
        "document_types": catalogs.document_type,
        "topics": catalogs.topic,
    }
    lookup = lookups.get(catalog)
    if lookup is None:
        return True  # countries are checked by the form's list; references by the database
    try:
        lookup(code)
    except KeyError:
        return False
    return True


def _message(msgid: str, field: FieldSpec, fallback: str, **values: Any) -> str:
    return _(msgid or fallback).format(field=field.shown_label, **values)


def not_in_list_message(field: FieldSpec) -> str:
    """What to say when the text typed in a list's box names none of its items."""
    return _message(field.invalid_message, field, N_("Choose “{field}” from the list."),
                    codes="", max=field.maximum)


def text_problem(value: str) -> str:
    """Why ``value`` cannot be stored as text (a message with a ``{field}`` slot), or "".

    Every text field refuses NUL and control characters and the invisible right-to-left
    overrides that show a name differently from what is stored (tabs and line breaks are
    spaces to a one-line field, not an error).
    """
    kind = forbidden_characters(value, multiline=True)
    if kind == "control":
        return _("“{field}” contains invisible control characters (copied from another "
                 "program?); type the text again.")
    if kind == "bidi":
        return _("“{field}” contains invisible marks that change the direction of the text; "
                 "type the text again.")
    return ""


def check(
    field: FieldSpec,
    value: Any,
    catalogs: Catalogs | None = None,
    now: dt.datetime | None = None,
    others: Mapping[str, Any] | None = None,
) -> str:
    """The Spanish message for what is wrong with ``value`` alone, or ""."""
    if is_empty(value):
        waived = field.required_unless and others and not is_empty(others.get(field.required_unless))
        if field.required and not waived:
            return _message(field.required_message, field, N_("Fill in “{field}”."))
        return ""
    if isinstance(value, str) and field.kind in (Kind.TEXT, Kind.MULTILINE):
        hidden = text_problem(value)
        if hidden:
            return hidden.format(field=field.shown_label)
    if isinstance(value, str) and field.max_length and len(value.strip()) > field.max_length:
        return _("“{field}” can have at most {n} characters; it has {count}.").format(
            field=field.shown_label, n=field.max_length, count=len(value.strip())
        )
    if field.pattern and isinstance(value, str):
        plain = normalize_phone(value) if field.name in ("phone", "whatsapp") else value.strip()
        if not re.fullmatch(field.pattern, plain):
            return not_in_list_message(field)
    if field.vocabulary and code_text(field, value) not in codes(field.vocabulary):
        return not_in_list_message(field)
    if field.kind is Kind.NUMBER and (
        (field.minimum is not None and value < field.minimum)
        or (field.maximum is not None and value > field.maximum)
    ):
        return not_in_list_message(field)
    if catalogs is not None and field.catalog:
        items = value if isinstance(value, (list, tuple)) else [value]
        unknown = [str(v) for v in items if not _in_catalog(catalogs, field.catalog, str(v))]
        if unknown:
            return _message(field.invalid_message, field, N_("Choose “{field}” from the list."),
                            codes=", ".join(unknown), max=field.maximum)
    if field.not_future:
        now = now or dt.datetime.now()
        late = (
            value > now + FUTURE_TOLERANCE if isinstance(value, dt.datetime) else value > now.date()
        )
        if late:
            return _message(field.future_message, field, N_("“{field}” cannot be in the future."))
    return ""


def validate(
    table: Iterable[FieldSpec],
    values: Mapping[str, Any],
    catalogs: Catalogs | None = None,
    now: dt.datetime | None = None,
) -> dict[str, str]:
    """Field name -> Spanish message for every field of ``values`` that breaks its own rules."""
    errors: dict[str, str] = {}
    for field in table:
        if field.name in values:
            message = check(field, values[field.name], catalogs, now, values)
            if message:
                errors[field.name] = message
    return errors
