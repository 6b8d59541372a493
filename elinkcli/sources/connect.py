"""The one way to a client: the cache opened as the settings say, handed to a client that
does HTTP only."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from elinkcli.config import Settings
from elinkcli.eutils.client import EutilsClient, NoticeHook
from elinkcli.inert import keep_secret, line

if TYPE_CHECKING:
    from elinkcli.cache.store import LinkSetCache
    from elinkcli.eutils.requestlog import RequestLog


def connect(
    settings: Settings,
    *,
    log: RequestLog | None = None,
    on_notice: NoticeHook | None = None,
) -> EutilsClient:
    """A client for `settings`, with the cache they ask for (none with cache_mode "off" or
    no cache_dir): a cache that cannot be used is said as a "cache" notice and the run goes
    on without it, but with cache_mode "offline" it is CacheUnusableError. The client
    closes the cache (and `log`) when it is closed."""
    keep_secret(settings.api_key)  # before anything is said, as the client does
    cache = open_cache(settings, _cache_notice(on_notice))
    try:
        return EutilsClient(settings, cache=cache, log=log, on_notice=on_notice)
    except BaseException:
        if cache is not None:
            cache.close()
        raise


def open_cache(
    settings: Settings, on_problem: Callable[[str], None] | None = None
) -> LinkSetCache | None:
    """The run's answer store, as the settings say (cache_dir, cache_mode, cache_ttl,
    cache_journal); None when there is none to use."""
    if settings.cache_dir is None or settings.cache_mode == "off":
        return None
    from elinkcli.cache.store import LinkSetCache

    return LinkSetCache(
        settings.cache_dir,
        settings.cache_ttl,
        on_problem=on_problem,
        required=settings.cache_mode == "offline",
        journal=settings.cache_journal,
    )


def _cache_notice(on_notice: NoticeHook | None) -> Callable[[str], None] | None:
    """The cache's problems as the client says its notices: kind "cache", one clean line."""
    if on_notice is None:
        return None

    def said(text: str) -> None:
        on_notice("cache", line(text))

    return said
