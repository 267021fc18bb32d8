"""Consultations: validation, anonymous walk-ins, linking, edits with history."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest

from oma_desktop.core.actor import Actor
from oma_desktop.core.errors import ValidationError
from oma_desktop.services.consultations import (
    ConsultationInput,
    link_to_person,
    load_consultation,
    record_consultation,
    set_follow_up_done,
    update_consultation,
    validate_consultation,
)
from oma_desktop.services.context import AppContext
from oma_desktop.services.history import record_history as history
from oma_desktop.services.persons import PersonInput, register_person

NOW = dt.datetime(2026, 11, 27, 11, 30)


@pytest.fixture
def person(ctx: AppContext) -> str:
    return register_person(
        ctx.session, PersonInput(given_names="Génesis", paternal_surname="Rojas", sex="F", nationality="VE",
                    consent_register=True),
    )


def test_validation_messages(ctx: AppContext) -> None:
    bad = ConsultationInput(
        occurred_at=NOW + dt.timedelta(days=1), channel="fax", topics=[],
        follow_up_date=dt.date(2026, 1, 1),
    )
    errors = validate_consultation(bad, ctx.catalogs, NOW)
    assert "futura" in errors["occurred_at"]
    assert "cómo se atendió" in errors["channel"]
    assert "al menos un tema" in errors["topics"]
    bad = ConsultationInput(occurred_at=NOW, topics=["NO_EXISTE"], follow_up_date=dt.date(2026, 1, 1))
    errors = validate_consultation(bad, ctx.catalogs, NOW)
    assert "NO_EXISTE" in errors["topics"]
    assert "anterior a la atención" in errors["follow_up_date"]


@pytest.mark.usefixtures("coordinator")
def test_record_and_load(ctx: AppContext, person: str) -> None:
    cid = record_consultation(
        ctx.session, ConsultationInput(person_id=person, occurred_at=NOW, topics=["SALUD_SIS", "SALUD_SIS"],
                          summary="Afiliación al SIS", follow_up_date=dt.date(2026, 12, 4)), NOW,
    )
    loaded = load_consultation(ctx.session, cid)
    assert loaded.topics == ["SALUD_SIS"]
    assert loaded.casa_id == "CV1" and loaded.staff_user_id == ctx.user_id
    assert loaded.occurred_at == NOW


def test_invalid_consultation_is_not_saved(ctx: AppContext, person: str) -> None:
    with pytest.raises(ValidationError):
        record_consultation(ctx.session, ConsultationInput(person_id=person, topics=[]), NOW)
    assert ctx.session.store.scalar("SELECT count(*) FROM consultation") == 0


def test_anonymous_walk_in_then_linked(ctx: AppContext, person: str) -> None:
    cid = record_consultation(
        ctx.session, ConsultationInput(occurred_at=NOW, topics=["ORIENTACION"], anon_sex="F", anon_age=30,
                          anon_nationality="VE"), NOW,
    )
    row = ctx.session.store.get("consultation", cid)
    assert row is not None and row["person_id"] is None and row["anon_age"] == 30
    link_to_person(ctx.session, cid, person)
    row = ctx.session.store.get("consultation", cid)
    assert row is not None and row["person_id"] == person and row["anon_age"] is None
    assert [c.kind for c in history(ctx.session, cid)] == ["link", "create"]


def test_edits_keep_history_with_who_and_what(ctx: AppContext, person: str) -> None:
    cid = record_consultation(
        ctx.session, ConsultationInput(person_id=person, occurred_at=NOW, topics=["SALUD_SIS"]), NOW,
    )
    data = load_consultation(ctx.session, cid)
    data.outcome = "Derivada al centro de salud"
    data.topics = ["SALUD_SIS", "EDUCACION_VACANTE"]
    coordinator = replace(ctx.session, actor=Actor("coordinadora", "coordinacion", "CV1"))
    changed = update_consultation(coordinator, cid, data, NOW)
    assert set(changed) == {"outcome", "topics"}
    set_follow_up_done(ctx.session, cid)
    changes = history(ctx.session, cid)
    assert [c.kind for c in changes] == ["update", "update", "create"]
    assert changes[1].user == "coordinadora"
    assert json.loads(changes[1].fields["topics"]) == ["SALUD_SIS", "EDUCACION_VACANTE"]
    assert changes[2].user == "Recepción"
    row = ctx.session.store.get("consultation", cid)
    assert row is not None and row["staff_user_id"] == ctx.user_id
