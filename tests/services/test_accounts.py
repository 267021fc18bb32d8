"""Accounts and encryption at rest: logging in unwraps the database key; a plain folder is
converted once; administrators create, reset and deactivate accounts; headquarters can
recover a casa's key."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from oma_desktop.core import driver
from oma_desktop.core.errors import PermissionDeniedError, ValidationError
from oma_desktop.core.keyring import (
    Keyring,
    LoginError,
    LoginLockedError,
    PasswordRuleError,
    new_database_key,
)
from oma_desktop.paths import DataPaths
from oma_desktop.services.accounts import (
    Credentials,
    LoginRequiredError,
    change_own_password,
    create_account,
    keyring_path,
    list_accounts,
    reset_password,
    set_account_active,
)
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person

PASSWORD = "casa vecinal segura 2026"
ADMIN = Credentials("admin", PASSWORD)


def _register(ctx: AppContext, name: str = "Yusmary") -> str:
    return register_person(ctx.session, PersonInput(
        given_names=name, paternal_surname="Quispe", sex="F", nationality="VE",
        consent_register=True, documents=[DocumentInput("CE", "001234567")]))


def _unreadable_without_key(path: Path) -> None:
    assert driver.is_encrypted_file(path)
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.close()


def test_a_new_folder_is_encrypted_and_its_first_account_is_the_administrator(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "datos"
    ctx = open_context(folder, credentials=ADMIN)
    try:
        assert ctx.actor.role == "admin_casa" and ctx.vault is not None
        assert ctx.key is not None and ctx.session.store.key == ctx.key
        background = ctx.open_session()  # a job's connection gets the same key
        assert background.store.scalar("SELECT count(*) FROM casa") == 7  # six and HQ
        background.close()
    finally:
        ctx.close()
    _unreadable_without_key(folder / "oma.sqlite3")
    with pytest.raises(LoginRequiredError, match="inicie sesión"):
        open_context(folder)
    with pytest.raises(LoginError, match="no es correcta"):
        open_context(folder, credentials=Credentials("admin", "otra clave cualquiera"))
    with pytest.raises(LoginError, match="no es correcta"):
        open_context(folder, credentials=Credentials("nadie", PASSWORD))
    again = open_context(folder, credentials=Credentials(" ADMIN ", PASSWORD))
    assert again.actor.user_id == ctx.actor.user_id
    again.close()


def test_a_weak_first_password_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(PasswordRuleError, match="al menos 10 caracteres"):
        open_context(tmp_path / "d", credentials=Credentials("admin", "corta"))
    assert not (tmp_path / "d" / "keys.json").exists()
    assert not (tmp_path / "d" / "oma.sqlite3").exists()


def test_a_plain_folder_is_converted_once_with_an_encrypted_backup_first(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "datos"
    plain = open_context(folder)
    pid = _register(plain)
    plain.close()
    old_backup = DataPaths(folder).backups / "oma-v5-20261201-080000.sqlite3"
    conn = driver.connect(folder / "oma.sqlite3")
    driver.backup(conn, old_backup)  # a plain backup made before encryption
    conn.close()

    ctx = open_context(folder, credentials=ADMIN)
    try:
        assert ctx.session.store.get("person", pid)["given_names"] == "Yusmary"
    finally:
        ctx.close()
    _unreadable_without_key(folder / "oma.sqlite3")
    backups = sorted(DataPaths(folder).backups.glob("*.sqlite3"))
    assert [b.name.startswith("oma-antes-de-cifrar-") for b in backups].count(True) == 1
    for backup in backups:  # none is left readable
        _unreadable_without_key(backup)
        assert b"Yusmary" not in backup.read_bytes()
    assert not list(folder.glob("*.encrypted")) and not list(folder.glob("*-wal"))
    assert b"Yusmary" not in b"".join(p.read_bytes() for p in folder.glob("oma.sqlite3*"))
    ctx = open_context(folder, credentials=ADMIN)  # once: the second opening just unlocks
    ctx.close()
    assert len(list(DataPaths(folder).backups.glob("oma-antes-de-cifrar-*"))) == 1


def test_a_conversion_cut_off_after_the_key_file_is_finished_at_the_next_login(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "datos"
    plain = open_context(folder)
    pid = _register(plain)
    admin_id = plain.actor.user_id
    plain.close()
    Keyring.create(keyring_path(DataPaths(folder)), new_database_key(), "admin", admin_id,
                   PASSWORD)  # the key file was written, then the PC went off
    ctx = open_context(folder, credentials=ADMIN)
    try:
        assert ctx.session.store.get("person", pid) is not None
    finally:
        ctx.close()
    _unreadable_without_key(folder / "oma.sqlite3")


def test_administrators_manage_accounts_and_a_reset_password_must_be_changed(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "datos"
    ctx = open_context(folder, credentials=ADMIN)
    assert ctx.vault is not None
    try:
        ana = create_account(ctx.session, ctx.vault, "Ana.Quispe", "Ana Quispe",
                             "coordinacion", "primera clave de ana")
        with pytest.raises(ValidationError) as taken:
            create_account(ctx.session, ctx.vault, "ana.quispe", "Otra", "recepcion",
                           "otra clave larga 1")
        assert "ya está en uso" in taken.value.fields["username"]
        with pytest.raises(ValidationError) as weak:
            create_account(ctx.session, ctx.vault, "luis", "Luis", "recepcion", "1234")
        assert "al menos 10 caracteres" in weak.value.fields["password"]
        names = {a.username: a for a in list_accounts(ctx.session, ctx.vault)}
        assert names["ana.quispe"].must_change_password and names["ana.quispe"].can_log_in
        assert not names["recepcion.cv1"].can_log_in  # seeded, no password yet
    finally:
        ctx.close()

    first = open_context(folder, credentials=Credentials("ana.quispe", "primera clave de ana"))
    assert first.must_change_password and first.actor.role == "coordinacion"
    assert first.vault is not None
    with pytest.raises(PermissionDeniedError):
        reset_password(first.session, first.vault, ctx.actor.user_id, "tomada por ana 1")
    change_own_password(first.session, first.vault, "primera clave de ana", "la clave de ana 2026")
    first.close()
    second = open_context(folder, credentials=Credentials("ana.quispe", "la clave de ana 2026"))
    assert not second.must_change_password
    second.close()

    ctx = open_context(folder, credentials=ADMIN)
    assert ctx.vault is not None
    try:
        reset_password(ctx.session, ctx.vault, ana, "olvidada y nueva 1")
        set_account_active(ctx.session, ctx.vault, ana, False)
    finally:
        ctx.close()
    with pytest.raises(LoginError):
        open_context(folder, credentials=Credentials("ana.quispe", "olvidada y nueva 1"))


def test_failed_attempts_make_the_account_wait(tmp_path: Path) -> None:
    folder = tmp_path / "datos"
    open_context(folder, credentials=ADMIN).close()
    for _i in range(4):
        with pytest.raises(LoginError) as info:
            open_context(folder, credentials=Credentials("admin", "equivocada 123"))
        assert not isinstance(info.value, LoginLockedError)
    with pytest.raises(LoginLockedError, match="Espere 30 segundos") as locked:
        open_context(folder, credentials=Credentials("admin", "equivocada 123"))
    assert locked.value.wait_s == 30
    with pytest.raises(LoginLockedError):  # even the right password waits
        open_context(folder, credentials=ADMIN)


def test_headquarters_recovers_a_casa_key_sealed_to_its_public_key(tmp_path: Path) -> None:
    from pyrage import x25519

    hq = x25519.Identity.generate()
    folder = tmp_path / "datos"
    ctx = open_context(folder, credentials=ADMIN)
    assert ctx.vault is not None
    with ctx.session.store.transaction(ctx.user_id) as tx:
        pid = tx.create("person", {"given_names": "Yusmary", "created_at": "2026-12-02"})
    ctx.vault.keyring.seal_recovery(ctx.vault.key, [str(hq.to_public())], "sede central")
    ctx.close()
    ring = Keyring.load(keyring_path(DataPaths(folder)))
    key = ring.recover(str(hq))
    conn = driver.connect(folder / "oma.sqlite3", key)
    assert conn.execute("SELECT given_names FROM person WHERE id = ?", [pid]).fetchone()[0] == (
        "Yusmary")
    conn.close()
    with pytest.raises(Exception, match="otra clave de la sede central"):
        ring.recover(str(x25519.Identity.generate()))


def test_sign_ins_and_the_failed_attempts_before_them_are_in_the_audit_log(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "datos"
    open_context(folder, credentials=ADMIN).close()
    for _i in range(2):
        with pytest.raises(LoginError):
            open_context(folder, credentials=Credentials("admin", "equivocada 123"))
    ctx = open_context(folder, credentials=ADMIN)
    try:
        rows = ctx.session.store.rows(
            "SELECT action, user_id, detail FROM audit_entry ORDER BY rowid")
    finally:
        ctx.close()
    assert [r["action"] for r in rows] == ["login", "login_failed", "login"]
    assert {r["user_id"] for r in rows} == {ctx.actor.user_id}
    assert rows[1]["detail"].startswith("2 intentos fallidos")
