"""The constancia de atención of a consultation: what was consulted, next steps, where to go."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader

from oma_desktop.core.seed import service_id
from oma_desktop.services.certificates import write_consultation_certificate
from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.services.referrals import ReferralInput, create_referral

TODAY = dt.date(2026, 11, 27)


@pytest.mark.usefixtures("coordinator")
def test_the_constancia_says_what_was_done_and_where_to_go(ctx: AppContext, tmp_path: Path) -> None:
    pid = register_person(ctx.session, PersonInput(
        given_names="Yusleidy Carolina", paternal_surname="Rojas", sex="F", nationality="VE",
        consent_register=True, consent_refer=True), TODAY)
    cid = record_consultation(ctx.session, ConsultationInput(
        person_id=pid, occurred_at=dt.datetime(2026, 11, 27, 10, 30), topics=["SALUD_SIS"],
        summary="Quiere afiliarse al SIS", actions="Se explicó la afiliación temporal al SIS",
        outcome="Ir al centro de salud con su carné", follow_up_date=dt.date(2026, 12, 4)),
        dt.datetime(2026, 11, 27, 10, 30))
    create_referral(ctx.session, ReferralInput(pid, service_id("SIS"), reason="Afiliación",
                                               consultation_id=cid))
    pdf = write_consultation_certificate(ctx.session, cid, tmp_path / "constancia.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    for expected in ("Yusleidy Carolina Rojas", "27/11/2026", "Se explicó la afiliación",
                     "Ir al centro de salud con su carné", "04/12/2026", "Casa Vecinal 1",
                     "Seguro Integral de Salud"):
        assert expected in " ".join(text.split()), expected
    assert "Quiere afiliarse" not in text  # what the person said stays in the record
