"""`linkout`: the external resources (LinkOut) of records, from ELink llinks / prlinks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from elinkcli.commands.batching import BatchHooks, check_batch, per_id_elink
from elinkcli.commands.ledger import Ledger
from elinkcli.config import Settings
from elinkcli.constants import DEFAULT_BATCH, NCBI_WEB
from elinkcli.errors import PermanentError, UsageError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.params import LinkFilters, elink_params
from elinkcli.eutils.records import ELinkResult, ObjUrl
from elinkcli.ids.tokens import normalize_db, uids_in
from elinkcli.sources.base import LinkRequest

if TYPE_CHECKING:
    from elinkcli.ids.resolve import IdTable

LINKOUT_COLUMNS = (
    "source_db",
    "source_id",
    "url",
    "provider",
    "provider_abbr",
    "provider_id",
    "category",
    "subject_types",
    "attributes",
    "label",
    "icon_url",
    "source_uid",
)
# Attributes that put a resource behind a barrier (--free drops them).
BARRIERS = frozenset({"registration required", "subscription/membership/fee required"})
MODES = {"all": "llinks", "primary": "prlinks", "libraries": "llinkslib"}


@dataclass(frozen=True, slots=True)
class Resource:
    source_db: str
    source_id: str
    url: str
    provider: str
    provider_abbr: str
    provider_id: str
    categories: tuple[str, ...]
    subject_types: tuple[str, ...]
    attributes: tuple[str, ...]
    label: str
    icon_url: str
    # NCBI's UID for source_id (the token as given).
    source_uid: str = ""

    def values(self) -> tuple[object, ...]:
        """Cells in LINKOUT_COLUMNS order; several values stay a list (tsv joins them)."""
        return (
            self.source_db,
            self.source_id,
            self.url,
            self.provider,
            self.provider_abbr,
            self.provider_id,
            list(self.categories),
            list(self.subject_types),
            list(self.attributes),
            self.label,
            self.icon_url,
            self.source_uid,
        )


@dataclass(frozen=True, slots=True)
class ResourceFilter:
    """Repeatable, case-insensitive filters; a resource passes when it matches one value of
    every filter given."""

    categories: tuple[str, ...] = ()
    subject_types: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    free: bool = False

    def accepts(self, r: Resource) -> bool:
        def hit(wanted: Sequence[str], have: Iterable[str]) -> bool:
            have_lower = {h.lower() for h in have}
            return not wanted or any(w.lower() in have_lower for w in wanted)

        if self.free and BARRIERS & {a.lower() for a in r.attributes}:
            return False
        return (
            hit(self.categories, r.categories)
            and hit(self.subject_types, r.subject_types)
            and hit(self.attributes, r.attributes)
            and hit(self.providers, (r.provider, r.provider_abbr))
        )


# What a URL may hold as it is (RFC 3986's unreserved and reserved characters and `%`, less
# the quotes and the backslash xargs reads); any other printable character is
# percent-encoded. Whitespace and control characters make it no URL to print.
_URL_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&()*+,;=%"
)
# Whitespace, control characters, and the backslash of one made visible at entry (`\x1b`).
_NO_URL = re.compile(r"[\s\x00-\x1f\x7f-\x9f\\]")


def fetchable_url(url: str) -> str | None:
    """The URL as a line `xargs curl` may take, or None: an absolute http or https URL with
    a host, nothing in it that splits a line or a word (`-o FILE http://...`, a newline, a
    control character), quotes and other odd characters percent-encoded."""
    if _NO_URL.search(url):
        return None
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest or rest[0] in "/?#":
        return None
    return "".join(c if c in _URL_SAFE else _percent(c) for c in url)


def _percent(char: str) -> str:
    return "".join(f"%{b:02X}" for b in char.encode("utf-8"))


def resource(source_db: str, source_id: str, obj: ObjUrl, source_uid: str = "") -> Resource:
    p = obj.provider
    return Resource(
        source_db=source_db,
        source_id=source_id,
        url=obj.url,
        provider=p.name if p else "",
        provider_abbr=p.name_abbr if p else "",
        provider_id=p.id if p else "",
        categories=obj.categories,
        subject_types=obj.subject_types,
        attributes=obj.attributes,
        label=obj.linkname or "",
        icon_url=urljoin(NCBI_WEB, obj.iconurl) if obj.iconurl else "",
        source_uid=source_uid or source_id,
    )


def linkout(
    ids: Sequence[str],
    *,
    db: str,
    mode: str = "all",
    holding: str | None = None,
    where: ResourceFilter = ResourceFilter(),
    batch: int = DEFAULT_BATCH,
    client: EutilsClient | None = None,
    settings: Settings | None = None,
    stats: Ledger | None = None,
    hooks: BatchHooks | None = None,
    table: IdTable | None = None,
) -> Iterator[Resource]:
    """The LinkOut resources of every id, in input order; identical URL + provider collapse.

    `mode` all (llinks), primary (prlinks, the primary provider only) or libraries
    (llinkslib, which NCBI now rejects: PermanentError)."""
    if mode not in MODES:
        raise UsageError(f"unknown LinkOut mode {mode!r}")
    check_batch(batch)
    cmd = MODES[mode]
    filters = LinkFilters(holding=holding)
    dbfrom = normalize_db(db)
    elink_params(dbfrom=dbfrom, cmd=cmd, filters=filters)
    return _resources(
        list(ids),
        dbfrom,
        cmd,
        filters,
        where,
        batch,
        client,
        settings,
        stats if stats is not None else Ledger(),
        hooks,
        table,
    )


def _explained(
    run: Iterator[tuple[list[str], ELinkResult]], cmd: str
) -> Iterator[tuple[list[str], ELinkResult]]:
    """The batches of `run`; NCBI's rejection of llinkslib said in words a user can act on."""
    try:
        yield from run
    except PermanentError as exc:
        if cmd != "llinkslib":
            raise
        raise PermanentError(
            f"NCBI no longer serves LinkOut library links (llinkslib): {exc}"
        ) from None


def _resources(
    ids: list[str],
    dbfrom: str,
    cmd: str,
    filters: LinkFilters,
    where: ResourceFilter,
    batch: int,
    client: EutilsClient | None,
    settings: Settings | None,
    stats: Ledger,
    hooks: BatchHooks | None,
    table: IdTable | None,
) -> Iterator[Resource]:
    stats.ids_in += len(ids)
    uids_of = uids_in(table)

    request = LinkRequest(dbfrom=dbfrom, cmd=cmd, filters=filters)
    run = per_id_elink(
        ids, batch, request, client=client, settings=settings, stats=stats, hooks=hooks, table=table
    )
    for chunk, result in _explained(run, cmd):
        by_id: dict[tuple[str, str | None], list[ObjUrl]] = {}
        for ls in result.linksets:
            for url_set in ls.id_url_sets:
                by_id.setdefault((url_set.id, ls.uid), []).extend(url_set.objurls)
        for source_id in chunk:
            uids = uids_of(source_id)
            found = [(u, by_id.get((source_id, u), by_id.get((source_id, None)))) for u in uids]
            if all(objs is None for _, objs in found):
                stats.ids_not_echoed.append(source_id)
                continue
            if len(uids) > 1:  # a token standing for several records: each must be answered
                stats.members_missing(source_id, (u for u, o in found if o is None))
            n = 0
            for u, objs in found:
                seen: set[tuple[str, str]] = set()
                for obj in objs or ():
                    item = resource(dbfrom, source_id, obj, u)
                    key = (item.url, item.provider_id)
                    if key in seen or not where.accepts(item):
                        continue
                    seen.add(key)
                    n += 1
                    yield item
            stats.links += n
            (stats.ids_with_links if n else stats.ids_without_links).append(source_id)
