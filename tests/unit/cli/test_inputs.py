"""How elinkcli.cli.inputs turns what arrives on stdin into a run: the database from the
input, conflicts with --db, empty inputs, the next ENTREZ_DIRECT message. Unit tests, no
network (stdin is replaced)."""

from __future__ import annotations

import io

import pytest
from support.stdin_data import FULL, LABELS, link_row, message, tsv

from elinkcli.cli import inputs
from elinkcli.errors import UsageError
from elinkcli.ids.edirect import EDirectMessage, parse_message
from elinkcli.ids.history import HistorySet


class _Stdin:
    def __init__(self, data: bytes, tty: bool = False) -> None:
        self.buffer = io.BytesIO(data)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch):
    def put(data: bytes, tty: bool = False) -> None:
        monkeypatch.setattr(inputs.sys, "stdin", _Stdin(data, tty))

    return put


def test_gather_message_db_and_deduplicated_ids(stdin) -> None:
    stdin(message("<Db>Gene</Db><Count>3</Count><Step>4</Step><Id>5</Id><Id>6</Id><Id>5</Id>"))
    run = inputs.gather_input(None, None, "auto")
    assert (run.db, run.ids, run.history) == ("gene", ("5", "6"), None)
    assert run.next_message("protein").step == 5


def test_gather_plain_ids_deduplicated_in_first_seen_order(stdin) -> None:
    stdin(b"7\n5\n7\n6,5\n")
    run = inputs.gather_input("gene", None, "auto")
    assert run.ids == ("7", "5", "6")


@pytest.mark.parametrize(
    ("msg_db", "option"), [("nucleotide", "nuccore"), ("nuccore", "nucleotide"), ("gene", "GENE")]
)
def test_gather_alias_is_not_a_conflict(stdin, msg_db: str, option: str) -> None:
    stdin(message(f"<Db>{msg_db}</Db><Id>5</Id>"))
    run = inputs.gather_input(option, None, "auto")
    assert run.db == ("nuccore" if msg_db != "gene" else "gene")


def test_gather_db_conflict_is_a_usage_error(stdin) -> None:
    stdin(message("<Db>gene</Db><Id>5</Id>"))
    with pytest.raises(UsageError, match=r"--db pubmed disagrees .*gene"):
        inputs.gather_input("pubmed", None, "auto")


def test_gather_tsv_target_db_conflicts_with_db(stdin) -> None:
    stdin(tsv(link_row("1", "7")))
    with pytest.raises(UsageError, match="disagrees"):
        inputs.gather_input("gene", None, "auto")


def test_gather_history_message(stdin) -> None:
    stdin(message("<Db>pubmed</Db><WebEnv>W</WebEnv><QueryKey>2</QueryKey><Count>30</Count>"))
    run = inputs.gather_input(None, None, "auto")
    assert run.history == HistorySet("pubmed", "W", "2", 30)
    assert run.ids == () and not run.empty


def test_gather_error_message(stdin) -> None:
    stdin(message("<Db>pubmed</Db><Error>PhraseNotFound</Error>"))
    with pytest.raises(UsageError, match="PhraseNotFound"):
        inputs.gather_input(None, None, "auto")


@pytest.mark.parametrize(
    "data",
    [
        message("<Db>pubmed</Db><Count>0</Count><Step>1</Step>"),
        message("<Db>pubmed</Db><WebEnv>W</WebEnv><QueryKey>1</QueryKey><Count>0</Count>"),
        tsv(),
        b"[]",
        b"[]\n",
    ],
    ids=["count0", "count0-history", "tsv-header", "json-empty", "json-empty-nl"],
)
def test_gather_empty_structured_input_is_an_empty_run(stdin, data: bytes) -> None:
    stdin(data)
    assert inputs.gather_input(None, None, "auto").empty


@pytest.mark.parametrize("data", [b"", b"  \n\n"], ids=["empty", "blank"])
def test_gather_empty_plain_stdin_is_a_usage_error(stdin, data: bytes) -> None:
    stdin(data)
    with pytest.raises(UsageError):
        inputs.gather_input("gene", None, "auto")


def test_gather_terminal_stdin_is_never_read(stdin) -> None:
    stdin(b"1\n", tty=True)
    with pytest.raises(UsageError, match="no ids"):
        inputs.gather_input("gene", None, "auto")


def test_next_message_carries_tool_email_labels() -> None:
    msg = parse_message(FULL)
    run = inputs.RunInput("pubmed", ("101",), message=msg)
    assert run.next_message("gene") == EDirectMessage(
        db="gene", step=3, tool="edirect", email="me@example.org", labels=LABELS
    )
    assert inputs.RunInput("gene", ("1",)).next_message("protein") == EDirectMessage(
        db="protein", step=1
    )
