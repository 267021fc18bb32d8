"""An import killed (SIGKILL) at any point saves all its rows or none.

``oma-desktop import-persons LIST --consent --duplicates nuevos`` runs in a child that
kills itself at the k-th SQL statement, SQLite progress call or file write, from the
command's start (opening the folder, reading and checking the list) to its end. After
each kill the database passes SQLite's checks and the app's; its records and change log
are exactly those before the import or those after a whole import; and ``oma-desktop
check`` reports the cut-off import exactly while its mark is left in the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.crash.crashkit import (
    MODES,
    CrashServer,
    Run,
    commits,
    committed,
    examine,
    expected_state,
    fresh_copy,
    kill_points,
    snapshot,
    state_of,
    states_between_commits,
    total_points,
)
from tests.crash.runner import JOB_MARK

LIST = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "atenciones_cv3.csv"
POINTS = {"stmt": 6, "vm": 4, "io": 6}


PASSWORD = "una clave de prueba larga"
KEY: dict[str, bytes] = {}  # the template's database key, for the checks


@pytest.fixture(scope="module")
def template(crash_root: Path, crash_server: CrashServer) -> Path:
    """A data folder with an account, as the CLI needs (so its database is encrypted):
    ``admin``, its first account, administers the casa, which may import."""
    from oma_desktop.services.accounts import Credentials
    from oma_desktop.services.context import open_context

    folder = crash_root / "import-template" / "datos"
    ctx = open_context(folder, credentials=Credentials("admin", PASSWORD))
    try:
        assert ctx.key is not None
        KEY["key"] = ctx.key
    finally:
        ctx.close()
    crash_server.prime(_keyring(folder), "admin", PASSWORD)
    return folder


def _keyring(folder: Path) -> Path:
    from oma_desktop.paths import DataPaths
    from oma_desktop.services.accounts import keyring_path

    return keyring_path(DataPaths(folder))


def _params(folder: Path) -> dict[str, Any]:
    return {"data_dir": str(folder), "file": str(LIST), "password": PASSWORD}


def _job_marks(run: Run) -> tuple[int, int]:
    """Mark indexes of the statements writing and removing the import's job mark."""
    marks = [i for i, mark in enumerate(run.marks) if mark[0] == JOB_MARK]
    assert len(marks) == 2, marks
    return marks[0], marks[1]


def _counted(server: CrashServer, template: Path, work: Path) -> tuple[Run, Any, Any]:
    fresh_copy(template, work)
    before = snapshot(work / "oma.sqlite3", KEY["key"])
    run = server.count("import", _params(work))
    after = snapshot(work / "oma.sqlite3", KEY["key"])
    assert len(after["person"]) == len(before["person"]) + 6
    assert len(after["consultation"]) == len(before["consultation"]) + 7
    # at least one operation per person, document and consultation (consents are logged too)
    assert len(after["change_log"]) >= len(before["change_log"]) + 6 + 6 + 7
    return run, before, after


@pytest.mark.parametrize("mode", MODES)
def test_an_import_killed_at_any_point_saves_all_rows_or_none(
    crash_server: CrashServer, template: Path, crash_dir: Path, mode: str
) -> None:
    if mode == "io" and not crash_server.has_io:
        pytest.skip("no C compiler to build the io shim (tests/crash/killer.c)")
    work = crash_dir / "datos"
    count, before, after = _counted(crash_server, template, work)
    *logins, commit = commits(count)  # the login's audit entry, then the import
    mark_set, mark_removed = _job_marks(count)
    # the mark is removed inside the import's transaction: saved and unmarked together
    assert all(c < mark_set for c in logins) and mark_set < mark_removed < commit
    states = states_between_commits(crash_server, "import", _params(work), template, work,
                                    count, KEY["key"])
    assert states[0] == before and states[-1] == after
    names = ["none", *(f"logged in ({n + 1})" for n in range(len(logins))), "all"]
    ks = kill_points(count, mode, POINTS[mode], [*logins, mark_set, commit], width=1)
    seen = set()
    for k in ks:
        fresh_copy(template, work)
        crash_server.kill("import", _params(work), mode, k)
        result = examine(work / "oma.sqlite3", KEY["key"])
        where = f"killed at {mode} point {k} of {total_points(count, mode)}"
        assert result.problems == [], where
        expected = names[expected_state(count, mode, k)]
        assert state_of(result.state, dict(zip(names, states, strict=True))) == expected, where
        saved = expected == "all"
        marked = committed(count, mark_set, mode, k) and not committed(count, commit, mode, k)
        assert len(result.jobs) == int(marked), where
        assert set(result.failed) == ({"jobs"} if marked else set()), where
        if marked:
            assert "no se guardó nada" in result.failed["jobs"], where
        seen.add(("all" if saved else "none", marked))
    # kills landed before the mark, while the rows were written (marked: "nothing saved",
    # which is true), and after the commit (only file writes, closing the database, come
    # then; SQLite runs no instructions once it committed); never saved with the mark left
    reached = {("none", False), ("none", True), ("all", False)}
    reached -= {"stmt": {("all", False)}, "vm": {("all", False)}, "io": set()}[mode]
    assert seen == reached
