"""Histories read back from the change log, and logged values as a clerk reads them.

The one place that turns ``change_log`` rows into "who changed what and when": the person
form's history tab, the consultation form's history and the person timeline all read
here. Field labels, which fields are bookkeeping and the order they are listed in come
from the field tables (``core.fields``); codes become labels, dates ``dd/mm/aaaa``,
countries, districts, document types, topics, casas, staff and households their names.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.clock import to_datetime
from oma_desktop.core.fields import TABLES, Kind, code_text, form_order, spec
from oma_desktop.core.vocab import label
from oma_desktop.i18n import (
    _,
    country_name,
    current_language,
    format_date,
    format_datetime,
    format_number,
)
from oma_desktop.services.permissions import (
    SENSITIVE_CONSULTATION_FIELDS,
    SENSITIVE_PERSON_FIELDS,
    Permission,
    is_sensitive_consultation,
    reserved_text,
)
from oma_desktop.services.session import Session


@dataclass(frozen=True)
class Change:
    """One logged write to a record."""

    when: dt.datetime  # local time
    user: str  # the staff member's display name
    kind: str  # create | update | tombstone | link
    entity: str
    entity_id: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class ShownField:
    """A logged field worth showing: its history label and its value as text."""

    name: str
    label: str
    text: str


@dataclass(frozen=True)
class HistoryEntry:
    """A change with what to call it, what it is about and the fields to show."""

    change: Change
    title: str  # "Registered", "Details changed", "Document added"...
    subject: str = ""  # the document or household it is about
    fields: tuple[ShownField, ...] = ()
    record: Mapping[str, Any] = field(default_factory=dict)  # the record as it is now


def _local(hlc: int) -> dt.datetime:
    return to_datetime(hlc).astimezone().replace(tzinfo=None)


def changes(session: Session, entity_ids: Sequence[str]) -> list[Change]:
    """Every logged write to the records ``entity_ids``, newest first."""
    session.require(Permission.VIEW_PERSONS)
    if not entity_ids:
        return []
    marks = ",".join("?" * len(entity_ids))
    rows = session.store.rows(
        "SELECT c.hlc, c.kind, c.entity, c.entity_id, c.fields,"
        " coalesce(u.display_name, c.user_id) AS user"
        " FROM change_log c LEFT JOIN app_user u ON u.id = c.user_id"
        f" WHERE c.entity_id IN ({marks}) ORDER BY c.hlc DESC, c.rowid DESC",
        list(entity_ids),
    )
    return [
        Change(
            when=_local(r["hlc"]),
            user=str(r["user"]),
            kind=str(r["kind"]),
            entity=str(r["entity"]),
            entity_id=str(r["entity_id"]),
            fields=json.loads(r["fields"]),
        )
        for r in rows
    ]


def record_history(session: Session, entity_id: str) -> list[Change]:
    """Every logged write to one record, newest first."""
    return changes(session, [entity_id])


# --- values -----------------------------------------------------------------------------------


def document_label(catalogs: Catalogs, doc_type: str | None, number: str | None) -> str:
    """``Pasaporte 123456`` with the document type's label (the code if unknown)."""
    if not doc_type:
        return number or ""
    try:
        name = catalogs.document_type(doc_type).label(current_language())
    except KeyError:
        name = doc_type
    return f"{name} {number}".strip() if number else name


def topic_names(catalogs: Catalogs, topics: str | Iterable[str] | None) -> str:
    """Topic labels, comma-separated, from the codes or their JSON list."""
    if isinstance(topics, str):
        topics = json.loads(topics or "[]")
    lang = current_language()
    names = []
    for code in topics or ():
        try:
            names.append(catalogs.topic(code).label(lang))
        except KeyError:
            names.append(code)
    return ", ".join(names)


_NAME_SQL = {
    "casas": "SELECT name FROM casa WHERE id = ?",
    "users": "SELECT display_name FROM app_user WHERE id = ?",
    "households": "SELECT name FROM household WHERE id = ?",
    "persons": "SELECT trim(given_names || ' ' || paternal_surname || ' ' || maternal_surname)"
    " FROM person WHERE id = ?",
}


class Formatter:
    """Logged values as text; names of casas, staff, households and persons looked up once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._names: dict[tuple[str, str], str] = {}

    def name_of(self, catalog: str, record_id: str) -> str:
        key = (catalog, record_id)
        if key not in self._names:
            sql = _NAME_SQL.get(catalog)
            found = self.session.store.scalar(sql, [record_id]) if sql else None
            self._names[key] = " ".join(str(found).split()) if found else record_id
        return self._names[key]

    def text(self, entity: str, name: str, value: Any) -> str:
        """``value`` of ``entity``'s field ``name`` as a clerk reads it."""
        if value is None or value == "":
            return _("(empty)")
        found = spec(entity, name)
        if found is None:
            return str(value)
        catalogs = self.session.catalogs
        kind = found.kind
        try:
            if kind is Kind.BOOL:
                return _("Yes") if value else _("No")
            if kind is Kind.DATE:
                return format_date(str(value))
            if kind is Kind.DATETIME:
                return format_datetime(str(value))
        except ValueError:
            return str(value)
        if found.vocabulary:
            return label(found.vocabulary, code_text(found, value))
        if found.catalog == "countries":
            return country_name(str(value))
        if found.catalog == "districts":
            try:
                return catalogs.district(str(value)).label(current_language())
            except KeyError:
                return str(value)
        if found.catalog == "document_types":
            return document_label(catalogs, str(value), None)
        if found.catalog == "topics":
            return topic_names(catalogs, value)
        if kind is Kind.REFERENCE:
            return self.name_of(found.catalog, str(value))
        if kind is Kind.NUMBER and isinstance(value, (int, float)):
            return format_number(value)
        return str(value)


def shown_fields(
    change: Change, formatter: Formatter, withheld: frozenset[str] = frozenset()
) -> tuple[ShownField, ...]:
    """The fields of ``change`` worth showing, in form order, with their values as text.

    Bookkeeping fields are left out, and so are the empty values of a creation and the
    ``deleted`` flag of a deletion (the title says it). The values of the ``withheld``
    fields (the acting user may not see them) read «Reservado».
    """
    order = form_order(change.entity) if change.entity in TABLES else {}
    picked = []
    for name, value in change.fields.items():
        found = spec(change.entity, name)
        if found is not None and not found.history:
            continue
        if change.kind == "create" and value in (None, "", 0, "[]"):
            continue
        if change.kind == "tombstone" and name == "deleted":
            continue
        title = found.shown_history_label if found is not None else name
        text = reserved_text() if name in withheld else formatter.text(change.entity, name, value)
        picked.append(ShownField(name, title, text))
    picked.sort(key=lambda f: order.get(f.name, len(order)))
    return tuple(picked)


# --- the person's history ---------------------------------------------------------------------


def _titles() -> dict[str, dict[str, str]]:
    return {
        "person": {"create": _("Registered"), "update": _("Details changed"),
                   "tombstone": _("Deleted")},
        "document": {"create": _("Document added"), "update": _("Document changed"),
                     "tombstone": _("Document removed")},
        "household_member": {"create": _("Joined a household"),
                             "update": _("Relationship in the household changed"),
                             "tombstone": _("Left the household")},
    }


def person_history(session: Session, person_id: str) -> list[HistoryEntry]:
    """Logged writes to the person, their documents and their household memberships.

    Newest first; the registration goes below the documents written with it. Updates that
    only touched bookkeeping fields are left out.
    """
    session.require(Permission.VIEW_PERSONS)
    store = session.store
    documents = {
        str(r["id"]): r
        for r in store.rows(
            "SELECT id, doc_type, number, expiry_date, deleted FROM document WHERE person_id = ?",
            [person_id],
        )
    }
    memberships = {
        str(r["id"]): r
        for r in store.rows(
            "SELECT id, household_id, relationship, deleted FROM household_member"
            " WHERE person_id = ?",
            [person_id],
        )
    }
    formatter = Formatter(session)
    titles = _titles()
    hidden = frozenset() if session.can(Permission.VIEW_SENSITIVE) else SENSITIVE_PERSON_FIELDS
    entries = []
    for change in changes(session, [person_id, *documents, *memberships]):
        record: Mapping[str, Any] = {}
        subject = ""
        if change.entity == "document":
            record = documents[change.entity_id]
            subject = document_label(session.catalogs, record["doc_type"], record["number"])
        elif change.entity == "household_member":
            record = memberships[change.entity_id]
            subject = formatter.name_of("households", str(record["household_id"]))
        fields = shown_fields(change, formatter, hidden if change.entity == "person" else frozenset())
        if change.kind == "update" and not fields:
            continue
        title = titles.get(change.entity, {}).get(change.kind, change.kind)
        entries.append(HistoryEntry(change, title, subject, fields, record))
    entries.sort(
        key=lambda e: (e.change.when, not (e.change.kind == "create" and e.change.entity == "person")),
        reverse=True,
    )
    return entries


# --- a consultation's history -----------------------------------------------------------------


def consultation_history(session: Session, consultation_id: str) -> list[HistoryEntry]:
    """The logged writes to one consultation, newest first, each titled in one phrase."""
    session.require(Permission.VIEW_PERSONS)
    formatter = Formatter(session)
    entries = []
    logged = record_history(session, consultation_id)
    hidden: frozenset[str] = frozenset()
    if not session.can(Permission.VIEW_SENSITIVE) and any(
        is_sensitive_consultation(session.catalogs, json.loads(c.fields["topics"] or "[]"))
        for c in logged if isinstance(c.fields.get("topics"), str)
    ):  # on a sensitive topic now or before: its content is not for this role
        hidden = SENSITIVE_CONSULTATION_FIELDS
    for change in logged:
        fields = shown_fields(change, formatter, hidden)
        if change.kind == "create":
            title = _("created the consultation")
        elif change.kind == "link":
            title = _("linked it to a registered person")
        elif change.kind == "tombstone":
            title = _("deleted it")
        elif fields:
            title = _("changed {fields}").format(fields=", ".join(f.label for f in fields))
        else:
            title = _("changed it")
        entries.append(HistoryEntry(change, title, "", fields))
    return entries


def history_line(entry: HistoryEntry) -> str:
    """``"27/11/2026 15:30 — Recepción: changed What was asked, Topics"``."""
    return _("{when} — {user}: {what}").format(
        when=format_datetime(entry.change.when), user=entry.change.user, what=entry.title
    )
