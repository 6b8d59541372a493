"""E-utilities XML documents users pipe around, read as the source side of a run:
an eSearchResult (its IdList, or its WebEnv and QueryKey) and an eLinkResult (its linked
ids, with the source id each came from when the document has one LinkSet per id)."""

from __future__ import annotations

from elinkcli.errors import ResponseParseError, UsageError
from elinkcli.eutils.elink_parser import parse_elink
from elinkcli.eutils.parsers import parse_esearch
from elinkcli.eutils.records import ELinkResult, LinkSet, LinkSetDbHistory
from elinkcli.ids.given import IdSource, StoredSet


def read_esearch_result(data: bytes) -> IdSource:
    try:
        result = parse_esearch(data)
    except ResponseParseError as exc:
        raise UsageError(f"stdin holds a malformed eSearchResult ({exc})") from None
    except RecursionError:
        raise UsageError("stdin holds an eSearchResult nested too deeply") from None
    if result.errors:
        raise UsageError(f"the eSearchResult on stdin carries an error: {result.errors[0]}")
    ids = tuple(dict.fromkeys(result.ids))
    if len(ids) < result.count:
        if not (result.webenv and result.query_key):
            raise UsageError(
                f"the eSearchResult on stdin lists {len(ids)} of its {result.count} ids and has "
                "no WebEnv: search again with a larger retmax, or with usehistory=y"
            )
        stored = StoredSet(result.count, result.webenv, result.query_key)
        return IdSource((), None, "esearch", stored=stored)
    return IdSource(ids, None, "esearch", stored=StoredSet(result.count))


def read_elink_result(data: bytes) -> IdSource:
    try:
        result = parse_elink(data)
    except ResponseParseError as exc:
        raise UsageError(f"stdin holds a malformed eLinkResult ({exc})") from None
    except RecursionError:
        raise UsageError("stdin holds an eLinkResult nested too deeply") from None
    errors = result.all_errors()
    if errors:
        raise UsageError(f"the eLinkResult on stdin carries an error: {errors[0]}")
    histories = [(ls, h) for ls in result.linksets for h in ls.histories if h.query_key]
    if histories:
        return _history(result, histories)
    if not any(ls.linksetdbs for ls in result.linksets) and any(
        ls.has_idchecklist or ls.has_idurllist for ls in result.linksets
    ):
        raise UsageError(
            "the eLinkResult on stdin holds link checks or LinkOut URLs, not linked ids"
        )
    dbs = {lsdb.dbto for ls in result.linksets for lsdb in ls.linksetdbs}
    if len(dbs) > 1:
        raise UsageError(
            f"the eLinkResult on stdin links into several databases ({', '.join(sorted(dbs))}): "
            "link one at a time"
        )
    ids: dict[str, None] = {}
    origins: dict[str, dict[str, None]] = {}
    per_id = all(len(ls.ids) == 1 for ls in result.linksets)
    for ls in result.linksets:
        for lsdb in ls.linksetdbs:
            ids.update(dict.fromkeys(lsdb.ids))
            if per_id:
                for target in lsdb.ids:
                    origins.setdefault(target, {})[ls.ids[0]] = None
    sources = {ls.dbfrom for ls in result.linksets if ls.dbfrom}
    return IdSource(
        tuple(ids),
        next(iter(dbs), None),
        "elink",
        origins={t: tuple(s) for t, s in origins.items()} if per_id else {},
        origin_db=next(iter(sources)) if per_id and len(sources) == 1 else None,
    )


def _history(result: ELinkResult, histories: list[tuple[LinkSet, LinkSetDbHistory]]) -> IdSource:
    """A neighbor_history answer: the stored set of linked ids (one link table only)."""
    if len(histories) > 1:
        names = ", ".join(h.linkname for _, h in histories)
        raise UsageError(
            f"the eLinkResult on stdin stores several link sets ({names}): "
            "link them one at a time, or ask for one with -name"
        )
    ls, history = histories[0]
    webenv = ls.webenv or next((s.webenv for s in result.linksets if s.webenv), None)
    if not webenv:
        raise UsageError("the eLinkResult on stdin has a QueryKey but no WebEnv")
    return IdSource((), history.dbto, "elink", stored=StoredSet(None, webenv, history.query_key))
