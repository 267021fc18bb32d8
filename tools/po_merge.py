"""Merge translations from a JSON file (msgid -> translation) into a .po catalog.

    python tools/po_merge.py resources/locale/es/LC_MESSAGES/oma_desktop.po pending.json

For plural entries the JSON value is a list of forms. Entries already translated are
overwritten only with ``--force``. Prints the msgids still untranslated.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from babel.messages.pofile import read_po, write_po


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("po", type=Path)
    parser.add_argument("json", type=Path, nargs="+")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    with args.po.open("rb") as fh:
        catalog = read_po(fh)
    pending: dict[str, object] = {}
    for path in args.json:
        pending.update(json.loads(path.read_text(encoding="utf-8")))
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key not in pending:
            continue
        has = any(message.string) if isinstance(message.string, tuple) else bool(message.string)
        if has and not args.force:
            continue
        value = pending[key]
        if isinstance(message.id, tuple):
            forms = value if isinstance(value, list) else [value, value]
            n = catalog.num_plurals
            message.string = tuple((forms + [forms[-1]] * n)[:n])
        else:
            message.string = str(value)
        message.flags.discard("fuzzy")
    with args.po.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)
    missing = [
        m.id for m in catalog if m.id and not (any(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    for m in missing:
        print("untranslated:", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
