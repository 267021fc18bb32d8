"""The registry of migrant organisations (issue #11, point 6): associations, collectives and
grassroots groups of migrants the casas work with, their members, a contact, whether the
municipality recognises them (no reconocida, en trámite, reconocida, with the resolution or
registry number) and whether they take part in the participatory budget (and in which years).

Organisations are synchronised records: a casa registers them, headquarters receives them and
sends the whole registry back to every casa (``sync.exchange.REFERENCE_ENTITIES``), so a casa
sees the organisations of the others. Written by roles with ``MANAGE_EVENTS``; read by those
and by the roles that see the reports. An organisation is never erased: it is marked inactive
(``active``), or deleted when it was registered by mistake.

:func:`organisations_section` summarises the registry for the reports: organisations by
recognition status (with their members), by zone and district, participation in the
participatory budget, and the organisations that took part in the period's events.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.geo import ZONES, district_zones
from oma_desktop.core.text import fold, forbidden_characters, normalize_phone
from oma_desktop.i18n import N_, _, ngettext
from oma_desktop.services.events import require_read
from oma_desktop.services.permissions import Permission
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.report_model import Column, Section, Table, count_rows
from oma_desktop.services.session import Session

NOT_RECOGNISED, IN_PROGRESS, RECOGNISED = "no_reconocida", "en_tramite", "reconocida"
RECOGNITION: tuple[tuple[str, str], ...] = (
    (NOT_RECOGNISED, N_("Not recognised")),
    (IN_PROGRESS, N_("Recognition in progress")),
    (RECOGNISED, N_("Recognised")),
)
RECOGNITION_CODES = tuple(code for code, _label in RECOGNITION)
KINDS: tuple[tuple[str, str], ...] = (
    ("asociacion", N_("Association")),
    ("colectivo", N_("Collective")),
    ("organizacion_base", N_("Grassroots organisation")),
    ("ong", N_("Non-governmental organisation")),
    ("otro", N_("Other kind of organisation")),
)
KIND_CODES = tuple(code for code, _label in KINDS)
MAX_NAME = 200
MAX_TEXT = 4000
MAX_MEMBERS = 1_000_000
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_CHARS = re.compile(r"[\d\s+()\-./]*")
_YEARS = re.compile(r"\d{4}")
OUTSIDE = "fuera"  # a district outside Lima and Callao


def recognition_label(code: str) -> str:
    return next((_(label) for c, label in RECOGNITION if c == code), code)


def kind_label(code: str) -> str:
    return next((_(label) for c, label in KINDS if c == code), code)


@dataclass
class OrganisationInput:
    """What the organisation form types."""

    name: str = ""
    acronym: str = ""
    kind: str = "asociacion"
    members: int | None = None  # None: not known
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    district_ubigeo: str | None = None
    recognition_status: str = NOT_RECOGNISED
    recognition_reference: str = ""
    participatory_budget: bool = False
    budget_years: str = ""  # «2025, 2026»
    notes: str = ""
    active: bool = True
    casa_id: str | None = None  # None: this installation's casa


def parse_years(text: str) -> list[int]:
    """``"2025, 2026"`` -> [2025, 2026]; raises ValueError when something else is written."""
    parts = [p for p in re.split(r"[\s,;/y-]+", text.strip()) if p]
    if not all(_YEARS.fullmatch(p) for p in parts):
        raise ValueError(text)
    return sorted({int(p) for p in parts})


def validate_organisation(session: Session, data: OrganisationInput,
                          organisation_id: str | None = None,
                          today: dt.date | None = None) -> dict[str, str]:
    """Field -> Spanish message for every problem; empty when it can be saved."""
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    if not name:
        errors["name"] = _("Write the name of the organisation.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("Too long: at most {n} characters.").format(n=MAX_NAME)
    else:
        twin = _same_name(session, name, organisation_id)
        if twin:
            errors["name"] = _("An organisation named «{name}» is already registered. Search "
                               "for it in the list and edit it instead.").format(name=twin)
    for key, multiline in (("name", False), ("acronym", False), ("contact_name", False),
                           ("recognition_reference", False), ("notes", True)):
        value = str(getattr(data, key))
        if key not in errors and forbidden_characters(value, multiline=multiline):
            errors[key] = _("The text has invisible control characters (pasted from another "
                            "program?). Type it again.")
        elif key not in errors and len(value) > (MAX_TEXT if multiline else MAX_NAME):
            errors[key] = _("Too long: at most {n} characters.").format(
                n=MAX_TEXT if multiline else MAX_NAME)
    if data.kind not in KIND_CODES:
        errors["kind"] = _("Choose the kind of organisation.")
    if data.members is not None:
        if data.members < 0:
            errors["members"] = _("The number of members cannot be negative. Leave it empty "
                                  "if it is not known.")
        elif data.members > MAX_MEMBERS:
            errors["members"] = _("The number of members is too large.")
    phone = data.contact_phone.strip()
    if phone:
        digits = normalize_phone(phone)
        if not _PHONE_CHARS.fullmatch(phone) or not 6 <= len(digits) <= 15:
            errors["contact_phone"] = _(
                "The phone looks wrong: write its digits (9 for a mobile phone, e.g. "
                "987654321; a landline with its area code, e.g. 014271234).")
    email = data.contact_email.strip()
    if email and not _EMAIL.fullmatch(email):
        errors["contact_email"] = _(
            "The email address looks wrong: write it like nombre@ejemplo.org.")
    if data.district_ubigeo and data.district_ubigeo not in {
            d.ubigeo for d in session.catalogs.districts}:
        errors["district_ubigeo"] = _("Choose the district from the list.")
    if data.recognition_status not in RECOGNITION_CODES:
        errors["recognition_status"] = _(
            "Choose the recognition status: not recognised, in progress or recognised.")
    elif data.recognition_status == RECOGNISED and not data.recognition_reference.strip():
        errors["recognition_reference"] = _(
            "Write the resolution or registry number that recognises the organisation.")
    if data.budget_years.strip():
        this_year = (today or dt.date.today()).year
        try:
            years = parse_years(data.budget_years)
        except ValueError:
            errors["budget_years"] = _(
                "Write the years separated by commas, for example: 2025, 2026.")
        else:
            if any(y < 2000 or y > this_year + 1 for y in years):
                errors["budget_years"] = _(
                    "Check the years: from 2000 to {last}.").format(last=this_year + 1)
            elif not data.participatory_budget:
                errors["participatory_budget"] = _(
                    "Mark that the organisation takes part in the participatory budget, or "
                    "leave the years empty.")
    return errors


def _same_name(session: Session, name: str, organisation_id: str | None) -> str:
    """The name of another organisation with the same name (accents and case aside)."""
    wanted = fold(name)
    for r in session.store.rows("SELECT id, name FROM organisation WHERE deleted = 0"):
        if r["id"] != organisation_id and fold(str(r["name"])) == wanted:
            return str(r["name"])
    return ""


def _fields(data: OrganisationInput) -> dict[str, Any]:
    years = parse_years(data.budget_years) if data.budget_years.strip() else []
    return {
        "name": " ".join(data.name.split()), "acronym": data.acronym.strip(),
        "kind": data.kind, "members": data.members,
        "contact_name": " ".join(data.contact_name.split()),
        "contact_phone": normalize_phone(data.contact_phone) if data.contact_phone.strip()
        else "",
        "contact_email": data.contact_email.strip().lower(),
        "district_ubigeo": data.district_ubigeo or None,
        "recognition_status": data.recognition_status,
        "recognition_reference": data.recognition_reference.strip(),
        "participatory_budget": 1 if data.participatory_budget else 0,
        "budget_years": ", ".join(str(y) for y in years),
        "notes": data.notes.strip(), "active": 1 if data.active else 0,
    }


def _check(session: Session, data: OrganisationInput, organisation_id: str | None,
           today: dt.date | None) -> None:
    errors = validate_organisation(session, data, organisation_id, today)
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))


def create_organisation(session: Session, data: OrganisationInput,
                        today: dt.date | None = None) -> str:
    """Validate and register an organisation; returns its id."""
    session.require(Permission.MANAGE_EVENTS)
    _check(session, data, None, today)
    with session.transaction() as tx:
        return tx.create("organisation", {
            **_fields(data), "casa_id": data.casa_id or session.casa_id or None})


def _current(session: Session, organisation_id: str) -> dict[str, Any]:
    row = session.store.get("organisation", organisation_id)
    if row is None or row["deleted"]:
        raise ValidationError({"organisation": _(
            "That organisation does not exist (it may have been deleted).")})
    return row


def update_organisation(session: Session, organisation_id: str, data: OrganisationInput,
                        today: dt.date | None = None) -> dict[str, Any]:
    """Correct an organisation; returns the fields that changed."""
    session.require(Permission.MANAGE_EVENTS)
    _current(session, organisation_id)
    _check(session, data, organisation_id, today)
    fields = _fields(data)
    if data.casa_id:
        fields["casa_id"] = data.casa_id
    with session.transaction() as tx:
        return tx.update("organisation", organisation_id, fields)


def delete_organisation(session: Session, organisation_id: str) -> None:
    """Delete an organisation registered by mistake (one that ceased to exist is marked
    inactive instead, so its history stays in the reports)."""
    session.require(Permission.MANAGE_EVENTS)
    _current(session, organisation_id)
    with session.transaction() as tx:
        tx.tombstone("organisation", organisation_id)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationRow:
    id: str
    casa_id: str
    name: str
    acronym: str
    kind: str
    members: int | None
    contact_name: str
    contact_phone: str
    contact_email: str
    district_ubigeo: str | None
    recognition_status: str
    recognition_reference: str
    participatory_budget: bool
    budget_years: str
    notes: str
    active: bool

    @property
    def recognition_label(self) -> str:
        return recognition_label(self.recognition_status)

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def shown_name(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def as_input(self) -> OrganisationInput:
        return OrganisationInput(
            name=self.name, acronym=self.acronym, kind=self.kind, members=self.members,
            contact_name=self.contact_name, contact_phone=self.contact_phone,
            contact_email=self.contact_email, district_ubigeo=self.district_ubigeo,
            recognition_status=self.recognition_status,
            recognition_reference=self.recognition_reference,
            participatory_budget=self.participatory_budget, budget_years=self.budget_years,
            notes=self.notes, active=self.active, casa_id=self.casa_id or None)


def _row(r: dict[str, Any]) -> OrganisationRow:
    return OrganisationRow(
        id=str(r["id"]), casa_id=str(r["casa_id"] or ""), name=str(r["name"]),
        acronym=str(r["acronym"]), kind=str(r["kind"]),
        members=None if r["members"] is None else int(r["members"]),
        contact_name=str(r["contact_name"]), contact_phone=str(r["contact_phone"]),
        contact_email=str(r["contact_email"]), district_ubigeo=r["district_ubigeo"] or None,
        recognition_status=str(r["recognition_status"]),
        recognition_reference=str(r["recognition_reference"]),
        participatory_budget=bool(r["participatory_budget"]),
        budget_years=str(r["budget_years"]), notes=str(r["notes"]), active=bool(r["active"]))


def list_organisations(
    session: Session,
    text: str = "",
    recognition_status: str | None = None,
    casa_id: str | None = None,
    include_inactive: bool = True,
) -> list[OrganisationRow]:
    """Organisations by name, filtered by ``text`` (name, acronym, contact; accents and
    case aside), recognition status, casa and whether inactive ones are listed."""
    require_read(session)
    where = ["deleted = 0"]
    args: list[Any] = []
    if recognition_status:
        where.append("recognition_status = ?")
        args.append(recognition_status)
    if casa_id:
        where.append("casa_id = ?")
        args.append(casa_id)
    if not include_inactive:
        where.append("active = 1")
    rows = [_row(r) for r in session.store.rows(
        f"SELECT * FROM organisation WHERE {' AND '.join(where)}", args)]
    wanted = fold(text)
    if wanted:
        rows = [r for r in rows
                if wanted in fold(f"{r.name} {r.acronym} {r.contact_name}")]
    return sorted(rows, key=lambda r: (not r.active, fold(r.name)))


def get_organisation(session: Session, organisation_id: str) -> OrganisationRow:
    require_read(session)
    r = session.store.one("SELECT * FROM organisation WHERE deleted = 0 AND id = ?",
                          [organisation_id])
    if r is None:
        raise ValidationError({"organisation": _(
            "That organisation does not exist (it may have been deleted).")})
    return _row(r)


def organisation_choices(session: Session) -> list[tuple[str, str]]:
    """(id, name) of the active organisations, for the event form."""
    return [(r.id, r.shown_name) for r in list_organisations(session, include_inactive=False)]


# --- the report section -----------------------------------------------------------------------


def _district_name(session: Session, ubigeo: str) -> str:
    try:
        return session.catalogs.district(ubigeo).label()
    except KeyError:
        return ubigeo


def organisations_section(session: Session, flt: ReportFilter) -> Section:
    """The registry as it stands (active organisations of the filter's casa, or all): by
    recognition status with their members, by zone and by district, participation in the
    participatory budget (and by year); and the organisations that took part in the events
    of the filter's period."""
    require_read(session)
    store = session.store
    where = "deleted = 0 AND active = 1" + (" AND casa_id = :casa" if flt.casa_id else "")
    params = flt.params()
    rows = store.rows(
        "SELECT id, name, acronym, members, district_ubigeo, recognition_status,"
        f" participatory_budget, budget_years FROM organisation WHERE {where}", params)
    total = len(rows)

    status_counts = Counter(str(r["recognition_status"]) for r in rows)
    members: Counter[str] = Counter()
    for r in rows:
        members[str(r["recognition_status"])] += int(r["members"] or 0)
    labels = [(code, _(label)) for code, label in RECOGNITION]
    status_rows, status_total = count_rows(labels, dict(status_counts))
    known = {code for code, _label in labels}
    order = [*RECOGNITION_CODES, *sorted(set(status_counts) - known)]
    for row, code in zip(status_rows, order, strict=True):
        row.insert(2, members[code])
    status_total.insert(2, sum(members.values()))
    status_total[0] = _("Total")
    by_status = Table(
        "organisations_by_status", _("Migrant organisations by recognition status"),
        [Column("status", _("Recognition status"), "text"),
         Column("organisations", _("Organisations")), Column("members", _("Members")),
         Column("percent", "%", "percent")],
        status_rows, status_total,
        note=_("Members: the sum of the members each organisation reported (organisations "
               "that did not report them count 0)."),
        chart="pie", chart_columns=("organisations",))

    zones = district_zones()
    zone_counts: Counter[str] = Counter()
    district_counts: Counter[str] = Counter()
    for r in rows:
        ubigeo = r["district_ubigeo"]
        if not ubigeo:
            zone_counts["sin_dato"] += 1
            continue
        zone_counts[zones.get(ubigeo, OUTSIDE)] += 1
        district_counts[str(ubigeo)] += 1
    zone_labels = [(z, z) for z in ZONES] + [(OUTSIDE, _("Outside Lima and Callao")),
                                            ("sin_dato", _("No data"))]
    zone_rows, zone_total = count_rows(zone_labels, dict(zone_counts), total)
    zone_total[0] = _("Total")
    by_zone = Table(
        "organisations_by_zone", _("Migrant organisations by zone"),
        [Column("zone", _("Zone"), "text"), Column("organisations", _("Organisations")),
         Column("percent", "%", "percent")], zone_rows, zone_total, chart="bar",
        chart_columns=("organisations",))
    district_labels = sorted(((u, _district_name(session, u)) for u in district_counts),
                             key=lambda kv: (-district_counts[kv[0]], fold(kv[1])))
    district_rows, district_total = count_rows(district_labels, dict(district_counts))
    district_total[0] = _("Total")
    by_district = Table(
        "organisations_by_district", _("Migrant organisations by district"),
        [Column("district", _("District"), "text"), Column("organisations", _("Organisations")),
         Column("percent", "%", "percent")], district_rows, district_total,
        note=_("Organisations without a district are left out."), chart="hbar",
        chart_columns=("organisations",))

    taking_part = sum(1 for r in rows if r["participatory_budget"])
    budget_rows, budget_total = count_rows(
        [("si", _("Take part in the participatory budget")),
         ("no", _("Do not take part"))],
        {"si": taking_part, "no": total - taking_part})
    budget_total[0] = _("Total")
    years: Counter[int] = Counter()
    for r in rows:
        if r["participatory_budget"] and r["budget_years"]:
            try:
                years.update(parse_years(str(r["budget_years"])))
            except ValueError:
                continue
    for year in sorted(years):
        budget_rows.append([_("Took part in {year}").format(year=year), years[year],
                            round(100.0 * years[year] / total, 1) if total else 0.0])
    budget = Table(
        "organisations_budget", _("Participation in the participatory budget"),
        [Column("participation", _("Participation"), "text"),
         Column("organisations", _("Organisations")), Column("percent", "%", "percent")],
        budget_rows, budget_total,
        note=_("The rows by year count the organisations that took part that year (one "
               "organisation may take part in several years)."))

    in_events: Counter[str] = Counter()
    for r in store.rows(
            "SELECT e.organisation_ids FROM event e WHERE e.deleted = 0"
            " AND e.started_on >= :start AND e.started_on < :end"
            + (" AND e.casa_id = :casa" if flt.casa_id else ""), params):
        for org in set(json.loads(r["organisation_ids"] or "[]")):
            in_events[str(org)] += 1
    names = {str(r["id"]): str(r["name"]) for r in store.rows(
        "SELECT id, name FROM organisation WHERE deleted = 0")}
    event_rows = [[names[org], n] for org, n in sorted(
        in_events.items(), key=lambda kv: (-kv[1], fold(names.get(kv[0], ""))))
        if org in names]
    events = Table(
        "organisations_in_events", _("Organisations that took part in the period's events"),
        [Column("organisation", _("Organisation"), "text"), Column("events", _("Events"))],
        event_rows, [_("Total"), len(event_rows)],
        note=_("Total: the organisations that took part in at least one event."))

    intro = ngettext(
        "{n} active migrant organisation registered (the registry as it stands today, not "
        "limited to the period).",
        "{n} active migrant organisations registered (the registry as it stands today, not "
        "limited to the period).", total).format(n=total)
    return Section(_("Migrant organisations"), [by_status, by_zone, by_district, budget, events],
                   intro=intro)


__all__ = [
    "IN_PROGRESS", "KINDS", "NOT_RECOGNISED", "RECOGNISED", "RECOGNITION", "OrganisationInput",
    "OrganisationRow", "create_organisation", "delete_organisation", "get_organisation",
    "kind_label", "list_organisations", "organisation_choices", "organisations_section",
    "parse_years", "recognition_label", "update_organisation", "validate_organisation",
]
