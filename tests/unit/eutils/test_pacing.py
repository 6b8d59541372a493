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
    assert settings.start_burst == 3
    # Any 4 starts in a row span 1.2 s: 200 ms of margin under "more than 3 in a second".
    assert settings.start_burst * settings.start_interval - 1 >= 0.2 - 1e-9


def test_start_interval_with_key_is_under_10_per_second() -> None:
    settings = Settings(api_key="0123456789abcdef0123456789abcdef0123")
    assert settings.start_interval == 0.12
    assert settings.start_burst == 10
    assert settings.start_burst * settings.start_interval - 1 >= 0.2 - 1e-9


# --- a window of starts (burst > 1) --------------------------------------------------------


@pytest.mark.parametrize(("burst", "interval"), [(3, 0.4), (10, 0.12)])
def test_a_window_takes_burst_starts_at_once_then_waits_for_the_oldest(
    burst: int, interval: float
) -> None:
    clock = FakeClock(start=50.0)
    pacer = StartPacer(interval, clock, burst)
    window = burst * interval
    slots = acquire_n(pacer, 3 * burst + 2)
    assert slots == pytest.approx([50.0 + (k // burst) * window for k in range(len(slots))])
    # Any burst + 1 starts in a row span a whole window.
    assert all(slots[k + burst] - slots[k] >= window - EPS for k in range(len(slots) - burst))


def test_a_one_off_after_a_few_starts_goes_at_once_while_the_window_has_room() -> None:
    clock = FakeClock()
    pacer = StartPacer(0.4, clock, 3)
    first = pacer.acquire()
    clock.advance(0.05)
    assert pacer.acquire() == pytest.approx(first + 0.05)  # not first + 0.4
    assert clock.total_slept == 0


@pytest.mark.parametrize("seed", range(20))
def test_random_arrivals_start_as_early_as_the_window_allows(seed: int) -> None:
    """Each start is the latest of: its arrival, the start before it, and the moment the
    window's oldest start leaves it; so no burst + 1 starts ever share a window, and no
    caller waits while the window has room."""
    import random

    rng = random.Random(seed)
    burst, interval = rng.choice([(3, 0.4), (10, 0.12)])
    window = burst * interval
    clock = FakeClock()
    pacer = StartPacer(interval, clock, burst)
    slots: list[float] = []
    for _ in range(200):
        clock.advance(rng.choice([0.0, 0.0, 0.01, 0.1, 0.5, 2.0]) * rng.random())
        arrival = clock.monotonic()
        slot = pacer.acquire()
        earliest = max([arrival, *slots[-1:], *[s + window for s in slots[-burst:][:1]]])
        if len(slots) < burst:
            earliest = max([arrival, *slots[-1:]])
        assert slot == pytest.approx(earliest)
        slots.append(slot)
    assert all(slots[k + burst] - slots[k] >= window - EPS for k in range(len(slots) - burst))


def test_concurrent_acquires_keep_to_the_window() -> None:
    burst, interval = 3, 0.4
    clock = FakeClock()
    pacer = StartPacer(interval, clock, burst)
    slots: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        mine = acquire_n(pacer, 20)
        with lock:
            slots.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    ordered = sorted(slots)
    window = burst * interval
    assert len(ordered) == 120
    assert all(ordered[k + burst] - ordered[k] >= window - EPS for k in range(len(ordered) - burst))
