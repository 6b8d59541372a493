"""Redirects, end to end: the installed elinkcli against the fake server, over real loopback
sockets, where a second server on another port stands for "another host" and records
whatever reaches it. A redirect there is not followed and carries neither the request nor
the API key; one on the same server is followed; a key bound for another machine over
plain http is warned about, one for the loopback server is not.
"""

from __future__ import annotations

import pytest
from conftest import assert_clean_error, parse_tsv
from support.fake_eutils import FakeEutils, Faults

KEY = "redirect0123456789abcdef0123456789ab"


@pytest.mark.e2e
@pytest.mark.parametrize("code", ["307", "308", "302"])
def test_e2e_redirect_to_another_server_sends_it_nothing(fake, run, code) -> None:
    with FakeEutils() as other:
        fake.redirect_location = other.base_url + "elink.fcgi"
        fake.faults = Faults(script=[f"redirect:{code}"])
        proc = run("link", "-db", "gene", "-target", "protein", "-id", "672",
                   env={"NCBI_API_KEY": KEY})  # fmt: skip
        line = assert_clean_error(proc, 3)
        assert "redirected" in line and other.base_url.split("/entrez")[0] in line
        assert other.log == []
        assert KEY not in proc.stderr


@pytest.mark.e2e
def test_e2e_redirect_on_the_same_server_is_followed(fake, run) -> None:
    fake.redirect_location = fake.base_url + "elink.fcgi"
    fake.faults = Faults(script=["redirect:308"])
    proc = run("link", "-db", "gene", "-target", "protein", "-id", "672")
    assert proc.returncode == 0, proc.stderr
    expected = [  # -target alone asks for DB_TARGET, as EDirect's elink
        ("gene", "672", name, dbto, t, "")
        for name, dbto, ts in fake.links("gene", "672", "protein", "gene_protein")
        for t in ts
    ]
    assert parse_tsv(proc.stdout) == expected
    assert [r.values("id") for r in fake.requests_to("elink.fcgi")] == [["672"], ["672"]]


@pytest.mark.e2e
def test_e2e_a_key_over_plain_http_to_another_machine_is_warned_about(fake, run) -> None:
    away = {"NCBI_API_KEY": KEY, "ELINKCLI_BASE_URL": "http://eutils.example/eutils/"}
    proc = run("link", "-db", "gene", "-target", "protein", "-id", "672", "--offline", env=away)
    assert "over plain http" in proc.stderr and KEY not in proc.stderr
    quiet = run(
        "link", "-db", "gene", "-target", "protein", "-id", "672", env={"NCBI_API_KEY": KEY}
    )
    assert "plain http" not in quiet.stderr  # the loopback server: the key never leaves
