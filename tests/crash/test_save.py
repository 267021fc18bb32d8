"""A save killed (SIGKILL, no cleanup) at any point leaves the person whole or absent.

The operation is the person form's save through the services (register_person: the
person, two documents and a household member typed inline, in one transaction; then
update_person: two fields changed, a document replaced), in a child process that kills
itself at the k-th SQL statement, SQLite progress call or file write (see runner.py).
After each kill the database must pass SQLite's checks and the app's (the change log,
the fold of every record), and be exactly one of two states — the one before the save,
or the one a save run to the end leaves — and which one is known from where the kill
fell: before the commit's last WAL frame was written, or after.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from oma_desktop.core import driver
from tests.crash.crashkit import (
    MODES,
    CrashServer,
    Run,
    commits,
    committed,
    examine,
    fresh_copy,
    io_window,
    snapshot,
    spread,
    state_of,
    stmt_window,
    vm_window,
)
from tests.crash.runner import EDITED_PHONE, EDITED_ZONE, PERSON_NAME

TODAY = "2026-11-27"
# points spread over the whole run, per kind (plus those around the commit)
POINTS = {"save": {"stmt": 8, "vm": 6, "io": 10}, "edit": {"stmt": 6, "vm": 4, "io": 6}}


def _fill(session: Any) -> None:
    import datetime as dt

    from oma_desktop.services.persons import PersonInput, register_person

    for n in range(8):
        register_person(session, PersonInput(
            given_names=f"Persona {n}", paternal_surname="Antes", sex="F" if n % 2 else "M",
            birth_date=dt.date(1980 + n, 1, 2), nationality="VE", consent_register=True),
            dt.date(2026, 11, 1))


@pytest.fixture(scope="module")
def template(crash_root: Path) -> Path:
    """A data folder with a few persons already registered (closed, so one file)."""
    from oma_desktop.services.context import open_context

    folder = crash_root / "save-template" / "datos"
    ctx = open_context(folder)
    try:
        _fill(ctx.session)
    finally:
        ctx.close()
    return folder


@dataclass(frozen=True)
class Encrypted:
    folder: Path
    key: bytes
    user_id: str


@pytest.fixture(scope="module")
def encrypted(crash_root: Path) -> Encrypted:
    """The same with an account: an encrypted database (SQLCipher), its raw key kept."""
    from oma_desktop.services.accounts import Credentials
    from oma_desktop.services.context import open_context

    folder = crash_root / "save-encrypted" / "datos"
    ctx = open_context(folder, credentials=Credentials("admin", "una clave de prueba larga"))
    try:
        assert ctx.key is not None
        # the folder's first account administers the casa; registering is for the desk
        with ctx.session.transaction() as tx:
            tx.update("app_user", ctx.user_id, {"role": "coordinacion"})
        ctx.session.actor = replace(ctx.actor, role="coordinacion")
        _fill(ctx.session)
        return Encrypted(folder, ctx.key, ctx.user_id)
    finally:
        ctx.close()


def _params(folder: Path, key: bytes | None = None, user_id: str = "") -> dict[str, Any]:
    return {"data_dir": str(folder), "today": TODAY, "key": key.hex() if key else None,
            "user_id": user_id}


def _person(folder: Path, key: bytes | None = None) -> dict[str, Any] | None:
    conn = driver.connect(folder / "oma.sqlite3", key)
    conn.row_factory = lambda cur, row: {d[0]: v for d, v in zip(cur.description, row, strict=True)}
    try:
        person = conn.execute("SELECT * FROM person WHERE given_names = ?", [PERSON_NAME]).fetchone()
        if person is None:
            return None
        ids = [person["id"]]
        person["documents"] = conn.execute(
            "SELECT * FROM document WHERE person_id = ? AND deleted = 0 ORDER BY doc_type",
            ids).fetchall()
        person["members"] = conn.execute(
            "SELECT * FROM household_member WHERE household_id IN"
            " (SELECT household_id FROM household_member WHERE person_id = ?) ORDER BY rowid",
            ids).fetchall()
        entities = ids + [r["id"] for r in conn.execute(
            "SELECT id FROM document WHERE person_id = ?", ids).fetchall()]
        entities += [m["id"] for m in person["members"]]
        entities += list({m["household_id"] for m in person["members"]})
        marks = ",".join("?" for _ in entities)
        person["ops"] = conn.execute(
            f"SELECT entity, kind, fields FROM change_log WHERE entity_id IN ({marks})"
            " ORDER BY rowid", entities).fetchall()
        return person
    finally:
        conn.close()


def _sweep(server: CrashServer, op: str, template: Path, work: Path, mode: str,
           count: Run, states: dict[str, Any], params: dict[str, Any] | None = None,
           points: int | None = None) -> Counter[str]:
    """Kill ``op`` at points spread over the whole run; check the database after each."""
    [commit] = commits(count)
    total = {"stmt": count.statements, "vm": count.vm, "io": count.io}[mode]
    window = {"stmt": lambda: stmt_window(commit), "vm": lambda: vm_window(count, commit),
              "io": lambda: io_window(count, commit)}[mode]()
    ks = spread(total, points or POINTS[op][mode], window)
    params = params or _params(work)
    key = bytes.fromhex(params["key"]) if params["key"] else None
    seen: Counter[str] = Counter()
    database = work / "oma.sqlite3"
    names = list(states)  # [the state before, the state after]
    for k in ks:
        fresh_copy(template, work)
        server.kill(op, params, mode, k)
        result = examine(database, key)
        assert result.problems == [] and result.failed == {}, f"{mode} point {k}: {result}"
        expected = names[1] if committed(count, commit, mode, k) else names[0]
        found = state_of(result.state, states)
        assert found == expected, f"killed at {mode} point {k} of {total}"
        seen[found] += 1
    # the first points leave nothing, the last ones everything: both sides were reached
    assert all(not committed(count, commit, mode, k) for k in ks[:3])
    assert set(seen) == set(names), (mode, seen, total, commit)
    return seen


def test_a_complete_save_writes_the_person_whole(crash_server: CrashServer, template: Path,
                                                 crash_dir: Path) -> None:
    """What the kills are compared with: the counting run's save, to the end."""
    work = fresh_copy(template, crash_dir / "datos")
    assert _person(work) is None
    crash_server.count("save", _params(work))
    person = _person(work)
    assert person is not None
    assert person["phone"] == "987 654 321" and person["migratory_status"] == "en_tramite"
    assert person["wg_walking"] == 2 and person["vuln_chronic_illness"] == 1
    assert [(d["doc_type"], d["number"]) for d in person["documents"]] == [
        ("CPP", "CPP-2023-001"), ("PASAPORTE", "V1234567")]
    assert [(m["person_id"] == person["id"], m["given_names"], m["relationship"])
            for m in person["members"]] == [(True, "", "jefe_hogar"), (False, "Ana Sofía", "hijo")]
    assert [(o["entity"], o["kind"]) for o in person["ops"]] == [
        ("person", "create"), ("document", "create"), ("document", "create"),
        ("household", "create"), ("household_member", "create"), ("household_member", "create")]
    assert json.loads(person["ops"][0]["fields"])["notes"] == "Registrada en la prueba de cortes"


@pytest.mark.parametrize("mode", MODES)
def test_a_save_killed_at_any_point_is_whole_or_absent(
    crash_server: CrashServer, template: Path, crash_dir: Path, mode: str
) -> None:
    if mode == "io" and not crash_server.has_io:
        pytest.skip("no C compiler to build the io shim (tests/crash/killer.c)")
    work = fresh_copy(template, crash_dir / "datos")
    before = snapshot(work / "oma.sqlite3")
    count = crash_server.count("save", _params(work))
    after = snapshot(work / "oma.sqlite3")
    assert _person(work) is not None and before != after
    _sweep(crash_server, "save", template, work, mode, count, {"absent": before, "whole": after})


def test_the_checks_catch_a_save_written_in_two_transactions(
    crash_server: CrashServer, template: Path, crash_dir: Path
) -> None:
    """The sweeps above can fail: a save that writes the person and their documents in two
    transactions, killed between them, leaves a state that is neither — which the app's
    own checks (the fold, the change log) cannot see, and the comparison of states does."""
    work = fresh_copy(template, crash_dir / "datos")
    before = snapshot(work / "oma.sqlite3")
    count = crash_server.count("save_in_two", _params(work))
    after = snapshot(work / "oma.sqlite3")
    first, _second = commits(count)
    fresh_copy(template, work)
    crash_server.kill("save_in_two", _params(work), "stmt", first + 2)  # between the two
    result = examine(work / "oma.sqlite3")
    assert result.problems == [] and result.failed == {}  # every check passes...
    person = _person(work)
    assert person is not None and person["documents"] == []  # ...on a half-saved person
    found = state_of(result.state, {"absent": before, "whole": after})
    assert found.startswith("none (differs from 'absent' in ["), found


@pytest.fixture(scope="module")
def saved(crash_server: CrashServer, template: Path, crash_root: Path) -> Path:
    """The template with the person saved, to be edited."""
    folder = fresh_copy(template, crash_root / "edit-template" / "datos")
    crash_server.count("save", _params(folder))
    return folder


@pytest.mark.parametrize("mode", MODES)
def test_an_edit_killed_at_any_point_is_old_or_new_never_mixed(
    crash_server: CrashServer, saved: Path, crash_dir: Path, mode: str
) -> None:
    if mode == "io" and not crash_server.has_io:
        pytest.skip("no C compiler to build the io shim (tests/crash/killer.c)")
    work = fresh_copy(saved, crash_dir / "datos")
    old = snapshot(work / "oma.sqlite3")
    count = crash_server.count("edit", _params(work))
    new = snapshot(work / "oma.sqlite3")
    person = _person(work)
    assert person is not None
    assert (person["phone"], person["zone"]) == (EDITED_PHONE, EDITED_ZONE)
    assert [d["doc_type"] for d in person["documents"]] == ["CE", "CPP"]
    assert [o["kind"] for o in person["ops"]][-3:] == ["update", "create", "tombstone"]
    _sweep(crash_server, "edit", saved, work, mode, count, {"old": old, "new": new})


@pytest.mark.parametrize("mode", ["stmt", "io"])
def test_an_encrypted_save_killed_at_any_point_is_whole_or_absent(
    crash_server: CrashServer, encrypted: Encrypted, crash_dir: Path, mode: str
) -> None:
    """The same on a database encrypted with SQLCipher (a kill never leaves a page that
    fails its HMAC, or a file readable without the key)."""
    if mode == "io" and not crash_server.has_io:
        pytest.skip("no C compiler to build the io shim (tests/crash/killer.c)")
    work = fresh_copy(encrypted.folder, crash_dir / "datos")
    params = _params(work, encrypted.key, encrypted.user_id)
    before = snapshot(work / "oma.sqlite3", encrypted.key)
    count = crash_server.count("save", params)
    after = snapshot(work / "oma.sqlite3", encrypted.key)
    person = _person(work, encrypted.key)
    assert person is not None and len(person["documents"]) == 2
    assert driver.is_encrypted_file(work / "oma.sqlite3")
    seen = _sweep(crash_server, "save", encrypted.folder, work, mode, count,
                  {"absent": before, "whole": after}, params, points=6)
    assert driver.is_encrypted_file(work / "oma.sqlite3"), seen
