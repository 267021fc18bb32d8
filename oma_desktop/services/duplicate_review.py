"""Posibles duplicados por revisar: import rows that may be a person already registered.

An import never merges two people silently and never registers a probable duplicate
either: such a row (its person and consultations, as typed) waits in ``duplicate_review``
until a coordinator decides:

* **misma persona** (:func:`resolve_same`): the row's consultations are recorded for the
  chosen registered person; what the row typed is then offered as changes to that record
  (``services.same_person.offered_changes``/``accept_changes``);
* **otra persona** (:func:`resolve_different`): the row is registered as a new person with
  its consultations.

Each decision is one transaction and is recorded (who, when, which person).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from oma_desktop.core.errors import OmaError
from oma_desktop.core.store import Writer
from oma_desktop.i18n import _, format_date
from oma_desktop.services.consultations import ConsultationInput, consultation_fields
from oma_desktop.services.permissions import Permission
from oma_desktop.services.persons import DocumentInput, PersonInput, write_new_person
from oma_desktop.services.session import Session

PENDING, SAME, DIFFERENT = "pending", "same", "different"


@dataclass
class ReviewEntry:
    """One probable duplicate waiting for (or resolved by) a coordinator."""

    id: str
    source: str
    rows: list[int]
    person: PersonInput
    consultations: list[ConsultationInput]
    candidates: list[str]
    status: str
    created_at: str
    person_id: str | None = None

    @property
    def full_name(self) -> str:
        p = self.person
        return " ".join(x for x in (p.given_names, p.paternal_surname, p.maternal_surname) if x)

    @property
    def birth_text(self) -> str:
        if self.person.birth_date is not None:
            return format_date(self.person.birth_date)
        if self.person.estimated_age is not None:
            return _("{age} years (estimated)").format(age=self.person.estimated_age)
        return ""

    @property
    def document_text(self) -> str:
        return ", ".join(f"{d.doc_type} {d.number}".strip() for d in self.person.documents
                         if d.doc_type)

    @property
    def origin_text(self) -> str:
        """``lista.xlsx, fila 12``: where the row came from."""
        rows = ", ".join(str(r) for r in self.rows)
        if self.source:
            return _("{file}, row {rows}").format(file=self.source, rows=rows)
        return _("row {rows}").format(rows=rows)


# ------------------------------------------------------------------ JSON of the typed row


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _to_dict(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _to_dict(obj: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def person_from_dict(data: dict[str, Any]) -> PersonInput:
    person = PersonInput(**{k: v for k, v in data.items() if k != "documents"})
    person.birth_date = _date(data.get("birth_date"))
    person.arrival_date = _date(data.get("arrival_date"))
    person.vulnerabilities = set(data.get("vulnerabilities") or ())
    person.wg = dict(data.get("wg") or {})
    person.documents = [
        DocumentInput(**{**d, "issue_date": _date(d.get("issue_date")),
                         "expiry_date": _date(d.get("expiry_date"))})
        for d in data.get("documents") or ()
    ]
    return person


def consultation_from_dict(data: dict[str, Any]) -> ConsultationInput:
    cons = ConsultationInput(**data)
    cons.occurred_at = dt.datetime.fromisoformat(data["occurred_at"]) if data.get(
        "occurred_at") else None
    cons.follow_up_date = _date(data.get("follow_up_date"))
    cons.topics = list(data.get("topics") or ())
    return cons


def add_review(
    session: Session, tx: Writer, *, source: str, rows: Sequence[int], person: PersonInput,
    consultations: Sequence[ConsultationInput], candidates: Sequence[str],
) -> str:
    """Put one probable duplicate on the list, inside the import's transaction."""
    session.require(Permission.IMPORT)
    data = {"rows": list(rows), "person": _to_dict(person),
            "consultations": [_to_dict(c) for c in consultations]}
    return tx.create("duplicate_review", {
        "casa_id": session.casa_id,
        "source": source,
        "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
        "candidates": json.dumps(list(candidates)),
        "status": PENDING,
        "created_at": dt.datetime.now().isoformat(timespec="seconds"),
    })


def _entry(row: dict[str, Any]) -> ReviewEntry:
    data = json.loads(row["data"])
    return ReviewEntry(
        id=row["id"], source=row["source"], rows=list(data.get("rows") or ()),
        person=person_from_dict(data["person"]),
        consultations=[consultation_from_dict(c) for c in data.get("consultations") or ()],
        candidates=list(json.loads(row["candidates"] or "[]")), status=row["status"],
        created_at=row["created_at"], person_id=row["person_id"],
    )


def pending_reviews(session: Session) -> list[ReviewEntry]:
    """The probable duplicates still to decide at this casa, oldest first."""
    session.require(Permission.VIEW_PERSONS)
    return [_entry(r) for r in session.store.rows(
        "SELECT * FROM duplicate_review WHERE status = 'pending' AND deleted = 0"
        " AND casa_id = ? ORDER BY created_at, rowid", [session.casa_id])]


def person_names(session: Session, person_ids: Sequence[str]) -> list[str]:
    """The full names of registered persons, in the order given (missing ones left out)."""
    session.require(Permission.VIEW_PERSONS)
    out = []
    for person_id in person_ids:
        row = session.store.get("person", person_id)
        if row is not None and not row["deleted"]:
            out.append(" ".join(p for p in (row["given_names"], row["paternal_surname"],
                                            row["maternal_surname"]) if p))
    return out


def pending_count(session: Session) -> int:
    session.require(Permission.VIEW_PERSONS)
    return int(session.store.scalar(
        "SELECT count(*) FROM duplicate_review WHERE status = 'pending' AND deleted = 0"
        " AND casa_id = ?", [session.casa_id]) or 0)


def load_review(session: Session, review_id: str) -> ReviewEntry:
    session.require(Permission.VIEW_PERSONS)
    row = session.store.get("duplicate_review", review_id)
    if row is None or row["deleted"]:
        raise OmaError(_("This possible duplicate no longer exists. Refresh the list."))
    return _entry(row)


def _pending(session: Session, review_id: str) -> ReviewEntry:
    entry = load_review(session, review_id)
    if entry.status != PENDING:
        raise OmaError(_("This possible duplicate was already decided by someone else. Refresh "
                         "the list."))
    return entry


def _close(session: Session, tx: Writer, review_id: str, status: str, person_id: str) -> None:
    tx.update("duplicate_review", review_id, {
        "status": status, "person_id": person_id, "resolved_by": session.user_id,
        "resolved_at": dt.datetime.now().isoformat(timespec="seconds"),
    })


def _registered_keys(session: Session, person_id: str) -> set[tuple[str, frozenset[str]]]:
    return {(str(r["occurred_at"])[:10], frozenset(json.loads(r["topics"])))
            for r in session.store.rows(
                "SELECT occurred_at, topics FROM consultation WHERE person_id = ? AND deleted = 0",
                [person_id])}


def _write_consultations(session: Session, tx: Writer, entry: ReviewEntry, person_id: str,
                         known: set[tuple[str, frozenset[str]]]) -> int:
    written = 0
    for cons in entry.consultations:
        if cons.occurred_at is None:
            continue
        key = (cons.occurred_at.date().isoformat(), frozenset(cons.topics))
        if key in known:
            continue  # already recorded for this person (same day and topics)
        known.add(key)
        tx.create("consultation", consultation_fields(
            session, dataclasses.replace(cons, person_id=person_id)))
        written += 1
    return written


def resolve_same(session: Session, review_id: str, person_id: str) -> int:
    """"Misma persona": record the row's consultations for ``person_id``; how many.

    The typed values are not written here: the screen offers them as changes
    (``services.same_person``) and writes only those the coordinator accepts.
    """
    session.require(Permission.IMPORT)
    entry = _pending(session, review_id)
    person = session.store.get("person", person_id)
    if person is None or person["deleted"]:
        raise OmaError(_("The chosen person no longer exists. Refresh the list."))
    with session.transaction() as tx:
        written = _write_consultations(session, tx, entry, person_id,
                                       _registered_keys(session, person_id))
        _close(session, tx, review_id, SAME, person_id)
    return written


def resolve_different(session: Session, review_id: str, today: dt.date | None = None) -> str:
    """"Otra persona": register the row as a new person with its consultations; the id."""
    session.require(Permission.IMPORT)
    entry = _pending(session, review_id)
    with session.transaction() as tx:
        person_id = write_new_person(session, tx, entry.person, today or dt.date.today())
        _write_consultations(session, tx, entry, person_id, set())
        _close(session, tx, review_id, DIFFERENT, person_id)
    return person_id


__all__ = [
    "DIFFERENT", "PENDING", "SAME", "ReviewEntry", "add_review", "consultation_from_dict",
    "load_review", "pending_count", "pending_reviews", "person_from_dict", "person_names",
    "resolve_different", "resolve_same",
]
