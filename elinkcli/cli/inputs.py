"""Where ids come from (--id, else stdin) and where rows go (writer by --format)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from elinkcli.errors import UsageError
from elinkcli.ids import decode_input, split_ids
from elinkcli.writers import Writer, make_writer


def read_id_tokens(ids: Sequence[str] | None) -> list[str]:
    """Id tokens from --id; else from stdin unless it is a terminal (never wait on a person)."""
    if ids:
        return split_ids(ids)
    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        raise UsageError("no ids: give --id ID or pipe ids on stdin (see --help)")
    return split_ids([decode_input(stdin.buffer.read())])


def choose_writer(
    fmt: str | None,
    columns: Sequence[str],
    *,
    uid_key: str,
    header: bool = True,
    title: str | None = None,
) -> Writer:
    if fmt is None:
        fmt = "table" if sys.stdout.isatty() else "tsv"
    return make_writer(fmt, sys.stdout, columns, uid_key=uid_key, header=header, title=title)


def stderr_is_terminal() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()
