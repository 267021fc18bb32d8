"""The field tables: every column declared once, single-field rules with Spanish messages."""

from __future__ import annotations

import datetime as dt

import pytest

from oma_desktop import i18n
from oma_desktop.core.catalogs import load_catalogs
from oma_desktop.core.fields import (
    CONSULTATION_FIELDS,
    DOCUMENT_FIELDS,
    GROUPS,
    PERSON_FIELDS,
    PERSON_TABS,
    TABLES,
    Kind,
    Privacy,
    check,
    code_value,
    field_label,
    form_order,
    is_empty,
    on_tab,
    read,
    spec,
    validate,
    write,
)
from oma_desktop.core.store import Store
from oma_desktop.services.persons import PersonInput

NOW = dt.datetime(2026, 11, 27, 15, 30)
# columns no one types nor reads in a history: the key, the guard's bookkeeping, derived ones
UNDECLARED = {"id", "last_op_id", "base_op_id", "search_name", "search_phones", "number_norm",
              "number_key"}


def person(name: str):
    found = spec("person", name)
    assert found is not None, name
    return found


@pytest.mark.parametrize("entity", sorted(TABLES))
def test_every_column_is_declared_and_every_stored_field_is_a_column(
    store: Store, entity: str
) -> None:
    columns = set(store.columns(entity)) - UNDECLARED
    stored = {s.name for s in TABLES[entity] if s.stored}
    assert stored == columns


@pytest.mark.parametrize("entity", sorted(TABLES))
def test_names_are_unique(entity: str) -> None:
    names = [s.name for s in TABLES[entity]]
    assert len(names) == len(set(names))


def test_labels_on_the_form_and_in_the_history() -> None:
    consent = person("consent_register")
    assert consent.shown_label == "La persona acepta que se registren sus datos"
    assert consent.shown_history_label == "Consentimiento para el registro"
    assert person("given_names").shown_history_label == "Nombres"  # same as on the form
    assert field_label("number") == "Número"
    assert field_label("summary", "consultation") == "Qué consultó"
    assert field_label("relationship") == "Parentesco"
    assert field_label("not_a_field") == "not_a_field"
    i18n.setup("en")
    assert field_label("birth_date_estimated") == "Estimated birth date"


def test_tabs_and_groups_follow_the_form() -> None:
    tabs = {key for key, _title in PERSON_TABS}
    for field in PERSON_FIELDS:
        assert field.tab in tabs | {""}, field.name
        if field.tab:
            assert field.group in set(GROUPS) | {"notes"}, field.name
    assert [s.name for s in on_tab(PERSON_FIELDS, "personal", "identity")] == [
        "given_names", "paternal_surname", "maternal_surname", "sex", "gender_identity",
        "birth_date", "birth_date_estimated", "estimated_age", "nationality"]
    assert [s.name for s in on_tab(PERSON_FIELDS, "disability", "wg")][:2] == [
        "wg_seeing", "wg_hearing"]
    assert {s.tab for s in DOCUMENT_FIELDS if s.history} == {"documents", ""}
    order = form_order("person")
    assert order["given_names"] < order["nationality"] < order["district_ubigeo"] < order["wg_seeing"]


def test_privacy_classes() -> None:
    for name in ("given_names", "birth_date", "nationality", "phone", "district_ubigeo",
                 "migratory_status", "arrival_date", "consent_register"):
        assert person(name).privacy is Privacy.PERSONAL, name
    for name in ("gender_identity", "wg_seeing", "vuln_trafficking", "notes"):
        assert person(name).privacy is Privacy.SENSITIVE, name
    assert all(s.privacy is Privacy.PERSONAL for s in DOCUMENT_FIELDS if s.tab)
    assert spec("consultation", "channel").privacy is Privacy.PUBLIC  # type: ignore[union-attr]
    assert spec("consultation", "summary").privacy is Privacy.SENSITIVE  # type: ignore[union-attr]
    assert Privacy.PUBLIC < Privacy.PERSONAL < Privacy.SENSITIVE < Privacy.SPECIAL_CATEGORY


def test_widget_kinds_and_sources() -> None:
    assert person("sex").kind is Kind.CODE and person("sex").empty_label == "Choose…"
    assert person("nationality").kind is Kind.CATALOG and person("nationality").catalog == "countries"
    assert person("nationality").default == "VE" and person("district_ubigeo").default == "150101"
    assert person("wg_walking").integer_codes and person("wg_walking").empty_label == "Not asked"
    assert person("notes").kind is Kind.MULTILINE
    assert person("estimated_age").kind is Kind.NUMBER and not person("estimated_age").stored
    assert spec("consultation", "topics").kind is Kind.CODES  # type: ignore[union-attr]


def test_read_and_write_an_input_dataclass() -> None:
    data = PersonInput(given_names="Ana", wg={"wg_seeing": 2}, vulnerabilities={"vuln_homeless"})
    assert read(data, person("given_names")) == "Ana"
    assert read(data, person("wg_seeing")) == 2 and read(data, person("wg_hearing")) is None
    assert read(data, person("vuln_homeless")) is True
    assert read(data, person("vuln_pregnant")) is False
    write(data, person("wg_seeing"), None)
    write(data, person("wg_hearing"), code_value(person("wg_hearing"), "3"))
    write(data, person("vuln_homeless"), False)
    write(data, person("vuln_pregnant"), True)
    write(data, person("phone"), "987654321")
    assert data.wg == {"wg_hearing": 3}
    assert data.vulnerabilities == {"vuln_pregnant"}
    assert data.phone == "987654321"


# --- rules -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("given_names", "  ", "Escriba los nombres."),
        ("sex", "", "Elija el sexo (o «No especificado»)."),
        ("sex", "Z", "Elija el sexo (o «No especificado»)."),
        ("nationality", "", "Elija la nacionalidad (o «Apátrida»)."),
        ("phone", "98x", "Escriba solo los dígitos del número (9 para un celular)."),
        ("phone", "12345", "Escriba solo los dígitos del número (9 para un celular)."),
        ("birth_date", dt.date(2026, 11, 28), "La fecha de nacimiento no puede ser futura."),
        ("district_ubigeo", "999999", "Elija un distrito de la lista."),
        ("migratory_status", "turista", "Elija una situación migratoria de la lista."),
        ("wg_seeing", 7, "Elija una de las cuatro respuestas."),
        ("consent_register", False, "Sin consentimiento para el registro no se pueden guardar "
                                    "datos personales. Registre en su lugar una atención anónima."),
        ("given_names", "x" * 81, "«Nombres» puede tener como máximo 80 caracteres; tiene 81."),
    ],
)
def test_each_rule_says_what_to_do_in_spanish(name: str, value: object, message: str) -> None:
    assert check(person(name), value, load_catalogs(), NOW) == message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("phone", "987 654 321"),
        ("phone", "+51 987-654-321"),
        ("phone", ""),  # optional
        ("birth_date", dt.date(2026, 11, 27)),  # today
        ("district_ubigeo", "150132"),
        ("wg_seeing", 0),
        ("wg_seeing", None),
        ("consent_register", True),
        ("consent_refer", False),
        ("given_names", "x" * 80),
    ],
)
def test_valid_values_pass(name: str, value: object) -> None:
    assert check(person(name), value, load_catalogs(), NOW) == ""


def test_a_surname_is_required_unless_the_other_one_is_given() -> None:
    fields = [person("paternal_surname"), person("maternal_surname")]
    assert validate(fields, {"paternal_surname": "", "maternal_surname": ""}) == {
        "paternal_surname": "Escriba al menos un apellido."}
    assert validate(fields, {"paternal_surname": "", "maternal_surname": "Quispe"}) == {}


def test_consultation_rules() -> None:
    catalogs = load_catalogs()
    values = {"occurred_at": NOW + dt.timedelta(minutes=5), "channel": "presencial",
              "topics": ["SALUD_SIS"], "anon_age": 45, "summary": "", "follow_up_date": None}
    assert validate(CONSULTATION_FIELDS, values, catalogs, NOW) == {}
    values.update(occurred_at=NOW + dt.timedelta(minutes=11), channel="fax",
                  topics=["SALUD_SIS", "NO_EXISTE"], anon_age=130, summary="a" * 4001)
    assert validate(CONSULTATION_FIELDS, values, catalogs, NOW) == {
        "anon_age": "La edad aproximada debe estar entre 0 y 110.",
        "topics": "Tema desconocido: NO_EXISTE.",
        "summary": "«Qué consultó» puede tener como máximo 4000 caracteres; tiene 4001.",
        "occurred_at": "La atención no puede tener fecha futura.",
        "channel": "Elija cómo se atendió a la persona.",
    }
    values.update(occurred_at=None, topics=[])
    errors = validate(CONSULTATION_FIELDS, values, catalogs, NOW)
    assert errors["occurred_at"] == "Escriba la fecha y hora de la atención."
    assert errors["topics"] == "Elija al menos un tema."


def test_only_the_given_fields_are_checked() -> None:
    assert validate(PERSON_FIELDS, {"phone": "987654321"}) == {}


def test_emptiness() -> None:
    assert is_empty("  ") and is_empty(None) and is_empty([]) and is_empty(False)
    assert not is_empty(0) and not is_empty("0") and not is_empty(["X"])


def test_the_person_service_validates_with_the_table() -> None:
    from oma_desktop.services.persons import validate_person

    data = PersonInput(given_names="A" * 81, paternal_surname="Rojas", sex="F", nationality="VE",
                       consent_register=True, wg={"wg_seeing": 5, "wg_flying": 1}, zone="z" * 121)
    assert validate_person(data, load_catalogs(), NOW.date()) == {
        "given_names": "«Nombres» puede tener como máximo 80 caracteres; tiene 81.",
        "zone": "«Sector o zona» puede tener como máximo 120 caracteres; tiene 121.",
        "wg_seeing": "Elija una de las cuatro respuestas.",
        "wg_flying": "Elija una de las cuatro respuestas.",
    }
