"""Simple Text (.ft) resource files rewritten as XML resource files."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from elinkcli.providerfiles.entities import DTD_CHARACTERS, PREDEFINED, REF_RE, is_keyword_name
from elinkcli.providerfiles.ftfile import FtDocument, FtField, read_ft
from elinkcli.providerfiles.model import FileKind, Problem, error
from elinkcli.providerfiles.rules import MAX_XML_BYTES
from elinkcli.providerfiles.validate import SourceFile, parse_file

PUBLIC_ID = "-//NLM//DTD LinkOut 1.0//EN"
DTD_URL = "http://www.ncbi.nlm.nih.gov/entrez/linkout/doc/LinkOut.dtd"


def _plain(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape(raw: str, entities: Collection[str]) -> str:
    """A .ft value as XML text: its references kept, any other `&` (and `<`, `>`) escaped."""
    out: list[str] = []
    last = 0
    for m in REF_RE.finditer(raw):
        out.append(_plain(raw[last : m.start()]))
        ref = m.group(1)
        known = (
            ref.startswith("#")
            or ref in PREDEFINED
            or ref in DTD_CHARACTERS
            or is_keyword_name(ref)
            or ref in entities
        )
        out.append(m.group(0) if known else _plain(m.group(0)))
        last = m.end()
    out.append(_plain(raw[last:]))
    return "".join(out)


def _entity_literal(raw: str, entities: Collection[str]) -> str:
    return escape(raw, entities).replace("%", "&#37;").replace('"', "&quot;")


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class XmlTooLarge(ValueError):
    """The XML for a .ft file would be larger than NCBI takes (MAX_XML_BYTES)."""


def _too_large() -> XmlTooLarge:
    return XmlTooLarge(
        f"the XML resource file would be more than {MAX_XML_BYTES // (1024 * 1024)} MB, "
        "the limit for XML files (each link repeats the global dbase:, stype: and attr: "
        "values): split the .ft file"
    )


def ft_to_xml(document: FtDocument) -> str:
    """The XML resource file describing the same links as `document`; raises XmlTooLarge
    as soon as it grows past MAX_XML_BYTES characters."""
    entities = document.entity_values()

    def esc(value: str) -> str:
        return escape(value, entities)

    def values(fields: tuple[FtField, ...], key: str) -> list[str]:
        return [f.value for f in fields if f.key == key]

    prid = esc(next(iter(values(document.global_fields, "prid")), ""))
    dbase = esc(next(iter(values(document.global_fields, "dbase")), ""))
    shared = {key: _unique(values(document.global_fields, key)) for key in ("stype", "attr")}
    out = ['<?xml version="1.0"?>', f'<!DOCTYPE LinkSet PUBLIC "{PUBLIC_ID}"', f'"{DTD_URL}"']
    if entities:
        declarations = [
            f'<!ENTITY {name} "{_entity_literal(value, entities)}">'
            for name, value in entities.items()
        ]
        out.append("[ " + "\n  ".join(declarations) + " ]>")
    else:
        out[-1] += ">"
    out.append("<LinkSet>")
    size, counted = 0, 0
    for block in document.links:
        size += sum(len(line) + 1 for line in out[counted:])
        counted = len(out)
        if size > MAX_XML_BYTES:
            raise _too_large()
        out.append(" <Link>")
        out.append(f"   <LinkId>{esc(values(block, 'linkid')[0])}</LinkId>")
        out.append(f"   <ProviderId>{prid}</ProviderId>")
        out.extend(f"   <IconUrl>{esc(v)}</IconUrl>" for v in values(block, "icon"))
        out.append("   <ObjectSelector>")
        out.append(f"     <Database>{dbase}</Database>")
        out.append("     <ObjectList>")
        out.extend(f"       <Query>{esc(v)}</Query>" for v in values(block, "query"))
        out.extend(
            f"       <ObjId>{esc(uid)}</ObjId>" for v in values(block, "uids") for uid in v.split()
        )
        out.append("     </ObjectList>")
        out.append("   </ObjectSelector>")
        out.append("   <ObjectUrl>")
        for key, tag in (("base", "Base"), ("rule", "Rule"), ("name", "UrlName")):
            out.extend(f"     <{tag}>{esc(v)}</{tag}>" for v in values(block, key)[:1])
        for key, tag in (("stype", "SubjectType"), ("attr", "Attribute")):
            merged = _unique(shared[key] + values(block, key))
            out.extend(f"     <{tag}>{esc(v)}</{tag}>" for v in merged)
        out.append("   </ObjectUrl>")
        out.append(" </Link>")
    out.append("</LinkSet>")
    if size + sum(len(line) + 1 for line in out[counted:]) > MAX_XML_BYTES:
        raise _too_large()
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Conversion:
    xml: str | None  # None when the .ft file has errors
    problems: tuple[Problem, ...]


def convert_ft(data: bytes, display: str, file_name: str | None = None) -> Conversion:
    """Check a .ft file; when it has no error, its XML resource file."""
    report = parse_file(SourceFile(display, data, file_name))
    if report.kind is not FileKind.ft:
        message = f"not a Simple Text (.ft) file: it reads as {report.kind.value} XML"
        return Conversion(None, (error(display, 1, None, message),))
    if report.errors:
        return Conversion(None, report.problems)
    try:
        xml = ft_to_xml(read_ft(data, display).document)
    except XmlTooLarge as exc:
        return Conversion(None, (*report.problems, error(display, 1, None, str(exc))))
    return Conversion(xml, report.problems)
