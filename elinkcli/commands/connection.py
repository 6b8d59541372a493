"""How a call of elinkcli.api reaches NCBI: its connection arguments (each left out: the
environment, else the configuration file, else the default, as for the command line,
settled by elinkcli.commands.settings), and the client of a call, made when its iteration
starts and closed when it ends."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Literal, TypedDict, TypeVar

from elinkcli import constants as C
from elinkcli.commands.settings import settled
from elinkcli.config import Settings
from elinkcli.errors import UsageError
from elinkcli.inert import line

if TYPE_CHECKING:
    from elinkcli.eutils.client import EutilsClient


logger = logging.getLogger("elinkcli")
Warn = Callable[[str], None]
F = TypeVar("F", bound=Callable[..., object])
StrPath = str | os.PathLike[str]
# The command line's --refresh, --no-cache and --offline; "use" reads and writes the cache.
CacheMode = Literal["use", "refresh", "off", "offline"]
CACHE_MODES = ("use", "refresh", "off", "offline")


class Connection(TypedDict, total=False):
    """How every function reaches NCBI: the keyword arguments documented under
    "Connection" in each docstring (each left out: environment, config file, default)."""

    base_url: str
    email: str
    api_key: str
    tool: str
    timeout: float
    deadline: float
    max_time: str | float
    cache: CacheMode
    cache_dir: StrPath
    cache_ttl: str | float
    adaptive_batch: bool
    log: StrPath
    config: StrPath | Literal[False]
    links_from: Literal["elink", "tables", "auto"]
    tables_dir: StrPath


_CONNECTION_DOC = """
    Connection (keyword arguments of every function, typed by elinkcli.api.Connection;
    each left out: the environment, else the configuration file, else the default, as for
    the command line):
        base_url: E-utilities base URL (ELINKCLI_BASE_URL).
        email: sent to NCBI with each request (NCBI_EMAIL, EMAIL).
        api_key: NCBI API key, 10 requests/s instead of 3 (NCBI_API_KEY).
        tool: the tool name sent to NCBI (default "elinkcli").
        timeout: seconds to wait for an answer (--timeout).
        deadline: seconds for one request with its retries (--deadline).
        max_time: the whole run, seconds or "30m" (--max-time; ELINKCLI_MAX_TIME).
        cache: "use" (default), "refresh" (ask again), "off", or "offline" (the cache
            only, no network: CacheMissError for what it lacks).
        cache_dir: the cache directory (ELINKCLI_CACHE_DIR).
        cache_ttl: how long an answer stays fresh, seconds or "7d" (--cache-ttl).
        adaptive_batch: request sizes follow NCBI's answers (--adaptive-batch).
        log: append one JSON line per HTTP attempt to this file ("-": stderr) (--log).
        config: a configuration file to read instead of the user's (ELINKCLI_CONFIG),
            or False for none.
        links_from: "elink", "tables" (NCBI's bulk files loaded by `elinkcli tables get`)
            or "auto" (--from; ELINKCLI_LINKS_FROM; default: auto once a table is loaded).
        tables_dir: where loaded tables are (ELINKCLI_TABLES_DIR).
        settings: ready elinkcli.config.Settings, used as they are (then leave the
            arguments above unset).
        client: a ready elinkcli.eutils.client.EutilsClient, used and left open (then leave
            settings and the arguments above unset).
"""


def documented(fn: F) -> F:
    """The connection arguments' documentation, written once, after each docstring."""
    fn.__doc__ = (fn.__doc__ or "") + _CONNECTION_DOC
    return fn


@dataclass(frozen=True)
class ConnectionArgs:
    """The connection arguments of a call (of elinkcli.api, or the command line's common
    options), resolved in one way for both."""

    base_url: str | None = None
    email: str | None = None
    api_key: str | None = None
    tool: str | None = None
    timeout: float | None = None
    deadline: float | None = None
    max_time: str | float | None = None
    cache: str = "use"
    cache_dir: StrPath | None = None
    cache_ttl: str | float | None = None
    adaptive_batch: bool | None = None
    log: StrPath | None = None
    config: StrPath | Literal[False] | None = None
    icite_url: str | None = None
    europepmc_url: str | None = None
    links_from: str | None = None
    tables_dir: StrPath | None = None

    @classmethod
    def of(cls, connection: Connection, **urls: str | None) -> ConnectionArgs:
        """The arguments of a call; a name that is not one is the TypeError Python gives."""
        unknown = [k for k in connection if k not in Connection.__annotations__]
        if unknown:
            raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
        return cls(**connection, **urls)

    def given(self) -> list[str]:
        default = ConnectionArgs()
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(default, f.name)]

    def settings(self, warn: Warn, *, command_line: bool = False) -> Settings:
        """The effective settings: these arguments, else the environment, else the config
        file, else the defaults (`command_line`: they are the command line's options). A bad
        value or config file is a UsageError, now."""
        from pathlib import Path

        environ = dict(os.environ)
        if self.config is False:
            environ[C.ENV_CONFIG] = os.devnull
        elif self.config is not None:
            environ[C.ENV_CONFIG] = os.fspath(self.config)
        if self.tool is not None and (
            not self.tool.strip() or any(c in self.tool for c in "\n\r\x00")
        ):
            raise UsageError(f"tool must be a name of one line, not {self.tool!r}")
        settings = settled(
            warn,
            command_line=command_line,
            base_url=self.base_url,
            email=self.email,
            api_key=self.api_key,
            cache_dir=Path(os.fspath(self.cache_dir)) if self.cache_dir is not None else None,
            cache_ttl=None if self.cache_ttl is None else str(self.cache_ttl),
            timeout=self.timeout,
            deadline=self.deadline,
            max_time=self.max_time,
            icite_url=self.icite_url,
            europepmc_url=self.europepmc_url,
            cache_mode=self.cache,
            adaptive_batch=self.adaptive_batch,
            links_from=self.links_from,
            tables_dir=Path(os.fspath(self.tables_dir)) if self.tables_dir is not None else None,
            environ=environ,
        ).settings
        if self.tool is not None:
            settings = replace(settings, tool=self.tool.strip())
        return settings


@dataclass(frozen=True)
class Reach:
    """How a call reaches NCBI: the caller's client (left open), or settings for a client
    of our own, made when the iteration starts and closed when it ends."""

    settings: Settings
    client: EutilsClient | None
    log: StrPath | None
    warn: Warn

    @contextmanager
    def open(self) -> Iterator[EutilsClient]:
        if self.client is not None:
            yield self.client
            return
        client = self._new_client()
        try:
            yield client
        finally:
            client.close()

    def _new_client(self) -> EutilsClient:
        from elinkcli.eutils.requestlog import RequestLog
        from elinkcli.sources.connect import connect

        log = RequestLog.open(os.fspath(self.log)) if self.log is not None else None
        warn = self.warn

        def notice(kind: str, text: str) -> None:
            # The command line shows these two only on a terminal or with --verbose.
            if kind in ("retry", "estimate"):
                logger.info("%s", text)
            else:
                warn(text)

        try:
            return connect(self.settings, log=log, on_notice=notice)
        except BaseException:
            if log is not None:
                log.close()
            raise


def reach(
    connection: ConnectionArgs,
    client: EutilsClient | None,
    settings: Settings | None,
    warn: Warn,
) -> Reach:
    """Check and resolve the connection arguments now (no network, no file opened but
    the config file)."""
    if connection.cache not in CACHE_MODES:
        raise UsageError(f"cache must be one of {', '.join(CACHE_MODES)}, not {connection.cache!r}")
    given = connection.given()
    if client is not None:
        if settings is not None or given:
            clash = ", ".join(["settings"] * (settings is not None) + given)
            raise UsageError(f"client= is used as it is: leave out {clash}")
        return Reach(client.settings, client, None, warn)
    if settings is not None:
        if [g for g in given if g != "log"]:
            clash = ", ".join(g for g in given if g != "log")
            raise UsageError(f"settings= are used as they are: leave out {clash}")
        return Reach(settings, None, connection.log, warn)
    return Reach(connection.settings(warn), None, connection.log, warn)


def warner(warn: Warn | None) -> Warn:
    """The caller's `warn`, else the logger; either gets inert text (elinkcli.inert)."""

    def to_log(text: str) -> None:
        logger.warning("%s", text)

    chosen = warn if warn is not None else to_log

    def say(text: str) -> None:
        chosen(line(text))

    return say
