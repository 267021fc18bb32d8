"""Columns computed from a record's own fields (search keys, normalised numbers).

They are stored for fast lookup but not logged: every installation recomputes them from
the logged fields, so they can never disagree with the data they come from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from oma_desktop.core.text import normalize_document_number

Derive = Callable[[Mapping[str, Any]], dict[str, Any]]


def _document(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"number_norm": normalize_document_number(str(row.get("number") or ""))}


# entity -> (derived column names, function computing them from the full row)
DERIVED: dict[str, tuple[tuple[str, ...], Derive]] = {
    "document": (("number_norm",), _document),
}
