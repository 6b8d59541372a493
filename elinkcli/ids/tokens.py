"""Source ids: from options or text, split, checked and de-duplicated."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Protocol

from elinkcli.constants import DB_ALIASES
from elinkcli.errors import UsageError

_SPLIT = re.compile(r"[\s,]+")


def normalize_db(db: str) -> str:
    name = db.strip().lower()
    return DB_ALIASES.get(name, name)


def split_ids(values: Iterable[str]) -> list[str]:
    """Tokens separated by newlines, spaces, tabs or commas, in order."""
    return [tok for value in values for tok in _SPLIT.split(value) if tok]


def decode_input(data: bytes, source: str = "stdin") -> str:
    """Text of a byte stream, refusing binary garbage with a one-line reason."""
    if b"\x00" in data:
        raise UsageError(f"{source} holds binary data (NUL bytes), not ids")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{source} is not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})"
        ) from None


def quoted(token: str, limit: int = 40) -> str:
    """A token for a message: quoted, every character that is not printable ASCII escaped
    (`'rs\\u0663'`, `'1\\x07'`), cut after `limit` characters."""
    text = ascii(token)
    return text if len(text) <= limit + 2 else text[: limit + 1] + "..." + text[0]


def check_ids(ids: Iterable[str], db: str) -> list[str]:
    """Validate ids for `db` (a UID, an accession form the database has, a DOI for pubmed
    and pmc) and drop repeats (first occurrence kept)."""
    from elinkcli.accessions import accepted, is_doi, is_uid, pattern_of

    name = normalize_db(db)
    seen: dict[str, None] = {}
    for token in ids:
        if not token.isascii():
            raise UsageError(
                f"bad id {quoted(token)} for database {db}: it holds non-ASCII characters "
                f"(ids are ASCII letters, digits, . and _); expected {accepted(name)}"
            )
        if not (is_uid(token) or pattern_of(name, token) or is_doi(name, token)):
            shown = quoted(token)
            raise UsageError(
                f"bad id {shown} for database {db}: expected {accepted(name)} "
                f"(esearch -db {name} -query {shown} finds a record's UID)"
            )
        seen.setdefault(token, None)
    if not seen:
        raise UsageError("no ids given (use --id or pipe ids on stdin)")
    return list(seen)


def batches(ids: Iterable[str], size: int) -> Iterator[list[str]]:
    """`ids` cut into lists of `size` (the last may be shorter), in order."""
    it = iter(ids)
    while chunk := list(islice(it, size)):
        yield chunk


class Resolved(Protocol):
    """What resolving tokens gave (elinkcli.ids.resolve.IdTable)."""

    def uids_of(self, token: str) -> tuple[str, ...]: ...


def uids_in(table: Resolved | None) -> Callable[[str], tuple[str, ...]]:
    """What each token stands for: the UIDs `table` resolved it to (several for an sra
    study), or, with no table (UIDs given), the token itself."""
    return table.uids_of if table is not None else _itself


def _itself(token: str) -> tuple[str, ...]:
    return (token,)
