"""Households with members recorded inline (no person record), saved with the person, and
promoted to a full record later (issue #7, point 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from oma_desktop.core.errors import ValidationError
from oma_desktop.services.cards import person_card
from oma_desktop.services.context import AppContext
from oma_desktop.services.households import (
    HouseholdChanges,
    MemberInput,
    household_of,
    members,
    promote_member,
    validate_member,
)
from oma_desktop.services.persons import PersonInput, register_person, update_person
from oma_desktop.services.search import search_persons

TODAY = dt.date(2026, 11, 27)


def adult(**kw: object) -> PersonInput:
    data = PersonInput(given_names="Yusleidy Carolina", paternal_surname="Hernández",
                       maternal_surname="Peña", sex="F", birth_date=dt.date(1991, 2, 14),
                       nationality="VE", district_ubigeo="150115", zone="Zárate",
                       consent_register=True)
    for key, value in kw.items():
        setattr(data, key, value)
    return data


def child(name: str = "Luciana", **kw: object) -> MemberInput:
    data = MemberInput(given_names=name, paternal_surname="Rojas", maternal_surname="Hernández",
                       relationship="hijo", sex="F", birth_date=dt.date(2019, 4, 2))
    for key, value in kw.items():
        setattr(data, key, value)
    return data


def count(ctx: AppContext, table: str) -> int:
    return int(ctx.session.store.scalar(f"SELECT count(*) FROM {table} WHERE deleted = 0"))


def test_inline_members_are_saved_with_the_person_in_one_transaction(ctx: AppContext) -> None:
    session = ctx.session
    commits: list[object] = []
    original = session.store.transaction

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        commits.append(args)
        return original(*args, **kwargs)

    session.store.transaction = counting  # type: ignore[method-assign]
    try:
        person_id = register_person(session, adult(), TODAY, HouseholdChanges(inline=[
            child(), child("Mateo", sex="M", birth_date=None, estimated_age=3)]))
    finally:
        session.store.transaction = original  # type: ignore[method-assign]
    assert len(commits) == 1
    household_id = household_of(session, person_id)
    assert household_id is not None
    listed = members(session, household_id)
    assert [(m.full_name, m.relationship, m.inline, m.birth_date_estimated) for m in listed] == [
        ("Yusleidy Carolina Hernández Peña", "jefe_hogar", False, False),
        ("Luciana Rojas Hernández", "hijo", True, False),
        ("Mateo Rojas Hernández", "hijo", True, True),
    ]
    assert listed[2].birth_date == "2023-07-01"  # 3 years on 27/11/2026, estimated mid-year
    assert count(ctx, "person") == 1  # inline members are not persons


def test_inline_members_are_not_found_or_counted_as_persons(ctx: AppContext) -> None:
    session = ctx.session
    person_id = register_person(session, adult(), TODAY, HouseholdChanges(inline=[child()]))
    assert search_persons(session, "Luciana") == []
    assert [h.id for h in search_persons(session, "Hernández")] == [person_id]
    assert count(ctx, "person") == 1
    card = person_card(session, person_id)
    assert card is not None
    assert [(m.full_name, m.person_id) for m in card.others] == [("Luciana Rojas Hernández", None)]


def test_a_wrong_member_saves_nothing_at_all(ctx: AppContext) -> None:
    before = int(ctx.session.store.scalar("SELECT count(*) FROM change_log"))
    with pytest.raises(ValidationError) as raised:
        register_person(ctx.session, adult(), TODAY, HouseholdChanges(inline=[
            child(), child("", relationship="")]))
    assert raised.value.fields == {
        "household.1.given_names": "Escriba los nombres del integrante.",
        "household.1.relationship": "Elija el parentesco de la lista.",
    }
    assert int(ctx.session.store.scalar("SELECT count(*) FROM change_log")) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"paternal_surname": "", "maternal_surname": ""}, "paternal_surname",
         "Escriba al menos un apellido."),
        ({"sex": "Q"}, "sex", "Elija el sexo (o "),  # the person form's own words
        ({"birth_date": dt.date(2027, 1, 1)}, "birth_date",
         "La fecha de nacimiento no puede ser futura."),
        ({"birth_date": None, "estimated_age": 140}, "birth_date",
         "La edad aproximada debe estar entre 0 y 110."),
    ],
)
def test_member_validation_speaks_spanish(changes: dict[str, object], field: str,
                                          message: str) -> None:
    errors = validate_member(child(**changes), TODAY)
    assert set(errors) == {field}
    assert errors[field] == message if message.endswith(".") else errors[field].startswith(message)


def test_update_adds_and_removes_members_in_its_transaction(ctx: AppContext) -> None:
    session = ctx.session
    person_id = register_person(session, adult(), TODAY, HouseholdChanges(inline=[child()]))
    household_id = household_of(session, person_id)
    assert household_id is not None
    luciana = members(session, household_id)[1]
    update_person(session, person_id, adult(phone="987654321"), TODAY,
                  HouseholdChanges(inline=[child("Mateo", sex="M")], removed=[luciana.member_id]))
    assert [m.full_name for m in members(session, household_id)] == [
        "Yusleidy Carolina Hernández Peña", "Mateo Rojas Hernández"]


def test_a_member_becomes_a_full_record(ctx: AppContext) -> None:
    session = ctx.session
    head = register_person(session, adult(), TODAY, HouseholdChanges(inline=[
        child(birth_date=None, estimated_age=7)]))
    household_id = household_of(session, head)
    assert household_id is not None
    member = members(session, household_id)[1]
    before = count(ctx, "person")
    person_id = promote_member(session, member.member_id, TODAY)
    assert count(ctx, "person") == before + 1
    row = session.store.get("person", person_id)
    assert (row["given_names"], row["paternal_surname"], row["sex"]) == ("Luciana", "Rojas", "F")
    assert row["birth_date"] == member.birth_date and row["birth_date_estimated"] == 1
    assert (row["nationality"], row["district_ubigeo"], row["zone"]) == ("VE", "150115", "Zárate")
    assert row["consent_register"] == 1
    assert row["notes"] == "Registrado desde el hogar de Yusleidy Carolina Hernández, con su consentimiento."
    assert [(m.person_id, m.relationship) for m in members(session, household_id)] == [
        (head, "jefe_hogar"), (person_id, "hijo")]
    assert [h.id for h in search_persons(session, "Luciana")] == [person_id]
    with pytest.raises(ValidationError, match="ya tiene una ficha propia"):
        promote_member(session, member.member_id, TODAY)


def test_a_member_without_sex_cannot_become_a_record_and_nothing_is_written(
    ctx: AppContext,
) -> None:
    session = ctx.session
    head = register_person(session, adult(), TODAY, HouseholdChanges(inline=[child(sex="")]))
    household_id = household_of(session, head)
    assert household_id is not None
    member = members(session, household_id)[1]
    before = int(session.store.scalar("SELECT count(*) FROM change_log"))
    with pytest.raises(ValidationError) as raised:
        promote_member(session, member.member_id, TODAY)
    assert str(raised.value).startswith("No se puede crear la ficha: Elija el sexo")
    assert str(raised.value).endswith("Complete primero los datos del integrante.")
    assert int(session.store.scalar("SELECT count(*) FROM change_log")) == before
