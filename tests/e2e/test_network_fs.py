"""End to end on a real network file system: the cache directory on an sshfs mount (FUSE,
over ssh to an sshd of the test's own on 127.0.0.1), as an HPC home directory on NFS would
be. elinkcli reads the mount's type from mountinfo, uses a rollback journal there (SQLite's
WAL needs memory shared by every machine using the file), and a rerun is served from it.

Needs root, /dev/fuse, sshfs and sshd (Debian's sshfs and openssh-server; .ci/run installs
them where it can); skipped, saying which is missing, elsewhere."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TSV_HEADER
from support.fake_eutils import elink_requests

pytestmark = pytest.mark.e2e

ARGS = ("link", "-db", "gene", "-target", "protein", "--batch", "50")
IDS = [str(7000 + n) for n in range(120)]


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "mounting needs root"
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse"
    for tool in ("sshfs", "fusermount", "ssh-keygen"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: sshfs)"
    if not os.path.exists("/usr/sbin/sshd"):
        return "sshd is not installed (Debian: openssh-server)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sshfs_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory on an sshfs mount of tmp_path/export, served by a private sshd."""
    why = _missing()
    if why:
        pytest.skip(why)
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    for name in ("host", "client"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / name)], check=True
        )
    authorized = keys / "authorized_keys"
    authorized.write_text((keys / "client.pub").read_text())
    authorized.chmod(0o600)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    port = _free_port()
    sshd = subprocess.Popen(
        [
            "/usr/sbin/sshd",
            "-D",
            "-e",
            "-p",
            str(port),
            "-h",
            str(keys / "host"),
            "-o",
            "ListenAddress=127.0.0.1",
            "-o",
            f"AuthorizedKeysFile={authorized}",
            "-o",
            "PermitRootLogin=prohibit-password",
            "-o",
            "StrictModes=no",
            "-o",
            f"PidFile={tmp_path / 'sshd.pid'}",
        ],
        stderr=subprocess.PIPE,
    )
    export, mount = tmp_path / "export", tmp_path / "mnt"
    export.mkdir()
    mount.mkdir()
    try:
        command = [
            "sshfs",
            "-p",
            str(port),
            "-o",
            f"IdentityFile={keys / 'client'},StrictHostKeyChecking=no,"
            "UserKnownHostsFile=/dev/null,BatchMode=yes,LogLevel=ERROR",
            f"root@127.0.0.1:{export}",
            str(mount),
        ]
        deadline = time.monotonic() + 20
        while True:  # sshd may not be listening yet
            mounted = subprocess.run(command, capture_output=True, text=True, timeout=30)
            if mounted.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        if mounted.returncode != 0:
            pytest.skip(f"sshfs could not mount here: {mounted.stderr.strip()}")
        try:
            yield mount
        finally:
            subprocess.run(["fusermount", "-u", "-z", str(mount)], check=False)
    finally:
        sshd.terminate()
        sshd.wait(timeout=30)


def test_the_cache_on_a_network_file_system_uses_a_rollback_journal(fake, run, sshfs_dir):
    cache = sshfs_dir / "cache"
    env = {"ELINKCLI_CACHE_DIR": str(cache), "NCBI_API_KEY": "k"}
    first = run(*ARGS, "--id", ",".join(IDS), env=env)
    assert first.returncode == 0, first.stderr
    assert tuple(first.stdout.splitlines()[0].split("\t")) == tuple(TSV_HEADER)
    assert len(first.stdout.splitlines()) > len(IDS)
    assert "the cache" not in first.stderr, "nothing to say: the cache works there"
    assert not (cache / "cache.sqlite3-wal").exists()

    mark = len(fake.log)
    again = run(*ARGS, "--id", ",".join(IDS), env=env)
    assert again.returncode == 0 and again.stdout == first.stdout
    assert elink_requests(fake, mark) == [], "the rerun came from the cache on the mount"

    info = json.loads(run("cache", "info", "--json", env=env).stdout)
    assert (info["entries"], info["journal"], info["damaged"]) == (len(IDS), "delete", None)
    assert "fuse.sshfs is a network file system" in info["journal_why"]

    # Forced WAL, as before: said nowhere, but not what the cache chooses on its own.
    forced = run("cache", "info", "--json", env={**env, "ELINKCLI_CACHE_JOURNAL": "wal"})
    assert json.loads(forced.stdout)["journal_why"] == "cache_journal = wal"
