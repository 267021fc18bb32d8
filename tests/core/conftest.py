"""Core tests never need Qt: a core test asking for a Qt fixture is a layering mistake."""

from __future__ import annotations

import pytest

QT_FIXTURES = {"qtbot", "qapp", "qtmodeltester", "qtlog"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/core/" not in str(item.path).replace("\\", "/"):
            continue
        used = QT_FIXTURES & set(getattr(item, "fixturenames", ()))
        if used:
            raise pytest.UsageError(f"{item.nodeid} uses Qt fixtures {sorted(used)} in a core test")
