"""The prolog of a LinkOut XML file, read here and not by a parser: the XML declaration,
comments and processing instructions, and the DOCTYPE. Its internal subset's general
entities are collected (their values checked, the keywords written in them noted); the
DTD it names is never fetched, and external entities (SYSTEM/PUBLIC) and parameter
entities are refused and never read.
"""

from __future__ import annotations

import re

from elinkcli.providerfiles.entities import NAME, REF_RE, is_keyword_name
from elinkcli.providerfiles.model import KeywordUse, Problem, error, warning
from elinkcli.providerfiles.text import LineIndex, shown


class Fatal(Exception):
    """Not well-formed at `offset` (in the prolog, or in the body as expat reads it): the
    file is read no further."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


_WS = re.compile(r"\s*")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")


class Prolog:
    """The XML declaration, comments, and the DOCTYPE with its internal subset."""

    def __init__(self, text: str, file: str, lines: LineIndex) -> None:
        self.text, self.file, self.lines = text, file, lines
        self.pos = 0
        self.doctype: str | None = None
        self.declared: dict[str, str] = {}
        self.refused: set[str] = set()
        self.problems: list[Problem] = []
        self.keywords: list[KeywordUse] = []  # written in entity values

    def _problem(self, offset: int, message: str, severity: str = "error") -> None:
        line, col = self.lines.position(offset)
        make = error if severity == "error" else warning
        self.problems.append(make(self.file, line, col, message))

    def _skip_ws(self) -> None:
        # \s* matches at any position (maybe empty): never None.
        self.pos = _WS.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def _until(self, end: str, what: str) -> str:
        stop = self.text.find(end, self.pos)
        if stop < 0:
            raise Fatal(self.pos, f"not well-formed: unterminated {what}")
        chunk = self.text[self.pos : stop]
        self.pos = stop + len(end)
        return chunk

    def _markup_end(self) -> None:
        """Skip to the `>` closing a declaration, quoted strings included."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in "\"'":
                m = _QUOTED.match(self.text, self.pos)
                if not m:
                    raise Fatal(self.pos, "not well-formed: unterminated quoted string")
                self.pos = m.end()
            elif ch == ">":
                self.pos += 1
                return
            else:
                self.pos += 1
        raise Fatal(self.pos, "not well-formed: unterminated declaration")

    def read(self) -> int:
        """Offset where the body (root element) starts."""
        text = self.text
        if text.startswith("<?xml"):
            self._until("?>", "XML declaration")
        while True:
            self._skip_ws()
            if text.startswith("<!--", self.pos):
                self.pos += 4
                self._until("-->", "comment")
            elif text.startswith("<?", self.pos):
                if (
                    text.startswith("<?xml", self.pos)
                    and not text[self.pos + 5 : self.pos + 6].isalnum()
                ):
                    raise Fatal(self.pos, "not well-formed: XML declaration not at the start")
                self._until("?>", "processing instruction")
            elif text.startswith("<!DOCTYPE", self.pos):
                if self.doctype is not None:
                    raise Fatal(self.pos, "not well-formed: a second DOCTYPE")
                self._doctype()
            else:
                return self.pos

    def _doctype(self) -> None:
        text = self.text
        self.pos += len("<!DOCTYPE")
        self._skip_ws()
        m = re.compile(NAME).match(text, self.pos)
        if not m:
            raise Fatal(self.pos, "not well-formed: DOCTYPE without a root element name")
        self.doctype = m.group(0)
        self.pos = m.end()
        self._skip_ws()
        for keyword, literals in (("PUBLIC", 2), ("SYSTEM", 1)):
            if text.startswith(keyword, self.pos):  # the DTD's address: named, never fetched
                self.pos += len(keyword)
                for _ in range(literals):
                    self._skip_ws()
                    q = _QUOTED.match(text, self.pos)
                    if not q:
                        raise Fatal(self.pos, f"not well-formed: {keyword} without its literal")
                    self.pos = q.end()
                self._skip_ws()
        if text.startswith("[", self.pos):
            self.pos += 1
            self._internal_subset()
            self._skip_ws()
        if not text.startswith(">", self.pos):
            raise Fatal(self.pos, "not well-formed: DOCTYPE not closed by '>'")
        self.pos += 1

    def _internal_subset(self) -> None:
        text = self.text
        while True:
            self._skip_ws()
            start = self.pos
            if self.pos >= len(text):
                raise Fatal(start, "not well-formed: DOCTYPE internal subset not closed by ']'")
            if text.startswith("]", start):
                self.pos += 1
                return
            if text.startswith("<!--", start):
                self.pos += 4
                self._until("-->", "comment")
            elif text.startswith("<?", start):
                self._until("?>", "processing instruction")
            elif text.startswith("<!ENTITY", start):
                self.pos += len("<!ENTITY")
                self._entity(start)
            elif text.startswith(("<!ELEMENT", "<!ATTLIST", "<!NOTATION"), start):
                self._markup_end()
                self._problem(
                    start,
                    "declaration in the internal subset ignored: the LinkOut DTD defines "
                    "the elements",
                    "warning",
                )
            elif text.startswith("%", start):
                self._parameter_reference()
                self._problem(start, "parameter entity references are not accepted")
            else:
                raise Fatal(start, "not well-formed: unexpected text in the DOCTYPE")

    def _parameter_reference(self) -> None:
        m = re.compile(rf"%{NAME};").match(self.text, self.pos)
        if not m:
            raise Fatal(self.pos, "not well-formed: '%' in the DOCTYPE")
        self.pos = m.end()

    def _entity(self, start: int) -> None:
        text = self.text
        self._skip_ws()
        if text.startswith("%", self.pos):
            self._markup_end()
            self._problem(start, "parameter entities are refused (declare general entities)")
            return
        m = re.compile(NAME).match(text, self.pos)
        if not m:
            raise Fatal(self.pos, "not well-formed: <!ENTITY without a name")
        name = m.group(0)
        self.pos = m.end()
        self._skip_ws()
        if text.startswith(("SYSTEM", "PUBLIC"), self.pos):
            self._markup_end()
            self.refused.add(name)
            self._problem(
                start,
                f"external entity &{shown(name)}; refused: provider files may declare only "
                "internal entities (it was not read)",
            )
            return
        q = _QUOTED.match(text, self.pos)
        if not q:
            raise Fatal(self.pos, f"not well-formed: entity {shown(name)} without a quoted value")
        value = q.group(0)[1:-1]
        value_start = self.pos + 1
        self.pos = q.end()
        self._skip_ws()
        if not text.startswith(">", self.pos):
            raise Fatal(self.pos, f"not well-formed: <!ENTITY {shown(name)} not closed by '>'")
        self.pos += 1
        if "%" in value:
            self._problem(
                value_start + value.index("%"),
                f"'%' in the value of entity {shown(name)}: write it as &#37; (a parameter entity "
                "reference is not allowed here)",
            )
            value = value.replace("%", "&#37;")
        bare = re.search(r"&(?!#[0-9]+;|#x[0-9A-Fa-f]+;|" + NAME + ";)", value)
        if bare:
            raise Fatal(
                value_start + bare.start(),
                f"not well-formed: '&' in the value of entity {shown(name)} starts no reference "
                "(write &amp;)",
            )
        if name in self.declared or name in self.refused:
            self._problem(
                start, f"entity {shown(name)} declared twice; the first one counts", "warning"
            )
            return
        self.declared[name] = value
        for m in REF_RE.finditer(value):
            if is_keyword_name(m.group(1)):
                line, col = self.lines.position(value_start + m.start())
                self.keywords.append(KeywordUse(m.group(1), line, col))
