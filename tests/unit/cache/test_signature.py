"""The cache's request signature: the request without its ids or credentials; the API
key and e-mail never reach the cache, nor anything on disk.

No network (requests-mock) and no real waiting (FakeClock).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import requests_mock
from support.fakes import FakeClock, elink_xml, form_values
from support.paths import files_bytes

from elinkcli import constants as C
from elinkcli.cache import admin
from elinkcli.cache.codec import request_signature
from elinkcli.cache.store import LinkSetCache
from elinkcli.commands.link import link
from elinkcli.config import Settings
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.pacing import StartPacer
from elinkcli.eutils.params import elink_params
from elinkcli.sources.connect import open_cache

BASE = "https://eutils.test/entrez/eutils/"
SECRET = "SECRET-0123456789abcdef0123456789ab"
EMAIL = "cron@example.org"


def test_signature_leaves_out_ids_and_order() -> None:
    one = elink_params(dbfrom="gene", db="protein", cmd="neighbor", ids=["1", "2"])
    other = elink_params(dbfrom="gene", db="protein", cmd="neighbor", ids=["99"])
    assert request_signature(BASE, "elink.fcgi", one) == request_signature(
        BASE, "elink.fcgi", other
    )
    assert request_signature(BASE, "elink.fcgi", one) == request_signature(
        BASE, "elink.fcgi", list(reversed(one))
    )
    named = elink_params(
        dbfrom="gene", db="protein", cmd="neighbor", linkname="gene_protein_refseq"
    )
    for different in (
        request_signature(BASE, "elink.fcgi", named),
        request_signature("https://mirror.test/eutils/", "elink.fcgi", one),
        request_signature(BASE, "elink.fcgi", [*one, ("cmd2", "x")]),
    ):
        assert different != request_signature(BASE, "elink.fcgi", one)
    assert '"1"' not in request_signature(BASE, "elink.fcgi", one)


class Elink:
    """requests-mock callback: one LinkSet per id= value, links from the id."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []
        self.identities: list[tuple[str | None, ...]] = []

    def __call__(self, request: Any, context: Any) -> str:
        ids = form_values(request, "id")
        self.asked.append(ids)
        self.identities.append(
            tuple((form_values(request, k) or [None])[0] for k in ("tool", "email", "api_key"))
        )
        return elink_xml({i: [f"{i}00", f"{i}01"] for i in ids})


@pytest.fixture
def mocked() -> Iterator[tuple[requests.Session, Elink]]:
    session = requests.Session()
    adapter = requests_mock.Adapter()
    answer = Elink()
    adapter.register_uri("POST", BASE + C.ELINK, text=answer)
    session.mount("https://", adapter)
    yield session, answer
    session.close()


def test_the_key_and_email_never_reach_the_cache(tmp_path: Path, mocked, monkeypatch) -> None:
    session, answer = mocked
    seen: list[str] = []
    put_many = LinkSetCache.put_many
    get_many = LinkSetCache.get_many

    def spy_put(self: LinkSetCache, signature: str, answers: Any) -> None:
        seen.append(signature)
        put_many(self, signature, answers)

    def spy_get(self: LinkSetCache, signature: str, ids: Any) -> Any:
        seen.append(signature)
        return get_many(self, signature, ids)

    monkeypatch.setattr(LinkSetCache, "put_many", spy_put)
    monkeypatch.setattr(LinkSetCache, "get_many", spy_get)
    cache_dir = tmp_path / "cache"
    settings = Settings(base_url=BASE, email=EMAIL, api_key=SECRET, cache_dir=cache_dir)
    pacer, cache = StartPacer(0, FakeClock()), open_cache(settings)
    with EutilsClient(settings, session=session, pacer=pacer, cache=cache) as client:
        assert client.cache is not None
        rows = list(link(["11", "12"], db="gene", target="protein", batch=1, client=client))
        again = list(link(["12", "13"], db="gene", target="protein", batch=5, client=client))
    assert [r.source_id for r in rows] == ["11", "11", "12", "12"]
    assert [r.target_id for r in again] == ["1200", "1201", "1300", "1301"]
    # Batches go out concurrently; 12 came from the cache the second time.
    assert sorted(answer.asked) == [["11"], ["12"], ["13"]]
    # The key and e-mail were sent, and are in no signature nor anywhere on disk.
    assert set(answer.identities) == {(C.TOOL, EMAIL, SECRET)}
    assert seen and len(set(seen)) == 1
    signature = seen[0]
    for word in (SECRET, EMAIL, "api_key", "email", "tool", '"11"', '"12"'):
        assert word not in signature
    on_disk = files_bytes(tmp_path)
    assert on_disk  # the cache and the rate slot file
    assert SECRET.encode() not in on_disk
    assert EMAIL.encode() not in on_disk
    stored = LinkSetCache(cache_dir, ttl=3600)
    assert admin.info(stored).entries == 3  # 11, 12, 13 under that one signature
    assert set(stored.get_many(signature, ["11", "12", "13"])) == {"11", "12", "13"}
    stored.close()
