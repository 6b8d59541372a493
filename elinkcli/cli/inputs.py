"""Where ids come from (--id, else stdin in any form) and where rows go (--format)."""

from __future__ import annotations

import codecs
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from elinkcli.errors import UsageError
from elinkcli.ids.input import RunInput, run_input
from elinkcli.ids.tokens import split_ids

if TYPE_CHECKING:
    from elinkcli.ids.given import IdSource

R = TypeVar("R")


def read_source_input(
    ids: Sequence[str] | None,
    input_format: str,
    optional: bool = False,
    input_file: Path | None = None,
    packed_above: int | None = None,
) -> IdSource | None:
    """--id if given (stdin is then not read); else --input FILE; else stdin unless it is a
    terminal. With `optional`, no ids at all (a terminal, or nothing on stdin) gives None.
    With `packed_above`, a longer plain input is kept packed (see read_source)."""
    from elinkcli.ids.given import IdSource
    from elinkcli.ids.source import read_source

    if ids and input_file is not None:
        raise UsageError("give --id or --input FILE, not both")
    if ids:
        return IdSource(tuple(split_ids(ids)), None, "plain")
    if input_file is not None:
        return read_source(
            _read_file(input_file), input_format, str(input_file), packed_above=packed_above
        )
    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        if optional:
            return None
        raise UsageError("no ids: give --id ID, --input FILE or pipe ids on stdin (see --help)")
    data = read_bounded(stdin.buffer, "stdin")
    if optional and not data.strip():
        return None
    return read_source(data, input_format, packed_above=packed_above)


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return read_bounded(fh, f"--input {path}")
    except OSError as exc:
        raise UsageError(f"cannot read --input {path}: {exc.strerror or exc}") from None


# The most a run reads of its ids (about 100 million ids, one a line).
MAX_INPUT = 1 << 30
_CHUNK = 1 << 20


def read_bounded(stream: BinaryIO, source: str, limit: int = MAX_INPUT) -> bytes:
    """The whole input, checked as it arrives: binary data (a NUL byte) and, unless it is
    an XML document, bytes that are not UTF-8 are a usage error at the chunk that holds
    them, and so is an input past `limit` bytes (nothing more is read)."""
    chunks: list[bytes] = []
    size = 0
    decoder: codecs.IncrementalDecoder | None = None
    while chunk := stream.read(_CHUNK):
        if b"\x00" in chunk:
            raise UsageError(f"{source} holds binary data (NUL bytes), not ids")
        if size == 0 and not chunk.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            decoder = codecs.getincrementaldecoder("utf-8")()
        if decoder is not None and (not chunk.isascii() or decoder.getstate()[0]):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = size + exc.start
                raise UsageError(
                    f"{source} is not UTF-8 text (byte {at}: {chunk[exc.start : exc.start + 1]!r})"
                ) from None
        size += len(chunk)
        if size > limit:
            raise UsageError(
                f"{source} is larger than {limit >> 20} MiB: split it, and run once per part"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def gather_input(
    db: str | None,
    ids: Sequence[str] | None,
    input_format: str,
    input_file: Path | None = None,
    packed_above: int | None = None,
    fallback_db: str | None = None,
) -> RunInput:
    """The run's source side: ids from --id, --input or stdin, and their database (else
    `fallback_db`, e.g. the database a link name starts from); with `packed_above`, a
    longer plain input stays packed (RunInput.packed)."""
    source = read_source_input(ids, input_format, input_file=input_file, packed_above=packed_above)
    assert source is not None
    return run_input(db, source, fallback_db)


def gather_optional_input(
    db: str | None,
    ids: Sequence[str] | None,
    input_format: str,
    input_file: Path | None = None,
) -> RunInput | None:
    """As gather_input, but None when no ids were given at all."""
    source = read_source_input(ids, input_format, optional=True, input_file=input_file)
    return None if source is None else run_input(db, source)
