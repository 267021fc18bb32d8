"""Demo referrals (issue #8): a fraction of the demo consultations ends in a referral to a
directory service serving one of its topics, in every state of the lifecycle.

Kept apart from ``services.demo`` (which builds persons and consultations) so that module
stays readable. Written in bulk with ``create_many``, one transaction per staff member
under their casa's demo installation, like the consultations: the 200k-person build stays
fast. Codes are numbered per casa and year in the order the referrals were issued.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from oma_desktop.core.ids import new_id
from oma_desktop.core.seed import service_id
from oma_desktop.core.store import Origin, Store
from oma_desktop.services.directory import DEFAULT_TOPICS
from oma_desktop.services.installation import station_tag
from oma_desktop.services.referrals import (
    ATTENDED,
    CANCELLED,
    DELIVERED,
    ISSUED,
    NOT_ATTENDED,
    PRIORITY_DAYS,
    REJECTED,
    due_date_for,
    format_code,
)

# One consultation in SAMPLE_EVERY is considered (by rowid: deterministic for a seed),
# and referred when its person consented and a service serves one of its topics.
SAMPLE_EVERY = 25
PRIORITY_WEIGHTS = (("normal", 70), ("urgente", 22), ("emergencia", 8))
# synthetic outcome mix of referrals whose due date has passed
CLOSED_WEIGHTS = ((ATTENDED, 55), (NOT_ATTENDED, 14), (REJECTED, 7), (CANCELLED, 6),
                  (DELIVERED, 10), (ISSUED, 8))
FEEDBACK = {
    ATTENDED: ("Atendida, trámite iniciado", "Afiliación realizada", "Se le dio cita",
               "Atendida; debe volver con documentos"),
    NOT_ATTENDED: ("No se presentó", "No había cupos ese día"),
    REJECTED: ("No cumple requisitos", "Le falta documento de identidad vigente"),
    CANCELLED: ("La persona ya no lo necesita", "Derivada por error"),
}
REASONS = ("Orientación sobre {topic}", "Solicita apoyo: {topic}", "Requiere atención: {topic}")


def _pick(rng: random.Random, weights: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _w in weights], [w for _c, w in weights])[0]


def _services_by_topic() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for code, topics in DEFAULT_TOPICS.items():
        for topic in topics:
            out[topic].append(service_id(code))
    return out


def write_demo_referrals(
    store: Store, rng: random.Random, today: dt.date, topic_names: dict[str, str],
    installation_of: Callable[[str], str] | None = None,
) -> int:
    """Create the demo referrals and their events; returns how many referrals.

    ``installation_of(casa)``: the installation a casa's referrals are logged under and
    whose station tag ends their codes (default: the synthetic demo installation)."""
    if installation_of is None:
        from oma_desktop.services.demo import demo_installation_id  # demo imports this module

        installation_of = demo_installation_id
    by_topic = _services_by_topic()
    rows = store.rows(
        "SELECT c.id, c.person_id, c.topics, c.occurred_at, c.casa_id, c.staff_user_id"
        " FROM consultation c JOIN person p ON p.id = c.person_id"
        f" WHERE c.rowid % {SAMPLE_EVERY} = 0 AND p.consent_refer = 1 AND c.deleted = 0"
        " ORDER BY c.occurred_at, c.rowid")
    numbers: dict[tuple[str, int], int] = defaultdict(int)
    per_staff: dict[tuple[str, str], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    statuses = [ISSUED, DELIVERED, ATTENDED, NOT_ATTENDED, REJECTED, CANCELLED]
    made = 0
    for row in rows:
        topics = [t for t in json.loads(row["topics"]) if by_topic.get(t)]
        if not topics or not row["staff_user_id"]:
            continue
        topic = rng.choice(topics)
        issued = dt.datetime.fromisoformat(row["occurred_at"])
        priority = _pick(rng, PRIORITY_WEIGHTS)
        due = due_date_for(priority, issued.date())
        if made < len(statuses):
            status = statuses[made]  # every state present even in a tiny demo
        elif due >= today:
            status = rng.choice((ISSUED, DELIVERED))
        else:
            status = _pick(rng, CLOSED_WEIGHTS)
        numbers[(row["casa_id"], issued.year)] += 1
        number = numbers[(row["casa_id"], issued.year)]
        referral_id = new_id()
        shared = ["name", "document"] + (["age"] if rng.random() < 0.3 else [])
        referrals, events = per_staff.setdefault((row["casa_id"], row["staff_user_id"]), ([], []))
        # each demo casa is one PC (its installation), so one station per casa
        station = station_tag(installation_of(row["casa_id"]))
        referrals.append({
            "id": referral_id,
            "code": format_code(row["casa_id"], issued.year, number, station),
            "casa_id": row["casa_id"], "year": issued.year, "number": number,
            "station": station,
            "person_id": row["person_id"], "consultation_id": row["id"],
            "service_id": rng.choice(by_topic[topic]),
            "reason": rng.choice(REASONS).format(topic=topic_names.get(topic, topic).lower()),
            "priority": priority, "due_date": due.isoformat(),
            "shared": json.dumps(shared), "status": status,
            "issued_at": issued.isoformat(timespec="minutes"),
            "staff_user_id": row["staff_user_id"], "printed_count": 1,
        })
        at = issued
        trail = [ISSUED]
        if status != ISSUED and (status == DELIVERED or rng.random() < 0.7):
            trail.append(DELIVERED)
        if status not in (ISSUED, DELIVERED):
            trail.append(status)
        for step, event_status in enumerate(trail):
            if step:
                days = PRIORITY_DAYS[priority]
                at = at + dt.timedelta(days=rng.randint(0, days + 3), minutes=rng.randint(5, 300))
            events.append({
                "referral_id": referral_id, "status": event_status,
                "at": min(at, dt.datetime.combine(today, issued.time())).isoformat(
                    timespec="minutes"),
                "user_id": row["staff_user_id"],
                "feedback": rng.choice(FEEDBACK[event_status]) if event_status in FEEDBACK else "",
            })
        made += 1
    for (casa, staff), (referrals, events) in per_staff.items():
        origin = Origin(casa=casa, installation=installation_of(casa))
        with store.transaction(staff, origin=origin) as tx:
            tx.create_many("referral", referrals)
            tx.create_many("referral_event", events)
    return made
