"""Import of the casas' Excel/CSV lists: reading, mapping, parsing, planning, committing."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from acting import act_as, desk_accounts, login

from oma_desktop.core.errors import OmaError
from oma_desktop.services import importer
from oma_desktop.services.context import AppContext
from oma_desktop.services.importer import (
    ImportOptions,
    Table,
    ValueParser,
    check_mapping,
    commit_import,
    guess_mapping,
    parse_age,
    parse_date,
    parse_datetime,
    plan_import,
    read_table,
    split_full_name,
    target_label,
)
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person


@pytest.fixture(autouse=True)
def _importing_role(request: pytest.FixtureRequest) -> None:
    """Importing is for coordinación (issue #9); the seeded account is recepción."""
    if "ctx" in request.fixturenames:
        act_as(request.getfixturevalue("ctx"), "coordinacion")


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
CSV_CP1252 = FIXTURES / "atenciones_cv3.csv"
CSV_ERRORS = FIXTURES / "con_errores.csv"
XLSX = FIXTURES / "padron_cv1.xlsx"
TODAY = dt.date(2024, 6, 1)


def _plan(ctx: AppContext, path: Path, sheet: str | None = None, *, consent: bool = True,
          options: ImportOptions | None = None) -> importer.ImportPlan:
    table = read_table(path, sheet)
    return plan_import(ctx.session, table, guess_mapping(table.headers),
                       consent_confirmed=consent, today=TODAY, options=options)


def _counts(ctx: AppContext) -> dict[str, int]:
    return {
        table: int(ctx.session.store.scalar(f"SELECT count(*) FROM {table}"))
        for table in ("person", "document", "consultation", "consent_record", "audit_entry",
                      "change_log")
    }


def _row(plan: importer.ImportPlan, number: int) -> importer.PlannedRow:
    return next(r for r in plan.rows if r.row_number == number)


def _messages(plan: importer.ImportPlan, number: int) -> list[str]:
    return [i.message for i in _row(plan, number).issues]


# --------------------------------------------------------------------------- reading


def test_csv_in_cp1252_with_semicolons() -> None:
    raw = CSV_CP1252.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the fixture really is a Windows-1252 file
    table = read_table(CSV_CP1252)
    assert table.headers[:4] == ["N°", "Apellidos y nombres", "Sexo", "F. Nac."]
    assert len(table.headers) == 13
    assert table.sheet_names == [] and table.sheet == ""
    assert table.rows[0][1] == "PÉREZ QUISPE, José Luis"
    assert table.rows[1][1] == "GONZÁLEZ ÑÁÑEZ, María Alejandra"
    # a quoted cell keeps its semicolon
    assert table.rows[1][11] == "Salud; Vivienda"
    assert table.rows[0][9] == "Jr. Los Olivos 123, frente al mercado"
    assert table.row_numbers == [2, 3, 4, 5, 6, 7, 8, 9]


def test_csv_with_commas_and_bom(tmp_path: Path) -> None:
    table = read_table(CSV_ERRORS)
    assert table.headers[0] == "Nombres"  # no BOM left in the first header
    assert len(table.headers) == 12
    assert table.rows[1][4] == "31/02/1990"


def test_csv_with_tabs_latin1_blank_lines_and_title(tmp_path: Path) -> None:
    path = tmp_path / "lista.txt"
    text = ("LISTA DE ATENDIDOS\r\n\r\nNombres\tApellidos\tDistrito\r\n"
            "Ana\tPérez Díaz\tBreña\r\n\r\n\t\t\r\nLuis\tÑañez\tRímac\r\n")
    path.write_bytes(text.encode("latin-1"))
    table = read_table(path)
    assert table.headers == ["Nombres", "Apellidos", "Distrito"]
    assert table.header_row == 3
    assert table.rows[0] == ["Ana", "Pérez Díaz", "Breña"]
    assert table.rows[1][1] == "Ñañez"
    assert table.row_numbers == [4, 7]


def test_xlsx_first_sheet_with_title_row_dates_and_numbers() -> None:
    table = read_table(XLSX)
    assert table.sheet_names == ["Padrón", "Atenciones"]
    assert table.sheet == "Padrón"
    assert table.header_row == 3
    assert table.headers[:3] == ["Nombres", "Apellido paterno", "Ap. Materno"]
    assert table.row_numbers == [4, 5, 6, 7]
    first = dict(zip(table.headers, table.rows[0], strict=True))
    assert first["Fecha de nacimiento"] == "1988-07-15"
    assert first["Teléfono"] == "987111222"  # a number cell, without ".0"
    assert first["Fecha de llegada"] == "2018-09-10"
    assert dict(zip(table.headers, table.rows[1], strict=True))["Edad"] == "34"
    assert dict(zip(table.headers, table.rows[3], strict=True))["DNI/CE"] == "45678912"


def test_xlsx_named_sheet_keeps_times() -> None:
    table = read_table(XLSX, sheet="atenciones")  # case-insensitive
    assert table.sheet == "Atenciones"
    assert table.headers[0] == "Nombre completo"
    assert table.rows[0][1] == "2024-04-02T10:30"
    assert table.rows[0][6] == "2024-04-16"


def test_unknown_sheet_names_the_sheets() -> None:
    with pytest.raises(OmaError) as err:
        read_table(XLSX, sheet="Resumen")
    assert str(err.value) == (
        "El archivo padron_cv1.xlsx no tiene una hoja llamada «Resumen». "
        "Sus hojas son: «Padrón», «Atenciones»."
    )


def test_unreadable_files_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(OmaError, match=r"no existe\. Revise el nombre y la carpeta"):
        read_table(tmp_path / "no-existe.csv")
    old = tmp_path / "lista.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(OmaError, match=r"formato antiguo de Excel \(\.xls\).*«Libro de Excel"):
        read_table(old)
    broken = tmp_path / "lista.xlsx"
    broken.write_bytes(b"PK\x03\x04 esto no es un libro de Excel")
    with pytest.raises(OmaError, match="no es un archivo de Excel válido o está dañado"):
        read_table(broken)
    empty = tmp_path / "vacia.csv"
    empty.write_bytes(b"\r\n;;;\r\n")
    with pytest.raises(OmaError, match="está vacío: no tiene filas para importar"):
        read_table(empty)
    with pytest.raises(OmaError, match="es una carpeta, no un archivo"):
        read_table(tmp_path)


# --------------------------------------------------------------------------- mapping


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("Nombres", "given_names"),
        ("Apellido paterno", "paternal_surname"),
        ("Ap. Materno", "maternal_surname"),
        ("APELLIDOS Y NOMBRES", "full_name"),
        ("Nombre completo", "full_name"),
        ("Sexo", "sex"),
        ("Fecha de nacimiento", "birth_date"),
        ("F. Nac.", "birth_date"),
        ("Edad", "age"),
        ("Nacionalidad", "nationality"),
        ("Tipo de documento", "doc_type"),
        ("N° documento", "doc_number"),
        ("Nº de documento", "doc_number"),
        ("DNI/CE", "doc_number"),
        ("Celular", "phone"),
        ("Teléfono", "phone"),
        ("WhatsApp", "whatsapp"),
        ("Distrito", "district"),
        ("Dirección", "address_ref"),
        ("Referencia", "address_ref"),
        ("Fecha de llegada", "arrival_date"),
        ("Situación migratoria", "migratory_status"),
        ("Observaciones", "notes"),
        ("Fecha de atención", "consultation_date"),
        ("Tema", "topic"),
        ("Motivo", "topic"),
        ("Consulta", "summary"),
        ("Acciones", "actions"),
        ("Canal", "channel"),
        ("Seguimiento", "follow_up_date"),
        ("Cualquier cosa", None),
        ("N°", None),
    ],
)
def test_guess_mapping_recognises_spanish_headers(header: str, target: str | None) -> None:
    assert guess_mapping([header]).get(0) == target


def test_guess_mapping_resolves_conflicts() -> None:
    headers = ["Nombres", "Apellido paterno", "Celular", "Teléfono", "Dirección", "Referencia",
               "Motivo", "Tema", "Consulta"]
    assert guess_mapping(headers) == {
        0: "given_names", 1: "paternal_surname", 2: "phone",  # Teléfono: phone already taken
        4: "address_ref", 5: "address_ref",  # both texts are kept, joined
        6: "summary", 7: "topic", 8: "summary",  # "Tema" is the better topic column
    }
    # a lone "Nombre" column (no surname column) holds the whole name
    assert guess_mapping(["Nombre", "Edad"]) == {0: "full_name", 1: "age"}


def test_guess_mapping_of_the_fixtures() -> None:
    mapping = guess_mapping(read_table(CSV_CP1252).headers)
    assert 0 not in mapping
    assert mapping[1] == "full_name" and mapping[3] == "birth_date" and mapping[11] == "topic"
    padron = read_table(XLSX)
    assert sorted(guess_mapping(padron.headers).values()) == sorted([
        "given_names", "paternal_surname", "maternal_surname", "sex", "birth_date", "age",
        "nationality", "doc_number", "phone", "whatsapp", "district", "address_ref",
        "arrival_date", "migratory_status",
    ])


def test_target_labels_are_spanish() -> None:
    assert target_label("full_name") == "Nombre completo (apellidos y nombres)"
    assert target_label("consultation_date") == "Fecha de atención"
    assert {f.key for f in importer.TARGET_FIELDS} >= {
        "given_names", "paternal_surname", "maternal_surname", "full_name", "sex", "birth_date",
        "age", "nationality", "doc_type", "doc_number", "phone", "whatsapp", "district", "zone",
        "address_ref", "arrival_date", "migratory_status", "notes", "consultation_date", "topic",
        "summary", "actions", "channel", "follow_up_date",
    }


def test_check_mapping_explains_unusable_mappings() -> None:
    headers = ["Nombres", "Apellidos", "Celular", "Teléfono", "Tema"]
    problems = check_mapping(headers, {0: "given_names", 1: "surnames", 2: "phone", 3: "phone",
                                       4: "topic"})
    assert problems == [
        "«Teléfono» está asignado a más de una columna («Celular», «Teléfono»); deje solo una.",
        "Para importar atenciones, asigne la columna con la fecha de atención.",
    ]
    assert check_mapping(headers, {2: "phone"}) == [
        "Asigne la columna con los nombres: «Nombre completo (apellidos y nombres)», "
        "o «Nombres» y los apellidos."
    ]
    assert check_mapping(headers, {0: "full_name"}) == []
    with pytest.raises(ValueError):
        check_mapping(headers, {0: "shoe_size"})


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("name", "surnames_first", "expected"),
    [
        ("PÉREZ QUISPE, José Luis", None, ("José Luis", "PÉREZ", "QUISPE")),
        ("José Luis Pérez Quispe", None, ("José Luis", "Pérez", "Quispe")),
        # the header says surnames first, but "José" is a given name: the order is detected
        ("José Luis Pérez Quispe", True, ("José Luis", "Pérez", "Quispe")),
        ("PEREZ QUISPE JOSE LUIS", None, ("JOSE LUIS", "PEREZ", "QUISPE")),
        ("PÉREZ QUISPE José Luis", None, ("José Luis", "PÉREZ", "QUISPE")),
        ("José Luis PÉREZ QUISPE", None, ("José Luis", "PÉREZ", "QUISPE")),
        ("María de los Ángeles Rodríguez de la Cruz", None,
         ("María de los Ángeles", "Rodríguez", "de la Cruz")),
        ("Torres Lima, Ana", False, ("Ana", "Torres", "Lima")),  # a comma wins over the header
        ("Huamán Soto Nilda", True, ("Nilda", "Huamán", "Soto")),  # unknown names: the header
        ("Nilda Huamán Soto", None, ("Nilda", "Huamán", "Soto")),
        ("Ana Torres", None, ("Ana", "Torres", "")),
        ("Quispe Mamani Rosa", True, ("Rosa", "Quispe", "Mamani")),
        ("Ana", None, ("Ana", "", "")),
    ],
)
def test_split_full_name(name: str, surnames_first: bool | None,
                         expected: tuple[str, str, str]) -> None:
    assert split_full_name(name, surnames_first) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/04/1990", dt.date(1990, 4, 12)),
        ("12-04-1990", dt.date(1990, 4, 12)),
        ("1990-04-12", dt.date(1990, 4, 12)),
        ("12/04/90", dt.date(1990, 4, 12)),
        ("05/03/24", dt.date(2024, 3, 5)),
        ("1/1/60", dt.date(1960, 1, 1)),
        ("2024-03-05T10:30", dt.date(2024, 3, 5)),
        ("45000", dt.date(2023, 3, 15)),  # an Excel serial day number
    ],
)
def test_parse_date_accepts_the_usual_forms(text: str, expected: dt.date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["31/02/1990", "12/25/1990", "45/13/2024", "ayer", "1990", ""])
def test_parse_date_refuses_impossible_dates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text, TODAY)


def test_parse_datetime_keeps_the_time() -> None:
    assert parse_datetime("2024-04-02T10:30") == dt.datetime(2024, 4, 2, 10, 30)
    assert parse_datetime("05/03/2024 3:15 p. m.") == dt.datetime(2024, 3, 5, 15, 15)


def test_parse_age() -> None:
    assert [parse_age(t) for t in ("35", "35 años", "35.0", "6 meses")] == [35, 35, 35, 0]
    with pytest.raises(ValueError):
        parse_age("treinta")


def test_value_parser(ctx: AppContext) -> None:
    p = ValueParser(ctx.catalogs)
    assert [p.sex(s) for s in ("F", "Femenino", "mujer", "M", "Masculino", "HOMBRE", "varón", "")] \
        == ["F", "F", "F", "M", "M", "M", "M", "X"]
    assert p.sex("Z") is None
    nat = {t: (r.code if r else None) for t in ("Venezolana", "venezuela", "VE", "VEN",
                                                "Colombiana", "Peruana", "Haití", "Marciana")
           for r in [p.nationality(t)]}
    assert nat == {"Venezolana": "VE", "venezuela": "VE", "VE": "VE", "VEN": "VE",
                   "Colombiana": "CO", "Peruana": "PE", "Haití": "HT", "Marciana": None}
    venesuela = p.nationality("Venesuela")
    assert venesuela is not None and venesuela.code == "VE" and venesuela.approximate
    districts = {t: (r.code if r else None) for t in (
        "Cercado", "Lima", "Cercado de Lima", "SJL", "SMP", "san martin de porres", "Breña",
        "Comas (Lima)", "Callao", "Arequipa", "San Juan") for r in [p.district(t)]}
    assert districts == {
        "Cercado": "150101", "Lima": "150101", "Cercado de Lima": "150101", "SJL": "150132",
        "SMP": "150135", "san martin de porres": "150135", "Breña": "150105",
        "Comas (Lima)": "150110", "Callao": "070101", "Arequipa": None, "San Juan": None,
    }
    assert [p.document_type(t) for t in (
        "DNI", "CE", "Carné de extranjería", "carnet de extranjeria", "PTP", "CPP", "Pasaporte",
        "Cédula", "Solicitante de refugio", "Sin documento", "Licencia")] == [
        "DNI", "CE", "CE", "CE", "PTP", "CPP", "PASAPORTE", "CEDULA_VE", "CSR", "NINGUNO", None]
    assert p.split_document("CE 001234567") == ("CE", "001234567")
    assert p.split_document("12345678") == ("", "12345678")
    topics = p.topics("Salud; Vivienda, ORIENTACION")
    assert topics.codes == ["SALUD_SIS", "VIVIENDA_ALQUILER", "ORIENTACION"]
    assert topics.approximate == [] and topics.unknown == []
    fuzzy = p.topics("capacitacion laboral")
    assert fuzzy.codes == ["EMPLEO_CAPACITACION"]
    assert fuzzy.approximate == [("capacitacion laboral", "EMPLEO_CAPACITACION")]
    assert p.topics("empleo").ambiguous == [("empleo", "EMPLEO_CAPACITACION",
                                             "EMPLEO_COLOCACION")]
    assert p.topics("Asesoría tributaria").unknown == ["Asesoría tributaria"]
    assert [p.channel(t) for t in ("Presencial", "Teléfono", "llamada", "WhatsApp", "wsp",
                                   "Migratón", "paloma")] == [
        "presencial", "telefono", "telefono", "whatsapp", "whatsapp", "migraton", None]
    assert [p.migratory_status(t) for t in (
        "Regular", "En trámite", "irregular", "Solicitante de refugio", "Refugiado",
        "Regularización en trámite", "en_tramite", "ilegal")] == [
        "regular", "en_tramite", "irregular", "solicitante_refugio", "refugiado", "en_tramite",
        "en_tramite", None]


# --------------------------------------------------------------------------- planning


def test_plan_of_the_cp1252_list(ctx: AppContext) -> None:
    plan = _plan(ctx, CSV_CP1252)
    assert plan.errors == []
    assert (plan.total_rows, plan.new_persons, plan.existing_persons, plan.repeated_rows,
            plan.consultations, plan.empty_rows) == (7, 6, 0, 1, 7, 1)
    assert plan.can_commit
    first = _row(plan, 2)
    assert first.person is not None
    person = first.person
    assert (person.given_names, person.paternal_surname, person.maternal_surname) == (
        "José Luis", "Pérez", "Quispe")
    assert (person.sex, person.birth_date, person.nationality, person.district_ubigeo) == (
        "M", dt.date(1990, 4, 12), "VE", "150132")
    assert [(d.doc_type, d.number) for d in person.documents] == [("CE", "001234567")]
    assert person.consent_register
    assert person.notes == "Vino con su esposa"
    assert first.consultation is not None
    assert first.consultation.occurred_at == dt.datetime(2024, 3, 5)
    assert first.consultation.topics == ["REG_CPP_PTP"]
    ana = _row(plan, 4).person
    assert ana is not None
    assert (ana.given_names, ana.paternal_surname, ana.maternal_surname) == (
        "Ana Karina", "Rodríguez", "de la Cruz")
    # row 5 is the second consultation of José Luis (same CE): one person, two consultations
    repeated = _row(plan, 5)
    assert repeated.status == "repeated" and repeated.same_as_row == 2
    assert repeated.consultation_status == "new"
    assert _row(plan, 3).consultation.topics == ["SALUD_SIS", "VIVIENDA_ALQUILER"]  # type: ignore[union-attr]
    assert _row(plan, 7).person.birth_date == dt.date(1960, 1, 1)  # type: ignore[union-attr]
    assert _row(plan, 8).status == "empty"  # only the "N°" column was filled
    assert plan.summary_lines() == [
        "7 filas leídas de la lista.",
        "Se registrarán 6 personas nuevas.",
        "1 fila repite a una persona de una fila anterior (se registra una sola vez).",
        "Se registrarán 7 atenciones.",
        "1 fila vacía omitida.",
    ]


def test_rows_with_errors_have_spanish_messages(ctx: AppContext) -> None:
    plan = _plan(ctx, CSV_ERRORS)
    assert plan.rows_with_errors == 10
    assert not plan.can_commit
    assert _messages(plan, 2) == []
    assert _messages(plan, 3) == [
        "Fila 3: la fecha de nacimiento «31/02/1990» no es una fecha válida (use día/mes/año)."]
    assert _messages(plan, 4) == [
        "Fila 4: no se reconoce el sexo «Z» (escriba F o M, Mujer u Hombre, o déjelo vacío)."]
    assert _messages(plan, 5) == [
        "Fila 5: «Arequipa» no es un distrito de Lima ni del Callao (escríbalo como en la lista, "
        "p. ej. San Juan de Lurigancho)."]
    assert _messages(plan, 6) == [
        "Fila 6, columna «N° documento»: Un DNI tiene 8 dígitos; revise el número."]
    assert _messages(plan, 7) == [
        "Fila 7, columna «Fecha de nacimiento»: La fecha de nacimiento no puede ser futura."]
    assert _messages(plan, 8) == ["Fila 8, columna «Nombres»: Escriba los nombres."]
    assert _messages(plan, 9) == [
        "Fila 9: no se reconoce el tema «Asesoría tributaria»; escriba un tema de la lista "
        "(p. ej. «Orientación general»)."]
    assert _messages(plan, 10) == [
        "Fila 10: el número de documento 002345678 también está en la fila 2 con otro nombre "
        "(Carmen Blanco Rojas); corrija una de las dos filas."]
    assert _messages(plan, 11) == [
        "Fila 11: no se reconoce la nacionalidad «Marciana» (escriba el país, p. ej. Venezuela, "
        "o su código, p. ej. VE)."]
    assert _messages(plan, 12) == [
        "Fila 12: la fecha de atención «45/13/2024» no es una fecha válida (use día/mes/año)."]
    assert [i.row_number for i in plan.errors] == list(range(3, 13))
    preview = plan.preview(3)
    assert [(p.row_number, p.status_label) for p in preview] == [
        (2, "Nueva persona"), (3, "Con errores"), (4, "Con errores")]
    assert preview[0].name == "Carmen Blanco Rojas"
    assert preview[0].district == "Breña" and preview[0].nationality == "Venezuela"
    assert preview[0].consultation == "10/05/2024 · Orientación general"


def test_without_consent_the_list_is_refused_with_one_message(ctx: AppContext) -> None:
    plan = _plan(ctx, CSV_CP1252, consent=False)
    assert [i.message for i in plan.errors] == [
        "No se ha confirmado que las personas de la lista aceptaron ser registradas; "
        "sin ese consentimiento no se pueden importar sus datos."]
    assert plan.errors[0].row_number == 2
    assert not plan.can_commit
    before = _counts(ctx)
    with pytest.raises(OmaError, match="1 fila tiene errores"):
        commit_import(ctx.session, plan)
    assert _counts(ctx) == before


def test_options_fill_empty_cells(ctx: AppContext) -> None:
    table = Table(headers=["Nombre", "Motivo"], rows=[["Ana Torres", ""], ["Luis Díaz", "SIS"]])
    with pytest.raises(OmaError, match="asigne la columna con la fecha de atención"):
        plan_import(ctx.session, table, {0: "full_name", 1: "topic"},
                    consent_confirmed=True, today=TODAY)
    plan = plan_import(ctx.session, table, {0: "full_name"}, consent_confirmed=True,
                       today=TODAY)
    assert _messages(plan, 2) == ["Fila 2: Elija la nacionalidad (o «Apátrida»)."]
    plan = plan_import(ctx.session, table, {0: "full_name"}, consent_confirmed=True,
                       today=TODAY, options=ImportOptions(default_nationality="VE"))
    assert plan.errors == []
    assert _row(plan, 2).person.sex == "X"  # type: ignore[union-attr]


def test_document_type_from_the_header_or_marked_as_other(ctx: AppContext) -> None:
    table = Table(headers=["Nombres", "Apellidos", "Nacionalidad", "DNI/CE", "Documento"],
                  rows=[["Ana", "Torres", "VE", "001234567", ""],
                        ["Rosa", "Quispe", "PE", "07654321", ""],
                        ["Luis", "Díaz", "VE", "", "AB12345"]])
    assert guess_mapping(table.headers) == {0: "given_names", 1: "surnames", 2: "nationality",
                                            3: "doc_number"}
    assert check_mapping(table.headers, {3: "doc_number", 4: "doc_number", 0: "full_name"}) == [
        "«Número de documento» está asignado a más de una columna («DNI/CE», «Documento»); "
        "deje solo una."]
    mapping = {0: "given_names", 1: "surnames", 2: "nationality", 3: "doc_number"}
    plan = plan_import(ctx.session, table, mapping, consent_confirmed=True,
                       today=TODAY)
    docs = [[(d.doc_type, d.number) for d in r.person.documents] for r in plan.rows]  # type: ignore[union-attr]
    assert docs == [[("CE", "001234567")], [("DNI", "07654321")], []]
    mapping = {0: "given_names", 1: "surnames", 2: "nationality", 4: "doc_number"}
    plan = plan_import(ctx.session, table, mapping, consent_confirmed=True,
                       today=TODAY)
    assert [(d.doc_type, d.number) for d in _row(plan, 4).person.documents] == [  # type: ignore[union-attr]
        ("OTRO", "AB12345")]
    assert _messages(plan, 4) == [
        "Fila 4: falta el tipo de documento; «AB12345» se guardará como «Otro documento»."]
    assert plan.errors == []


def test_a_dni_that_lost_its_leading_zero_is_padded(ctx: AppContext) -> None:
    table = Table(headers=["Nombres", "Apellidos", "Nacionalidad", "Tipo de documento", "DNI"],
                  rows=[["Rosa", "Quispe Mamani", "Peruana", "DNI", "7654321"]])
    seen: list[tuple[int, int]] = []
    plan = plan_import(ctx.session, table, guess_mapping(table.headers),
                       consent_confirmed=True, today=TODAY,
                       progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 1) and seen[-1] == (1, 1)
    assert [(d.doc_type, d.number) for d in _row(plan, 2).person.documents] == [  # type: ignore[union-attr]
        ("DNI", "07654321")]
    assert _messages(plan, 2) == [
        "Fila 2: el DNI «7654321» tiene 7 dígitos; se guarda como 07654321 (Excel borra los ceros "
        "iniciales). Verifíquelo."]
    assert plan.errors == [] and plan.rows_with_warnings == 1


# --------------------------------------------------------------------------- duplicates


def test_rows_matching_registered_persons_are_linked_not_created(ctx: AppContext) -> None:
    registered = register_person(ctx.session, PersonInput(
        given_names="José Luis", paternal_surname="Pérez", maternal_surname="Quispe", sex="M",
        nationality="VE", consent_register=True, birth_date=dt.date(1990, 4, 12),
        documents=[DocumentInput("CE", "001-234-567")]), TODAY)
    # same name and birth date, no document: found by find_duplicates (score >= 90)
    rosa = register_person(ctx.session, PersonInput(
        given_names="Rosa", paternal_surname="Quispe", maternal_surname="Mamani", sex="F",
        nationality="PE", consent_register=True, birth_date=dt.date(1960, 1, 1)), TODAY)
    plan = _plan(ctx, CSV_CP1252)
    assert plan.errors == []
    jose = _row(plan, 2)
    assert jose.status == "existing" and jose.existing_person_id == registered
    assert jose.existing_person_name == "José Luis Pérez Quispe"
    assert _row(plan, 5).status == "repeated" and _row(plan, 5).existing_person_id == registered
    assert _row(plan, 7).status == "existing" and _row(plan, 7).existing_person_id == rosa
    assert (plan.new_persons, plan.existing_persons, plan.consultations) == (4, 2, 7)
    assert plan.preview()[0].status_label == "Ya registrada"
    before = _counts(ctx)
    result = commit_import(ctx.session, plan)
    assert (result.persons_created, result.persons_matched, result.consultations_created) == (4, 2, 7)
    after = _counts(ctx)
    assert after["person"] == before["person"] + 4
    assert after["consultation"] == before["consultation"] + 7
    linked = ctx.session.store.rows(
        "SELECT occurred_at FROM consultation WHERE person_id = ? ORDER BY occurred_at",
        [registered])
    assert [r["occurred_at"] for r in linked] == ["2024-03-05T00:00", "2024-03-12T00:00"]
    assert ctx.session.store.scalar("SELECT count(*) FROM document WHERE number_norm = '001234567'") == 1


def test_a_document_registered_to_someone_else_is_an_error(ctx: AppContext) -> None:
    register_person(ctx.session, PersonInput(
        given_names="Marta", paternal_surname="Salas", sex="F", nationality="VE",
        consent_register=True, documents=[DocumentInput("CE", "001234567")]), TODAY)
    plan = _plan(ctx, CSV_CP1252)
    assert _messages(plan, 2) == [
        "Fila 2: el número de documento 001234567 ya está registrado a nombre de Marta Salas; "
        "revise el número."]


def test_a_probable_registered_person_goes_to_review(ctx: AppContext) -> None:
    # the same name, no birth date on file: it may be her, it may be a namesake
    maria = register_person(ctx.session, PersonInput(
        given_names="María Alejandra", paternal_surname="González", maternal_surname="Ñáñez",
        sex="F", nationality="VE", consent_register=True), TODAY)
    plan = _plan(ctx, CSV_CP1252)
    row = _row(plan, 3)
    assert row.status == "review" and row.review_candidates == [maria]
    assert [(i.severity, i.message) for i in row.issues] == [(
        "warning",
        "Fila 3: se parece a María Alejandra González Ñáñez, ya registrada (70 %); no se registra ni se "
        "une: pasa a la lista de posibles duplicados para que un coordinador decida.")]
    assert plan.probable_duplicates == [row]
    assert plan.can_commit


def test_same_name_with_contradicting_data_is_another_person(ctx: AppContext) -> None:
    table = Table(
        headers=["Nombres", "Apellidos", "Fecha de nacimiento", "Nacionalidad"],
        rows=[["Ana", "Torres Lima", "01/01/1980", "VE"],
              ["Ana", "Torres Lima", "01/01/1980", "VE"],   # same person listed twice
              ["Ana", "Torres Lima", "05/09/2001", "VE"],   # a namesake
              ["Ana", "Torres Lima", "", "VE"]])             # nothing to tell: same, with a warning
    plan = plan_import(ctx.session, table, guess_mapping(table.headers),
                       consent_confirmed=True, today=TODAY)
    assert [r.status for r in plan.rows] == ["new", "repeated", "new", "repeated"]
    assert _row(plan, 3).same_as_row == 2
    assert _messages(plan, 5) == [
        "Fila 5: tiene el mismo nombre que la fila 2 y ningún dato lo contradice; se considera "
        "la misma persona. Verifíquelo."]


# --------------------------------------------------------------------------- committing


def test_commit_writes_persons_documents_and_consultations(ctx: AppContext) -> None:
    plan = _plan(ctx, CSV_CP1252)
    before = _counts(ctx)
    result = commit_import(ctx.session, plan)
    assert (result.persons_created, result.persons_matched, result.consultations_created) == (6, 0, 7)
    assert result.summary_lines() == ["6 personas nuevas registradas.", "7 atenciones registradas."]
    after = _counts(ctx)
    assert after["person"] - before["person"] == 6
    assert after["document"] - before["document"] == 6
    assert after["consultation"] - before["consultation"] == 7
    jose = ctx.session.store.one("SELECT * FROM person WHERE given_names = 'José Luis'")
    assert jose is not None
    assert (jose["paternal_surname"], jose["maternal_surname"], jose["casa_id"],
            jose["consent_register"], jose["consent_recorded_by"]) == (
        "Pérez", "Quispe", ctx.session.store.casa_id, 1, ctx.user_id)
    topics = [r["topics"] for r in ctx.session.store.rows(
        "SELECT topics FROM consultation WHERE person_id = ? ORDER BY occurred_at", [jose["id"]])]
    assert topics == ['["REG_CPP_PTP"]', '["SALUD_SIS"]']
    with pytest.raises(OmaError, match="ya se guardó"):
        commit_import(ctx.session, plan)
    assert _counts(ctx) == after


def test_commit_uses_one_transaction(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _plan(ctx, CSV_CP1252)
    calls = []
    original = ctx.session.store.transaction

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(ctx.session.store, "transaction", counting)
    commit_import(ctx.session, plan)
    assert len(calls) == 1


def test_a_failure_midway_leaves_the_database_unchanged(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oma_desktop.core.store import Writer

    plan = _plan(ctx, CSV_CP1252)
    before = _counts(ctx)
    written: list[str] = []
    real = Writer.create_many

    def failing(self, entity, records, ids=None, kind="create"):  # type: ignore[no-untyped-def]
        if entity == "consultation":  # persons, their consents and documents are written by now
            raise RuntimeError("disco lleno")
        written.append(entity)
        return real(self, entity, records, ids, kind)

    monkeypatch.setattr(Writer, "create_many", failing)
    with pytest.raises(RuntimeError, match="disco lleno"):
        commit_import(ctx.session, plan)
    assert written == ["person", "consent_record", "document"]  # written, then rolled back
    assert _counts(ctx) == before
    assert not plan.committed
    monkeypatch.setattr(Writer, "create_many", real)
    commit_import(ctx.session, plan)  # the same plan can be saved afterwards
    assert _counts(ctx)["person"] == before["person"] + 6


def test_commit_refuses_a_plan_with_errors(ctx: AppContext) -> None:
    plan = _plan(ctx, CSV_ERRORS)
    before = _counts(ctx)
    with pytest.raises(OmaError) as err:
        commit_import(ctx.session, plan)
    assert str(err.value) == (
        "No se puede guardar la importación: 10 filas tienen errores. Corrija la lista y vuelva "
        "a preparar la importación. No se guardó nada.")
    assert _counts(ctx) == before


@pytest.mark.parametrize(("path", "sheet"), [(CSV_CP1252, None), (XLSX, None),
                                             (XLSX, "Atenciones")])
def test_importing_the_same_list_twice_changes_nothing(
    ctx: AppContext, path: Path, sheet: str | None
) -> None:
    if sheet == "Atenciones":  # the persons of the attention log come from the Padrón sheet
        commit_import(ctx.session, _plan(ctx, XLSX))
    first = _plan(ctx, path, sheet)
    assert first.errors == []
    commit_import(ctx.session, first)
    after_first = _counts(ctx)
    second = _plan(ctx, path, sheet)
    assert second.errors == []
    assert second.new_persons == 0 and second.consultations == 0
    assert all(r.status in ("existing", "repeated", "empty") for r in second.rows)
    assert second.consultations_already == first.consultations
    result = commit_import(ctx.session, second)
    assert (result.persons_created, result.consultations_created) == (0, 0)
    assert _counts(ctx)["person"] == after_first["person"]
    assert _counts(ctx)["consultation"] == after_first["consultation"]


def test_workbook_with_two_sheets(ctx: AppContext) -> None:
    padron = _plan(ctx, XLSX)
    assert padron.errors == [] and padron.new_persons == 4
    commit_import(ctx.session, padron)
    luis = ctx.session.store.one("SELECT * FROM person WHERE given_names = 'Luis Alberto'")
    assert luis is not None
    assert (luis["birth_date"], luis["phone"], luis["whatsapp"], luis["district_ubigeo"],
            luis["arrival_date"], luis["migratory_status"]) == (
        "1988-07-15", "987111222", "987111222", "150132", "2018-09-10", "en_tramite")
    assert ctx.session.store.scalar("SELECT doc_type FROM document WHERE person_id = ?", [luis["id"]]) == "CE"
    yelitza = ctx.session.store.one("SELECT * FROM person WHERE paternal_surname = 'Contreras'")
    assert yelitza is not None
    assert (yelitza["given_names"], yelitza["birth_date_estimated"], yelitza["whatsapp"]) == (
        "Yelitza", 1, "")
    gabriela = ctx.session.store.one("SELECT * FROM person WHERE given_names = 'Gabriela'")
    assert gabriela is not None
    assert ctx.session.store.scalar("SELECT doc_type FROM document WHERE person_id = ?",
                            [gabriela["id"]]) == "DNI"

    log = _plan(ctx, XLSX, "Atenciones")
    assert log.errors == []
    assert (log.new_persons, log.existing_persons, log.repeated_rows, log.consultations) == (
        0, 2, 1, 3)
    assert [i.message for i in log.warnings] == [
        "Fila 2: se tomó como Luis Alberto Rivas Mora, ya registrada, porque el nombre es el mismo "
        "y ningún dato lo contradice. Verifíquelo.",
        "Fila 3: se tomó como Yelitza Contreras, ya registrada, porque el nombre es el mismo y "
        "ningún dato lo contradice. Verifíquelo.",
        "Fila 4: el seguimiento «Sí» no tiene fecha; se conserva en las acciones, pero no se "
        "programará un seguimiento.",
        "Fila 4: tiene el mismo nombre que la fila 2 y ningún dato lo contradice; se considera la "
        "misma persona. Verifíquelo.",
    ]
    commit_import(ctx.session, log)
    rows = ctx.session.store.rows(
        "SELECT occurred_at, channel, topics, summary, actions, follow_up_date FROM consultation"
        " WHERE person_id = ? ORDER BY occurred_at", [luis["id"]])
    assert [(r["occurred_at"], r["channel"], r["topics"], r["follow_up_date"]) for r in rows] == [
        ("2024-04-02T10:30", "presencial", '["SALUD_SIS"]', "2024-04-16"),
        ("2024-04-16T09:00", "telefono", '["SALUD_SIS"]', None),
    ]
    assert rows[0]["summary"] == "Afiliación al SIS de su hija"
    assert rows[1]["actions"] == "Llamada\nSeguimiento: Sí"
    assert ctx.session.store.scalar("SELECT channel FROM consultation WHERE person_id = ?",
                            [yelitza["id"]]) == "whatsapp"


# --------------------------------------------------------------------------- command line


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    desk_accounts(data_dir)  # importing is for coordinación (issue #9)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "oma_desktop", "--data-dir", str(data_dir), "--user", "coordinacion",
         "import-persons", *args],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=120,
    )


def _persons(data_dir: Path) -> int:
    context = login(data_dir)
    try:
        return int(context.session.store.scalar("SELECT count(*) FROM person"))
    finally:
        context.close()


def test_cli_reports_errors_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "datos"
    run = _cli(data, str(CSV_ERRORS), "--consent")
    assert run.returncode == 1, run.stderr
    assert "«N° documento» → Número de documento" in run.stdout
    assert "10 filas tienen errores." in run.stdout
    assert ("Fila 3: la fecha de nacimiento «31/02/1990» no es una fecha válida "
            "(use día/mes/año).") in run.stdout
    assert "Fila 8, columna «Nombres»: Escriba los nombres." in run.stdout
    assert "No se importó nada: corrija las filas con errores e inténtelo de nuevo." in run.stdout
    assert _persons(data) == 0


def test_cli_needs_consent(tmp_path: Path) -> None:
    data = tmp_path / "datos"
    run = _cli(data, str(CSV_CP1252))
    assert run.returncode == 1
    assert "Agregue --consent" in run.stdout
    assert run.stdout.count("se ha confirmado que las personas de la lista aceptaron") == 1
    assert _persons(data) == 0


def test_cli_dry_run_then_import_then_again(tmp_path: Path) -> None:
    data = tmp_path / "datos"
    dry = _cli(data, str(CSV_CP1252), "--consent", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "Se registrarán 6 personas nuevas." in dry.stdout
    assert "Prueba: no se guardó nada." in dry.stdout
    assert _persons(data) == 0
    run = _cli(data, str(CSV_CP1252), "--consent")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Importación terminada." in run.stdout
    assert "6 personas nuevas registradas." in run.stdout
    assert _persons(data) == 6
    again = _cli(data, str(CSV_CP1252), "--consent")
    assert again.returncode == 0
    assert "6 personas ya están registradas y no se crearán de nuevo." in again.stdout
    assert "7 atenciones ya están registradas y se omitirán." in again.stdout
    assert "0 personas nuevas registradas." in again.stdout
    assert _persons(data) == 6


def test_cli_sheet_option_and_unreadable_file(tmp_path: Path) -> None:
    data = tmp_path / "datos"
    run = _cli(data, str(XLSX), "--sheet", "Padrón", "--consent")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Hoja «Padrón» de padron_cv1.xlsx." in run.stdout
    assert _persons(data) == 4
    copy = tmp_path / "lista.xls"
    shutil.copy(XLSX, copy)
    bad = _cli(data, str(copy))
    assert bad.returncode == 2
    assert "formato antiguo de Excel" in bad.stderr
