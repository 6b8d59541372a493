"""DuckDB, the optional engine of local tables: imported only when a table is loaded or
asked, with one line saying how to install it when it is missing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elinkcli.constants import ENV_TABLES_MEMORY
from elinkcli.errors import UsageError

if TYPE_CHECKING:
    import duckdb

INSTALL = "pip install 'elinkcli[tables]'"
# DuckDB's memory limit in one process (ELINKCLI_TABLES_MEMORY, e.g. "4GB"): sorts and
# joins past it spill to the temporary directory (a 50 M-row gene2refseq loads as fast at
# 1 GB as at 2 GB: bench/tables.py).
DEFAULT_MEMORY = "1GB"


class TablesUnavailableError(UsageError):
    """Local tables need DuckDB, an optional extra."""


def duckdb_module() -> Any:
    try:
        import duckdb
    except ImportError:
        raise TablesUnavailableError(
            f"local link tables need DuckDB, which is not installed: {INSTALL}"
        ) from None
    return duckdb


def connect(
    temp_dir: Path | None = None, threads: int | None = None, memory: str = DEFAULT_MEMORY
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection (the tables are Parquet files it reads), its memory
    bounded and its spill files in `temp_dir`."""
    duckdb = duckdb_module()
    config: dict[str, Any] = {
        "memory_limit": os.environ.get(ENV_TABLES_MEMORY) or memory,
        "preserve_insertion_order": False,
    }
    if threads:
        config["threads"] = threads
    if temp_dir is not None:
        config["temp_directory"] = str(temp_dir)
    try:
        return duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        raise UsageError(f"cannot start DuckDB: {exc}") from None


# Parquet row groups: small enough that one id's lookup reads little.
ROW_GROUP = 122_880


def sql_text(path: Path) -> str:
    """`path` inside a single-quoted SQL string."""
    return str(path).replace("'", "''")


def parquet(path: Path) -> str:
    """The relation of the Parquet file at `path`."""
    return f"read_parquet('{sql_text(path)}')"


def copy_to_parquet(con: Any, select: str, out: Path) -> int:
    """Write the rows of `select` to the Parquet file `out` (zstd); how many."""
    row = con.execute(
        f"COPY ({select}) TO '{sql_text(out)}' "
        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})"
    ).fetchone()
    return int(row[0]) if row else 0
