"""Posibles duplicados por revisar: the coordinator decides misma persona / otra persona."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from oma_desktop.services.context import AppContext
from oma_desktop.services.duplicate_review import load_review, pending_count
from oma_desktop.services.importer import Table, commit_import, guess_mapping, plan_import
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.ui.personas.duplicate_review import DuplicateReviewDialog

# importing and settling its possible duplicates is for coordinación (issue #9)
pytestmark = pytest.mark.usefixtures("coordinator")

TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def pending(ctx: AppContext) -> str:
    """Ana Marta is registered; an import brought "Ana María", same surnames and birth date."""
    registered = register_person(ctx.session, PersonInput(
        given_names="Ana Marta", paternal_surname="Rivas", maternal_surname="Mora", sex="F",
        nationality="VE", consent_register=True, birth_date=dt.date(2001, 6, 15)), TODAY)
    table = Table(
        headers=["Nombres", "Apellidos", "Sexo", "Fecha de nacimiento", "Nacionalidad", "Celular",
                 "Fecha de atención", "Tema"],
        rows=[["Ana María", "Rivas Mora", "F", "15/06/2001", "VE", "912345678", "10/11/2026",
               "Orientación general"]])
    plan = plan_import(ctx.session, table, guess_mapping(table.headers), consent_confirmed=True,
                       today=TODAY, source="lista.csv")
    commit_import(ctx.session, plan)
    assert pending_count(ctx.session) == 1
    return registered


@pytest.fixture
def dialog(qtbot: QtBot, ctx: AppContext) -> Iterator[DuplicateReviewDialog]:
    widget = DuplicateReviewDialog(ctx)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    if widget.same_person_dialog is not None:
        widget.same_person_dialog.done(0)


def test_the_list_shows_the_row_and_the_persons_it_may_be(
    pending: str, dialog: DuplicateReviewDialog
) -> None:
    reviews, candidates = dialog.reviews, dialog.candidates
    assert reviews.rowCount() == 1
    assert [reviews.data(reviews.index(0, c)) for c in range(4)] == [
        "lista.csv, fila 2", "Ana María Rivas Mora", "15/06/2001", ""]
    assert reviews.headerData(1, Qt.Orientation.Horizontal) == "Nombre"
    assert candidates.rowCount() == 1
    assert candidates.data(candidates.index(0, 0)) == "Ana Marta Rivas Mora"
    assert dialog.same_button.isEnabled() and dialog.other_button.isEnabled()
    assert "1 fila de una importación puede ser una persona ya registrada" in dialog.intro.text()


def test_misma_persona_records_the_consultation_and_offers_the_changes(
    qtbot: QtBot, ctx: AppContext, pending: str, dialog: DuplicateReviewDialog
) -> None:
    entry_id = dialog.reviews.entries[0].id
    qtbot.mouseClick(dialog.same_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.same_person_dialog is not None)
    offer = dialog.same_person_dialog
    assert offer is not None
    assert "1 atención registrada para Ana Marta Rivas Mora" in dialog.message.text()
    offer.set_ticked(["phone"])
    qtbot.mouseClick(offer.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.same_person_dialog is None)
    person = ctx.session.store.get("person", pending)
    assert person is not None
    assert (person["given_names"], person["phone"]) == ("Ana Marta", "912345678")
    assert int(ctx.session.store.scalar(
        "SELECT count(*) FROM consultation WHERE person_id = ?", [pending])) == 1
    assert load_review(ctx.session, entry_id).status == "same"
    assert dialog.reviews.rowCount() == 0
    assert dialog.intro.text() == "No hay posibles duplicados por revisar."
    assert not dialog.same_button.isEnabled() and not dialog.other_button.isEnabled()


def test_otra_persona_registers_the_row_as_new(
    qtbot: QtBot, ctx: AppContext, pending: str, dialog: DuplicateReviewDialog
) -> None:
    dialog.other_button.setFocus()
    qtbot.keyClick(dialog.other_button, Qt.Key.Key_Space)
    assert dialog.message.text() == "Ana María Rivas Mora se registró como una persona nueva."
    assert int(ctx.session.store.scalar("SELECT count(*) FROM person")) == 2
    assert pending_count(ctx.session) == 0
    assert dialog.reviews.rowCount() == 0


def test_models_pass_the_qt_model_tester(qtmodeltester, pending: str,  # type: ignore[no-untyped-def]
                                         dialog: DuplicateReviewDialog) -> None:
    qtmodeltester.check(dialog.reviews)
    qtmodeltester.check(dialog.candidates)


def test_the_personas_page_and_the_file_menu_open_the_list(
    qtbot: QtBot, ctx: AppContext, window, pending: str  # type: ignore[no-untyped-def]
) -> None:
    from oma_desktop.ui.people_page import PeoplePage

    page = window.show_page("people")
    assert isinstance(page, PeoplePage)
    button = page.review_button
    assert button.isVisible() and button.text() == "Posibles duplicados (1)"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    opened = [w for w in window.findChildren(DuplicateReviewDialog) if w.isVisible()]
    assert len(opened) == 1 and opened[0].reviews.rowCount() == 1
    qtbot.mouseClick(opened[0].other_button, Qt.MouseButton.LeftButton)
    # the decision is broadcast: the page's button goes away once nothing waits
    qtbot.waitUntil(lambda: not button.isVisible())
    qtbot.mouseClick(opened[0].close_button, Qt.MouseButton.LeftButton)
    assert window.review_action.text() == "Posibles &duplicados por revisar…"
    window.review_action.trigger()
    again = [w for w in window.findChildren(DuplicateReviewDialog) if w.isVisible()]
    assert len(again) == 1 and again[0].reviews.rowCount() == 0
    again[0].close()
