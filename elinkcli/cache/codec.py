"""Answers as they are kept in the cache: what identifies a request (its signature, an
entry's key), LinkSets to JSON and back (explicit, so nothing but data is ever read back),
and the source ids a LinkSet speaks for."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from elinkcli import validate as V
from elinkcli.eutils.records import (
    IdCheck,
    IdLinkSet,
    IdUrlSet,
    LinkInfo,
    LinkSet,
    LinkSetDb,
    ObjUrl,
    Provider,
)


def request_signature(base_url: str, endpoint: str, params: Sequence[tuple[str, str]]) -> str:
    """What identifies a per-id answer: server, endpoint and parameters, ids and credentials
    left out (the client adds tool/email/api_key itself; they never come through here)."""
    kept = sorted((k, v) for k, v in params if k != "id")
    return json.dumps([base_url, endpoint, kept], separators=(",", ":"))


def entry_key(signature: str, uid: str) -> str:
    """The key of one id's entry: a hash of the request's signature and the id."""
    return hashlib.sha256(f"{signature}\0{uid}".encode()).hexdigest()


# --- LinkSet <-> JSON ------------------------------------------------------------------------


def encode_linkset(ls: LinkSet) -> dict[str, Any]:
    return {
        "dbfrom": ls.dbfrom,
        "ids": list(ls.ids),
        "dbs": [
            [d.dbto, d.linkname, list(d.ids), d.scores and list(d.scores), d.info]
            for d in ls.linksetdbs
        ],
        "checks": [[c.id, [list(a) for a in c.attrs]] for c in ls.id_checks],
        "acheck": [
            [
                s.id,
                [
                    [li.dbto, li.linkname, li.menutag, li.htmltag, li.priority, li.url]
                    for li in s.linkinfos
                ],
            ]
            for s in ls.id_link_sets
        ],
        "urls": [[s.id, [_encode_objurl(o) for o in s.objurls], s.info] for s in ls.id_url_sets],
        "flags": [ls.has_idchecklist, ls.has_idurllist],
        "infos": list(ls.infos),
    }


def _encode_objurl(o: ObjUrl) -> list[Any]:
    p = o.provider
    provider = [p.name, p.name_abbr, p.id, p.url, p.url_lng, p.iconurl] if p else None
    return [
        o.url,
        o.url_lng,
        o.iconurl,
        o.linkname,
        list(o.subject_types),
        list(o.categories),
        list(o.attributes),
        provider,
    ]


def decode_linksets(value: Any) -> list[LinkSet]:
    """The LinkSets of one cached entry, each checked (decode_linkset)."""
    return [decode_linkset(d) for d in _list(value)]


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("not a flag")
    return value


def _text(value: Any, limit: int = V.TEXT_LIMIT) -> str:
    return V.text(_str(value), limit)


def _opt_text(value: Any, limit: int = V.TEXT_LIMIT) -> str | None:
    return None if value is None else _text(value, limit)


def _texts(value: Any, limit: int = V.TEXT_LIMIT) -> tuple[str, ...]:
    return tuple(_text(v, limit) for v in _list(value))


def _score(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**15:
        raise TypeError("not a score")
    return value


def decode_linkset(d: Any) -> LinkSet:
    """A LinkSet from its cached JSON, every field checked as the answer's parser checks it
    (TypeError, ValueError, ResponseValueError on anything else)."""
    if not isinstance(d, dict):
        raise TypeError("not an object")
    flags = _list(d["flags"])
    return LinkSet(
        dbfrom=V.name(_str(d["dbfrom"]), "DbFrom"),
        ids=V.tokens(map(_str, _list(d["ids"]))),
        linksetdbs=tuple(_linksetdb(_list(item)) for item in _list(d["dbs"])),
        id_checks=tuple(
            IdCheck(
                V.token(_str(i)),
                tuple((_text(k, 100), _text(v, 100)) for k, v in map(_list, _list(attrs))),
            )
            for i, attrs in map(_list, _list(d["checks"]))
        ),
        id_link_sets=tuple(
            IdLinkSet(V.token(_str(i)), tuple(_linkinfo(_list(li)) for li in _list(infos)))
            for i, infos in map(_list, _list(d["acheck"]))
        ),
        id_url_sets=tuple(
            IdUrlSet(
                V.token(_str(i)),
                tuple(_decode_objurl(_list(o)) for o in _list(objs)),
                _opt_text(info, 1000),
            )
            for i, objs, info in map(_list, _list(d["urls"]))
        ),
        has_idchecklist=_flag(flags[0]),
        has_idurllist=_flag(flags[1]),
        infos=_texts(d["infos"], 1000),
    )


def _linksetdb(item: list[Any]) -> LinkSetDb:
    dbto, name, ids, scores, info = item
    return LinkSetDb(
        V.name(_str(dbto), "DbTo"),
        V.name(_str(name), "LinkName"),
        V.uids(map(_str, _list(ids))),
        tuple(map(_score, _list(scores))) if scores else None,
        _opt_text(info, 1000),
    )


def _linkinfo(item: list[Any]) -> LinkInfo:
    dbto, name, menutag, htmltag, priority, url = item
    return LinkInfo(
        V.name(_str(dbto), "DbTo"),
        V.name(_str(name), "LinkName"),
        _text(menutag, 1000),
        _text(htmltag, 1000),
        _text(priority, 20),
        _opt_text(url),
    )


def _decode_objurl(o: list[Any]) -> ObjUrl:
    url, lng, icon, name, stypes, cats, attrs, p = o
    provider = None
    if p is not None:
        pname, abbr, pid, purl, plng, picon = _list(p)
        provider = Provider(
            _text(pname, 1000),
            _text(abbr, 200),
            _text(pid, 64),
            _opt_text(purl),
            _opt_text(plng, 20),
            _opt_text(picon),
        )
    return ObjUrl(
        _text(url),
        _opt_text(lng, 20),
        _opt_text(icon),
        _opt_text(name, 1000),
        _texts(stypes, 200),
        _texts(cats, 200),
        _texts(attrs, 200),
        provider,
    )


def rename_linkset(ls: LinkSet, name: Callable[[str], str]) -> LinkSet:
    """The LinkSet with every source id it speaks for renamed (its IdList, check ids,
    acheck and LinkOut sets); the links themselves are left as they are."""
    return replace(
        ls,
        ids=tuple(map(name, ls.ids)),
        id_checks=tuple(replace(c, id=name(c.id)) for c in ls.id_checks),
        id_link_sets=tuple(replace(s, id=name(s.id)) for s in ls.id_link_sets),
        id_url_sets=tuple(replace(s, id=name(s.id)) for s in ls.id_url_sets),
    )


def linkset_ids(ls: LinkSet) -> tuple[str, ...]:
    """The source ids an answer's LinkSet speaks for, whatever the cmd."""
    return (
        ls.ids
        or tuple(c.id for c in ls.id_checks)
        or tuple(s.id for s in ls.id_link_sets)
        or tuple(s.id for s in ls.id_url_sets)
    )
