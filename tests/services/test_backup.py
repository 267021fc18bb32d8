"""Backups and restore on real files: written through the backup API and verified, damage
found, rotation by date, restore (also over a damaged database), full and read-only disks.

Every test runs on a plain and on an encrypted database (``mode``)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from acting import act_as

from oma_desktop.core.actor import Actor
from oma_desktop.core.errors import (
    DamagedDatabaseError,
    DiskFullError,
    PermissionDeniedError,
    ReadOnlyError,
)
from oma_desktop.core.folder_lock import FolderInUseError
from oma_desktop.core.store import open_store
from oma_desktop.paths import DataPaths
from oma_desktop.services.accounts import ADMIN_USERNAME, PASSWORD_ENV, Credentials
from oma_desktop.services.backup import (
    BackupError,
    BackupInfo,
    Reason,
    daily_backup_if_due,
    integrity_problems,
    kept_by_policy,
    list_backups,
    make_backup,
    restore,
    rotate,
    set_backup_folder,
    verify_backup,
)
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.session import Session

NOW = dt.datetime(2026, 12, 2, 9, 14, 5)


@pytest.fixture(params=["plain", "encrypted"])
def mode(request: pytest.FixtureRequest) -> str:
    """A plain database (the tests of unrelated features) or an encrypted one (opened with
    the administrator's password; its key travels to every backup and restore)."""
    return str(request.param)


def open_folder(data_dir: Path, mode: str) -> AppContext:
    if mode == "plain":
        return open_context(data_dir)
    return open_context(data_dir, credentials=Credentials(
        ADMIN_USERNAME, os.environ[PASSWORD_ENV]))


@pytest.fixture
def ctx(data_dir: Path, mode: str) -> Iterator[AppContext]:
    """The app's context as someone who may back up and import (coordinación on a plain
    folder; the administrator, administración de casa, on an encrypted one)."""
    context = open_folder(data_dir, mode)
    if mode == "plain":
        act_as(context, "coordinacion")
    assert (context.key is None) == (mode == "plain")
    yield context
    context.close()


@pytest.fixture
def key(ctx: AppContext) -> bytes | None:
    return ctx.key


def as_role(session: Session, role: str) -> Session:
    return replace(session, actor=Actor(session.actor.user_id, role, "CV1"))


def add_persons(ctx: AppContext, *names: str) -> None:
    with ctx.session.transaction() as tx:
        for name in names:
            tx.create("person", {"given_names": name, "paternal_surname": "Prueba",
                                 "created_at": "2026-12-01T10:00:00"})


def names_in(path: Path, key: bytes | None) -> set[str]:
    store = open_store(path, key=key, create=False)
    try:
        return {str(r["given_names"]) for r in store.rows("SELECT given_names FROM person")}
    finally:
        store.close()


def damage(path: Path) -> None:
    """Overwrite bytes in the middle of the file, as a failing disk would."""
    size = path.stat().st_size
    page = 4096
    middle = (size // page // 2) * page
    with open(path, "r+b") as handle:
        handle.seek(middle)
        handle.write(b"\xff" * (page * 2))


def test_a_backup_is_written_through_the_backup_api_verified_and_listed(
    ctx: AppContext, key: bytes | None
) -> None:
    add_persons(ctx, "Ana", "Luis")
    info = make_backup(ctx, Reason.MANUAL, now=NOW)
    assert info.path == ctx.paths.backups / "oma-20261202-091405-manual.sqlite3"
    assert info.verified is True and info.reason is Reason.MANUAL
    assert info.size == info.path.stat().st_size > 0
    note = json.loads(info.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert note["reason"] == "manual" and note["verified"] is True and note["size"] == info.size
    assert names_in(info.path, key) == {"Ana", "Luis"}
    assert integrity_problems(info.path, key) == []
    assert list_backups(ctx.session) == [info]
    assert list_backups(ctx.paths, key=key) == [info]
    assert info.describe() == "02/12/2026 09:14 — hecha a mano"
    # no stray files: no .part, no -wal/-shm left by the verification; an encrypted
    # folder's key file is kept beside its backups
    assert sorted(p.name for p in ctx.paths.backups.iterdir()) == [
        *(["keys.json"] if key is not None else []),
        "oma-20261202-091405-manual.json", "oma-20261202-091405-manual.sqlite3"]


def test_reception_may_not_make_a_backup_by_hand_but_gets_the_automatic_ones(
    ctx: AppContext,
) -> None:
    desk = as_role(ctx.session, "recepcion")
    with pytest.raises(PermissionDeniedError) as err:
        make_backup(desk, Reason.MANUAL, now=NOW)
    assert "hacer una copia de seguridad" in str(err.value)
    with pytest.raises(PermissionDeniedError):
        set_backup_folder(desk, ctx.paths.root / "otra")
    assert list(ctx.paths.backups.iterdir()) == []
    assert daily_backup_if_due(desk, now=NOW) is not None


def test_two_backups_in_the_same_second_get_two_names(ctx: AppContext) -> None:
    first = make_backup(ctx, Reason.MANUAL, now=NOW)
    second = make_backup(ctx, Reason.MANUAL, now=NOW)
    assert second.path.name == "oma-20261202-091405-manual-2.sqlite3"
    assert {b.path for b in list_backups(ctx.session)} == {first.path, second.path}


def test_a_background_job_backs_up_through_its_own_session(
    ctx: AppContext, key: bytes | None
) -> None:
    add_persons(ctx, "Ana")
    job = ctx.open_session()
    try:
        info = make_backup(job, Reason.MANUAL, now=NOW)
    finally:
        job.close()
    assert info.verified is True and info.path.parent == ctx.paths.backups
    assert names_in(info.path, key) == {"Ana"}


def test_a_backup_damaged_on_disk_is_found_and_listed_as_not_verified(
    ctx: AppContext, key: bytes | None
) -> None:
    add_persons(ctx, *[f"Persona {n}" for n in range(400)])
    good = make_backup(ctx, Reason.MANUAL, now=NOW)
    bad = make_backup(ctx, Reason.DAILY, now=NOW + dt.timedelta(hours=1))
    size = bad.path.stat().st_size
    damage(bad.path)
    assert bad.path.stat().st_size == size  # same size: only the contents tell
    assert integrity_problems(bad.path, key) != []
    listed = {b.path: b.verified for b in list_backups(ctx.session)}
    assert listed == {good.path: True, bad.path: False}


def test_a_copy_that_fails_verification_is_deleted_with_a_spanish_error(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oma_desktop.services import backup as backup_module

    monkeypatch.setattr(backup_module, "integrity_problems",
                        lambda _path, _key: ["*** in database main *** Page 7: btreeInitPage() "
                                             "returns error code 11"])
    with pytest.raises(BackupError) as err:
        make_backup(ctx, Reason.MANUAL, now=NOW)
    assert "no se pudo verificar" in str(err.value)
    assert list(ctx.paths.backups.iterdir()) == []


def _fake(folder: Path, when: dt.datetime, reason: Reason, good: bool = True) -> Path:
    """A file named like a backup, with its note (rotation reads only names and notes)."""
    path = folder / f"oma-{when:%Y%m%d-%H%M%S}-{reason.value}.sqlite3"
    path.write_bytes(b"x" * 10)
    path.with_suffix(".json").write_text(json.dumps(
        {"reason": reason.value, "size": 10, "verified": good, "sha256": ""}), encoding="utf-8")
    return path


def test_rotation_keeps_seven_days_four_weeks_twelve_months_and_ten_events(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    day = dt.datetime(2025, 10, 1, 8, 30)
    while day <= NOW:
        _fake(folder, day, Reason.DAILY)
        day += dt.timedelta(days=1)
    for n in range(12):
        _fake(folder, dt.datetime(2026, 11, 1 + n, 15, 0), Reason.BEFORE_IMPORT)
    (folder / "notas.txt").write_text("not a backup", encoding="utf-8")
    deleted = rotate(folder, now=NOW)
    kept = sorted(p.name for p in folder.glob("*.sqlite3"))
    days = ["20261126", "20261127", "20261128", "20261129", "20261130", "20261201", "20261202"]
    weeks = ["20261122", "20261115"]  # Sundays: the newest copy of ISO weeks 47 and 46
    months = ["20261031", "20260930", "20260831", "20260731", "20260630", "20260531",
              "20260430", "20260331", "20260228", "20260131"]  # with 02/12 and 30/11: 12
    expected_daily = sorted(f"oma-{d}-083000-diaria.sqlite3" for d in days + weeks + months)
    expected_events = sorted(f"oma-202611{d:02d}-150000-antes-de-importar.sqlite3"
                             for d in range(3, 13))
    assert kept == sorted(expected_daily + expected_events)
    assert len(deleted) == (NOW.date() - dt.date(2025, 10, 1)).days + 1 + 12 - len(kept)
    assert (folder / "notas.txt").exists()
    assert not (folder / "oma-20261101-150000-antes-de-importar.json").exists()


def test_rotation_removes_the_note_of_a_backup_killed_before_its_copy(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    old = folder / "oma-20261120-080000-diaria.json"  # reserved, then the program was killed
    new = folder / "oma-20261202-091400-manual.json"  # reserved by a backup being made now
    for note in (old, new):
        note.write_text("", encoding="utf-8")
    os.utime(old, (NOW.timestamp() - 12 * 86_400,) * 2)
    os.utime(new, (NOW.timestamp() - 5,) * 2)
    kept = _fake(folder, dt.datetime(2026, 11, 20, 8, 0), Reason.MANUAL)
    os.utime(kept.with_suffix(".json"), (NOW.timestamp() - 12 * 86_400,) * 2)
    rotate(folder, now=NOW)
    assert sorted(p.name for p in folder.iterdir()) == [
        "oma-20261120-080000-manual.json", "oma-20261120-080000-manual.sqlite3",
        "oma-20261202-091400-manual.json"]


def test_rotation_never_deletes_the_only_good_backup(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    only_good = _fake(folder, dt.datetime(2026, 10, 1, 8, 0), Reason.BEFORE_IMPORT)
    for n in range(10):
        _fake(folder, dt.datetime(2026, 11, 1 + n, 8, 0), Reason.MANUAL, good=False)
    rotate(folder, now=NOW)
    assert only_good.exists()
    assert len(list(folder.glob("*.sqlite3"))) == 11
    _fake(folder, dt.datetime(2026, 11, 20, 8, 0), Reason.MANUAL, good=True)
    rotate(folder, now=NOW)
    assert not only_good.exists()  # a newer good one exists: the policy applies again


def test_the_policy_of_a_short_history_keeps_everything() -> None:
    infos = [BackupInfo(Path(f"/b/{n}"), NOW - dt.timedelta(days=n), Reason.DAILY, 1, True)
             for n in range(5)]
    assert kept_by_policy(infos) == {i.path for i in infos}


def test_migration_backups_of_the_store_are_listed_and_rotated(ctx: AppContext) -> None:
    migration = ctx.paths.backups / "oma-v3-20261130-080000.sqlite3"
    migration.write_bytes(b"SQLite format 3\x00")
    listed = list_backups(ctx.session)
    assert [(b.path, b.reason, b.verified) for b in listed] == [
        (migration, Reason.BEFORE_MIGRATION, None)]
    assert listed[0].reason.label == "antes de actualizar el programa"


def test_a_copy_made_elsewhere_is_checked_with_verify_backup(
    ctx: AppContext, key: bytes | None
) -> None:
    add_persons(ctx, *[f"Persona {n}" for n in range(400)])
    info = make_backup(ctx, Reason.MANUAL, now=NOW)
    encrypted_before = ctx.paths.backups / "oma-antes-de-cifrar-20261201-080000.sqlite3"
    info.path.with_suffix(".json").unlink()
    os.replace(info.path, encrypted_before)  # as if written by the conversion
    assert [(b.reason, b.verified) for b in list_backups(ctx.session)] == [
        (Reason.BEFORE_ENCRYPTION, None)]
    assert verify_backup(encrypted_before, key) is True
    assert [b.verified for b in list_backups(ctx.session)] == [True]
    damage(encrypted_before)
    assert verify_backup(encrypted_before, key) is False
    assert [b.verified for b in list_backups(ctx.session)] == [False]


def test_the_daily_backup_is_made_once_per_calendar_day(ctx: AppContext) -> None:
    first = daily_backup_if_due(ctx.session, now=NOW)
    assert first is not None and first.reason is Reason.DAILY
    assert daily_backup_if_due(ctx.session, now=NOW + dt.timedelta(hours=8)) is None
    make_backup(ctx, Reason.MANUAL, now=NOW + dt.timedelta(days=1, hours=-9))
    nextday = daily_backup_if_due(ctx.session,
                                  now=NOW + dt.timedelta(days=1, hours=-9, minutes=1))
    assert nextday is not None and nextday.created.date() == dt.date(2026, 12, 3)
    assert [b.reason for b in list_backups(ctx.session)] == [
        Reason.DAILY, Reason.MANUAL, Reason.DAILY]


def test_no_daily_backup_while_writes_are_held(ctx: AppContext) -> None:
    ctx.hold_writes(DamagedDatabaseError("dañada"))
    assert daily_backup_if_due(ctx.session, now=NOW) is None
    ctx.release_writes()
    assert daily_backup_if_due(ctx.session, now=NOW) is not None


def test_a_configured_folder_receives_the_backups(ctx: AppContext, tmp_path: Path) -> None:
    other = tmp_path / "usb" / "copias"
    assert set_backup_folder(ctx.session, other) == other.resolve()
    info = make_backup(ctx, Reason.MANUAL, now=NOW)
    assert info.path.parent == other.resolve()
    assert list_backups(ctx.paths, key=ctx.key) == [info]  # found without a session too
    assert set_backup_folder(ctx.session, None) == ctx.paths.backups
    assert make_backup(ctx, Reason.MANUAL, now=NOW).path.parent == ctx.paths.backups


def test_a_folder_that_cannot_be_written_is_refused_in_spanish(
    ctx: AppContext, tmp_path: Path
) -> None:
    blocker = tmp_path / "un-archivo"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(BackupError) as err:
        set_backup_folder(ctx.session, blocker / "copias")
    assert "Elija otra carpeta" in str(err.value)


def test_restore_brings_back_the_old_data_and_keeps_a_copy_of_the_current(
    ctx: AppContext, data_dir: Path, key: bytes | None, mode: str
) -> None:
    add_persons(ctx, "Ana")
    old = make_backup(ctx, Reason.MANUAL, now=NOW)
    add_persons(ctx, "Luis")
    with pytest.raises(FolderInUseError):  # the app still has the folder open
        restore(old, ctx.paths, key)
    ctx.close()
    steps: list[str] = []
    report = restore(old, DataPaths(data_dir), key, now=NOW + dt.timedelta(hours=1),
                     progress=lambda _d, _t, label: steps.append(label))
    assert len(steps) == 5
    assert report.restored == old.path and report.damaged_kept is None
    assert report.persons == 1 and report.backup_created == NOW
    assert report.safety_copy is not None
    assert report.safety_copy.name == "oma-20261202-101405-antes-de-restaurar.sqlite3"
    assert names_in(report.safety_copy, key) == {"Ana", "Luis"}
    assert names_in(data_dir / "oma.sqlite3", key) == {"Ana"}
    assert sorted(p.name for p in data_dir.iterdir() if p.name.startswith("oma.sqlite3")) == [
        "oma.sqlite3"]
    listed = list_backups(DataPaths(data_dir), key=key)
    assert [(b.reason, b.verified) for b in listed] == [
        (Reason.BEFORE_RESTORE, True), (Reason.MANUAL, True)]
    again = open_folder(data_dir, mode)  # the app opens the restored database
    try:
        add_persons(again, "Rosa")
        assert names_in(data_dir / "oma.sqlite3", key) == {"Ana", "Rosa"}
    finally:
        again.close()
    assert "Se restauró la base de datos" in report.summary_lines()[0]


def test_only_the_administrators_may_restore(ctx: AppContext, data_dir: Path) -> None:
    old = make_backup(ctx, Reason.DAILY, now=NOW)
    ctx.close()
    before = (data_dir / "oma.sqlite3").read_bytes()
    for role in ("recepcion", "coordinacion", "analista"):
        with pytest.raises(PermissionDeniedError) as err:
            restore(old, DataPaths(data_dir), ctx.key, role=role)
        assert "no le permite restaurar una copia de seguridad" in str(err.value)
    assert (data_dir / "oma.sqlite3").read_bytes() == before
    report = restore(old, DataPaths(data_dir), ctx.key, role="admin_casa")
    assert report.safety_copy is not None


@pytest.mark.parametrize("how", ["garbage header", "middle"])
def test_a_damaged_database_can_still_be_restored(
    ctx: AppContext, data_dir: Path, key: bytes | None, how: str
) -> None:
    add_persons(ctx, *[f"Persona {n}" for n in range(400)])
    good = make_backup(ctx, Reason.DAILY, now=NOW)
    ctx.close()
    live = data_dir / "oma.sqlite3"
    if how == "garbage header":
        with open(live, "r+b") as handle:
            handle.write(os.urandom(100))
    else:
        damage(live)
    assert integrity_problems(live, key) != []
    report = restore(good.path, DataPaths(data_dir), key, now=NOW + dt.timedelta(hours=2))
    assert report.safety_copy is None
    assert report.damaged_kept == data_dir / "oma-danada-20261202-111405.sqlite3"
    assert report.damaged_kept.exists()
    assert integrity_problems(live, key) == []
    assert len(names_in(live, key)) == 400
    assert any("dañada" in line for line in report.summary_lines())


def test_a_damaged_backup_is_not_restored_and_nothing_changes(
    ctx: AppContext, data_dir: Path, key: bytes | None
) -> None:
    add_persons(ctx, *[f"Persona {n}" for n in range(400)])
    bad = make_backup(ctx, Reason.MANUAL, now=NOW)
    add_persons(ctx, "Luis")
    ctx.close()
    damage(bad.path)
    before = (data_dir / "oma.sqlite3").read_bytes()
    with pytest.raises((BackupError, DamagedDatabaseError)) as err:
        restore(bad.path, DataPaths(data_dir), key)
    assert "dañad" in str(err.value)
    assert (data_dir / "oma.sqlite3").read_bytes() == before
    assert sorted(p.name for p in data_dir.iterdir() if p.name.startswith("oma.sqlite3")) == [
        "oma.sqlite3"]
    assert [b.reason for b in list_backups(DataPaths(data_dir), key=key)] == [Reason.MANUAL]


# ------------------------------------------------------------------ full and read-only disks


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB file system (tmpfs), so writing a backup fills it."""
    mount = tmp_path / "disco"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root on Linux)")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_says_so_in_spanish_and_leaves_no_partial_file(
    ctx: AppContext, tiny_disk: Path
) -> None:
    add_persons(ctx, *[f"Persona {n}" for n in range(2000)])
    with pytest.raises(DiskFullError) as err:
        make_backup(ctx, Reason.MANUAL, folder=tiny_disk, now=NOW)
    assert "está lleno" in str(err.value) and "Libere espacio" in str(err.value)
    assert list(tiny_disk.iterdir()) == []


def test_a_read_only_backup_folder_says_so_in_spanish_and_leaves_nothing(
    ctx: AppContext, read_only_folder: Path
) -> None:
    with pytest.raises(ReadOnlyError) as err:
        make_backup(ctx, Reason.MANUAL, folder=read_only_folder, now=NOW)
    assert "solo lectura" in str(err.value)
    assert list(read_only_folder.iterdir()) == []


# ------------------------------------------------------------------ before every import


def test_an_import_backs_the_database_up_first(ctx: AppContext) -> None:
    from oma_desktop.services.importer import Table, commit_import, guess_mapping, plan_import

    add_persons(ctx, "Ana")
    headers = ["Nombres", "Apellidos", "Sexo", "Fecha de nacimiento", "Nacionalidad"]
    table = Table(headers=headers, rows=[["Luis", "Rivas Mora", "M", "15/06/2001", "VE"]])
    plan = plan_import(ctx.session, table, guess_mapping(headers), consent_confirmed=True,
                       today=dt.date(2026, 12, 2), source="lista.csv")
    commit_import(ctx.session, plan)
    listed = list_backups(ctx.session)
    assert [(b.reason, b.verified) for b in listed] == [(Reason.BEFORE_IMPORT, True)]
    assert names_in(listed[0].path, ctx.key) == {"Ana"}  # taken before the rows were written
