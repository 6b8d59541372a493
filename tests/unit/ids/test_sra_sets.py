"""sra accessions naming several records (a study SRP…, a sample SRS…, a submission SRA…),
in the library: each expanded by its own paged ESearch `TOKEN[ACCN]` to every experiment
UID it names, answered by the fake server's model (tests/support/fake_eutils.py) through
requests-mock; ELink answers written here or by the same model. Every expected value comes
from that model, never from elinkcli."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.fake_eutils import ESEARCH_HEAD, FakeEutils, Table
from support.fakes import elink_xml
from support.modeled import BASE, Model, make_client, serve

from elinkcli.commands.link import link
from elinkcli.constants import ELINK, ESEARCH, ESUMMARY
from elinkcli.errors import ElinkError
from elinkcli.eutils.client import EutilsClient
from elinkcli.ids import resolve
from elinkcli.ids.resolve import build_table

STUDY = "SRP000111"  # 3 experiments
OTHER = "SRP000222"  # 2 experiments
BIG = "SRP000555"  # 5 experiments
SAMPLE = "SRS700001"


def study_uids(fake: FakeEutils, accession: str) -> list[str]:
    """The model's experiments naming `accession` (study, sample or run), ascending."""
    found = [u for u, accs in fake.records.get("sra", {}).items() if accession in accs]
    return sorted(found, key=int)


@pytest.fixture
def fake() -> FakeEutils:
    """Experiments 8000000..8000009: STUDY has 3 (not in UID order of insertion), OTHER 2,
    BIG 5; samples alternate SRS700000/SRS700001; each experiment has one run."""
    fake = FakeEutils()
    layout = [STUDY, OTHER, STUDY, OTHER, STUDY, BIG, BIG, BIG, BIG, BIG]
    # Added out of UID order: the table must sort them, not keep the model's order.
    for n in [7, 3, 9, 0, 5, 1, 8, 2, 6, 4]:
        uid = 8_000_000 + n
        fake.add_record(
            "sra", uid, f"SRX{800000 + n}", f"SRR{9000000 + n}", layout[n], f"SRS{700000 + n % 2}"
        )
    fake.tables["sra_bioproject"] = Table("sra", "bioproject", lambda u: [str(200000 + int(u) % 3)])
    return fake


@pytest.fixture
def served(requests_mock: Any, fake: FakeEutils) -> dict[str, Model]:
    return serve(requests_mock, fake, (ESEARCH, ESUMMARY, ELINK))


@pytest.fixture
def client(tmp_path: Any) -> Iterator[EutilsClient]:
    with make_client(tmp_path) as c:
        yield c


def searches_for(model: Model, token: str) -> list[dict[str, str]]:
    return [dict(p) for p in model.log if token in dict(p).get("term", "")]


def esearch_answer(count: int, ids: list[str], term: str) -> str:
    """An ESearch answer written by hand, in the shape of NCBI's eSearchResult (DTD esearch
    20060628: Count, RetMax, RetStart, IdList, TranslationSet, QueryTranslation), as
    support.fake_eutils writes it. tests/fixtures holds no recorded ESearch answer."""
    listed = "".join(f"<Id>{i}</Id>" for i in ids)
    return (
        f"{ESEARCH_HEAD}<eSearchResult><Count>{count}</Count><RetMax>{len(ids)}</RetMax>"
        f"<RetStart>0</RetStart><IdList>{listed}</IdList><TranslationSet/>"
        f"<QueryTranslation>{term}</QueryTranslation></eSearchResult>\n"
    )


# --- resolution --------------------------------------------------------------------------


def test_a_study_stands_for_every_experiment_and_single_accessions_for_one(
    client, served, fake
) -> None:
    tokens = [STUDY, "SRR9000004", "SRX800001"]
    table = build_table(client, "sra", tokens)
    assert table.tokens == tokens
    assert table.problems == [] and table.failed == []
    assert list(table.sets) == [STUDY]
    assert list(table.sets[STUDY]) == study_uids(fake, STUDY)
    assert list(table.uids_of(STUDY)) == study_uids(fake, STUDY)
    assert len(table.sets[STUDY]) == 3
    assert table.uids_of("SRR9000004") == tuple(study_uids(fake, "SRR9000004"))
    assert table.uids_of("SRX800001") == tuple(study_uids(fake, "SRX800001"))
    assert len(table.uids_of("SRR9000004")) == len(table.uids_of("SRX800001")) == 1
    # The study's own ESearch: its term alone, so every UID it lists is the study's.
    (search,) = searches_for(served[ESEARCH], STUDY)
    assert search["term"] == f"{STUDY}[ACCN]"
    assert search["db"] == "sra"


def test_a_sample_and_a_study_sharing_experiments_keep_their_own_sets(client, served, fake):
    table = build_table(client, "sra", [SAMPLE, OTHER])
    assert table.tokens == [SAMPLE, OTHER]
    assert list(table.uids_of(SAMPLE)) == study_uids(fake, SAMPLE)
    assert list(table.uids_of(OTHER)) == study_uids(fake, OTHER)
    assert set(table.uids_of(SAMPLE)) & set(table.uids_of(OTHER))  # they overlap


@pytest.mark.parametrize("token", ["SRP000111", "ERP000111", "DRP000111", "srp000111"])
def test_every_archive_and_case_of_a_study_is_expanded(client, served, fake, token) -> None:
    for uid in study_uids(fake, STUDY):
        fake.add_record("sra", uid, token.upper())
    table = build_table(client, "sra", [token])
    assert table.tokens == [token]
    assert list(table.uids_of(token)) == study_uids(fake, STUDY)


def test_a_study_is_paged_with_retstart(client, served, fake, monkeypatch) -> None:
    monkeypatch.setattr(resolve, "SET_PAGE", 2)
    table = build_table(client, "sra", [BIG])
    wanted = study_uids(fake, BIG)
    assert len(wanted) == 5
    assert list(table.uids_of(BIG)) == wanted
    searches = searches_for(served[ESEARCH], BIG)
    assert [s["retstart"] for s in searches] == ["0", "2", "4"]
    assert {s["retmax"] for s in searches} == {"2"}


def test_a_count_larger_than_the_listing_is_a_problem_never_a_subset(
    client, requests_mock, fake
) -> None:
    listed = study_uids(fake, STUDY)[:2]
    count = len(listed) + 3
    requests_mock.post(BASE + ESEARCH, text=esearch_answer(count, listed, f"{STUDY}[ACCN]"))
    table = build_table(client, "sra", [STUDY])
    assert table.tokens == [] and table.sets == {}
    ((token, reason),) = table.problems
    assert token == STUDY
    assert str(count) in reason and str(len(listed)) in reason


def test_more_records_than_elinkcli_expands_is_a_problem_suggesting_esearch(
    client, served, fake, monkeypatch
) -> None:
    monkeypatch.setattr(resolve, "SET_MAX", 4)
    table = build_table(client, "sra", [BIG, STUDY])
    assert table.tokens == [STUDY]
    assert list(table.uids_of(STUDY)) == study_uids(fake, STUDY)
    ((token, reason),) = table.problems
    assert token == BIG
    assert str(len(study_uids(fake, BIG))) in reason
    assert "esearch" in reason and f"{BIG}[ACCN]" in reason


def test_an_unknown_study_names_no_record(client, served) -> None:
    table = build_table(client, "sra", ["SRP999999", STUDY])
    assert table.tokens == [STUDY]
    assert table.problems == [("SRP999999", "names no sra record")]


def test_a_resolution_comes_from_the_cache_the_second_time(tmp_path, served, fake) -> None:
    with make_client(tmp_path) as c:
        first = build_table(c, "sra", [STUDY, SAMPLE])
    searched = len(served[ESEARCH].log)
    assert searched == 2
    with make_client(tmp_path) as c:
        again = build_table(c, "sra", [STUDY.lower(), SAMPLE])
    assert len(served[ESEARCH].log) == searched
    assert again.uids_of(STUDY.lower()) == first.uids_of(STUDY)
    assert list(again.uids_of(SAMPLE)) == study_uids(fake, SAMPLE)
    with make_client(tmp_path, "offline") as c:
        offline = build_table(c, "sra", [STUDY])
    assert list(offline.uids_of(STUDY)) == study_uids(fake, STUDY)


# --- hostile answers -----------------------------------------------------------------------


def test_an_id_that_is_not_a_number_is_a_clear_error(client, requests_mock) -> None:
    bad = "SRX1; rm -rf"
    requests_mock.post(BASE + ESEARCH, text=esearch_answer(2, ["8000001", bad], f"{STUDY}[ACCN]"))
    table = build_table(client, "sra", [STUDY, "SRP000222"])
    assert table.tokens == [] and table.sets == {}
    # Each token failed with an elinkcli error naming the bad value (not a crash, not a
    # set holding it, not a set without it).
    assert [f.ids for f in table.failed] == [(STUDY,), ("SRP000222",)]
    assert all(isinstance(f, ElinkError) and bad in str(f) for f in table.failed)


def test_an_esearch_error_fails_the_token_not_an_empty_set(client, requests_mock) -> None:
    text = "Search Backend failed: Database is not available"
    answer = f"{ESEARCH_HEAD}<eSearchResult><ERROR>{text}</ERROR></eSearchResult>\n"
    requests_mock.post(BASE + ESEARCH, text=answer)
    table = build_table(client, "sra", [STUDY, "SRR9000004"])
    assert table.tokens == [] and table.sets == {}
    assert table.problems == []  # not "names no sra record": NCBI said nothing of it
    assert [i for f in table.failed for i in f.ids] == [STUDY, "SRR9000004"]
    assert all(isinstance(f, ElinkError) and text in str(f) for f in table.failed)


# --- link() ----------------------------------------------------------------------------------


def test_link_rows_keep_the_token_with_each_members_uid(client, served, fake) -> None:
    table = build_table(client, "sra", [STUDY, "SRR9000004"])
    rows = list(link(table.tokens, db="sra", target="bioproject", client=client, table=table))
    expected = [
        (token, uid, target)
        for token in (STUDY, "SRR9000004")
        for uid in study_uids(fake, token)
        for _name, _db, targets in fake.links("sra", uid, "bioproject")
        for target in targets
    ]
    assert expected
    assert sorted((r.source_id, r.source_uid, r.target_id) for r in rows) == sorted(expected)
    # SRR9000004's experiment is one of the study's: asked once, answered to both.
    assert set(study_uids(fake, "SRR9000004")) <= set(study_uids(fake, STUDY))
    sent = [v for p in served[ELINK].log for k, v in p if k == "id"]
    assert sorted(i for v in sent for i in v.split(",")) == study_uids(fake, STUDY)


def test_link_rows_from_written_answers_one_linkset_per_member(
    client, served, requests_mock, fake
) -> None:
    table = build_table(client, "sra", [OTHER])
    members = study_uids(fake, OTHER)
    links = {uid: [str(500 + k), str(600 + k)] for k, uid in enumerate(members)}
    requests_mock.post(BASE + ELINK, text=elink_xml(links, dbfrom="sra", dbto="bioproject"))
    rows = list(link(table.tokens, db="sra", target="bioproject", client=client, table=table))
    assert [(r.source_id, r.source_uid, r.target_id) for r in rows] == [
        (OTHER, uid, t) for uid, targets in links.items() for t in targets
    ]


def test_link_called_with_a_study_as_typed_resolves_it(client, served, fake) -> None:
    rows = list(link([OTHER], db="sra", target="bioproject", client=client))
    expected = {
        (OTHER, uid, t)
        for uid in study_uids(fake, OTHER)
        for _n, _d, targets in fake.links("sra", uid, "bioproject")
        for t in targets
    }
    assert {(r.source_id, r.source_uid, r.target_id) for r in rows} == expected
    assert {r.source_uid for r in rows} == set(study_uids(fake, OTHER))


def test_a_study_is_a_cache_hit_only_when_every_member_is_cached(tmp_path, served, fake):
    def rows_of(c: EutilsClient, tokens: list[str]) -> list[tuple[str, str, str]]:
        table = build_table(c, "sra", tokens)
        found = link(table.tokens, db="sra", target="bioproject", client=c, table=table)
        return sorted((r.source_id, r.source_uid, r.target_id) for r in found)

    expected = sorted(
        (STUDY, uid, t)
        for uid in study_uids(fake, STUDY)
        for _n, _d, targets in fake.links("sra", uid, "bioproject")
        for t in targets
    )
    with make_client(tmp_path) as c:
        rows_of(c, ["SRR9000004"])  # one member cached
        assert rows_of(c, [STUDY]) == expected  # the others asked: the rows are complete
        asked = len(served[ELINK].log)
    with make_client(tmp_path, "offline") as c:
        assert rows_of(c, [STUDY]) == expected  # every member cached now
    assert len(served[ELINK].log) == asked


def test_a_uid_two_tokens_stand_for_is_cached_once(tmp_path, served, fake) -> None:
    """A study and a run of it (and `7`/`007`-style twins) share a UID: the rerun from the
    cache gives the same rows as the first run, none twice."""
    tokens = [STUDY, "SRR9000004", "08000004"]

    def rows_of(c: EutilsClient) -> list[tuple[str, str, str]]:
        table = build_table(c, "sra", tokens)
        found = link(table.tokens, db="sra", target="bioproject", client=c, table=table)
        return sorted((r.source_id, r.source_uid, r.target_id) for r in found)

    with make_client(tmp_path) as c:
        first = rows_of(c)
    with make_client(tmp_path, "offline") as c:
        again = rows_of(c)
    assert again == first
    assert len(set(first)) == len(first)
    assert {t for t, _u, _x in first} == set(tokens)
