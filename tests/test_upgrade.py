"""Issue #12.4: installing a newer version over an older one keeps the data, backs it up
and migrates it.

A data folder of the OLDEST schema (only migration 1, as the first release left it: a plain
database, no key file) is filled the way that release wrote: the six casas each installation
created on its own, one of them renamed, a staff account, persons and their consultations
(one anonymous walk-in), every write logged in the change log of that time. A copy of the
folder is then opened by the installed program as a separate process — the frozen build
(``make installer``) when it exists, and ``python -m oma_desktop`` — first as the clerk
would (the window, here ``--smoke-test`` with the password in OMA_PASSWORD: the plain
folder gets its key file and is encrypted, then migrated), then with ``check``. Nothing may
be lost: every row keeps its values, every operation its fields, and the copy made before
migrating opens with the old rows.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from acting import TEST_PASSWORD, database_key
from frozen_app import frozen_executable

from oma_desktop.core import driver
from oma_desktop.core.clock import pack
from oma_desktop.core.migrations import MIGRATIONS, latest_version
from oma_desktop.core.store import Store, open_store
from oma_desktop.services.integrity import run_checks

INSTALLATION = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
CASA = "CV3"
CASA_NAME = "Casa Vecinal Zárate"  # renamed at the casa under schema 1
STAFF = "0190a1b2-c3d4-7e5f-8a9b-000000000001"
# the tables a schema-1 writer filled here, and the columns no upgrade may change
TABLES = ("casa", "app_user", "person", "consultation")


class _V1Writer:
    """Writes as the first release did: one change-log entry (all the record's values, compact
    sorted JSON) then the row pointing at it, inside the schema-1 guard triggers."""

    def __init__(self, store: Store) -> None:
        self.conn = store.conn
        self.seq = 0
        self.ms = 1_759_312_800_000  # 2025-10-01 10:00 UTC, before the later releases

    def _log(self, user: str, entity: str, entity_id: str, kind: str,
             fields: dict[str, Any]) -> str:
        self.seq += 1
        self.ms += 60_000
        op_id = str(uuid.uuid4())
        self.conn.execute(
            "INSERT INTO change_log (op_id, casa, installation, seq, hlc, user_id, entity,"
            " entity_id, kind, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [op_id, CASA, INSTALLATION, self.seq, pack(self.ms), user, entity, entity_id, kind,
             json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True)])
        return op_id

    def create(self, entity: str, fields: dict[str, Any], *, entity_id: str | None = None,
               user: str = STAFF) -> str:
        entity_id = entity_id or str(uuid.uuid4())
        op_id = self._log(user, entity, entity_id, "create", fields)
        columns = ["id", "last_op_id", *fields]
        self.conn.execute(
            f"INSERT INTO {entity} ({', '.join(columns)})"
            f" VALUES ({', '.join('?' for _ in columns)})",
            [entity_id, op_id, *fields.values()])
        return entity_id

    def update(self, entity: str, entity_id: str, fields: dict[str, Any],
               user: str = STAFF) -> None:
        op_id = self._log(user, entity, entity_id, "update", fields)
        sets = ", ".join(f"{column} = ?" for column in fields)
        self.conn.execute(f"UPDATE {entity} SET {sets}, last_op_id = ? WHERE id = ?",
                          [*fields.values(), op_id, entity_id])


def _person(given: str, paternal: str, maternal: str, sex: str, birth: str, phone: str,
            created: str, **extra: Any) -> dict[str, Any]:
    return {
        "casa_id": CASA, "given_names": given, "paternal_surname": paternal,
        "maternal_surname": maternal, "sex": sex, "birth_date": birth,
        "birth_date_estimated": 0, "nationality": "VE", "phone": phone, "whatsapp": phone,
        "district_ubigeo": "150132", "zone": "Zárate", "address_ref": "Jr. Chinchaysuyo 310",
        "arrival_date": "2019-03-14", "migratory_status": "regular",
        "regularization_stage": "vigente", "wg_seeing": 0, "wg_hearing": 0, "wg_walking": 0,
        "wg_cognition": 0, "wg_selfcare": 0, "wg_communication": 0, "vuln_pregnant": 0,
        "vuln_older_adult": 0, "vuln_unaccompanied_child": 0, "vuln_violence_survivor": 0,
        "vuln_trafficking": 0, "vuln_homeless": 0, "vuln_chronic_illness": 0,
        "household_id": None, "consent_register": 1, "consent_refer": 1,
        "consent_contact": 1, "consent_date": created[:10], "consent_recorded_by": STAFF,
        "created_at": created, **extra,
    }


def _consultation(person_id: str | None, at: str, topics: list[str], summary: str,
                  **extra: Any) -> dict[str, Any]:
    return {
        "person_id": person_id, "casa_id": CASA, "staff_user_id": STAFF, "occurred_at": at,
        "channel": "presencial", "topics": json.dumps(topics), "summary": summary,
        "actions": "Se orientó y se entregó la información por escrito.",
        "outcome": "Resuelto.", "follow_up_date": None, "follow_up_done": 0,
        "anon_sex": None, "anon_age": None, "anon_nationality": None, **extra,
    }


def build_schema_1_folder(folder: Path) -> None:
    """A data folder as the first release left it (plain database, schema 1)."""
    folder.mkdir(parents=True)
    store = open_store(folder / "oma.sqlite3", migrations=MIGRATIONS[:1])
    try:
        assert store.schema_version == 1
        for key, value in (("installation_id", INSTALLATION), ("casa_id", CASA),
                           ("mode", "casa"), ("created_at", "2025-10-01T10:00:00")):
            store.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [key, value])
        writer = _V1Writer(store)
        store.conn.execute("BEGIN")
        for n in range(1, 7):  # each installation created the six casas on its own
            writer.create("casa", {"name": f"Casa Vecinal {n}", "address": ""},
                          entity_id=f"CV{n}", user="system")
        writer.update("casa", CASA, {"name": CASA_NAME, "address": "Av. Próceres 1204"})
        writer.create("app_user", {"username": "mquispe", "display_name": "Marleny Quispe",
                                   "role": "recepcion", "casa_id": CASA},
                      entity_id=STAFF, user="system")
        ana = writer.create("person", _person(
            "Ana Karina", "Rondón", "Pérez", "F", "1991-04-23", "987654321",
            "2025-10-02T09:15:00"))
        luis = writer.create("person", _person(
            "Luis Alfredo", "Mendoza", "Briceño", "M", "1984-11-02", "912345678",
            "2025-10-03T11:40:00", wg_walking=1, vuln_chronic_illness=1))
        rosa = writer.create("person", _person(
            "Rosa", "Gutiérrez", "", "F", "1958-01-30", "", "2025-10-06T15:05:00",
            nationality="CO", migratory_status="irregular", regularization_stage="en_tramite"))
        writer.update("person", luis, {"phone": "955111222", "zone": "Mangomarca"})
        writer.create("consultation", _consultation(
            ana, "2025-10-02T09:20", ["EMPADRONAMIENTO", "REG_CPP_PTP"],
            "Consulta por el trámite del CPP.", follow_up_date="2025-10-16"))
        writer.create("consultation", _consultation(
            ana, "2025-10-20T10:05", ["SALUD_SIS"], "Afiliación al SIS de su hija."))
        writer.create("consultation", _consultation(
            luis, "2025-10-03T11:45", ["ORIENTACION"], "Orientación sobre trabajo formal.",
            channel="telefono"))
        writer.create("consultation", _consultation(
            rosa, "2025-10-06T15:10", ["REFUGIO", "APOYO_PSICOSOCIAL"],
            "Solicitud de refugio en trámite."))
        writer.create("consultation", _consultation(  # an anonymous walk-in
            None, "2025-10-07T12:00", ["ORIENTACION"], "Pregunta por la Casa Vecinal.",
            anon_sex="M", anon_age=34, anon_nationality="VE"))
        store.conn.execute("COMMIT")
    finally:
        store.close()


def _rows(conn: driver.Connection, table: str) -> dict[str, dict[str, Any]]:
    cursor = conn.execute(f"SELECT * FROM {table} ORDER BY id")
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _operations(conn: driver.Connection) -> dict[str, tuple[Any, ...]]:
    return {r[0]: tuple(r[1:]) for r in conn.execute(
        "SELECT op_id, entity, entity_id, kind, fields FROM change_log")}


def _snapshot(conn: driver.Connection) -> dict[str, Any]:
    return {"tables": {t: _rows(conn, t) for t in TABLES}, "ops": _operations(conn)}


@pytest.fixture(scope="module")
def schema_1_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("primera-version") / "datos"
    build_schema_1_folder(folder)
    return folder


def _program(way: str) -> list[str]:
    if way == "frozen":
        executable = frozen_executable()
        if executable is None:
            pytest.skip("the frozen build (dist/oma-desktop/) has not been made: make installer")
        return [str(executable)]
    return [sys.executable, "-m", "oma_desktop"]


def _run(program: list[str], *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMA_DATA_DIR", "OMA_RESOURCES", "OMA_LANG", "PYTHONPATH")}
    env.update(QT_QPA_PLATFORM="offscreen", OMA_PASSWORD=TEST_PASSWORD)
    return subprocess.run([*program, *map(str, args)], capture_output=True, text=True,
                          timeout=300, check=False, env=env, cwd=cwd)


@pytest.fixture
def open_upgraded() -> Iterator[list[Store]]:
    opened: list[Store] = []
    yield opened
    for store in opened:
        store.close()


@pytest.mark.parametrize("way", ["frozen", "python"])
def test_the_installed_program_upgrades_the_oldest_schema_without_losing_a_record(
    way: str, schema_1_folder: Path, tmp_path: Path, open_upgraded: list[Store]
) -> None:
    program = _program(way)
    original = driver.connect(schema_1_folder / "oma.sqlite3")
    try:
        assert int(original.execute("PRAGMA user_version").fetchone()[0]) == 1
        before = _snapshot(original)
    finally:
        original.close()
    assert len(before["tables"]["person"]) == 3 and len(before["tables"]["consultation"]) == 5

    folder = tmp_path / "datos"
    shutil.copytree(schema_1_folder, folder)  # the installed PC's folder
    opened = _run(program, "--data-dir", folder, "--smoke-test", cwd=tmp_path)
    assert opened.returncode == 0, opened.stdout + opened.stderr
    checked = _run(program, "--data-dir", folder, "--lang", "es", "check", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "[ERROR]" not in checked.stdout
    assert checked.stdout.splitlines()[-1] == "Todas las verificaciones están correctas."

    # the folder is now encrypted under the key file the first start made, and migrated
    database = folder / "oma.sqlite3"
    assert driver.is_encrypted_file(database) and (folder / "keys.json").is_file()
    key = database_key(folder)
    store = open_store(database, key=key, create=False)
    open_upgraded.append(store)
    assert store.schema_version == latest_version() > 1
    results = run_checks(store)
    assert [r.title for r in results if not r.ok] == []
    assert checked.stdout.count("[OK ]") == len(results)
    assert store.casa_id == CASA
    casa = store.get("casa", CASA)
    assert casa is not None and casa["name"] == CASA_NAME

    after = _snapshot(store.conn)
    for table, rows in before["tables"].items():
        upgraded = after["tables"][table]
        for row_id, row in rows.items():
            assert row_id in upgraded, (table, row_id)
            kept = {c: v for c, v in row.items() if c in upgraded[row_id]}
            # the casas' own creates give way to the shared seed (migration 3): their
            # last operation changes, their values do not
            if table == "casa":
                kept.pop("last_op_id")
            assert {c: upgraded[row_id][c] for c in kept} == kept, (table, row_id)
            # only the column migration 3 moved to household_member is gone
            assert set(row) - set(upgraded[row_id]) <= {"household_id"}
    ops = after["ops"]
    for op_id, (entity, entity_id, kind, fields) in before["ops"].items():
        if entity == "casa" and kind == "create":
            assert op_id not in ops  # replaced by the seed's create of the same casa
            continue
        assert op_id in ops, (entity, entity_id, kind)
        got = ops[op_id]
        assert got[:3] == (entity, entity_id, kind)
        expected = json.loads(fields)
        expected.pop("household_id", None)
        assert json.loads(got[3]) == expected

    # the copy made before migrating, encrypted with the same key, holds the old rows
    (backup,) = (folder / "backups").glob("oma-v1-*.sqlite3")
    assert driver.is_encrypted_file(backup)
    old = open_store(backup, key=key, create=False, migrations=MIGRATIONS[:1])
    open_upgraded.append(old)
    assert old.schema_version == 1
    assert _snapshot(old.conn) == before
