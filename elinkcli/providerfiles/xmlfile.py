"""Reading a LinkOut XML file safely, with the line and column of every element.

The file's DOCTYPE is read first, not by a parser (providerfiles.doctype): internal
entities are collected, the DTD it names is never fetched, external entities
(SYSTEM/PUBLIC) and parameter entities are refused and never read. The body then gets its
entity references replaced by their (bounded) expansions, and each rule keyword `&lo.x;`
by a private-use marker that keeps its index in a table, before expat parses it with no
DTD processing at all. A map from the substituted text back to the original keeps
reported lines exact.
"""

from __future__ import annotations

import bisect
import re
import xml.parsers.expat as expat
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import NoReturn

from elinkcli.providerfiles.doctype import Fatal, Prolog
from elinkcli.providerfiles.entities import (
    DTD_CHARACTERS,
    ESCAPED_KEYWORD_RE,
    PREDEFINED,
    REF_RE,
    EntityError,
    EntityTable,
    ExpansionLimit,
    KeywordRef,
    char_code,
    is_keyword_name,
)
from elinkcli.providerfiles.model import KeywordUse, Problem, error
from elinkcli.providerfiles.text import EncodingProblem, LineIndex, decode, shown

_CHAR_REF = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+);")
# Deeper than any LinkOut file (Rule modifiers inside modifiers are a few levels); the
# checks that walk the tree recurse once or twice per level.
MAX_NESTING = 256
_PRIVATE_USE = (range(0xE000, 0xF900), range(0xF0000, 0xFFFFE), range(0x100000, 0x10FFFE))


def _markers(text: str) -> tuple[str, str] | None:
    """Two private-use characters the file does not hold, not even as &#...; references;
    None when fewer than two are left."""
    used = {ord(c) for c in set(text)}
    used.update(code for m in _CHAR_REF.finditer(text) if (code := char_code(m.group(1))))
    free: list[str] = []
    for block in _PRIVATE_USE:
        for code in block:
            if code not in used:
                free.append(chr(code))
                if len(free) == 2:
                    return free[0], free[1]
    return None


@dataclass
class XmlText:
    offset: int  # where expat saw it (XmlDocument.locate gives its line and column)
    parts: list[str] = field(default_factory=list)  # as expat gave them

    @property
    def text(self) -> str:
        """The text, keyword markers inside."""
        return "".join(self.parts)


@dataclass
class XmlNode:
    tag: str
    attrs: dict[str, str]
    line: int
    col: int
    children: list[XmlNode | XmlText] = field(default_factory=list)

    @property
    def position(self) -> tuple[int, int]:
        return self.line, self.col

    def elements(self) -> list[XmlNode]:
        return [c for c in self.children if isinstance(c, XmlNode)]

    def text(self) -> str:
        return "".join(c.text for c in self.children if isinstance(c, XmlText))


@dataclass
class XmlDocument:
    root: XmlNode | None
    doctype: str | None
    entities: dict[str, str]
    keywords: list[KeywordUse]  # index = marker number
    problems: list[Problem]
    declared_keywords: list[KeywordUse] = field(default_factory=list)  # in entity values
    markers: tuple[str, str] = ("\ue000", "\ue001")
    locate: Callable[[int], tuple[int, int]] = lambda offset: (1, 1)

    def marker_re(self) -> re.Pattern[str]:
        opening, closing = self.markers
        return re.compile(f"{re.escape(opening)}([0-9]+){re.escape(closing)}")

    def written_keywords(self) -> list[KeywordUse]:
        """Each keyword where the file writes it: in the body, or in an entity's value."""
        return [k for k in self.keywords if k.via is None] + self.declared_keywords


class _Substituted:
    """The body with references replaced, and the way back to original offsets."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.new_starts = array("q")
        self.orig_starts = array("q")
        self.verbatim = bytearray()
        self.length = 0

    def add(self, chunk: str, orig: int, verbatim: bool) -> None:
        if not chunk:
            return
        self.new_starts.append(self.length)
        self.orig_starts.append(orig)
        self.verbatim.append(verbatim)
        self.chunks.append(chunk)
        self.length += len(chunk)

    def original(self, offset: int) -> int:
        i = bisect.bisect_right(self.new_starts, offset) - 1
        if i < 0:
            return self.orig_starts[0] if self.orig_starts else 0
        if self.verbatim[i]:
            return self.orig_starts[i] + offset - self.new_starts[i]
        return self.orig_starts[i]


class _ByteToChar:
    """Expat reports UTF-8 byte offsets; the substituted text is indexed in characters.

    One checkpoint per block of characters (not one entry per non-ASCII character): a
    lookup encodes at most one block.
    """

    BLOCK = 512

    def __init__(self, text: str) -> None:
        self.ascii = text.isascii()
        self.text = "" if self.ascii else text
        self.starts = array("q")  # byte offset of each block
        if not self.ascii:
            byte = 0
            for start in range(0, len(text), self.BLOCK):
                self.starts.append(byte)
                byte += len(self._encoded(start))

    def _encoded(self, start: int) -> bytes:
        return self.text[start : start + self.BLOCK].encode("utf-8", "surrogatepass")

    def char(self, byte: int) -> int:
        if self.ascii or byte <= 0:
            return byte
        block = max(bisect.bisect_right(self.starts, byte) - 1, 0)
        start = block * self.BLOCK
        head = self._encoded(start)[: byte - self.starts[block]]
        try:
            return start + len(head.decode("utf-8", "surrogatepass"))
        except UnicodeDecodeError:  # an offset inside a character: count the whole ones
            return start + len(head.decode("utf-8", "ignore"))


# An unclosed comment or CDATA section runs to the end (expat reports it): searching for
# its end again from each later `<!--` would take time quadratic in the file's size.
_BODY_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|" + REF_RE.pattern + "|&", re.DOTALL
)


OnRoot = Callable[["XmlDocument", "XmlNode"], "Callable[[XmlNode], None] | None"]


def read_xml(data: bytes, file: str, on_root: OnRoot | None = None) -> XmlDocument:
    """Parse `data`; never raises for bad input: problems say what is wrong.

    `on_root`, called with the document (its root still None) and the root element when
    the root's start tag is parsed, may return a handler: then each element directly in
    the root is passed to it when its end tag is parsed, and is not kept in the tree
    (nor is white space between such elements).
    """
    try:
        text = decode(data, xml=True)
    except EncodingProblem as exc:
        line = data.count(b"\n", 0, exc.offset) + 1
        return XmlDocument(None, None, {}, [], [error(file, line, None, str(exc))])
    lines = LineIndex(text)
    prolog = Prolog(text, file, lines)
    problems = prolog.problems
    keywords: list[KeywordUse] = []

    def at(offset: int) -> tuple[int, int]:
        return lines.position(offset)

    comments = _Comments(text)
    for m in ESCAPED_KEYWORD_RE.finditer(text):
        if comments.inside(m.start()):
            continue
        line, col = at(m.start())
        problems.append(
            error(
                file,
                line,
                col,
                f"escaped keyword &amp;{shown(m.group(1))}; is never substituted "
                f"(write &{shown(m.group(1))};)",
            )
        )
    try:
        body_start = prolog.read()
    except Fatal as fatal:
        line, col = at(fatal.offset)
        problems.append(error(file, line, col, fatal.message))
        return XmlDocument(None, prolog.doctype, prolog.declared, keywords, problems)
    declared_keywords = prolog.keywords
    markers = _markers(text)
    if markers is None:
        problems.append(
            error(
                file,
                1,
                1,
                "the file uses all the private-use characters (U+E000-U+F8FF, planes 15 "
                "and 16), or all but one: elinkcli needs two the file does not use to read it",
            )
        )
        return XmlDocument(None, prolog.doctype, prolog.declared, keywords, problems)
    table = EntityTable(prolog.declared, frozenset(prolog.refused))
    body = _Substituted()
    last = body_start

    def keyword(name: str, orig: int, via: str | None) -> None:
        line, col = at(orig)
        keywords.append(KeywordUse(name, line, col, via))
        body.add(f"{markers[0]}{len(keywords) - 1}{markers[1]}", orig, False)

    for m in _BODY_TOKEN.finditer(text, body_start):
        ref = m.group(1)
        if ref is None or ref.startswith("#") or ref in PREDEFINED:
            continue  # comments, CDATA, bare '&' (expat reports it) and references it knows
        body.add(text[last : m.start()], last, True)
        last = m.end()
        if is_keyword_name(ref):
            keyword(ref, m.start(), None)
        elif ref in DTD_CHARACTERS:
            body.add(f"&#{ord(DTD_CHARACTERS[ref])};", m.start(), False)
        else:
            try:
                pieces = table.expand(ref)
            except ExpansionLimit as exc:
                line, col = at(m.start())
                problems.append(error(file, line, col, str(exc)))
                return XmlDocument(None, prolog.doctype, prolog.declared, keywords, problems)
            except EntityError as exc:
                line, col = at(m.start())
                problems.append(error(file, line, col, str(exc)))
                continue
            for piece in pieces:
                if isinstance(piece, KeywordRef):
                    keyword(piece.name, m.start(), ref)
                else:
                    body.add(piece, m.start(), False)
    body.add(text[last:], last, True)
    del text, comments  # only `lines` and `body` map offsets from now on
    prolog.text = ""
    new_text = "".join(body.chunks)
    body.chunks.clear()
    to_char = _ByteToChar(new_text)
    encoded = new_text.encode("utf-8", "surrogatepass")
    del new_text

    def locate(offset: int) -> tuple[int, int]:
        return at(body.original(to_char.char(offset)))

    doc = XmlDocument(
        None,
        prolog.doctype,
        prolog.declared,
        keywords,
        problems,
        declared_keywords,
        markers,
        locate,
    )
    doc.root = _parse_body(encoded, locate, file, problems, on_root and partial(on_root, doc))
    return doc


class _Comments:
    def __init__(self, text: str) -> None:
        spans = [m.span() for m in re.finditer(r"<!--.*?(?:-->|\Z)", text, re.DOTALL)]
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def inside(self, offset: int) -> bool:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i >= 0 and offset < self.ends[i]


_FEED = 1 << 20  # bytes given to expat at a time, so that it holds no copy of the whole body


def _parse_body(
    encoded: bytes,
    locate: Callable[[int], tuple[int, int]],
    file: str,
    problems: list[Problem],
    on_root: Callable[[XmlNode], Callable[[XmlNode], None] | None] | None = None,
) -> XmlNode | None:
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[XmlNode] = []
    roots: list[XmlNode] = []
    on_child: Callable[[XmlNode], None] | None = None

    def start(tag: str, attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_NESTING:
            raise Fatal(
                parser.CurrentByteIndex,
                f"elements nested more than {MAX_NESTING} deep (<{shown(tag)}>): LinkOut files "
                "are a few levels deep",
            )
        nonlocal on_child
        line, col = locate(parser.CurrentByteIndex)
        node = XmlNode(tag, attrs, line, col)
        if stack:
            siblings = stack[-1].children
            if (
                on_child is not None
                and len(stack) == 1
                and siblings
                and isinstance(siblings[-1], XmlText)
                and not siblings[-1].text.strip()
            ):
                siblings.pop()
            siblings.append(node)
        else:
            roots.append(node)
            if on_root is not None and len(roots) == 1:
                on_child = on_root(node)
        stack.append(node)

    def end(tag: str) -> None:
        node = stack.pop()
        if on_child is not None and len(stack) == 1:
            stack[0].children.pop()
            on_child(node)

    def chars(data: str) -> None:
        if not stack:
            return
        children = stack[-1].children
        last = children[-1] if children else None
        if not isinstance(last, XmlText):
            last = XmlText(parser.CurrentByteIndex)
            children.append(last)
        last.parts.append(data)

    def refuse(*args: object) -> NoReturn:
        raise Fatal(parser.CurrentByteIndex, "DOCTYPE or entity declaration inside the body")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        view = memoryview(encoded)
        for at in range(0, len(encoded), _FEED):
            parser.Parse(view[at : at + _FEED], False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        line, col = locate(parser.ErrorByteIndex)
        reason = expat.ErrorString(exc.code)
        problems.append(error(file, line, col, f"not well-formed: {reason}"))
        return None
    except Fatal as fatal:
        line, col = locate(fatal.offset)
        problems.append(error(file, line, col, fatal.message))
        return None
    except (ValueError, UnicodeError) as exc:
        problems.append(error(file, 1, 1, f"not well-formed: {shown(str(exc))}"))
        return None
    finally:
        # The handlers refer to the parser: a cycle the paused collector would not free.
        parser.StartElementHandler = parser.EndElementHandler = None
        parser.CharacterDataHandler = parser.StartDoctypeDeclHandler = None
        parser.EntityDeclHandler = parser.ExternalEntityRefHandler = None
    return roots[0] if roots else None
