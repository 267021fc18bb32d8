"""The "ruta de atención": one plain-Spanish page per topic with the steps, the documents
to bring and the institutions, A4.

Staff say the missing information on access routes is the first barrier people meet; this
page is what they hand over so the person can follow the route alone. Coordinators edit
the content; callers pass it as display text (:class:`HandoutData`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oma_desktop.i18n import _
from oma_desktop.printing.letterhead import (
    Place,
    bullets,
    escape,
    letterhead,
    place_flowables,
    register_fonts,
    simple_doc,
    styles,
)


@dataclass
class HandoutData:
    title: str  # the topic, e.g. "Afiliarse al SIS"
    steps: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    intro: str = ""
    casa_name: str = ""
    casa_address: str = ""
    casa_phone: str = ""
    casa_hours: str = ""
    logo_png: bytes | None = None
    updated_on: str = ""  # formatted date of the last review of the content


def write_handout(data: HandoutData, path: Path) -> Path:
    """Write the route to ``path`` as an A4 page (more pages only if the content is long)."""
    from reportlab.platypus import Paragraph

    register_fonts()
    title = _("Care route: {topic}").format(topic=data.title)
    doc = simple_doc(path, "A4", title)
    scale = 1.35  # A4 and large print: read by people under stress, often without glasses
    st = styles(scale)
    contact = " · ".join(p for p in (data.casa_address, data.casa_phone, data.casa_hours) if p)
    story: list[Any] = letterhead(title, data.casa_name, contact, data.logo_png, doc.width,
                                  scale)
    if data.intro:
        story.append(Paragraph(escape(data.intro), st["body"]))
    if data.steps:
        story.append(Paragraph(escape(_("STEP BY STEP")), st["section"]))
        story.append(bullets(data.steps, st, numbered=True))
    if data.documents:
        story.append(Paragraph(escape(_("DOCUMENTS TO BRING")), st["section"]))
        story.append(bullets(data.documents, st))
    if data.places:
        story.append(Paragraph(escape(_("WHERE TO GO")), st["section"]))
        story.extend(place_flowables(data.places, st))
    note = _("Opening hours and requirements can change: call before you go. If you need "
             "help, come back to the OMA; all its services are free of charge.")
    if data.updated_on:
        note += " " + _("Information reviewed on {date}.").format(date=data.updated_on)
    story.append(Paragraph(escape(note), st["small"].clone("note", spaceBefore=12)))
    doc.build(story)
    return path
