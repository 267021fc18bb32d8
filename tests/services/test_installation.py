"""An installation's identity is written once; its casa changes only by an explicit action."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from acting import act_as, login

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.seed import reception_user_id
from oma_desktop.core.store import Writer
from oma_desktop.services.casas import update_casa
from oma_desktop.services.context import open_context
from oma_desktop.services.installation import InstallationMismatchError, change_casa


def test_a_new_folder_gets_its_identity_in_one_go(data_dir: Path) -> None:
    ctx = open_context(data_dir, casa="CV3")
    store = ctx.session.store
    try:
        assert store.casa_id == "CV3" and store.mode == "casa" and store.installation_id
        record = store.get("installation", store.installation_id)
        assert record["casa_id"] == "CV3" and record["mode"] == "casa"
        ops = store.operations(store.installation_id)
        assert [(op.kind, op.casa, op.installation) for op in ops] == [
            ("create", "CV3", store.installation_id)]
        assert ctx.actor.user_id == reception_user_id("CV3")
        assert ctx.actor.casa_id == "CV3" and ctx.actor.role == "recepcion"
        # no casa or account is authored by this installation: they are seeded
        authored = {op.entity for op in store.operations()
                    if op.installation == store.installation_id}
        assert authored == {"installation"}
    finally:
        ctx.close()


def test_a_crash_while_writing_the_identity_leaves_nothing(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> str:
        raise OSError("corte de luz")

    monkeypatch.setattr(Writer, "create", boom)
    with pytest.raises(OSError):
        open_context(data_dir, casa="CV2")
    monkeypatch.undo()
    ctx = open_context(data_dir, casa="CV4")  # nothing of the first attempt remains
    try:
        assert ctx.session.store.casa_id == "CV4"
        assert ctx.session.store.scalar("SELECT count(*) FROM installation") == 1
    finally:
        ctx.close()


def test_another_casa_on_an_existing_folder_is_refused(data_dir: Path) -> None:
    open_context(data_dir, casa="CV1").close()
    with pytest.raises(InstallationMismatchError) as err:
        open_context(data_dir, casa="CV2")
    message = str(err.value)
    assert "pertenece a la casa CV1" in message and "set-casa CV2" in message
    with pytest.raises(InstallationMismatchError, match="instalación de tipo casa"):
        open_context(data_dir, mode="hq")
    ctx = open_context(data_dir, casa="CV1")
    try:
        assert ctx.session.store.casa_id == "CV1"
    finally:
        ctx.close()


@pytest.mark.parametrize("code", ["cv2", "CV9", "", "CV 2"])
def test_an_unknown_casa_is_refused_before_anything_is_written(
        tmp_path: Path, code: str) -> None:
    folder = tmp_path / "nueva"
    with pytest.raises(ValidationError) as err:
        open_context(folder, casa=code)
    assert "No existe la casa" in str(err.value) and "CV1, CV2" in str(err.value)
    assert not folder.exists()


def test_changing_casa_is_explicit_and_logged(data_dir: Path) -> None:
    ctx = act_as(open_context(data_dir, casa="CV1"), "admin_casa")
    try:
        store = ctx.session.store
        with pytest.raises(ValidationError):
            change_casa(ctx.session, "CV5", reason="  ")
        assert change_casa(ctx.session, "CV5", reason="La PC se trasladó") == {
            "casa_id": "CV5", "note": "La PC se trasladó"}
        move = store.operations(store.installation_id)[-1]
        assert move.casa == "CV1" and move.kind == "update"  # authored where it was
        assert store.casa_id == "CV5"
        update_casa(ctx.session, "CV5", name="Casa Vecinal Cinco")
        assert store.operations("CV5")[-1].casa == "CV5"
    finally:
        ctx.close()
    ctx = open_context(data_dir, casa="CV5")
    ctx.close()


def test_two_data_folders_agree_on_a_casa_renamed_before_the_second_was_installed(
        tmp_path: Path) -> None:
    first = act_as(open_context(tmp_path / "cv1", casa="CV1"), "admin_casa")
    update_casa(first.session, "CV2", name="Casa Vecinal Cercado Norte")
    second = open_context(tmp_path / "cv2", casa="CV2")  # installed later
    try:
        a, b = first.session.store, second.session.store
        b.apply(a.operations())
        a.apply(b.operations())
        assert a.get("casa", "CV2")["name"] == b.get("casa", "CV2")["name"] == (
            "Casa Vecinal Cercado Norte")
        assert a.rows("SELECT * FROM casa ORDER BY id") == b.rows("SELECT * FROM casa ORDER BY id")
    finally:
        first.close()
        second.close()


def test_cli_refuses_an_unknown_casa_in_spanish(tmp_path: Path) -> None:
    folder = tmp_path / "datos"
    result = subprocess.run(
        [sys.executable, "-m", "oma_desktop", "--data-dir", str(folder), "--casa", "cv2",
         "check"],
        capture_output=True, text=True, timeout=60, env={**os.environ, "OMA_LANG": "es"},
    )
    assert result.returncode == 2
    assert "No existe la casa «cv2»" in result.stderr
    assert not folder.exists()


def test_cli_set_casa_moves_the_installation(tmp_path: Path) -> None:
    folder = tmp_path / "datos"
    open_context(folder, casa="CV1").close()
    run = [sys.executable, "-m", "oma_desktop", "--data-dir", str(folder)]
    env = {**os.environ, "OMA_LANG": "es"}
    refused = subprocess.run([*run, "set-casa", "CV9", "--reason", "x"],
                             capture_output=True, text=True, timeout=60, env=env)
    assert refused.returncode == 2 and "No existe la casa «CV9»" in refused.stderr
    moved = subprocess.run([*run, "set-casa", "CV2", "--reason", "traslado"],
                           capture_output=True, text=True, timeout=60, env=env)
    assert moved.returncode == 0, moved.stderr
    assert "pasó de la casa CV1 a la casa CV2" in moved.stdout
    ctx = login(folder, casa="CV2")  # the folder is CV2's now (and encrypted, by the command)
    ctx.close()
