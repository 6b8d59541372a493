"""The modes of every file a run makes: the output, its .part and journal, the cache and its
lock, the pacing slot and lock files, the request log and the record of a finished output
are made 0666 less the umask (never an execute bit, never more open than the umask lets
them be); SQLite makes the cache database 0644 less the umask."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
from conftest import clean_env, elinkcli_command
from support.fake_eutils import Faults

pytestmark = pytest.mark.e2e

IDS = "3001,3002,3003,3004"  # 2 batches of 2


def modes(root: Path) -> dict[str, int]:
    """{path under root: permission bits} of every file (not directory) under root."""
    return {
        str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("umask", [0o022, 0o077], ids=["umask-022", "umask-077"])
def test_every_file_a_run_makes_is_0666_less_the_umask(fake, tmp_path, umask):
    env = clean_env(
        {
            "ELINKCLI_BASE_URL": fake.base_url,
            "ELINKCLI_STATE_DIR": str(tmp_path / "state"),
            "ELINKCLI_CACHE_DIR": str(tmp_path / "cache"),
        }
    )
    out = tmp_path / "out" / "links.tsv"
    out.parent.mkdir()
    argv = [
        *elinkcli_command(), "link", "-db", "gene", "-target", "protein", "--batch", "2",
        "--id", IDS, "-o", str(out), "--log", str(tmp_path / "requests.log"),
    ]  # fmt: skip

    # The second batch is rejected: the first is kept in FILE.part and FILE.journal.
    fake.faults = Faults(by_id={"3003": ["400"]})
    failed = subprocess.run(argv, env=env, umask=umask, capture_output=True, check=False)
    assert failed.returncode == 3, failed.stderr
    fake.faults = Faults()
    kept = modes(tmp_path / "out")
    resumed = subprocess.run(
        [*argv, "--resume"], env=env, umask=umask, capture_output=True, check=False
    )
    assert resumed.returncode == 0, resumed.stderr

    made = 0o666 & ~umask
    assert kept == {"links.tsv.journal": made, "links.tsv.part": made}
    everything = modes(tmp_path)
    (record,) = [name for name in everything if name.startswith("state/finished/")]
    assert everything == {
        "cache/cache.sqlite3": 0o644 & ~umask,  # SQLite's own
        "cache/cache.sqlite3-open.lock": made,
        "out/links.tsv": made,
        "requests.log": made,
        record: made,
        "state/rate-nokey.slot": made,
        "state/rate-nokey.slot.lock": made,
    }
