"""Fixtures of the local-table unit tests: the shared dataset, and a DuckDB connection as
`tables get` makes one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.ncbi_files import LinkData
from support.tables_fixtures import dataset


@pytest.fixture(scope="module")
def data() -> LinkData:
    return dataset()


@pytest.fixture
def con(tmp_path: Path) -> Iterator[Any]:
    """A connection as `tables get` makes it (bounded memory, no insertion order kept)."""
    pytest.importorskip("duckdb")
    from elinkcli.tables.engine import connect

    connection = connect(temp_dir=tmp_path / "spill")
    yield connection
    connection.close()
