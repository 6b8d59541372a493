"""`elinkcli.commands.chain`: hop parsing, the path check, column names, and `chain()`
over requests-mock.

The mocked ELink answers with the fake server's own link model (FakeEutils.answer, never
started), so expected paths come from its oracle, `fake.links(...)`, walked hop by hop by
`fakes.reference_walk` (first-seen de-duplication per source), never from chain's output.
Time is a FakeClock: pacing and retry waits cost no real time.
"""

from __future__ import annotations

import math
import random
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.fake_eutils import FakeEutils, Table
from support.fakes import (
    FakeClock,
    HopSpec,
    Path,
    form_pairs,
    form_values,
    next_ids,
    reference_walk,
)

from elinkcli.commands.chain import Hop, HopStats, chain, column_names, plan
from elinkcli.config import Settings
from elinkcli.constants import ELINK, START_BURST_NO_KEY, START_INTERVAL_NO_KEY
from elinkcli.errors import PartialFailure, PermanentError, UsageError
from elinkcli.eutils.client import EutilsClient

BASE = "https://eutils.test/entrez/eutils/"
ELINK_URL = BASE + ELINK
MAX_TRIES = 3


# --- hops as chain() takes them -----------------------------------------------------------


def as_hops(specs: Sequence[HopSpec]) -> list[Hop]:
    return [Hop(target, name) for target, name in specs]


# --- a mocked ELink answering from the fake's link model ---------------------------------


@dataclass
class Sent:
    dbfrom: str
    db: str
    linkname: str | None
    ids: list[str]
    failed: bool


@dataclass
class MockElink:
    """requests-mock callback: FakeEutils' answer for the request; 503 for any request whose
    dbfrom is `fail_dbfrom` and that holds one of `fail_ids`."""

    fake: FakeEutils
    fail_dbfrom: str | None = None
    fail_ids: frozenset[str] = frozenset()
    # ids NCBI rejects: their LinkSet holds an <ERROR> (a permanent one) instead of links.
    reject_ids: frozenset[str] = frozenset()
    sent: list[Sent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Any, context: Any) -> str:
        pairs = form_pairs(request)
        dbfrom = form_values(request, "dbfrom")[0]
        ids = form_values(request, "id")
        failed = dbfrom == self.fail_dbfrom and bool(self.fail_ids & set(ids))
        with self._lock:
            self.sent.append(
                Sent(
                    dbfrom,
                    form_values(request, "db")[0],
                    (form_values(request, "linkname") or [None])[0],
                    ids,
                    failed,
                )
            )
        if failed:
            context.status_code = 503
            return "<html><body>Service Unavailable</body></html>"
        kept = [(k, v) for k, v in pairs if not (k == "id" and v in self.reject_ids)]
        status, _ctype, body = self.fake.answer("/entrez/eutils/" + ELINK, kept)
        context.status_code = status
        text = body.decode()
        for uid in self.reject_ids & set(ids):
            rejected = (
                f"<LinkSet><DbFrom>{dbfrom}</DbFrom><IdList><Id>{uid}</Id></IdList>"
                f"<ERROR>Invalid uid {uid}</ERROR></LinkSet>\n"
            )
            text = text.replace("</eLinkResult>", rejected + "</eLinkResult>")
        return text

    def hop_requests(self, dbfrom: str, db: str) -> list[Sent]:
        return [s for s in self.sent if (s.dbfrom, s.db) == (dbfrom, db)]


@pytest.fixture
def client(clock: FakeClock) -> Iterator[EutilsClient]:
    settings = Settings(base_url=BASE, email="t@example.org", max_tries=MAX_TRIES)
    with EutilsClient(settings, clock=clock, rng=random.Random(7)) as c:
        yield c


def serve(requests_mock: Any, fake: FakeEutils, **kwargs: Any) -> MockElink:
    server = MockElink(fake, **kwargs)
    requests_mock.post(ELINK_URL, text=server)
    return server


def shared_tables() -> dict[str, Table]:
    """Link tables where different sources reach the same ids at every hop, where one
    source reaches one target through two tables, and where pubmed links to itself."""
    return {
        # gene n -> proteins 500 + n // 2 and 600 + n % 3: neighbours share both.
        "gene_protein": Table(
            "gene", "protein", lambda u: [str(500 + int(u) // 2), str(600 + int(u) % 3)]
        ),
        # the first target of gene_protein again, plus one of its own.
        "gene_protein_refseq": Table(
            "gene", "protein", lambda u: [str(500 + int(u) // 2), str(700 + int(u))]
        ),
        # protein p -> structures: p % 4 of them, shared between proteins with equal p % 10.
        "protein_structure": Table(
            "protein",
            "structure",
            lambda u: [str(9000 + int(u) % 10 + 10 * j) for j in range(int(u) % 4)],
        ),
        "pubmed_pubmed": Table("pubmed", "pubmed", lambda u: [u, str(100 + int(u) % 5)]),
    }


# --- Hop.parse -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hop"),
    [
        ("protein", Hop("protein", None)),
        ("protein:gene_protein_refseq", Hop("protein", "gene_protein_refseq")),
        ("structure:", Hop("structure", None)),
        ("Protein:gene_protein", Hop("protein", "gene_protein")),
        (" pubmed :pubmed_pubmed ", Hop("pubmed", "pubmed_pubmed")),
        ("nucleotide", Hop("nuccore", None)),
        ("pubmed:  ", Hop("pubmed", None)),
    ],
)
def test_hop_parse(text: str, hop: Hop) -> None:
    assert Hop.parse(text) == hop


@pytest.mark.parametrize(
    "text", ["", ":", ":gene_protein", "pro tein", "protein/x", "gene-protein:x", "  :pubmed"]
)
def test_hop_parse_refuses_bad_text(text: str) -> None:
    with pytest.raises(UsageError, match="bad hop"):
        Hop.parse(text)


# --- column_names --------------------------------------------------------------------------


def test_column_names_one_per_hop() -> None:
    hops = [Hop("protein", "gene_protein_refseq"), Hop("structure")]
    assert column_names("gene", hops) == ["gene", "protein", "structure"]


def test_column_names_unique_when_a_database_repeats() -> None:
    assert column_names("pubmed", [Hop("pubmed"), Hop("pubmed")]) == [
        "pubmed",
        "pubmed_2",
        "pubmed_3",
    ]
    hops = [Hop("protein"), Hop("gene"), Hop("protein"), Hop("gene")]
    assert column_names("gene", hops) == ["gene", "protein", "gene_2", "protein_2", "gene_3"]


def test_column_names_normalize_the_source_db() -> None:
    assert column_names(" Nucleotide ", [Hop("protein")]) == ["nuccore", "protein"]


@given(
    st.sampled_from(["gene", "protein", "pubmed", "structure", "nuccore"]),
    st.lists(st.sampled_from(["gene", "protein", "pubmed", "structure", "nuccore"]), max_size=8),
)
def test_column_names_always_unique_and_named_after_their_db(db: str, targets: list[str]) -> None:
    names = column_names(db, [Hop(t) for t in targets])
    assert len(names) == len(targets) + 1
    assert len(set(names)) == len(names)
    assert [re.sub(r"_\d+$", "", n) for n in names] == [db, *targets]
    assert names[0] == db


# --- plan ----------------------------------------------------------------------------------


def test_plan_fitting_path_has_no_warnings() -> None:
    hops = [Hop("protein", "gene_protein_refseq"), Hop("structure", "protein_structure")]
    assert plan("gene", hops) == []
    assert plan("gene", [Hop("protein"), Hop("structure")], strict=True) == []
    assert plan("pubmed", [Hop("pubmed", "pubmed_pubmed")] * 3, strict=True) == []


@pytest.mark.parametrize("strict", [False, True])
def test_plan_link_name_from_the_wrong_database_is_refused(strict: bool) -> None:
    with pytest.raises(UsageError, match=r"hop 1.*pubmed_gene"):
        plan("gene", [Hop("protein", "pubmed_gene")], strict=strict)


@pytest.mark.parametrize("strict", [False, True])
def test_plan_link_name_to_the_wrong_database_is_refused(strict: bool) -> None:
    with pytest.raises(UsageError, match=r"hop 1.*gene_protein"):
        plan("gene", [Hop("pubmed", "gene_protein")], strict=strict)


def test_plan_checks_later_hops_against_the_previous_hop() -> None:
    # gene_structure starts from gene, but hop 2 starts from protein.
    hops = [Hop("protein", "gene_protein"), Hop("structure", "gene_structure")]
    with pytest.raises(UsageError, match=r"hop 2.*gene_structure"):
        plan("gene", hops)
    # pubmed_gene leads to gene, not protein (hop 3).
    hops = [Hop("pubmed", "gene_pubmed"), Hop("gene", "pubmed_gene"), Hop("protein", "pubmed_gene")]
    with pytest.raises(UsageError, match=r"hop 3"):
        plan("gene", hops)


def test_plan_source_db_alias_fits() -> None:
    assert plan("nucleotide", [Hop.parse("protein:nuccore_protein")]) == []


# Old link names of `nucleotide` (tests/unit/core/test_old_link_names.py has the table).
@pytest.mark.parametrize(
    ("text", "hop"),
    [
        ("nucleotide_protein", Hop("protein", "nuccore_protein")),
        ("protein_nucleotide", Hop("nuccore", "protein_nuccore")),
        ("gene_protein_refseq", Hop("protein", "gene_protein_refseq")),
    ],
)
def test_a_bare_link_name_is_a_hop_to_where_it_leads(text: str, hop: Hop) -> None:
    assert Hop.parse(text) == hop


@pytest.mark.parametrize(
    "hops", [["nucleotide_protein"], ["protein:nucleotide_protein"], ["protein:nuccore_protein"]]
)
@pytest.mark.parametrize("db", ["nucleotide", "nuccore"])
def test_plan_old_nucleotide_names_fit_nuccore(db: str, hops: list[str]) -> None:
    from elinkcli.commands.plans.chain import ChainPlan

    made = ChainPlan.make(db=db, hops=hops, strict=True)
    assert made.db == "nuccore"
    assert [(h.target, h.linkname) for h in made.hops] == [("protein", "nuccore_protein")]
    assert made.warnings == ()


def test_plan_a_nucleotide_name_without_a_nuccore_form_fits_nuccore() -> None:
    """The catalog places nucleotide_gene_pos from `nucleotide`: nuccore by today's name."""
    assert plan("nucleotide", [Hop("gene", "nucleotide_gene_pos")], strict=True) == []


def test_plan_unknown_names_are_warnings() -> None:
    warnings = plan("gene", [Hop("protein", "gene_protien_refseq"), Hop("structur")])
    assert len(warnings) == 2
    assert warnings[0].startswith("hop 1: ")
    assert "gene_protien_refseq" in warnings[0]
    assert "gene_protein_refseq" in warnings[0]  # the suggestion
    assert warnings[1].startswith("hop 2: ")
    assert "structur" in warnings[1]


def test_plan_unknown_source_database_is_a_warning() -> None:
    warnings = plan("genee", [Hop("protein")])
    assert len(warnings) == 1
    assert warnings[0].startswith("hop 1: ")
    assert "genee" in warnings[0]


@pytest.mark.parametrize(
    ("db", "hops", "culprit"),
    [
        ("gene", [Hop("protein", "gene_protien_refseq")], "hop 1"),
        ("gene", [Hop("protein"), Hop("structur")], "hop 2"),
        ("genee", [Hop("protein")], "hop 1"),
    ],
)
def test_plan_strict_refuses_unknown_names(db: str, hops: list[Hop], culprit: str) -> None:
    with pytest.raises(UsageError, match=culprit):
        plan(db, hops, strict=True)


def test_plan_needs_a_hop() -> None:
    with pytest.raises(UsageError):
        plan("gene", [])


# --- chain(): exact paths ----------------------------------------------------------------


GENE_IDS = [str(n) for n in random.Random(20240613).sample(range(1, 200_000), 60)]


def run_chain(
    client: EutilsClient,
    ids: Sequence[str],
    db: str,
    specs: Sequence[HopSpec],
    **kwargs: Any,
) -> tuple[list[Path], list[HopStats]]:
    stats: list[HopStats] = []
    paths = list(chain(ids, db=db, hops=as_hops(specs), client=client, stats=stats, **kwargs))
    return paths, stats


def test_exact_paths_gene_protein_structure(
    client: EutilsClient, clock: FakeClock, requests_mock: Any
) -> None:
    fake = FakeEutils()
    server = serve(requests_mock, fake)
    specs: list[HopSpec] = [("protein", "gene_protein_refseq"), ("structure", None)]

    paths, stats = run_chain(client, GENE_IDS, "gene", specs, batch=25)

    expected, frontiers = reference_walk(fake, "gene", GENE_IDS, specs)
    assert len(expected) > 30
    assert paths == expected
    assert all(len(p) == 3 for p in paths)
    # Each hop asks about its distinct ids in batches of 25, one id= per id.
    hop1 = server.hop_requests("gene", "protein")
    hop2 = server.hop_requests("protein", "structure")
    assert len(hop1) == math.ceil(len(frontiers[0]) / 25)
    assert len(hop2) == math.ceil(len(frontiers[1]) / 25)
    assert len(hop1) + len(hop2) == len(server.sent)
    assert sorted(i for s in hop1 for i in s.ids) == sorted(frontiers[0])
    assert sorted(i for s in hop2 for i in s.ids) == sorted(frontiers[1])
    assert all("," not in i for s in server.sent for i in s.ids)
    assert {s.linkname for s in hop1} == {"gene_protein_refseq"}
    assert {s.linkname for s in hop2} == {None}
    assert [(h.db, h.ids_in, h.failed) for h in stats] == [
        ("gene", len(frontiers[0]), []),
        ("protein", len(frontiers[1]), []),
    ]
    assert [h.requests for h in stats] == [len(hop1), len(hop2)]
    assert stats[0].links == len(frontiers[1])  # gene ids never share a protein here
    # Paced by the shared request layer: 3 starts a window of 3 x 0.40 s (fake clock).
    window = START_BURST_NO_KEY * START_INTERVAL_NO_KEY
    assert clock.elapsed >= window * ((len(server.sent) - 1) // START_BURST_NO_KEY) - 1e-9


def test_three_hops_through_another_db_exact(client: EutilsClient, requests_mock: Any) -> None:
    fake = FakeEutils()
    serve(requests_mock, fake)
    specs: list[HopSpec] = [("pubmed", None), ("gene", "pubmed_gene"), ("protein", None)]
    paths, _ = run_chain(client, GENE_IDS[:30], "gene", specs)
    expected, _ = reference_walk(fake, "gene", GENE_IDS[:30], specs)
    assert expected
    assert paths == expected


def test_no_links_no_paths(client: EutilsClient, requests_mock: Any) -> None:
    fake = FakeEutils()
    server = serve(requests_mock, fake)
    # gene n has n % 5 protein links: multiples of 5 have none, so hop 2 has nothing to ask.
    paths, stats = run_chain(client, ["5", "10"], "gene", [("protein", None), ("structure", None)])
    assert paths == []
    assert len(server.sent) == 1
    assert [h.ids_in for h in stats] == [2, 0]


# --- chain(): de-duplication per hop -------------------------------------------------------


def test_an_id_reached_twice_is_sent_once(client: EutilsClient, requests_mock: Any) -> None:
    fake = FakeEutils(shared_tables())
    server = serve(requests_mock, fake)
    sources = [str(n) for n in range(10, 40)] + ["12", "10"]  # repeats in the input too
    specs: list[HopSpec] = [("protein", None), ("structure", None)]

    paths, stats = run_chain(client, sources, "gene", specs, batch=7)

    expected, frontiers = reference_walk(fake, "gene", sources, specs)
    assert paths == expected
    # Provenance kept: a shared protein is on the paths of every source that reached it.
    shared = str(500 + 20 // 2)
    assert {p[0] for p in paths if p[1] == shared} >= {"20", "21"}
    # Within one source, 500 + n // 2 comes from two tables but counts once.
    for source in {p[0] for p in paths}:
        firsts = [p[1] for p in paths if p[0] == source]
        seconds_by_first = {f: [p[2] for p in paths if p[:2] == (source, f)] for f in firsts}
        assert all(len(v) == len(set(v)) for v in seconds_by_first.values())
    assert len(set(paths)) == len(paths)
    hop1 = server.hop_requests("gene", "protein")
    hop2 = server.hop_requests("protein", "structure")
    sent1 = [i for s in hop1 for i in s.ids]
    sent2 = [i for s in hop2 for i in s.ids]
    # Every id once per hop, however many paths reach it.
    assert len(sent1) == len(set(sent1)) == 30
    assert set(sent1) == set(frontiers[0])
    assert len(sent2) == len(set(sent2))
    assert set(sent2) == set(frontiers[1])
    reached = [p[1] for p in paths]
    assert len(set(reached)) < len(reached)  # the test does exercise shared ids
    assert len(hop1) == math.ceil(30 / 7)
    assert len(hop2) == math.ceil(len(frontiers[1]) / 7)
    assert [h.ids_in for h in stats] == [30, len(frontiers[1])]


def test_cycle_ends_one_step_per_hop(client: EutilsClient, requests_mock: Any) -> None:
    fake = FakeEutils(shared_tables())
    server = serve(requests_mock, fake)
    specs: list[HopSpec] = [("pubmed", "pubmed_pubmed")] * 3
    paths, stats = run_chain(client, ["101", "7", "12"], "pubmed", specs)
    expected, frontiers = reference_walk(fake, "pubmed", ["101", "7", "12"], specs)
    assert paths == expected
    assert ("101", "101", "101", "101") in paths  # a record linking to itself, every hop
    assert len(server.sent) == 3  # one request per hop, however the links loop
    assert [h.ids_in for h in stats] == [len(f) for f in frontiers]


# --- chain(): --max-per-hop and --warn-above ----------------------------------------------


@pytest.mark.parametrize("cap", [1, 2])
def test_max_per_hop_keeps_the_first_links_of_each_source(
    cap: int, client: EutilsClient, requests_mock: Any
) -> None:
    fake = FakeEutils(shared_tables())
    server = serve(requests_mock, fake)
    sources = [str(n) for n in range(10, 30)]
    specs: list[HopSpec] = [("protein", None), ("structure", None)]

    paths, stats = run_chain(client, sources, "gene", specs, max_per_hop=cap)

    expected, frontiers = reference_walk(fake, "gene", sources, specs, max_per_hop=cap)
    uncapped, _ = reference_walk(fake, "gene", sources, specs)
    assert paths == expected
    assert len(paths) < len(uncapped)
    for source in sources:
        assert len({p[1] for p in paths if p[0] == source}) <= cap
    # Only the kept ids are asked about at the next hop.
    assert {i for s in server.hop_requests("protein", "structure") for i in s.ids} == set(
        frontiers[1]
    )
    assert stats[1].ids_in == len(frontiers[1])


def test_max_per_hop_must_be_positive(client: EutilsClient) -> None:
    with pytest.raises(UsageError):
        list(chain(["1"], db="gene", hops=[Hop("protein")], max_per_hop=0, client=client))


def test_warn_above_calls_warn_for_each_hop_past_it(
    client: EutilsClient, requests_mock: Any
) -> None:
    fake = FakeEutils()
    serve(requests_mock, fake)
    sources = GENE_IDS[:12]
    specs: list[HopSpec] = [("protein", None), ("structure", None)]
    _, frontiers = reference_walk(fake, "gene", sources, specs)
    assert len(frontiers[1]) > len(frontiers[0])
    threshold = len(frontiers[0])  # hop 1 is at it (no warning), hop 2 passes it
    messages: list[str] = []

    paths = list(
        chain(
            sources,
            db="gene",
            hops=as_hops(specs),
            warn_above=threshold,
            warn=messages.append,
            client=client,
        )
    )

    assert paths == reference_walk(fake, "gene", sources, specs)[0]
    assert len(messages) == 1
    assert "hop 2" in messages[0]
    assert str(len(frontiers[1])) in messages[0]

    messages.clear()
    list(
        chain(
            sources,
            db="gene",
            hops=as_hops(specs),
            warn_above=1,
            warn=messages.append,
            client=client,
        )
    )
    assert [m.split(" ", 2)[:2] for m in messages] == [["hop", "1"], ["hop", "2"]]


def test_no_warning_below_the_default(client: EutilsClient, requests_mock: Any) -> None:
    serve(requests_mock, FakeEutils())
    messages: list[str] = []
    list(chain(GENE_IDS, db="gene", hops=[Hop("protein")], warn=messages.append, client=client))
    assert messages == []


# --- chain(): a batch given up at hop 2 ---------------------------------------------------


def test_failed_batch_at_hop_2_complete_paths_then_partial_failure(
    client: EutilsClient, requests_mock: Any
) -> None:
    fake = FakeEutils()
    sources = GENE_IDS[:40]
    specs: list[HopSpec] = [("protein", None), ("gene", "protein_gene"), ("pubmed", None)]
    expected, frontiers = reference_walk(fake, "gene", sources, specs)
    batch = 10
    assert len(frontiers[1]) > 2 * batch
    # Every try of the hop-2 batch holding this protein fails.
    victim = frontiers[1][len(frontiers[1]) // 2]
    server = serve(requests_mock, fake, fail_dbfrom="protein", fail_ids=frozenset({victim}))
    stats: list[HopStats] = []
    got: list[Path] = []

    with pytest.raises(PartialFailure) as info:
        for path in chain(
            sources, db="gene", hops=as_hops(specs), batch=batch, client=client, stats=stats
        ):
            got.append(path)

    failed_requests = [s for s in server.sent if s.failed]
    assert len(failed_requests) == MAX_TRIES
    failed_ids = failed_requests[0].ids
    assert all(s.ids == failed_ids for s in failed_requests)
    assert victim in failed_ids
    # Every path that did not go through a failed id, in order; none that did.
    assert got == [p for p in expected if p[1] not in failed_ids]
    assert got
    message = str(info.value)
    assert "hop 2" in message
    assert "hop 1" not in message and "hop 3" not in message
    assert message.rsplit("failed ids: ", 1)[1].split(",") == failed_ids
    assert list(info.value.ids) == failed_ids
    assert stats[1].failed == failed_ids
    assert stats[0].failed == [] and stats[2].failed == []
    # Hop 3 asked about what the good hop-2 batches reached, and nothing else.
    sent3 = [i for s in server.hop_requests("gene", "pubmed") for i in s.ids]
    assert len(sent3) == len(set(sent3))
    assert set(sent3) == {
        t
        for protein in frontiers[1]
        if protein not in failed_ids
        for t in next_ids(fake, "protein", protein, "gene", "protein_gene", None)
    }


def test_failed_batch_at_hop_1_names_hop_1(client: EutilsClient, requests_mock: Any) -> None:
    fake = FakeEutils()
    sources = GENE_IDS[:20]
    specs: list[HopSpec] = [("protein", None), ("structure", None)]
    expected, _ = reference_walk(fake, "gene", sources, specs)
    victim = sources[-1]
    serve(requests_mock, fake, fail_dbfrom="gene", fail_ids=frozenset({victim}))
    got: list[Path] = []
    with pytest.raises(PartialFailure) as info:
        for path in chain(sources, db="gene", hops=as_hops(specs), batch=10, client=client):
            got.append(path)
    assert list(info.value.ids) == sources[10:]
    assert got == [p for p in expected if p[0] not in sources[10:]]
    assert str(info.value).startswith("hop 1 (gene -> protein): ")


def test_rejected_id_at_hop_2_other_paths_first(client: EutilsClient, requests_mock: Any) -> None:
    fake = FakeEutils()
    sources = GENE_IDS[:20]
    specs: list[HopSpec] = [("protein", None), ("structure", None)]
    expected, frontiers = reference_walk(fake, "gene", sources, specs)
    bad = frontiers[1][3]
    serve(requests_mock, fake, reject_ids=frozenset({bad}))
    got: list[Path] = []
    with pytest.raises(PermanentError) as info:
        for path in chain(sources, db="gene", hops=as_hops(specs), client=client):
            got.append(path)
    assert not isinstance(info.value, PartialFailure)
    assert bad in str(info.value)
    assert got == [p for p in expected if p[1] != bad]
