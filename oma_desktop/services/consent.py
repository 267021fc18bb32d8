"""Consent per purpose (issue #9.5): each consent given or withdrawn is a ``consent_record``.

The person's ``consent_register``, ``consent_refer`` and ``consent_contact`` columns keep
the current state (what the forms and the referral check read); ``consent_record`` keeps
the history, insert-only (the database refuses updates and deletes): which purpose, given
or withdrawn, when, by which staff member, and how (``verbal`` or ``escrito``, empty when
the form did not say). Ley 29733 puts the burden of proving consent on the holder of the
data bank (D.S. 016-2024-JUS art. 9, per ``data_protection_pe.md``), which is what this
history is for.

Rows are written in the same transaction as the person (:func:`record_changes`), by the
person services, the rights register (an objection withdraws consents) and anonymisation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oma_desktop.core.store import Writer
from oma_desktop.i18n import N_, _, format_date
from oma_desktop.printing.consent_form import ConsentFormData
from oma_desktop.printing.consent_form import write_consent_form as printed_form
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

# purpose code -> the person column holding its current state
PURPOSES: tuple[tuple[str, str, str], ...] = (
    ("register", "consent_register",
     N_("Register my personal data to attend me and follow up my case")),
    ("refer", "consent_refer",
     N_("Share my data with other institutions when the OMA refers me to them")),
    ("contact", "consent_contact",
     N_("Contact me by phone or WhatsApp about my case")),
)
PURPOSE_COLUMNS: dict[str, str] = {code: column for code, column, _text in PURPOSES}
METHODS: tuple[tuple[str, str], ...] = (
    ("verbal", N_("Verbal")),
    ("escrito", N_("Written (signed form)")),
)
_PURPOSE_NAMES = {
    "register": N_("Register the data"),
    "refer": N_("Refer to institutions"),
    "contact": N_("Contact by phone"),
}


def purpose_name(code: str) -> str:
    """Short Spanish name of a purpose (for lists)."""
    return _(_PURPOSE_NAMES[code]) if code in _PURPOSE_NAMES else code


def purpose_text(code: str) -> str:
    """The purpose as the person reads it on the consent form."""
    for purpose, _column, text in PURPOSES:
        if purpose == code:
            return _(text)
    return code


def method_name(code: str) -> str:
    for method, text in METHODS:
        if method == code:
            return _(text)
    return code or _("Not stated")


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


def record_changes(
    tx: Writer,
    person_id: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    *,
    method: str = "",
    note: str = "",
    at: str | None = None,
) -> list[str]:
    """Write one ``consent_record`` per purpose whose flag differs between ``before`` (the
    stored person, or None for a new one) and ``after`` (the values being written), inside
    the caller's transaction; returns the purposes recorded.

    A new person gets a record for every purpose, given or not: the form asked about each.
    """
    at = at or _now()
    written = []
    for purpose, column, _text in PURPOSES:
        if column not in after:
            continue
        granted = int(bool(after[column]))
        if before is not None and int(bool(before.get(column))) == granted:
            continue
        tx.create("consent_record", {
            "person_id": person_id, "purpose": purpose, "granted": granted, "at": at,
            "user_id": tx.user_id, "method": method, "note": note,
        })
        written.append(purpose)
    return written


def new_person_consent_records(
    person_id: str, values: Mapping[str, Any], user_id: str, method: str = "",
    at: str | None = None,
) -> list[dict[str, Any]]:
    """The ``consent_record`` rows of a new person, for writers that batch (imports use
    ``tx.create_many("consent_record", ...)``)."""
    at = at or _now()
    return [{"person_id": person_id, "purpose": purpose, "granted": int(bool(values[column])),
             "at": at, "user_id": user_id, "method": method, "note": ""}
            for purpose, column, _text in PURPOSES if column in values]


@dataclass(frozen=True)
class ConsentEntry:
    at: str
    purpose: str
    granted: bool
    user: str
    method: str
    note: str

    @property
    def purpose_label(self) -> str:
        return purpose_name(self.purpose)

    @property
    def method_label(self) -> str:
        return method_name(self.method)


def consent_history(session: Session, person_id: str) -> list[ConsentEntry]:
    """Every consent given or withdrawn by the person, oldest first."""
    session.require(Permission.VIEW_PERSONS)
    rows = session.store.rows(
        "SELECT c.at, c.purpose, c.granted, c.method, c.note,"
        " coalesce(u.display_name, c.user_id, '') AS user"
        " FROM consent_record c LEFT JOIN app_user u ON u.id = c.user_id"
        " WHERE c.person_id = ? AND c.deleted = 0 ORDER BY c.at, c.rowid", [person_id])
    return [ConsentEntry(at=str(r["at"]), purpose=str(r["purpose"]), granted=bool(r["granted"]),
                         user=str(r["user"] or ""), method=str(r["method"] or ""),
                         note=str(r["note"] or ""))
            for r in rows]


def current_consents(session: Session, person_id: str) -> dict[str, bool]:
    """Purpose -> whether the person consents now (the person's flags)."""
    session.require(Permission.VIEW_PERSONS)
    row = session.store.get("person", person_id)
    if row is None:
        raise KeyError(person_id)
    return {purpose: bool(row[column]) for purpose, column, _text in PURPOSES}


def consent_form_data(session: Session, person_id: str | None,
                      today: dt.date | None = None) -> ConsentFormData:
    """The consent form of ``person_id`` (None: a blank form to fill by hand)."""
    from oma_desktop.services.anonymise import retention_years
    from oma_desktop.services.casas import casa_settings
    from oma_desktop.services.history import document_label
    from oma_desktop.services.rights import KINDS, deadlines

    session.require(Permission.VIEW_PERSONS)
    store = session.store
    name = document = ""
    if person_id is not None:
        row = store.get("person", person_id)
        if row is None:
            raise KeyError(person_id)
        name = " ".join(" ".join(str(row[k] or "") for k in (
            "given_names", "paternal_surname", "maternal_surname")).split())
        doc = store.one("SELECT doc_type, number FROM document WHERE person_id = ?"
                        " AND deleted = 0 AND number != '' ORDER BY rowid LIMIT 1", [person_id])
        if doc is not None:
            document = document_label(session.catalogs, doc["doc_type"], doc["number"])
    casa = casa_settings(session, session.casa_id)
    limits = deadlines(session)
    staff = store.scalar("SELECT display_name FROM app_user WHERE id = ?", [session.user_id])
    return ConsentFormData(
        person_name=name, document=document, issued_on=format_date(today or dt.date.today()),
        purposes=[purpose_text(code) for code, _column, _text in PURPOSES],
        casa_name=casa.name,
        casa_contact=" · ".join(p for p in (casa.address, casa.phone, casa.email) if p),
        logo_png=casa.logo_png or None, staff_name=str(staff or ""),
        retention_years=retention_years(session),
        deadlines="; ".join(_("{kind}: {days}").format(kind=_(text).lower(),
                                                      days=limits[kind].text)
                            for kind, text in KINDS if kind in limits))


def write_consent_form(session: Session, person_id: str | None, path: Path,
                       today: dt.date | None = None) -> Path:
    """Write the consent form (A4 PDF) for the person to read, tick and sign (a «Printed»
    entry in the audit log when it is present, issue #9.4)."""
    written = printed_form(consent_form_data(session, person_id, today), path)
    try:
        from oma_desktop.services import audit
    except ImportError:
        return written
    if person_id is not None:
        audit.record_file(session, "print", written, entity="person", entity_id=person_id)
    return written


__all__ = [
    "METHODS", "PURPOSES", "PURPOSE_COLUMNS", "ConsentEntry", "consent_form_data",
    "consent_history",
    "current_consents", "method_name", "new_person_consent_records", "purpose_name",
    "purpose_text", "record_changes", "write_consent_form",
]
