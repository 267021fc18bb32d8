"""kill -9 in the middle of the sync-ready writes: applying remote operations, a local
transaction and migration 3. SQLite's journal must leave the database as it was before."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from oma_desktop.core.migrations import latest_version
from oma_desktop.core.schema import ENTITY_TABLES
from oma_desktop.core.store import Store, open_store

LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy-v2.sqlite3"

if sys.platform == "win32":  # pragma: no cover
    pytest.skip("SIGKILL is POSIX", allow_module_level=True)


def _killed_midway(script: str) -> None:
    """Run ``script`` in a child; kill -9 it once it prints MIDWAY (it then sleeps)."""
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "MIDWAY", line
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL


def _snapshot(store: Store) -> dict[str, list[dict[str, object]]]:
    tables = {t: store.rows(f"SELECT * FROM {t} ORDER BY id") for t in ENTITY_TABLES}
    tables["change_log"] = store.rows("SELECT * FROM change_log ORDER BY op_id")
    return tables


def _source(path: Path) -> Store:
    src = open_store(path)
    src.set_meta("installation_id", "inst-src")
    src.set_meta("casa_id", "CV1")
    with src.transaction("u") as tx:
        for n in range(300):
            pid = tx.create("person", {"given_names": f"Persona {n}", "created_at": "2026-01-01"})
            tx.update("person", pid, {"phone": f"9{n:08d}"})
    return src


def test_kill_while_applying_remote_operations(tmp_path: Path) -> None:
    _source(tmp_path / "src.sqlite3").close()
    target = open_store(tmp_path / "dst.sqlite3")
    before = _snapshot(target)
    target.close()
    _killed_midway(f"""
        import time
        from oma_desktop.core.store import open_store
        src = open_store({str(tmp_path / "src.sqlite3")!r})
        ops = src.operations()
        dst = open_store({str(tmp_path / "dst.sqlite3")!r})
        def slowly():
            for n, op in enumerate(ops):
                if n == len(ops) // 2:
                    print("MIDWAY", flush=True)
                    time.sleep(60)
                yield op
        dst.apply(slowly())
    """)
    target = open_store(tmp_path / "dst.sqlite3")
    src = open_store(tmp_path / "src.sqlite3")
    try:
        assert _snapshot(target) == before  # nothing half-applied
        assert target.scalar("PRAGMA integrity_check") == "ok"
        target.apply(src.operations())  # and the same file applies whole afterwards
        assert _snapshot(target)["person"] == _snapshot(src)["person"]
    finally:
        target.close()
        src.close()


def test_kill_in_a_local_transaction(tmp_path: Path) -> None:
    path = tmp_path / "oma.sqlite3"
    _source(path).close()
    store = open_store(path)
    before = _snapshot(store)
    store.close()
    _killed_midway(f"""
        import time
        from oma_desktop.core.store import open_store
        s = open_store({str(path)!r})
        with s.transaction("u") as tx:
            for n in range(50):
                tx.create("person", {{"given_names": "Nueva", "created_at": "2026-01-02"}})
            print("MIDWAY", flush=True)
            time.sleep(60)
    """)
    store = open_store(path)
    try:
        assert _snapshot(store) == before
        with store.transaction("u") as tx:  # the sequence goes on without a gap
            tx.create("person", {"given_names": "Después", "created_at": "2026-01-03"})
        seqs = [r["seq"] for r in store.rows(
            "SELECT seq FROM change_log WHERE installation = 'inst-src' ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        store.close()


def test_kill_during_migration_3_leaves_schema_2(tmp_path: Path) -> None:
    path = tmp_path / "oma.sqlite3"
    shutil.copy(LEGACY, path)
    _killed_midway(f"""
        import time
        from oma_desktop.core import migrations as m
        def stuck(conn):
            m._v3_sync_ready(conn)
            print("MIDWAY", flush=True)
            time.sleep(60)
        steps = (*m.MIGRATIONS[:2], m.Migration(3, "stuck", stuck))
        from oma_desktop.core.store import open_store
        open_store({str(path)!r}, migrations=steps)
    """)
    import sqlite3

    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 2
    assert "household_id" in {r[1] for r in raw.execute("PRAGMA table_info(person)")}
    raw.close()
    store = open_store(path)  # the real migrations then run whole
    try:
        assert store.schema_version == latest_version()
        assert store.scalar("SELECT count(*) FROM installation") == 0
        assert store.get("casa", "CV2")["name"] == "Casa Vecinal Cercado Norte"
    finally:
        store.close()


def test_a_full_disk_while_applying_changes_nothing_and_says_so(tmp_path: Path) -> None:
    from oma_desktop.core.errors import DiskFullError

    src = _source(tmp_path / "src.sqlite3")
    target = open_store(tmp_path / "dst.sqlite3")
    try:
        before = _snapshot(target)
        pages = target.scalar("PRAGMA page_count")
        target.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk fills up
        with pytest.raises(DiskFullError) as err:
            target.apply(src.operations())
        assert "lleno" in str(err.value) and "copia de seguridad" not in str(err.value)
        assert _snapshot(target) == before
        target.conn.execute("PRAGMA max_page_count = 1000000")  # space was freed
        target.apply(src.operations())
        assert _snapshot(target)["person"] == _snapshot(src)["person"]
    finally:
        src.close()
        target.close()


def test_two_processes_writing_at_once_keep_the_log_whole(tmp_path: Path) -> None:
    """Two programs on one database: each transaction waits its turn, sequences and clocks
    stay unique, and every record is still the fold of its operations."""
    path = tmp_path / "oma.sqlite3"
    _source(path).close()
    script = textwrap.dedent(f"""
        import sys
        from oma_desktop.core.store import open_store
        s = open_store({str(path)!r})
        for n in range(150):
            with s.transaction(sys.argv[1]) as tx:
                pid = tx.create("person", {{"given_names": sys.argv[1], "created_at": "2026"}})
                tx.update("person", pid, {{"notes": str(n)}})
        s.close()
    """)
    children = [subprocess.Popen([sys.executable, "-c", script, name]) for name in ("a", "b")]
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    from oma_desktop.services.integrity import run_checks

    store = open_store(path)
    try:
        assert [r.key for r in run_checks(store) if not r.ok] == []
        assert store.scalar("SELECT count(*) FROM person WHERE given_names IN ('a', 'b')") == 300
        hlcs = [r[0] for r in store.conn.execute("SELECT hlc FROM change_log")]
        assert len(hlcs) == len(set(hlcs))
    finally:
        store.close()
