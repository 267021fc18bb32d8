"""Numbered schema migrations. Each runs inside one transaction; the store backs up the
database file before the first one. ``PRAGMA user_version`` holds the schema version.

Append new steps to ``MIGRATIONS``; never edit a released one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from oma_desktop.core import driver
from oma_desktop.core.schema import (
    CHANGE_LOG_NO_UPDATE_V6_SQL,
    CHANGE_LOG_TRIGGERS_SQL,
    INSERT_ONLY_TRIGGERS_SQL,
    drop_change_log_triggers_sql,
    drop_guard_triggers_sql,
    install_guards_sql,
)

# The tables of schema 1 and 2 (migration 3 added ``installation``, 4 and 5 the others).
_V1_TABLES = (
    "casa", "app_user", "household", "person", "household_member", "document", "consultation",
)
_V3_TABLES = (*_V1_TABLES[:2], "installation", *_V1_TABLES[2:])


def _v1_guard_triggers_sql(table: str) -> str:
    """The guard triggers of schemas 1-2 (replaced by migration 3; kept to replay 1-2)."""
    return f"""
CREATE TRIGGER {table}_guard_insert BEFORE INSERT ON {table}
WHEN NEW.last_op_id IS NULL OR NOT EXISTS (
    SELECT 1 FROM change_log WHERE op_id = NEW.last_op_id
    AND entity = '{table}' AND entity_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'oma: write to {table} without change log'); END;

CREATE TRIGGER {table}_guard_update BEFORE UPDATE ON {table}
WHEN NEW.last_op_id IS NULL OR NEW.last_op_id IS OLD.last_op_id OR NOT EXISTS (
    SELECT 1 FROM change_log WHERE op_id = NEW.last_op_id
    AND entity = '{table}' AND entity_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'oma: write to {table} without change log'); END;

CREATE TRIGGER {table}_guard_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, 'oma: rows of {table} are tombstoned, never deleted'); END;
"""


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[driver.Connection], None]


def _v1_initial(conn: driver.Connection) -> None:
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
    for table in _V1_TABLES:
        conn.executescript(_v1_guard_triggers_sql(table))


def _v2_person_search(conn: driver.Connection) -> None:
    """Full-text search over names (accent- and case-insensitive) and phone lookups."""
    from oma_desktop.core.derived import person_search_phones

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
    conn.executescript(_v1_guard_triggers_sql("person"))
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


def _v3_sync_ready(conn: driver.Connection) -> None:
    """The sync-ready change-log contract (issue #6).

    * every operation records the version it started from (``base_op_id``) and the schema
      version it was written under;
    * casas and the reception accounts become headquarters-owned seed operations with fixed
      ids (``core/seed.py``), replacing the ``create`` each installation logged on its own;
    * households have one source of truth, ``household_member``: ``person.household_id``
      goes (its values are dropped from the logged person operations too);
    * an ``installation`` record per PC (its casa and mode, changed only by an explicit,
      logged action);
    * guard triggers that compare every written value with the fold of the log.

    Operations written before this step get ``schema_version`` 2 and a ``base_op_id``
    computed from the order of their record's operations.
    """
    from oma_desktop.core.oplog import apply_operations
    from oma_desktop.core.seed import seed_operations

    for table in _V1_TABLES:
        conn.executescript(drop_guard_triggers_sql(table))
    conn.executescript(drop_change_log_triggers_sql())
    seed = seed_operations()
    seed_casa_ops = {op.entity_id: op.op_id for op in seed if op.entity == "casa"}
    conn.executescript(
        """
ALTER TABLE change_log ADD COLUMN base_op_id TEXT;
ALTER TABLE change_log ADD COLUMN schema_version INTEGER NOT NULL DEFAULT 2;
DROP INDEX change_log_entity;
CREATE INDEX change_log_entity ON change_log (entity_id, hlc);

-- the casas each installation created on its own give way to the seed operations; no
-- installation has synchronised yet, so its sequence is renumbered without the gap
DELETE FROM change_log WHERE entity = 'casa' AND kind = 'create';
WITH numbered AS (
    SELECT op_id, ROW_NUMBER() OVER (PARTITION BY installation ORDER BY seq) AS n
    FROM change_log)
UPDATE change_log SET seq = -numbered.n
FROM numbered WHERE change_log.op_id = numbered.op_id AND change_log.seq <> numbered.n;
UPDATE change_log SET seq = -seq WHERE seq < 0;

WITH ordered AS (
    SELECT op_id, LAG(op_id) OVER (
        PARTITION BY entity, entity_id ORDER BY hlc, casa, op_id) AS base
    FROM change_log)
UPDATE change_log SET base_op_id = ordered.base
FROM ordered WHERE change_log.op_id = ordered.op_id AND change_log.kind <> 'create';

UPDATE change_log SET fields = json_remove(fields, '$.household_id')
WHERE entity = 'person' AND json_type(fields, '$.household_id') IS NOT NULL;

DROP INDEX IF EXISTS person_household;
ALTER TABLE person DROP COLUMN household_id;

CREATE TABLE installation (
    id TEXT PRIMARY KEY,
    casa_id TEXT NOT NULL REFERENCES casa (id),
    mode TEXT NOT NULL CHECK (mode IN ('casa', 'hq')),
    created_at TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
"""
    )
    for casa, op_id in seed_casa_ops.items():
        conn.execute(
            "UPDATE change_log SET base_op_id = ? WHERE entity = 'casa' AND entity_id = ?"
            " AND base_op_id IS NULL AND kind <> 'create'",
            [op_id, casa],
        )
    conn.executescript(CHANGE_LOG_TRIGGERS_SQL)
    for table in _V3_TABLES:
        conn.executescript(install_guards_sql(conn, table))
    # existing casa rows are refolded over the seed (keeping any local rename)
    apply_operations(conn, seed, schema_version=3, tables=_V3_TABLES)


def _v4_front_desk_day(conn: driver.Connection) -> None:
    """A real day at the desk (issue #7).

    * ``document.number_key``: documents compare by their digits without leading zeros
      (derived, recomputed here, not logged);
    * ``follow_up_call``: one row per follow-up call (result and note), so Seguimiento is a
      call list with its history;
    * ``household_member`` may be recorded inline (names, sex, birth date or age) without a
      person record of its own (``person_id`` NULL) until it becomes one;
    * ``duplicate_review``: probable duplicates from an import, waiting for a coordinator
      to say "misma persona" or "otra persona".
    """
    from oma_desktop.core.text import document_number_key

    conn.create_function("oma_document_number_key", 1, document_number_key)
    conn.executescript(
        """
ALTER TABLE document ADD COLUMN number_key TEXT NOT NULL DEFAULT '';
UPDATE document SET number_key = oma_document_number_key(number);
CREATE INDEX document_number_key ON document (number_key) WHERE number_key <> '';

CREATE TABLE follow_up_call (
    id TEXT PRIMARY KEY,
    casa_id TEXT NOT NULL REFERENCES casa (id),
    person_id TEXT REFERENCES person (id),
    consultation_id TEXT REFERENCES consultation (id),
    document_id TEXT REFERENCES document (id),
    staff_user_id TEXT,
    called_at TEXT NOT NULL,
    result TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    next_date TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX follow_up_call_consultation ON follow_up_call (consultation_id, called_at)
    WHERE consultation_id IS NOT NULL;
CREATE INDEX follow_up_call_document ON follow_up_call (document_id, called_at)
    WHERE document_id IS NOT NULL;
CREATE INDEX follow_up_call_person ON follow_up_call (person_id) WHERE person_id IS NOT NULL;

CREATE TABLE household_member_v4 (
    id TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES household (id),
    person_id TEXT REFERENCES person (id),
    relationship TEXT NOT NULL DEFAULT '',
    given_names TEXT NOT NULL DEFAULT '',
    paternal_surname TEXT NOT NULL DEFAULT '',
    maternal_surname TEXT NOT NULL DEFAULT '',
    sex TEXT,
    birth_date TEXT,
    birth_date_estimated INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
INSERT INTO household_member_v4 (id, household_id, person_id, relationship, deleted, last_op_id)
    SELECT id, household_id, person_id, relationship, deleted, last_op_id FROM household_member;
DROP TABLE household_member;
ALTER TABLE household_member_v4 RENAME TO household_member;
CREATE INDEX household_member_household ON household_member (household_id);
CREATE INDEX household_member_person ON household_member (person_id)
    WHERE person_id IS NOT NULL;

CREATE TABLE duplicate_review (
    id TEXT PRIMARY KEY,
    casa_id TEXT NOT NULL REFERENCES casa (id),
    source TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL,
    candidates TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'pending',
    person_id TEXT REFERENCES person (id),
    resolved_by TEXT,
    resolved_at TEXT,
    created_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX duplicate_review_pending ON duplicate_review (created_at)
    WHERE status = 'pending' AND deleted = 0;
"""
    )
    for table in ("document", "household_member", "follow_up_call", "duplicate_review"):
        conn.executescript(install_guards_sql(conn, table))


def _v5_referrals(conn: driver.Connection) -> None:
    """Referrals (issue #8): the service directory, referrals with their events, route
    handouts, and the casa's contact and slip settings.

    The directory is seeded from ``resources/catalogs/institutions.csv`` as
    headquarters-owned operations (``core/seed.py``), so it can later arrive from
    headquarters without conflicting with local edits. A referral's ``code``
    (``CV3-2026-000123``) is unique: the per-casa prefix keeps it unique once consolidated.
    """
    from oma_desktop.core.catalogs import load_catalogs
    from oma_desktop.core.oplog import apply_operations
    from oma_desktop.core.seed import directory_operations

    conn.executescript(
        """
ALTER TABLE casa ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE casa ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE casa ADD COLUMN hours TEXT NOT NULL DEFAULT '';
ALTER TABLE casa ADD COLUMN logo_png TEXT NOT NULL DEFAULT '';
ALTER TABLE casa ADD COLUMN slip_paper TEXT NOT NULL DEFAULT 'A5';

CREATE TABLE service (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    acronym TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT '',
    sector TEXT NOT NULL DEFAULT '',
    topics TEXT NOT NULL DEFAULT '[]',
    description TEXT NOT NULL DEFAULT '',
    requirements TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    district_ubigeo TEXT,
    phone TEXT NOT NULL DEFAULT '',
    hours TEXT NOT NULL DEFAULT '',
    languages TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);

CREATE TABLE referral (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL,
    casa_id TEXT NOT NULL REFERENCES casa (id),
    year INTEGER NOT NULL,
    number INTEGER NOT NULL,
    person_id TEXT NOT NULL REFERENCES person (id),
    consultation_id TEXT REFERENCES consultation (id),
    service_id TEXT NOT NULL REFERENCES service (id),
    reason TEXT NOT NULL DEFAULT '',
    priority TEXT NOT NULL DEFAULT 'normal',
    due_date TEXT NOT NULL,
    shared TEXT NOT NULL DEFAULT '[]',
    consent_override TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'emitida',
    issued_at TEXT NOT NULL,
    staff_user_id TEXT,
    printed_count INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE UNIQUE INDEX referral_code ON referral (code);
CREATE INDEX referral_casa_number ON referral (casa_id, year, number);
CREATE INDEX referral_person ON referral (person_id);
CREATE INDEX referral_open ON referral (due_date)
    WHERE status IN ('emitida', 'entregada') AND deleted = 0;

CREATE TABLE referral_event (
    id TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referral (id),
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT,
    feedback TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX referral_event_referral ON referral_event (referral_id, at);

CREATE TABLE route_handout (
    id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    title TEXT NOT NULL,
    steps TEXT NOT NULL DEFAULT '',
    documents TEXT NOT NULL DEFAULT '',
    service_ids TEXT NOT NULL DEFAULT '[]',
    active INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX route_handout_topic ON route_handout (topic);
"""
    )
    for table in ("casa", "service", "referral", "referral_event", "route_handout"):
        conn.executescript(install_guards_sql(conn, table))
    apply_operations(conn, directory_operations(load_catalogs().institutions),
                     schema_version=5)


def _v6_accounts_and_rights(conn: driver.Connection) -> None:
    """Accounts, audit and data-protection rights (issue #9), and referral codes that stay
    unique with several PCs per casa (issue #8).

    * ``referral.station``: the installation's station tag (``services.installation
      .station_tag``). New codes read ``CV3-2026-000123-7KQ``: the number is counted per
      casa, year and station, so two PCs of one casa (or a PC reinstalled) never issue
      the same code. Codes issued before keep their form (``station`` empty).
    * ``audit_entry``: who viewed, printed, exported or imported which record, and when.
      Insert-only (no update at all, no delete). Creations and edits are already in the
      change log; the audit screen shows both.
    * ``security_incident``: the register behind the 48-hour notice of D.S. 016-2024-JUS.
    * ``rights_request``: access, rectification, cancellation and opposition requests
      (ARCO) with their legal due dates.
    * ``consent_record``: each consent given or withdrawn, per purpose, insert-only; the
      person's ``consent_*`` columns keep the current state.
    * ``person.anonymised_at``: set when a cancellation or the retention job anonymises
      the person.
    * the change log may be rewritten by a redaction only (``oplog.redact_history``).
    """
    conn.executescript(
        """
ALTER TABLE referral ADD COLUMN station TEXT NOT NULL DEFAULT '';
DROP INDEX referral_casa_number;
CREATE INDEX referral_casa_number ON referral (casa_id, year, station, number);
ALTER TABLE person ADD COLUMN anonymised_at TEXT;

CREATE TABLE audit_entry (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    user_id TEXT,
    casa_id TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL DEFAULT '',
    entity_id TEXT,
    person_id TEXT,
    detail TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX audit_entry_at ON audit_entry (at);
CREATE INDEX audit_entry_person ON audit_entry (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX audit_entry_user ON audit_entry (user_id, at);

CREATE TABLE security_incident (
    id TEXT PRIMARY KEY,
    casa_id TEXT,
    detected_at TEXT NOT NULL,
    reported_by TEXT,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    data_affected TEXT NOT NULL DEFAULT '',
    persons_affected INTEGER,
    measures TEXT NOT NULL DEFAULT '',
    notified_at TEXT,
    notified_to TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'abierto',
    closed_at TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX security_incident_detected ON security_incident (detected_at);

CREATE TABLE rights_request (
    id TEXT PRIMARY KEY,
    casa_id TEXT,
    person_id TEXT REFERENCES person (id),
    requester_name TEXT NOT NULL DEFAULT '',
    requester_document TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT '',
    received_at TEXT NOT NULL,
    due_date TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'recibida',
    response TEXT NOT NULL DEFAULT '',
    answered_at TEXT,
    answered_by TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX rights_request_due ON rights_request (due_date)
    WHERE status IN ('recibida', 'en_tramite') AND deleted = 0;
CREATE INDEX rights_request_person ON rights_request (person_id) WHERE person_id IS NOT NULL;

CREATE TABLE consent_record (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES person (id),
    purpose TEXT NOT NULL,
    granted INTEGER NOT NULL,
    at TEXT NOT NULL,
    user_id TEXT,
    method TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX consent_record_person ON consent_record (person_id, purpose, at);
"""
    )
    for table in ("referral", "person", "audit_entry", "security_incident", "rights_request",
                  "consent_record"):
        conn.executescript(install_guards_sql(conn, table))
    conn.executescript(INSERT_ONLY_TRIGGERS_SQL.format(table="audit_entry"))
    conn.executescript(INSERT_ONLY_TRIGGERS_SQL.format(table="consent_record"))
    conn.executescript(CHANGE_LOG_NO_UPDATE_V6_SQL)
    _allow_redact_kind(conn)
    # the directory's revision 2: its person-facing Spanish fields (core/seed.py), as
    # headquarters-owned updates below any local edit's clock
    from oma_desktop.core.catalogs import load_catalogs
    from oma_desktop.core.oplog import apply_operations
    from oma_desktop.core.seed import directory_operations

    apply_operations(conn, directory_operations(load_catalogs().institutions, revision=2),
                     schema_version=6)


_OLD_KINDS = "kind IN ('create', 'update', 'tombstone', 'link')"


def _allow_redact_kind(conn: driver.Connection) -> None:
    """Widen the change log's CHECK on ``kind`` to accept ``redact``.

    Widening a CHECK constraint changes no stored byte, so instead of copying the whole log
    into a new table this edits the table's definition, as SQLite documents for such
    changes ("Making Other Kinds Of Table Schema Changes": writable_schema, then a new
    schema_version so every connection rereads it); ``PRAGMA integrity_check`` verifies it.
    """
    (sql,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'change_log'").fetchone()
    if _OLD_KINDS not in sql:
        raise RuntimeError("change_log: unexpected definition of kind")
    new_sql = sql.replace(_OLD_KINDS, f"{_OLD_KINDS[:-1]}, 'redact')")
    version = int(conn.execute("PRAGMA schema_version").fetchone()[0])
    conn.execute("PRAGMA writable_schema = ON")
    try:
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'change_log'",
                     [new_sql])
    finally:
        conn.execute("PRAGMA writable_schema = OFF")
    conn.execute(f"PRAGMA schema_version = {version + 1}")


def _v7_sync(conn: driver.Connection) -> None:
    """USB sync between the casas and headquarters (issue #10).

    Local bookkeeping (not synchronised, so plain tables without change-log guards; each
    installation keeps its own):

    * ``sync_peer``: at headquarters, the installations registered with their public keys
      (signing and encryption), fingerprint and revocation;
    * ``sync_file``: every sync or reference file written or read, with its hash (a file
      imported twice is recognised), range of operations, gaps and warnings;
    * ``sync_conflict``: at headquarters, a field changed at two installations from the
      same base: the fold's winner is applied, both values are kept here for review;
    * ``sync_quarantine``: an operation that arrived with an id already held with other
      content: kept aside, never applied.

    Also the change log's clock index, for the audit screen (newest first).

    Synchronised: ``person_link``, a reversible "same person as" link between two person
    records of different casas, made by a person at headquarters and sent back to the casas
    (without foreign keys: a casa holds only its own one of the two persons).
    """
    conn.executescript(
        """
CREATE TABLE sync_peer (
    installation_id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    casa_id TEXT NOT NULL,
    station TEXT NOT NULL DEFAULT '',
    sign_public TEXT NOT NULL,
    age_recipient TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    revoked_at TEXT,
    revoked_reason TEXT NOT NULL DEFAULT ''
);

CREATE TABLE sync_file (
    sha256 TEXT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    casa_id TEXT NOT NULL DEFAULT '',
    installation_id TEXT NOT NULL DEFAULT '',
    from_seq INTEGER,
    to_seq INTEGER,
    op_count INTEGER NOT NULL DEFAULT 0,
    applied INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    version INTEGER,
    status TEXT NOT NULL,
    gaps TEXT NOT NULL DEFAULT '',
    warnings TEXT NOT NULL DEFAULT '',
    file_name TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    user_id TEXT,
    PRIMARY KEY (sha256, direction)
);
CREATE INDEX sync_file_installation ON sync_file (installation_id, at);

CREATE TABLE sync_conflict (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT NOT NULL,
    base_op_id TEXT,
    winner_op_id TEXT NOT NULL,
    loser_op_id TEXT NOT NULL,
    winner_value TEXT,
    loser_value TEXT,
    detected_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pendiente',
    reviewed_by TEXT,
    reviewed_at TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_conflict_pending ON sync_conflict (detected_at) WHERE status = 'pendiente';

CREATE TABLE sync_quarantine (
    op_id TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    operation TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (op_id, file_sha256)
);

CREATE TABLE person_link (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL,
    same_as_id TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    made_by TEXT,
    made_at TEXT NOT NULL,
    undone_by TEXT,
    undone_at TEXT,
    note TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX person_link_person ON person_link (person_id) WHERE active = 1;
-- the audit screen reads the change log newest first (a page: ~8 ms instead of seconds on
-- 1.75 million operations)
CREATE INDEX IF NOT EXISTS change_log_hlc ON change_log (hlc);
CREATE INDEX person_link_same_as ON person_link (same_as_id) WHERE active = 1;
"""
    )
    conn.executescript(install_guards_sql(conn, "person_link"))


def _v8_report_tables(conn: driver.Connection) -> None:
    """Reports (issue #11): ``consultation_topic``, one row per topic of each consultation,
    kept by triggers on every write (local and applied alike), so reports count by topic
    and by axis of the capacity plan with a join instead of reading JSON row by row. It
    is derived, local and never synchronised (each installation's triggers keep its own)."""
    conn.executescript(
        """
CREATE TABLE consultation_topic (
    consultation_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    UNIQUE (consultation_id, topic)
);
CREATE INDEX consultation_topic_topic ON consultation_topic (topic);
INSERT OR IGNORE INTO consultation_topic (consultation_id, topic)
    SELECT c.id, j.value FROM consultation c, json_each(c.topics) j
    WHERE json_valid(c.topics) AND j.type = 'text';
CREATE TRIGGER consultation_topic_insert AFTER INSERT ON consultation
BEGIN
    INSERT OR IGNORE INTO consultation_topic (consultation_id, topic)
        SELECT NEW.id, j.value FROM json_each(CASE WHEN json_valid(NEW.topics)
            THEN NEW.topics ELSE '[]' END) j WHERE j.type = 'text';
END;
CREATE TRIGGER consultation_topic_update AFTER UPDATE OF topics ON consultation
BEGIN
    DELETE FROM consultation_topic WHERE consultation_id = NEW.id;
    INSERT OR IGNORE INTO consultation_topic (consultation_id, topic)
        SELECT NEW.id, j.value FROM json_each(CASE WHEN json_valid(NEW.topics)
            THEN NEW.topics ELSE '[]' END) j WHERE j.type = 'text';
END;
"""
    )


def _v9_events_and_organisations(conn: driver.Connection) -> None:
    """Events and migrant organisations (issue #11, point 6): events a casa or headquarters
    holds (migratones, talentos vecinales, forums, fairs, trainings of municipal staff) with
    their attendance counts, the persons attended who took part (optional), and a registry
    of migrant organisations. Synchronised entities like the others."""
    conn.executescript(
        """
CREATE TABLE event (
    id TEXT PRIMARY KEY,
    casa_id TEXT REFERENCES casa (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    started_on TEXT NOT NULL,
    ended_on TEXT,
    place TEXT NOT NULL DEFAULT '',
    district_ubigeo TEXT,
    organisers TEXT NOT NULL DEFAULT '',
    topics TEXT NOT NULL DEFAULT '[]',
    attendance_total INTEGER NOT NULL DEFAULT 0,
    attendance_women INTEGER NOT NULL DEFAULT 0,
    attendance_men INTEGER NOT NULL DEFAULT 0,
    attendance_minors INTEGER NOT NULL DEFAULT 0,
    attendance_migrants INTEGER NOT NULL DEFAULT 0,
    hours REAL NOT NULL DEFAULT 0,
    staff_by_gerencia TEXT NOT NULL DEFAULT '{}',
    organisation_ids TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '',
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX event_when ON event (started_on);

CREATE TABLE event_attendee (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES event (id),
    person_id TEXT NOT NULL REFERENCES person (id),
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
CREATE INDEX event_attendee_event ON event_attendee (event_id);
CREATE INDEX event_attendee_person ON event_attendee (person_id);

CREATE TABLE organisation (
    id TEXT PRIMARY KEY,
    casa_id TEXT REFERENCES casa (id),
    name TEXT NOT NULL,
    acronym TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'asociacion',
    members INTEGER,
    contact_name TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    district_ubigeo TEXT,
    recognition_status TEXT NOT NULL DEFAULT 'no_reconocida',
    recognition_reference TEXT NOT NULL DEFAULT '',
    participatory_budget INTEGER NOT NULL DEFAULT 0,
    budget_years TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0,
    last_op_id TEXT
);
"""
    )
    for table in ("event", "event_attendee", "organisation"):
        conn.executescript(install_guards_sql(conn, table))



def _v10_report_index(conn: driver.Connection) -> None:
    """Reports (issue #11): a covering index of the consultations by date with what every
    report reads of them (casa, person, an anonymous walk-in's sex, age and nationality), so
    a month of the 1M-consultation demo is read from one index range instead of a random
    read of each consultation row."""
    conn.executescript(
        """
CREATE INDEX consultation_period ON consultation
    (occurred_at, casa_id, person_id, anon_sex, anon_age, anon_nationality, id)
    WHERE deleted = 0;
"""
    )


def _v11_hq_casa(conn: driver.Connection) -> None:
    """Installer and first run (issue #12): headquarters gets a casa record of its own,
    ``HQ`` «Sede central» (a seed operation, the same at every installation), and files its
    own records under it instead of under the first casa's code. A headquarters folder made
    before this step takes the code from now on (what it recorded before keeps the code it
    was recorded with: the log is never rewritten)."""
    from oma_desktop.core.oplog import apply_operations
    from oma_desktop.core.seed import HQ_CODE, hq_casa_operation

    apply_operations(conn, [hq_casa_operation()], schema_version=11)
    mode = conn.execute("SELECT value FROM meta WHERE key = 'mode'").fetchone()
    if mode is not None and mode[0] == "hq":
        conn.execute("UPDATE meta SET value = ? WHERE key = 'casa_id'", [HQ_CODE])


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema: entities, change log, guards", _v1_initial),
    Migration(2, "person search: full-text names, phones", _v2_person_search),
    Migration(3, "sync-ready change log: base versions, seed records, fold guards",
              _v3_sync_ready),
    Migration(4, "front-desk day: document keys, follow-up calls, inline household members,"
                 " duplicates to review", _v4_front_desk_day),
    Migration(5, "referrals: service directory, referrals and events, route handouts",
              _v5_referrals),
    Migration(6, "accounts and rights: audit log, incidents, rights requests, consent records,"
                 " referral stations", _v6_accounts_and_rights),
    Migration(7, "USB sync: registered installations, file history, conflicts, quarantine,"
                 " person links", _v7_sync),
    Migration(8, "reports: consultation topics as rows, kept by triggers", _v8_report_tables),
    Migration(9, "events and migrant organisations", _v9_events_and_organisations),
    Migration(10, "reports: consultations by date, covering index", _v10_report_index),
    Migration(11, "headquarters' own casa record", _v11_hq_casa),
)


def latest_version(migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    return migrations[-1].version if migrations else 0
