""""Es la misma persona": typed values offered as changes, only the accepted ones written."""

from __future__ import annotations

import datetime as dt

from oma_desktop.services.context import AppContext
from oma_desktop.services.households import HouseholdChanges, MemberInput, household_of, members
from oma_desktop.services.persons import DocumentInput, PersonInput, load_person, register_person
from oma_desktop.services.same_person import accept_changes, offered_changes

TODAY = dt.date(2026, 11, 27)


def stored() -> PersonInput:
    return PersonInput(
        given_names="José Luis", paternal_surname="Pérez", maternal_surname="Quispe", sex="M",
        birth_date=dt.date(1990, 5, 12), nationality="VE", district_ubigeo="150132",
        consent_register=True,
        documents=[DocumentInput(doc_type="CEDULA_VE", number="12345678", issuing_country="VE")],
    )


def typed() -> PersonInput:
    """What a clerk typed again: accents missing, the form's default district, a new phone,
    the cédula with its V, a passport and another nationality."""
    return PersonInput(
        given_names="Jose Luis", paternal_surname="perez", maternal_surname="Quispe", sex="M",
        birth_date=dt.date(1990, 5, 12), nationality="CO", district_ubigeo="150101",
        phone="987 654 321", consent_register=True, consent_contact=True,
        documents=[DocumentInput(doc_type="CEDULA_VE", number="V-12.345.678"),
                   DocumentInput(doc_type="PASAPORTE", number="AB123456", issuing_country="VE")],
    )


def log_size(ctx: AppContext) -> int:
    return int(ctx.session.store.scalar("SELECT count(*) FROM change_log"))


def test_only_real_differences_are_offered(ctx: AppContext) -> None:
    person_id = register_person(ctx.session, stored(), TODAY)
    partner = register_person(ctx.session, PersonInput(
        given_names="Rosa", paternal_surname="Mamani", sex="F", nationality="PE",
        consent_register=True), TODAY)
    household = HouseholdChanges(inline=[MemberInput("Ana", "Pérez", "", "hijo", "F",
                                                     dt.date(2015, 1, 2))],
                                 persons=[(partner, "conyuge")])
    offers = offered_changes(ctx.session, person_id, typed(), household, TODAY)
    assert [(o.key, o.label, o.current, o.typed) for o in offers] == [
        ("nationality", "Nacionalidad", "Venezuela", "Colombia"),
        ("phone", "Teléfono", "(vacío)", "987 654 321"),
        ("consent_contact", "Consentimiento para ser contactado/a", "No", "Sí"),
        ("documents.1", "Documento nuevo", "", "Pasaporte AB123456"),
        ("household.0", "Integrante nuevo del hogar", "", "Ana Pérez · Hijo/a · 02/01/2015"),
        ("household.person.0", "Integrante nuevo del hogar", "", "Rosa Mamani · Cónyuge o conviviente"),
    ]


def test_only_the_accepted_changes_are_written_in_one_transaction(ctx: AppContext) -> None:
    person_id = register_person(ctx.session, stored(), TODAY)
    partner = register_person(ctx.session, PersonInput(
        given_names="Rosa", paternal_surname="Mamani", sex="F", nationality="PE",
        consent_register=True), TODAY)
    household = HouseholdChanges(inline=[MemberInput("Ana", "Pérez", "", "hijo", "F",
                                                     dt.date(2015, 1, 2))],
                                 persons=[(partner, "conyuge")])
    commits: list[object] = []
    original = ctx.session.store.transaction

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        commits.append(args)
        return original(*args, **kwargs)

    ctx.session.store.transaction = counting  # type: ignore[method-assign]
    try:
        saved = accept_changes(ctx.session, person_id, typed(),
                               ["phone", "documents.1", "household.person.0"], household, TODAY)
    finally:
        ctx.session.store.transaction = original  # type: ignore[method-assign]
    assert saved == 3 and len(commits) == 1
    now = load_person(ctx.session, person_id, TODAY)
    assert (now.given_names, now.nationality, now.phone) == ("José Luis", "VE", "987 654 321")
    assert [(d.doc_type, d.number) for d in now.documents] == [
        ("CEDULA_VE", "12345678"), ("PASAPORTE", "AB123456")]
    household_id = household_of(ctx.session, person_id)
    assert household_id is not None
    assert [m.full_name for m in members(ctx.session, household_id)] == [
        "José Luis Pérez Quispe", "Rosa Mamani"]  # Ana was not ticked


def test_accepting_nothing_writes_nothing(ctx: AppContext) -> None:
    person_id = register_person(ctx.session, stored(), TODAY)
    before = log_size(ctx)
    assert accept_changes(ctx.session, person_id, typed(), [], None, TODAY) == 0
    assert log_size(ctx) == before
