"""The cache is opened outside the client (elinkcli.sources.connect), as the settings say:
none without a cache directory or with cache "off", one that says its problems as the
client's "cache" notices, and with --offline a cache that cannot be read is an error. The
client keeps the cache it is given and closes it with itself."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from elinkcli.cache.fs import FILE_NAME
from elinkcli.cache.store import CacheUnusableError, LinkSetCache
from elinkcli.config import Settings
from elinkcli.eutils.client import EutilsClient
from elinkcli.sources.connect import connect, open_cache


def test_no_cache_without_a_directory_or_with_cache_off(tmp_path: Path) -> None:
    assert open_cache(Settings()) is None
    assert open_cache(Settings(cache_dir=tmp_path, cache_mode="off")) is None
    assert not (tmp_path / FILE_NAME).exists()
    with connect(Settings(cache_dir=tmp_path, cache_mode="off")) as client:
        assert client.cache is None


def test_the_client_keeps_the_cache_it_was_given_and_closes_it(tmp_path: Path) -> None:
    settings = Settings(cache_dir=tmp_path, cache_ttl=123, cache_journal="delete")
    with connect(settings) as client:
        cache = client.cache
        assert isinstance(cache, LinkSetCache)
        assert (cache.path, cache.ttl, cache.journal) == (tmp_path / FILE_NAME, 123, "delete")
        assert not cache.required
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        cache.db.execute("SELECT 1")
    assert EutilsClient(settings).cache is None, "the client opens no cache itself"


def test_a_damaged_cache_is_said_once_as_a_cache_notice(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"not a database at all")
    said: list[tuple[str, str]] = []
    with connect(Settings(cache_dir=tmp_path), on_notice=lambda *n: said.append(n)) as client:
        assert client.cache is not None and not client.cache.readable
    assert len(said) == 1
    kind, text = said[0]
    assert kind == "cache" and "cannot be used" in text and "\n" not in text


def test_offline_with_a_damaged_cache_is_an_error(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"not a database at all")
    with pytest.raises(CacheUnusableError, match="cannot be read"):
        connect(Settings(cache_dir=tmp_path, cache_mode="offline"))
