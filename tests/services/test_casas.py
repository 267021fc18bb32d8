"""Casa names are configurable, logged, and validated in Spanish."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from acting import grant_role

from oma_desktop.core.errors import ValidationError
from oma_desktop.services.casas import list_casas, update_casa
from oma_desktop.services.context import AppContext


@pytest.mark.usefixtures("casa_admin")
def test_six_casas_seeded_and_renamed(ctx: AppContext) -> None:
    assert [c["id"] for c in list_casas(ctx.session)] == [f"CV{i}" for i in range(1, 7)]
    changed = update_casa(ctx.session, "CV2", name="Casa Vecinal Monserrate",
                          address="Jr. Ejemplo 123")
    assert changed == {"name": "Casa Vecinal Monserrate", "address": "Jr. Ejemplo 123"}
    op = ctx.session.store.one("SELECT kind FROM change_log WHERE entity = 'casa' AND entity_id = 'CV2'"
                       " ORDER BY rowid DESC")
    assert op is not None and op["kind"] == "update"


@pytest.mark.usefixtures("casa_admin")
def test_bad_casa_input(ctx: AppContext) -> None:
    with pytest.raises(ValidationError) as err:
        update_casa(ctx.session, "CV9", name="X")
    assert "No existe la casa CV9" in err.value.fields["code"]
    with pytest.raises(ValidationError) as err:
        update_casa(ctx.session, "CV1", name="  ")
    assert "nombre de la casa" in err.value.fields["name"]


def test_cli(tmp_path: Path) -> None:
    grant_role(tmp_path, "admin_casa")  # naming a casa is for its administration (issue #9)
    run = [sys.executable, "-m", "oma_desktop", "--data-dir", str(tmp_path), "casa"]
    done = subprocess.run([*run, "CV3", "--name", "Casa Vecinal Barrios Altos"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "CV3  Casa Vecinal Barrios Altos" in done.stdout
    assert "* CV1" in done.stdout
    done = subprocess.run([*run, "CV7", "--name", "X"], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "No existe la casa CV7" in done.stderr
