"""Households: people who live together, with their relationship to the head."""

from __future__ import annotations

from dataclasses import dataclass

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.vocab import RELATIONSHIPS, codes
from oma_desktop.i18n import _
from oma_desktop.services.session import Session


@dataclass(frozen=True)
class Member:
    member_id: str
    person_id: str
    full_name: str
    relationship: str
    birth_date: str | None
    sex: str | None


def _check_relationship(relationship: str) -> None:
    if relationship not in codes(RELATIONSHIPS):
        raise ValidationError(
            {"relationship": _("Choose the relationship from the list.")},
            _("Choose the relationship from the list."),
        )


def household_of(session: Session, person_id: str) -> str | None:
    """The household the person belongs to: ``household_member`` is the one source of truth."""
    value = session.store.scalar(
        "SELECT household_id FROM household_member WHERE person_id = ? AND deleted = 0"
        " ORDER BY id DESC LIMIT 1",
        [person_id],
    )
    return str(value) if value else None


def household_name(session: Session, household_id: str) -> str:
    """The household's name ('' if it does not exist or was deleted)."""
    row = session.store.get("household", household_id)
    return str(row["name"] or "") if row and not row["deleted"] else ""


def ensure_household(session: Session, head_person_id: str) -> str:
    """The person's household, creating one with them as head if they have none."""
    store = session.store
    existing = household_of(session, head_person_id)
    if existing:
        return existing
    person = store.get("person", head_person_id)
    if person is None:
        raise KeyError(head_person_id)
    name = _("Household of {name}").format(
        name=f"{person['given_names']} {person['paternal_surname']}".strip()
    )
    with session.transaction() as tx:
        household_id = tx.create("household", {"casa_id": store.casa_id, "name": name})
        tx.create(
            "household_member",
            {"household_id": household_id, "person_id": head_person_id, "relationship": "jefe_hogar"},
        )
    return household_id


def add_member(
    session: Session, household_id: str, person_id: str, relationship: str
) -> str:
    """Put ``person_id`` in the household (leaving any other household they were in)."""
    _check_relationship(relationship)
    store = session.store
    previous = store.rows(
        "SELECT id, household_id FROM household_member WHERE person_id = ? AND deleted = 0",
        [person_id],
    )
    with session.transaction() as tx:
        for row in previous:
            if row["household_id"] == household_id:
                tx.update("household_member", row["id"], {"relationship": relationship})
                return str(row["id"])
            tx.tombstone("household_member", row["id"])
        member_id = tx.create(
            "household_member",
            {"household_id": household_id, "person_id": person_id, "relationship": relationship},
        )
    return member_id


def remove_member(session: Session, member_id: str) -> None:
    store = session.store
    row = store.get("household_member", member_id)
    if row is None:
        raise KeyError(member_id)
    with session.transaction() as tx:
        tx.tombstone("household_member", member_id)


def members(session: Session, household_id: str) -> list[Member]:
    rows = session.store.rows(
        "SELECT m.id, m.person_id, m.relationship, p.given_names, p.paternal_surname,"
        " p.maternal_surname, p.birth_date, p.sex FROM household_member m"
        " JOIN person p ON p.id = m.person_id"
        " WHERE m.household_id = ? AND m.deleted = 0 AND p.deleted = 0"
        " ORDER BY m.relationship != 'jefe_hogar', p.birth_date",
        [household_id],
    )
    return [
        Member(
            member_id=r["id"],
            person_id=r["person_id"],
            full_name=" ".join(
                x for x in (r["given_names"], r["paternal_surname"], r["maternal_surname"]) if x
            ),
            relationship=r["relationship"],
            birth_date=r["birth_date"],
            sex=r["sex"],
        )
        for r in rows
    ]
