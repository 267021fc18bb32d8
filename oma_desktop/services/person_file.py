"""Everything held about one person, as display text: the answer to an access request.

Gathers the person's data, documents, household, consultations, referrals and their
events, follow-up calls, consent history and the change history of their record
(``services.history``) into a :class:`~oma_desktop.printing.person_file.PersonFileData`,
which ``printing.person_file`` lays out as a PDF.

Reserved information (the privacy classes of ``core.fields``, the sensitive topics) is
included only when the acting user's role may see it (coordinación); otherwise it reads
«Reservado» and the file says that coordinación can produce the complete one.
"""

from __future__ import annotations

import datetime as dt
import json

from oma_desktop.core.fields import PERSON_FIELDS, Kind
from oma_desktop.i18n import _, format_date, format_datetime
from oma_desktop.printing.person_file import FileItem, FileSection, PersonFileData
from oma_desktop.services import consent
from oma_desktop.services.casas import casa_settings
from oma_desktop.services.followup import calls_for_person, result_label
from oma_desktop.services.history import (
    Formatter,
    document_label,
    history_line,
    person_history,
    topic_names,
)
from oma_desktop.services.households import members
from oma_desktop.services.permissions import (
    SENSITIVE_CONSULTATION_FIELDS,
    SENSITIVE_PERSON_FIELDS,
    Permission,
    is_sensitive_consultation,
    reserved_text,
)
from oma_desktop.services.session import Session

_SKIP = frozenset({"consent_recorded_by", "casa_id", "created_at", "anonymised_at", "deleted"})


def _full_name(row: dict[str, object]) -> str:
    return " ".join(" ".join(str(row.get(k) or "") for k in
                             ("given_names", "paternal_surname", "maternal_surname")).split())


def person_file_data(session: Session, person_id: str,
                     today: dt.date | None = None) -> PersonFileData:
    session.require(Permission.VIEW_PERSONS)
    store, catalogs = session.store, session.catalogs
    row = store.get("person", person_id)
    if row is None:
        raise KeyError(person_id)
    today = today or dt.date.today()
    sees_all = session.can(Permission.VIEW_SENSITIVE)
    fmt = Formatter(session)
    sections: list[FileSection] = []

    personal = []
    for spec in PERSON_FIELDS:
        if not spec.stored or spec.name in _SKIP or spec.name not in row:
            continue
        value = row[spec.name]
        if spec.kind is Kind.BOOL and spec.container and not value:
            continue  # a vulnerability the person does not have
        if value in (None, ""):
            continue
        text = (reserved_text() if spec.name in SENSITIVE_PERSON_FIELDS and not sees_all
                else fmt.text("person", spec.name, value))
        personal.append((spec.shown_history_label, text))
    personal.append((_("Registered on"), format_datetime(str(row["created_at"] or ""))))
    personal.append((_("Registered at"), fmt.name_of("casas", str(row["casa_id"] or ""))))
    sections.append(FileSection(_("Personal data"), [FileItem("", personal)]))

    docs = []
    for d in store.rows("SELECT * FROM document WHERE person_id = ? AND deleted = 0"
                        " ORDER BY rowid", [person_id]):
        lines = []
        if d["issuing_country"]:
            lines.append((_field_label("document", "issuing_country"),
                          fmt.text("document", "issuing_country", d["issuing_country"])))
        for key in ("issue_date", "expiry_date"):
            if d[key]:
                lines.append((_field_label("document", key), format_date(str(d[key]))))
        docs.append(FileItem(document_label(catalogs, d["doc_type"], d["number"]), lines))
    sections.append(FileSection(_("Documents"), docs))

    household_items = []
    for m in store.rows("SELECT household_id FROM household_member WHERE person_id = ?"
                        " AND deleted = 0", [person_id]):
        household_id = str(m["household_id"])
        lines = [(member.full_name or _("(no name)"),
                  " · ".join(filter(None, [fmt.text("household_member", "relationship",
                                                    member.relationship),
                                           format_date(member.birth_date)
                                           if member.birth_date else ""])))
                 for member in members(session, household_id)]
        household_items.append(FileItem(fmt.name_of("households", household_id), lines))
    sections.append(FileSection(_("Household"), household_items))

    consultations = []
    for c in store.rows("SELECT * FROM consultation WHERE person_id = ? AND deleted = 0"
                        " ORDER BY occurred_at", [person_id]):
        hidden = not sees_all and is_sensitive_consultation(
            catalogs, json.loads(c["topics"] or "[]"))
        lines = []
        for key in ("topics", "summary", "actions", "outcome", "follow_up_date"):
            if not c[key] or c[key] == "[]":
                continue
            text = (reserved_text() if hidden and key in SENSITIVE_CONSULTATION_FIELDS
                    else topic_names(catalogs, c[key]) if key == "topics"
                    else fmt.text("consultation", key, c[key]))
            lines.append((_field_label("consultation", key), text))
        lines.append((_("Attended by"), fmt.name_of("users", str(c["staff_user_id"] or ""))))
        consultations.append(FileItem(
            _("{date} at {casa}").format(date=format_datetime(str(c["occurred_at"])),
                                         casa=fmt.name_of("casas", str(c["casa_id"] or ""))),
            lines))
    sections.append(FileSection(_("Consultations"), consultations))

    referrals = []
    for r in store.rows(
            "SELECT r.*, s.name AS service FROM referral r LEFT JOIN service s"
            " ON s.id = r.service_id WHERE r.person_id = ? AND r.deleted = 0"
            " ORDER BY r.issued_at", [person_id]):
        lines = [(_("Reason"), str(r["reason"] or "")), (_("Issued on"),
                                                         format_datetime(str(r["issued_at"])))]
        for e in store.rows("SELECT * FROM referral_event WHERE referral_id = ? AND deleted = 0"
                            " ORDER BY at", [r["id"]]):
            lines.append((format_datetime(str(e["at"])), " — ".join(filter(None, [
                _status_label(str(e["status"])), str(e["feedback"] or "")]))))
        referrals.append(FileItem(f"{r['code']} · {r['service'] or ''}", lines))
    sections.append(FileSection(_("Referrals"), referrals))

    calls = [FileItem(f"{format_datetime(call.called_at)} — {result_label(call.result)}",
                      [(_("Note"), call.note)] if call.note else [])
             for call in reversed(calls_for_person(session, person_id))]
    sections.append(FileSection(_("Follow-up calls"), calls))

    history = consent.consent_history(session, person_id)
    before: dict[str, bool] = {}
    consent_lines = []
    for entry in history:
        state = (_("given") if entry.granted else _("withdrawn") if before.get(entry.purpose)
                 else _("not given"))
        before[entry.purpose] = entry.granted
        consent_lines.append((format_datetime(entry.at), _(
            "{purpose}: {state} ({method}, {user})").format(purpose=entry.purpose_label, state=state,
                                      method=entry.method_label, user=entry.user or "—")
                              + (f" — {entry.note}" if entry.note else "")))
    sections.append(FileSection(_("Consent history"),
                                [FileItem("", consent_lines)] if consent_lines else []))

    changes = []
    for logged in person_history(session, person_id):
        changes.append(FileItem(history_line(logged) + (
            f" · {logged.subject}" if logged.subject else ""),
            [(f.label, f.text) for f in logged.fields]))
    sections.append(FileSection(_("Changes to the record"), changes))

    casa = casa_settings(session, str(row["casa_id"] or session.casa_id))
    return PersonFileData(
        person_name=_full_name(dict(row)) or _("(anonymised person)"),
        issued_on=format_date(today), casa_name=casa.name,
        casa_contact=" · ".join(p for p in (casa.address, casa.phone, casa.email) if p),
        logo_png=casa.logo_png or None, sections=sections,
        reserved_note="" if sees_all else _(
            "Some reserved information (health, disability, vulnerability, consultations on "
            "sensitive topics) reads «Reserved»: your role may not see it. Ask the "
            "coordination to produce the complete file."))


def _field_label(entity: str, name: str) -> str:
    from oma_desktop.core.fields import spec

    found = spec(entity, name)
    return found.shown_history_label if found is not None else name


def _status_label(code: str) -> str:
    from oma_desktop.services.referrals import status_label

    return status_label(code)


__all__ = ["person_file_data"]
