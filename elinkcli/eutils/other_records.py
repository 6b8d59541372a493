"""Small frozen records of what the E-utilities other than ELink answer: EInfo, EPost,
ESearch, ESummary, EFetch's uilist and a JSON answer's envelope (elinkcli.eutils.records
names them too)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LinkDesc:
    """One entry of EInfo's LinkList."""

    name: str
    menu: str
    description: str
    dbto: str


@dataclass(frozen=True, slots=True)
class DbInfo:
    dbname: str
    menuname: str = ""
    description: str = ""
    dbbuild: str | None = None
    count: str | None = None
    lastupdate: str | None = None
    field_names: tuple[str, ...] = ()
    links: tuple[LinkDesc, ...] = ()
    has_linklist: bool = False


@dataclass(frozen=True, slots=True)
class EInfoResult:
    dblist: tuple[str, ...] | None = None
    dbinfo: tuple[DbInfo, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EPostResult:
    query_key: str | None
    webenv: str | None
    invalid_ids: tuple[str, ...] | None = None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ESearchResult:
    count: int
    query_key: str | None
    webenv: str | None
    ids: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DocSum:
    """One ESummary (version 1) record: its UID and its items, nested ones flattened,
    as (name, text) pairs in document order."""

    uid: str
    items: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> list[str]:
        return [text for item, text in self.items if item == name]


@dataclass(frozen=True, slots=True)
class ESummaryResult:
    docsums: tuple[DocSum, ...]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UidList:
    """EFetch rettype=uilist: one id per line, or an XML error."""

    ids: tuple[str, ...]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class JsonEnvelope:
    """What elinkcli reads of a retmode=json answer: its header and any ERROR."""

    header: dict[str, str]
    top_level_keys: tuple[str, ...]
    errors: tuple[str, ...] = ()
