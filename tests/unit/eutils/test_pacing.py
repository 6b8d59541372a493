"""Start pacing: slots `interval` apart, no burst after idling, safe across threads
(docs/reference/eutils-facts.md, fact 8)."""

from __future__ import annotations

import itertools
import threading

import pytest
from support.fakes import FakeClock

from elinkcli.config import Settings
from elinkcli.eutils.pacing import StartPacer

EPS = 1e-9


def acquire_n(pacer: StartPacer, n: int) -> list[float]:
    return [pacer.acquire() for _ in range(n)]


@pytest.mark.parametrize("interval", [0.35, 0.11, 1.0])
def test_slots_are_exactly_interval_apart_from_the_first(interval: float) -> None:
    clock = FakeClock(start=50.0)
    pacer = StartPacer(interval, clock)
    n = 12
    slots = acquire_n(pacer, n)
    assert slots[0] == clock.start
    assert slots == pytest.approx([clock.start + k * interval for k in range(n)])
    # The clock stands at the last slot: every caller started at its own slot.
    assert clock.monotonic() == pytest.approx(slots[-1])


def test_total_sleep_equals_what_the_slots_imply() -> None:
    interval = 0.35
    clock = FakeClock()
    pacer = StartPacer(interval, clock)
    slots = acquire_n(pacer, 7)
    assert clock.total_slept == pytest.approx(slots[-1] - slots[0])
    assert clock.total_slept == pytest.approx((len(slots) - 1) * interval)
    # The first start does not wait; each later one waits one interval.
    assert [s for s in clock.sleeps if s > 0] == pytest.approx([interval] * (len(slots) - 1))


def test_after_an_idle_gap_the_next_slot_is_now() -> None:
    interval = 0.35
    clock = FakeClock()
    pacer = StartPacer(interval, clock)
    acquire_n(pacer, 3)
    slept_before = clock.total_slept
    clock.advance(10.0)
    now = clock.monotonic()
    assert pacer.acquire() == now
    assert clock.total_slept == slept_before  # no wait after idling


def test_no_burst_credit_beyond_one_after_idling() -> None:
    interval = 0.35
    clock = FakeClock()
    pacer = StartPacer(interval, clock)
    pacer.acquire()
    clock.advance(100 * interval)  # long idle: would be 100 slots of credit with a bucket
    now = clock.monotonic()
    slots = acquire_n(pacer, 5)
    assert slots[0] == now
    assert slots == pytest.approx([now + k * interval for k in range(5)])


def test_a_gap_shorter_than_interval_still_waits_the_rest() -> None:
    interval = 1.0
    clock = FakeClock()
    pacer = StartPacer(interval, clock)
    first = pacer.acquire()
    clock.advance(0.25)
    second = pacer.acquire()
    assert second == pytest.approx(first + interval)
    assert clock.sleeps[-1] == pytest.approx(interval - 0.25)


def test_concurrent_acquires_get_distinct_slots_interval_apart() -> None:
    interval = 0.11
    clock = FakeClock()
    pacer = StartPacer(interval, clock)
    threads_n, per_thread = 8, 25
    barrier = threading.Barrier(threads_n)
    slots: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        mine = acquire_n(pacer, per_thread)
        with lock:
            slots.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert len(slots) == threads_n * per_thread
    ordered = sorted(slots)
    assert len(set(ordered)) == len(ordered)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    assert min(gaps) >= interval - EPS
    # No caller starts before its slot: the fake time reached the last slot.
    assert clock.monotonic() >= ordered[-1] - EPS


def test_start_interval_without_key_is_under_3_per_second() -> None:
    settings = Settings()
    assert settings.start_interval == 0.40
    # Any 4 starts in a row span 1.2 s: 200 ms of margin under "more than 3 in a second".
    assert 3 * settings.start_interval - 1 >= 0.2 - 1e-9


def test_start_interval_with_key_is_under_10_per_second() -> None:
    settings = Settings(api_key="0123456789abcdef0123456789abcdef0123")
    assert settings.start_interval == 0.12
    assert 10 * settings.start_interval - 1 >= 0.2 - 1e-9
