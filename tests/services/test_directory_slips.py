"""What a person carries: the slip of a referral to a seeded institution shows the
directory's plain-Spanish fields (issue #8.1), never the research notes' English."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from oma_desktop.core.seed import service_id
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.services.referrals import ReferralInput, create_referral, write_slip_pdf

NOW = dt.datetime(2026, 12, 2, 10, 30)
ENGLISH = re.compile(r"appointment|not found|old guide|uncertain|outdated|mon-fri|"
                     r"\bNGO\b|\bpublic\b|\bvia\b|\bfee\b|travel document", re.IGNORECASE)


def _slip_text(ctx: AppContext, code: str, tmp_path: Path) -> str:
    from pypdf import PdfReader

    pid = register_person(ctx.session, PersonInput(
        given_names="Rosa", paternal_surname="Díaz", sex="F", nationality="VE",
        consent_register=True, consent_refer=True), NOW.date())
    rid = create_referral(ctx.session, ReferralInput(
        person_id=pid, service_id=service_id(code), reason="Orientación"), NOW)
    out = write_slip_pdf(ctx.session, [rid], tmp_path / f"{code}.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize(("code", "shown", "left_out"), [
    ("SIS", ["SIS Gratuito: carné de extranjería (o DNI) y clasificación socioeconómica",
             "Personas ecuatorianas: cédula de identidad"],
     ["Dirección", "Horario", "Teléfono"]),
    ("MIGRACIONES", ["Cita previa en la Agencia Digital de Migraciones",
                     "Pago de la tasa en el Banco de la Nación",
                     "Av. España 734, Breña (sede central)"],
     ["Carabaya", "Horario", "Teléfono"]),
])
def test_the_slip_shows_spanish_requirements_and_no_research_english(
    ctx: AppContext, tmp_path: Path, code: str, shown: list[str], left_out: list[str]
) -> None:
    text = _slip_text(ctx, code, tmp_path)
    for words in shown:
        assert words in text, words
    # what the sources do not give is left out, not printed as a dash or a note
    destination = text.split("DERIVADA A", 1)[1].split("MOTIVO Y PRIORIDAD", 1)[0]
    for words in left_out:
        assert words not in destination, words
    assert not ENGLISH.search(text), ENGLISH.search(text)
