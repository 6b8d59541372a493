"""The LinkOut DTD 1.16 as data: content models (as small automata) and attributes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LANGUAGES = ("DA", "DE", "EN", "EL", "ES", "FR", "IT", "IW", "JA", "NL", "NO", "RU", "SV", "ZH")
MODIFIERS = ("pad", "apad", "subs", "toupper", "tolower", "strip", "normalize")

# Element-only content, copied from the DTD.
MODELS = {
    "Provider": "(ProviderId, Name, NameAbbr, SubjectType*, Attribute*, Url*, IconUrl*, Brief?)",
    "LinkSet": "(Link+)",
    "Link": "(LinkId, ProviderId, IconUrl*, (ObjectSelector|SubObjectSelector), ObjectUrl+)",
    "ObjectSelector": "(Database, ObjectList)",
    "ObjectList": "(FileName|Query|ObjId)+",
    "SubObjectSelector": "(Database, SubProvider)",
    "SubProvider": "(NameAbbr, (InclQuery|ExclQuery)*)",
    "ObjectUrl": "(((Base, (Rule|RuleToMany)?) | (Rule|RuleToMany)), UrlName?, "
    "SubjectType*, Attribute*)",
    "RuleToMany": "(Rule, Separator)",
}
TEXT_ONLY = frozenset((  # (#PCDATA)
    "ProviderId", "Name", "NameAbbr", "Url", "IconUrl", "Brief", "LinkId", "Database",
    "FileName", "Query", "ObjId", "InclQuery", "ExclQuery", "Base", "UrlName", "Separator",
    "SubjectType", "Attribute",
))  # fmt: skip
# (#PCDATA | pad | apad | subs | toupper | tolower | strip | normalize)*
MIXED = frozenset(("Rule", *MODIFIERS))


@dataclass(frozen=True)
class AttrSpec:
    required: bool = False
    choices: tuple[str, ...] | None = None
    pad_width: bool = False  # a whole number, at most rules.MAX_PAD_WIDTH


_LNG = AttrSpec(choices=LANGUAGES)
_PAD = {
    "with": AttrSpec(required=True),
    "width": AttrSpec(required=True, pad_width=True),
    "align": AttrSpec(choices=("left", "right")),
}
ATTRIBUTES: dict[str, dict[str, AttrSpec]] = {
    "Url": {"LNG": _LNG},
    "IconUrl": {"LNG": _LNG},
    "ObjectUrl": {"LNG": _LNG},
    "FileName": {"fieldname": AttrSpec(required=True)},
    "pad": _PAD,
    "apad": _PAD,
    "subs": {"for": AttrSpec(required=True), "with": AttrSpec(required=True)},
    "strip": {
        "what": AttrSpec(required=True, choices=("spaces", "letters", "nondigits", "digits"))
    },
}

ELEMENTS = frozenset(MODELS) | TEXT_ONLY | MIXED


# A content model compiled to a position (Glushkov) automaton: each element name in the
# model is a position; `follow` says which positions may come next.
@dataclass
class _Node:
    nullable: bool
    first: frozenset[int]
    last: frozenset[int]


@dataclass
class ContentModel:
    source: str
    symbols: list[str] = field(default_factory=list)
    follow: list[set[int]] = field(default_factory=list)
    first: frozenset[int] = frozenset()
    last: frozenset[int] = frozenset()
    nullable: bool = False

    def check(self, children: list[str]) -> tuple[int, frozenset[str]] | None:
        """None when `children` matches; else (index of the first child that cannot be
        there, or len(children) when more are needed; the names expected at that point)."""
        current: frozenset[int] | None = None  # None: nothing read yet
        for i, name in enumerate(children):
            candidates = self.first if current is None else self._next(current)
            matched = frozenset(p for p in candidates if self.symbols[p] == name)
            if not matched:
                return i, frozenset(self.symbols[p] for p in candidates)
            current = matched
        accepting = self.nullable if current is None else bool(current & self.last)
        if accepting:
            return None
        candidates = self.first if current is None else self._next(current)
        return len(children), frozenset(self.symbols[p] for p in candidates)

    def _next(self, current: frozenset[int]) -> frozenset[int]:
        return frozenset(q for p in current for q in self.follow[p])


_TOKEN = re.compile(r"\s*([A-Za-z_][\w.-]*|[(),|?*+])")


def compile_model(source: str) -> ContentModel:
    tokens = [m.group(1) for m in _TOKEN.finditer(source)]
    model = ContentModel(source)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def atom() -> _Node:
        token = take()
        if token == "(":
            node = alternatives()
            if take() != ")":
                raise ValueError(f"bad content model {source!r}")
        else:
            p = len(model.symbols)
            model.symbols.append(token)
            model.follow.append(set())
            node = _Node(False, frozenset({p}), frozenset({p}))
        quant = peek()
        if quant in ("?", "*", "+"):
            take()
            if quant in ("*", "+"):
                for p in node.last:
                    model.follow[p] |= node.first
            if quant in ("?", "*"):
                node = _Node(True, node.first, node.last)
        return node

    def sequence() -> _Node:
        node = atom()
        while peek() == ",":
            take()
            right = atom()
            for p in node.last:
                model.follow[p] |= right.first
            node = _Node(
                node.nullable and right.nullable,
                node.first | right.first if node.nullable else node.first,
                node.last | right.last if right.nullable else right.last,
            )
        return node

    def alternatives() -> _Node:
        node = sequence()
        while peek() == "|":
            take()
            right = sequence()
            node = _Node(
                node.nullable or right.nullable, node.first | right.first, node.last | right.last
            )
        return node

    root = alternatives()
    if pos != len(tokens):
        raise ValueError(f"bad content model {source!r}")
    model.first, model.last, model.nullable = root.first, root.last, root.nullable
    return model


CONTENT_MODELS = {name: compile_model(source) for name, source in MODELS.items()}
