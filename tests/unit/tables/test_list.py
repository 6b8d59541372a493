"""`tables list` asks the file server for each file's size and date (a HEAD): a file the
server refuses is shown without them, the others are still asked; a server given up on
after retries is not asked again for the other files (they are all on it), so an offline
machine waits for one file's retries, not for every file's."""

from __future__ import annotations

from pathlib import Path

from elinkcli.commands.tables import list_tables
from elinkcli.config import Settings
from elinkcli.errors import GaveUpError
from elinkcli.eutils.download import Remote
from elinkcli.tables.catalog import TABLES


def settings(tmp_path: Path) -> Settings:
    return Settings(tables_dir=tmp_path / "tables", tables_url="http://files.test/")


def test_a_server_given_up_on_is_asked_once(tmp_path: Path) -> None:
    asked: list[str] = []

    def remote(url: str) -> Remote | None:
        asked.append(url)
        raise GaveUpError("could not reach files.test (6 tries)", [], 6)

    found = list_tables(settings(tmp_path), remote)
    assert len(asked) == 1
    assert [s.name for s in found] == [t.name for t in TABLES]
    assert all(s.upstream_size is None for s in found)


def test_a_file_the_server_refuses_leaves_the_others_asked(tmp_path: Path) -> None:
    asked: list[str] = []

    def remote(url: str) -> Remote | None:
        asked.append(url)
        if url.endswith(TABLES[0].path):
            return None  # a 404: this file moved
        return Remote(url, 1234, "Tue, 01 Dec 2026 00:00:00 GMT", None)

    found = list_tables(settings(tmp_path), remote)
    assert len(asked) == len(TABLES)
    assert found[0].upstream_size is None
    assert {s.upstream_size for s in found[1:]} == {1234}
