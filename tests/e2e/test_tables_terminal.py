"""`tables get` on a terminal: a progress bar on stderr while the file comes, ended by a
newline; none into a pipe (tests/e2e/test_tables.py runs it that way)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fake_eutils import FakeEutils
from support.file_server import FileServer
from support.ncbi_files import make_data, ncbi_files
from support.terminal import on_terminal

pytestmark = pytest.mark.e2e


def test_a_download_on_a_terminal_draws_a_bar_to_the_end(tmp_path: Path) -> None:
    files = ncbi_files(make_data())
    size = len(files["gene/DATA/gene2pubmed.gz"])
    with FileServer(files) as fs, FakeEutils() as fake:
        env = {"ELINKCLI_TABLES_URL": fs.base_url, "ELINKCLI_TABLES_DIR": str(tmp_path / "t")}
        code, lines = on_terminal(fake, ["tables", "get", "gene2pubmed"], 100, env)
    assert code == 0, lines
    drawn = [part for line in lines for part in line.split("\r") if part.startswith("[")]
    assert drawn, lines
    last = drawn[-1]
    # The whole file, in MB as the server said it: a full bar, 100 %.
    assert last.startswith("[" + "#" * (last.index("]") - 1) + "]"), last
    assert "100.0%" in last and f"of {size / 1e6:,.1f} MB" in last, last
    assert all(len(part.replace("\x1b[K", "")) <= 100 for part in drawn)
    # The bar's line is ended: the next line says what was loaded.
    assert any(
        line.startswith("elinkcli: gene2pubmed: ") and "rows loaded" in line for line in lines
    )
