"""Register and edit a person: validation with Spanish messages per field, one transaction.

The UI and the spreadsheet import both build a ``PersonInput`` and call
``validate_person``; nothing is written unless every field is valid, and a failed save
leaves the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.errors import ValidationError
from oma_desktop.core.fields import (
    DOCUMENT_FIELDS,
    MAX_AGE,
    NO_DOCUMENT,
    PERSON_FIELDS,
    typed_values,
    validate,
)
from oma_desktop.core.store import Writer
from oma_desktop.core.text import normalize_document_number
from oma_desktop.core.vocab import VULNERABILITIES, WG_DOMAINS, codes, document_format_message
from oma_desktop.i18n import _
from oma_desktop.services import consent
from oma_desktop.services.households import HouseholdChanges, check_changes, write_household_changes
from oma_desktop.services.permissions import SENSITIVE_PERSON_FIELDS, Permission
from oma_desktop.services.session import Session

log = logging.getLogger(__name__)


PERSON_TEXT_FIELDS = (
    "given_names", "paternal_surname", "maternal_surname", "gender_identity",
    "phone", "whatsapp", "zone", "address_ref", "notes",
)
PERSON_CODE_FIELDS = (
    "sex", "nationality", "district_ubigeo", "migratory_status", "regularization_stage",
)
_FLAGS = frozenset(codes(VULNERABILITIES))


@dataclass
class DocumentInput:
    doc_type: str = ""
    number: str = ""
    issuing_country: str = ""
    issue_date: dt.date | None = None
    expiry_date: dt.date | None = None
    id: str | None = None


@dataclass
class PersonInput:
    """What a clerk can type about a person; empty strings mean "not given"."""

    given_names: str = ""
    paternal_surname: str = ""
    maternal_surname: str = ""
    sex: str = ""
    gender_identity: str = ""
    birth_date: dt.date | None = None
    estimated_age: int | None = None
    nationality: str = ""
    phone: str = ""
    whatsapp: str = ""
    district_ubigeo: str = ""
    zone: str = ""
    address_ref: str = ""
    arrival_date: dt.date | None = None
    migratory_status: str = ""
    regularization_stage: str = ""
    wg: dict[str, int | None] = field(default_factory=dict)
    vulnerabilities: set[str] = field(default_factory=set)
    consent_register: bool = False
    consent_refer: bool = False
    consent_contact: bool = False
    # how the consents above were given: "verbal", "escrito" or "" (not stated); written to
    # the consent history (``services.consent``) when a consent changes
    consent_method: str = ""
    notes: str = ""
    documents: list[DocumentInput] = field(default_factory=list)
    # fields the acting user's role may not see (``services.permissions``): loaded empty,
    # shown as «Reservado», and kept as stored when the person is saved
    withheld: frozenset[str] = frozenset()
    # the person's stored columns when the form was loaded (``load_person``): a save writes
    # only what the form changed since then, so it never puts back another session's edit
    loaded: dict[str, Any] | None = field(default=None, compare=False, repr=False)


def birth_date_from_age(age: int, today: dt.date) -> dt.date:
    """Estimated birth date for a stated age: mid-year, so the age stays right for months."""
    return dt.date(today.year - age, 7, 1) if (today.month, today.day) >= (7, 1) else dt.date(
        today.year - age - 1, 7, 1
    )


def age_on(birth: dt.date | str | None, today: dt.date) -> int | None:
    if not birth:
        return None
    if isinstance(birth, str):
        birth = dt.date.fromisoformat(birth[:10])
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def validate_person(
    data: PersonInput, catalogs: Catalogs, today: dt.date | None = None
) -> dict[str, str]:
    """Field name -> Spanish message for every problem; empty when the person can be saved.

    Each field's own rules come from the field table (``core.fields.PERSON_FIELDS``); the
    rules that tie fields together are here.
    """
    today = today or dt.date.today()
    errors = validate(PERSON_FIELDS, typed_values(data, PERSON_FIELDS), catalogs,
                      dt.datetime.combine(today, dt.time()))
    if data.birth_date is not None:
        if "birth_date" not in errors and (age_on(data.birth_date, today) or 0) > MAX_AGE:
            errors["birth_date"] = _("Check the birth date: the age would be over {max} years.").format(
                max=MAX_AGE
            )
    elif data.estimated_age is not None and not 0 <= data.estimated_age <= MAX_AGE:
        errors["birth_date"] = _("The estimated age must be between 0 and {max}.").format(max=MAX_AGE)
    if (
        "arrival_date" not in errors and data.arrival_date is not None
        and data.birth_date is not None and data.arrival_date < data.birth_date
    ):
        errors["arrival_date"] = _("The arrival date is before the birth date.")
    for key in set(data.wg) - set(codes(WG_DOMAINS)):
        errors[key] = _("Choose one of the four answers.")
    unknown = data.vulnerabilities - set(codes(VULNERABILITIES))
    if unknown:
        errors["vulnerabilities"] = _("Unknown vulnerability: {codes}.").format(
            codes=", ".join(sorted(unknown))
        )
    for i, doc in enumerate(data.documents):
        errors.update(_validate_document(doc, i, catalogs))
    return errors


def _validate_document(doc: DocumentInput, index: int, catalogs: Catalogs) -> dict[str, str]:
    key = f"documents.{index}"
    own = validate(DOCUMENT_FIELDS, typed_values(doc, DOCUMENT_FIELDS), catalogs)
    if "doc_type" in own:
        return {f"{key}.doc_type": own["doc_type"]}
    if doc.doc_type == NO_DOCUMENT:
        return {}
    errors = {f"{key}.{name}": message for name, message in own.items()}
    kind = catalogs.document_type(doc.doc_type)
    number = normalize_document_number(doc.number)
    if not number:
        errors[f"{key}.number"] = _("Write the document number.")
    elif not kind.matches(number):
        errors[f"{key}.number"] = document_format_message(kind)
    if doc.issue_date and doc.expiry_date and doc.expiry_date < doc.issue_date:
        errors[f"{key}.expiry_date"] = _("The expiry date is before the issue date.")
    return errors


def _person_fields(data: PersonInput, today: dt.date, user_id: str) -> dict[str, Any]:
    fields: dict[str, Any] = {name: getattr(data, name).strip() for name in PERSON_TEXT_FIELDS}
    for name in PERSON_CODE_FIELDS:
        fields[name] = getattr(data, name) or None
    if data.birth_date is not None:
        fields["birth_date"], fields["birth_date_estimated"] = data.birth_date, 0
    elif data.estimated_age is not None:
        fields["birth_date"] = birth_date_from_age(data.estimated_age, today)
        fields["birth_date_estimated"] = 1
    else:
        fields["birth_date"], fields["birth_date_estimated"] = None, 0
    fields["arrival_date"] = data.arrival_date
    for key in codes(WG_DOMAINS):
        fields[key] = data.wg.get(key)
    for key in codes(VULNERABILITIES):
        fields[key] = int(key in data.vulnerabilities)
    fields["consent_register"] = int(data.consent_register)
    fields["consent_refer"] = int(data.consent_refer)
    fields["consent_contact"] = int(data.consent_contact)
    return fields


def _document_fields(doc: DocumentInput) -> dict[str, Any]:
    return {
        "doc_type": doc.doc_type,
        "number": doc.number.strip().upper(),
        "issuing_country": doc.issuing_country or None,
        "issue_date": doc.issue_date,
        "expiry_date": doc.expiry_date,
    }


def new_person_records(
    session: Session, data: PersonInput, today: dt.date
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The stored fields of a new, already validated person and of their documents (without
    ``person_id``): what :func:`write_new_person` writes, for writers that batch (imports)."""
    user_id = session.user_id
    fields = _person_fields(data, today, user_id)
    fields.update(
        casa_id=session.casa_id,
        consent_date=today,
        consent_recorded_by=user_id,
        created_at=dt.datetime.now().isoformat(timespec="seconds"),
    )
    return fields, [_document_fields(doc) for doc in data.documents]


def write_new_person(session: Session, tx: Writer, data: PersonInput, today: dt.date) -> str:
    """Write an already validated person and their documents inside ``tx`` (a transaction
    opened on ``session.store``)."""
    fields, documents = new_person_records(session, data, today)
    person_id = tx.create("person", fields)
    consent.record_changes(tx, person_id, None, fields, method=data.consent_method)
    for doc in documents:
        tx.create("document", {"person_id": person_id, **doc})
    return person_id


def register_person(
    session: Session,
    data: PersonInput,
    today: dt.date | None = None,
    household: HouseholdChanges | None = None,
) -> str:
    """Validate and save a new person with their documents and the household members typed
    with them (one transaction); returns the person id."""
    session.require(Permission.EDIT_PERSONS)
    today = today or dt.date.today()
    household = household or HouseholdChanges()
    errors = {**validate_person(data, session.catalogs, today), **check_changes(household, today)}
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    with session.transaction() as tx:
        person_id = write_new_person(session, tx, data, today)
        write_household_changes(session, tx, person_id, household, today)
    log.info("person %s registered with %d documents", person_id, len(data.documents))
    return person_id


def update_person(
    session: Session,
    person_id: str,
    data: PersonInput,
    today: dt.date | None = None,
    household: HouseholdChanges | None = None,
) -> dict[str, Any]:
    """Save edits; documents are matched by id (new ones created, missing ones tombstoned);
    the household edits go in the same transaction.

    Returns the person fields that changed (documents and household excluded). A role that
    may not see sensitive fields (:attr:`PersonInput.withheld`) never changes or erases their
    stored values: it can only fill one that is empty.
    """
    session.require(Permission.EDIT_PERSONS)
    today = today or dt.date.today()
    household = household or HouseholdChanges()
    errors = {**validate_person(data, session.catalogs, today), **check_changes(household, today)}
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    store, user_id = session.store, session.user_id
    current = store.get("person", person_id)
    if current is None or current["deleted"]:
        raise KeyError(person_id)
    fields = _person_fields(data, today, user_id)
    if data.loaded is not None:
        # only what this form changed since it was loaded: a field another session saved
        # meanwhile keeps that session's value (a field both changed: the later save wins)
        fields = {k: v for k, v in fields.items()
                  if k not in data.loaded or data.loaded[k] != v}
    if not session.can(Permission.VIEW_SENSITIVE):
        for name in SENSITIVE_PERSON_FIELDS:  # a "No" vulnerability is empty, a WG 0 is not
            if name in fields and current[name] not in (None, "") and not (
                    name in _FLAGS and not current[name]):
                fields[name] = current[name]
    if (
        current["birth_date_estimated"]
        and data.birth_date is None
        and data.estimated_age is not None
        and age_on(current["birth_date"], today) == data.estimated_age
    ):
        # the same estimated age typed again must not shift the stored estimate
        fields["birth_date"] = current["birth_date"]
    consent_now = tuple(fields.get(name, current[name]) for name in (
        "consent_register", "consent_refer", "consent_contact"))
    consent_before = (
        current["consent_register"], current["consent_refer"], current["consent_contact"]
    )
    if consent_now != consent_before:
        fields.update(consent_date=today, consent_recorded_by=user_id)
    existing = {
        r["id"]: r
        for r in store.rows("SELECT * FROM document WHERE person_id = ? AND deleted = 0", [person_id])
    }
    with session.transaction() as tx:
        changed = tx.update("person", person_id, fields)
        consent.record_changes(tx, person_id, current, fields, method=data.consent_method)
        kept = set()
        for doc in data.documents:
            values = _document_fields(doc)
            if doc.id and doc.id in existing:
                kept.add(doc.id)
                tx.update("document", doc.id, values)
            else:
                tx.create("document", {"person_id": person_id, **values})
        for doc_id in set(existing) - kept:
            tx.tombstone("document", doc_id)
        write_household_changes(session, tx, person_id, household, today)
    return changed


def load_person(session: Session, person_id: str, today: dt.date | None = None) -> PersonInput:
    """The stored person as a ``PersonInput`` (for the edit form); the fields the acting
    user may not see come empty, named in ``withheld``."""
    session.require(Permission.VIEW_PERSONS)
    store = session.store
    row = store.get("person", person_id)
    if row is None:
        raise KeyError(person_id)
    today = today or dt.date.today()

    def _date(value: Any) -> dt.date | None:
        return dt.date.fromisoformat(value[:10]) if value else None

    data = PersonInput()
    for name in (*PERSON_TEXT_FIELDS, *PERSON_CODE_FIELDS):
        setattr(data, name, row[name] or "")
    if row["birth_date_estimated"]:
        data.estimated_age = age_on(row["birth_date"], today)
    else:
        data.birth_date = _date(row["birth_date"])
    data.arrival_date = _date(row["arrival_date"])
    data.wg = {key: row[key] for key in codes(WG_DOMAINS) if row[key] is not None}
    data.vulnerabilities = {key for key in codes(VULNERABILITIES) if row[key]}
    data.consent_register = bool(row["consent_register"])
    data.consent_refer = bool(row["consent_refer"])
    data.consent_contact = bool(row["consent_contact"])
    data.documents = [
        DocumentInput(
            doc_type=d["doc_type"],
            number=d["number"],
            issuing_country=d["issuing_country"] or "",
            issue_date=_date(d["issue_date"]),
            expiry_date=_date(d["expiry_date"]),
            id=d["id"],
        )
        for d in store.rows(
            "SELECT * FROM document WHERE person_id = ? AND deleted = 0 ORDER BY rowid", [person_id]
        )
    ]
    if not session.can(Permission.VIEW_SENSITIVE):
        data.gender_identity = data.notes = ""
        data.wg, data.vulnerabilities = {}, set()
        data.withheld = SENSITIVE_PERSON_FIELDS
    data.loaded = dict(row)
    return data


__all__ = [
    "DocumentInput",
    "PersonInput",
    "age_on",
    "birth_date_from_age",
    "load_person",
    "register_person",
    "update_person",
    "validate_person",
    "write_new_person",
]
