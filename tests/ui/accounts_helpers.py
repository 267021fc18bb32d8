"""Encrypted data folders with accounts, for the login, lock and user-management tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from oma_desktop.services.accounts import Credentials, create_account, rename_account
from oma_desktop.services.context import AppContext, open_context

ADMIN_PASSWORD = "casa vecinal segura 2026"
ADMIN = Credentials("admin", ADMIN_PASSWORD)
ADMIN_NAME = "Rosa Huamán Torres"
ANA_FIRST = "primera clave de ana"


def encrypted_folder(folder: Path, *, with_ana: bool = False) -> Path:
    """A data folder whose first account is ``admin`` (named Rosa Huamán Torres); with
    ``with_ana`` also the coordinator ``ana.quispe``, whose first password must be changed."""
    ctx = open_context(folder, credentials=ADMIN)
    try:
        rename_account(ctx.session, ctx.user_id, ADMIN_NAME)
        if with_ana:
            assert ctx.vault is not None
            create_account(ctx.session, ctx.vault, "ana.quispe", "Ana Quispe Mamani",
                           "coordinacion", ANA_FIRST)
    finally:
        ctx.close()
    return folder


def opener(folder: Path) -> Callable[[Credentials], AppContext]:
    def open_as(credentials: Credentials) -> AppContext:
        return open_context(folder, credentials=credentials)

    return open_as
