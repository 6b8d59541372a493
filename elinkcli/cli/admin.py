"""`elinkcli cache info|clear|prune` and `elinkcli config`: look at and tidy local state."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import TYPE_CHECKING, Annotated

import typer

from elinkcli import constants as C
from elinkcli.cli import options as O
from elinkcli.cli.errors import guarded, say, warn

if TYPE_CHECKING:
    from elinkcli.cache.store import LinkSetCache
    from elinkcli.config import Settings


cache_app = typer.Typer(
    help="Inspect and tidy the on-disk cache of NCBI answers.\n\n"
    "\b\nExamples:\n  elinkcli cache info\n  elinkcli cache prune && elinkcli cache info --json "
    "| jq .size_bytes",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Json = Annotated[bool, typer.Option("--json", help="One JSON object instead of text.")]


def _open_cache() -> LinkSetCache:
    from elinkcli.cache.store import LinkSetCache
    from elinkcli.config import resolve

    resolved = resolve()
    for warning in resolved.config_warnings:
        warn(warning)
    settings = resolved.settings
    assert settings.cache_dir is not None
    return LinkSetCache(settings.cache_dir, settings.cache_ttl, journal=settings.cache_journal)


def _links_from(settings: Settings) -> str:
    """links_from as a run would take it (unset: auto once a table is loaded, else elink)."""
    from elinkcli.sources.tables import links_from

    return links_from(settings)


def _when(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).isoformat(timespec="seconds")


@cache_app.command(
    "info",
    help="Where the cache is, how many answers it holds, how big (size_bytes: its files on "
    "disk, which max_bytes bounds; answers_bytes: the answers in them), its format and "
    "journal (wal; delete on a network file system), and files of other formats set aside."
    "\n\n\b\nExamples:\n"
    "  elinkcli cache info\n  elinkcli cache info --json | jq .fresh",
)
@guarded
def cache_info(as_json: Json = False) -> None:
    from elinkcli.cache import admin

    with _open_cache() as cache:
        info = admin.info(cache)
    data = {
        "path": str(info.path),
        "entries": info.entries,
        "fresh": info.fresh,
        "expired": info.entries - info.fresh,
        "size_bytes": info.size_bytes,
        "answers_bytes": info.answers_bytes,
        "max_bytes": cache.max_bytes,
        "format": cache.file_format,
        "journal": info.journal,
        "journal_why": cache.journal_reason or None,
        "set_aside": [str(p) for p in info.set_aside],
        "ttl_seconds": cache.ttl,
        "oldest": _when(info.oldest),
        "newest": _when(info.newest),
        "damaged": info.damaged,
    }
    if info.damaged:
        hint = "`elinkcli cache clear` removes it"
        warn(f"the cache {info.path} cannot be used ({info.damaged}): {hint}")
    if as_json:
        print(json.dumps(data))
        return
    for key, value in data.items():
        shown = ",".join(value) if isinstance(value, list) else value
        print(f"{key}\t{'' if shown is None else shown}")


@cache_app.command(
    "clear",
    help="Remove every cached answer.\n\n\b\nExamples:\n  elinkcli cache clear\n"
    "  elinkcli cache clear && elinkcli cache info --json | jq .entries",
)
@guarded
def cache_clear() -> None:
    from elinkcli.cache import admin

    with _open_cache() as cache:
        removed = admin.clear(cache)
    if removed is not None:
        say(f"elinkcli: removed {removed} cached answer(s)")
    else:
        say(
            f"elinkcli: removed the damaged cache file {cache.path} ({cache.problem}); "
            "the next run starts a new one"
        )


@cache_app.command(
    "prune",
    help="Remove expired answers and trim the cache to its size bound.\n\n\b\nExamples:\n"
    "  elinkcli cache prune\n  elinkcli cache prune && elinkcli cache info | grep size_bytes",
)
@guarded
def cache_prune() -> None:
    from elinkcli.cache import admin

    with _open_cache() as cache:
        removed = admin.prune(cache)
    say(f"elinkcli: removed {removed} cached answer(s)")


CONFIG_HELP = """Show the effective settings and where each one comes from (option, environment,
config file, default). The API key is never shown, only whether one is set.

The config file (TOML, in the user's config directory, or ELINKCLI_CONFIG) may hold: {keys}.
elinkcli refuses to read it when other users can write it.

\b
Examples:
  elinkcli config
  elinkcli config --json | jq -r .cache_dir
""".replace("{keys}", ", ".join(C.CONFIG_FILE_KEYS))


def config_command(
    as_json: Json = False,
    base_url: O.BaseUrl = None,
    email: O.Email = None,
    api_key: O.ApiKey = None,
) -> None:
    from elinkcli.cache import admin
    from elinkcli.cache.fs import FILE_NAME
    from elinkcli.cache.store import LinkSetCache
    from elinkcli.config import resolve

    resolved = resolve(base_url=base_url, email=email, api_key=api_key)
    s = resolved.settings
    if resolved.sources.get("api_key") == "option":
        from elinkcli.commands.settings import KEY_ON_COMMAND_LINE

        warn(KEY_ON_COMMAND_LINE)
    cache_size = 0
    cache_damaged: str | None = None
    if s.cache_dir is not None and os.path.exists(s.cache_dir / FILE_NAME):
        with LinkSetCache(s.cache_dir, s.cache_ttl, journal=s.cache_journal) as cache:
            info = admin.info(cache)
            cache_size = info.size_bytes
            cache_damaged = info.damaged
    rows = {
        "base_url": (s.base_url, resolved.sources["base_url"]),
        "icite_url": (s.icite_url, resolved.sources["icite_url"]),
        "europepmc_url": (s.europepmc_url, resolved.sources["europepmc_url"]),
        "citations_from": (s.citations_from, resolved.sources["citations_from"]),
        "email": (s.email or "", resolved.sources["email"]),
        "api_key": ("set (***)" if s.api_key else "not set", resolved.sources["api_key"]),
        "rate": (
            f"{s.start_burst} request starts in any {s.start_burst * s.start_interval:.1f} s, "
            f"{1 / s.start_interval:.2f}/s sustained (shared by all elinkcli processes)",
            "api_key",
        ),
        "timeout": (f"{s.read_timeout:g}", resolved.sources["timeout"]),
        "deadline": (f"{s.deadline:g}", resolved.sources["deadline"]),
        "max_time": (f"{s.max_time or 0:g}", resolved.sources["max_time"]),
        "cache_dir": (str(s.cache_dir), resolved.sources["cache_dir"]),
        "state_dir": (
            str(s.state_dir),
            "environment (ELINKCLI_STATE_DIR)" if os.environ.get(C.ENV_STATE_DIR) else "default",
        ),
        "cache_ttl": (f"{s.cache_ttl:g}", resolved.sources["cache_ttl"]),
        "cache_journal": (s.cache_journal, resolved.sources["cache_journal"]),
        "adaptive_batch": (str(s.adaptive_batch).lower(), resolved.sources["adaptive_batch"]),
        "format": (s.pipe_format or "", resolved.sources["format"]),
        "links_from": (_links_from(s), resolved.sources["links_from"]),
        "tables_dir": (str(s.tables_dir or ""), resolved.sources["tables_dir"]),
        "tables_url": (s.tables_url, resolved.sources["tables_url"]),
        "tables_max_age": (f"{s.tables_max_age:.0f}", resolved.sources["tables_max_age"]),
        "cache_size_bytes": (str(cache_size), "cache"),
        "cache_state": (f"damaged: {cache_damaged}" if cache_damaged else "ok", "cache"),
        "config_file": (
            str(resolved.config_file),
            "exists" if resolved.config_file.exists() else "absent",
        ),
    }
    for warning in resolved.config_warnings:
        warn(warning)
    if as_json:
        print(json.dumps({k: v for k, (v, _) in rows.items()}))
        return
    width = max(map(len, rows))
    for key, (value, source) in rows.items():
        print(f"{key:<{width}}  {value}  [{source}]")
