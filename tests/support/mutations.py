"""Mutations of a recorded NCBI answer, for the fuzz tests: `mutate(data, ops)` applies a
list of `Op` (operation, number, piece) in turn: bytes flipped, inserted, deleted, cut;
a piece put into or in place of an element's text; an element repeated; a JSON value
replaced (from `JSON_HOSTILE`); the XML declaration's encoding changed (from `ENCODINGS`).
`OPS` names the operations and `HOSTILE` the pieces worth putting in (escape sequences,
bidi and line-separator characters, markup, the API key, ids that are no ids).

Used by tests/unit/eutils/test_hostile_fuzz.py (hypothesis draws the ops) and
tests/e2e/test_hostile_fuzz_served.py (a seeded Random draws them).
"""

from __future__ import annotations

import re

from support.hostile import KEY

HOSTILE = [
    "\x1b[2J",
    "\x1b]0;pwned\x07",
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "[link=x]",
    "[link=https://evil.example]Trusted Publisher[/link]",
    "[/]",
    "[bold red]",
    "&#10;",
    "&#x202e;",
    "&#x1b;",
    "&#x85;",
    "\u2028",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "\x85",
    "\x9b",
    "\x0b",
    "\x1c",
    "²",
    "１２",
    "-1",
    KEY,
    '<LinkRun n="99"/>',
    '<LinkRun n="0"/>',
    "<a>" * 40 + "</a>" * 40,
    "12345678901234567890",
    "<Score>abc</Score>",
    "<Id>999</Id>",
    "<ERROR>" + KEY + "</ERROR>",
    "\t",
    "\r\n",
    "12 34",
]
JSON_HOSTILE = [
    '"\\u001b[2J"',
    '"\\u202e"',
    '"\\u2028"',
    '"1 2"',
    '"' + KEY + '"',
    "-1",
    "1.5",
    "true",
    "null",
    "{}",
    '[1, "x"]',
    "99999999999999999999999",
    '"[link=x]y[/link]"',
    '{"ERROR": "\\u001b]0;pwned\\u0007"}',
]
OPS = (
    "flip",
    "insert",
    "delete",
    "truncate",
    "text",
    "replace-text",
    "duplicate",
    "json-value",
    "encoding",
)
# What the XML declaration's encoding may be made (an "encoding" mutation).
ENCODINGS = ["TTF-8", "utf-16", "UTF-32", "latin-1", "ebcdic-cp-us", "x-none", "", KEY, "utf-8\x00"]

Op = tuple[str, int, str]

_TEXT_AT = re.compile(rb">([^<]*)<")
_ELEMENT = re.compile(rb"<([A-Za-z][\w]*)[^>]*>[^<]*</\1>")
_DECLARATION = re.compile(rb"\s*<\?xml[^>]*\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["'][^"']*["']""")
_JSON_VALUE = re.compile(rb'(:\s*|[\[,]\s*)("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')


def _pick(matches: list[re.Match[bytes]], n: int) -> re.Match[bytes] | None:
    return matches[n % len(matches)] if matches else None


def mutate(data: bytes, ops: list[Op]) -> bytes:
    """`data` with each (operation, number, piece) applied in turn; `number` picks where."""
    out = bytearray(data)
    for op, n, piece in ops:
        raw = piece.encode("utf-8")
        at = n % (len(out) + 1)
        if op == "flip" and out:
            out[at % len(out)] ^= 1 << (n >> 20) % 8
        elif op == "insert":
            out[at:at] = raw
        elif op == "delete":
            del out[at : at + 1 + (n >> 16) % 64]
        elif op == "truncate":
            del out[at:]
        elif op == "text":
            found = _pick(list(_TEXT_AT.finditer(out))[:2000], n)
            if found:
                out[found.start(1) : found.start(1)] = raw
        elif op == "replace-text":
            found = _pick(list(_TEXT_AT.finditer(out))[:2000], n)
            if found:
                out[found.start(1) : found.end(1)] = raw
        elif op == "duplicate":
            found = _pick(list(_ELEMENT.finditer(out))[:2000], n)
            if found:
                out[found.end() : found.end()] = found.group()
        elif op == "encoding":
            named = b'encoding="%s"' % ENCODINGS[n % len(ENCODINGS)].encode()
            found = _DECLARATION.match(out)
            if found is None:
                out[0:0] = b'<?xml version="1.0" %s?>' % named
            elif _ENCODING.search(found.group()):
                out[: found.end()] = _ENCODING.sub(named, found.group(), count=1)
            else:
                out[found.end() - 2 : found.end() - 2] = b" " + named
        elif op == "json-value":
            found = _pick(list(_JSON_VALUE.finditer(out))[:2000], n)
            if found:
                value = JSON_HOSTILE[(n >> 8) % len(JSON_HOSTILE)].encode()
                out[found.start(2) : found.end(2)] = value
    return bytes(out)
