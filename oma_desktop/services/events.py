"""Events a casa or headquarters holds (issue #11, point 6): migratones, talentos vecinales,
forums, fairs, workshops and talks, and trainings of municipal staff on migrants' rights.

An event records its attendance as counts typed from the attendance sheet (total, women,
men, minors, migrants); the persons already registered who took part may also be linked to
it (``event_attendee``), so the total is never lower than the persons linked. A training of
municipal staff records the hours it lasted and how many staff of each gerencia of the
Municipalidad Metropolitana de Lima took part (``staff_by_gerencia``, {gerencia: participants});
the gerencias are offered from ``resources/catalogs/gerencias_mml.csv`` (with its sources)
and any other name may be typed.

Who may do what: roles with ``MANAGE_EVENTS`` (coordinación, administración de casa,
administración de la sede) register, correct and delete events; roles that see the reports
(``VIEW_REPORTS``, also the headquarters analyst) read them, without the names of the linked
persons unless their role sees persons (``VIEW_PERSONS``).

:func:`events_section` is the events part of the general report: events of the period by kind
with their attendance, and the staff trainings by gerencia with participants and hours.
Events are writes through ``session.transaction()`` like every synchronised record.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.text import fold, forbidden_characters
from oma_desktop.i18n import N_, _, format_date, ngettext
from oma_desktop.paths import resources_dir
from oma_desktop.services.permissions import Permission, denied
from oma_desktop.services.report_filter import ReportFilter, install_zone_table
from oma_desktop.services.report_model import Column, Section, Table
from oma_desktop.services.session import Session

MIGRATON, TALENTS, FORUM, FAIR, STAFF_TRAINING, WORKSHOP, OTHER = (
    "migraton", "talentos_vecinales", "foro", "feria", "capacitacion_personal", "taller",
    "otro")
KINDS: tuple[tuple[str, str], ...] = (
    (MIGRATON, N_("Migratón")),
    (TALENTS, N_("Neighbourhood talents")),
    (FORUM, N_("Forum")),
    (FAIR, N_("Fair")),
    (STAFF_TRAINING, N_("Training of municipal staff")),
    (WORKSHOP, N_("Workshop or talk")),
    (OTHER, N_("Other event")),
)
KIND_CODES = tuple(code for code, _label in KINDS)
MAX_TITLE = 200
MAX_TEXT = 4000
MAX_COUNT = 1_000_000
MAX_HOURS = 1000.0
MAX_DAYS = 366  # an event lasts at most a year
EARLIEST = dt.date(2015, 1, 1)
COUNT_FIELDS = ("attendance_total", "attendance_women", "attendance_men", "attendance_minors",
                "attendance_migrants")


def kind_label(code: str) -> str:
    return next((_(label) for c, label in KINDS if c == code), code)


# --- the gerencias of the Municipalidad Metropolitana de Lima --------------------------------


@dataclass(frozen=True)
class Gerencia:
    name: str
    organ_type: str  # alta dirección, asesoramiento, apoyo, línea (as the ROF groups them)
    source: str


@cache
def gerencias() -> tuple[Gerencia, ...]:
    """The gerencias offered in the training form, from ``gerencias_mml.csv`` (each row with
    its source: the MML's ROF)."""
    path = resources_dir() / "catalogs" / "gerencias_mml.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return tuple(Gerencia(r["name"].strip(), r["organ_type"].strip(), r["source"].strip())
                     for r in csv.DictReader(fh) if r["name"].strip())


def gerencia_names() -> list[str]:
    return [g.name for g in gerencias()]


def canonical_gerencia(name: str) -> str:
    """``name`` as the catalog spells it when it names one of its gerencias (accents and case
    aside), else the typed name with its spaces tidied."""
    tidy = " ".join(name.split())
    wanted = fold(tidy)
    return next((g.name for g in gerencias() if fold(g.name) == wanted), tidy)


# --- input, validation ------------------------------------------------------------------------


@dataclass
class EventInput:
    """What the event form types."""

    kind: str = ""
    title: str = ""
    started_on: dt.date | None = None
    ended_on: dt.date | None = None  # None: a one-day event
    place: str = ""
    district_ubigeo: str | None = None
    organisers: str = ""
    topics: list[str] = field(default_factory=list)
    attendance_total: int = 0
    attendance_women: int = 0
    attendance_men: int = 0
    attendance_minors: int = 0
    attendance_migrants: int = 0
    hours: float = 0.0
    staff_by_gerencia: dict[str, int] = field(default_factory=dict)
    organisation_ids: list[str] = field(default_factory=list)
    notes: str = ""
    # the registered persons who took part; None leaves the linked persons as they are
    attendee_ids: list[str] | None = None
    casa_id: str | None = None  # None: this installation's casa


def _text_errors(errors: dict[str, str], data: EventInput) -> None:
    for name, multiline, limit in (("title", False, MAX_TITLE), ("place", False, MAX_TITLE),
                                   ("organisers", False, MAX_TEXT), ("notes", True, MAX_TEXT)):
        value = str(getattr(data, name))
        if len(value) > limit:
            errors[name] = _("Too long: at most {n} characters.").format(n=limit)
        elif forbidden_characters(value, multiline=multiline):
            errors[name] = _("The text has invisible control characters (pasted from another "
                             "program?). Type it again.")


def _count_errors(errors: dict[str, str], data: EventInput, linked: int) -> None:
    negative = {
        "attendance_total": _("The total attendance cannot be negative."),
        "attendance_women": _("The number of women cannot be negative."),
        "attendance_men": _("The number of men cannot be negative."),
        "attendance_minors": _("The number of minors cannot be negative."),
        "attendance_migrants": _("The number of migrants cannot be negative."),
    }
    for name in COUNT_FIELDS:
        value = getattr(data, name)
        if not isinstance(value, int) or value < 0:
            errors[name] = negative[name]
        elif value > MAX_COUNT:
            errors[name] = _("The number is too large: check it.")
    if any(name in errors for name in COUNT_FIELDS):
        return
    total = data.attendance_total
    if data.attendance_women + data.attendance_men > total:
        errors["attendance_women"] = _(
            "Women and men together ({n}) cannot be more than the total attendance ({total})."
        ).format(n=data.attendance_women + data.attendance_men, total=total)
    if data.attendance_minors > total:
        errors["attendance_minors"] = _(
            "The minors ({n}) cannot be more than the total attendance ({total})."
        ).format(n=data.attendance_minors, total=total)
    if data.attendance_migrants > total:
        errors["attendance_migrants"] = _(
            "The migrants ({n}) cannot be more than the total attendance ({total})."
        ).format(n=data.attendance_migrants, total=total)
    if linked > total:
        errors["attendance_total"] = ngettext(
            "The total attendance ({total}) cannot be lower than the {n} registered person "
            "linked to the event.",
            "The total attendance ({total}) cannot be lower than the {n} registered persons "
            "linked to the event.", linked).format(total=total, n=linked)


def _training_errors(errors: dict[str, str], data: EventInput) -> None:
    hours = data.hours
    if not isinstance(hours, int | float) or hours < 0:
        errors["hours"] = _("The hours cannot be negative.")
    elif hours > MAX_HOURS:
        errors["hours"] = _("Too many hours: at most {n}.").format(n=int(MAX_HOURS))
    elif data.kind == STAFF_TRAINING and hours <= 0:
        errors["hours"] = _("Write how many hours the training lasted (more than 0).")
    staff = data.staff_by_gerencia
    if data.kind != STAFF_TRAINING:
        if staff:
            errors["staff_by_gerencia"] = _(
                "Participants by gerencia are recorded only for trainings of municipal staff.")
        return
    if not staff:
        errors["staff_by_gerencia"] = _(
            "Add at least one gerencia with the number of its staff who took part.")
        return
    for name, participants in staff.items():
        if not name.strip():
            errors["staff_by_gerencia"] = _("Write the name of each gerencia.")
            return
        if not isinstance(participants, int) or participants <= 0:
            errors["staff_by_gerencia"] = _(
                "Write how many staff of {gerencia} took part (at least 1).").format(
                    gerencia=name)
            return
    names = [fold(canonical_gerencia(n)) for n in staff]
    if len(set(names)) != len(names):
        errors["staff_by_gerencia"] = _("A gerencia is listed twice: add its participants in "
                                        "one line.")
        return
    participants = sum(staff.values())
    if "attendance_total" not in errors and participants > data.attendance_total:
        errors["attendance_total"] = _(
            "The staff by gerencia add up to {n}, more than the total attendance ({total})."
        ).format(n=participants, total=data.attendance_total)


def validate_event(session: Session, data: EventInput, event_id: str | None = None,
                   today: dt.date | None = None) -> dict[str, str]:
    """Field -> Spanish message for every problem; empty when it can be saved."""
    store = session.store
    errors: dict[str, str] = {}
    if data.kind not in KIND_CODES:
        errors["kind"] = _("Choose the kind of event.")
    if not data.title.strip():
        errors["title"] = _("Write the name of the event (e.g. «Migratón de verano»).")
    _text_errors(errors, data)
    today = today or dt.date.today()
    if data.started_on is None:
        errors["started_on"] = _("Write the date the event took place (or started).")
    elif data.started_on < EARLIEST:
        errors["started_on"] = _("The date is too old: check the year.")
    elif data.started_on > today + dt.timedelta(days=MAX_DAYS):
        errors["started_on"] = _("The date is more than a year ahead: check the year.")
    elif data.ended_on is not None:
        if data.ended_on < data.started_on:
            errors["ended_on"] = _("The event cannot end before it starts.")
        elif (data.ended_on - data.started_on).days > MAX_DAYS:
            errors["ended_on"] = _("An event lasts at most a year: check the dates.")
    if data.district_ubigeo:
        known = {d.ubigeo for d in session.catalogs.districts}
        if data.district_ubigeo not in known:
            errors["district_ubigeo"] = _("Choose the district from the list.")
    topics = {t.code for t in session.catalogs.topics}
    unknown = [t for t in data.topics if t not in topics]
    if unknown:
        errors["topics"] = _("Unknown topics: {codes}.").format(codes=", ".join(unknown))
    if data.organisation_ids:
        found = {r["id"] for r in store.rows(
            f"SELECT id FROM organisation WHERE deleted = 0 AND id IN"
            f" ({','.join('?' * len(data.organisation_ids))})", list(data.organisation_ids))}
        if set(data.organisation_ids) - found:
            errors["organisation_ids"] = _("One of the organisations chosen no longer exists.")
    if data.attendee_ids is not None:
        linked = len(set(data.attendee_ids))
        missing = _missing_persons(session, data.attendee_ids)
        if missing:
            errors["attendee_ids"] = _("One of the persons chosen no longer exists.")
    else:
        linked = _linked_count(session, event_id) if event_id else 0
    _count_errors(errors, data, linked)
    _training_errors(errors, data)
    return errors


def _missing_persons(session: Session, person_ids: Iterable[str]) -> set[str]:
    wanted = set(person_ids)
    if not wanted:
        return set()
    found = {r["id"] for r in session.store.rows(
        f"SELECT id FROM person WHERE deleted = 0 AND id IN ({','.join('?' * len(wanted))})",
        sorted(wanted))}
    return wanted - found


def _linked_count(session: Session, event_id: str) -> int:
    return int(session.store.scalar(
        "SELECT count(DISTINCT person_id) FROM event_attendee WHERE event_id = ? AND deleted = 0",
        [event_id]) or 0)


def _fields(data: EventInput) -> dict[str, Any]:
    assert data.started_on is not None  # validated
    ended = data.ended_on if data.ended_on and data.ended_on != data.started_on else None
    staff = {canonical_gerencia(k): int(v) for k, v in data.staff_by_gerencia.items()}
    return {
        "kind": data.kind, "title": " ".join(data.title.split()),
        "started_on": data.started_on.isoformat(),
        "ended_on": ended.isoformat() if ended else None,
        "place": data.place.strip(), "district_ubigeo": data.district_ubigeo or None,
        "organisers": data.organisers.strip(),
        "topics": json.dumps(list(dict.fromkeys(data.topics)), ensure_ascii=False),
        **{name: int(getattr(data, name)) for name in COUNT_FIELDS},
        "hours": float(data.hours),
        "staff_by_gerencia": json.dumps(staff, ensure_ascii=False, sort_keys=True),
        "organisation_ids": json.dumps(list(dict.fromkeys(data.organisation_ids))),
        "notes": data.notes.strip(),
    }


def _check(session: Session, data: EventInput, event_id: str | None,
           today: dt.date | None) -> None:
    errors = validate_event(session, data, event_id, today)
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))


def create_event(session: Session, data: EventInput, today: dt.date | None = None) -> str:
    """Validate and record a new event (and its linked persons); returns its id."""
    session.require(Permission.MANAGE_EVENTS)
    _check(session, data, None, today)
    with session.transaction() as tx:
        event_id = tx.create("event", {**_fields(data),
                                       "casa_id": data.casa_id or session.casa_id or None})
        for person_id in dict.fromkeys(data.attendee_ids or ()):
            tx.create("event_attendee", {"event_id": event_id, "person_id": person_id})
    return event_id


def _current(session: Session, event_id: str) -> dict[str, Any]:
    row = session.store.get("event", event_id)
    if row is None or row["deleted"]:
        raise ValidationError({"event": _("That event does not exist (it may have been "
                                          "deleted).")})
    return row


def _links(session: Session, event_id: str) -> dict[str, str]:
    """person id -> link id of the persons linked to the event."""
    return {r["person_id"]: r["id"] for r in session.store.rows(
        "SELECT id, person_id FROM event_attendee WHERE event_id = ? AND deleted = 0"
        " ORDER BY rowid", [event_id])}


def update_event(session: Session, event_id: str, data: EventInput,
                 today: dt.date | None = None) -> dict[str, Any]:
    """Correct an event; with ``attendee_ids`` the linked persons become exactly those.
    Returns the event's fields that changed."""
    session.require(Permission.MANAGE_EVENTS)
    _current(session, event_id)
    _check(session, data, event_id, today)
    fields = _fields(data)
    if data.casa_id:
        fields["casa_id"] = data.casa_id
    links = _links(session, event_id)
    with session.transaction() as tx:
        changed = tx.update("event", event_id, fields)
        if data.attendee_ids is not None:
            wanted = list(dict.fromkeys(data.attendee_ids))
            for person_id, link_id in links.items():
                if person_id not in wanted:
                    tx.tombstone("event_attendee", link_id)
            for person_id in wanted:
                if person_id not in links:
                    tx.create("event_attendee", {"event_id": event_id, "person_id": person_id})
    return changed


def delete_event(session: Session, event_id: str) -> None:
    """Delete an event and its links to persons (kept in the change log, as every record)."""
    session.require(Permission.MANAGE_EVENTS)
    _current(session, event_id)
    links = _links(session, event_id)
    with session.transaction() as tx:
        for link_id in links.values():
            tx.tombstone("event_attendee", link_id)
        tx.tombstone("event", event_id)


def add_attendee(session: Session, event_id: str, person_id: str) -> str:
    """Link a registered person to the event; returns the link's id. Refused when the
    person is already linked or when the linked persons would outnumber the total."""
    session.require(Permission.MANAGE_EVENTS)
    row = _current(session, event_id)
    if _missing_persons(session, [person_id]):
        raise ValidationError({"attendee_ids": _("That person does not exist.")})
    links = _links(session, event_id)
    if person_id in links:
        message = _("The person is already linked to this event.")
        raise ValidationError({"attendee_ids": message}, message)
    if len(links) + 1 > int(row["attendance_total"]):
        message = _("The event counts {total} attendees and {n} registered persons are "
                    "already linked. Raise the total attendance first.").format(
                        total=row["attendance_total"], n=len(links))
        raise ValidationError({"attendance_total": message}, message)
    with session.transaction() as tx:
        return tx.create("event_attendee", {"event_id": event_id, "person_id": person_id})


def remove_attendee(session: Session, event_id: str, person_id: str) -> bool:
    """Unlink a person from the event (the counts stay as typed); False if not linked."""
    session.require(Permission.MANAGE_EVENTS)
    _current(session, event_id)
    link_id = _links(session, event_id).get(person_id)
    if link_id is None:
        return False
    with session.transaction() as tx:
        tx.tombstone("event_attendee", link_id)
    return True


# --- reading ----------------------------------------------------------------------------------


def require_read(session: Session) -> None:
    """Events and organisations are read by the roles that manage them or see the reports."""
    if not (session.can(Permission.MANAGE_EVENTS) or session.can(Permission.VIEW_REPORTS)):
        raise denied(session.actor.role, Permission.VIEW_REPORTS)


@dataclass(frozen=True)
class Attendee:
    person_id: str
    name: str


@dataclass(frozen=True)
class EventRow:
    """One event as the list shows it."""

    id: str
    casa_id: str
    kind: str
    title: str
    started_on: dt.date
    ended_on: dt.date | None
    place: str
    district_ubigeo: str | None
    attendance_total: int
    attendance_women: int
    attendance_men: int
    attendance_minors: int
    attendance_migrants: int
    hours: float
    linked: int  # registered persons linked

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def dates_text(self) -> str:
        if self.ended_on is None:
            return format_date(self.started_on)
        return f"{format_date(self.started_on)} – {format_date(self.ended_on)}"


@dataclass(frozen=True)
class EventView:
    """One event with everything the form shows."""

    row: EventRow
    data: EventInput
    attendees: list[Attendee]  # empty for a role that does not see persons


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _row(r: dict[str, Any]) -> EventRow:
    started = _date(r["started_on"])
    assert started is not None  # NOT NULL
    return EventRow(
        id=str(r["id"]), casa_id=str(r["casa_id"] or ""), kind=str(r["kind"]),
        title=str(r["title"]), started_on=started, ended_on=_date(r["ended_on"]),
        place=str(r["place"]), district_ubigeo=r["district_ubigeo"] or None,
        attendance_total=int(r["attendance_total"]), attendance_women=int(r["attendance_women"]),
        attendance_men=int(r["attendance_men"]), attendance_minors=int(r["attendance_minors"]),
        attendance_migrants=int(r["attendance_migrants"]), hours=float(r["hours"]),
        linked=int(r["linked"] or 0))


_SELECT = ("SELECT e.*, (SELECT count(*) FROM event_attendee a WHERE a.event_id = e.id"
           " AND a.deleted = 0) AS linked FROM event e")


def list_events(
    session: Session,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    casa_id: str | None = None,
    kind: str | None = None,
    text: str = "",
    limit: int = 5000,
) -> list[EventRow]:
    """Events that started within [date_from, date_to] (either end open), newest first,
    of one casa or kind if given, whose title, place or organisers contain ``text``
    (accents and case aside)."""
    require_read(session)
    where = ["e.deleted = 0"]
    args: list[Any] = []
    if date_from is not None:
        where.append("e.started_on >= ?")
        args.append(date_from.isoformat())
    if date_to is not None:
        where.append("e.started_on <= ?")
        args.append(date_to.isoformat())
    if casa_id:
        where.append("e.casa_id = ?")
        args.append(casa_id)
    if kind:
        where.append("e.kind = ?")
        args.append(kind)
    rows = session.store.rows(
        f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY e.started_on DESC, e.rowid DESC",
        args)
    wanted = fold(text)
    out = []
    for r in rows:
        if wanted and wanted not in fold(f"{r['title']} {r['place']} {r['organisers']}"):
            continue
        out.append(_row(r))
        if len(out) >= limit:
            break
    return out


def event_years(session: Session) -> list[int]:
    """The years in which events started, newest first (the list's year filter)."""
    require_read(session)
    return [int(r["y"]) for r in session.store.rows(
        "SELECT DISTINCT substr(started_on, 1, 4) AS y FROM event WHERE deleted = 0"
        " ORDER BY y DESC")]


def _person_name(r: dict[str, Any]) -> str:
    return " ".join(str(r[k]) for k in ("given_names", "paternal_surname", "maternal_surname")
                    if r[k])


def event_attendees(session: Session, event_id: str) -> list[Attendee]:
    """The registered persons linked to the event, by name (needs ``VIEW_PERSONS``)."""
    session.require(Permission.VIEW_PERSONS)
    rows = session.store.rows(
        "SELECT p.id, p.given_names, p.paternal_surname, p.maternal_surname"
        " FROM event_attendee a JOIN person p ON p.id = a.person_id"
        " WHERE a.event_id = ? AND a.deleted = 0 AND p.deleted = 0", [event_id])
    people = [Attendee(str(r["id"]), _person_name(r)) for r in rows]
    return sorted(people, key=lambda a: fold(a.name))


def get_event(session: Session, event_id: str) -> EventView:
    require_read(session)
    r = session.store.one(f"{_SELECT} WHERE e.deleted = 0 AND e.id = ?", [event_id])
    if r is None:
        raise ValidationError({"event": _("That event does not exist (it may have been "
                                          "deleted).")})
    row = _row(r)
    people = (event_attendees(session, event_id) if session.can(Permission.VIEW_PERSONS)
              else [])
    data = EventInput(
        kind=row.kind, title=row.title, started_on=row.started_on, ended_on=row.ended_on,
        place=row.place, district_ubigeo=row.district_ubigeo, organisers=str(r["organisers"]),
        topics=list(json.loads(r["topics"] or "[]")),
        attendance_total=row.attendance_total, attendance_women=row.attendance_women,
        attendance_men=row.attendance_men, attendance_minors=row.attendance_minors,
        attendance_migrants=row.attendance_migrants, hours=row.hours,
        staff_by_gerencia={str(k): int(v) for k, v in
                           json.loads(r["staff_by_gerencia"] or "{}").items()},
        organisation_ids=list(json.loads(r["organisation_ids"] or "[]")),
        notes=str(r["notes"]),
        attendee_ids=[a.person_id for a in people] if session.can(Permission.VIEW_PERSONS)
        else None,
        casa_id=row.casa_id or None)
    return EventView(row, data, people)


# --- the report section -----------------------------------------------------------------------


def _where(flt: ReportFilter) -> str:
    parts = ["e.deleted = 0", "e.started_on >= :start", "e.started_on < :end"]
    if flt.casa_id is not None:
        parts.append("e.casa_id = :casa")
    if flt.topic is not None:
        parts.append("EXISTS (SELECT 1 FROM json_each(e.topics) t WHERE t.value = :topic)")
    if flt.zone is not None:
        parts.append("e.district_ubigeo IN (SELECT ubigeo FROM temp.report_zone"
                     " WHERE zone = :zone)")
    return " AND ".join(parts)


def _hours(value: float) -> float:
    return round(float(value), 1)


def events_section(session: Session, flt: ReportFilter) -> Section:
    """Events that started in the filter's period (of its casa, on its topic, held in its
    zone): by kind with their attendance, and the trainings of municipal staff by gerencia
    with participants and hours. The person filters (sex, nationality, age, migratory
    situation) do not apply: attendance is counted per event, not per person."""
    require_read(session)
    store = session.store
    if flt.zone is not None:
        install_zone_table(store)
    params = flt.params()
    where = _where(flt)
    by_kind = {r["kind"]: r for r in store.rows(
        "SELECT e.kind, count(*) AS events, sum(e.attendance_total) AS total,"
        " sum(e.attendance_women) AS women, sum(e.attendance_men) AS men,"
        " sum(e.attendance_minors) AS minors, sum(e.attendance_migrants) AS migrants"
        f" FROM event e WHERE {where} GROUP BY e.kind", params)}
    measures = ("events", "total", "women", "men", "minors", "migrants")
    kind_rows = []
    totals = dict.fromkeys(measures, 0)
    codes = [*KIND_CODES, *sorted(set(by_kind) - set(KIND_CODES))]
    for code in codes:
        r = by_kind.get(code)
        values = [int(r[m] or 0) if r else 0 for m in measures]
        for m, v in zip(measures, values, strict=True):
            totals[m] += v
        kind_rows.append([kind_label(code), *values])
    kinds = Table(
        "events_by_kind", _("Events by kind, with their attendance"),
        [Column("kind", _("Kind of event"), "text"), Column("events", _("Events")),
         Column("attendance", _("Attendance")), Column("women", _("Women")),
         Column("men", _("Men")), Column("minors", _("Minors")),
         Column("migrants", _("Migrants"))],
        kind_rows, [_("Total"), *(totals[m] for m in measures)],
        note=_("Attendance as counted at each event (attendance sheets); women and men may "
               "add up to less than the total when not everyone was counted by sex."),
        chart="bar", chart_columns=("events", "attendance"))

    staff: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    trainings: dict[str, float] = {}
    params = {**params, "training": STAFF_TRAINING}
    for r in store.rows(
            "SELECT e.id, e.hours, g.key AS gerencia, g.value AS participants"
            f" FROM event e, json_each(e.staff_by_gerencia) g"
            f" WHERE {where} AND e.kind = :training", params):
        hours = float(r["hours"] or 0)
        n = int(r["participants"] or 0)
        line = staff[str(r["gerencia"])]
        line[0] += 1
        line[1] += n
        line[2] += hours
        line[3] += n * hours
        trainings[str(r["id"])] = hours
    staff_rows = [[name, int(v[0]), int(v[1]), _hours(v[2]), _hours(v[3])]
                  for name, v in sorted(staff.items(), key=lambda kv: (-kv[1][1], fold(kv[0])))]
    by_gerencia = Table(
        "staff_training_by_gerencia",
        _("Trainings of municipal staff on migrants' rights, by gerencia"),
        [Column("gerencia", _("Gerencia"), "text"), Column("trainings", _("Trainings")),
         Column("participants", _("Participants")),
         Column("hours", _("Hours of training"), "number"),
         Column("participant_hours", _("Participant-hours"), "number")],
        staff_rows,
        [_("Total"), len(trainings), sum(int(v[1]) for v in staff.values()),
         _hours(sum(trainings.values())), _hours(sum(v[3] for v in staff.values()))],
        note=_("Hours of training: the hours of the trainings each gerencia took part in (the "
               "total counts each training once). Participant-hours: participants × hours."),
        chart="hbar", chart_columns=("participants",))

    listed = store.rows(
        "SELECT e.kind, e.title, e.started_on, e.place, e.attendance_total"
        f" FROM event e WHERE {where} ORDER BY e.started_on, e.rowid", flt.params())
    events = Table(
        "events_list", _("Events of the period"),
        [Column("date", _("Date"), "text"), Column("kind", _("Kind of event"), "text"),
         Column("title", _("Event"), "text"), Column("place", _("Place"), "text"),
         Column("attendance", _("Attendance"))],
        [[format_date(r["started_on"]), kind_label(r["kind"]), r["title"], r["place"],
          int(r["attendance_total"])] for r in listed])
    intro = ngettext("{n} event in the period.", "{n} events in the period.",
                     totals["events"]).format(n=totals["events"])
    if any(v is not None for v in (flt.sex, flt.nationality, flt.age_band,
                                   flt.migratory_status)):
        intro += " " + _("The filters on persons (sex, nationality, age, migratory situation) "
                         "do not apply to events: their attendance is counted per event.")
    if flt.zone is not None:
        intro += " " + _("Zone: events held in a district of the zone.")
    return Section(_("Events and trainings"), [kinds, by_gerencia, events], intro=intro)


__all__ = [
    "FAIR", "FORUM", "KINDS", "KIND_CODES", "MIGRATON", "OTHER", "STAFF_TRAINING", "TALENTS",
    "WORKSHOP", "Attendee", "EventInput", "EventRow", "EventView", "Gerencia",
    "add_attendee", "canonical_gerencia", "create_event", "delete_event", "event_attendees",
    "event_years", "events_section", "gerencia_names", "gerencias", "get_event", "kind_label",
    "list_events", "remove_attendee", "require_read", "update_event", "validate_event",
]
