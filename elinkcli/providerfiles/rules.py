"""What NCBI accepts: vocabularies, rule keywords per database, limits, query tips."""

from __future__ import annotations

import difflib
import functools
import re

from elinkcli.providerfiles.text import quoted, shown

MAX_XML_BYTES = 20 * 1024 * 1024
MAX_FT_BYTES = 10 * 1024 * 1024
MAX_BRIEF = 256
# The width of a pad or apad: ids, volumes and pages are padded to a few characters
# (the DTD's example pads to 6); no identifier is 64 characters long.
MAX_PAD_WIDTH = 64
# Base + Rule: web servers refuse request lines over 8 KB (Apache, nginx).
MAX_URL_CHARS = 8192
# Distinct stype: or attr: values of a .ft file's global block, which every link carries:
# the DTD lists 58 SubjectTypes (live values included) and 14 Attributes.
MAX_GLOBAL_VALUES = 64
IDENTITY_FILE_NAME = "providerinfo.xml"

# Values listed in the DTD 1.16 comments, compared case-insensitively.
SUBJECT_TYPES = frozenset(
    s.lower()
    for s in (
        "Biological Properties", "Chemical Libraries", "Imaging Agents", "Metabolism",
        "Molecular Interactions", "Physical Properties", "Reactions",
        "Theoretical Properties", "Toxicology", "Vendors",
        "conferences/meetings/workshops", "glossaries/dictionaries", "online tutorials/courses",
        "funding sources",
        "abstracts/indexes/summaries", "aggregators", "books", "individual online article",
        "images", "libraries", "patent databases", "publishers/providers",
        "clinical trials", "consumer health", "diagnostics", "disease organizations",
        "medical equipment and devices", "pharmacology", "treatment guidelines",
        "DNA/protein sequence", "gene/protein/disease-specific", "gene expression", "mapping",
        "organism-specific", "population/variation", "protein interactions/pathways",
        "structure", "taxonomy/phylogenetic",
        "clones/clone libraries", "culture/stock collections", "laboratory equipment",
        "oligonucleotides", "other reagents",
        "colleges/universities", "companies/research institutes", "directories",
        "individuals", "societies/associations",
        "3D structure prediction/functional modeling", "primer design",
        "protein identification/characterization", "restriction mapping",
        "sequence screening/similarity/alignment", "sequence viewer", "translation",
    )
)  # fmt: skip
SUBJECT_TYPES_LIVE = frozenset(("meta-databases", "supplemental materials", "author profiles"))
ATTRIBUTES = frozenset(
    s.lower()
    for s in (
        "registration required", "subscription/membership/fee required",
        "author of URL", "publisher of information in URL",
        "author manuscript", "electronic full-text", "full-text online", "full-text PDF",
        "full-text PostScript", "order form", "print collection",
        "library-local", "preference",
    )
)  # fmt: skip
ATTRIBUTES_LIVE = frozenset(("free resource",))

# Rule keywords of the DTD 1.16, and the databases each is meant for.
ANY_DATABASE = frozenset({"lo.id"})
PUBMED_KEYWORDS = frozenset((
    "lo.pii", "lo.doi", "lo.issn", "lo.essn", "lo.issnl", "lo.jtit", "lo.msrc", "lo.vol",
    "lo.iss", "lo.page", "lo.inum", "lo.year", "lo.yr", "lo.yl", "lo.eyear", "lo.eyr", "lo.eyl",
    "lo.month", "lo.mon", "lo.mo", "lo.emonth", "lo.emon", "lo.emo", "lo.day", "lo.eday",
    "lo.otit", "lo.auth", "lo.authln",
))  # fmt: skip
SEQUENCE_KEYWORDS = frozenset({"lo.pacc"})
TAXONOMY_KEYWORDS = frozenset(
    {"lo.name", "lo.scientificname", "lo.genus", "lo.species", "lo.subsp"}
)
UNIGENE_KEYWORDS = frozenset({"lo.clusterid"})
SEQUENCE_DATABASES = frozenset(
    {"nucleotide", "nuccore", "nucest", "nucgss", "protein", "structure", "genome", "popset"}
)
KEYWORDS = ANY_DATABASE | PUBMED_KEYWORDS | SEQUENCE_KEYWORDS | TAXONOMY_KEYWORDS
KEYWORDS |= UNIGENE_KEYWORDS
NOT_KEYWORDS = {  # common guesses, and what to write instead
    "lo.muid": ("was dropped in LinkOut DTD 1.12", "lo.id"),
    "lo.pmid": ("does not exist", "lo.id"),
    "lo.acc": ("does not exist", "lo.pacc"),
    "lo.volume": ("does not exist", "lo.vol"),
    "lo.issue": ("does not exist", "lo.iss"),
    "lo.author": ("does not exist", "lo.auth"),
}


def keywords_for(database: str) -> frozenset[str]:
    db = database.strip().lower()
    if db == "pubmed":
        return ANY_DATABASE | PUBMED_KEYWORDS
    if db in SEQUENCE_DATABASES:
        return ANY_DATABASE | SEQUENCE_KEYWORDS
    if db == "taxonomy":
        return ANY_DATABASE | TAXONOMY_KEYWORDS
    if db == "unigene":
        return ANY_DATABASE | UNIGENE_KEYWORDS
    return ANY_DATABASE


def meant_for(keyword: str) -> str:
    if keyword in PUBMED_KEYWORDS:
        return "PubMed"
    if keyword in SEQUENCE_KEYWORDS:
        return "sequence databases (Nucleotide, Protein, Structure, Genome)"
    if keyword in TAXONOMY_KEYWORDS:
        return "Taxonomy"
    if keyword in UNIGENE_KEYWORDS:
        return "UniGene"
    return "any database"


_NUMBER = re.compile("[0-9]+")


def is_number(text: str) -> bool:
    """`text` is ASCII digits only (str.isdigit would also take '²' or '٣')."""
    return _NUMBER.fullmatch(text) is not None


_WHOLE_NUMBER = re.compile(r"[ \t\r\n]*([0-9]+)[ \t\r\n]*")


def pad_width(text: str) -> int | None:
    """The width a pad or apad attribute gives: ASCII digits, at most MAX_PAD_WIDTH; else
    None (pad_width_problem says why)."""
    m = _WHOLE_NUMBER.fullmatch(text)
    digits = m.group(1).lstrip("0") if m else ""
    if m is None or len(digits) > len(str(MAX_PAD_WIDTH)):
        return None
    width = int(digits or "0")
    return width if width <= MAX_PAD_WIDTH else None


def pad_width_problem(text: str) -> str | None:
    """Why `text` is not a pad width, else None."""
    if pad_width(text) is not None:
        return None
    if _WHOLE_NUMBER.fullmatch(text) is None:
        return "is not a whole number"
    return f"is more than {MAX_PAD_WIDTH} (the widest pad accepted)"


# A file names the same wrong keyword in every Link: the close match is looked up once.
@functools.lru_cache(maxsize=256)
def unknown_keyword(name: str) -> str | None:
    """Why &name; is not a rule keyword, or None when it is one."""
    if name in KEYWORDS:
        return None
    if name in NOT_KEYWORDS:
        why, instead = NOT_KEYWORDS[name]
        return f"rule keyword &{name}; {why} (use &{instead};)"
    close = _close_match(name, sorted(KEYWORDS), 0.6)
    hint = f" (did you mean &{close};?)" if close else ""
    return f"no rule keyword &{shown(name)}; in the LinkOut DTD{hint}"


def _close_match(word: str, candidates: list[str], cutoff: float) -> str | None:
    """difflib's closest candidate, or None. A word three times as long as every candidate
    is close to none (difflib's first bound, 2 x shorter / both lengths, is under 0.6), and
    is not given to difflib, which would index each of its characters first."""
    if len(word) > 3 * max(map(len, candidates)):
        return None
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)
    return close[0] if close else None


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


# A .ft file's global values are checked again in every link: each text once.
@functools.lru_cache(maxsize=256)
def vocabulary_problem(kind: str, text: str) -> str | None:
    """A warning for a SubjectType or Attribute outside the DTD list, else None."""
    value = _normal(text)
    listed, live = (
        (SUBJECT_TYPES, SUBJECT_TYPES_LIVE)
        if kind == "SubjectType"
        else (ATTRIBUTES, ATTRIBUTES_LIVE)
    )
    if value in listed:
        return None
    if value in live:
        return f"{kind} {quoted(text.strip())} is not in the DTD list (NCBI uses it in live data)"
    close = _close_match(value, sorted(listed), 0.75)
    hint = f" (did you mean {close!r}?)" if close else ""
    return f"{kind} {quoted(text.strip())} is not in the LinkOut DTD list{hint}"


RESOURCE_NAME_RE = re.compile(r"[A-Za-z0-9_]+")


def resource_name_problem(file_name: str, extension: str) -> str | None:
    stem, dot, ext = file_name.rpartition(".")
    if not dot:
        return f"a resource file name ends in {extension} (case-sensitive)"
    if ext != extension.lstrip("."):
        return f"a resource file name ends in {extension} (case-sensitive), not .{shown(ext)}"
    if not RESOURCE_NAME_RE.fullmatch(stem):
        return (
            f"resource file name {quoted(file_name)} may hold only letters, digits and underscores "
            f"before {extension}"
        )
    return None


# Query checks: the seed's "Tips for Using <Query>".
_QUERY_TOKEN = re.compile(r'"[^"]*"?|“[^”]*”?|”[^”]*”?|\[[^\]]*\]?|[()]|[^\s\[\]()"“”]+')
# Field tags that are seen outside brackets by mistake (words unlikely to be search terms).
FIELD_TAGS = frozenset((
    "orgn", "auth", "au", "dp", "pdat", "edat", "mdat", "crdt", "ta", "ti", "tiab", "mh",
    "majr", "vi", "ip", "pg", "uid", "pmid", "accn", "sb", "filter",
))  # fmt: skip
UID_TAGS = frozenset({"uid", "uids", "pmid", "gi"})
JOURNAL_NUMBER_TAGS = {"vi": "volume", "ip": "issue", "pg": "page"}
DATE_TAGS = frozenset(
    {"dp", "pdat", "pd", "edat", "mdat", "mhda", "crdt", "dcom", "lr", "epdat", "ppdat"}
)
_DATE = re.compile(r"[0-9]{4}(/[0-9]{2}(/[0-9]{2})?)?")
_RANGE = re.compile(r"[^:\s]+:[^:\s]+|[0-9]+-[0-9]+")


def _tag(token: str) -> str:
    return token.strip("[]").split(":")[0].strip().lower()


def query_problems(query: str) -> list[str]:
    """Warnings for a Query against the seed's tips (each a message)."""
    found: list[str] = []
    tokens = [m.group(0) for m in _QUERY_TOKEN.finditer(query)]
    if "*" in query:
        found.append("truncation (*) is not allowed in a Query")
    if query.count("[") != query.count("]") or any(
        t.startswith("[") and not t.endswith("]") for t in tokens
    ):
        found.append("unbalanced square brackets: field tags must be enclosed in [ ]")
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token.startswith("["):
            tag = _tag(token)
            if tag in ("sb", "filter"):
                found.append(f"do not use the search field tag {shown(token)}")
            continue
        if token.startswith(('"', "“", "”")) or token in ("(", ")"):
            continue
        word = token.strip("{}<>")
        if word.lower() in ("and", "or", "not") and word != word.upper():
            found.append(
                f"Boolean operator {quoted(word)} must be upper-case ({shown(word.upper())})"
            )
        elif i > 0 and word.lower() in FIELD_TAGS:
            found.append(
                f"field tag {quoted(word)} must be enclosed in square brackets: [{shown(word)}]"
            )
        if not following.startswith("["):
            continue
        tag = _tag(following)
        where = shown(token + following)
        if _RANGE.fullmatch(token) and tag in UID_TAGS:
            found.append(f"ranges are not allowed in UID searches ({where})")
        elif _RANGE.fullmatch(token) and tag in JOURNAL_NUMBER_TAGS:
            found.append(f"ranges are not allowed in {JOURNAL_NUMBER_TAGS[tag]} searches ({where})")
        elif tag in DATE_TAGS:
            problem = _date_problem(token)
            if problem:
                found.append(f"{problem} ({where})")
    return found


_DIGITS = frozenset("0123456789")


def _date_problem(token: str) -> str | None:
    if ":" not in token:
        if _DATE.fullmatch(token) or token[:1] not in _DIGITS:
            return None
        return "malformed date: write YYYY, YYYY/MM or YYYY/MM/DD, a range as start:end"
    start, _, end = token.partition(":")
    if not (_DATE.fullmatch(start) and _DATE.fullmatch(end)):
        return "malformed date range: write startyear:endyear with dates as YYYY/MM/DD"
    if start > end:
        return "malformed date range: the start date is after the end date"
    return None
