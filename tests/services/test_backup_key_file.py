"""The key file kept beside the backups: an encrypted backup opens even when the data
folder, and its keys.json, are lost."""

from __future__ import annotations

import shutil
from pathlib import Path

from acting import TEST_PASSWORD, login

from oma_desktop.paths import DataPaths
from oma_desktop.services.accounts import KEYRING_NAME, Credentials
from oma_desktop.services.backup import Reason, keep_key_file, make_backup
from oma_desktop.services.context import open_context


def test_each_backup_keeps_the_key_file_and_a_lost_folder_comes_back_from_them(
        tmp_path: Path) -> None:
    folder = tmp_path / "datos"
    ctx = login(folder)
    try:
        with ctx.session.transaction() as tx:
            tx.create("person", {"given_names": "Rosa", "created_at": "2026-12-01T09:00:00"})
        info = make_backup(ctx, Reason.MANUAL)
    finally:
        ctx.close()
    kept = info.path.parent / KEYRING_NAME
    assert kept.read_bytes() == (folder / KEYRING_NAME).read_bytes()

    # the PC is lost: only the backups folder survives (on a USB stick, say)
    rescued = tmp_path / "rescatada"
    rescued.mkdir()
    shutil.copy(info.path, DataPaths(rescued).database)
    shutil.copy(kept, rescued / KEYRING_NAME)
    shutil.rmtree(folder)
    ctx = open_context(rescued, credentials=Credentials("admin", TEST_PASSWORD))
    try:
        assert [r["given_names"] for r in ctx.session.store.rows(
            "SELECT given_names FROM person")] == ["Rosa"]
    finally:
        ctx.close()


def test_the_copy_follows_the_key_file_and_nothing_is_copied_without_one(
        tmp_path: Path) -> None:
    paths = DataPaths(tmp_path / "datos")
    paths.root.mkdir()
    backups = tmp_path / "copias"
    backups.mkdir()
    assert keep_key_file(paths, backups) is None and not list(backups.iterdir())
    (paths.root / KEYRING_NAME).write_text('{"v": 1}', encoding="utf-8")
    assert keep_key_file(paths, backups) == backups / KEYRING_NAME
    (paths.root / KEYRING_NAME).write_text('{"v": 2}', encoding="utf-8")
    keep_key_file(paths, backups)
    assert (backups / KEYRING_NAME).read_text(encoding="utf-8") == '{"v": 2}'
    assert [p.name for p in backups.iterdir()] == [KEYRING_NAME]  # no temporary left
