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

NAME = r"[A-Za-z_][A-Za-z0-9_.:-]*"
REF_RE = re.compile(rf"&(#[0-9]+|#x[0-9A-Fa-f]+|{NAME});")
ESCAPED_KEYWORD_RE = re.compile(r"&amp;(lo\.[A-Za-z0-9_.-]+);")

PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# The DTD's own character entities.
DTD_CHARACTERS = {"reg": "\u00ae", "copy": "\u00a9", "trade": "\u2122"}

MAX_ENTITY_CHARS = 64 * 1024  # one entity, fully expanded
MAX_DEPTH = 16  # entities inside entities
MAX_EXPANSION_CHARS = 32 * 1024 * 1024  # everything the references of one file add


class EntityError(Exception):
    """An entity that cannot be expanded (undeclared, recursive, too large, too deep)."""


@dataclass(frozen=True)
class KeywordRef:
    name: str


Piece = str | KeywordRef


def is_keyword_name(name: str) -> bool:
    return name.startswith("lo.")


def char_ref(ref: str) -> str | None:
    """The character of `#38` or `#x26`, or None when XML 1.0 has no such character."""
    try:
        code = int(ref[2:], 16) if ref.startswith("#x") else int(ref[1:])
    except ValueError:
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
        self._lengths: dict[str, int] = {}
        self._pieces: dict[str, tuple[Piece, ...]] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.declared or name in self.refused

    def _length(self, name: str, stack: tuple[str, ...]) -> int:
        if name in self._lengths:
            return self._lengths[name]
        if name in stack:
            raise EntityError(f"entity &{name}; refers to itself ({' -> '.join((*stack, name))})")
        if len(stack) >= MAX_DEPTH:
            raise EntityError(f"entities nested more than {MAX_DEPTH} deep (&{name};)")
        if name in self.refused:
            return 0
        if name not in self.declared:
            outer = f" (in entity &{stack[-1]};)" if stack else ""
            raise EntityError(f"undeclared entity &{name};{outer}")
        value = self.declared[name]
        total = 0
        last = 0
        for m in REF_RE.finditer(value):
            total += m.start() - last
            last = m.end()
            ref = m.group(1)
            if ref.startswith("#") or ref in PREDEFINED or is_keyword_name(ref):
                total += len(m.group(0))
            elif ref in DTD_CHARACTERS:
                total += 6
            else:
                total += self._length(ref, (*stack, name))
            if total > MAX_ENTITY_CHARS:
                break
        total += len(value) - last
        if total > MAX_ENTITY_CHARS:
            raise EntityError(
                f"entity &{name}; expands to more than {MAX_ENTITY_CHARS} characters "
                "(an entity expansion bomb?)"
            )
        self._lengths[name] = total
        return total

    def expand(self, name: str) -> tuple[Piece, ...]:
        """The pieces `&name;` stands for; raises EntityError."""
        try:  # declared, no cycle, not too deep, not too large: checked before building
            self._length(name, ())
        except EntityError as exc:
            if str(exc).startswith(f"undeclared entity &{name};"):
                raise
            raise EntityError(f"&{name}; cannot be expanded: {exc}") from None
        return self._expand(name)

    def _expand(self, name: str) -> tuple[Piece, ...]:
        if name in self._pieces:
            return self._pieces[name]
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
                pieces.extend(self._expand(ref))
        pieces.append(value[last:])
        result = tuple(p for p in pieces if p != "")
        self._pieces[name] = result
        return result
