"""Settings (elinkcli.config): option > environment > config file > default, the
config file's checks (permissions, unknown keys, TOML errors), and durations.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elinkcli import constants as C
from elinkcli.config import FILE_KEYS, parse_duration, read_config_file, resolve
from elinkcli.errors import UsageError


def write_config(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(textwrap.dedent(text), "utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_config(
        tmp_path / "config.toml",
        """
        email = "file@example.org"
        api_key = "file-key"
        base_url = "http://file.test/eutils"
        cache_dir = "/tmp/elinkcli-file-cache"
        cache_ttl = "12h"
        timeout = 7
        deadline = 70
        max_time = "2h"
        adaptive_batch = true
        icite_url = "http://icite.file.test/api"
        europepmc_url = "http://epmc.file.test/rest/"
        citations_from = "all"
        cache_journal = "delete"
        format = "edirect"
        links_from = "tables"
        tables_dir = "/tmp/elinkcli-file-tables"
        tables_url = "http://files.file.test/ftp"
        tables_max_age = "10d"
        """,
    )


def test_every_setting_from_the_config_file(config_file: Path) -> None:
    resolved = resolve(environ={"ELINKCLI_CONFIG": str(config_file)})
    s = resolved.settings
    assert (s.email, s.api_key, s.base_url) == (
        "file@example.org",
        "file-key",
        "http://file.test/eutils/",
    )
    assert s.cache_dir == Path("/tmp/elinkcli-file-cache")
    assert (s.cache_ttl, s.read_timeout, s.deadline) == (12 * 3600, 7.0, 70.0)
    assert s.adaptive_batch is True
    assert s.max_time == 7200.0
    where = f"config file ({config_file})"
    names = ("base_url", "email", "api_key", "timeout", "deadline", "cache_dir", "cache_ttl")
    names += ("max_time", "icite_url", "europepmc_url", "citations_from", "cache_journal")
    names += ("format", "links_from", "tables_dir", "tables_url", "tables_max_age")
    assert (s.links_from, s.tables_dir, s.tables_url, s.tables_max_age) == (
        "tables",
        Path("/tmp/elinkcli-file-tables"),
        "http://files.file.test/ftp/",
        10 * 86400.0,
    )
    assert s.cache_journal == "delete"
    assert s.pipe_format == "edirect"
    assert (s.icite_url, s.europepmc_url, s.citations_from) == (
        "http://icite.file.test/api/",
        "http://epmc.file.test/rest/",
        "all",
    )
    assert resolved.sources == dict.fromkeys((*names, "adaptive_batch"), where)
    assert resolved.config_file == config_file
    assert resolved.config_warnings == ()


def test_environment_beats_the_file(config_file: Path) -> None:
    env = {
        "ELINKCLI_CONFIG": str(config_file),
        "NCBI_EMAIL": "env@example.org",
        "EMAIL": "plain@example.org",
        "NCBI_API_KEY": "env-key",
        "ELINKCLI_BASE_URL": "http://env.test/eutils/",
        "ELINKCLI_CACHE_DIR": "/tmp/env-cache",
        "ELINKCLI_FORMAT": "jsonl",
    }
    resolved = resolve(environ=env)
    s = resolved.settings
    assert s.pipe_format == "jsonl"
    assert resolved.sources["format"] == "environment (ELINKCLI_FORMAT)"
    assert (s.email, s.api_key, s.base_url, s.cache_dir) == (
        "env@example.org",
        "env-key",
        "http://env.test/eutils/",
        Path("/tmp/env-cache"),
    )
    assert resolved.sources["email"] == "environment (NCBI_EMAIL)"
    assert resolved.sources["api_key"] == "environment (NCBI_API_KEY)"
    assert resolved.sources["base_url"] == "environment (ELINKCLI_BASE_URL)"
    assert resolved.sources["cache_dir"] == "environment (ELINKCLI_CACHE_DIR)"
    # Without NCBI_EMAIL, EMAIL is next.
    del env["NCBI_EMAIL"]
    resolved = resolve(environ=env)
    assert resolved.settings.email == "plain@example.org"
    assert resolved.sources["email"] == "environment (EMAIL)"
    # The file still gives what the environment does not set.
    assert resolved.settings.cache_ttl == 12 * 3600
    assert resolved.sources["cache_ttl"] == f"config file ({config_file})"


def test_options_beat_everything(config_file: Path) -> None:
    env = {
        "ELINKCLI_CONFIG": str(config_file),
        "NCBI_EMAIL": "env@example.org",
        "NCBI_API_KEY": "env-key",
        "ELINKCLI_BASE_URL": "http://env.test/eutils/",
        "ELINKCLI_FORMAT": "jsonl",
    }
    resolved = resolve(
        base_url="https://option.test/e",
        email="opt@example.org",
        api_key="opt-key",
        cache_dir=Path("/tmp/opt-cache"),
        cache_ttl="30m",
        timeout=3,
        deadline=30,
        max_time="0",
        icite_url="http://icite.option.test/",
        europepmc_url="http://epmc.option.test/",
        citations_from="elink",
        adaptive_batch=False,
        cache_journal="wal",
        pipe_format="uid",
        links_from="auto",
        tables_dir=Path("/tmp/opt-tables"),
        tables_url="http://files.option.test/",
        tables_max_age="1d",
        environ=env,
    )
    s = resolved.settings
    assert (s.links_from, s.tables_dir, s.tables_max_age) == (
        "auto",
        Path("/tmp/opt-tables"),
        86400.0,
    )
    assert s.adaptive_batch is False
    assert s.pipe_format == "uid"
    assert s.cache_journal == "wal"
    assert (s.base_url, s.email, s.api_key, s.cache_dir) == (
        "https://option.test/e/",
        "opt@example.org",
        "opt-key",
        Path("/tmp/opt-cache"),
    )
    assert (s.cache_ttl, s.read_timeout, s.deadline) == (1800.0, 3.0, 30.0)
    assert s.max_time is None  # 0: no limit
    assert set(resolved.sources.values()) == {"option"}


def test_defaults_without_file_or_environment(tmp_path: Path) -> None:
    env = {"ELINKCLI_CONFIG": os.devnull}
    resolved = resolve(environ=env)
    s = resolved.settings
    assert s.base_url == C.DEFAULT_BASE_URL
    assert (s.email, s.api_key) == (None, None)
    assert (s.cache_ttl, s.read_timeout, s.deadline) == (C.CACHE_TTL, C.READ_TIMEOUT, C.DEADLINE)
    assert s.cache_mode == "use"
    assert s.cache_dir is not None and s.cache_dir.name == "elinkcli"
    assert set(resolved.sources.values()) == {"default"}
    assert resolved.config_warnings == ()


def test_empty_values_fall_through(config_file: Path) -> None:
    env = {"ELINKCLI_CONFIG": str(config_file), "NCBI_EMAIL": "", "NCBI_API_KEY": ""}
    resolved = resolve(email="", environ=env)
    assert resolved.settings.email == "file@example.org"
    assert resolved.sources["email"] == f"config file ({config_file})"
    assert resolved.settings.api_key == "file-key"


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o660, 0o666, 0o622])
def test_a_config_file_others_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    path = write_config(tmp_path / "c.toml", 'email = "x@example.org"\n', mode)
    with pytest.raises(UsageError, match="other users can write it") as excinfo:
        resolve(environ={"ELINKCLI_CONFIG": str(path)})
    assert str(path) in str(excinfo.value)
    with pytest.raises(UsageError):
        read_config_file(path)


@pytest.mark.parametrize(("mode", "warned"), [(0o600, False), (0o640, True), (0o644, True)])
def test_a_key_others_can_read_is_warned_about(tmp_path: Path, mode: int, warned: bool) -> None:
    path = write_config(tmp_path / "c.toml", 'api_key = "k"\n', mode)
    values, warnings = read_config_file(path)
    assert values == {"api_key": "k"}
    readable = [w for w in warnings if "API key that other users can read" in w]
    assert len(readable) == int(warned)
    if warned:
        assert str(path) in readable[0]


def test_no_key_no_warning_even_when_readable(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", 'email = "x@example.org"\n', 0o644)
    assert read_config_file(path) == ({"email": "x@example.org"}, [])


def test_unknown_keys_are_warned_about_and_ignored(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "c.toml", 'emial = "typo@example.org"\nrate = 10\nemail = "a@example.org"\n'
    )
    values, warnings = read_config_file(path)
    assert values == {"email": "a@example.org"}
    assert sorted(warnings) == sorted(
        f"config file {path}: unknown setting {k!r} ignored" for k in ("emial", "rate")
    )
    resolved = resolve(environ={"ELINKCLI_CONFIG": str(path)})
    assert resolved.config_warnings == tuple(warnings)
    assert set(FILE_KEYS) == {
        "email",
        "api_key",
        "base_url",
        "cache_dir",
        "cache_ttl",
        "cache_journal",
        "timeout",
        "deadline",
        "max_time",
        "adaptive_batch",
        "icite_url",
        "europepmc_url",
        "citations_from",
        "format",
        "links_from",
        "tables_dir",
        "tables_url",
        "tables_max_age",
    }


@pytest.mark.parametrize(
    "text",
    ['email = "unterminated\n', "= 3\n", "timeout = [\n"],
    ids=["string", "key", "array"],
)
def test_a_config_file_that_is_not_toml_is_a_usage_error(tmp_path: Path, text: str) -> None:
    path = write_config(tmp_path / "c.toml", text)
    with pytest.raises(UsageError, match="cannot read config file"):
        read_config_file(path)


def test_a_config_path_that_is_a_directory_is_said_in_words(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        read_config_file(tmp_path)
    assert str(caught.value) == f"cannot read config file {tmp_path}: Is a directory"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timeout = 0\n", "timeout must be positive"),
        ('deadline = "soon"\n', "deadline must"),
        ('format = "table"\n', "must be one of tsv, json, jsonl, uid, edirect, xml"),
    ],
)
def test_bad_numbers_in_the_file_are_usage_errors(tmp_path: Path, text: str, message: str):
    path = write_config(tmp_path / "c.toml", text)
    with pytest.raises(UsageError, match=message):
        resolve(environ={"ELINKCLI_CONFIG": str(path)})


def test_a_base_url_that_is_not_http_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", 'base_url = "file:///etc/passwd"\n')
    with pytest.raises(UsageError, match="http"):
        resolve(environ={"ELINKCLI_CONFIG": str(path)})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3600", 3600.0),
        ("0", 0.0),
        ("90s", 90.0),
        ("30m", 1800.0),
        ("12h", 43200.0),
        ("7d", 604800.0),
        ("1.5h", 5400.0),
        (" 2d ", 172800.0),
        (45, 45.0),
        (2.5, 2.5),
    ],
)
def test_parse_duration(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "d", "7w", "-1", "1.5.2", "12 hours", "1e3", "h12"])
def test_parse_duration_refuses_garbage(text: str) -> None:
    with pytest.raises(UsageError, match="bad duration"):
        parse_duration(text)


@given(st.text(max_size=12))
def test_parse_duration_never_crashes(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except UsageError:
        return
    assert seconds >= 0


def test_links_from_takes_elink_tables_or_auto_and_nothing_else(tmp_path: Path) -> None:
    env = {"ELINKCLI_CONFIG": os.devnull}
    assert resolve(environ=env).settings.links_from is None  # decided by what is loaded
    for value in ("elink", "tables", "auto"):
        assert resolve(links_from=value, environ=env).settings.links_from == value
    with pytest.raises(UsageError, match="ELINKCLI_LINKS_FROM must be elink, tables or auto"):
        resolve(environ={**env, "ELINKCLI_LINKS_FROM": "ftp"})
    path = write_config(tmp_path / "c.toml", 'tables_url = "ftp://x/"\n')
    with pytest.raises(UsageError, match=r"tables_url.*http:// or https://"):
        resolve(environ={"ELINKCLI_CONFIG": str(path)})
