"""Which format a run writes when --format is not given (elinkcli.cli.common.choose_format):
table on a terminal; else ELINKCLI_FORMAT / the config file's `format` where the command
writes it; else edirect after a message, tsv otherwise; links with scores never default to
a format that drops them."""

from __future__ import annotations

import io

import pytest

from elinkcli import constants as C
from elinkcli.cli import common
from elinkcli.config import configured_format
from elinkcli.errors import UsageError

LINK = C.COMMAND_FORMATS["link"]


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.sys, "stdout", io.StringIO())


@pytest.mark.parametrize(
    ("fmt", "message", "configured", "accepts", "scored", "wanted"),
    [
        (None, False, None, LINK, False, "tsv"),
        (None, True, None, LINK, False, "edirect"),
        (None, False, "edirect", LINK, False, "edirect"),
        (None, True, "tsv", LINK, False, "tsv"),  # the setting beats the message rule
        ("jsonl", True, "edirect", LINK, False, "jsonl"),  # --format beats everything
        (None, False, "edirect", C.COMMAND_FORMATS["discover"], False, "tsv"),
        (None, True, "xml", C.COMMAND_FORMATS["chain"], False, "edirect"),
        (None, True, None, LINK, True, "xml"),  # scores with a message in: the eLinkResult
        (None, False, "uid", LINK, True, "xml"),
        (None, False, None, LINK, True, "tsv"),
        ("edirect", True, None, LINK, True, "edirect"),  # asked: kept (and warned about)
    ],
)
def test_into_a_pipe(pipe, fmt, message, configured, accepts, scored, wanted) -> None:
    chosen = common.choose_format(
        fmt, message, False, accepts=accepts, scored=scored, configured=configured
    )
    assert chosen == wanted


def test_a_terminal_gets_the_table_whatever_is_configured(monkeypatch) -> None:
    monkeypatch.setattr(common.sys, "stdout", Tty())
    assert common.choose_format(None, True, False, accepts=LINK, configured="edirect") == "table"
    # -o FILE is not the terminal: the configured format applies.
    assert common.choose_format(None, False, True, accepts=LINK, configured="json") == "json"


def test_the_setting_from_the_environment_and_the_config_file(tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('format = "JSONL"\n')
    config.chmod(0o600)
    assert configured_format({"ELINKCLI_CONFIG": str(config)}) == "jsonl"
    env = {"ELINKCLI_CONFIG": str(config), "ELINKCLI_FORMAT": "edirect"}
    assert configured_format(env) == "edirect"
    assert configured_format({"ELINKCLI_CONFIG": "/dev/null"}) is None


@pytest.mark.parametrize("value", ["table", "counts", "html", "tsv,json"])
def test_a_format_no_pipe_takes_is_refused(value: str) -> None:
    with pytest.raises(UsageError, match="ELINKCLI_FORMAT must be one of"):
        configured_format({"ELINKCLI_FORMAT": value, "ELINKCLI_CONFIG": "/dev/null"})
