"""elinkcli.inert, the one way outside text reaches a person: escaping, bounds, secrets; and
the stderr line, exception text and table cells built on it."""

from __future__ import annotations

import io
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elinkcli import inert
from elinkcli.errors import GaveUpError, PartialFailure, UsageError
from elinkcli.output.table import TableWriter

UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def unsafe(char: str) -> bool:
    return unicodedata.category(char) in UNSAFE_CATEGORIES


def test_the_escaped_class_is_every_control_format_and_line_separator_character() -> None:
    """The class is written out (compiling it from unicodedata at start-up costs 0.3 s):
    it must hold every such character of this Python's Unicode, and nothing printable."""
    every = [chr(c) for c in range(sys.maxunicode + 1)]
    missing = [hex(ord(c)) for c in every if unsafe(c) and not inert._UNSAFE.match(c)]
    assert missing == []
    # Format characters of a newer Unicode (U+0890, U+13439...) than this Python's are
    # unassigned here: escaped all the same, nothing assigned and printable.
    extra = [hex(ord(c)) for c in every if inert._UNSAFE.match(c) and not unsafe(c)]
    assert all(unicodedata.category(chr(int(c, 16))) == "Cn" for c in extra), extra


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
        ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
        ("\x9b31m", "\\x9b31m"),
        ("\x85", "\\x85"),
        ("evil\u202etxt.exe", "evil\\u202etxt.exe"),
        ("\u2028\u2029", "\\u2028\\u2029"),
        ("\U000e0041", "\\U000e0041"),
        ("plain é ü 中文 [link=x]", "plain é ü 中文 [link=x]"),
    ],
)
def test_escape_makes_each_character_visible(raw: str, shown: str) -> None:
    assert inert.escape(raw) == shown


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(st.characters(codec=None), max_size=60))
def test_escape_leaves_nothing_unsafe_and_is_idempotent(text: str) -> None:
    once = inert.escape(text)
    assert not any(unsafe(c) for c in once)
    assert inert.escape(once) == once


def test_cut_bounds_the_length_with_an_ellipsis() -> None:
    assert inert.cut("abc", 3) == "abc"
    assert inert.cut("abcdef", 4) == "abc…"
    assert len(inert.line("x" * 50_000)) == inert.LINE_LIMIT


KEY = "f0e1d2c3b4a5968778695a4b3c2d1e0f1a2b"


@pytest.fixture
def secret() -> str:
    inert.keep_secret(KEY)
    return KEY


def test_a_secret_is_masked_in_any_case_and_cut_short_at_either_end(secret: str) -> None:
    assert secret not in inert.line(f"Invalid api_key={secret} given")
    assert inert.line(f"key {secret.upper()}!") == "key ***!"
    # A text cut inside the key, as a snippet of a body is cut: the rest still masked.
    assert inert.line(f"body ... api_key={secret[:10]}") == "body ... api_key=***"
    assert inert.line(f"body ... api_key={secret[:10]}…") == "body ... api_key=***…"
    assert inert.line(f"{secret[-12:]} and more") == "*** and more"
    # Five characters or fewer of it are not masked (they are in many a word and id).
    assert inert.line(f"x{secret[:5]}") == f"x{secret[:5]}"


PIECES = st.sampled_from(["", KEY, KEY[:6], KEY[:9], KEY[-6:], KEY[-11:], KEY.upper()[:12],
                          KEY[:5], "\x1b[1m", "\u202e", "\t"])  # fmt: skip


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.tuples(st.text(max_size=20), PIECES, st.text(max_size=20), PIECES))
def test_shows_as_is_never_says_so_of_a_text_inert_changes(parts: tuple[str, ...]) -> None:
    """The table's quick way writes a text as it is when shows_as_is says so: never when
    inert would escape or mask something (a secret kept, or none)."""
    inert.keep_secret(KEY)
    text = "".join(parts)
    if inert.shows_as_is(text):
        assert inert.inert(text) == text
    lowered = text.lower()
    pieces = [p for s in inert._secrets for p in (s.lower()[:6], s.lower()[-6:])]
    if text.isascii() and text.isprintable() and not any(p in lowered for p in pieces):
        assert inert.shows_as_is(text)  # and so the quick way is taken


def test_a_short_secret_is_not_masked_everywhere() -> None:
    inert.keep_secret("k")  # a test's key: masking it would mask every k of every message
    assert inert.line("elinkcli: link") == "elinkcli: link"


def test_exceptions_say_their_text_inert(secret: str) -> None:
    exc = UsageError(f"bad \x1b[2J {secret}\nsecond line")
    assert str(exc) == "bad \\x1b[2J ***\\nsecond line"


def test_a_failure_of_many_ids_names_fifty_and_how_many() -> None:
    ids = [str(n) for n in range(1000, 1300)]
    failure = PartialFailure([GaveUpError("HTTP 503 (6 tries)", ids, 6)])
    text = str(failure)
    assert text.endswith("failed ids: " + ",".join(ids[:50]) + ",… (300 in all)")
    assert failure.ids == tuple(ids)


def test_many_reasons_are_counted_not_listed() -> None:
    failures = [GaveUpError(f"reason {n} " + "x" * 1000, [str(n)], 1) for n in range(10)]
    text = str(PartialFailure(failures))
    assert "and 7 other reason(s)" in text
    assert text.endswith("failed ids: 0,1,2,3,4,5,6,7,8,9")


def test_the_table_shows_markup_as_typed_and_never_links() -> None:
    out = io.StringIO()
    writer = TableWriter(out, ("source_id", "provider"), title="[/] title [link=x]t[/link]")
    writer.write(("1", "[link=https://evil.example]Trusted Publisher[/link]"))
    writer.write(("2", "[/]"))
    writer.write(("3", "\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\"))
    writer.close()
    text = out.getvalue()
    assert "\x1b" not in text
    cells = "".join(c for c in text if c.isascii() and not c.isspace() and c not in "│┃━─┏┓┗┛")
    assert "[link=https://evil.example]TrustedPublisher[/link]" in cells
    assert "[/]" in cells and "\\x1b]8;;" in cells


def test_the_whole_list_of_ids_goes_to_a_private_file_and_old_lists_go(tmp_path) -> None:
    from elinkcli.output import idfiles

    ids = [str(n) for n in range(1000, 1300)]
    said = idfiles.keep_ids(ids, tmp_path)
    path = tmp_path / said.rsplit(" in ", 1)[1].rsplit("/", 1)[1]
    assert said == f"all 300 in {path}"
    assert path.read_text().split() == ids
    assert path.stat().st_mode & 0o777 == 0o600
    for n in range(idfiles.KEPT + 5):
        (tmp_path / f"old-{n:02d}.txt").write_text("1\n")
    idfiles.keep_ids(ids, tmp_path)
    assert len(list(tmp_path.glob("*.txt"))) == idfiles.KEPT


def test_a_list_that_cannot_be_kept_is_said_so(tmp_path) -> None:
    from elinkcli.output import idfiles

    blocked = tmp_path / "file"
    blocked.write_text("")  # a file where the directory would be
    said = idfiles.keep_ids(["1", "2"], blocked / "failed-ids")
    assert said.startswith("the whole list could not be kept (")


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (None, "?"),
        (0, "0 B"),
        (999, "999 B"),
        (1_000, "1.0 KB"),
        (3_400_000, "3.4 MB"),
        (28 * 10**9, "28.0 GB"),
        (35.5e9, "35.5 GB"),
        (4 * 10**12, "4,000.0 GB"),
    ],
)
def test_size_text(n: float | None, text: str) -> None:
    assert inert.size_text(n) == text
