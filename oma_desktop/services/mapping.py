"""Counts per district and per zone of residence for the map (issue #11, point 1).

``persons``: distinct registered persons living in the district with at least one
consultation in the period; ``consultations``: consultations in the period of persons
living in the district. Anonymous walk-ins and persons without a district are not counted.
The period is inclusive of both dates.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Literal

from oma_desktop.core.geo import district_zones
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

Measure = Literal["persons", "consultations"]
MEASURES: tuple[Measure, ...] = ("persons", "consultations")


def district_counts(
    session: Session, period_from: dt.date, period_to: dt.date, measure: Measure = "persons",
) -> dict[str, int]:
    """{district ubigeo: count} for the period; districts without any are left out."""
    session.require(Permission.VIEW_REPORTS)
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    counted = "COUNT(DISTINCT p.id)" if measure == "persons" else "COUNT(*)"
    start = dt.datetime.combine(period_from, dt.time())
    end = dt.datetime.combine(period_to + dt.timedelta(days=1), dt.time())
    rows = session.store.rows(
        f"SELECT p.district_ubigeo AS ubigeo, {counted} AS n"
        " FROM consultation c JOIN person p ON p.id = c.person_id"
        " WHERE c.deleted = 0 AND p.deleted = 0 AND c.occurred_at >= ? AND c.occurred_at < ?"
        " AND p.district_ubigeo IS NOT NULL AND p.district_ubigeo != ''"
        " GROUP BY p.district_ubigeo",
        [start.isoformat(timespec="minutes"), end.isoformat(timespec="minutes")],
    )
    return {str(r["ubigeo"]): int(r["n"]) for r in rows}


def zone_counts(
    session: Session, period_from: dt.date, period_to: dt.date, measure: Measure = "persons",
) -> dict[str, int]:
    """{zone: count} (zones of ``lima_zones.csv``); a person lives in one district, so the
    district counts add up to the zone's."""
    zones = district_zones()
    out: Counter[str] = Counter()
    for ubigeo, n in district_counts(session, period_from, period_to, measure).items():
        out[zones.get(ubigeo, "")] += n
    return dict(out)
