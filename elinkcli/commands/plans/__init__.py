"""What each command is asked to do: its options after inference, checked and frozen, made in
one place per command (a module each: a run imports only its own). The command line
(elinkcli.cli) and the Python API (elinkcli.api) both build a plan here from what the user
gave, and both run it through elinkcli.commands.runs.

Making a plan needs no network and opens no file: a bad option is a UsageError at once,
before any request or output. What depends on the input (its database, for `-related`)
is settled by `for_db` once the input is read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from elinkcli.ids.tokens import normalize_db

Warn = Callable[[str], None]


def sources_named(sources: str | Sequence[str] | None) -> tuple[str, ...]:
    """Citation services named (a list, or "icite,elink", or "all"); none: ()."""
    text = sources if sources is None or isinstance(sources, str) else ",".join(sources)
    if not text:
        return ()
    from elinkcli.commands.citations import parse_sources

    return parse_sources(text)


def db_named(db: str | None) -> str | None:
    return normalize_db(db) if db else None
