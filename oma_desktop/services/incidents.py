"""The security-incident register (issue #9, point 4): what happened to the data, when it
was detected, whom it affects, what was done, and the notice to the authority.

The rule (../shared/reference/data_protection_pe.md §4, D.S. 016-2024-JUS art. 34 as
quoted by secondary sources; check the official text): an incident is notified to the
**Autoridad Nacional de Protección de Datos Personales (ANPD)** — a digital one also to the
**Centro Nacional de Seguridad Digital** (reporte.cnsd.gob.pe; public entities notify every
digital incident there, D.U. 007-2020) — **within 48 hours of detecting it**, even if it was
already contained; a late notice must give its reasons. The affected persons are told in
plain words within the same 48 hours. Every incident is recorded, notified or not.

So the deadline is ``detected_at + 48 h`` (clock hours: whether business hours count is not
confirmed, so the stricter reading is used). An open incident past its deadline and not yet
notified is *overdue* and listed first.

Incidents are synchronised records (``security_incident``), written only through
``session.transaction()``; their history is the change log. Times are the PC's local time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from oma_desktop.core.errors import ValidationError
from oma_desktop.i18n import N_, _
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

NOTICE_HOURS = 48
OPEN, NOTIFIED, CLOSED = "abierto", "notificado", "cerrado"
STATUSES: dict[str, str] = {OPEN: N_("Open"), NOTIFIED: N_("Notified"), CLOSED: N_("Closed")}
# whom the notice goes to, offered in the form (free text may be typed)
AUTHORITIES: tuple[str, ...] = (
    N_("National Authority for Personal Data Protection (ANPD)"),
    N_("ANPD and National Digital Security Centre (CNSD)"),
)
MAX_TEXT = 4000


def status_label(code: str) -> str:
    msgid = STATUSES.get(code)
    return _(msgid) if msgid else code


@dataclass
class IncidentInput:
    """What the register form types."""

    title: str = ""
    detected_at: dt.datetime | None = None
    description: str = ""
    data_affected: str = ""
    persons_affected: int | None = None  # None: not known yet
    measures: str = ""


@dataclass(frozen=True)
class Incident:
    id: str
    casa_id: str
    detected_at: dt.datetime
    reported_by: str  # user id
    reported_by_name: str
    title: str
    description: str
    data_affected: str
    persons_affected: int | None
    measures: str
    notified_at: dt.datetime | None
    notified_to: str
    status: str
    closed_at: dt.datetime | None

    @property
    def deadline(self) -> dt.datetime:
        return notice_deadline(self)

    @property
    def status_text(self) -> str:
        return status_label(self.status)

    def overdue(self, now: dt.datetime) -> bool:
        return is_overdue(self, now)


def notice_deadline(incident: Incident | IncidentInput) -> dt.datetime:
    """When the notice to the authority is due: 48 hours after the incident was detected
    (D.S. 016-2024-JUS art. 34, see the module docstring)."""
    if incident.detected_at is None:
        raise ValueError("an incident without its detection time has no deadline")
    return incident.detected_at + dt.timedelta(hours=NOTICE_HOURS)


def is_overdue(incident: Incident, now: dt.datetime) -> bool:
    """Open, not notified, and past its deadline."""
    return incident.status == OPEN and incident.notified_at is None and now > incident.deadline


def validate_incident(data: IncidentInput, now: dt.datetime | None = None) -> dict[str, str]:
    """Field -> Spanish message for every problem; empty when it can be saved."""
    now = now or dt.datetime.now()
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = _("Write a short title for the incident (what happened).")
    if data.detected_at is None:
        errors["detected_at"] = _("Write the date and time the incident was detected.")
    elif data.detected_at > now:
        errors["detected_at"] = _(
            "The detection time is in the future. Write when the incident was detected.")
    if data.persons_affected is not None and data.persons_affected < 0:
        errors["persons_affected"] = _(
            "The number of persons affected cannot be negative. Leave it empty if it is not "
            "known yet.")
    for name in ("title", "description", "data_affected", "measures"):
        if len(getattr(data, name)) > MAX_TEXT:
            errors[name] = _("Too long: at most {n} characters.").format(n=MAX_TEXT)
    return errors


def _stamp(when: dt.datetime) -> str:
    return when.replace(microsecond=0).isoformat(timespec="minutes")


def _fields(data: IncidentInput) -> dict[str, Any]:
    assert data.detected_at is not None  # validated
    return {
        "title": data.title.strip(),
        "detected_at": _stamp(data.detected_at),
        "description": data.description.strip(),
        "data_affected": data.data_affected.strip(),
        "persons_affected": data.persons_affected,
        "measures": data.measures.strip(),
    }


def register_incident(
    session: Session, data: IncidentInput, now: dt.datetime | None = None
) -> str:
    """Validate and record a new incident (open); returns its id."""
    session.require(Permission.MANAGE_INCIDENTS)
    errors = validate_incident(data, now)
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    with session.transaction() as tx:
        return tx.create("security_incident", {
            **_fields(data), "casa_id": session.casa_id or None,
            "reported_by": session.user_id, "status": OPEN,
        })


def _current(session: Session, incident_id: str) -> dict[str, Any]:
    row = session.store.get("security_incident", incident_id)
    if row is None or row["deleted"]:
        raise ValidationError({"incident": _("That incident does not exist.")})
    return row


def update_incident(
    session: Session, incident_id: str, data: IncidentInput, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Correct or complete an incident that is not closed; returns the fields changed."""
    session.require(Permission.MANAGE_INCIDENTS)
    row = _current(session, incident_id)
    if row["status"] == CLOSED:
        raise ValidationError({"status": _("A closed incident cannot be changed.")})
    errors = validate_incident(data, now)
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    with session.transaction() as tx:
        return tx.update("security_incident", incident_id, _fields(data))


def notify_incident(
    session: Session, incident_id: str, notified_to: str,
    notified_at: dt.datetime | None = None, now: dt.datetime | None = None,
) -> None:
    """Record that the incident was notified (to whom, when)."""
    session.require(Permission.MANAGE_INCIDENTS)
    now = now or dt.datetime.now()
    notified_at = notified_at or now
    row = _current(session, incident_id)
    errors: dict[str, str] = {}
    if row["status"] != OPEN:
        errors["status"] = _("Only an open incident can be marked as notified.")
    if not notified_to.strip():
        errors["notified_to"] = _("Write whom the incident was notified to (for example, "
                                  "the ANPD).")
    if notified_at > now:
        errors["notified_at"] = _("The notice cannot be in the future.")
    elif notified_at < dt.datetime.fromisoformat(row["detected_at"]):
        errors["notified_at"] = _("The notice cannot be earlier than the detection.")
    if errors:
        raise ValidationError(errors, next(iter(errors.values())))
    with session.transaction() as tx:
        tx.update("security_incident", incident_id, {
            "notified_at": _stamp(notified_at), "notified_to": notified_to.strip(),
            "status": NOTIFIED,
        })


def close_incident(session: Session, incident_id: str, now: dt.datetime | None = None) -> None:
    """Close an incident (handled; notified or found not to need a notice)."""
    session.require(Permission.MANAGE_INCIDENTS)
    row = _current(session, incident_id)
    if row["status"] == CLOSED:
        raise ValidationError({"status": _("The incident is already closed.")},
                              _("The incident is already closed."))
    with session.transaction() as tx:
        tx.update("security_incident", incident_id, {
            "status": CLOSED, "closed_at": _stamp(now or dt.datetime.now())})


def _when(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value)) if value else None


def _incident(row: dict[str, Any]) -> Incident:
    detected = _when(row["detected_at"])
    assert detected is not None  # NOT NULL
    return Incident(
        id=str(row["id"]), casa_id=str(row["casa_id"] or ""), detected_at=detected,
        reported_by=str(row["reported_by"] or ""),
        reported_by_name=str(row["reporter"] or row["reported_by"] or ""),
        title=str(row["title"]), description=str(row["description"]),
        data_affected=str(row["data_affected"]), persons_affected=row["persons_affected"],
        measures=str(row["measures"]), notified_at=_when(row["notified_at"]),
        notified_to=str(row["notified_to"]), status=str(row["status"]),
        closed_at=_when(row["closed_at"]),
    )


_SELECT = ("SELECT i.*, u.display_name AS reporter FROM security_incident i"
           " LEFT JOIN app_user u ON u.id = i.reported_by WHERE i.deleted = 0")


def get_incident(session: Session, incident_id: str) -> Incident:
    session.require(Permission.MANAGE_INCIDENTS)
    row = session.store.one(_SELECT + " AND i.id = ?", [incident_id])
    if row is None:
        raise ValidationError({"incident": _("That incident does not exist.")})
    return _incident(row)


def list_incidents(session: Session, now: dt.datetime | None = None) -> list[Incident]:
    """Every incident: overdue ones first (oldest deadline first), then the other open
    ones (soonest deadline first), then notified and closed ones (newest first)."""
    session.require(Permission.MANAGE_INCIDENTS)
    now = now or dt.datetime.now()
    incidents = [_incident(r) for r in session.store.rows(_SELECT)]
    rank = {OPEN: 1, NOTIFIED: 2, CLOSED: 3}

    def key(i: Incident) -> tuple[int, float]:
        if i.overdue(now):
            return (0, i.deadline.timestamp())
        if i.status == OPEN:
            return (1, i.deadline.timestamp())
        return (rank.get(i.status, 3), -i.detected_at.timestamp())

    return sorted(incidents, key=key)


__all__ = [
    "AUTHORITIES", "CLOSED", "NOTICE_HOURS", "NOTIFIED", "OPEN", "STATUSES", "Incident",
    "IncidentInput", "close_incident", "get_incident", "is_overdue", "list_incidents",
    "notice_deadline", "notify_incident", "register_incident", "status_label",
    "update_incident", "validate_incident",
]
