"""`elinkcli.api`, the commands as Python functions, against the fake E-utilities server
(tests/support/fake_eutils.py, on 127.0.0.1), the fake citation services
(tests/support/fake_citations.py) and requests-mock: never the internet.

Expected rows come from the fakes' own link model (FakeEutils.links, FakeCitations'
cited_by...), never from what elinkcli returns. Every test runs with its own cache and
state directories, no config file unless it writes one, and HOME / XDG directories in
tmp_path, so the user's real configuration and cache are never read.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import IDENTITY_ENV, clean_env
from support.fake_citations import FakeCitations, europepmc_cited_by, icite_cited_by, med_ids
from support.fake_eutils import FakeEutils
from support.paths import ROOT

from elinkcli import api
from elinkcli.commands.ledger import Ledger
from elinkcli.config import Settings
from elinkcli.errors import (
    CacheMissError,
    ElinkError,
    PermanentError,
    UnknownIdsError,
    UsageError,
)
from elinkcli.eutils.client import EutilsClient
from elinkcli.models import LinkRow

README = ROOT / "docs" / "python-api.md"
EXAMPLE_MARKER = "<!-- python-example -->"
# The accession of the docs/python-api.md example (TP53 mRNA), as the fake server's record.
ACCESSION, ACCESSION_UID = "NM_000546.6", "1653961474"
MOCK_BASE = "https://eutils.test/entrez/eutils/"
FUNCTIONS = (api.link, api.citations, api.check, api.discover, api.chain, api.linkout)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No variable of the user's shell, no config file, a cache and a state directory of
    the test's own, and HOME / XDG directories in tmp_path."""
    for name in (*IDENTITY_ENV, "ELINKCLI_ICITE_URL", "ELINKCLI_EUROPEPMC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ELINKCLI_ADAPTIVE_BATCH", raising=False)
    monkeypatch.setenv("ELINKCLI_CONFIG", os.devnull)
    monkeypatch.setenv("ELINKCLI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ELINKCLI_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("ELINKCLI_BACKOFF_BASE", "0.01")
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))


@pytest.fixture
def eutils(fake: FakeEutils, monkeypatch: pytest.MonkeyPatch) -> FakeEutils:
    """The fake server, named in ELINKCLI_BASE_URL (as a user's shell would), with the
    record of ACCESSION."""
    fake.add_record("nuccore", ACCESSION_UID, ACCESSION)
    monkeypatch.setenv("ELINKCLI_BASE_URL", fake.base_url)
    return fake


@pytest.fixture
def citation_services() -> Iterator[FakeCitations]:
    with FakeCitations() as server:
        yield server


def targets(fake: FakeEutils, dbfrom: str, uid: str, db: str, name: str | None = None) -> list:
    """[(linkname, target id)] of one source, as the fake's model has them."""
    return [(n, t) for n, _dbto, ts in fake.links(dbfrom, uid, db, name) for t in ts]


def sent(fake: FakeEutils, key: str) -> list[str | None]:
    """The value of `key` in each request the fake was sent."""
    return [r.get(key) for r in fake.log]


# --- link ---------------------------------------------------------------------------------


def test_link_gives_one_row_per_link_with_its_source(eutils: FakeEutils) -> None:
    rows = list(api.link(["672", "7157"], db="gene", target="protein", name="gene_protein_refseq"))
    assert all(type(r) is LinkRow for r in rows)
    assert [(r.source_id, r.linkname, r.target_id) for r in rows] == [
        (uid, name, t)
        for uid in ("672", "7157")
        for name, t in targets(eutils, "gene", uid, "protein", "gene_protein_refseq")
    ]
    assert {(r.source_db, r.target_db, r.source_uid) for r in rows} == {
        ("gene", "protein", "672"),
        ("gene", "protein", "7157"),
    }
    assert rows[0]._asdict()["target_id"] == rows[0].target_id


def test_accessions_are_resolved_and_the_token_is_kept(eutils: FakeEutils) -> None:
    rows = list(api.link(f"{ACCESSION}, 1653961474", db="nuccore", target="protein"))
    want = targets(eutils, "nuccore", ACCESSION_UID, "protein")
    assert want
    # The accession and its UID are two tokens of one record: each keeps its own rows.
    assert [(r.source_id, r.source_uid, r.linkname, r.target_id) for r in rows] == [
        (token, ACCESSION_UID, n, t) for token in (ACCESSION, ACCESSION_UID) for n, t in want
    ]
    assert eutils.requests_to("esummary.fcgi"), "the accession was resolved by ESummary"


def test_related_and_a_link_name_stand_for_the_target(eutils: FakeEutils) -> None:
    related = list(api.link(["15718680"], db="pubmed", related=True, cmd="neighbor_score"))
    assert [(r.linkname, r.target_id) for r in related] == targets(
        eutils, "pubmed", "15718680", "pubmed", "pubmed_pubmed"
    )
    assert all(r.score is not None for r in related)
    named = list(api.link(["672"], db="gene", name="gene_protein_refseq"))
    assert {r.target_db for r in named} == {"protein"}


def test_an_accession_naming_no_record_is_raised_after_the_other_rows(
    eutils: FakeEutils,
) -> None:
    warnings: list[str] = []
    rows: list[LinkRow] = []
    with pytest.raises(UnknownIdsError) as caught:
        rows.extend(
            api.link(
                ["NM_999999.1", ACCESSION], db="nuccore", target="protein", warn=warnings.append
            )
        )
    assert caught.value.ids == ("NM_999999.1",)
    assert isinstance(caught.value, PermanentError)
    want = targets(eutils, "nuccore", ACCESSION_UID, "protein")
    assert [r.source_id for r in rows] == [ACCESSION] * len(want)
    assert len(warnings) == 1 and "NM_999999.1" in warnings[0]


def test_a_link_name_ncbi_rejects_is_a_permanent_error(eutils: FakeEutils) -> None:
    warnings: list[str] = []
    rows = api.link(["672"], db="gene", target="protein", name="gene_nowhere", warn=warnings.append)
    assert any("gene_nowhere" in w and "catalog" in w for w in warnings)
    with pytest.raises(PermanentError, match="gene_nowhere"):
        list(rows)
    with pytest.raises(UsageError, match="strict"):
        api.link(["672"], db="gene", target="protein", name="gene_nowhere", strict=True)


def test_offline_answers_from_the_cache_or_names_what_it_lacks(eutils: FakeEutils) -> None:
    with pytest.raises(CacheMissError) as caught:
        list(api.link(["672"], db="gene", target="protein", cache="offline"))
    assert caught.value.ids == ("672",)
    assert eutils.log == []
    online = list(api.link(["672"], db="gene", target="protein"))
    asked = len(eutils.log)
    assert list(api.link(["672"], db="gene", target="protein", cache="offline")) == online
    assert len(eutils.log) == asked
    list(api.link(["672"], db="gene", target="protein", cache="refresh"))
    assert len(eutils.log) == asked + 1


# --- check, discover, chain, linkout ---------------------------------------------------------


def test_check_answers_every_id(eutils: FakeEutils) -> None:
    rows = list(api.check("100,102,104", db="pubmed", cmd="lcheck"))
    assert [(r.source_id, r.check, r.value) for r in rows] == [
        (uid, "lcheck", "Y" if eutils.has_linkout(uid) else "N") for uid in ("100", "102", "104")
    ]
    only = list(api.check(["100", "102"], db="pubmed", cmd="lcheck", only="no"))
    assert [r.source_id for r in only] == ["102"]
    named = list(api.check([ACCESSION], db="nuccore", name="nuccore_protein"))
    assert [(r.source_id, r.source_uid, r.value) for r in named] == [
        (ACCESSION, ACCESSION_UID, "Y")
    ]


def test_discover_names_records_and_offline(eutils: FakeEutils) -> None:
    names = list(api.discover(db="gene", target="protein"))
    by_name = {r.linkname: r for r in names}
    assert {"gene_protein", "gene_protein_refseq"} <= set(by_name)
    assert by_name["gene_protein"].attested_by == "einfo+catalog"
    assert {r.target_db for r in names} == {"protein"}
    asked = len(eutils.log)
    offline = list(api.discover(db="gene", target="protein", cache="offline"))
    assert len(eutils.log) == asked, "offline: the catalog alone"
    assert {r.attested_by for r in offline} == {"catalog"}
    records = list(api.discover(["672"], db="gene", target="protein"))
    assert [(r.source_id, r.source_uid, r.linkname) for r in records] == [
        ("672", "672", n) for n, dbto, _ in eutils.acheck("gene", "672") if dbto == "protein"
    ]


def test_chain_walks_every_path_from_the_token_given(eutils: FakeEutils) -> None:
    paths = list(api.chain([ACCESSION], db="nuccore", hops="protein gene"))
    want = [
        (ACCESSION, p, g)
        for _, p in targets(eutils, "nuccore", ACCESSION_UID, "protein")
        for _, g in targets(eutils, "protein", p, "gene")
    ]
    assert want and paths == want
    stats: list[Any] = []
    two = list(
        api.chain(
            ["672"], db="gene", hops=["protein:gene_protein_refseq", "structure"], stats=stats
        )
    )
    assert all(len(p) == 3 and p[0] == "672" for p in two)
    assert [h.db for h in stats] == ["gene", "protein"]


def test_linkout_filters_as_the_command_does(eutils: FakeEutils) -> None:
    every = list(api.linkout(["100"], db="pubmed"))
    # The fake sends MedlinePlus twice: identical URL + provider collapse.
    assert len(every) == len(eutils.linkout("100")) - 1
    free = list(api.linkout(["100", "104"], db="pubmed", free=True))
    assert [(r.source_id, r.provider_abbr) for r in free] == [
        ("100", "MEDPLUS"),
        ("104", "MEDPLUS"),
    ]
    medical = list(api.linkout(["100"], db="pubmed", categories="medical"))
    assert [r.categories for r in medical] == [("Medical",)]


# --- citations ------------------------------------------------------------------------------


def test_who_cites_a_paper(citation_services: FakeCitations) -> None:
    url = citation_services.icite_url
    warnings: list[str] = []
    rows = list(api.citations(["104", "109"], icite_url=url, warn=warnings.append))
    assert [(r.source_id, r.target_id, r.source) for r in rows] == [
        ("104", t, "icite") for t in icite_cited_by("104")
    ]
    assert {r.linkname for r in rows} == {"pubmed_pubmed_citedin"}
    assert warnings == ["icite does not know 1 PMID(s): 109"]
    both = list(
        api.citations(
            ["104"],
            sources=["europepmc", "icite"],
            icite_url=url,
            europepmc_url=citation_services.europepmc_url,
        )
    )
    in_epmc = set(med_ids(europepmc_cited_by("104")))
    assert {r.target_id: r.source for r in both} == {
        t: "icite,europepmc" if t in in_epmc else "icite" for t in icite_cited_by("104")
    }


def test_citation_sources_come_from_the_config_file(
    citation_services: FakeCitations, tmp_path: Path
) -> None:
    config = tmp_path / "elinkcli.toml"
    config.write_text(
        f'citations_from = "europepmc"\neuropepmc_url = "{citation_services.europepmc_url}"\n',
        encoding="utf-8",
    )
    rows = list(api.citations(["104"], config=config))
    assert {r.source for r in rows} == {"europepmc"}
    assert [r.target_id for r in rows] == med_ids(europepmc_cited_by("104"))


# --- errors ------------------------------------------------------------------------------------


BAD_CALLS: dict[str, Callable[[], object]] = {
    "no target": lambda: api.link(["672"], db="gene"),
    "batch 0": lambda: api.link(["672"], db="gene", target="protein", batch=0),
    "unknown cmd": lambda: api.link(["672"], db="gene", target="protein", cmd="ncheck"),  # type: ignore[arg-type]
    "bad id": lambda: api.link(["not-an-id!"], db="gene", target="protein"),
    "bad date": lambda: api.link(["1"], db="pubmed", target="gene", mindate="yesterday"),
    "ids as bytes": lambda: api.link(b"672", db="gene", target="protein"),  # type: ignore[arg-type]
    "check cmd and name": lambda: api.check(["1"], db="gene", cmd="ncheck", name="gene_gene"),
    "check neither": lambda: api.check(["1"], db="gene"),
    "check only": lambda: api.check(["1"], db="gene", cmd="ncheck", only="maybe"),  # type: ignore[arg-type]
    "discover batch": lambda: api.discover(db="gene", batch=5000),
    "bad hop": lambda: api.chain(["672"], db="gene", hops="protein:a:b"),
    "cited from gene": lambda: api.chain(["672"], db="gene", hops=["cited"]),
    "no hops": lambda: api.chain(["672"], db="gene", hops=[]),
    "linkout primary holding": lambda: api.linkout(
        ["1"], db="pubmed", mode="primary", holding="exjournal"
    ),
    "linkout mode": lambda: api.linkout(["1"], db="pubmed", mode="some"),  # type: ignore[arg-type]
    "citations of a gene id": lambda: api.citations(["NM_000546.6"]),
    "citation source": lambda: api.citations(["104"], sources="google"),
    "cache mode": lambda: api.link(["672"], db="gene", target="protein", cache="maybe"),  # type: ignore[arg-type]
    "bad base URL": lambda: api.link(["672"], db="gene", target="protein", base_url="ftp://x"),
    "missing config": lambda: api.check(["1"], db="gene", cmd="ncheck", config="/nonexistent"),
    "client and options": lambda: api.link(
        ["672"],
        db="gene",
        target="protein",
        client=EutilsClient(Settings(cache_dir=None)),
        email="a@b.org",
    ),
    "settings and options": lambda: api.link(
        ["672"], db="gene", target="protein", settings=Settings(), base_url=MOCK_BASE
    ),
}


@pytest.mark.parametrize("call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_options_are_usage_errors_at_the_call(
    call: Callable[[], object], eutils: FakeEutils
) -> None:
    with pytest.raises(UsageError) as caught:
        call()
    assert isinstance(caught.value, ElinkError)
    assert eutils.log == [], "nothing asked of NCBI"


def test_nothing_is_printed_and_warnings_go_to_the_elinkcli_logger(
    eutils: FakeEutils, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    rows = api.link(["672"], db="gene", target="protein", name="gene_nowhere_at_all")
    with caplog.at_level(logging.WARNING, logger="elinkcli"), pytest.raises(PermanentError):
        list(api.link(["672"], db="gene", target="protein", name="gene_nowhere_at_all"))
    del rows
    assert any("gene_nowhere_at_all" in r.getMessage() for r in caplog.records)
    assert {r.name for r in caplog.records} == {"elinkcli"}
    out, _err = capfd.readouterr()
    assert out == ""


# --- streaming and closing ---------------------------------------------------------------------


def _every_function() -> dict[str, Callable[[], Iterator[object]]]:
    return {
        "link": lambda: api.link(["672"], db="gene", target="protein"),
        "check": lambda: api.check(["100"], db="pubmed", cmd="lcheck"),
        "discover names": lambda: api.discover(db="gene"),
        "discover records": lambda: api.discover(["672"], db="gene"),
        "chain": lambda: api.chain(["672"], db="gene", hops="protein"),
        "linkout": lambda: api.linkout(["100"], db="pubmed"),
    }


@pytest.mark.parametrize("name", _every_function().keys())
def test_nothing_is_asked_before_the_iteration_starts(name: str, eutils: FakeEutils) -> None:
    rows = _every_function()[name]()
    assert eutils.log == []
    assert next(iter(rows)) is not None
    assert eutils.log, "asked once iterated"


def test_the_first_row_comes_before_the_last_batch_is_answered(
    eutils: FakeEutils, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loopback server (concurrent, as NCBI is: requests-mock answers one request at a
    time, so a held answer would hold the others) keeps the last batch's answer until the
    first row has been taken; the three batches may start together (pacing by window)."""
    released = threading.Event()
    held: list[bool] = []
    real = eutils.answer

    def answer(path: str, params: list[tuple[str, str]]) -> tuple[int, str, bytes]:
        if path.endswith("elink.fcgi") and [v for k, v in params if k == "id"] == ["3"]:
            held.append(not released.wait(30))
        return real(path, params)

    monkeypatch.setattr(eutils, "answer", answer)
    rows = api.link(["1", "2", "3"], db="gene", target="protein", batch=1)
    assert eutils.log == []
    first = next(rows)
    released.set()
    rest = list(rows)
    assert held == [False], "the first row waited for the last batch"
    # -target alone asks for DB_TARGET (gene_protein), as EDirect's elink does.
    pairs = [targets(eutils, "gene", uid, "protein", "gene_protein") for uid in ("1", "2", "3")]
    expected = [t for found in pairs for _n, t in found]
    assert expected
    assert [r.target_id for r in [first, *rest]] == expected


@pytest.fixture
def closes(monkeypatch: pytest.MonkeyPatch) -> list[EutilsClient]:
    """The clients closed during the test, in order."""
    closed: list[EutilsClient] = []
    real = EutilsClient.close

    def close(self: EutilsClient) -> None:
        closed.append(self)
        real(self)

    monkeypatch.setattr(EutilsClient, "close", close)
    return closed


def test_the_client_is_closed_at_the_end_or_when_the_rows_are_closed(
    eutils: FakeEutils, closes: list[EutilsClient]
) -> None:
    list(api.link(["672"], db="gene", target="protein"))
    assert len(closes) == 1
    rows = api.link(["672", "7157"], db="gene", target="protein", batch=1)
    next(rows)
    assert len(closes) == 1
    rows.close()
    assert len(closes) == 2
    with contextlib.closing(api.check(["100", "101"], db="pubmed", cmd="lcheck")) as checks:
        next(checks)
    assert len(closes) == 3
    with pytest.raises(CacheMissError):
        list(api.link(["1234"], db="gene", target="protein", cache="offline"))
    assert len(closes) == 4, "closed when the run ends with an error too"
    unused = api.link(["672"], db="gene", target="protein")
    del unused
    assert len(closes) == 4, "a run never started opens nothing"


def test_a_callers_client_is_used_and_left_open(
    eutils: FakeEutils, closes: list[EutilsClient]
) -> None:
    stats = Ledger()
    with EutilsClient(Settings(base_url=eutils.base_url, cache_dir=None)) as client:
        rows = list(api.link(["672"], db="gene", target="protein", client=client, stats=stats))
        assert closes == []
        assert rows and stats.requests == 1 and stats.ids_with_links == ["672"]
    assert closes == [client]


def test_no_ids_is_no_rows_and_no_request(eutils: FakeEutils) -> None:
    assert list(api.link([], db="gene", target="protein")) == []
    assert list(api.check("", db="pubmed", cmd="ncheck")) == []
    assert list(api.discover([], db="gene")) == []
    assert eutils.log == []


# --- configuration -------------------------------------------------------------------------------


def write_config(path: Path, **settings: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'{k} = "{v}"\n' for k, v in settings.items()), encoding="utf-8")
    path.chmod(0o600)
    return path


def test_the_environment_and_the_config_file_are_read_as_the_command_line_reads_them(
    fake: FakeEutils, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The user's own config file (no ELINKCLI_CONFIG): where the base URL comes from.
    monkeypatch.delenv("ELINKCLI_CONFIG")
    write_config(
        tmp_path / "xdg_config_home" / "elinkcli" / "config.toml",
        base_url=fake.base_url,
        email="config@example.org",
    )
    list(api.link(["672"], db="gene", target="protein", cache="off"))
    assert sent(fake, "email") == ["config@example.org"]
    assert sent(fake, "tool") == ["elinkcli"]
    # The environment wins over the file, an argument over both.
    monkeypatch.setenv("NCBI_EMAIL", "env@example.org")
    monkeypatch.setenv("NCBI_API_KEY", "envkey123")
    list(api.link(["672"], db="gene", target="protein", cache="off"))
    list(
        api.link(
            ["672"], db="gene", target="protein", cache="off", email="arg@example.org", tool="mine"
        )
    )
    assert sent(fake, "email")[1:] == ["env@example.org", "arg@example.org"]
    assert sent(fake, "api_key")[1:] == ["envkey123", "envkey123"]
    assert sent(fake, "tool")[1:] == ["elinkcli", "mine"]


def test_a_named_config_file_or_none(
    eutils: FakeEutils, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = write_config(tmp_path / "other.toml", email="other@example.org")
    list(api.check(["100"], db="pubmed", cmd="lcheck", config=other))
    monkeypatch.setenv("ELINKCLI_CONFIG", str(other))
    list(api.check(["101"], db="pubmed", cmd="lcheck"))
    list(api.check(["102"], db="pubmed", cmd="lcheck", config=False))
    assert sent(eutils, "email") == ["other@example.org", "other@example.org", None]


def test_a_config_warning_is_a_warning(
    eutils: FakeEutils, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = write_config(tmp_path / "c.toml", colour="blue")
    with caplog.at_level(logging.WARNING, logger="elinkcli"):
        list(api.check(["100"], db="pubmed", cmd="lcheck", config=config))
    assert any("unknown setting 'colour'" in r.getMessage() for r in caplog.records)


def test_an_api_key_argument_is_no_command_line_and_says_nothing(
    eutils: FakeEutils, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    with caplog.at_level(logging.WARNING, logger="elinkcli"):
        list(api.link(["672"], db="gene", target="protein", cache="off", api_key="argkey123"))
    assert sent(eutils, "api_key") == ["argkey123"]
    assert caplog.records == []
    assert capfd.readouterr().err == ""


# --- the module itself ------------------------------------------------------------------------


def test_typer_is_not_imported() -> None:
    code = (
        "import sys, elinkcli.api as api\n"
        "rows = list(api.discover(db='gene', cache='offline'))\n"
        "assert rows\n"
        "assert 'typer' not in sys.modules, 'typer imported'\n"
        "cli = [m for m in sys.modules if m == 'elinkcli.cli' or m.startswith('elinkcli.cli.')]\n"
        "assert not cli, cli\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=clean_env(), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("fn", FUNCTIONS, ids=[f.__name__ for f in FUNCTIONS])
def test_every_argument_is_keyword_only_typed_and_documented(fn: Callable[..., object]) -> None:
    assert fn.__name__ in api.__all__
    doc = inspect.getdoc(fn) or ""
    params = list(inspect.signature(fn).parameters.values())
    assert params[0].name == "ids"
    *named, rest = params[1:]
    # The connection arguments: **connection, typed by the Connection TypedDict.
    assert rest.kind is inspect.Parameter.VAR_KEYWORD and rest.annotation == "Unpack[Connection]"
    for p in named:
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, p
        assert p.annotation is not inspect.Parameter.empty, p
    for name in [p.name for p in named] + list(api.Connection.__annotations__):
        assert re.search(rf"\b{name}\b[^:\n]*:", doc), f"{fn.__name__}: {name} undocumented"


def test_an_argument_that_is_not_one_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="'base_ulr'"):
        api.link(["672"], db="gene", target="protein", base_ulr="http://127.0.0.1:9")


# --- the manual's example (docs/python-api.md) ----------------------------------------------------


def python_example(text: str) -> str | None:
    """The first ```python block after the marker line, or None."""
    _, marker, after = text.partition(EXAMPLE_MARKER)
    if not marker:
        return None
    found = re.search(r"```python\n(.*?)\n```", after, re.DOTALL)
    return found.group(1) if found else None


def test_the_readme_python_example_runs(fake: FakeEutils) -> None:
    code = python_example(README.read_text(encoding="utf-8")) if README.exists() else None
    if code is None:
        pytest.skip("README section not inserted yet")
    fake.add_record("nuccore", ACCESSION_UID, ACCESSION)
    # As a user would run it; only the base URL points at the fake server.
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=clean_env({"ELINKCLI_BASE_URL": fake.base_url}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    want = [
        f"672 {n} {t}" for n, t in targets(fake, "gene", "672", "protein", "gene_protein_refseq")
    ] + [
        f"{ACCESSION} {ACCESSION_UID} {t}"
        for _, t in targets(fake, "nuccore", ACCESSION_UID, "protein")
    ]
    assert want and set(want) <= set(lines), proc.stdout
    assert fake.log, "the example asked the fake server"
