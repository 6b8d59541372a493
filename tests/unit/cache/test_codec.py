"""The cache's LinkSet <-> JSON coding, on NCBI's own answers: every cacheable shape
round-trips, and what is put in the cache comes back the same.

No network and no real waiting: the cache's wall clock is CacheClock.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.fakes import CacheClock
from support.paths import TESTS

from elinkcli.cache.codec import decode_linkset, encode_linkset, linkset_ids
from elinkcli.cache.store import LinkSetCache
from elinkcli.eutils.elink_parser import parse_elink
from elinkcli.eutils.records import LinkSet

RESPONSES = TESTS / "fixtures" / "eutils" / "responses"


def _parsed(name: str) -> tuple[LinkSet, ...]:
    return parse_elink((RESPONSES / name).read_bytes()).linksets


# Real answers whose LinkSets are cacheable (no <ERROR>, no history): every shape the
# cache stores. neighbor_history answers (nhist) are never cached per id.
CACHEABLE = sorted(
    p.name
    for p in RESPONSES.glob("*elink*.xml")
    if "nhist" not in p.name
    and all(not ls.errors and not ls.histories for ls in parse_elink(p.read_bytes()).linksets)
)


def test_the_fixtures_cover_every_linkset_shape() -> None:
    """The round-trip test below sees each shape at least once, from NCBI's own answers."""
    linksets = [ls for name in CACHEABLE for ls in _parsed(name)]
    assert any(d.scores for ls in linksets for d in ls.linksetdbs)  # neighbor_score
    attrs = {a for ls in linksets for c in ls.id_checks for a, _ in c.attrs}
    assert {"HasNeighbor", "HasLinkOut"} <= attrs  # ncheck, lcheck
    assert any(li.url for ls in linksets for s in ls.id_link_sets for li in s.linkinfos)
    providers = [o.provider for ls in linksets for s in ls.id_url_sets for o in s.objurls]
    assert any(p is not None and p.name for p in providers)  # llinks
    assert any(ls.infos for ls in linksets)
    assert len(CACHEABLE) >= 20


@pytest.mark.parametrize("name", CACHEABLE)
def test_decode_encode_is_identity_on_real_answers(name: str) -> None:
    linksets = _parsed(name)
    assert linksets
    for ls in linksets:
        stored = json.loads(json.dumps(encode_linkset(ls)))  # as the cache keeps it: text
        assert decode_linkset(stored) == ls


@pytest.mark.parametrize(
    "name",
    [
        "bioperl.elink_scores.xml",
        "bioperl.elink_ncheck.xml",
        "bioperl.elink_lcheck_corr.xml",
        "bioperl.elink_acheck.xml",
        "bioperl.elink_llinks.xml",
        "bioperl.elink_llinks_corr.xml",
    ],
)
def test_put_then_get_gives_back_the_same_linksets(tmp_path: Path, name: str) -> None:
    cache = LinkSetCache(tmp_path, ttl=3600, clock=CacheClock())
    by_id: dict[str, list[LinkSet]] = {}
    for ls in _parsed(name):
        ids = linkset_ids(ls)
        assert ids
        by_id.setdefault(ids[0], []).append(ls)
    cache.put_many("sig", by_id)
    assert cache.get_many("sig", by_id) == by_id
    assert cache.get_many("other signature", by_id) == {}
    cache.close()
