"""Small frozen records of what the E-utilities answer: ELink's LinkSets and their parts,
EInfo, EPost, ESearch, ESummary, EFetch's uilist and a JSON answer's envelope."""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True, slots=True)
class ELinkResult:
    linksets: tuple[LinkSet, ...]
    errors: tuple[str, ...] = ()

    def all_errors(self) -> tuple[str, ...]:
        return self.errors + tuple(e for ls in self.linksets for e in ls.errors)


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
