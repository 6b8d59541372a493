"""Decoding file bytes, and turning offsets into line and column numbers."""

from __future__ import annotations

import bisect
import codecs
import re
from array import array

_ENCODING_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def decode(data: bytes, xml: bool = False) -> str:
    """Text of a file: the XML declaration's encoding, else UTF-8, else Latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", "replace")
    if xml:
        m = _ENCODING_DECL.match(data)
        if m:
            try:
                return data.decode(m.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class LineIndex:
    """Offset -> (line, column), both 1-based."""

    def __init__(self, text: str) -> None:
        self.starts = array("q", [0])  # 8 bytes a line, not a list of int objects
        self.starts.extend(m.end() for m in re.finditer(r"\n", text))

    def position(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1
