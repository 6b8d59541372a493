"""EDirect's `elink` command lines, read as elinkcli's: the spellings Click cannot express
(several values after one `-id`, `-format acc`, `-batch` as a flag) rewritten before
parsing, and every other EDirect option either taken or refused with a pointer."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from elinkcli.errors import UsageError

# Commands whose `-id` may be followed by several ids (chain's too: see _chain_ids).
MULTI_ID_COMMANDS = frozenset({"link", "check", "discover", "linkout"})


@dataclass(frozen=True)
class EDirectOption:
    """One option of EDirect's elink and what `elinkcli link` does with it."""

    spelling: str
    edirect: str
    elinkcli: str


# Every option of EDirect's elink (19.0-25.5), for the table in docs/pipes-and-edirect.md
# (a test keeps them equal) and for the refusals below.
ELINK_OPTIONS: tuple[EDirectOption, ...] = (
    EDirectOption("-db", "source database", "`--db/-db`; optional when stdin says it"),
    EDirectOption(
        "-id", "ids, comma- or space-separated", "`--id/-id`; `-id 1 2 3` and `-id 1,2,3` both"
    ),
    EDirectOption("-input FILE", "read ids from FILE", "`--input/-input`, any stdin form"),
    EDirectOption(
        "-target",
        "target database; link name `DB_TARGET` implied",
        "`--target/-target`; without `-name`, `DB_TARGET` as EDirect (when the catalog has it, "
        "else every table); `-name all` for every table of the pair, each row naming its table",
    ),
    EDirectOption(
        "-related / -neighbor",
        "links within the same database",
        "`--related/-related/-neighbor`: target = db, link name `DB_DB` unless `-name` is given",
    ),
    EDirectOption("-name", "link name", "`--name/-name`"),
    EDirectOption("-cmd neighbor", "links (the default)", "the default"),
    EDirectOption(
        "-cmd edirect", "ENTREZ_DIRECT message out", "`-cmd neighbor`, `--format edirect`"
    ),
    EDirectOption(
        "-cmd score",
        "links with similarity scores",
        "`-cmd neighbor_score`; without `-target`, within the database (`DB_DB`); into a pipe "
        "after a message, the eLinkResult with the scores, as EDirect",
    ),
    EDirectOption("-cmd history", "result on the History server", "`--history`"),
    EDirectOption(
        "-cmd acheck", "all link names of each record (XML)", "refused, pointing at `discover -id`"
    ),
    EDirectOption(
        "-cmd ncheck / lcheck",
        "has neighbors / LinkOut? (XML)",
        "refused, pointing at `check -cmd ncheck` / `check -cmd lcheck`",
    ),
    EDirectOption(
        "-cmd llinks / prlinks / llibs",
        "LinkOut providers (XML)",
        "refused, pointing at `linkout` / `linkout --primary` / `linkout --libraries`",
    ),
    EDirectOption(
        "-format acc",
        "accession.version out (19.0 never sends it)",
        "`--idtype acc`; ids without accessions (pubmed...) stay UIDs, with a warning; for uid "
        "and edirect out, ELink's `idtype=acc` answers (no extra request)",
    ),
    EDirectOption("-mode", "ELink `retmode` (xml, json, ref)", "refused: use `--format`"),
    EDirectOption("-holding", "LinkOut provider", "refused, pointing at `linkout --holding`"),
    EDirectOption(
        "-batch",
        "(flag) bypass the History server",
        "ignored: elinkcli never uses it unless `--history`; `-batch N` is ids per request",
    ),
    EDirectOption("-chunk N", "ids per request", "`--batch N`"),
    EDirectOption("-complete", "do not sample inputs over 10,000 ids", "ignored: never samples"),
    EDirectOption(
        "-cited / -cites",
        "citing / cited papers from NIH iCite",
        "`--cited` / `--cites` (iCite by default, `--citations-from` for ELink, Europe PMC or all)",
    ),
    EDirectOption("-base URL", "another server", "`--base-url/-base`"),
    EDirectOption("-email", "contact address", "`--email/-email`"),
    EDirectOption("-api_key", "API key", "`--api-key/-api_key` (or `NCBI_API_KEY`)"),
    EDirectOption("-tool", "tool name sent to NCBI", "ignored with a warning: sends `elinkcli`"),
    EDirectOption("-label / -step", "message label / step", "ignored with a warning"),
    EDirectOption("-log / -debug", "requests to stderr", "`--log -` (JSON lines)"),
    EDirectOption("-verbose / -timer", "progress and timing", "`--verbose`"),
)

# What each EDirect -cmd value means for `link`: (ELink cmd, --history, default format).
LINK_CMD_VALUES: dict[str, tuple[str, bool, str | None]] = {
    "neighbor": ("neighbor", False, None),
    "neighbor_score": ("neighbor_score", False, None),
    "score": ("neighbor_score", False, None),
    "edirect": ("neighbor", False, "edirect"),
    "history": ("neighbor", True, None),
    "neighbor_history": ("neighbor", True, None),
}
CMD_POINTERS = {
    "acheck": "elinkcli discover -db DB -id ID (the link names each record has)",
    "ncheck": "elinkcli check -cmd ncheck",
    "lcheck": "elinkcli check -cmd lcheck",
    "llinks": "elinkcli linkout",
    "prlinks": "elinkcli linkout --primary",
    "llibs": "elinkcli linkout --libraries (NCBI rejects llinkslib today)",
    "llinkslib": "elinkcli linkout --libraries (NCBI rejects llinkslib today)",
}
_REFUSED = {
    "-mode": "-mode (ELink retmode) is not needed: choose the output with --format",
    "-holding": "-holding filters LinkOut providers: use 'elinkcli linkout --holding NAME'",
}
# Options that take a value and are ignored (with a warning), and flags ignored silently.
_IGNORED_WITH_VALUE = {
    "-tool": "-tool is ignored: elinkcli sends tool=elinkcli",
    "-label": "-label is ignored (elinkcli carries the input message's Labels on)",
    "-step": "-step is ignored (elinkcli counts Step from the input message)",
}
_IGNORED_FLAGS = frozenset({"-complete"})
_COUNT = re.compile(r"[0-9]+", re.ASCII)  # `-batch N`; else EDirect's flag
_ALIASES = {"-verbose": "--verbose", "-timer": "--verbose"}


def link_cmd(value: str) -> tuple[str, bool, str | None]:
    """(ELink cmd, --history, default format) for a `link -cmd` value, EDirect's included."""
    key = value.strip().lower()
    if key in LINK_CMD_VALUES:
        return LINK_CMD_VALUES[key]
    if key in CMD_POINTERS:
        raise UsageError(f"-cmd {key} is not a link command: use '{CMD_POINTERS[key]}'")
    choices = ", ".join(LINK_CMD_VALUES)
    raise UsageError(f"unknown -cmd {value!r} for link (choose {choices})")


def complete_link_cmd(incomplete: str) -> list[str]:
    return [c for c in LINK_CMD_VALUES if c.startswith(incomplete)]


def _command(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _chain_id(word: str) -> bool:
    """A word after chain's `-id` that is an id, not a hop: it holds a digit (no database
    name does) and no `:` (TARGET:LINKNAME), and is not an option."""
    return not word.startswith("-") and ":" not in word and any(c.isdigit() for c in word)


def _chain_ids(argv: Sequence[str]) -> list[str]:
    """chain's `-id A B C HOPS`: the ids after -id, up to the first hop, each as its own
    `--id`, so that no id is read as a hop."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        out.append(arg)
        i += 1
        if arg in ("-id", "--id") and i < len(argv):
            out.append(argv[i])
            i += 1
            while i < len(argv) and _chain_id(argv[i]):
                out += [arg, argv[i]]
                i += 1
    return out


def rewrite(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """EDirect spellings of `argv` (without the program name) as elinkcli's, and warnings
    for what is ignored. Raises UsageError for EDirect options elinkcli does not take."""
    command = _command(argv)
    if command == "chain":
        return _chain_ids(argv), []
    if command not in MULTI_ID_COMMANDS:
        return list(argv), []
    out: list[str] = []
    warnings: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else None
        if arg in ("-id", "--id") and nxt is not None:
            i += 1
            while i < len(args) and not args[i].startswith("-"):
                out += [arg, args[i]]
                i += 1
            continue
        if command != "link":
            out.append(arg)
        elif arg in ("-format", "--format") and nxt is not None and nxt.lower() == "acc":
            out += ["--idtype", "acc"]
            i += 1
        elif arg == "-batch" and (nxt is None or not _COUNT.fullmatch(nxt)):
            pass  # EDirect's flag; elinkcli uses the History server only with --history
        elif arg == "-chunk":
            out.append("--batch")
        elif arg in _ALIASES:
            out.append(_ALIASES[arg])
        elif arg in _IGNORED_FLAGS:
            pass
        elif arg in _IGNORED_WITH_VALUE:
            warnings.append(_IGNORED_WITH_VALUE[arg])
            i += 1
        elif arg in _REFUSED:
            raise UsageError(_REFUSED[arg])
        else:
            out.append(arg)
        i += 1
    return out, warnings
