"""A person's timeline: consultations, documents, household and changes, newest first."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.clock import to_datetime
from oma_desktop.core.vocab import (
    CHANNELS,
    RELATIONSHIPS,
    document_short_label,
    field_label,
    label,
)
from oma_desktop.i18n import _, current_language, format_date
from oma_desktop.services.session import Session

# fields that are noise in a human-readable history
_HIDDEN_FIELDS = frozenset(
    {"created_at", "casa_id", "consent_date", "consent_recorded_by", "household_id"}
)


@dataclass(frozen=True)
class TimelineEntry:
    when: dt.datetime
    kind: str  # consultation | document | household | registered | change
    title: str
    detail: str
    user: str
    ref_id: str


def _local(hlc: int) -> dt.datetime:
    return to_datetime(hlc).astimezone().replace(tzinfo=None)


def topic_labels(catalogs: Catalogs, topics_json: str) -> str:
    lang = current_language()
    names = []
    for code in json.loads(topics_json or "[]"):
        try:
            names.append(catalogs.topic(code).label(lang))
        except KeyError:
            names.append(code)
    return ", ".join(names)


def person_timeline(session: Session, person_id: str) -> list[TimelineEntry]:
    store, catalogs = session.store, session.catalogs
    entries: list[TimelineEntry] = []
    users: dict[str, str] = {
        r["id"]: r["display_name"] for r in store.rows("SELECT id, display_name FROM app_user")
    }
    casas: dict[str, str] = {r["id"]: r["name"] for r in store.rows("SELECT id, name FROM casa")}
    for c in store.rows(
        "SELECT id, occurred_at, channel, topics, summary, actions, staff_user_id, casa_id"
        " FROM consultation WHERE person_id = ? AND deleted = 0",
        [person_id],
    ):
        detail = topic_labels(catalogs, c["topics"])
        if c["summary"]:
            detail += f" — {c['summary']}"
        entries.append(TimelineEntry(
            when=dt.datetime.fromisoformat(c["occurred_at"]),
            kind="consultation",
            title=_("Consultation ({channel}) at {casa}").format(
                channel=label(CHANNELS, c["channel"]), casa=casas.get(c["casa_id"], c["casa_id"])
            ),
            detail=detail,
            user=users.get(c["staff_user_id"] or "", c["staff_user_id"] or ""),
            ref_id=c["id"],
        ))
    doc_ids = {}
    for d in store.rows(
        "SELECT d.id, d.doc_type, d.number, d.expiry_date, d.deleted FROM document d"
        " WHERE d.person_id = ?",
        [person_id],
    ):
        doc_ids[d["id"]] = d
    member_ids = {
        r["id"]: r
        for r in store.rows(
            "SELECT id, relationship, household_id FROM household_member WHERE person_id = ?",
            [person_id],
        )
    }
    ids = [person_id, *doc_ids, *member_ids]
    marks = ",".join("?" * len(ids))
    for op in store.rows(
        "SELECT entity, entity_id, kind, hlc, user_id, fields FROM change_log"
        f" WHERE entity_id IN ({marks}) ORDER BY hlc",
        ids,
    ):
        when = _local(op["hlc"])
        user = users.get(op["user_id"], str(op["user_id"]))
        fields = json.loads(op["fields"])
        if op["entity"] == "person":
            if op["kind"] == "create":
                created = fields.get("created_at")
                registered = dt.datetime.fromisoformat(created) if created else when
                entries.append(
                    TimelineEntry(registered, "registered", _("Registered"), "", user, person_id)
                )
            else:
                shown = [field_label(f) for f in fields if f not in _HIDDEN_FIELDS]
                if shown:
                    entries.append(TimelineEntry(
                        when, "change", _("Details changed"), ", ".join(shown), user, person_id
                    ))
        elif op["entity"] == "document":
            d = doc_ids[op["entity_id"]]
            what = f"{document_short_label(d['doc_type'], catalogs)} {d['number']}"
            if op["kind"] == "create":
                title = _("Document added")
                if d["expiry_date"]:
                    what += " — " + _("expires {date}").format(date=format_date(d["expiry_date"]))
            elif op["kind"] == "tombstone":
                title = _("Document removed")
            else:
                title = _("Document changed")
            entries.append(TimelineEntry(when, "document", title, what, user, op["entity_id"]))
        elif op["entity"] == "household_member":
            m = member_ids[op["entity_id"]]
            title = _("Left the household") if op["kind"] == "tombstone" else _("Household")
            entries.append(TimelineEntry(
                when, "household", title, label(RELATIONSHIPS, m["relationship"]), user,
                m["household_id"],
            ))
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries
