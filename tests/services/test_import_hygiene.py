"""Bad input: invisible characters, formulas, oversized cells, header-only files, consent.

And the precision of the duplicate warning on demo data: new people are not "similar".
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from acting import act_as

from oma_desktop.core.errors import OmaError
from oma_desktop.core.fields import PERSON_FIELDS, validate
from oma_desktop.services.context import AppContext
from oma_desktop.services.demo import build_demo
from oma_desktop.services.importer import Table, commit_import, guess_mapping, plan_import, read_table
from oma_desktop.services.persons import PersonInput, validate_person


@pytest.fixture(autouse=True)
def _importing_role(request: pytest.FixtureRequest) -> None:
    """Importing is for coordinación (issue #9); the seeded account is recepción."""
    if "ctx" in request.fixturenames:
        act_as(request.getfixturevalue("ctx"), "coordinacion")


TODAY = dt.date(2026, 11, 27)
HEADERS = ["Nombres", "Apellidos", "Sexo", "Fecha de nacimiento", "Nacionalidad", "Observaciones"]


def _plan(ctx: AppContext, *rows: list[str], consent: bool = True):  # type: ignore[no-untyped-def]
    table = Table(headers=list(HEADERS), rows=[list(r) for r in rows])
    return plan_import(ctx.session, table, guess_mapping(table.headers),
                       consent_confirmed=consent, today=TODAY)


@pytest.mark.parametrize(("text", "message"), [
    ("Ana\x00", "«Nombres» contiene caracteres de control invisibles (¿copiados de otro "
                "programa?); vuelva a escribir el texto."),
    ("Ana\x07", "«Nombres» contiene caracteres de control invisibles (¿copiados de otro "
                "programa?); vuelva a escribir el texto."),
    ("\u202eanA", "«Nombres» contiene marcas invisibles que cambian la dirección del texto; "
                  "vuelva a escribir el texto."),
    ("Ana\u2066x\u2069", "«Nombres» contiene marcas invisibles que cambian la dirección del "
                         "texto; vuelva a escribir el texto."),
])
def test_text_fields_refuse_control_and_direction_characters(text: str, message: str) -> None:
    assert validate(PERSON_FIELDS, {"given_names": text}) == {"given_names": message}


def test_every_text_field_has_the_rule_and_plain_text_passes(ctx: AppContext) -> None:
    data = PersonInput(given_names="Ana", paternal_surname="Pérez", sex="F", nationality="VE",
                       consent_register=True, zone="Sector\x1b3", notes="línea 1\nlínea 2\tfin")
    errors = validate_person(data, ctx.catalogs, TODAY)
    assert set(errors) == {"zone"}


def test_cells_with_invisible_characters_are_reported_per_cell(ctx: AppContext) -> None:
    plan = _plan(ctx, ["Ana\u202e", "Pérez Soto", "F", "01/02/1990", "VE", ""],
                 ["Luis", "Rojas", "M", "01/02/1980", "VE", "nota\x00"])
    assert [i.message for i in plan.errors] == [
        "Fila 2, columna «Nombres»: la celda contiene caracteres de control invisibles o marcas "
        "que cambian la dirección del texto; vuelva a escribirla en la lista.",
        "Fila 3, columna «Observaciones»: la celda contiene caracteres de control invisibles o "
        "marcas que cambian la dirección del texto; vuelva a escribirla en la lista."]


def test_an_oversized_cell_gets_a_clear_message(ctx: AppContext) -> None:
    plan = _plan(ctx, ["Ana", "Pérez Soto", "F", "01/02/1990", "VE", "x" * 5000],
                 ["Luis", "Rojas" * 20, "M", "01/02/1980", "VE", ""])
    assert [i.message for i in plan.errors] == [
        "Fila 2, columna «Observaciones»: la celda tiene 5000 caracteres; una celda puede tener "
        "como máximo 4000. Acórtela (o pase el texto largo a las observaciones) e inténtelo de "
        "nuevo.",
        "Fila 3, columna «Apellidos»: «Apellido paterno» puede tener como máximo 80 caracteres; "
        "tiene 100."]


def test_formula_like_cells_are_stored_as_the_text_they_are(ctx: AppContext, tmp_path: Path) -> None:
    csv = tmp_path / "lista.csv"
    csv.write_text(";".join(HEADERS) + "\n"
                   "Ana;Pérez Soto;F;01/02/1990;VE;\"=HYPERLINK(\"\"http://x\"\";\"\"clic\"\")\"\n"
                   "Luis;Rojas;M;01/02/1980;VE;+51 987 654 321\n"
                   "Rosa;Quispe;F;01/02/1970;VE;-5\n"
                   "Juan;Mamani;M;01/02/1960;VE;@SUM(A1:A2)\n", encoding="utf-8")
    table = read_table(csv)
    plan = plan_import(ctx.session, table, guess_mapping(table.headers), consent_confirmed=True,
                       today=TODAY)
    assert plan.errors == []
    commit_import(ctx.session, plan)
    notes = [r["notes"] for r in ctx.session.store.rows(
        "SELECT notes FROM person ORDER BY rowid")]
    assert notes == ['=HYPERLINK("http://x";"clic")', "+51 987 654 321", "-5", "@SUM(A1:A2)"]


def test_a_header_only_file_says_it_has_no_rows(tmp_path: Path) -> None:
    csv = tmp_path / "solo_encabezados.csv"
    csv.write_text(";".join(HEADERS) + "\n", encoding="utf-8")
    with pytest.raises(OmaError) as err:
        read_table(csv)
    assert str(err.value) == (
        "El archivo solo_encabezados.csv solo tiene los encabezados de las columnas: no tiene "
        "filas para importar. Revise que eligió el archivo o la hoja correctos.")


def test_missing_consent_is_reported_once(ctx: AppContext) -> None:
    rows = [[f"Persona{i}", "Pérez Soto", "F", "01/02/1990", "VE", ""] for i in range(30)]
    plan = _plan(ctx, *rows, consent=False)
    consent = [i for i in plan.issues if i.field == "consent"]
    assert len(consent) == 1 and consent[0].row_number == 2
    assert not plan.can_commit


# ------------------------------------------------------------------ precision on demo data


def _demo_list(folder: Path) -> Table:
    """Every person of a demo database as a row of a list (documents included)."""
    conn = sqlite3.connect(folder / "oma.sqlite3")
    rows = []
    for pid, given, pat, mat, sex, birth, estimated, nat in conn.execute(
        "SELECT id, given_names, paternal_surname, maternal_surname, sex, birth_date,"
        " birth_date_estimated, nationality FROM person"
    ):
        doc = conn.execute("SELECT doc_type, number FROM document WHERE person_id = ? LIMIT 1",
                           [pid]).fetchone() or ("", "")
        birth_text = "" if estimated else dt.date.fromisoformat(birth).strftime("%d/%m/%Y")
        rows.append([given, f"{pat} {mat}".strip(), sex, birth_text, nat, doc[0], doc[1]])
    conn.close()
    return Table(headers=["Nombres", "Apellidos", "Sexo", "Fecha de nacimiento", "Nacionalidad",
                          "Tipo de documento", "N° documento"], rows=rows)


def test_new_people_are_not_flagged_as_similar(tmp_path: Path) -> None:
    """Demo people from another seed, imported into a demo database: the warning stays rare,
    and the people already in the database are found again (certain), not flagged."""
    from oma_desktop.services.context import open_context

    database, other = tmp_path / "db", tmp_path / "other"
    build_demo(database, 4000, consultations=0, seed=1, casa="CV1", today=TODAY)
    build_demo(other, 1000, consultations=0, seed=2, casa="CV1", today=TODAY)
    ctx = act_as(open_context(database), "coordinacion")
    try:
        fresh = _demo_list(other)
        plan = plan_import(ctx.session, fresh, guess_mapping(fresh.headers), consent_confirmed=True,
                           today=TODAY)
        statuses = Counter(r.status for r in plan.rows)
        assert statuses["review"] <= 0.03 * len(fresh.rows), statuses
        assert statuses["existing"] <= 0.01 * len(fresh.rows), statuses
        assert statuses["new"] >= 0.95 * len(fresh.rows), statuses
        # the database's own people, listed again, are the same people (not "similar")
        again = _demo_list(database)
        again.rows = again.rows[:500]
        again.row_numbers = list(range(2, 502))
        plan = plan_import(ctx.session, again, guess_mapping(again.headers),
                           consent_confirmed=True, today=TODAY)
        statuses = Counter(r.status for r in plan.rows)
        assert statuses["existing"] + statuses["repeated"] >= 0.97 * 500, statuses
        assert statuses["new"] == 0, statuses
    finally:
        ctx.close()
