"""A person's timeline: consultations, documents, household and changes, newest first.

The changes come from ``services.history`` (the same reading as the person form's history).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.vocab import CHANNELS, RELATIONSHIPS, document_short_label, label
from oma_desktop.i18n import _, format_date
from oma_desktop.services.followup import calls_for_person, result_label
from oma_desktop.services.history import person_history, topic_names
from oma_desktop.services.permissions import Permission, is_sensitive_consultation, reserved_text
from oma_desktop.services.referrals import status_label
from oma_desktop.services.session import Session


@dataclass(frozen=True)
class TimelineEntry:
    when: dt.datetime
    kind: str  # consultation | call | document | household | registered | change | referral
    title: str
    detail: str
    user: str
    ref_id: str


def topic_labels(catalogs: Catalogs, topics_json: str) -> str:
    """Topic labels of a consultation's JSON list of codes (see ``services.history``)."""
    return topic_names(catalogs, topics_json)


def referral_entries(
    session: Session, person_id: str, users: dict[str, str]
) -> list[TimelineEntry]:
    """One entry per referral event: "Derivación CV1-2026-000001 a SIS — emitida", then
    each later change with the institution's feedback (the reason on the first one)."""
    entries = []
    for e in session.store.rows(
        "SELECT r.id, r.code, r.reason, s.name, s.acronym, e.status, e.at, e.user_id,"
        " e.feedback FROM referral r JOIN referral_event e ON e.referral_id = r.id"
        " JOIN service s ON s.id = r.service_id"
        " WHERE r.person_id = ? AND r.deleted = 0 AND e.deleted = 0",
        [person_id],
    ):
        service = e["acronym"] if e["acronym"] not in ("", "-") else e["name"]
        detail = e["feedback"]
        if e["status"] == "emitida":
            detail = "; ".join(filter(None, [e["reason"], e["feedback"]]))
        entries.append(TimelineEntry(
            when=dt.datetime.fromisoformat(e["at"]),
            kind="referral",
            title=_("Referral {code} to {service} — {status}").format(
                code=e["code"], service=service, status=status_label(e["status"])),
            detail=detail,
            user=users.get(e["user_id"] or "", e["user_id"] or ""),
            ref_id=e["id"],
        ))
    return entries


def person_timeline(session: Session, person_id: str) -> list[TimelineEntry]:
    session.require(Permission.VIEW_PERSONS)
    store, catalogs = session.store, session.catalogs
    entries: list[TimelineEntry] = []
    users: dict[str, str] = {
        r["id"]: r["display_name"] for r in store.rows("SELECT id, display_name FROM app_user")
    }
    hidden = not session.can(Permission.VIEW_SENSITIVE)
    casas: dict[str, str] = {r["id"]: r["name"] for r in store.rows("SELECT id, name FROM casa")}
    for c in store.rows(
        "SELECT id, occurred_at, channel, topics, summary, actions, staff_user_id, casa_id"
        " FROM consultation WHERE person_id = ? AND deleted = 0",
        [person_id],
    ):
        detail = topic_labels(catalogs, c["topics"])
        if c["summary"]:
            detail += f" — {c['summary']}"
        if hidden and is_sensitive_consultation(catalogs, json.loads(c["topics"] or "[]")):
            detail = reserved_text()  # a sensitive topic the role may not read
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
    for call in calls_for_person(session, person_id):
        detail = call.note
        if call.next_date is not None:
            detail = "; ".join(filter(None, [detail, _("call again on {date}").format(
                date=format_date(call.next_date))]))
        entries.append(TimelineEntry(
            when=call.called_at,
            kind="call",
            title=_("Follow-up call: {result}").format(result=result_label(call.result)),
            detail=detail,
            user=call.staff_name,
            ref_id=call.consultation_id or call.document_id or call.id,
        ))
    entries += referral_entries(session, person_id, users)
    for entry in person_history(session, person_id):
        change, record = entry.change, entry.record
        if change.entity == "person":
            if change.kind == "create":
                created = change.fields.get("created_at")
                registered = dt.datetime.fromisoformat(created) if created else change.when
                entries.append(TimelineEntry(
                    registered, "registered", entry.title, "", change.user, person_id
                ))
            elif entry.fields:
                entries.append(TimelineEntry(
                    change.when, "change", entry.title, ", ".join(f.label for f in entry.fields),
                    change.user, person_id,
                ))
        elif change.entity == "document":
            what = f"{document_short_label(record['doc_type'], catalogs)} {record['number']}"
            if change.kind == "create" and record["expiry_date"]:
                what += " — " + _("expires {date}").format(date=format_date(record["expiry_date"]))
            entries.append(TimelineEntry(
                change.when, "document", entry.title, what, change.user, change.entity_id
            ))
        elif change.entity == "household_member":
            entries.append(TimelineEntry(
                change.when, "household", entry.title, label(RELATIONSHIPS, record["relationship"]),
                change.user, str(record["household_id"]),
            ))
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries
