"""One writer per data folder: a second program is refused politely, naming the holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from acting import act_as

from oma_desktop.core.folder_lock import FolderInUseError
from oma_desktop.services.context import open_context

ENV = {**os.environ, "OMA_LANG": "es"}


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oma_desktop", "--data-dir", str(folder), *args],
                          capture_output=True, text=True, timeout=60, env={**os.environ, **ENV})


def test_a_second_opening_is_refused_naming_the_holder(data_dir: Path) -> None:
    first = open_context(data_dir, program="la ventana de prueba")
    try:
        with pytest.raises(FolderInUseError) as err:
            open_context(data_dir)
        message = str(err.value)
        assert "ya está en uso por la ventana de prueba" in message
        assert f"proceso {os.getpid()}" in message and "desde el " in message
        assert "cierre ese programa" in message
    finally:
        first.close()
    open_context(data_dir).close()  # released on close


def test_the_cli_is_refused_while_the_app_holds_the_folder(data_dir: Path) -> None:
    ctx = act_as(open_context(data_dir, program="la ventana de OMA Desktop"), "admin_casa")
    try:
        result = _cli(data_dir, "casa", "CV2", "--name", "Otra")
        assert result.returncode == 2
        assert "ya está en uso por la ventana de OMA Desktop" in result.stderr
        assert ctx.session.store.get("casa", "CV2")["name"] == "Casa Vecinal 2"  # untouched
    finally:
        ctx.close()
    assert _cli(data_dir, "casa", "CV2", "--name", "Otra").returncode == 0


def test_a_killed_holder_leaves_no_stale_lock(data_dir: Path) -> None:
    open_context(data_dir).close()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from oma_desktop.services.context import open_context
        ctx = open_context({str(data_dir)!r}, program="un programa que se colgará")
        print("HELD", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "HELD"
        refused = _cli(data_dir, "check")
        assert refused.returncode == 2 and "un programa que se colgará" in refused.stderr
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert _cli(data_dir, "check").returncode == 0


def test_the_window_is_refused_while_a_command_holds_the_folder(data_dir: Path) -> None:
    ctx = open_context(data_dir, program="el comando «oma-desktop import-persons»")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "oma_desktop", "--data-dir", str(data_dir), "--smoke-test"],
            capture_output=True, text=True, timeout=60,
            env={**ENV, "QT_QPA_PLATFORM": "offscreen"})
    finally:
        ctx.close()
    assert result.returncode == 2
    assert "ya está en uso por el comando «oma-desktop import-persons»" in result.stderr


def test_a_database_locked_by_an_outside_program_is_said_in_spanish(data_dir: Path) -> None:
    """A backup or database tool holding the file: the GUI's short wait, then a message.

    (The outside connection uses the same SQLite library as the app, sqlcipher3: two
    copies of SQLite in one process do not see each other's POSIX locks.)"""
    import sqlcipher3.dbapi2 as sqlite3

    from oma_desktop.core.errors import DatabaseLockedError
    from oma_desktop.services.casas import update_casa
    from oma_desktop.ui.app import GUI_BUSY_TIMEOUT_MS

    ctx = act_as(open_context(data_dir, busy_timeout_ms=GUI_BUSY_TIMEOUT_MS), "admin_casa")
    outside = sqlite3.connect(data_dir / "oma.sqlite3", isolation_level=None)
    try:
        assert ctx.session.store.scalar("PRAGMA busy_timeout") == GUI_BUSY_TIMEOUT_MS
        outside.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DatabaseLockedError) as err:
            update_casa(ctx.session, "CV2", name="Otra")
        assert "Otro programa está usando la base de datos" in str(err.value)
        outside.execute("ROLLBACK")
        update_casa(ctx.session, "CV2", name="Otra")  # and it goes through afterwards
    finally:
        outside.close()
        ctx.close()
