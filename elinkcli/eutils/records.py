"""Small frozen records of what the E-utilities answer: ELink's LinkSets and their parts
here; EInfo, EPost, ESearch, ESummary, EFetch's uilist and a JSON answer's envelope in
elinkcli.eutils.other_records, named here too but imported only when first used (a run
answered from the cache makes none of them: each frozen dataclass costs ~0.5 ms to make)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from elinkcli.eutils.other_records import (
        DbInfo as DbInfo,
    )
    from elinkcli.eutils.other_records import (
        DocSum as DocSum,
    )
    from elinkcli.eutils.other_records import (
        EInfoResult as EInfoResult,
    )
    from elinkcli.eutils.other_records import (
        EPostResult as EPostResult,
    )
    from elinkcli.eutils.other_records import (
        ESearchResult as ESearchResult,
    )
    from elinkcli.eutils.other_records import (
        ESummaryResult as ESummaryResult,
    )
    from elinkcli.eutils.other_records import (
        JsonEnvelope as JsonEnvelope,
    )
    from elinkcli.eutils.other_records import (
        LinkDesc as LinkDesc,
    )
    from elinkcli.eutils.other_records import (
        UidList as UidList,
    )

_OTHER = frozenset(
    {
        "DbInfo",
        "DocSum",
        "EInfoResult",
        "EPostResult",
        "ESearchResult",
        "ESummaryResult",
        "JsonEnvelope",
        "LinkDesc",
        "UidList",
    }
)


def __getattr__(name: str) -> Any:
    if name in _OTHER:
        from elinkcli.eutils import other_records

        return getattr(other_records, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True, slots=True)
class LinkSetDb:
    """One link table (LinkSetDb) of a LinkSet: the ids it links to, in NCBI's order."""

    dbto: str
    linkname: str
    ids: tuple[str, ...]
    scores: tuple[int, ...] | None = None
    info: str | None = None


@dataclass(frozen=True, slots=True)
class LinkSetDbHistory:
    dbto: str
    linkname: str
    query_key: str | None
    info: str | None = None


@dataclass(frozen=True, slots=True)
class IdCheck:
    """ncheck / lcheck answer for one id: attributes such as HasNeighbor="Y"."""

    id: str
    attrs: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        return dict(self.attrs).get(name)


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """acheck answer: one link name a record has."""

    dbto: str
    linkname: str
    menutag: str
    htmltag: str
    priority: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class IdLinkSet:
    id: str
    linkinfos: tuple[LinkInfo, ...]


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    name_abbr: str
    id: str
    url: str | None = None
    url_lng: str | None = None
    iconurl: str | None = None


@dataclass(frozen=True, slots=True)
class ObjUrl:
    """llinks / prlinks answer: one LinkOut resource of a record."""

    url: str
    url_lng: str | None
    iconurl: str | None
    linkname: str | None
    subject_types: tuple[str, ...]
    categories: tuple[str, ...]
    attributes: tuple[str, ...]
    provider: Provider | None


@dataclass(frozen=True, slots=True)
class IdUrlSet:
    id: str
    objurls: tuple[ObjUrl, ...]
    info: str | None = None


@dataclass(frozen=True, slots=True)
class LinkSet:
    """One <LinkSet>: with one id= parameter per id, one per source id."""

    dbfrom: str
    ids: tuple[str, ...] = ()
    linksetdbs: tuple[LinkSetDb, ...] = ()
    histories: tuple[LinkSetDbHistory, ...] = ()
    webenv: str | None = None
    id_checks: tuple[IdCheck, ...] = ()
    id_link_sets: tuple[IdLinkSet, ...] = ()
    id_url_sets: tuple[IdUrlSet, ...] = ()
    has_idchecklist: bool = False
    has_idurllist: bool = False
    # <ERROR> and <Info> texts found anywhere inside this LinkSet.
    errors: tuple[str, ...] = ()
    infos: tuple[str, ...] = ()
    # Which local table answered (elinkcli.sources.tables: "gene2pubmed 2026-12-01");
    # None: ELink, or the service the source names.
    origin: str | None = None
    # The UID this answer was for, once its ids are renamed to the token the user typed
    # (a token may stand for several records: an sra study); None: not renamed.
    uid: str | None = None
    # The live runs of each target experiment, when a local table that speaks accessions
    # read them beside the links (`--idtype run`): ((experiment, (run, ...)), ...).
    runs: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class ELinkResult:
    linksets: tuple[LinkSet, ...]
    errors: tuple[str, ...] = ()

    def all_errors(self) -> tuple[str, ...]:
        return self.errors + tuple(e for ls in self.linksets for e in ls.errors)
