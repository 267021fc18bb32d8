"""Imports never merge two people, never register one twice, and send the doubtful to review."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from acting import act_as, desk_accounts, login

from oma_desktop.core.errors import OmaError
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.duplicate_review import (
    load_review,
    pending_count,
    pending_reviews,
    resolve_different,
    resolve_same,
)
from oma_desktop.services.importer import Table, commit_import, guess_mapping, plan_import
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.services.same_person import offered_changes


@pytest.fixture(autouse=True)
def _importing_role(request: pytest.FixtureRequest) -> None:
    """Importing is for coordinación (issue #9); the seeded account is recepción."""
    if "ctx" in request.fixturenames:
        act_as(request.getfixturevalue("ctx"), "coordinacion")


TODAY = dt.date(2026, 11, 27)
HEADERS = ["Nombres", "Apellidos", "Sexo", "Fecha de nacimiento", "Nacionalidad",
           "Tipo de documento", "N° documento", "Celular", "Fecha de atención", "Tema"]


def _table(*rows: list[str]) -> Table:
    return Table(headers=list(HEADERS), rows=[list(r) for r in rows])


def _plan(session: object, table: Table, **kw: object):  # type: ignore[no-untyped-def]
    return plan_import(session, table, guess_mapping(table.headers),  # type: ignore[arg-type]
                       consent_confirmed=True, today=TODAY, source="lista.csv", **kw)  # type: ignore[arg-type]


def _register(ctx: AppContext, given: str, surnames: str, birth: dt.date | None,
              docs: list[DocumentInput] | None = None, phone: str = "") -> str:
    paternal, _, maternal = surnames.partition(" ")
    return register_person(ctx.session, PersonInput(
        given_names=given, paternal_surname=paternal, maternal_surname=maternal, sex="F",
        nationality="VE", consent_register=True, birth_date=birth, phone=phone,
        documents=docs or []), TODAY)


def _count(ctx: AppContext, table: str) -> int:
    return int(ctx.session.store.scalar(f"SELECT count(*) FROM {table} WHERE deleted = 0"))


ANA = ["Ana María", "Rivas Mora", "F", "15/06/2001", "VE", "Cédula", "28111223", "", "10/11/2026",
       "Orientación general"]


def test_twins_with_their_own_documents_stay_two_people(ctx: AppContext) -> None:
    sister = _register(ctx, "Ana Marta", "Rivas Mora", dt.date(2001, 6, 15),
                       [DocumentInput("CEDULA_VE", "28111222")])
    plan = _plan(ctx.session, _table(ANA))
    assert [r.status for r in plan.rows] == ["new"]
    result = commit_import(ctx.session, plan)
    assert result.persons_created == 1 and result.person_ids[0] != sister
    assert _count(ctx, "person") == 2


def test_a_row_is_never_attached_to_a_person_with_another_document(ctx: AppContext) -> None:
    # the same name and birth date, but the registered person holds another cédula
    _register(ctx, "Ana María", "Rivas Mora", dt.date(2001, 6, 15),
              [DocumentInput("CEDULA_VE", "28111222")])
    plan = _plan(ctx.session, _table(ANA))
    assert plan.rows[0].status == "new"
    assert plan.rows[0].existing_person_id is None


def test_another_kind_of_document_makes_the_match_uncertain(ctx: AppContext) -> None:
    # same name and birth date; she holds a passport, the row brings a cédula: to review
    registered = _register(ctx, "Ana María", "Rivas Mora", dt.date(2001, 6, 15),
                           [DocumentInput("PASAPORTE", "AB123456")])
    plan = _plan(ctx.session, _table(ANA))
    assert (plan.rows[0].status, plan.rows[0].review_candidates) == ("review", [registered])


def test_a_cedula_with_and_without_its_v_in_one_list_is_one_person(ctx: AppContext) -> None:
    plan = _plan(ctx.session, _table(ANA, [*ANA[:6], "V-28.111.223", *ANA[7:9], "Salud"]))
    assert [r.status for r in plan.rows] == ["new", "repeated"]


def test_a_cedula_without_its_v_is_the_same_number(ctx: AppContext) -> None:
    registered = _register(ctx, "Ana María", "Rivas Mora", dt.date(2001, 6, 15),
                           [DocumentInput("CEDULA_VE", "V-28.111.223")])
    plan = _plan(ctx.session, _table(ANA))
    assert (plan.rows[0].status, plan.rows[0].existing_person_id) == ("existing", registered)


def test_the_same_name_and_birth_date_without_documents_is_the_same_person(ctx: AppContext) -> None:
    registered = _register(ctx, "Ana María", "Rivas Mora", dt.date(2001, 6, 15))
    row = [*ANA[:5], "", "", *ANA[7:]]
    plan = _plan(ctx.session, _table(row))
    assert (plan.rows[0].status, plan.rows[0].existing_person_id) == ("existing", registered)


@pytest.fixture
def probable(ctx: AppContext) -> tuple[str, Table]:
    """A registered twin-like person (no document) and a list whose first row may be her."""
    registered = _register(ctx, "Ana Marta", "Rivas Mora", dt.date(2001, 6, 15),
                           phone="987654321")
    table = _table(
        ["Ana María", "Rivas Mora", "F", "15/06/2001", "VE", "", "", "912345678", "10/11/2026",
         "Orientación general"],
        ["Luis", "Pérez Soto", "M", "01/02/1980", "VE", "", "", "", "10/11/2026", "Salud"],
        ["Ana María", "Rivas Mora", "F", "15/06/2001", "VE", "", "", "912345678", "12/11/2026",
         "Salud"],
    )
    return registered, table


def test_a_probable_duplicate_is_neither_created_nor_merged(
    ctx: AppContext, probable: tuple[str, Table]
) -> None:
    registered, table = probable
    plan = _plan(ctx.session, table)
    assert [r.status for r in plan.rows] == ["review", "new", "repeated"]
    assert plan.rows[0].review_candidates == [registered]
    assert ("1 fila puede ser una persona ya registrada: pasa a la lista de posibles duplicados "
            "por revisar.") in plan.summary_lines()
    result = commit_import(ctx.session, plan)
    assert (result.persons_created, result.persons_matched, result.consultations_created) == (1, 0, 1)
    assert _count(ctx, "person") == 2
    [entry] = pending_reviews(ctx.session)
    assert entry.full_name == "Ana María Rivas Mora"
    assert entry.rows == [2, 4] and entry.origin_text == "lista.csv, fila 2, 4"
    assert entry.candidates == [registered]
    assert [c.occurred_at for c in entry.consultations] == [
        dt.datetime(2026, 11, 10, 0, 0), dt.datetime(2026, 11, 12, 0, 0)]
    assert entry.person.phone == "912345678" and entry.person.birth_date == dt.date(2001, 6, 15)


def test_a_row_in_review_keeps_its_document(ctx: AppContext) -> None:
    # the registered person has no document; the row brings a passport: probable, kept whole
    _register(ctx, "Ana Marta", "Rivas Mora", dt.date(2001, 6, 15))
    row = ["Ana María", "Rivas Mora", "F", "15/06/2001", "VE", "Pasaporte", "AB123456", "",
           "10/11/2026", "Salud"]
    commit_import(ctx.session, _plan(ctx.session, _table(row)))
    [entry] = pending_reviews(ctx.session)
    assert [(d.doc_type, d.number) for d in entry.person.documents] == [("PASAPORTE", "AB123456")]
    person_id = resolve_different(ctx.session, entry.id, TODAY)
    assert ctx.session.store.scalar(
        "SELECT number FROM document WHERE person_id = ?", [person_id]) == "AB123456"


def test_misma_persona_links_the_consultations_and_offers_the_typed_values(
    ctx: AppContext, probable: tuple[str, Table]
) -> None:
    registered, table = probable
    commit_import(ctx.session, _plan(ctx.session, table))
    [entry] = pending_reviews(ctx.session)
    before = _count(ctx, "person")
    assert resolve_same(ctx.session, entry.id, registered) == 2
    assert _count(ctx, "person") == before
    assert int(ctx.session.store.scalar(
        "SELECT count(*) FROM consultation WHERE person_id = ?", [registered])) == 2
    decided = load_review(ctx.session, entry.id)
    assert (decided.status, decided.person_id) == ("same", registered)
    row = ctx.session.store.get("duplicate_review", entry.id)
    assert row is not None and row["resolved_by"] == ctx.user_id and row["resolved_at"]
    offers = {o.key: o for o in offered_changes(ctx.session, registered, decided.person)}
    assert offers["given_names"].typed == "Ana María" and offers["phone"].typed == "912345678"
    assert pending_count(ctx.session) == 0
    with pytest.raises(OmaError, match="ya decidió"):
        resolve_different(ctx.session, entry.id, TODAY)


def test_otra_persona_registers_the_row_as_new(ctx: AppContext,
                                               probable: tuple[str, Table]) -> None:
    registered, table = probable
    commit_import(ctx.session, _plan(ctx.session, table))
    [entry] = pending_reviews(ctx.session)
    person_id = resolve_different(ctx.session, entry.id, TODAY)
    assert person_id != registered
    person = ctx.session.store.get("person", person_id)
    assert person is not None
    assert (person["given_names"], person["birth_date"], person["phone"]) == (
        "Ana María", "2001-06-15", "912345678")
    assert int(ctx.session.store.scalar(
        "SELECT count(*) FROM consultation WHERE person_id = ?", [person_id])) == 2
    assert load_review(ctx.session, entry.id).status == "different"


def test_duplicates_nuevos_registers_them_as_new(ctx: AppContext,
                                                 probable: tuple[str, Table]) -> None:
    _registered, table = probable
    result = commit_import(ctx.session, _plan(ctx.session, table), duplicates="new")
    assert result.persons_created == 2 and result.consultations_created == 3
    assert pending_count(ctx.session) == 0


def test_two_imports_of_one_list_planned_together_register_everyone_once(ctx: AppContext) -> None:
    table = _table(
        ANA,
        ["Luis", "Pérez Soto", "M", "01/02/1980", "VE", "Pasaporte", "AB123456", "", "10/11/2026",
         "Salud"],
        ["Rosa", "Quispe", "F", "", "VE", "", "", "", "10/11/2026", "Salud"],
    )
    first, second = _plan(ctx.session, table), _plan(ctx.session, table)
    assert [r.status for r in second.rows] == ["new", "new", "new"]
    commit_import(ctx.session, first)
    result = commit_import(ctx.session, second)
    # the two documented persons are found again inside the transaction; Rosa (a name and
    # nothing else) goes to review instead of being registered twice
    assert (result.persons_created, result.persons_matched, result.consultations_created) == (0, 2, 0)
    assert _count(ctx, "person") == 3 and _count(ctx, "consultation") == 3
    assert [e.full_name for e in pending_reviews(ctx.session)] == ["Rosa Quispe"]


def test_two_concurrent_imports_of_one_list_never_register_everyone_twice(
    ctx: AppContext,
) -> None:
    rows = [[f"Persona{i}", "Rivas Mora", "F", f"{1 + i % 28:02d}/03/1990", "VE", "Cédula",
             str(20_000_000 + i), "", "10/11/2026", "Salud"] for i in range(40)]
    table = _table(*rows)
    sessions = [ctx.open_session(), ctx.open_session()]
    plans = [_plan(s, table) for s in sessions]
    assert all(p.new_persons == 40 for p in plans)
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = commit_import(sessions[index], plans[index])
        except Exception as exc:  # the assertion below shows it
            results[index] = exc
        finally:
            sessions[index].close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    created = sorted(r.persons_created for r in results)  # type: ignore[union-attr]
    matched = sorted(r.persons_matched for r in results)  # type: ignore[union-attr]
    assert created == [0, 40] and matched == [0, 40]
    assert _count(ctx, "person") == 40 and _count(ctx, "document") == 40
    assert _count(ctx, "consultation") == 40


# --------------------------------------------------------------------------- the command


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    desk_accounts(data_dir)  # importing is for coordinación (issue #9)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "oma_desktop", "--data-dir", str(data_dir), "--user", "coordinacion",
         "import-persons", *args],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=120,
    )


def test_cli_lists_probable_duplicates_and_needs_to_be_told(tmp_path: Path) -> None:
    data = tmp_path / "datos"
    context = open_context(data, casa="CV1")
    try:
        _register(context, "Ana Marta", "Rivas Mora", dt.date(2001, 6, 15))
    finally:
        context.close()
    csv = tmp_path / "lista.csv"
    csv.write_text(";".join(HEADERS) + "\n"
                   "Ana María;Rivas Mora;F;15/06/2001;VE;;;;10/11/2026;Salud\n"
                   "Luis;Pérez Soto;M;01/02/1980;VE;;;;10/11/2026;Salud\n", encoding="utf-8")
    run = _cli(data, str(csv), "--consent")
    assert run.returncode == 1
    assert "Fila 2: Ana María Rivas Mora puede ser Ana Marta Rivas Mora." in run.stdout
    assert "--duplicates nuevos" in run.stdout and "--duplicates omitir" in run.stdout
    assert "No se importó nada" in run.stdout
    run = _cli(data, str(csv), "--consent", "--duplicates", "omitir")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 posible duplicado espera en «Posibles duplicados por revisar»." in run.stdout
    context = login(data, "coordinacion")
    try:
        assert _count(context, "person") == 2
        assert [e.full_name for e in pending_reviews(context.session)] == ["Ana María Rivas Mora"]
    finally:
        context.close()
    run = _cli(data, str(csv), "--consent", "--duplicates", "nuevos")
    assert run.returncode == 0, run.stdout + run.stderr
    context = login(data, "coordinacion")
    try:
        assert _count(context, "person") == 3  # Luis was already there; Ana María is new
    finally:
        context.close()
