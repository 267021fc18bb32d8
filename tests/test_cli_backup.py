"""``oma-desktop backup`` and ``oma-desktop restore``: the file written, the numbered list,
the confirmation, and a Spanish reason with a non-zero exit on failure."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from oma_desktop.cli import main
from oma_desktop.services.accounts import ADMIN_USERNAME, PASSWORD_ENV, Credentials
from oma_desktop.services.context import AppContext, open_context


def open_folder(data_dir: Path) -> AppContext:
    """The folder as the commands open it: ``--user admin`` with ``OMA_PASSWORD``."""
    return open_context(data_dir, credentials=Credentials(
        ADMIN_USERNAME, os.environ[PASSWORD_ENV]))


@pytest.fixture
def folder(data_dir: Path) -> Path:
    """An encrypted data folder (the administrator may back up and restore) with Ana."""
    add_person(data_dir, "Ana")
    return data_dir


def add_person(data_dir: Path, name: str) -> None:
    ctx = open_folder(data_dir)
    try:
        with ctx.session.transaction() as tx:
            tx.create("person", {"given_names": name, "created_at": "2026-12-01T10:00:00"})
    finally:
        ctx.close()


def names(data_dir: Path) -> set[str]:
    ctx = open_folder(data_dir)
    try:
        return {str(r["given_names"])
                for r in ctx.session.store.rows("SELECT given_names FROM person")}
    finally:
        ctx.close()


def backup(folder: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Path:
    assert main(["--data-dir", str(folder), "backup", *extra]) == 0
    out = capsys.readouterr().out
    match = re.search(r"Copia de seguridad guardada y verificada: (\S+)", out)
    assert match, out
    return Path(match[1])


def test_backup_prints_the_verified_file_and_out_chooses_the_folder(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = backup(folder, capsys)
    assert written.parent == folder / "backups" and written.name.endswith("-manual.sqlite3")
    assert written.is_file() and written.with_suffix(".json").is_file()
    elsewhere = backup(folder, capsys, "--out", str(tmp_path / "usb"))
    assert elsewhere.parent == tmp_path / "usb" and elsewhere.is_file()


def test_restore_lists_numbers_asks_for_yes_and_restores(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(folder), "restore"]) == 0
    assert "No hay copias de seguridad" in capsys.readouterr().out
    written = backup(folder, capsys)
    add_person(folder, "Luis")

    assert main(["--data-dir", str(folder), "restore"]) == 0
    listing = capsys.readouterr().out
    assert re.search(r"^\s+1\s+\d\d/\d\d/\d{4} \d\d:\d\d\s+hecha a mano\s+.*verificada\s+"
                     + re.escape(str(written)), listing, re.M), listing
    assert "oma-desktop restore NÚMERO --yes" in listing

    assert main(["--data-dir", str(folder), "restore", "1"]) == 1
    assert "Agregue --yes para confirmar" in capsys.readouterr().err
    assert names(folder) == {"Ana", "Luis"}

    assert main(["--data-dir", str(folder), "restore", "1", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Se restauró la base de datos desde la copia" in out
    assert "antes-de-restaurar" in out
    assert names(folder) == {"Ana"}

    assert main(["--data-dir", str(folder), "restore"]) == 0
    listing = capsys.readouterr().out
    assert re.search(r"^\s+1\s.*antes de restaurar", listing, re.M), listing
    assert re.search(r"^\s+2\s.*hecha a mano", listing, re.M), listing


def test_restore_by_file_name(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    written = backup(folder, capsys)
    add_person(folder, "Luis")
    assert main(["--data-dir", str(folder), "restore", str(written), "--yes"]) == 0
    assert names(folder) == {"Ana"}


def test_restore_failures_exit_non_zero_with_a_spanish_reason(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup(folder, capsys)
    assert main(["--data-dir", str(folder), "restore", "7", "--yes"]) == 1
    assert "No hay copia de seguridad con el número 7" in capsys.readouterr().err
    assert main(["--data-dir", str(folder), "restore", str(tmp_path / "no.sqlite3"),
                 "--yes"]) == 2
    assert "no existe" in capsys.readouterr().err
    held = open_folder(folder)  # the app is open on the folder
    try:
        assert main(["--data-dir", str(folder), "restore", "1", "--yes"]) == 2
        assert "ya está en uso" in capsys.readouterr().err
    finally:
        held.close()
    assert names(folder) == {"Ana"}


def test_a_wrong_password_restores_nothing(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    backup(folder, capsys)
    add_person(folder, "Luis")
    good = os.environ[PASSWORD_ENV]
    monkeypatch.setenv(PASSWORD_ENV, "otra clave cualquiera")
    assert main(["--data-dir", str(folder), "restore", "1", "--yes"]) == 2
    assert capsys.readouterr().err.startswith("Error: ")
    monkeypatch.setenv(PASSWORD_ENV, good)
    assert names(folder) == {"Ana", "Luis"}
