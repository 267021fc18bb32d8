"""The acting user: who performs a service call.

Every service receives it (through :class:`oma_desktop.services.session.Session`), so
permissions and field-level privacy can be checked in one place, below the screens.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """A staff account as the services see it: id, role and the casa it works at."""

    user_id: str
    role: str
    casa_id: str
    display_name: str = ""
