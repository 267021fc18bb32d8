"""Translation catalogs are complete and formatting follows es_PE."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from oma_desktop import i18n
from oma_desktop.i18n import _

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "resources" / "locale"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
            "npgettext": ((1, "c"), 2, 3)}
PLACEHOLDER = re.compile(r"\{[a-z_0-9]*\}")


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT / "oma_desktop"), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(lang: str):
    with (LOCALE / lang / "LC_MESSAGES" / "oma_desktop.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def test_every_source_string_has_a_spanish_translation() -> None:
    catalog = _catalog("es")
    translated = {}
    for m in catalog:
        if not m.id:
            continue
        key = m.id[0] if isinstance(m.id, tuple) else m.id
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if all(strings) and "fuzzy" not in m.flags:
            translated[key] = m
    missing = sorted(_source_messages() - set(translated))
    assert missing == [], "run `make i18n` and translate in es/oma_desktop.po:\n" + "\n".join(missing)


def test_placeholders_survive_translation() -> None:
    for lang in ("es", "en"):
        for m in _catalog(lang):
            if not m.id:
                continue
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            wanted = set(PLACEHOLDER.findall(ids[-1]))
            for s in strings:
                if s:
                    assert set(PLACEHOLDER.findall(s)) == wanted, (lang, m.id, s)


def test_english_catalog_lists_every_string() -> None:
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in _catalog("en") if m.id}
    assert _source_messages() <= ids


def test_spanish_is_the_default_and_english_switchable() -> None:
    assert i18n.setup(None) == "es"
    assert _("Stateless") == "Apátrida"
    assert i18n.ngettext("{n} check failed.", "{n} checks failed.", 2).format(n=2) == (
        "2 verificaciones fallaron."
    )
    assert i18n.setup("en") == "en"
    assert _("Stateless") == "Stateless"
    assert i18n.setup("fr") == "es"


def test_dates_numbers_and_countries_in_es_pe() -> None:
    i18n.setup("es")
    assert i18n.format_date(dt.date(2026, 11, 27)) == "27/11/2026"
    assert i18n.format_date("2026-11-27", "medium") == "27 nov. 2026"
    assert i18n.format_datetime(dt.datetime(2026, 11, 27, 15, 30)) == "27/11/2026 15:30"
    assert i18n.format_number(1234567.5) == "1,234,567.5"  # Peru: comma groups, dot decimals
    assert i18n.country_name("PE") == "Perú"
    assert i18n.country_name("VE") == "Venezuela"
    assert i18n.country_name("XX") == "Apátrida"
    names = [name for _code, name in i18n.countries()]
    assert names.index("Perú") < names.index("Venezuela")
    assert names.index("Afganistán") < names.index("Albania")
    codes = [code for code, _name in i18n.countries()]
    assert "IC" not in codes and "VE" in codes


def test_po_is_compiled_in_memory_when_mo_is_missing_or_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "resources"
    shutil.copytree(ROOT / "resources" / "locale", copy / "locale")
    for mo in copy.rglob("*.mo"):
        mo.unlink()
    monkeypatch.setenv("OMA_RESOURCES", str(copy))
    i18n.setup("es")
    assert _("Stateless") == "Apátrida"
