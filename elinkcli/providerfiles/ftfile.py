"""Simple Text (.ft) resource files: `keyword: value` lines in dash-separated blocks.

The first block is global (prid, dbase, stype, attr, `!name: value` entities); each
following block is one link. Lines mangled by PDF extraction (two fields on one line, a
separator glued to a value, a value wrapped onto the next line) are reported on their
line, and split the way they were meant so the rest of the file is still checked.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from elinkcli.providerfiles.entities import (
    ESCAPED_KEYWORD_RE,
    NAME,
    REF_RE,
    EntityTable,
    char_ref,
    is_keyword_name,
)
from elinkcli.providerfiles.model import (
    KeywordUse,
    Link,
    Problem,
    ResourceFile,
    UrlSpec,
    Value,
    error,
)
from elinkcli.providerfiles.refs import Decoded, decode
from elinkcli.providerfiles.rules import MAX_GLOBAL_VALUES
from elinkcli.providerfiles.text import decode as decode_bytes
from elinkcli.providerfiles.text import quoted, shown

GLOBAL_FIELDS = ("prid", "dbase", "stype", "attr")
LINK_FIELDS = ("linkid", "query", "uids", "base", "rule", "name", "icon", "stype", "attr")
FIELDS = frozenset(GLOBAL_FIELDS + LINK_FIELDS)
SINGLE = frozenset(("prid", "dbase", "linkid", "base", "rule", "name"))

_FIELD = re.compile(r"(?P<key>!?[A-Za-z_][\w.-]*)[ \t]*:(?P<value>.*)\Z", re.DOTALL)
_GLUED_KEY = re.compile(r"(" + "|".join(sorted(FIELDS)) + r"):(?=\s|\Z)")
_ENTITY_NAME = re.compile(NAME)
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class FtField:
    key: str  # lower-case field name, or "!name" for an entity definition
    value: str  # as written (entity references not resolved), stripped
    line: int


@dataclass(frozen=True)
class FtDocument:
    global_fields: tuple[FtField, ...]
    links: tuple[tuple[FtField, ...], ...]

    @property
    def entities(self) -> tuple[FtField, ...]:
        return tuple(f for f in self.global_fields if f.key.startswith("!"))

    def first(self, key: str) -> FtField | None:
        return next((f for f in self.global_fields if f.key == key), None)

    def entity_values(self) -> dict[str, str]:
        """The first definition of each entity, one pair of surrounding quotes removed."""
        values: dict[str, str] = {}
        for f in self.entities:
            value = f.value
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values.setdefault(f.key[1:], value)
        return values


@dataclass(frozen=True)
class FtResult:
    document: FtDocument
    resource: ResourceFile
    keywords: tuple[KeywordUse, ...]
    problems: tuple[Problem, ...]


def _glued_keywords(value: str) -> list[re.Match[str]]:
    """Field names run into a value: `...[orgn]base:`, `...intro.htmlname:   Honey`.

    One pass: white space follows each match, so the word before a match starts after
    the one before it, and each stretch of the value is looked at once.
    """
    found: list[re.Match[str]] = []
    after = 0  # where the previous match ended
    for m in _GLUED_KEY.finditer(value):
        if not value[m.start() - 1 : m.start()].isalpha():
            found.append(m)
        else:
            last_word = value[after : m.start()].rsplit(None, 1)[-1]
            if "/" in last_word or "." in last_word:  # a URL running into it
                found.append(m)
        after = m.end()
    return found


def _glued_separator(value: str) -> int | None:
    """Where a `---` separator glued to the end of `value` starts (white space before it
    included), or None."""
    stripped = value.rstrip()
    before = stripped.rstrip("-")
    if len(stripped) - len(before) < 3:
        return None
    return len(before.rstrip())


def _is_field(line: str) -> bool:
    m = _FIELD.match(line.strip())
    return m is not None and (m.group("key").lower() in FIELDS or m.group("key").startswith("!"))


class _Lines:
    def __init__(self, text: str, file: str) -> None:
        self.lines = [line.rstrip("\r") for line in text.split("\n")]
        self.file = file
        self.problems: list[Problem] = []
        self.block: list[FtField] = []
        self.opened_at: int | None = None  # the '-' line before the block being read

    def err(self, line: int, message: str) -> None:
        self.problems.append(error(self.file, line, None, message))

    def close_block(self, line: int) -> tuple[list[FtField], int | None] | None:
        """The block read so far, if any (a new one begins after `line`)."""
        if not self.block:
            return None
        done = (self.block, self.opened_at)
        self.block, self.opened_at = [], line
        return done

    def read(self) -> Iterator[tuple[list[FtField], int | None]]:
        """Each block (its fields, and the '-' line before it), as it ends."""
        i = 0
        previous: FtField | None = None
        while i < len(self.lines):
            number, text = i + 1, self.lines[i].strip()
            i += 1
            if not text:
                continue
            if text.startswith("-"):
                if done := self.close_block(number):
                    yield done
                previous = None
                continue
            bad = _NOT_XML_CHAR.search(text)
            if bad:
                self.err(
                    number,
                    f"character U+{ord(bad.group(0)):04X} is not allowed in LinkOut files "
                    "(XML 1.0 has no place for it)",
                )
            for ref in REF_RE.finditer(text):
                if ref.group(1).startswith("#") and char_ref(ref.group(1)) is None:
                    self.err(number, f"{shown(ref.group(0))} is not a character XML allows")
            for ref in ESCAPED_KEYWORD_RE.finditer(text):
                self.err(
                    number,
                    f"escaped keyword &amp;{shown(ref.group(1))}; is never substituted "
                    f"(write &{shown(ref.group(1))};)",
                )
            m = _FIELD.match(text)
            if m is None or not (
                m.group("key").lower() in FIELDS or m.group("key").startswith("!")
            ):
                if m is not None:
                    self.err(number, f"unknown field {shown(m.group('key'))}:")
                else:
                    after = (
                        f" (a piece of the {shown(previous.key)}: value on line {previous.line}?)"
                        if previous and previous.line == number - 1
                        else ""
                    )
                    self.err(number, f"no 'field: value' on this line{after}")
                previous = None
                continue
            fields, glued_separator, i = self._split(number, m, i)
            self.block.extend(fields)
            previous = fields[-1]
            if glued_separator:
                if done := self.close_block(number):
                    yield done
                previous = None
        self.lines = []
        if done := self.close_block(len(self.lines)):
            yield done

    def _split(self, number: int, m: re.Match[str], i: int) -> tuple[list[FtField], bool, int]:
        key = m.group("key")
        key = key if key.startswith("!") else key.lower()
        whole = m.group("value")
        fields: list[FtField] = []
        glued_separator = False
        glued_message = None
        start = 0
        for glued in _glued_keywords(whole):
            fields.append(FtField(key, whole[start : glued.start()].strip(), number))
            glued_message = (
                f"fields run together: '{glued.group(1)}:' is glued to the {shown(key)}: "
                "value; put each field on a line of its own"
            )
            self.err(number, glued_message)
            key, start = glued.group(1), glued.end()
        value = whole[start:]
        del whole
        separator = _glued_separator(value)
        if separator is not None and value[:separator].strip():
            self.err(
                number,
                "fields run together: a '---' separator is glued to the end of the "
                f"{shown(key)}: value; put it on a line of its own",
            )
            value = value[:separator]
            glued_separator = True
        value = value.strip()
        if not value and not glued_separator and i < len(self.lines):
            following = self.lines[i].strip()
            if following and not following.startswith("-") and not _is_field(following):
                value = following
                i += 1
                if glued_message is None:
                    self.err(number, f"the {shown(key)}: value is on the next line (line {i})")
                else:  # the glued field's value went to the next line with the PDF's wrap
                    self.problems[-1] = error(
                        self.file, number, None, f"{glued_message} (its value is on line {i})"
                    )
        # Values repeat from block to block (a name, &base;, a rule): one string for each.
        fields.append(FtField(key, sys.intern(value), number))
        return fields, glued_separator, i


def _blocks(
    blocks: Iterable[tuple[list[FtField], int | None]], lines: _Lines
) -> Iterator[tuple[FtField, ...]]:
    """The global block's fields first (() when the file has no block), then each link's
    fields once the link can grow no more: a block that starts without linkid after an
    unfinished link continues that link."""
    global_fields: list[FtField] = []
    pending: list[FtField] | None = None  # the last link, still open
    # The keys and the linkid of `pending`, kept as it grows: a link continued by many
    # blocks is not read again for each.
    keys: set[str] = set()
    linkid = "?"
    ready: list[tuple[FtField, ...]] = []
    started = False
    for index, (block, opened_at) in enumerate(blocks):
        current: list[FtField] | None = None
        if index > 0 and block[0].key != "linkid" and pending and not _complete(keys):
            # A comment line inside a link's block: '-' lines end blocks.
            lines.err(
                opened_at or block[0].line,
                "a line starting with '-' ends a block: it splits the block of linkid "
                f"{shown(linkid)} (comments go between blocks)",
            )
            current = pending
        for f in block:
            in_global = index == 0 and current is None
            if f.key == "linkid" or (current is None and not in_global):
                if f.key == "linkid" and (
                    (in_global and global_fields) or (current is not None and "linkid" in keys)
                ):
                    lines.err(
                        f.line, "a block holds one link: a separator line is missing before linkid:"
                    )
                if pending is not None:
                    ready.append(tuple(pending))
                current = pending = []
                keys, linkid = set(), "?"
            if in_global and f.key != "linkid":
                global_fields.append(f)
            else:
                assert current is not None
                current.append(f)
                if f.key == "linkid" and "linkid" not in keys:
                    linkid = f.value
                keys.add(f.key)
        if not started:
            started = True
            yield tuple(global_fields)
        yield from ready
        ready.clear()
    if not started:
        yield ()
    if pending is not None:
        yield tuple(pending)


def _complete(keys: set[str]) -> bool:
    return "linkid" in keys and bool(keys & {"query", "uids"}) and bool(keys & {"base", "rule"})


def _has(fields: list[FtField] | tuple[FtField, ...], key: str) -> bool:
    return any(f.key == key for f in fields)


def parse_document(text: str, file: str) -> tuple[FtDocument, list[Problem]]:
    """The blocks and fields of a .ft text; problems for lines that are not fields."""
    lines = _Lines(text, file)
    parts = _blocks(lines.read(), lines)
    global_fields = next(parts)
    return FtDocument(global_fields, tuple(parts)), lines.problems


def read_ft(
    data: bytes | str, file: str, on_link: Callable[[Link], None] | None = None
) -> FtResult:
    """Parse and check the structure of a .ft file; never raises for bad input. With
    `on_link`, each Link goes there as it is made and is not kept in the resource."""
    text = data if isinstance(data, str) else decode_bytes(data)
    lines = _Lines(text, file)
    del text  # the lines hold what is needed
    parts = _blocks(lines.read(), lines)
    global_fields = next(parts)
    # Problems of reading lines and of checking links go to one list, in the order made.
    problems = lines.problems
    blocks: Iterable[tuple[FtField, ...]] = parts if on_link else tuple(parts)
    document = FtDocument(global_fields, () if on_link else tuple(blocks))
    keywords: list[KeywordUse] = []

    def err(line: int, message: str) -> None:
        problems.append(error(file, line, None, message))

    declared = document.entity_values()
    seen: set[str] = set()
    for f in document.global_fields:
        if f.key.startswith("!"):
            name = f.key[1:]
            if not _ENTITY_NAME.fullmatch(name):
                err(f.line, f"bad entity name {quoted(name)}")
            elif name in seen:
                err(f.line, f"entity {shown(name)} defined twice")
            seen.add(name)
        elif f.key not in GLOBAL_FIELDS:
            err(f.line, f"{f.key}: belongs in a link block, not in the global (first) block")
    table = EntityTable(declared)

    for f in document.entities:
        keywords.extend(
            KeywordUse(m.group(1), f.line, None)
            for m in REF_RE.finditer(f.value)
            if is_keyword_name(m.group(1))
        )

    def dec(f: FtField) -> Decoded:
        decoded = decode(f.value, table, f.line)
        keywords.extend(k for k in decoded.keywords if k.via is None)
        for message in decoded.problems:
            err(f.line, message)
        return decoded

    def text_value(f: FtField) -> Value:
        return Value(sys.intern(dec(f).plain().strip()), f.line)

    first_line = document.global_fields[0].line if document.global_fields else 1
    for key in ("prid", "dbase"):
        found = [f for f in document.global_fields if f.key == key]
        if not found:
            err(first_line, f"the global (first) block has no {key}: line")
        for extra in found[1:]:
            err(extra.line, f"a second {key}: line in the global block")
    prid = document.first("prid")
    dbase = document.first("dbase")
    provider_id = text_value(prid) if prid else Value("", first_line)
    database = text_value(dbase) if dbase else Value("", first_line)

    def shared(key: str) -> tuple[Value, ...]:
        """The global block's distinct `key` values, which every link carries."""
        found: dict[Value, None] = {}
        for f in document.global_fields:
            if f.key != key:
                continue
            value = text_value(f)
            if value in found:
                continue
            if len(found) == MAX_GLOBAL_VALUES:
                err(
                    f.line,
                    f"more than {MAX_GLOBAL_VALUES} different {key}: values in the global "
                    "block (every link carries them all); this one and later ones are left out",
                )
                return tuple(found)
            found[value] = None
        return tuple(found)

    global_stypes = shared("stype")
    global_attrs = shared("attr")

    links: list[Link] = []
    n_links = 0
    for block in blocks:
        n_links += 1
        start = block[0].line
        for f in block:
            if f.key.startswith("!"):
                err(f.line, "entity definitions (!name: value) belong in the global block")
            elif f.key not in LINK_FIELDS:
                err(f.line, f"{f.key}: belongs in the global (first) block")
        for key in SINGLE & set(LINK_FIELDS):
            for extra in [f for f in block if f.key == key][1:]:
                err(extra.line, f"a second {key}: line in one link block")
        if not _has(block, "linkid"):
            err(start, "link block without linkid:")
        queries = [f for f in block if f.key == "query"]
        uid_lines = [f for f in block if f.key == "uids"]
        if not queries and not uid_lines:
            err(start, "link block selects no records: add query: or uids: lines")
        elif queries and uid_lines:
            later = max(queries[0], uid_lines[0], key=lambda f: f.line)
            err(later.line, "link block mixes query: and uids: (use one or the other)")
        base = next((f for f in block if f.key == "base"), None)
        rule = next((f for f in block if f.key == "rule"), None)
        if base is None and rule is None:
            err(start, "link block has no base: or rule: line")
        for f in block:
            if f.key != "uids" and not f.value:
                err(f.line, f"empty {shown(f.key)}: value")
        linkid = next((f for f in block if f.key == "linkid"), None)
        name_field = next((f for f in block if f.key == "name"), None)
        url_start = base or rule or block[0]
        url = UrlSpec(
            base=None if base is None else dec(base).parts,
            rule=None if rule is None else dec(rule).parts,
            name=None if name_field is None else text_value(name_field),
            subject_types=_merged(
                global_stypes, [text_value(f) for f in block if f.key == "stype"]
            ),
            attributes=_merged(global_attrs, [text_value(f) for f in block if f.key == "attr"]),
            line=url_start.line,
        )
        made = Link(
            link_id=text_value(linkid) if linkid else Value("", start),
            provider_id=provider_id,
            database=database,
            queries=tuple(text_value(f) for f in queries),
            uids=tuple(Value(uid, f.line) for f in uid_lines for uid in f.value.split()),
            icon_urls=tuple(text_value(f) for f in block if f.key == "icon"),
            urls=(url,),
            line=start,
        )
        if on_link is None:
            links.append(made)
        else:
            on_link(made)
    if not n_links:
        err(first_line, "no link block: after the global block, each link is a block with linkid:")
    resource = ResourceFile(tuple(links), tuple(declared.items()))
    return FtResult(document, resource, tuple(keywords), tuple(problems))


def _merged(first: tuple[Value, ...], second: list[Value]) -> tuple[Value, ...]:
    """`first` then the values of `second` it lacks; `first` itself when that is all."""
    return tuple(dict.fromkeys((*first, *second))) if second else first
