"""The audit log (issue #9, point 4): who viewed, created, edited, printed, exported or
imported which record, and when.

Two sources, one list:

* **the change log** already records every creation, edit and deletion with its user and
  clock (``change_log``: op, casa, installation, hlc, user, entity, record, fields);
* **``audit_entry``** records what leaves no trace there: opening a person's page, printing
  a slip or a constancia, exports, imports, sign-ins, backups, restores, anonymisations.
  One row per act, written through ``session.transaction()`` like every synchronised
  record (so it travels to headquarters in the sync file) and **insert-only**: a trigger
  refuses any UPDATE and the store's guard any DELETE. Entries are never deleted: the log is
  kept indefinitely, in the database and in its backups (the regulation asks for at least
  two years, D.S. 016-2024-JUS art. 46.3 as quoted in data_protection_pe.md §3).

:func:`audit_log` merges both in one SQL statement (``UNION ALL`` + ``ORDER BY`` +
``LIMIT``), newest first, filtered by dates, user, action, person and kind of record.

``audit_entry.at`` is written in UTC (``2026-12-02T15:04:05.123Z``), so an entry made at a
casa and one made at headquarters compare without knowing the PC's time zone; the merge
turns it into the change log's clock unit (milliseconds << 16) to order both arms together.

Recording never fails silently: if the entry cannot be written (disk full, writes held,
a damaged file) the error reaches the caller, and an export or a printed file whose entry
could not be written is removed (:func:`record_file`). The one exception is a *view* while
the store holds writes (the start-up check, a damaged file): opening a person must still
work then, so the entry is skipped with a warning in the log (:func:`viewed_person`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oma_desktop.core.clock import pack, to_datetime
from oma_desktop.core.fields import spec
from oma_desktop.core.store import Writer
from oma_desktop.i18n import N_, _, format_datetime, ngettext
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

if TYPE_CHECKING:
    from oma_desktop.services.export import Sheet

log = logging.getLogger(__name__)

# --- what can be recorded ------------------------------------------------------------------

# audit_entry.action -> label (msgid). Creations and edits come from the change log.
ACTIONS: Mapping[str, str] = {
    "view": N_("Viewed"),
    "print": N_("Printed"),
    "export": N_("Exported"),
    "import": N_("Imported"),
    "login": N_("Signed in"),
    "logout": N_("Signed out"),
    "login_failed": N_("Failed sign-in"),
    "session_locked": N_("Session locked"),
    "password_reset": N_("Reset a password"),
    "backup": N_("Made a backup"),
    "restore": N_("Restored a backup"),
    "anonymise": N_("Anonymised"),
    "rights_access_pdf": N_("Issued the access report"),
    "sync_register": N_("Registered a casa's key"),
    "sync_revoke": N_("Revoked an installation's key"),
}
# change_log.kind -> label (msgid)
CHANGE_ACTIONS: Mapping[str, str] = {
    "create": N_("Created"),
    "update": N_("Modified"),
    "tombstone": N_("Deleted"),
    "link": N_("Linked"),
    "redact": N_("Erased data"),  # a cancellation or the retention job (issue #9.5)
}

# The synchronised records that hold personal data, whose creations and edits the audit
# log shows (label msgid), and how each leads to its person.
PERSONAL_ENTITIES: Mapping[str, str] = {
    "person": N_("Person"),
    "document": N_("Document"),
    "household": N_("Household"),
    "household_member": N_("Household member"),
    "consultation": N_("Consultation"),
    "follow_up_call": N_("Follow-up call"),
    "referral": N_("Referral"),
    "referral_event": N_("Referral status"),
    "consent_record": N_("Consent"),
    "rights_request": N_("Rights request"),
    "duplicate_review": N_("Possible duplicate"),
}
# entity -> SQL giving (id, person_id) for the ids in ``{ids}``
_PERSON_OF: Mapping[str, str] = {
    **{
        entity: f"SELECT id, person_id FROM {entity} WHERE id IN ({{ids}})"
        for entity in ("document", "household_member", "consultation", "follow_up_call",
                       "referral", "consent_record", "rights_request", "duplicate_review")
    },
    "referral_event": "SELECT e.id, r.person_id FROM referral_event e"
                      " JOIN referral r ON r.id = e.referral_id WHERE e.id IN ({ids})",
}
# the ids of every record of person ``:p`` (for the person filter on the change log)
_RECORDS_OF_PERSON = """
SELECT :p
UNION ALL SELECT id FROM document WHERE person_id = :p
UNION ALL SELECT id FROM consultation WHERE person_id = :p
UNION ALL SELECT id FROM follow_up_call WHERE person_id = :p
UNION ALL SELECT id FROM referral WHERE person_id = :p
UNION ALL SELECT e.id FROM referral_event e JOIN referral r ON r.id = e.referral_id
          WHERE r.person_id = :p
UNION ALL SELECT id FROM household_member WHERE person_id = :p
UNION ALL SELECT m.id FROM household_member m
          JOIN household_member me ON me.household_id = m.household_id
          WHERE me.person_id = :p AND m.person_id IS NULL
UNION ALL SELECT id FROM consent_record WHERE person_id = :p
UNION ALL SELECT id FROM rights_request WHERE person_id = :p
UNION ALL SELECT id FROM duplicate_review WHERE person_id = :p
"""

# Opening the same person again in the same session within this many seconds is the same
# opening (a repaint after a save, the form opened from the page), not a new view.
VIEW_REPEAT_SECONDS = 15 * 60


def action_label(code: str) -> str:
    """«Vio», «Creó», … for an action code (the code itself if unknown)."""
    msgid = ACTIONS.get(code) or CHANGE_ACTIONS.get(code)
    return _(msgid) if msgid else code


def entity_label(entity: str) -> str:
    """«Persona», «Derivación», … for a table name; «—» for an entry about no record."""
    if not entity:
        return "—"
    msgid = PERSONAL_ENTITIES.get(entity)
    return _(msgid) if msgid else entity


def action_choices() -> list[tuple[str, str]]:
    """(code, label) of every action the log can show, for a filter."""
    return [(code, _(msgid)) for code, msgid in (*CHANGE_ACTIONS.items(), *ACTIONS.items())]


def entity_choices() -> list[tuple[str, str]]:
    """(table, label) of the kinds of record the log can show, by label."""
    return sorted(((e, _(m)) for e, m in PERSONAL_ENTITIES.items()), key=lambda c: c[1])


# --- writing -------------------------------------------------------------------------------


def utc_stamp(when: dt.datetime | None = None) -> str:
    """``when`` (default now) as the UTC text ``audit_entry.at`` holds."""
    when = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def person_of(session: Session, entity: str, entity_id: str | None) -> str | None:
    """The person the record ``entity_id`` belongs to (None if none or not known)."""
    if not entity_id:
        return None
    if entity == "person":
        return entity_id
    return _persons_of(session, [(entity, entity_id)]).get(entity_id)


def _persons_of(session: Session, records: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Record id -> person id, one query per kind of record."""
    by_entity: dict[str, list[str]] = {}
    for entity, entity_id in records:
        if entity in _PERSON_OF:
            by_entity.setdefault(entity, []).append(entity_id)
    found: dict[str, str] = {}
    for entity, ids in by_entity.items():
        sql = _PERSON_OF[entity].format(ids=",".join("?" * len(ids)))
        for row in session.store.rows(sql, ids):
            if row["person_id"]:
                found[str(row["id"])] = str(row["person_id"])
    return found


def _fields(
    session: Session, action: str, entity: str, entity_id: str | None, person_id: str | None,
    detail: str, user_id: str | None, when: dt.datetime | None,
) -> dict[str, Any]:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if person_id is None:
        person_id = person_of(session, entity, entity_id)
    return {
        "at": utc_stamp(when),
        "user_id": session.user_id if user_id is None else user_id,
        "casa_id": session.casa_id or None,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "person_id": person_id,
        "detail": detail,
    }


def record(
    session: Session, action: str, *, entity: str = "", entity_id: str | None = None,
    person_id: str | None = None, detail: str = "", user_id: str | None = None,
    when: dt.datetime | None = None,
) -> str:
    """Write one audit entry in its own transaction; returns its id.

    ``person_id`` defaults to the person ``entity_id`` belongs to; ``user_id`` to the acting
    user (a failed sign-in names the account tried). Any failure propagates: the caller
    decides what its work means without its entry.
    """
    fields = _fields(session, action, entity, entity_id, person_id, detail, user_id, when)
    with session.transaction() as tx:
        return tx.create("audit_entry", fields)


def record_in(
    session: Session, tx: Writer, action: str, *, entity: str = "",
    entity_id: str | None = None, person_id: str | None = None, detail: str = "",
    user_id: str | None = None, when: dt.datetime | None = None,
) -> str:
    """:func:`record` inside the caller's open transaction (the entry and the work it
    records are saved together or not at all)."""
    fields = _fields(session, action, entity, entity_id, person_id, detail, user_id, when)
    return tx.create("audit_entry", fields)


def record_file(
    session: Session, action: str, path: Path, *, entity: str = "",
    entity_id: str | None = None, detail: str = "",
) -> str:
    """Record a file just written (an export, a printed PDF) under ``action``; if the entry
    cannot be written the file is removed and the error raised: no unrecorded copy of
    personal data is left behind."""
    text = path.name if not detail else f"{detail} ({path.name})"
    try:
        return record(session, action, entity=entity, entity_id=entity_id, detail=text)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def printed_file(session: Session, path: Path, detail: str = "") -> Path:
    """Record the PDF ``path`` just written to be printed (a list with names); returns it."""
    record_file(session, "print", path, detail=detail)
    return path


def exported(session: Session, path: Path, sheets: Sequence[Sheet]) -> str:
    """Record the export of ``sheets`` to ``path`` (their titles and row count)."""
    rows = sum(len(sheet.rows) for sheet in sheets)
    titles = ", ".join(sheet.title for sheet in sheets)
    detail = ngettext("{titles}: {n} row", "{titles}: {n} rows", rows).format(
        titles=titles, n=rows)
    return record_file(session, "export", path, detail=detail)


def imported(
    session: Session, tx: Writer, source: str, *, persons: int, matched: int,
    consultations: int,
) -> str:
    """Record an import inside its transaction: the file and what it wrote."""
    detail = _("{persons} new, {matched} already registered, {consultations} consultations"
               ).format(persons=persons, matched=matched, consultations=consultations)
    if source:
        detail = f"{Path(source).name}: {detail}"
    return record_in(session, tx, "import", detail=detail)


def record_unless_held(session: Session, action: str, **fields: Any) -> str | None:
    """:func:`record`, except while the store holds writes (the start-up check, a damaged
    file): then the act goes on unrecorded, with a warning in the log. For acts that must
    work on a damaged database, like the backup that rescues it."""
    if session.store.writes_held is not None:
        log.warning("%s not audited: writes are held", action)
        return None
    return record(session, action, **fields)


_last_view: weakref.WeakKeyDictionary[Session, tuple[tuple[str, str], float]] = (
    weakref.WeakKeyDictionary())


def viewed(session: Session, entity: str, entity_id: str, *, now: float | None = None) -> bool:
    """Record that the acting user opened the record ``entity_id`` (a person's page, a
    consultation); returns whether an entry was written.

    One entry per opening: the same record shown again by the same session within
    :data:`VIEW_REPEAT_SECONDS` (a repaint after a save, the form opened from the page) is
    the same opening. While the store holds writes (the start-up check, a damaged file) the
    view is not recorded (the clerk may still read) and a warning goes to the log.
    """
    now = time.monotonic() if now is None else now
    last = _last_view.get(session)
    if last is not None and last[0] == (entity, entity_id) and now - last[1] < VIEW_REPEAT_SECONDS:
        return False
    if session.store.writes_held is not None:
        log.warning("view of %s %s not audited: writes are held", entity, entity_id)
        return False
    record(session, "view", entity=entity, entity_id=entity_id)
    _last_view[session] = ((entity, entity_id), now)
    return True


def viewed_person(session: Session, person_id: str, *, now: float | None = None) -> bool:
    """:func:`viewed` for a person's page (``services.cards.person_card``)."""
    return viewed(session, "person", person_id, now=now)


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What to show; None or "" means any. ``since``/``until`` are local days, inclusive."""

    since: dt.date | None = None
    until: dt.date | None = None
    user_id: str = ""
    action: str = ""  # an ACTIONS or CHANGE_ACTIONS code
    person_id: str = ""
    entity: str = ""


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit log."""

    when: dt.datetime  # local time
    user_id: str
    user: str  # display name
    action: str  # code
    action_text: str  # «Vio», «Modificó»…
    entity: str
    entity_text: str  # «Persona», «Derivación»… or «—»
    entity_id: str
    person_id: str
    person_name: str  # or «—»
    detail: str
    source: str  # "audit" (audit_entry) or "change" (change log)

    def cells(self) -> tuple[str, ...]:
        """The row as the table and the CSV show it."""
        return (format_datetime(self.when), self.user, self.action_text, self.entity_text,
                self.entity_id, self.person_name, self.detail)


HEADERS = (N_("Date and time"), N_("User"), N_("Action"), N_("Kind of record"), N_("Record id"),
           N_("Person"), N_("Detail"))

# an entry's place on the clock is the hybrid-clock stamp its creation was logged with (so a
# view in the same millisecond as the record's creation sorts after it); the stamp from
# ``at`` stands in only where no operation is kept
_AUDIT_KEY = ("COALESCE((SELECT min(l.hlc) FROM change_log l WHERE l.entity_id = a.id),"
              " CAST(round((julianday(a.at) - 2440587.5) * 86400000.0) AS INTEGER) << 16)")


def _local_midnight_ms(day: dt.date) -> int:
    """The first millisecond of ``day`` in this PC's time zone, as Unix milliseconds."""
    return int(dt.datetime.combine(day, dt.time()).astimezone().timestamp() * 1000)


def _merged_sql(session: Session, f: AuditFilter, window: int) -> tuple[str, list[Any]]:
    """The UNION ALL of both sources with ``f`` applied, columns (src, k, rid, user_id,
    action, entity, entity_id, person_id, detail, fields, at); ``window`` is offset + limit
    of the page wanted."""
    # unary +: the kinds of record never choose the index (the clock order does)
    change_where = [f"+c.entity IN ({','.join('?' * len(PERSONAL_ENTITIES))})"]
    change_params: list[Any] = list(PERSONAL_ENTITIES)
    audit_where = ["a.deleted = 0"]
    audit_params: list[Any] = []
    if f.since is not None:
        ms = _local_midnight_ms(f.since)
        change_where.append("c.hlc >= ?")
        change_params.append(pack(ms))
        audit_where.append("a.at >= ?")
        audit_params.append(utc_stamp(dt.datetime.fromtimestamp(ms / 1000, dt.UTC)))
    if f.until is not None:
        ms = _local_midnight_ms(f.until + dt.timedelta(days=1))
        change_where.append("c.hlc < ?")
        change_params.append(pack(ms))
        audit_where.append("a.at < ?")
        audit_params.append(utc_stamp(dt.datetime.fromtimestamp(ms / 1000, dt.UTC)))
    if f.user_id:
        change_where.append("c.user_id = ?")
        change_params.append(f.user_id)
        audit_where.append("a.user_id = ?")
        audit_params.append(f.user_id)
    if f.entity:
        change_where.append("c.entity = ?")
        change_params.append(f.entity)
        audit_where.append("a.entity = ?")
        audit_params.append(f.entity)
    if f.person_id:
        change_where.append(f"c.entity_id IN ({_RECORDS_OF_PERSON.replace(':p', '?')})")
        change_params.extend([f.person_id] * _RECORDS_OF_PERSON.count(":p"))
        audit_where.append("a.person_id = ?")
        audit_params.append(f.person_id)
    with_changes = not f.action or f.action in CHANGE_ACTIONS
    with_audit = not f.action or f.action in ACTIONS
    if f.action and with_changes:
        change_where.append("c.kind = ?")
        change_params.append(f.action)
    if f.action and with_audit:
        audit_where.append("a.action = ?")
        audit_params.append(f.action)
    arms: list[str] = []
    params: list[Any] = []
    if with_changes:
        arms.append(
            "SELECT 'change' AS src, c.hlc AS k, c.rowid AS rid, c.user_id AS user_id,"
            " c.kind AS action, c.entity AS entity, c.entity_id AS entity_id,"
            " NULL AS person_id, '' AS detail, c.fields AS fields, NULL AS at"
            " FROM change_log c WHERE " + " AND ".join(change_where))
        params += change_params
    if with_audit:
        arms.append(
            # the newest ``window`` entries by their stamp (the audit_entry_at index): a page
            # never needs more of them, and the clock key is computed for those only
            f"SELECT 'audit' AS src, {_AUDIT_KEY} AS k, a.rid AS rid, a.user_id AS user_id,"
            " a.action AS action, a.entity AS entity, a.entity_id AS entity_id,"
            " a.person_id AS person_id, a.detail AS detail, NULL AS fields, a.at AS at"
            " FROM (SELECT rowid AS rid, * FROM audit_entry a WHERE "
            + " AND ".join(audit_where) + " ORDER BY a.at DESC, a.rowid DESC LIMIT ?) a")
        params += [*audit_params, window]
    if not arms:  # an unknown action: nothing matches
        arms.append("SELECT NULL AS src, NULL AS k, NULL AS rid, NULL AS user_id, NULL AS action,"
                    " NULL AS entity, NULL AS entity_id, NULL AS person_id, NULL AS detail,"
                    " NULL AS fields, NULL AS at WHERE 0")
    return " UNION ALL ".join(arms), params


def audit_log(
    session: Session, filters: AuditFilter | None = None, *, limit: int = 100,
    offset: int = 0,
) -> list[AuditRow]:
    """One page of the audit log, newest first: the change log's creations, edits and
    deletions of records with personal data and the audit entries, merged."""
    session.require(Permission.VIEW_AUDIT)
    union, params = _merged_sql(session, filters or AuditFilter(), offset + limit)
    rows = session.store.rows(
        f"{union} ORDER BY k DESC, rid DESC LIMIT ? OFFSET ?", [*params, limit, offset])
    return _shape(session, rows)


def _shape(session: Session, rows: list[dict[str, Any]]) -> list[AuditRow]:
    """Raw merged rows -> AuditRow, with user and person names looked up once per page."""
    persons = _persons_of(
        session, ((str(r["entity"]), str(r["entity_id"])) for r in rows
                  if r["src"] == "change" and r["entity"] != "person"))
    person_ids: dict[int, str] = {}
    for i, r in enumerate(rows):
        if r["src"] == "audit":
            pid = r["person_id"]
        elif r["entity"] == "person":
            pid = r["entity_id"]
        else:
            pid = persons.get(str(r["entity_id"]))
        if pid:
            person_ids[i] = str(pid)
    names = _names(session, "SELECT id, trim(given_names || ' ' || paternal_surname || ' ' ||"
                   " maternal_surname) AS name FROM person WHERE id IN ({ids})",
                   set(person_ids.values()))
    # household members recorded inline (no person record) are named by their own row
    inline = {str(r["entity_id"]) for i, r in enumerate(rows)
              if r["entity"] == "household_member" and i not in person_ids}
    names.update(_names(session, "SELECT id, trim(given_names || ' ' || paternal_surname || ' '"
                        " || maternal_surname) AS name FROM household_member"
                        " WHERE id IN ({ids})", inline))
    users = _names(session, "SELECT id, display_name AS name FROM app_user WHERE id IN ({ids})",
                   {str(r["user_id"]) for r in rows if r["user_id"]})
    out = []
    for i, r in enumerate(rows):
        user_id = str(r["user_id"] or "")
        pid = person_ids.get(i, "")
        name = names.get(pid) or (names.get(str(r["entity_id"]))
                                  if r["entity"] == "household_member" else None)
        src = str(r["src"])
        if src == "change":
            when = to_datetime(int(r["k"])).astimezone().replace(tzinfo=None)
            detail = _changed_fields(str(r["entity"]), str(r["action"]), r["fields"])
        else:
            when = _from_stamp(r["at"])
            detail = str(r["detail"] or "")
        out.append(AuditRow(
            when=when, user_id=user_id, user=users.get(user_id) or _user_fallback(user_id),
            action=str(r["action"]), action_text=action_label(str(r["action"])),
            entity=str(r["entity"] or ""), entity_text=entity_label(str(r["entity"] or "")),
            entity_id=str(r["entity_id"] or ""), person_id=pid,
            person_name=" ".join(name.split()) if name else "—",
            detail=detail, source=src,
        ))
    return out


def _names(session: Session, sql: str, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    found = session.store.rows(sql.format(ids=",".join("?" * len(ids))), list(ids))
    return {str(r["id"]): str(r["name"] or "") for r in found}


def _user_fallback(user_id: str) -> str:
    if user_id == "system":
        return _("System")
    return user_id or "—"


def _from_stamp(value: Any) -> dt.datetime:
    """``audit_entry.at`` (UTC text) as local time."""
    text = str(value or "").replace("Z", "+00:00")
    when = dt.datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone().replace(tzinfo=None)


def _changed_fields(entity: str, kind: str, fields: Any) -> str:
    """For an edit, the labels of the fields it changed (never their values)."""
    if kind not in ("update", "redact") or not fields:
        return ""
    try:
        names = json.loads(fields)
    except ValueError:
        return ""
    labels = []
    for name in names:
        found = spec(entity, name)
        if found is not None and found.history:
            labels.append(found.shown_history_label)
    return ", ".join(dict.fromkeys(labels))


def user_choices(session: Session) -> list[tuple[str, str]]:
    """(id, name) of every account, active or not, by name (for the user filter)."""
    session.require(Permission.VIEW_AUDIT)
    rows = session.store.rows(
        "SELECT id, display_name, username FROM app_user WHERE deleted = 0"
        " ORDER BY display_name, username")
    return [(str(r["id"]), f"{r['display_name']} ({r['username']})"
             if r["username"] else str(r["display_name"])) for r in rows]


# --- export --------------------------------------------------------------------------------

EXPORT_LIMIT = 100_000


def audit_sheet(session: Session, filters: AuditFilter | None = None,
                limit: int = EXPORT_LIMIT) -> Sheet:
    """The filtered log (up to ``limit`` rows, newest first) as a sheet to export."""
    from oma_desktop.services.export import Sheet

    rows = audit_log(session, filters, limit=limit + 1)
    notes = [_("Audit log of {casa}, exported on {when}").format(
        casa=session.casa_id, when=format_datetime(dt.datetime.now()))]
    if len(rows) > limit:
        rows = rows[:limit]
        notes.append(_("Only the newest {n} entries: narrow the dates to export the rest.")
                     .format(n=limit))
    return Sheet(title=_("Audit log"), headers=[_(h) for h in HEADERS],
                 rows=[row.cells() for row in rows], notes=notes,
                 widths=(17, 24, 20, 18, 38, 30, 50))


def export_audit_log(
    session: Session, path: Path, filters: AuditFilter | None = None,
    limit: int = EXPORT_LIMIT,
) -> Path:
    """Write the filtered log to ``path`` (CSV or XLSX, formula-safe) and record the export."""
    from oma_desktop.services.export import write_sheets

    session.require(Permission.VIEW_AUDIT)
    sheets = [audit_sheet(session, filters, limit)]
    out = write_sheets(Path(path), sheets)
    exported(session, out, sheets)
    return out


__all__ = [
    "ACTIONS", "CHANGE_ACTIONS", "EXPORT_LIMIT", "HEADERS", "PERSONAL_ENTITIES",
    "VIEW_REPEAT_SECONDS", "AuditFilter", "AuditRow", "action_choices", "action_label",
    "audit_log", "audit_sheet", "entity_choices", "entity_label", "export_audit_log",
    "exported", "imported", "person_of", "printed_file", "record", "record_file", "record_in",
    "record_unless_held", "user_choices",
    "utc_stamp", "viewed", "viewed_person",
]
