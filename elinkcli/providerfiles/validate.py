"""Validation of identity files and XML / Simple Text resource files."""

from __future__ import annotations

import contextlib
import gc
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from elinkcli.providerfiles.ftfile import read_ft
from elinkcli.providerfiles.model import (
    FileKind,
    Identity,
    KeywordUse,
    Link,
    Problem,
    ResourceFile,
    Severity,
    UrlSpec,
    Value,
    error,
    keywords_in,
    warning,
)
from elinkcli.providerfiles.preview import UrlTooLong, url_for
from elinkcli.providerfiles.rules import (
    IDENTITY_FILE_NAME,
    MAX_BRIEF,
    MAX_FT_BYTES,
    MAX_XML_BYTES,
    is_number,
    keywords_for,
    meant_for,
    query_problems,
    resource_name_problem,
    unknown_keyword,
    vocabulary_problem,
)
from elinkcli.providerfiles.text import quoted, shown
from elinkcli.providerfiles.xmlresource import read_resource

_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")


@dataclass(frozen=True)
class SourceFile:
    """A file's bytes, the name shown in reports, and its own file name (None: stdin).

    `size` is the file's size when `data` holds only its first bytes (see read_path);
    `complete` is False when even that is unknown (a stream cut after its limit).
    """

    display: str
    data: bytes
    file_name: str | None = None
    size: int | None = None
    complete: bool = True

    @property
    def total(self) -> int:
        return len(self.data) if self.size is None else self.size


def _read_limit(file_name: str | None) -> int:
    return MAX_FT_BYTES if file_name and file_name.lower().endswith(".ft") else MAX_XML_BYTES


def read_stream(stream: BinaryIO, display: str, file_name: str | None = None) -> SourceFile:
    """At most the size limit + 1 bytes of a stream: enough to refuse a file over it."""
    limit = _read_limit(file_name)
    data = stream.read(limit + 1)
    return SourceFile(display, data, file_name, complete=len(data) <= limit)


def read_path(path: Path) -> SourceFile:
    """A file, read only up to its size limit (+ 1 byte); its real size from fstat.

    A file over the limit is not read whole: parse_file refuses it from its size alone.
    Raises OSError when the file cannot be read.
    """
    with path.open("rb") as stream:
        info = os.fstat(stream.fileno())
        source = read_stream(stream, str(path), path.name)
    if stat.S_ISREG(info.st_mode) and not source.complete:
        return SourceFile(source.display, source.data, source.file_name, info.st_size)
    return source


@dataclass(frozen=True)
class FileReport:
    display: str
    kind: FileKind
    problems: tuple[Problem, ...]
    resource: ResourceFile | None = None
    identity: Identity | None = None
    # A resource file's ProviderIds, for the identity check when its model is not kept.
    provider_ids: tuple[Value, ...] = ()

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)


def detect_kind(data: bytes, file_name: str | None = None) -> FileKind:
    """.ft by its extension; XML by its root element (Provider: identity file)."""
    if file_name is not None and file_name.lower().endswith(".ft"):
        return FileKind.ft
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        for m in _ROOT.finditer(head):
            if m.group(1) not in (b"xml", b"DOCTYPE"):
                return FileKind.identity if m.group(1) == b"Provider" else FileKind.xml
        return FileKind.xml
    if file_name is not None and file_name.lower().endswith(".xml"):
        return FileKind.xml
    return FileKind.ft


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: the model is acyclic, and a 20 MB file makes
    millions of small objects that would trigger full collections for nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_file(source: SourceFile, keep_model: bool = True) -> FileReport:
    """Read one file into the model, with the problems of reading it (no cross-file checks).
    Without `keep_model`, a .ft file's Links are checked as each is read and not kept."""
    with _collector_paused():
        return _parse_file(source, keep_model)


def _parse_file(source: SourceFile, keep_model: bool = True) -> FileReport:
    kind = detect_kind(source.data, source.file_name)
    name = source.display
    problems: list[Problem] = []
    limit = MAX_FT_BYTES if kind is FileKind.ft else MAX_XML_BYTES
    if source.total > limit or not source.complete:
        # Refused from its size alone, before anything is parsed.
        size = (
            f"{source.total:,} bytes"
            if source.complete or source.size
            else (f"more than {limit:,} bytes")
        )
        what = ".ft" if kind is FileKind.ft else "XML"
        message = f"file is {size}; the limit for {what} files is {limit // (1024 * 1024)} MB"
        return FileReport(name, kind, (error(name, 1, None, message),))
    keywords: Sequence[KeywordUse]
    resource: ResourceFile | None
    checker = LinkChecker(name)
    if kind is FileKind.ft:
        result = read_ft(source.data, name, on_link=None if keep_model else checker.check)
        problems.extend(result.problems)
        resource, identity, keywords = result.resource, None, result.keywords
        if not keep_model:
            resource = None
    else:
        doc, model, found = read_resource(
            source.data, name, on_link=None if keep_model else checker.check
        )
        problems.extend(doc.problems)
        problems.extend(found)
        keywords = doc.written_keywords()
        resource = model if isinstance(model, ResourceFile) else None
        identity = model if isinstance(model, Identity) else None
        if identity is not None:
            kind = FileKind.identity
    for use in keywords:
        why = unknown_keyword(use.name)
        if why:
            problems.append(error(name, use.line, use.col, why))
    problems.extend(_name_problems(source, kind))
    if resource is not None:
        for link in resource.links:
            checker.check(link)
    problems.extend(checker.problems)
    if identity is not None:
        problems.extend(check_identity(identity, name))
    return FileReport(
        name, kind, _sorted(problems), resource, identity, tuple(checker.provider_ids)
    )


def _sorted(problems: list[Problem]) -> tuple[Problem, ...]:
    unique = dict.fromkeys(problems)
    return tuple(sorted(unique, key=lambda p: (p.line, p.col or 0)))


def _name_problems(source: SourceFile, kind: FileKind) -> list[Problem]:
    file_name = source.file_name
    if file_name is None:
        return []
    if kind is FileKind.identity:
        if file_name != IDENTITY_FILE_NAME:
            return [
                error(
                    source.display,
                    1,
                    None,
                    f"an identity file (root <Provider>) must be named exactly "
                    f"{IDENTITY_FILE_NAME} (case-sensitive), not {quoted(file_name)}",
                )
            ]
        return []
    if file_name == IDENTITY_FILE_NAME:
        return [
            error(
                source.display,
                1,
                None,
                f"{IDENTITY_FILE_NAME} is the identity file: its root must be <Provider>",
            )
        ]
    why = resource_name_problem(file_name, ".ft" if kind is FileKind.ft else ".xml")
    return [warning(source.display, 1, None, why)] if why else []


def _at(name: str, value: Value, severity: Severity, message: str) -> Problem:
    return Problem(name, value.line, value.col, severity, message)


def _vocabulary(name: str, kind: str, values: Sequence[Value]) -> list[Problem]:
    found = []
    for value in values:
        why = vocabulary_problem(kind, value.text)
        if why:
            found.append(_at(name, value, "warning", why))
    return found


def _not_reported(problems: list[Problem], reported: set[Problem]) -> list[Problem]:
    """The problems not reported yet (a .ft file's global values are in every link)."""
    fresh = [p for p in problems if p not in reported]
    reported.update(fresh)
    return fresh


SAMPLE = "1"


def _url_problem(spec: UrlSpec) -> str | None:
    sample = {k.name: [SAMPLE] for k in keywords_in(spec.base) + keywords_in(spec.rule)}
    url = url_for(spec, sample)  # UrlTooLong goes to the caller: an error, not a warning
    if any(c.isspace() for c in url):
        return f"Base + Rule {quoted(url)} holds white space: LinkOut joins them as they are"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # a bad [IPv6] host, a bad port
        return f"Base + Rule {quoted(url)} is not a valid URL ({shown(str(exc))})"
    if parts.scheme.lower() not in ("http", "https") or not host:
        return f"Base + Rule {quoted(url)} is not an absolute http(s) URL"
    return None


def check_resource(resource: ResourceFile, name: str) -> list[Problem]:
    """The checks XML and .ft resource files share, on the neutral model."""
    checker = LinkChecker(name)
    for link in resource.links:
        checker.check(link)
    return checker.problems


class LinkChecker:
    """check_resource one Link at a time (LinkIds seen so far kept for duplicates), so a
    file's Links can be checked as they are read and not kept."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.seen: dict[str, Value] = {}
        self.provider_ids: list[Value] = []
        self.reported: set[Problem] = set()  # vocabulary warnings so far

    def check(self, link: Link) -> None:
        name, problems, seen = self.name, self.problems, self.seen
        self.provider_ids.append(link.provider_id)
        link_id = link.link_id
        if link_id.text in seen:
            first = seen[link_id.text]
            problems.append(
                _at(
                    name,
                    link_id,
                    "error",
                    f"duplicate LinkId {shown(link_id.text)} (first on line {first.line})",
                )
            )
        elif link_id.text:
            seen[link_id.text] = link_id
        if link.provider_id.text and not is_number(link.provider_id.text):
            problems.append(
                _at(
                    name,
                    link.provider_id,
                    "error",
                    f"ProviderId {quoted(link.provider_id.text)} is not a number",
                )
            )
        for query in link.queries:
            for problem in query_problems(query.text):
                problems.append(_at(name, query, "warning", problem))
        for uid in link.uids:
            if not is_number(uid.text):
                problems.append(
                    _at(name, uid, "warning", f"UID {quoted(uid.text)} is not a number")
                )
        allowed = keywords_for(link.database.text)
        for spec in link.urls:
            for keyword in keywords_in(spec.base) + keywords_in(spec.rule):
                if keyword.name not in allowed and unknown_keyword(keyword.name) is None:
                    problems.append(
                        Problem(
                            name,
                            keyword.line,
                            keyword.col,
                            "warning",
                            f"&{keyword.name}; is meant for {meant_for(keyword.name)}, not "
                            f"{shown(link.database.text) or 'this database'}",
                        )
                    )
            for kind, values in (
                ("SubjectType", spec.subject_types),
                ("Attribute", spec.attributes),
            ):
                problems.extend(_not_reported(_vocabulary(name, kind, values), self.reported))
            if spec.base is not None or spec.rule is not None:
                try:
                    why = _url_problem(spec)
                except UrlTooLong as exc:
                    problems.append(Problem(name, spec.line, spec.col, "error", str(exc)))
                    continue
                if why:
                    problems.append(Problem(name, spec.line, spec.col, "warning", why))


def check_identity(identity: Identity, name: str) -> list[Problem]:
    problems: list[Problem] = []
    pid, abbr, brief = identity.provider_id, identity.name_abbr, identity.brief
    if pid.text and not is_number(pid.text):
        problems.append(_at(name, pid, "error", f"ProviderId {quoted(pid.text)} is not a number"))
    if abbr.text and not (abbr.text.isascii() and abbr.text.isalnum()):
        problems.append(
            _at(
                name,
                abbr,
                "error",
                f"NameAbbr {quoted(abbr.text)} may hold only letters and digits (one word, "
                "no spaces or hyphens)",
            )
        )
    if brief is not None and len(brief.text) > MAX_BRIEF:
        problems.append(
            _at(name, brief, "error", f"Brief is {len(brief.text)} characters; at most {MAX_BRIEF}")
        )
    problems.extend(_vocabulary(name, "SubjectType", identity.subject_types))
    problems.extend(_vocabulary(name, "Attribute", identity.attributes))
    return problems


def check_against_identity(report: FileReport, identity: Identity) -> list[Problem]:
    """ProviderIds of a resource file that differ from the identity file's."""
    if report.resource is None:
        return []
    return _provider_id_problems(report.display, _provider_ids(report), identity)


def _provider_ids(report: FileReport) -> tuple[Value, ...]:
    return report.provider_ids


def _provider_id_problems(
    display: str, provider_ids: Sequence[Value], identity: Identity
) -> list[Problem]:
    if not identity.provider_id.text:
        return []
    expected = identity.provider_id.text
    return [
        _at(
            display,
            pid,
            "error",
            f"ProviderId {shown(pid.text)} differs from {shown(expected)} in the identity file",
        )
        for pid in provider_ids
        if pid.text != expected and is_number(pid.text)
    ]


def validate(sources: Iterable[SourceFile], keep_models: bool = True) -> list[FileReport]:
    """Every file checked; resource files also against the first identity file given.
    Without `keep_models`, each file's model is dropped once it is checked (only its
    ProviderIds are kept for the identity check), so memory follows the largest file."""
    reports: list[FileReport] = []
    provider_ids: list[tuple[Value, ...]] = []
    for source in sources:
        report = parse_file(source, keep_model=keep_models)
        provider_ids.append(_provider_ids(report))
        if not keep_models:
            report = replace(report, resource=None, provider_ids=())
        reports.append(report)
    identity = next((r.identity for r in reports if r.identity is not None), None)
    if identity is None:
        return reports
    return [
        replace(
            r, problems=_sorted([*r.problems, *_provider_id_problems(r.display, pids, identity)])
        )
        for r, pids in zip(reports, provider_ids, strict=True)
    ]


def validate_bytes(
    data: bytes, file_name: str | None = None, display: str | None = None
) -> FileReport:
    """One file on its own (no identity file to compare with)."""
    return parse_file(SourceFile(display or file_name or "-", data, file_name))
