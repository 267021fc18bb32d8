"""Synthetic demo data: deterministic, realistic, fully logged, refused on a used folder."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from oma_desktop.core.actor import Actor
from oma_desktop.core.catalogs import load_catalogs
from oma_desktop.core.errors import OmaError
from oma_desktop.core.schema import ENTITY_TABLES
from oma_desktop.core.seed import SEED_INSTALLATION
from oma_desktop.core.store import Store, open_store
from oma_desktop.core.vocab import (
    CHANNELS,
    MIGRATORY_STATUS,
    REGULARIZATION_STAGE,
    RELATIONSHIPS,
    SEX,
    codes,
)
from oma_desktop.services import demo
from oma_desktop.services.demo import DemoStats, build_demo, demo_installation_id
from oma_desktop.services.followup import expiring_documents, follow_ups_due
from oma_desktop.services.integrity import run_checks
from oma_desktop.services.session import Session

TODAY = dt.date(2026, 11, 27)
PERSONS = 300
ACCENTED = set("áéíóúÁÉÍÓÚñÑü")
HISPANIC = ("VE", "CO", "PE", "EC", "CU", "BO")


def _open(folder: Path) -> Store:
    return open_store(folder / "oma.sqlite3", create=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DemoStats]]:
    folder = tmp_path_factory.mktemp("demo") / "datos"
    stats = build_demo(folder, persons=PERSONS, seed=7, today=TODAY)
    yield folder, stats


@pytest.fixture
def db(built: tuple[Path, DemoStats]) -> Iterator[Store]:
    store = _open(built[0])
    yield store
    store.close()


def _content(folder: Path) -> dict[str, list[tuple[object, ...]]]:
    """Everything but the (random) ids, in creation order."""
    store = _open(folder)
    try:
        return {
            "person": [tuple(r) for r in store.conn.execute(
                "SELECT given_names, paternal_surname, maternal_surname, sex, birth_date,"
                " birth_date_estimated, nationality, phone, district_ubigeo, arrival_date,"
                " migratory_status, regularization_stage, created_at FROM person ORDER BY rowid")],
            "document": [tuple(r) for r in store.conn.execute(
                "SELECT doc_type, number, issuing_country, issue_date, expiry_date"
                " FROM document ORDER BY rowid")],
            "consultation": [tuple(r) for r in store.conn.execute(
                "SELECT casa_id, occurred_at, channel, topics, summary, actions, outcome,"
                " follow_up_date, follow_up_done, anon_sex, anon_age, anon_nationality"
                " FROM consultation ORDER BY rowid")],
            "household": [tuple(r) for r in store.conn.execute(
                "SELECT casa_id, name FROM household ORDER BY rowid")],
        }
    finally:
        store.close()


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    first = build_demo(tmp_path / "a", persons=120, seed=3, today=TODAY)
    second = build_demo(tmp_path / "b", persons=120, seed=3, today=TODAY)
    build_demo(tmp_path / "c", persons=120, seed=4, today=TODAY)
    assert first == second
    a, b, c = (_content(tmp_path / x) for x in "abc")
    assert a == b
    assert a["person"] != c["person"]


def test_counts_match_the_request(built: tuple[Path, DemoStats], db: Store) -> None:
    _folder, stats = built
    assert stats.persons == PERSONS == db.scalar("SELECT count(*) FROM person")
    assert stats.consultations == 5 * PERSONS == db.scalar("SELECT count(*) FROM consultation")
    assert stats.documents == db.scalar("SELECT count(*) FROM document")
    assert stats.households == db.scalar("SELECT count(*) FROM household")
    assert stats.household_members == db.scalar("SELECT count(*) FROM household_member")
    assert 6 <= stats.staff_users <= 12


def test_every_row_is_logged_by_one_of_six_casas(db: Store) -> None:
    for table in ENTITY_TABLES:
        unlogged = db.scalar(
            f"SELECT count(*) FROM {table} AS r WHERE NOT EXISTS (SELECT 1 FROM change_log c"
            f" WHERE c.op_id = r.last_op_id AND c.entity = '{table}' AND c.entity_id = r.id)"
        )
        assert unlogged == 0, table
    origins = db.rows(
        "SELECT casa, installation, count(*) AS n FROM change_log"
        " WHERE installation NOT IN (?, ?) GROUP BY casa, installation",
        [db.installation_id, SEED_INSTALLATION],
    )
    assert {r["casa"] for r in origins} == {f"CV{i}" for i in range(1, 7)}
    for row in origins:
        assert row["installation"] == demo_installation_id(row["casa"])
    # operations are attributed to the casa's own staff
    wrong = db.scalar(
        "SELECT count(*) FROM change_log c LEFT JOIN app_user u ON u.id = c.user_id"
        " WHERE c.installation <> ? AND c.user_id <> 'system'"
        " AND (u.id IS NULL OR u.casa_id <> c.casa)",
        [db.installation_id],
    )
    assert wrong == 0
    assert all(r.ok for r in run_checks(db)), [r for r in run_checks(db) if not r.ok]


def test_ages(db: Store) -> None:
    ages = [
        (TODAY - dt.date.fromisoformat(b)).days / 365.25
        for (b,) in db.conn.execute("SELECT birth_date FROM person")
    ]
    mean = sum(ages) / len(ages)
    assert 33 <= mean <= 41
    assert sum(25 <= a < 41 for a in ages) / len(ages) >= 0.35
    assert any(a < 18 for a in ages) and any(a >= 60 for a in ages)
    assert max(ages) < 100
    estimated = db.scalar("SELECT avg(birth_date_estimated) FROM person")
    assert 0.04 <= estimated <= 0.18
    # an estimated birth date is stored as the 1st of July, like the registration form does
    assert db.scalar(
        "SELECT count(*) FROM person WHERE birth_date_estimated = 1"
        " AND substr(birth_date, 6) <> '07-01'"
    ) == 0


def test_nationalities_and_sex(db: Store) -> None:
    nationality = Counter(r[0] for r in db.conn.execute("SELECT nationality FROM person"))
    total = sum(nationality.values())
    assert 0.70 <= nationality["VE"] / total <= 0.90
    assert 0.03 <= nationality["CO"] / total <= 0.18
    assert 0.02 <= nationality["PE"] / total <= 0.15
    assert set(nationality) <= {"VE", "CO", "PE", "EC", "HT", "CU", "BO"}
    sex = Counter(r[0] for r in db.conn.execute("SELECT sex FROM person"))
    assert 0.42 <= sex["F"] / total <= 0.62
    assert set(sex) <= set(codes(SEX))


def test_names_have_two_surnames_accents_and_compound_given_names(db: Store) -> None:
    rows = db.rows(
        "SELECT given_names, paternal_surname, maternal_surname, nationality FROM person"
    )
    for r in rows:
        assert r["given_names"] and r["paternal_surname"]
        if r["nationality"] in HISPANIC:
            assert r["maternal_surname"], r
    full = [f"{r['given_names']} {r['paternal_surname']} {r['maternal_surname']}" for r in rows]
    assert sum(bool(ACCENTED & set(name)) for name in full) / len(full) > 0.25
    assert any("ñ" in name.lower() for name in full)
    assert sum(" " in r["given_names"] for r in rows) / len(rows) > 0.15


def test_vocabularies_and_contacts(db: Store) -> None:
    demo._check_vocabularies()
    statuses = {r[0] for r in db.conn.execute("SELECT DISTINCT migratory_status FROM person")}
    assert statuses <= set(codes(MIGRATORY_STATUS))
    assert {"regular", "irregular", "en_tramite"} <= statuses
    stages = {r[0] for r in db.conn.execute("SELECT DISTINCT regularization_stage FROM person")}
    assert stages - {None} <= set(codes(REGULARIZATION_STAGE))
    assert db.scalar(
        "SELECT count(*) FROM person WHERE nationality = 'PE'"
        " AND (migratory_status <> 'nacional' OR arrival_date IS NOT NULL)"
    ) == 0
    phones = [r[0] for r in db.conn.execute("SELECT phone FROM person WHERE phone <> ''")]
    assert len(phones) > PERSONS * 0.6
    assert all(re.fullmatch(r"9\d{8}", p) for p in phones)
    districts = Counter(r[0] for r in db.conn.execute("SELECT district_ubigeo FROM person"))
    assert districts.most_common(1)[0][0] == "150101"
    known = {d.ubigeo for d in load_catalogs().districts}
    assert set(districts) <= known
    arrivals = [r[0] for r in db.conn.execute(
        "SELECT arrival_date FROM person WHERE arrival_date IS NOT NULL")]
    assert min(arrivals) >= "2016-01-01" and max(arrivals) <= TODAY.isoformat()
    years = Counter(a[:4] for a in arrivals)
    assert years["2018"] + years["2019"] > years["2021"] + years["2022"]
    assert db.scalar(
        "SELECT count(*) FROM person WHERE arrival_date < birth_date"
        " OR arrival_date > substr(created_at, 1, 10) OR birth_date > created_at"
    ) == 0
    wg = db.scalar(
        "SELECT avg(coalesce(wg_seeing, 0) + coalesce(wg_hearing, 0) + coalesce(wg_walking, 0)"
        " + coalesce(wg_cognition, 0) + coalesce(wg_selfcare, 0)"
        " + coalesce(wg_communication, 0) > 0) FROM person"
    )
    assert 0.02 <= wg <= 0.14
    assert db.scalar("SELECT min(consent_register) FROM person") == 1
    assert db.scalar(
        "SELECT count(*) FROM person p LEFT JOIN app_user u ON u.id = p.consent_recorded_by"
        " WHERE u.id IS NULL OR p.consent_date IS NULL"
    ) == 0


def test_households(db: Store) -> None:
    in_household = db.scalar(
        "SELECT avg(EXISTS (SELECT 1 FROM household_member m WHERE m.person_id = p.id"
        " AND m.deleted = 0)) FROM person p")
    assert 0.28 <= in_household <= 0.52
    sizes = [r[0] for r in db.conn.execute(
        "SELECT count(*) FROM household_member GROUP BY household_id")]
    assert min(sizes) >= 2 and max(sizes) <= 6
    heads = [r[0] for r in db.conn.execute(
        "SELECT sum(relationship = 'jefe_hogar') FROM household_member GROUP BY household_id")]
    assert set(heads) == {1}
    relationships = {r[0] for r in db.conn.execute(
        "SELECT DISTINCT relationship FROM household_member")}
    assert relationships <= set(codes(RELATIONSHIPS))
    assert {"jefe_hogar", "conyuge", "hijo"} <= relationships
    assert db.scalar(
        "SELECT count(*) FROM (SELECT person_id FROM household_member WHERE deleted = 0"
        " GROUP BY person_id HAVING count(*) > 1)"
    ) == 0
    # children carry a parent's surname
    assert db.scalar(
        "SELECT count(*) FROM household_member m JOIN person c ON c.id = m.person_id"
        " JOIN household_member hm ON hm.household_id = m.household_id"
        " AND hm.relationship = 'jefe_hogar' JOIN person h ON h.id = hm.person_id"
        " WHERE m.relationship = 'hijo' AND h.paternal_surname NOT IN"
        " (c.paternal_surname, c.maternal_surname)"
    ) == 0


def test_documents(db: Store) -> None:
    catalogs = load_catalogs()
    per_person = Counter(r[0] for r in db.conn.execute(
        "SELECT count(d.id) FROM person p LEFT JOIN document d ON d.person_id = p.id"
        " GROUP BY p.id"))
    assert (per_person[1] + per_person[2]) / PERSONS >= 0.6
    for doc_type, number, issue, expiry in db.conn.execute(
        "SELECT doc_type, number, issue_date, expiry_date FROM document"
    ):
        assert catalogs.document_type(doc_type).matches(number), (doc_type, number)
        assert issue < expiry
    by_nationality = {
        (r[0], r[1]) for r in db.conn.execute(
            "SELECT p.nationality, d.doc_type FROM document d JOIN person p ON p.id = d.person_id"
        )
    }
    assert ("PE", "DNI") in by_nationality
    assert {("VE", t) for t in ("CEDULA_VE", "PASAPORTE", "CPP", "CE")} <= by_nationality
    assert not {t for n, t in by_nationality if n != "PE"} & {"DNI"}
    numbers = db.scalar("SELECT count(*) - count(DISTINCT doc_type || number_norm) FROM document")
    assert numbers == 0
    assert db.scalar(
        "SELECT count(*) FROM document d JOIN person p ON p.id = d.person_id"
        " WHERE d.issue_date < p.birth_date"
    ) == 0


def test_follow_up_queue_has_items(db: Store) -> None:
    session = Session(db, load_catalogs(), Actor("u", "recepcion", "CV1"))
    due = follow_ups_due(session, TODAY)
    assert due
    assert any(item.due < TODAY for item in due) and any(item.due >= TODAY for item in due)
    expiring = expiring_documents(session, TODAY, within_days=60)
    assert any(item.due > TODAY for item in expiring)
    share = db.scalar("SELECT avg(follow_up_date IS NOT NULL) FROM consultation")
    assert 0.10 <= share <= 0.20
    assert db.scalar("SELECT count(*) FROM document WHERE expiry_date < ?",
                     [TODAY.isoformat()]) > 0


def test_consultations(db: Store) -> None:
    topics = {t.code for t in load_catalogs().topics}
    first_day = (TODAY - dt.timedelta(days=730)).isoformat()
    channels: Counter[str] = Counter()
    for row in db.rows(
        "SELECT c.*, u.casa_id AS staff_casa FROM consultation c"
        " JOIN app_user u ON u.id = c.staff_user_id"
    ):
        when = dt.datetime.fromisoformat(row["occurred_at"])
        assert first_day <= row["occurred_at"][:10] <= TODAY.isoformat()
        assert when.weekday() != 6
        assert dt.time(8, 30) <= when.time() < dt.time(17, 0)
        listed = json.loads(row["topics"])
        assert 1 <= len(listed) <= 4 and set(listed) <= topics
        assert row["summary"] and row["actions"] and row["outcome"]
        assert row["staff_casa"] == row["casa_id"]
        if row["person_id"] is None:
            assert row["anon_sex"] and row["anon_age"] and row["anon_nationality"]
            assert row["follow_up_date"] is None
        else:
            assert row["anon_sex"] is None and row["anon_age"] is None
        if row["follow_up_date"]:
            assert row["follow_up_date"] > row["occurred_at"][:10]
        channels[row["channel"]] += 1
    assert set(channels) <= set(codes(CHANNELS))
    assert channels.most_common(1)[0][0] == "presencial"
    anonymous = db.scalar("SELECT avg(person_id IS NULL) FROM consultation")
    assert 0.01 <= anonymous <= 0.06
    casas = Counter(r[0] for r in db.conn.execute("SELECT casa_id FROM consultation"))
    assert set(casas) == {f"CV{i}" for i in range(1, 7)}
    # nobody is attended before they were registered
    assert db.scalar(
        "SELECT count(*) FROM consultation c JOIN person p ON p.id = c.person_id"
        " WHERE c.occurred_at < substr(p.created_at, 1, 16)"
    ) == 0
    # every registered person has their first consultation at registration time
    assert db.scalar(
        "SELECT count(*) FROM person p WHERE NOT EXISTS (SELECT 1 FROM consultation c"
        " WHERE c.person_id = p.id AND c.occurred_at = substr(p.created_at, 1, 16))"
    ) == 0


def test_refuses_a_folder_that_has_persons(built: tuple[Path, DemoStats]) -> None:
    folder, _stats = built
    with pytest.raises(OmaError) as err:
        build_demo(folder, persons=10, seed=1, today=TODAY)
    assert str(PERSONS) in str(err.value)
    store = _open(folder)
    try:
        assert store.scalar("SELECT count(*) FROM person") == PERSONS
    finally:
        store.close()


def test_explicit_consultation_count_and_progress(tmp_path: Path) -> None:
    calls: list[tuple[int, int, str]] = []
    stats = build_demo(tmp_path / "d", persons=40, consultations=25, seed=2, today=TODAY,
                       progress=lambda done, total, label: calls.append((done, total, label)))
    assert stats.consultations == 25 and stats.persons == 40
    assert calls and calls[-1][0] == calls[-1][1] == 65
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    with pytest.raises(OmaError):
        build_demo(tmp_path / "e", persons=0)


def test_cli_demo_then_check(tmp_path: Path) -> None:
    folder = tmp_path / "cli"
    env = {**os.environ, "OMA_LANG": "es"}
    command = [sys.executable, "-m", "oma_desktop", "--data-dir", str(folder)]
    done = subprocess.run([*command, "demo", "--persons", "50", "--seed", "3"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "50" in done.stdout and "250" in done.stdout
    again = subprocess.run([*command, "demo", "--persons", "50"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 2
    assert again.stderr.strip()
    check = subprocess.run([*command, "check"], capture_output=True, text=True, env=env,
                           timeout=120)
    assert check.returncode == 0, check.stdout
