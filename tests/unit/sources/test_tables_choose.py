"""Which requests a local table takes (elinkcli.sources.tables.choose), from the table's
record alone: no DuckDB query is made to choose."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from elinkcli.config import Settings
from elinkcli.errors import UsageError
from elinkcli.eutils.params import LinkFilters
from elinkcli.sources.base import LinkRequest, is_local, request_size
from elinkcli.sources.select import source_for
from elinkcli.sources.tables import AutoSource, TablesSource, choose, links_from
from elinkcli.tables.store import READERS


@dataclass
class StubClient:
    settings: Settings
    said: list[str] = field(default_factory=list)
    log: None = None

    def notice(self, text: str, kind: str = "wait") -> None:
        self.said.append(text)


def record(root: Path, name: str, *, taxa: list[int] | None = None, age: float = 0.0) -> None:
    version = f"{name}.v20261201T000000-abcdef"
    (root / version).mkdir(parents=True)
    (root / version / READERS).touch()
    (root / f"{name}.json").write_text(
        json.dumps(
            {
                "format": 1,
                "version": version,
                "name": name,
                "upstream": {"url": "http://x/", "last_modified": "Tue, 01 Dec 2026 00:00:00 GMT"},
                "rows": 3,
                "taxa": taxa,
                "loaded_at": time.time() - age,
                "files": ["by_gene.parquet"],
            }
        )
    )


def client(tmp_path: Path, mode: str | None = None, max_age: float = 30 * 86400) -> StubClient:
    return StubClient(Settings(links_from=mode, tables_dir=tmp_path, tables_max_age=max_age))


GENE_PUBMED = LinkRequest("gene", "neighbor", "pubmed", "gene_pubmed")


def test_with_no_table_loaded_elink_answers_and_tables_is_a_usage_error(tmp_path: Path) -> None:
    assert links_from(Settings(tables_dir=tmp_path)) == "elink"
    assert choose(client(tmp_path), GENE_PUBMED) is None  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="tables get gene2pubmed"):
        choose(client(tmp_path, "tables"), GENE_PUBMED)  # type: ignore[arg-type]


def test_a_loaded_table_makes_auto_the_default_and_answers_its_link_names(tmp_path: Path) -> None:
    record(tmp_path, "gene2pubmed")
    assert links_from(Settings(tables_dir=tmp_path)) == "auto"
    source = choose(client(tmp_path), GENE_PUBMED)  # type: ignore[arg-type]
    assert isinstance(source, TablesSource)
    assert is_local(source) and source.signature is None
    assert request_size(source, 100) == 50_000
    # Another link name of the pair is ELink's.
    other = LinkRequest("gene", "neighbor", "pubmed", "gene_pubmed_rif")
    assert choose(client(tmp_path), other) is None  # type: ignore[arg-type]
    assert choose(client(tmp_path, "elink"), GENE_PUBMED) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "request_,why",
    [
        (LinkRequest("gene", "neighbor", "pubmed", "gene_pubmed", union=True), "--union"),
        (LinkRequest("gene", "neighbor_score", "pubmed", "gene_pubmed"), "neighbor_score"),
        (
            LinkRequest("gene", "neighbor", "pubmed", "gene_pubmed", LinkFilters(reldate=30)),
            "date limits",
        ),
        (LinkRequest("gene", "neighbor", "pubmed", None), "--name all"),
        (LinkRequest("gene", "llinks"), "llinks"),
    ],
)
def test_what_no_table_answers_is_elinks_in_auto_and_exit_2_with_tables(
    tmp_path: Path, request_: LinkRequest, why: str
) -> None:
    record(tmp_path, "gene2pubmed")
    assert choose(client(tmp_path, "auto"), request_) is None  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=why):
        choose(client(tmp_path, "tables"), request_)  # type: ignore[arg-type]


def test_a_stale_table_is_left_to_elink_by_auto_and_said(tmp_path: Path) -> None:
    record(tmp_path, "gene2pubmed", age=40 * 86400)
    stub = client(tmp_path, "auto", max_age=30 * 86400)
    assert choose(stub, GENE_PUBMED) is None  # type: ignore[arg-type]
    assert len(stub.said) == 1 and "tables update" in stub.said[0]
    # --from tables uses it all the same.
    assert isinstance(choose(client(tmp_path, "tables", 86400), GENE_PUBMED), TablesSource)  # type: ignore[arg-type]


def test_a_table_of_some_organisms_answers_what_it_holds_and_elink_the_rest(tmp_path: Path) -> None:
    record(tmp_path, "gene2pubmed", taxa=[9606])
    source = choose(client(tmp_path, "auto"), GENE_PUBMED)  # type: ignore[arg-type]
    assert isinstance(source, AutoSource)
    assert not is_local(source) and request_size(source, 100) == 100
    assert isinstance(choose(client(tmp_path, "tables"), GENE_PUBMED), TablesSource)  # type: ignore[arg-type]


def test_check_name_asks_a_table_and_the_damaged_record_is_said(tmp_path: Path) -> None:
    record(tmp_path, "gene2pubmed")
    source = choose(client(tmp_path), LinkRequest("gene", "acheck", asks="gene_pubmed"))  # type: ignore[arg-type]
    assert isinstance(source, TablesSource) and source.acheck
    (tmp_path / "gene2pubmed.json").write_text("{not json")
    stub = client(tmp_path, "auto")
    assert choose(stub, GENE_PUBMED) is None  # type: ignore[arg-type]
    assert "damaged" in stub.said[0]
    with pytest.raises(Exception, match="damaged"):
        choose(client(tmp_path, "tables"), GENE_PUBMED)  # type: ignore[arg-type]


def test_source_for_goes_through_the_tables_chooser(tmp_path: Path) -> None:
    record(tmp_path, "gene2pubmed")
    assert isinstance(source_for(client(tmp_path), GENE_PUBMED), TablesSource)  # type: ignore[arg-type]
