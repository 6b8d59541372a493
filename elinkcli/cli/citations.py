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
    from elinkcli.commands.citations import CitationStats
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
            for text in citation_summary(stats, len(ids), sources, verbose=common.verbose):
                say(text)

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
        ledger=stats,
    )


def citation_summary(
    stats: CitationStats, n_ids: int, sources: Sequence[str], *, verbose: bool = False
) -> list[str]:
    """The summary of a citation run, as written: the whole run's links (a resumed run's
    too), then per service the links it gave, or that it failed (for how many PMIDs; with
    `verbose`, which)."""
    whole = stats.tally()
    before = stats.before.get("ids", 0)
    per = []
    for name in sources:
        failed = len(stats.failed.get(name, ()))
        if failed and failed == n_ids - before and not stats.whole(name):
            per.append(f"{name} failed (all {failed} PMID(s))")
        elif failed:
            per.append(f"{name} {stats.whole(name)} (failed for {failed} PMID(s))")
        else:
            per.append(f"{name} {stats.whole(name)}")
    done_before = f" ({before} done before --resume)" if before else ""
    lines = [
        f"elinkcli: {n_ids} PMID(s) in{done_before}, {whole.get('links', 0)} citation link(s): "
        + ", ".join(per)
    ]
    if verbose:
        for name in sources:
            if stats.failed.get(name):
                lines.append(_failed_listing(name, stats.failed[name]))
    return lines


def _failed_listing(name: str, ids: Sequence[str]) -> str:
    named = list(ids[:1000])
    more = f",... ({len(ids) - len(named)} more)" if len(ids) > len(named) else ""
    return f"elinkcli: {name} failed for: {','.join(named)}{more}"
