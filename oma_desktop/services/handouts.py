"""«Rutas de atención»: one printable plain-Spanish page per topic (issue #8, point 8).

The steps, the documents to bring and the institutions for a topic, edited by coordinators
(one ``route_handout`` record per topic, logged like every write). A topic nobody has
written yet prints with its institutions from the service directory and no steps.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from oma_desktop.core.errors import ValidationError
from oma_desktop.i18n import _, format_date
from oma_desktop.printing.handout import HandoutData, write_handout
from oma_desktop.printing.letterhead import Place
from oma_desktop.services.casas import casa_settings
from oma_desktop.services.directory import get_service, search_services
from oma_desktop.services.history import topic_names
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session

MAX_TEXT = 4_000


@dataclass
class Handout:
    topic: str
    title: str
    steps: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    service_ids: list[str] = field(default_factory=list)
    id: str | None = None  # None: never written for this casa's installation yet
    updated_on: str = ""


def _lines(text: str) -> list[str]:
    return [line.strip(" -•\t") for line in text.splitlines() if line.strip(" -•\t")]


def get_handout(session: Session, topic: str) -> Handout:
    """The route of ``topic``: the one written, or a default from the directory."""
    session.catalogs.topic(topic)  # KeyError for an unknown topic
    row = session.store.one(
        "SELECT id, title, steps, documents, service_ids, last_op_id FROM route_handout"
        " WHERE topic = ? AND deleted = 0 ORDER BY id LIMIT 1", [topic])
    if row is None:
        return Handout(topic, topic_names(session.catalogs, [topic]),
                       service_ids=[s.id for s in search_services(session, topic=topic)])
    when = session.store.scalar("SELECT hlc FROM change_log WHERE op_id = ?", [row["last_op_id"]])
    updated = dt.datetime.fromtimestamp((int(when) >> 16) / 1000).date() if when else None
    return Handout(topic, str(row["title"]), _lines(str(row["steps"])),
                   _lines(str(row["documents"])), list(json.loads(row["service_ids"])),
                   str(row["id"]), format_date(updated) if updated else "")


def save_handout(session: Session, handout: Handout) -> str:
    """Write the route of a topic (one record per topic); returns its id."""
    session.require(Permission.EDIT_HANDOUTS)
    errors = {}
    if not handout.title.strip():
        errors["title"] = _("Write the title of the route.")
    if len("\n".join(handout.steps)) > MAX_TEXT or len("\n".join(handout.documents)) > MAX_TEXT:
        errors["steps"] = _("The route is too long for one page: shorten the text.")
    if errors:
        raise ValidationError(errors, _("Check the marked fields."))
    values = {"topic": handout.topic, "title": handout.title.strip(),
              "steps": "\n".join(handout.steps), "documents": "\n".join(handout.documents),
              "service_ids": handout.service_ids}
    with session.transaction() as tx:
        if handout.id is None:
            return tx.create("route_handout", values)
        tx.update("route_handout", handout.id, values)
        return handout.id


def handout_data(session: Session, topic: str) -> HandoutData:
    route = get_handout(session, topic)
    casa = casa_settings(session, session.casa_id)
    places = []
    for service_id in route.service_ids:
        try:
            s = get_service(session, service_id)
        except KeyError:
            continue
        places.append(Place(s.name, s.address, s.hours, s.phone,
                            _("Bring: {what}").format(what=s.requirements) if s.requirements else ""))
    return HandoutData(title=route.title, steps=route.steps, documents=route.documents,
                       places=places, casa_name=casa.name, casa_address=casa.address,
                       casa_phone=casa.phone, casa_hours=casa.hours,
                       logo_png=casa.logo_png or None, updated_on=route.updated_on)


def write_topic_handout(session: Session, topic: str, path: Path) -> Path:
    """Write the route of ``topic`` as an A4 PDF at ``path``."""
    return write_handout(handout_data(session, topic), path)
