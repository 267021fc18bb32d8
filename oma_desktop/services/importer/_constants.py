"""Thresholds and limits shared by the import modules."""

from __future__ import annotations

# Kept for callers of the import API; the import now attaches a row only to a certain
# match (see duplicates.Candidate.certain), never on a score alone.
MATCH_SCORE = 90
# Below this, a duplicate candidate is not even mentioned (duplicates.THRESHOLD is 60).
WARN_SCORE = 60
# Minimum rapidfuzz scores for values matched by similarity (shown as warnings).
TOPIC_SCORE = 86
DISTRICT_SCORE = 88
COUNTRY_SCORE = 88
# A document number shared with a person whose name is this different is a conflict.
SAME_NAME_SCORE = 70
PREVIEW_ROWS = 20
# A longer cell is refused with a message (the longest field, the notes, holds 4,000).
MAX_CELL = 4000
_SNIFF_LINES = 50
_MAX_TITLE_ROWS = 5
