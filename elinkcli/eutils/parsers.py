"""Parsers for the other E-utilities answers: EInfo, EPost, ESearch, ESummary, EFetch's
uilist, and the envelope of a JSON answer. XML is read through elinkcli.eutils.xmlstream
(safe, a child of the root at a time); every field is checked as it is read."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element

from elinkcli import validate as V
from elinkcli.errors import ResponseParseError, ResponseValueError
from elinkcli.eutils import xmlstream as X
from elinkcli.eutils.records import (
    DbInfo,
    DocSum,
    EInfoResult,
    EPostResult,
    ESearchResult,
    ESummaryResult,
    JsonEnvelope,
    LinkDesc,
    UidList,
)
from elinkcli.inert import escape

# --- EInfo and EPost -------------------------------------------------------------------


def parse_einfo(data: bytes) -> EInfoResult:
    dblist: tuple[str, ...] | None = None
    dbinfo: list[DbInfo] = []
    errors: list[str] = []
    for el in X.children(data, "eInfoResult"):
        if el.tag == "DbList":
            dblist = tuple(X.name(d, "DbName") for d in el.iterfind("DbName"))
        elif el.tag == "DbInfo":
            dbinfo.append(_dbinfo(el))
        errors.extend(X.errors_in(el))
    return EInfoResult(dblist=dblist, dbinfo=tuple(dbinfo), errors=tuple(errors))


def _dbinfo(el: Element) -> DbInfo:
    fieldlist = el.find("FieldList")
    linklist = el.find("LinkList")
    return DbInfo(
        dbname=X.name(el.find("DbName"), "DbName"),
        menuname=X.free(el.find("MenuName"), 200),
        description=X.free(el.find("Description"), 1000),
        dbbuild=X.opt_free(el, "DbBuild", 200),
        count=X.opt_free(el, "Count", 20),
        lastupdate=X.opt_free(el, "LastUpdate", 100),
        field_names=tuple(X.free(f.find("Name"), 200) for f in fieldlist.iterfind("Field"))
        if fieldlist is not None
        else (),
        links=tuple(
            LinkDesc(
                name=X.name(li.find("Name"), "a link Name"),
                menu=X.free(li.find("Menu"), 200),
                description=X.free(li.find("Description"), 1000),
                dbto=X.name(li.find("DbTo"), "DbTo"),
            )
            for li in linklist.iterfind("Link")
        )
        if linklist is not None
        else (),
        has_linklist=linklist is not None,
    )


def parse_epost(data: bytes) -> EPostResult:
    query_key = webenv = None
    invalid: tuple[str, ...] | None = None
    errors: list[str] = []
    for el in X.children(data, "ePostResult"):
        if el.tag == "QueryKey":
            query_key = V.query_key(X.text(el))
        elif el.tag == "WebEnv":
            webenv = V.webenv(X.text(el))
        elif el.tag == "InvalidIdList":
            invalid = tuple(V.token(X.text(i), "an invalid id") for i in el.iterfind("Id"))
        errors.extend(X.errors_in(el))
    return EPostResult(query_key, webenv, invalid, tuple(errors))


def parse_esearch(data: bytes) -> ESearchResult:
    count = "0"
    query_key = webenv = None
    ids: tuple[str, ...] = ()
    errors: list[str] = []
    for el in X.children(data, "eSearchResult"):
        if el.tag == "Count":
            count = X.text(el)
        elif el.tag == "QueryKey":
            query_key = V.query_key(X.text(el))
        elif el.tag == "WebEnv":
            webenv = V.webenv(X.text(el))
        elif el.tag == "IdList":
            ids = V.uids((X.text(i) for i in el.iterfind("Id")), "a found id")
        errors.extend(X.errors_in(el))
    return ESearchResult(V.count(count, "esearch Count"), query_key, webenv, ids, tuple(errors))


def parse_esummary(data: bytes, db: str | None = None) -> ESummaryResult:
    """ESummary DocSums, each as it ends: version 1 (`<DocSum><Id>` and `<Item Name=…>`s)
    or version 2.0 (`<DocumentSummarySet><DocumentSummary uid=…>` and one element per
    field), both as DocSum (name, text) items, nested ones flattened. <ERROR>s (an unknown
    uid is one, the others still answered) come back beside them. With `db`, the
    accessions its DocSums name (elinkcli.accessions.SUMMARY_ITEMS) are checked to be
    accessions."""
    docsums: list[DocSum] = []
    errors: list[str] = []
    for el in X.children(data, "eSummaryResult"):
        if el.tag == "DocSum":
            items = tuple(
                (V.text(item.get("Name", ""), 100), escape((item.text or "").strip()))
                for item in el.iter("Item")
                if item.get("Type") != "Structure" and item.get("Type") != "List"
            )
            docsums.append(_docsum(V.uid(X.text(el.find("Id")), "a DocSum Id"), items, db))
        elif el.tag == "DocumentSummarySet":
            for summary in el.iterfind("DocumentSummary"):
                failed = summary.find("error")
                if failed is not None:  # version 2.0's way of saying "no such uid"
                    errors.append(X.free(failed, 1000))
                    continue
                uid = V.uid(summary.get("uid", ""), "a DocumentSummary uid")
                items = tuple(
                    (V.text(field.tag, 100), escape((field.text or "").strip()))
                    for field in summary.iter()
                    if field is not summary and len(field) == 0
                )
                docsums.append(_docsum(uid, items, db))
        errors.extend(X.errors_in(el))
    return ESummaryResult(tuple(docsums), tuple(errors))


def _docsum(uid: str, items: tuple[tuple[str, str], ...], db: str | None) -> DocSum:
    if db is not None:
        from elinkcli.accessions import summary_accessions

        for accession in summary_accessions(db, list(items)):
            V.token(accession, "an accession")
    return DocSum(uid, items)


def parse_uilist(data: bytes) -> UidList:
    """Ids one per line; an XML body (NCBI's way of saying no) is read for its <ERROR>s."""
    if data.lstrip().startswith(b"<"):
        errors = [V.text(m.decode("utf-8", "replace").strip(), 1000) for m in _ERROR.findall(data)]
        if not errors:
            raise ResponseParseError("efetch uilist answered XML without ids")
        return UidList((), tuple(errors))
    text = data.decode("utf-8", "replace")
    ids = V.uids((line.strip() for line in text.split("\n") if line.strip()), "a listed id")
    return UidList(ids)


_ERROR = re.compile(rb"<ERROR>(.*?)</ERROR>", re.DOTALL)


# --- JSON --------------------------------------------------------------------------------


def parse_json_envelope(data: bytes) -> JsonEnvelope:
    """The header of a retmode=json answer, and every "ERROR" in it at any depth."""
    doc = load_json(data, "response")
    if not isinstance(doc, dict):
        raise ResponseParseError("JSON response is not an object")
    header = doc.get("header") or {}
    if not isinstance(header, dict):
        raise ResponseValueError("the JSON header is not an object")
    return JsonEnvelope(
        header={V.text(str(k), 100): V.text(str(v), 1000) for k, v in header.items()},
        top_level_keys=tuple(V.text(str(k), 100) for k in doc),
        errors=tuple(V.text(e, 1000) for e in _json_errors(doc)),
    )


def load_json(data: bytes, what: str) -> Any:
    """A JSON answer; nesting past the interpreter's recursion limit is a bad answer."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ResponseValueError(f"{what} nests JSON too deeply") from None
    except ValueError as exc:
        raise ResponseParseError(f"{what} is not valid JSON ({exc})") from None


def _json_errors(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "ERROR" and isinstance(value, str):
                yield value
            else:
                yield from _json_errors(value)
    elif isinstance(node, list):
        for value in node:
            yield from _json_errors(value)
