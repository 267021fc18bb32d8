"""Route handouts: one page per topic, edited by coordinators, printed in plain Spanish."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.seed import service_id
from oma_desktop.services.context import AppContext
from oma_desktop.services.handouts import get_handout, save_handout, write_topic_handout


def _text(path: Path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_a_topic_nobody_wrote_prints_its_institutions(ctx: AppContext, tmp_path: Path) -> None:
    route = get_handout(ctx.session, "SALUD_SIS")
    assert route.id is None and route.steps == []
    assert service_id("SIS") in route.service_ids
    text = _text(write_topic_handout(ctx.session, "SALUD_SIS", tmp_path / "ruta.pdf"))
    assert "Seguro Integral de Salud" in text


@pytest.mark.usefixtures("coordinator")
def test_a_coordinator_writes_the_route_once_per_topic(ctx: AppContext, tmp_path: Path) -> None:
    route = get_handout(ctx.session, "SALUD_SIS")
    route.title = "Afiliarse al SIS"
    route.steps = ["Pida su evaluación socioeconómica", "Vaya al centro de salud de su zona"]
    route.documents = ["Carné de extranjería o CPP"]
    first = save_handout(ctx.session, route)
    again = get_handout(ctx.session, "SALUD_SIS")
    assert again.id == first and again.steps == route.steps and again.updated_on
    again.steps.append("Pregunte por la afiliación temporal")
    assert save_handout(ctx.session, again) == first
    assert ctx.session.store.scalar("SELECT count(*) FROM route_handout") == 1
    text = _text(write_topic_handout(ctx.session, "SALUD_SIS", tmp_path / "ruta.pdf"))
    for expected in ("Afiliarse al SIS", "Vaya al centro de salud de su zona",
                     "Carné de extranjería o CPP", "afiliación temporal"):
        assert expected in text
    again.title = " "
    with pytest.raises(ValidationError):
        save_handout(ctx.session, again)
