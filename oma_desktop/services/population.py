"""«Mapeo y seguimiento» (issue #11, point 2): the persons of a period by district and zone of
residence, with their follow-up state, to see where the population lives and whom to call.

**Who is listed.** A registered person (not deleted, not anonymised) who, in the filter's
period, either had a consultation the filter counts (casa, topic, sex, nationality, age band,
migratory situation, zone: the same :class:`ReportFilter` as the map and the reports), or was
registered (at the filter's casa, if one is chosen) and matches the person filters. With a
topic filter only the persons with a consultation on that topic are listed (a registration
has no topic). Anonymous walk-ins have no name or residence and are never listed.

**Follow-up state**, whatever casa did the work and up to today:

- *próximo seguimiento*: the earliest follow-up date still pending among the person's
  consultations (a «no contesta» call moves it, see ``services/followup.py``);
- *derivaciones abiertas*: referrals still waiting for an outcome (emitida, entregada);
- *última atención* and *última llamada* (its date and result);
- the state: «Seguimiento vencido» (pending date before today), «Seguimiento programado»,
  «Derivación en curso» (an open referral and no pending follow-up) or «Sin pendientes».

**Privacy.** The list holds names and phones: reading it needs ``VIEW_PERSONS``, exporting
it also ``EXPORT_PERSONAL`` (the export is audited). Reserved information is withheld from a
role without ``VIEW_SENSITIVE``: the vulnerabilities and disability column always reads
«Reservado», the reason of a follow-up on a sensitive topic too. The document is
``personal=True``: it is never produced for partners.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oma_desktop.core.disaggregation import WITH_DISABILITY, disability
from oma_desktop.core.errors import OmaError
from oma_desktop.core.text import fold
from oma_desktop.core.vocab import VULNERABILITIES, WG_DOMAINS, codes
from oma_desktop.i18n import N_, _, format_date, format_datetime
from oma_desktop.services.casas import casa_names
from oma_desktop.services.followup import result_label
from oma_desktop.services.history import topic_names
from oma_desktop.services.mapping import filter_descriptions, zone_order, zones_of
from oma_desktop.services.permissions import (
    Permission,
    is_sensitive_consultation,
    reserved_text,
)
from oma_desktop.services.referrals import OPEN_STATUSES
from oma_desktop.services.report_filter import ReportFilter, install_zone_table
from oma_desktop.services.report_model import Column, ReportDocument, Section, Table
from oma_desktop.services.session import Session

STATE_OVERDUE, STATE_SCHEDULED, STATE_REFERRAL, STATE_NONE = (
    "vencido", "programado", "derivacion", "sin_pendientes")
# most urgent first
STATES: tuple[tuple[str, str], ...] = (
    (STATE_OVERDUE, N_("Follow-up overdue")),
    (STATE_SCHEDULED, N_("Follow-up scheduled")),
    (STATE_REFERRAL, N_("Referral awaiting outcome")),
    (STATE_NONE, N_("Nothing pending")),
)
EXPORT_FORMATS = ("xlsx", "csv")


def state_label(code: str) -> str:
    return next((_(text) for c, text in STATES if c == code), code)


def state_rank(code: str) -> int:
    return next((i for i, (c, _t) in enumerate(STATES) if c == code), len(STATES))


@dataclass(frozen=True)
class FollowupRow:
    person_id: str
    name: str
    phone: str
    district_ubigeo: str  # "" without a district
    district: str  # its name ("" without one)
    zone: str  # the zone of the file in force ("" without one)
    sector: str  # «Sector o zona» as typed
    registered_on: dt.date
    attentions: int  # consultations the filter counts in the period (0: registered only)
    last_attention: dt.date | None  # the latest consultation, any casa, up to now
    next_follow_up: dt.date | None  # the earliest pending follow-up date
    follow_up_reason: str  # the topics of that consultation, or «Reservado»
    open_referrals: int
    last_call: str  # «02/12/2026 10:15 — No contesta» or ""
    vulnerability: str  # «Gestante, Discapacidad», «Reservado» or ""
    state: str  # one of the codes of STATES

    @property
    def state_text(self) -> str:
        return state_label(self.state)


def _name(row: Any) -> str:
    return " ".join(str(row[k]) for k in ("given_names", "paternal_surname",
                                          "maternal_surname") if row[k])


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _vulnerability(row: Any) -> str:
    parts = [_(text) for code, text in VULNERABILITIES if row[code]]
    if disability({code: row[code] for code in codes(WG_DOMAINS)}) == WITH_DISABILITY:
        parts.append(_("Disability"))
    return ", ".join(parts)


def _state(next_follow_up: dt.date | None, open_referrals: int, today: dt.date) -> str:
    if next_follow_up is not None:
        return STATE_OVERDUE if next_follow_up < today else STATE_SCHEDULED
    return STATE_REFERRAL if open_referrals else STATE_NONE


def followup_rows(session: Session, flt: ReportFilter, *, district: str | None = None,
                  today: dt.date | None = None, pending_only: bool = False,
                  ) -> list[FollowupRow]:
    """The persons of ``flt`` (see the module's docstring), of one district if given (and
    only those with something pending if ``pending_only``), in the order of the zones, then
    district, then the most urgent state, then name."""
    session.require(Permission.VIEW_PERSONS)
    today = today or dt.date.today()
    zone_of = zones_of(session)
    install_zone_table(session.store, zone_of)
    params = flt.params()
    params.update(district=district, today=today.isoformat())
    branches = [
        "SELECT c.person_id AS id, COUNT(*) AS n FROM consultation c"
        " JOIN person p ON p.id = c.person_id"
        f" WHERE {flt.consultation_where('c', 'p')} GROUP BY c.person_id"]
    if flt.topic is None:
        branches.append(
            f"SELECT p.id AS id, 0 AS n FROM person p WHERE {flt.person_where('p')}"
            " AND p.created_at >= :start AND p.created_at < :end"
            " AND (:casa IS NULL OR p.casa_id = :casa)")
    open_marks = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    wg = ", ".join(f"p.{c}" for c in codes(WG_DOMAINS))
    vuln = ", ".join(f"p.{c}" for c in codes(VULNERABILITIES))
    rows = session.store.rows(
        f"WITH chosen AS ({' UNION ALL '.join(branches)}),"
        " picked AS (SELECT id, SUM(n) AS attentions FROM chosen GROUP BY id),"
        " pending AS (SELECT f.id AS person_id, (SELECT c.id FROM consultation c"
        "   WHERE c.person_id = f.id AND c.deleted = 0 AND c.follow_up_done = 0"
        "   AND c.follow_up_date IS NOT NULL ORDER BY c.follow_up_date, c.id LIMIT 1)"
        "   AS consultation_id FROM picked f)"
        " SELECT p.id, p.given_names, p.paternal_surname, p.maternal_surname, p.phone,"
        f" p.district_ubigeo, p.zone AS sector, p.created_at, {wg}, {vuln},"
        " picked.attentions,"
        " (SELECT MAX(c.occurred_at) FROM consultation c WHERE c.person_id = p.id"
        "   AND c.deleted = 0) AS last_attention,"
        " fc.follow_up_date AS next_follow_up, fc.topics AS follow_up_topics,"
        " (SELECT COUNT(*) FROM referral r WHERE r.person_id = p.id AND r.deleted = 0"
        f"   AND r.status IN ({open_marks})) AS open_referrals,"
        " (SELECT f.called_at || '|' || f.result FROM follow_up_call f"
        "   WHERE f.person_id = p.id AND f.deleted = 0"
        "   ORDER BY f.called_at DESC, f.id DESC LIMIT 1) AS last_call"
        " FROM picked JOIN person p ON p.id = picked.id"
        " JOIN pending ON pending.person_id = p.id"
        " LEFT JOIN consultation fc ON fc.id = pending.consultation_id"
        " WHERE p.deleted = 0 AND p.anonymised_at IS NULL"
        " AND (:district IS NULL OR p.district_ubigeo = :district)", params)
    hidden = not session.can(Permission.VIEW_SENSITIVE)
    names = {d.ubigeo: d.name for d in session.catalogs.districts}
    out: list[FollowupRow] = []
    for r in rows:
        ubigeo = str(r["district_ubigeo"] or "")
        next_follow_up = _date(r["next_follow_up"])
        topics = json.loads(r["follow_up_topics"] or "[]")
        if next_follow_up is None:
            reason = ""
        elif hidden and is_sensitive_consultation(session.catalogs, topics):
            reason = reserved_text()
        else:
            reason = topic_names(session.catalogs, topics)
        last_call = ""
        if r["last_call"]:
            called_at, _sep, result = str(r["last_call"]).partition("|")
            last_call = f"{format_datetime(called_at)} — {result_label(result)}"
        open_referrals = int(r["open_referrals"] or 0)
        out.append(FollowupRow(
            person_id=str(r["id"]), name=_name(r), phone=str(r["phone"] or ""),
            district_ubigeo=ubigeo, district=names.get(ubigeo, ubigeo),
            zone=zone_of.get(ubigeo, ""), sector=" ".join(str(r["sector"] or "").split()),
            registered_on=_date(r["created_at"]) or today,
            attentions=int(r["attentions"] or 0),
            last_attention=_date(r["last_attention"]),
            next_follow_up=next_follow_up, follow_up_reason=reason,
            open_referrals=open_referrals, last_call=last_call,
            vulnerability=reserved_text() if hidden else _vulnerability(r),
            state=_state(next_follow_up, open_referrals, today),
        ))
    if pending_only:
        out = [row for row in out if row.state != STATE_NONE]
    order = {zone: i for i, zone in enumerate(zone_order(session))}
    out.sort(key=lambda row: (row.zone == "", order.get(row.zone, len(order)), row.zone,
                              row.district == "", fold(row.district), state_rank(row.state),
                              fold(row.name), row.person_id))
    return out


def state_counts(rows: Sequence[FollowupRow]) -> Counter[str]:
    return Counter(row.state for row in rows)


# --- the document (export) -------------------------------------------------------------------

def _scope_text(session: Session, flt: ReportFilter) -> str:
    if flt.casa_id is None:
        return _("Consolidated: all casas")
    return casa_names(session).get(flt.casa_id, flt.casa_id)


def summary_table(session: Session, rows: Sequence[FollowupRow]) -> Table:
    """Persons by zone and district with how many have each pending state."""
    groups: dict[tuple[str, str], list[FollowupRow]] = {}
    for row in rows:  # rows come sorted by zone and district
        groups.setdefault((row.zone, row.district), []).append(row)
    table = Table(
        key="by_district", title=_("Persons by zone and district"),
        columns=[Column("zone", _("Zone"), "text"), Column("district", _("District"), "text"),
                 Column("persons", _("Persons")),
                 Column("overdue", _("Follow-up overdue")),
                 Column("scheduled", _("Follow-up scheduled")),
                 Column("referrals", _("With open referrals"))])
    for (zone, district), members in groups.items():
        table.rows.append(_summary_row(zone or _("No zone"), district or _("No district"),
                                       members))
    table.total = _summary_row(_("Total"), "", list(rows))
    return table


def _summary_row(zone: str, district: str, members: Sequence[FollowupRow]) -> list[Any]:
    states = state_counts(members)
    return [zone, district, len(members), states[STATE_OVERDUE], states[STATE_SCHEDULED],
            sum(1 for m in members if m.open_referrals)]


def persons_table(rows: Sequence[FollowupRow]) -> Table:
    table = Table(
        key="persons", title=_("Persons and their follow-up"),
        columns=[
            Column("name", _("Person"), "text"), Column("phone", _("Phone"), "text"),
            Column("district", _("District"), "text"), Column("zone", _("Zone"), "text"),
            Column("state", _("State"), "text"),
            Column("next_follow_up", _("Next follow-up"), "text"),  # dates (or None)
            Column("reason", _("Follow-up reason"), "text"),
            Column("open_referrals", _("Open referrals"), "number"),
            Column("last_call", _("Last call"), "text"),
            Column("last_attention", _("Last attention"), "text"),
            Column("attentions", _("Attentions in the period"), "number"),
            Column("sector", _("Sector or area"), "text"),
            Column("vulnerability", _("Vulnerability"), "text"),
        ])
    for row in rows:
        table.rows.append([
            row.name, row.phone, row.district, row.zone, row.state_text, row.next_follow_up,
            row.follow_up_reason, row.open_referrals, row.last_call, row.last_attention,
            row.attentions, row.sector, row.vulnerability])
    return table


def followup_document(session: Session, flt: ReportFilter, *, district: str | None = None,
                      today: dt.date | None = None, summary: bool = True,
                      pending_only: bool = False) -> ReportDocument:
    """The list as a :class:`ReportDocument` (``kind="seguimiento"``, ``personal=True``) for
    the xlsx and CSV exports: a summary by zone and district (unless ``summary`` is False:
    the CSV is one table), then the persons."""
    session.require(Permission.VIEW_PERSONS)
    session.require(Permission.EXPORT_PERSONAL)
    today = today or dt.date.today()
    rows = followup_rows(session, flt, district=district, today=today,
                         pending_only=pending_only)
    filters = filter_descriptions(session, flt)
    if district is not None:
        names = {d.ubigeo: d.name for d in session.catalogs.districts}
        filters.append(_("District: {name}").format(name=names.get(district, district)))
    if pending_only:
        filters.append(_("Only persons with something pending"))
    notes = [
        _("Persons with an attention in the period, or registered in it, by district and "
          "zone of residence. Follow-up state as of {date}.").format(date=format_date(today)),
        _("Personal data: do not share this list outside the office."),
    ]
    if not session.can(Permission.VIEW_SENSITIVE):
        notes.append(_("Reserved information is shown as «{reserved}» for your role.").format(
            reserved=reserved_text()))
    return ReportDocument(
        kind="seguimiento", title=_("Mapping and follow-up"),
        period_from=flt.date_from, period_to=flt.date_to, scope=_scope_text(session, flt),
        filters=filters,
        sections=[*([Section(_("By zone and district"), [summary_table(session, rows)])]
                    if summary else []),
                  Section(_("Persons"), [persons_table(rows)])],
        notes=notes, personal=True)


def export_followup(session: Session, flt: ReportFilter, path: Path, *,
                    district: str | None = None, today: dt.date | None = None,
                    pending_only: bool = False) -> Path:
    """Write the list to ``path`` (.xlsx: the summary and the persons; .csv: the persons'
    table alone, one row per person) through the report export door
    (``services.reports.write_report``), which refuses (in Spanish) a role that may not export
    personal data and records the export in the audit log."""
    session.require(Permission.VIEW_PERSONS)
    session.require(Permission.EXPORT_PERSONAL)
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in EXPORT_FORMATS:
        raise OmaError(_("Choose a file ending in .xlsx or .csv."))
    document = followup_document(session, flt, district=district, today=today,
                                 summary=suffix == "xlsx", pending_only=pending_only)
    from oma_desktop.services.reports import write_report  # the door of every report export

    return write_report(session, document, Path(path), suffix)
