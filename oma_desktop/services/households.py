"""Households: people who live together, with their relationship to the head.

A member is either a registered person (``person_id``) or recorded inline: names,
relationship, sex and birth date (or an approximate age) kept on the membership itself,
with no person record of its own (``person_id`` NULL) — children recorded under the
adult's consent, say. Inline members are not persons: search and counts never see them.
One of them can later become a full record (:func:`promote_member`).

The person form gathers its household edits in a :class:`HouseholdChanges` and writes
them with the person in one transaction (:func:`write_household_changes`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.fields import HOUSEHOLD_MEMBER_FIELDS, MAX_AGE, validate
from oma_desktop.core.store import Writer
from oma_desktop.core.vocab import RELATIONSHIPS, codes
from oma_desktop.i18n import _
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

HEAD = "jefe_hogar"


@dataclass(frozen=True)
class Member:
    member_id: str
    person_id: str | None  # None: recorded inline, without a person record of its own
    full_name: str
    relationship: str
    birth_date: str | None
    sex: str | None
    birth_date_estimated: bool = False

    @property
    def inline(self) -> bool:
        return self.person_id is None


@dataclass
class MemberInput:
    """A household member typed inline on the person form."""

    given_names: str = ""
    paternal_surname: str = ""
    maternal_surname: str = ""
    relationship: str = ""
    sex: str = ""
    birth_date: dt.date | None = None
    estimated_age: int | None = None  # when the birth date is not known

    @property
    def full_name(self) -> str:
        parts = (self.given_names, self.paternal_surname, self.maternal_surname)
        return " ".join(p.strip() for p in parts if p.strip())


@dataclass
class HouseholdChanges:
    """Household edits waiting for the person form's Save."""

    inline: list[MemberInput] = field(default_factory=list)
    persons: list[tuple[str, str]] = field(default_factory=list)  # (person id, relationship)
    removed: list[str] = field(default_factory=list)  # membership ids

    def __bool__(self) -> bool:
        return bool(self.inline or self.persons or self.removed)

    def count(self) -> int:
        return len(self.inline) + len(self.persons) + len(self.removed)


def validate_member(data: MemberInput, today: dt.date | None = None) -> dict[str, str]:
    """Field name -> Spanish message for an inline member (names, relationship, sex, dates)."""
    today = today or dt.date.today()
    names = ("relationship", "given_names", "paternal_surname", "maternal_surname", "sex",
             "birth_date")
    values = {name: getattr(data, name) for name in names}
    errors = validate(HOUSEHOLD_MEMBER_FIELDS, values, None, dt.datetime.combine(today, dt.time()))
    if not data.given_names.strip():
        errors["given_names"] = _("Write the member's given names.")
    if not (data.paternal_surname.strip() or data.maternal_surname.strip()):
        errors["paternal_surname"] = _("Write at least one surname.")
    if data.estimated_age is not None and not 0 <= data.estimated_age <= MAX_AGE:
        errors["birth_date"] = _("The estimated age must be between 0 and {max}.").format(max=MAX_AGE)
    return errors


def _check_relationship(relationship: str) -> None:
    if relationship not in codes(RELATIONSHIPS):
        raise ValidationError(
            {"relationship": _("Choose the relationship from the list.")},
            _("Choose the relationship from the list."),
        )


def household_of(session: Session, person_id: str) -> str | None:
    """The household the person belongs to: ``household_member`` is the one source of truth."""
    session.require(Permission.VIEW_PERSONS)
    value = session.store.scalar(
        "SELECT household_id FROM household_member WHERE person_id = ? AND deleted = 0"
        " ORDER BY id DESC LIMIT 1",
        [person_id],
    )
    return str(value) if value else None


def household_name(session: Session, household_id: str) -> str:
    """The household's name ('' if it does not exist or was deleted)."""
    session.require(Permission.VIEW_PERSONS)
    row = session.store.get("household", household_id)
    return str(row["name"] or "") if row and not row["deleted"] else ""


def _household_name_for(session: Session, person_id: str) -> str:
    person = session.store.get("person", person_id)
    if person is None:
        raise KeyError(person_id)
    return _("Household of {name}").format(
        name=f"{person['given_names']} {person['paternal_surname']}".strip()
    )


def _ensure_household_in(session: Session, tx: Writer, head_person_id: str) -> str:
    """The person's household inside ``tx``, created with them as head if they have none."""
    existing = household_of(session, head_person_id)
    if existing:
        return existing
    name = _household_name_for(session, head_person_id)
    household_id = tx.create("household", {"casa_id": session.store.casa_id, "name": name})
    tx.create(
        "household_member",
        {"household_id": household_id, "person_id": head_person_id, "relationship": HEAD},
    )
    return household_id


def ensure_household(session: Session, head_person_id: str) -> str:
    """The person's household, creating one with them as head if they have none."""
    session.require(Permission.EDIT_PERSONS)
    existing = household_of(session, head_person_id)
    if existing:
        return existing
    with session.transaction() as tx:
        return _ensure_household_in(session, tx, head_person_id)


def _add_person_in(
    session: Session, tx: Writer, household_id: str, person_id: str, relationship: str
) -> str:
    previous = session.store.rows(
        "SELECT id, household_id FROM household_member WHERE person_id = ? AND deleted = 0",
        [person_id],
    )
    for row in previous:
        if row["household_id"] == household_id:
            tx.update("household_member", row["id"], {"relationship": relationship})
            return str(row["id"])
        tx.tombstone("household_member", row["id"])
    return tx.create(
        "household_member",
        {"household_id": household_id, "person_id": person_id, "relationship": relationship},
    )


def add_member(
    session: Session, household_id: str, person_id: str, relationship: str
) -> str:
    """Put ``person_id`` in the household (leaving any other household they were in)."""
    session.require(Permission.EDIT_PERSONS)
    _check_relationship(relationship)
    with session.transaction() as tx:
        return _add_person_in(session, tx, household_id, person_id, relationship)


def _inline_fields(data: MemberInput, today: dt.date) -> dict[str, object]:
    from oma_desktop.services.persons import birth_date_from_age

    birth, estimated = data.birth_date, 0
    if birth is None and data.estimated_age is not None:
        birth, estimated = birth_date_from_age(data.estimated_age, today), 1
    return {
        "person_id": None,
        "relationship": data.relationship,
        "given_names": " ".join(data.given_names.split()),
        "paternal_surname": " ".join(data.paternal_surname.split()),
        "maternal_surname": " ".join(data.maternal_surname.split()),
        "sex": data.sex or None,
        "birth_date": birth,
        "birth_date_estimated": estimated,
    }


def check_changes(changes: HouseholdChanges, today: dt.date | None = None) -> dict[str, str]:
    """Problems of the pending edits, keyed ``household.<n>.<field>`` for inline member n."""
    errors: dict[str, str] = {}
    for index, data in enumerate(changes.inline):
        for name, message in validate_member(data, today).items():
            errors[f"household.{index}.{name}"] = message
    for index, (_person, relationship) in enumerate(changes.persons):
        if relationship not in codes(RELATIONSHIPS):
            errors[f"household.person.{index}"] = _("Choose the relationship from the list.")
    return errors


def write_household_changes(
    session: Session, tx: Writer, person_id: str, changes: HouseholdChanges,
    today: dt.date | None = None,
) -> None:
    """Write the person form's household edits inside ``tx`` (the person's own transaction).

    The caller validated them with :func:`check_changes`. The household is created, with
    ``person_id`` as head, when the first member is added.
    """
    if not changes:
        return
    today = today or dt.date.today()
    for member_id in changes.removed:
        tx.tombstone("household_member", member_id)
    if not (changes.inline or changes.persons):
        return
    household_id = _ensure_household_in(session, tx, person_id)
    for data in changes.inline:
        tx.create("household_member", {"household_id": household_id, **_inline_fields(data, today)})
    for other_id, relationship in changes.persons:
        _add_person_in(session, tx, household_id, other_id, relationship)


def remove_member(session: Session, member_id: str) -> None:
    session.require(Permission.EDIT_PERSONS)
    store = session.store
    row = store.get("household_member", member_id)
    if row is None:
        raise KeyError(member_id)
    with session.transaction() as tx:
        tx.tombstone("household_member", member_id)


def members(session: Session, household_id: str) -> list[Member]:
    """Registered and inline members (an inline member's own names and dates), head first."""
    session.require(Permission.VIEW_PERSONS)
    rows = session.store.rows(
        "SELECT m.id, m.person_id, m.relationship,"
        " CASE WHEN p.id IS NULL THEN m.given_names ELSE p.given_names END AS given_names,"
        " CASE WHEN p.id IS NULL THEN m.paternal_surname ELSE p.paternal_surname END AS paternal,"
        " CASE WHEN p.id IS NULL THEN m.maternal_surname ELSE p.maternal_surname END AS maternal,"
        " CASE WHEN p.id IS NULL THEN m.birth_date ELSE p.birth_date END AS birth_date,"
        " CASE WHEN p.id IS NULL THEN m.birth_date_estimated ELSE p.birth_date_estimated END"
        "  AS estimated,"
        " CASE WHEN p.id IS NULL THEN m.sex ELSE p.sex END AS sex"
        " FROM household_member m LEFT JOIN person p ON p.id = m.person_id"
        " WHERE m.household_id = ? AND m.deleted = 0 AND (m.person_id IS NULL OR p.deleted = 0)"
        " ORDER BY m.relationship != 'jefe_hogar', birth_date, m.id",
        [household_id],
    )
    return [
        Member(
            member_id=r["id"],
            person_id=r["person_id"],
            full_name=" ".join(x for x in (r["given_names"], r["paternal"], r["maternal"]) if x),
            relationship=r["relationship"],
            birth_date=r["birth_date"],
            sex=r["sex"],
            birth_date_estimated=bool(r["estimated"]),
        )
        for r in rows
    ]


def promote_member(session: Session, member_id: str, today: dt.date | None = None) -> str:
    """Give an inline member a person record of their own; returns the new person's id.

    In one transaction: the person is created from the member's names, sex and birth date,
    with the nationality and address of the household's head (whose consent covered the
    member), and the membership points to them from then on.
    """
    session.require(Permission.EDIT_PERSONS)
    from oma_desktop.services.persons import PersonInput, age_on, validate_person, write_new_person

    today = today or dt.date.today()
    store = session.store
    row = store.get("household_member", member_id)
    if row is None or row["deleted"]:
        raise KeyError(member_id)
    if row["person_id"]:
        raise ValidationError({}, _("This member already has a record of their own."))
    head = store.one(
        "SELECT p.* FROM household_member m JOIN person p ON p.id = m.person_id"
        " WHERE m.household_id = ? AND m.deleted = 0 AND p.deleted = 0"
        " ORDER BY m.relationship != 'jefe_hogar' LIMIT 1",
        [row["household_id"]],
    )
    data = PersonInput(
        given_names=row["given_names"], paternal_surname=row["paternal_surname"],
        maternal_surname=row["maternal_surname"], sex=row["sex"] or "",
        consent_register=True,
    )
    if row["birth_date"] and row["birth_date_estimated"]:
        data.estimated_age = age_on(row["birth_date"], today)
    elif row["birth_date"]:
        data.birth_date = dt.date.fromisoformat(row["birth_date"][:10])
    if head is not None:
        data.nationality = head["nationality"] or ""
        data.district_ubigeo = head["district_ubigeo"] or ""
        data.zone, data.address_ref = head["zone"] or "", head["address_ref"] or ""
        head_name = " ".join(x for x in (head["given_names"], head["paternal_surname"]) if x)
        data.notes = _("Recorded from the household of {name}, under their consent.").format(
            name=head_name
        )
    errors = validate_person(data, session.catalogs, today)
    if errors:
        raise ValidationError(errors, _(
            "The record cannot be created: {problems} Complete the member's details first."
        ).format(problems=" ".join(dict.fromkeys(errors.values()))))
    with session.transaction() as tx:
        person_id = write_new_person(session, tx, data, today)
        if row["birth_date"] and row["birth_date_estimated"]:
            tx.update("person", person_id, {"birth_date": row["birth_date"]})
        tx.update("household_member", member_id, {"person_id": person_id})
    return person_id
