"""Import the casas' existing Excel/CSV lists of persons (and their consultations).

A column-mapping dialog (or the ``import-persons`` command) drives it step by step:

1. :func:`read_table` reads a CSV (encoding and delimiter detected) or an XLSX sheet into a
   :class:`Table` of strings, with the spreadsheet row number of every data row.
2. :func:`guess_mapping` proposes which :data:`TARGET_FIELDS` each column feeds;
   :func:`check_mapping` says in Spanish what is missing or assigned twice.
3. :func:`plan_import` parses and validates every row (Spanish messages naming the row
   and the column), finds persons repeated within the file or already registered, and
   returns an :class:`ImportPlan` with counts and a preview. Nothing is written.
4. :func:`commit_import` writes the whole plan in one ``Store.transaction``: all or
   nothing, and only when no row has errors.

Rows that match a registered person (same document number, a duplicate score of at
least :data:`MATCH_SCORE`, or the same name with no data contradicting it) do not create
the person again: their consultation is linked to the registered person, and a
consultation already registered (same person, day and topics) is not recorded twice, so
importing the same file twice changes nothing the second time.

Qt-free; every message goes through ``oma_desktop.i18n``.
"""

from __future__ import annotations

from oma_desktop.core.names import split_full_name
from oma_desktop.services.importer._constants import MATCH_SCORE
from oma_desktop.services.importer.commit import ImportResult, commit_import
from oma_desktop.services.importer.mapping import (
    TARGET_FIELDS,
    ImportOptions,
    TargetField,
    check_mapping,
    guess_mapping,
    target_label,
)
from oma_desktop.services.importer.plan import ImportPlan, PlannedRow, PreviewRow, RowIssue, plan_import
from oma_desktop.services.importer.table import Table, read_table
from oma_desktop.services.importer.values import Resolved, ValueParser, parse_age, parse_date, parse_datetime

__all__ = [
    "MATCH_SCORE",
    "TARGET_FIELDS",
    "ImportOptions",
    "ImportPlan",
    "ImportResult",
    "PlannedRow",
    "PreviewRow",
    "Resolved",
    "RowIssue",
    "Table",
    "TargetField",
    "ValueParser",
    "check_mapping",
    "commit_import",
    "guess_mapping",
    "parse_age",
    "parse_date",
    "parse_datetime",
    "plan_import",
    "read_table",
    "split_full_name",
    "target_label",
]
