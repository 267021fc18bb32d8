"""The «constancia de atención» a person takes from any consultation (issue #8, point 7).

Built from the consultation, the casa's contact details and the referrals issued from it
(where to go), and written by the printing layer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from oma_desktop.i18n import _, format_date
from oma_desktop.printing.certificate import CertificateData, write_certificate
from oma_desktop.printing.letterhead import Place
from oma_desktop.services import audit
from oma_desktop.services.casas import casa_settings
from oma_desktop.services.consultations import load_consultation
from oma_desktop.services.directory import get_service
from oma_desktop.services.history import topic_names
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session
from oma_desktop.services.staff import staff_name


def certificate_data(session: Session, consultation_id: str) -> CertificateData:
    """What the constancia of ``consultation_id`` says."""
    session.require(Permission.PRINT_SLIPS)
    entry = load_consultation(session, consultation_id)
    if entry.withheld:  # on a sensitive topic: only a role that may read it prints it
        session.require(Permission.VIEW_SENSITIVE)
    store = session.store
    name = _("the person attended")
    if entry.person_id:
        row = store.get("person", entry.person_id)
        if row is not None:
            name = " ".join(str(row[k]).strip() for k in (
                "given_names", "paternal_surname", "maternal_surname") if row[k])
    casa = casa_settings(session, entry.casa_id or session.casa_id)
    next_steps = [line.strip() for line in entry.outcome.splitlines() if line.strip()]
    if entry.follow_up_date is not None:
        next_steps.append(_("The office will contact you again around {date}.").format(
            date=format_date(entry.follow_up_date)))
    places = []
    for ref in store.rows(
        "SELECT code, service_id FROM referral WHERE consultation_id = ? AND deleted = 0"
        " AND status <> 'cancelada' ORDER BY number", [consultation_id],
    ):
        service = get_service(session, str(ref["service_id"]))
        places.append(Place(
            name=service.name, address=service.address, hours=service.hours,
            phone=service.phone,
            note=_("Referral {code}. Bring: {requirements}").format(
                code=ref["code"], requirements=service.requirements)
            if service.requirements else _("Referral {code}.").format(code=ref["code"]),
        ))
    occurred = entry.occurred_at or dt.datetime.now()
    return CertificateData(
        person_name=name,
        issued_on=format_date(occurred.date()),
        casa_name=casa.name, casa_address=casa.address, casa_phone=casa.phone,
        casa_hours=casa.hours, logo_png=casa.logo_png or None,
        staff_name=staff_name(session, entry.staff_user_id) if entry.staff_user_id else "",
        topics=[topic_names(session.catalogs, [code]) for code in entry.topics],
        done=entry.actions,
        next_steps=next_steps,
        places=places,
        paper=casa.slip_paper,
    )


def write_consultation_certificate(session: Session, consultation_id: str, path: Path) -> Path:
    """Write the constancia of ``consultation_id`` to ``path`` (a PDF)."""
    session.require(Permission.PRINT_SLIPS)
    out = write_certificate(certificate_data(session, consultation_id), path)
    audit.record_file(session, "print", out, entity="consultation", entity_id=consultation_id,
                      detail=_("Certificate of attention"))
    return out
