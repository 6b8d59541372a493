"""A config file another user could have written is refused; every value is checked, and a
bad one is one line naming the key and where it came from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import assert_clean_error

from elinkcli import constants as C
from elinkcli.config import resolve
from elinkcli.errors import UsageError

NOBODY = 65534


def config(directory: Path, text: str, mode: int = 0o600) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def resolved(path: Path | str, **options):
    return resolve(environ={C.ENV_CONFIG: str(path)}, **options)


# --- who may have written the file ---------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_a_file_another_user_owns_is_refused(tmp_path):
    path = config(tmp_path / "c", 'base_url = "http://evil.example/"\n')
    os.chown(path, NOBODY, NOBODY)
    with pytest.raises(UsageError, match="belongs to another user") as caught:
        resolved(path)
    assert str(path) in str(caught.value)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory away needs root")
def test_a_file_in_a_directory_another_user_owns_is_refused(tmp_path):
    path = config(tmp_path / "theirs", 'email = "a@example.org"\n')
    os.chown(path.parent, NOBODY, NOBODY)
    with pytest.raises(UsageError, match=r"its directory .* belongs to another user"):
        resolved(path)


def test_a_private_file_in_a_world_writable_directory_is_refused(tmp_path):
    path = config(tmp_path / "open", 'email = "a@example.org"\n')
    path.parent.chmod(0o777)
    with pytest.raises(UsageError, match="other users can write its directory"):
        resolved(path)


def test_a_sticky_world_writable_directory_is_fine(tmp_path):
    path = config(tmp_path / "sticky", 'email = "a@example.org"\n')
    path.parent.chmod(0o1777)  # as /tmp: others cannot replace a file they do not own
    assert resolved(path).settings.email == "a@example.org"


def test_a_named_file_that_does_not_exist_is_refused_and_dev_null_is_none(tmp_path):
    with pytest.raises(UsageError, match=r"ELINKCLI_CONFIG names .* which does not exist"):
        resolved(tmp_path / "typo.toml")
    assert set(resolved(os.devnull).sources.values()) == {"default"}


# --- every value checked --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("timeout = nan", "timeout must be positive and finite"),
        ("timeout = inf", "timeout must be positive and finite"),
        ("timeout = 1e308", "timeout must be at most a week"),
        ("timeout = -1", "timeout must be positive"),
        ("timeout = true", "timeout must be a number of seconds"),
        ('deadline = "soon"', "deadline must be a number of seconds"),
        ("cache_dir = 5", "cache_dir must be a string"),
        ("api_key = 12345", "api_key must be a string"),
        ('api_key = "two words"', "api_key must be letters and digits"),
        ("cache_ttl = -5", "cache_ttl must be a duration of 0 or more"),
        ("cache_ttl = true", "cache_ttl must be a duration"),
        ('cache_ttl = "a week"', "cache_ttl: bad duration"),
        ("max_time = true", "max_time must be a duration"),
        ("max_time = -1", "max_time must be a duration of 0 or more"),
        ("email = 5", "email must be a string"),
        ('email = "a@b\\nX-Header: 1"', "email must be a string of one line"),
        ("base_url = 5", "base_url must be a string"),
        ('base_url = "ftp://x/"', "must start with http"),
        ('citations_from = ["icite"]', "citations_from must be a string"),
        ('adaptive_batch = "maybe"', "adaptive_batch must be true or false"),
        ('cache_journal = "wall"', "cache_journal must be one of auto, wal, delete"),
        ("cache_journal = 1", "cache_journal must be one of auto, wal, delete"),
    ],
)
def test_a_bad_value_in_the_file_names_the_file_and_the_key(tmp_path, line, message):
    path = config(tmp_path, line + "\n")
    with pytest.raises(UsageError, match=message) as caught:
        resolved(path)
    text = str(caught.value)
    assert text.startswith(f"config file {path}: "), text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("timeout", float("nan"), "--timeout must be positive and finite"),
        ("timeout", float("inf"), "--timeout must be positive and finite"),
        ("deadline", 1e308, "--deadline must be at most a week"),
        ("cache_ttl", "-5", "--cache-ttl: bad duration"),
        ("max_time", "soon", "--max-time: bad duration"),
    ],
)
def test_a_bad_option_names_the_option(option, value, message):
    with pytest.raises(UsageError, match=message):
        resolve(environ={C.ENV_CONFIG: os.devnull}, **{option: value})


def test_a_bad_environment_value_names_the_variable():
    with pytest.raises(UsageError, match=f"^{C.ENV_MAX_TIME}: bad duration"):
        resolve(environ={C.ENV_CONFIG: os.devnull, C.ENV_MAX_TIME: "-5"})
    with pytest.raises(UsageError, match=f"^{C.ENV_BACKOFF_BASE} must be positive"):
        resolve(environ={C.ENV_CONFIG: os.devnull, C.ENV_BACKOFF_BASE: "nan"})
    with pytest.raises(UsageError, match=f"^{C.ENV_CACHE_JOURNAL} must be one of auto, wal"):
        resolve(environ={C.ENV_CONFIG: os.devnull, C.ENV_CACHE_JOURNAL: "memory"})
    env = {C.ENV_CONFIG: os.devnull, C.ENV_CACHE_JOURNAL: " Delete "}
    assert resolve(environ=env).settings.cache_journal == "delete"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (C.ENV_MAX_BODY, "\u0661\u0660\u0662\u0664\u0660\u0660", "must be a number of bytes"),
        (C.ENV_MAX_BODY, "20480\u00b2", "must be a number of bytes"),
        (C.ENV_MAX_BODY, "\uff12\uff10\uff14\uff18", "must be a number of bytes"),
        (C.ENV_BACKOFF_BASE, "\u0660.\u0665", "must be a number of seconds"),
        (C.ENV_BACKOFF_BASE, "\uff11", "must be a number of seconds"),
    ],
)
def test_digits_of_other_scripts_are_not_numbers(name, value, message):
    with pytest.raises(UsageError, match=f"^{name} {message}") as caught:
        resolve(environ={C.ENV_CONFIG: os.devnull, name: value})
    assert str(caught.value).isascii()


def test_a_timeout_in_digits_of_another_script_is_refused(tmp_path):
    path = config(tmp_path, 'timeout = "\u0663\u0660"\n')
    with pytest.raises(UsageError, match="timeout must be a number of seconds"):
        resolved(path)
    assert resolved(config(tmp_path, 'timeout = "30"\n')).settings.read_timeout == 30


# --- through the installed command --------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--timeout", "nan"), "--timeout must be positive and finite"),
        (("--timeout", "inf"), "--timeout must be positive and finite"),
        (("--timeout", "1e308"), "--timeout must be at most a week"),
    ],
)
def test_bad_values_on_the_command_line_are_one_line(fake, run, args, message):
    proc = run("link", "-db", "gene", "-target", "protein", "-id", "1", *args)
    assert message in assert_clean_error(proc, 2)
    assert proc.stdout == "" and fake.log == []


def test_a_hostile_config_file_is_one_line_through_the_command(fake, run, tmp_path):
    path = config(tmp_path / "open", f'base_url = "{fake.base_url}"\n')
    path.parent.chmod(0o777)
    proc = run(
        "link",
        "-db",
        "gene",
        "-target",
        "protein",
        "-id",
        "1",
        env={C.ENV_CONFIG: str(path), "ELINKCLI_BASE_URL": None},
    )
    assert "other users can write its directory" in assert_clean_error(proc, 2)
    assert fake.log == []
    bad = config(tmp_path / "bad", "cache_ttl = true\n")
    for command in (["link", "-db", "gene", "-target", "protein", "-id", "1"], ["config"]):
        proc = run(*command, env={C.ENV_CONFIG: str(bad)})
        line = assert_clean_error(proc, 2)
        assert f"config file {bad}: cache_ttl must be a duration" in line
