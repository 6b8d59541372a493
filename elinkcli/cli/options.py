"""Every option defined once, as an Annotated type; EDirect's spellings beside the long ones."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from elinkcli import constants as C
from elinkcli.cli.completion import complete_database, complete_linkname
from elinkcli.cli.panels import IDS_IN, NETWORK, OUTPUT, WHAT
from elinkcli.constants import COMMAND_FORMATS

R = TypeVar("R")


class Format(str, Enum):
    """Every output format some command writes; each command's --format takes its own
    (COMMAND_FORMATS, see format_option)."""

    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    table = "table"
    uid = "uid"
    edirect = "edirect"
    xml = "xml"
    counts = "counts"
    urls = "urls"


class InputForm(str, Enum):
    auto = "auto"
    edirect = "edirect"
    esearch = "esearch"
    elink = "elink"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    plain = "plain"


Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        "-db",
        metavar="DB",
        autocompletion=complete_database,
        help="Source database (e.g. gene, pubmed, protein). Optional when stdin says it "
        "(an ENTREZ_DIRECT message's Db, or elinkcli output's target_db).",
        rich_help_panel=IDS_IN,
    ),
]
Target = Annotated[
    str | None,
    typer.Option(
        "--target",
        "-target",
        metavar="DB",
        autocompletion=complete_database,
        help="Target database (e.g. protein, gene).",
        rich_help_panel=WHAT,
    ),
]
Name = Annotated[
    str | None,
    typer.Option(
        "--name",
        "-name",
        metavar="LINKNAME",
        autocompletion=complete_linkname,
        help="Link name, e.g. gene_protein_refseq; 'all': every link table of the pair, "
        "each row naming its table. Without it, DB_TARGET (EDirect's default, e.g. "
        "gene_protein) when the catalog has it, else every table.",
        rich_help_panel=WHAT,
    ),
]
# check's --name: the same option, with what check does with it.
CheckName = Annotated[
    str | None,
    typer.Option(
        "--name",
        "-name",
        metavar="LINKNAME",
        autocompletion=complete_linkname,
        help="Which ids have links in this link table, e.g. gene_protein_refseq: Y for an "
        "id that has, N for one that has none (ELink acheck). Instead of --cmd.",
        rich_help_panel=WHAT,
    ),
]
Ids = Annotated[
    list[str] | None,
    typer.Option(
        "--id",
        "-id",
        metavar="ID[,ID...]",
        help="Source id; repeat it or separate ids with commas. Wins over stdin.",
        rich_help_panel=IDS_IN,
    ),
]
# What a format is, where --help says it (the common ones need no word).
_FORMAT_NOTES = {
    "xml": "one eLinkResult document as NCBI's",
    "counts": "with --cited/--cites, links per source id and service",
    "urls": "one distinct URL per line",
}
# What a command's default format does besides the common rule.
_DEFAULT_NOTES = {
    "link": " With --cmd neighbor_score, a default of edirect or uid is xml, which keeps the "
    "scores.",
}


def format_help(command: str) -> str:
    """The --format help of `command`: its formats' notes and how its default is chosen."""
    formats = COMMAND_FORMATS[command]
    notes = "; ".join(f"{f}: {_FORMAT_NOTES[f]}" for f in formats if f in _FORMAT_NOTES)
    message = (
        ", else edirect when stdin was an ENTREZ_DIRECT message" if "edirect" in formats else ""
    )
    return (
        f"Output format{f' ({notes})' if notes else ''}. Default: table on a terminal; into a "
        f"pipe or file, {C.ENV_FORMAT} or the config file's format when it is one of these"
        f"{message}, else tsv.{_DEFAULT_NOTES.get(command, '')}"
    )


def format_option(command: str) -> Any:
    """The --format option of `command` as an Annotated type: the formats it writes
    (elinkcli.constants.COMMAND_FORMATS) are its choices and its metavar, so its --help
    names only those and Click refuses any other with its usual message. The value is a
    member of an Enum of those formats (`.value`: the format's name, as in Format)."""
    formats = COMMAND_FORMATS[command]
    make_enum: Any = Enum  # an Enum of names known only when this runs
    choices = make_enum(f"{command.title()}Format", {f: f for f in formats}, type=str)
    return Annotated[
        choices | None,
        typer.Option(
            "--format",
            "-format",
            metavar="|".join(formats),
            help=format_help(command),
            rich_help_panel=OUTPUT,
        ),
    ]


if TYPE_CHECKING:
    # The type checker sees Format; Typer reads each command's own choices, below.
    LinkFormat = Annotated[Format | None, "--format"]
    ChainFormat = Annotated[Format | None, "--format"]
    CheckFormat = Annotated[Format | None, "--format"]
    DiscoverFormat = Annotated[Format | None, "--format"]
    LinkoutFormat = Annotated[Format | None, "--format"]
else:
    LinkFormat = format_option("link")
    ChainFormat = format_option("chain")
    CheckFormat = format_option("check")
    DiscoverFormat = format_option("discover")
    LinkoutFormat = format_option("linkout")
# link's --format, under the name link.py gives it.
OutputFormat = LinkFormat
InputFormat = Annotated[
    InputForm,
    typer.Option(
        "--input-format",
        metavar="auto|edirect|esearch|elink|tsv|json|jsonl|plain",
        help="Form of stdin; auto detects an ENTREZ_DIRECT message (ids, History set or a "
        "query to run again), an eSearchResult or eLinkResult document, elinkcli's "
        "tsv/json/jsonl (their target ids are read) or plain ids.",
        rich_help_panel=IDS_IN,
    ),
]
InputFile = Annotated[
    Path | None,
    typer.Option(
        "--input",
        "-input",
        metavar="FILE",
        help="Read the ids from FILE instead of stdin (any form --input-format reads).",
        rich_help_panel=IDS_IN,
    ),
]
NoHeader = Annotated[
    bool,
    typer.Option("--no-header", help="Leave out the tsv header line.", rich_help_panel=OUTPUT),
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Print the summary even when stderr is not a terminal, and list the ids "
        "without links, not echoed by NCBI, or failed.",
        rich_help_panel=OUTPUT,
    ),
]
Batch = Annotated[
    int,
    typer.Option(
        "--batch",
        "-batch",
        metavar="N",
        min=1,
        max=C.MAX_BATCH,
        help="Ids per request (one id= parameter each).",
        rich_help_panel=NETWORK,
    ),
]
AdaptiveBatchFlag = Annotated[
    bool | None,
    typer.Option(
        "--adaptive-batch/--fixed-batch",
        help="Let the ids per request grow from --batch while NCBI answers fast "
        f"(<{C.FAST_ANSWER:g} s; up to {C.MAX_BATCH}) and halve, never below --batch, after a "
        f"timeout, a 5xx, a bad answer or one slower than {C.SLOW_ANSWER:g} s. Output batches "
        f"(--resume) keep --batch. [env: {C.ENV_ADAPTIVE_BATCH}; default: fixed]",
        show_default=False,
        rich_help_panel=NETWORK,
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        "-base",
        metavar="URL",
        help=f"E-utilities base URL [env: {C.ENV_BASE_URL}; default: {C.DEFAULT_BASE_URL}]",
        show_default=False,
        rich_help_panel=NETWORK,
    ),
]
Email = Annotated[
    str | None,
    typer.Option(
        "--email",
        "-email",
        metavar="ADDRESS",
        help="Contact e-mail sent to NCBI [env: NCBI_EMAIL, else EMAIL]",
        rich_help_panel=NETWORK,
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        "-api_key",
        metavar="KEY",
        help="NCBI API key: 10 requests/s instead of 3. Never printed. [env: NCBI_API_KEY]",
        show_default=False,
        rich_help_panel=NETWORK,
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        min=1.0,
        help="Seconds one try may take, from connecting to the last byte of the answer, "
        f"before it is asked again [default: {C.READ_TIMEOUT:g}]",
        show_default=False,
        rich_help_panel=NETWORK,
    ),
]
Deadline = Annotated[
    float | None,
    typer.Option(
        "--deadline",
        metavar="SECONDS",
        min=1.0,
        help="Seconds one request may take, all retries included, before it is given up "
        f"[default: {C.DEADLINE:g}]",
        show_default=False,
        rich_help_panel=NETWORK,
    ),
]
MaxTime = Annotated[
    str | None,
    typer.Option(
        "--max-time",
        metavar="DURATION",
        help="Time for the whole run (seconds, or 30m, 2h; 0 = none): when it runs out, "
        "what is done is written and the run exits 4 naming the ids not done "
        f"[default: {C.MAX_TIME / 3600:g}h] [env: {C.ENV_MAX_TIME}]",
        show_default=False,
        rich_help_panel=NETWORK,
    ),
]
CacheTtl = Annotated[
    str | None,
    typer.Option(
        "--cache-ttl",
        metavar="DURATION",
        help="How long cached answers stay fresh: seconds, or 30m, 12h, 7d [default: 7d]",
        show_default=False,
        rich_help_panel=NETWORK,
    ),
]
Refresh = Annotated[
    bool,
    typer.Option("--refresh", help="Ask NCBI again and update the cache.", rich_help_panel=NETWORK),
]
NoCache = Annotated[
    bool,
    typer.Option("--no-cache", help="Neither read nor write the cache.", rich_help_panel=NETWORK),
]
Offline = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="No network: answers from the cache only (a miss is exit 4 naming the ids); "
        "discover lists the bundled catalog.",
        rich_help_panel=NETWORK,
    ),
]
LinksFrom = Annotated[
    str | None,
    typer.Option(
        "--from",
        metavar="SOURCE",
        help="Where links come from: elink (NCBI), tables (NCBI's bulk files loaded by "
        "`elinkcli tables get`; exit 2 for what no table answers) or auto (tables for the link "
        "names they hold, ELink for the rest) [default: auto once a table is loaded, else "
        f"elink] [env: {C.ENV_LINKS_FROM}]",
        show_default=False,
        rich_help_panel=NETWORK,
    ),
]
Output = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE through a temporary file renamed at the end: a failed run leaves "
        "the previous FILE untouched. Keeps a journal of finished batches for --resume; a "
        "second run on the same FILE is refused. A FIFO or device is written straight "
        "through; - is stdout.",
        rich_help_panel=OUTPUT,
    ),
]
Resume = Annotated[
    bool,
    typer.Option(
        "--resume",
        help="With --output: continue an interrupted run without redoing finished batches. "
        "A FILE this same command already completed is left as it is (exit 0); with neither "
        "FILE nor its journal the run starts afresh, so a cron line may always pass it.",
        rich_help_panel=OUTPUT,
    ),
]
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="No progress bar and no summary on stderr.",
        rich_help_panel=OUTPUT,
    ),
]
Log = Annotated[
    Path | None,
    typer.Option(
        "--log",
        metavar="FILE",
        help="Append a request log to FILE (- = stderr): one JSON line per HTTP attempt "
        "(time, endpoint, ids, status, ms, try, outcome, error); never the API key.",
        show_default=False,
        rich_help_panel=OUTPUT,
    ),
]
LogStderr = Annotated[
    bool,
    typer.Option(
        "-log",
        "-debug",
        help="EDirect's spelling of --log - (the request log on stderr).",
        rich_help_panel=OUTPUT,
    ),
]
Cited = Annotated[
    bool,
    typer.Option(
        "--cited",
        "-cited",
        help="Papers citing each source PMID (link name pubmed_pubmed_citedin), from "
        "--citations-from.",
        rich_help_panel=WHAT,
    ),
]
Cites = Annotated[
    bool,
    typer.Option(
        "--cites",
        "-cites",
        help="Papers each source PMID cites (pubmed_pubmed_refs), from --citations-from.",
        rich_help_panel=WHAT,
    ),
]
CitationsFrom = Annotated[
    str | None,
    typer.Option(
        "--citations-from",
        metavar="SOURCES",
        help="Which services answer --cited/--cites: elink, icite, europepmc, several "
        "comma-separated, or all (their union; the source column names who gave each "
        "link) [default: icite] [config: citations_from]",
        show_default=False,
        rich_help_panel=WHAT,
    ),
]
IciteUrl = Annotated[
    str | None,
    typer.Option(
        "--icite-url",
        metavar="URL",
        help=f"NIH iCite API base URL [default: {C.DEFAULT_ICITE_URL}] [env: {C.ENV_ICITE_URL}]",
        show_default=False,
        rich_help_panel=NETWORK,
    ),
]
EuropePmcUrl = Annotated[
    str | None,
    typer.Option(
        "--europepmc-url",
        metavar="URL",
        help=f"Europe PMC REST base URL [default: {C.DEFAULT_EUROPEPMC_URL}] "
        f"[env: {C.ENV_EUROPEPMC_URL}]",
        show_default=False,
        rich_help_panel=NETWORK,
    ),
]
Why = Annotated[
    bool,
    typer.Option(
        "--why",
        help="Say on stderr why each id (of the first 1,000) got no links, where it can be "
        "known: no link of that name today (and the names it has), no links at all, no such "
        "record, or a local table holds none. Costs an ELink acheck request per 100 such ids "
        "(and an ESummary for those with no links at all).",
        rich_help_panel=OUTPUT,
    ),
]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Refuse a database or link name the bundled catalog does not know (exit 2), "
        "instead of warning.",
        rich_help_panel=WHAT,
    ),
]


@dataclass(frozen=True)
class Common:
    """The options every command takes, gathered by @common_options."""

    base_url: str | None = None
    email: str | None = None
    api_key: str | None = None
    timeout: float | None = None
    deadline: float | None = None
    max_time: str | None = None
    adaptive_batch: bool | None = None
    cache_ttl: str | None = None
    refresh: bool = False
    no_cache: bool = False
    offline: bool = False
    links_from: str | None = None
    output: Path | None = None
    resume: bool = False
    verbose: bool = False
    quiet: bool = False
    log: Path | None = None
    log_stderr: bool = False
    # The command and its options that shape the output, for --resume (see common_options).
    run_shape: str = ""


_COMMON_TYPES: dict[str, Any] = {
    "base_url": BaseUrl,
    "email": Email,
    "api_key": ApiKey,
    "timeout": Timeout,
    "deadline": Deadline,
    "max_time": MaxTime,
    "adaptive_batch": AdaptiveBatchFlag,
    "cache_ttl": CacheTtl,
    "refresh": Refresh,
    "no_cache": NoCache,
    "offline": Offline,
    "links_from": LinksFrom,
    "output": Output,
    "resume": Resume,
    "verbose": Verbose,
    "quiet": Quiet,
    "log": Log,
    "log_stderr": LogStderr,
}


# Options that change how a run goes, not what it writes: a resumed run may differ in them.
_NEUTRAL = frozenset(
    {"resume", "verbose", "quiet", "refresh", "no_cache", "offline", "timeout", "deadline"}
    | {"max_time"}
    | {"cache_ttl", "api_key", "email", "adaptive_batch"}
    | {"log", "log_stderr", "why"}
)


def common_options(command: Callable[..., R]) -> Callable[..., R]:
    """Give a command the shared options (defined once, above) as one `common: Common`
    argument, so every command spells and documents them the same way."""
    # As Typer reads them (eval_str): typing.get_type_hints would wrap a parameter with a
    # None default in Optional[...] on Python 3.10, hiding its Annotated option metadata.
    own = [
        p
        for p in inspect.signature(command, eval_str=True).parameters.values()
        if p.name != "common"
    ]
    defaults = Common()
    extra = [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=getattr(defaults, name), annotation=kind
        )
        for name, kind in _COMMON_TYPES.items()
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> R:
        import json

        if kwargs.get("output") is not None:
            from elinkcli.output.files import check_output_path

            if str(kwargs["output"]) == "-":
                kwargs["output"] = None  # -o - is stdout
            else:
                check_output_path(kwargs["output"])
        # Only what the user gave: a group callback's click Context (`ctx`) is not.
        shape = sorted((k, v) for k, v in kwargs.items() if k not in _NEUTRAL and k != "ctx")
        common = Common(
            **{name: kwargs.pop(name) for name in _COMMON_TYPES if name in kwargs},
            run_shape=json.dumps([command.__name__, shape], default=str),
        )
        return command(*args, common=common, **kwargs)

    wrapper.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + extra
    )
    annotations = {p.name: p.annotation for p in own}
    wrapper.__annotations__ = {**annotations, **_COMMON_TYPES}
    return wrapper
