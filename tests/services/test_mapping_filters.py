"""Every filter of the map against an independent count over a demo's rows: the period, casa,
topic, nationality, sex, age band, migratory situation and zone, per district, per zone and
per Cercado sector."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from acting import act_as
from reporting_helpers import DEMO_TODAY

from oma_desktop.core.disaggregation import person_profile
from oma_desktop.core.geo import CERCADO, ZONES, district_zones
from oma_desktop.core.text import fold
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.mapping import map_counts
from oma_desktop.services.report_filter import ReportFilter

TODAY = DEMO_TODAY  # the demo fixture's (tests/conftest.py)
START, END = dt.date(2026, 5, 1), dt.date(2026, 10, 31)


@pytest.fixture
def analyst(demo: Path) -> Iterator[AppContext]:
    ctx = act_as(open_context(demo), "analista")
    yield ctx
    ctx.close()


def _counted(store: Any, flt: ReportFilter) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(consultation, person) pairs the filter counts, by reading every row in Python."""
    persons = {p["id"]: p for p in store.rows("SELECT * FROM person WHERE deleted = 0")}
    zones = district_zones()
    out = []
    for c in store.rows("SELECT * FROM consultation WHERE deleted = 0"):
        person = persons.get(c["person_id"])
        if person is None or not flt.date_from.isoformat() <= c["occurred_at"][:10] \
                <= flt.date_to.isoformat():
            continue
        profile = person_profile(person, flt.date_to)
        wanted = [(flt.casa_id, c["casa_id"]), (flt.sex, profile.sex),
                  (flt.nationality, profile.nationality), (flt.age_band, profile.age_band),
                  (flt.migratory_status, profile.migratory_status),
                  (flt.zone, zones.get(person["district_ubigeo"] or ""))]
        if any(want is not None and want != got for want, got in wanted):
            continue
        if flt.topic is not None and flt.topic not in json.loads(c["topics"]):
            continue
        out.append((c, person))
    return out


def _filters(store: Any) -> list[ReportFilter]:
    topic = Counter(t for r in store.rows("SELECT topics FROM consultation")
                    for t in json.loads(r["topics"])).most_common(1)[0][0]
    return [
        ReportFilter(START, END),
        ReportFilter(START, END, casa_id="CV2"),
        ReportFilter(START, END, topic=topic),
        ReportFilter(START, END, sex="F"),
        ReportFilter(START, END, nationality="VE"),
        ReportFilter(START, END, age_band="18-59"),
        ReportFilter(START, END, migratory_status="regular"),
        ReportFilter(START, END, zone="Lima Norte"),
        ReportFilter(START, END, casa_id="CV1", sex="M", age_band="18-59"),
        ReportFilter(dt.date(2026, 9, 1), dt.date(2026, 9, 30), nationality="VE", sex="F"),
    ]


def test_every_filter_matches_an_independent_count(analyst: AppContext) -> None:
    store = analyst.session.store
    zones = district_zones()
    for flt in _filters(store):
        pairs = _counted(store, flt)
        placed = [(c, p) for c, p in pairs if p["district_ubigeo"]]
        consultations = Counter(p["district_ubigeo"] for _c, p in placed)
        persons = Counter(d for _id, d in {(p["id"], p["district_ubigeo"]) for _c, p in placed})
        for measure, expected in (("persons", persons), ("consultations", consultations)):
            counts = map_counts(analyst.session, flt, measure)  # type: ignore[arg-type]
            assert counts.districts == dict(expected), (flt, measure)
            by_zone = dict.fromkeys(ZONES, 0)
            for ubigeo, n in expected.items():
                by_zone[zones[ubigeo]] += n
            assert counts.zones == by_zone
            in_cercado = [p for _c, p in placed if p["district_ubigeo"] == CERCADO]
            if measure == "persons":
                in_cercado = list({p["id"]: p for p in in_cercado}.values())
            sectors = Counter(fold(p["zone"]) for p in in_cercado)
            assert {fold(s.label): s.count for s in counts.sectors} == dict(sectors)
        if flt.zone is not None:
            assert {zones[u] for u in persons} <= {flt.zone}
    # the filters do select: the consolidated count is the largest
    everyone = map_counts(analyst.session, ReportFilter(START, END)).total
    assert everyone > 50
    for flt in _filters(store)[1:]:
        assert map_counts(analyst.session, flt).total < everyone
