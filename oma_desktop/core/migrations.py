"""Numbered schema migrations. Each runs inside one transaction; the store backs up the
database file before the first one. ``PRAGMA user_version`` holds the schema version.

Append new steps to ``MIGRATIONS``; never edit a released one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from oma_desktop.core.schema import ENTITY_TABLES, guard_triggers_sql


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


def _v1_initial(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Append-only log of every write: the unit of synchronisation with headquarters.
CREATE TABLE change_log (
    rowid INTEGER PRIMARY KEY,
    op_id TEXT NOT NULL UNIQUE,
    casa TEXT NOT NULL,
    installation TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hlc INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('create', 'update', 'tombstone', 'link')),
    fields TEXT NOT NULL,
    UNIQUE (installation, seq)
);
CREATE INDEX change_log_entity ON change_log (entity_id);
CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log
BEGIN SELECT RAISE(ABORT, 'oma: change_log is append-only'); END;
CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log
BEGIN SELECT RAISE(ABORT, 'oma: change_log is append-only'); END;

CREATE TABLE casa (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);

CREATE TABLE app_user (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'recepcion',
    casa_id TEXT REFERENCES casa (id),
    active INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);

CREATE TABLE household (
    id TEXT PRIMARY KEY,
    casa_id TEXT REFERENCES casa (id),
    name TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);

CREATE TABLE person (
    id TEXT PRIMARY KEY,
    casa_id TEXT REFERENCES casa (id),
    given_names TEXT NOT NULL DEFAULT '',
    paternal_surname TEXT NOT NULL DEFAULT '',
    maternal_surname TEXT NOT NULL DEFAULT '',
    sex TEXT,
    gender_identity TEXT NOT NULL DEFAULT '',
    birth_date TEXT,
    birth_date_estimated INTEGER NOT NULL DEFAULT 0,
    nationality TEXT,
    phone TEXT NOT NULL DEFAULT '',
    whatsapp TEXT NOT NULL DEFAULT '',
    district_ubigeo TEXT,
    zone TEXT NOT NULL DEFAULT '',
    address_ref TEXT NOT NULL DEFAULT '',
    arrival_date TEXT,
    migratory_status TEXT,
    regularization_stage TEXT,
    wg_seeing INTEGER, wg_hearing INTEGER, wg_walking INTEGER,
    wg_cognition INTEGER, wg_selfcare INTEGER, wg_communication INTEGER,
    vuln_pregnant INTEGER NOT NULL DEFAULT 0,
    vuln_older_adult INTEGER NOT NULL DEFAULT 0,
    vuln_unaccompanied_child INTEGER NOT NULL DEFAULT 0,
    vuln_violence_survivor INTEGER NOT NULL DEFAULT 0,
    vuln_trafficking INTEGER NOT NULL DEFAULT 0,
    vuln_homeless INTEGER NOT NULL DEFAULT 0,
    vuln_chronic_illness INTEGER NOT NULL DEFAULT 0,
    household_id TEXT REFERENCES household (id),
    consent_register INTEGER NOT NULL DEFAULT 0,
    consent_refer INTEGER NOT NULL DEFAULT 0,
    consent_contact INTEGER NOT NULL DEFAULT 0,
    consent_date TEXT,
    consent_recorded_by TEXT,
    notes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX person_household ON person (household_id) WHERE household_id IS NOT NULL;

CREATE TABLE household_member (
    id TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES household (id),
    person_id TEXT NOT NULL REFERENCES person (id),
    relationship TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX household_member_household ON household_member (household_id);
CREATE INDEX household_member_person ON household_member (person_id);

CREATE TABLE document (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person (id),
    doc_type TEXT NOT NULL,
    number TEXT NOT NULL DEFAULT '',
    number_norm TEXT NOT NULL DEFAULT '',
    issuing_country TEXT,
    issue_date TEXT,
    expiry_date TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX document_person ON document (person_id);
CREATE INDEX document_number ON document (number_norm) WHERE number_norm <> '';
CREATE INDEX document_expiry ON document (expiry_date) WHERE expiry_date IS NOT NULL;

CREATE TABLE consultation (
    id TEXT PRIMARY KEY,
    person_id TEXT REFERENCES person (id),
    casa_id TEXT NOT NULL REFERENCES casa (id),
    staff_user_id TEXT,
    occurred_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    topics TEXT NOT NULL DEFAULT '[]',
    summary TEXT NOT NULL DEFAULT '',
    actions TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    follow_up_date TEXT,
    follow_up_done INTEGER NOT NULL DEFAULT 0,
    anon_sex TEXT,
    anon_age INTEGER,
    anon_nationality TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX consultation_person ON consultation (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX consultation_when ON consultation (occurred_at);
CREATE INDEX consultation_follow_up ON consultation (follow_up_date)
    WHERE follow_up_date IS NOT NULL AND follow_up_done = 0;
"""
    )
    for table in ENTITY_TABLES:
        conn.executescript(guard_triggers_sql(table))


def _v2_person_search(conn: sqlite3.Connection) -> None:
    """Full-text search over names (accent- and case-insensitive) and phone lookups."""
    from oma_desktop.core.derived import person_search_phones
    from oma_desktop.core.schema import drop_guard_triggers_sql

    conn.create_function(
        "oma_search_phones", 2, lambda a, b: person_search_phones({"phone": a, "whatsapp": b})
    )
    conn.executescript(
        """
ALTER TABLE person ADD COLUMN search_name TEXT NOT NULL DEFAULT '';
ALTER TABLE person ADD COLUMN search_phones TEXT NOT NULL DEFAULT '';
DROP INDEX consultation_person;
CREATE INDEX consultation_person ON consultation (person_id, occurred_at)
    WHERE person_id IS NOT NULL;
"""
    )
    # Backfill the derived columns: a schema change, not a data change, so no log entry.
    conn.executescript(drop_guard_triggers_sql("person"))
    conn.executescript(
        """
UPDATE person SET
    search_name = trim(replace(given_names || ' ' || paternal_surname || ' ' ||
                               maternal_surname, '  ', ' ')),
    search_phones = oma_search_phones(phone, whatsapp);
"""
    )
    conn.executescript(guard_triggers_sql("person"))
    conn.executescript(
        """
CREATE VIRTUAL TABLE person_fts USING fts5 (
    search_name, search_phones,
    content = 'person', content_rowid = 'rowid',
    tokenize = "unicode61 remove_diacritics 2", prefix = '1 2 3'
);
INSERT INTO person_fts (person_fts) VALUES ('rebuild');
CREATE TRIGGER person_fts_insert AFTER INSERT ON person BEGIN
    INSERT INTO person_fts (rowid, search_name, search_phones)
    VALUES (NEW.rowid, NEW.search_name, NEW.search_phones);
END;
CREATE TRIGGER person_fts_update AFTER UPDATE OF search_name, search_phones ON person BEGIN
    INSERT INTO person_fts (person_fts, rowid, search_name, search_phones)
    VALUES ('delete', OLD.rowid, OLD.search_name, OLD.search_phones);
    INSERT INTO person_fts (rowid, search_name, search_phones)
    VALUES (NEW.rowid, NEW.search_name, NEW.search_phones);
END;
"""
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema: entities, change log, guards", _v1_initial),
    Migration(2, "person search: full-text names, phones", _v2_person_search),
)


def latest_version(migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    return migrations[-1].version if migrations else 0
