"""Reading an answer's XML safely, a child of the root at a time.

defusedxml's iterparse refuses entity declarations and external references and never
fetches the DTD named in the DOCTYPE. Each child of the root is handed out as soon as it
ends, and its elements are dropped, so memory follows one child (one LinkSet) of the tree;
nesting deeper than MAX_DEPTH, or more than MAX_ELEMENTS elements in one child, is refused.
Every id, name and number is checked as it is read (elinkcli.validate), free text made
inert: a record holds nothing its field may not.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from elinkcli import validate as V
from elinkcli.errors import ResponseParseError, ResponseValueError

# No real answer nests deeper than 8 elements (a DocSum's Items a few more), and none holds
# a million elements in one LinkSet once its plain links are set aside (an ELink answer
# that cannot be read the quick way has three elements a link).
MAX_DEPTH = 32
MAX_ELEMENTS = 1_000_000


def text(el: Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def opt_text(el: Element, tag: str) -> str | None:
    child = el.find(tag)
    return None if child is None else text(child)


def free(el: Element | None, limit: int = V.TEXT_LIMIT) -> str:
    """Free text of an element (a menu, a URL, a provider's name), made inert."""
    return V.text(text(el), limit)


def opt_free(el: Element, tag: str, limit: int = V.TEXT_LIMIT) -> str | None:
    child = el.find(tag)
    return None if child is None else free(child, limit)


def frees(el: Element, tag: str, limit: int = V.TEXT_LIMIT) -> tuple[str, ...]:
    return tuple(free(c, limit) for c in el.iterfind(tag))


def name(el: Element | None, field: str) -> str:
    """A database or link name."""
    return V.name(text(el), field)


def ids(el: Element, tag: str = "Id") -> tuple[str, ...]:
    """Echoed ids: UIDs, NCBI's -1 / 0 for an id it does not know, or accessions."""
    return tuple(V.token(text(c), "an echoed id") for c in el.iterfind(tag))


def error(el: Element) -> str:
    return V.text(text(el), 1000)


def events(data: bytes, root_tag: str) -> Iterator[tuple[str, Element]]:
    """(event, element) pairs of a whole body, with its root checked; parse problems typed."""
    if not data or data.isspace():
        raise ResponseParseError("empty response body")
    try:
        yield from _checked_events(as_utf8(data), root_tag)
    except ParseError as exc:
        raise ResponseParseError(f"response is not well-formed XML ({exc})") from None
    except DefusedXmlException as exc:
        raise ResponseParseError(f"response refused as unsafe XML ({exc})") from None
    except (LookupError, ValueError) as exc:  # an encoding expat has no codec for
        raise ResponseValueError(f"response in an encoding that cannot be read ({exc})") from None


# An XML declaration naming an encoding other than UTF-8: expat decodes such a body itself.
_OTHER_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["'](?!utf-?8["'])""", re.I)


def as_utf8(data: bytes) -> bytes:
    """Some old NCBI answers carry Latin-1 bytes under an XML declaration that names no
    encoding: read them as what they are. Decided before parsing, never halfway through."""
    if data.isascii() or _OTHER_ENCODING.match(data[:300].lstrip(b"\xef\xbb\xbf \t\r\n")):
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8")
    return data


def _checked_events(data: bytes, root_tag: str) -> Iterator[tuple[str, Element]]:
    it = iterparse(io.BytesIO(data), events=("start", "end"))
    event, root = next(it)
    if root.tag != root_tag:
        if root.tag.lower() == "html":
            raise ResponseParseError("NCBI answered with an HTML page, not XML")
        raise ResponseParseError(f"expected <{root_tag}>, got <{root.tag}>")
    yield event, root
    yield from it


def errors_in(el: Element) -> Iterator[str]:
    """The text of every <ERROR> in el's subtree, el included."""
    return (error(e) for e in el.iter("ERROR"))


def children(data: bytes, root_tag: str) -> Iterator[Element]:
    """Each child of the root as soon as it ends (its subtree complete), then dropped."""
    depth = 0
    elements = 0
    ended = 0
    root: Element | None = None
    for event, el in events(data, root_tag):
        if event == "start":
            depth += 1
            if depth == 1:
                root = el
            elif depth > MAX_DEPTH:
                raise ResponseValueError(f"the answer nests elements deeper than {MAX_DEPTH}")
            else:
                elements += 1
                if elements > MAX_ELEMENTS:
                    raise ResponseValueError(
                        f"the answer holds more than {MAX_ELEMENTS:,} elements in one <{el.tag}>"
                        if depth > 2
                        else f"the answer holds more than {MAX_ELEMENTS:,} elements"
                    )
            continue
        depth -= 1
        if depth == 1:
            yield el
            el.clear()
            elements = 0
            # The children that ended are the first of the root's (the parser may have added
            # a few thousand after them already): let go of them a thousand at a time.
            ended += 1
            if ended >= 1000 and root is not None:
                del root[:ended]
                ended = 0
