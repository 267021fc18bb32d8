"""Reports for a period (issue #11): the figures, disaggregated by the one rule of
``core/disaggregation.py``, computed in SQL (topics from the ``consultation_topic`` table,
never by parsing JSON per row).

The general report counts, for a :class:`~oma_desktop.services.report_filter.ReportFilter`:

- consultations by topic and by axis of the capacity plan, and by axis against age band and
  sex (the consultation's person, or what an anonymous walk-in's consultation recorded);
- persons attended (new: registered within the period; returning: registered before), by
  age band, sex, nationality, migratory situation, disability and zone of residence;
  anonymous walk-ins count where their fields allow (each walk-in consultation is one
  person, their migratory situation and disability «sin dato»);
- persons registered within the period, by zone and district of residence;
- referrals issued within the period by destination and outcome: the share attended among
  those with an outcome (attended, not attended, rejected) and the median days from issue
  to outcome; and referrals issued and attended by each dimension.

Ages are taken on the period's last day. :func:`general_document` turns the figures into the
:class:`~oma_desktop.services.report_model.ReportDocument` the screen, the PDF, the xlsx and
the CSV all show; :func:`build_report` is the one door for every kind of report.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.core.disaggregation import (
    AGE_BANDS,
    DISABILITY,
    UNKNOWN,
    UNKNOWN_LABEL,
    anonymous_profile,
)
from oma_desktop.core.errors import OmaError
from oma_desktop.core.geo import zone_names
from oma_desktop.core.vocab import MIGRATORY_STATUS, SEX
from oma_desktop.i18n import N_, _, country_name, format_date
from oma_desktop.services.permissions import Permission
from oma_desktop.services.report_filter import (
    OUTSIDE,
    ReportFilter,
    consultation_profile_sql,
    install_zone_table,
    person_profile_sql,
    zone_sql,
)
from oma_desktop.services.report_model import (
    Column,
    ReportDocument,
    ReportKind,
    Section,
    Table,
)
from oma_desktop.services.session import Session

DIMENSIONS = ("age_band", "sex", "nationality", "migratory_status", "disability")
DIMENSION_TITLES = {
    "age_band": N_("Age band"),
    "sex": N_("Sex"),
    "nationality": N_("Nationality"),
    "migratory_status": N_("Migratory situation"),
    "disability": N_("Disability"),
    "zone": N_("Zone of residence"),
}
# referral statuses as the report groups them
ATTENDED, NOT_ATTENDED, REJECTED, CANCELLED = "atendida", "no_atendida", "rechazada", "cancelada"
OUTCOMES = (ATTENDED, NOT_ATTENDED, REJECTED)
PENDING = ("emitida", "entregada")


@dataclass
class ReferralLine:
    """The referrals to one destination (a service of the directory)."""

    service_id: str
    name: str
    issued: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    days: list[float] = field(default_factory=list)  # issue to outcome, per referral

    @property
    def pending(self) -> int:
        return sum(self.by_status[s] for s in PENDING)

    @property
    def with_outcome(self) -> int:
        return sum(self.by_status[s] for s in OUTCOMES)

    @property
    def share_attended(self) -> float | None:
        """Percent attended among the referrals with an outcome (None without any)."""
        done = self.with_outcome
        return round(100.0 * self.by_status[ATTENDED] / done, 1) if done else None

    @property
    def median_days(self) -> float | None:
        return round(statistics.median(self.days), 1) if self.days else None

    def add(self, other: ReferralLine) -> None:
        """Count ``other``'s referrals in this line too (a total over destinations)."""
        self.issued += other.issued
        self.by_status.update(other.by_status)
        self.days.extend(other.days)

    def cells(self) -> list[Any]:
        """The figures under :func:`referral_columns`, in their order."""
        return [self.issued, self.by_status[ATTENDED], self.by_status[NOT_ATTENDED],
                self.by_status[REJECTED], self.by_status[CANCELLED], self.pending,
                self.share_attended, self.median_days]


@dataclass
class GeneralReport:
    date_from: dt.date
    date_to: dt.date
    casa_id: str | None
    consultations: int = 0
    anonymous_consultations: int = 0
    by_topic: Counter[str] = field(default_factory=Counter)
    by_axis: Counter[str] = field(default_factory=Counter)
    # dimension (age_band, sex) -> axis -> value -> consultations
    axis_by: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)
    persons_attended: int = 0
    new_persons: int = 0  # registered within the period
    returning_persons: int = 0
    # dimension -> value code -> persons attended (registered persons and walk-ins)
    persons_by: dict[str, Counter[str]] = field(default_factory=dict)
    attended_by_zone: Counter[str] = field(default_factory=Counter)
    attended_by_district: Counter[str] = field(default_factory=Counter)
    registered: int = 0
    registered_by_zone: Counter[str] = field(default_factory=Counter)
    registered_by_district: Counter[str] = field(default_factory=Counter)
    referrals: list[ReferralLine] = field(default_factory=list)
    # dimension -> value -> referrals issued / attended
    referrals_by: dict[str, Counter[str]] = field(default_factory=dict)
    referrals_attended_by: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def referrals_issued(self) -> int:
        return sum(line.issued for line in self.referrals)


def general_report(session: Session, flt: ReportFilter) -> GeneralReport:
    """The general report's figures for ``flt``."""
    session.require(Permission.VIEW_REPORTS)
    store = session.store
    install_zone_table(store)
    report = GeneralReport(flt.date_from, flt.date_to, flt.casa_id)
    params = flt.params()
    joined = "consultation c LEFT JOIN person p ON p.id = c.person_id"
    where = flt.consultation_where("c", "p")

    row = store.one(f"SELECT count(*) AS n, sum(c.person_id IS NULL) AS anon FROM {joined}"
                    f" WHERE {where}", params)
    assert row is not None
    report.consultations = int(row["n"] or 0)
    report.anonymous_consultations = int(row["anon"] or 0)

    axis_of = {t.code: t.axis for t in session.catalogs.topics}
    report.axis_by = {"age_band": {}, "sex": {}}
    age_sql, sex_sql = (consultation_profile_sql(d) for d in ("age_band", "sex"))
    for r in store.rows(
            f"SELECT t.topic, {age_sql} AS age_band, {sex_sql} AS sex, count(*) AS n"
            f" FROM {joined} JOIN consultation_topic t ON t.consultation_id = c.id"
            f" WHERE {where} GROUP BY 1, 2, 3", params):
        topic, n = str(r["topic"]), int(r["n"])
        axis = axis_of.get(topic, UNKNOWN)
        report.by_topic[topic] += n
        report.by_axis[axis] += n
        for dimension in ("age_band", "sex"):
            report.axis_by[dimension].setdefault(axis, Counter())[str(r[dimension])] += n

    # persons attended: one row per registered person, then one per walk-in consultation
    profile = ", ".join(f"{person_profile_sql(d)} AS {d}" for d in DIMENSIONS)
    report.persons_by = {d: Counter() for d in DIMENSIONS}
    for r in store.rows(
            f"SELECT {profile}, p.district_ubigeo AS district,"
            f" {zone_sql('p.district_ubigeo')} AS zone,"
            " p.created_at >= :start AND p.created_at < :end AS new"
            f" FROM person p WHERE p.id IN (SELECT c.person_id FROM {joined}"
            f" WHERE {where} AND c.person_id IS NOT NULL)", params):
        report.persons_attended += 1
        if r["new"]:
            report.new_persons += 1
        else:
            report.returning_persons += 1
        for dimension in DIMENSIONS:
            report.persons_by[dimension][str(r[dimension])] += 1
        report.attended_by_zone[str(r["zone"])] += 1
        if r["district"]:
            report.attended_by_district[str(r["district"])] += 1
    for r in store.rows(
            f"SELECT c.anon_sex, c.anon_age, c.anon_nationality FROM {joined}"
            f" WHERE {where} AND c.person_id IS NULL", params):
        report.persons_attended += 1
        walk_in = anonymous_profile(r)  # the one rule for what a walk-in recorded
        for dimension in DIMENSIONS:
            report.persons_by[dimension][getattr(walk_in, dimension)] += 1
        report.attended_by_zone[UNKNOWN] += 1

    # persons registered within the period (the topic filter does not apply to them)
    casa = " AND p.casa_id = :casa" if flt.casa_id is not None else ""
    for r in store.rows(
            f"SELECT p.district_ubigeo AS district, {zone_sql('p.district_ubigeo')} AS zone,"
            " count(*) AS n FROM person p"
            f" WHERE {flt.person_where('p')} AND p.created_at >= :start AND p.created_at < :end"
            f"{casa} GROUP BY 1, 2", params):
        n = int(r["n"])
        report.registered += n
        report.registered_by_zone[str(r["zone"])] += n
        if r["district"]:
            report.registered_by_district[str(r["district"])] += n

    _referrals(session, flt, report)
    return report


def referral_conditions(flt: ReportFilter) -> list[str]:
    """SQL conditions over ``referral r JOIN person p`` (parameters ``flt.params()``): the
    referrals issued within the period, of the filter's casa and persons (and, with a topic
    filter, those made from a consultation on that topic)."""
    parts = [flt.person_where("p"), "r.deleted = 0", "r.issued_at >= :start",
             "r.issued_at < :end"]
    if flt.casa_id is not None:
        parts.append("r.casa_id = :casa")
    if flt.topic is not None:
        parts.append("EXISTS (SELECT 1 FROM consultation_topic ft"
                     " WHERE ft.consultation_id = r.consultation_id AND ft.topic = :topic)")
    return parts


def _referrals(session: Session, flt: ReportFilter, report: GeneralReport) -> None:
    """Referrals issued within the period, of the filter's casa and persons (and, with a
    topic filter, those made from a consultation on that topic)."""
    params = flt.params()
    parts = referral_conditions(flt)
    profile = ", ".join(f"{person_profile_sql(d)} AS {d}" for d in DIMENSIONS)
    lines: dict[str, ReferralLine] = {}
    report.referrals_by = {d: Counter() for d in DIMENSIONS}
    report.referrals_attended_by = {d: Counter() for d in DIMENSIONS}
    for r in session.store.rows(
            f"SELECT r.service_id, s.name AS service, s.acronym, r.status, {profile},"
            " julianday((SELECT min(e.at) FROM referral_event e WHERE e.referral_id = r.id"
            "   AND e.status = r.status AND e.deleted = 0)) - julianday(r.issued_at) AS days"
            " FROM referral r JOIN person p ON p.id = r.person_id"
            " LEFT JOIN service s ON s.id = r.service_id"
            f" WHERE {' AND '.join(parts)}", params):
        service_id = str(r["service_id"])
        line = lines.get(service_id)
        if line is None:
            name = str(r["service"] or service_id)
            if r["acronym"] and str(r["acronym"]) not in name:
                name = f"{name} ({r['acronym']})"
            line = lines[service_id] = ReferralLine(service_id, name)
        status = str(r["status"])
        line.issued += 1
        line.by_status[status] += 1
        if status in OUTCOMES and r["days"] is not None:
            line.days.append(max(0.0, float(r["days"])))
        for dimension in DIMENSIONS:
            report.referrals_by[dimension][str(r[dimension])] += 1
            if status == ATTENDED:
                report.referrals_attended_by[dimension][str(r[dimension])] += 1
    report.referrals = sorted(lines.values(), key=lambda line: (-line.issued, line.name))


# --- the document ----------------------------------------------------------------------


def dimension_labels(session: Session, dimension: str,
                     present: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(code, translated label) of ``dimension``'s values in display order; codes ``present``
    in the data but not in the vocabulary (a nationality) follow, then «Sin dato»."""
    if dimension == "age_band":
        labels = [(code, _(label)) for code, label, _low, _high in AGE_BANDS]
    elif dimension == "sex":
        labels = [(code, _(label)) for code, label in SEX]
    elif dimension == "migratory_status":
        labels = [(code, _(label)) for code, label in MIGRATORY_STATUS]
    elif dimension == "disability":
        labels = [(code, _(label)) for code, label in DISABILITY]
    elif dimension == "zone":
        labels = [(zone, zone) for zone in zones_in_force(session)]
        labels.append((OUTSIDE, _("Outside Lima and Callao")))
    elif dimension == "nationality":
        codes = sorted({c for c in present if c != UNKNOWN},
                       key=lambda c: (c != "VE", country_name(c)))
        labels = [(code, country_name(code)) for code in codes]
    else:
        raise ValueError(dimension)
    known = {code for code, _label in labels}
    labels += [(code, code) for code in sorted(set(present) - known - {UNKNOWN})]
    if dimension != "disability" or UNKNOWN in set(present):  # disability: «not asked»
        labels.append((UNKNOWN, _(UNKNOWN_LABEL)))
    return labels


def zones_in_force(session: Session) -> tuple[str, ...]:
    """The zones of the zones file in force for the session's data folder, in order."""
    return zone_names(data_dir=Path(session.store.path).parent)


def percent(n: int, whole: int) -> float:
    """``n`` as a percent of ``whole`` to one decimal (0.0 when ``whole`` is 0)."""
    return round(100.0 * n / whole, 1) if whole else 0.0


def count_table(key: str, title: str, category: str, measure: str,
                labels: Sequence[tuple[str, str]], counts: Counter[str], *,
                chart: Any = None, keep_empty: bool = True, note: str = "") -> Table:
    """A table ``[category, measure, %]`` over ``labels`` with a totals row."""
    total = sum(counts.values())
    rows = [[label, int(counts.get(code, 0)), percent(int(counts.get(code, 0)), total)]
            for code, label in labels if keep_empty or counts.get(code, 0)]
    return Table(key, title, [Column("category", category, "text"),
                              Column("count", measure), Column("percent", "%", "percent")],
                 rows, [_("Total"), total, 100.0 if total else 0.0], note=note, chart=chart,
                 chart_columns=("count",))


def cross_table(key: str, title: str, category: str,
                rows_labels: Sequence[tuple[str, str]],
                column_labels: Sequence[tuple[str, str]],
                counts: dict[str, Counter[str]], *, chart: Any = None) -> Table:
    """Rows ``rows_labels`` × columns ``column_labels`` with row and column totals."""
    columns = [Column("category", category, "text")]
    columns += [Column(code, label) for code, label in column_labels]
    columns.append(Column("total", _("Total")))
    rows, totals = [], Counter[str]()
    for code, label in rows_labels:
        values = counts.get(code, Counter())
        cells = [int(values.get(c, 0)) for c, _label in column_labels]
        if not any(cells):
            continue
        rows.append([label, *cells, sum(cells)])
        for c, n in zip((c for c, _label in column_labels), cells, strict=True):
            totals[c] += n
    total_row = [_("Total"), *(totals[c] for c, _label in column_labels),
                 sum(totals.values())]
    return Table(key, title, columns, rows, total_row, chart=chart,
                 chart_columns=tuple(c for c, _label in column_labels))


def scope_text(session: Session, casa_id: str | None) -> str:
    if casa_id is None:
        return _("Consolidated: every casa")
    row = session.store.one("SELECT name FROM casa WHERE id = ?", [casa_id])
    return str(row["name"]) if row and row["name"] else casa_id


def filter_texts(session: Session, flt: ReportFilter) -> list[str]:
    """The filters besides period and casa, as «Sexo: Mujer» lines."""
    out: list[str] = []
    if flt.topic is not None:
        topic = next((t.label() for t in session.catalogs.topics if t.code == flt.topic),
                     flt.topic)
        out.append(_("Topic: {value}").format(value=topic))
    for dimension in ("nationality", "sex", "age_band", "migratory_status", "zone"):
        value = getattr(flt, dimension)
        if value is None:
            continue
        label = dict(dimension_labels(session, dimension, [value])).get(value, value)
        out.append(f"{_(DIMENSION_TITLES[dimension])}: {label}")
    return out


def new_document(session: Session, kind: ReportKind, title: str,
                 flt: ReportFilter) -> ReportDocument:
    """An empty document of ``kind`` with the scope, period and filters of ``flt``."""
    return ReportDocument(kind, title, flt.date_from, flt.date_to,
                          scope_text(session, flt.casa_id), filter_texts(session, flt),
                          casa_id=flt.casa_id)


def general_document(session: Session, flt: ReportFilter) -> ReportDocument:
    """The general report as a document (see the module's docstring for what it counts)."""
    report = general_report(session, flt)
    doc = new_document(session, "general", _("General report of attention"), flt)
    persons, consultations = _("Persons"), _("Consultations")

    summary = Table("summary", _("Figures of the period"), [Column("category", _("Figure"), "text"),
                                               Column("count", _("Number"))])
    issued = report.referrals_issued
    attended = sum(line.by_status[ATTENDED] for line in report.referrals)
    summary.rows = [
        [_("Consultations"), report.consultations],
        [_("of them, anonymous walk-ins"), report.anonymous_consultations],
        [_("Persons attended"), report.persons_attended],
        [_("new (registered in the period)"), report.new_persons],
        [_("returning (registered before)"), report.returning_persons],
        [_("anonymous walk-ins"), report.anonymous_consultations],
        [_("Persons registered in the period"), report.registered],
        [_("Referrals issued"), issued],
        [_("of them, attended"), attended],
    ]
    doc.sections.append(Section(_("Summary"), [summary]))

    axes = [(a.code, a.label()) for a in session.catalogs.axes]
    topics = [(t.code, t.label()) for t in session.catalogs.topics]
    ages = dimension_labels(session, "age_band")
    sexes = dimension_labels(session, "sex", {v for c in report.axis_by["sex"].values()
                                              for v in c})
    doc.sections.append(Section(_("Consultations by axis and topic"), [
        count_table("by_axis", _("Consultations by axis of the capacity plan"), _("Axis"),
                    consultations, axes, report.by_axis, chart="hbar"),
        count_table("by_topic", _("Consultations by topic"), _("Topic"), consultations,
                    topics, report.by_topic, chart="hbar", keep_empty=False),
        cross_table("axis_by_age_band", _("Consultations by axis and age band"), _("Axis"),
                    axes, ages, report.axis_by["age_band"]),
        cross_table("axis_by_sex", _("Consultations by axis and sex"), _("Axis"), axes,
                    sexes, report.axis_by["sex"], chart="bar"),
    ], intro=_("A consultation on several topics counts once under each of its topics.")))

    attended_tables = [
        count_table("attended_new", _("Persons attended, new and returning"), _("Persons"),
                    persons, [("new", _("New (registered in the period)")),
                              ("returning", _("Returning (registered before)")),
                              ("anonymous", _("Anonymous walk-ins"))],
                    Counter({"new": report.new_persons,
                             "returning": report.returning_persons,
                             "anonymous": report.anonymous_consultations}), chart="pie"),
    ]
    charts = {"age_band": "bar", "sex": "pie", "nationality": "hbar",
              "migratory_status": "hbar", "disability": "bar"}
    for dimension in DIMENSIONS:
        counts = report.persons_by[dimension]
        attended_tables.append(count_table(
            f"by_{dimension}",
            _("Persons attended by {dimension}").format(
                dimension=_(DIMENSION_TITLES[dimension]).lower()),
            _(DIMENSION_TITLES[dimension]), persons,
            dimension_labels(session, dimension, counts), counts, chart=charts[dimension],
            keep_empty=dimension != "nationality"))
    attended_tables.append(count_table(
        "attended_by_zone", _("Persons attended by zone of residence"), _("Zone"), persons,
        dimension_labels(session, "zone", report.attended_by_zone), report.attended_by_zone,
        chart="bar"))
    doc.sections.append(Section(
        _("Persons attended"), attended_tables,
        intro=_("Each person counts once however many times they came. Each anonymous "
                "walk-in counts as one person, by the sex, age and nationality recorded."),
        district_map=dict(report.attended_by_district),
        map_title=_("Persons attended by district of residence")))

    districts = {d.ubigeo: d.label() for d in session.catalogs.districts}
    by_district = sorted(report.registered_by_district.items(),
                         key=lambda item: (-item[1], districts.get(item[0], item[0])))
    doc.sections.append(Section(_("Persons registered by place of residence"), [
        count_table("registered_by_zone", _("Persons registered by zone of residence"),
                    _("Zone"), persons,
                    dimension_labels(session, "zone", report.registered_by_zone),
                    report.registered_by_zone, chart="bar"),
        count_table("registered_by_district",
                    _("Persons registered by district of residence"), _("District"), persons,
                    [(code, districts.get(code, code)) for code, _n in by_district],
                    report.registered_by_district, keep_empty=False,
                    note=_("Persons without a district of residence are counted only in "
                           "the table by zone, as «No data».")),
    ], intro=_("Persons whose record was created in the period.")))

    doc.sections.append(_referral_section(session, report))
    doc.notes = [
        _("Period from {start} to {end}, both included; ages on {end}.").format(
            start=format_date(flt.date_from), end=format_date(flt.date_to)),
        _("Disability by the Washington Group's short set: a lot of difficulty or cannot "
          "do at all in any domain."),
        _("Zones of Lima as in lima_zones.csv (INEI's grouping of districts)."),
    ]
    from oma_desktop.services.events import events_section
    from oma_desktop.services.organisations import organisations_section

    doc.sections.append(events_section(session, flt))
    doc.sections.append(organisations_section(session, flt))
    return doc


def referral_columns(*leading: Column) -> list[Column]:
    """The columns of a referral table: ``leading`` (the row labels), then the figures of
    :meth:`ReferralLine.cells`."""
    return [
        *leading,
        Column("issued", _("Issued")),
        Column(ATTENDED, _("Attended")),
        Column(NOT_ATTENDED, _("Not attended")),
        Column(REJECTED, _("Rejected")),
        Column(CANCELLED, _("Cancelled")),
        Column("pending", _("Awaiting outcome")),
        Column("share_attended", _("Attended (%)"), "percent"),
        Column("median_days", _("Median days to outcome"), "days"),
    ]


def referral_table(key: str, title: str, leading: Sequence[Column],
                   lines: Iterable[tuple[Sequence[Any], ReferralLine]], *,
                   total: ReferralLine | None = None, note: str = "",
                   chart: Any = None) -> Table:
    """A table of referrals by outcome: a row per ``(labels, line)`` of ``lines`` (the
    labels under the ``leading`` columns), a «Total» row from ``total`` when given."""
    rows = [[*labels, *line.cells()] for labels, line in lines]
    total_row = None
    if total is not None:
        total_row = [_("Total"), *[""] * (len(leading) - 1), *total.cells()]
    return Table(key, title, referral_columns(*leading), rows, total_row, note=note,
                 chart=chart, chart_columns=("issued", ATTENDED) if chart else ())


def _referral_section(session: Session, report: GeneralReport) -> Section:
    everything = ReferralLine("", _("Total"))
    for line in report.referrals:
        everything.add(line)
    by_destination = referral_table(
        "referrals_by_destination", _("Referrals by destination and outcome"),
        [Column("category", _("Destination"), "text")],
        [([line.name], line) for line in report.referrals], total=everything,
        note=_("Attended (%): among the referrals with an outcome (attended, not attended or "
               "rejected). Days from the issue of the slip to the outcome recorded."),
        chart="hbar")
    tables = [by_destination]
    for dimension in DIMENSIONS:
        issued = report.referrals_by[dimension]
        attended = report.referrals_attended_by[dimension]
        rows = [[label, int(issued.get(code, 0)), int(attended.get(code, 0)),
                 percent(int(attended.get(code, 0)), int(issued.get(code, 0)))
                 if issued.get(code) else None]
                for code, label in dimension_labels(session, dimension, issued)
                if dimension != "nationality" or issued.get(code)]
        total_issued, total_attended = sum(issued.values()), sum(attended.values())
        tables.append(Table(
            f"referrals_by_{dimension}",
            _("Referrals by {dimension}").format(
                dimension=_(DIMENSION_TITLES[dimension]).lower()),
            [Column("category", _(DIMENSION_TITLES[dimension]), "text"),
             Column("issued", _("Issued")), Column(ATTENDED, _("Attended")),
             Column("percent", _("Issued that were attended (%)"), "percent")],
            rows, [_("Total"), total_issued, total_attended,
                   percent(total_attended, total_issued) if total_issued else None]))
    return Section(_("Referrals"), tables,
                   intro=_("Referrals issued in the period, with their outcome as recorded "
                           "today."))


# --- every kind ------------------------------------------------------------------------

KIND_TITLES: dict[str, str] = {
    "general": N_("General report"),
    "laboral": N_("Labour diagnostic"),
    "programas": N_("Social programmes diagnostic"),
    "5w": N_("R4V 5W export"),
}


def check_filter(session: Session, flt: ReportFilter) -> None:
    """Refuse, in Spanish and saying what to use, a casa, topic, age band or zone that does
    not exist (a typo at the command line would otherwise give an empty report)."""
    casas = [str(r["id"]) for r in session.store.rows("SELECT id FROM casa ORDER BY id")]
    checks = (
        (flt.casa_id, casas, _("There is no casa {value}: use one of {choices}.")),
        (flt.topic, [t.code for t in session.catalogs.topics],
         _("There is no topic {value}: use one of {choices}.")),
        (flt.age_band, [code for code, *_rest in AGE_BANDS] + [UNKNOWN],
         _("There is no age band {value}: use one of {choices}.")),
        (flt.zone, [*zones_in_force(session), OUTSIDE, UNKNOWN],
         _("There is no zone {value}: use one of {choices}.")),
    )
    for value, choices, message in checks:
        if value is not None and value not in choices:
            raise OmaError(message.format(value=value, choices=", ".join(choices)))


# A report reads each person and topic page of the period many times in random order; with
# this page cache (KiB) while it runs each page is read and decrypted once.
REPORT_CACHE_KIB = 262_144


def build_report(session: Session, kind: str, flt: ReportFilter) -> ReportDocument:
    """The report ``kind`` (general, laboral, programas, 5w) for ``flt``."""
    session.require(Permission.VIEW_REPORTS)
    check_filter(session, flt)
    with session.store.page_cache(REPORT_CACHE_KIB):
        return _build(session, kind, flt)


def _build(session: Session, kind: str, flt: ReportFilter) -> ReportDocument:
    if kind == "general":
        return general_document(session, flt)
    if kind == "laboral":
        from oma_desktop.services.diagnostics import labour_document

        return labour_document(session, flt)
    if kind == "programas":
        from oma_desktop.services.diagnostics import programmes_document

        return programmes_document(session, flt)
    if kind == "5w":
        from oma_desktop.services.r4v import five_w_document

        return five_w_document(session, flt)
    raise ValueError(f"unknown report kind {kind!r}")


def write_report(session: Session, doc: ReportDocument, path: Path | str, fmt: str, *,
                 partners: bool = False) -> Path:
    """Write ``doc`` to ``path`` as ``fmt`` (pdf, xlsx, csv), whole or not at all, and
    record the export in the audit log (the file is removed if that fails). ``partners``:
    the version for partners, with every cell under 5 people suppressed."""
    session.require(Permission.EXPORT_PERSONAL if doc.personal else Permission.EXPORT_AGGREGATE)
    from oma_desktop.services import audit
    from oma_desktop.services.report_export import (
        partner_view,
        write_csv,
        write_report_pdf,
        write_xlsx,
    )

    out = Path(path)
    if partners:
        doc = partner_view(doc)
    if fmt == "pdf":
        write_report_pdf(session, doc, out, casa_id=doc.casa_id)
    elif fmt == "xlsx":
        write_xlsx(doc, out)
    elif fmt == "csv":
        write_csv(doc, out)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    detail = _("{title}, {start} to {end}").format(
        title=doc.title, start=format_date(doc.period_from), end=format_date(doc.period_to))
    if partners:
        detail += " · " + _("for partners")
    audit.record_file(session, "export", out, detail=detail)
    return out
