from oma_desktop.core.clock import HybridLogicalClock, format_hlc, pack, unpack
from oma_desktop.core.ids import is_uuid, new_id


def test_local_events_strictly_increase_even_when_wall_clock_goes_back() -> None:
    wall = iter([1000, 1000, 999, 500, 1001, 1001])
    clock = HybridLogicalClock(wall=lambda: next(wall))
    values = [clock.now() for _ in range(6)]
    assert values == sorted(values)
    assert len(set(values)) == 6
    assert unpack(values[0]) == (1000, 0)
    assert unpack(values[3]) == (1000, 3)
    assert unpack(values[4]) == (1001, 0)


def test_observe_remote_ahead_moves_past_it() -> None:
    clock = HybridLogicalClock(wall=lambda: 1000)
    remote = pack(5000, 7)
    after = clock.observe(remote)
    assert after > remote
    assert clock.now() > after


def test_format_hlc_is_readable() -> None:
    assert format_hlc(pack(0, 3)) == "1970-01-01T00:00:00.000+00:00/3"


def test_new_ids_are_uuid7_and_time_ordered() -> None:
    ids = [new_id() for _ in range(200)]
    assert all(is_uuid(i) and i[14] == "7" for i in ids)
    assert len(set(ids)) == 200
    assert ids[0][:8] <= ids[-1][:8]
    assert not is_uuid("nope")
