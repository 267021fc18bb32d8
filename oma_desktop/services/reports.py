"""Reports for a period (issue #11): the figures, disaggregated by the one rule of
``core/disaggregation.py``, computed in SQL (topics from the ``consultation_topic`` table,
never by parsing JSON per row).

This first part counts consultations by topic and by axis of the capacity plan, and the
persons attended (new and returning) by age band, sex, nationality, migratory situation and
disability; anonymous walk-ins count where their fields allow. Output formats (PDF, xlsx,
CSV), the map and the diagnostics build on :class:`GeneralReport`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from oma_desktop.core.disaggregation import UNKNOWN, age_band, age_band_sql, disability_sql
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

DIMENSIONS = ("age_band", "sex", "nationality", "migratory_status", "disability")


@dataclass
class GeneralReport:
    date_from: dt.date
    date_to: dt.date
    casa_id: str | None
    consultations: int = 0
    anonymous_consultations: int = 0
    by_topic: Counter[str] = field(default_factory=Counter)
    by_axis: Counter[str] = field(default_factory=Counter)
    persons_attended: int = 0
    new_persons: int = 0  # registered within the period
    returning_persons: int = 0
    # dimension -> value code -> persons attended (registered persons and walk-ins)
    persons_by: dict[str, Counter[str]] = field(default_factory=dict)


def general_report(session: Session, date_from: dt.date, date_to: dt.date,
                   casa_id: str | None = None) -> GeneralReport:
    """The general report of ``date_from``..``date_to`` (both included), of one casa or
    consolidated (``casa_id`` None). Ages are taken on ``date_to``."""
    session.require(Permission.VIEW_REPORTS)
    store = session.store
    report = GeneralReport(date_from, date_to, casa_id)
    params = {"start": date_from.isoformat(), "end": (date_to + dt.timedelta(days=1)).isoformat(),
              "casa": casa_id, "on": date_to.isoformat()}
    period = ("c.deleted = 0 AND c.occurred_at >= :start AND c.occurred_at < :end"
              " AND (:casa IS NULL OR c.casa_id = :casa)")
    row = store.one(
        f"SELECT count(*) AS n, sum(c.person_id IS NULL) AS anon FROM consultation c"
        f" WHERE {period}", params)
    assert row is not None
    report.consultations = int(row["n"] or 0)
    report.anonymous_consultations = int(row["anon"] or 0)
    axis_of = {t.code: t.axis for t in session.catalogs.topics}
    for r in store.rows(
            f"SELECT t.topic, count(*) AS n FROM consultation c"
            f" JOIN consultation_topic t ON t.consultation_id = c.id WHERE {period}"
            " GROUP BY t.topic", params):
        report.by_topic[str(r["topic"])] += int(r["n"])
        report.by_axis[axis_of.get(str(r["topic"]), UNKNOWN)] += int(r["n"])

    attended = (f"SELECT DISTINCT c.person_id FROM consultation c WHERE {period}"
                " AND c.person_id IS NOT NULL")
    profile = (
        f"SELECT {age_band_sql('p.birth_date')} AS age_band,"
        f" COALESCE(NULLIF(p.sex, ''), '{UNKNOWN}') AS sex,"
        f" COALESCE(NULLIF(p.nationality, ''), '{UNKNOWN}') AS nationality,"
        f" COALESCE(NULLIF(p.migratory_status, ''), '{UNKNOWN}') AS migratory_status,"
        f" {disability_sql('p')} AS disability,"
        " p.created_at >= :start AND p.created_at < :end AS new"
        f" FROM person p WHERE p.deleted = 0 AND p.id IN ({attended})")
    report.persons_by = {d: Counter() for d in DIMENSIONS}
    for r in store.rows(profile, params):
        report.persons_attended += 1
        if r["new"]:
            report.new_persons += 1
        else:
            report.returning_persons += 1
        for dimension in DIMENSIONS:
            report.persons_by[dimension][str(r[dimension])] += 1
    # each anonymous walk-in counts as one person attended, by what was recorded
    for r in store.rows(
            f"SELECT c.anon_sex, c.anon_age, c.anon_nationality FROM consultation c"
            f" WHERE {period} AND c.person_id IS NULL", params):
        report.persons_attended += 1
        values = {
            "age_band": age_band(int(r["anon_age"]) if r["anon_age"] is not None else None),
            "sex": r["anon_sex"] or UNKNOWN, "nationality": r["anon_nationality"] or UNKNOWN,
            "migratory_status": UNKNOWN, "disability": "no_preguntado",
        }
        for dimension in DIMENSIONS:
            report.persons_by[dimension][str(values[dimension])] += 1
    return report
