"""Duplicate scoring: names in any order, accents, birth-date slips, documents."""

from __future__ import annotations

import datetime as dt

import pytest

from oma_desktop.services.context import AppContext
from oma_desktop.services.duplicates import (
    THRESHOLD,
    birth_date_relation,
    find_duplicates,
    name_similarity,
)
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person

TODAY = dt.date(2026, 11, 27)


def _input(given: str, pat: str, mat: str = "", birth: dt.date | None = None,
           docs: list[DocumentInput] | None = None) -> PersonInput:
    return PersonInput(given_names=given, paternal_surname=pat, maternal_surname=mat, sex="F",
                       nationality="VE", consent_register=True, birth_date=birth,
                       documents=docs or [])


@pytest.fixture
def existing(ctx: AppContext) -> str:
    for given, pat, mat, birth in [
        ("Ana", "Torres", "Lima", dt.date(1980, 1, 1)),
        ("María", "Pérez", "Gómez", dt.date(1970, 3, 3)),
        ("Carlos", "Núñez", "Peña", dt.date(1999, 9, 9)),
    ]:
        register_person(ctx.session, _input(given, pat, mat, birth), TODAY)
    return register_person(
        ctx.session, _input("María José", "Ñañez", "González", dt.date(1990, 4, 12),
               [DocumentInput("CE", "001234567")]),
        TODAY,
    )


def test_birth_date_relations() -> None:
    d = dt.date(1990, 4, 12)
    assert birth_date_relation(d, d) == "same"
    assert birth_date_relation(d, dt.date(1990, 12, 4)) == "swapped"
    assert birth_date_relation(d, dt.date(1991, 4, 12)) == "year_off"
    assert birth_date_relation(d, dt.date(1993, 4, 12)) is None
    assert birth_date_relation(None, d) is None


def test_name_similarity_ignores_order_accents_and_compound_names() -> None:
    stored = {"given_names": "María José", "paternal_surname": "Ñañez", "maternal_surname": "González"}
    assert name_similarity(_input("Maria Jose", "Nanez", "Gonzalez"), stored) == 100
    assert name_similarity(_input("María", "González", "Ñañez"), stored) >= 90
    assert name_similarity(_input("Pedro", "Quispe", "Mamani"), stored) < 50


@pytest.mark.parametrize(
    ("given", "pat", "mat", "birth"),
    [
        ("Maria Jose", "Nanez", "Gonzalez", dt.date(1990, 4, 12)),  # no accents
        ("María", "González", "Ñañez", dt.date(1990, 4, 12)),  # surnames swapped, one given name
        ("María José", "Ñañez", "Gonzales", dt.date(1990, 12, 4)),  # typo + day/month swapped
        ("MARIA JOSE", "ÑAÑEZ", "GONZALEZ", dt.date(1991, 4, 12)),  # caps, year off by one
    ],
)
def test_likely_duplicates_are_found(ctx: AppContext, existing: str, given: str, pat: str,
                                     mat: str, birth: dt.date) -> None:
    found = find_duplicates(ctx.session, _input(given, pat, mat, birth))
    assert found and found[0].person_id == existing
    assert found[0].score >= THRESHOLD
    assert found[0].reasons
    assert found[0].documents == ["CE 001234567"]


def test_same_document_number_across_types_is_decisive(ctx: AppContext, existing: str) -> None:
    found = find_duplicates(
        ctx.session, _input("Otra", "Persona", docs=[DocumentInput("PASAPORTE", "001-234-567")])
    )
    assert [c.person_id for c in found] == [existing]
    assert "Mismo número de documento" in found[0].reasons[0]


def test_different_people_are_not_flagged(ctx: AppContext, existing: str) -> None:
    assert find_duplicates(ctx.session, _input("Pedro", "Quispe", "Mamani", dt.date(1990, 4, 12))) == []
    # same surnames, different given name and a distant birth date
    assert find_duplicates(ctx.session, _input("Rosa", "Ñañez", "González", dt.date(1960, 1, 1))) == []


def test_the_record_being_edited_is_not_its_own_duplicate(ctx: AppContext, existing: str) -> None:
    data = _input("María José", "Ñañez", "González", dt.date(1990, 4, 12))
    assert find_duplicates(ctx.session, data, exclude_id=existing) == []


def test_document_numbers_compare_by_their_digits(ctx: AppContext) -> None:
    cedula = register_person(ctx.session, _input(
        "Luis", "Rondón", "Pérez", dt.date(1985, 2, 2), [DocumentInput("CEDULA_VE", "V-14.567.890")]),
        TODAY)
    for typed in ("14567890", "014567890", "14.567.890"):
        found = find_duplicates(ctx.session, _input(
            "Luis", "Rondon", "", docs=[DocumentInput("PTP", typed)]))
        assert [c.person_id for c in found] == [cedula], typed
        assert found[0].same_document and found[0].certain
    # a passport's letters are part of its number: AB14567890 is another number
    assert find_duplicates(ctx.session, _input(
        "Otra", "Persona", docs=[DocumentInput("PASAPORTE", "AB14567890")])) == []


def test_twins_with_their_own_documents_are_not_duplicates(ctx: AppContext) -> None:
    register_person(ctx.session, _input(
        "Ana María", "Rivas", "Mora", dt.date(2001, 6, 15), [DocumentInput("CEDULA_VE", "28111222")]),
        TODAY)
    twin = _input("Ana Marta", "Rivas", "Mora", dt.date(2001, 6, 15),
                  [DocumentInput("CEDULA_VE", "28111223")])
    assert find_duplicates(ctx.session, twin) == []
    # without a document to tell them apart the twin is a probable duplicate, never certain
    found = find_duplicates(ctx.session, _input("Ana Marta", "Rivas", "Mora", dt.date(2001, 6, 15)))
    assert len(found) == 1 and not found[0].certain


def test_a_similar_name_alone_is_not_a_duplicate(ctx: AppContext, existing: str) -> None:
    # the same name with another known birth date: two persons
    assert find_duplicates(ctx.session, _input(
        "María José", "Ñañez", "González", dt.date(1975, 8, 30))) == []
    # a similar (not nearly identical) name and no birth date to compare: not mentioned
    assert find_duplicates(ctx.session, _input("María Josefa", "Ñañez", "González")) == []
    # the identical name and no birth date: mentioned, below a certain match
    found = find_duplicates(ctx.session, _input("María José", "Ñañez", "González"))
    assert [c.person_id for c in found] == [existing]
    assert THRESHOLD <= found[0].score < 90 and not found[0].certain


def test_a_certain_match_needs_the_same_birth_date_and_nearly_the_same_name(
    ctx: AppContext, existing: str
) -> None:
    same = find_duplicates(ctx.session, _input("Maria Jose", "Nanez", "Gonzalez", dt.date(1990, 4, 12)))
    assert same[0].certain
    swapped = find_duplicates(ctx.session, _input("Maria Jose", "Nanez", "Gonzalez", dt.date(1990, 12, 4)))
    assert swapped[0].person_id == existing and not swapped[0].certain
