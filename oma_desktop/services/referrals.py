"""Referrals (derivaciones): a person sent to a directory service, with a printed slip and
a counter-referral stub that comes back (issue #8, points 2-4).

Rules kept here, below the screens:

* consent: without the person's ``consent_refer`` a referral is refused unless someone
  whose role may override it (``Permission.OVERRIDE_CONSENT``: coordinación) writes why
  (``consent_override``); the override is stored on the referral and in its first event,
  signed by the acting user;
* the code ``CV3-2026-000123`` (casa, year, number) takes 1 + the greatest number of that
  casa and year, read INSIDE the write transaction: ``Store.transaction`` begins
  IMMEDIATE, so two saves at once queue on SQLite's write lock and never read the same
  maximum; rows are never deleted, so a number is never reused;
* lifecycle: emitida -> entregada -> atendida | no_atendida | rechazada | cancelada, each
  change a ``referral_event`` dated and signed by the acting user, with the institution's
  feedback; the due date comes from the priority.

The slip (``printing.slip``) shows only the person fields listed in ``shared`` and only
when the person consented to the referral; a referral made under an override shows the
name's initials and nothing else (see :func:`slip_person_lines`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.vocab import document_short_label
from oma_desktop.i18n import N_, _, format_date
from oma_desktop.services import audit
from oma_desktop.services.directory import ServiceRow, get_service
from oma_desktop.services.installation import station_tag
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

if TYPE_CHECKING:
    from oma_desktop.printing.slip import SlipData

# (code, label, days to the due date)
PRIORITIES: tuple[tuple[str, str, int], ...] = (
    ("emergencia", N_("Emergency (24 hours)"), 1),
    ("urgente", N_("Urgent (72 hours)"), 3),
    ("normal", N_("Normal (2 weeks)"), 14),
)
PRIORITY_DAYS = {code: days for code, _label, days in PRIORITIES}

ISSUED, DELIVERED, ATTENDED, NOT_ATTENDED, REJECTED, CANCELLED = (
    "emitida", "entregada", "atendida", "no_atendida", "rechazada", "cancelada")
STATUSES: tuple[tuple[str, str], ...] = (
    (ISSUED, N_("issued")),
    (DELIVERED, N_("delivered")),
    (ATTENDED, N_("attended")),
    (NOT_ATTENDED, N_("not attended")),
    (REJECTED, N_("rejected")),
    (CANCELLED, N_("cancelled")),
)
OPEN_STATUSES = (ISSUED, DELIVERED)  # waiting for an outcome
OUTCOMES = (ATTENDED, NOT_ATTENDED, REJECTED)  # what the returned stub can say
TRANSITIONS: dict[str, frozenset[str]] = {
    # an issued slip may come back before anyone marked it delivered
    ISSUED: frozenset({DELIVERED, CANCELLED, *OUTCOMES}),
    DELIVERED: frozenset({CANCELLED, *OUTCOMES}),
}

# Person fields a slip may show, in the slip's order.
SHARED_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", N_("Name")),
    ("document", N_("Document")),
    ("age", N_("Age")),
    ("nationality", N_("Nationality")),
    ("phone", N_("Phone")),
)
DEFAULT_SHARED = ("name", "document")


_CODE = re.compile(r"^([A-Z0-9]+)-(\d{4})-(\d{1,9})(?:-([0-9A-Z]{3}))?$")


def status_label(code: str) -> str:
    return next((_(text) for c, text in STATUSES if c == code), code)


def priority_label(code: str) -> str:
    return next((_(text) for c, text, _days in PRIORITIES if c == code), code)


def format_code(casa_id: str, year: int, number: int, station: str = "") -> str:
    """``CV3-2026-000123-7KQ``: casa, year, number in the casa's year at this station, and
    the station tag (``services.installation.station_tag``); codes issued before stations
    existed have no tag."""
    code = f"{casa_id}-{year}-{number:06d}"
    return f"{code}-{station}" if station else code


def normalize_code(text: str) -> str:
    """``' cv3-2026-123-7kq '`` -> ``CV3-2026-000123-7KQ`` (typed by hand or read by a
    scanner; the letters O, I and L typed in the tag are read as 0, 1 and 1);
    unrecognisable text comes back upper-cased, spaces turned into hyphens."""
    compact = re.sub(r"[\s-]+", "-", text.strip()).upper()
    parts = compact.rsplit("-", 1)
    if len(parts) == 2 and len(parts[1]) == 3 and not parts[1].isdigit():
        compact = parts[0] + "-" + parts[1].translate(str.maketrans("OIL", "011"))
    match = _CODE.match(compact)
    if match is None:
        return compact
    return format_code(match[1], int(match[2]), int(match[3]), match[4] or "")


@dataclass
class ReferralInput:
    person_id: str
    service_id: str
    reason: str = ""
    priority: str = "normal"
    shared: list[str] = field(default_factory=lambda: list(DEFAULT_SHARED))
    consultation_id: str | None = None
    consent_override: str = ""


@dataclass(frozen=True)
class ReferralEvent:
    status: str
    at: dt.datetime
    user_name: str
    feedback: str

    @property
    def status_label(self) -> str:
        return status_label(self.status)


@dataclass(frozen=True)
class ReferralView:
    """Everything a screen or a slip needs about one referral."""

    id: str
    code: str
    casa_id: str
    casa_name: str
    person_id: str
    person_name: str
    consent_refer: bool
    consultation_id: str | None
    service: ServiceRow
    reason: str
    priority: str
    due_date: dt.date
    shared: list[str]
    consent_override: str
    status: str
    issued_at: dt.datetime
    staff_user_id: str
    staff_name: str
    printed_count: int
    events: list[ReferralEvent]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue(self, today: dt.date) -> bool:
        return self.is_open and self.due_date < today

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def priority_label(self) -> str:
        return priority_label(self.priority)


@dataclass(frozen=True)
class ReferralRow:
    id: str
    code: str
    status: str
    priority: str
    due_date: dt.date
    issued_at: dt.datetime
    person_id: str
    person_name: str
    service_id: str
    service_name: str
    casa_id: str

    def overdue(self, today: dt.date) -> bool:
        return self.status in OPEN_STATUSES and self.due_date < today

    @property
    def status_label(self) -> str:
        return status_label(self.status)


def _name(row: dict[str, Any]) -> str:
    return " ".join(
        str(row[k]) for k in ("given_names", "paternal_surname", "maternal_surname") if row[k])


def due_date_for(priority: str, issued: dt.date) -> dt.date:
    return issued + dt.timedelta(days=PRIORITY_DAYS[priority])


def validate_referral(session: Session, data: ReferralInput) -> dict[str, str]:
    """Field name -> Spanish message for every problem; empty when it can be saved."""
    store = session.store
    errors: dict[str, str] = {}
    person = store.get("person", data.person_id) if data.person_id else None
    if person is None or person["deleted"]:
        errors["person_id"] = _("Choose the person to refer.")
    service = store.get("service", data.service_id) if data.service_id else None
    if service is None or service["deleted"]:
        errors["service_id"] = _("Choose the destination service from the directory.")
    elif not service["active"]:
        errors["service_id"] = _(
            "This service is marked as inactive in the directory. Choose another one.")
    if not data.reason.strip():
        errors["reason"] = _("Write the reason for the referral.")
    if data.priority not in PRIORITY_DAYS:
        errors["priority"] = _("Choose the priority: emergency, urgent or normal.")
    known = {code for code, _label in SHARED_FIELDS}
    if any(f not in known for f in data.shared):
        errors["shared"] = _("Unknown information to share: {fields}.").format(
            fields=", ".join(f for f in data.shared if f not in known))
    if data.consultation_id:
        consultation = store.get("consultation", data.consultation_id)
        if consultation is None or consultation["person_id"] != data.person_id:
            errors["consultation_id"] = _("The consultation does not belong to this person.")
    if person is not None and not person["consent_refer"]:
        if not data.consent_override.strip():
            errors["consent_override"] = _(
                "The person has not agreed to be referred. Record their consent in their"
                " record, or let a coordinator write why the referral is needed anyway.")
        elif not session.can(Permission.OVERRIDE_CONSENT):  # who overrode is recorded
            errors["consent_override"] = _(
                "Only a coordinator can refer a person without their consent.")
    return errors


def create_referral(session: Session, data: ReferralInput, now: dt.datetime | None = None) -> str:
    """Validate and save a referral and its first event (emitida); returns its id."""
    session.require(Permission.REFER)
    errors = validate_referral(session, data)
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    now = (now or dt.datetime.now()).replace(second=0, microsecond=0)
    casa = session.casa_id
    station = station_tag(session.store.installation_id)
    person = session.store.get("person", data.person_id)
    assert person is not None  # validated
    override = data.consent_override.strip() if not person["consent_refer"] else ""
    first_note = ""
    if override:
        first_note = _("Referred without consent by {user}: {reason}").format(
            user=session.actor.display_name or session.user_id, reason=override)
    with session.transaction() as tx:
        # read inside the IMMEDIATE transaction: no other save can take the same number
        number = 1 + int(session.store.scalar(
            "SELECT COALESCE(MAX(number), 0) FROM referral"
            " WHERE casa_id = ? AND year = ? AND station = ?", [casa, now.year, station]))
        referral_id = tx.create("referral", {
            "code": format_code(casa, now.year, number, station),
            "casa_id": casa, "year": now.year, "number": number, "station": station,
            "person_id": data.person_id, "consultation_id": data.consultation_id or None,
            "service_id": data.service_id, "reason": data.reason.strip(),
            "priority": data.priority,
            "due_date": due_date_for(data.priority, now.date()).isoformat(),
            "shared": json.dumps([f for f, _label in SHARED_FIELDS if f in data.shared]),
            "consent_override": override, "status": ISSUED,
            "issued_at": now.isoformat(timespec="minutes"),
            "staff_user_id": session.user_id,
        })
        tx.create("referral_event", {
            "referral_id": referral_id, "status": ISSUED,
            "at": now.isoformat(timespec="minutes"), "user_id": session.user_id,
            "feedback": first_note,
        })
    return referral_id


def change_status(
    session: Session,
    referral_id: str,
    status: str,
    feedback: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Move a referral to ``status`` if its lifecycle allows it, as one signed event."""
    session.require(Permission.RECORD_OUTCOME)
    current = session.store.get("referral", referral_id)
    if current is None or current["deleted"]:
        raise ValidationError({"referral": _("That referral does not exist.")})
    if status not in TRANSITIONS.get(current["status"], frozenset()):
        raise ValidationError({"status": _(
            "A referral that is {current} cannot become {new}.").format(
                current=status_label(current["status"]), new=status_label(status))})
    now = (now or dt.datetime.now()).replace(second=0, microsecond=0)
    with session.transaction() as tx:
        tx.update("referral", referral_id, {"status": status})
        tx.create("referral_event", {
            "referral_id": referral_id, "status": status,
            "at": now.isoformat(timespec="minutes"), "user_id": session.user_id,
            "feedback": feedback.strip(),
        })


def find_by_code(session: Session, code: str) -> str | None:
    """The referral with ``code``, typed or scanned. A code typed without its station tag
    (``CV3-2026-123``) is found when only one station issued that number; when several did,
    the clerk is asked for the whole code."""
    session.require(Permission.VIEW_PERSONS)
    normalized = normalize_code(code)
    row = session.store.one("SELECT id FROM referral WHERE code = ? AND deleted = 0",
                            [normalized])
    if row is not None:
        return str(row["id"])
    match = _CODE.match(normalized)
    if match is None or match[4]:
        return None
    rows = session.store.rows(
        "SELECT id FROM referral WHERE casa_id = ? AND year = ? AND number = ? AND deleted = 0",
        [match[1], int(match[2]), int(match[3])])
    if len(rows) > 1:
        raise ValidationError({"code": _(
            "Several PCs of the casa issued a referral numbered {code}. Type the whole code,"
            " with the three characters at its end (for example {example}).").format(
                code=normalized, example=normalized + "-7KQ")})
    return str(rows[0]["id"]) if rows else None


def record_outcome(
    session: Session, code: str, status: str, feedback: str = "",
    now: dt.datetime | None = None,
) -> str:
    """Record what the returned counter-referral stub says; returns the referral's id.

    ``code`` is typed or read by a scanner (spaces and lower case tolerated).
    """
    session.require(Permission.RECORD_OUTCOME)
    if status not in OUTCOMES:
        raise ValidationError({"status": _(
            "Choose what the institution answered: attended, not attended or rejected.")})
    referral_id = find_by_code(session, code)
    if referral_id is None:
        raise ValidationError({"code": _(
            "No referral has the code {code}. Check it against the slip.").format(
                code=normalize_code(code) or "—")})
    change_status(session, referral_id, status, feedback, now)
    return referral_id


def _users(session: Session) -> dict[str, str]:
    return {r["id"]: r["display_name"] for r in session.store.rows(
        "SELECT id, display_name FROM app_user")}


def get_referral(session: Session, id_or_code: str) -> ReferralView:
    session.require(Permission.VIEW_PERSONS)
    store = session.store
    row = store.get("referral", id_or_code)
    if row is None:
        found = find_by_code(session, id_or_code)
        row = store.get("referral", found) if found else None
    if row is None:
        raise KeyError(id_or_code)
    person = store.get("person", row["person_id"]) or {}
    casa = store.get("casa", row["casa_id"]) or {}
    users = _users(session)
    # events are dated to the minute: within one minute the lifecycle gives the order
    rank = {ISSUED: 0, DELIVERED: 1}
    events = [
        ReferralEvent(e["status"], dt.datetime.fromisoformat(e["at"]),
                      users.get(e["user_id"] or "", e["user_id"] or ""), e["feedback"])
        for e in sorted(store.rows(
            "SELECT status, at, user_id, feedback FROM referral_event"
            " WHERE referral_id = ? AND deleted = 0", [row["id"]]),
            key=lambda e: (e["at"], rank.get(e["status"], 2)))
    ]
    return ReferralView(
        id=row["id"], code=row["code"], casa_id=row["casa_id"],
        casa_name=str(casa.get("name") or row["casa_id"]),
        person_id=row["person_id"], person_name=_name(person) if person else "",
        consent_refer=bool(person.get("consent_refer")),
        consultation_id=row["consultation_id"], service=get_service(session, row["service_id"]),
        reason=row["reason"], priority=row["priority"],
        due_date=dt.date.fromisoformat(row["due_date"]), shared=list(json.loads(row["shared"])),
        consent_override=row["consent_override"], status=row["status"],
        issued_at=dt.datetime.fromisoformat(row["issued_at"]),
        staff_user_id=row["staff_user_id"] or "",
        staff_name=users.get(row["staff_user_id"] or "", row["staff_user_id"] or ""),
        printed_count=int(row["printed_count"]), events=events,
    )


def list_referrals(
    session: Session,
    status: str | None = None,
    person_id: str | None = None,
    overdue_only: bool = False,
    casa_id: str | None = None,
    today: dt.date | None = None,
    limit: int = 5000,
) -> list[ReferralRow]:
    """Referrals, soonest due first (overdue ones: open and due before ``today``)."""
    session.require(Permission.VIEW_PERSONS)
    where = ["r.deleted = 0"]
    args: list[Any] = []
    if status:
        where.append("r.status = ?")
        args.append(status)
    if person_id:
        where.append("r.person_id = ?")
        args.append(person_id)
    if casa_id:
        where.append("r.casa_id = ?")
        args.append(casa_id)
    if overdue_only:
        where.append(f"r.status IN ({','.join('?' * len(OPEN_STATUSES))}) AND r.due_date < ?")
        args += [*OPEN_STATUSES, (today or dt.date.today()).isoformat()]
    rows = session.store.rows(
        "SELECT r.id, r.code, r.status, r.priority, r.due_date, r.issued_at, r.person_id,"
        " r.service_id, r.casa_id, p.given_names, p.paternal_surname, p.maternal_surname,"
        " s.name AS service_name, s.acronym"
        " FROM referral r JOIN person p ON p.id = r.person_id"
        " JOIN service s ON s.id = r.service_id"
        f" WHERE {' AND '.join(where)} ORDER BY r.due_date, r.code LIMIT ?",
        [*args, limit])
    return [
        ReferralRow(
            id=r["id"], code=r["code"], status=r["status"], priority=r["priority"],
            due_date=dt.date.fromisoformat(r["due_date"]),
            issued_at=dt.datetime.fromisoformat(r["issued_at"]), person_id=r["person_id"],
            person_name=_name(r), service_id=r["service_id"],
            service_name=_service_short(r["acronym"], r["service_name"]), casa_id=r["casa_id"])
        for r in rows
    ]


def _service_short(acronym: str, name: str) -> str:
    return acronym if acronym and acronym != "-" else name


# --- what the slip shows -------------------------------------------------------------------


def initials(name: str) -> str:
    """``María José Pérez`` -> ``M. J. P.``"""
    return " ".join(f"{word[0].upper()}." for word in name.split() if word)


def slip_person_lines(
    session: Session, view: ReferralView, today: dt.date | None = None
) -> list[tuple[str, str]]:
    """(label, value) of the person fields the slip may show.

    Only fields listed in ``shared``, and only with the person's consent to be referred:
    a referral made under a coordinator's override shows the name's initials (so the
    institution can match the person carrying the slip) and nothing else.
    """
    if not view.consent_refer:
        return [(_("Name"), initials(view.person_name))]
    store = session.store
    person = store.get("person", view.person_id) or {}
    lines: list[tuple[str, str]] = []
    for code, label in SHARED_FIELDS:
        if code not in view.shared:
            continue
        value = ""
        if code == "name":
            value = view.person_name
        elif code == "document":
            doc = store.one("SELECT doc_type, number FROM document WHERE person_id = ?"
                            " AND deleted = 0 AND number <> '' ORDER BY id LIMIT 1",
                            [view.person_id])
            value = (f"{document_short_label(doc['doc_type'], session.catalogs)}"
                     f" {doc['number']}") if doc else ""
        elif code == "age" and person.get("birth_date"):
            birth = dt.date.fromisoformat(str(person["birth_date"])[:10])
            on = today or dt.date.today()
            value = str(on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day)))
        elif code == "nationality":
            value = str(person.get("nationality") or "")
        elif code == "phone":
            value = str(person.get("phone") or "")
        if value:
            lines.append((_(label), value))
    return lines


def slip_data(session: Session, referral_id: str, paper: str | None = None) -> SlipData:
    """The slip of one referral (``copy`` once it was printed before)."""
    session.require(Permission.PRINT_SLIPS)
    from oma_desktop.printing.slip import SlipData

    view = get_referral(session, referral_id)
    casa = session.store.get("casa", view.casa_id) or {}
    service = view.service
    logo = str(casa.get("logo_png") or "")
    if view.consent_refer:
        consent = _("The person agreed to this referral and to sharing the data shown.")
    else:
        consent = _("Referred without the person's consent, on the coordinator's decision:"
                    " {reason}").format(reason=view.consent_override)
    return SlipData(
        code=view.code,
        copy=view.printed_count > 0,
        paper=paper or str(casa.get("slip_paper") or "A5"),
        casa_name=view.casa_name,
        casa_address=str(casa.get("address") or ""),
        casa_phone=str(casa.get("phone") or ""),
        logo_png=base64.b64decode(logo) if logo else None,
        issued_on=format_date(view.issued_at.date()),
        staff_name=view.staff_name,
        priority_label=view.priority_label,
        due_on=format_date(view.due_date),
        person_lines=slip_person_lines(session, view),
        service_name=service.label,
        service_address=service.address,
        service_hours=service.hours,
        service_phone=service.phone,
        requirements=service.requirements,
        reason=view.reason,
        consent_line=consent,
    )


def write_slip_pdf(session: Session, referral_ids: list[str], path: Path) -> Path:
    """Write the slips of ``referral_ids`` into one PDF (a preview: nothing is counted)."""
    session.require(Permission.PRINT_SLIPS)
    from oma_desktop.printing.slip import write_slips

    if not referral_ids:
        raise ValidationError({"referrals": _("Choose at least one referral to print.")})
    slips = [slip_data(session, rid) for rid in referral_ids]
    out = write_slips(slips, Path(path))
    return Path(out) if out is not None else Path(path)


def count_printed(session: Session, referral_ids: list[str]) -> None:
    """Count one printing of each slip (logged): the next one says COPIA."""
    session.require(Permission.PRINT_SLIPS)
    with session.transaction() as tx:
        for rid in referral_ids:
            row = session.store.get("referral", rid)
            if row is None:
                raise KeyError(rid)
            tx.update("referral", rid, {"printed_count": int(row["printed_count"]) + 1})
            audit.record_in(session, tx, "print", entity="referral", entity_id=rid,
                            detail=_("Slip {code}").format(code=row["code"]))


def print_slips(session: Session, referral_ids: list[str], path: Path) -> Path:
    """Write the slips of ``referral_ids`` into one PDF, then count the printing (logged)."""
    session.require(Permission.PRINT_SLIPS)
    out = write_slip_pdf(session, referral_ids, path)
    count_printed(session, referral_ids)
    return out
