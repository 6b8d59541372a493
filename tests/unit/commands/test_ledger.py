"""The ledger of a run (elinkcli.commands.ledger): every id counted, names kept to a bound
unless every name is needed, and what kept ids from being linked raised once, in one order
(not cached, given up, rejected, naming no record), for the part of the run since a mark."""

from __future__ import annotations

import pytest

from elinkcli.commands.ledger import KEEP, CountedIds, Ledger, RejectedIdsError
from elinkcli.errors import CacheMissError, GaveUpError, PartialFailure, UnknownIdsError


def test_every_id_is_counted_and_names_are_kept_to_the_bound() -> None:
    ledger = Ledger()
    ledger.ids_without_links.extend(str(i) for i in range(KEEP + 500))
    assert len(ledger.ids_without_links) == KEEP + 500
    assert list(ledger.ids_without_links) == [str(i) for i in range(KEEP)]


def test_keeping_all_keeps_every_name_and_the_runs_tokens() -> None:
    ledger = Ledger.keeping_all(["1", "2"])
    ledger.ids_without_links.extend(str(i) for i in range(KEEP + 5))
    assert len(list(ledger.ids_without_links)) == KEEP + 5
    held = ledger.tokens  # what the eLinkResult writer holds
    ledger.set_tokens(["7", "8", "9"])
    assert held == ["7", "8", "9"]
    plain = Ledger()
    plain.set_tokens(["7"])
    assert plain.tokens == []  # names of every id are kept only when needed


def test_counted_ids_without_a_bound() -> None:
    ids = CountedIds(None)
    ids.extend(["a", "b"])
    assert (len(ids), list(ids), bool(CountedIds())) == (2, ["a", "b"], False)


def test_the_tally_is_the_whole_runs_before_a_resume_and_now() -> None:
    ledger = Ledger()
    ledger.ids_with_links.extend(["1", "2"])
    ledger.ids_without_links.append("3")
    ledger.ids_not_echoed.append("4")
    ledger.members_missing("SRP000001", ["5", "6"])
    ledger.links = 7
    assert ledger.tally() == {
        "with": 2,
        "without": 1,
        "not_echoed": 1,
        "members_not_echoed": 2,
        "unexpected": 0,
        "failed": 0,
        "links": 7,
    }
    # A resumed run: the journal's counts of the batches done before are added.
    ledger.before = {"ids": 10, "with": 8, "without": 2, "links": 30}
    assert ledger.tally() == {
        "with": 10,
        "without": 3,
        "not_echoed": 1,
        "members_not_echoed": 2,
        "unexpected": 0,
        "failed": 0,
        "links": 37,
    }


def gave_up(*ids: str) -> GaveUpError:
    return GaveUpError("HTTP 503", list(ids), 3)


@pytest.mark.parametrize(
    ("recorded", "raised"),
    [
        ({"misses": ["1"], "gave_up": [gave_up("2")], "rejected": ["3 (bad)"]}, CacheMissError),
        (
            {"gave_up": [gave_up("2")], "rejected": ["3 (bad)"], "unknown": [("x", "no")]},
            PartialFailure,
        ),
        ({"rejected": ["3 (bad)"], "unknown": [("x", "no")]}, RejectedIdsError),
        ({"unknown": [("x", "names no gene record")]}, UnknownIdsError),
    ],
)
def test_settle_raises_in_one_order(recorded: dict, raised: type[Exception]) -> None:
    ledger = Ledger()
    for name, values in recorded.items():
        getattr(ledger, name).extend(values)
    with pytest.raises(raised):
        ledger.settle()


def test_settle_raises_only_what_came_since_the_mark() -> None:
    ledger = Ledger()
    ledger.rejected.append("1 (Invalid uid)")
    mark = ledger.mark()
    ledger.settle(mark)  # nothing since: nothing raised
    ledger.gave_up.append(gave_up("5", "6"))
    with pytest.raises(PartialFailure) as caught:
        ledger.settle(mark)
    assert caught.value.ids == ("5", "6")


def test_requests_only_leaves_rejections_and_unknown_ids_to_the_caller() -> None:
    ledger = Ledger()
    ledger.rejected.append("1 (Invalid uid)")
    ledger.unknown.append(("NM_X", "names no nuccore record"))
    ledger.settle(requests_only=True)
    with pytest.raises(RejectedIdsError, match=r"^NCBI rejected id\(s\): 1 \(Invalid uid\)$"):
        ledger.settle()


def test_records_of_a_token_are_counted_apart_from_the_ids() -> None:
    """A study answered for some of its records counts once among the ids (by what those
    gave); the records NCBI left out are named `TOKEN (UID)` in a count of their own."""
    ledger = Ledger()
    ledger.ids_with_links.append("SRP000001")
    ledger.members_missing("SRP000001", iter(["5", "6"]))
    assert list(ledger.members_not_echoed) == ["SRP000001 (5)", "SRP000001 (6)"]
    assert not ledger.ids_not_echoed
    tally = ledger.tally()
    assert tally["with"] + tally["without"] + tally["not_echoed"] == 1
