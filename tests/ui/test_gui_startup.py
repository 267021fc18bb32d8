"""Starting the GUI: run_gui's smoke test, start-up errors, and the real command line."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from oma_desktop.core.errors import OmaError
from oma_desktop.services.context import AppContext
from oma_desktop.ui import app as app_module
from oma_desktop.ui.app import WINDOW_SHOWN_MARKER, run_gui


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def test_smoke_test_on_a_fresh_data_folder(qapp: QApplication, data_dir: Path) -> None:
    assert not data_dir.exists()
    assert run_gui(data_dir, smoke_test=True) == 0
    assert (data_dir / "oma.sqlite3").exists()
    assert (data_dir / "settings.ini").exists()
    assert qapp.applicationName() == "OMA Desktop"


def test_smoke_test_reports_a_failing_page(
    qapp: QApplication, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from oma_desktop.ui import main_window
    from oma_desktop.ui import pages as registry

    def broken(ctx: AppContext) -> QWidget:
        raise RuntimeError("página rota")

    pages = list(registry.PAGES)
    pages[2] = dataclasses.replace(pages[2], factory=broken)
    monkeypatch.setattr(main_window, "PAGES", tuple(pages))
    assert run_gui(data_dir, smoke_test=True) == 1
    assert "página rota" in capsys.readouterr().err


def test_startup_error_is_reported_with_exit_code_2(
    qapp: QApplication, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OmaError("La base de datos fue creada por una versión más nueva.")

    monkeypatch.setattr(app_module, "open_context", fail)
    assert run_gui(data_dir, smoke_test=True) == 2
    assert "versión más nueva" in capsys.readouterr().err


def test_command_line_smoke_test(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "oma_desktop", "--data-dir", str(tmp_path / "d"), "--smoke-test"],
        env=_env(), capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "oma.sqlite3").exists()


def test_command_line_exit_after_show_prints_the_marker(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "oma_desktop", "--data-dir", str(tmp_path / "d"),
         "--exit-after-show"],
        env=_env(), capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert WINDOW_SHOWN_MARKER in result.stdout.splitlines()
