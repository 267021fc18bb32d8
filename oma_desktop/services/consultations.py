"""Record a consultation (atención), a quick anonymous walk-in, edits (their history is
read by ``services.history``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.errors import ValidationError
from oma_desktop.core.fields import CONSULTATION_FIELDS, typed_values, validate
from oma_desktop.i18n import _
from oma_desktop.services.permissions import (
    SENSITIVE_CONSULTATION_FIELDS,
    Permission,
    is_sensitive_consultation,
)
from oma_desktop.services.session import Session

ANONYMOUS_FIELDS = ("anon_sex", "anon_age", "anon_nationality")


@dataclass
class ConsultationInput:
    person_id: str | None = None
    occurred_at: dt.datetime | None = None
    casa_id: str = ""
    staff_user_id: str = ""
    channel: str = "presencial"
    topics: list[str] = field(default_factory=list)
    summary: str = ""
    actions: str = ""
    outcome: str = ""
    follow_up_date: dt.date | None = None
    anon_sex: str = ""
    anon_age: int | None = None
    anon_nationality: str = ""
    # on a sensitive topic and the acting user's role may not read it: topics, summary,
    # actions and outcome come empty, and an edit keeps them as stored
    withheld: bool = False

    @property
    def anonymous(self) -> bool:
        return self.person_id is None


def validate_consultation(
    data: ConsultationInput, catalogs: Catalogs | None = None, now: dt.datetime | None = None
) -> dict[str, str]:
    """Field name -> Spanish message for every problem; empty when it can be saved.

    Each field's own rules come from ``core.fields.CONSULTATION_FIELDS`` (the walk-in's
    sex, age and nationality only for an anonymous consultation); the follow-up date
    cannot come before the consultation.
    """
    values = typed_values(data, CONSULTATION_FIELDS)
    if not data.anonymous:
        values = {k: v for k, v in values.items() if k not in ANONYMOUS_FIELDS}
    errors = validate(CONSULTATION_FIELDS, values, catalogs, now or dt.datetime.now())
    if (
        data.follow_up_date is not None
        and data.occurred_at is not None
        and data.follow_up_date < data.occurred_at.date()
    ):
        errors["follow_up_date"] = _("The follow-up date is before the consultation.")
    return errors


def consultation_fields(session: Session, data: ConsultationInput) -> dict[str, Any]:
    """The stored columns for ``data`` (casa and staff default to the session's)."""
    anonymous = data.anonymous
    return {
        "person_id": data.person_id,
        "casa_id": data.casa_id or session.casa_id,
        "staff_user_id": data.staff_user_id or session.user_id,
        "occurred_at": (data.occurred_at or dt.datetime.now()).isoformat(timespec="minutes"),
        "channel": data.channel,
        "topics": json.dumps(list(dict.fromkeys(data.topics)), ensure_ascii=False),
        "summary": data.summary.strip(),
        "actions": data.actions.strip(),
        "outcome": data.outcome.strip(),
        "follow_up_date": data.follow_up_date,
        "anon_sex": (data.anon_sex or None) if anonymous else None,
        "anon_age": data.anon_age if anonymous else None,
        "anon_nationality": (data.anon_nationality or None) if anonymous else None,
    }


def record_consultation(
    session: Session,
    data: ConsultationInput,
    now: dt.datetime | None = None,
) -> str:
    """Validate and save a consultation; returns its id."""
    session.require(Permission.RECORD_CONSULTATION)
    if data.occurred_at is None:
        data.occurred_at = (now or dt.datetime.now()).replace(second=0, microsecond=0)
    errors = validate_consultation(data, session.catalogs, now)
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    with session.transaction() as tx:
        return tx.create("consultation", consultation_fields(session, data))


def update_consultation(
    session: Session,
    consultation_id: str,
    data: ConsultationInput,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Save edits; the change log keeps who changed what and when.

    The content of a consultation on a sensitive topic that the acting user may not read
    (``data.withheld``) is kept as stored.
    """
    session.require(Permission.RECORD_CONSULTATION)
    current = session.store.get("consultation", consultation_id)
    if current is None:
        raise KeyError(consultation_id)
    hidden = _withheld(session, current)
    if hidden:
        data = dataclasses.replace(data, topics=list(json.loads(current["topics"])))
    errors = validate_consultation(data, session.catalogs, now)
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    fields = consultation_fields(session, data)
    if hidden:
        for name in SENSITIVE_CONSULTATION_FIELDS:
            fields[name] = current[name]
    fields["staff_user_id"] = data.staff_user_id or current["staff_user_id"]
    with session.transaction() as tx:
        return tx.update("consultation", consultation_id, fields)


def link_to_person(session: Session, consultation_id: str, person_id: str) -> None:
    """Attach an anonymous walk-in to the person it turned out to be."""
    session.require(Permission.RECORD_CONSULTATION)
    with session.transaction() as tx:
        tx.update(
            "consultation",
            consultation_id,
            {"person_id": person_id, "anon_sex": None, "anon_age": None, "anon_nationality": None},
            kind="link",
        )


def set_follow_up_done(session: Session, consultation_id: str, done: bool = True) -> None:
    session.require(Permission.RECORD_CONSULTATION)
    with session.transaction() as tx:
        tx.update("consultation", consultation_id, {"follow_up_done": int(done)})


def _withheld(session: Session, row: Any) -> bool:
    """Whether the stored consultation ``row`` is on a sensitive topic the acting user
    may not read."""
    return not session.can(Permission.VIEW_SENSITIVE) and is_sensitive_consultation(
        session.catalogs, json.loads(row["topics"] or "[]"))


def load_consultation(session: Session, consultation_id: str) -> ConsultationInput:
    """The stored consultation (for its form); on a sensitive topic the acting user may
    not read, its content comes empty with ``withheld`` set."""
    session.require(Permission.VIEW_PERSONS)
    row = session.store.get("consultation", consultation_id)
    if row is None:
        raise KeyError(consultation_id)
    if _withheld(session, row):
        row = {**row, "topics": "[]", "summary": "", "actions": "", "outcome": ""}
        return dataclasses.replace(_input(row), withheld=True)
    return _input(row)


def _input(row: Any) -> ConsultationInput:
    return ConsultationInput(
        person_id=row["person_id"],
        occurred_at=dt.datetime.fromisoformat(row["occurred_at"]),
        casa_id=row["casa_id"],
        staff_user_id=row["staff_user_id"] or "",
        channel=row["channel"],
        topics=list(json.loads(row["topics"])),
        summary=row["summary"],
        actions=row["actions"],
        outcome=row["outcome"],
        follow_up_date=dt.date.fromisoformat(row["follow_up_date"]) if row["follow_up_date"] else None,
        anon_sex=row["anon_sex"] or "",
        anon_age=row["anon_age"],
        anon_nationality=row["anon_nationality"] or "",
    )
