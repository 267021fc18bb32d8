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

import json
import uuid

from oma_desktop.core.oplog import Operation

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
