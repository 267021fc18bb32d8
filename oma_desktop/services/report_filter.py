"""What a report, the map or an export counts: a period and optional filters (issue #11).

One :class:`ReportFilter` serves the map, every report, the diagnostics and the R4V export,
so «Lima Norte, women, 18 to 59, in October» means the same everywhere. The person filters
(sex, nationality, age band, migratory situation) apply to the registered person of a
consultation, or to what an anonymous walk-in's consultation recorded (a walk-in's migratory
situation is «sin dato»). Age bands are taken on the period's last day. Codes are those of
``core/disaggregation.py`` (``sin_dato`` selects the records without the datum).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from oma_desktop.core.disaggregation import (
    NOT_ASKED,
    UNKNOWN,
    age_band_of_age_sql,
    age_band_sql,
    disability_sql,
)

# the filters on who is counted, each compared with the person's value of that dimension
PERSON_FILTERS = ("sex", "nationality", "age_band", "migratory_status")


@dataclass(frozen=True)
class ReportFilter:
    date_from: dt.date
    date_to: dt.date  # included
    casa_id: str | None = None  # None: every casa (consolidated)
    topic: str | None = None
    nationality: str | None = None
    sex: str | None = None
    age_band: str | None = None
    migratory_status: str | None = None
    zone: str | None = None  # a zone of lima_zones.csv (the person's district of residence)

    def __post_init__(self) -> None:
        if self.date_to < self.date_from:
            raise ValueError("date_to before date_from")

    @classmethod
    def month(cls, year: int, month: int, **filters: Any) -> ReportFilter:
        start = dt.date(year, month, 1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return cls(start, end, **filters)

    def with_period(self, date_from: dt.date, date_to: dt.date) -> ReportFilter:
        return replace(self, date_from=date_from, date_to=date_to)

    @property
    def person_filtered(self) -> bool:
        """True when a filter on the person (sex, age...) is set."""
        return any(v is not None for v in (self.nationality, self.sex, self.age_band,
                                           self.migratory_status, self.zone))

    # --- SQL ---------------------------------------------------------------------------

    def params(self) -> dict[str, Any]:
        """The named parameters every fragment below uses."""
        return {
            "start": self.date_from.isoformat(),
            "end": (self.date_to + dt.timedelta(days=1)).isoformat(),
            "on": self.date_to.isoformat(),
            "casa": self.casa_id, "topic": self.topic, "nationality": self.nationality,
            "sex": self.sex, "age_band": self.age_band,
            "migratory_status": self.migratory_status, "zone": self.zone,
        }

    def consultation_where(self, c: str = "c", p: str = "p") -> str:
        """A WHERE condition over ``consultation {c} LEFT JOIN person {p} ON {p}.id =
        {c}.person_id``: the consultations the filter counts."""
        parts = [f"{c}.deleted = 0", f"{c}.occurred_at >= :start", f"{c}.occurred_at < :end"]
        if self.casa_id is not None:
            parts.append(f"{c}.casa_id = :casa")
        if self.topic is not None:
            parts.append(f"EXISTS (SELECT 1 FROM consultation_topic ft"
                         f" WHERE ft.consultation_id = {c}.id AND ft.topic = :topic)")
        parts += [f"{consultation_profile_sql(d, c, p)} = :{d}" for d in PERSON_FILTERS
                  if getattr(self, d) is not None]
        if self.zone is not None:
            parts.append(_zone_condition(p))
        return " AND ".join(parts)

    def person_where(self, p: str = "p") -> str:
        """A WHERE condition over ``person {p}``: the person filters (not the period, casa or
        topic), for counts of registered persons."""
        parts = [f"{p}.deleted = 0"]
        parts += [f"{person_profile_sql(d, p)} = :{d}" for d in PERSON_FILTERS
                  if getattr(self, d) is not None]
        if self.zone is not None:
            parts.append(_zone_condition(p))
        return " AND ".join(parts)


def _zone_condition(p: str) -> str:
    """The person ``p`` lives in the filter's zone (``temp.report_zone``)."""
    return f"{p}.district_ubigeo IN (SELECT ubigeo FROM temp.report_zone WHERE zone = :zone)"


def consultation_profile_sql(dimension: str, c: str = "c", p: str = "p") -> str:
    """SQL giving the disaggregation ``dimension`` of the person of consultation ``c``
    (``p`` LEFT JOINed on it) on ``:on``, or of the anonymous walk-in it recorded."""
    anon = f"{c}.person_id IS NULL"
    if dimension == "age_band":
        return (f"(CASE WHEN {anon} THEN {age_band_of_age_sql(f'{c}.anon_age')}"
                f" ELSE {age_band_sql(f'{p}.birth_date')} END)")
    if dimension in ("sex", "nationality"):
        return (f"COALESCE(NULLIF(CASE WHEN {anon} THEN {c}.anon_{dimension}"
                f" ELSE {p}.{dimension} END, ''), '{UNKNOWN}')")
    if dimension == "migratory_status":
        return (f"(CASE WHEN {anon} THEN '{UNKNOWN}'"
                f" ELSE COALESCE(NULLIF({p}.migratory_status, ''), '{UNKNOWN}') END)")
    if dimension == "disability":
        return f"(CASE WHEN {anon} THEN '{NOT_ASKED}' ELSE {disability_sql(p)} END)"
    raise ValueError(dimension)


def person_profile_sql(dimension: str, p: str = "p") -> str:
    """SQL giving the disaggregation ``dimension`` of the person row ``p`` on ``:on``."""
    if dimension == "age_band":
        return age_band_sql(f"{p}.birth_date")
    if dimension == "disability":
        return disability_sql(p)
    if dimension in ("sex", "nationality", "migratory_status"):
        return f"COALESCE(NULLIF({p}.{dimension}, ''), '{UNKNOWN}')"
    raise ValueError(dimension)


def install_zone_table(store: Any, zones: dict[str, str] | None = None) -> None:
    """(Re)fill the connection's ``temp.report_zone`` (ubigeo, zone), which the zone filter
    and every breakdown by zone join with. ``zones`` defaults to the zones file in force for
    the store's data folder (an office's own ``lima_zones.csv`` beside the database, else the
    bundled one); districts outside it have no row."""
    from pathlib import Path

    from oma_desktop.core.geo import district_zones

    mapping = (district_zones(data_dir=Path(store.path).parent) if zones is None
               else zones)
    store.fill_temp_table("report_zone", ("ubigeo", "zone"), sorted(mapping.items()))


OUTSIDE = "fuera"  # a district of residence outside Lima and Callao


def zone_sql(district_column: str) -> str:
    """SQL giving the zone of ``district_column``: a zone of ``lima_zones.csv``, ``fuera``
    for a district outside Lima and Callao, ``sin_dato`` without a district; needs
    :func:`install_zone_table` first."""
    return (f"(CASE WHEN {district_column} IS NULL OR {district_column} = '' THEN '{UNKNOWN}'"
            f" ELSE COALESCE((SELECT zone FROM temp.report_zone"
            f" WHERE ubigeo = {district_column}), '{OUTSIDE}') END)")
