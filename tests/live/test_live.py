"""Smoke test against the real NCBI: skipped unless ELINKCLI_LIVE=1."""

from __future__ import annotations

import os

import pytest

from elinkcli.commands.link import link
from elinkcli.config import resolve_settings

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(os.environ.get("ELINKCLI_LIVE") != "1", reason="set ELINKCLI_LIVE=1"),
]


def test_gene_672_has_refseq_proteins() -> None:
    rows = list(
        link(
            ["672"],
            db="gene",
            target="protein",
            name="gene_protein_refseq",
            settings=resolve_settings(),
        )
    )
    assert rows
    assert {r.source_id for r in rows} == {"672"}
    assert {r.linkname for r in rows} == {"gene_protein_refseq"}
    assert all(r.target_id.isdigit() for r in rows)
