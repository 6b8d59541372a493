"""`elinkcli.commands.link.link` over requests-mock: batching, attribution by echoed id
(docs/reference/eutils-facts.md, facts 1-3)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from support.fakes import FakeClock, chunks, elink_xml, form_values

from elinkcli.commands.ledger import Ledger
from elinkcli.commands.link import link, link_batches
from elinkcli.config import Settings
from elinkcli.constants import ELINK, MAX_BATCH
from elinkcli.errors import PartialFailure, PermanentError, UsageError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.params import LinkFilters
from elinkcli.models import LinkRow

BASE = "https://eutils.test/entrez/eutils/"
ELINK_URL = BASE + ELINK
IDS = [str(1000 + 3 * k) for k in range(250)]
BATCH = 100
MAX_TRIES = 3

Targets = Callable[[str], list[str]]


def targets(source_id: str) -> list[str]:
    """Per-id links: 0 to 3 of them, named after the source id."""
    return [f"{source_id}0{j}" for j in range(int(source_id) % 4)]


def score(source_id: str, j: int) -> int:
    return 10_000 - 10 * j - int(source_id) % 7


def overlapping_targets(source_id: str) -> list[str]:
    """Links shared by many ids, across batches too (for union)."""
    return [str(900 + (int(source_id) * 7 + j) % 23) for j in range(int(source_id) % 4)]


def expected_rows(
    ids: Sequence[str],
    *,
    dbfrom: str = "gene",
    dbto: str = "protein",
    scored: bool = False,
    rule: Targets = targets,
) -> list[LinkRow]:
    return [
        LinkRow(dbfrom, i, f"{dbfrom}_{dbto}", dbto, t, score(i, j) if scored else None, i)
        for i in ids
        for j, t in enumerate(rule(i))
    ]


class FakeElink:
    """A requests-mock callback with NCBI's semantics: one LinkSet per id= value.

    A comma-joined value gets one merged LinkSet (targets de-duplicated, first seen first).
    """

    def __init__(
        self,
        rule: Targets = targets,
        *,
        order: Callable[[list[str]], list[str]] = lambda keys: keys,
        omit: frozenset[str] = frozenset(),
        echo_as: dict[str, str] | None = None,
        linkset_errors: dict[str, str] | None = None,
        error_times: int | None = None,
        fail_when: str | None = None,
        with_scores: bool = False,
    ) -> None:
        self.rule = rule
        self.order = order
        self.omit = omit
        self.echo_as = echo_as or {}
        self.linkset_errors = linkset_errors or {}
        self.error_times = error_times
        self.fail_when = fail_when
        self.with_scores = with_scores
        self.id_values: list[list[str]] = []
        self._lock = threading.Lock()
        self._errors_sent = 0

    def __call__(self, request: Any, context: Any) -> str:
        values = form_values(request, "id")
        with self._lock:
            self.id_values.append(values)
        all_ids = [i for v in values for i in v.split(",")]
        if self.fail_when is not None and self.fail_when in all_ids:
            context.status_code = 503
            return "Service Unavailable"
        links: dict[str, list[str]] = {}
        scores: dict[str, list[int]] = {}
        for value in values:
            if "," in value:
                merged = [t for i in value.split(",") for t in self.rule(i)]
                links[value] = list(dict.fromkeys(merged))
                continue
            if value in self.omit:
                continue
            key = self.echo_as.get(value, value)
            links[key] = self.rule(value)
            scores[key] = [score(value, j) for j in range(len(links[key]))]
        errors = {}
        with self._lock:
            if self.error_times is None or self._errors_sent < self.error_times:
                errors = {k: e for k, e in self.linkset_errors.items() if k in links}
                self._errors_sent += bool(errors)
        ordered = {k: links[k] for k in self.order(list(links))}
        return elink_xml(
            ordered,
            dbfrom=form_values(request, "dbfrom")[0],
            dbto=form_values(request, "db")[0],
            scores=scores if self.with_scores else None,
            errors=errors,
        )


@pytest.fixture
def client(clock: FakeClock) -> Iterator[EutilsClient]:
    settings = Settings(base_url=BASE, email="t@example.org", max_tries=MAX_TRIES)
    with EutilsClient(settings, clock=clock, rng=random.Random(99)) as c:
        yield c


def run(client: EutilsClient, ids: Sequence[str] = IDS, **kwargs: Any) -> tuple[list, Ledger]:
    stats = Ledger()
    options: dict[str, Any] = {"db": "gene", "target": "protein", "batch": BATCH}
    options.update(kwargs)
    rows = list(link(ids, client=client, stats=stats, **options))
    return rows, stats


# --- attribution ------------------------------------------------------------------------


def test_hundreds_of_ids_each_link_attributed_to_its_own_source(
    client: EutilsClient, requests_mock
) -> None:
    server = FakeElink()
    requests_mock.post(ELINK_URL, text=server)
    rows, stats = run(client)
    assert rows == expected_rows(IDS)
    # One request per batch, one id= per id, never comma-joined.
    assert requests_mock.call_count == len(chunks(IDS, BATCH)) == 3
    assert sorted(map(tuple, server.id_values)) == sorted(map(tuple, chunks(IDS, BATCH)))
    assert all("," not in v for values in server.id_values for v in values)
    for request in requests_mock.request_history:
        assert form_values(request, "dbfrom") == ["gene"]
        assert form_values(request, "db") == ["protein"]
        assert form_values(request, "cmd") == ["neighbor"]
    assert stats.ids_in == len(IDS)
    assert stats.ids_with_links == [i for i in IDS if targets(i)]
    assert stats.ids_without_links == [i for i in IDS if not targets(i)]
    assert stats.links == sum(len(targets(i)) for i in IDS) == len(rows)
    assert stats.ids_not_echoed == []
    assert stats.ids_unexpected == []
    assert stats.ids_failed == []
    assert stats.requests == 3
    assert stats.retries == 0


def test_batches_hold_plain_tuples_and_link_gives_named_rows(
    client: EutilsClient, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, text=FakeElink(with_scores=True))
    options: dict[str, Any] = {"db": "pubmed", "target": "pubmed", "cmd": "neighbor_score"}
    batches = list(link_batches(IDS, client=client, batch=BATCH, **options))
    assert [len(b) for b in batches] == [
        sum(len(targets(i)) for i in c) for c in chunks(IDS, BATCH)
    ]
    flat = [row for b in batches for row in b]
    assert all(type(row) is tuple for row in flat)
    named = list(link(IDS, client=client, batch=BATCH, **options))
    assert all(type(row) is LinkRow for row in named)
    assert named == flat == expected_rows(IDS, dbfrom="pubmed", dbto="pubmed", scored=True)
    assert [r.target_id for r in named] == [row[4] for row in flat]


@pytest.mark.parametrize("batch", [1, 7, 64, MAX_BATCH])
def test_batch_size_sets_the_number_of_requests(
    batch: int, client: EutilsClient, requests_mock
) -> None:
    ids = IDS[:64]
    server = FakeElink()
    requests_mock.post(ELINK_URL, text=server)
    rows, _ = run(client, ids, batch=batch)
    assert rows == expected_rows(ids)
    assert requests_mock.call_count == len(chunks(ids, batch))
    assert sorted(len(v) for v in server.id_values) == sorted(len(c) for c in chunks(ids, batch))


@pytest.mark.parametrize(
    "order",
    [
        lambda keys: keys[::-1],
        lambda keys: random.Random(len(keys)).sample(keys, len(keys)),
    ],
    ids=["reversed", "shuffled"],
)
def test_answer_in_another_order_still_follows_input_order(
    order: Callable[[list[str]], list[str]], client: EutilsClient, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, text=FakeElink(order=order))
    rows, stats = run(client)
    assert rows == expected_rows(IDS)
    assert [r.source_id for r in rows] == [i for i in IDS for _ in targets(i)]
    assert stats.ids_with_links == [i for i in IDS if targets(i)]
    assert stats.ids_unexpected == []


def test_id_not_echoed_is_counted_not_dropped_silently(client: EutilsClient, requests_mock) -> None:
    missing = [i for i in IDS if targets(i)][3]
    requests_mock.post(ELINK_URL, text=FakeElink(omit=frozenset({missing})))
    rows, stats = run(client)
    assert stats.ids_not_echoed == [missing]
    assert rows == expected_rows([i for i in IDS if i != missing])
    assert missing not in stats.ids_with_links + stats.ids_without_links


@pytest.mark.parametrize("echo", ["0", "-1"])
def test_id_echoed_as_zero_or_minus_one_is_not_an_attribution(
    echo: str, client: EutilsClient, requests_mock
) -> None:
    victim = [i for i in IDS if targets(i)][10]
    requests_mock.post(ELINK_URL, text=FakeElink(echo_as={victim: echo}))
    rows, stats = run(client)
    assert all(r.source_id not in ("0", "-1") for r in rows)
    assert not set(targets(victim)) & {r.target_id for r in rows}
    assert rows == expected_rows([i for i in IDS if i != victim])
    assert stats.ids_not_echoed == [victim]
    assert stats.ids_unexpected == []


# --- scores -----------------------------------------------------------------------------


def test_neighbor_score_fills_score(client: EutilsClient, requests_mock) -> None:
    ids = IDS[:40]
    requests_mock.post(ELINK_URL, text=FakeElink(with_scores=True))
    rows, _ = run(client, ids, db="pubmed", target="pubmed", cmd="neighbor_score")
    assert rows == expected_rows(ids, dbfrom="pubmed", dbto="pubmed", scored=True)
    assert all(isinstance(r.score, int) for r in rows)
    assert form_values(requests_mock.last_request, "cmd") == ["neighbor_score"]


def test_neighbor_ignores_scores_in_the_answer(client: EutilsClient, requests_mock) -> None:
    ids = IDS[:40]
    requests_mock.post(ELINK_URL, text=FakeElink(with_scores=True))
    rows, _ = run(client, ids, db="pubmed", target="pubmed", cmd="neighbor")
    assert rows == expected_rows(ids, dbfrom="pubmed", dbto="pubmed", scored=False)
    assert rows and all(r.score is None for r in rows)


# --- union ------------------------------------------------------------------------------


def test_union_sends_one_joined_id_per_batch_and_dedups_across_batches(
    client: EutilsClient, requests_mock
) -> None:
    server = FakeElink(rule=overlapping_targets)
    requests_mock.post(ELINK_URL, text=server)
    rows, stats = run(client, union=True)
    assert requests_mock.call_count == len(chunks(IDS, BATCH))
    assert all(len(values) == 1 for values in server.id_values)
    assert sorted(v[0] for v in server.id_values) == sorted(",".join(c) for c in chunks(IDS, BATCH))
    all_targets = [t for i in IDS for t in overlapping_targets(i)]
    distinct = list(dict.fromkeys(all_targets))
    assert len(distinct) < len(all_targets)  # the rule does produce repeats
    assert rows == [LinkRow("gene", None, "gene_protein", "protein", t) for t in distinct]
    assert all(r.source_id is None for r in rows)
    assert stats.links == len(distinct)
    assert stats.ids_not_echoed == []


# --- failures -------------------------------------------------------------------------


def test_failing_batch_is_reported_after_all_other_rows(
    client: EutilsClient, requests_mock
) -> None:
    batches = chunks(IDS, BATCH)
    bad = batches[1]
    requests_mock.post(ELINK_URL, text=FakeElink(fail_when=bad[len(bad) // 2]))
    stats = Ledger()
    rows: list[LinkRow] = []
    with pytest.raises(PartialFailure) as excinfo:
        for row in link(IDS, db="gene", target="protein", client=client, stats=stats):
            rows.append(row)
    good_ids = [i for i in IDS if i not in set(bad)]
    assert rows == expected_rows(good_ids)
    assert excinfo.value.ids == tuple(bad)
    assert stats.ids_failed == bad
    # The message names the first 50 and how many in all; the error keeps every one.
    assert str(excinfo.value).endswith(f"failed ids: {','.join(bad[:50])},… (100 in all)")
    assert requests_mock.call_count == (len(batches) - 1) + MAX_TRIES
    assert stats.retries == MAX_TRIES - 1


def test_linkset_permanent_error_names_that_id_after_other_rows(
    client: EutilsClient, requests_mock
) -> None:
    bad = [i for i in IDS if targets(i)][20]
    requests_mock.post(ELINK_URL, text=FakeElink(linkset_errors={bad: "Invalid uid"}))
    stats = Ledger()
    rows: list[LinkRow] = []
    with pytest.raises(PermanentError) as excinfo:
        for row in link(IDS, db="gene", target="protein", client=client, stats=stats):
            rows.append(row)
    assert not isinstance(excinfo.value, PartialFailure)
    assert rows == expected_rows([i for i in IDS if i != bad])
    assert bad in str(excinfo.value)
    assert "Invalid uid" in str(excinfo.value)
    assert stats.ids_failed == [bad]
    assert requests_mock.call_count == len(chunks(IDS, BATCH))
    assert stats.retries == 0


def test_linkset_transient_error_retries_the_batch(client: EutilsClient, requests_mock) -> None:
    ids = IDS[:30]
    flaky = ids[5]
    server = FakeElink(linkset_errors={flaky: "#exLinkSrv2"}, error_times=1)
    requests_mock.post(ELINK_URL, text=server)
    rows, stats = run(client, ids)
    assert rows == expected_rows(ids)
    assert requests_mock.call_count == 2
    assert stats.retries == 1
    assert stats.ids_failed == []


# --- usage errors before any request ----------------------------------------------------


@pytest.mark.parametrize("cmd", ["ncheck", "neighbor_history", "llinks", "bogus"])
def test_bad_cmd_is_a_usage_error_before_any_request(
    cmd: str, client: EutilsClient, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, text=FakeElink())
    with pytest.raises(UsageError, match="cmd"):
        run(client, cmd=cmd)
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("batch", [0, -1, MAX_BATCH + 1])
def test_batch_out_of_range_is_a_usage_error_before_any_request(
    batch: int, client: EutilsClient, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, text=FakeElink())
    with pytest.raises(UsageError, match="batch"):
        run(client, batch=batch)
    assert requests_mock.call_count == 0


def test_bad_filters_are_a_usage_error_before_any_request(
    client: EutilsClient, requests_mock
) -> None:
    requests_mock.post(ELINK_URL, text=FakeElink())
    with pytest.raises(UsageError, match="--term"):
        run(client, filters=LinkFilters(term="human[orgn]"))
    assert requests_mock.call_count == 0
