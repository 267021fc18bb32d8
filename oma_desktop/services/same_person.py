""""Es la misma persona": what the clerk typed, offered as changes to the existing record.

When the duplicates check finds that the person being registered is already on file, the
typed values are not thrown away and not written blindly either: :func:`offered_changes`
lists every value that differs from the record (current value → typed value, a document
or household member the record lacks), the clerk ticks the ones to keep, and
:func:`accept_changes` writes exactly those in ONE transaction through ``update_person``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from oma_desktop.core.errors import ValidationError
from oma_desktop.core.fields import field_label, form_order, spec
from oma_desktop.core.text import document_number_key, fold, normalize_phone
from oma_desktop.core.vocab import RELATIONSHIPS, VULNERABILITIES, WG_DOMAINS, codes, label
from oma_desktop.i18n import _, format_date, ngettext
from oma_desktop.services.history import Formatter, document_label
from oma_desktop.services.households import HouseholdChanges, MemberInput
from oma_desktop.services.permissions import Permission, reserved_text
from oma_desktop.services.persons import (
    PERSON_CODE_FIELDS,
    PERSON_TEXT_FIELDS,
    PersonInput,
    load_person,
    update_person,
)
from oma_desktop.services.session import Session

_SIMPLE = (*PERSON_TEXT_FIELDS, *PERSON_CODE_FIELDS, "arrival_date")


@dataclass(frozen=True)
class OfferedChange:
    """One typed value the existing record does not have: ``key`` names it for accepting."""

    key: str
    label: str
    current: str
    typed: str


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _offered(name: str, new: Any, old: Any) -> bool:
    """Is the typed ``new`` worth offering over ``old``? Not when it is empty, the same but
    for accents, capitals or spaces ("Jose" for "José"), or merely the form's default (the
    district and nationality the form starts with were not said by anyone)."""
    if _blank(new) or new == old:
        return False
    if isinstance(new, str) and isinstance(old, str):
        if name in ("phone", "whatsapp"):
            return normalize_phone(new) != normalize_phone(old)
        if fold(" ".join(new.split())) == fold(" ".join(old.split())):
            return False
    found = spec("person", name)
    return not (found is not None and found.default == new and not _blank(old))


def _member_text(member: MemberInput) -> str:
    parts = [member.full_name, label_relationship(member.relationship)]
    if member.birth_date is not None:
        parts.append(format_date(member.birth_date))
    elif member.estimated_age is not None:
        parts.append(ngettext("about {n} year old", "about {n} years old",
                              member.estimated_age).format(n=member.estimated_age))
    return " · ".join(p for p in parts if p)


def label_relationship(code: str) -> str:
    return label(RELATIONSHIPS, code) if code else ""


def offered_changes(
    session: Session, person_id: str, typed: PersonInput,
    household: HouseholdChanges | None = None, today: dt.date | None = None,
) -> list[OfferedChange]:
    """Every typed value that differs from ``person_id``'s record, in form order.

    Empty typed values are never offered (they would erase what is on file); a document is
    offered when the record has no document with the same number (compared by digits); each
    household member typed inline is offered as an addition.
    """
    session.require(Permission.VIEW_PERSONS)
    current = load_person(session, person_id, today)
    fmt = Formatter(session)
    order = form_order("person")
    offers: list[OfferedChange] = []
    for name in _SIMPLE:
        new, old = getattr(typed, name), getattr(current, name)
        if _offered(name, new, old):
            offers.append(OfferedChange(name, field_label(name, "person"),
                                        fmt.text("person", name, old), fmt.text("person", name, new)))
    if typed.birth_date is not None and typed.birth_date != current.birth_date:
        old_text = (fmt.text("person", "birth_date", current.birth_date)
                    if current.estimated_age is None else _age(current.estimated_age))
        offers.append(OfferedChange("birth_date", field_label("birth_date", "person"), old_text,
                                    format_date(typed.birth_date)))
    elif (typed.birth_date is None and typed.estimated_age is not None
          and current.birth_date is None and typed.estimated_age != current.estimated_age):
        offers.append(OfferedChange("estimated_age", field_label("estimated_age", "person"),
                                    _age(current.estimated_age), _age(typed.estimated_age)))
    for key in codes(WG_DOMAINS):
        new_level = typed.wg.get(key)
        if new_level is not None and new_level != current.wg.get(key):
            offers.append(OfferedChange(key, field_label(key, "person"),
                                        fmt.text("person", key, current.wg.get(key)),
                                        fmt.text("person", key, new_level)))
    for key in codes(VULNERABILITIES):
        if key in typed.vulnerabilities and key not in current.vulnerabilities:
            offers.append(OfferedChange(key, label(VULNERABILITIES, key), _("No"), _("Yes")))
    for name in ("consent_refer", "consent_contact"):
        if getattr(typed, name) and not getattr(current, name):
            offers.append(OfferedChange(name, field_label(name, "person"), _("No"), _("Yes")))
    offers.sort(key=lambda o: order.get("birth_date" if o.key == "estimated_age" else o.key, 999))
    # a value the role may not see reads «Reservado» (accepting it fills it only if empty)
    offers = [replace(o, current=reserved_text()) if o.key in current.withheld else o
              for o in offers]
    known = {document_number_key(d.number) for d in current.documents if d.number}
    for index, doc in enumerate(typed.documents):
        if doc.number.strip() and document_number_key(doc.number) not in known:
            offers.append(OfferedChange(f"documents.{index}", _("New document"), "",
                                        document_label(session.catalogs, doc.doc_type, doc.number)))
    household = household or HouseholdChanges()
    for index, member in enumerate(household.inline):
        offers.append(OfferedChange(f"household.{index}", _("New household member"), "",
                                    _member_text(member)))
    for index, (other_id, relationship) in enumerate(household.persons):
        text = " · ".join((fmt.name_of("persons", other_id), label_relationship(relationship)))
        offers.append(OfferedChange(f"household.person.{index}", _("New household member"), "",
                                    text))
    return offers


def _age(age: int | None) -> str:
    if age is None:
        return _("(empty)")
    return ngettext("about {n} year old", "about {n} years old", age).format(n=age)


def accept_changes(
    session: Session, person_id: str, typed: PersonInput, accepted: Iterable[str],
    household: HouseholdChanges | None = None, today: dt.date | None = None,
) -> int:
    """Write the accepted offers (their ``key``) to the record in one transaction.

    Returns how many were written (0 writes nothing at all).
    """
    session.require(Permission.EDIT_PERSONS)
    keys = set(accepted)
    if not keys:
        return 0
    merged = load_person(session, person_id, today)
    for name in _SIMPLE:
        if name in keys:
            setattr(merged, name, getattr(typed, name))
    if "birth_date" in keys:
        merged.birth_date, merged.estimated_age = typed.birth_date, None
    elif "estimated_age" in keys:
        merged.birth_date, merged.estimated_age = None, typed.estimated_age
    merged.wg = {**merged.wg, **{k: v for k, v in typed.wg.items() if k in keys}}
    merged.vulnerabilities = merged.vulnerabilities | (typed.vulnerabilities & keys)
    for name in ("consent_refer", "consent_contact"):
        if name in keys:
            setattr(merged, name, True)
    merged.documents = [
        *merged.documents,
        *(replace(doc, id=None) for index, doc in enumerate(typed.documents)
          if f"documents.{index}" in keys),
    ]
    household = household or HouseholdChanges()
    inline = [m for index, m in enumerate(household.inline) if f"household.{index}" in keys]
    persons = [p for index, p in enumerate(household.persons)
               if f"household.person.{index}" in keys]
    try:
        update_person(session, person_id, merged, today,
                      HouseholdChanges(inline=inline, persons=persons))
    except ValidationError as exc:  # say which values, not "check the marked fields"
        raise ValidationError(exc.fields, " ".join(dict.fromkeys(exc.fields.values()))) from exc
    return len(keys)


__all__ = ["OfferedChange", "accept_changes", "offered_changes"]
