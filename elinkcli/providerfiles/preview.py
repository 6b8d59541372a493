"""The URLs a rule makes for a record: keywords replaced, modifiers applied.

Modifiers follow the DTD comments: pad/apad (with, width, align=right: the text is
right-aligned, padded on the left; apad keeps leading letters in front: E32 -> E00032),
subs (for, with), toupper, tolower, strip (what=spaces|letters|nondigits|digits) and
normalize (volume/issue: "10 Suppl 2 Pt 1" -> "10"). Inner modifiers apply first.
A keyword may have several values (lo.auth=a, lo.auth=b): a RuleToMany makes its Rule
once per value and joins them with its Separator; a plain Rule takes the first value.
A pad is at most MAX_PAD_WIDTH wide, and no URL is made longer than MAX_URL_CHARS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from elinkcli.errors import ElinkError, UsageError
from elinkcli.providerfiles.model import Keyword, Modifier, Part, ResourceFile, UrlSpec
from elinkcli.providerfiles.rules import MAX_URL_CHARS, pad_width, unknown_keyword
from elinkcli.providerfiles.text import shown

Values = Mapping[str, Sequence[str]]

_DIGIT = re.compile("[0-9]")
_STRIPPED = {
    "spaces": re.compile(r"\s+"),
    "letters": re.compile(r"[^\W\d_]+"),
    "nondigits": re.compile("[^0-9]+"),
    "digits": re.compile("[0-9]+"),
}


class UrlTooLong(ElinkError):
    """A rule (or the values given) makes a URL longer than MAX_URL_CHARS."""


def _too_long() -> UrlTooLong:
    return UrlTooLong(
        f"Base + Rule make a URL of more than {MAX_URL_CHARS:,} characters "
        "(web servers refuse URLs over 8 KB)"
    )


def normalize(text: str) -> str:
    """The volume or issue number itself: the first token holding a digit."""
    tokens = [t for t in re.split(r"[\s/]+", text.strip()) if t]
    return next((t for t in tokens if _DIGIT.search(t)), tokens[0] if tokens else "")


def _padded(text: str, fill: str, width: int, align: str) -> str:
    missing = width - len(text)
    if missing <= 0:
        return text
    padding = (fill * (missing // len(fill) + 1))[:missing]
    return text + padding if align == "left" else padding + text


def apply_modifier(name: str, attrs: Mapping[str, str], text: str) -> str:
    if name == "toupper":
        return text.upper()
    if name == "tolower":
        return text.lower()
    if name == "normalize":
        return normalize(text)
    if name == "subs":
        old, new = attrs.get("for", ""), attrs.get("with", "")
        if not old:
            return text
        if len(text) + text.count(old) * (len(new) - len(old)) > MAX_URL_CHARS:
            raise _too_long()
        return text.replace(old, new)
    if name == "strip":
        stripped = _STRIPPED.get(attrs.get("what", ""))
        return text if stripped is None else stripped.sub("", text)
    if name in ("pad", "apad"):
        width = pad_width(attrs.get("width", ""))
        if width is None:  # validation reports it
            return text
        fill = attrs.get("with") or " "
        align = attrs.get("align", "right")
        if name == "pad":
            return _padded(text, fill, width, align)
        # the leading letters; `*` matches at the start of any text (maybe empty): never None
        prefix = re.match(r"[^\W\d_]*", text).group(0)  # type: ignore[union-attr]
        rest = text[len(prefix) :]
        return prefix + _padded(rest, fill, width - len(prefix), align)
    return text


def render(
    parts: Sequence[Part], values: Values, index: int = 0, missing: set[str] | None = None
) -> str:
    """`parts` with keyword values in; a keyword without a value stays as &lo.x; (and goes
    to `missing` when it is a rule keyword of the DTD).

    Raises UrlTooLong past MAX_URL_CHARS characters.
    """
    out: list[str] = []
    size = 0
    for part in parts:
        if isinstance(part, str):
            piece = part
        elif isinstance(part, Keyword):
            found = values.get(part.name) or ()
            if not found:
                if missing is not None and unknown_keyword(part.name) is None:
                    missing.add(part.name)  # validate names the others: no --value takes them
                piece = f"&{part.name};"
            elif len(found) == 1:
                piece = found[0]
            else:
                piece = found[index] if index < len(found) else ""
        else:
            inner = render(part.parts, values, index, missing)
            piece = apply_modifier(part.name, dict(part.attrs), inner)
        size += len(piece)
        if size > MAX_URL_CHARS:
            raise _too_long()
        out.append(piece)
    return "".join(out)


def _keywords(parts: Sequence[Part]) -> list[str]:
    names: list[str] = []
    for part in parts:
        if isinstance(part, Keyword):
            names.append(part.name)
        elif isinstance(part, Modifier):
            names.extend(_keywords(part.parts))
    return names


def url_for(spec: UrlSpec, values: Values, missing: set[str] | None = None) -> str:
    """Base + Rule for one record; raises UrlTooLong past MAX_URL_CHARS characters."""
    rule = spec.rule or ()
    separator = spec.separator
    count = 1
    if separator is not None:
        count = max((len(values.get(k) or ()) for k in _keywords(rule)), default=1)
    pieces = [render(spec.base or (), values, 0, missing)]
    size = len(pieces[0])
    for i in range(max(count, 1)):
        pieces.append(render(rule, values, i, missing))
        size += len(pieces[-1]) + (len(separator) if i and separator else 0)
        if size > MAX_URL_CHARS:
            raise _too_long()
    if separator is None:
        return "".join(pieces)
    return pieces[0] + separator.join(pieces[1:])


@dataclass(frozen=True)
class PreviewRow:
    record: int
    link_id: str
    url: str


def preview(
    resource: ResourceFile, records: Sequence[Values], missing: set[str] | None = None
) -> list[PreviewRow]:
    """One row per record, Link and ObjectUrl, in file order. Raises UrlTooLong (naming
    the Link) when a URL would be longer than MAX_URL_CHARS characters."""
    rows: list[PreviewRow] = []
    for number, values in enumerate(records, 1):
        for link in resource.links:
            for spec in link.urls:
                try:
                    url = url_for(spec, values, missing)
                except UrlTooLong as exc:
                    raise UrlTooLong(
                        f"LinkId {shown(link.link_id.text)} (line {spec.line}), record "
                        f"{number}: {exc}"
                    ) from None
                rows.append(PreviewRow(number, link.link_id.text, url))
    return rows


def keyword_name(text: str) -> str:
    """`lo.id`, `id` and `&lo.id;` all name lo.id; UsageError for anything else."""
    name = text.strip().removeprefix("&").removesuffix(";")
    if not name.startswith("lo."):
        name = "lo." + name
    why = unknown_keyword(name)
    if why:
        raise UsageError(why)
    return name


def values_from_options(items: Sequence[str]) -> dict[str, list[str]]:
    """`KEY=VALUE` strings (a key may repeat) as {keyword: [values]}."""
    values: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--value wants KEYWORD=VALUE (e.g. lo.id=6016240), not {item!r}")
        values.setdefault(keyword_name(key), []).append(value)
    return values


def values_from_tsv(text: str) -> list[dict[str, list[str]]]:
    """Records from a TSV whose header names keywords; a repeated column adds values."""
    rows = [line.rstrip("\r").split("\t") for line in text.split("\n") if line.strip()]
    if not rows:
        raise UsageError("the --values file is empty: its first line names the keywords")
    header = [keyword_name(name) for name in rows[0]]
    records: list[dict[str, list[str]]] = []
    for row in rows[1:]:
        record: dict[str, list[str]] = {}
        for name, cell in zip(header, row, strict=False):
            if cell != "":
                record.setdefault(name, []).append(cell)
        records.append(record)
    return records
