"""Demo events and migrant organisations (issue #11, point 6), kept apart from
``services.demo`` (persons and consultations) like the demo referrals.

* Organisations: a dozen synthetic associations, collectives and grassroots groups spread
  over the casas, in every recognition status, some taking part in the participatory budget.
* Events, over the demo's two years at every casa: a migratón on each of the demo's campaign
  Saturdays (the days its consultations on the «migratón» channel took place) with the persons
  attended there linked as attendees; talentos vecinales, forums, fairs, workshops and talks
  now and then, a few with some of the casa's registered persons linked; trainings of municipal
  staff by gerencia (``gerencias_mml.csv``) with their hours; every kind at least once.

Titles, places and names are invented for the demo; the counts are plausible orders of
magnitude, not statistics. Deterministic for a seed (its own ``random.Random``, so the
persons and consultations of a seed do not change), and written in one transaction per casa
under that casa's installation, signed by one of its staff.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from oma_desktop.core.ids import new_id
from oma_desktop.core.store import Origin, Store
from oma_desktop.services.events import (
    FAIR,
    FORUM,
    MIGRATON,
    OTHER,
    STAFF_TRAINING,
    TALENTS,
    WORKSHOP,
    gerencia_names,
)

WINDOW_DAYS = 730
# chance of an event of each kind at a casa in a month
MONTHLY_CHANCE = {TALENTS: 0.25, FORUM: 0.2, FAIR: 0.25, WORKSHOP: 0.7, OTHER: 0.08,
                  STAFF_TRAINING: 0.12}
TITLES = {
    MIGRATON: ("Migratón: servicios para la comunidad migrante",),
    TALENTS: ("Talentos vecinales: feria gastronómica", "Talentos vecinales: música y danza",
              "Talentos vecinales: emprendimientos migrantes"),
    FORUM: ("Foro: la niñez migrante en la escuela", "Foro: acceso a la salud",
            "Foro: empleo y regularización migratoria"),
    FAIR: ("Feria de servicios", "Feria de empleo", "Feria de salud preventiva"),
    WORKSHOP: ("Charla: cómo solicitar el CPP", "Taller: derechos laborales",
               "Charla: afiliación al SIS", "Taller: prevención de la violencia de género",
               "Charla: matrícula escolar"),
    OTHER: ("Jornada de limpieza con vecinos", "Campeonato deportivo intercultural"),
    STAFF_TRAINING: ("Capacitación: derechos de las personas migrantes y refugiadas",
                     "Capacitación: atención sin discriminación",
                     "Capacitación: rutas de atención y derivación"),
}
PLACES = ("Local de la casa vecinal", "Parque de la Exposición", "Plaza Dos de Mayo",
          "Auditorio municipal", "Losa deportiva del barrio")
TOPICS = {
    MIGRATON: ("REG_CPP_PTP", "SALUD_SIS", "EMPLEO_COLOCACION", "ORIENTACION"),
    TALENTS: ("EMPRENDIMIENTO",), FAIR: ("EMPLEO_COLOCACION", "SALUD_SIS", "EMPRENDIMIENTO"),
    FORUM: ("EDUCACION_VACANTE", "SALUD_SIS", "DERECHOS_LABORALES", "DISCRIMINACION"),
    WORKSHOP: ("REG_CPP_PTP", "DERECHOS_LABORALES", "SALUD_SIS", "VIOLENCIA_GENERO",
               "EDUCACION_VACANTE"),
    OTHER: ("ORIENTACION",), STAFF_TRAINING: ("DISCRIMINACION", "ORIENTACION"),
}
# (pattern, kind); {place} is a district or neighbourhood name
ORGANISATIONS: tuple[tuple[str, str], ...] = (
    ("Asociación de Venezolanos en {place}", "asociacion"),
    ("Colectivo Mujeres Migrantes de {place}", "colectivo"),
    ("Asociación Cultural Tricolor de {place}", "asociacion"),
    ("Olla Común Migrante {place}", "organizacion_base"),
    ("Red de Emprendedores Migrantes de {place}", "colectivo"),
    ("Asociación de Colombianos Residentes en {place}", "asociacion"),
    ("Club Deportivo Vinotinto {place}", "otro"),
    ("Comité de Madres Migrantes de {place}", "organizacion_base"),
)
ORG_PLACES = (("Cercado de Lima", "150101"), ("San Juan de Lurigancho", "150132"),
              ("Los Olivos", "150117"), ("San Martín de Porres", "150135"),
              ("Breña", "150105"), ("La Victoria", "150115"), ("Callao", "070101"))
STATUS_WEIGHTS = (("no_reconocida", 5), ("en_tramite", 3), ("reconocida", 4))


@dataclass
class CommunityStats:
    events: int = 0
    attendees: int = 0
    organisations: int = 0


def _person_sample(store: Store) -> dict[str, list[tuple[str, str]]]:
    """(id, created_at) of one registered person in 40, by casa: who a small event links."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in store.conn.execute(
            "SELECT id, casa_id, created_at FROM person WHERE deleted = 0 AND rowid % 40 = 0"
            " ORDER BY rowid"):
        out[str(r[1])].append((str(r[0]), str(r[2])[:10]))
    return out


def _migraton_attendees(store: Store) -> dict[tuple[str, str], list[str]]:
    """(casa, day) -> the persons attended there through the «migratón» channel."""
    out: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in store.conn.execute(
            "SELECT casa_id, substr(occurred_at, 1, 10), person_id FROM consultation"
            " WHERE channel = 'migraton' AND deleted = 0 AND person_id IS NOT NULL"
            " ORDER BY occurred_at, rowid"):
        people = out[(str(r[0]), str(r[1]))]
        if r[2] not in people:
            people.append(str(r[2]))
    return out


def _counts(rng: random.Random, kind: str, linked: int) -> dict[str, int]:
    low, high = {MIGRATON: (150, 400), TALENTS: (40, 150), FORUM: (30, 90), FAIR: (80, 300),
                 WORKSHOP: (12, 45), OTHER: (20, 80)}.get(kind, (10, 40))
    total = max(linked, rng.randint(low, high))
    women = round(total * rng.uniform(0.5, 0.64))
    men = max(0, total - women - rng.randint(0, max(1, total // 20)))
    minors = round(total * rng.uniform(*({TALENTS: (0.15, 0.35), FAIR: (0.1, 0.25),
                                          MIGRATON: (0.1, 0.2)}.get(kind, (0.0, 0.08)))))
    migrants = round(total * rng.uniform(0.6, 0.92))
    return {"attendance_total": total, "attendance_women": women, "attendance_men": men,
            "attendance_minors": min(minors, total), "attendance_migrants": migrants}


def _organisations(rng: random.Random, casas: Sequence[str], today: dt.date,
                   contacts: Sequence[str]) -> list[dict[str, Any]]:
    made: list[dict[str, Any]] = []
    names: set[str] = set()
    count = max(len(casas) * 2, 4)
    while len(made) < count:
        pattern, kind = rng.choice(ORGANISATIONS)
        place, ubigeo = rng.choice(ORG_PLACES)
        name = pattern.format(place=place)
        if name in names:
            if len(names) >= len(ORGANISATIONS) * len(ORG_PLACES):
                break
            continue
        names.add(name)
        status = rng.choices([s for s, _w in STATUS_WEIGHTS], [w for _s, w in STATUS_WEIGHTS])[0]
        budget = status != "no_reconocida" and rng.random() < 0.5
        years = sorted(rng.sample([today.year - 1, today.year], rng.randint(1, 2))) if budget \
            else []
        contact = rng.choice(contacts) if contacts else ""
        slug = "".join(w[0] for w in name.split() if w[0].isalpha()).lower()
        made.append({
            "id": new_id(), "casa_id": rng.choice(list(casas)), "name": name,
            "acronym": slug.upper() if rng.random() < 0.4 else "", "kind": kind,
            "members": rng.choice([None, rng.randint(8, 250)]), "contact_name": contact,
            "contact_phone": f"9{rng.randint(10_000_000, 99_999_999)}",
            "contact_email": f"{slug}@correo.example" if rng.random() < 0.6 else "",
            "district_ubigeo": ubigeo, "recognition_status": status,
            "recognition_reference": (f"R.S.G. N° {rng.randint(10, 999)}-{today.year - 1}"
                                      if status == "reconocida" else ""),
            "participatory_budget": 1 if budget else 0,
            "budget_years": ", ".join(str(y) for y in years), "notes": "",
            "active": 1 if rng.random() < 0.9 else 0,
        })
    return made


def _event(rng: random.Random, kind: str, casa: str, day: dt.date, linked: list[str],
           organisations: Sequence[str], gerencias: Sequence[str]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": new_id(), "casa_id": casa, "kind": kind, "title": rng.choice(TITLES[kind]),
        "started_on": day.isoformat(), "ended_on": None,
        "place": rng.choice(PLACES), "district_ubigeo": "150101",
        "organisers": "Oficina de atención a personas migrantes (OMA)",
        "topics": json.dumps(rng.sample(TOPICS[kind], min(2, len(TOPICS[kind])))),
        "hours": float(rng.choice((3, 4, 5))), "staff_by_gerencia": "{}",
        "organisation_ids": "[]", "notes": "",
    }
    if kind == STAFF_TRAINING:
        staff = {g: rng.randint(2, 15) for g in rng.sample(list(gerencias),
                                                         rng.randint(2, min(5, len(gerencias))))}
        total = sum(staff.values())
        women = round(total * rng.uniform(0.45, 0.65))
        record.update({
            "place": "Auditorio municipal", "hours": float(rng.choice((2, 3, 4, 6, 8))),
            "staff_by_gerencia": json.dumps(dict(sorted(staff.items())), ensure_ascii=False),
            "attendance_total": total, "attendance_women": women, "attendance_men": total - women,
            "attendance_minors": 0, "attendance_migrants": 0})
    else:
        record.update(_counts(rng, kind, len(linked)))
        if kind in (TALENTS, FORUM, FAIR, MIGRATON) and organisations and rng.random() < 0.6:
            chosen = rng.sample(list(organisations), min(len(organisations), rng.randint(1, 2)))
            record["organisation_ids"] = json.dumps(chosen)
        if kind == MIGRATON:
            record.update({"place": "Plaza Dos de Mayo", "hours": 6.0})
    return record


def write_demo_community(
    store: Store, seed: int, today: dt.date, casas: Sequence[str],
    signer: Callable[[str], str], installation_of: Callable[[str], str],
    contacts: Sequence[str] = (), campaign_days: Sequence[dt.date] = (),
) -> CommunityStats:
    """Create the demo organisations and events of ``casas`` (see the module docstring).

    ``signer(casa)``: the user a casa's records are logged under; ``installation_of(casa)``:
    its installation; ``campaign_days``: the demo's migratón Saturdays."""
    rng = random.Random(f"oma-demo-community-{seed}")
    stats = CommunityStats()
    gerencias = gerencia_names()
    organisations = _organisations(rng, casas, today, contacts)
    org_ids = [o["id"] for o in organisations if o["active"]]
    sample = _person_sample(store)
    migraton = _migraton_attendees(store)
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    links: dict[str, list[dict[str, Any]]] = defaultdict(list)
    start = today - dt.timedelta(days=WINDOW_DAYS - 1)
    for casa in casas:
        for day in campaign_days:
            attended = migraton.get((casa, day.isoformat()), [])
            record = _event(rng, MIGRATON, casa, day, attended, org_ids, gerencias)
            events[casa].append(record)
            links[casa] += [{"event_id": record["id"], "person_id": p} for p in attended]
        month = dt.date(start.year, start.month, 1)
        kinds_seen: set[str] = set()
        while month <= today:
            for kind, chance in MONTHLY_CHANCE.items():
                last_month = month.year == today.year and month.month == today.month
                if rng.random() >= chance and not (last_month and kind not in kinds_seen):
                    continue
                next_month = (month + dt.timedelta(days=32)).replace(day=1)
                first, last = max(month, start), min(next_month - dt.timedelta(days=1), today)
                day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
                if day.weekday() == 6:
                    day -= dt.timedelta(days=1) if day > first else dt.timedelta(days=-1)
                day = min(max(day, first), last)
                people: list[str] = []
                if kind in (TALENTS, WORKSHOP) and rng.random() < 0.4:
                    known = [p for p, created in sample.get(casa, []) if created <= day.isoformat()]
                    people = rng.sample(known, min(len(known), rng.randint(3, 8)))
                record = _event(rng, kind, casa, day, people, org_ids, gerencias)
                events[casa].append(record)
                links[casa] += [{"event_id": record["id"], "person_id": p} for p in people]
                kinds_seen.add(kind)
            month = (month + dt.timedelta(days=32)).replace(day=1)
    by_casa: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for org in organisations:
        by_casa[org["casa_id"]].append(org)
    for casa in casas:
        origin = Origin(casa=casa, installation=installation_of(casa))
        with store.transaction(signer(casa), origin=origin) as tx:
            stats.organisations += tx.create_many("organisation", by_casa.get(casa, []))
            stats.events += tx.create_many(
                "event", sorted(events[casa], key=lambda e: str(e["started_on"])))
            stats.attendees += tx.create_many("event_attendee", links[casa])
    return stats


__all__ = ["CommunityStats", "write_demo_community"]
