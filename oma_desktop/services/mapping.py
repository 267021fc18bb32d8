"""Counts per district, per zone and per Cercado sector of residence for the map (issue #11,
point 1).

Every count takes a :class:`~oma_desktop.services.report_filter.ReportFilter`, so the period,
casa, topic, nationality, sex, age band, migratory situation and zone mean here what they
mean in every report:

- ``persons``: distinct registered persons living in the district with at least one
  consultation the filter counts;
- ``consultations``: the consultations the filter counts of persons living in the district.

Anonymous walk-ins have no residence and registered persons without a district cannot be
placed: neither is on the map, and :class:`MapCounts` says how many were left out.

**Zones** come from the zones file in force for the data folder (``core.geo.zones_file``:
the data folder's own ``lima_zones.csv`` if there is one, else the bundled one). A person
lives in one district, so a zone's count is the sum of its districts'.

**Cercado de Lima sectors**: no boundaries of the sectors exist, so they are not drawn;
:func:`sector_counts` counts the free text the clerk typed in «Sector o zona» for residents
of Cercado (``core.geo.CERCADO``), grouping spellings that differ only in case, accents,
punctuation or spaces.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from oma_desktop.core.disaggregation import AGE_BANDS, UNKNOWN, UNKNOWN_LABEL
from oma_desktop.core.geo import CERCADO, district_zones, zone_names
from oma_desktop.core.text import fold
from oma_desktop.core.vocab import MIGRATORY_STATUS, SEX, label
from oma_desktop.i18n import _, country_name, current_language, format_date
from oma_desktop.services.casas import casa_names
from oma_desktop.services.permissions import Permission
from oma_desktop.services.report_filter import ReportFilter, install_zone_table
from oma_desktop.services.session import Session

Measure = Literal["persons", "consultations"]
MEASURES: tuple[Measure, ...] = ("persons", "consultations")
Level = Literal["district", "zone"]
LEVELS: tuple[Level, ...] = ("district", "zone")


@dataclass(frozen=True)
class SectorCount:
    label: str  # the spelling most used; "" for residents without a sector
    count: int


@dataclass(frozen=True)
class MapCounts:
    """Everything the map shows for one filter and measure, read in one go (off the GUI
    thread): plain data, safe to hand from a worker to the screen."""

    filter: ReportFilter
    measure: Measure
    districts: dict[str, int]  # ubigeo -> count; districts without any are left out
    zones: dict[str, int]  # zone -> count, every zone of the file in force (0 included)
    zone_of: dict[str, str]  # ubigeo -> zone (the file in force)
    sectors: list[SectorCount] = field(default_factory=list)  # Cercado de Lima
    without_district: int = 0  # registered persons (or their consultations) with no district
    anonymous: int = 0  # anonymous walk-ins' consultations (each is one person attended)

    @property
    def total(self) -> int:
        """What the map shows in all: the sum over the districts."""
        return sum(self.districts.values())

    def share(self, count: int) -> float:
        """``count`` as a percentage (0..100) of :attr:`total`."""
        return 100.0 * count / self.total if self.total else 0.0


def data_dir_of(session: Session) -> Path:
    """The data folder of the session's database (where an own ``lima_zones.csv`` lives)."""
    return Path(session.store.path).parent


def zones_of(session: Session) -> dict[str, str]:
    """{ubigeo: zone} of the zones file in force for the session's data folder."""
    return district_zones(data_dir=data_dir_of(session))


def zone_order(session: Session) -> tuple[str, ...]:
    """The zones of the file in force, in display order."""
    return zone_names(data_dir=data_dir_of(session))


def _prepare(session: Session, flt: ReportFilter, measure: Measure) -> dict[str, Any]:
    session.require(Permission.VIEW_REPORTS)
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    install_zone_table(session.store, zones_of(session))  # the zone filter joins with it
    return flt.params()


def _counted(measure: Measure) -> str:
    return "COUNT(DISTINCT p.id)" if measure == "persons" else "COUNT(*)"


def _by_district(session: Session, flt: ReportFilter, measure: Measure) -> dict[str, int]:
    """{ubigeo or "": count}, "" gathering the persons without a district."""
    params = _prepare(session, flt, measure)
    rows = session.store.rows(
        f"SELECT COALESCE(p.district_ubigeo, '') AS ubigeo, {_counted(measure)} AS n"
        " FROM consultation c JOIN person p ON p.id = c.person_id"
        f" WHERE {flt.consultation_where('c', 'p')} AND p.deleted = 0"
        " GROUP BY COALESCE(p.district_ubigeo, '')", params)
    return {str(r["ubigeo"]): int(r["n"]) for r in rows}


def district_counts(session: Session, flt: ReportFilter,
                    measure: Measure = "persons") -> dict[str, int]:
    """{district ubigeo: count} for the filter; districts without any are left out."""
    return {k: v for k, v in _by_district(session, flt, measure).items() if k and v}


def zone_counts(session: Session, flt: ReportFilter,
                measure: Measure = "persons") -> dict[str, int]:
    """{zone: count} for every zone of the file in force (0 for a zone without any); a
    district without a zone in the file counts under «sin dato»."""
    return _zones(zones_of(session), zone_order(session),
                  district_counts(session, flt, measure))


def _zones(zone_of: dict[str, str], order: tuple[str, ...],
           districts: dict[str, int]) -> dict[str, int]:
    out = dict.fromkeys(order, 0)
    for ubigeo, n in districts.items():
        zone = zone_of.get(ubigeo, UNKNOWN)
        out[zone] = out.get(zone, 0) + n
    return out


def sector_key(text: str) -> str:
    """What two sector spellings are compared by: ``Barrios  Altos``, ``barrios altos`` and
    ``BARRIOS ALTOS.`` are one sector."""
    return fold(text or "")


def sector_counts(session: Session, flt: ReportFilter, measure: Measure = "persons",
                  district: str = CERCADO) -> list[SectorCount]:
    """The residents of ``district`` (Cercado de Lima) by the sector they gave, most first;
    those without a sector last, with the label "". Spellings of one sector are counted
    together under the spelling used most (ties: the first alphabetically)."""
    params = _prepare(session, flt, measure)
    params["district"] = district
    rows = session.store.rows(
        f"SELECT p.zone AS sector, {_counted(measure)} AS n"
        " FROM consultation c JOIN person p ON p.id = c.person_id"
        f" WHERE {flt.consultation_where('c', 'p')} AND p.deleted = 0"
        " AND p.district_ubigeo = :district GROUP BY p.zone", params)
    return group_sectors((str(r["sector"] or ""), int(r["n"])) for r in rows)


def group_sectors(counts: Any) -> list[SectorCount]:
    """Sector counts from ``(typed text, count)`` pairs (one person has one text, so counts
    of the spellings add up)."""
    totals: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for text, n in counts:
        shown = " ".join(text.split())
        key = sector_key(shown)
        totals[key] += n
        if key:
            spellings[key][shown] += n
    out = []
    for key, n in totals.items():
        if not n:
            continue
        best = min(spellings[key].items(), key=lambda item: (-item[1], item[0]))[0] if key else ""
        out.append(SectorCount(best, n))
    out.sort(key=lambda s: (not s.label, -s.count, fold(s.label)))
    return out


def map_counts(session: Session, flt: ReportFilter, measure: Measure = "persons") -> MapCounts:
    """The districts, zones and Cercado sectors for ``flt``, and what cannot be placed."""
    raw = _by_district(session, flt, measure)
    districts = {k: v for k, v in raw.items() if k and v}
    zone_of = zones_of(session)
    params = flt.params()
    row = session.store.one(
        "SELECT COUNT(*) AS n FROM consultation c LEFT JOIN person p ON p.id = c.person_id"
        f" WHERE {flt.consultation_where('c', 'p')} AND c.person_id IS NULL", params)
    return MapCounts(
        filter=flt, measure=measure, districts=districts,
        zones=_zones(zone_of, zone_order(session), districts), zone_of=zone_of,
        sectors=sector_counts(session, flt, measure),
        without_district=raw.get("", 0), anonymous=int(row["n"]) if row else 0,
    )


# --- what a filter says, in words (titles of the PNG, the follow-up list) -------------------

def filter_descriptions(session: Session, flt: ReportFilter) -> list[str]:
    """The filters of ``flt`` other than the period, in Spanish: «Casa: Casa Vecinal 2»,
    «Sexo: Mujer»... (empty for a consolidated, unfiltered count)."""
    def unknown_or(code: str, text: str) -> str:
        return _(UNKNOWN_LABEL) if code == UNKNOWN else text

    parts: list[str] = []
    if flt.casa_id is not None:
        parts.append(_("Casa: {name}").format(
            name=casa_names(session).get(flt.casa_id, flt.casa_id)))
    if flt.topic is not None:
        try:
            topic = session.catalogs.topic(flt.topic).label(current_language())
        except KeyError:
            topic = flt.topic
        parts.append(_("Topic: {name}").format(name=topic))
    if flt.nationality is not None:
        parts.append(_("Nationality: {name}").format(name=unknown_or(
            flt.nationality, country_name(flt.nationality))))
    if flt.sex is not None:
        parts.append(_("Sex: {name}").format(name=unknown_or(flt.sex, label(SEX, flt.sex))))
    if flt.age_band is not None:
        band = next((_(text) for code, text, _low, _high in AGE_BANDS
                     if code == flt.age_band), flt.age_band)
        parts.append(_("Age: {name}").format(name=unknown_or(flt.age_band, band)))
    if flt.migratory_status is not None:
        parts.append(_("Migratory situation: {name}").format(name=unknown_or(
            flt.migratory_status, label(MIGRATORY_STATUS, flt.migratory_status))))
    if flt.zone is not None:
        parts.append(_("Zone: {name}").format(name=unknown_or(flt.zone, flt.zone)))
    return parts


def period_text(date_from: dt.date, date_to: dt.date) -> str:
    """«del 01/06/2026 al 30/06/2026»."""
    return _("from {start} to {end}").format(start=format_date(date_from),
                                              end=format_date(date_to))
