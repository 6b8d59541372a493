"""The installed elinkcli against a server that answers like a compromised or broken NCBI
(tests/support/hostile.py): one test, or parametrized group, per class of hostile answer.

Every run goes through `check_run`, the contract whatever the server sends: a documented
exit status and no internal error; nothing raw for a terminal on stdout or stderr; the API
key never shown, even when the server sends it back; no row for an id never asked; every
output format still well-formed; the table free of escape sequences and markup; a bounded
peak RSS on memory bombs; only absolute http(s) URLs from `--format urls`.

Each test's expectations come from what its handler serves: the rows of the batches left
alone are `echo_targets` of their ids, the batch made hostile is the one named as failed.
The answers' shapes are copied from tests/fixtures/eutils/responses (see hostile.py).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest
from support.hostile import (
    ELINK_HEAD,
    KEY,
    MEMORY_BOUND_MB,
    HostileServer,
    Raw,
    Reply,
    Request,
    Run,
    acheck_answer,
    big_answer,
    check_answer,
    check_run,
    deep_nesting_bomb,
    double_gzip_bomb,
    echo,
    echo_targets,
    einfo_answer,
    elink_answer,
    elink_with,
    endless_gzip_zeros,
    error_answer,
    error_lines,
    esearch_answer,
    icite_answer,
    json_reply,
    linkset,
    llinks_answer,
    neighbor_score_answer,
    objurl,
    run_concurrently,
    run_elinkcli,
    tsv_rows,
    visible_table,
    xml_reply,
)
from support.tables import read_table

pytestmark = pytest.mark.e2e

LINK = ("link", "-db", "gene", "-target", "protein")
TABLE_ENV = {"FORCE_COLOR": "1", "COLUMNS": "200", "NO_COLOR": None, "TERM": "xterm-256color"}
CITED = ("link", "-db", "pubmed", "--cited")


def link_rows(ids: list[str], score: bool = False) -> list[list[str]]:
    """The tsv rows of `link -db gene -target protein` for ids `echo` answered."""
    return [
        ["gene", uid, "gene_protein", "protein", t, str(1000 - n) if score else "", uid, ""]
        for uid in ids
        for n, t in enumerate(echo_targets(uid))
    ]


def cited_rows(ids: list[str]) -> list[list[str]]:
    """The tsv rows of `link -db pubmed --cited` (iCite) for pmids `echo` answered."""
    return [
        ["pubmed", p, "pubmed_pubmed_citedin", "pubmed", t, "", p, "", "icite"]
        for p in ids
        for t in echo_targets(p)
    ]


def one_error(run: Run) -> str:
    """The one `elinkcli: error:` line (warnings may come before it)."""
    lines = error_lines(run)
    assert len(lines) == 1, run
    others = [
        line
        for line in run.stderr.splitlines()
        if not line.startswith(("elinkcli: error: ", "elinkcli: warning: "))
    ]
    assert not others, run
    return lines[0]


def failed_ids(run: Run) -> list[str]:
    line = one_error(run)
    assert "failed ids: " in line, run
    return line.rsplit("failed ids: ", 1)[1].split(",")


def serve(handler: Callable[[Request], Reply] | None = None) -> HostileServer:
    return HostileServer(handler)


def answered(server: HostileServer) -> None:
    assert not server.handler_errors, server.handler_errors


def xml_valid(text: str) -> bool:
    """Can XML 1.0 hold `text` (written as it is, not as a character reference)?"""
    return not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", text)


# --- the key, echoed back ----------------------------------------------------------------------


def _linkset_error(text: str) -> Callable[[HostileServer], Callable[[Request], Reply]]:
    return lambda server: elink_with(
        {"2": linkset("gene", ["2"], {}, "protein", extra=f"<ERROR>{text}</ERROR>")}
    )


def _always(reply: Callable[[HostileServer], Reply]) -> Callable[[HostileServer], Any]:
    return lambda server: lambda request: reply(server)


def _key_in_esearch(request: Request) -> Reply:
    if request.endpoint == "esearch.fcgi":
        return xml_reply(esearch_answer([], count=KEY))
    return echo(request)


def _key_in_linkout(request: Request) -> Reply:
    if request.endpoint == "elink.fcgi":
        resource = objurl(
            f"https://journal.example/article/1?api_key={KEY}",
            provider=f"Example Journal for {KEY}",
            label=f"Full text ({KEY})",
        )
        return xml_reply(llinks_answer("pubmed", {"1": [resource]}))
    return echo(request)


def _key_body(offset: int) -> bytes:
    """5,000 bytes of a 400 body, the key starting at byte `offset`."""
    return ("." * offset + KEY).ljust(5000, ".").encode()


QUERY_MESSAGE = (
    "<ENTREZ_DIRECT><Db>pubmed</Db><Query>asthma</Query><Count>5</Count></ENTREZ_DIRECT>\n"
)
KEY_CASES = {
    # name: (args, make handler(server), expected statuses, --format, stdin)
    "linkset-error-tsv": (
        (*LINK, "-id", "1,2"),
        _linkset_error(f"Invalid id for api_key={KEY}"),
        {3},
        "tsv",
        None,
    ),
    "linkset-error-edirect": (
        (*LINK, "-id", "1,2"),
        _linkset_error(f"Invalid id for api_key={KEY}"),
        {3},
        "edirect",
        None,
    ),
    "linkset-error-xml": (
        (*LINK, "-id", "1,2"),
        _linkset_error(f"Invalid id for api_key={KEY}"),
        {3},
        "xml",
        None,
    ),
    "esearch-count-accession": (
        ("link", "-db", "bioproject", "-target", "sra", "-id", "PRJNA257197"),
        lambda server: _key_in_esearch,
        {3, 4},
        "tsv",
        None,
    ),
    "esearch-count-query": (
        ("link", "-target", "gene"),
        lambda server: _key_in_esearch,
        {3, 4},
        "edirect",
        QUERY_MESSAGE.encode(),
    ),
    "root-tag": (
        (*LINK, "-id", "1"),
        _always(lambda s: xml_reply(f'<?xml version="1.0"?>\n<{KEY}><LinkSet/></{KEY}>\n')),
        {4},
        "tsv",
        None,
    ),
    **{
        f"400-body-key-at-{offset}": (
            (*LINK, "-id", "1"),
            _always(
                lambda s, offset=offset: Reply(
                    status=400, body=_key_body(offset), content_type="text/html"
                )
            ),
            {3},
            "tsv",
            None,
        )
        for offset in (0, 290, 1995, 4964)
    },
    "503-body": (
        (*LINK, "-id", "1"),
        _always(
            lambda s: Reply(
                status=503,
                body=f"<html>busy: api_key={KEY} over its limit</html>".encode(),
                content_type="text/html",
            )
        ),
        {4},
        "tsv",
        None,
    ),
    "redirect-same-host": (
        (*LINK, "-id", "1"),
        _always(
            lambda s: Reply(
                status=302,
                headers=[("Location", f"{s.origin}/entrez/eutils/{KEY}/elink.fcgi?api_key={KEY}")],
            )
        ),
        {3, 4},
        "tsv",
        None,
    ),
    "redirect-other-host": (
        (*LINK, "-id", "1"),
        _always(
            lambda s: Reply(
                status=307, headers=[("Location", f"http://evil.invalid/{KEY}?api_key={KEY}")]
            )
        ),
        {3},
        "tsv",
        None,
    ),
    "linkout-url-provider-label-tsv": (
        ("linkout", "-db", "pubmed", "-id", "1"),
        lambda server: _key_in_linkout,
        {0, 4},
        "tsv",
        None,
    ),
    "linkout-url-provider-label-urls": (
        ("linkout", "-db", "pubmed", "-id", "1"),
        lambda server: _key_in_linkout,
        {0, 4},
        "urls",
        None,
    ),
    "icite-error": (
        (*CITED, "-id", "1", "--icite-url", "{icite}"),
        _always(lambda s: json_reply({"error": f"api_key {KEY} is not valid"})),
        {4},
        "tsv",
        None,
    ),
    "europepmc-errmsg": (
        (*CITED, "--citations-from", "europepmc", "-id", "1", "--europepmc-url", "{epmc}"),
        _always(lambda s: json_reply({"errMsg": f"api_key={KEY} not accepted", "hitCount": 0})),
        {3, 4},
        "tsv",
        None,
    ),
}


def _urls(args: tuple[str, ...], server: HostileServer) -> list[str]:
    return [a.format(icite=server.icite_url, epmc=server.europepmc_url) for a in args]


@pytest.mark.parametrize("case", list(KEY_CASES))
def test_the_key_never_shows(case: str) -> None:
    args, make, statuses, fmt, stdin = KEY_CASES[case]
    server = serve()
    server.handler = make(server)
    with server:
        run = run_elinkcli(*_urls(args, server), "--format", fmt, server=server, stdin=stdin)
    answered(server)
    check_run(run, statuses, fmt, asked={"1", "2", "PRJNA257197"})
    if case.startswith("linkset-error"):
        assert "2" in one_error(run), run  # the id NCBI rejected is named
    if case == "linkset-error-tsv":
        assert tsv_rows(run)[1] == link_rows(["1"]), run


# --- text for a terminal, from the server ------------------------------------------------------

TERMINAL = {
    "csi-clear": "\x1b[2J",
    "osc-title": "\x1b]0;pwned\x07",
    "osc8-link": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "bidi-override": "\u202e",
    "c1-csi": "\x9b",
    "nel": "\x85",
    "line-separator": "\u2028",
}


# Where the server's text reaches a message as it is (an HTTP body, JSON): each text alone.
MESSAGE_PLACES = ("400-body", "icite-error", "europepmc-errmsg")


def texts_for(place: str) -> dict[str, str]:
    """The texts served in `place`, by name. Inside XML, every text with an ESC or BEL is
    the same answer to a reader (XML 1.0 cannot hold those characters: the answer is not
    well-formed), so they go together; so do the characters XML can hold."""
    if place in MESSAGE_PLACES:
        return {kind: f"evil{text}text" for kind, text in TERMINAL.items()}
    bad = [t for t in TERMINAL.values() if not xml_valid(t)]
    good = [t for t in TERMINAL.values() if xml_valid(t)]
    return {"escapes": "evil" + "".join(bad) + "text", "unicode": "evil" + "".join(good) + "text"}


def _shown(run: Run, needle_around: tuple[str, str] = ("evil", "text")) -> None:
    """The server's text is on stdout, with something printable where the control was."""
    before, after = needle_around
    found = re.search(re.escape(before) + r"([^\t\n]+?)" + re.escape(after), run.stdout)
    assert found and found.group(1).isprintable(), run


def _terminal_place(place: str, text: str) -> tuple[tuple[str, ...], Any, set[int], str, bool]:
    """(args, handler, statuses, --format, text shown on stdout when exit 0) for `text`
    served in `place`."""
    valid = xml_valid(text)
    readable = {0} if valid else {0, 4}
    if place == "400-body":
        reply = Reply(status=400, body=f"<html>{text}</html>".encode(), content_type="text/html")
        return (*LINK, "-id", "1"), lambda r: reply, {3}, "tsv", False
    if place == "error-top":
        body = error_answer(f"Something odd: {text}")
        return (*LINK, "-id", "1"), lambda r: xml_reply(body), {3, 4}, "tsv", False
    if place == "error-top-edirect":
        body = error_answer(f"Something odd: {text}")
        return (*LINK, "-id", "1"), lambda r: xml_reply(body), {3, 4}, "edirect", False
    if place == "error-linkset":
        extra = f"<ERROR>Invalid id: {x_text(text)}</ERROR>"
        handler = elink_with({"2": linkset("gene", ["2"], {}, "protein", extra=extra)})
        return (*LINK, "-id", "1,2"), handler, {3} if valid else {4}, "tsv", False
    if place == "icite-error":
        reply = json_reply({"error": f"iCite says {text}"})
        return (*CITED, "-id", "1", "--icite-url", "{icite}"), lambda r: reply, {4}, "tsv", False
    if place == "europepmc-errmsg":
        reply = json_reply({"errMsg": f"Europe PMC says {text}", "hitCount": 0})
        args = (*CITED, "--citations-from", "europepmc", "-id", "1", "--europepmc-url", "{epmc}")
        return args, lambda r: reply, {3, 4}, "tsv", False
    if place.startswith("linkout-"):
        field, fmt = place.split("-")[1:]
        resource = objurl(
            f"https://journal.example/{text}/1" if field == "url" else "https://journal.example/1",
            provider=text if field == "provider" else "Example Journal Publishing",
            label=text if field == "label" else None,
        )
        body = llinks_answer("pubmed", {"1": [resource]})

        def handler(request: Request) -> Reply:
            return xml_reply(body) if request.endpoint == "elink.fcgi" else echo(request)

        return ("linkout", "-db", "pubmed", "-id", "1"), handler, readable, fmt, valid
    if place.startswith("einfo-"):
        fmt = place.split("-")[1]
        body = einfo_answer("gene", [("gene_protein", text, text, "protein")], menuname=text)

        def einfo(request: Request) -> Reply:
            return xml_reply(body) if request.endpoint == "einfo.fcgi" else echo(request)

        return ("discover", "-db", "gene"), einfo, readable, fmt, valid
    raise AssertionError(place)


def x_text(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


TERMINAL_PLACES = [
    "400-body",
    "error-top",
    "error-top-edirect",
    "error-linkset",
    "icite-error",
    "europepmc-errmsg",
    "linkout-provider-tsv",
    "linkout-url-tsv",
    "linkout-label-tsv",
    "linkout-provider-table",
    "einfo-tsv",
    "einfo-table",
]


def _terminal_case(place: str, text: str) -> None:
    args, handler, statuses, fmt, shown = _terminal_place(place, text)
    with serve(handler) as server:
        env = TABLE_ENV if fmt == "table" else None
        run = run_elinkcli(*_urls(args, server), "--format", fmt, server=server, env=env)
    answered(server)
    check_run(run, statuses, fmt, asked={"1", "2"})
    if shown and run.returncode == 0 and fmt == "tsv":
        _shown(run)  # shown, escaped: not dropped silently
    if place == "error-linkset" and run.returncode == 3:
        assert tsv_rows(run)[1] == link_rows(["1"]), run


@pytest.mark.parametrize("place", TERMINAL_PLACES)
def test_server_text_reaches_no_terminal_raw(place: str) -> None:
    """Each of `texts_for(place)` served in `place` (one run each, run side by side)."""
    texts = texts_for(place)
    run_concurrently(
        {kind: functools.partial(_terminal_case, place, t) for kind, t in texts.items()}
    )


# --- markup in the table -------------------------------------------------------------------------

MARKUP = {
    "link": "[link=https://evil.example]Trusted Publisher[/link]",
    "close": "Closing [/] tag",
    "style": "[bold red]ALERT[/bold red]",
}


def table_columns(run: Run) -> list[str]:
    """Each column's text of the table as shown (colours off): its values joined,
    whitespace dropped."""
    columns: dict[str, list[str]] = {}
    for row in read_table(visible_table(run)).rows:
        for name, value in row.items():
            columns.setdefault(name, []).append(value)
    return ["".join("".join(values).split()) for values in columns.values()]


def assert_literal_in_table(run: Run, text: str) -> None:
    needle = "".join(text.split())
    assert any(needle in column for column in table_columns(run)), run


def _markup_handler(place: str, text: str) -> tuple[tuple[str, ...], Any]:
    if place in ("linkout-provider", "linkout-url"):
        resource = objurl(
            f"https://journal.example/a{text}" if place == "linkout-url" else "https://j.example/1",
            provider=text if place == "linkout-provider" else "Example Journal",
        )
        args: tuple[str, ...] = ("linkout", "-db", "pubmed", "-id", "1")
        endpoint, body = "elink.fcgi", llinks_answer("pubmed", {"1": [resource]})
    elif place == "einfo-menu":
        args = ("discover", "-db", "gene")
        body = einfo_answer("gene", [("gene_protein", text, "Proteins", "protein")])
        endpoint = "einfo.fcgi"
    elif place == "acheck-menu":
        args = ("discover", "-db", "gene", "-id", "1")
        body = acheck_answer("gene", {"1": [("protein", "gene_protein", text, text, "128")]})
        endpoint = "elink.fcgi"
    else:
        raise AssertionError(place)

    def handler(request: Request) -> Reply:
        return xml_reply(body) if request.endpoint == endpoint else echo(request)

    return args, handler


@pytest.mark.parametrize("markup", list(MARKUP))
@pytest.mark.parametrize("place", ["linkout-provider", "linkout-url", "einfo-menu", "acheck-menu"])
def test_markup_is_shown_literally_in_the_table(place: str, markup: str) -> None:
    text = MARKUP[markup]
    args, handler = _markup_handler(place, text)
    with serve(handler) as server:
        run = run_elinkcli(*args, "--format", "table", server=server, env=TABLE_ENV)
    answered(server)
    check_run(run, 0, "table")
    assert_literal_in_table(run, text)


def test_markup_in_a_users_target_is_one_clean_line() -> None:
    def handler(request: Request) -> Reply:
        if request.endpoint == "elink.fcgi":
            return xml_reply(error_answer("Invalid db name specified: [/]"))
        return echo(request)

    with serve(handler) as server:
        run = run_elinkcli(
            "link", "-db", "gene", "--target", "[/]", "-id", "1", "--format", "table",
            server=server, env=TABLE_ENV,
        )  # fmt: skip
    check_run(run, {2, 3}, "table")
    assert "[/]" in one_error(run), run


def test_markup_as_a_linked_id_fails_its_batch_in_the_table() -> None:
    bad = linkset(
        "gene", ["2"], {"gene_protein": ["[link=https://evil.example]9[/link]"]}, "protein"
    )
    with serve(elink_with({"2": bad})) as server:
        run = run_elinkcli(
            *LINK, "--batch", "1", "-id", "1,2", "--format", "table", server=server, env=TABLE_ENV
        )
    answered(server)
    check_run(run, 4, "table")
    assert failed_ids(run) == ["2"], run
    assert "evil.example" not in run.stdout, run
    for target in echo_targets("1"):
        assert_literal_in_table(run, target)


# --- linked ids that are no ids ------------------------------------------------------------------

BAD_IDS = {
    "newline-reference": (Raw("12&#10;34"), ["12\n34", "12 34"]),
    "esc-reference": (Raw("&#x1b;[2J"), ["[2J"]),
    "space": ("12 34", ["12 34"]),
    "letters": ("abc", ["abc"]),
    "100k-digits": ("7" * 100_000, ["7" * 30]),
    "superscript": ("²", ["²"]),
    "fullwidth": ("１２", ["１２"]),
}


@pytest.mark.parametrize("case", list(BAD_IDS))
def test_a_linked_id_that_is_no_id_fails_its_batch(case: str) -> None:
    value, never = BAD_IDS[case]
    bad = linkset("gene", ["2"], {"gene_protein": ["21", value]}, "protein")
    with serve(elink_with({"2": bad})) as server:
        run = run_elinkcli(*LINK, "--batch", "1", "-id", "1,2", "--format", "tsv", server=server)
    answered(server)
    check_run(run, 4, "tsv", asked={"1", "2"})
    assert failed_ids(run) == ["2"], run
    assert tsv_rows(run)[1] == link_rows(["1"]), run  # the other batch, complete
    for text in never:
        assert text not in run.stdout, run


ICITE_BAD = {
    "dict": {"pmid": 21},
    "float": 1.5,
    "true": True,
    "negative": -5,
    # (a string of PMIDs separated by spaces is iCite's csv form, read as such: not here)
    "string-with-escape": "1 \u001b[2J",
    "list-negative": [21, -5],
    "list-float": [21, 1.5],
    "list-true": [True],
    "list-string-with-space": ["1 2"],
    "list-escape": ["\u001b[2J"],
}


@pytest.mark.parametrize("case", list(ICITE_BAD))
def test_an_icite_list_that_is_no_pmid_list_fails_its_batch(case: str) -> None:
    value = ICITE_BAD[case]

    def handler(request: Request) -> Reply:
        if request.endpoint == "pubs" and request.ids == ["2"]:
            return json_reply(icite_answer([{"pmid": 2, "cited_by": value, "references": []}]))
        return echo(request)

    with serve(handler) as server:
        run = run_elinkcli(
            *CITED, "--batch", "1", "-id", "1,2", "--icite-url", server.icite_url,
            "--format", "tsv", server=server,
        )  # fmt: skip
    answered(server)
    check_run(run, 4, "tsv", asked={"1", "2"})
    assert failed_ids(run) == ["2"], run
    assert tsv_rows(run)[1] == cited_rows(["1"]), run
    assert "[2J" not in run.stdout, run


# --- answers naming ids never asked ------------------------------------------------------------


def _never_asked_warned(run: Run, uid: str = "999") -> None:
    warned = [line for line in run.stderr.splitlines() if "never asked" in line and uid in line]
    assert warned, run
    assert uid not in run.stdout, run


def test_a_linkset_for_an_id_never_asked_writes_no_row() -> None:
    extra = linkset("gene", ["999"], {"gene_protein": ["99901"]}, "protein")
    with serve(elink_with({}, extra=extra)) as server:
        run = run_elinkcli(*LINK, "-id", "1,2", "--format", "tsv", server=server)
    answered(server)
    check_run(run, 0, "tsv", asked={"1", "2"})
    assert tsv_rows(run)[1] == link_rows(["1", "2"]), run
    _never_asked_warned(run)


def test_a_union_answer_naming_an_id_never_asked_writes_nothing_of_it() -> None:
    def handler(request: Request) -> Reply:
        if request.endpoint != "elink.fcgi":
            return echo(request)
        asked = request.ids
        targets = [t for uid in asked for t in echo_targets(uid)]
        body = (
            ELINK_HEAD
            + "<eLinkResult>\n"
            + linkset("gene", asked, {"gene_protein": targets}, "protein")
            + linkset("gene", ["999"], {"gene_protein": ["99901"]}, "protein")
            + "</eLinkResult>\n"
        )
        return xml_reply(body)

    with serve(handler) as server:
        run = run_elinkcli(*LINK, "--union", "-id", "1,2", "--format", "tsv", server=server)
    answered(server)
    check_run(run, 0, "tsv", asked={"1", "2"})
    expected = [["gene", "", "gene_protein", "protein", t, "", "", ""] for t in ["11", "12", "21"]]
    expected.append(["gene", "", "gene_protein", "protein", "22", "", "", ""])
    assert tsv_rows(run)[1] == expected, run
    _never_asked_warned(run)


def test_an_ncheck_answer_for_an_id_never_asked_writes_no_row() -> None:
    body = check_answer("pubmed", {"1": "Y", "2": "N", "999": "Y"})

    def handler(request: Request) -> Reply:
        return xml_reply(body) if request.endpoint == "elink.fcgi" else echo(request)

    with serve(handler) as server:
        run = run_elinkcli(
            "check", "-db", "pubmed", "-cmd", "ncheck", "-id", "1,2", "--format", "tsv",
            server=server,
        )  # fmt: skip
    answered(server)
    check_run(run, 0, "tsv", asked={"1", "2"})
    assert tsv_rows(run)[1] == [
        ["pubmed", "1", "ncheck", "Y", "1"],
        ["pubmed", "2", "ncheck", "N", "2"],
    ], run
    _never_asked_warned(run)


def test_an_acheck_answer_for_an_id_never_asked_writes_no_row() -> None:
    info = ("pubmed", "gene_pubmed", "PubMed Links", "PubMed", "128")
    other = ("nuccore", "gene_nuccore", "Nucleotide Links", "Nucleotide", "128")
    body = acheck_answer("gene", {"1": [info], "999": [other]})

    def handler(request: Request) -> Reply:
        return xml_reply(body) if request.endpoint == "elink.fcgi" else echo(request)

    with serve(handler) as server:
        run = run_elinkcli("discover", "-db", "gene", "-id", "1", "--format", "tsv", server=server)
    answered(server)
    check_run(run, 0, "tsv", asked={"1"})
    _header, rows = tsv_rows(run)
    assert [(r[1], r[2]) for r in rows] == [("1", "gene_pubmed")], run
    assert "gene_nuccore" not in run.stdout, run
    _never_asked_warned(run)


def test_a_linkout_answer_for_an_id_never_asked_writes_no_row() -> None:
    body = llinks_answer(
        "pubmed",
        {
            "1": [objurl("https://journal.example/article/1")],
            "999": [objurl("https://evil.example/article/999")],
        },
    )

    def handler(request: Request) -> Reply:
        return xml_reply(body) if request.endpoint == "elink.fcgi" else echo(request)

    with serve(handler) as server:
        tsv = run_elinkcli("linkout", "-db", "pubmed", "-id", "1", "--format", "tsv", server=server)
        urls = run_elinkcli(
            "linkout", "-db", "pubmed", "-id", "1", "--format", "urls", server=server
        )
    answered(server)
    check_run(tsv, 0, "tsv", asked={"1"})
    assert [r[:3] for r in tsv_rows(tsv)[1]] == [
        ["pubmed", "1", "https://journal.example/article/1"]
    ], tsv
    _never_asked_warned(tsv)
    check_run(urls, 0, "urls")
    assert urls.stdout == "https://journal.example/article/1\n", urls
    _never_asked_warned(urls)


def test_an_icite_record_for_a_pmid_never_asked_writes_no_row() -> None:
    def handler(request: Request) -> Reply:
        if request.endpoint == "pubs":
            records = [
                {"pmid": 1, "cited_by": [11, 12], "references": []},
                {"pmid": 999, "cited_by": [99901], "references": []},
            ]
            return json_reply(icite_answer(records))
        return echo(request)

    with serve(handler) as server:
        run = run_elinkcli(
            *CITED, "-id", "1", "--icite-url", server.icite_url, "--format", "tsv", server=server
        )
    answered(server)
    check_run(run, 0, "tsv", asked={"1"})
    assert tsv_rows(run)[1] == cited_rows(["1"]), run
    _never_asked_warned(run)


# --- odd values ----------------------------------------------------------------------------------


@pytest.mark.parametrize("score", ["abc", "²", "99999999999999999999999"])
def test_a_score_that_is_no_number_fails_its_batch(score: str) -> None:
    bad = linkset("gene", ["2"], {"gene_protein": [("21", "5"), ("22", score)]}, "protein")
    with serve(elink_with({"2": bad})) as server:
        run = run_elinkcli(
            *LINK, "-cmd", "neighbor_score", "--batch", "1", "-id", "1,2", "--format", "tsv",
            server=server,
        )  # fmt: skip
    answered(server)
    check_run(run, 4, "tsv", asked={"1", "2"})
    assert failed_ids(run) == ["2"], run
    assert tsv_rows(run)[1] == link_rows(["1"], score=True), run
    assert score not in run.stdout, run


def test_a_linkrun_element_in_an_answer_is_nothing_of_elinkclis() -> None:
    extra = '\t<LinkSetDb>\n\t\t<DbTo>protein</DbTo>\n\t\t<LinkName>gene_protein</LinkName>\n\t\t<LinkRun n="99"/>\n\t\t<Link><Id>21</Id></Link>\n\t</LinkSetDb>\n'  # noqa: E501
    bad = linkset("gene", ["2"], {}, "protein", extra=extra)
    with serve(elink_with({"2": bad})) as server:
        run = run_elinkcli(*LINK, "--batch", "1", "-id", "1,2", "--format", "tsv", server=server)
    answered(server)
    check_run(run, {0, 4}, "tsv", asked={"1", "2"})
    rows = tsv_rows(run)[1]
    if run.returncode == 0:  # the placeholder ignored: exactly the links the answer holds
        assert rows == [
            *link_rows(["1"]),
            ["gene", "2", "gene_protein", "protein", "21", "", "2", ""],
        ]
    else:
        assert failed_ids(run) == ["2"], run
        assert rows == link_rows(["1"]), run


def test_an_esearch_count_that_is_no_number_fails_the_accession() -> None:
    def handler(request: Request) -> Reply:
        if request.endpoint == "esearch.fcgi":
            return xml_reply(esearch_answer(["12345"], count="²"))
        return echo(request)

    with serve(handler) as server:
        run = run_elinkcli(
            "link", "-db", "bioproject", "-target", "sra", "-id", "PRJNA257197",
            "--format", "tsv", server=server,
        )  # fmt: skip
    answered(server)
    check_run(run, 4, "tsv", asked={"PRJNA257197"})
    assert failed_ids(run) == ["PRJNA257197"], run
    assert server.requests_to("elink.fcgi") == [], run  # nothing linked from it


@pytest.mark.parametrize("encoding", ["TTF-8", "x-none", "utf-16"])
def test_an_answer_in_an_encoding_that_is_none_fails_its_batch(encoding: str) -> None:
    bad = elink_answer("gene", {"2": {"gene_protein": ["21"]}}, "protein")
    bad = bad.replace(b'encoding="UTF-8"', b'encoding="%s"' % encoding.encode())

    def handler(request: Request) -> Reply:
        if request.endpoint == "elink.fcgi" and request.ids == ["2"]:
            return xml_reply(bad)
        return echo(request)

    with serve(handler) as server:
        run = run_elinkcli(*LINK, "--batch", "1", "-id", "1,2", "--format", "tsv", server=server)
    answered(server)
    check_run(run, 4, "tsv", asked={"1", "2"})
    assert failed_ids(run) == ["2"], run
    assert tsv_rows(run)[1] == link_rows(["1"]), run


@pytest.mark.parametrize(
    "value",
    ["²", "1¹", "Wed, 21 Oct 2015 07:28:00 -0000", "Wed, 21 Oct 2015 07:28:00"],
    ids=["superscript", "digit-superscript", "date-minus-zero", "date-no-zone"],
)
def test_an_odd_retry_after_is_survived(value: str) -> None:
    first = threading.Event()

    def handler(request: Request) -> Reply:
        if request.endpoint == "elink.fcgi" and not first.is_set():
            first.set()
            return Reply(status=503, body=b"<html>busy</html>", headers=[("Retry-After", value)])
        return echo(request)

    with serve(handler) as server:
        run = run_elinkcli(*LINK, "-id", "1,2", "--format", "tsv", server=server)
    answered(server)
    check_run(run, 0, "tsv", asked={"1", "2"})
    assert tsv_rows(run)[1] == link_rows(["1", "2"]), run
    assert len(server.requests_to("elink.fcgi")) == 2, run
    assert run.elapsed < 60, run


def test_a_retry_after_of_three_thousand_years_ends_at_the_deadline() -> None:
    reply = Reply(
        status=429,
        body=b'{"error":"API rate limit exceeded"}',
        content_type="application/json",
        headers=[("Retry-After", "99999999999")],
    )

    with serve(lambda request: reply) as server:
        run = run_elinkcli(*LINK, "--deadline", "5", "-id", "1", "--format", "tsv", server=server)
    check_run(run, 4, "tsv", asked={"1"})
    assert failed_ids(run) == ["1"], run
    assert run.elapsed < 60, run


def elink_answer_text(links: dict[str, dict[str, list[str]]]) -> str:
    return elink_answer("gene", links, "protein").decode()


STDIN_DOCUMENTS = {
    "elink-newline-reference": (
        ("link", "-target", "protein"),
        elink_answer_text({"1": {"gene_protein": [Raw("12&#10;34")]}}),
    ),
    "elink-esc-reference": (
        ("link", "-target", "protein"),
        elink_answer_text({"1": {"gene_protein": [Raw("&#x1b;[2J")]}}),
    ),
    "elink-letters": (
        ("link", "-target", "protein"),
        elink_answer_text({"1": {"gene_protein": ["abc"]}}),
    ),
    "elink-superscript": (
        ("link", "-target", "protein"),
        elink_answer_text({"1": {"gene_protein": ["²"]}}),
    ),
    **{
        f"elink-score-{name}": (
            ("link", "-target", "protein"),
            neighbor_score_answer(
                "gene", {"1": {"gene_protein": [("11", "7"), ("12", score)]}}, "protein"
            ).decode(),
        )
        for name, score in (("abc", "abc"), ("superscript", "²"), ("23-digits", "9" * 23))
    },
    "elink-key-as-root": (
        ("link", "-target", "protein"),
        f"<?xml version='1.0'?>\n<{KEY}><LinkSet/></{KEY}>\n",
    ),
    "esearch-count-superscript": (
        ("link", "-db", "gene", "-target", "protein"),
        esearch_answer(["1"], count="²").decode(),
    ),
    "esearch-fullwidth-id": (
        ("link", "-db", "gene", "-target", "protein"),
        esearch_answer(["１２"]).decode(),
    ),
    "esearch-key-count": (
        ("link", "-db", "gene", "-target", "protein"),
        esearch_answer(["1"], count=KEY).decode(),
    ),
}


@pytest.mark.parametrize("case", list(STDIN_DOCUMENTS))
def test_a_hostile_document_on_stdin_is_bad_input(case: str) -> None:
    args, document = STDIN_DOCUMENTS[case]
    with serve() as server:
        run = run_elinkcli(*args, "--format", "tsv", server=server, stdin=document.encode())
    check_run(run, 2, "tsv")
    one_error(run)
    assert server.requests == [], run  # refused before anything was asked


# --- a try that never completes, on every transport ----------------------------------------------

DRIP_BODY = (ELINK_HEAD + "<eLinkResult>\n<LinkSet>\n\t<DbFrom>gene</DbFrom>\n").encode()
TRANSPORTS = {
    # 200, no length, `Connection: close`: the body ends when the connection does
    "close-delimited": Reply(body=DRIP_BODY, framing="close", drip=(1, 1.0), endless=True),
    "http-1.0": Reply(
        body=DRIP_BODY, framing="close", version="HTTP/1.0", drip=(1, 1.0), endless=True
    ),
    "chunked": Reply(body=DRIP_BODY, framing="chunked", drip=(1, 1.0), endless=True),
}


@pytest.mark.slow
@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_a_dripping_answer_ends_at_the_timeout(transport: str) -> None:
    reply = TRANSPORTS[transport]
    with serve(lambda request: reply) as server:
        run = run_elinkcli(
            *LINK, "--timeout", "1", "--deadline", "4", "-id", "1", "--format", "tsv",
            server=server, timeout=90,
        )  # fmt: skip
    check_run(run, 4, "tsv", asked={"1"})
    assert "did not answer in time (no complete answer in 1 s)" in one_error(run), run
    assert failed_ids(run) == ["1"], run
    # Tries of 1 s within a 4 s deadline (the body never ends: unbounded, it never would).
    assert run.elapsed < 40, run


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["close-delimited", "http-1.0"])
def test_a_dripping_answer_with_max_time_leaves_no_file(transport: str, tmp_path: Path) -> None:
    reply = TRANSPORTS[transport]
    out = tmp_path / "links.tsv"
    with serve(lambda request: reply) as server:
        run = run_elinkcli(
            *LINK, "--timeout", "1", "--max-time", "4", "-o", str(out), "-id", "1,2",
            "--format", "tsv", server=server, timeout=90,
        )  # fmt: skip
    check_run(run, 4, "tsv", asked={"1", "2"})
    assert sorted(failed_ids(run)) == ["1", "2"], run
    assert run.elapsed < 60, run
    left = sorted(p.name for p in tmp_path.iterdir())
    assert not {out.name, out.name + ".part", out.name + ".journal"} & set(left), left


# --- memory bombs (default settings: no ELINKCLI_MAX_BODY) --------------------------------------


def assert_bounded(run: Run, ids: list[str]) -> None:
    check_run(run, {3, 4}, "tsv", asked=set(ids))
    assert run.rss_mb < MEMORY_BOUND_MB, f"peak RSS {run.rss_mb:.0f} MB\n{run}"
    assert run.elapsed < 120, run
    assert "".join(one_error(run)), run


# (the bomb, its largest size, its Content-Encoding)
BOMBS = {
    "double-gzip": (double_gzip_bomb, 16_000, "gzip, gzip"),
    "deep-nesting": (deep_nesting_bomb, 64_000, "gzip"),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(BOMBS))
def test_bombs_in_flight_stay_in_bounds(kind: str) -> None:
    make, largest, encoding = BOMBS[kind]
    bomb = make()
    assert len(bomb) < largest
    ids = [str(n) for n in range(1, 9)]  # 8 in flight at once: the budget is for them all
    reply = Reply(body=bomb, headers=[("Content-Encoding", encoding)])
    with serve(lambda r: reply if r.endpoint == "elink.fcgi" else echo(r)) as server:
        run = run_elinkcli(*LINK, "--batch", "1", "-id", ",".join(ids), "--format", "tsv",
                           server=server, timeout=150)  # fmt: skip
    assert_bounded(run, ids)


@pytest.mark.slow
def test_a_legitimately_shaped_400_mb_answer_stays_in_bounds() -> None:
    body = big_answer()
    assert len(body) < 8 << 20
    reply = Reply(body=body, headers=[("Content-Encoding", "gzip")])
    with serve(lambda r: reply if r.endpoint == "elink.fcgi" else echo(r)) as server:
        run = run_elinkcli(*LINK, "-id", "1", "--format", "tsv", server=server, timeout=150)
    assert_bounded(run, ["1"])


@pytest.mark.slow
def test_an_endless_chunked_gzip_body_stays_in_bounds() -> None:
    reply = Reply(
        stream=endless_gzip_zeros, framing="chunked", headers=[("Content-Encoding", "gzip")]
    )
    with serve(lambda r: reply if r.endpoint == "elink.fcgi" else echo(r)) as server:
        run = run_elinkcli(*LINK, "-id", "1", "--format", "tsv", server=server, timeout=150)
    assert_bounded(run, ["1"])


# --- hostile local input ------------------------------------------------------------------------


def test_a_gigabyte_of_binary_on_stdin_is_refused_early() -> None:
    block = bytes(range(256)) * 4096  # 1 MiB, NULs and every other byte

    def feed(pipe: IO[bytes]) -> None:
        for _ in range(1024):
            pipe.write(block)

    with serve() as server:
        run = run_elinkcli(*LINK, "--format", "tsv", server=server, stdin=feed, timeout=60)
    check_run(run, 2, "tsv")
    one_error(run)
    assert run.elapsed < 30, run
    assert run.rss_mb < 200, f"peak RSS {run.rss_mb:.0f} MB\n{run}"
    assert server.requests == [], run


def test_input_from_dev_zero_is_refused() -> None:
    with serve() as server:
        run = run_elinkcli(*LINK, "--input", "/dev/zero", "--format", "tsv", server=server,
                           timeout=60)  # fmt: skip
    check_run(run, 2, "tsv")
    one_error(run)
    assert run.elapsed < 30, run
    assert run.rss_mb < 200, f"peak RSS {run.rss_mb:.0f} MB\n{run}"
    assert server.requests == [], run


# --- --format urls ----------------------------------------------------------------------------

BAD_URLS = {
    "javascript:alert(1)": "javascript:alert(1)",
    "file:///etc/passwd": "file:///etc/passwd",
    "-o /tmp/pwned http://a.example/": "/tmp/pwned",
    Raw("https://b.example/x&#10;y"): "b.example/x",
    "/relative/path.html": "/relative/path.html",
}


def test_urls_prints_only_absolute_http_urls() -> None:
    resources = [objurl(url) for url in BAD_URLS] + [objurl("https://good.example/a")]
    body = llinks_answer("pubmed", {"1": resources})

    def handler(request: Request) -> Reply:
        return xml_reply(body) if request.endpoint == "elink.fcgi" else echo(request)

    with serve(handler) as server:
        run = run_elinkcli("linkout", "-db", "pubmed", "-id", "1", "--format", "urls",
                           server=server)  # fmt: skip
    answered(server)
    check_run(run, 0, "urls")
    assert run.stdout == "https://good.example/a\n", run
    for named in BAD_URLS.values():
        assert named in run.stderr, f"{named!r} not named\n{run}"
