"""The neutral model both XML and .ft files parse into, and the problems found on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

Severity = Literal["error", "warning"]


class FileKind(str, Enum):
    identity = "identity"
    xml = "xml"
    ft = "ft"


@dataclass(frozen=True, order=True, slots=True)
class Problem:
    """One finding; `col` is None for .ft lines and for whole-file problems."""

    file: str
    line: int
    col: int | None
    severity: Severity
    message: str

    def format(self) -> str:
        where = f"{self.file}:{self.line}" + (f":{self.col}" if self.col is not None else "")
        return f"{where}: {self.severity}: {self.message}"


def error(file: str, line: int, col: int | None, message: str) -> Problem:
    return Problem(file, line, col, "error", message)


def warning(file: str, line: int, col: int | None, message: str) -> Problem:
    return Problem(file, line, col, "warning", message)


@dataclass(frozen=True, slots=True)
class Value:
    """A text value and where it starts; equality looks at the text only."""

    text: str
    line: int = field(default=0, compare=False)
    col: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Keyword:
    """A rule keyword such as lo.pacc (written &lo.pacc; in the file)."""

    name: str
    line: int = field(default=0, compare=False)
    col: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Modifier:
    """A Rule modifier element (pad, apad, subs, toupper, tolower, strip, normalize)."""

    name: str
    attrs: tuple[tuple[str, str], ...]
    parts: tuple[Part, ...]
    line: int = field(default=0, compare=False)
    col: int | None = field(default=None, compare=False)

    def attr(self, name: str, default: str = "") -> str:
        return dict(self.attrs).get(name, default)


Part = str | Keyword | Modifier


def join_parts(parts: list[Part] | tuple[Part, ...]) -> tuple[Part, ...]:
    """Adjacent strings merged and empty ones dropped, so equal content compares equal."""
    out: list[Part] = []
    run: list[str] = []  # joined once when it ends: adding to a string copies it
    for part in parts:
        if isinstance(part, str):
            run.append(part)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(part)
    if run:
        out.append("".join(run))
    return tuple(p for p in out if p != "")


def keywords_in(parts: tuple[Part, ...] | None) -> list[Keyword]:
    found: list[Keyword] = []
    for part in parts or ():
        if isinstance(part, Keyword):
            found.append(part)
        elif isinstance(part, Modifier):
            found.extend(keywords_in(part.parts))
    return found


@dataclass(frozen=True, slots=True)
class UrlSpec:
    """One ObjectUrl: Base + Rule (or RuleToMany when `separator` is not None)."""

    base: tuple[Part, ...] | None
    rule: tuple[Part, ...] | None
    separator: str | None = None
    name: Value | None = None
    subject_types: tuple[Value, ...] = ()
    attributes: tuple[Value, ...] = ()
    lng: str | None = None
    line: int = field(default=0, compare=False)
    col: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Link:
    link_id: Value
    provider_id: Value
    database: Value
    queries: tuple[Value, ...] = ()
    uids: tuple[Value, ...] = ()
    icon_urls: tuple[Value, ...] = ()
    urls: tuple[UrlSpec, ...] = ()
    sub_provider: Value | None = None
    line: int = field(default=0, compare=False)
    col: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ResourceFile:
    links: tuple[Link, ...]
    entities: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Identity:
    provider_id: Value
    name: Value
    name_abbr: Value
    subject_types: tuple[Value, ...] = ()
    attributes: tuple[Value, ...] = ()
    urls: tuple[Value, ...] = ()
    icon_urls: tuple[Value, ...] = ()
    brief: Value | None = None


@dataclass(frozen=True, slots=True)
class KeywordUse:
    """Where a file names a rule keyword (to check it exists), and in which entity if any."""

    name: str
    line: int
    col: int | None
    via: str | None = None
