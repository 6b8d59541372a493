"""Pieces every command shares: settings from options, a client, the run summary."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from elinkcli.client import EutilsClient
from elinkcli.config import Settings, resolve_settings
from elinkcli.errors import ElinkError
from elinkcli.models import LinkStats
from elinkcli.writers import EDirectWriter, Writer


def make_client(
    base_url: str | None,
    email: str | None,
    api_key: str | None,
    timeout: float,
    deadline: float,
) -> EutilsClient:
    settings: Settings = resolve_settings(
        base_url=base_url,
        email=email,
        api_key=api_key,
        read_timeout=timeout,
        deadline=deadline,
    )
    return EutilsClient(settings)


def _listing(label: str, ids: Sequence[str]) -> str:
    shown = ",".join(ids[:1000]) + (f",... ({len(ids) - 1000} more)" if len(ids) > 1000 else "")
    return f"elinkcli: {label}: {shown}"


def print_link_summary(
    stats: LinkStats,
    *,
    verbose: bool,
    union: bool = False,
    yes: str = "with links",
    no: str = "without links",
) -> None:
    parts = [f"{stats.ids_in} id(s) in"]
    if not union:
        parts.append(f"{len(stats.ids_with_links)} {yes}")
        parts.append(f"{len(stats.ids_without_links)} {no}")
    if stats.ids_not_echoed:
        parts.append(f"{len(stats.ids_not_echoed)} not echoed by NCBI")
    if stats.ids_unexpected:
        parts.append(f"{len(stats.ids_unexpected)} answered but not asked")
    if stats.ids_failed:
        parts.append(f"{len(stats.ids_failed)} failed")
    line = (
        f"elinkcli: {', '.join(parts)}; {stats.links} link(s); "
        f"{stats.requests} request(s), {stats.retries} retr{'y' if stats.retries == 1 else 'ies'}"
    )
    print(line, file=sys.stderr)
    if verbose:
        for label, ids in (
            (no, stats.ids_without_links),
            ("not echoed by NCBI", stats.ids_not_echoed),
            ("answered but not asked", stats.ids_unexpected),
            ("failed", stats.ids_failed),
        ):
            if ids:
                print(_listing(label, ids), file=sys.stderr)


def write_rows(writer: Writer, rows: Iterable[Sequence[object]]) -> None:
    """Every row to the writer; the writer is closed even when the rows stop with an error,
    and a message for the next tool then carries that error."""
    try:
        for row in rows:
            writer.write(row)
    except ElinkError as exc:
        if isinstance(writer, EDirectWriter):
            writer.error = str(exc)
        raise
    finally:
        writer.close()
