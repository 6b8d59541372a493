"""Redirects never carry the request (or its API key) to another host or from https to
http; within the base URL's scheme and host they are followed as the same POST. A key sent
over plain http to any host but this machine is warned about.

Unit tests over requests-mock and of `notices.clear_key`; the end-to-end tests, over real
loopback sockets, are in tests/e2e/test_redirects.py.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import parse_qsl

import pytest
from support.fakes import FakeClock, elink_xml

from elinkcli.commands import notices
from elinkcli.config import Settings
from elinkcli.constants import ELINK
from elinkcli.errors import PermanentError
from elinkcli.eutils.client import EutilsClient
from elinkcli.eutils.elink_parser import parse_elink
from elinkcli.eutils.exchange import MAX_REDIRECTS
from elinkcli.eutils.pacing import StartPacer
from elinkcli.eutils.params import elink_params

BASE = "https://eutils.test/entrez/eutils/"
KEY = "redirect0123456789abcdef0123456789ab"
PARAMS = elink_params(dbfrom="gene", db="protein", cmd="neighbor", ids=["672"])


def client() -> EutilsClient:
    clock = FakeClock()
    settings = Settings(base_url=BASE, api_key=KEY, max_tries=3, backoff_base=0.01)
    return EutilsClient(settings, clock=clock, rng=random.Random(1), pacer=StartPacer(0.11, clock))


def call(c: EutilsClient) -> Any:
    return c.call(ELINK, PARAMS, parse_elink, lambda r: r.all_errors(), ids=["672"])


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    "location",
    ["http://eutils.test/entrez/eutils/elink.fcgi", "https://elsewhere.test/elink.fcgi"],
    ids=["https-to-http", "another-host"],
)
def test_a_redirect_elsewhere_is_not_followed(requests_mock, code, location) -> None:
    requests_mock.post(BASE + ELINK, status_code=code, headers={"Location": location})
    elsewhere = requests_mock.post(location, text=elink_xml({"672": ["1"]}))
    with client() as c, pytest.raises(PermanentError) as caught:
        call(c)
    assert f"HTTP {code}" in str(caught.value) and "not followed" in str(caught.value)
    assert not elsewhere.called  # nothing, and no key, went there
    assert len(requests_mock.request_history) == 1  # and it is not retried


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_on_the_same_host_is_followed_as_the_same_post(requests_mock, code) -> None:
    moved = "https://eutils.test/v2/entrez/eutils/elink.fcgi"
    requests_mock.post(
        BASE + ELINK, status_code=code, headers={"Location": "/v2/entrez/eutils/elink.fcgi"}
    )
    target = requests_mock.post(moved, text=elink_xml({"672": ["1000004"]}))
    with client() as c:
        result = call(c)
    assert result.linksets[0].linksetdbs[0].ids == ("1000004",)
    (request,) = target.request_history
    assert request.method == "POST"
    assert dict(parse_qsl(request.body))["dbfrom"] == "gene"


def test_a_redirect_loop_stops(requests_mock) -> None:
    requests_mock.post(BASE + ELINK, status_code=307, headers={"Location": BASE + ELINK})
    with client() as c, pytest.raises(PermanentError, match=f"more than {MAX_REDIRECTS} redirects"):
        call(c)
    assert len(requests_mock.request_history) == MAX_REDIRECTS + 1


# Hosts a key over plain http may go to without a word: this machine, by name or address.
LOOPBACK = [
    "localhost", "LocalHost", "localhost.", "127.0.0.1", "127.1.2.3", "127.255.255.254",
    "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:2]",
]  # fmt: skip
# Everything else: names that merely look local, other addresses, odd spellings resolvers
# may read as loopback but that are no address literal.
ELSEWHERE = [
    "127.attacker.example", "127.0.0.1.attacker.example", "localhost.attacker.example",
    "attacker-localhost", "localhost..", "127.0.0.1.", "127.1", "2130706433", "0x7f000001",
    "0.0.0.0", "10.0.0.1", "[::]", "[::2]", "[::ffff:10.0.0.1]", "[fe80::1]",
    "eutils.ncbi.nlm.nih.gov", "xn--localhost", "\uff11\uff12\uff17.0.0.1", "127.0.0.\u0661",
    "",
]  # fmt: skip


@pytest.mark.parametrize("host", LOOPBACK)
def test_a_key_over_plain_http_to_this_machine_says_nothing(host) -> None:
    assert list(notices.clear_key(f"http://{host}:8080/eutils/", KEY)) == []
    assert list(notices.clear_key(f"http://user@{host}/", KEY)) == []


@pytest.mark.parametrize("host", ELSEWHERE)
def test_a_key_over_plain_http_to_any_other_host_is_warned_about(host) -> None:
    (line,) = notices.clear_key(f"http://{host}/eutils/", KEY)
    assert "over plain http" in line and KEY not in line
    assert list(notices.clear_key(f"https://{host}/eutils/", KEY)) == []
    assert list(notices.clear_key(f"http://{host}/eutils/", None)) == []


def test_the_host_is_the_one_after_any_user_info() -> None:
    (line,) = notices.clear_key("http://127.0.0.1@attacker.example/", KEY)
    assert "attacker.example" in line
    assert list(notices.clear_key("http://attacker.example@127.0.0.1/", KEY)) == []
