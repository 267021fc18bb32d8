"""Columns computed from a record's own fields (search keys, normalised numbers).

They are stored for fast lookup but not logged: every installation recomputes them from
the logged fields, so they can never disagree with the data they come from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from oma_desktop.core.text import document_number_key, normalize_document_number, normalize_phone

Derive = Callable[[Mapping[str, Any]], dict[str, Any]]


def _document(row: Mapping[str, Any]) -> dict[str, Any]:
    number = str(row.get("number") or "")
    return {"number_norm": normalize_document_number(number),
            "number_key": document_number_key(number)}


def person_search_name(row: Mapping[str, Any]) -> str:
    """Given names and both surnames, as the full-text index sees them."""
    parts = (row.get("given_names"), row.get("paternal_surname"), row.get("maternal_surname"))
    return " ".join(str(p).strip() for p in parts if p and str(p).strip())


def person_search_phones(row: Mapping[str, Any]) -> str:
    phones = (normalize_phone(str(row.get(k) or "")) for k in ("phone", "whatsapp"))
    return " ".join(dict.fromkeys(p for p in phones if p))


def _person(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"search_name": person_search_name(row), "search_phones": person_search_phones(row)}


# entity -> (derived column names, function computing them from the full row)
DERIVED: dict[str, tuple[tuple[str, ...], Derive]] = {
    "document": (("number_norm", "number_key"), _document),
    "person": (("search_name", "search_phones"), _person),
}
