"""The crash tests' fork server, started once for the whole directory."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.crash.crashkit import CrashServer, build_shim

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("SIGKILL and fork are POSIX", allow_module_level=True)


_SERVERS: list[CrashServer] = []


@pytest.fixture(scope="session")
def crash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrashServer]:
    shim = build_shim(tmp_path_factory.mktemp("shim"))
    server = CrashServer(shim, dict(os.environ))
    _SERVERS.append(server)
    yield server
    server.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line per operation: how many kills of each kind, out of how many points."""
    for server in _SERVERS:
        for op, (stmt, vm, io) in sorted(server.sizes.items()):
            kills = {mode: server.kills[op, mode] for mode in ("stmt", "vm", "io")}
            if sum(kills.values()):
                terminalreporter.write_line(
                    f"crash {op}: killed at {kills['stmt']} of {stmt} statements, "
                    f"{kills['vm']} of {vm} progress calls, {kills['io']} of {io} file writes")


@pytest.fixture
def io_server(crash_server: CrashServer) -> CrashServer:
    """The server, for tests that kill between file writes (they need the C shim)."""
    if not crash_server.has_io:
        pytest.skip("no C compiler to build the io shim (tests/crash/killer.c)")
    return crash_server


@pytest.fixture(scope="session")
def crash_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the killed databases live: in memory (tmpfs) when the machine has one.

    A SIGKILL leaves the page cache as it was, so tmpfs shows the same states as a disk,
    without paying synchronous=FULL's flushes a few hundred times."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        root = Path(tempfile.mkdtemp(prefix="oma-crash-", dir=shm))
        yield root
        shutil.rmtree(root, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("crash")


@pytest.fixture
def crash_dir(crash_root: Path, request: pytest.FixtureRequest) -> Path:
    """A folder of its own for one test, under :func:`crash_root`."""
    folder = crash_root / re.sub(r"\W+", "_", request.node.name)
    folder.mkdir()
    return folder
