"""Shared reference records that every installation holds from the start.

The six casas and one reception account per casa are headquarters-owned records: they have
fixed ids and are logged ONCE, as operations with fixed op ids, the headquarters origin and
the lowest clocks, so every installation holds the very same operations. Merged at
headquarters they are one set (the same op ids), and any later change (a casa renamed at a
casa, or headquarters sending a new name) has a greater clock and wins.

These operations are frozen: never edit one. A correction ships as a new operation with a
new fixed id and a greater (still tiny) clock, appended to ``SEED_REVISIONS``. The default
names and addresses come from ``resources/catalogs/casas.csv`` (see its ``source`` column);
a test keeps the two in step.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from oma_desktop.core.oplog import Operation

if TYPE_CHECKING:
    from oma_desktop.core.catalogs import Institution

SEED_NAMESPACE = uuid.UUID("6f0c1b7e-5a3d-4c2e-9b1f-0d4a8e2c7b15")
SEED_INSTALLATION = "00000000-0000-0000-0000-000000000000"
SEED_CASA = "HQ"  # sorts before every casa code only by clock: hlc decides first
SEED_USER = "system"
SEED_SCHEMA_VERSION = 3

# (code, default name, default address) — resources/catalogs/casas.csv
CASAS: tuple[tuple[str, str, str], ...] = tuple(
    (f"CV{n}", f"Casa Vecinal {n}", "") for n in range(1, 7)
)


def seed_id(*parts: str) -> str:
    """A fixed UUID for a seeded record or operation."""
    return str(uuid.uuid5(SEED_NAMESPACE, "/".join(parts)))


def reception_user_id(casa: str) -> str:
    """The id of the seeded reception account of ``casa``."""
    return seed_id("app_user", "recepcion", casa)


def _fields(values: dict[str, object]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _records() -> list[tuple[str, str, dict[str, object]]]:
    records: list[tuple[str, str, dict[str, object]]] = []
    for code, name, address in CASAS:
        records.append(("casa", code, {"name": name, "address": address}))
    for code, _name, _address in CASAS:
        records.append((
            "app_user",
            reception_user_id(code),
            {
                "username": f"recepcion.{code.lower()}",
                "display_name": "Recepción",
                "role": "recepcion",
                "casa_id": code,
            },
        ))
    return records


def seed_operations() -> tuple[Operation, ...]:
    """The frozen headquarters-owned operations every installation starts with."""
    ops = []
    for seq, (entity, entity_id, values) in enumerate(_records(), start=1):
        ops.append(Operation(
            op_id=seed_id("op", entity, entity_id, "1"),
            casa=SEED_CASA,
            installation=SEED_INSTALLATION,
            seq=seq,
            hlc=seq,  # the lowest clocks: any real change is greater
            user_id=SEED_USER,
            entity=entity,
            entity_id=entity_id,
            kind="create",
            fields=_fields(values),
            base_op_id=None,
            schema_version=SEED_SCHEMA_VERSION,
        ))
    return tuple(ops)


# --- the service directory (migration 5) -----------------------------------------------------

# Bump when resources/catalogs/institutions.csv changes: the new content is logged as new
# operations (new op ids) with greater clocks, so installations migrated before and after
# the change agree once their logs meet.
DIRECTORY_REVISION = 1
_DIRECTORY_HLC = 1_000 * DIRECTORY_REVISION


def service_id(code: str) -> str:
    """The fixed id of the directory entry seeded from the institution ``code``."""
    return seed_id("service", code)


def directory_operations(institutions: Sequence[Institution]) -> tuple[Operation, ...]:
    """Headquarters-owned operations creating the directory seeded from the catalog."""
    ops = []
    first_seq = len(seed_operations())  # the headquarters seed's sequence stays gap-free
    for n, inst in enumerate(institutions, start=1):
        values: dict[str, object] = {
            "code": inst.code, "name": inst.name_es or inst.name, "acronym": inst.acronym,
            "kind": inst.kind, "description": inst.services,
            "requirements": inst.typical_requirements, "address": inst.address,
            "phone": inst.phone_email, "hours": inst.hours, "notes": inst.notes,
            "source": inst.source,
        }
        fields = _fields(values)
        digest = hashlib.sha256(fields.encode()).hexdigest()[:16]
        entity_id = service_id(inst.code)
        ops.append(Operation(
            op_id=seed_id("op", "service", entity_id, str(DIRECTORY_REVISION), digest),
            casa=SEED_CASA, installation=SEED_INSTALLATION, seq=first_seq + n,
            hlc=_DIRECTORY_HLC + n, user_id=SEED_USER, entity="service",
            entity_id=entity_id, kind="create" if DIRECTORY_REVISION == 1 else "update",
            fields=fields, base_op_id=None, schema_version=5,
        ))
    return tuple(ops)
