"""What arrives on stdin: an ENTREZ_DIRECT message, elinkcli's own tsv/json/jsonl, or ids.

The form is detected from the first bytes (or forced); the result says which database
the ids belong to when the input states it.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from elinkcli.errors import UsageError
from elinkcli.ids.edirect import looks_like_message, parse_message, root_tag
from elinkcli.ids.given import IdSource, StoredSet
from elinkcli.ids.tokens import decode_input, split_ids

if TYPE_CHECKING:
    pass

INPUT_FORMATS = ("auto", "edirect", "esearch", "elink", "tsv", "json", "jsonl", "plain")
# XML documents read from stdin, by their root element.
_DOCUMENTS = {"eSearchResult": "esearch", "eLinkResult": "elink"}
_HEADER_TOKEN = re.compile(r"[a-z]+(?:_[a-z0-9]+)*")
_HOP_SUFFIX = re.compile(r"_\d+$")


def detect_form(data: bytes) -> str:
    head = data.removeprefix(codecs.BOM_UTF8).lstrip()[:4096]
    if looks_like_message(head):
        return "edirect"
    tag = root_tag(head)
    if tag in _DOCUMENTS:
        return _DOCUMENTS[tag]
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        return "jsonl"
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip("\r")
    if "\t" in first and all(_HEADER_TOKEN.fullmatch(t) for t in first.split("\t")):
        return "tsv"
    return "plain"


def read_source(
    data: bytes, form: str = "auto", source: str = "stdin", packed_above: int | None = None
) -> IdSource:
    """The ids (and what else the input says) of `data` in `form`. With `packed_above`, a
    plain input of more ids than that is kept packed (PackedIds), to be read in windows."""
    if form not in INPUT_FORMATS:
        raise UsageError(f"unknown --input-format {form!r} (choose {', '.join(INPUT_FORMATS)})")
    if form == "auto":
        form = detect_form(data)
    if form == "edirect":
        msg = parse_message(data)
        dates = tuple(
            (name, value)
            for name in ("mindate", "maxdate", "reldate", "datetype")
            if (value := getattr(msg, name))
        )
        stored = StoredSet(msg.count, msg.webenv, msg.query_key, msg.query, dates)
        return IdSource(msg.ids, msg.db, form, msg, stored)
    if form in ("esearch", "elink"):
        from elinkcli.ids.documents import read_elink_result, read_esearch_result

        return (read_esearch_result if form == "esearch" else read_elink_result)(data)
    if form == "plain" and packed_above is not None:
        from elinkcli.ids.packed import PackedIds

        packed = PackedIds.from_input(data, source)
        if packed.count > packed_above:
            return IdSource((), None, form, packed=packed)
    text = decode_input(data, source)
    if form == "plain":
        return IdSource(tuple(split_ids([text])), None, form)
    if form == "tsv":
        return _from_records(_tsv_records(text), form)
    if form == "json":
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise UsageError(f"stdin is not valid JSON ({exc})") from None
        if isinstance(doc, dict):
            doc = [doc]
        if not isinstance(doc, list):
            raise UsageError("stdin JSON is neither an array nor an object")
        return _from_records(doc, form)
    return _from_records(_jsonl_records(text), form)


def _tsv_records(text: str) -> Iterable[dict[str, str]]:
    lines = text.splitlines()
    if not lines:
        return
    header = lines[0].split("\t")
    if not all(_HEADER_TOKEN.fullmatch(h) for h in header):
        raise UsageError(
            "stdin tsv needs a header naming its columns (target_id, source_id or databases)"
        )
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != len(header):
            raise UsageError(f"stdin tsv line {n} has {len(cells)} columns, header {len(header)}")
        yield dict(zip(header, cells, strict=True))


def _jsonl_records(text: str) -> Iterable[Mapping[str, object]]:
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise UsageError(f"stdin jsonl line {n} is not valid JSON ({exc})") from None


def _pick(record: Mapping[str, object]) -> tuple[str | None, str | None]:
    """(db, id) this record passes on: its target, else its source, else its last hop."""
    if not isinstance(record, Mapping):
        raise UsageError("stdin JSON records must be objects")
    for prefix in ("target", "source"):
        if f"{prefix}_id" in record:
            value = record[f"{prefix}_id"]
            db = record.get(f"{prefix}_db")
            return (str(db) if db else None), (str(value) if value not in (None, "") else None)
    path = record.get("path")
    if isinstance(path, list) and path and isinstance(path[-1], Mapping):
        return str(path[-1].get("db") or "") or None, str(path[-1].get("id") or "") or None
    if record:
        # chain tsv: one column per hop, named after its database; the last is the result.
        column = list(record)[-1]
        value = record[column]
        return _HOP_SUFFIX.sub("", column), (str(value) if value not in (None, "") else None)
    return None, None


def _from_records(records: Iterable[Mapping[str, object]], form: str) -> IdSource:
    ids: dict[str, None] = {}
    dbs: dict[str, None] = {}
    for record in records:
        db, uid = _pick(record)
        if uid is None:
            continue
        ids.setdefault(uid, None)
        if db:
            dbs.setdefault(db, None)
    if len(dbs) > 1:
        raise UsageError(f"stdin mixes databases ({', '.join(dbs)}); link one at a time")
    return IdSource(tuple(ids), next(iter(dbs), None), form)
