"""One path from options to rows: `elinkcli.api` and the installed command line make the
same plan from the same options (elinkcli.commands.plans), so they refuse the same things
with the same words, before any request (the base URL is a closed port)."""

from __future__ import annotations

import pytest
from conftest import run_elinkcli

from elinkcli import api
from elinkcli.errors import UsageError

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("call", "argv"),
    [
        (
            lambda: api.link(["1"], db="pubmed", target="gene", related=True),
            ["link", "-db", "pubmed", "-target", "gene", "-related", "-id", "1"],
        ),
        (
            lambda: api.check(["1"], db="pubmed"),
            ["check", "-db", "pubmed", "-id", "1"],
        ),
        (
            lambda: api.linkout(["1"], db="pubmed", mode="primary", holding="x"),
            ["linkout", "-db", "pubmed", "--primary", "--holding", "x", "-id", "1"],
        ),
    ],
    ids=["related and another target", "check without a question", "primary with holding"],
)
def test_a_call_and_the_command_line_refuse_with_the_same_words(call, argv) -> None:
    with pytest.raises(UsageError) as caught:
        call()
    proc = run_elinkcli(*argv, base_url="http://127.0.0.1:9/")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"elinkcli: error: {caught.value}"
