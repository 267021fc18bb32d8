"""Registering and editing persons: Spanish messages per field, nothing half-saved."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import pytest

from oma_desktop.core.actor import Actor
from oma_desktop.core.errors import ValidationError
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import (
    DocumentInput,
    PersonInput,
    age_on,
    birth_date_from_age,
    load_person,
    register_person,
    update_person,
    validate_person,
)

TODAY = dt.date(2026, 11, 27)


def valid(**kw: object) -> PersonInput:
    data = PersonInput(
        given_names="Yusleidy Carolina", paternal_surname="Hernández", maternal_surname="Peña",
        sex="F", birth_date=dt.date(1991, 2, 14), nationality="VE", phone="987 654 321",
        district_ubigeo="150101", consent_register=True, consent_contact=True,
        documents=[DocumentInput("CPP", "cpp-2023-001", "PE", dt.date(2023, 6, 1), dt.date(2027, 6, 1))],
    )
    for k, v in kw.items():
        setattr(data, k, v)
    return data


def test_a_valid_person_has_no_errors(ctx: AppContext) -> None:
    assert validate_person(valid(), ctx.catalogs, TODAY) == {}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"given_names": "  "}, "given_names", "Escriba los nombres"),
        ({"paternal_surname": "", "maternal_surname": ""}, "paternal_surname", "al menos un apellido"),
        ({"sex": ""}, "sex", "Elija el sexo"),
        ({"birth_date": dt.date(2027, 1, 1)}, "birth_date", "no puede ser futura"),
        ({"birth_date": dt.date(1900, 1, 1)}, "birth_date", "pasaría de 110 años"),
        ({"birth_date": None, "estimated_age": 130}, "birth_date", "entre 0 y 110"),
        ({"nationality": ""}, "nationality", "nacionalidad"),
        ({"phone": "98x"}, "phone", "solo los dígitos"),
        ({"district_ubigeo": "999999"}, "district_ubigeo", "distrito de la lista"),
        ({"arrival_date": dt.date(1980, 1, 1)}, "arrival_date", "anterior a la fecha de nacimiento"),
        ({"consent_register": False}, "consent_register", "atención anónima"),
        ({"documents": [DocumentInput("DNI", "1234567")]}, "documents.0.number", "8 dígitos"),
        ({"documents": [DocumentInput("CE", "")]}, "documents.0.number", "número del documento"),
        ({"documents": [DocumentInput("XX", "1")]}, "documents.0.doc_type", "tipo de documento"),
        ({"documents": [DocumentInput("PASAPORTE", "A1", issue_date=dt.date(2020, 1, 2),
                                      expiry_date=dt.date(2019, 1, 1))]},
         "documents.0.expiry_date", "anterior a la de emisión"),
    ],
)
def test_each_problem_is_reported_on_its_field_in_spanish(
    ctx: AppContext, changes: dict[str, object], field: str, words: str
) -> None:
    errors = validate_person(valid(**changes), ctx.catalogs, TODAY)
    assert field in errors
    assert words in errors[field]


def test_register_saves_person_and_documents(ctx: AppContext) -> None:
    pid = register_person(ctx.session, valid(), TODAY)
    row = ctx.session.store.get("person", pid)
    assert row is not None
    assert row["search_name"] == "Yusleidy Carolina Hernández Peña"
    assert row["casa_id"] == "CV1" and row["consent_recorded_by"] == ctx.user_id
    assert row["consent_date"] == TODAY.isoformat()
    doc = ctx.session.store.one("SELECT * FROM document WHERE person_id = ?", [pid])
    assert doc is not None and doc["number"] == "CPP-2023-001" and doc["number_norm"] == "CPP2023001"


def test_invalid_person_writes_nothing(ctx: AppContext) -> None:
    before = ctx.session.store.scalar("SELECT count(*) FROM change_log")
    with pytest.raises(ValidationError) as err:
        register_person(ctx.session, valid(given_names=""), TODAY)
    assert "given_names" in err.value.fields
    assert ctx.session.store.scalar("SELECT count(*) FROM person") == 0
    assert ctx.session.store.scalar("SELECT count(*) FROM change_log") == before


def test_estimated_age_is_kept_stable_on_edit(ctx: AppContext) -> None:
    pid = register_person(
        ctx.session, valid(birth_date=None, estimated_age=40), TODAY
    )
    row = ctx.session.store.get("person", pid)
    assert row is not None and row["birth_date_estimated"] == 1
    assert age_on(row["birth_date"], TODAY) == 40
    loaded = load_person(ctx.session, pid, TODAY)
    assert loaded.estimated_age == 40 and loaded.birth_date is None
    assert update_person(ctx.session, pid, loaded, TODAY) == {}


def test_birth_date_from_age_mid_year() -> None:
    assert birth_date_from_age(30, dt.date(2026, 11, 27)) == dt.date(1996, 7, 1)
    assert birth_date_from_age(30, dt.date(2026, 3, 1)) == dt.date(1995, 7, 1)


def test_update_logs_only_changes_and_manages_documents(ctx: AppContext) -> None:
    pid = register_person(ctx.session, valid(), TODAY)
    data = load_person(ctx.session, pid, TODAY)
    assert data.given_names == "Yusleidy Carolina" and len(data.documents) == 1
    data.phone = "912 000 111"
    data.documents.append(DocumentInput("PASAPORTE", "123456789"))
    changed = update_person(ctx.session, pid, data, TODAY)
    assert changed == {"phone": "912 000 111"}
    store = ctx.session.store
    assert store.scalar("SELECT count(*) FROM document WHERE person_id = ? AND deleted = 0", [pid]) == 2
    data = load_person(ctx.session, pid, TODAY)
    data.documents = [d for d in data.documents if d.doc_type != "CPP"]
    update_person(ctx.session, pid, data, TODAY)
    kinds = [
        r["kind"] for r in ctx.session.store.rows("SELECT kind FROM change_log WHERE entity = 'document'")
    ]
    assert kinds == ["create", "create", "tombstone"]
    last = ctx.session.store.one("SELECT fields FROM change_log WHERE entity = 'person' ORDER BY rowid DESC")
    assert last is not None and json.loads(last["fields"]) == {"phone": "912 000 111"}


def test_changing_consent_records_when_and_who(ctx: AppContext) -> None:
    pid = register_person(ctx.session, valid(), TODAY)
    data = load_person(ctx.session, pid, TODAY)
    data.consent_refer = True
    later = TODAY + dt.timedelta(days=3)
    other = replace(ctx.session, actor=Actor("otra-usuaria", "recepcion", "CV1"))
    changed = update_person(other, pid, data, later)
    assert changed["consent_refer"] == 1
    assert changed["consent_date"] == later.isoformat()
    assert changed["consent_recorded_by"] == "otra-usuaria"
