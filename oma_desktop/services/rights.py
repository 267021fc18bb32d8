"""The register of data-protection requests (issue #9.5): access, rectification,
cancellation and opposition («derechos ARCO», Ley 29733).

A request is registered with the person (found by search) or, when they are not in the
database, the requester's name and document; the channel; the day it was received; and a
due date computed from the deadline of its kind. The deadlines come from
``resources/catalogs/rights_deadlines.csv`` (with its sources) and can be changed on each
installation (:func:`set_deadline`, stored as local settings), since the regulation is new
and the figures have not been checked against the official text:

* D.S. 016-2024-JUS (the regulation of Ley 29733, in force since 30 March 2025) art. 69,
  as quoted by a third-party note (shared reference ``data_protection_pe.md`` section 1):
  access 20 days; rectification, cancellation and opposition 10 days; art. 71: one
  extension for an equal period. The sources say «días» without saying working days, so
  the default counts calendar days from the day after the request (never later than a
  working-day count); working days can be chosen per kind, skipping Saturdays, Sundays and
  the holidays of ``resources/catalogs/holidays_pe.csv``.

Answering (:func:`respond`): «acceso» is answered with the PDF of everything held about the
person (:func:`write_access_file`); «cancelación» anonymises the person in the same
transaction as the answer (``services.anonymise``); «oposición» withdraws the consents the
person objects to (the consent history records it); «rectificación» is done on the
person's form, then answered here.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oma_desktop.core.errors import ValidationError
from oma_desktop.i18n import N_, _
from oma_desktop.paths import resources_dir
from oma_desktop.services import anonymise, consent
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

ACCESS, RECTIFICATION, CANCELLATION, OPPOSITION = (
    "acceso", "rectificacion", "cancelacion", "oposicion")
KINDS: tuple[tuple[str, str], ...] = (
    (ACCESS, N_("Access")),
    (RECTIFICATION, N_("Rectification")),
    (CANCELLATION, N_("Cancellation")),
    (OPPOSITION, N_("Opposition")),
)
RECEIVED, IN_PROGRESS, ANSWERED, DENIED = "recibida", "en_tramite", "atendida", "denegada"
STATUSES: tuple[tuple[str, str], ...] = (
    (RECEIVED, N_("Received")),
    (IN_PROGRESS, N_("In progress")),
    (ANSWERED, N_("Answered")),
    (DENIED, N_("Denied")),
)
OPEN_STATUSES = (RECEIVED, IN_PROGRESS)
CHANNELS: tuple[tuple[str, str], ...] = (
    ("presencial", N_("In person")),
    ("escrito", N_("Letter")),
    ("correo", N_("Email")),
    ("telefono", N_("Phone")),
)
CALENDAR, WORKING = "calendar", "working"
UNITS: tuple[tuple[str, str], ...] = (
    (CALENDAR, N_("calendar days")),
    (WORKING, N_("working days")),
)
SETTING_PREFIX = "rights.deadline."
MAX_DAYS = 365


def _label(options: tuple[tuple[str, str], ...], code: str) -> str:
    return next((_(text) for c, text in options if c == code), code)


def kind_label(code: str) -> str:
    return _label(KINDS, code)


def status_label(code: str) -> str:
    return _label(STATUSES, code)


def channel_label(code: str) -> str:
    return _label(CHANNELS, code)


def unit_label(code: str) -> str:
    return _label(UNITS, code)


# --- deadlines ------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    kind: str
    days: int
    unit: str  # CALENDAR | WORKING
    source: str = ""

    @property
    def text(self) -> str:
        """«20 días calendario»."""
        return f"{self.days} {unit_label(self.unit)}"


@functools.lru_cache(maxsize=1)
def default_deadlines() -> dict[str, Deadline]:
    """The deadlines of ``rights_deadlines.csv`` (kind -> Deadline)."""
    path = resources_dir() / "catalogs" / "rights_deadlines.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return {row["kind"]: Deadline(row["kind"], int(row["days"]), row["unit"], row["source"])
                for row in csv.DictReader(f)}


@functools.lru_cache(maxsize=1)
def holidays() -> frozenset[dt.date]:
    """The national holidays of ``holidays_pe.csv`` (skipped when counting working days)."""
    path = resources_dir() / "catalogs" / "holidays_pe.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return frozenset(dt.date.fromisoformat(row["date"]) for row in csv.DictReader(f))


def deadlines(session: Session) -> dict[str, Deadline]:
    """The deadline of each kind on this installation: the local setting, else the default."""
    result = dict(default_deadlines())
    for kind, _text in KINDS:
        value = session.store.meta(SETTING_PREFIX + kind)
        if value:
            days, _sep, unit = value.partition(" ")
            if days.isdigit() and unit in (CALENDAR, WORKING):
                result[kind] = Deadline(kind, int(days), unit, _("Local setting"))
    return result


def set_deadline(session: Session, kind: str, days: int, unit: str) -> None:
    """Change the deadline of ``kind`` on this installation (a local setting: requests
    already registered keep their due date)."""
    session.require(Permission.MANAGE_RIGHTS_REQUESTS)
    if kind not in dict(KINDS):
        raise ValidationError({"kind": _("Choose the kind of request.")})
    if not 1 <= days <= MAX_DAYS or unit not in (CALENDAR, WORKING):
        raise ValidationError({"days": _("Write a number of days between 1 and {max}.").format(
            max=MAX_DAYS)})
    default = default_deadlines().get(kind)
    key = SETTING_PREFIX + kind
    if default is not None and (default.days, default.unit) == (days, unit):
        session.store.delete_meta(key)
    else:
        session.store.set_meta(key, f"{days} {unit}")


def due_date(received: dt.date, deadline: Deadline,
             non_working: Collection[dt.date] | None = None) -> dt.date:
    """The last day to answer a request received on ``received``: counted from the next
    day; in working days Saturdays, Sundays and ``non_working`` (the holidays) are
    skipped."""
    if deadline.unit == CALENDAR:
        return received + dt.timedelta(days=deadline.days)
    skip = holidays() if non_working is None else non_working
    day, left = received, deadline.days
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in skip:
            left -= 1
    return day


# --- the register -----------------------------------------------------------------------


@dataclass
class RequestInput:
    kind: str = ""
    person_id: str | None = None
    requester_name: str = ""  # who asked (the person, or their representative)
    requester_document: str = ""
    channel: str = "presencial"
    received_on: dt.date | None = None
    details: str = ""


@dataclass(frozen=True)
class RightsRequest:
    id: str
    kind: str
    person_id: str | None
    person_name: str  # the registered person's name, else the requester's
    requester_name: str
    requester_document: str
    channel: str
    received_on: dt.date
    due_on: dt.date
    details: str
    status: str
    response: str
    answered_at: str
    answered_by: str
    anonymised: bool = False

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue(self, today: dt.date) -> bool:
        return self.open and self.due_on < today

    def days_left(self, today: dt.date) -> int:
        return (self.due_on - today).days


def validate_request(data: RequestInput, today: dt.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if data.kind not in dict(KINDS):
        errors["kind"] = _("Choose the kind of request.")
    if not data.person_id and not data.requester_name.strip():
        errors["person"] = _("Choose the person from the search, or write the requester's name "
                             "if they are not registered.")
    if data.channel not in dict(CHANNELS):
        errors["channel"] = _("Choose how the request arrived.")
    if data.received_on is None:
        errors["received_on"] = _("Write the date the request was received.")
    elif data.received_on > today:
        errors["received_on"] = _("The date received cannot be in the future.")
    if len(data.details) > 4000:
        errors["details"] = _("Write at most {max} characters.").format(max=4000)
    return errors


def register_request(session: Session, data: RequestInput, today: dt.date | None = None) -> str:
    """Register a request (one logged record, so headquarters sees it); returns its id."""
    session.require(Permission.MANAGE_RIGHTS_REQUESTS)
    today = today or dt.date.today()
    errors = validate_request(data, today)
    if data.person_id:
        row = session.store.get("person", data.person_id)
        if row is None or row["deleted"]:
            errors["person"] = _("That person is not in the database; search again.")
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    assert data.received_on is not None
    due = due_date(data.received_on, deadlines(session)[data.kind])
    with session.transaction() as tx:
        return tx.create("rights_request", {
            "casa_id": session.casa_id, "person_id": data.person_id or None,
            "requester_name": " ".join(data.requester_name.split()),
            "requester_document": data.requester_document.strip().upper(),
            "kind": data.kind, "channel": data.channel,
            "received_at": data.received_on, "due_date": due,
            "details": data.details.strip(), "status": RECEIVED,
        })


_SELECT = (
    "SELECT r.*, trim(coalesce(p.given_names, '') || ' ' || coalesce(p.paternal_surname, '')"
    " || ' ' || coalesce(p.maternal_surname, '')) AS person_name, p.anonymised_at,"
    " coalesce(u.display_name, r.answered_by, '') AS answered_by_name"
    " FROM rights_request r LEFT JOIN person p ON p.id = r.person_id"
    " LEFT JOIN app_user u ON u.id = r.answered_by WHERE r.deleted = 0"
)


def _request(row: Any) -> RightsRequest:
    name = " ".join(str(row["person_name"] or "").split())
    if row["anonymised_at"]:
        name = _("(anonymised person)")
    return RightsRequest(
        id=str(row["id"]), kind=str(row["kind"]), person_id=row["person_id"],
        person_name=name or str(row["requester_name"] or ""),
        requester_name=str(row["requester_name"] or ""),
        requester_document=str(row["requester_document"] or ""),
        channel=str(row["channel"] or ""),
        received_on=dt.date.fromisoformat(str(row["received_at"])[:10]),
        due_on=dt.date.fromisoformat(str(row["due_date"])[:10]),
        details=str(row["details"] or ""), status=str(row["status"]),
        response=str(row["response"] or ""), answered_at=str(row["answered_at"] or ""),
        answered_by=str(row["answered_by_name"] or ""), anonymised=bool(row["anonymised_at"]),
    )


def list_requests(session: Session, today: dt.date | None = None,
                  open_only: bool = False) -> list[RightsRequest]:
    """The requests: open ones first, overdue before the rest, each group by due date;
    then the answered ones, latest answer first."""
    session.require(Permission.MANAGE_RIGHTS_REQUESTS)
    today = today or dt.date.today()
    rows = [_request(r) for r in session.store.rows(_SELECT)]
    if open_only:
        rows = [r for r in rows if r.open]
    opened = sorted((r for r in rows if r.open),
                    key=lambda r: (not r.overdue(today), r.due_on, r.received_on))
    closed = sorted((r for r in rows if not r.open),
                    key=lambda r: (r.answered_at, r.received_on), reverse=True)
    return opened + closed


def get_request(session: Session, request_id: str) -> RightsRequest:
    session.require(Permission.MANAGE_RIGHTS_REQUESTS)
    row = session.store.one(_SELECT + " AND r.id = ?", [request_id])
    if row is None:
        raise KeyError(request_id)
    return _request(row)


def overdue_count(session: Session, today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    return sum(1 for r in list_requests(session, today, open_only=True) if r.overdue(today))


def respond(
    session: Session,
    request_id: str,
    status: str,
    response: str,
    *,
    withdraw: Collection[str] = (),
    today: dt.date | None = None,
) -> None:
    """Record the answer to a request (or that it is in progress), in one transaction.

    * ``cancelacion`` answered (``atendida``) with a registered person: the person is
      anonymised in the same transaction (needs the ANONYMISE permission).
    * ``oposicion`` answered: the consents of ``withdraw`` (purpose codes of
      ``services.consent``) are turned off, each recorded in the consent history.
    """
    session.require(Permission.MANAGE_RIGHTS_REQUESTS)
    request = get_request(session, request_id)
    errors: dict[str, str] = {}
    if status not in dict(STATUSES) or status == RECEIVED:
        errors["status"] = _("Choose «In progress», «Answered» or «Denied».")
    if status in (ANSWERED, DENIED) and not response.strip():
        errors["response"] = _("Write the answer given to the person (what was done, or why "
                               "the request was denied).")
    unknown = set(withdraw) - set(consent.PURPOSE_COLUMNS)
    if unknown:
        errors["withdraw"] = _("Unknown purpose: {codes}.").format(codes=", ".join(sorted(unknown)))
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    anonymising = (request.kind == CANCELLATION and status == ANSWERED
                   and request.person_id is not None and not request.anonymised)
    if anonymising:
        session.require(Permission.ANONYMISE)
    now = dt.datetime.now().isoformat(timespec="seconds")
    values: dict[str, Any] = {"status": status, "response": response.strip()}
    if status in (ANSWERED, DENIED):
        values.update(answered_at=now, answered_by=session.user_id)
    with session.transaction() as tx:
        if anonymising:
            assert request.person_id is not None
            anonymise.anonymise_in(session, tx, request.person_id, today or dt.date.today())
        if request.kind == OPPOSITION and status == ANSWERED and request.person_id and withdraw:
            person = session.store.get("person", request.person_id)
            assert person is not None
            off = {consent.PURPOSE_COLUMNS[p]: 0 for p in withdraw}
            tx.update("person", request.person_id, off)
            consent.record_changes(tx, request.person_id, person, off, method=request.channel,
                                   note=_("Opposition request"), at=now)
        tx.update("rights_request", request_id, values)


def write_access_file(session: Session, person_id: str, path: Path,
                      today: dt.date | None = None) -> Path:
    """Answer an access request: the PDF of everything held about the person."""
    session.require(Permission.MANAGE_RIGHTS_REQUESTS)
    from oma_desktop.printing.person_file import write_person_file
    from oma_desktop.services.person_file import person_file_data

    written = write_person_file(person_file_data(session, person_id, today), path)
    try:
        from oma_desktop.services import audit
    except ImportError:  # the audit log (issue #9.4) lands separately
        return written
    try:  # no file name in the entry: it is insert-only and a name there would outlive
        # an anonymisation
        audit.record(session, "rights_access_pdf", entity="person", entity_id=person_id,
                     person_id=person_id)
    except BaseException:
        written.unlink(missing_ok=True)
        raise
    return written


__all__ = [
    "ACCESS", "ANSWERED", "CANCELLATION", "CHANNELS", "DENIED", "IN_PROGRESS", "KINDS",
    "OPPOSITION", "RECEIVED", "RECTIFICATION", "STATUSES", "UNITS", "Deadline",
    "RequestInput", "RightsRequest", "channel_label", "deadlines", "default_deadlines",
    "due_date", "get_request", "holidays", "kind_label", "list_requests", "overdue_count",
    "register_request", "respond", "set_deadline", "status_label", "unit_label",
    "write_access_file",
]
