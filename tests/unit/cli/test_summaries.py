"""The run summaries on stderr (elinkcli.cli.common.print_link_summary, elinkcli.cli.citations
.citation_summary): they count what was written, a resumed run's whole output included, and
a citation service that failed is said to have failed, never counted as 0 links."""

from __future__ import annotations

import pytest

from elinkcli.cli.citations import citation_summary
from elinkcli.cli.common import print_link_summary
from elinkcli.commands.citations import CitationStats
from elinkcli.commands.ledger import CountedIds, Ledger


def ledger(with_links: list[str], without: list[str], links: int, ids_in: int) -> Ledger:
    stats = Ledger(ids_in=ids_in, links=links, requests=2)
    stats.ids_with_links.extend(with_links)
    stats.ids_without_links.extend(without)
    return stats


def test_a_run_from_the_start(capsys: pytest.CaptureFixture[str]) -> None:
    print_link_summary(ledger(["1", "2"], ["3"], 5, 3), verbose=True)
    assert capsys.readouterr().err.splitlines() == [
        "elinkcli: 3 id(s) in, 2 with links, 1 without links; 5 link(s); 2 request(s), 0 retries",
        "elinkcli: without links: 3",
    ]


def test_a_resumed_run_counts_the_batches_done_before(capsys: pytest.CaptureFixture[str]) -> None:
    # 10 ids: the journal says 6 were done before (5 with links, 1 without, 12 links).
    stats = ledger(["7", "8", "9"], ["10"], 4, 10)
    stats.before = {"ids": 6, "with": 5, "without": 1, "links": 12}
    print_link_summary(stats, verbose=True)
    assert capsys.readouterr().err.splitlines() == [
        "elinkcli: 10 id(s) in (6 done before --resume), 8 with links, 2 without links; "
        "16 link(s); 2 request(s), 0 retries",
        "elinkcli: without links: 10,... (1 in the batches done before --resume)",
    ]


def test_the_listing_of_many_ids_says_how_many_more() -> None:
    from elinkcli.cli.common import _listing

    ids = CountedIds()
    ids.extend(str(n) for n in range(1005))
    listing = _listing("without links", ids, 1010)
    assert listing.startswith("elinkcli: without links: 0,1,2,")
    assert listing.endswith(",998,999,... (5 more, 5 in the batches done before --resume)")


def citation_stats(
    given: dict[str, int], links: int, failed: dict[str, list[str]]
) -> CitationStats:
    stats = CitationStats(links=links, given=dict(given))
    for name, ids in failed.items():
        stats.failed[name] = CountedIds()
        stats.failed[name].extend(ids)
    return stats


def test_a_failed_service_is_said_to_have_failed_for_which_pmids() -> None:
    stats = citation_stats(
        {"elink": 9, "icite": 18, "europepmc": 0}, 18, {"europepmc": ["13", "20", "27"]}
    )
    lines = citation_summary(stats, 3, ("elink", "icite", "europepmc"), verbose=True)
    assert lines == [
        "elinkcli: 3 PMID(s) in, 18 citation link(s): elink 9, icite 18, "
        "europepmc failed (all 3 PMID(s))",
        "elinkcli: europepmc failed for: 13,20,27",
    ]


def test_a_service_that_failed_for_some_pmids_keeps_its_links() -> None:
    stats = citation_stats({"icite": 6, "europepmc": 4}, 7, {"europepmc": ["20"]})
    assert citation_summary(stats, 3, ("icite", "europepmc")) == [
        "elinkcli: 3 PMID(s) in, 7 citation link(s): icite 6, europepmc 4 (failed for 1 PMID(s))"
    ]


def test_a_service_that_answered_with_no_citations_is_0() -> None:
    stats = citation_stats({"icite": 0}, 0, {})
    assert citation_summary(stats, 2, ("icite",)) == [
        "elinkcli: 2 PMID(s) in, 0 citation link(s): icite 0"
    ]


def test_a_resumed_citation_run_counts_the_whole_output() -> None:
    stats = citation_stats({"icite": 3}, 3, {})
    stats.before = {"ids": 4, "links": 20, "links.icite": 20}
    assert citation_summary(stats, 6, ("icite",)) == [
        "elinkcli: 6 PMID(s) in (4 done before --resume), 23 citation link(s): icite 23"
    ]
