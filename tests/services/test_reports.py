"""The general report: every figure against counts computed independently in the test,
from the rows of a demo and the Python version of the disaggregation rule."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from acting import act_as
from reporting_helpers import DEMO_TODAY

from oma_desktop.core.disaggregation import UNKNOWN, age_band, person_profile
from oma_desktop.core.errors import PermissionDeniedError
from oma_desktop.services.context import open_context
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.reports import DIMENSIONS, general_report

TODAY = DEMO_TODAY  # the demo fixture's (tests/conftest.py)


def _expected(store, start: dt.date, end: dt.date, casa: str | None) -> dict[str, object]:
    rows = [r for r in store.rows("SELECT * FROM consultation WHERE deleted = 0")
            if start.isoformat() <= r["occurred_at"][:10] <= end.isoformat()
            and (casa is None or r["casa_id"] == casa)]
    topics = Counter(t for r in rows for t in json.loads(r["topics"]))
    persons = {r["person_id"] for r in rows if r["person_id"]}
    by: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    new = 0
    for pid in persons:
        person = store.get("person", pid)
        profile = person_profile(person, end)
        for d in DIMENSIONS:
            by[d][getattr(profile, d)] += 1
        new += start.isoformat() <= person["created_at"][:10] <= end.isoformat()
    anonymous = [r for r in rows if not r["person_id"]]
    for r in anonymous:
        values = {"age_band": age_band(r["anon_age"]), "sex": r["anon_sex"] or UNKNOWN,
                  "nationality": r["anon_nationality"] or UNKNOWN,
                  "migratory_status": UNKNOWN, "disability": "no_preguntado"}
        for d in DIMENSIONS:
            by[d][values[d]] += 1
    return {"consultations": len(rows), "anonymous": len(anonymous), "topics": topics,
            "persons": len(persons) + len(anonymous), "new": new,
            "returning": len(persons) - new, "by": by}


@pytest.mark.parametrize("casa", [None, "CV2"])
def test_every_figure_matches_an_independent_count(demo: Path, casa: str | None) -> None:
    ctx = act_as(open_context(demo), "coordinacion")
    try:
        start, end = dt.date(2026, 6, 1), dt.date(2026, 8, 31)
        report = general_report(ctx.session, ReportFilter(start, end, casa))
        expected = _expected(ctx.session.store, start, end, casa)
        assert report.consultations == expected["consultations"] > 0
        assert report.anonymous_consultations == expected["anonymous"] > 0
        assert report.by_topic == expected["topics"]
        axis = {t.code: t.axis for t in ctx.catalogs.topics}
        by_axis: Counter[str] = Counter()
        for topic, n in expected["topics"].items():  # type: ignore[attr-defined]
            by_axis[axis[topic]] += n
        assert report.by_axis == by_axis
        assert (report.persons_attended, report.new_persons, report.returning_persons) == (
            expected["persons"], expected["new"], expected["returning"])
        assert report.persons_by == expected["by"]
        for dimension in DIMENSIONS:  # every person counted once in each dimension
            assert sum(report.persons_by[dimension].values()) == report.persons_attended
    finally:
        ctx.close()


def test_reports_need_a_role_that_may_see_them(demo: Path) -> None:
    ctx = act_as(open_context(demo), "recepcion")
    try:
        with pytest.raises(PermissionDeniedError):
            general_report(ctx.session, ReportFilter(dt.date(2026, 1, 1), TODAY))
    finally:
        ctx.close()
