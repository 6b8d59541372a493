"""A parsed XML file checked against the LinkOut DTD, and turned into the neutral model."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass

from elinkcli.providerfiles.dtd import (
    ATTRIBUTES,
    CONTENT_MODELS,
    ELEMENTS,
    MIXED,
    MODIFIERS,
    TEXT_ONLY,
)
from elinkcli.providerfiles.model import (
    Identity,
    Keyword,
    Link,
    Modifier,
    Part,
    Problem,
    ResourceFile,
    UrlSpec,
    Value,
    error,
    join_parts,
    warning,
)
from elinkcli.providerfiles.rules import pad_width_problem
from elinkcli.providerfiles.text import quoted, shown
from elinkcli.providerfiles.xmlfile import XmlDocument, XmlNode, XmlText, read_xml

NOT_EMPTY = frozenset(("ProviderId", "Name", "NameAbbr", "LinkId", "Database", "Query", "ObjId"))


def _names(names: frozenset[str]) -> str:
    listed = sorted(f"<{n}>" for n in names)
    return " or ".join(listed) if listed else "nothing more"


@dataclass
class _Checker:
    file: str
    problems: list[Problem]
    doc: XmlDocument

    def err(self, node: XmlNode | XmlText, message: str) -> None:
        line, col = self.doc.locate(node.offset) if isinstance(node, XmlText) else node.position
        self.problems.append(error(self.file, line, col, message))

    def walk(
        self,
        node: XmlNode,
        parent: XmlNode | None = None,
        streamed: _LinkStream | None = None,
    ) -> None:
        """`streamed`: the children of `node` (the root) were checked as they were parsed."""
        if node.tag not in ELEMENTS:
            where = f" in <{parent.tag}>" if parent else ""
            self.err(node, f"no element <{shown(node.tag)}> in the LinkOut DTD{where}")
            return
        self._attributes(node)
        children = node.elements()
        if node.tag in TEXT_ONLY:
            for child in children:
                self.err(child, f"<{node.tag}> holds text only, not <{shown(child.tag)}>")
            if node.tag in NOT_EMPTY and not node.text().strip() and not children:
                self.err(node, f"<{node.tag}> is empty")
            return
        if node.tag in MIXED:
            for child in children:
                if child.tag in MODIFIERS:
                    self.walk(child, node)
                else:
                    self.err(
                        child,
                        f"<{shown(child.tag)}> is not allowed in <{node.tag}> (text and the "
                        f"modifiers {', '.join(MODIFIERS)} are)",
                    )
            return
        for item in node.children:
            if isinstance(item, XmlText) and item.text.strip():
                self.err(item, f"text is not allowed directly in <{node.tag}>")
                break
        tags = [c.tag for c in children] if streamed is None else streamed.tags
        mismatch = CONTENT_MODELS[node.tag].check(tags)
        if mismatch is not None:
            index, expected = mismatch
            if index < len(tags):
                tag = tags[index]
                line, col = (
                    children[index].position if streamed is None else streamed.position(index)
                )
                self.problems.append(
                    error(
                        self.file,
                        line,
                        col,
                        f"<{shown(tag)}> is not allowed here in <{node.tag}>: expected "
                        f"{_names(expected)} (content model {CONTENT_MODELS[node.tag].source})",
                    )
                )
            else:
                self.err(
                    node,
                    f"<{node.tag}> is incomplete: {_names(expected)} missing "
                    f"(content model {CONTENT_MODELS[node.tag].source})",
                )
        if streamed is not None:
            self.problems.extend(streamed.checked)
            return
        for child in children:
            self.walk(child, node)

    def _attributes(self, node: XmlNode) -> None:
        specs = ATTRIBUTES.get(node.tag, {})
        for name, value in node.attrs.items():
            spec = specs.get(name)
            if spec is None:
                self.err(node, f"<{node.tag}> has no attribute {shown(name)}")
            elif spec.choices is not None and value not in spec.choices:
                self.err(
                    node,
                    f"{name}={quoted(value)} of <{node.tag}> is not one of "
                    f"{'|'.join(spec.choices)}",
                )
            elif spec.pad_width and (why := pad_width_problem(value)):
                self.err(node, f"{name}={quoted(value)} of <{node.tag}> {why}")
        for name, spec in specs.items():
            if spec.required and name not in node.attrs:
                self.err(node, f"<{node.tag}> needs the attribute {name}")


class _Builder:
    def __init__(self, doc: XmlDocument) -> None:
        self.doc = doc
        self.marker_re = doc.marker_re()

    def parts(self, node: XmlNode) -> tuple[Part, ...]:
        out: list[Part] = []
        for child in node.children:
            if isinstance(child, XmlText):
                out.extend(self.text_parts(child.text))
            elif child.tag in MODIFIERS:
                out.append(
                    Modifier(
                        child.tag,
                        tuple(sorted(child.attrs.items())),
                        self.parts(child),
                        child.line,
                        child.col,
                    )
                )
        return join_parts(out)

    def text_parts(self, text: str) -> list[Part]:
        out: list[Part] = []
        last = 0
        for m in self.marker_re.finditer(text):
            out.append(text[last : m.start()])
            use = self.doc.keywords[int(m.group(1))]
            out.append(Keyword(use.name, use.line, use.col))
            last = m.end()
        out.append(text[last:])
        return out

    def plain(self, node: XmlNode) -> str:
        """Text with keywords written back as &lo.x; (for values that are not rules)."""
        return "".join(
            p if isinstance(p, str) else f"&{p.name};" if isinstance(p, Keyword) else ""
            for p in self.parts(node)
        )

    def value(self, node: XmlNode | None, parent: XmlNode) -> Value:
        if node is None:
            return Value("", parent.line, parent.col)
        return Value(self.plain(node).strip(), node.line, node.col)

    def values(self, parent: XmlNode, tag: str) -> tuple[Value, ...]:
        return tuple(self.value(c, parent) for c in parent.elements() if c.tag == tag)


def _first(node: XmlNode | None, tag: str) -> XmlNode | None:
    if node is None:
        return None
    return next((c for c in node.elements() if c.tag == tag), None)


class _LinkStream:
    """The elements of a <LinkSet>, checked and turned into Links one by one as they are
    parsed, so that the tree of the whole file is never held."""

    def __init__(
        self,
        doc: XmlDocument,
        file: str,
        root: XmlNode,
        on_link: Callable[[Link], None] | None = None,
    ) -> None:
        self.root = root
        self.on_link = on_link
        self.file = file
        self.checked: list[Problem] = []  # what _Checker.walk finds in each element
        self.built: list[Problem] = []  # what _link finds
        self.checker = _Checker(file, self.checked, doc)
        self.builder = _Builder(doc)
        self.tags: list[str] = []
        self.lines = array("q")
        self.cols = array("q")
        self.links: list[Link] = []

    def child(self, node: XmlNode) -> None:
        self.tags.append(node.tag)
        self.lines.append(node.line)
        self.cols.append(node.col)
        self.checker.walk(node, self.root)
        if node.tag == "Link":
            link = _link(node, self.builder, self.file, self.built)
            if self.on_link is None:
                self.links.append(link)
            else:
                self.on_link(link)

    def position(self, index: int) -> tuple[int, int]:
        return self.lines[index], self.cols[index]


def read_resource(
    data: bytes, file: str, on_link: Callable[[Link], None] | None = None
) -> tuple[XmlDocument, ResourceFile | Identity | None, list[Problem]]:
    """read_xml and check_xml in one pass: the Links of a <LinkSet> are checked and
    converted as soon as each is parsed (the same problems, in the same order). With
    `on_link`, each Link goes there and is not kept in the ResourceFile."""
    streams: list[_LinkStream] = []

    def on_root(doc: XmlDocument, root: XmlNode) -> Callable[[XmlNode], None] | None:
        if root.tag != "LinkSet":
            return None
        streams.append(_LinkStream(doc, file, root, on_link))
        return streams[0].child

    doc = read_xml(data, file, on_root)
    model, problems = check_xml(doc, file, streams[0] if streams else None)
    return doc, model, problems


def check_xml(
    doc: XmlDocument, file: str, streamed: _LinkStream | None = None
) -> tuple[ResourceFile | Identity | None, list[Problem]]:
    """DTD checks of a parsed document, and its model (None when it is not LinkOut XML).

    `streamed`: the root's elements were checked and converted while parsing (see
    read_resource); the tree holds none of them.
    """
    problems: list[Problem] = []
    root = doc.root
    if root is None:
        return None, problems
    if doc.doctype is not None and doc.doctype != root.tag:
        problems.append(
            error(
                file,
                root.line,
                root.col,
                f"DOCTYPE names {shown(doc.doctype)} but the root is <{shown(root.tag)}>",
            )
        )
    if root.tag not in ("LinkSet", "Provider"):
        problems.append(
            error(
                file,
                root.line,
                root.col,
                f"root element <{shown(root.tag)}> is neither <LinkSet> (resource file) nor "
                "<Provider> (identity file)",
            )
        )
        return None, problems
    _Checker(file, problems, doc).walk(root, streamed=streamed)
    if streamed is not None:
        problems.extend(streamed.built)
        return ResourceFile(tuple(streamed.links), tuple(doc.entities.items())), problems
    builder = _Builder(doc)
    if root.tag == "Provider":
        return _identity(root, builder), problems
    links = []
    for node in root.elements():
        if node.tag == "Link":
            links.append(_link(node, builder, file, problems))
    entities = tuple(doc.entities.items())
    return ResourceFile(tuple(links), entities), problems


def _identity(root: XmlNode, b: _Builder) -> Identity:
    brief = _first(root, "Brief")
    return Identity(
        provider_id=b.value(_first(root, "ProviderId"), root),
        name=b.value(_first(root, "Name"), root),
        name_abbr=b.value(_first(root, "NameAbbr"), root),
        subject_types=b.values(root, "SubjectType"),
        attributes=b.values(root, "Attribute"),
        urls=b.values(root, "Url"),
        icon_urls=b.values(root, "IconUrl"),
        brief=None if brief is None else b.value(brief, root),
    )


def _link(node: XmlNode, b: _Builder, file: str, problems: list[Problem]) -> Link:
    selector = _first(node, "ObjectSelector") or _first(node, "SubObjectSelector")
    objects = _first(selector, "ObjectList")
    queries: tuple[Value, ...] = ()
    uids: tuple[Value, ...] = ()
    if objects is not None:
        queries = b.values(objects, "Query")
        uids = b.values(objects, "ObjId")
        kinds: dict[str, XmlNode] = {}
        for child in objects.elements():
            if child.tag in ("Query", "ObjId"):
                kinds.setdefault(child.tag, child)
                if len(kinds) == 2 and child is kinds[child.tag]:
                    problems.append(
                        error(
                            file,
                            child.line,
                            child.col,
                            "<ObjectList> mixes <Query> and <ObjId>: use one or more <Query> "
                            "OR one or more <ObjId>",
                        )
                    )
            elif child.tag == "FileName":
                problems.append(
                    warning(
                        file,
                        child.line,
                        child.col,
                        "<FileName> is reserved for processing by the LinkOut team",
                    )
                )
    sub = _first(_first(node, "SubObjectSelector"), "SubProvider")
    return Link(
        link_id=b.value(_first(node, "LinkId"), node),
        provider_id=b.value(_first(node, "ProviderId"), node),
        database=b.value(_first(selector, "Database"), selector or node),
        queries=queries,
        uids=uids,
        icon_urls=b.values(node, "IconUrl"),
        urls=tuple(_url(u, b) for u in node.elements() if u.tag == "ObjectUrl"),
        sub_provider=None if sub is None else b.value(_first(sub, "NameAbbr"), sub),
        line=node.line,
        col=node.col,
    )


def _url(node: XmlNode, b: _Builder) -> UrlSpec:
    base = _first(node, "Base")
    rule = _first(node, "Rule")
    many = _first(node, "RuleToMany")
    separator = None
    if rule is None and many is not None:
        rule = _first(many, "Rule")
        sep = _first(many, "Separator")
        separator = "" if sep is None else b.plain(sep)
    name = _first(node, "UrlName")
    start = base or rule or many or node
    return UrlSpec(
        base=None if base is None else b.parts(base),
        rule=None if rule is None else b.parts(rule),
        separator=separator,
        name=None if name is None else b.value(name, node),
        subject_types=b.values(node, "SubjectType"),
        attributes=b.values(node, "Attribute"),
        lng=node.attrs.get("LNG"),
        line=start.line,
        col=start.col,
    )
