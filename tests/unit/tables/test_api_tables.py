"""elinkcli.api.link answers from a loaded table as the command line does: the same
rows, each a LinkRow with its `source` (SourcedLinkRow), no request made."""

from __future__ import annotations

import time
from pathlib import Path

from support.ncbi_files import links, make_data, ncbi_files

from elinkcli import api
from elinkcli.models import LinkRow, SourcedLinkRow
from elinkcli.tables.catalog import BY_NAME
from elinkcli.tables.engine import connect
from elinkcli.tables.load import load_file
from elinkcli.tables.store import TablesStore


def test_api_link_from_a_loaded_table(tmp_path: Path) -> None:
    data = make_data()
    gz = tmp_path / "gene2pubmed.gz"
    gz.write_bytes(ncbi_files(data)["gene/DATA/gene2pubmed.gz"])
    store = TablesStore(tmp_path / "tables")
    staged = store.staging("gene2pubmed")
    result = load_file(connect(), BY_NAME["gene2pubmed"], gz, staged, None)
    record = {
        "name": "gene2pubmed",
        "upstream": {"url": "http://x/", "last_modified": "Tue, 01 Dec 2026 00:00:00 GMT"},
        "rows": result.rows,
        "taxa": None,
        "loaded_at": time.time(),
        "files": list(result.files),
    }
    store.publish("gene2pubmed", staged, record)
    oracle = links(data, "gene_pubmed")
    genes = sorted(oracle, key=int)[:5]
    rows = list(
        api.link(
            genes,
            db="gene",
            target="pubmed",
            links_from="tables",
            tables_dir=tmp_path / "tables",
            base_url="http://127.0.0.1:9/",  # nothing may be asked
            config=False,
        )
    )
    assert [(r.source_id, r.target_id) for r in rows] == [(g, t) for g in genes for t in oracle[g]]
    assert all(isinstance(r, LinkRow) and type(r) is SourcedLinkRow for r in rows)
    assert {r.source for r in rows} == {"gene2pubmed 2026-12-01"}
    assert rows[0]._asdict()["source"] == "gene2pubmed 2026-12-01"
