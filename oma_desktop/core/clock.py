"""Hybrid logical clock (Kulkarni et al., 2014) packed into one sortable integer.

``hlc = wall_ms << 16 | counter``. The clock never runs backwards: if the PC's clock is
set back, or an imported operation comes from a casa whose clock runs ahead, the value
keeps increasing and the counter absorbs the difference. The last value is persisted by
the store inside every write transaction, so restarting the app does not reset it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

COUNTER_BITS = 16
_COUNTER_MASK = (1 << COUNTER_BITS) - 1


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def pack(ms: int, counter: int = 0) -> int:
    return (ms << COUNTER_BITS) | counter


def unpack(hlc: int) -> tuple[int, int]:
    return hlc >> COUNTER_BITS, hlc & _COUNTER_MASK


def to_datetime(hlc: int) -> dt.datetime:
    """The wall-clock part as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(unpack(hlc)[0] / 1000, tz=dt.UTC)


def format_hlc(hlc: int) -> str:
    ms, counter = unpack(hlc)
    stamp = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).isoformat(timespec="milliseconds")
    return f"{stamp}/{counter}"


class HybridLogicalClock:
    def __init__(self, last: int = 0, wall: Callable[[], int] = wall_ms) -> None:
        self._last = last
        self._wall = wall

    @property
    def last(self) -> int:
        return self._last

    def advance_to(self, value: int) -> None:
        """Never issue a value at or below ``value`` (e.g. loaded from the database)."""
        self._last = max(self._last, value)

    def now(self) -> int:
        """A new timestamp for a local event, strictly greater than every earlier one."""
        physical = pack(self._wall())
        self._last = physical if physical > self._last else self._last + 1
        return self._last

    def observe(self, remote: int) -> int:
        """Merge a timestamp received from another installation; returns the new value."""
        physical = pack(self._wall())
        self._last = max(physical, self._last + 1, remote + 1)
        return self._last
