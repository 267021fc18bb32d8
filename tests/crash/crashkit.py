"""What the crash tests share: the fork server, the kill points, and the checks of a
database after a kill (sound file, sound change log, one of the allowed states)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from oma_desktop.core import driver

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "runner.py"
SHIM_SOURCE = HERE / "killer.c"

MODES = ("stmt", "vm", "io")
BEGIN, COMMIT = 1, 2


def build_shim(folder: Path) -> Path | None:
    """Compile the io shim with the system's C compiler (None without one)."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None or not sys.platform.startswith("linux"):
        return None
    target = folder / "killer.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-o", str(target), str(SHIM_SOURCE),
                    "-ldl"], check=True, capture_output=True)
    return target


@dataclass
class Run:
    """How one child ended and what it had done (see runner.py)."""

    killed: bool
    exit: int | None
    finished: bool
    statements: int
    vm: int
    marks: list[tuple[int, int, int]]  # (kind, io points, vm calls) when each statement began
    io_points: list[str] | None  # (counting runs) each file write: the call and the file
    error: str
    sql: list[str] | None = None  # (counting runs) the start of each statement

    @property
    def io(self) -> int:
        return len(self.io_points or [])


class CrashServer:
    def __init__(self, shim: Path | None, env: dict[str, str]) -> None:
        env = dict(env, PYTHONDONTWRITEBYTECODE="1", OMA_LANG="es")
        if shim is not None:
            env.update(LD_PRELOAD=str(shim), OMA_CRASH_SHIM=str(shim))
        self.proc = subprocess.Popen([sys.executable, str(RUNNER)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        hello = json.loads(self._line())
        assert hello["ready"]
        self.has_io: bool = hello["io"]
        # what the session did, for the summary line: kills per (operation, kind) and the
        # points of each kind a whole operation has
        self.kills: Counter[tuple[str, str]] = Counter()
        self.sizes: dict[str, tuple[int, int, int]] = {}

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the crash-test server stopped"
        return line

    def run(self, op: str, params: dict[str, Any], mode: str = "none", at: int = 0) -> Run:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, "params": params, "mode": mode,
                                          "at": at}) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self._line())
        answer["marks"] = [tuple(m) for m in answer["marks"]]
        return Run(**answer)

    def prime(self, keyring: Path, username: str, password: str) -> None:
        """Compute the account's password key once in the server (see runner.prime)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"prime": {
            "keyring": str(keyring), "username": username, "password": password}}) + "\n")
        self.proc.stdin.flush()
        assert json.loads(self._line()) == {"primed": True}

    def count(self, op: str, params: dict[str, Any]) -> Run:
        """Run ``op`` to the end, counting its points of every kind."""
        run = self.run(op, params)
        assert run.finished and run.exit == 0, run.error
        self.sizes.setdefault(op, (run.statements, run.vm, run.io))
        return run

    def kill(self, op: str, params: dict[str, Any], mode: str, at: int) -> Run:
        """Run ``op`` and kill it at its ``at``-th point of ``mode``."""
        run = self.run(op, params, mode, at)
        self.kills[op, mode] += 1
        assert run.killed, f"{op} was not killed at {mode} {at}: {run.exit} {run.error}"
        return run

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


def spread(total: int, count: int, also: Iterable[int] = ()) -> list[int]:
    """About ``count`` kill points over 1..total: the first three, the last three, evenly
    spread ones, and ``also`` (the points around a commit)."""
    chosen = {1, 2, 3, total - 2, total - 1, total}
    chosen.update(1 + round(i * (total - 1) / max(count - 1, 1)) for i in range(count))
    chosen.update(also)
    return sorted(k for k in chosen if 1 <= k <= total)


# --------------------------------------------------------------------------- expectations


def commits(run: Run) -> list[int]:
    """Indexes (0-based) in ``run.marks`` of the explicit COMMIT statements."""
    return [i for i, mark in enumerate(run.marks) if mark[0] == COMMIT]


def durable_io_point(run: Run, commit: int) -> int:
    """The io point that makes the transaction ending at mark ``commit`` durable: the
    write of its last WAL frame, the one marked as a commit (a kill just before it loses
    the transaction, a kill just after it keeps it whole: SIGKILL leaves written pages in
    the page cache). Before it, a new WAL may get its header written and synced."""
    assert run.io_points is not None
    start = run.marks[commit][1]
    end = run.marks[commit + 1][1] if commit + 1 < len(run.marks) else len(run.io_points)
    writes = [i for i in range(start + 1, end + 1)
              if run.io_points[i - 1].startswith("pwrite ") and run.io_points[i - 1].endswith("-wal")]
    assert writes, run.io_points[start:end]
    return max(writes)


def committed(run: Run, commit: int, mode: str, at: int) -> bool:
    """Whether a kill at point ``at`` of ``mode`` comes after the transaction ending at
    mark ``commit`` (of the counting ``run``) was committed."""
    if mode == "stmt":
        return at > commit + 1  # statement numbers start at 1; the COMMIT itself ran
    if mode == "vm":
        after = run.marks[commit + 1][2] if commit + 1 < len(run.marks) else run.vm
        return at > after
    return at > durable_io_point(run, commit)


def io_window(run: Run, commit: int, width: int = 3) -> list[int]:
    """The io points right before and after the commit's durable write."""
    point = durable_io_point(run, commit)
    return list(range(point - width, point + width + 1))


def vm_window(run: Run, commit: int) -> list[int]:
    before = run.marks[commit][2]
    after = run.marks[commit + 1][2] if commit + 1 < len(run.marks) else run.vm
    return list(range(max(before - 1, 1), min(after + 2, run.vm + 1)))


def stmt_window(commit: int) -> list[int]:
    """Kills at the COMMIT statement (it has not run) and at the next one (it has)."""
    return [commit + 1, commit + 2]


# --------------------------------------------------------------------------- checks

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?|\b\d{8}-\d{6}\b")
# local settings and statistics: not records (job marks are checked on their own)
_SKIPPED = re.compile(r"^(meta|sqlite_.*|.*_fts_(data|idx|docsize|config|content))$")
_VOLATILE = {"hlc"}  # the clock: a run's wall time


def canonical(conn: driver.Connection, skip: Iterable[str] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (but those in ``skip``), with the ids and timestamps that differ
    between two runs of the same operation replaced by placeholders (ids numbered by first
    appearance)."""
    skip = set(skip)
    names: dict[str, str] = {}

    def norm(value: Any) -> Any:
        if isinstance(value, str):
            value = _UUID.sub(lambda m: names.setdefault(m.group(), f"<id{len(names)}>"), value)
            value = _STAMP.sub("<ts>", value)
        return value

    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    result = {}
    for table in tables:
        if _SKIPPED.match(table) or table in skip:
            continue
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in _VOLATILE]
        listed = ", ".join(f'"{c}"' for c in cols)
        rows = conn.execute(f"SELECT {listed} FROM {table} ORDER BY rowid")
        result[table] = [tuple(norm(v) for v in row) for row in rows]
    return result


def snapshot(path: Path, key: bytes | None = None,
             skip: Iterable[str] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """canonical() of the database at ``path`` (opened with ``key`` if it is encrypted)."""
    conn = driver.connect(path, key if driver.is_encrypted_file(path) else None)
    try:
        return canonical(conn, skip)
    finally:
        conn.close()


def state_of(found: dict[str, Any], states: dict[str, dict[str, Any]]) -> str:
    """The name of the state ``found`` equals, or a description of how it differs."""
    for name, state in states.items():
        if found == state:
            return name
    name, state = next(iter(states.items()))
    differ = sorted(t for t in set(found) | set(state) if found.get(t) != state.get(t))
    return f"none (differs from {name!r} in {differ})"


def file_problems(conn: driver.Connection) -> list[str]:
    """SQLite's own checks of the file: integrity, foreign keys, the full-text index."""
    problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    problems = [] if problems == ["ok"] else problems
    problems += [f"foreign key {tuple(r)}" for r in conn.execute("PRAGMA foreign_key_check")]
    fts = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%fts5%'")]
    for table in fts:
        try:
            conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
        except driver.DatabaseError as exc:
            problems.append(f"{table}: {exc}")
    return problems


@dataclass
class Examined:
    problems: list[str]  # SQLite's checks
    failed: dict[str, str]  # the app's checks that failed: key -> Spanish detail
    state: dict[str, list[tuple[Any, ...]]]  # canonical()
    jobs: list[str]  # unfinished-job marks in meta


def examine(path: Path, key: bytes | None = None) -> Examined:
    """Open the database as the app does after a crash and check everything."""
    from oma_desktop.core.store import open_store
    from oma_desktop.services.integrity import run_checks

    store = open_store(path, key=key, create=False, backup_dir=path.parent / "backups")
    try:
        failed = {r.key: r.detail for r in run_checks(store) if not r.ok}
        jobs = store.meta_values("job:")
        return Examined(file_problems(store.conn), failed, canonical(store.conn), jobs)
    finally:
        store.close()


def fresh_copy(template: Path, work: Path) -> Path:
    """``work`` replaced by a copy of the folder ``template``."""
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(template, work)
    return work


def total_points(run: Run, mode: str) -> int:
    return {"stmt": run.statements, "vm": run.vm, "io": run.io}[mode]


def kill_points(run: Run, mode: str, count: int, writes: Iterable[int], width: int = 3,
                also: Iterable[int] = ()) -> list[int]:
    """``count`` points of ``mode`` spread over the counted ``run``, plus every point
    around the durable moment of each write statement (mark index) in ``writes``
    (``width`` io points either side), plus ``also``."""
    windows: list[int] = list(also)
    for mark in writes:
        windows += {"stmt": lambda m: stmt_window(m), "vm": lambda m: vm_window(run, m),
                    "io": lambda m: io_window(run, m, width)}[mode](mark)
    return spread(total_points(run, mode), count, windows)


def io_done(run: Run, mode: str, at: int) -> int:
    """How many io points of the counted ``run`` had happened when a kill at point ``at``
    of ``mode`` struck (for ``vm``: those before the statement it struck in began)."""
    if mode == "io":
        return at - 1
    if mode == "stmt":
        return run.marks[at - 1][1]
    started = [mark for mark in run.marks if mark[2] < at]
    return started[-1][1] if started else 0


def io_point(run: Run, prefix: str) -> int:
    """The number of the one io point of ``run`` whose call and file start with ``prefix``."""
    assert run.io_points is not None
    found = [i for i, p in enumerate(run.io_points, 1) if p.startswith(prefix)]
    assert len(found) == 1, (prefix, found)
    return found[0]


def states_between_commits(server: CrashServer, op: str, params: dict[str, Any],
                           template: Path, work: Path, count: Run,
                           key: bytes | None = None) -> list[dict[str, Any]]:
    """The database's state before ``op`` and after each of its transactions (a login's
    audit entry, then the operation's own...): the first is the template's, the last the
    counting run's end, those between are left by a kill at the statement right after each
    commit. Each differs from the one before (every transaction writes something)."""
    database = work / "oma.sqlite3"
    fresh_copy(template, work)
    states = [snapshot(database, key)]
    for commit in commits(count)[:-1]:
        fresh_copy(template, work)
        server.kill(op, params, "stmt", commit + 2)
        states.append(snapshot(database, key))
    fresh_copy(template, work)
    server.count(op, params)
    states.append(snapshot(database, key))
    assert all(a != b for a, b in pairwise(states))
    return states


def expected_state(count: Run, mode: str, at: int) -> int:
    """How many of the counted run's transactions a kill at point ``at`` comes after."""
    return sum(committed(count, c, mode, at) for c in commits(count))
