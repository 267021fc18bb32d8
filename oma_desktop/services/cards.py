"""A person at a glance: what the summary beside the search results shows.

One read for the whole card, so the screen never touches the store; the place where
field-level privacy filters what the acting user may see: a role without
``VIEW_SENSITIVE`` gets the sensitive fields as None, named in ``withheld``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from oma_desktop.services import audit
from oma_desktop.services.households import Member, household_of, members
from oma_desktop.services.permissions import SENSITIVE_PERSON_FIELDS, Permission, mask_person
from oma_desktop.services.session import Session
from oma_desktop.services.timeline import TimelineEntry, person_timeline


@dataclass(frozen=True)
class DocumentLine:
    doc_type: str
    number: str
    expiry_date: dt.date | None


@dataclass(frozen=True)
class PersonCard:
    person_id: str
    fields: Mapping[str, Any]  # the stored person record, read-only
    documents: list[DocumentLine] = field(default_factory=list)
    household_id: str | None = None
    others: list[Member] = field(default_factory=list)  # the other household members
    timeline: list[TimelineEntry] = field(default_factory=list)
    withheld: frozenset[str] = frozenset()  # fields set to None: the role may not see them

    @property
    def full_name(self) -> str:
        f = self.fields
        return " ".join(
            str(f[k]) for k in ("given_names", "paternal_surname", "maternal_surname") if f[k]
        )


def person_card(session: Session, person_id: str, with_timeline: bool = True) -> PersonCard | None:
    """The card of ``person_id``; None if there is no such person or they were deleted."""
    session.require(Permission.VIEW_PERSONS)
    store = session.store
    row = store.get("person", person_id)
    if row is None or row["deleted"]:
        return None
    audit.viewed_person(session, person_id)  # one entry per opening (issue #9.4)
    documents = [
        DocumentLine(
            doc_type=str(d["doc_type"] or ""),
            number=str(d["number"] or ""),
            expiry_date=dt.date.fromisoformat(d["expiry_date"][:10]) if d["expiry_date"] else None,
        )
        for d in store.rows(
            "SELECT doc_type, number, expiry_date FROM document"
            " WHERE person_id = ? AND deleted = 0 ORDER BY rowid",
            [person_id],
        )
    ]
    household_id = household_of(session, person_id)
    others = (
        [m for m in members(session, household_id) if m.person_id != person_id]
        if household_id else []
    )
    hidden = not session.can(Permission.VIEW_SENSITIVE)
    return PersonCard(
        person_id=person_id,
        fields=mask_person(row) if hidden else dict(row),
        withheld=SENSITIVE_PERSON_FIELDS if hidden else frozenset(),
        documents=documents,
        household_id=household_id,
        others=others,
        timeline=person_timeline(session, person_id) if with_timeline else [],
    )
