"""Shared test setup: headless Qt, Spanish UI, every path in a temporary folder."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_SCALE_FACTOR", "1")
# a new folder opened without a casa is CV1's in the tests only (set here, not in a fixture,
# so module-scoped fixtures and the commands tests run as processes get it too); a real
# installation names its casa in the first-run assistant or ``setup`` (issue #12), which
# tests/services/test_first_run.py and tests/ui/test_primer_inicio.py check without it
os.environ["OMA_NEW_FOLDER_CASA"] = "CV1"

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

# the password of every test's accounts (OMA_PASSWORD below); login() opens a folder as an
# account, desk_accounts() prepares one with admin and coordinacion (see tests/acting.py)
from acting import TEST_PASSWORD, desk_accounts, login  # noqa: F401

from oma_desktop import i18n


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """No test may touch the real home, data or config folders."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("OMA_DATA_DIR", str(home / "oma-data"))
    monkeypatch.delenv("OMA_LANG", raising=False)
    # the account commands log in with (``--user admin``): a CLI test creates the folder's
    # key file with it, or converts the test's plain folder once
    monkeypatch.setenv("OMA_PASSWORD", TEST_PASSWORD)
    i18n.setup("es")
    yield
    i18n.setup("es")


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody may write in: a read-only mount for root, permissions otherwise
    (the backup and the report exports are refused there in Spanish)."""
    folder = tmp_path / "solo-lectura"
    folder.mkdir()
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs",
                               str(folder)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip("running as root without mount: permissions would not stop root")
        yield folder
        subprocess.run(["umount", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "datos"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:  # noqa: F821
    from oma_desktop.core.store import open_store

    s = open_store(tmp_path / "oma.sqlite3")
    s.set_meta("installation_id", "inst-test")
    s.set_meta("casa_id", "CV1")
    yield s
    s.close()


@pytest.fixture
def desk_folder(data_dir: Path) -> Path:
    """``data_dir`` encrypted, with the accounts ``admin`` (administración de casa) and
    ``coordinacion`` (coordinación), both with TEST_PASSWORD: for CLI commands that need a
    desk role, run with ``--user coordinacion``; open it with ``login(data_dir, user)``."""
    return desk_accounts(data_dir)


@pytest.fixture
def ctx(data_dir: Path):
    from oma_desktop.services.context import open_context

    context = open_context(data_dir)
    yield context
    context.close()


# --- roles (issue #9): the seeded account is recepción; see tests/acting.py -----------------


@pytest.fixture
def coordinator(ctx):
    """``ctx`` acting as coordinación."""
    from acting import act_as

    return act_as(ctx, "coordinacion")


@pytest.fixture
def casa_admin(ctx):
    """``ctx`` acting as administración de casa."""
    from acting import act_as

    return act_as(ctx, "admin_casa")


# --- the demo the report, map and diagnostics tests count over --------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo data folder of the test module's own (150 persons, seed 5, its data up to
    reporting_helpers.DEMO_TODAY): the module may add to it without touching another's."""
    from reporting_helpers import DEMO_TODAY

    from oma_desktop.services.demo import build_demo

    folder = tmp_path_factory.mktemp("demo") / "datos"
    build_demo(folder, persons=150, seed=5, today=DEMO_TODAY)
    return folder
