"""Text with entity references (.ft values) decoded into plain text and rule keywords."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from elinkcli.providerfiles.entities import (
    DTD_CHARACTERS,
    PREDEFINED,
    REF_RE,
    EntityError,
    EntityTable,
    KeywordRef,
    char_ref,
    is_keyword_name,
)
from elinkcli.providerfiles.model import Keyword, KeywordUse, Modifier, Part, join_parts
from elinkcli.providerfiles.text import shown


@dataclass
class Decoded:
    parts: tuple[Part, ...]
    keywords: list[KeywordUse] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # errors, messages only

    def plain(self) -> str:
        """The text, keywords written back as &lo.x; (for values that are not rules)."""
        return "".join(
            p if isinstance(p, str) else f"&{p.name};"
            for p in self.parts
            if not isinstance(p, Modifier)
        )


def _simple(text: str) -> str:
    """Predefined and character references replaced; anything else stays literal."""

    def one(m: re.Match[str]) -> str:
        ref = m.group(1)
        if ref in PREDEFINED:
            return PREDEFINED[ref]
        if ref.startswith("#"):
            return char_ref(ref) or m.group(0)
        return m.group(0)

    return REF_RE.sub(one, text)


def decode(raw: str, table: EntityTable, line: int) -> Decoded:
    """Decode one .ft value: `&name;` references resolved; a bare `&` is literal."""
    out = Decoded(())
    parts: list[Part] = []
    last = 0
    for m in REF_RE.finditer(raw):
        parts.append(raw[last : m.start()])
        last = m.end()
        ref = m.group(1)
        if ref in PREDEFINED or ref.startswith("#"):
            parts.append(_simple(m.group(0)))
        elif is_keyword_name(ref):
            parts.append(Keyword(ref, line))
            out.keywords.append(KeywordUse(ref, line, None))
        elif ref in DTD_CHARACTERS:
            parts.append(DTD_CHARACTERS[ref])
        elif ref not in table:
            out.problems.append(
                f"undefined entity &{shown(ref)}; (define it in the global block: "
                f"!{shown(ref)}: value)"
            )
        else:
            try:
                pieces = table.expand(ref)
            except EntityError as exc:
                out.problems.append(str(exc))
                continue
            for piece in pieces:
                if isinstance(piece, KeywordRef):
                    parts.append(Keyword(piece.name, line))
                    out.keywords.append(KeywordUse(piece.name, line, None, ref))
                else:
                    parts.append(_simple(piece))
    parts.append(raw[last:])
    out.parts = join_parts(parts)
    return out
