"""Anonymisation (issue #9.5): what a cancellation request and the retention review do.

Ley 29733 asks to delete personal data once they are no longer needed, unless they are
anonymised (art. 28.7; anonymisation is irreversible, art. 2.12 — shared reference
``data_protection_pe.md`` section 7). Records are never physically deleted here (the change
log and headquarters must converge), so a person is anonymised instead: every value that
identifies them is overwritten through the normal logged writes, so the same overwrite
reaches headquarters with the next synchronisation.

The rule (also in ``docs/proteccion-de-datos.md``):

* **erased** — names, gender identity, phone, WhatsApp, zone, address reference, notes,
  arrival date; the three consents (turned off, each recorded in the consent history);
  the numbers and dates of every document (the document type and issuing country stay);
  the day and month of birth (the birth date becomes 1 July of the birth year, marked
  estimated, so ages stay right within a year); the free text of their consultations
  (what was asked, what was done, the result), of their follow-up calls (the note), of
  their referrals (the reason, the reason for referring without consent) and of those
  referrals' events (the institution's answer), and their pending follow-ups are closed
  (nobody is left to call); the names and day of birth of household
  members recorded inline, when no other registered person remains in the household.
* **kept for statistics** — sex, nationality, district, year of birth, migratory
  situation and regularisation stage, the Washington Group answers and vulnerability
  flags (codes without a name attached), the casa, and the dates, channels and topics of
  consultations, referrals (institution, status) and follow-up calls.
* **scrubbed** — the person's names, document numbers and phones where they appear inside
  shared text: the household's name and notes, the import's duplicate reviews, and the
  rights requests about the person (requester's name and document erased).

Every overwrite goes through :func:`_anonymise_record`: ``tx.redact`` when the change log
offers it (the old values are then also removed from the log's history), else
``tx.update``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.store import Writer
from oma_desktop.core.text import normalize_phone
from oma_desktop.i18n import N_, _
from oma_desktop.services import consent
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

MASK = "***"
RETENTION_SETTING = "retention.years"
DEFAULT_RETENTION_YEARS = 5  # the municipality's choice: no period found for these files

# what an anonymised person is called in every list and document (stored data, like any
# name: the same at every installation, whatever the interface language)
ANONYMISED_NAME = "(persona anonimizada)"

PERSON_ERASED: dict[str, Any] = {
    "given_names": ANONYMISED_NAME, "paternal_surname": "", "maternal_surname": "", "gender_identity": "",
    "phone": "", "whatsapp": "", "zone": "", "address_ref": "", "notes": "",
    "arrival_date": None,
}
DOCUMENT_ERASED: dict[str, Any] = {"number": "", "issue_date": None, "expiry_date": None}
# a follow-up pending on it is closed: there is no one left to call
CONSULTATION_ERASED: dict[str, Any] = {"summary": "", "actions": "", "outcome": "",
                                       "follow_up_done": 1}
FOLLOW_UP_ERASED: dict[str, Any] = {"note": ""}
REFERRAL_ERASED: dict[str, Any] = {"reason": "", "consent_override": ""}
EVENT_ERASED: dict[str, Any] = {"feedback": ""}
MEMBER_ERASED: dict[str, Any] = {"given_names": "", "paternal_surname": "", "maternal_surname": ""}


def _anonymise_record(tx: Writer, entity: str, entity_id: str, values: Mapping[str, Any]) -> None:
    """Overwrite ``values`` of one record: through ``tx.redact`` when the Writer has it (it
    also removes the old values from the change log's history), else a logged update."""
    redact = getattr(tx, "redact", None)
    if callable(redact):
        redact(entity, entity_id, dict(values))
    else:
        tx.update(entity, entity_id, values)


def _year_only(value: Any) -> str | None:
    """1 July of the year of ``value`` (a date text), or None."""
    text = str(value or "")
    return f"{text[:4]}-07-01" if len(text) >= 4 and text[:4].isdigit() else None


def secrets_of(session: Session, person_id: str) -> list[str]:
    """The strings that identify the person: names, document numbers, phones."""
    store = session.store
    row = store.get("person", person_id)
    if row is None:
        raise KeyError(person_id)
    found: list[str] = []
    for key in ("given_names", "paternal_surname", "maternal_surname"):
        found.extend(w for w in str(row[key] or "").split() if len(w) >= 2)
    for key in ("phone", "whatsapp"):
        value = str(row[key] or "").strip()
        if value:
            found.extend({value, normalize_phone(value)})
    for doc in store.rows("SELECT number, number_norm FROM document WHERE person_id = ?",
                          [person_id]):
        found.extend(str(doc[k]) for k in ("number", "number_norm") if doc[k])
    return sorted({s for s in found if s}, key=len, reverse=True)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every whole-word occurrence of ``secrets`` (any case) replaced by
    «***»."""
    if not text or not secrets:
        return text
    pattern = "|".join(re.escape(s) for s in secrets)
    return re.sub(rf"(?<!\w)(?:{pattern})(?!\w)", MASK, text, flags=re.IGNORECASE)


def _scrub_record(tx: Writer, session: Session, entity: str, row: Mapping[str, Any],
                  columns: Iterable[str], secrets: Sequence[str],
                  also: Mapping[str, Any] | None = None) -> None:
    values = {c: scrub(str(row[c]), secrets) for c in columns if row[c]}
    values = {c: v for c, v in values.items() if v != row[c]}
    values.update(also or {})
    if values:
        _anonymise_record(tx, entity, str(row["id"]), values)


def anonymise_in(session: Session, tx: Writer, person_id: str, today: dt.date) -> None:
    """Anonymise the person inside the caller's transaction ``tx`` (see the module's rule).
    Callers check the ANONYMISE permission."""
    store = session.store
    person = store.get("person", person_id)
    if person is None:
        raise KeyError(person_id)
    if person["anonymised_at"]:
        return
    _audit_in(session, tx, person_id)
    secrets = secrets_of(session, person_id)
    now = dt.datetime.now().isoformat(timespec="seconds")

    # the consents first: the history says they were withdrawn by the anonymisation
    off = {column: 0 for column in consent.PURPOSE_COLUMNS.values()}
    consent.record_changes(tx, person_id, person, off, note=_("Anonymised"), at=now)
    values = {**PERSON_ERASED, **off, "anonymised_at": now}
    if person["birth_date"]:
        values.update(birth_date=_year_only(person["birth_date"]), birth_date_estimated=1)
    _anonymise_record(tx, "person", person_id, values)

    for doc in store.rows("SELECT id FROM document WHERE person_id = ?", [person_id]):
        _anonymise_record(tx, "document", str(doc["id"]), DOCUMENT_ERASED)
    for row in store.rows("SELECT id FROM consultation WHERE person_id = ?", [person_id]):
        _anonymise_record(tx, "consultation", str(row["id"]), CONSULTATION_ERASED)
    for row in store.rows(
            "SELECT id FROM follow_up_call WHERE person_id = ? OR consultation_id IN"
            " (SELECT id FROM consultation WHERE person_id = ?) OR document_id IN"
            " (SELECT id FROM document WHERE person_id = ?)", [person_id] * 3):
        _anonymise_record(tx, "follow_up_call", str(row["id"]), FOLLOW_UP_ERASED)
    for row in store.rows("SELECT id FROM referral WHERE person_id = ?", [person_id]):
        _anonymise_record(tx, "referral", str(row["id"]), REFERRAL_ERASED)
    for row in store.rows(
            "SELECT e.id FROM referral_event e JOIN referral r ON r.id = e.referral_id"
            " WHERE r.person_id = ?", [person_id]):
        _anonymise_record(tx, "referral_event", str(row["id"]), EVENT_ERASED)
    _anonymise_households(session, tx, person_id, secrets)
    for row in store.rows(
            "SELECT * FROM duplicate_review WHERE person_id = ? OR candidates LIKE ?",
            [person_id, f"%{person_id}%"]):
        _scrub_record(tx, session, "duplicate_review", row, ("data",), secrets)
    for row in store.rows("SELECT * FROM rights_request WHERE person_id = ?", [person_id]):
        _scrub_record(tx, session, "rights_request", row, ("details", "response"), secrets,
                      also={k: "" for k in ("requester_name", "requester_document") if row[k]})


def _anonymise_households(session: Session, tx: Writer, person_id: str,
                          secrets: Sequence[str]) -> None:
    store = session.store
    for own in store.rows("SELECT * FROM household_member WHERE person_id = ?", [person_id]):
        values = {k: v for k, v in MEMBER_ERASED.items() if own[k]}
        if own["birth_date"]:
            values.update(birth_date=_year_only(own["birth_date"]), birth_date_estimated=1)
        if values:
            _anonymise_record(tx, "household_member", str(own["id"]), values)
        household_id = str(own["household_id"])
        others = store.scalar(
            "SELECT count(*) FROM household_member m JOIN person p ON p.id = m.person_id"
            " WHERE m.household_id = ? AND m.deleted = 0 AND p.id != ? AND p.deleted = 0"
            " AND p.anonymised_at IS NULL", [household_id, person_id])
        if not others:  # the inline members were recorded under this person's consent
            for member in store.rows(
                    "SELECT * FROM household_member WHERE household_id = ?"
                    " AND person_id IS NULL", [household_id]):
                values = {**MEMBER_ERASED}
                if member["birth_date"]:
                    values.update(birth_date=_year_only(member["birth_date"]),
                                  birth_date_estimated=1)
                _anonymise_record(tx, "household_member", str(member["id"]), values)
        household = store.get("household", household_id)
        if household is not None:
            _scrub_record(tx, session, "household", household, ("name", "notes"), secrets)


def _audit_in(session: Session, tx: Writer, person_id: str) -> None:
    """An «Anonymised» audit entry in the same transaction (``services.audit``, issue #9.4,
    when present); no detail: the entry is insert-only and must not keep a name."""
    try:
        from oma_desktop.services import audit
    except ImportError:  # the audit log lands separately
        return
    audit.record_in(session, tx, "anonymise", entity="person", entity_id=person_id,
                    person_id=person_id)


def anonymise_person(session: Session, person_id: str, today: dt.date | None = None) -> None:
    """Anonymise one person in one transaction."""
    session.require(Permission.ANONYMISE)
    with session.transaction() as tx:
        anonymise_in(session, tx, person_id, today or dt.date.today())


ProgressFn = Callable[[int, int, str], None]


def anonymise_many(session: Session, person_ids: Sequence[str],
                   progress: ProgressFn | None = None, today: dt.date | None = None) -> int:
    """Anonymise ``person_ids`` (the retention job; one transaction per person, so a
    cancelled job keeps what it finished); returns how many were anonymised.

    ``progress`` is called as ``progress(done, total, label)``; when it is a
    ``ui.tasks.Progress`` its cancel request stops the job between persons."""
    session.require(Permission.ANONYMISE)
    today = today or dt.date.today()
    total, done = len(person_ids), 0
    label = _("Anonymising…")
    for index, person_id in enumerate(person_ids):
        stop = getattr(progress, "raise_if_cancelled", None)
        if callable(stop):
            stop()
        row = session.store.get("person", person_id)
        if row is not None and not row["anonymised_at"]:
            with session.transaction() as tx:
                anonymise_in(session, tx, person_id, today)
            done += 1
        if progress is not None:
            progress(index + 1, total, label)
    return done


# --- retention --------------------------------------------------------------------------


def retention_years(session: Session) -> int:
    value = session.store.meta(RETENTION_SETTING) or ""
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_RETENTION_YEARS


def set_retention_years(session: Session, years: int) -> None:
    """Change the retention period (a local setting of this installation)."""
    session.require(Permission.ANONYMISE)
    if not 1 <= years <= 100:
        raise ValidationError({"years": _("Write a number of years between 1 and 100.")})
    session.store.set_meta(RETENTION_SETTING, str(years))


def years_before(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


@dataclass(frozen=True)
class RetentionCandidate:
    person_id: str
    name: str
    last_activity: dt.date
    what: str  # what the last activity was


_WHAT = {
    "consultation": N_("Consultation"), "referral": N_("Referral"), "event": N_("Referral"),
    "follow_up": N_("Follow-up call"), "registered": N_("Registration"),
    "updated": N_("Change to the record"),
}
_ACTIVITIES = tuple(_WHAT)  # on the same day, the first of these names the activity

# Per person not yet anonymised: the day of each kind of activity and the latest of them.
# The record's last change is the clock of the operation it was last folded from
# (person.last_op_id), so the change log is looked up once per person, not scanned.
_REVIEW_SQL = """
WITH cons AS (SELECT person_id, max(substr(occurred_at, 1, 10)) AS at FROM consultation
              WHERE person_id IS NOT NULL GROUP BY person_id),
     ref AS (SELECT person_id, max(substr(issued_at, 1, 10)) AS at FROM referral
             GROUP BY person_id),
     ev AS (SELECT r.person_id, max(substr(e.at, 1, 10)) AS at FROM referral_event e
            JOIN referral r ON r.id = e.referral_id GROUP BY r.person_id),
     calls AS (SELECT person_id, max(substr(called_at, 1, 10)) AS at FROM follow_up_call
               WHERE person_id IS NOT NULL GROUP BY person_id),
     days AS (
       SELECT p.id, p.given_names, p.paternal_surname, p.maternal_surname,
              cons.at AS consultation, ref.at AS referral, ev.at AS event,
              calls.at AS follow_up, substr(p.created_at, 1, 10) AS registered,
              date((cl.hlc >> 16) / 1000, 'unixepoch', 'localtime') AS updated
       FROM person p
       LEFT JOIN cons ON cons.person_id = p.id
       LEFT JOIN ref ON ref.person_id = p.id
       LEFT JOIN ev ON ev.person_id = p.id
       LEFT JOIN calls ON calls.person_id = p.id
       LEFT JOIN change_log cl ON cl.op_id = p.last_op_id
       WHERE p.deleted = 0 AND p.anonymised_at IS NULL)
SELECT *, max(coalesce(consultation, ''), coalesce(referral, ''), coalesce(event, ''),
              coalesce(follow_up, ''), coalesce(registered, ''), coalesce(updated, '')) AS last
FROM days WHERE last < ? AND last != '' ORDER BY last, id
"""


def retention_review(session: Session, today: dt.date | None = None,
                     years: int | None = None) -> list[RetentionCandidate]:
    """The persons not yet anonymised whose last activity — their latest consultation,
    referral (or its event), follow-up call, registration or change to their record — is
    older than the retention period (``years``, default the setting), oldest first."""
    session.require(Permission.ANONYMISE)
    today = today or dt.date.today()
    limit = years_before(today, years or retention_years(session))
    out = []
    for row in session.store.rows(_REVIEW_SQL, [limit.isoformat()]):
        last = str(row["last"])
        what = next(k for k in _ACTIVITIES if row[k] == last)
        name = " ".join(str(row[k] or "") for k in
                        ("given_names", "paternal_surname", "maternal_surname")).split()
        out.append(RetentionCandidate(str(row["id"]), " ".join(name),
                                      dt.date.fromisoformat(last), _(_WHAT[what])))
    out.sort(key=lambda c: (c.last_activity, c.name))
    return out


def is_anonymised(session: Session, person_id: str) -> bool:
    row = session.store.get("person", person_id)
    return bool(row and row["anonymised_at"])


__all__ = [
    "DEFAULT_RETENTION_YEARS", "RetentionCandidate", "anonymise_in", "anonymise_many",
    "anonymise_person", "is_anonymised", "retention_review",
    "retention_years", "scrub", "secrets_of", "set_retention_years",
]
