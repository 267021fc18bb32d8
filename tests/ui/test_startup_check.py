"""The whole file is checked right after start-up; nothing is written into a damaged one."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from oma_desktop.core.errors import DamagedDatabaseError, StoreError
from oma_desktop.services.casas import update_casa
from oma_desktop.services.context import AppContext
from oma_desktop.services.demo import build_demo
from oma_desktop.ui.app import start_verification
from oma_desktop.ui.main_window import MainWindow


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("arranque") / "datos"
    build_demo(folder, persons=40, seed=9, today=dt.date(2026, 11, 27))
    return folder


def _copy(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    src = sqlite3.connect(source / "oma.sqlite3")
    dst = sqlite3.connect(target / "oma.sqlite3")
    src.backup(dst)
    src.close()
    dst.close()
    return target


def _damage(database: Path) -> None:
    conn = sqlite3.connect(database)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'consultation'"
                        ).fetchone()[0]
    conn.close()
    with database.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xa5" * page_size)


@pytest.fixture
def data_dir(request: pytest.FixtureRequest, demo_folder: Path, tmp_path: Path) -> Path:
    """A copy of the demo for the ``ctx`` and ``window`` fixtures; damaged if asked."""
    folder = _copy(demo_folder, tmp_path / "datos")
    if "damaged" in request.node.name:
        _damage(folder / "oma.sqlite3")
    return folder


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen plugin, not the app
@pytest.mark.usefixtures("casa_admin")
def test_a_damaged_file_is_found_and_nothing_is_written(
        qtbot: QtBot, data_dir: Path, ctx: AppContext, window: MainWindow) -> None:
    before = _digest(data_dir / "oma.sqlite3")
    start_verification(window, ctx)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "damaged_database_message")
                    is not None, timeout=10_000)
    box = window.findChild(QMessageBox, "damaged_database_message")
    assert "dañad" in box.text() and "copia de seguridad" in box.text()
    with pytest.raises(DamagedDatabaseError):
        update_casa(ctx.session, "CV2", name="Otra")
    job = ctx.open_session()  # background jobs are refused too
    try:
        with pytest.raises(DamagedDatabaseError), job.transaction():
            pass
    finally:
        job.close()
    box.close()
    assert _digest(data_dir / "oma.sqlite3") == before


@pytest.mark.usefixtures("casa_admin")
def test_writes_wait_for_the_check_then_go_ahead(
        qtbot: QtBot, ctx: AppContext, window: MainWindow) -> None:
    start_verification(window, ctx)
    with pytest.raises(StoreError, match="se está verificando"):
        update_casa(ctx.session, "CV2", name="Casa Vecinal Dos")
    qtbot.waitUntil(lambda: ctx.session.store.writes_held is None, timeout=10_000)
    update_casa(ctx.session, "CV2", name="Casa Vecinal Dos")
    assert window.findChild(QMessageBox, "damaged_database_message") is None
