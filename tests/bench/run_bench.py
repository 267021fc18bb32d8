"""Speed and memory figures beside the bare-library floor (``make bench``).

    python -m tests.bench.run_bench [--only NAME ...] [--runs N] [--persons N]

Prints one line per figure on stdout, and nothing else there::

    name value unit floor FLOOR ratio RATIO

The floor is the bare library doing the same work in the same run (bare ``sqlcipher3``
on the same encrypted file with the same key for the database, an empty PySide6 window for
start-up, argon2-cffi alone for logging in), so the ratio says how much the application adds
and stays comparable across machines. Progress goes to stderr.

Everything is measured with encryption on, as the casas run it: the 200 000-person demo
database (1 000 000 consultations) is built with ``OMA_PASSWORD`` set to
:data:`BENCH_PASSWORD` (SQLCipher, its key wrapped for the account ``admin``) once into
``.bench-cache/demo-200k`` and reused while its stamp matches (persons, seed, schema
version, encryption); ``demo_build_s`` is reported only in a run that built it. The scratch
copy the write figures use, and the new databases of the apply figure and of the floors,
are encrypted too.

Adding a figure: write a measuring function taking the :class:`Bench` and returning the
value (or ``None`` to skip it in this run), a floor function, and register both with
``@figure(name, unit, floor=...)``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench-cache"
PERSONS = 200_000
SEED = 1
RUNS = 5
MARKER = "OMA_WINDOW_SHOWN"
STAMP = "bench-stamp.json"
# the demo's administrator password (the child processes get it as OMA_PASSWORD)
BENCH_USER = "admin"
BENCH_PASSWORD = "oma-bench-2026"
# what the stamp records of the encryption: a cache built before it (plain) is rebuilt
ENCRYPTION = "sqlcipher4+keyring1"
START_TIMEOUT_S = 300
ENTITY_TABLES = ("casa", "app_user", "installation", "household", "person", "household_member",
                 "document", "consultation", "follow_up_call", "duplicate_review", "service",
                 "referral", "referral_event", "route_handout")

# The floor for start-up: the same wait-until-exposed logic as oma_desktop.ui.app, around an
# empty main window.
BARE_WINDOW = f"""
import sys
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 800)
window.show()

def announce():
    handle = window.windowHandle()
    if handle is None or not handle.isExposed():
        QTimer.singleShot(5, announce)
        return
    print({MARKER!r}, flush=True)
    window.close()
    QCoreApplication.quit()

QTimer.singleShot(0, announce)
sys.exit(app.exec())
"""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def bare_connect(path: Path, key: bytes, *, read_only: bool = False,
                 isolation_level: str | None = "") -> Any:
    """The bare library the floors use: ``sqlcipher3`` (the app's SQLite), keyed with the
    raw 32-byte database key as the app does, nothing else set. A new file is encrypted."""
    import sqlcipher3.dbapi2 as sqlcipher

    if read_only:
        conn = sqlcipher.connect(f"file:{path}?mode=ro", uri=True,
                                 isolation_level=isolation_level)
    else:
        conn = sqlcipher.connect(str(path), isolation_level=isolation_level)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    from oma_desktop.core.driver import CIPHER_SETTINGS

    for pragma in CIPHER_SETTINGS:  # the page settings every encrypted file is written with
        conn.execute(f"PRAGMA {pragma}")
    return conn


@dataclass(frozen=True)
class Run:
    """One start of a child process: seconds until the marker, and its peak RSS."""

    seconds: float
    peak_rss_mb: float


def _peak_rss_mb(rusage: object) -> float:
    maxrss = float(getattr(rusage, "ru_maxrss", 0))
    # Linux reports KiB, macOS bytes
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def time_until_marker(command: Sequence[str], env: dict[str, str]) -> Run:
    """Spawn ``command``; seconds until it prints ``MARKER``, and its peak RSS (wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=ROOT, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    watchdog = threading.Timer(START_TIMEOUT_S, proc.kill)  # a hung child must not hang us
    watchdog.start()
    seconds: float | None = None
    try:
        for line in proc.stdout:
            if line.strip() == MARKER:
                seconds = time.perf_counter() - start
                break
        rest_out = proc.stdout.read()
        errors = proc.stderr.read()
        _pid, status, rusage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if seconds is None or proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:4])}… exited {proc.returncode} "
            f"{'without printing ' + MARKER if seconds is None else ''}\n{rest_out}{errors}"
        )
    return Run(seconds, _peak_rss_mb(rusage))


@dataclass(eq=False)  # hashable by identity, so per-run results can be cached
class Bench:
    """Shared state of one bench run: the demo database and cached measurements."""

    persons: int = PERSONS
    seed: int = SEED
    runs: int = RUNS
    built_seconds: float | None = None
    rows_written: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        size = f"{self.persons // 1000}k" if self.persons % 1000 == 0 else str(self.persons)
        return CACHE / f"demo-{size}"

    @property
    def env(self) -> dict[str, str]:
        from oma_desktop.services.accounts import PASSWORD_ENV

        return {**os.environ, "QT_QPA_PLATFORM": "offscreen", PASSWORD_ENV: BENCH_PASSWORD}

    @property
    def database(self) -> Path:
        from oma_desktop.paths import DataPaths

        return DataPaths(self.data_dir).database

    @property
    def credentials(self) -> Any:
        from oma_desktop.services.accounts import Credentials

        return Credentials(BENCH_USER, BENCH_PASSWORD)

    @functools.cached_property
    def desk_credentials(self) -> Any:
        """The demo's front-desk account (``recepcion.cv1``-style; same password), for the
        figures of what the front desk does: search and save."""
        from oma_desktop.core.keyring import Keyring
        from oma_desktop.paths import DataPaths
        from oma_desktop.services.accounts import Credentials, keyring_path

        names = Keyring.load(keyring_path(DataPaths(self.data_dir))).usernames()
        desk = next((n for n in names if n.startswith("recepcion")), None)
        if desk is None:
            raise RuntimeError(f"the demo has no reception account (accounts: {names})")
        return Credentials(desk, BENCH_PASSWORD)

    @functools.cached_property
    def key(self) -> bytes:
        """The demo's database key, unwrapped once with the bench password (for the floors,
        the stores opened without a context, and the scratch copy)."""
        from oma_desktop.core.keyring import Keyring
        from oma_desktop.paths import DataPaths
        from oma_desktop.services.accounts import keyring_path

        ring = Keyring.load(keyring_path(DataPaths(self.data_dir)))
        return ring.unlock(BENCH_USER, BENCH_PASSWORD).key

    def _wanted_stamp(self) -> dict[str, object]:
        import hashlib

        from oma_desktop.core.catalogs import load_catalogs
        from oma_desktop.core.migrations import latest_version
        from oma_desktop.core.seed import every_seed_operation

        # the seeded records too: a cache built before a seed revision changed would hold
        # other operations under the same sequence numbers
        seeded = every_seed_operation(load_catalogs().institutions)
        digest = hashlib.sha256("\n".join(op.op_id for op in seeded).encode()).hexdigest()
        return {"persons": self.persons, "seed": self.seed, "schema": latest_version(),
                "encryption": ENCRYPTION, "seeded": digest[:16]}

    def ensure_demo(self) -> None:
        """Reuse the cached demo database if complete, otherwise build it (timed)."""
        stamp_path = self.data_dir / STAMP
        wanted = self._wanted_stamp()
        if stamp_path.exists() and self.database.exists() and self._is_encrypted():
            stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
            if all(stamp.get(k) == v for k, v in wanted.items()):
                self.rows_written = int(stamp.get("rows", 0))
                log(f"reusing {self.data_dir}")
                return
        if self.data_dir.exists():
            log(f"discarding incomplete or outdated {self.data_dir}")
            shutil.rmtree(self.data_dir)
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        log(f"building {self.data_dir} ({self.persons} persons, seed {self.seed})…")
        command = [sys.executable, "-m", "oma_desktop", "--data-dir", str(self.data_dir),
                   "demo", "--persons", str(self.persons), "--seed", str(self.seed)]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=False)
        self.built_seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"demo build failed ({done.returncode}):\n{done.stderr}")
        if not self._is_encrypted():
            raise RuntimeError(f"the demo build left {self.database} unencrypted")
        self.rows_written = self._count_rows()
        stamp_path.write_text(json.dumps({**wanted, "rows": self.rows_written,
                                          "build_s": round(self.built_seconds, 3)}),
                              encoding="utf-8")
        log(f"built in {self.built_seconds:.1f} s ({self.rows_written} rows)")

    def _is_encrypted(self) -> bool:
        from oma_desktop.core.driver import is_encrypted_file
        from oma_desktop.paths import DataPaths
        from oma_desktop.services.accounts import keyring_path

        return (keyring_path(DataPaths(self.data_dir)).exists()
                and is_encrypted_file(self.database))

    def _count_rows(self) -> int:
        """Rows the build inserted: every entity row plus its change-log operation."""
        conn = bare_connect(self.database, self.key, read_only=True)
        try:
            return sum(int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                       for t in (*ENTITY_TABLES, "change_log"))
        finally:
            conn.close()

    def _runs(self, what: str, command: Sequence[str]) -> list[Run]:
        runs = []
        for i in range(self.runs):
            run = time_until_marker(command, self.env)
            log(f"{what} run {i + 1}/{self.runs}: {run.seconds:.3f} s, {run.peak_rss_mb:.1f} MB")
            runs.append(run)
        return runs

    @functools.cached_property
    def app_runs(self) -> list[Run]:
        return self._runs("app", [sys.executable, "-m", "oma_desktop", "--data-dir",
                                  str(self.data_dir), "--exit-after-show"])

    @functools.cached_property
    def bare_window_runs(self) -> list[Run]:
        return self._runs("bare window", [sys.executable, "-c", BARE_WINDOW])


# --- the figures ------------------------------------------------------------------------

Measure = Callable[[Bench], "float | None"]
Floor = Callable[[Bench], float]


@dataclass(frozen=True)
class Figure:
    name: str
    unit: str
    measure: Measure
    floor: Floor
    decimals: int = 3


FIGURES: list[Figure] = []


def figure(name: str, unit: str, *, floor: Floor, decimals: int = 3) -> Callable[[Measure], Measure]:
    """Register ``measure`` as the figure ``name`` with its bare-library ``floor``."""

    def register(measure: Measure) -> Measure:
        FIGURES.append(Figure(name, unit, measure, floor, decimals))
        return measure

    return register


def floor_plain_executemany(bench: Bench) -> float:
    """Bare sqlcipher3: executemany of as many rows as the build wrote, into a plain table
    of a new database encrypted with the demo's key."""
    rows = bench.rows_written or 1
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        conn = bare_connect(Path(tmp) / "floor.sqlite3", bench.key)
        try:
            conn.execute("CREATE TABLE t (id TEXT, name TEXT, n INTEGER)")
            start = time.perf_counter()
            conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                             ((f"{i:036d}", "María José Pérez González", i) for i in range(rows)))
            conn.commit()
            return time.perf_counter() - start
        finally:
            conn.close()


@figure("demo_build_s", "s", floor=floor_plain_executemany)
def demo_build_s(bench: Bench) -> float | None:
    return bench.built_seconds


@figure("startup_s", "s", floor=lambda b: statistics.median(r.seconds for r in b.bare_window_runs))
def startup_s(bench: Bench) -> float:
    return statistics.median(r.seconds for r in bench.app_runs)


@figure("peak_rss_mb", "MB", decimals=1,
        floor=lambda b: statistics.median(r.peak_rss_mb for r in b.bare_window_runs))
def peak_rss_mb(bench: Bench) -> float:
    return statistics.median(r.peak_rss_mb for r in bench.app_runs)


# --- logging in (issue #9) -----------------------------------------------------------------

LOGIN_RUNS = 7


def _login_samples(bench: Bench) -> dict[str, list[float]]:
    """Milliseconds of LOGIN_RUNS logins and as many bare Argon2id derivations, taken in
    turn (one of each per round, which goes first alternating, after an untimed warm-up of
    both), so that both medians see the same machine load."""
    cached = bench.extra.get("login_samples")
    if isinstance(cached, dict):
        return cached
    from argon2.low_level import Type, hash_secret_raw

    from oma_desktop.core.keyring import DEFAULT_KDF, KEY_BYTES, SALT_BYTES, Keyring
    from oma_desktop.core.store import open_store
    from oma_desktop.paths import DataPaths
    from oma_desktop.services.accounts import keyring_path

    paths = DataPaths(bench.data_dir)

    def log_in() -> None:
        unlocked = Keyring.load(keyring_path(paths)).unlock(BENCH_USER, BENCH_PASSWORD)
        store = open_store(paths.database, key=unlocked.key, create=False)
        try:
            if store.one("SELECT * FROM person LIMIT 1") is None:
                raise RuntimeError("the demo database holds no person")
        finally:
            store.close()

    def derive() -> None:
        hash_secret_raw(BENCH_PASSWORD.encode(), secrets.token_bytes(SALT_BYTES),
                        time_cost=DEFAULT_KDF.time_cost, memory_cost=DEFAULT_KDF.memory_kib,
                        parallelism=DEFAULT_KDF.parallelism, hash_len=KEY_BYTES, type=Type.ID)

    samples: dict[str, list[float]] = {"login": [], "argon2": []}
    log_in()  # warm-up: imports, the file's first pages
    derive()
    for run in range(LOGIN_RUNS):
        pair = (("login", log_in), ("argon2", derive))
        for name, once in pair if run % 2 == 0 else pair[::-1]:
            start = time.perf_counter()
            once()
            samples[name].append((time.perf_counter() - start) * 1000)
    bench.extra["login_samples"] = samples
    return samples


@figure("login_ms", "ms", decimals=1,
        floor=lambda b: statistics.median(_login_samples(b)["argon2"]))
def login_ms(bench: Bench) -> float:
    """Logging in: the key file read and the right password unwrapping the database key
    (Argon2id, 64 MiB, 3 passes, 4 lanes; then AES-GCM), then the encrypted store opened
    with that key and one row read. The floor: argon2-cffi's ``hash_secret_raw`` alone with
    the same parameters."""
    return statistics.median(_login_samples(bench)["login"])


# --- front desk (issue #3) ------------------------------------------------------------------

SEARCH_SAMPLE = 300
SAVE_SAMPLE = 40


def _percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


@functools.cache
def _search_queries(bench: Bench) -> list[tuple[str, str, str]]:
    """(what the clerk types, bare FTS query or '', bare document number or '').

    Built from real rows of the demo, deterministically: partial given name + surname,
    "Surname, Given", a document number with dots and hyphens, and a phone number.
    """
    import random

    from oma_desktop.core.text import document_number_key

    rng = random.Random(7)
    conn = bare_connect(bench.database, bench.key, read_only=True)
    try:
        top = int(conn.execute("SELECT max(rowid) FROM person").fetchone()[0])
        queries: list[tuple[str, str, str]] = []
        while len(queries) < SEARCH_SAMPLE:
            row = conn.execute(
                "SELECT p.id, given_names, paternal_surname, maternal_surname, phone,"
                " (SELECT number FROM document d WHERE d.person_id = p.id LIMIT 1)"
                " FROM person p WHERE rowid = ?", [rng.randint(1, top)]).fetchone()
            if row is None or not row[2]:
                continue
            _pid, given, pat, mat, phone, number = row
            kind = len(queries) % 4
            first = given.split()[0]
            if kind == 0:
                text = f"{first[:4].lower()} {pat}"
                fts = f'"{first[:4].lower()}"* AND "{pat.lower()}"*'
                queries.append((text, fts, ""))
            elif kind == 1:
                text = f"{pat} {mat}, {first}".strip()
                fts = " AND ".join(f'"{t.lower()}"*' for t in (pat, mat, first) if t)
                queries.append((text, fts, ""))
            elif kind == 2 and number and len(number) >= 6:
                dotted = f"{number[:2]}.{number[2:5]}-{number[5:]}"
                queries.append((dotted, "", document_number_key(number)))
            elif kind == 3 and phone:
                queries.append((phone, f'search_phones : "{phone}"*', ""))
        return queries
    finally:
        conn.close()


def _bare_search_ms(bench: Bench) -> list[float]:
    conn = bare_connect(bench.database, bench.key, read_only=True)
    timings = []
    try:
        for _text, fts, number in _search_queries(bench):
            start = time.perf_counter()
            if fts:
                conn.execute("SELECT rowid FROM person_fts WHERE person_fts MATCH ? LIMIT 50",
                             [fts]).fetchall()
            else:
                # documents are compared by their digits, through the partial index
                conn.execute("SELECT person_id FROM document WHERE number_key = ?"
                             " AND number_key <> ''", [number]).fetchall()
            timings.append((time.perf_counter() - start) * 1000)
    finally:
        conn.close()
    return timings


@figure("search_p95_ms", "ms", floor=lambda b: _percentile(_bare_search_ms(b), 95))
def search_p95_ms(bench: Bench) -> float:
    from oma_desktop.services.context import open_context
    from oma_desktop.services.search import search_persons

    ctx = open_context(bench.data_dir, credentials=bench.desk_credentials)
    timings = []
    try:
        misses = 0
        for text, _fts, _number in _search_queries(bench):
            start = time.perf_counter()
            hits = search_persons(ctx.session, text)
            timings.append((time.perf_counter() - start) * 1000)
            misses += not hits
        log(f"search: {len(timings)} queries, {misses} without result")
    finally:
        ctx.close()
    return _percentile(timings, 95)


@functools.cache
def _scratch(bench: Bench) -> Path:
    """A copy of the demo data folder to write into (the cached one stays pristine): the
    database copied page by page with SQLite's backup API under the same key (so it stays
    encrypted), and the key file, so it opens with the bench account like the demo."""
    from oma_desktop.paths import DataPaths
    from oma_desktop.services.accounts import KEYRING_NAME

    scratch = CACHE / "scratch"
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    log("copying the demo database for the write figures…")
    source = bare_connect(bench.database, bench.key, read_only=True)
    target = bare_connect(DataPaths(scratch).database, bench.key)
    source.backup(target)
    source.close()
    target.close()
    for name in (KEYRING_NAME, "bench-stamp.json"):
        if (bench.data_dir / name).exists():
            shutil.copy(bench.data_dir / name, scratch / name)
    return scratch


def _save_samples(bench: Bench) -> dict[str, list[float]]:
    cached = bench.extra.get("save_samples")
    if isinstance(cached, dict):
        return cached
    import datetime as dt

    from oma_desktop.services.consultations import ConsultationInput, record_consultation
    from oma_desktop.services.context import open_context
    from oma_desktop.services.persons import DocumentInput, PersonInput, register_person

    ctx = open_context(_scratch(bench), credentials=bench.desk_credentials)
    person_ms: list[float] = []
    consultation_ms: list[float] = []
    try:
        for i in range(SAVE_SAMPLE):
            data = PersonInput(
                given_names="Bench Yorbelis", paternal_surname=f"Prueba{i}",
                maternal_surname="Méndez", sex="F", nationality="VE",
                birth_date=dt.date(1990, 1, 1 + i % 28), consent_register=True,
                phone="987654321", district_ubigeo="150101",
                documents=[DocumentInput("CE", f"9{i:08d}")],
            )
            start = time.perf_counter()
            pid = register_person(ctx.session, data)
            person_ms.append((time.perf_counter() - start) * 1000)
            entry = ConsultationInput(person_id=pid, topics=["EMPLEO_CAPACITACION"],
                                      summary="Consulta de prueba del benchmark",
                                      follow_up_date=dt.date.today() + dt.timedelta(days=7))
            start = time.perf_counter()
            record_consultation(ctx.session, entry)
            consultation_ms.append((time.perf_counter() - start) * 1000)
    finally:
        ctx.close()
    samples = {"person": person_ms, "consultation": consultation_ms}
    bench.extra["save_samples"] = samples
    return samples


def _bare_insert_ms(bench: Bench, columns: int) -> float:
    """Median ms of one committed INSERT of a ``columns``-wide row, same PRAGMAs, same
    encrypted file, same key."""
    conn = bare_connect(_scratch(bench) / "oma.sqlite3", bench.key, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        cols = ", ".join(f"c{i}" for i in range(columns))
        table = f"bench_floor_{columns}"
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, {cols})")
        marks = ", ".join("?" * (columns + 1))
        timings = []
        for i in range(SAVE_SAMPLE):
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"INSERT INTO {table} VALUES ({marks})",
                         [f"{columns}-{i}", *(["valor"] * columns)])
            conn.execute("COMMIT")
            timings.append((time.perf_counter() - start) * 1000)
        return statistics.median(timings)
    finally:
        conn.close()


@figure("save_person_ms", "ms", floor=lambda b: _bare_insert_ms(b, 40))
def save_person_ms(bench: Bench) -> float:
    return statistics.median(_save_samples(bench)["person"])


@figure("save_consultation_ms", "ms", floor=lambda b: _bare_insert_ms(b, 14))
def save_consultation_ms(bench: Bench) -> float:
    return statistics.median(_save_samples(bench)["consultation"])


APPLY_OPS = 50_000


@functools.cache
def _ops_to_apply(bench: Bench) -> list[tuple[object, ...]]:
    """The first operations the demo build wrote (creates before what refers to them)."""
    from oma_desktop.core.oplog import SELECT_OPS

    conn = bare_connect(bench.database, bench.key, read_only=True)
    try:
        return conn.execute(f"{SELECT_OPS} ORDER BY rowid LIMIT ?", [APPLY_OPS]).fetchall()
    finally:
        conn.close()


def _bare_apply_s(bench: Bench) -> float:
    """Bare sqlcipher3: insert the same operations into a plain table of a new encrypted
    database, one transaction."""
    rows = _ops_to_apply(bench)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        conn = bare_connect(Path(tmp) / "floor.sqlite3", bench.key)
        try:
            conn.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(len(rows[0])))})")
            start = time.perf_counter()
            conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(rows[0]))})", rows)
            conn.commit()
            return time.perf_counter() - start
        finally:
            conn.close()


@figure("apply_50k_ops_s", "s", floor=_bare_apply_s)
def apply_50k_ops_s(bench: Bench) -> float:
    """Store.apply() of 50,000 operations from another database into a new one (stored
    verbatim, folded, guarded, search index updated), in one transaction."""
    from oma_desktop.core.oplog import Operation
    from oma_desktop.core.store import open_store

    ops = [Operation.from_row(r) for r in _ops_to_apply(bench)]
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        store = open_store(Path(tmp) / "hq.sqlite3", key=bench.key)
        try:
            start = time.perf_counter()
            store.apply(ops)
            return time.perf_counter() - start
        finally:
            store.close()


SYNC_OPS = 100_000


@functools.cache
def _casa_ops(bench: Bench) -> list[tuple[object, ...]]:
    """The first operations of the demo's CV1 PC: what its first sync file would carry."""
    from oma_desktop.core.oplog import SELECT_OPS
    from oma_desktop.services.demo import demo_installation_id

    conn = bare_connect(bench.database, bench.key, read_only=True)
    try:
        return conn.execute(f"{SELECT_OPS} WHERE installation = ? ORDER BY seq LIMIT ?",
                            [demo_installation_id("CV1"), SYNC_OPS]).fetchall()
    finally:
        conn.close()


def _bare_sync_ops_per_s(bench: Bench) -> float:
    """Bare sqlcipher3: insert the same operations into a plain table of a new encrypted
    database, one transaction (operations per second)."""
    rows = _casa_ops(bench)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        conn = bare_connect(Path(tmp) / "floor.sqlite3", bench.key)
        try:
            conn.execute(f"CREATE TABLE t ({', '.join(f'c{i}' for i in range(len(rows[0])))})")
            start = time.perf_counter()
            conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(rows[0]))})", rows)
            conn.commit()
            return len(rows) / (time.perf_counter() - start)
        finally:
            conn.close()


@functools.cache
def _sync_rates(bench: Bench) -> tuple[float, float]:
    """A CV1 PC holding the demo's first CV1 operations writes its sync file (export), and a
    new headquarters imports it (import): operations per second of each, the file's
    signing, encryption, checks and the one-transaction apply included."""
    from oma_desktop.core.oplog import Operation
    from oma_desktop.core.store import open_store
    from oma_desktop.services.demo import demo_installation_id
    from oma_desktop.sync import exchange as ex
    from oma_desktop.sync.keys import PublicKeys

    ops = [Operation.from_row(r) for r in _casa_ops(bench)]
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        casa = open_store(Path(tmp) / "casa.sqlite3", key=bench.key)
        hq = open_store(Path(tmp) / "hq.sqlite3", key=bench.key)
        try:
            for store, casa_id, installation, mode in (
                    (casa, "CV1", demo_installation_id("CV1"), "casa"),
                    (hq, "CV1", "bench-hq", "hq")):
                store.set_meta("installation_id", installation)
                store.set_meta("casa_id", casa_id)
                store.set_meta("mode", mode)
                ex.ensure_own_keys(store)
            casa.set_meta(ex.HQ_KEYS_META,
                          ex.own_public_keys(hq, "").to_file(ex.own_keys(hq)).decode())
            ex.register_peer(hq, PublicKeys.from_file(
                ex.own_public_keys(casa, "AAA").to_file(ex.own_keys(casa))))
            casa.apply(ops, foreign_keys=False)  # the casa's history, as it was written
            start = time.perf_counter()
            export = ex.build_export(casa, "AAA")
            export_s = time.perf_counter() - start
            start = time.perf_counter()
            report = ex.import_export(hq, export.data)
            import_s = time.perf_counter() - start
            assert report.applied == len(ops) == export.op_count, report
            return len(ops) / export_s, len(ops) / import_s
        finally:
            casa.close()
            hq.close()


@figure("export_ops_per_s", "ops/s", floor=_bare_sync_ops_per_s, decimals=0)
def export_ops_per_s(bench: Bench) -> float:
    return _sync_rates(bench)[0]


@figure("import_ops_per_s", "ops/s", floor=_bare_sync_ops_per_s, decimals=0)
def import_ops_per_s(bench: Bench) -> float:
    return _sync_rates(bench)[1]


def _bare_read_all_s(bench: Bench) -> float:
    """Bare sqlcipher3: read every change-log operation and every record once, from the
    encrypted demo."""
    conn = bare_connect(bench.database, bench.key, read_only=True)
    try:
        start = time.perf_counter()
        for table in (*ENTITY_TABLES, "change_log"):
            for _row in conn.execute(f"SELECT * FROM {table}"):
                pass
        return time.perf_counter() - start
    finally:
        conn.close()


@figure("check_s", "s", floor=_bare_read_all_s)
def check_s(bench: Bench) -> float:
    """``oma-desktop check`` on the demo: file integrity, links, guards, sequences and the
    fold of every record from its operations."""
    from oma_desktop.core.store import open_store
    from oma_desktop.services.integrity import run_checks

    store = open_store(_scratch(bench) / "oma.sqlite3", key=bench.key, create=False)
    try:
        start = time.perf_counter()
        failed = [r.key for r in run_checks(store) if not r.ok]
        seconds = time.perf_counter() - start
    finally:
        store.close()
    if failed:
        raise RuntimeError(f"check failed on the demo database: {failed}")
    return seconds


IMPORT_ROWS = 5_000
IMPORT_HEADERS = ["Nombres", "Apellidos", "Sexo", "Fecha de nacimiento", "Edad", "Nacionalidad",
                  "Tipo de documento", "N° documento", "Celular", "Fecha de atención", "Tema"]


@functools.cache
def _import_rows(bench: Bench) -> tuple[tuple[str, ...], ...]:
    """A 5,000-row list as a casa would bring it, with realistic overlaps (seeded):

    about 8 % people already in the database (some with their cédula typed without its V),
    4 % repeated within the list,
    the rest new people (names mixed from the demo's, their own birth dates and numbers),
    one in ten with an age instead of a birth date, one in six without a document.
    """
    import random

    rng = random.Random(7)
    conn = bare_connect(bench.database, bench.key, read_only=True)
    try:
        sample = conn.execute(
            "SELECT p.given_names, p.paternal_surname, p.maternal_surname, p.sex, p.birth_date,"
            " p.birth_date_estimated, p.nationality, d.doc_type, d.number, p.phone"
            " FROM person p JOIN document d ON d.person_id = p.id AND d.deleted = 0"
            " WHERE p.rowid % 97 = 0 LIMIT 3000").fetchall()
        # new people's cédulas: numbers nobody in the demo holds (keys compare across types)
        taken = {k for (k,) in conn.execute(
            "SELECT number_key FROM document WHERE number_key BETWEEN '90000000' AND '90099999'")}
    finally:
        conn.close()
    givens = [r[0] for r in sample]
    surnames = [r[1] for r in sample] + [r[2] for r in sample if r[2]]
    rows: list[tuple[str, ...]] = []
    for i in range(IMPORT_ROWS):
        day = f"{1 + i % 28:02d}/{1 + i % 12:02d}/2025"
        roll = rng.random()
        if roll < 0.08:
            given, pat, mat, sex, birth, estimated, nat, doc_type, number, phone = rng.choice(sample)
            if doc_type == "CEDULA_VE" and rng.random() < 0.3:
                number = number.lstrip("V")  # the same cédula typed without its V
            birth_text = "" if estimated else "/".join(reversed(birth.split("-")))
            rows.append((given, f"{pat} {mat}".strip(), sex, birth_text, "", nat, doc_type, number,
                         phone, day, "Orientación general"))
            continue
        if roll < 0.12 and rows:
            rows.append(rng.choice(rows))
            continue
        sex = rng.choice("FM")
        year = rng.randint(1950, 2010)
        birth_text = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}"
        age = ""
        if rng.random() < 0.1:
            birth_text, age = "", str(2026 - year)
        doc_type, number = "", ""
        if rng.random() > 1 / 6:
            free = next(n for n in range(90_000_000 + i * 10, 90_000_000 + i * 10 + 10)
                        if str(n) not in taken)
            doc_type, number = "Cédula", f"V{free}"
        rows.append((rng.choice(givens), f"{rng.choice(surnames)} {rng.choice(surnames)}", sex,
                     birth_text, age, "VE", doc_type, number, f"9{rng.randint(10**7, 10**8 - 1)}",
                     day, "Salud"))
    return tuple(rows)


def _bare_import_rows_per_s(bench: Bench) -> float:
    """Bare sqlcipher3: the same rows inserted as a person, a document and a consultation
    each (plain tables of a new encrypted database, one transaction), in rows a second."""
    rows = _import_rows(bench)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        conn = bare_connect(Path(tmp) / "floor.sqlite3", bench.key)
        try:
            conn.execute("CREATE TABLE person (id TEXT PRIMARY KEY, given TEXT, surnames TEXT,"
                         " sex TEXT, birth TEXT, age TEXT, nationality TEXT, phone TEXT)")
            conn.execute("CREATE TABLE document (id TEXT PRIMARY KEY, person_id TEXT,"
                         " doc_type TEXT, number TEXT)")
            conn.execute("CREATE TABLE consultation (id TEXT PRIMARY KEY, person_id TEXT,"
                         " occurred_at TEXT, topic TEXT)")
            start = time.perf_counter()
            conn.executemany("INSERT INTO person VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             ((f"p{i}", r[0], r[1], r[2], r[3], r[4], r[5], r[8])
                              for i, r in enumerate(rows)))
            conn.executemany("INSERT INTO document VALUES (?, ?, ?, ?)",
                             ((f"d{i}", f"p{i}", r[6], r[7]) for i, r in enumerate(rows)))
            conn.executemany("INSERT INTO consultation VALUES (?, ?, ?, ?)",
                             ((f"c{i}", f"p{i}", r[9], r[10]) for i, r in enumerate(rows)))
            conn.commit()
            return len(rows) / (time.perf_counter() - start)
        finally:
            conn.close()


def _import_run(bench: Bench) -> dict[str, float]:
    """The 5,000-row list imported into the scratch copy of the demo as the app does it:
    planned, then the backup «antes de importar» (``services.backup.make_backup``), then
    written (``commit_import(backup=False)``, the rest of what ``commit_import`` does), each
    timed; seconds of the import proper and of the backup."""
    cached = bench.extra.get("import_run")
    if isinstance(cached, dict):
        return cached
    from oma_desktop.services.backup import Reason, make_backup
    from oma_desktop.services.context import open_context
    from oma_desktop.services.importer import Table, commit_import, guess_mapping, plan_import

    rows = _import_rows(bench)
    table = Table(headers=list(IMPORT_HEADERS), rows=[list(r) for r in rows])
    ctx = open_context(_scratch(bench), credentials=bench.credentials)
    try:
        start = time.perf_counter()
        plan = plan_import(ctx.session, table, guess_mapping(table.headers),
                           consent_confirmed=True, source="bench.csv")
        planned = time.perf_counter()
        if plan.rows_with_errors:
            raise RuntimeError(f"{plan.rows_with_errors} rows with errors: "
                               f"{[i.message for i in plan.errors[:3]]}")
        make_backup(ctx.session, Reason.BEFORE_IMPORT)
        backed_up = time.perf_counter()
        result = commit_import(ctx.session, plan, backup=False)
        saved = time.perf_counter()
    finally:
        ctx.close()
    run = {"import_s": (planned - start) + (saved - backed_up), "backup_s": backed_up - planned}
    log(f"import: planned in {planned - start:.2f} s, backed up in {run['backup_s']:.2f} s,"
        f" saved in {saved - backed_up:.2f} s ({saved - start:.1f} s in all);"
        f" {result.persons_created} new, {result.persons_matched} matched,"
        f" {len(result.review_ids)} to review")
    bench.extra["import_run"] = run
    return run


@figure("import_rows_per_s", "rows/s", floor=_bare_import_rows_per_s, decimals=0)
def import_rows_per_s(bench: Bench) -> float:
    """A 5,000-row list imported into a copy of the demo, matching included: every row
    read, validated and matched against the registered persons (documents by their key,
    duplicates by name and birth date), then written in one transaction. The backup made
    before it is ``backup_s``, not counted here (it grows with the database, not the list)."""
    return len(_import_rows(bench)) / _import_run(bench)["import_s"]


def _bare_backup_s(bench: Bench) -> float:
    """Bare sqlcipher3 and hashlib: the scratch database copied with the backup API into a
    new file under the same key and flushed, that copy's ``PRAGMA integrity_check(20)``,
    and its SHA-256."""
    import hashlib

    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        target = Path(tmp) / "copy.sqlite3"
        start = time.perf_counter()
        source = bare_connect(_scratch(bench) / "oma.sqlite3", bench.key, read_only=True)
        dest = bare_connect(target, bench.key)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
        fd = os.open(target, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        copied = time.perf_counter()
        conn = bare_connect(target, bench.key)
        try:
            result = conn.execute("PRAGMA integrity_check(20)").fetchall()
        finally:
            conn.close()
        if result != [("ok",)]:
            raise RuntimeError(f"the bare copy failed its integrity check: {result[:3]}")
        checked = time.perf_counter()
        digest = hashlib.sha256()
        with open(target, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        hashed = time.perf_counter()
    log(f"bare backup: copied in {copied - start:.1f} s, integrity_check {checked - copied:.1f} s,"
        f" SHA-256 {hashed - checked:.1f} s")
    return hashed - start


@figure("backup_s", "s", floor=_bare_backup_s, decimals=1)
def backup_s(bench: Bench) -> float:
    """The backup made before an import (and once a day) of the demo-sized database:
    copied with the backup API under the database key, verified with integrity_check,
    noted with its SHA-256 (``services.backup.make_backup``)."""
    return _import_run(bench)["backup_s"]


SLIP_RUNS = 30


def _slip_code(run: int) -> str:
    return f"CV3-2026-{run:06d}"  # a new code every run: no QR is computed from a cache


def _median_ms(write: Callable[[Path, str], object]) -> float:
    """Median milliseconds of ``write(path, code)`` over SLIP_RUNS, after one warm-up write
    (imports and font loading happen once per process, not per slip)."""
    times: list[float] = []
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        target = Path(tmp) / "slip.pdf"
        write(target, _slip_code(0))
        for run in range(1, SLIP_RUNS + 1):
            start = time.perf_counter()
            write(target, _slip_code(run))
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _bare_slip_ms(bench: Bench) -> float:
    """Bare reportlab: an A5 canvas page with the same QR code and a few strings."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen.canvas import Canvas

    def write(path: Path, code: str) -> None:
        canvas = Canvas(str(path), pagesize=A5)
        canvas.setFont("Helvetica", 10)
        for i, text in enumerate((code, "Centro de Salud Conde de la Vega Baja",
                                  "Jr. Conde de la Vega Baja 650", "Urgente (72 h)")):
            canvas.drawString(30, 560 - 14 * i, text)
        widget = QrCodeWidget(code, barLevel="M")
        drawing = Drawing(85, 85)
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, 300, 480)
        canvas.showPage()
        canvas.save()

    return _median_ms(write)


@figure("slip_ms", "ms", floor=_bare_slip_ms)
def slip_ms(bench: Bench) -> float:
    """One referral slip PDF (header, QR twice, wrapped person and destination, stub) written
    with write_slips from sample data."""
    from oma_desktop import i18n
    from oma_desktop.printing.slip import write_slips
    from tests.printing.samples import sample_slip

    i18n.setup("es")
    return _median_ms(lambda path, code: write_slips([sample_slip(code)], path))


REPORT_RUNS = 5


@functools.cache
def _busiest_month(bench: Bench) -> tuple[int, int, int]:
    """(year, month, consultations) of the demo's month with the most consultations."""
    conn = bare_connect(bench.database, bench.key, read_only=True)
    try:
        month, n = conn.execute(
            "SELECT substr(occurred_at, 1, 7) AS m, count(*) FROM consultation"
            " WHERE deleted = 0 GROUP BY m ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
    finally:
        conn.close()
    return int(month[:4]), int(month[5:7]), int(n)


def _bare_month_group_by_s(bench: Bench) -> float:
    """Bare sqlcipher3: one GROUP BY (sex) over the busiest month's consultations joined to
    their persons, on a fresh connection (median of REPORT_RUNS)."""
    year, month, _n = _busiest_month(bench)
    start_day = f"{year:04d}-{month:02d}-01"
    end_day = f"{year + (month == 12):04d}-{month % 12 + 1:02d}-01"
    times = []
    for _run in range(REPORT_RUNS):
        start = time.perf_counter()
        conn = bare_connect(bench.database, bench.key, read_only=True)
        try:
            conn.execute(
                "SELECT p.sex, count(*) FROM consultation c JOIN person p ON p.id = c.person_id"
                " WHERE c.occurred_at >= ? AND c.occurred_at < ? GROUP BY p.sex",
                [start_day, end_day]).fetchall()
        finally:
            conn.close()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@figure("monthly_report_s", "s", floor=_bare_month_group_by_s)
def monthly_report_s(bench: Bench) -> float:
    """The consolidated general report of the demo's busiest month, every table and every
    disaggregation (``services.reports.build_report``), through an open context (median of
    REPORT_RUNS after one warm-up)."""
    from oma_desktop import i18n
    from oma_desktop.services.context import open_context
    from oma_desktop.services.report_filter import ReportFilter
    from oma_desktop.services.reports import build_report

    i18n.setup("es")
    year, month, n = _busiest_month(bench)
    flt = ReportFilter.month(year, month)
    ctx = open_context(bench.data_dir, credentials=bench.credentials)
    try:
        build_report(ctx.session, "general", flt)
        times = []
        for _run in range(REPORT_RUNS):
            start = time.perf_counter()
            doc = build_report(ctx.session, "general", flt)
            times.append(time.perf_counter() - start)
    finally:
        ctx.close()
    tables = sum(1 for _t in doc.tables())
    log(f"monthly report: {year}-{month:02d}, {n} consultations, {tables} tables")
    return statistics.median(times)


# --- running ------------------------------------------------------------------------------


def format_line(item: Figure, value: float, floor: float) -> str:
    ratio = value / floor if floor > 0 else float("inf")
    d = item.decimals
    return f"{item.name} {value:.{d}f} {item.unit} floor {floor:.{d}f} ratio {ratio:.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", nargs="*", default=None, help="figures to measure")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per start-up median")
    parser.add_argument("--persons", type=int, default=PERSONS, help="size of the demo")
    args = parser.parse_args(argv)
    bench = Bench(persons=args.persons, runs=args.runs)
    selected = [f for f in FIGURES if not args.only or f.name in args.only]
    failures = 0
    try:
        bench.ensure_demo()
    except Exception as exc:
        log(f"demo database: {exc}")
        failures += 1
        selected = [f for f in selected if f.name != "demo_build_s"]
    for item in selected:
        try:
            value = item.measure(bench)
            if value is None:
                log(f"{item.name}: not measured in this run")
                continue
            print(format_line(item, value, item.floor(bench)), flush=True)
        except Exception as exc:
            log(f"{item.name} FAILED: {exc}")
            failures += 1
    shutil.rmtree(CACHE / "scratch", ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
