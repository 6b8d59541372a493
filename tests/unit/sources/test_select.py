"""A source of links beside ELink: one class and one chooser, and every command's batching
gives it the cache, --offline, failures kept for the end and each id's provenance (the
token the user gave) without a change to any command.

The source here answers from a table in memory, as NCBI's bulk link files loaded locally
would; the oracle is that table. Nothing reaches a network: the client's base URL is a
closed port, and requests-mock refuses any request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from elinkcli.commands.ledger import Ledger
from elinkcli.commands.link import link
from elinkcli.config import Settings
from elinkcli.errors import GaveUpError, PartialFailure
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.records import ELinkResult, LinkSet, LinkSetDb
from elinkcli.sources import select
from elinkcli.sources.base import LinkRequest
from elinkcli.sources.connect import connect
from elinkcli.sources.elink import ElinkSource

TABLE = {"672": ["11", "12"], "7157": ["21"], "1": []}


@dataclass
class TableSource:
    """gene_protein_refseq from a table: one LinkSet per UID it knows."""

    asked: list[list[str]] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)

    @property
    def signature(self) -> str:
        return "table:gene_protein_refseq"

    def answer(self, uids: list[str]) -> ELinkResult:
        self.asked.append(list(uids))
        if self.fail & set(uids):
            raise GaveUpError("the table is away", uids, 1)
        return ELinkResult(
            tuple(
                LinkSet(
                    "gene",
                    (uid,),
                    (LinkSetDb("protein", "gene_protein_refseq", tuple(TABLE[uid])),)
                    if TABLE[uid]
                    else (),
                )
                for uid in uids
                if uid in TABLE
            )
        )


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> TableSource:
    source = TableSource()

    def choose(client: EutilsClient, request: LinkRequest) -> TableSource | None:
        takes = request.cmd == "neighbor" and request.linkname == "gene_protein_refseq"
        return source if takes else None

    monkeypatch.setattr(select, "CHOOSERS", (choose,))
    return source


@pytest.fixture
def client(tmp_path: Path, requests_mock: object) -> Iterator[EutilsClient]:
    settings = Settings(base_url="http://127.0.0.1:9/eutils/", cache_dir=tmp_path / "cache")
    with connect(settings) as made:
        yield made


def rows(client: EutilsClient, ids: list[str], stats: Ledger | None = None) -> list[tuple]:
    found = link(
        ids, db="gene", target="protein", name="gene_protein_refseq", client=client, stats=stats
    )
    return [(r.source_id, r.target_id, r.source_uid) for r in found]


def test_a_chosen_source_answers_with_each_tokens_provenance(table, client) -> None:
    stats = Ledger()
    # "0672" is the token given; its UID is 672: rows keep the token, the UID beside it.
    got = rows(client, ["0672", "7157", "1"], stats)
    assert got == [("0672", "11", "672"), ("0672", "12", "672"), ("7157", "21", "7157")]
    assert table.asked == [["672", "7157", "1"]]
    assert (len(stats.ids_with_links), len(stats.ids_without_links)) == (2, 1)


def test_its_answers_are_cached_like_elinks(table, client) -> None:
    first = rows(client, ["672", "7157"])
    again = rows(client, ["672", "7157", "1"])
    assert again[: len(first)] == first
    assert table.asked == [["672", "7157"], ["1"]]  # only the id not cached is asked


def test_a_batch_it_gives_up_on_fails_at_the_end_after_the_other_rows(table, client) -> None:
    table.fail = {"7157"}
    stats = Ledger()
    got: list[tuple] = []
    with pytest.raises(PartialFailure) as caught:
        for row in link(
            ["672", "7157"], db="gene", target="protein", name="gene_protein_refseq",
            batch=1, client=client, stats=stats,
        ):  # fmt: skip
            got.append((row.source_id, row.target_id))
    assert got == [("672", "11"), ("672", "12")]
    assert caught.value.ids == ("7157",)
    assert list(stats.ids_failed) == ["7157"]


def test_what_no_chooser_takes_goes_to_elink(client) -> None:
    request = LinkRequest("gene", "neighbor", "protein", "gene_protein_refseq")
    source = select.source_for(client, request, choosers=())
    assert isinstance(source, ElinkSource)
    assert source.params(["1"]) == request.params(["1"])
    assert source.signature is not None
    assert select.source_for(client, LinkRequest("gene", "neighbor", union=True)).signature is None
