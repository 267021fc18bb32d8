"""Two writers at once: a second program on the same data folder is refused (in Spanish,
naming the first), and two connections of one program saving at the same time lose no
update."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from oma_desktop.core import driver
from oma_desktop.services.context import open_context
from oma_desktop.services.persons import PersonInput, load_person, register_person, update_person
from oma_desktop.services.session import Session
from tests.crash.crashkit import examine

TODAY = dt.date(2026, 11, 27)
ENV = {**os.environ, "OMA_LANG": "es"}

_SAVER = textwrap.dedent("""
    import datetime as dt, sys
    from oma_desktop import i18n
    from oma_desktop.core.folder_lock import FolderInUseError
    from oma_desktop.services.context import open_context
    from oma_desktop.services.persons import PersonInput, register_person

    def save(session, name):
        register_person(session, PersonInput(
            given_names=name, paternal_surname="Proceso", sex="F",
            birth_date=dt.date(1990, 1, 1), nationality="VE", consent_register=True),
            dt.date(2026, 11, 27))

    i18n.setup("es")
    folder, name, program = sys.argv[1:4]
    try:
        ctx = open_context(folder, program=program)
    except FolderInUseError as exc:
        print(exc, file=sys.stderr)
        sys.exit(2)
    try:
        save(ctx.session, name + " 1")
        print("SAVED", flush=True)
        if sys.stdin.readline().strip() == "MORE":  # the test says when to go on
            save(ctx.session, name + " 2")
    finally:
        ctx.close()
""")


def _saver(folder: Path, name: str, program: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _SAVER, str(folder), name, program],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)


def test_a_second_program_saving_on_the_same_folder_is_refused_in_spanish(
    crash_dir: Path,
) -> None:
    folder = crash_dir / "datos"
    open_context(folder).close()
    first = _saver(folder, "Primera", "la ventana de OMA Desktop de la prueba")
    try:
        assert first.stdout is not None and first.stderr is not None
        line = first.stdout.readline().strip()
        assert line == "SAVED", line or first.stderr.read()
        second = _saver(folder, "Segunda", "otra ventana")
        out, err = second.communicate("MORE\n", timeout=60)
        assert second.returncode == 2, (out, err)
        assert "ya está en uso por la ventana de OMA Desktop de la prueba" in err
        assert f"proceso {first.pid}" in err and "cierre ese programa" in err
        _out, first_err = first.communicate("MORE\n", timeout=60)
        assert first.returncode == 0, first_err
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    # the first saved both of its persons, the refused one nothing; then it may go on
    again = _saver(folder, "Segunda", "otra ventana")
    out, err = again.communicate("\n", timeout=60)
    assert again.returncode == 0, err
    result = examine(folder / "oma.sqlite3")
    assert result.problems == [] and result.failed == {}
    conn = driver.connect(folder / "oma.sqlite3")
    try:
        names = [r[0] for r in conn.execute("SELECT given_names FROM person ORDER BY 1")]
    finally:
        conn.close()
    assert names == ["Primera 1", "Primera 2", "Segunda 1"]


def _person(ctx: object, name: str) -> str:
    return register_person(ctx.session, PersonInput(  # type: ignore[attr-defined]
        given_names=name, paternal_surname="Hilo", sex="M", birth_date=dt.date(1985, 5, 5),
        nationality="VE", consent_register=True, notes="0"), TODAY)


def test_two_connections_saving_at_once_lose_no_update(crash_dir: Path) -> None:
    """Two sessions of one program (the window and a background job) each add one to a
    counter, reading it inside their own transaction, and the second starts its save
    while the first is in the middle of its own (after reading, before writing): the
    second waits its turn and reads what the first wrote, so no addition is lost and the
    change log folds to the same total. Ten rounds, each session leading in turn."""
    ctx = open_context(crash_dir / "datos")
    other = ctx.open_session()
    try:
        person_id = _person(ctx, "Contador")

        def add(session: Session) -> None:
            with session.transaction() as tx:
                row = session.store.get("person", person_id)
                tx.update("person", person_id, {"notes": str(int(row["notes"]) + 1)})

        for n in range(10):
            first, second = (ctx.session, other) if n % 2 == 0 else (other, ctx.session)
            trying = threading.Event()  # the second session has started its BEGIN
            second.store.conn.set_trace_callback(
                lambda sql, trying=trying: trying.set() if sql.startswith("BEGIN") else None)
            failures: list[BaseException] = []

            def run_second(second: Session = second, failures: list[BaseException] = failures,
                           ) -> None:
                try:
                    add(second)
                except BaseException as exc:
                    failures.append(exc)

            with first.transaction() as tx:
                row = first.store.get("person", person_id)
                waiting = threading.Thread(target=run_second)
                waiting.start()
                assert trying.wait(timeout=30)  # it waits for this transaction's lock now
                tx.update("person", person_id, {"notes": str(int(row["notes"]) + 1)})
            waiting.join(timeout=60)
            second.store.conn.set_trace_callback(None)
            assert failures == []
            assert ctx.session.store.get("person", person_id)["notes"] == str(2 * (n + 1))
        updates = ctx.session.store.scalar(
            "SELECT count(*) FROM change_log WHERE entity_id = ? AND kind = 'update'", [person_id])
        assert updates == 20
    finally:
        other.close()
        ctx.close()
    result = examine(crash_dir / "datos" / "oma.sqlite3")
    assert result.problems == [] and result.failed == {}


def test_two_forms_of_one_person_saved_one_after_the_other_lose_no_change(
    crash_dir: Path,
) -> None:
    ctx = open_context(crash_dir / "datos")
    other = ctx.open_session()
    try:
        person_id = _person(ctx, "Dos formularios")
        first = load_person(ctx.session, person_id, TODAY)
        second = load_person(other, person_id, TODAY)
        first.phone = "922 222 222"
        update_person(ctx.session, person_id, first, TODAY)
        second.zone = "Zona 9"
        update_person(other, person_id, second, TODAY)
        row = ctx.session.store.get("person", person_id)
        assert (row["phone"], row["zone"]) == ("922 222 222", "Zona 9")
    finally:
        other.close()
        ctx.close()

