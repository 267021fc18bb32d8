"""How the screens say the referral codes: the service's labels (``referrals.STATUSES``,
``PRIORITIES``, ``SHARED_FIELDS``), capitalised for a column or a list."""

from __future__ import annotations

from oma_desktop.i18n import _
from oma_desktop.services import referrals


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def status_label(code: str) -> str:
    return _cap(referrals.status_label(code))


def priority_label(code: str) -> str:
    return _cap(referrals.priority_label(code))


def shared_fields() -> list[tuple[str, str]]:
    """(code, translated label) of the person fields a slip may show."""
    return [(code, _(label)) for code, label in referrals.SHARED_FIELDS]


def next_statuses(current: str) -> list[str]:
    """The states a referral in ``current`` may move to, in the service's order."""
    allowed = referrals.TRANSITIONS.get(current, frozenset())
    return [code for code, _label in referrals.STATUSES if code in allowed]
