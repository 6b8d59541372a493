"""The request layer against real sockets that misbehave: bodies that never end or drip,
servers that never answer, nothing listening, no DNS, a run out of time, and <ERROR>s in
every place NCBI puts them. Each case runs the installed `elinkcli` as a user does and
checks the exit status, the one-line message and how long it took.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import (
    assert_clean_error,
    clean_env,
    elinkcli_command,
    listed_ids_file,
    on_a_terminal,
    run_elinkcli,
)
from support.fault_servers import (
    DrippingBody,
    EndlessBody,
    Scripted,
    SilentServer,
    SlowHeaders,
    http_response,
    refused_port,
)

pytestmark = pytest.mark.e2e

LINK = ("link", "-db", "gene", "-target", "protein", "--format", "tsv")
HEAD = '<?xml version="1.0" encoding="UTF-8" ?>\n'


def xml(body: str) -> bytes:
    return http_response(200, (HEAD + body).encode(), {"Content-Type": "text/xml"})


def timed(*args: str, base_url: str, env: dict[str, str] | None = None, timeout: float = 90):
    began = time.monotonic()
    proc = run_elinkcli(*args, base_url=base_url, env=env, timeout=timeout)
    return proc, time.monotonic() - began


def tries_in(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


# --- bodies and silences ------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["close-delimited", "chunked"])
def test_an_endless_body_is_cut_at_the_size_cap(chunked: bool) -> None:
    with EndlessBody(chunked=chunked) as server:
        proc, took = timed(
            *LINK, "--id", "672", base_url=server.base_url, env={"ELINKCLI_MAX_BODY": "4194304"}
        )
        sent = server.bytes_sent
    line = assert_clean_error(proc, 4)  # that request failed; its ids are named
    assert "the answer is larger than 4 MiB" in line and "failed ids: 672" in line
    assert took < 30
    # Read up to the cap and stopped: not gigabytes, and not retried.
    assert sent < 64 * 1024 * 1024
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 400 * 1024  # KiB


@pytest.mark.parametrize(
    "server",
    [lambda: DrippingBody(interval=0.2), SilentServer, lambda: SlowHeaders(interval=0.2)],
    ids=["dripping-body", "silent", "dripping-headers"],
)
def test_a_try_that_never_completes_ends_at_timeout(server, tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    with server() as s:
        proc, took = timed(
            *LINK, "--timeout", "1", "--log", str(log), "--id", "672,673", base_url=s.base_url
        )
    line = assert_clean_error(proc, 4)
    assert "no complete answer in 1 s" in line
    assert "failed ids: 672,673" in line
    attempts = tries_in(log)
    assert [a["try"] for a in attempts] == [1, 2, 3, 4, 5, 6]
    # Six tries of 1 s each and short backoffs: nowhere near the drip's 10 MB or for ever.
    assert all(a["ms"] < 5000 for a in attempts), attempts
    assert took < 45


def test_max_time_ends_the_run_and_names_every_id_not_done(tmp_path: Path) -> None:
    ids = [str(1000 + i) for i in range(300)]
    with SilentServer() as s:
        proc, took = timed(*LINK, "--max-time", "3", "--id", ",".join(ids), base_url=s.base_url)
    line = assert_clean_error(proc, 4)
    assert "--max-time (3 s) ran out" in line
    # The first 50 are named, then how many in all and the file that holds every one.
    shown = line.split("failed ids: ", 1)[1].split(",… (300 in all)", 1)[0].split(",")
    assert len(shown) == 50 and set(shown) <= set(ids)
    assert sorted(listed_ids_file(line)) == sorted(ids)
    assert proc.stdout == ""  # no row came: no header either, nothing to pass for a result
    assert took < 20


def test_max_time_from_the_environment_and_bad_values() -> None:
    with SilentServer() as s:
        proc, took = timed(
            *LINK, "--id", "672", base_url=s.base_url, env={"ELINKCLI_MAX_TIME": "2"}
        )
    assert "--max-time (2 s) ran out" in assert_clean_error(proc, 4)
    assert took < 20
    bad = run_elinkcli(*LINK, "--max-time", "soon", "--id", "672", base_url="http://127.0.0.1:9/")
    assert "bad duration 'soon'" in assert_clean_error(bad, 2)


# --- nothing there ------------------------------------------------------------------------


def test_connection_refused_is_said_in_words_and_tried_three_times(tmp_path: Path) -> None:
    port = refused_port()
    log = tmp_path / "log.jsonl"
    proc, took = timed(
        *LINK, "--log", str(log), "--id", "672", base_url=f"http://127.0.0.1:{port}/eutils/"
    )
    line = assert_clean_error(proc, 4)
    assert f"127.0.0.1 refused the connection on port {port}" in line
    assert "(3 tries)" in line
    assert len(tries_in(log)) == 0 or len(tries_in(log)) == 3
    assert took < 20


def test_no_dns_answer_is_said_in_words_and_tried_three_times() -> None:
    proc, took = timed(*LINK, "--id", "672", base_url="http://elinkcli-test.invalid/eutils/")
    line = assert_clean_error(proc, 4)
    assert "could not resolve elinkcli-test.invalid: no network, or no DNS answer" in line
    assert "(3 tries)" in line
    assert took < 60


# --- a line per retry on a terminal ---------------------------------------------------------


def test_each_retry_is_a_line_on_a_terminal_and_not_in_a_pipe() -> None:
    busy = http_response(503, b"<html>busy</html>", {"Content-Type": "text/html"})
    good = xml(
        "<eLinkResult><LinkSet><DbFrom>gene</DbFrom><IdList><Id>672</Id></IdList>"
        "<LinkSetDb><DbTo>protein</DbTo><LinkName>gene_protein</LinkName>"
        "<Link><Id>9</Id></Link></LinkSetDb></LinkSet></eLinkResult>"
    )
    with Scripted([busy, busy, good]) as s:
        env = clean_env({"ELINKCLI_BASE_URL": s.base_url})
        code, text = on_a_terminal([*elinkcli_command(), *LINK, "--id", "672"], env)
    assert code == 0, text
    retry_lines = [line for line in text.splitlines() if "asking again in" in line]
    assert len(retry_lines) == 2, text
    assert "elink for 1 id(s): HTTP 503 from elink.fcgi" in retry_lines[0]
    assert "(try 2 of 6)" in retry_lines[0] and "(try 3 of 6)" in retry_lines[1]
    with Scripted([busy, good]) as s:
        piped = run_elinkcli(*LINK, "-q", "--id", "672", base_url=s.base_url)
    assert piped.returncode == 0 and "asking again" not in piped.stderr
    with Scripted([busy, good]) as s:
        verbose = run_elinkcli(*LINK, "-v", "--id", "672", base_url=s.base_url)
    assert verbose.returncode == 0 and "asking again in" in verbose.stderr


# --- <ERROR> in every place -----------------------------------------------------------------

LINKSET_NO_IDLIST = (
    "<eLinkResult><LinkSet><DbFrom>gene</DbFrom><ERROR>{}</ERROR></LinkSet></eLinkResult>"
)


@pytest.mark.parametrize("text", ["Wrong DB name", "Unable to obtain query #1"])
@pytest.mark.parametrize(
    "args",
    [
        (*LINK, "--id", "672,673"),
        (*LINK, "--union", "--id", "672,673"),
        ("chain", "-db", "gene", "--id", "672", "protein", "pubmed"),
    ],
    ids=["link", "union", "chain"],
)
def test_an_error_in_a_linkset_without_idlist_fails_the_run(text: str, args) -> None:
    with Scripted([xml(LINKSET_NO_IDLIST.format(text))]) as s:
        proc = run_elinkcli(*args, base_url=s.base_url)
        asked = s.requests
    line = assert_clean_error(proc, 3)
    assert f"NCBI error: {text}" in line
    assert asked == 1  # permanent: not asked again


@pytest.mark.parametrize(
    ("text", "tries", "status"),
    [
        ("Can't apply term/daterange", 1, 3),
        ("BLOB ID IS NOT IMPLEMENTED", 1, 3),
        ("Something nobody has seen before", 2, 4),
        ("TXCLIENT(#exLinkSrv2) Error: EOF", 6, 4),
    ],
)
def test_error_texts_get_the_tries_their_kind_deserves(text: str, tries: int, status: int) -> None:
    body = xml(f"<eLinkResult><ERROR>{text}</ERROR></eLinkResult>")
    with Scripted([body]) as s:
        proc = run_elinkcli(*LINK, "--id", "672", base_url=s.base_url)
        asked = s.requests
    line = assert_clean_error(proc, status)
    assert text in line
    assert asked == tries


def test_an_error_inside_one_ids_linkset_rejects_that_id_only() -> None:
    body = xml(
        "<eLinkResult>"
        "<LinkSet><DbFrom>gene</DbFrom><IdList><Id>672</Id></IdList>"
        "<LinkSetDb><DbTo>protein</DbTo><LinkName>gene_protein</LinkName>"
        "<Link><Id>9</Id></Link></LinkSetDb></LinkSet>"
        "<LinkSet><DbFrom>gene</DbFrom><IdList><Id>673</Id></IdList>"
        "<LinkSetDb><DbTo>protein</DbTo><LinkName>gene_protein</LinkName>"
        "<ERROR>Invalid uid 673</ERROR></LinkSetDb></LinkSet>"
        "</eLinkResult>"
    )
    with Scripted([body]) as s:
        proc = run_elinkcli(*LINK, "--id", "672,673", base_url=s.base_url)
    line = assert_clean_error(proc, 3)
    assert "673 (Invalid uid 673)" in line
    assert proc.stdout.splitlines()[1].split("\t")[:5] == [
        "gene",
        "672",
        "gene_protein",
        "protein",
        "9",
    ]


def test_an_error_in_an_unknown_element_fails_the_request() -> None:
    body = xml(
        "<eLinkResult><LinkSet><DbFrom>gene</DbFrom><IdList><Id>672</Id></IdList></LinkSet>"
        "<Extra><ERROR>Wrong DB name</ERROR></Extra></eLinkResult>"
    )
    with Scripted([body]) as s:
        proc = run_elinkcli(*LINK, "--id", "672", base_url=s.base_url)
    assert "NCBI error: Wrong DB name" in assert_clean_error(proc, 3)


# --- a History set that comes back short -----------------------------------------------------

MESSAGE = (
    "<ENTREZ_DIRECT><Db>gene</Db><WebEnv>MCID_1</WebEnv><QueryKey>1</QueryKey>"
    "{count}</ENTREZ_DIRECT>\n"
)


def uilist(ids: Sequence[str]) -> bytes:
    return http_response(
        200, "".join(f"{i}\n" for i in ids).encode(), {"Content-Type": "text/plain"}
    )


@pytest.mark.parametrize("count_in_message", [True, False], ids=["with-count", "without-count"])
def test_a_short_history_set_is_asked_again_then_an_error(count_in_message: bool) -> None:
    count = "<Count>5</Count>" if count_in_message else ""
    search = xml("<eSearchResult><Count>5</Count><RetMax>0</RetMax><IdList/></eSearchResult>")
    script = ([] if count_in_message else [search]) + [uilist(["1", "2", "3"])]
    with Scripted(script) as s:
        proc = run_elinkcli(*LINK, stdin=MESSAGE.format(count=count).encode(), base_url=s.base_url)
        paths = [r.path for r in s.log]
    line = assert_clean_error(proc, 4)
    assert "returned 3 of the 5 ids of query #1, asked 3 times" in line
    assert [p.rsplit("/", 1)[1] for p in paths].count("efetch.fcgi") == 3
    assert "elink.fcgi" not in " ".join(paths)  # nothing linked from a partial set


def test_a_long_run_is_announced_on_a_terminal(fake, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"  # 200 requests: 80 s at 2.5/s
    ids.write_text("".join(f"{100_000 + i}\n" for i in range(20_000)))
    args = [*elinkcli_command(), *LINK, "--max-time", "2", "--input", str(ids)]
    env = clean_env({"ELINKCLI_BASE_URL": fake.base_url})
    code, text = on_a_terminal(args, env)
    assert code == 4, text
    assert "20000 id(s) to ask in 200 requests: about 1 min at NCBI's rate (2.5 requests/s)" in text
    _, quiet = on_a_terminal([*args, "-q"], env)
    assert "to ask in" not in quiet
    piped = run_elinkcli(*LINK, "--max-time", "2", "--input", str(ids), base_url=fake.base_url)
    assert "to ask in" not in piped.stderr
