"""Every option defined once, as an Annotated type; EDirect's spellings beside the long ones."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from elinkcli import constants as C
from elinkcli.cli.completion import complete_database, complete_linkname

NET = "Connection"
IO = "Input and output"


class Format(str, Enum):
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    table = "table"
    uid = "uid"
    edirect = "edirect"


class InputForm(str, Enum):
    auto = "auto"
    edirect = "edirect"
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
    ),
]
Name = Annotated[
    str | None,
    typer.Option(
        "--name",
        "-name",
        metavar="LINKNAME",
        autocompletion=complete_linkname,
        help="Link name, e.g. gene_protein_refseq. Without it every link table of the pair "
        "comes back, each row naming its table.",
    ),
]
Ids = Annotated[
    list[str] | None,
    typer.Option(
        "--id",
        "-id",
        metavar="ID[,ID...]",
        help="Source id; repeat it or separate ids with commas. Wins over stdin.",
        rich_help_panel=IO,
    ),
]
OutputFormat = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-format",
        metavar="tsv|json|jsonl|table|uid|edirect",
        help="Output format. Default: table on a terminal; into a pipe, edirect when stdin "
        "was an ENTREZ_DIRECT message, else tsv.",
        rich_help_panel=IO,
    ),
]
InputFormat = Annotated[
    InputForm,
    typer.Option(
        "--input-format",
        metavar="auto|edirect|tsv|json|jsonl|plain",
        help="Form of stdin; auto detects an ENTREZ_DIRECT message, elinkcli's tsv/json/jsonl "
        "(their target ids are read) or plain ids.",
        rich_help_panel=IO,
    ),
]
NoHeader = Annotated[
    bool, typer.Option("--no-header", help="Leave out the tsv header line.", rich_help_panel=IO)
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="Print the summary even when stderr is not a terminal, and list the ids "
        "without links, not echoed by NCBI, or failed.",
        rich_help_panel=IO,
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
        rich_help_panel=NET,
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
        rich_help_panel=NET,
    ),
]
Email = Annotated[
    str | None,
    typer.Option(
        "--email",
        "-email",
        metavar="ADDRESS",
        help="Contact e-mail sent to NCBI [env: NCBI_EMAIL, else EMAIL]",
        rich_help_panel=NET,
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
        rich_help_panel=NET,
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        min=1.0,
        help="Seconds to wait for one answer before asking again.",
        rich_help_panel=NET,
    ),
]
Deadline = Annotated[
    float,
    typer.Option(
        "--deadline",
        metavar="SECONDS",
        min=1.0,
        help="Seconds one request may take, all retries included, before it is given up.",
        rich_help_panel=NET,
    ),
]
Strict = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Refuse a database or link name the bundled catalog does not know (exit 2), "
        "instead of warning.",
    ),
]
