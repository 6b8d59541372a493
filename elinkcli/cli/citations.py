"""`link --cited / --cites`: citation links from iCite, Europe PMC and ELink (the CLI side
of elinkcli.commands.citations)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from elinkcli.cli.errors import say, warn
from elinkcli.commands import notices
from elinkcli.errors import UsageError

if TYPE_CHECKING:
    from elinkcli.cli.common import Row
    from elinkcli.cli.options import Common
    from elinkcli.commands.batching import BatchHooks
    from elinkcli.eutils.client import EutilsClient
    from elinkcli.ids.input import RunInput


def run_citations(
    *,
    direction: str,
    run: RunInput,
    sources_text: str | None,
    icite_url: str | None,
    europepmc_url: str | None,
    fmt: str | None,
    batch: int,
    no_header: bool,
    common: Common,
) -> None:
    from elinkcli.cli.common import OutputSpec, run_rows, show_summary
    from elinkcli.commands.citations import CITATION_COLUMNS, CitationStats, count_columns
    from elinkcli.commands.plans.citations import CitationPlan
    from elinkcli.commands.runs import citation_rows
    from elinkcli.config import resolve

    CitationPlan.check_input(run)
    to_terminal = common.output is None and sys.stdout.isatty()
    counts = fmt == "counts" or (fmt in (None, "table") and to_terminal)
    plan = CitationPlan.make(direction=direction, sources=sources_text, batch=batch, counts=counts)
    plan = plan.settled(resolve(environ=None).settings.citations_from)
    sources = plan.sources
    if fmt == "edirect" or fmt == "xml":
        raise UsageError(f"--cited/--cites write tsv, json, jsonl, uid, table or counts, not {fmt}")
    out_fmt = "table" if counts and (fmt is None or fmt == "table") and to_terminal else fmt
    if counts and out_fmt == "counts":
        out_fmt = "tsv"
    stats = CitationStats()
    ids = list(run.ids)

    def produce(client: EutilsClient | None, hooks: BatchHooks) -> Iterator[Sequence[Row]]:
        assert client is not None
        return citation_rows(plan, run, client, stats, hooks)

    def summary() -> None:
        for text in notices.unknown_pmids(stats.unknown):
            warn(text)
        for name, service_stats in stats.per_service.items():
            for text in notices.unexpected(service_stats):
                warn(f"{name}: {text}")
        if show_summary(common):
            say(
                f"elinkcli: {len(ids)} PMID(s) in, {stats.links} citation link(s) from "
                f"{', '.join(sources)}"
            )

    spec = OutputSpec(
        fmt=out_fmt or ("tsv" if counts else None),
        columns=count_columns(sources) if counts else CITATION_COLUMNS,
        uid_key="target_id" if not counts else "source_id",
        header=not no_header,
        title=f"pubmed → {'citing' if direction == 'cited' else 'cited'} papers",
        ids=ids,
        identity=run.identity,
    )
    run_rows(
        common,
        spec,
        produce,
        total_ids=len(ids),
        summary=summary,
        batched=True,
        client_options={"icite_url": icite_url, "europepmc_url": europepmc_url},
    )
