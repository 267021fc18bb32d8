"""The two diagnostics the capacity plan recommends (issue #11, point 4), as documents.

- :func:`labour_document`: «Diagnóstico de la atención en el ámbito laboral», for the
  Ministerio de Trabajo y Promoción del Empleo: consultations and persons on labour topics,
  their needs by topic, the persons by age band, sex, nationality, migratory situation,
  disability and zone of residence, and the referrals to employment services by
  destination and outcome.
- :func:`programmes_document`: «Acceso de personas migrantes y refugiadas a programas
  sociales» (health, education, sport, recreation): consultations and referrals by
  programme area, the foreign beneficiaries by age band, sex, nationality, migratory
  situation and disability, and the referral outcomes of each area.

What belongs where:

- **Labour topics** are the topics of the capacity plan's «Migración laboral» axis
  (``LABORAL`` in ``topics.csv``): job training, job placement, labour rights and
  entrepreneurship, the same four the intake groups under «Trabajo y empleo». Recognition
  of studies (``CONVALIDACION``) helps finding work too but is an education topic (R4V
  sector Education) and counts in the social programmes diagnostic.
- **Programme areas** come from ``resources/catalogs/social_programmes.csv`` (each row with
  its source): the topics of each area, the directory entries always counted in it, and
  the word prefixes of a directory entry's sector or type that place it in an area.
- **A destination (a directory service) belongs to an area** when the catalog names it for
  the area, when a word of its sector or type starts with one of the area's prefixes
  (labour: «emple», «trabaj», «labor»), or when every topic it serves is a topic of the
  area (MTPE, SUNAFIL; SIS, UGEL 03): such a destination is *dedicated* and every referral
  to it counts. A destination that serves an area topic among others (Unión Venezolana:
  orientation, psychosocial support and jobs) is *mixed*: a referral to it counts only when
  it was made from a consultation on a topic of the area (without a consultation, what it
  was for is not known).
- **A person attended in an area** (a beneficiary) had, in the period, a consultation on a
  topic of the area or a referral counted in the area. Each anonymous walk-in consultation
  on a topic of the area counts as one person, by the sex, age and nationality recorded.
  **Foreign** beneficiaries have a recorded nationality other than Peruvian.

Everything is counted in SQL: topics through the derived ``consultation_topic`` table and
two lookup tables of the connection (``temp.diag_topic``, ``temp.diag_service``), ages on
the period's last day with the one rule of ``core/disaggregation.py``; Python only adds up
the grouped rows.
"""

from __future__ import annotations

import csv
import functools
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.core.catalogs import CatalogError, Catalogs
from oma_desktop.core.disaggregation import NOT_ASKED, UNKNOWN, age_band_of_age_sql
from oma_desktop.core.text import fold
from oma_desktop.i18n import N_, _, format_date, format_percent
from oma_desktop.paths import resources_dir
from oma_desktop.services.directory import DEFAULT_TOPICS
from oma_desktop.services.permissions import Permission
from oma_desktop.services.report_filter import (
    ReportFilter,
    install_zone_table,
    person_profile_sql,
    zone_sql,
)
from oma_desktop.services.report_model import Column, ReportDocument, Section, Table
from oma_desktop.services.reports import (
    ATTENDED,
    CANCELLED,
    DIMENSION_TITLES,
    DIMENSIONS,
    NOT_ATTENDED,
    OUTCOMES,
    REJECTED,
    ReferralLine,
    count_table,
    dimension_labels,
    new_document,
    percent,
    referral_conditions,
    referral_table,
)
from oma_desktop.services.session import Session

LABOUR_AXIS = "LABORAL"  # axes.csv: «Migración laboral»
LABOUR = "laboral"  # the one area of the labour diagnostic
# folded word prefixes of a directory entry's sector or type that make it an employment
# service (Empleo, Empleabilidad, Trabajo, Trabajadores, Laboral...): a coordinator who adds
# «Lima Emplea» or a «Centro de Empleo» with such a sector sees it counted
LABOUR_PREFIXES = ("emple", "trabaj", "labor")

PROGRAMMES_FILE = Path("catalogs") / "social_programmes.csv"
AREAS: tuple[tuple[str, str], ...] = (
    ("salud", N_("Health")),
    ("educacion", N_("Education")),
    ("deporte", N_("Sport")),
    ("recreacion", N_("Recreation")),
)
ALL_AREAS = "*"  # the union of the areas (a person counted once)
PERUVIAN = "PE"
_KINDS = ("topic", "service", "sector_prefix")


# --- what belongs where -----------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """What a diagnostic counts: its areas, the topics of each area, the directory entries
    (institution codes) always counted in an area and the sector/type word prefixes."""

    areas: tuple[tuple[str, str], ...]  # (code, label msgid)
    topics: dict[str, str]  # topic code -> area
    services: dict[str, frozenset[str]] = field(default_factory=dict)  # code -> areas
    prefixes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # area -> prefixes

    def area_topics(self, area: str) -> frozenset[str]:
        return frozenset(t for t, a in self.topics.items() if a == area)


def labour_domain(catalogs: Catalogs) -> Domain:
    """The labour diagnostic: the topics of the «Migración laboral» axis."""
    return Domain(((LABOUR, N_("Labour")),),
                  {t.code: LABOUR for t in catalogs.topics_for_axis(LABOUR_AXIS)},
                  prefixes={LABOUR: LABOUR_PREFIXES})


@functools.lru_cache(maxsize=4)
def _programme_rows(path: Path) -> tuple[dict[str, str], ...]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            rows = tuple(csv.DictReader(f))
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path.name}: cannot be read ({exc})") from exc
    return rows


def programmes_domain(catalogs: Catalogs, path: Path | None = None) -> Domain:
    """The social programmes diagnostic, from ``social_programmes.csv`` (validated: known
    areas, kinds, topics and institutions, a source on every row, a topic in one area)."""
    path = path or resources_dir() / PROGRAMMES_FILE
    areas = {code for code, _label in AREAS}
    topic_codes = {t.code for t in catalogs.topics}
    institution_codes = {i.code for i in catalogs.institutions}
    topics: dict[str, str] = {}
    services: dict[str, set[str]] = {}
    prefixes: dict[str, list[str]] = {}
    for n, row in enumerate(_programme_rows(path), start=2):
        area, kind, code = (row.get(k, "").strip() for k in ("area", "kind", "code"))
        where = f"{path.name}, line {n}"
        if area not in areas:
            raise CatalogError(f"{where}: unknown area {area!r}")
        if kind not in _KINDS:
            raise CatalogError(f"{where}: unknown kind {kind!r}")
        if not code or not (row.get("source") or "").strip():
            raise CatalogError(f"{where}: code and source are required")
        if kind == "topic":
            if code not in topic_codes:
                raise CatalogError(f"{where}: unknown topic {code!r}")
            if topics.get(code, area) != area:
                raise CatalogError(f"{where}: topic {code} is already in {topics[code]}")
            topics[code] = area
        elif kind == "service":
            if code not in institution_codes:
                raise CatalogError(f"{where}: unknown institution {code!r}")
            services.setdefault(code, set()).add(area)
        else:
            prefixes.setdefault(area, []).append(fold(code))
    return Domain(AREAS, topics, {c: frozenset(a) for c, a in services.items()},
                  {a: tuple(p) for a, p in prefixes.items()})


@dataclass(frozen=True)
class Destination:
    """A directory service counted in an area."""

    service_id: str
    name: str
    area: str
    dedicated: bool  # every referral to it counts (else: from a consultation on the area)


def destinations(session: Session, domain: Domain) -> list[Destination]:
    """The directory services of every area of ``domain`` (inactive and removed entries
    too: old referrals name them). The directory is a few hundred rows at most."""
    out = []
    for row in session.store.rows(
            "SELECT id, code, name, acronym, kind, sector, topics FROM service"
            " ORDER BY name, id"):
        stored = [str(t) for t in json.loads(row["topics"] or "[]")]
        topics = set(stored or DEFAULT_TOPICS.get(str(row["code"]), ()))
        words = fold(f"{row['sector']} {row['kind']}").split()
        name = str(row["name"] or row["id"])
        acronym = str(row["acronym"] or "").strip()
        if acronym and acronym != "-" and acronym not in name:
            name = f"{name} ({acronym})"
        for area, _label in domain.areas:
            own = domain.area_topics(area)
            dedicated = (area in domain.services.get(str(row["code"]), ())
                         or any(w.startswith(p) for w in words
                                for p in domain.prefixes.get(area, ()))
                         or (bool(topics) and topics <= own))
            if dedicated or topics & own:
                out.append(Destination(str(row["id"]), name, area, dedicated))
    return out


def _install(session: Session, domain: Domain) -> list[Destination]:
    store = session.store
    install_zone_table(store)
    store.fill_temp_table("diag_topic", ("topic", "area"), sorted(domain.topics.items()))
    found = destinations(session, domain)
    store.fill_temp_table("diag_service", ("key", "service_id", "area", "dedicated"), [
        (f"{d.service_id}|{d.area}", d.service_id, d.area, "1" if d.dedicated else "0")
        for d in found])
    return found


# --- the figures --------------------------------------------------------------------------


@dataclass
class Figures:
    """What a diagnostic counted, by area (``ALL_AREAS``: any area, each person once)."""

    destinations: list[Destination] = field(default_factory=list)
    consultations: int = 0  # every consultation of the filter, whatever its topics
    area_consultations: Counter[str] = field(default_factory=Counter)
    area_walk_ins: Counter[str] = field(default_factory=Counter)
    # persons with a consultation on a topic of the area (registered, plus walk-ins)
    area_consulting: Counter[str] = field(default_factory=Counter)
    topic_consultations: Counter[str] = field(default_factory=Counter)
    topic_persons: Counter[str] = field(default_factory=Counter)
    # area -> dimension (DIMENSIONS, zone) -> value -> persons; foreign: nationality not PE
    persons: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)
    foreign: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)
    persons_total: Counter[str] = field(default_factory=Counter)
    foreign_total: Counter[str] = field(default_factory=Counter)
    registered: Counter[str] = field(default_factory=Counter)  # registered persons
    districts: dict[str, Counter[str]] = field(default_factory=dict)  # area -> ubigeo
    foreign_districts: Counter[str] = field(default_factory=Counter)  # any area
    # area -> service id -> referrals to it counted in the area
    referrals: dict[str, dict[str, ReferralLine]] = field(default_factory=dict)

    def area_line(self, area: str) -> ReferralLine:
        """Every referral of ``area`` together."""
        line = ReferralLine("", area)
        for one in self.referrals.get(area, {}).values():
            line.add(one)
        return line


_PERSON_DIMENSIONS = (*DIMENSIONS, "zone")


def _referral_where(flt: ReportFilter) -> str:
    """Over ``referral r JOIN person p JOIN temp.diag_service s``: the referrals issued in
    the period, of the filter's casa and persons (with a topic filter, those made from a
    consultation on the topic), counted in the area ``s.area`` by the destination rule."""
    parts = referral_conditions(flt)
    parts.append("(s.dedicated = '1' OR EXISTS ("
                 "SELECT 1 FROM consultation_topic rt JOIN temp.diag_topic rd"
                 " ON rd.topic = rt.topic"
                 " WHERE rt.consultation_id = r.consultation_id AND rd.area = s.area))")
    return " AND ".join(parts)


def gather(session: Session, flt: ReportFilter, domain: Domain) -> Figures:
    """Count everything a diagnostic of ``domain`` shows, for ``flt``."""
    session.require(Permission.VIEW_REPORTS)
    store = session.store
    figures = Figures(destinations=_install(session, domain))
    params = flt.params()
    joined = "consultation c LEFT JOIN person p ON p.id = c.person_id"
    on_topics = ("JOIN consultation_topic t ON t.consultation_id = c.id"
                 " JOIN temp.diag_topic d ON d.topic = t.topic")
    where = flt.consultation_where("c", "p")
    if flt.topic is not None:  # a consultation on several topics counts under the filter's
        where += " AND t.topic = :topic"
    referrals = ("referral r JOIN person p ON p.id = r.person_id"
                 " JOIN temp.diag_service s ON s.service_id = r.service_id")
    rwhere = _referral_where(flt)

    figures.consultations = int(store.scalar(
        f"SELECT count(*) FROM {joined} WHERE {flt.consultation_where('c', 'p')}",
        params) or 0)
    for r in store.rows(
            f"SELECT t.topic, count(*) AS n,"
            " count(DISTINCT CASE WHEN p.deleted = 0 THEN c.person_id END) AS persons,"
            " sum(c.person_id IS NULL) AS walk_ins"
            f" FROM {joined} {on_topics} WHERE {where} GROUP BY t.topic", params):
        figures.topic_consultations[str(r["topic"])] = int(r["n"])
        figures.topic_persons[str(r["topic"])] = int(r["persons"]) + int(r["walk_ins"])
    for r in store.rows(
            "WITH hit(area, id, anonymous, person) AS (SELECT d.area, c.id,"
            " c.person_id IS NULL, CASE WHEN p.deleted = 0 THEN c.person_id END"
            f" FROM {joined} {on_topics} WHERE {where})"
            " SELECT area, count(DISTINCT id) AS n,"
            " count(DISTINCT CASE WHEN anonymous THEN id END) AS walk_ins,"
            " count(DISTINCT person) AS persons FROM hit GROUP BY area"
            " UNION ALL SELECT :all, count(DISTINCT id),"
            " count(DISTINCT CASE WHEN anonymous THEN id END), count(DISTINCT person) FROM hit",
            {**params, "all": ALL_AREAS}):
        area = str(r["area"])
        figures.area_consultations[area] = int(r["n"] or 0)
        figures.area_walk_ins[area] = int(r["walk_ins"] or 0)
        figures.area_consulting[area] = int(r["persons"] or 0) + int(r["walk_ins"] or 0)

    # registered persons: a consultation on an area topic or a referral counted in the area
    profile = ", ".join(f"{person_profile_sql(d)} AS {d}" for d in DIMENSIONS)
    for r in store.rows(
            f"WITH ben(area, person_id) AS ("
            f" SELECT d.area, c.person_id FROM {joined} {on_topics}"
            f" WHERE {where} AND c.person_id IS NOT NULL"
            f" UNION SELECT s.area, r.person_id FROM {referrals} WHERE {rwhere}),"
            " every(area, person_id) AS (SELECT area, person_id FROM ben"
            " UNION SELECT :all, person_id FROM ben)"
            f" SELECT e.area, {profile}, {zone_sql('p.district_ubigeo')} AS zone,"
            " p.district_ubigeo AS district, count(*) AS n"
            " FROM every e JOIN person p ON p.id = e.person_id WHERE p.deleted = 0"
            " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8", {**params, "all": ALL_AREAS}):
        area, n = str(r["area"]), int(r["n"])
        figures.registered[area] += n
        values = {d: str(r[d]) for d in _PERSON_DIMENSIONS}
        _add(figures, area, values, n, r["district"])
    # anonymous walk-ins: one person per consultation on a topic of the area
    for r in store.rows(
            f"WITH hit(area, id) AS (SELECT d.area, c.id FROM {joined} {on_topics}"
            f" WHERE {where} AND c.person_id IS NULL),"
            " every(area, id) AS (SELECT area, id FROM hit UNION SELECT :all, id FROM hit)"
            f" SELECT e.area, {age_band_of_age_sql('c.anon_age')} AS age_band,"
            f" COALESCE(NULLIF(c.anon_sex, ''), '{UNKNOWN}') AS sex,"
            f" COALESCE(NULLIF(c.anon_nationality, ''), '{UNKNOWN}') AS nationality,"
            " count(*) AS n FROM every e JOIN consultation c ON c.id = e.id"
            " GROUP BY 1, 2, 3, 4", {**params, "all": ALL_AREAS}):
        values = {"age_band": str(r["age_band"]), "sex": str(r["sex"]),
                  "nationality": str(r["nationality"]), "migratory_status": UNKNOWN,
                  "disability": NOT_ASKED, "zone": UNKNOWN}
        _add(figures, str(r["area"]), values, int(r["n"]), None)

    names = {d.service_id: d.name for d in figures.destinations}
    for r in store.rows(
            "SELECT s.area, r.service_id, r.status,"
            " julianday((SELECT min(e.at) FROM referral_event e WHERE e.referral_id = r.id"
            "   AND e.status = r.status AND e.deleted = 0)) - julianday(r.issued_at) AS days,"
            f" count(*) AS n FROM {referrals} WHERE {rwhere} GROUP BY 1, 2, 3, 4", params):
        area, service, status, n = str(r["area"]), str(r["service_id"]), str(r["status"]), \
            int(r["n"])
        lines = figures.referrals.setdefault(area, {})
        line = lines.get(service) or lines.setdefault(
            service, ReferralLine(service, names.get(service, service)))
        line.issued += n
        line.by_status[status] += n
        if status in OUTCOMES and r["days"] is not None:
            line.days.extend([max(0.0, float(r["days"]))] * n)
    return figures


def _add(figures: Figures, area: str, values: dict[str, str], n: int,
         district: Any) -> None:
    foreign = values["nationality"] not in (UNKNOWN, PERUVIAN)
    targets = [(figures.persons, figures.persons_total)]
    if foreign:
        targets.append((figures.foreign, figures.foreign_total))
    for by, total in targets:
        total[area] += n
        dims = by.setdefault(area, {d: Counter() for d in _PERSON_DIMENSIONS})
        for dimension in _PERSON_DIMENSIONS:
            dims[dimension][values[dimension]] += n
    if district:
        figures.districts.setdefault(area, Counter())[str(district)] += n
        if foreign and area == ALL_AREAS:
            figures.foreign_districts[str(district)] += n


# --- tables -------------------------------------------------------------------------------


_REFERRAL_NOTE = N_("Attended (%): among the referrals with an outcome (attended, not "
                    "attended or rejected). Days from the issue of the slip to the outcome "
                    "recorded; the outcome as recorded today.")


def _outcome_table(key: str, line: ReferralLine) -> Table:
    labels = [(ATTENDED, _("Attended")), (NOT_ATTENDED, _("Not attended")),
              (REJECTED, _("Rejected")), (CANCELLED, _("Cancelled")),
              ("pending", _("Awaiting outcome"))]
    counts = Counter({ATTENDED: line.by_status[ATTENDED],
                      NOT_ATTENDED: line.by_status[NOT_ATTENDED],
                      REJECTED: line.by_status[REJECTED],
                      CANCELLED: line.by_status[CANCELLED], "pending": line.pending})
    return count_table(key, _("Referrals by outcome"), _("Outcome"), _("Referrals"), labels,
                       counts, chart="pie")


def _dimension_title(dimension: str) -> str:
    return _(DIMENSION_TITLES[dimension])


_CHARTS: dict[str, Any] = {"age_band": "bar", "sex": "pie", "nationality": "hbar",
                           "migratory_status": "hbar", "disability": "bar", "zone": "bar"}


def _sorted_lines(lines: Iterable[ReferralLine]) -> list[ReferralLine]:
    return sorted(lines, key=lambda line: (-line.issued, line.name))


def _service_names(found: Sequence[Destination], area: str, dedicated: bool) -> str:
    names = sorted({d.name for d in found if d.area == area and d.dedicated == dedicated})
    return "; ".join(names) if names else _("no service")


# --- the labour diagnostic ----------------------------------------------------------------


def labour_document(session: Session, flt: ReportFilter) -> ReportDocument:
    """«Diagnóstico de la atención en el ámbito laboral» (see the module's docstring)."""
    session.require(Permission.VIEW_REPORTS)
    domain = labour_domain(session.catalogs)
    figures = gather(session, flt, domain)
    found = figures.destinations
    doc = new_document(session, "laboral", _("Diagnostic of attention in the labour domain"),
                       flt)
    topics = [(t.code, t.label()) for t in session.catalogs.topics if t.code in domain.topics]
    labour_consultations = figures.area_consultations[LABOUR]
    line = figures.area_line(LABOUR)
    persons = figures.persons_total[LABOUR]
    walk_ins = figures.area_walk_ins[LABOUR]

    summary = Table("summary", _("Summary"), [Column("category", _("Figure"), "text"),
                                               Column("count", _("Number"))])
    summary.rows = [
        [_("Consultations in the period (every topic)"), figures.consultations],
        [_("Consultations on labour topics"), labour_consultations],
        [_("Persons attended in the labour domain"), persons],
        [_("of them, registered persons"), figures.registered[LABOUR]],
        [_("of them, anonymous walk-ins"), walk_ins],
        [_("Referrals to employment services"), line.issued],
        [_("of them, attended"), line.by_status[ATTENDED]],
        [_("of them, awaiting outcome"), line.pending],
    ]
    share = format_percent(labour_consultations / figures.consultations
                           if figures.consultations else 0.0)
    doc.sections.append(Section(_("Summary"), [summary], intro=_(
        "{labour} of the {total} consultations of the period ({share}) were on a labour "
        "topic: {topics}.").format(labour=labour_consultations, total=figures.consultations,
                                   share=share,
                                   topics="; ".join(label for _code, label in topics))))

    by_topic = Table("by_topic", _("Needs by topic"), [
        Column("category", _("Topic"), "text"), Column("consultations", _("Consultations")),
        Column("persons", _("Persons")),
        Column("percent", _("Of the labour consultations (%)"), "percent")],
        chart="hbar", chart_columns=("consultations",),
        note=_("A consultation on several labour topics counts under each of them, so the "
               "column adds up to more than the total."))
    for code, label in topics:
        n = figures.topic_consultations[code]
        by_topic.rows.append([label, n, figures.topic_persons[code],
                              percent(n, labour_consultations)])
    by_topic.total = [_("Total"), labour_consultations, figures.area_consulting[LABOUR],
                      100.0 if labour_consultations else 0.0]
    doc.sections.append(Section(_("Needs by topic"), [by_topic]))

    dims = figures.persons.get(LABOUR, {d: Counter() for d in _PERSON_DIMENSIONS})
    tables = []
    for dimension in _PERSON_DIMENSIONS:
        counts = dims[dimension]
        tables.append(count_table(
            f"by_{dimension}",
            _("Persons attended by {dimension}").format(
                dimension=_dimension_title(dimension).lower()),
            _dimension_title(dimension), _("Persons"),
            dimension_labels(session, dimension, counts), counts, chart=_CHARTS[dimension],
            keep_empty=dimension != "nationality"))
    doc.sections.append(Section(
        _("Persons attended in the labour domain"), tables,
        intro=_("Each person counts once however many times they came. Each anonymous "
                "walk-in counts as one person, by the sex, age and nationality recorded; "
                "their migratory situation and zone are «No data»."),
        district_map=dict(figures.districts.get(LABOUR, Counter())),
        map_title=_("Persons attended in the labour domain by district of residence")))

    by_destination = referral_table(
        "referrals_by_destination", _("Referrals to employment services by destination and "
                                      "outcome"),
        [Column("category", _("Destination"), "text")],
        [([one.name], one)
         for one in _sorted_lines(figures.referrals.get(LABOUR, {}).values())],
        total=line, note=_(_REFERRAL_NOTE), chart="hbar")
    doc.sections.append(Section(
        _("Referrals to employment services"),
        [by_destination, _outcome_table("referrals_by_outcome", line)],
        intro=_("Employment services of the directory: {dedicated}. Also counted when the "
                "referral came from a consultation on a labour topic: {mixed}.").format(
            dedicated=_service_names(found, LABOUR, True),
            mixed=_service_names(found, LABOUR, False))))
    doc.notes = [
        *_common_notes(flt),
        _("Labour topics: those of the capacity plan's axis «Labour migration» in the topic "
          "catalog."),
        _("A person attended in the labour domain had, in the period, a consultation on a "
          "labour topic or a referral to an employment service."),
        _("Employment services: directory entries whose topics are all labour topics or "
          "whose sector or type names employment, work or labour; entries serving a labour "
          "topic among others count only for referrals made from a consultation on a labour "
          "topic."),
    ]
    return doc


def _common_notes(flt: ReportFilter) -> list[str]:
    return [
        _("Period from {start} to {end}, both included; ages on {end}.").format(
            start=format_date(flt.date_from), end=format_date(flt.date_to)),
        _("Disability by the Washington Group's short set: a lot of difficulty or cannot "
          "do at all in any domain."),
        _("Referrals issued in the period, with their outcome as recorded today."),
    ]


# --- the social programmes diagnostic -----------------------------------------------------


def programmes_document(session: Session, flt: ReportFilter) -> ReportDocument:
    """«Acceso de personas migrantes y refugiadas a programas sociales» (see the module's
    docstring)."""
    session.require(Permission.VIEW_REPORTS)
    domain = programmes_domain(session.catalogs)
    figures = gather(session, flt, domain)
    found = figures.destinations
    doc = new_document(session, "programas",
                       _("Access of migrants and refugees to social programmes"), flt)
    areas = [(code, _(label)) for code, label in domain.areas]
    area_label = dict(areas)

    by_area = Table("by_area", _("Consultations, persons and referrals by programme area"), [
        Column("category", _("Area"), "text"),
        Column("consultations", _("Consultations")),
        Column("persons", _("Persons attended")),
        Column("foreign", _("Foreign beneficiaries")),
        Column("issued", _("Referrals issued")),
        Column(ATTENDED, _("Referrals attended")),
        Column("share_attended", _("Attended (%)"), "percent"),
        Column("median_days", _("Median days to outcome"), "days"),
    ], chart="bar", chart_columns=("consultations", "foreign"),
        note=_("A person attended in several areas counts once in the total."))
    everything = ReferralLine("", ALL_AREAS)
    for code, label in areas:
        line = figures.area_line(code)
        everything.add(line)
        by_area.rows.append([label, figures.area_consultations[code],
                             figures.persons_total[code], figures.foreign_total[code],
                             line.issued, line.by_status[ATTENDED], line.share_attended,
                             line.median_days])
    by_area.total = [_("Total"), figures.area_consultations[ALL_AREAS],
                     figures.persons_total[ALL_AREAS], figures.foreign_total[ALL_AREAS],
                     everything.issued, everything.by_status[ATTENDED],
                     everything.share_attended, everything.median_days]

    by_topic = Table("by_topic", _("Consultations by topic"), [
        Column("category", _("Topic"), "text"), Column("area", _("Area"), "text"),
        Column("consultations", _("Consultations")), Column("persons", _("Persons"))],
        note=_("A consultation on several topics counts under each of them."))
    for topic in session.catalogs.topics:
        if topic.code in domain.topics:
            by_topic.rows.append([topic.label(), area_label[domain.topics[topic.code]],
                                  figures.topic_consultations[topic.code],
                                  figures.topic_persons[topic.code]])
    doc.sections.append(Section(_("Programme areas"), [by_area, by_topic], intro=_(
        "Areas and their topics and services as in social_programmes.csv. Sport and "
        "recreation count the directory services whose sector names them.")))

    by_area_referrals = referral_table(
        "referrals_by_area", _("Referrals by programme area and outcome"),
        [Column("category", _("Area"), "text")],
        [([label], figures.area_line(code)) for code, label in areas],
        total=everything, note=_(_REFERRAL_NOTE), chart="bar")
    by_destination = referral_table(
        "referrals_by_destination", _("Referrals by destination and outcome"),
        [Column("category", _("Destination"), "text"), Column("area", _("Area"), "text")],
        [([one.name, label], one) for code, label in areas
         for one in _sorted_lines(figures.referrals.get(code, {}).values())])
    services = "; ".join(
        f"{label}: {_service_names(found, code, True)}" for code, label in areas)
    doc.sections.append(Section(_("Referrals"), [by_area_referrals, by_destination], intro=_(
        "Services of each area in the directory: {services}. A service that also serves "
        "other topics counts when the referral came from a consultation on a topic of the "
        "area.").format(services=services)))

    foreign_tables = []
    for dimension in ("age_band", "sex", "nationality", "migratory_status", "disability"):
        counts = {code: figures.foreign.get(code, {}).get(dimension, Counter())
                  for code, _label in [*areas, (ALL_AREAS, "")]}
        present = {v for c in counts.values() for v in c}
        labels = [(code, label) for code, label in dimension_labels(session, dimension, present)
                  if dimension != "nationality" or code in present]
        table = Table(
            f"foreign_by_{dimension}",
            _("Foreign beneficiaries by {dimension} and area").format(
                dimension=_dimension_title(dimension).lower()),
            [Column("category", _dimension_title(dimension), "text"),
             *(Column(code, label) for code, label in areas),
             Column("total", _("Any area"))],
            chart="bar" if dimension in ("age_band", "sex") else None,
            chart_columns=tuple(code for code, _label in areas))
        for code, label in labels:
            table.rows.append([label, *(int(counts[a][code]) for a, _l in areas),
                               int(counts[ALL_AREAS][code])])
        table.total = [_("Total"), *(figures.foreign_total[a] for a, _l in areas),
                       figures.foreign_total[ALL_AREAS]]
        foreign_tables.append(table)
    doc.sections.append(Section(
        _("Foreign beneficiaries"), foreign_tables,
        intro=_("Persons of a nationality other than Peruvian attended in an area: each "
                "counts once in each area and once under «Any area». Anonymous walk-ins "
                "count by the nationality, sex and age recorded."),
        district_map=dict(figures.foreign_districts),
        map_title=_("Foreign beneficiaries by district of residence")))
    doc.notes = [
        *_common_notes(flt),
        _("A beneficiary of an area had, in the period, a consultation on a topic of the "
          "area or a referral to a service of the area; foreign beneficiaries have a "
          "recorded nationality other than Peruvian (without a nationality, they are not "
          "counted as foreign)."),
        _("Programme areas, their topics and services: social_programmes.csv, each row "
          "with its source."),
    ]
    return doc
