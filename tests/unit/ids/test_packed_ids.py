"""A long plain input kept packed: the same ids as split_ids/check_ids, window by window."""

from __future__ import annotations

import random
import sqlite3

import pytest

from elinkcli.commands.ledger import CountedIds
from elinkcli.errors import UsageError
from elinkcli.ids.packed import WINDOW, PackedIds, SeenStoreError, check_window_size
from elinkcli.ids.tokens import check_ids, split_ids


def handed_out(packed: PackedIds, size: int) -> list[str]:
    return [i for window, _ in packed.windows(size) for i in window]


@pytest.mark.parametrize(
    "raw",
    [
        b"1\n2\n3\n",
        b"  1, 2\t3\r\n\r\n4,,5 \n",
        b"7\x0b8\x0c9\x1c10\x1d11\x1e12\x1f13",
        "\ufeff7\u00a08\u20039\n".encode(),  # BOM, no-break and em spaces: decoded first
        b"NM_000546.6 NP_000537.3\nXM_1.1",
        b"",
        b"\n\n",
    ],
)
def test_the_same_ids_as_split_ids_in_the_same_order(raw):
    tokens = split_ids([raw.decode("utf-8-sig")])
    packed = PackedIds.from_input(raw)
    assert packed.count == len(tokens)
    assert handed_out(packed, 2) == list(dict.fromkeys(tokens))


def test_repeats_are_dropped_across_windows_first_occurrence_kept():
    rng = random.Random(5)
    tokens = [str(rng.randrange(1, 400)) for _ in range(3000)]
    packed = PackedIds.from_input("\n".join(tokens).encode())
    for size in (1, 7, 100, 5000):
        windows = list(packed.windows(size))
        assert [i for w, _ in windows for i in w] == list(dict.fromkeys(tokens))
        assert all(0 < len(w) <= size for w, _ in windows)
        reads = [n for _, n in windows]
        assert reads == sorted(reads) and reads[-1] <= 3000


def test_read_so_far_counts_input_ids_not_kept_ones():
    packed = PackedIds.from_input(b"1 1 1 2 3 3")
    assert list(packed.windows(2)) == [(["1"], 2), (["2"], 4), (["3"], 6)]


def test_check_names_the_first_bad_id_whatever_window_it_is_in():
    tokens = [str(n) for n in range(1, 50_000)]
    tokens[43_210] = "not-an-id"
    packed = PackedIds.from_input("\n".join(tokens).encode())
    with pytest.raises(UsageError) as caught:
        packed.check("gene")
    with pytest.raises(UsageError) as direct:
        check_ids(tokens, "gene")
    assert str(caught.value) == str(direct.value)
    assert "'not-an-id'" in str(caught.value)


def test_accessions_pass_the_check_of_their_database():
    packed = PackedIds.from_input(b"NM_000546.6\n7157\nNM_000546.6\n")
    packed.check("nuccore")
    assert handed_out(packed, 10) == ["NM_000546.6", "7157"]


@pytest.mark.parametrize("raw", [b"1\n\x002", b"1\n\xff\xfe"])
def test_binary_input_is_refused_in_one_line(raw):
    with pytest.raises(UsageError) as caught:
        PackedIds.from_input(raw)
    assert "\n" not in str(caught.value)


def test_digest_names_the_ids_whatever_the_separators():
    a = PackedIds.from_input(b"1,2,3")
    b = PackedIds.from_input(b"1\n2\n3\n")
    c = PackedIds.from_input(b"1\n3\n2\n")
    assert a.digest == b.digest != c.digest


def test_a_full_temporary_disk_is_a_plain_error(monkeypatch):
    connect = sqlite3.connect

    def small_disk(path: str) -> sqlite3.Connection:
        db = connect(path)
        db.execute("PRAGMA max_page_count = 8")  # SQLITE_FULL, as on a full disk
        return db

    monkeypatch.setattr("elinkcli.ids.packed.sqlite3.connect", small_disk)
    packed = PackedIds.from_input("\n".join(map(str, range(1, 50_000))).encode())
    with pytest.raises(SeenStoreError) as caught:
        handed_out(packed, 1000)
    assert "full" in str(caught.value) and "TMPDIR" in str(caught.value)
    assert caught.value.exit_status == 1


def test_window_sizes_hold_whole_batches():
    assert check_window_size(100) == WINDOW
    assert check_window_size(300) % 300 == 0
    assert check_window_size(1000) == WINDOW
    assert check_window_size(WINDOW + 1) == WINDOW + 1


def test_counted_ids_count_all_and_keep_the_first():
    seen = CountedIds(keep=3)
    seen.extend(str(n) for n in range(10))
    seen.append("x")
    assert len(seen) == 11 and bool(seen)
    assert list(seen) == ["0", "1", "2"] and seen[:1000] == ["0", "1", "2"]
    assert not CountedIds()
