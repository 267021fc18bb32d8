"""Integrity checks: a healthy database passes, each kind of damage is named."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from acting import database_key, desk_accounts

from oma_desktop.core.driver import connect
from oma_desktop.core.schema import drop_guard_triggers_sql
from oma_desktop.core.store import open_store
from oma_desktop.services.demo import build_demo
from oma_desktop.services.integrity import CheckResult, run_checks

TODAY = dt.date(2026, 11, 27)
KEYS = ["schema_version", "integrity", "foreign_keys", "guards", "change_log", "sequence", "fold",
        "jobs"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("integridad") / "datos"
    build_demo(folder, persons=60, seed=5, today=TODAY)
    return folder / "oma.sqlite3"


@pytest.fixture
def db_path(template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database (the WAL was checkpointed by the build)."""
    target = tmp_path / "oma.sqlite3"
    source = sqlite3.connect(template)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        source.close()
        dest.close()
    return target


@pytest.fixture
def raw(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that bypasses the store, as damage from outside would."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    yield conn
    conn.close()


def _checks(path: Path, quick: bool = False) -> dict[str, CheckResult]:
    store = open_store(path, create=False)
    try:
        return {r.key: r for r in run_checks(store, quick=quick)}
    finally:
        store.close()


def _failed(results: dict[str, CheckResult]) -> set[str]:
    return {key for key, r in results.items() if not r.ok}


def test_healthy_database_passes(db_path: Path) -> None:
    results = _checks(db_path)
    assert list(results) == KEYS
    assert _failed(results) == set()
    for result in results.values():
        assert result.title and result.detail
    assert _failed(_checks(db_path, quick=True)) == set()


def test_empty_database_passes(tmp_path: Path) -> None:
    store = open_store(tmp_path / "vacia.sqlite3")
    try:
        assert all(r.ok for r in run_checks(store))
    finally:
        store.close()


def test_broken_link_and_missing_guards_are_named(raw: sqlite3.Connection,
                                                   db_path: Path) -> None:
    raw.executescript(drop_guard_triggers_sql("document"))
    doc_id = raw.execute("SELECT id FROM document ORDER BY rowid LIMIT 1").fetchone()[0]
    raw.execute("UPDATE document SET person_id = 'persona-inexistente' WHERE id = ?", [doc_id])
    results = _checks(db_path)
    assert _failed(results) == {"foreign_keys", "guards", "fold"}
    assert f"document {doc_id} → person" in results["foreign_keys"].detail
    assert f"document {doc_id}: person_id" in results["fold"].detail
    assert "document_guard_insert" in results["guards"].detail


def test_unlogged_record_is_named(raw: sqlite3.Connection, db_path: Path) -> None:
    raw.executescript(drop_guard_triggers_sql("document"))
    person_id = raw.execute("SELECT id FROM person LIMIT 1").fetchone()[0]
    raw.execute(
        "INSERT INTO document (id, person_id, doc_type, number) VALUES ('doc-fantasma', ?, 'CE',"
        " '001234567')",
        [person_id],
    )
    # and a logged record whose last operation is claimed by another record
    other = raw.execute("SELECT last_op_id FROM household LIMIT 1").fetchone()[0]
    raw.executescript(drop_guard_triggers_sql("person"))
    raw.execute("UPDATE person SET last_op_id = ? WHERE id = ?", [other, person_id])
    results = _checks(db_path)
    assert _failed(results) == {"change_log", "guards", "fold"}
    assert "document doc-fantasma: id" in results["fold"].detail
    assert f"person {person_id}: last_op_id" in results["fold"].detail
    detail = results["change_log"].detail
    assert "document doc-fantasma" in detail
    assert f"person {person_id}" in detail
    assert detail.startswith("2 ")


def test_values_that_differ_from_their_operations_are_named(raw: sqlite3.Connection,
                                                            db_path: Path) -> None:
    person_id, doc_id = raw.execute(
        "SELECT p.id, d.id FROM person p JOIN document d ON d.person_id = p.id LIMIT 1"
    ).fetchone()
    raw.executescript(drop_guard_triggers_sql("person"))
    raw.execute("UPDATE person SET notes = 'cambiado a mano', phone = '1' WHERE id = ?",
                [person_id])
    # derived columns are not guarded by triggers, but the check recomputes them
    raw.execute("UPDATE document SET number_norm = '999' WHERE id = ?", [doc_id])
    results = _checks(db_path)
    assert _failed(results) == {"guards", "fold"}
    detail = results["fold"].detail
    assert detail.startswith("2 ")
    assert f"person {person_id}: notes, phone" in detail
    assert f"document {doc_id}: number_norm" in detail


def test_gap_in_an_installation_sequence(raw: sqlite3.Connection, db_path: Path) -> None:
    casa, installation, last = raw.execute(
        "SELECT casa, installation, max(seq) FROM change_log WHERE casa = 'CV3'"
        " GROUP BY installation"
    ).fetchone()
    raw.execute(
        "INSERT INTO change_log (op_id, casa, installation, seq, hlc, user_id, entity,"
        " entity_id, kind, fields) VALUES ('op-suelta', ?, ?, ?, 1, 'u', 'person', 'x',"
        " 'update', '{}')",
        [casa, installation, last + 3],
    )
    results = _checks(db_path)
    assert _failed(results) == {"sequence"}
    detail = results["sequence"].detail
    assert "CV3" in detail and installation[:8] in detail
    assert f" {last + 1}" in detail


def test_installation_whose_first_operations_are_missing(raw: sqlite3.Connection,
                                                          db_path: Path) -> None:
    raw.execute(
        "INSERT INTO change_log (op_id, casa, installation, seq, hlc, user_id, entity,"
        " entity_id, kind, fields) VALUES ('op-tardia', 'CV2', 'instalacion-nueva', 5, 1, 'u',"
        " 'person', 'x', 'update', '{}')"
    )
    results = _checks(db_path)
    assert _failed(results) == {"sequence"}
    assert "instalac" in results["sequence"].detail


def test_schema_version_mismatch(db_path: Path) -> None:
    store = open_store(db_path, create=False)
    try:
        store.conn.execute("PRAGMA user_version = 99")
        results = {r.key: r for r in run_checks(store)}
    finally:
        store.close()
    assert _failed(results) == {"schema_version"}
    assert "99" in results["schema_version"].detail


def test_index_out_of_step_with_its_table(raw: sqlite3.Connection, db_path: Path) -> None:
    raw.execute("PRAGMA writable_schema = ON")
    raw.execute(
        "UPDATE sqlite_master SET sql = replace(sql, '(person_id)', '(doc_type)')"
        " WHERE name = 'document_person'"
    )
    raw.execute("PRAGMA writable_schema = OFF")
    raw.close()
    results = _checks(db_path)
    assert "integrity" in _failed(results)
    assert "document_person" in results["integrity"].detail


def test_damaged_pages_are_reported_not_raised(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'consultation'"
    ).fetchone()[0]
    conn.close()
    with db_path.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xa5" * page_size)
    results = _checks(db_path)
    assert list(results) == KEYS
    assert "integrity" in _failed(results)
    assert all(r.detail for r in results.values())


def _cli_check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oma_desktop", "--data-dir", str(folder), "check"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "OMA_LANG": "es"},
    )


def test_cli_check_exit_codes(db_path: Path) -> None:
    folder = db_path.parent
    healthy = _cli_check(folder)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert healthy.stdout.count("[OK ]") == len(KEYS)
    # the command logged in: the database is encrypted now, damaged here with its key
    raw = connect(db_path, database_key(folder))
    try:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.executescript(drop_guard_triggers_sql("consultation"))
        raw.execute("UPDATE consultation SET person_id = 'nadie' WHERE rowid = 1")
    finally:
        raw.close()
    broken = _cli_check(folder)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "[ERROR]" in broken.stdout and "consultation" in broken.stdout



def test_an_interrupted_demo_and_import_are_reported(tmp_path: Path) -> None:
    import signal
    import textwrap

    folder = tmp_path / "demo"
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import datetime as dt, os, signal
        from pathlib import Path
        from oma_desktop.services import demo
        real = demo._write_consultations
        def killed(*args, **kwargs):  # the power goes off after the persons were written
            os.kill(os.getpid(), signal.SIGKILL)
        demo._write_consultations = killed
        demo.build_demo(Path({str(folder)!r}), persons=30, seed=2, today=dt.date(2026, 11, 27))
    """)], env={**os.environ, "OMA_LANG": "es"})
    assert child.wait(timeout=120) == -signal.SIGKILL
    store = open_store(folder / "oma.sqlite3", create=False)
    try:
        from oma_desktop.services.jobs import job_marker

        with pytest.raises(ZeroDivisionError), job_marker(store, "import", "lista.xlsx"):
            1 / 0  # noqa: B018  an all-or-nothing job that fails leaves no mark
        results = {r.key: r for r in run_checks(store)}
    finally:
        store.close()
    assert _failed(results) == {"jobs"}
    detail = results["jobs"].detail
    assert detail.startswith("Los datos de demostración en ") and str(folder) in detail
    assert "quedaron a medias" in detail and "lista.xlsx" not in detail


def test_an_import_cut_off_is_reported_and_saved_nothing(tmp_path: Path) -> None:
    import signal
    import textwrap

    listing = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "atenciones_cv3.csv"
    folder = tmp_path / "datos"
    desk_accounts(folder)  # importing is for coordinación (issue #9)
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import os, signal, sys
        from oma_desktop import cli
        from oma_desktop.core.store import Writer
        real = Writer.create_many
        def killed(self, entity, *args, **kwargs):  # power off while the rows are written
            if entity == "person":
                os.kill(os.getpid(), signal.SIGKILL)
            return real(self, entity, *args, **kwargs)
        Writer.create_many = killed
        sys.exit(cli.main(["--data-dir", {str(folder)!r}, "--user", "coordinacion",
                           "import-persons", {str(listing)!r}, "--consent", "--duplicates",
                           "nuevos"]))
    """)], env={**os.environ, "OMA_LANG": "es"}, stdout=subprocess.DEVNULL)
    assert child.wait(timeout=120) == -signal.SIGKILL
    store = open_store(folder / "oma.sqlite3", key=database_key(folder), create=False)
    try:
        assert store.scalar("SELECT count(*) FROM person") == 0
        results = {r.key: r for r in run_checks(store)}
    finally:
        store.close()
    assert _failed(results) == {"jobs"}
    detail = results["jobs"].detail
    assert detail.startswith("La importación de «") and "atenciones_cv3.csv" in detail
    assert "no se guardó nada de ella" in detail
