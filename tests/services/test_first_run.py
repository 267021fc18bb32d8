"""The first start on a PC (issue #12): services/first_run.py, and the rule that no
installation ever starts as a casa nobody chose."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from oma_desktop.core import driver
from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.paths import DataPaths, chosen_data_dir, config_file, default_data_dir
from oma_desktop.services import first_run
from oma_desktop.services.accounts import Credentials
from oma_desktop.services.backup import backup_folder
from oma_desktop.services.context import open_context
from oma_desktop.services.first_run import (
    FirstRunChoices,
    apply_first_run,
    needs_first_run,
    validate,
)
from oma_desktop.services.installation import NEW_FOLDER_CASA_ENV, NoInstallationError
from oma_desktop.services.status import installation_facts
from oma_desktop.services.sync import HQ_KEY_FILE, hq_fingerprint, own_fingerprint, setup_hq

PASSWORD = "mi casa es su casa 2026"


@pytest.fixture(autouse=True)
def _no_default_casa(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a real PC: nothing says which casa a new folder is."""
    monkeypatch.delenv(NEW_FOLDER_CASA_ENV, raising=False)


def _choices(tmp_path: Path, **changes: object) -> FirstRunChoices:
    base = FirstRunChoices(mode="casa", casa="CV4", username="rosa.huaman",
                           display_name="Rosa Huamán Torres", password=PASSWORD,
                           password_repeat=PASSWORD, data_dir=tmp_path / "datos")
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def hq_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Headquarters' real public key file, made by the sync services."""
    root = tmp_path_factory.mktemp("sede")
    ctx = open_context(root / "datos", mode="hq",
                       credentials=Credentials("admin", "clave de la sede 2026"))
    try:
        return setup_hq(ctx.session, root / "usb").path
    finally:
        ctx.close()


def _entries(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() \
        else []


# --- the rule: never a casa by default -----------------------------------------------------


def test_a_new_folder_without_casa_is_refused_and_nothing_is_made(tmp_path: Path) -> None:
    folder = tmp_path / "nueva"
    with pytest.raises(NoInstallationError) as refused:
        open_context(folder)
    message = str(refused.value)
    assert "asistente" in message and "setup casa" in message and "demo" in message
    assert not folder.exists()
    with pytest.raises(NoInstallationError):
        open_context(folder, credentials=Credentials("admin", PASSWORD))
    assert not folder.exists()  # no key file, no database left without an identity


def test_a_new_folder_gets_the_casa_or_the_mode_it_is_given(tmp_path: Path) -> None:
    ctx = open_context(tmp_path / "cv3", casa="CV3")
    assert (ctx.session.casa_id, ctx.session.store.mode) == ("CV3", "casa")
    ctx.close()
    ctx = open_context(tmp_path / "cv3")  # an existing folder keeps its casa
    assert ctx.session.casa_id == "CV3"
    ctx.close()
    hq = open_context(tmp_path / "sede", mode="hq")
    assert hq.session.store.mode == "hq"
    hq.close()


def test_the_command_line_refuses_an_empty_folder_in_spanish(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != NEW_FOLDER_CASA_ENV}
    result = subprocess.run(
        [sys.executable, "-m", "oma_desktop", "--data-dir", str(tmp_path / "vacia"), "check"],
        capture_output=True, text=True, timeout=120, env=env, check=False)
    assert result.returncode != 0
    assert "nunca elige una casa" in result.stderr and "setup hq" in result.stderr
    assert not (tmp_path / "vacia" / "oma.sqlite3").exists()


# --- needs_first_run --------------------------------------------------------------------------


def test_needs_first_run(tmp_path: Path) -> None:
    folder = tmp_path / "datos"
    assert needs_first_run(folder)
    (folder / "logs").mkdir(parents=True)  # the log of the first start is written first
    assert needs_first_run(folder)
    apply_first_run(_choices(tmp_path)).close()
    assert not needs_first_run(folder)


# --- validation: every message ------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"mode": "oficina"}, "mode", "casa vecinal o de la sede"),
    ({"casa": ""}, "casa", "Elija la Casa Vecinal"),
    ({"casa": "CV9"}, "casa", "No existe la casa «CV9»"),
    ({"username": ""}, "username", "Escriba un nombre de usuario"),
    ({"username": "rosa huaman"}, "username", "sin espacios"),
    ({"display_name": "  "}, "display_name", "Escriba su nombre"),
    ({"password": "corta", "password_repeat": "corta"}, "password", "al menos"),
    ({"password": "rosa.huaman 2026!", "password_repeat": "rosa.huaman 2026!"}, "password",
     "no debe contener el nombre de usuario"),
    ({"password": "aaaaaaaaaaaaaa", "password_repeat": "aaaaaaaaaaaaaa"}, "password",
     "pocos caracteres distintos"),
    ({"password_repeat": "otra cosa 2026"}, "password_repeat", "no son iguales"),
    ({"data_dir": Path("datos")}, "data_dir", "ruta completa"),
    ({"backup_dir": Path("respaldos")}, "backup_dir", "ruta completa"),
    ({"key_out_dir": Path("usb"), "mode": "hq"}, "key_out_dir", "ruta completa"),
])
def test_each_bad_choice_has_its_spanish_message(tmp_path: Path, changes: dict[str, object],
                                                 field: str, words: str) -> None:
    errors = validate(_choices(tmp_path, **changes))
    assert list(errors) == [field]
    assert words in errors[field]


def test_good_choices_have_no_message(tmp_path: Path, hq_key: Path) -> None:
    assert validate(_choices(tmp_path)) == {}
    assert validate(_choices(tmp_path, hq_key_file=hq_key)) == {}
    assert validate(_choices(tmp_path, mode="hq", casa="")) == {}


def test_a_folder_that_already_has_data_is_refused(tmp_path: Path) -> None:
    apply_first_run(_choices(tmp_path)).close()
    errors = validate(_choices(tmp_path))
    assert list(errors) == ["data_dir"] and "ya contiene datos" in errors["data_dir"]


def test_read_only_folders_are_refused(tmp_path: Path, read_only_folder: Path) -> None:
    errors = validate(_choices(tmp_path, data_dir=read_only_folder / "datos",
                               backup_dir=read_only_folder / "respaldos",
                               mode="hq", casa="", key_out_dir=read_only_folder))
    assert set(errors) == {"data_dir", "backup_dir", "key_out_dir"}
    assert "no se puede escribir" in errors["data_dir"]
    assert "no existe, es de solo lectura" in errors["backup_dir"]
    assert "solo lectura" in errors["key_out_dir"]


def test_a_bad_key_file_is_refused(tmp_path: Path, hq_key: Path) -> None:
    bad = tmp_path / "falsa.omakey"
    bad.write_text("esto no es una llave", encoding="utf-8")
    errors = validate(_choices(tmp_path, hq_key_file=bad))
    assert list(errors) == ["hq_key_file"]
    assert "no es un archivo de llave válido" in errors["hq_key_file"]
    assert HQ_KEY_FILE in errors["hq_key_file"]
    missing = validate(_choices(tmp_path, hq_key_file=tmp_path / "no-existe.omakey"))
    assert "no existe" in missing["hq_key_file"]
    # a casa's own key file is not headquarters'
    casa_ctx = apply_first_run(_choices(tmp_path, data_dir=tmp_path / "cv2", casa="CV2",
                                        hq_key_file=hq_key, key_out_dir=tmp_path / "usb2"))
    casa_ctx.close()
    casa_key = next((tmp_path / "usb2").glob("oma-CV2-*.omakey"))
    errors = validate(_choices(tmp_path, hq_key_file=casa_key))
    assert "de una casa, no el de la sede" in errors["hq_key_file"]


def test_bad_choices_raise_before_anything_is_made(tmp_path: Path) -> None:
    choices = _choices(tmp_path, casa="", password_repeat="otra")
    with pytest.raises(ValidationError) as refused:
        apply_first_run(choices)
    assert set(refused.value.fields) == {"casa", "password_repeat"}
    assert not (tmp_path / "datos").exists()


# --- applying --------------------------------------------------------------------------------


def test_a_casa_enrolled_with_a_real_headquarters_key(tmp_path: Path, hq_key: Path) -> None:
    usb = tmp_path / "usb"
    ctx = apply_first_run(_choices(tmp_path, hq_key_file=hq_key, key_out_dir=usb,
                                   backup_dir=tmp_path / "respaldos"))
    try:
        facts = installation_facts(ctx.session)
        assert (facts.casa_id, facts.casa_name, facts.mode) == ("CV4", "Casa Vecinal 4", "casa")
        assert ctx.actor.role == "admin_casa"
        assert ctx.actor.display_name == "Rosa Huamán Torres"
        assert ctx.vault is not None and ctx.vault.username == "rosa.huaman"
        row = ctx.session.store.get("app_user", ctx.user_id)
        assert row is not None and row["display_name"] == "Rosa Huamán Torres"
        assert backup_folder(ctx.session) == (tmp_path / "respaldos").resolve()
        assert hq_fingerprint(ctx.session) is not None
        own = own_fingerprint(ctx.session)
        assert own is not None
        written = list(usb.glob("oma-CV4-*.omakey"))
        assert len(written) == 1
    finally:
        ctx.close()
    folder = tmp_path / "datos"
    assert driver.is_encrypted_file(folder / "oma.sqlite3")  # encrypted from the start
    again = open_context(folder, credentials=Credentials("rosa.huaman", PASSWORD))
    assert again.session.casa_id == "CV4"
    again.close()


def test_a_casa_that_enrols_later(tmp_path: Path) -> None:
    ctx = apply_first_run(_choices(tmp_path, casa="CV6"))
    try:
        assert ctx.session.casa_id == "CV6"
        assert own_fingerprint(ctx.session) is None and hq_fingerprint(ctx.session) is None
        assert backup_folder(ctx.session) == DataPaths(tmp_path / "datos").backups
    finally:
        ctx.close()


def test_headquarters_gets_its_keys_and_public_file(tmp_path: Path) -> None:
    usb = tmp_path / "para-las-casas"
    ctx = apply_first_run(_choices(tmp_path, mode="hq", casa="", key_out_dir=usb))
    try:
        assert ctx.session.store.mode == "hq"
        assert ctx.actor.role == "admin_hq"
        assert own_fingerprint(ctx.session) is not None
    finally:
        ctx.close()
    assert (usb / HQ_KEY_FILE).is_file()
    # the file enrols a casa
    casa = apply_first_run(_choices(tmp_path, data_dir=tmp_path / "cv1", casa="CV1",
                                    hq_key_file=usb / HQ_KEY_FILE))
    casa.close()


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    apply_first_run(_choices(tmp_path), lambda d, t, _label: seen.append((d, t))).close()
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)


def test_another_data_folder_is_remembered(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMA_DATA_DIR")
    chosen = tmp_path / "D" / "oma-datos"
    assert chosen_data_dir() is None
    apply_first_run(_choices(tmp_path, data_dir=chosen)).close()
    assert chosen_data_dir() == chosen and default_data_dir() == chosen
    assert config_file().is_file()
    monkeypatch.setenv("OMA_DATA_DIR", str(tmp_path / "otra"))  # the variable still wins
    assert default_data_dir() == tmp_path / "otra"


# --- all or nothing ---------------------------------------------------------------------------


def test_a_failing_step_leaves_nothing(tmp_path: Path, hq_key: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from oma_desktop.services import sync

    (tmp_path / "datos" / "logs").mkdir(parents=True)  # made before (the log): kept
    (tmp_path / "datos" / "logs" / "oma-desktop.log").write_text("x", encoding="utf-8")
    usb = tmp_path / "usb"

    def broken(*args: object, **kwargs: object) -> object:
        raise sync.SyncError("La memoria USB se retiró.")

    monkeypatch.setattr(sync, "setup_casa", broken)
    with pytest.raises(OmaError, match="La memoria USB se retiró"):
        apply_first_run(_choices(tmp_path, hq_key_file=hq_key, key_out_dir=usb,
                                 backup_dir=tmp_path / "respaldos" / "oma",
                                 data_dir=tmp_path / "datos"))
    assert _entries(tmp_path / "datos") == ["logs", "logs/oma-desktop.log"]
    assert not (tmp_path / "respaldos").exists() and not usb.exists()
    assert needs_first_run(tmp_path / "datos") and config_file().exists() is False
    monkeypatch.undo()
    monkeypatch.delenv(NEW_FOLDER_CASA_ENV, raising=False)
    # the same choices work on the next attempt
    apply_first_run(_choices(tmp_path, hq_key_file=hq_key, key_out_dir=usb)).close()


def test_a_write_error_half_way_leaves_nothing(tmp_path: Path, hq_key: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from oma_desktop.services import backup

    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup, "set_backup_folder", full)
    with pytest.raises(first_run.FirstRunError) as failed:
        apply_first_run(_choices(tmp_path, backup_dir=tmp_path / "respaldos"))
    assert "el disco está lleno" in str(failed.value) and "No quedó nada" in str(failed.value)
    assert not (tmp_path / "datos").exists() and not (tmp_path / "respaldos").exists()


def test_a_read_only_folder_makes_nothing(tmp_path: Path, read_only_folder: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        apply_first_run(_choices(tmp_path, data_dir=read_only_folder / "datos"))
    assert list(refused.value.fields) == ["data_dir"]
    assert list(read_only_folder.iterdir()) == []


def test_a_bad_key_file_makes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "llave.omakey"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(ValidationError) as refused:
        apply_first_run(_choices(tmp_path, hq_key_file=bad))
    assert list(refused.value.fields) == ["hq_key_file"]
    assert not (tmp_path / "datos").exists()


# --- run again by an administrator ----------------------------------------------------------


def test_run_again_changes_only_backups_and_enrolment(tmp_path: Path, hq_key: Path) -> None:
    from oma_desktop.services.first_run import RerunChoices, apply_to_existing

    ctx = apply_first_run(_choices(tmp_path))
    try:
        written = apply_to_existing(ctx, RerunChoices(
            backup_dir=tmp_path / "respaldos", hq_key_file=hq_key,
            key_out_dir=tmp_path / "usb"))
        assert written is not None and written.name.startswith("oma-CV4-")
        assert backup_folder(ctx.session) == (tmp_path / "respaldos").resolve()
        assert hq_fingerprint(ctx.session) is not None
        assert ctx.session.casa_id == "CV4"
        assert first_run.is_administrator(ctx)
    finally:
        ctx.close()


# --- cut off, or two at once ----------------------------------------------------------------

_KILLED_HALF_WAY = r"""
import os, signal, sys
from pathlib import Path
from oma_desktop.services import sync
from oma_desktop.services.first_run import FirstRunChoices, apply_first_run

def killed(*args, **kwargs):  # the database and the key file are made: a power cut now
    os.kill(os.getpid(), signal.SIGKILL)

sync.setup_hq = killed
password = "clave de la primera vez 2026"
apply_first_run(FirstRunChoices(mode="hq", username="primero", display_name="Primero",
                                password=password, password_repeat=password,
                                data_dir=Path(sys.argv[1])))
"""


def test_a_first_run_killed_half_way_is_run_again_on_the_next_start(tmp_path: Path) -> None:
    folder = tmp_path / "datos"
    done = subprocess.run([sys.executable, "-c", _KILLED_HALF_WAY, str(folder)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == -9, done.stderr
    paths = DataPaths(folder)
    assert paths.database.exists() and (folder / first_run.INCOMPLETE_MARKER).exists()
    # the next start shows the assistant again (not a login nobody can pass), which
    # accepts the folder and replaces what was half made
    assert needs_first_run(folder)
    choices = _choices(tmp_path, mode="hq", casa="", data_dir=folder)
    assert validate(choices) == {}
    apply_first_run(choices).close()
    assert not needs_first_run(folder)
    assert not (folder / first_run.INCOMPLETE_MARKER).exists()
    ctx = open_context(folder, credentials=Credentials("rosa.huaman", PASSWORD))
    try:
        assert (ctx.session.casa_id, ctx.session.at_hq) == ("HQ", True)
        assert ctx.session.store.scalar("SELECT count(*) FROM app_user WHERE username = ?",
                                        ["primero"]) == 0
    finally:
        ctx.close()
    with pytest.raises(OmaError):
        open_context(folder, credentials=Credentials("primero", "clave de la primera vez 2026"))


def test_a_second_assistant_on_the_same_folder_is_refused_and_removes_nothing(
    tmp_path: Path,
) -> None:
    from oma_desktop.core.folder_lock import FolderInUseError, FolderLock

    folder = tmp_path / "datos"
    # another assistant is half way through this folder, holding its lock
    other = FolderLock(folder, "el asistente de configuración").acquire()
    try:
        (folder / first_run.INCOMPLETE_MARKER).write_text("x", encoding="utf-8")
        (folder / "keys.json").write_text("{}", encoding="utf-8")
        with pytest.raises(FolderInUseError, match="ya está en uso"):
            apply_first_run(_choices(tmp_path))
        assert sorted(p.name for p in folder.iterdir()) == [
            "keys.json", "oma.lock", first_run.INCOMPLETE_MARKER]
    finally:
        other.release()


def test_a_folder_filled_after_the_checks_is_left_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # two assistants passed their checks on the same empty folder; one finished first
    apply_first_run(_choices(tmp_path)).close()
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "datos").rglob("*") if p.is_file()}
    monkeypatch.setattr(first_run, "validate", lambda *a, **k: {})
    with pytest.raises(first_run.FirstRunError, match="ya contiene datos de OMA Desktop"):
        apply_first_run(_choices(tmp_path, casa="CV2", username="otro.usuario"))
    after = {p: p.stat().st_mtime_ns for p in (tmp_path / "datos").rglob("*") if p.is_file()}
    assert set(after) == set(before)
    ctx = open_context(tmp_path / "datos", credentials=Credentials("rosa.huaman", PASSWORD))
    try:
        assert ctx.session.casa_id == "CV4"
    finally:
        ctx.close()


_KILLED_AFTER_ENROLMENT = r"""
import os, signal, sys
from pathlib import Path
from oma_desktop.services import sync
from oma_desktop.services.first_run import FirstRunChoices, apply_first_run

enrol = sync.setup_casa

def enrol_then_die(*args, **kwargs):  # the casa's key file is on the stick: a power cut now
    enrol(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

sync.setup_casa = enrol_then_die
password = "clave de la primera vez 2026"
apply_first_run(FirstRunChoices(mode="casa", casa="CV4", username="primero",
                                display_name="Primero", password=password,
                                password_repeat=password, data_dir=Path(sys.argv[1]),
                                hq_key_file=Path(sys.argv[2])))
"""


def test_the_key_file_of_a_cut_off_enrolment_leaves_the_stick(
    tmp_path: Path, hq_key: Path,
) -> None:
    import shutil

    usb = tmp_path / "usb"
    usb.mkdir()
    stick_key = Path(shutil.copy(hq_key, usb))
    folder = tmp_path / "datos"
    done = subprocess.run([sys.executable, "-c", _KILLED_AFTER_ENROLMENT, str(folder),
                           str(stick_key)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == -9, done.stderr
    [stale] = sorted(usb.glob("oma-CV4-*.omakey"))
    stale_keys = stale.read_bytes()
    assert needs_first_run(folder)
    apply_first_run(_choices(tmp_path, hq_key_file=stick_key, data_dir=folder)).close()
    [fresh] = sorted(usb.glob("oma-CV4-*.omakey"))  # the PC that was never finished is gone
    assert fresh.read_bytes() != stale_keys
    assert stick_key.exists()  # headquarters' own file stays


def test_a_failure_inside_the_opening_of_the_new_folder_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import errno

    from oma_desktop.services import context

    def full(*args: object, **kwargs: object) -> object:  # the key file is written by now
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(context, "open_store", full)
    with pytest.raises(OmaError, match="está lleno"):
        apply_first_run(_choices(tmp_path))
    assert not (tmp_path / "datos").exists()
