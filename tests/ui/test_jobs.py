"""Background jobs go through one door: their session comes from the context, is closed
afterwards, and what they wrote is broadcast so the pages refresh themselves."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from kbd import keys
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from oma_desktop.core import driver
from oma_desktop.core.errors import OmaError
from oma_desktop.services import importer
from oma_desktop.services.casas import update_casa
from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.services.session import Session
from oma_desktop.ui.atencion.page import AttentionPage
from oma_desktop.ui.changes import change_hub, watch_session
from oma_desktop.ui.main_window import MainWindow
from oma_desktop.ui.seguimiento.page import FollowUpPage
from oma_desktop.ui.tasks import Progress, TaskHandle, run_job

GOOD_CSV = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "atenciones_cv3.csv"
WAIT = 10_000


@pytest.fixture
def parent(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def opened(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> list[Session]:
    """Every session the context hands out, in order."""
    sessions: list[Session] = []
    real = ctx.open_session

    def recording() -> Session:
        sessions.append(real())
        return sessions[-1]

    monkeypatch.setattr(ctx, "open_session", recording)
    return sessions


def _finish(qtbot: QtBot, handle: TaskHandle) -> None:
    qtbot.waitUntil(lambda: not handle.is_running(), timeout=WAIT)


def _person(name: str) -> PersonInput:
    return PersonInput(given_names=name, paternal_surname="Quispe", sex="F", nationality="PE",
                       consent_register=True, documents=[DocumentInput("DNI", "45678912")])


def _closed(session: Session) -> bool:
    try:
        session.store.conn.execute("SELECT 1")
    except driver.ProgrammingError:
        return True
    return False


def test_a_job_runs_on_its_own_session_from_the_context_which_is_closed_afterwards(
    qtbot: QtBot, parent: QWidget, ctx: AppContext, opened: list[Session]
) -> None:
    seen: list[tuple[Session, int]] = []

    def job(session: Session, progress: Progress) -> int:
        seen.append((session, threading.get_ident()))
        return int(session.store.scalar("SELECT count(*) FROM casa"))

    results: list[int] = []
    _finish(qtbot, run_job(parent, ctx, job, results.append))
    assert results == [int(ctx.session.store.scalar("SELECT count(*) FROM casa"))]
    assert len(opened) == 1 and seen[0][0] is opened[0]
    assert opened[0] is not ctx.session and opened[0].actor == ctx.actor
    assert opened[0].store.path == ctx.database
    assert seen[0][1] != threading.get_ident()  # not the GUI thread
    assert _closed(opened[0]) and not _closed(ctx.session)


def test_progress_reaches_the_gui_thread(qtbot: QtBot, parent: QWidget, ctx: AppContext) -> None:
    def job(session: Session, progress: Progress) -> None:
        progress.report(1, 2, "primera mitad")
        progress.report(2, 2, "segunda mitad")

    received: list[tuple[int, int, str, bool]] = []

    def on_progress(done: int, total: int, label: str) -> None:
        received.append((done, total, label, threading.current_thread() is threading.main_thread()))

    _finish(qtbot, run_job(parent, ctx, job, lambda _r: None, on_progress=on_progress))
    assert received == [(1, 2, "primera mitad", True), (2, 2, "segunda mitad", True)]


def test_the_broadcast_names_what_the_job_wrote(
    qtbot: QtBot, parent: QWidget, ctx: AppContext
) -> None:
    def job(session: Session, progress: Progress) -> str:
        return register_person(session, _person("Rosa"))

    with qtbot.waitSignal(change_hub(ctx.session).changed, timeout=WAIT) as signal:
        run_job(parent, ctx, job, lambda _r: None)
    # a registration writes the consent history too (issue #9.5)
    assert signal.args == [frozenset({"person", "document", "consent_record"})]


def test_a_read_only_job_broadcasts_nothing(qtbot: QtBot, parent: QWidget, ctx: AppContext) -> None:
    def job(session: Session, progress: Progress) -> int:
        return int(session.store.scalar("SELECT count(*) FROM person"))

    with qtbot.assertNotEmitted(change_hub(ctx.session).changed, wait=100):
        _finish(qtbot, run_job(parent, ctx, job, lambda _r: None))


def test_writes_of_the_gui_thread_are_broadcast_too(qtbot: QtBot, ctx: AppContext) -> None:
    watch_session(ctx.session)
    with qtbot.waitSignal(change_hub(ctx.session).changed, timeout=WAIT) as signal:
        register_person(ctx.session, _person("Lucía"))
    assert signal.args == [frozenset({"person", "document", "consent_record"})]


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # offscreen only
def test_an_error_in_a_job_is_shown_and_its_session_closed(
    qtbot: QtBot, parent: QWidget, ctx: AppContext, opened: list[Session]
) -> None:
    def job(session: Session, progress: Progress) -> None:
        raise OmaError("El disco está lleno: libere espacio y vuelva a intentarlo.")

    done: list[object] = []
    _finish(qtbot, run_job(parent, ctx, job, done.append))
    box = parent.findChild(QMessageBox)
    assert box is not None
    assert box.text() == "El disco está lleno: libere espacio y vuelva a intentarlo."
    assert done == [] and _closed(opened[0])
    box.close()


def _import_job(path: Path):  # type: ignore[no-untyped-def]
    def job(session: Session, progress: Progress) -> importer.ImportResult:
        table = importer.read_table(path)
        plan = importer.plan_import(session, table, importer.guess_mapping(table.headers),
                                    consent_confirmed=True)
        return importer.commit_import(session, plan)

    return job


@pytest.mark.usefixtures("coordinator")
def test_the_attention_page_shows_a_background_import_without_reloading(
    qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    page = window.page("attention")
    assert isinstance(page, AttentionPage)
    page.search_edit.setFocus()
    keys(qtbot, page.search_edit, "perez quispe")
    qtbot.waitUntil(lambda: not page.panel.is_search_pending())
    assert page.model.rowCount() == 0
    results: list[importer.ImportResult] = []
    run_job(window, ctx, _import_job(GOOD_CSV), results.append)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT)
    assert results and results[0].persons_created > 0
    assert page.model.hit(0).full_name == "José Luis Pérez Quispe"


@pytest.mark.usefixtures("casa_admin")
def test_the_status_bar_follows_a_casa_rename(qtbot: QtBot, window: MainWindow, ctx: AppContext) -> None:
    update_casa(ctx.session, ctx.session.casa_id, name="Casa Vecinal Monserrate")
    qtbot.waitUntil(lambda: window.casa_label.text() == "Casa: Casa Vecinal Monserrate", timeout=WAIT)
    assert window.windowTitle().endswith("Casa Vecinal Monserrate")


def test_the_follow_up_queue_refreshes_after_a_background_write(
    qtbot: QtBot, window: MainWindow, ctx: AppContext
) -> None:
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)  # Seguimiento
    queue = window.page("follow_up")
    assert isinstance(queue, FollowUpPage) and window.stack.currentWidget() is queue
    before = queue.model.rowCount()

    def job(session: Session, progress: Progress) -> str:
        person = register_person(session, _person("Elena"))
        return record_consultation(session, ConsultationInput(
            person_id=person, topics=["SALUD_SIS"], follow_up_date=dt.date.today()))

    run_job(window, ctx, job, lambda _r: None)
    qtbot.waitUntil(lambda: queue.model.rowCount() == before + 1, timeout=WAIT)
