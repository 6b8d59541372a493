"""Entity references: declarations, bounded expansion, and the keywords they carry.

Provider files declare their own internal entities (`<!ENTITY base.url "http://...">` in
XML, `!base.url: http://...` in .ft) and use the rule keywords `&lo.*;` that the LinkOut
DTD defines. Nothing here reads a file or the network: an entity is only ever a string
from the file itself, and its expansion is bounded in size and depth, so a
"billion laughs" file fails at once instead of filling memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from elinkcli.providerfiles.text import shown

NAME = r"[A-Za-z_][A-Za-z0-9_.:-]*"
REF_RE = re.compile(rf"&(#[0-9]+|#x[0-9A-Fa-f]+|{NAME});")
ESCAPED_KEYWORD_RE = re.compile(r"&amp;(lo\.[A-Za-z0-9_.-]+);")

PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# The DTD's own character entities.
DTD_CHARACTERS = {"reg": "\u00ae", "copy": "\u00a9", "trade": "\u2122"}

MAX_ENTITY_CHARS = 64 * 1024  # one entity, fully expanded
MAX_DEPTH = 16  # entities inside entities
# What the entity references of one file add in all, counted per reference before it is
# expanded: characters, references, and the elements and keywords (nodes) they carry.
# LinkOut files use entities for a base URL or a rule repeated in every Link: 100,000
# Links (a 20 MB file) x 80 characters is 8 MB. Past these, a file is an expansion bomb.
MAX_EXPANSION_CHARS = 8 * 1024 * 1024
MAX_REFERENCES = 500_000
MAX_EXPANDED_NODES = 200_000


class EntityError(Exception):
    """An entity that cannot be expanded (undeclared, recursive, too large, too deep)."""


class ExpansionLimit(EntityError):
    """The file's references expand to too much in all: reading it stops here."""


@dataclass(frozen=True)
class _Size:
    chars: int
    nodes: int  # elements (each '<') and rule keywords in the expansion


@dataclass(frozen=True)
class KeywordRef:
    name: str


Piece = str | KeywordRef


def is_keyword_name(name: str) -> bool:
    return name.startswith("lo.")


_DECIMAL = re.compile("#([0-9]+)")
_HEXADECIMAL = re.compile("#x([0-9A-Fa-f]+)")


def char_code(ref: str) -> int | None:
    """The code point `#38` or `#x26` names (ASCII digits only), or None when it is not
    one: more than 7 digits after the leading zeros is past any code point."""
    m = _HEXADECIMAL.fullmatch(ref) or _DECIMAL.fullmatch(ref)
    if m is None:
        return None
    significant = m.group(1).lstrip("0")
    if len(significant) > 7:
        return None
    return int(significant or "0", 16 if ref.startswith("#x") else 10)


def char_ref(ref: str) -> str | None:
    """The character of `#38` or `#x26`, or None when XML 1.0 has no such character."""
    code = char_code(ref)
    if code is None:
        return None
    valid = (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
    return chr(code) if valid else None


class EntityTable:
    """Declared entities; `expand` gives raw markup pieces and keyword references.

    Pieces keep predefined and character references as written (`&amp;` stays `&amp;`),
    exactly what the entity adds to the document before it is parsed.
    """

    def __init__(self, declared: dict[str, str], refused: frozenset[str] = frozenset()):
        self.declared = declared
        self.refused = refused  # external entities: declared, never read, expand to nothing
        self._sizes: dict[str, _Size] = {}
        self._pieces: dict[str, tuple[Piece, ...]] = {}  # entities referenced from the text
        self.references = 0
        self.chars = 0
        self.nodes = 0
        self.exhausted = False  # a limit was passed (and reported once)

    def __contains__(self, name: str) -> bool:
        return name in self.declared or name in self.refused

    def _size(self, name: str, stack: tuple[str, ...]) -> _Size:
        if name in self._sizes:
            return self._sizes[name]
        if name in stack:
            cycle = " -> ".join(shown(n) for n in (*stack, name))
            raise EntityError(f"entity &{shown(name)}; refers to itself ({cycle})")
        if len(stack) >= MAX_DEPTH:
            raise EntityError(f"entities nested more than {MAX_DEPTH} deep (&{shown(name)};)")
        if name in self.refused:
            return _Size(0, 0)
        if name not in self.declared:
            outer = f" (in entity &{shown(stack[-1])};)" if stack else ""
            raise EntityError(f"undeclared entity &{shown(name)};{outer}")
        value = self.declared[name]
        chars = 0
        nodes = value.count("<")
        last = 0
        for m in REF_RE.finditer(value):
            chars += m.start() - last
            last = m.end()
            ref = m.group(1)
            if ref.startswith("#") or ref in PREDEFINED:
                chars += len(m.group(0))
            elif is_keyword_name(ref):
                chars += len(m.group(0))
                nodes += 1
            elif ref in DTD_CHARACTERS:
                chars += 6
            else:
                inner = self._size(ref, (*stack, name))
                chars += inner.chars
                nodes += inner.nodes
            if chars > MAX_ENTITY_CHARS:
                break
        chars += len(value) - last
        if chars > MAX_ENTITY_CHARS:
            raise EntityError(
                f"entity &{shown(name)}; expands to more than {MAX_ENTITY_CHARS} characters "
                "(an entity expansion bomb?)"
            )
        size = _Size(chars, nodes)
        self._sizes[name] = size
        return size

    def expand(self, name: str) -> tuple[Piece, ...]:
        """The pieces one reference `&name;` in the file stands for; raises EntityError.

        Every call counts against the file's limits (MAX_REFERENCES, MAX_EXPANSION_CHARS,
        MAX_EXPANDED_NODES), before anything is built. The first call past a limit raises
        ExpansionLimit; later calls give nothing, so the limit is reported once.
        """
        if self.exhausted:
            return ()
        try:  # declared, no cycle, not too deep, not too large: checked before building
            size = self._size(name, ())
        except EntityError as exc:
            if str(exc).startswith(f"undeclared entity &{shown(name)};"):
                raise
            raise EntityError(f"&{shown(name)}; cannot be expanded: {exc}") from None
        self.references += 1
        self.chars += size.chars
        self.nodes += size.nodes
        why = None
        if self.chars > MAX_EXPANSION_CHARS:
            why = f"expand to more than {MAX_EXPANSION_CHARS:,} characters in all"
        elif self.nodes > MAX_EXPANDED_NODES:
            why = f"add more than {MAX_EXPANDED_NODES:,} elements and keywords in all"
        elif self.references > MAX_REFERENCES:
            why = f"number more than {MAX_REFERENCES:,}"
        if why is not None:
            self.exhausted = True
            raise ExpansionLimit(
                f"entity references {why} (the limit for one file; an entity expansion bomb?)"
            )
        if name not in self._pieces:
            self._pieces[name] = self._expand(name, {})
        return self._pieces[name]

    def _expand(self, name: str, memo: dict[str, tuple[Piece, ...]]) -> tuple[Piece, ...]:
        # `memo` lives for one top-level expansion: what it holds is bounded by that
        # expansion's size times MAX_DEPTH, and nothing intermediate is kept afterwards.
        if name in memo:
            return memo[name]
        if name in self.refused:
            return ()
        value = self.declared[name]
        pieces: list[Piece] = []
        last = 0
        for m in REF_RE.finditer(value):
            pieces.append(value[last : m.start()])
            last = m.end()
            ref = m.group(1)
            if is_keyword_name(ref):
                pieces.append(KeywordRef(ref))
            elif ref.startswith("#") or ref in PREDEFINED:
                pieces.append(m.group(0))
            elif ref in DTD_CHARACTERS:
                pieces.append(f"&#{ord(DTD_CHARACTERS[ref])};")
            else:
                pieces.extend(self._expand(ref, memo))
        pieces.append(value[last:])
        result = _merged(pieces)
        memo[name] = result
        return result


def _merged(pieces: list[Piece] | tuple[Piece, ...]) -> tuple[Piece, ...]:
    """Adjacent strings joined, empty ones dropped: one string per run of text."""
    out: list[Piece] = []
    run: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            run.append(piece)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(piece)
    if run:
        out.append("".join(run))
    return tuple(p for p in out if p != "")
