"""The one place for translation and locale-aware formatting.

Source strings (msgids) are English; the Spanish (Peru) catalog is the default and
must be complete (a test extracts every string and checks it). Catalogs live in
``resources/locale/<lang>/LC_MESSAGES/oma_desktop.po``; the compiled ``.mo`` is used
when present and up to date, otherwise the ``.po`` is compiled in memory, so a
missing build step never shows a clerk an untranslated screen.

Qt-free: Qt's own translator is installed by ``oma_desktop.ui.qt_i18n``.
"""

from __future__ import annotations

import datetime as dt
import gettext as _gettext
import io
import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from oma_desktop.paths import resources_dir

DOMAIN = "oma_desktop"
SUPPORTED_LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"
# babel locale used for dates, numbers and country names in each UI language
FORMAT_LOCALES = {"es": "es_PE", "en": "en_US"}

_translations: _gettext.NullTranslations = _gettext.NullTranslations()
_language = DEFAULT_LANGUAGE
_listeners: list[Callable[[str], None]] = []


def _load_catalog(lang: str) -> _gettext.NullTranslations:
    base = resources_dir() / "locale" / lang / "LC_MESSAGES"
    po, mo = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return _gettext.GNUTranslations(fh)
    if po.exists():
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        return _gettext.GNUTranslations(buf)
    return _gettext.NullTranslations()


def setup(lang: str | None = None) -> str:
    """Activate ``lang`` (``es`` or ``en``; default from ``OMA_LANG`` or Spanish)."""
    global _translations, _language
    chosen = (lang or os.environ.get("OMA_LANG") or DEFAULT_LANGUAGE).split("_")[0].lower()
    if chosen not in SUPPORTED_LANGUAGES:
        chosen = DEFAULT_LANGUAGE
    _translations = _load_catalog(chosen)
    _language = chosen
    for listener in list(_listeners):
        listener(chosen)
    return chosen


def on_language_change(listener: Callable[[str], None]) -> None:
    _listeners.append(listener)


def current_language() -> str:
    return _language


def _(message: str) -> str:
    return _translations.gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; translate later with ``_()``."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return _translations.pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return _translations.npgettext(context, singular, plural, n)


# --- formatting -------------------------------------------------------------------


@lru_cache(maxsize=4)
def _locale(lang: str) -> Any:
    from babel import Locale

    return Locale.parse(FORMAT_LOCALES.get(lang, FORMAT_LOCALES[DEFAULT_LANGUAGE]))


def babel_locale() -> Any:
    return _locale(_language)


# Numeric patterns clerks read and type: four-digit years, 24-hour clock.
_NUMERIC_DATE = {"es": "dd/MM/yyyy", "en": "MM/dd/yyyy"}
_NUMERIC_DATETIME = {"es": "dd/MM/yyyy HH:mm", "en": "MM/dd/yyyy HH:mm"}


def date_pattern() -> str:
    """How numeric dates are shown and typed now: ``dd/MM/yyyy`` (es), ``MM/dd/yyyy`` (en).

    Qt's QDateEdit takes the same pattern letters, so date pickers show what lists show.
    """
    return _NUMERIC_DATE[_language]


def format_date(value: dt.date | str | None, fmt: str = "numeric") -> str:
    """``27/11/2026`` (numeric, default), ``27 nov. 2026`` (medium) or babel's ``long``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    from babel.dates import format_date as _fd

    pattern = _NUMERIC_DATE[_language] if fmt == "numeric" else fmt
    return str(_fd(value, format=pattern, locale=babel_locale()))


def format_datetime(value: dt.datetime | str | None, fmt: str = "numeric") -> str:
    """``27/11/2026 15:30`` (numeric, default) or any babel format name/pattern."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    from babel.dates import format_datetime as _fdt

    pattern = _NUMERIC_DATETIME[_language] if fmt == "numeric" else fmt
    return str(_fdt(value, format=pattern, locale=babel_locale()))


def format_number(value: float | int) -> str:
    from babel.numbers import format_decimal

    return str(format_decimal(value, locale=babel_locale()))


def format_percent(value: float, digits: int = 1) -> str:
    from babel.numbers import format_percent as _fp

    return str(_fp(value, format="#,##0." + "0" * digits + "%", locale=babel_locale()))


# CLDR territories that are not ISO 3166-1 countries
_NOT_COUNTRIES = frozenset({"ZZ", "XA", "XB", "QO", "EU", "EZ", "UN", "AC", "CP", "DG", "EA", "IC", "TA"})


@lru_cache(maxsize=4)
def _countries(lang: str) -> tuple[tuple[str, str], ...]:
    import unicodedata

    names = _locale(lang).territories
    rows = [(code, str(name)) for code, name in names.items() if len(code) == 2 and code.isalpha()]
    rows = [r for r in rows if r[0] not in _NOT_COUNTRIES]

    def key(row: tuple[str, str]) -> str:
        return unicodedata.normalize("NFKD", row[1]).encode("ascii", "ignore").decode().lower()

    return tuple(sorted(rows, key=key))


def countries() -> tuple[tuple[str, str], ...]:
    """(ISO 3166-1 alpha-2, name) in the current language, sorted for humans."""
    return _countries(_language)


def country_name(code: str | None) -> str:
    if not code:
        return ""
    if code == "XX":
        return _("Stateless")
    for c, name in countries():
        if c == code:
            return name
    return code
