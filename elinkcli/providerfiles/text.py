"""Decoding file bytes, turning offsets into line and column numbers, and quoting file text."""

from __future__ import annotations

import bisect
import codecs
import re
from array import array

from elinkcli.inert import escape

_ENCODING_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# Codecs Python counts as text encodings that no document is written in.
_NOT_DOCUMENT_ENCODINGS = frozenset(
    ("punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined", "charmap")
)
MAX_SHOWN = 80  # characters of file text quoted in one message


class EncodingProblem(ValueError):
    """The encoding an XML declaration names cannot read the file."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset  # in the file's bytes


def decode(data: bytes, xml: bool = False) -> str:
    """Text of a file: the XML declaration's encoding, else UTF-8, else Latin-1.

    Raises EncodingProblem when the declaration names an encoding that is unknown, not
    one documents are written in, or that the bytes are not valid in.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", "replace")
    if xml:
        m = _ENCODING_DECL.match(data)
        if m:
            return _declared(data, m.group(1).decode("ascii"), m.start(1))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _declared(data: bytes, name: str, offset: int) -> str:
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise EncodingProblem(
            f"the XML declaration names encoding {quoted(name)}, which is not known",
            offset,
        ) from None
    if not info._is_text_encoding or info.name in _NOT_DOCUMENT_ENCODINGS:
        raise EncodingProblem(
            f"the XML declaration names encoding {quoted(name)}, which is not a text "
            "encoding (use UTF-8)",
            offset,
        )
    try:
        return data.decode(info.name)
    except UnicodeDecodeError as exc:
        raise EncodingProblem(
            f"byte {exc.start + 1:,} is not valid {shown(name)} (the encoding the XML "
            "declaration names)",
            exc.start,
        ) from None
    except Exception as exc:  # a codec may raise anything on hostile bytes
        raise EncodingProblem(
            f"the file cannot be read as {shown(name)} (the encoding the XML declaration "
            f"names): {shown(str(exc))}",
            offset,
        ) from None


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """File text for a one-line message: control, bidi and line-separator characters
    escaped as elinkcli.inert escapes all outside text (\\n, \\x1b, \\u202e), and at most
    `limit` characters of it, then `…`."""
    head = escape(text[:limit])
    return head + "…" if len(text) > limit else head


def quoted(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` as repr() quotes it (which escapes what is not printable), cut like shown."""
    return repr(text[:limit]) + ("…" if len(text) > limit else "")


class LineIndex:
    """Offset -> (line, column), both 1-based."""

    def __init__(self, text: str) -> None:
        self.starts = array("q", [0])  # 8 bytes a line, not a list of int objects
        self.starts.extend(m.end() for m in re.finditer(r"\n", text))

    def position(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1
