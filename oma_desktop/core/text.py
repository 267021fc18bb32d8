"""Text normalisation shared by search, duplicate detection and imports."""

from __future__ import annotations

import functools
import re
import unicodedata

# spaces, dots, slashes, underscores and every hyphen/dash pasted from other programs
_DOC_STRIP = re.compile(r"[\s.\-/_\u2010-\u2015\u2212]+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"\D")
# NUL and the other control characters (tab and line breaks are allowed where a field has
# several lines), and the invisible marks that reorder text right-to-left (a name could be
# shown as something else than what is stored)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_accents(text: str) -> str:
    """``José Ñañez`` -> ``Jose Nanez`` (ñ folds to n, like users type it)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation as single spaces (cached: names repeat a lot
    in a list and in the database)."""
    return _NON_ALNUM.sub(" ", strip_accents(text).lower()).strip()


def normalize_document_number(number: str) -> str:
    """Upper-case and without spaces, dots, hyphens or slashes: ``001-234.567`` -> ``001234567``."""
    return _DOC_STRIP.sub("", number).upper()


def document_number_key(number: str) -> str:
    """What two document numbers are compared by: their digits, without leading zeros.

    ``V-14.567.890``, ``14567890`` and ``014567890`` are one number whatever the document
    type or country, so a cédula typed without its ``V`` or a carné without its leading
    zeros still finds the person. A number without digits keeps its letters.
    """
    digits = _DIGITS.sub("", number).lstrip("0")
    if digits:
        return digits
    return normalize_document_number(number) if not _DIGITS.sub("", number) else "0"


def forbidden_characters(text: str, multiline: bool = False) -> str:
    """``control`` (NUL and other control characters, or a line break where one line is
    expected), ``bidi`` (right-to-left overrides and other direction marks) or "" when the
    text can be stored as it is."""
    if _CONTROL.search(text) or (not multiline and _LINE_BREAKS.search(text)):
        return "control"
    if _BIDI.search(text):
        return "bidi"
    return ""


def normalize_phone(phone: str) -> str:
    """Digits only, without Peru's +51 prefix for mobile numbers."""
    digits = _DIGITS.sub("", phone)
    if len(digits) == 11 and digits.startswith("51"):
        digits = digits[2:]
    return digits
