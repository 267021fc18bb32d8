"""Fork server for the crash tests: runs one operation in a child that kills itself.

Started once per test session (``python runner.py``) with the ``killer`` shim in
``LD_PRELOAD`` when it could be built. It imports the app once, then for each request
read from stdin (one JSON object per line) forks a child that

- sets the kill hook: ``stmt`` (SIGKILL at the start of the k-th SQL statement, seen with
  ``set_trace_callback`` on every connection the operation opens), ``vm`` (at the k-th
  call of ``set_progress_handler``, every ``VM_STEP`` SQLite instructions), ``io`` (just
  before the k-th call that changes a file: write, fsync, rename, unlink..., through the
  shim) or ``none`` (runs to the end and counts every kind of point);
- runs the operation (``save``, ``edit``, ``import``, ``migrate``, ``backup``) the way the
  app does, through the services and the CLI;
- and dies by SIGKILL at that point, with no cleanup of any kind.

Forking from a process that already imported everything makes each run take
milliseconds instead of a new interpreter's start-up. The child reports through an
anonymous shared memory map, which it writes without a system call (so the report never
adds an ``io`` point): one mark per SQL statement (its kind and how many ``io`` points
had happened when it started), and at the end the totals. The server answers each request
with one JSON line: how the child ended, the marks, the totals and (``none`` runs) the
list of ``io`` points.

``key`` in a request is the database key in hex (None today): every operation passes it
to the app, so the same tests cover an encrypted database once the driver accepts keys.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import mmap
import os
import signal
import struct
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

VM_STEP = 50  # SQLite instructions between two progress-handler calls
MAX_MARKS = 60_000
_HEADER = struct.Struct("<qqqq")  # marks written, statements, vm calls, finished (1)
# statement kind (KINDS, JOB_MARK or 0), io points and vm calls before it
_MARK = struct.Struct("<qqq")
_REPORT_AT = _HEADER.size + MAX_MARKS * _MARK.size  # the io points' list, or the traceback
SHM_SIZE = _REPORT_AT + 4 * 1024 * 1024

KINDS = {"BEGIN": 1, "COMMIT": 2, "END": 2, "ROLLBACK": 3}
JOB_MARK = 4  # a statement that writes or removes an unfinished-job mark (services/jobs.py)

# the same person the tests look for (saved whole or not at all)
PERSON_NAME = "Crashtest Yusleidy"
EDITED_PHONE = "955 444 333"
EDITED_ZONE = "Zona 7"


def _shim() -> Any:
    path = os.environ.get("OMA_CRASH_SHIM")
    if not path:
        return None
    lib = ctypes.CDLL(path)  # the copy already loaded through LD_PRELOAD
    lib.crash_start.argtypes = [ctypes.c_long, ctypes.c_int]
    lib.crash_stop.restype = ctypes.c_long
    lib.crash_points.restype = ctypes.c_long
    lib.crash_point.argtypes = [ctypes.c_long]
    lib.crash_point.restype = ctypes.c_char_p
    return lib


class Hooks:
    """The kill hook of one child: counts statements, VM steps and io points."""

    def __init__(self, shm: mmap.mmap, shim: Any, mode: str, at: int) -> None:
        self.shm, self.shim, self.mode, self.at = shm, shim, mode, at
        self.marks = self.statements = self.vm = 0
        self.sql: list[str] = []  # (counting runs) each statement's start, to tell them apart

    def _header(self, finished: int = 0) -> None:
        self.shm[: _HEADER.size] = _HEADER.pack(self.marks, self.statements, self.vm, finished)

    def trace(self, sql: str) -> None:
        self.statements += 1
        word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        kind = JOB_MARK if "'job:" in sql else KINDS.get(word, 0)
        io = int(self.shim.crash_points()) if self.shim is not None else 0
        if self.mode == "none":
            self.sql.append(" ".join(sql.split())[:80])
        if self.marks < MAX_MARKS:
            offset = _HEADER.size + self.marks * _MARK.size
            self.shm[offset: offset + _MARK.size] = _MARK.pack(kind, io, self.vm)
            self.marks += 1
        self._header()
        if self.mode == "stmt" and self.statements == self.at:
            _die()

    def progress(self) -> int:
        self.vm += 1
        if self.mode == "vm" and self.vm == self.at:
            self._header()
            _die()
        return 0

    def attach(self, conn: Any) -> None:
        conn.set_trace_callback(self.trace)
        conn.set_progress_handler(self.progress, VM_STEP)

    def start(self) -> None:
        if self.shim is not None:
            self.shim.crash_start(self.at if self.mode == "io" else 0, int(self.mode == "none"))

    def finish(self) -> None:
        points = None
        if self.shim is not None:
            total = int(self.shim.crash_stop())
            if self.mode == "none":
                points = [self.shim.crash_point(i).decode(errors="replace")
                          for i in range(1, total + 1)]
        if self.mode == "none":
            _report(self.shm, json.dumps({"io": points, "sql": self.sql}).encode())
        self._header(finished=1)


def _report(shm: mmap.mmap, text: bytes) -> None:
    text = text[: SHM_SIZE - _REPORT_AT - 1]
    shm[_REPORT_AT: _REPORT_AT + len(text)] = text


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


# --------------------------------------------------------------------------- operations


def _key(params: dict[str, Any]) -> bytes | None:
    return bytes.fromhex(params["key"]) if params.get("key") else None


def _hook_new_connections(hooks: Hooks) -> None:
    """Every connection the operation opens (through the driver) gets the hook."""
    from oma_desktop.core import driver

    real = driver.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        conn = real(*args, **kwargs)
        hooks.attach(conn)
        return conn

    driver.connect = connect  # type: ignore[assignment]


def person_input() -> Any:
    from oma_desktop.services.households import MemberInput
    from oma_desktop.services.persons import DocumentInput, PersonInput

    return PersonInput(
        given_names=PERSON_NAME, paternal_surname="Hernández", maternal_surname="Peña",
        sex="F", birth_date=dt.date(1991, 2, 14), nationality="VE", phone="987 654 321",
        district_ubigeo="150101", zone="Zona 3", address_ref="Jr. Los Olivos 123",
        arrival_date=dt.date(2019, 5, 2), migratory_status="en_tramite",
        wg={"wg_seeing": 1, "wg_walking": 2}, vulnerabilities={"vuln_chronic_illness"},
        consent_register=True, consent_contact=True, notes="Registrada en la prueba de cortes",
        documents=[
            DocumentInput("CPP", "cpp-2023-001", "PE", dt.date(2023, 6, 1), dt.date(2027, 6, 1)),
            DocumentInput("PASAPORTE", "V1234567", "VE", dt.date(2018, 3, 1), dt.date(2028, 3, 1)),
        ],
    ), [MemberInput(given_names="Ana Sofía", paternal_surname="Hernández", relationship="hijo",
                    sex="F", birth_date=dt.date(2015, 8, 9))]


def _open(params: dict[str, Any]) -> tuple[Any, Callable[[], None]]:
    """A session on the data folder, as the app opens it, and how to close it.

    A plain folder opens through ``open_context`` (folder lock and all). An encrypted one
    is opened with its raw key (``key``, hex) and the account ``user_id``: the same store
    and session, without the account's password derivation, which is no part of a save
    and would make every run slow."""
    key = _key(params)
    if key is None:
        from oma_desktop.services.context import open_context

        ctx = open_context(params["data_dir"], program="la prueba de cortes")
        return ctx.session, ctx.close
    from oma_desktop.core.catalogs import load_catalogs
    from oma_desktop.core.store import open_store
    from oma_desktop.services.context import actor_for
    from oma_desktop.services.session import Session

    folder = Path(params["data_dir"])
    store = open_store(folder / "oma.sqlite3", key=key, create=False,
                       backup_dir=folder / "backups")
    return Session(store=store, catalogs=load_catalogs(),
                   actor=actor_for(store, params["user_id"])), store.close


def op_save(params: dict[str, Any], hooks: Hooks) -> None:
    """Register a new person with two documents and a household member (one save)."""
    from oma_desktop.services.households import HouseholdChanges
    from oma_desktop.services.persons import register_person

    session, close = _open(params)
    data, members = person_input()
    hooks.attach(session.store.conn)
    _hook_new_connections(hooks)
    hooks.start()
    person_id = register_person(session, data, dt.date.fromisoformat(params["today"]),
                                household=HouseholdChanges(inline=members))
    session.store.get("person", person_id)  # the form shows what was saved
    close()


def op_save_in_two(params: dict[str, Any], hooks: Hooks) -> None:
    """A save done wrong on purpose, for the test that shows the checks catch it: the
    person in one transaction, their documents in a second one."""
    from oma_desktop.services.persons import register_person

    session, close = _open(params)
    data, _members = person_input()
    documents, data.documents = data.documents, []
    hooks.attach(session.store.conn)
    hooks.start()
    person_id = register_person(session, data, dt.date.fromisoformat(params["today"]))
    with session.transaction() as tx:
        for doc in documents:
            tx.create("document", {"person_id": person_id, "doc_type": doc.doc_type,
                                   "number": doc.number.upper(), "issuing_country": "PE"})
    session.store.get("person", person_id)
    close()


def op_edit(params: dict[str, Any], hooks: Hooks) -> None:
    """Edit the saved person: two fields changed, one document replaced by another."""
    from oma_desktop.services.persons import DocumentInput, load_person, update_person

    session, close = _open(params)
    today = dt.date.fromisoformat(params["today"])
    store = session.store
    person_id = store.scalar("SELECT id FROM person WHERE given_names = ?", [PERSON_NAME])
    data = load_person(session, person_id, today)
    data.phone, data.zone = EDITED_PHONE, EDITED_ZONE
    data.documents = [data.documents[0], DocumentInput("CE", "001234567", "PE")]
    hooks.attach(store.conn)
    _hook_new_connections(hooks)
    hooks.start()
    update_person(session, person_id, data, today)
    store.get("person", person_id)  # the form shows what was saved
    close()


def op_import(params: dict[str, Any], hooks: Hooks) -> None:
    """``oma-desktop import-persons FILE --consent --duplicates nuevos``, start to end, as
    the account ``admin`` (password in ``OMA_PASSWORD``, as the CLI reads it)."""
    from oma_desktop import cli

    os.environ["OMA_PASSWORD"] = params["password"]
    _hook_new_connections(hooks)
    hooks.start()
    code = cli.main(["--data-dir", params["data_dir"], "import-persons", params["file"],
                     "--consent", "--duplicates", "nuevos"])
    if code != 0:
        raise RuntimeError(f"import-persons ended with {code}")


def op_migrate(params: dict[str, Any], hooks: Hooks) -> None:
    """Open an old database: back it up, then migrate it step by step."""
    from oma_desktop.core.store import open_store

    _hook_new_connections(hooks)
    hooks.start()
    store = open_store(params["path"], key=_key(params), create=False,
                       backup_dir=Path(params["backup_dir"]))
    store.close()


def op_backup(params: dict[str, Any], hooks: Hooks) -> None:
    """Back up an open database with the core's backup (``driver.backup``)."""
    from oma_desktop.core.store import backup_database, open_store

    key = _key(params)
    store = open_store(params["path"], key=key, create=False)
    hooks.attach(store.conn)
    hooks.start()
    backup_database(store.conn, Path(params["target"]), *([key] if key else []))
    store.close()


def op_cli_backup(params: dict[str, Any], hooks: Hooks) -> None:
    """``oma-desktop backup`` as the account admin: copy, verify, note, audit, rotate."""
    from oma_desktop import cli

    os.environ["OMA_PASSWORD"] = params["password"]
    _hook_new_connections(hooks)
    hooks.start()
    code = cli.main(["--data-dir", params["data_dir"], "backup"])
    if code != 0:
        raise RuntimeError(f"backup ended with {code}")


def op_login(params: dict[str, Any], hooks: Hooks) -> None:
    """Log in to the data folder as ``admin`` (``open_context`` with the account): with its
    key file beside a database still plain, that converts the database (and its plain
    backups) to encrypted ones, as the first login after the upgrade does."""
    from oma_desktop.services.accounts import Credentials
    from oma_desktop.services.context import open_context

    _hook_new_connections(hooks)
    hooks.start()
    ctx = open_context(params["data_dir"], credentials=Credentials("admin", params["password"]),
                       program="la prueba de cortes")
    ctx.close()


OPERATIONS: dict[str, Callable[[dict[str, Any], Hooks], None]] = {
    "save": op_save, "edit": op_edit, "import": op_import, "migrate": op_migrate,
    "backup": op_backup, "login": op_login, "save_in_two": op_save_in_two,
    "cli_backup": op_cli_backup,
}


# --------------------------------------------------------------------------- server


def _child(request: dict[str, Any], shm: mmap.mmap, shim: Any) -> None:
    hooks = Hooks(shm, shim, request["mode"], int(request.get("at", 0)))
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # the CLI's output is not the server's protocol
        OPERATIONS[request["op"]](request["params"], hooks)
        hooks.finish()
    except BaseException:  # reported to the test, which fails
        _report(shm, traceback.format_exc().encode())
        os._exit(3)
    os._exit(0)


def _run(request: dict[str, Any], shim: Any) -> dict[str, Any]:
    shm = mmap.mmap(-1, SHM_SIZE, flags=mmap.MAP_SHARED)
    pid = os.fork()
    if pid == 0:
        _child(request, shm, shim)
    _, status = os.waitpid(pid, 0)
    marks_n, statements, vm, finished = _HEADER.unpack(shm[: _HEADER.size])
    marks = [list(_MARK.unpack_from(shm, _HEADER.size + i * _MARK.size)) for i in range(marks_n)]
    end = shm.find(b"\0", _REPORT_AT)  # (no copy of the whole region)
    report = shm[_REPORT_AT: end if end >= 0 else SHM_SIZE].decode(errors="replace")
    exited = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    answer: dict[str, Any] = {
        "killed": os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
        "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "finished": bool(finished), "statements": statements, "vm": vm, "marks": marks,
        "io_points": None, "sql": None,
        "error": "" if exited else report,
    }
    if exited and report:  # a counting run's lists
        listed = json.loads(report)
        answer.update(io_points=listed["io"], sql=listed["sql"])
    shm.close()
    return answer


_KDF_MEMO: dict[tuple[str, bytes, Any], bytes] = {}


def _remember_password_keys() -> None:
    """Argon2id takes a good part of a second by design; an operation that logs in (the
    CLI) would pay it at every kill. The server computes each account's key once
    (:func:`prime`) and its children reuse it: the same function of the same inputs, so
    the login itself (key file, unwrapping, checks) runs unchanged."""
    from oma_desktop.core import keyring

    real = keyring._derive

    def derive(password: str, salt: bytes, kdf: Any) -> bytes:
        memo = (password, salt, kdf)
        if memo not in _KDF_MEMO:
            _KDF_MEMO[memo] = real(password, salt, kdf)
        return _KDF_MEMO[memo]

    keyring._derive = derive


def prime(request: dict[str, Any]) -> dict[str, Any]:
    """Log in once here, in the server, so children find the account's key computed."""
    from oma_desktop.core.keyring import Keyring

    Keyring.load(Path(request["keyring"])).unlock(request["username"], request["password"])
    return {"primed": True}


def _warm_up() -> None:
    """Fill what the app loads on first use (catalogs, sqlite-utils' plugins), so every
    child starts warm instead of loading them again."""
    import sqlite_utils

    from oma_desktop.core.catalogs import load_catalogs

    load_catalogs()
    sqlite_utils.Database(memory=True).close()


def main() -> None:
    shim = _shim()
    # import everything the operations use once, before any fork
    import oma_desktop.cli
    import oma_desktop.core.store
    import oma_desktop.services.context
    import oma_desktop.services.importer
    import oma_desktop.services.persons  # noqa: F401
    from oma_desktop import i18n
    from oma_desktop.services.importer import guess_mapping, read_table  # noqa: F401

    i18n.setup("es")
    _warm_up()
    _remember_password_keys()
    print(json.dumps({"ready": True, "io": shim is not None}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        answer = prime(request["prime"]) if "prime" in request else _run(request, shim)
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
