"""The shared start pacer (elinkcli.eutils.pacing.SharedStartPacer): processes pacing
through one slot file per rate class, in the user's state directory; damaged or stale
slot files; the key never in a file name or on disk.

No real waiting: time is FakeClock.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from support.fakes import FakeClock
from support.paths import files_bytes

from elinkcli import constants as C
from elinkcli.config import Settings, resolve
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.pacing import SharedStartPacer, StartPacer, rate_file

BASE = "https://eutils.test/entrez/eutils/"
SECRET = "SECRET-0123456789abcdef0123456789ab"


def test_two_pacers_on_one_file_share_the_slots(tmp_path: Path) -> None:
    """Two "processes" (two pacers, one slot file) take turns: every start an interval
    after the one before, whichever pacer it came from."""
    clock = FakeClock(start=500.0)
    path = rate_file(tmp_path, None)
    a = SharedStartPacer(0.35, clock, path)
    b = SharedStartPacer(0.35, clock, path)
    order = [a, b, b, a, b, a, a, b]
    slots = [pacer.acquire() for pacer in order]
    assert slots == pytest.approx([500.0 + 0.35 * k for k in range(len(order))])
    assert float(path.read_text()) == pytest.approx(500.0 + 0.35 * (len(order) - 1))


@pytest.mark.parametrize("burst", [3, 10])
def test_two_pacers_on_one_file_keep_to_the_window(tmp_path: Path, burst: int) -> None:
    """At most `burst` starts in any window of burst x interval, whichever pacer takes
    them: the first `burst` at once, then one window later, and so on."""
    clock = FakeClock(start=500.0)
    path = rate_file(tmp_path, None)
    window = burst * 0.12
    a = SharedStartPacer(0.12, clock, path, burst=burst)
    b = SharedStartPacer(0.12, clock, path, burst=burst)
    slots = [(a if k % 3 else b).acquire() for k in range(3 * burst + 1)]
    assert slots == pytest.approx([500.0 + (k // burst) * window for k in range(len(slots))])
    assert all(later - slots[k] >= window - 1e-9 for k, later in enumerate(slots[burst:]))
    # The file keeps the starts of the last window only: here the last one alone.
    assert [float(t) for t in path.read_text().split()] == pytest.approx([slots[-1]])
    c = SharedStartPacer(0.12, clock, path, burst=burst)
    more = [c.acquire() for _ in range(burst - 1)]
    assert more == pytest.approx([slots[-1]] * (burst - 1))
    assert [float(t) for t in path.read_text().split()] == pytest.approx([slots[-1]] * burst)


def test_a_one_off_after_another_starts_at_once_while_the_window_has_room(
    tmp_path: Path,
) -> None:
    clock = FakeClock(start=10.0)
    path = rate_file(tmp_path, None)
    assert SharedStartPacer(0.4, clock, path, burst=3).acquire() == 10.0
    clock.advance(0.05)  # the next process, right after
    assert SharedStartPacer(0.4, clock, path, burst=3).acquire() == pytest.approx(10.05)
    assert clock.total_slept == 0


def test_a_second_pacer_waits_for_the_slot_the_first_took(tmp_path: Path) -> None:
    clock = FakeClock(start=100.0)
    path = rate_file(tmp_path, None)
    a = SharedStartPacer(1.0, clock, path)
    b = SharedStartPacer(1.0, clock, path)
    assert a.acquire() == 100.0
    clock.advance(0.25)
    assert b.acquire() == 101.0  # not now: a's interval is not over
    assert clock.sleeps[-1] == pytest.approx(0.75)


def test_a_slot_far_in_the_future_is_stale_and_reset(tmp_path: Path) -> None:
    clock = FakeClock(start=100.0)
    path = rate_file(tmp_path, None)
    path.write_text(repr(100.0 + SharedStartPacer.STALE + 3600))  # left by a dead clock
    pacer = SharedStartPacer(0.35, clock, path)
    assert pacer.acquire() == 100.0
    assert clock.total_slept == 0
    assert float(path.read_text()) == pytest.approx(100.0)


def test_a_slot_ahead_within_the_stale_limit_is_waited_for(tmp_path: Path) -> None:
    clock = FakeClock(start=100.0)
    path = rate_file(tmp_path, None)
    path.write_text(repr(105.0))  # a start 5 s ahead (an older elinkcli's "next free" time)
    pacer = SharedStartPacer(0.35, clock, path)
    assert pacer.acquire() == pytest.approx(105.35)
    assert clock.total_slept == pytest.approx(5.35)


@pytest.mark.parametrize("content", ["", "garbage", "nan?", "1e", "nan"])
def test_an_unreadable_slot_file_counts_as_a_start_just_made(tmp_path: Path, content: str) -> None:
    """Careful, not fast: a damaged file costs one window, never a burst, and is mended."""
    clock = FakeClock(start=42.0)
    path = rate_file(tmp_path, None)
    path.write_text(content)
    pacer = SharedStartPacer(0.35, clock, path)
    assert pacer.acquire() == pytest.approx(42.35)
    assert pacer.acquire() == pytest.approx(42.70)
    assert float(path.read_text()) == pytest.approx(42.70)
    path.write_text(content)
    wide = SharedStartPacer(0.4, clock, path, burst=3)  # the window is full: 1.2 s
    now = clock.monotonic()
    assert wide.acquire() == pytest.approx(now + 1.2)


def test_a_missing_slot_file_means_start_now(tmp_path: Path) -> None:
    clock = FakeClock(start=42.0)
    assert SharedStartPacer(0.35, clock, rate_file(tmp_path, None)).acquire() == 42.0


def test_rate_files_never_hold_the_key(tmp_path: Path) -> None:
    nokey = rate_file(tmp_path, None)
    keyed = rate_file(tmp_path, SECRET)
    other = rate_file(tmp_path, SECRET + "x")
    assert nokey.name == "rate-nokey.slot"
    assert keyed.name == f"rate-{hashlib.sha256(SECRET.encode()).hexdigest()[:16]}.slot"
    assert len({nokey, keyed, other}) == 3  # one rate class per key
    clock = FakeClock()
    SharedStartPacer(0.11, clock, keyed).acquire()
    assert SECRET not in keyed.name
    assert SECRET.encode() not in files_bytes(tmp_path)
    assert keyed.exists() and Path(str(keyed) + ".lock").exists()


def test_client_paces_through_the_shared_file_of_its_rate_class(tmp_path: Path) -> None:
    state, cache = tmp_path / "state", tmp_path / "cache"
    keyed_settings = Settings(base_url=BASE, cache_dir=cache, state_dir=state, api_key=SECRET)
    with EutilsClient(keyed_settings) as keyed:
        assert isinstance(keyed.pacer, SharedStartPacer)
        assert keyed.pacer.path == rate_file(state, SECRET)
        assert keyed.pacer.interval == C.START_INTERVAL_WITH_KEY
    with EutilsClient(Settings(base_url=BASE, cache_dir=cache, state_dir=state)) as plain:
        assert isinstance(plain.pacer, SharedStartPacer)
        assert plain.pacer.path == state / "rate-nokey.slot"
        assert plain.pacer.interval == C.START_INTERVAL_NO_KEY
    with EutilsClient(Settings(base_url=BASE)) as stateless:
        assert isinstance(stateless.pacer, StartPacer)
        assert stateless.cache is None


def test_processes_with_different_cache_dirs_share_one_state_dir(tmp_path: Path) -> None:
    """The pacing state follows the user, not the cache: two cache dirs, one slot file."""
    env = {"ELINKCLI_CONFIG": os.devnull}
    a = resolve(environ={**env, "ELINKCLI_CACHE_DIR": str(tmp_path / "a")}).settings
    b = resolve(environ={**env, "ELINKCLI_CACHE_DIR": str(tmp_path / "b")}).settings
    assert a.cache_dir != b.cache_dir
    assert a.state_dir == b.state_dir
    assert a.state_dir is not None and not str(a.state_dir).startswith(str(tmp_path))
    with EutilsClient(a) as ca, EutilsClient(b) as cb:
        assert isinstance(ca.pacer, SharedStartPacer) and isinstance(cb.pacer, SharedStartPacer)
        assert ca.pacer.path == cb.pacer.path
    given = resolve(environ={**env, "ELINKCLI_STATE_DIR": str(tmp_path / "s")}).settings
    assert given.state_dir == tmp_path / "s"


def test_a_huge_slot_file_is_read_a_few_kilobytes_at_most(tmp_path: Path) -> None:
    """A stray multi-megabyte file where the slot file belongs: its first times are read,
    nothing more is (memory stays small), and the file is mended at the next start."""
    clock = FakeClock(start=1000.0)
    path = rate_file(tmp_path, None)
    path.write_text(" ".join(["999.5"] * 2_000_000))  # ~12 MB
    pacer = SharedStartPacer(0.4, clock, path, burst=3)
    assert pacer.acquire() == pytest.approx(999.5 + 1.2)  # a full window of starts
    assert len(path.read_text().split()) <= 3
