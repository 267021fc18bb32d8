"""Roles, permissions and field-level privacy (issue #9, point 1), checked in the services.

Every service that writes or reveals personal data starts with
``session.require(Permission.X)`` (:meth:`Session.require`): the acting user's role
(``session.actor.role``) either has the permission or the call raises
:class:`~oma_desktop.core.errors.PermissionDeniedError` with a Spanish message naming the
action and the roles that may do it. Screens may ask :meth:`Session.can` to hide or disable
a button, but hiding is never the protection: the service refuses whatever the screen does.

Least privilege: the front desk (recepción) registers persons, records consultations,
refers with consent, prints slips and records outcomes; it cannot refer without consent,
edit the directory, export personal data, manage accounts or read the audit. At
headquarters the analyst sees aggregate reports, never names.

Field-level privacy: a role without ``VIEW_SENSITIVE`` never receives the values of the
person fields whose privacy class (``core.fields``) is SENSITIVE or higher (gender
identity, notes, the Washington Group answers, vulnerabilities), nor the content (topics,
what was asked, done and the outcome) of a consultation on a sensitive topic (the
``sensitive`` column of ``resources/catalogs/topics.csv``, with its reason). The reading
services return such values masked — None or «Reservado», with the withheld field names —
so screens need no role logic; the writing services keep the stored values a role could not
see (it may fill an empty one), so an edit never wipes them.

Internal writes: installation identity, seed records, migrations and the demo builder write
through ``Store.transaction`` directly, outside any service, so no role applies to them
(they are logged under ``SYSTEM_USER``). Code that must call a service on the system's
behalf (a scheduled job, a migration step) acts as :data:`SYSTEM_ROLE`, which has every
permission and is never given to an account (it is not in :data:`ROLES`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from oma_desktop.core.catalogs import Catalogs
from oma_desktop.core.errors import PermissionDeniedError
from oma_desktop.core.fields import CONSULTATION_FIELDS, PERSON_FIELDS, Privacy
from oma_desktop.i18n import N_, _


@dataclass(frozen=True)
class Role:
    code: str
    label: str  # msgid
    mode: str  # "casa" or "hq": the installations where accounts with this role exist

    @property
    def shown_label(self) -> str:
        return _(self.label)


RECEPCION, COORDINACION, ADMIN_CASA, ANALISTA, ADMIN_HQ = (
    "recepcion", "coordinacion", "admin_casa", "analista", "admin_hq")
SYSTEM_ROLE = "system"  # internal writes only; never an account's role

ROLES: tuple[Role, ...] = (
    Role(RECEPCION, N_("Reception"), "casa"),
    Role(COORDINACION, N_("Coordination"), "casa"),
    Role(ADMIN_CASA, N_("Casa administration"), "casa"),
    Role(ANALISTA, N_("Analyst (headquarters)"), "hq"),
    Role(ADMIN_HQ, N_("Administration (headquarters)"), "hq"),
)
_ROLES = {r.code: r for r in ROLES}


def roles_for_mode(mode: str) -> tuple[Role, ...]:
    """The roles an account may have in a ``casa`` or ``hq`` installation."""
    return tuple(r for r in ROLES if r.mode == mode)


def role_label(code: str) -> str:
    """The Spanish name of a role (the code itself for an unknown one)."""
    role = _ROLES.get(code)
    if role is not None:
        return role.shown_label
    return _("System") if code == SYSTEM_ROLE else (code or _("no role"))


class Permission(Enum):
    """What a role may do; each value is the action as a msgid (for the refusal)."""

    VIEW_PERSONS = N_("see the persons' records")
    EDIT_PERSONS = N_("register and edit persons")
    VIEW_SENSITIVE = N_(
        "see reserved information (disability, vulnerability and consultations on "
        "sensitive topics)")
    RECORD_CONSULTATION = N_("record consultations and follow-up calls")
    REFER = N_("refer persons to institutions")
    OVERRIDE_CONSENT = N_("refer a person without their consent")
    RECORD_OUTCOME = N_("record the outcome of a referral")
    PRINT_SLIPS = N_("print referral slips and certificates of attention")
    EDIT_DIRECTORY = N_("edit the service directory")
    EDIT_HANDOUTS = N_("edit the attention routes")
    EDIT_CASA_SETTINGS = N_("change the casa's details")
    MANAGE_USERS = N_("manage user accounts")
    VIEW_AUDIT = N_("see the audit log")
    MANAGE_INCIDENTS = N_("keep the security incident register")
    MANAGE_RIGHTS_REQUESTS = N_(
        "handle requests for access, rectification, cancellation or opposition")
    ANONYMISE = N_("anonymise persons")
    EXPORT_PERSONAL = N_("export personal data")
    EXPORT_AGGREGATE = N_("export statistics")
    IMPORT = N_("import lists and settle their possible duplicates")
    BACKUP = N_("make a backup")
    RESTORE = N_("restore a backup")
    VIEW_REPORTS = N_("see the reports")
    SYNC = N_("synchronise with headquarters")
    MANAGE_EVENTS = N_("register events and migrant organisations")

    @property
    def action(self) -> str:
        return _(self.value)


# The matrix: one row per permission, one column per role, in the order of ROLES.
MATRIX_COLUMNS = (RECEPCION, COORDINACION, ADMIN_CASA, ANALISTA, ADMIN_HQ)
_MATRIX_TEXT = """
                         recepcion coordinacion admin_casa analista admin_hq
VIEW_PERSONS                 X          X           X         -        X
EDIT_PERSONS                 X          X           -         -        -
VIEW_SENSITIVE               -          X           -         -        -
RECORD_CONSULTATION          X          X           -         -        -
REFER                        X          X           -         -        -
OVERRIDE_CONSENT             -          X           -         -        -
RECORD_OUTCOME               X          X           -         -        -
PRINT_SLIPS                  X          X           -         -        -
EDIT_DIRECTORY               -          X           -         -        X
EDIT_HANDOUTS                -          X           -         -        -
EDIT_CASA_SETTINGS           -          -           X         -        X
MANAGE_USERS                 -          -           X         -        X
VIEW_AUDIT                   -          -           X         -        X
MANAGE_INCIDENTS             -          -           X         -        X
MANAGE_RIGHTS_REQUESTS       -          X           X         -        X
ANONYMISE                    -          -           X         -        X
EXPORT_PERSONAL              -          X           -         -        -
EXPORT_AGGREGATE             -          X           X         X        X
IMPORT                       -          X           X         -        -
BACKUP                       -          X           X         -        X
RESTORE                      -          -           X         -        X
VIEW_REPORTS                 -          X           X         X        X
SYNC                         -          X           X         -        X
MANAGE_EVENTS                -          X           X         -        X
"""


def _parse_matrix(text: str) -> dict[Permission, frozenset[str]]:
    lines = [line.split() for line in text.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    if tuple(header) != MATRIX_COLUMNS:
        raise ValueError(f"matrix columns {header} != {MATRIX_COLUMNS}")
    matrix: dict[Permission, frozenset[str]] = {}
    for name, *marks in rows:
        if len(marks) != len(header) or set(marks) - {"X", "-"}:
            raise ValueError(f"bad matrix row {name}: {marks}")
        matrix[Permission[name]] = frozenset(r for r, m in zip(header, marks, strict=True)
                                             if m == "X")
    missing = set(Permission) - set(matrix)
    if missing:
        raise ValueError(f"permissions missing from the matrix: {sorted(p.name for p in missing)}")
    return matrix


MATRIX: Mapping[Permission, frozenset[str]] = _parse_matrix(_MATRIX_TEXT)


def allowed(role: str, permission: Permission) -> bool:
    """Whether ``role`` has ``permission`` (the system role has them all; an unknown or
    empty role none)."""
    return role == SYSTEM_ROLE or role in MATRIX[permission]


def permissions_of(role: str) -> frozenset[Permission]:
    return frozenset(p for p in Permission if allowed(role, p))


def denied(role: str, permission: Permission) -> PermissionDeniedError:
    """The refusal of ``permission`` to ``role``, in Spanish."""
    who = [role_label(r.code) for r in ROLES if r.code in MATRIX[permission]]
    return PermissionDeniedError(
        _("Your role ({role}) does not allow you to {action}. It can be done by: {roles}.")
        .format(role=role_label(role), action=permission.action, roles=", ".join(who)),
        permission=permission.name, role=role,
    )


def require(role: str, permission: Permission) -> None:
    """Raise :class:`PermissionDeniedError` unless ``role`` has ``permission``."""
    if not allowed(role, permission):
        raise denied(role, permission)


def matrix_markdown() -> str:
    """The matrix as a Markdown table with the roles' Spanish names (for docs/)."""
    head = "| " + _("Permission") + " | " + " | ".join(
        role_label(r) for r in MATRIX_COLUMNS) + " |"
    rule = "|---|" + "|".join(":-:" for _r in MATRIX_COLUMNS) + "|"
    rows = [
        f"| `{p.name}` ({p.action}) | "
        + " | ".join("✔" if r in MATRIX[p] else "—" for r in MATRIX_COLUMNS) + " |"
        for p in Permission
    ]
    return "\n".join([head, rule, *rows])


# --- field-level privacy ---------------------------------------------------------------

RESERVED = N_("Reserved")  # shown where a value is withheld

# person columns whose values a role without VIEW_SENSITIVE never receives
SENSITIVE_PERSON_FIELDS: frozenset[str] = frozenset(
    f.name for f in PERSON_FIELDS if f.privacy >= Privacy.SENSITIVE and f.stored)
# a consultation's content, withheld when it is about a sensitive topic
SENSITIVE_CONSULTATION_FIELDS: frozenset[str] = frozenset(
    f.name for f in CONSULTATION_FIELDS if f.privacy >= Privacy.SENSITIVE and f.stored)


def reserved_text() -> str:
    """«Reservado»: the text shown in place of a withheld value."""
    return _(RESERVED)


def is_sensitive_consultation(catalogs: Catalogs, topics: Iterable[str]) -> bool:
    """Whether a consultation on ``topics`` (codes) is about a sensitive topic."""
    return not catalogs.sensitive_topics.isdisjoint(topics)


def mask_person(record: Mapping[str, Any]) -> dict[str, Any]:
    """The person ``record`` with its sensitive values set to None."""
    return {k: (None if k in SENSITIVE_PERSON_FIELDS else v) for k, v in record.items()}


__all__ = [
    "ADMIN_CASA", "ADMIN_HQ", "ANALISTA", "COORDINACION", "MATRIX", "RECEPCION", "RESERVED",
    "ROLES", "SENSITIVE_CONSULTATION_FIELDS", "SENSITIVE_PERSON_FIELDS", "SYSTEM_ROLE",
    "Permission", "PermissionDeniedError", "Role", "allowed", "denied",
    "is_sensitive_consultation", "mask_person", "matrix_markdown",
    "permissions_of", "require", "reserved_text", "role_label", "roles_for_mode",
]
