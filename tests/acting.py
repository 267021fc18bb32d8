"""Tests acting with a role (issue #9): the seeded account of a new data folder is
recepción; these give it another role, in the database (so a command run later as a
separate process acts with it too) and in the open context.

A folder a CLI command has opened is encrypted (the CLI logs in): :func:`login` opens it
as an account, :func:`desk_accounts` prepares one with an administrator and a coordinator
for commands that need a desk role (``--user coordinacion``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from oma_desktop.paths import DataPaths
from oma_desktop.services.accounts import Credentials, create_account, unlock_folder
from oma_desktop.services.context import AppContext, open_context


def act_as(context: AppContext, role: str) -> AppContext:
    """The context's account gets ``role`` (a logged update) and the context acts with it."""
    actor = replace(context.actor, role=role)
    with context.session.transaction() as tx:
        tx.update("app_user", actor.user_id, {"role": role})
    context.actor = actor
    context.session.actor = actor
    return context


def grant_role(folder: Path, role: str, **kwargs: Any) -> None:
    """The account of the data folder ``folder`` (created if new) gets ``role``."""
    context = open_context(folder, **kwargs)
    try:
        act_as(context, role)
    finally:
        context.close()


# --- logging in (issue #9): the CLI logs in, and a folder it opened is encrypted -----------

# every test's OMA_PASSWORD (tests/conftest.py): ``--user admin`` of a CLI test, the accounts
# made here
TEST_PASSWORD = "clave de prueba 2026"
DESK_USER = "coordinacion"


def login(folder: Path, user: str = "admin", **kwargs: Any) -> AppContext:
    """The data folder ``folder`` opened as the account ``user`` with :data:`TEST_PASSWORD`
    (as the CLI opens it): a new or plain folder gets its key file with ``user`` as its
    administrator (a plain one is converted once)."""
    return open_context(folder, credentials=Credentials(user, TEST_PASSWORD), **kwargs)


def desk_accounts(folder: Path, **kwargs: Any) -> Path:
    """``folder`` encrypted with the accounts ``admin`` (administración de casa, the CLI's
    default ``--user``) and ``coordinacion`` (coordinación: desk work the administrator may
    not do, like printing slips or registering persons), both with :data:`TEST_PASSWORD`.
    A new folder is created, a plain one converted; run again, it changes nothing."""
    context = login(folder, **kwargs)
    try:
        assert context.actor.role == "admin_casa", context.actor.role
        assert context.vault is not None
        if not context.vault.keyring.has_account(DESK_USER):
            create_account(context.session, context.vault, DESK_USER, "Coordinación",
                           "coordinacion", TEST_PASSWORD)
    finally:
        context.close()
    return folder


def database_key(folder: Path, user: str = "admin") -> bytes:
    """The database key of the encrypted folder ``folder``, unwrapped with ``user``'s
    password without opening the database (to look at the file as a check would)."""
    return unlock_folder(DataPaths(folder), Credentials(user, TEST_PASSWORD)).vault.key
