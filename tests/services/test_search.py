"""Search as you type: names in any order, accents, documents, phones."""

from __future__ import annotations

import datetime as dt

import pytest

from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.services.search import parse_query, search_persons

TODAY = dt.date(2026, 11, 27)


def _add(ctx: AppContext, given: str, pat: str, mat: str = "", **kw: object) -> str:
    docs = kw.pop("documents", [])
    data = PersonInput(
        given_names=given, paternal_surname=pat, maternal_surname=mat, sex="M",
        nationality="VE", consent_register=True, birth_date=dt.date(1990, 5, 4),
        documents=list(docs), **kw,  # type: ignore[arg-type]
    )
    return register_person(ctx.session, data, today=TODAY)


@pytest.fixture
def people(ctx: AppContext) -> dict[str, str]:
    return {
        "jose": _add(ctx, "José", "Pérez", "Quispe", phone="987 654 321",
                     documents=[DocumentInput("CE", "001-234.567")]),
        "josefina": _add(ctx, "Josefina", "Ñañez", "Pérez"),
        "maria": _add(ctx, "María José", "González", "Rodríguez", whatsapp="+51 912 345 678",
                      documents=[DocumentInput("PASAPORTE", "ab123456")]),
        "luis": _add(ctx, "Luis", "Pereira"),
    }


def _names(ctx: AppContext, text: str) -> list[str]:
    return [h.full_name for h in search_persons(ctx.session, text, today=TODAY)]


def test_parse_query_splits_names_and_numbers() -> None:
    q = parse_query("Pérez, José 001-234.567")
    assert q.names == ("perez", "jose")
    assert q.numbers == ("001234567",)
    assert parse_query("   ").empty


def test_names_any_order_accents_and_case(ctx: AppContext, people: dict[str, str]) -> None:
    assert _names(ctx, "jose perez") == ["José Pérez Quispe"] or set(_names(ctx, "jose perez")) == {
        "José Pérez Quispe", "Josefina Ñañez Pérez"}
    assert "José Pérez Quispe" in _names(ctx, "Pérez, José")
    assert "José Pérez Quispe" in _names(ctx, "QUISPE jose")
    assert _names(ctx, "nanez") == ["Josefina Ñañez Pérez"]
    assert _names(ctx, "ñañez") == ["Josefina Ñañez Pérez"]
    assert _names(ctx, "maria gonzalez") == ["María José González Rodríguez"]
    assert _names(ctx, "zzz") == []


def test_prefixes_match_while_typing(ctx: AppContext, people: dict[str, str]) -> None:
    assert set(_names(ctx, "pe")) == {
        "José Pérez Quispe", "Josefina Ñañez Pérez", "Luis Pereira"}
    assert set(_names(ctx, "jos per")) == {"José Pérez Quispe", "Josefina Ñañez Pérez"}


def test_document_numbers_with_or_without_separators(ctx: AppContext, people: dict[str, str]) -> None:
    for text in ("001234567", "001-234.567", "001 234"):
        hits = search_persons(ctx.session, text, today=TODAY)
        assert [h.id for h in hits] == [people["jose"]], text
    assert [h.id for h in search_persons(ctx.session, "AB123456")] == [people["maria"]]
    assert [h.id for h in search_persons(ctx.session, "ab-1234")] == [people["maria"]]


def test_phone_numbers(ctx: AppContext, people: dict[str, str]) -> None:
    assert [h.id for h in search_persons(ctx.session, "987654321")] == [people["jose"]]
    assert [h.id for h in search_persons(ctx.session, "+51 912 345 678")] == [people["maria"]]
    assert [h.id for h in search_persons(ctx.session, "9123")] == [people["maria"]]


def test_names_and_number_together(ctx: AppContext, people: dict[str, str]) -> None:
    assert [h.id for h in search_persons(ctx.session, "perez 001234567")] == [people["jose"]]
    assert search_persons(ctx.session, "luis 001234567") == []


def test_hits_carry_what_tells_people_apart(ctx: AppContext, people: dict[str, str]) -> None:
    from oma_desktop.services.consultations import ConsultationInput, record_consultation

    record_consultation(
        ctx.session, ConsultationInput(person_id=people["jose"], topics=["SALUD_SIS"],
                          occurred_at=dt.datetime(2026, 11, 20, 10, 0)),
    )
    hit = search_persons(ctx.session, "jose perez quispe", today=TODAY)[0]
    assert hit.age == 36
    assert hit.nationality == "VE"
    assert (hit.document_type, hit.document_number) == ("CE", "001-234.567")
    assert hit.casa_id == "CV1"
    assert hit.last_visit is not None and hit.last_visit.startswith("2026-11-20")


def test_deleted_persons_are_not_found(ctx: AppContext, people: dict[str, str]) -> None:
    with ctx.session.store.transaction(ctx.user_id) as tx:
        tx.tombstone("person", people["luis"])
    assert "Luis Pereira" not in _names(ctx, "pereira")


# --------------------------------------------------------------- documents by their digits


@pytest.fixture
def cedulas(ctx: AppContext) -> dict[str, str]:
    return {
        "yusmary": _add(ctx, "Yusmary", "Rondón", "Pérez",
                        documents=[DocumentInput("CEDULA_VE", "V-11.459.601")]),
        "carnet": _add(ctx, "Jhonny", "Araujo", "Mora",
                       documents=[DocumentInput("CE", "002345678")]),
        "passport": _add(ctx, "Ana", "Lugo", "Díaz",
                         documents=[DocumentInput("PASAPORTE", "AB1145960")]),
    }


@pytest.mark.parametrize("typed", ["11.459.601", "11459601", "V11459601", "V-11.459.601",
                                   "1145 9601", "1145"])
def test_a_cedula_is_found_without_its_v(ctx: AppContext, cedulas: dict[str, str],
                                         typed: str) -> None:
    assert [h.id for h in search_persons(ctx.session, typed, today=TODAY)] == [cedulas["yusmary"]]


def test_a_number_is_found_without_its_leading_zeros(ctx: AppContext,
                                                     cedulas: dict[str, str]) -> None:
    for typed in ("2345678", "2.345.678", "002345678", "02345678"):
        assert [h.id for h in search_persons(ctx.session, typed)] == [cedulas["carnet"]], typed


def test_a_correct_document_with_a_misspelled_name_finds_the_person(
    ctx: AppContext, cedulas: dict[str, str]
) -> None:
    for typed in ("Yusmari Rondon 11459601", "Rondom 11.459.601", "yusmary rodon V-11459601"):
        assert [h.id for h in search_persons(ctx.session, typed)] == [cedulas["yusmary"]], typed
    # a name that is nobody's typo of this person does not match the number
    assert search_persons(ctx.session, "Pedro Quispe 11459601") == []


def test_letters_of_a_passport_are_part_of_its_number(ctx: AppContext,
                                                      cedulas: dict[str, str]) -> None:
    # the passport AB1145960 is not the cédula 1145960…
    assert [h.id for h in search_persons(ctx.session, "AB1145960")] == [cedulas["passport"]]
    assert cedulas["passport"] not in [h.id for h in search_persons(ctx.session, "1145960")]
