"""Headquarters' import of casa files killed (SIGKILL) at any point, and run on a full disk.

The fork server of tests/crash (runner.py, with the ``killer`` io shim when a C compiler
is there) runs one more operation, ``sync_import``: open headquarters' database and
``import_export`` two casas' files, one transaction each. The child kills itself at the
k-th SQL statement, SQLite progress call or file write. After each kill the database
passes SQLite's and the app's checks and holds none of the files, the first whole, or both
whole (never part of one); a second, uncut run then imports what is missing and ends in the
state of an uncut run ("ya importado" for a file the killed run had committed).

A full disk at headquarters importing a casa's file, or at a casa importing the reference
file (a small tmpfs; needs root, skipped otherwise, as in tests/services/test_backup.py),
refuses the import in Spanish, leaves the database byte-for-byte as it was, and once space
is freed the same file imports whole.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oma_desktop.core.errors import OmaError
from oma_desktop.core.store import Store, open_store
from oma_desktop.sync import exchange as ex
from oma_desktop.sync.keys import PublicKeys
from tests.crash.crashkit import (
    MODES,
    CrashServer,
    Run,
    build_shim,
    commits,
    committed,
    examine,
    fresh_copy,
    io_done,
    kill_points,
    snapshot,
    state_of,
    total_points,
)

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("SIGKILL and fork are POSIX", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
POINTS = {"stmt": 3, "vm": 3, "io": 4}
CASAS = {"CV1": ("inst-cv1", "AAA"), "CV2": ("inst-cv2", "BBB")}


# --------------------------------------------------------------------- the server's operation


def op_sync_import(params: dict[str, Any], hooks: Any) -> None:
    """Open headquarters' database and import the files, in order (runs in the child)."""
    from tests.crash.runner import _hook_new_connections

    files = [(Path(f).name, Path(f).read_bytes()) for f in params["files"]]
    _hook_new_connections(hooks)
    hooks.start()
    store = open_store(params["path"], create=False)
    try:
        for name, data in files:
            ex.import_export(store, data, name)
    finally:
        store.close()


_BOOT = """
import sys
sys.path.insert(0, {root!r})
from tests.crash import runner
from tests.sync import test_sync_crash
runner.OPERATIONS["sync_import"] = test_sync_crash.op_sync_import
runner.main()
"""


def start_server(folder: Path) -> CrashServer:
    """tests/crash's fork server (its own class and runner) with ``sync_import`` added to
    the runner's operations: the server is started through a boot script that registers it."""
    from tests.crash import crashkit

    boot = folder / "sync_runner.py"
    boot.write_text(_BOOT.format(root=str(ROOT)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(crashkit, "RUNNER", boot)
        patch.chdir(ROOT)
        return CrashServer(build_shim(folder), dict(os.environ))


@pytest.fixture(scope="module")
def root() -> Iterator[Path]:
    """Where the killed databases live: tmpfs when the machine has one (see
    tests/crash/conftest.py: a SIGKILL leaves the page cache as a disk would)."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    folder = Path(tempfile.mkdtemp(prefix="oma-sync-crash-", dir=base))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def server(root: Path) -> Iterator[CrashServer]:
    started = start_server(root)
    yield started
    started.close()


def _configure(store: Store, casa: str, installation: str, mode: str) -> Store:
    store.set_meta("installation_id", installation)
    store.set_meta("casa_id", casa)
    store.set_meta("mode", mode)
    return store


def build_world(folder: Path, persons: int) -> tuple[Path, list[Path]]:
    """``folder/hq``: headquarters with CV1 and CV2 registered, nothing imported; and one
    file of each casa (``persons`` persons, each edited once), already exported."""
    hq_dir = folder / "hq"
    hq_dir.mkdir(parents=True)
    hq = _configure(open_store(hq_dir / "oma.sqlite3"), "CV1", "inst-hq", "hq")
    ex.ensure_own_keys(hq)
    hq_file = ex.own_public_keys(hq, "").to_file(ex.own_keys(hq)).decode()
    files = []
    for casa, (installation, station) in CASAS.items():
        store = _configure(open_store(folder / f"{casa}.sqlite3"), casa, installation, "casa")
        secret = ex.ensure_own_keys(store)
        store.set_meta(ex.HQ_KEYS_META, hq_file)
        ex.register_peer(hq, PublicKeys.from_file(
            ex.own_public_keys(store, station).to_file(secret)))
        with store.transaction("recepcion") as tx:
            ids = [tx.create("person", {"given_names": f"{casa} persona {n}", "sex": "F",
                                        "casa_id": casa, "created_at": "2026-12-01"})
                   for n in range(persons)]
        with store.transaction("coordinacion") as tx:
            for n, pid in enumerate(ids):
                tx.update("person", pid, {"phone": f"9{n:08d}", "zone": f"Zona {n % 7}"})
        path = folder / f"{casa}.omasync"
        path.write_bytes(ex.build_export(store, station).data)
        files.append(path)
        store.close()
    hq.close()
    return hq_dir, files


@pytest.fixture(scope="module")
def world(root: Path) -> tuple[Path, list[Path]]:
    return build_world(root / "world", persons=40)


def durable(run: Run, commit: int, mode: str, at: int) -> bool:
    """Whether a kill at point ``at`` of ``mode`` leaves the transaction ending at mark
    ``commit`` of the counting ``run`` committed.

    Not crashkit's ``committed``: FTS5 writes its pending index data *during* COMMIT
    through statements of its own, which the trace callback reports after the COMMIT (five
    of them here), so "a statement after the COMMIT began" does not mean the commit frame
    is written. With the io shim the truth is the write of that frame (a SIGKILL after it
    keeps the transaction: the page cache stays); for statements and VM steps, whether it
    had happened when the struck statement began."""
    if run.io_points is None:
        return committed(run, commit, mode, at)
    point = commit_frame(run, commit)
    if mode == "io":
        return at > point
    return io_done(run, mode, at) >= point


def commit_frame(run: Run, commit: int) -> int:
    """The io point writing the commit frame of the transaction whose COMMIT is mark
    ``commit``: the last WAL write before the next statement that begins after the
    COMMIT's own writes (crashkit's durable_io_point looks only up to the next traced
    statement, which here is one of FTS5's inside the COMMIT)."""
    assert run.io_points is not None
    start = run.marks[commit][1]
    later = [m[1] for m in run.marks[commit + 1:] if m[1] > start]
    end = later[0] if later else len(run.io_points)
    writes = [i for i in range(start + 1, end + 1)
              if run.io_points[i - 1].startswith("pwrite ")
              and run.io_points[i - 1].endswith("-wal")]
    assert writes, run.io_points[start:end]
    return max(writes)


def around_durable(run: Run, commit: int, mode: str) -> list[int]:
    """The points of ``mode`` on either side of the commit frame's write."""
    if run.io_points is None:
        return []
    point = commit_frame(run, commit)
    if mode == "io":
        return [point - 1, point, point + 1, point + 2]
    first = next((i for i, mark in enumerate(run.marks) if mark[1] >= point), len(run.marks))
    if mode == "stmt":
        # the COMMIT, the statement after it, the last begun before the frame, the first after
        return [commit + 1, commit + 2, first, first + 1]
    # a step in the COMMIT's own FTS5 statements, and either side of the frame's write
    vm_after = run.marks[first][2] if first < len(run.marks) else run.vm
    return [run.marks[commit + 1][2], run.marks[first - 1][2], vm_after, vm_after + 1]


def _params(work: Path, files: list[Path]) -> dict[str, Any]:
    return {"path": str(work / "oma.sqlite3"), "files": [str(f) for f in files]}


@pytest.mark.parametrize("mode", MODES)
def test_an_import_killed_at_any_point_keeps_each_file_whole_or_absent(
    server: CrashServer, world: tuple[Path, list[Path]], root: Path, mode: str,
) -> None:
    if mode == "io" and not server.has_io:
        pytest.skip("no C compiler to build the io shim (tests/crash/killer.c)")
    template, files = world
    work = root / f"work-{mode}"
    fresh_copy(template, work)
    none = snapshot(work / "oma.sqlite3")
    count = server.count("sync_import", _params(work, files[:1]))
    first = snapshot(work / "oma.sqlite3")
    fresh_copy(template, work)
    count = server.count("sync_import", _params(work, files))
    both = snapshot(work / "oma.sqlite3")
    assert len(both["person"]) == len(none["person"]) + 80
    assert len(first["person"]) == len(none["person"]) + 40
    one, two = commits(count)
    states = {"none": none, "first": first, "both": both}
    seen = set()
    also = around_durable(count, one, mode) + around_durable(count, two, mode)
    for k in kill_points(count, mode, POINTS[mode], [], also=also):
        fresh_copy(template, work)
        server.kill("sync_import", _params(work, files), mode, k)
        where = f"killed at {mode} point {k} of {total_points(count, mode)}"
        result = examine(work / "oma.sqlite3")
        assert result.problems == [] and result.failed == {}, where
        expected = ("both" if durable(count, two, mode, k) else
                    "first" if durable(count, one, mode, k) else "none")
        assert state_of(result.state, states) == expected, where
        seen.add(expected)
        # a second run imports what is missing, and says what it already had
        with open_store(work / "oma.sqlite3", create=False) as store:
            reports = [ex.import_export(store, f.read_bytes(), f.name) for f in files]
        assert [r.already_imported for r in reports] == [
            expected in ("first", "both"), expected == "both"], where
        assert snapshot(work / "oma.sqlite3") == both, where
    # after the last commit the import turns foreign keys back on (it applies without
    # them: records may refer to others still on their way), a statement with no VM step:
    # statement and file-write kills land after it, VM kills cannot
    assert seen == ({"none", "first"} if mode == "vm" else {"none", "first", "both"})


# --------------------------------------------------------------------------- a full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 8 MiB file system (tmpfs) (root on Linux only)."""
    mount = tmp_path / "disco"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root on Linux)")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_at_headquarters_loses_nothing(small_disk: Path, tmp_path: Path) -> None:
    template, files = build_world(tmp_path / "world", persons=600)
    database = small_disk / "oma.sqlite3"
    shutil.copyfile(template / "oma.sqlite3", database)
    data = files[0].read_bytes()
    with open_store(database, create=False) as hq:
        hq.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = database.read_bytes()
        filler = small_disk / "relleno"
        free = shutil.disk_usage(small_disk).free
        filler.write_bytes(bytes(max(0, free - 128 * 1024)))  # leave 128 KiB
        with pytest.raises(OmaError) as info:
            ex.import_export(hq, data, "CV1.omasync")
        assert "está lleno" in str(info.value)
        assert hq.scalar("SELECT count(*) FROM sync_file") == 0
        filler.unlink()  # space freed: the failed attempt left no trace
        assert tuple(hq.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()) == (0, 0, 0)
        assert database.read_bytes() == before
        report = ex.import_export(hq, data, "CV1.omasync")
        assert (report.applied, report.already_imported) == (report.op_count, False)
        assert report.op_count == 1200
        assert hq.scalar("SELECT count(*) FROM person WHERE casa_id = 'CV1'") == 600


def test_a_full_disk_at_a_casa_loses_nothing(small_disk: Path, tmp_path: Path) -> None:
    """The other end: a casa importing headquarters' reference file on a full disk."""
    template, _files = build_world(tmp_path / "world", persons=1)
    with open_store(template / "oma.sqlite3", create=False) as hq:
        services = [r["id"] for r in hq.rows("SELECT id FROM service ORDER BY id")]
        with hq.transaction("analista") as tx:
            for n, service in enumerate(services):
                tx.update("service", service, {"hours": f"L-V 8:{n:02d}-13:00"})
        data = ex.build_reference(hq, "CV1").data
    database = small_disk / "oma.sqlite3"
    shutil.copyfile(tmp_path / "world" / "CV1.sqlite3", database)
    with open_store(database, create=False) as casa:
        casa.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = database.read_bytes()
        filler = small_disk / "relleno"
        filler.write_bytes(bytes(max(0, shutil.disk_usage(small_disk).free - 16 * 1024)))
        with pytest.raises(OmaError) as info:
            ex.import_reference(casa, data, "sede.omaref")
        assert "está lleno" in str(info.value)
        filler.unlink()
        assert tuple(casa.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()) == (0, 0, 0)
        assert database.read_bytes() == before
        assert ex.import_reference(casa, data, "sede.omaref").applied == len(services) > 20
        assert casa.get("service", services[7])["hours"] == "L-V 8:07-13:00"
